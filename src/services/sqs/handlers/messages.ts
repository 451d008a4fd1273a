// SendMessage, ReceiveMessage (with long polling), DeleteMessage, ChangeMessageVisibility, and
// the per-message steps the batch operations share.
import type {
  ChangeMessageVisibilityRequest,
  DeleteMessageRequest,
  Message,
  MessageAttributeValue,
  ReceiveMessageRequest,
  ReceiveMessageResult,
  SendMessageRequest,
  SendMessageResult,
} from "@aws-sdk/client-sqs";
import { createHash, randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { attrInt, intParam, invalidParameterValue, missingParameter, resolveQueue, resolveQueueForRead, sqs } from "../common.js";
import { md5Hex, md5OfAttributes, type AttributeValue } from "../md5.js";
import {
  loadAttributes,
  messageSize,
  storeAttributes,
  validateBody,
  validateFifoId,
  validateMessageAttributes,
  validateSystemAttributes,
  type SendInput,
} from "../message-input.js";
import { decodeReceipt } from "../receipt.js";
import { receive, type ReceivedMessage } from "../receive.js";
import type { MessageRow, NewMessage, QueueRecord, SqsStore } from "../store.js";

const DEDUP_WINDOW_MS = 5 * 60 * 1000;
const MAX_VISIBILITY = 43_200;

export interface PreparedSend {
  /** The row as stored, queue_id included (commitSend inserts it as it is: no copy per send). */
  message: NewMessage;
  dedupKey?: string;
  md5Body: string;
  md5Attributes?: string;
  md5SystemAttributes?: string;
}

/** FIFO sequence numbers: 20 digits, increasing with every message. */
export function sequenceNumber(seq: number): string {
  return (10n ** 19n + BigInt(seq)).toString();
}

/** Validates one message for queue q and prepares what will be stored; throws AwsError. */
export function prepareSend(ctx: RequestContext, q: Readonly<QueueRecord>, e: SendInput, now: number): PreparedSend {
  const body = validateBody(e.MessageBody);
  const attrs = validateMessageAttributes(e.MessageAttributes);
  const sys = validateSystemAttributes(e.MessageSystemAttributes);
  const max = attrInt(q, "MaximumMessageSize");
  if (messageSize(body, attrs) > max) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
  }
  validateFifoId("MessageGroupId", e.MessageGroupId);
  validateFifoId("MessageDeduplicationId", e.MessageDeduplicationId);

  let delay: number;
  let dedupId: string | undefined;
  let dedupKey: string | undefined;
  if (q.fifo) {
    if (e.DelaySeconds !== undefined && e.DelaySeconds !== 0) {
      throw invalidParameterValue(
        `Value ${e.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      );
    }
    if (e.MessageGroupId === undefined) throw missingParameter("MessageGroupId");
    dedupId = e.MessageDeduplicationId;
    if (dedupId === undefined) {
      if (q.attributes.ContentBasedDeduplication !== "true") {
        throw invalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      }
      dedupId = createHash("sha256").update(body, "utf8").digest("hex");
    }
    dedupKey = q.attributes.DeduplicationScope === "messageGroup" ? `${e.MessageGroupId}\n${dedupId}` : dedupId;
    delay = attrInt(q, "DelaySeconds");
  } else {
    if (e.MessageDeduplicationId !== undefined) {
      throw invalidParameterValue(
        `Value ${e.MessageDeduplicationId} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.`,
      );
    }
    delay = intParam("DelaySeconds", e.DelaySeconds, 0, 900, "DelaySeconds must be >= 0 and <= 900.") ?? attrInt(q, "DelaySeconds");
  }

  // AWSTraceHeader: given explicitly, or taken from an X-Ray trace header on the request.
  let stored = sys;
  const trace = ctx.headers["x-amzn-trace-id"];
  if (!stored?.AWSTraceHeader && trace) stored = { ...(stored ?? {}), AWSTraceHeader: { DataType: "String", StringValue: trace } };

  const md5Body = md5Hex(body);
  return {
    message: {
      queue_id: q.id,
      message_id: randomUUID(),
      body,
      md5_body: md5Body,
      attrs: storeAttributes(attrs),
      sys_attrs: storeAttributes(stored),
      sender_id: ctx.principal.userId,
      sent_at: now,
      enqueued_at: now,
      visible_at: now + delay * 1000,
      group_id: e.MessageGroupId ?? null,
      dedup_id: q.fifo ? (dedupId ?? null) : null,
      dlq_source_arn: null,
    },
    dedupKey,
    md5Body,
    md5Attributes: md5OfAttributes(attrs),
    md5SystemAttributes: md5OfAttributes(sys),
  };
}

/** Stores a prepared message (FIFO: inside a transaction; standard: one INSERT); a FIFO duplicate returns the original's ids. */
export function commitSend(store: SqsStore, q: Readonly<QueueRecord>, p: PreparedSend, now: number): { MessageId: string; SequenceNumber?: string } {
  if (q.fifo && p.dedupKey !== undefined) {
    const hit = store.dedup(q.id, p.dedupKey, now);
    if (hit) return { MessageId: hit.message_id, SequenceNumber: sequenceNumber(hit.seq) };
  }
  const seq = store.insertMessage(p.message);
  if (!q.fifo) return { MessageId: p.message.message_id };
  store.putDedup(q.id, p.dedupKey!, p.message.message_id, seq, now + DEDUP_WINDOW_MS, now);
  return { MessageId: p.message.message_id, SequenceNumber: sequenceNumber(seq) };
}

export function SendMessage(input: SendMessageRequest, ctx: RequestContext): SendMessageResult {
  const { store, rt, now } = sqs(ctx);
  const q = resolveQueueForRead(ctx, store, input.QueueUrl);
  const p = prepareSend(ctx, q, input as SendInput, now);
  // A standard queue's send is one INSERT, atomic and fsynced on its own (autocommit): no
  // BEGIN/COMMIT round. A FIFO send reads and writes its deduplication entry in one transaction.
  const r = q.fifo ? store.tx(() => commitSend(store, q, p, now)) : commitSend(store, q, p, now);
  rt.longPoll.notify(q.id);
  const out: SendMessageResult = { MD5OfMessageBody: p.md5Body, MessageId: r.MessageId };
  if (p.md5Attributes) out.MD5OfMessageAttributes = p.md5Attributes;
  if (p.md5SystemAttributes) out.MD5OfMessageSystemAttributes = p.md5SystemAttributes;
  if (r.SequenceNumber) out.SequenceNumber = r.SequenceNumber;
  return out;
}

// ---- receive ----

function systemAttributes(q: QueueRecord, row: MessageRow, names: Set<string>): Record<string, string> | undefined {
  if (names.size === 0) return undefined;
  const all: Record<string, string> = {
    SenderId: row.sender_id,
    SentTimestamp: String(row.sent_at),
    ApproximateReceiveCount: String(row.receive_count),
    ApproximateFirstReceiveTimestamp: String(row.first_receive_at ?? row.received_at ?? row.sent_at),
  };
  if (q.fifo) {
    all.SequenceNumber = sequenceNumber(row.seq);
    if (row.dedup_id !== null) all.MessageDeduplicationId = row.dedup_id;
  }
  if (row.group_id !== null) all.MessageGroupId = row.group_id;
  const trace = loadAttributes(row.sys_attrs).AWSTraceHeader?.StringValue;
  if (trace !== undefined) all.AWSTraceHeader = trace;
  if (row.dlq_source_arn !== null) all.DeadLetterQueueSourceArn = row.dlq_source_arn;
  if (names.has("All")) return all;
  const out: Record<string, string> = {};
  for (const n of names) if (all[n] !== undefined) out[n] = all[n];
  return Object.keys(out).length > 0 ? out : undefined;
}

/** MessageAttributeNames filter: All, .*, exact names, and prefixes written as "name.*". */
function selectAttributes(attrs: Record<string, AttributeValue>, names: string[] | undefined): Record<string, AttributeValue> {
  if (!names || names.length === 0) return {};
  if (names.includes("All") || names.includes(".*")) return attrs;
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(attrs)) {
    for (const n of names) {
      // "prefix.*" matches every name starting with "prefix" (AWS matches "He.*" to Hello and Help.Me).
      if (n === k || (n.endsWith(".*") && k.startsWith(n.slice(0, -2)))) {
        out[k] = v;
        break;
      }
    }
  }
  return out;
}

export function toMessage(q: QueueRecord, m: ReceivedMessage, sysNames: Set<string>, attrNames: string[] | undefined): Message {
  const row = m.row;
  const out: Message = { MessageId: row.message_id, ReceiptHandle: m.receiptHandle, MD5OfBody: row.md5_body, Body: row.body };
  const sys = systemAttributes(q, row, sysNames);
  if (sys) out.Attributes = sys;
  const attrs = selectAttributes(loadAttributes(row.attrs), attrNames);
  if (Object.keys(attrs).length > 0) {
    out.MD5OfMessageAttributes = md5OfAttributes(attrs);
    out.MessageAttributes = attrs as Record<string, MessageAttributeValue>;
  }
  return out;
}

export async function ReceiveMessage(input: ReceiveMessageRequest, ctx: RequestContext): Promise<ReceiveMessageResult> {
  const { store, rt } = sqs(ctx);
  let q = resolveQueue(ctx, store, input.QueueUrl);
  const max = intParam("MaxNumberOfMessages", input.MaxNumberOfMessages, 1, 10, "Must be between 1 and 10, if provided.") ?? 1;
  const vtParam = intParam("VisibilityTimeout", input.VisibilityTimeout, 0, MAX_VISIBILITY, "Must be >= 0 and <= 43200, if provided.");
  const waitParam = intParam("WaitTimeSeconds", input.WaitTimeSeconds, 0, 20, "Must be >= 0 and <= 20, if provided.");
  const attemptId = input.ReceiveRequestAttemptId;
  if (attemptId !== undefined && !/^[\x21-\x7e]{1,128}$/.test(attemptId)) {
    throw invalidParameterValue(
      `Value ${attemptId} for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
  const sysNames = new Set<string>([...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])]);
  const wait = waitParam ?? attrInt(q, "ReceiveMessageWaitTimeSeconds");
  const deadline = performance.now() + wait * 1000;

  for (;;) {
    const now = ctx.clock.now();
    const outcome = receive(store, q, {
      max,
      visibilityTimeout: vtParam ?? attrInt(q, "VisibilityTimeout"),
      now,
      attemptId: q.fifo ? attemptId : undefined,
    });
    for (const id of outcome.touched) rt.longPoll.notify(id);
    if (outcome.messages.length > 0) return { Messages: outcome.messages.map((m) => toMessage(q, m, sysNames, input.MessageAttributeNames)) };

    const remaining = deadline - performance.now();
    if (remaining <= 0 || rt.longPoll.isClosed) break;
    // Sleep until a send wakes us, the clock moves, the next hidden message shows, or time is up.
    const next = store.nextVisibleAt(q.id, now);
    await rt.longPoll.wait(q.id, next === undefined ? remaining : Math.min(remaining, Math.max(0, next - ctx.clock.now()) + 1));
    const again = store.queueById(q.id);
    if (!again) break;
    q = again;
  }
  return { Messages: [] };
}

// ---- delete and visibility ----

function invalidReceipt(handle: string): AwsError {
  return new AwsError("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`);
}

function expiredReceipt(handle: string): AwsError {
  return invalidParameterValue(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
}

/** Deletes the message a receipt handle names (call inside a transaction). */
export function deleteByReceipt(store: SqsStore, q: QueueRecord, handle: string | undefined, now: number): void {
  if (handle === undefined || handle === "") throw missingParameter("ReceiptHandle");
  const r = decodeReceipt(handle);
  if (!r || r.queueId !== q.id) throw invalidReceipt(handle);
  const row = store.message(q.id, r.seq);
  // Deleting an already deleted message succeeds, as on AWS.
  if (!row) return;
  // Standard queues honour any handle the message was ever received with; FIFO only the
  // current one, and only while the message is still in flight.
  if (q.fifo && (row.receipt !== r.nonce || row.visible_at <= now)) throw expiredReceipt(handle);
  store.deleteMessage(row.seq);
}

/** Changes the visibility of the message a receipt handle names; true when it became visible now. */
export function changeVisibility(store: SqsStore, q: QueueRecord, handle: string | undefined, timeout: number | undefined, now: number): boolean {
  if (handle === undefined || handle === "") throw missingParameter("ReceiptHandle");
  if (timeout === undefined || timeout === null) throw missingParameter("VisibilityTimeout");
  const r = decodeReceipt(handle);
  if (!r || r.queueId !== q.id) throw invalidReceipt(handle);
  const row = store.message(q.id, r.seq);
  if (!row || row.receive_count === 0) {
    throw invalidParameterValue(
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    );
  }
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_VISIBILITY) {
    throw invalidParameterValue(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
  }
  // A message whose visibility already expired is not in flight: AWS answers 200 and changes nothing.
  if (row.visible_at <= now) return false;
  if (q.fifo && row.receipt !== r.nonce) throw expiredReceipt(handle);
  const since = row.received_at ?? now;
  if ((now - since) / 1000 + timeout > MAX_VISIBILITY) {
    throw invalidParameterValue(
      `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
    );
  }
  store.setVisibleAt(row.seq, now + timeout * 1000);
  return timeout === 0;
}

export function DeleteMessage(input: DeleteMessageRequest, ctx: RequestContext): Record<string, never> {
  const { store, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  store.tx(() => deleteByReceipt(store, q, input.ReceiptHandle, now));
  return {};
}

export function ChangeMessageVisibility(input: ChangeMessageVisibilityRequest, ctx: RequestContext): Record<string, never> {
  const { store, rt, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  const visibleNow = store.tx(() => changeVisibility(store, q, input.ReceiptHandle, input.VisibilityTimeout, now));
  if (visibleNow) rt.longPoll.notify(q.id);
  return {};
}
