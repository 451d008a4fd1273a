// Queue lifecycle: CreateQueue (idempotent for equal attributes), GetQueueUrl, ListQueues,
// DeleteQueue (the name is blocked for 60 seconds), PurgeQueue (once per 60 seconds) and
// ListDeadLetterSourceQueues.
import type {
  CreateQueueRequest,
  CreateQueueResult,
  DeleteQueueRequest,
  GetQueueUrlRequest,
  GetQueueUrlResult,
  ListDeadLetterSourceQueuesRequest,
  ListDeadLetterSourceQueuesResult,
  ListQueuesRequest,
  ListQueuesResult,
  PurgeQueueRequest,
} from "@aws-sdk/client-sqs";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import {
  decodeToken,
  encodeToken,
  invalidParameterValue,
  maxResults,
  missingParameter,
  queueArn,
  queueDoesNotExist,
  queueUrl,
  resolveQueue,
  sqs,
} from "../common.js";
import { redrivePolicyOf } from "../redrive.js";
import { applyAttributes, defaultAttributes, validateAttributes } from "./attributes.js";
import { validateTags } from "./tags-permissions.js";

const DELETED_RECENTLY_MS = 60_000;
const PURGE_INTERVAL_MS = 60_000;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

function validateQueueName(name: string, fifo: boolean): void {
  if (name.endsWith(".fifo")) {
    // The .fifo suffix counts towards the 80 characters.
    if (fifo && NAME.test(name.slice(0, -5) + "_fifo")) return;
    if (!fifo) throw invalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  } else if (!fifo && NAME.test(name)) {
    return;
  }
  if (fifo) {
    throw invalidParameterValue(
      "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
    );
  }
  throw invalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
}

export function CreateQueue(input: CreateQueueRequest, ctx: RequestContext): CreateQueueResult {
  const { store, now } = sqs(ctx);
  const name = input.QueueName;
  if (name === undefined) throw missingParameter("QueueName");
  const given = (input.Attributes ?? {}) as Record<string, string>;
  const fifo = String(given.FifoQueue ?? "").toLowerCase() === "true";
  validateQueueName(name, fifo);
  const where = { account: ctx.accountId, region: ctx.region, name, fifo };
  const attrs = validateAttributes(store, given, where, "create");
  const tags = input.tags ?? {};
  validateTags(tags);

  return store.tx(() => {
    const existing = store.queue(ctx.accountId, ctx.region, name);
    if (existing) {
      // Idempotent when every attribute given equals the queue's; tags are not compared.
      const current = { ...existing.attributes };
      for (const [k, v] of Object.entries(attrs)) {
        const have = current[k] ?? (k === "Policy" || k === "RedrivePolicy" || k === "RedriveAllowPolicy" || k === "KmsMasterKeyId" ? "" : undefined);
        if (have !== v) {
          throw new AwsError("QueueNameExists", `A queue already exists with the same name and a different value for attribute ${k}`);
        }
      }
      if (existing.fifo !== fifo) {
        throw new AwsError("QueueNameExists", "A queue already exists with the same name and a different value for attribute FifoQueue");
      }
      return { QueueUrl: queueUrl(ctx, existing) };
    }
    const deletedAt = store.deletedAt(ctx.accountId, ctx.region, name);
    if (deletedAt !== undefined && now - deletedAt < DELETED_RECENTLY_MS) {
      throw new AwsError("QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.");
    }
    const attributes = defaultAttributes(fifo);
    applyAttributes(attributes, attrs);
    const q = store.createQueue({ ...where, attributes, tags: { ...tags }, createdAt: now, modifiedAt: now });
    return { QueueUrl: queueUrl(ctx, q) };
  });
}

export function GetQueueUrl(input: GetQueueUrlRequest, ctx: RequestContext): GetQueueUrlResult {
  const { store } = sqs(ctx);
  if (input.QueueName === undefined) throw missingParameter("QueueName");
  const owner = input.QueueOwnerAWSAccountId ?? ctx.accountId;
  const q = store.queue(owner, ctx.region, input.QueueName);
  if (!q) throw queueDoesNotExist(ctx);
  return { QueueUrl: queueUrl(ctx, q) };
}

export function ListQueues(input: ListQueuesRequest, ctx: RequestContext): ListQueuesResult {
  const { store } = sqs(ctx);
  const limit = maxResults(input.MaxResults);
  const after = decodeToken(input.NextToken);
  const prefix = input.QueueNamePrefix ?? "";
  // Without MaxResults AWS returns up to 1,000 queues and no token.
  const page = store.listQueues(ctx.accountId, ctx.region, prefix, after, (limit ?? 1000) + (limit ? 1 : 0));
  const more = limit !== undefined && page.length > limit;
  const shown = more ? page.slice(0, limit) : page;
  const out: ListQueuesResult = {};
  if (shown.length > 0) out.QueueUrls = shown.map((q) => queueUrl(ctx, q));
  if (more) out.NextToken = encodeToken(shown[shown.length - 1].name);
  return out;
}

export function DeleteQueue(input: DeleteQueueRequest, ctx: RequestContext): Record<string, never> {
  const { store, rt, now } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  store.deleteQueue(q, now);
  rt.longPoll.notify(q.id);
  return {};
}

export function PurgeQueue(input: PurgeQueueRequest, ctx: RequestContext): Record<string, never> {
  const { store, now } = sqs(ctx);
  store.tx(() => {
    const q = resolveQueue(ctx, store, input.QueueUrl);
    if (q.purgedAt !== null && now - q.purgedAt < PURGE_INTERVAL_MS) {
      throw new AwsError("PurgeQueueInProgress", `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    }
    store.purge(q.id);
    q.purgedAt = now;
    store.saveQueue(q);
  });
  return {};
}

export function ListDeadLetterSourceQueues(input: ListDeadLetterSourceQueuesRequest, ctx: RequestContext): ListDeadLetterSourceQueuesResult {
  const { store } = sqs(ctx);
  const dlq = resolveQueue(ctx, store, input.QueueUrl);
  const limit = maxResults(input.MaxResults);
  const arn = queueArn(dlq);
  const urls: string[] = [];
  let after = decodeToken(input.NextToken);
  let more = false;
  // TODO(perf): a scan of the account's queues; an index on the redrive target would avoid it.
  for (;;) {
    const page = store.listQueues(ctx.accountId, ctx.region, "", after, 500);
    if (page.length === 0) break;
    for (const q of page) {
      after = q.name;
      if (redrivePolicyOf(q)?.deadLetterTargetArn !== arn) continue;
      if (limit !== undefined && urls.length === limit) {
        more = true;
        break;
      }
      urls.push(queueUrl(ctx, q));
    }
    if (more) break;
  }
  const out: ListDeadLetterSourceQueuesResult = { queueUrls: urls };
  if (more) {
    const last = urls[urls.length - 1];
    out.NextToken = encodeToken(last.slice(last.lastIndexOf("/") + 1));
  }
  return out;
}
