// SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch: request-level checks
// (empty, more than 10 entries, ids well-formed and distinct, total size) fail the whole call;
// per-entry problems land in Failed with the entry's Id while the others succeed. Each batch
// commits in one transaction.
import type {
  BatchResultErrorEntry,
  ChangeMessageVisibilityBatchRequest,
  ChangeMessageVisibilityBatchResult,
  DeleteMessageBatchRequest,
  DeleteMessageBatchResult,
  SendMessageBatchRequest,
  SendMessageBatchResult,
  SendMessageBatchResultEntry,
} from "@aws-sdk/client-sqs";
import { AwsError, isAwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { invalidParameterValue, resolveQueue, sqs } from "../common.js";
import { rawEntrySize, type SendInput } from "../message-input.js";
import { changeVisibility, commitSend, deleteByReceipt, prepareSend, type PreparedSend } from "./messages.js";
import { DEFAULT_MAXIMUM_MESSAGE_SIZE } from "./attributes.js";

const MAX_ENTRIES = 10;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

function checkEntries(entries: Array<{ Id?: string }> | undefined, entryShape: string): void {
  if (!entries || entries.length === 0) {
    throw new AwsError("EmptyBatchRequest", `There should be at least one ${entryShape} in the request.`);
  }
  if (entries.length > MAX_ENTRIES) {
    throw new AwsError("TooManyEntriesInBatchRequest", `Maximum number of entries per request are ${MAX_ENTRIES}. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const e of entries) {
    const id = e.Id ?? "";
    if (!ENTRY_ID.test(id)) {
      throw new AwsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (seen.has(id)) throw new AwsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`);
    seen.add(id);
  }
}

/** A per-entry failure in AWS's shape: the query-protocol error code, sender fault, message. */
function failure(id: string, err: unknown): BatchResultErrorEntry {
  if (isAwsError(err)) {
    const code = err.code === "QueueDoesNotExist" ? "AWS.SimpleQueueService.NonExistentQueue" : err.code;
    return { Id: id, SenderFault: err.fault === "Sender", Code: code, Message: err.message };
  }
  return { Id: id, SenderFault: false, Code: "InternalError", Message: "We encountered an internal error. Please try again." };
}

export function SendMessageBatch(input: SendMessageBatchRequest, ctx: RequestContext): SendMessageBatchResult {
  const { store, rt, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  const entries = input.Entries;
  checkEntries(entries, "SendMessageBatchRequestEntry");
  const list = entries!;
  const total = list.reduce((n, e) => n + rawEntrySize(e as SendInput), 0);
  if (total > DEFAULT_MAXIMUM_MESSAGE_SIZE) {
    throw new AwsError("BatchRequestTooLong", `Batch requests cannot be longer than ${DEFAULT_MAXIMUM_MESSAGE_SIZE} bytes. You have sent ${total} bytes.`);
  }
  if (q.fifo) {
    // On FIFO queues these fail the whole request, not just the entry.
    for (const e of list) {
      if (e.MessageGroupId === undefined) throw invalidParameterValue("The request must contain the parameter MessageGroupId.");
      if (e.MessageDeduplicationId === undefined && q.attributes.ContentBasedDeduplication !== "true") {
        throw invalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      }
    }
  }

  const prepared: Array<{ id: string; p?: PreparedSend; err?: unknown }> = list.map((e) => {
    try {
      return { id: e.Id!, p: prepareSend(ctx, q, e as SendInput, now) };
    } catch (err) {
      return { id: e.Id!, err };
    }
  });
  const Successful: SendMessageBatchResultEntry[] = [];
  const Failed: BatchResultErrorEntry[] = [];
  store.tx(() => {
    for (const { id, p, err } of prepared) {
      if (!p) {
        Failed.push(failure(id, err));
        continue;
      }
      const r = commitSend(store, q, p, now);
      const ok: SendMessageBatchResultEntry = { Id: id, MessageId: r.MessageId, MD5OfMessageBody: p.md5Body };
      if (p.md5Attributes) ok.MD5OfMessageAttributes = p.md5Attributes;
      if (p.md5SystemAttributes) ok.MD5OfMessageSystemAttributes = p.md5SystemAttributes;
      if (r.SequenceNumber) ok.SequenceNumber = r.SequenceNumber;
      Successful.push(ok);
    }
  });
  if (Successful.length > 0) rt.longPoll.notify(q.id);
  return { Successful, Failed };
}

export function DeleteMessageBatch(input: DeleteMessageBatchRequest, ctx: RequestContext): DeleteMessageBatchResult {
  const { store, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  checkEntries(input.Entries, "DeleteMessageBatchRequestEntry");
  const result: DeleteMessageBatchResult = { Successful: [], Failed: [] };
  store.tx(() => {
    for (const e of input.Entries!) {
      try {
        deleteByReceipt(store, q, e.ReceiptHandle, now);
        result.Successful!.push({ Id: e.Id! });
      } catch (err) {
        result.Failed!.push(failure(e.Id!, err));
      }
    }
  });
  return result;
}

export function ChangeMessageVisibilityBatch(input: ChangeMessageVisibilityBatchRequest, ctx: RequestContext): ChangeMessageVisibilityBatchResult {
  const { store, rt, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  checkEntries(input.Entries, "ChangeMessageVisibilityBatchRequestEntry");
  const result: ChangeMessageVisibilityBatchResult = { Successful: [], Failed: [] };
  let wake = false;
  store.tx(() => {
    for (const e of input.Entries!) {
      try {
        if (changeVisibility(store, q, e.ReceiptHandle, e.VisibilityTimeout, now)) wake = true;
        result.Successful!.push({ Id: e.Id! });
      } catch (err) {
        result.Failed!.push(failure(e.Id!, err));
      }
    }
  });
  if (wake) rt.longPoll.notify(q.id);
  return result;
}
