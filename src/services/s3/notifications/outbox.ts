// The durable outbox of event notifications: the chassis outbox (core/events/outbox.ts, outbox
// "s3.notifications"), written in one transaction right after the object's commit and
// delivered after it, asynchronously: a request never waits on a destination. Each
// destination gets its events in emission order; destinations are served in parallel. A
// delivery that fails is retried with backoff (the destination may be briefly missing or its
// policy being fixed); after MAX_ATTEMPTS it is dropped, as S3 drops events it cannot
// deliver. Pending deliveries survive a restart (service start() resumes them).
//
// Delivery is the same for every destination: an in-process call on behalf of
// s3.amazonaws.com with aws:SourceArn / aws:SourceAccount, so the target's resource policy
// (queue policy, topic policy, function policy) decides, as on AWS.
import type { Clock } from "../../../core/clock/clock.js";
import type { EventBus } from "../../../core/events/bus.js";
import { defineOutbox } from "../../../core/events/outbox.js";
import type { InProcessClient } from "../../../core/service.js";
import { inTransaction, type Db } from "../../../core/state/database.js";
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
}

/** What the outbox needs of the S3 runtime. */
type Runtime = { db: Db; clock: Clock; client: InProcessClient; events?: EventBus };

const MAX_ATTEMPTS = 8;

const outbox = defineOutbox<OutboxEntry, Runtime>({
  name: "s3.notifications",
  service: "s3",
  batch: 100,
  maxSleepMs: 60_000,
  lane: (e) => e.target.arn,
  async deliver(rt, row) {
    try {
      await deliver(rt.client, row.item);
      return undefined;
    } catch (e) {
      const attempts = row.attempts + 1;
      if (attempts >= MAX_ATTEMPTS) return undefined;
      return { at: rt.clock.now() + Math.min(60_000, 250 * 2 ** attempts), error: e instanceof Error ? e.message : String(e) };
    }
  },
});

export function enqueue(rt: { db: Db; clock: Clock }, entries: OutboxEntry[]): void {
  const now = rt.clock.now();
  inTransaction(rt.db, () => {
    for (const e of entries) outbox.enqueue(rt.db, e, now);
  });
}

/**
 * Resumes deliveries left pending by a previous run (service start). Entries an older Nimbus
 * kept as documents (service s3, scope "notifications", kind "outbox", ids in emission order)
 * move to the outbox first, in one transaction, with their attempts and retry times.
 */
export function resumeDeliveries(rt: Runtime): void {
  const legacy = new DocStore(rt.db, "s3", "notifications");
  if (legacy.count("outbox") > 0) {
    const now = rt.clock.now();
    inTransaction(rt.db, () => {
      for (const { id, doc } of legacy.list<OutboxEntry & { attempts: number; notBefore: number }>("outbox")) {
        const { attempts, notBefore, ...entry } = doc;
        outbox.enqueue(rt.db, entry, now, { attempts, nextAt: Math.max(notBefore, 0) || now });
        legacy.delete("outbox", id);
      }
    });
  }
  outbox.start(rt);
}

export function stopDeliveries(db: Db): void {
  outbox.stop(db);
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
