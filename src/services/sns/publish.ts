// Publish and PublishBatch: validation as SNS does it (message size, Subject, MessageStructure
// json, message attributes, FIFO group and deduplication ids with the 5-minute window), then one
// durable delivery per confirmed subscription whose filter policy matches, in the same
// transaction (delivery.ts sends them).
import { createHash, randomUUID } from "node:crypto";
import type { PublishBatchInput, PublishInput } from "@aws-sdk/client-sns";
import { AwsError, isAwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";
import { invalidParameter, resolveTopic } from "./common.js";
import { filterMatches, type MessageAttribute, type Scope } from "./filter-policy.js";
import { enqueueDelivery } from "./delivery.js";
import { snsStatements, type DeliveryPayload, type SubscriptionDoc, type TopicDoc } from "./store.js";

/** SNS's maximum message size, attributes included: 256 KiB. */
const MAX_BYTES = 262_144;
const DEDUP_WINDOW_MS = 5 * 60_000;

interface Entry {
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Uint8Array }>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

function invalidValue(message: string): AwsError {
  return new AwsError("InvalidParameterValueException", message, 400);
}

function checkAttributes(attrs: Entry["MessageAttributes"]): { stored: Record<string, MessageAttribute>; bytes: number } {
  const stored: Record<string, MessageAttribute> = {};
  let bytes = 0;
  for (const [name, a] of Object.entries(attrs ?? {})) {
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..") || /^(aws\.|amazon\.)/i.test(name)) {
      throw invalidValue(`The message attribute name '${name}' is invalid.`); // TODO(parity): wording
    }
    const type = a.DataType ?? "";
    const base = type.split(".")[0];
    if (base !== "String" && base !== "Number" && base !== "Binary") {
      throw invalidValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    if (base === "Binary") {
      if (!a.BinaryValue || a.BinaryValue.length === 0) throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
      const b64 = Buffer.from(a.BinaryValue).toString("base64");
      stored[name] = { DataType: type, BinaryValue: b64 };
      bytes += name.length + type.length + a.BinaryValue.length;
      continue;
    }
    const v = a.StringValue;
    if (v === undefined || v === "") throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
    if (base === "Number" && !Number.isFinite(Number(v))) throw invalidValue(`An invalid or out-of-range value '${v}' was supplied for the message attribute '${name}'.`); // TODO(parity): wording
    if (type === "String.Array") {
      try {
        if (!Array.isArray(JSON.parse(v))) throw new Error();
      } catch {
        throw invalidValue(`The message attribute '${name}' with type 'String.Array' must use field 'String'.`); // TODO(parity): wording
      }
    }
    stored[name] = { DataType: type, StringValue: v };
    bytes += Buffer.byteLength(name) + type.length + Buffer.byteLength(v);
  }
  return { stored, bytes };
}

/** The message each protocol gets: MessageStructure=json picks the protocol's entry or "default". */
function messageFor(structure: Record<string, string> | undefined, message: string, protocol: string): string {
  if (!structure) return message;
  return structure[protocol] ?? structure.default;
}

/** Validates, deduplicates (FIFO) and fans out one message. */
function publishOne(ctx: RequestContext, topic: TopicDoc, store: DocStore, e: Entry): { MessageId: string; SequenceNumber?: string } {
  // 1. The message, its Subject and structure.
  const message = e.Message;
  if (message === undefined || message === "") throw invalidParameter("Invalid parameter: Empty message");
  if (e.Subject !== undefined && (e.Subject === "" || e.Subject.length > 100 || /[\r\n\t]/.test(e.Subject) || /^\s/.test(e.Subject) || !/^[\x20-\x7e]*$/.test(e.Subject))) {
    throw invalidParameter("Invalid parameter: Subject");
  }
  let structure: Record<string, string> | undefined;
  if (e.MessageStructure !== undefined) {
    if (e.MessageStructure !== "json") throw invalidParameter("Invalid parameter: MessageStructure");
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || typeof (parsed as Record<string, unknown>).default !== "string") {
      throw invalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body");
    }
    structure = parsed as Record<string, string>;
  }
  // 2. Attributes and the size limit, attributes included.
  const { stored: attributes, bytes } = checkAttributes(e.MessageAttributes);
  if (Buffer.byteLength(message, "utf8") + bytes > MAX_BYTES) throw invalidParameter("Invalid parameter: Message too long");
  // 3. FIFO: group and deduplication ids.
  let fifo: DeliveryPayload["fifo"];
  if (topic.fifo) {
    if (!e.MessageGroupId) throw invalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
    let dedupId = e.MessageDeduplicationId;
    if (!dedupId) {
      if (topic.attributes.ContentBasedDeduplication !== "true") throw invalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      dedupId = createHash("sha256").update(message).digest("hex");
    }
    fifo = { groupId: e.MessageGroupId, dedupId, sequence: "" };
  } else if (e.MessageDeduplicationId) {
    throw invalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type");
  }

  const now = ctx.clock.now();
  const messageId = randomUUID();
  const queued = store.tx(() => {
    let sequence: string | undefined;
    if (fifo) {
      const t = store.get<TopicDoc>("topic", topic.name)!;
      for (const [k, d] of Object.entries(t.dedup)) if (now - d.at >= DEDUP_WINDOW_MS) delete t.dedup[k];
      const seen = t.dedup[fifo.dedupId];
      if (seen) return { MessageId: seen.messageId, SequenceNumber: seen.sequence, deliveries: 0 };
      t.sequence++;
      sequence = String(t.sequence).padStart(20, "0");
      fifo.sequence = sequence;
      t.dedup[fifo.dedupId] = { at: now, messageId, sequence };
      store.put("topic", t.name, t);
    }
    // 4. One delivery per confirmed subscription whose filter policy lets the message through.
    let deliveries = 0;
    const timestamp = new Date(now).toISOString();
    for (const r of store.list<SubscriptionDoc>("sub", { prefix: `${topic.name}/` })) {
      const sub = r.doc;
      if (!sub.confirmed) continue;
      const forProtocol = messageFor(structure, message, sub.protocol);
      if (sub.attributes.FilterPolicy) {
        const scope = (sub.attributes.FilterPolicyScope as Scope | undefined) ?? "MessageAttributes";
        if (!filterMatches(JSON.parse(sub.attributes.FilterPolicy) as Record<string, unknown>, scope, attributes, forProtocol)) continue;
      }
      const payload: DeliveryPayload = {
        kind: "Notification",
        messageId,
        topicArn: topic.arn,
        ...(e.Subject !== undefined ? { subject: e.Subject } : {}),
        message: forProtocol,
        timestamp,
        ...(Object.keys(attributes).length ? { attributes } : {}),
        endpointBase: ctx.endpoint,
        ...(fifo ? { fifo } : {}),
        protocol: sub.protocol,
        endpoint: sub.endpoint,
        raw: sub.attributes.RawMessageDelivery === "true",
      };
      enqueueDelivery(ctx.db, sub.arn, payload, now);
      deliveries++;
    }
    return { MessageId: messageId, ...(sequence ? { SequenceNumber: sequence } : {}), deliveries };
  });
  return { MessageId: queued.MessageId, ...(queued.SequenceNumber ? { SequenceNumber: queued.SequenceNumber } : {}) };
}

export function Publish(input: PublishInput, ctx: RequestContext) {
  if (input.PhoneNumber !== undefined) {
    // SMS: recorded in the outbox, nothing is sent.
    if (!/^\+?[0-9]{5,15}$/.test(input.PhoneNumber)) throw invalidParameter("Invalid parameter: PhoneNumber Reason: +" + input.PhoneNumber + " is not valid to publish to");
    if (!input.Message) throw invalidParameter("Invalid parameter: Empty message");
    snsStatements(ctx.db).outbox.run("", "sms", input.PhoneNumber, input.Message, ctx.clock.now());
    return { MessageId: randomUUID() };
  }
  const arn = input.TopicArn ?? input.TargetArn;
  if (!arn) throw invalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
  if (input.TopicArn && input.TargetArn) throw invalidParameter("Invalid parameter: TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified"); // TODO(parity): wording
  const { topic, store } = resolveTopic(ctx, arn, input.TopicArn ? "TopicArn" : "TargetArn");
  if (!topic.fifo && input.MessageGroupId !== undefined) {
    throw invalidParameter("Invalid parameter: MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type");
  }
  return publishOne(ctx, topic, store, input as Entry);
}

export function PublishBatch(input: PublishBatchInput, ctx: RequestContext) {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  const entries = input.PublishBatchRequestEntries ?? [];
  if (entries.length === 0) throw new AwsError("EmptyBatchRequestException", "The batch request doesn't contain any entries.", 400);
  if (entries.length > 10) throw new AwsError("TooManyEntriesInBatchRequestException", "The batch request contains more entries than permissible.", 400);
  const ids = new Set<string>();
  let total = 0;
  for (const e of entries) {
    if (!e.Id || !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) throw new AwsError("InvalidBatchEntryIdException", "The Id of a batch entry in a batch request doesn't abide by the specification.", 400);
    if (ids.has(e.Id)) throw new AwsError("BatchEntryIdsNotDistinctException", "Two or more batch entries in the request have the same Id.", 400);
    ids.add(e.Id);
    total += Buffer.byteLength(e.Message ?? "", "utf8");
  }
  if (total > MAX_BYTES) throw new AwsError("BatchRequestTooLongException", "The length of all the messages put together is more than the limit.", 400);
  const Successful: Array<{ Id: string; MessageId: string; SequenceNumber?: string }> = [];
  const Failed: Array<{ Id: string; Code: string; Message: string; SenderFault: boolean }> = [];
  for (const e of entries) {
    try {
      if (!topic.fifo && e.MessageGroupId !== undefined) {
        throw invalidParameter("Invalid parameter: MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type");
      }
      Successful.push({ Id: e.Id!, ...publishOne(ctx, topic, store, e as Entry) });
    } catch (err) {
      if (!isAwsError(err)) throw err;
      const code = err.code === "InvalidParameterException" ? "InvalidParameter" : err.code === "InvalidParameterValueException" ? "InvalidParameterValue" : err.code;
      Failed.push({ Id: e.Id!, Code: code, Message: err.message, SenderFault: true });
    }
  }
  return { Successful, Failed };
}
