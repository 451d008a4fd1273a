// The durable outbox of event notifications: documents (service s3, scope "notifications",
// kind "outbox") ordered by a monotonic id, written in one transaction right after the object's
// commit, and delivered in order by one worker per database, asynchronously: a request never
// waits on a destination. A delivery that fails is retried with backoff (the destination may be
// briefly missing or its policy being fixed); after MAX_ATTEMPTS it is dropped, as S3 drops
// events it cannot deliver. Pending deliveries survive a restart (service start() resumes).
//
// Delivery is the same for every destination: an in-process call on behalf of
// s3.amazonaws.com with aws:SourceArn / aws:SourceAccount, so the target's resource policy
// (queue policy, topic policy, function policy) decides, as on AWS.
import type { Clock } from "../../../core/clock/clock.js";
import type { InProcessClient } from "../../../core/service.js";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import type { TargetType } from "./config.js";

/** A notification destination, or the default event bus for EventBridge delivery. */
export type OutboxTarget = { type: TargetType | "eventbridge"; arn: string };

export interface OutboxEntry {
  target: OutboxTarget;
  bucket: string;
  bucketAccount: string;
  /** The notification's body (the event JSON). */
  message: string;
  attempts: number;
  /** Clock time before which the entry is not retried. */
  notBefore: number;
}

const MAX_ATTEMPTS = 8;
const BATCH = 100;

interface Worker {
  store: DocStore;
  lastId: bigint;
  running: boolean;
  timer?: NodeJS.Timeout;
  client?: InProcessClient;
  clock?: Clock;
  stopped: boolean;
}

const workers = perDatabase(
  (db: Db): Worker => ({ store: new DocStore(db, "s3", "notifications"), lastId: 0n, running: false, stopped: false }),
);

/** A monotonic, zero-padded id so the primary-key order is the emission order, across restarts too. */
function nextId(w: Worker, now: number): string {
  const floor = BigInt(now) * 1000n;
  w.lastId = w.lastId + 1n > floor ? w.lastId + 1n : floor;
  return w.lastId.toString().padStart(20, "0");
}

export function enqueue(rt: { db: Db; clock: Clock; client: InProcessClient }, entries: OutboxEntry[]): void {
  const w = workers(rt.db);
  if (w.lastId === 0n) {
    const last = w.store.list<OutboxEntry>("outbox").at(-1);
    if (last) w.lastId = BigInt(last.id);
  }
  w.client = rt.client;
  w.clock = rt.clock;
  w.stopped = false;
  const now = rt.clock.now();
  inTransaction(rt.db, () => {
    for (const e of entries) w.store.put("outbox", nextId(w, now), e);
  });
  kick(w, 0);
}

/** Resumes deliveries left pending by a previous run (service start). */
export function resumeDeliveries(rt: { db: Db; clock: Clock; client: InProcessClient }): void {
  const w = workers(rt.db);
  w.client = rt.client;
  w.clock = rt.clock;
  w.stopped = false;
  if (w.store.count("outbox") > 0) kick(w, 0);
}

export function stopDeliveries(db: Db): void {
  const w = workers(db);
  w.stopped = true;
  if (w.timer) clearTimeout(w.timer);
  w.timer = undefined;
}

function kick(w: Worker, delayMs: number): void {
  if (w.running || w.stopped) return;
  if (w.timer) {
    if (delayMs > 0) return;
    clearTimeout(w.timer);
  }
  w.timer = setTimeout(() => {
    w.timer = undefined;
    void drain(w);
  }, delayMs);
  w.timer.unref?.();
}

/** Delivers due entries in id order; reschedules itself for the earliest retry. */
async function drain(w: Worker): Promise<void> {
  if (w.running || w.stopped || !w.client || !w.clock) return;
  w.running = true;
  let again = false;
  let earliest = Infinity;
  try {
    let after = "";
    for (;;) {
      const batch = w.store.list<OutboxEntry>("outbox", { after, limit: BATCH });
      if (batch.length === 0) break;
      for (const { id, doc } of batch) {
        after = id;
        if (w.stopped) return;
        const now = w.clock.now();
        if (doc.notBefore > now) {
          earliest = Math.min(earliest, doc.notBefore - now);
          continue;
        }
        try {
          await deliver(w.client, doc);
          w.store.delete("outbox", id);
        } catch {
          doc.attempts++;
          if (doc.attempts >= MAX_ATTEMPTS) w.store.delete("outbox", id);
          else {
            const backoff = Math.min(60_000, 250 * 2 ** doc.attempts);
            doc.notBefore = now + backoff;
            w.store.put("outbox", id, doc);
            earliest = Math.min(earliest, backoff);
          }
        }
      }
      if (batch.length < BATCH) break;
    }
    // Entries enqueued while this pass ran past them.
    again = w.store.list("outbox", { after, limit: 1 }).length > 0;
  } catch {
    // The database closed under the worker (Nimbus stopped): nothing more to do.
    w.stopped = true;
    return;
  } finally {
    w.running = false;
  }
  if (again) kick(w, 0);
  else if (earliest !== Infinity) kick(w, earliest);
}

/** The ARN's region, account and resource name. */
function arnParts(arn: string): { region: string; account: string; resource: string } {
  const p = arn.split(":");
  return { region: p[3], account: p[4], resource: p.slice(5).join(":") };
}

/**
 * One in-process call on behalf of S3: SQS SendMessage, SNS Publish or Lambda Invoke
 * (asynchronous); for EventBridge, PutEvents on the bucket account's default bus as S3 itself
 * (the only caller allowed the aws.s3 source; AWS needs no bus policy for it).
 */
export async function deliver(client: InProcessClient, e: { target: OutboxTarget; bucket: string; bucketAccount: string; message: string }): Promise<void> {
  const { region, account, resource } = arnParts(e.target.arn);
  if (e.target.type === "eventbridge") {
    const entry = JSON.parse(e.message) as Record<string, unknown>;
    const s3 = { type: "anonymous" as const, accountId: account, arn: "s3.amazonaws.com", userId: "s3.amazonaws.com", service: "s3.amazonaws.com" };
    const out = await client.call<{ Entries?: Array<{ ErrorCode?: string; ErrorMessage?: string }> }>("eventbridge", "PutEvents", { Entries: [{ ...entry, Time: new Date(String(entry.Time)) }] }, { principal: s3, region });
    const failed = out.Entries?.[0];
    if (failed?.ErrorCode) throw new Error(`${failed.ErrorCode}: ${failed.ErrorMessage ?? ""}`);
    return;
  }
  // As the S3 service principal: the target's resource policy decides (docs/architecture.md,
  // "Authorization").
  const as = { accountId: account, region, onBehalfOf: { service: "s3.amazonaws.com", sourceArn: `arn:aws:s3:::${e.bucket}`, sourceAccount: e.bucketAccount } };
  if (e.target.type === "sqs") {
    await client.call("sqs", "SendMessage", { QueueUrl: `http://sqs.${region}.localhost/${account}/${resource}`, MessageBody: e.message }, as);
  } else if (e.target.type === "sns") {
    await client.call("sns", "Publish", { TopicArn: e.target.arn, Message: e.message, Subject: "Amazon S3 Notification" }, as);
  } else {
    await client.call("lambda", "Invoke", { FunctionName: e.target.arn, InvocationType: "Event", Payload: Buffer.from(e.message) }, as);
  }
}
