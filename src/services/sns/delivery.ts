// Asynchronous, durable delivery. Publish (and Subscribe, for confirmation requests) queues one
// delivery per matching subscription in its transaction, in the chassis outbox
// (core/events/outbox.ts), which sends due rows after the commit and deletes them once
// delivered, or reschedules them on the Nimbus clock:
//   1. sqs: SendMessage as sns.amazonaws.com with aws:SourceArn = the topic (the queue policy
//      decides, as on AWS); raw or enveloped; FIFO group and deduplication ids passed on.
//   2. lambda: Invoke (InvocationType Event) with the SNS event, as sns.amazonaws.com (the
//      function policy decides).
//   3. http/https: POST the envelope (or the raw message) with SNS's headers; a 2xx answer is
//      delivered, anything else is retried per the delivery policy (default: 3 retries, 20 s).
//   4. email, email-json, sms: recorded in sns_outbox (GET /_sns/outbox).
// Client-side failures of AWS targets (AccessDenied, a deleted queue) are not retried, as SNS
// does not retry them; server-side ones are, with backoff.
import { defineOutbox, type Retry } from "../../core/events/outbox.js";
import { isAwsError } from "../../core/errors.js";
import type { ServiceRuntime } from "../../core/service.js";
import type { Db } from "../../core/state/database.js";
import { DEFAULT_HTTP_POLICY } from "./common.js";
import { envelope, lambdaEvent } from "./envelope.js";
import { parseSnsArn, scopeStore, snsStatements, type DeliveryPayload, type SubscriptionDoc, type TopicDoc } from "./store.js";

/** One queued delivery: the subscription and what to send it. */
interface Queued {
  subArn: string;
  delivery: DeliveryPayload;
}

/** The durable outbox of deliveries (core/events/outbox.ts); migration 2 moved sns_deliveries' rows there. */
export const deliveries = defineOutbox<Queued, ServiceRuntime>({
  name: "sns",
  service: "sns",
  // A FIFO topic's subscription gets its messages in order (one at a time); others in parallel.
  lane: (q) => (q.delivery.fifo ? q.subArn : undefined),
  async deliver(rt, row): Promise<Retry | undefined> {
    const p = row.item.delivery;
    const outcome = await deliver(rt, row.item.subArn, p).catch(() => ({ retry: true, policy: undefined as RetryPolicy | undefined }));
    const delay = outcome.retry ? retryDelay(p.protocol, row.attempts + 1, outcome.policy) : undefined;
    return delay === undefined ? undefined : { at: rt.clock.now() + delay };
  },
});

/** Queues a delivery inside the caller's transaction; it goes out after the commit. */
export function enqueueDelivery(db: Db, subArn: string, delivery: DeliveryPayload, now: number): void {
  deliveries.enqueue(db, { subArn, delivery }, now);
}

interface RetryPolicy {
  numRetries: number;
  minDelayTarget: number;
  maxDelayTarget: number;
  backoffFunction: string;
}

/** Milliseconds until the next attempt, or undefined when retries are exhausted. */
function retryDelay(protocol: string, attempts: number, policy: RetryPolicy | undefined): number | undefined {
  if (protocol === "http" || protocol === "https") {
    const p = policy ?? DEFAULT_HTTP_POLICY.http.defaultHealthyRetryPolicy;
    if (attempts > p.numRetries) return undefined;
    const span = p.maxDelayTarget - p.minDelayTarget;
    const seconds = p.backoffFunction === "exponential" ? Math.min(p.maxDelayTarget, p.minDelayTarget * 2 ** (attempts - 1)) : p.minDelayTarget + (p.numRetries > 1 ? (span * (attempts - 1)) / (p.numRetries - 1) : 0);
    return Math.max(1, seconds) * 1000;
  }
  // AWS-managed targets: SNS keeps trying for a long time (100,015 attempts over 23 days); Nimbus
  // gives up after 100, backing off to 20 minutes.
  if (attempts >= 100) return undefined;
  return Math.min(20 * 60_000, 1000 * 2 ** Math.min(attempts, 11));
}

function httpPolicy(sub: SubscriptionDoc | undefined, topic: TopicDoc | undefined): RetryPolicy | undefined {
  try {
    const own = sub?.attributes.DeliveryPolicy ? (JSON.parse(sub.attributes.DeliveryPolicy) as { healthyRetryPolicy?: RetryPolicy }) : undefined;
    if (own?.healthyRetryPolicy) return { ...DEFAULT_HTTP_POLICY.http.defaultHealthyRetryPolicy, ...own.healthyRetryPolicy };
    const t = topic?.attributes.DeliveryPolicy ? (JSON.parse(topic.attributes.DeliveryPolicy) as { http?: { defaultHealthyRetryPolicy?: RetryPolicy } }) : undefined;
    if (t?.http?.defaultHealthyRetryPolicy) return { ...DEFAULT_HTTP_POLICY.http.defaultHealthyRetryPolicy, ...t.http.defaultHealthyRetryPolicy };
  } catch {
    // a stored policy that no longer parses: the default
  }
  return undefined;
}

async function deliver(r: ServiceRuntime, subArn: string, p: DeliveryPayload): Promise<{ retry: boolean; policy?: RetryPolicy }> {
  const a = parseSnsArn(subArn);
  if (!a?.sub) return { retry: false };
  const store = scopeStore(r.db, a.account, a.region);
  const sub = store.get<SubscriptionDoc>("sub", `${a.topic}/${a.sub}`);
  // Unsubscribed since: nothing to deliver (a confirmation request still goes out).
  if (!sub && p.kind === "Notification") return { retry: false };
  const topic = store.get<TopicDoc>("topic", a.topic);
  const version = topic?.attributes.SignatureVersion ?? "1";
  const behalf = { service: "sns.amazonaws.com", sourceArn: p.topicArn, sourceAccount: a.account };
  switch (p.protocol) {
    case "sqs": {
      const q = /^arn:aws[\w-]*:sqs:([a-z0-9-]+):(\d{12}):(.+)$/.exec(p.endpoint);
      if (!q) return { retry: false };
      const [, region, account, name] = q;
      const input: Record<string, unknown> = {
        QueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
        MessageBody: p.raw ? p.message : JSON.stringify(envelope(r.db, p, subArn, version)),
      };
      if (p.raw && p.attributes && Object.keys(p.attributes).length) {
        const attrs: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(p.attributes)) {
          attrs[k] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue as string, "base64") } : { DataType: v.DataType, StringValue: v.StringValue };
        }
        input.MessageAttributes = attrs;
      }
      if (p.fifo && name.endsWith(".fifo")) {
        input.MessageGroupId = p.fifo.groupId;
        input.MessageDeduplicationId = p.fifo.dedupId;
      }
      return awsTarget(() => r.client.call("sqs", "SendMessage", input, { accountId: account, region, onBehalfOf: behalf }));
    }
    case "lambda": {
      const f = /^arn:aws[\w-]*:lambda:([a-z0-9-]+):(\d{12}):function:/.exec(p.endpoint);
      if (!f) return { retry: false };
      const payload = Buffer.from(JSON.stringify(lambdaEvent(r.db, p, subArn, version)));
      return awsTarget(() => r.client.call("lambda", "Invoke", { FunctionName: p.endpoint, InvocationType: "Event", Payload: payload }, { accountId: f[2], region: f[1], onBehalfOf: behalf }));
    }
    case "http":
    case "https": {
      const body = p.raw && p.kind === "Notification" ? p.message : JSON.stringify(envelope(r.db, p, subArn, version));
      const headers: Record<string, string> = {
        "content-type": "text/plain; charset=UTF-8",
        "user-agent": "Amazon Simple Notification Service Agent",
        "x-amz-sns-message-type": p.kind,
        "x-amz-sns-message-id": p.messageId,
        "x-amz-sns-topic-arn": p.topicArn,
      };
      if (p.kind === "Notification") headers["x-amz-sns-subscription-arn"] = subArn;
      if (p.raw && p.kind === "Notification") headers["x-amz-sns-rawdelivery"] = "true";
      const policy = httpPolicy(sub, topic);
      try {
        const res = await fetch(p.endpoint, { method: "POST", headers, body, signal: AbortSignal.timeout(15_000) });
        await res.arrayBuffer().catch(() => undefined);
        return { retry: res.status < 200 || res.status > 299, policy };
      } catch {
        return { retry: true, policy };
      }
    }
    default: {
      // email, email-json, sms, application, firehose: recorded where a developer can look.
      let body: string;
      if (p.protocol === "email-json") body = JSON.stringify(envelope(r.db, p, subArn, version));
      else if (p.kind === "SubscriptionConfirmation") body = `${p.message}\n\n${(envelope(r.db, p, subArn, version) as { SubscribeURL: string }).SubscribeURL}`;
      else body = p.message;
      snsStatements(r.db).outbox.run(subArn, p.protocol, p.endpoint, body, r.clock.now());
      return { retry: false };
    }
  }
}

async function awsTarget(call: () => Promise<unknown>): Promise<{ retry: boolean }> {
  try {
    await call();
    return { retry: false };
  } catch (e) {
    // Client-side errors (denied, no such queue or function, bad input) are final.
    if (isAwsError(e) && (e.status === undefined || e.status < 500)) return { retry: false };
    return { retry: true };
  }
}
