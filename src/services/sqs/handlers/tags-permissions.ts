// Queue tags (TagQueue, UntagQueue, ListQueueTags, tags on CreateQueue) and the legacy
// permission API (AddPermission, RemovePermission), which edits statements of the queue's
// Policy document by label (the statement Sid).
import type { AddPermissionRequest, ListQueueTagsRequest, ListQueueTagsResult, RemovePermissionRequest, TagQueueRequest, UntagQueueRequest } from "@aws-sdk/client-sqs";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { invalidParameterValue, queueArn, resolveQueue, sqs } from "../common.js";

const MAX_TAGS = 50;

export function validateTags(tags: Record<string, string>): void {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) throw invalidParameterValue(`Too many tags added for queue. Maximum allowed is ${MAX_TAGS}.`);
  for (const k of keys) {
    if (k.length < 1 || k.length > 128) throw invalidParameterValue(`Tag key must be between 1 and 128 characters: ${k}`);
    if (k.toLowerCase().startsWith("aws:")) throw invalidParameterValue(`Tag keys starting with "aws:" are reserved: ${k}`);
    const v = tags[k] ?? "";
    if (v.length > 256) throw invalidParameterValue(`Tag value must be at most 256 characters: ${k}`);
  }
}

export function TagQueue(input: TagQueueRequest, ctx: RequestContext): Record<string, never> {
  const { store } = sqs(ctx);
  store.tx(() => {
    const q = resolveQueue(ctx, store, input.QueueUrl);
    const tags = { ...q.tags, ...(input.Tags ?? {}) };
    validateTags(tags);
    q.tags = tags;
    store.saveQueue(q);
  });
  return {};
}

export function UntagQueue(input: UntagQueueRequest, ctx: RequestContext): Record<string, never> {
  const { store } = sqs(ctx);
  store.tx(() => {
    const q = resolveQueue(ctx, store, input.QueueUrl);
    for (const k of input.TagKeys ?? []) delete q.tags[k];
    store.saveQueue(q);
  });
  return {};
}

export function ListQueueTags(input: ListQueueTagsRequest, ctx: RequestContext): ListQueueTagsResult {
  const { store } = sqs(ctx);
  const q = resolveQueue(ctx, store, input.QueueUrl);
  return Object.keys(q.tags).length > 0 ? { Tags: { ...q.tags } } : {};
}

/** Actions AddPermission accepts (without the SQS: prefix). */
const ACTIONS = new Set([
  "*",
  "SendMessage",
  "ReceiveMessage",
  "DeleteMessage",
  "ChangeMessageVisibility",
  "GetQueueAttributes",
  "GetQueueUrl",
  "ListDeadLetterSourceQueues",
  "PurgeQueue",
  "ListQueueTags",
  "SendMessageBatch",
  "DeleteMessageBatch",
  "ChangeMessageVisibilityBatch",
]);
const LABEL = /^[A-Za-z0-9_-]{1,80}$/;

interface PolicyDoc {
  Version?: string;
  Id?: string;
  Statement?: Array<Record<string, unknown>>;
}

export function AddPermission(input: AddPermissionRequest, ctx: RequestContext): Record<string, never> {
  const { store, now } = sqs(ctx);
  const label = input.Label ?? "";
  const accounts = input.AWSAccountIds ?? [];
  const actions = input.Actions ?? [];
  if (!LABEL.test(label)) {
    throw invalidParameterValue(`Value ${label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.`);
  }
  if (accounts.length === 0) throw new AwsError("MissingParameter", "The request must contain the parameter AWSAccountIds.", 400);
  if (actions.length === 0) throw new AwsError("MissingParameter", "The request must contain the parameter Actions.", 400);
  if (actions.length > 7) throw new AwsError("OverLimit", `${actions.length} Actions were found, maximum allowed is 7.`);
  for (const a of actions) {
    if (!ACTIONS.has(a)) {
      throw invalidParameterValue(`Value SQS:${a} for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. `);
    }
  }
  for (const id of accounts) {
    if (!/^\d{12}$/.test(id)) throw invalidParameterValue(`Value [${id}] for parameter PrincipalId is invalid. Reason: Unable to verify.`);
  }
  store.tx(() => {
    const q = resolveQueue(ctx, store, input.QueueUrl);
    const arn = queueArn(q);
    const policy: PolicyDoc = q.attributes.Policy ? (JSON.parse(q.attributes.Policy) as PolicyDoc) : { Version: "2008-10-17", Id: `${arn}/SQSDefaultPolicy`, Statement: [] };
    policy.Statement ??= [];
    if (policy.Statement.some((s) => s.Sid === label)) {
      throw invalidParameterValue(`Value ${label} for parameter Label is invalid. Reason: Already exists.`);
    }
    const principals = accounts.map((a) => `arn:aws:iam::${a}:root`);
    const sqsActions = actions.map((a) => `SQS:${a}`);
    policy.Statement.push({
      Sid: label,
      Effect: "Allow",
      Principal: { AWS: principals.length === 1 ? principals[0] : principals },
      Action: sqsActions.length === 1 ? sqsActions[0] : sqsActions,
      Resource: arn,
    });
    q.attributes.Policy = JSON.stringify(policy);
    q.modifiedAt = now;
    store.saveQueue(q);
  });
  return {};
}

export function RemovePermission(input: RemovePermissionRequest, ctx: RequestContext): Record<string, never> {
  const { store, now } = sqs(ctx);
  const label = input.Label ?? "";
  store.tx(() => {
    const q = resolveQueue(ctx, store, input.QueueUrl);
    const policy: PolicyDoc = q.attributes.Policy ? (JSON.parse(q.attributes.Policy) as PolicyDoc) : { Statement: [] };
    const statements = policy.Statement ?? [];
    if (!statements.some((s) => s.Sid === label)) {
      throw invalidParameterValue(`Value ${label} for parameter Label is invalid. Reason: can't find label.`);
    }
    policy.Statement = statements.filter((s) => s.Sid !== label);
    if (policy.Statement.length > 0) q.attributes.Policy = JSON.stringify(policy);
    else delete q.attributes.Policy;
    q.modifiedAt = now;
    store.saveQueue(q);
  });
  return {};
}
