// What SNS handlers share: AWS's error wordings, topic lookup by ARN (in the ARN's account and
// region, so cross-account calls find the topic), and NextToken pagination.
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";
import { parseSnsArn, scopeStore, type SubscriptionDoc, type TopicDoc } from "./store.js";

export function invalidParameter(message: string): AwsError {
  return new AwsError("InvalidParameterException", message, 400);
}

export function topicNotFound(): AwsError {
  return new AwsError("NotFoundException", "Topic does not exist", 404);
}

/** The topic an ARN names (NotFound when it does not exist; InvalidParameter when it is no topic ARN). */
export function resolveTopic(ctx: RequestContext, arn: string | undefined, param = "TopicArn"): { topic: TopicDoc; store: DocStore } {
  const p = arn ? parseSnsArn(arn) : undefined;
  if (!p || p.sub) throw invalidParameter(`Invalid parameter: ${param}`);
  const store = scopeStore(ctx.db, p.account, p.region);
  const topic = store.get<TopicDoc>("topic", p.topic);
  if (!topic) throw topicNotFound();
  return { topic, store };
}

/** The subscription an ARN names; NotFound when it does not exist. */
export function resolveSubscription(ctx: RequestContext, arn: string | undefined): { sub: SubscriptionDoc; store: DocStore } {
  const p = arn ? parseSnsArn(arn) : undefined;
  if (!p || !p.sub) throw invalidParameter("Invalid parameter: SubscriptionArn");
  const store = scopeStore(ctx.db, p.account, p.region);
  const sub = store.get<SubscriptionDoc>("sub", `${p.topic}/${p.sub}`);
  if (!sub) throw new AwsError("NotFoundException", "Subscription does not exist", 404);
  return { sub, store };
}

export function encodeToken(last: string): string {
  return Buffer.from(last, "utf8").toString("base64");
}

export function decodeToken(token: string | undefined): string {
  if (!token) return "";
  const s = Buffer.from(token, "base64").toString("utf8");
  if (!s || Buffer.from(s, "utf8").toString("base64") !== token) throw invalidParameter("Invalid parameter: NextToken");
  return s;
}

/** SNS's default HTTP/S delivery policy (SNS developer guide, "Amazon SNS message delivery retries"). */
export const DEFAULT_HTTP_POLICY = {
  http: {
    defaultHealthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: "linear" },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: "text/plain; charset=UTF-8" },
  },
};
