// GetQueueAttributes / SetQueueAttributes, and the queue attribute rules CreateQueue shares:
// names, ranges and defaults as AWS documents them, values normalized the way AWS returns
// them (booleans lower-case, RedrivePolicy re-serialized with a numeric maxReceiveCount).
import type { GetQueueAttributesRequest, GetQueueAttributesResult, SetQueueAttributesRequest } from "@aws-sdk/client-sqs";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import type { QueueRecord, SqsStore } from "../store.js";
import { invalidParameterValue, parseArn, queueArn, resolveQueue, sqs } from "../common.js";
import { expireMessages } from "../receive.js";
import { validateQueuePolicy } from "../queue-policy.js";

export const DEFAULT_MAXIMUM_MESSAGE_SIZE = 1_048_576;

/** Every name GetQueueAttributes knows (QueueAttributeName). */
const READABLE = new Set([
  "All",
  "Policy",
  "VisibilityTimeout",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
  "ApproximateNumberOfMessagesDelayed",
  "DelaySeconds",
  "ReceiveMessageWaitTimeSeconds",
  "RedrivePolicy",
  "FifoQueue",
  "ContentBasedDeduplication",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "DeduplicationScope",
  "FifoThroughputLimit",
  "RedriveAllowPolicy",
  "SqsManagedSseEnabled",
]);

const INTEGER_RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, DEFAULT_MAXIMUM_MESSAGE_SIZE],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

const STANDARD_SETTABLE = new Set([
  "DelaySeconds",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "Policy",
  "ReceiveMessageWaitTimeSeconds",
  "VisibilityTimeout",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "SqsManagedSseEnabled",
]);
const FIFO_ONLY = new Set(["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]);

export function defaultAttributes(fifo: boolean): Record<string, string> {
  const a: Record<string, string> = {
    DelaySeconds: "0",
    MaximumMessageSize: String(DEFAULT_MAXIMUM_MESSAGE_SIZE),
    MessageRetentionPeriod: "345600",
    ReceiveMessageWaitTimeSeconds: "0",
    VisibilityTimeout: "30",
    SqsManagedSseEnabled: "true",
  };
  if (fifo) {
    a.FifoQueue = "true";
    a.ContentBasedDeduplication = "false";
    a.DeduplicationScope = "queue";
    a.FifoThroughputLimit = "perQueue";
  }
  return a;
}

function invalidAttributeValue(name: string, reason?: string): AwsError {
  return new AwsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ""}`, 400);
}

function unknownAttribute(name: string): AwsError {
  return new AwsError("InvalidAttributeName", `Unknown Attribute ${name}.`, 400);
}

function bool(name: string, v: string): string {
  const l = v.toLowerCase();
  if (l !== "true" && l !== "false") throw invalidAttributeValue(name);
  return l;
}

/**
 * Validates the attributes of a CreateQueue or SetQueueAttributes request for a queue of the
 * given type and returns them normalized. `self` is the queue itself for SetQueueAttributes.
 * An empty value for Policy, RedrivePolicy, RedriveAllowPolicy or KmsMasterKeyId means "remove".
 */
export function validateAttributes(
  store: SqsStore,
  attrs: Record<string, string>,
  q: { account: string; region: string; name: string; fifo: boolean },
  mode: "create" | "set",
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attrs)) {
    const value = String(raw);
    if (FIFO_ONLY.has(name)) {
      if (!q.fifo) {
        if (name === "DeduplicationScope" || name === "FifoThroughputLimit") {
          throw new AwsError("InvalidAttributeName", `You can specify the ${name} only when FifoQueue is set to true.`, 400);
        }
        throw unknownAttribute(name);
      }
    } else if (!STANDARD_SETTABLE.has(name)) {
      throw unknownAttribute(name);
    }
    const range = INTEGER_RANGES[name];
    if (range) {
      if (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1]) throw invalidAttributeValue(name);
      out[name] = String(Number(value));
      continue;
    }
    switch (name) {
      case "FifoQueue": {
        const v = bool(name, value);
        if (v !== "true") throw invalidAttributeValue(name, "Modifying queue type is not supported.");
        if (mode === "set") continue;
        out[name] = v;
        break;
      }
      case "ContentBasedDeduplication":
      case "SqsManagedSseEnabled":
        out[name] = bool(name, value);
        break;
      case "DeduplicationScope":
        if (value !== "messageGroup" && value !== "queue") throw invalidAttributeValue(name);
        out[name] = value;
        break;
      case "FifoThroughputLimit":
        if (value !== "perQueue" && value !== "perMessageGroupId") throw invalidAttributeValue(name);
        out[name] = value;
        break;
      case "Policy":
        out[name] = value === "" ? "" : validateQueuePolicy(value);
        break;
      case "KmsMasterKeyId":
        out[name] = value;
        break;
      case "RedrivePolicy":
        out[name] = value === "" ? "" : redrivePolicy(store, value, q);
        break;
      case "RedriveAllowPolicy":
        out[name] = value === "" ? "" : redriveAllowPolicy(value);
        break;
    }
  }
  if (out.KmsMasterKeyId && out.SqsManagedSseEnabled === "true") {
    throw new AwsError(
      "InvalidAttributeName",
      "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
      400,
    );
  }
  return out;
}

function redrivePolicy(store: SqsStore, value: string, q: { account: string; region: string; name: string; fifo: boolean }): string {
  const invalid = (reason: string) => invalidParameterValue(`Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw invalid("Redrive policy is not a valid JSON map.");
  }
  if (!p || typeof p !== "object" || Array.isArray(p)) throw invalid("Redrive policy is not a valid JSON map.");
  const arn = p.deadLetterTargetArn;
  const target = typeof arn === "string" ? parseArn(arn) : undefined;
  if (!target) throw invalid("Invalid value for deadLetterTargetArn.");
  if (p.maxReceiveCount === undefined) throw invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  const count = Number(p.maxReceiveCount);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalid(`Invalid value for maxReceiveCount: ${String(p.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  const dlq = target.account === q.account && target.region === q.region ? store.queue(target.account, target.region, target.name) : undefined;
  // TODO(parity): AWS's exact wording for a missing or mismatched dead-letter target is unverified.
  if (!dlq) throw invalid("Dead-letter target does not exist.");
  if (dlq.fifo !== q.fifo) throw invalid("Dead-letter queue must be same type of queue as the source.");
  const allow = dlq.attributes.RedriveAllowPolicy;
  if (allow) {
    const rap = JSON.parse(allow) as { redrivePermission?: string; sourceQueueArns?: string[] };
    const source = queueArn(q);
    if (rap.redrivePermission === "denyAll" || (rap.redrivePermission === "byQueue" && !(rap.sourceQueueArns ?? []).includes(source))) {
      throw invalid(`Queue ${arn as string} does not allow this queue to be a source queue.`);
    }
  }
  return JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: count });
}

function redriveAllowPolicy(value: string): string {
  const invalid = () =>
    invalidParameterValue(
      `Value ${value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy, as it\u2019s in an unsupported format.`,
    );
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw invalid();
  }
  if (!p || typeof p !== "object" || Array.isArray(p)) throw invalid();
  const perm = p.redrivePermission;
  if (perm !== "allowAll" && perm !== "denyAll" && perm !== "byQueue") throw invalid();
  const arns = p.sourceQueueArns;
  if (perm === "byQueue") {
    if (!Array.isArray(arns) || arns.length < 1 || arns.length > 10 || !arns.every((a) => typeof a === "string" && parseArn(a))) throw invalid();
    return JSON.stringify({ redrivePermission: perm, sourceQueueArns: arns });
  }
  if (arns !== undefined) throw invalid();
  return JSON.stringify({ redrivePermission: perm });
}

/** Applies validated attributes onto a queue's stored attributes ("" removes). */
export function applyAttributes(target: Record<string, string>, attrs: Record<string, string>): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === "" && (k === "Policy" || k === "RedrivePolicy" || k === "RedriveAllowPolicy" || k === "KmsMasterKeyId")) delete target[k];
    else target[k] = v;
  }
  if (target.KmsMasterKeyId) {
    if (attrs.KmsMasterKeyId) target.SqsManagedSseEnabled = "false";
    target.KmsDataKeyReusePeriodSeconds ??= "300";
  } else {
    delete target.KmsDataKeyReusePeriodSeconds;
  }
  if (attrs.SqsManagedSseEnabled === "true" && !attrs.KmsMasterKeyId) {
    delete target.KmsMasterKeyId;
    delete target.KmsDataKeyReusePeriodSeconds;
  }
}

/** Every attribute of a queue, computed ones included. */
export function allAttributes(store: SqsStore, q: QueueRecord, now: number): Record<string, string> {
  expireMessages(store, q, now);
  const c = store.counts(q.id, now);
  return {
    QueueArn: queueArn(q),
    ApproximateNumberOfMessages: String(c.visible),
    ApproximateNumberOfMessagesNotVisible: String(c.inflight),
    ApproximateNumberOfMessagesDelayed: String(c.delayed),
    CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(q.modifiedAt / 1000)),
    ...q.attributes,
  };
}

export function GetQueueAttributes(input: GetQueueAttributesRequest, ctx: RequestContext): GetQueueAttributesResult {
  const { store, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  const names = input.AttributeNames ?? [];
  for (const n of names) if (!READABLE.has(n)) throw unknownAttribute(n);
  if (names.length === 0) return {};
  const all = allAttributes(store, q, now);
  if (names.includes("All")) return { Attributes: all };
  const out: Record<string, string> = {};
  for (const n of names) if (all[n] !== undefined) out[n] = all[n];
  return Object.keys(out).length > 0 ? { Attributes: out } : {};
}

export function SetQueueAttributes(input: SetQueueAttributesRequest, ctx: RequestContext): Record<string, never> {
  const { store, rt, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  const attrs = validateAttributes(store, (input.Attributes ?? {}) as Record<string, string>, q, "set");
  applyAttributes(q.attributes, attrs);
  q.modifiedAt = now;
  store.saveQueue(q);
  // A shorter visibility or delay does not change messages already hidden; waiters re-check anyway.
  rt.longPoll.notify(q.id);
  return {};
}
