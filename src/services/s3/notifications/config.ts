// A bucket's notification configuration as stored (member `notification` of the bucket's own
// document, so DeleteBucket drops it with the bucket), AWS's validation of a new one, and which
// destinations an event reaches.
import { AwsError } from "../../../core/errors.js";

export type TargetType = "sqs" | "sns" | "lambda";

export interface StoredRule {
  id: string;
  type: TargetType;
  arn: string;
  /** Event names as configured, e.g. "s3:ObjectCreated:*". */
  events: string[];
  prefix?: string;
  suffix?: string;
}

export interface StoredNotification {
  rules: StoredRule[];
  /** EventBridgeConfiguration present: every S3 event also goes to the default event bus (eventbridge.ts). */
  eventBridge?: boolean;
}

/** Event types S3 accepts in a notification configuration (S3 User Guide, "Supported event types"). */
export const EVENT_TYPES = new Set([
  "s3:TestEvent",
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectRestore:*",
  "s3:ObjectRestore:Post",
  "s3:ObjectRestore:Completed",
  "s3:ObjectRestore:Delete",
  "s3:ReducedRedundancyLostObject",
  "s3:Replication:*",
  "s3:Replication:OperationFailedReplication",
  "s3:Replication:OperationNotTracked",
  "s3:Replication:OperationMissedThreshold",
  "s3:Replication:OperationReplicatedAfterThreshold",
  "s3:LifecycleExpiration:*",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:LifecycleTransition",
  "s3:IntelligentTiering",
  "s3:ObjectTagging:*",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
  "s3:ObjectAcl:Put",
]);

/** Whether configured event type `pattern` ("s3:ObjectCreated:*") covers event `name` ("ObjectCreated:Put"). */
export function eventMatches(pattern: string, name: string): boolean {
  const p = pattern.startsWith("s3:") ? pattern.slice(3) : pattern;
  if (p.endsWith(":*")) return name.startsWith(p.slice(0, -1));
  return p === name;
}

/** Two configured event types that can match a common event. */
function eventsOverlap(a: string, b: string): boolean {
  const x = a.slice(3);
  const y = b.slice(3);
  if (x === y) return true;
  if (x.endsWith(":*") && y.startsWith(x.slice(0, -1))) return true;
  if (y.endsWith(":*") && x.startsWith(y.slice(0, -1))) return true;
  return false;
}

/** The rules an event reaches: its type among the rule's events, its key within the filters. */
export function matchingRules(n: StoredNotification, eventName: string, key: string): StoredRule[] {
  const out: StoredRule[] = [];
  for (const r of n.rules) {
    if (r.prefix !== undefined && !key.startsWith(r.prefix)) continue;
    if (r.suffix !== undefined && !key.endsWith(r.suffix)) continue;
    if (r.events.some((e) => eventMatches(e, eventName))) out.push(r);
  }
  return out;
}

function invalidArgument(message: string, name?: string, value?: string): AwsError {
  const fields: Record<string, string> = {};
  if (name !== undefined) fields.ArgumentName = name;
  if (value !== undefined) fields.ArgumentValue = value;
  return new AwsError("InvalidArgument", message, 400, { fields });
}

interface InputRule {
  Id?: string;
  Events?: string[];
  Filter?: { Key?: { FilterRules?: Array<{ Name?: string; Value?: string }> } };
  QueueArn?: string;
  TopicArn?: string;
  LambdaFunctionArn?: string;
}

export interface NotificationInput {
  QueueConfigurations?: InputRule[];
  TopicConfigurations?: InputRule[];
  LambdaFunctionConfigurations?: InputRule[];
  EventBridgeConfiguration?: Record<string, never>;
}

const ARN = {
  sqs: /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(?:\.fifo)?$/,
  sns: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(?:\.fifo)?$/,
  lambda: /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?$/,
};

/**
 * Validates a PutBucketNotificationConfiguration body as S3 does:
 *   1. each rule's destination ARN is well formed for its kind;
 *   2. each event type is one S3 knows, at least one per rule;
 *   3. filter rules are "prefix"/"suffix" (any case), at most one of each;
 *   4. ids are unique (a missing id gets a generated one);
 *   5. no two rules overlap: a common event type with overlapping prefixes and suffixes.
 */
export function parseNotification(input: NotificationInput): StoredNotification {
  const rules: StoredRule[] = [];
  const kinds: Array<[TargetType, InputRule[] | undefined, "QueueArn" | "TopicArn" | "LambdaFunctionArn"]> = [
    ["sqs", input.QueueConfigurations, "QueueArn"],
    ["sns", input.TopicConfigurations, "TopicArn"],
    ["lambda", input.LambdaFunctionConfigurations, "LambdaFunctionArn"],
  ];
  for (const [type, list, arnMember] of kinds) {
    for (const r of list ?? []) {
      // 1.
      const arn = r[arnMember] ?? "";
      if (!ARN[type].test(arn)) throw invalidArgument("The ARN is not well formed", arnMember === "LambdaFunctionArn" ? "CloudFunction" : arnMember === "QueueArn" ? "Queue" : "Topic", arn);
      // 2.
      const events = r.Events ?? [];
      if (events.length === 0) throw invalidArgument("Event is required", "Event", "");
      for (const e of events) if (!EVENT_TYPES.has(e)) throw invalidArgument("The event is not supported for notifications", "Event", e);
      // 3.
      const rule: StoredRule = { id: r.Id ?? "", type, arn, events: [...new Set(events)] };
      for (const f of r.Filter?.Key?.FilterRules ?? []) {
        const name = (f.Name ?? "").toLowerCase();
        if (name !== "prefix" && name !== "suffix") throw invalidArgument("filter rule name must be either prefix or suffix", "FilterRule", f.Name ?? "");
        if (rule[name] !== undefined) throw invalidArgument(`Cannot specify more than one ${name} rule in a filter.`, "FilterRule", f.Name ?? "");
        if (Buffer.byteLength(f.Value ?? "") > 1024) throw invalidArgument("The filter value is too long", "FilterRule", f.Value ?? "");
        rule[name] = f.Value ?? "";
      }
      if (rule.prefix === "") delete rule.prefix;
      if (rule.suffix === "") delete rule.suffix;
      rules.push(rule);
    }
  }
  // 4.
  const ids = new Set<string>();
  for (const r of rules) {
    if (r.id === "") r.id = generatedId();
    if (ids.has(r.id)) throw invalidArgument("Duplicate notification configuration ID", "Id", r.id);
    if (Buffer.byteLength(r.id) > 1024) throw invalidArgument("The ID is too long", "Id", r.id);
    ids.add(r.id);
  }
  // 5.
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i];
      const b = rules[j];
      if (!a.events.some((x) => b.events.some((y) => eventsOverlap(x, y)))) continue;
      const prefixesOverlap = a.prefix === undefined || b.prefix === undefined || a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
      const suffixesOverlap = a.suffix === undefined || b.suffix === undefined || a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
      if (prefixesOverlap && suffixesOverlap) {
        throw invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.", "Event", a.events.find((x) => b.events.some((y) => eventsOverlap(x, y)))!);
      }
    }
  }
  const out: StoredNotification = { rules };
  if (input.EventBridgeConfiguration !== undefined) out.eventBridge = true;
  return out;
}

/** S3 names a configuration without an Id with a random base64-like string. */
function generatedId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < 48; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** The configuration as GetBucketNotificationConfiguration answers it. */
export function toOutput(n: StoredNotification | undefined): NotificationInput {
  const out: NotificationInput = {};
  if (!n) return out;
  for (const r of n.rules) {
    const filterRules = [
      ...(r.prefix !== undefined ? [{ Name: "Prefix", Value: r.prefix }] : []),
      ...(r.suffix !== undefined ? [{ Name: "Suffix", Value: r.suffix }] : []),
    ];
    const base: InputRule = { Id: r.id, Events: r.events, ...(filterRules.length ? { Filter: { Key: { FilterRules: filterRules } } } : {}) };
    if (r.type === "sqs") (out.QueueConfigurations ??= []).push({ ...base, QueueArn: r.arn });
    else if (r.type === "sns") (out.TopicConfigurations ??= []).push({ ...base, TopicArn: r.arn });
    else (out.LambdaFunctionConfigurations ??= []).push({ ...base, LambdaFunctionArn: r.arn });
  }
  if (n.eventBridge) out.EventBridgeConfiguration = {};
  return out;
}
