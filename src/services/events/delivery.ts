// Durable, asynchronous delivery to targets. PutEvents (and the scheduler) write one
// events_deliveries row per matched rule and target in their transaction, with the target's
// payload already transformed; this runner (one per database) sends due rows after the commit
// and deletes them once delivered, or reschedules them on the Nimbus clock:
//   1. SQS queues (SendMessage; FIFO with SqsParameters.MessageGroupId and the event id as
//      deduplication id), SNS topics (Publish), Lambda functions (Invoke, InvocationType Event):
//      made as events.amazonaws.com with aws:SourceArn = the rule and aws:SourceAccount = its
//      account, so the queue / topic / function policy decides, as on AWS.
//   2. CloudWatch Logs log groups: a log stream per event (named by the event id) and one
//      PutLogEvents, in the log group's account (Nimbus's Logs has no resource policies).
//   3. Another event bus: PutEvents of the same event on that bus, as the rule's account, so a
//      cross-account bus's policy decides (bus-policy.ts).
//   4. A failure the target reports as the caller's fault (AccessDenied, no such queue) is not
//      retried; others are retried with backoff until the target's RetryPolicy is exhausted
//      (MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default 86,400). Either
//      way the event then goes to the target's DeadLetterConfig queue if it has one (with
//      AWS's RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE... attributes), or is dropped.
import type { Clock } from "../../core/clock/clock.js";
import { isAwsError } from "../../core/errors.js";
import type { InProcessClient, ServiceRuntime } from "../../core/service.js";
import type { Db } from "../../core/state/database.js";
import { isoSeconds } from "./schedule.js";
import { statements, type RuleDoc, type TargetDoc } from "./store.js";
import { targetPayload } from "./transform.js";

interface Runner {
  db: Db;
  clock: Clock;
  client: InProcessClient;
  running: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** POST /_nimbus/chaos {"service":"eventbridge","action":"pause-delivery"}: events stay queued. */
  paused: boolean;
  unsubscribe: () => void;
}

const runners = new Map<Db, Runner>();
const BATCH = 32;
const MAX_SLEEP_MS = 5_000;

/** What a delivery row's `target` column holds: the target as it was when the event matched. */
interface QueuedTarget {
  target: TargetDoc;
  ruleName: string;
  account: string;
  region: string;
}

/**
 * The input objects of PutEvents calls this service makes to deliver to another bus, with the
 * event's original account: their entries keep the event's source (aws.* included) and account. Only code in this process can
 * hold such an object, so the mark cannot come over HTTP.
 */
export const forwardedInputs = new WeakMap<object, string>();

/** Queues one delivery per target of `rule` for `event` (inside the caller's transaction). */
export function queueForRule(db: Db, rule: RuleDoc, event: Record<string, unknown>, now: number): void {
  const st = statements(db);
  const ingested = isoSeconds(now);
  const eventJson = JSON.stringify(event);
  for (const t of rule.targets) {
    const q: QueuedTarget = { target: t, ruleName: rule.name, account: rule.account, region: rule.region };
    st.enqueue.run(rule.arn, JSON.stringify(q), eventJson, targetPayload(t, rule, event, ingested), now, now);
  }
}

export function startDelivery(rt: ServiceRuntime): void {
  if (runners.has(rt.db)) return;
  const r: Runner = { db: rt.db, clock: rt.clock, client: rt.client, running: false, again: false, stopped: false, paused: false, unsubscribe: () => {} };
  r.unsubscribe = rt.clock.onAdvance(() => kickDelivery(rt.db));
  runners.set(rt.db, r);
  // Deliveries a previous run left (a restart) resume now.
  kickDelivery(rt.db);
}

export function stopDelivery(db?: Db): void {
  for (const [key, r] of [...runners]) {
    if (db && key !== db) continue;
    r.stopped = true;
    r.unsubscribe();
    if (r.timer) clearTimeout(r.timer);
    runners.delete(key);
  }
}

/** Pauses or resumes delivery (a fault injected through /_nimbus/chaos); the queue itself is untouched. */
export function pauseDelivery(db: Db, paused: boolean): { paused: boolean; queued: number } {
  const r = runners.get(db);
  if (!r) throw new Error("EventBridge delivery is not running");
  r.paused = paused;
  if (!paused) kickDelivery(db);
  return { paused, queued: (db.prepare("SELECT count(*) AS n FROM events_deliveries").get() as { n: number }).n };
}

export function kickDelivery(db: Db): void {
  const r = runners.get(db);
  if (!r || r.stopped || r.paused) return;
  if (r.running) {
    r.again = true;
    return;
  }
  if (r.timer) clearTimeout(r.timer);
  r.timer = setTimeout(() => void run(r), 0);
}

interface Row {
  id: number;
  rule_arn: string;
  target: string;
  event: string;
  payload: string;
  attempts: number;
  created_at: number;
}

async function run(r: Runner): Promise<void> {
  r.timer = undefined;
  if (r.paused) return;
  r.running = true;
  try {
    const st = statements(r.db);
    for (;;) {
      r.again = false;
      const rows = st.due.all(r.clock.now(), BATCH) as Row[];
      if (!rows.length) break;
      // Targets in parallel; one target's events in order (a FIFO queue keeps PutEvents' order).
      const byTarget = new Map<string, Row[]>();
      for (const row of rows) {
        const key = (JSON.parse(row.target) as QueuedTarget).target.Arn;
        const list = byTarget.get(key);
        if (list) list.push(row);
        else byTarget.set(key, [row]);
      }
      await Promise.all(
        [...byTarget.values()].map(async (list) => {
          for (const row of list) await attempt(r, row);
        }),
      );
      if (r.stopped) return;
    }
  } catch {
    // The database closed under the runner (Nimbus stopping).
    r.stopped = true;
    return;
  } finally {
    r.running = false;
  }
  if (r.stopped) return;
  if (r.again) return kickDelivery(r.db);
  const next = (statements(r.db).next.get() as { at: number | null }).at;
  if (next !== null) r.timer = setTimeout(() => void run(r), Math.min(MAX_SLEEP_MS, Math.max(10, next - r.clock.now())));
}

async function attempt(r: Runner, row: Row): Promise<void> {
  const q = JSON.parse(row.target) as QueuedTarget;
  const st = statements(r.db);
  let failure: { code: string; message: string; retry: boolean } | undefined;
  try {
    await deliver(r.client, row.rule_arn, q, row.payload, row.event);
  } catch (e) {
    const code = isAwsError(e) ? e.code : ((e as { code?: string }).code ?? "InternalError");
    const message = e instanceof Error ? e.message : String(e);
    // 4. Client-side errors (denied, missing target, bad input) are final.
    // (an AwsError without a status is a modeled client error of the target's service)
    const retry = code === "NotImplemented" ? false : isAwsError(e) ? e.status !== undefined && e.status >= 500 : (e as { final?: boolean }).final !== true;
    failure = { code, message, retry };
  }
  if (r.stopped) return;
  if (!failure) {
    st.done.run(row.id);
    return;
  }
  const attempts = row.attempts + 1;
  const policy = q.target.RetryPolicy ?? {};
  const maxAttempts = policy.MaximumRetryAttempts ?? 185;
  const maxAgeMs = (policy.MaximumEventAgeInSeconds ?? 86_400) * 1000;
  const now = r.clock.now();
  const delay = Math.min(300_000, 1000 * 2 ** Math.min(attempts - 1, 9));
  let exhausted: string | undefined;
  if (failure.retry) {
    if (attempts > maxAttempts) exhausted = "MaximumRetryAttempts";
    else if (now + delay - row.created_at > maxAgeMs) exhausted = "MaximumEventAgeInSeconds";
  }
  if (failure.retry && !exhausted) {
    st.retry.run(attempts, now + delay, `${failure.code}: ${failure.message}`, row.id);
    return;
  }
  st.done.run(row.id);
  const dlq = q.target.DeadLetterConfig?.Arn;
  if (dlq) await toDeadLetterQueue(r.client, dlq, row, q, failure, exhausted, attempts - 1).catch(() => undefined);
}

function arnParts(arn: string): { service: string; region: string; account: string; resource: string } {
  const p = arn.split(":");
  return { service: p[2], region: p[3], account: p[4], resource: p.slice(5).join(":") };
}

function behalf(ruleArn: string, account: string) {
  return { service: "events.amazonaws.com", sourceArn: ruleArn, sourceAccount: account };
}

async function deliver(client: InProcessClient, ruleArn: string, q: QueuedTarget, payload: string, eventJson: string): Promise<void> {
  const t = q.target;
  const a = arnParts(t.Arn);
  const as = { accountId: a.account, region: a.region, onBehalfOf: behalf(ruleArn, q.account) };
  switch (a.service) {
    case "sqs": {
      const input: Record<string, unknown> = { QueueUrl: `https://sqs.${a.region}.amazonaws.com/${a.account}/${a.resource}`, MessageBody: payload };
      if (a.resource.endsWith(".fifo")) {
        input.MessageGroupId = t.SqsParameters?.MessageGroupId ?? "";
        input.MessageDeduplicationId = (JSON.parse(eventJson) as { id: string }).id;
      }
      await client.call("sqs", "SendMessage", input, as);
      return;
    }
    case "sns":
      await client.call("sns", "Publish", { TopicArn: t.Arn, Message: payload }, as);
      return;
    case "lambda":
      await client.call("lambda", "Invoke", { FunctionName: t.Arn, InvocationType: "Event", Payload: Buffer.from(payload) }, as);
      return;
    case "logs": {
      // 2.
      const group = a.resource.replace(/^log-group:/, "").replace(/:\*$/, "");
      const event = JSON.parse(eventJson) as { id: string; time?: string };
      const logAs = { accountId: a.account, region: a.region };
      await client.call("cloudwatch-logs", "CreateLogStream", { logGroupName: group, logStreamName: event.id }, logAs).catch((e) => {
        if (!(isAwsError(e) && e.code === "ResourceAlreadyExistsException")) throw e;
      });
      const ts = event.time ? Date.parse(event.time) : NaN;
      await client.call("cloudwatch-logs", "PutLogEvents", { logGroupName: group, logStreamName: event.id, logEvents: [{ timestamp: Number.isFinite(ts) ? ts : Date.now(), message: payload }] }, logAs);
      return;
    }
    case "events": {
      // 3. The same event on another bus, as the rule's account (the bus policy decides for another account).
      const event = JSON.parse(eventJson) as Record<string, unknown>;
      const input = {
        Entries: [
          {
            Source: event.source,
            DetailType: event["detail-type"],
            Detail: JSON.stringify(event.detail ?? {}),
            Resources: event.resources,
            Time: new Date(String(event.time)),
            EventBusName: t.Arn,
          },
        ],
      };
      forwardedInputs.set(input, String(event.account));
      const root = { type: "root" as const, accountId: q.account, arn: `arn:aws:iam::${q.account}:root`, userId: q.account };
      const out = await client.call<{ Entries?: Array<{ ErrorCode?: string; ErrorMessage?: string }> }>("eventbridge", "PutEvents", input, { principal: root, region: q.region, authorize: true });
      const failed = out.Entries?.[0];
      if (failed?.ErrorCode) throw Object.assign(new Error(failed.ErrorMessage ?? failed.ErrorCode), { code: failed.ErrorCode, final: failed.ErrorCode !== "InternalFailure" });
      return;
    }
    default:
      throw Object.assign(new Error(`Nimbus does not deliver to ${a.service} targets; see src/services/events/GAPS.md`), { code: "NotImplemented" });
  }
}

/** The event goes to the target's dead-letter queue, as events.amazonaws.com, with AWS's attributes. */
async function toDeadLetterQueue(
  client: InProcessClient,
  dlqArn: string,
  row: Row,
  q: QueuedTarget,
  failure: { code: string; message: string },
  exhausted: string | undefined,
  retries: number,
): Promise<void> {
  const a = arnParts(dlqArn);
  const str = (v: string) => ({ DataType: "String", StringValue: v });
  const attrs: Record<string, unknown> = {
    RULE_ARN: str(row.rule_arn),
    TARGET_ARN: str(q.target.Arn),
    ERROR_CODE: str(failure.code),
    ERROR_MESSAGE: str(failure.message.slice(0, 1000) || failure.code),
    RETRY_ATTEMPTS: { DataType: "Number", StringValue: String(retries) },
  };
  if (exhausted) attrs.EXHAUSTED_RETRY_CONDITION = str(exhausted);
  await client.call(
    "sqs",
    "SendMessage",
    { QueueUrl: `https://sqs.${a.region}.amazonaws.com/${a.account}/${a.resource}`, MessageBody: row.event, MessageAttributes: attrs },
    { accountId: a.account, region: a.region, onBehalfOf: behalf(row.rule_arn, q.account) },
  );
}
