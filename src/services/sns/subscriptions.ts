// Subscriptions: Subscribe (sqs, lambda, firehose and application confirmed at once; http/https
// confirmed through SubscribeURL / ConfirmSubscription; email and email-json recorded),
// ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic), Get/SetSubscriptionAttributes
// (RawMessageDelivery, FilterPolicy with FilterPolicyScope, DeliveryPolicy, RedrivePolicy).
import { randomBytes, randomUUID } from "node:crypto";
import type { ConfirmSubscriptionInput, GetSubscriptionAttributesInput, ListSubscriptionsByTopicInput, ListSubscriptionsInput, SetSubscriptionAttributesInput, SubscribeInput, UnsubscribeInput } from "@aws-sdk/client-sns";
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";
import type { Clock } from "../../core/clock/clock.js";
import { DEFAULT_HTTP_POLICY, decodeToken, encodeToken, invalidParameter, resolveSubscription, resolveTopic } from "./common.js";
import { validateFilterPolicy, type Scope } from "./filter-policy.js";
import { parseSnsArn, scopeStore, type SubscriptionDoc, type TopicDoc } from "./store.js";
import { enqueueDelivery } from "./delivery.js";
import type { Db } from "../../core/state/database.js";

const PROTOCOLS = new Set(["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"]);
const CONFIRMED_AT_ONCE = new Set(["sqs", "lambda", "firehose", "application"]);
const ATTRIBUTES = new Set(["DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"]);
const RAW_PROTOCOLS = new Set(["sqs", "http", "https", "firehose", "lambda"]);

function checkEndpoint(protocol: string, endpoint: string): void {
  const bad = (what: string) => invalidParameter(`Invalid parameter: ${what}`);
  switch (protocol) {
    case "http":
      if (!/^http:\/\/[^\s]+$/i.test(endpoint)) throw bad("Endpoint must match the specified protocol");
      return;
    case "https":
      if (!/^https:\/\/[^\s]+$/i.test(endpoint)) throw bad("Endpoint must match the specified protocol");
      return;
    case "email":
    case "email-json":
      if (!/^[^@\s]+@[^@\s]+$/.test(endpoint)) throw bad("Email address");
      return;
    case "sqs":
      if (!/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/.test(endpoint)) throw bad("SQS endpoint ARN");
      return;
    case "lambda":
      if (!/^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.test(endpoint)) throw bad("Lambda endpoint ARN");
      return;
    case "sms":
      if (!/^\+?[0-9]{5,15}$/.test(endpoint)) throw bad("Invalid SMS endpoint"); // TODO(parity): wording
      return;
    default:
      if (!endpoint.startsWith("arn:")) throw bad("Endpoint");
  }
}

/** A subscription attribute as AWS checks it; returns the value to store. */
function checkAttribute(sub: { protocol: string; attributes: Record<string, string> }, name: string, value: string): string {
  if (!ATTRIBUTES.has(name)) throw invalidParameter("Invalid parameter: AttributeName");
  switch (name) {
    case "RawMessageDelivery":
      if (value.toLowerCase() !== "true" && value.toLowerCase() !== "false") throw invalidParameter("Invalid parameter: RawMessageDelivery");
      if (!RAW_PROTOCOLS.has(sub.protocol)) throw invalidParameter(`Invalid parameter: Delivery protocol [${sub.protocol}] does not support raw message delivery.`);
      return value.toLowerCase();
    case "FilterPolicyScope":
      if (value !== "MessageAttributes" && value !== "MessageBody") throw invalidParameter("Invalid parameter: FilterPolicyScope: Invalid filter policy scope, allowed values: MessageAttributes, MessageBody"); // TODO(parity): wording
      if (sub.attributes.FilterPolicy) validateFilterPolicy(sub.attributes.FilterPolicy, value);
      return value;
    case "FilterPolicy":
      if (value === "") return value;
      validateFilterPolicy(value, (sub.attributes.FilterPolicyScope as Scope) ?? "MessageAttributes");
      return value;
    case "DeliveryPolicy":
    case "RedrivePolicy":
      try {
        if (typeof JSON.parse(value) !== "object") throw new Error();
      } catch {
        throw invalidParameter(`Invalid parameter: ${name}: failed to parse JSON.`); // TODO(parity): wording
      }
      return value;
    default:
      return value;
  }
}

export function Subscribe(input: SubscribeInput, ctx: RequestContext) {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  const protocol = (input.Protocol ?? "").toLowerCase();
  if (!PROTOCOLS.has(protocol)) throw invalidParameter(`Invalid parameter: Amazon SNS does not support this protocol string: ${input.Protocol ?? ""}`);
  const endpoint = input.Endpoint ?? "";
  checkEndpoint(protocol, endpoint);
  const draft = { protocol, attributes: {} as Record<string, string> };
  // FilterPolicyScope first: the FilterPolicy is validated in its scope.
  const given = Object.entries(input.Attributes ?? {}).sort(([a], [b]) => (a === "FilterPolicyScope" ? -1 : b === "FilterPolicyScope" ? 1 : 0));
  for (const [k, v] of given) draft.attributes[k] = checkAttribute(draft, k, v);
  const out = store.tx(() => {
    for (const r of store.list<SubscriptionDoc>("sub", { prefix: `${topic.name}/` })) {
      const s = r.doc;
      if (s.protocol === protocol && s.endpoint === endpoint) {
        // Idempotent: the same endpoint subscribes once.
        for (const [k, v] of Object.entries(draft.attributes)) if (s.attributes[k] !== v) throw invalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes");
        return { sub: s, created: false };
      }
    }
    const id = randomUUID();
    const sub: SubscriptionDoc = {
      arn: `${topic.arn}:${id}`,
      id,
      topicArn: topic.arn,
      protocol,
      endpoint,
      owner: ctx.accountId,
      confirmed: CONFIRMED_AT_ONCE.has(protocol),
      attributes: draft.attributes,
      createdAt: ctx.clock.now(),
    };
    if (!sub.confirmed) {
      sub.token = randomBytes(64).toString("hex");
      enqueueDelivery(
        ctx.db,
        sub.arn,
        {
          kind: "SubscriptionConfirmation",
          messageId: randomUUID(),
          topicArn: topic.arn,
          message: `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
          timestamp: new Date(ctx.clock.now()).toISOString(),
          token: sub.token,
          endpointBase: ctx.endpoint,
          protocol,
          endpoint,
          raw: false,
        },
        ctx.clock.now(),
      );
    }
    store.put("sub", `${topic.name}/${id}`, sub);
    return { sub, created: true };
  });
  return { SubscriptionArn: out.sub.confirmed || input.ReturnSubscriptionArn ? out.sub.arn : "pending confirmation" };
}

/** Confirms the subscription a token was sent for (ConfirmSubscription and the SubscribeURL). */
export function confirm(db: Db, clock: Clock, topicArnValue: string | undefined, token: string | undefined): string {
  const p = topicArnValue ? parseSnsArn(topicArnValue) : undefined;
  if (!p || p.sub) throw invalidParameter("Invalid parameter: TopicArn");
  const store = scopeStore(db, p.account, p.region);
  if (!store.get<TopicDoc>("topic", p.topic)) throw new AwsError("NotFoundException", "Topic does not exist", 404);
  return store.tx(() => {
    for (const r of store.list<SubscriptionDoc>("sub", { prefix: `${p.topic}/` })) {
      if (r.doc.token !== undefined && r.doc.token === token) {
        r.doc.confirmed = true;
        store.put("sub", r.id, r.doc);
        return r.doc.arn;
      }
    }
    void clock;
    throw invalidParameter("Invalid token");
  });
}

export function ConfirmSubscription(input: ConfirmSubscriptionInput, ctx: RequestContext) {
  return { SubscriptionArn: confirm(ctx.db, ctx.clock, input.TopicArn, input.Token) };
}

/** Removes a subscription (Unsubscribe and the UnsubscribeURL). */
export function unsubscribe(store: DocStore, sub: SubscriptionDoc): void {
  const p = parseSnsArn(sub.arn)!;
  store.tx(() => {
    store.delete("sub", `${p.topic}/${sub.id}`);
    const topic = store.get<TopicDoc>("topic", p.topic);
    if (topic) {
      topic.deleted++;
      store.put("topic", topic.name, topic);
    }
  });
}

export function Unsubscribe(input: UnsubscribeInput, ctx: RequestContext): Record<string, never> {
  const { sub, store } = resolveSubscription(ctx, input.SubscriptionArn);
  unsubscribe(store, sub);
  return {};
}

function listEntry(s: SubscriptionDoc) {
  return { SubscriptionArn: s.confirmed ? s.arn : "PendingConfirmation", Owner: s.owner, Protocol: s.protocol, Endpoint: s.endpoint, TopicArn: s.topicArn };
}

export function ListSubscriptions(input: ListSubscriptionsInput, ctx: RequestContext) {
  const after = decodeToken(input.NextToken);
  const rows = ctx.store.list<SubscriptionDoc>("sub", { after, limit: 101 });
  const page = rows.slice(0, 100);
  return { Subscriptions: page.map((r) => listEntry(r.doc)), ...(rows.length > 100 ? { NextToken: encodeToken(page[page.length - 1].id) } : {}) };
}

export function ListSubscriptionsByTopic(input: ListSubscriptionsByTopicInput, ctx: RequestContext) {
  const { topic, store } = resolveTopic(ctx, input.TopicArn);
  const after = decodeToken(input.NextToken);
  const rows = store.list<SubscriptionDoc>("sub", { prefix: `${topic.name}/`, after, limit: 101 });
  const page = rows.slice(0, 100);
  return { Subscriptions: page.map((r) => listEntry(r.doc)), ...(rows.length > 100 ? { NextToken: encodeToken(page[page.length - 1].id) } : {}) };
}

export function GetSubscriptionAttributes(input: GetSubscriptionAttributesInput, ctx: RequestContext) {
  const { sub, store } = resolveSubscription(ctx, input.SubscriptionArn);
  const topic = store.get<TopicDoc>("topic", parseSnsArn(sub.topicArn)!.topic);
  const http = sub.protocol === "http" || sub.protocol === "https";
  let effective: unknown;
  if (http) {
    const base = topic?.attributes.DeliveryPolicy ? JSON.parse(topic.attributes.DeliveryPolicy) : DEFAULT_HTTP_POLICY;
    const own = sub.attributes.DeliveryPolicy ? (JSON.parse(sub.attributes.DeliveryPolicy) as Record<string, unknown>) : {};
    effective = { ...(base.http ?? {}), ...own };
  }
  const a = sub.attributes;
  return {
    Attributes: {
      Owner: sub.owner,
      RawMessageDelivery: a.RawMessageDelivery ?? "false",
      TopicArn: sub.topicArn,
      Endpoint: sub.endpoint,
      Protocol: sub.protocol,
      PendingConfirmation: String(!sub.confirmed),
      ConfirmationWasAuthenticated: String(sub.confirmed && !CONFIRMED_AT_ONCE.has(sub.protocol) ? false : sub.confirmed),
      SubscriptionArn: sub.arn,
      ...(effective ? { EffectiveDeliveryPolicy: JSON.stringify(effective) } : {}),
      ...(a.FilterPolicy ? { FilterPolicy: a.FilterPolicy, FilterPolicyScope: a.FilterPolicyScope ?? "MessageAttributes" } : {}),
      ...Object.fromEntries(Object.entries(a).filter(([k]) => k !== "RawMessageDelivery" && k !== "FilterPolicy" && k !== "FilterPolicyScope")),
    },
  };
}

export function SetSubscriptionAttributes(input: SetSubscriptionAttributesInput, ctx: RequestContext): Record<string, never> {
  const { sub, store } = resolveSubscription(ctx, input.SubscriptionArn);
  const name = input.AttributeName ?? "";
  const value = checkAttribute(sub, name, input.AttributeValue ?? "");
  if (value === "" && name !== "RawMessageDelivery") delete sub.attributes[name];
  else sub.attributes[name] = value;
  store.put("sub", `${parseSnsArn(sub.topicArn)!.topic}/${sub.id}`, sub);
  return {};
}
