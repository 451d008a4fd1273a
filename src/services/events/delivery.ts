// Durable, asynchronous delivery to targets. PutEvents (and the scheduler) queue one delivery
// per matched rule and target in their transaction, with the target's payload already
// transformed, in the chassis outbox (core/events/outbox.ts), which sends due rows after the
// commit and deletes them once delivered, or reschedules them on the Nimbus clock:
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
import { defineOutbox, type OutboxRow, type Retry } from "../../core/events/outbox.js";
import { isAwsError } from "../../core/errors.js";
import type { InProcessClient, ServiceRuntime } from "../../core/service.js";
import type { Db } from "../../core/state/database.js";
import { isoSeconds } from "./schedule.js";
import type { RuleDoc, TargetDoc } from "./store.js";
import { targetPayload } from "./transform.js";

/** The target as it was when the event matched. */
interface QueuedTarget {
  target: TargetDoc;
  ruleName: string;
  account: string;
  region: string;
}

/** One queued delivery: the rule, its target, the event and the target's (transformed) payload. */
interface Queued {
  ruleArn: string;
  target: QueuedTarget;
  event: Record<string, unknown>;
  payload: string;
}

/**
 * The input objects of PutEvents calls this service makes to deliver to another bus, with the
 * event's original account: their entries keep the event's source (aws.* included) and account. Only code in this process can
 * hold such an object, so the mark cannot come over HTTP.
 */
export const forwardedInputs = new WeakMap<object, string>();

/**
 * The durable outbox of target invocations (core/events/outbox.ts; migration 2 moved
 * events_deliveries' rows there). Targets in parallel; one target's events in order (a FIFO
 * queue keeps PutEvents' order). POST /_nimbus/chaos pause-delivery / resume-delivery pauses it.
 */
export const deliveries = defineOutbox<Queued, ServiceRuntime>({
  name: "eventbridge",
  service: "eventbridge",
  lane: (q) => q.target.target.Arn,
  deliver: attempt,
});

/** Queues one delivery per target of `rule` for `event` (inside the caller's transaction). */
export function queueForRule(db: Db, rule: RuleDoc, event: Record<string, unknown>, now: number): void {
  const ingested = isoSeconds(now);
  for (const t of rule.targets) {
    const target: QueuedTarget = { target: t, ruleName: rule.name, account: rule.account, region: rule.region };
    deliveries.enqueue(db, { ruleArn: rule.arn, target, event, payload: targetPayload(t, rule, event, ingested) }, now);
  }
}

async function attempt(rt: ServiceRuntime, row: OutboxRow<Queued>): Promise<Retry | undefined> {
  const q = row.item;
  let failure: { code: string; message: string; retry: boolean } | undefined;
  try {
    await deliver(rt.client, q);
  } catch (e) {
    const code = isAwsError(e) ? e.code : ((e as { code?: string }).code ?? "InternalError");
    const message = e instanceof Error ? e.message : String(e);
    // 4. Client-side errors (denied, missing target, bad input) are final.
    // (an AwsError without a status is a modeled client error of the target's service)
    const retry = code === "NotImplemented" ? false : isAwsError(e) ? e.status !== undefined && e.status >= 500 : (e as { final?: boolean }).final !== true;
    failure = { code, message, retry };
  }
  if (!failure) return undefined;
  const attempts = row.attempts + 1;
  const policy = q.target.target.RetryPolicy ?? {};
  const maxAttempts = policy.MaximumRetryAttempts ?? 185;
  const maxAgeMs = (policy.MaximumEventAgeInSeconds ?? 86_400) * 1000;
  const now = rt.clock.now();
  const delay = Math.min(300_000, 1000 * 2 ** Math.min(attempts - 1, 9));
  let exhausted: string | undefined;
  if (failure.retry) {
    if (attempts > maxAttempts) exhausted = "MaximumRetryAttempts";
    else if (now + delay - row.createdAt > maxAgeMs) exhausted = "MaximumEventAgeInSeconds";
  }
  if (failure.retry && !exhausted) return { at: now + delay, error: `${failure.code}: ${failure.message}` };
  const dlq = q.target.target.DeadLetterConfig?.Arn;
  if (dlq) await toDeadLetterQueue(rt.client, dlq, q, failure, exhausted, attempts - 1).catch(() => undefined);
  return undefined;
}

function arnParts(arn: string): { service: string; region: string; account: string; resource: string } {
  const p = arn.split(":");
  return { service: p[2], region: p[3], account: p[4], resource: p.slice(5).join(":") };
}

function behalf(ruleArn: string, account: string) {
  return { service: "events.amazonaws.com", sourceArn: ruleArn, sourceAccount: account };
}

async function deliver(client: InProcessClient, queued: Queued): Promise<void> {
  const { ruleArn, target: q, payload, event: ev } = queued;
  const t = q.target;
  const a = arnParts(t.Arn);
  const as = { accountId: a.account, region: a.region, onBehalfOf: behalf(ruleArn, q.account) };
  switch (a.service) {
    case "sqs": {
      const input: Record<string, unknown> = { QueueUrl: `https://sqs.${a.region}.amazonaws.com/${a.account}/${a.resource}`, MessageBody: payload };
      if (a.resource.endsWith(".fifo")) {
        input.MessageGroupId = t.SqsParameters?.MessageGroupId ?? "";
        input.MessageDeduplicationId = String(ev.id);
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
      const event = ev as { id: string; time?: string };
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
      const event = ev;
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
  queued: Queued,
  failure: { code: string; message: string },
  exhausted: string | undefined,
  retries: number,
): Promise<void> {
  const { ruleArn, target: q } = queued;
  const a = arnParts(dlqArn);
  const str = (v: string) => ({ DataType: "String", StringValue: v });
  const attrs: Record<string, unknown> = {
    RULE_ARN: str(ruleArn),
    TARGET_ARN: str(q.target.Arn),
    ERROR_CODE: str(failure.code),
    ERROR_MESSAGE: str(failure.message.slice(0, 1000) || failure.code),
    RETRY_ATTEMPTS: { DataType: "Number", StringValue: String(retries) },
  };
  if (exhausted) attrs.EXHAUSTED_RETRY_CONDITION = str(exhausted);
  await client.call(
    "sqs",
    "SendMessage",
    { QueueUrl: `https://sqs.${a.region}.amazonaws.com/${a.account}/${a.resource}`, MessageBody: JSON.stringify(queued.event), MessageAttributes: attrs },
    { accountId: a.account, region: a.region, onBehalfOf: behalf(ruleArn, q.account) },
  );
}
