// Topics: CreateTopic (standard and FIFO, idempotent), DeleteTopic, ListTopics, Get/SetTopicAttributes,
// tags, and the legacy AddPermission / RemovePermission that edit the topic policy by label.
import type { AddPermissionInput, CreateTopicInput, DeleteTopicInput, GetTopicAttributesInput, ListTagsForResourceRequest, ListTopicsInput, RemovePermissionInput, SetTopicAttributesInput, TagResourceRequest, UntagResourceRequest } from "@aws-sdk/client-sns";
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import { DEFAULT_HTTP_POLICY, decodeToken, encodeToken, invalidParameter, resolveTopic } from "./common.js";
import { defaultTopicPolicy, validateTopicPolicy } from "./topic-policy.js";
import { parseSnsArn, scopeStore, topicArn, type SubscriptionDoc, type TopicDoc } from "./store.js";

const NAME = /^[A-Za-z0-9_-]{1,256}$/;
/** Attributes CreateTopic and SetTopicAttributes accept (SNS API reference, SetTopicAttributes). */
const SETTABLE = new Set([
  "DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion", "ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy",
  "ApplicationSuccessFeedbackRoleArn", "ApplicationSuccessFeedbackSampleRate", "ApplicationFailureFeedbackRoleArn",
  "HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate", "HTTPFailureFeedbackRoleArn",
  "LambdaSuccessFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate", "LambdaFailureFeedbackRoleArn",
  "SQSSuccessFeedbackRoleArn", "SQSSuccessFeedbackSampleRate", "SQSFailureFeedbackRoleArn",
  "FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate", "FirehoseFailureFeedbackRoleArn",
]);
const MAX_TAGS = 50;

/** One attribute value as AWS checks it; returns the value to store. */
function checkAttribute(name: string, value: string, fifo: boolean, creating: boolean): string {
  if (name === "FifoTopic") {
    if (!creating) throw invalidParameter("Invalid parameter: AttributeName");
    return value;
  }
  if (!SETTABLE.has(name)) throw invalidParameter("Invalid parameter: AttributeName");
  switch (name) {
    case "Policy":
      return validateTopicPolicy(value);
    case "DeliveryPolicy":
      try {
        if (typeof JSON.parse(value) !== "object") throw new Error();
      } catch {
        throw invalidParameter("Invalid parameter: DeliveryPolicy: failed to parse JSON.");
      }
      return value;
    case "SignatureVersion":
      if (value !== "1" && value !== "2") throw invalidParameter("Invalid parameter: SignatureVersion");
      return value;
    case "ContentBasedDeduplication":
      if (!fifo) throw invalidParameter("Invalid parameter: ContentBasedDeduplication: Content-based deduplication can only be set for FIFO topics"); // TODO(parity): wording
      if (value !== "true" && value !== "false") throw invalidParameter("Invalid parameter: ContentBasedDeduplication");
      return value;
    case "DisplayName":
      if (value.length > 100) throw invalidParameter("Invalid parameter: DisplayName");
      return value;
    default:
      return value;
  }
}

function checkTags(tags: Array<{ Key: string; Value: string }>): void {
  if (tags.length > MAX_TAGS) throw new AwsError("TagLimitExceededException", "Could not complete request: tag quota of per resource exceeded", 400);
  for (const t of tags) {
    if (!t.Key || t.Key.length > 128 || t.Value.length > 256) throw invalidParameter("Invalid parameter: Tags");
    if (t.Key.toLowerCase().startsWith("aws:")) throw new AwsError("TagPolicyException", "Tag keys starting with 'aws:' are reserved", 400); // TODO(parity): wording
  }
}

export function CreateTopic(input: CreateTopicInput, ctx: RequestContext) {
  const name = input.Name ?? "";
  const attrs = input.Attributes ?? {};
  const fifo = attrs.FifoTopic === "true";
  if (attrs.FifoTopic !== undefined && attrs.FifoTopic !== "true" && attrs.FifoTopic !== "false") throw invalidParameter("Invalid parameter: FifoTopic");
  const base = name.endsWith(".fifo") ? name.slice(0, -5) : name;
  if (fifo !== name.endsWith(".fifo") || !NAME.test(base) || name.length > 256) {
    throw invalidParameter(
      fifo ? "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long." : "Invalid parameter: Topic Name",
    );
  }
  const stored: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (k !== "FifoTopic") stored[k] = checkAttribute(k, v, fifo, true);
  const tags = (input.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
  checkTags(tags);
  const arn = topicArn(ctx.accountId, ctx.region, name);
  ctx.store.tx(() => {
    const existing = ctx.store.get<TopicDoc>("topic", name);
    if (existing) {
      // Idempotent: the same name with the same attributes (and tags) is the same topic.
      for (const [k, v] of Object.entries(stored)) if (existing.attributes[k] !== v) throw invalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes");
      const have = new Map(existing.tags.map((t) => [t.Key, t.Value]));
      if (tags.some((t) => have.get(t.Key) !== t.Value)) throw invalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags");
      return;
    }
    ctx.store.put<TopicDoc>("topic", name, { name, arn, account: ctx.accountId, region: ctx.region, fifo, attributes: stored, tags, createdAt: ctx.clock.now(), deleted: 0, sequence: 0, dedup: {} });
  });
  return { TopicArn: arn };
}

export function DeleteTopic(input: DeleteTopicInput, ctx: RequestContext): Record<string, never> {
  const p = input.TopicArn ? parseSnsArn(input.TopicArn) : undefined;
  if (!p || p.sub) throw invalidParameter("Invalid parameter: TopicArn");
  const store = scopeStore(ctx.db, p.account, p.region);
  // Deleting a topic that does not exist succeeds, as on AWS.
  store.tx(() => {
    for (const s of store.list<SubscriptionDoc>("sub", { prefix: `${p.topic}/` })) store.delete("sub", s.id);
    store.delete("topic", p.topic);
  });
  return {};
}

export function ListTopics(input: ListTopicsInput, ctx: RequestContext) {
  const after = decodeToken(input.NextToken);
  const rows = ctx.store.list<TopicDoc>("topic", { after, limit: 101 });
  const page = rows.slice(0, 100);
  return { Topics: page.map((r) => ({ TopicArn: r.doc.arn })), ...(rows.length > 100 ? { NextToken: encodeToken(page[page.length - 1].id) } : {}) };
}

export function GetTopicAttributes(input: GetTopicAttributesInput, ctx: RequestContext) {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  let confirmed = 0;
  let pending = 0;
  for (const s of store.list<SubscriptionDoc>("sub", { prefix: `${topic.name}/` })) s.doc.confirmed ? confirmed++ : pending++;
  let effective = DEFAULT_HTTP_POLICY as unknown;
  if (topic.attributes.DeliveryPolicy) effective = JSON.parse(topic.attributes.DeliveryPolicy);
  return {
    Attributes: {
      Policy: topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.account),
      Owner: topic.account,
      SubscriptionsPending: String(pending),
      TopicArn: topic.arn,
      EffectiveDeliveryPolicy: JSON.stringify(effective),
      SubscriptionsConfirmed: String(confirmed),
      DisplayName: topic.attributes.DisplayName ?? "",
      SubscriptionsDeleted: String(topic.deleted),
      ...(topic.fifo ? { FifoTopic: "true", ContentBasedDeduplication: topic.attributes.ContentBasedDeduplication ?? "false" } : {}),
      ...Object.fromEntries(Object.entries(topic.attributes).filter(([k]) => k !== "Policy" && k !== "DisplayName" && k !== "ContentBasedDeduplication")),
    },
  };
}

export function SetTopicAttributes(input: SetTopicAttributesInput, ctx: RequestContext): Record<string, never> {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  const name = input.AttributeName ?? "";
  const value = input.AttributeValue ?? "";
  const v = checkAttribute(name, value, topic.fifo, false);
  store.tx(() => {
    const t = store.get<TopicDoc>("topic", topic.name) ?? topic;
    if (value === "" && (name === "Policy" || name === "DeliveryPolicy" || name === "KmsMasterKeyId")) delete t.attributes[name];
    else t.attributes[name] = v;
    store.put("topic", t.name, t);
  });
  return {};
}

function taggedTopic(ctx: RequestContext, arn: string | undefined) {
  const p = arn ? parseSnsArn(arn) : undefined;
  const store = p && !p.sub ? scopeStore(ctx.db, p.account, p.region) : undefined;
  const topic = p && store ? store.get<TopicDoc>("topic", p.topic) : undefined;
  if (!topic || !store) throw new AwsError("ResourceNotFoundException", "Resource does not exist", 404);
  return { topic, store };
}

export function TagResource(input: TagResourceRequest, ctx: RequestContext): Record<string, never> {
  const { topic, store } = taggedTopic(ctx, input.ResourceArn);
  const byKey = new Map(topic.tags.map((t) => [t.Key, t.Value]));
  for (const t of input.Tags ?? []) byKey.set(t.Key ?? "", t.Value ?? "");
  const tags = [...byKey].map(([Key, Value]) => ({ Key, Value }));
  checkTags(tags);
  topic.tags = tags;
  store.put("topic", topic.name, topic);
  return {};
}

export function UntagResource(input: UntagResourceRequest, ctx: RequestContext): Record<string, never> {
  const { topic, store } = taggedTopic(ctx, input.ResourceArn);
  const drop = new Set(input.TagKeys ?? []);
  topic.tags = topic.tags.filter((t) => !drop.has(t.Key));
  store.put("topic", topic.name, topic);
  return {};
}

export function ListTagsForResource(input: ListTagsForResourceRequest, ctx: RequestContext) {
  return { Tags: taggedTopic(ctx, input.ResourceArn).topic.tags };
}

interface PolicyDoc {
  Version?: string;
  Id?: string;
  Statement: Array<Record<string, unknown>>;
}

export function AddPermission(input: AddPermissionInput, ctx: RequestContext): Record<string, never> {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  const label = input.Label ?? "";
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(label)) throw invalidParameter("Invalid parameter: Label");
  const accounts = input.AWSAccountId ?? [];
  const actions = input.ActionName ?? [];
  if (!accounts.length) throw invalidParameter("Invalid parameter: AWSAccountId");
  if (!actions.length) throw invalidParameter("Invalid parameter: ActionName");
  const policy = JSON.parse(topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.account)) as PolicyDoc;
  if (policy.Statement.some((s) => s.Sid === label)) throw invalidParameter("Invalid parameter: Statement already exists");
  const principals = accounts.map((a) => `arn:aws:iam::${a}:root`);
  policy.Statement.push({ Sid: label, Effect: "Allow", Principal: { AWS: principals.length === 1 ? principals[0] : principals }, Action: actions.map((a) => `SNS:${a}`), Resource: topic.arn });
  topic.attributes.Policy = validateTopicPolicy(JSON.stringify(policy));
  store.put("topic", topic.name, topic);
  return {};
}

export function RemovePermission(input: RemovePermissionInput, ctx: RequestContext): Record<string, never> {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  const policy = JSON.parse(topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.account)) as PolicyDoc;
  const kept = policy.Statement.filter((s) => s.Sid !== input.Label);
  if (kept.length === policy.Statement.length) throw invalidParameter("Invalid parameter: Label");
  if (kept.length) topic.attributes.Policy = JSON.stringify({ ...policy, Statement: kept });
  else delete topic.attributes.Policy;
  store.put("topic", topic.name, topic);
  return {};
}
