// Topic policies: the default policy AWS writes for a new topic, validation of the Policy
// attribute, AddPermission / RemovePermission (statements by label), and the IAM engine's
// resource-policy hook: other accounts and AWS service principals (S3 notifications,
// EventBridge, CloudWatch alarms) may publish or subscribe only where the topic policy allows.
import { parsePolicyDocument } from "../../core/iam/policy-document.js";
import type { ResourcePolicyHook } from "../../core/iam/types.js";
import { invalidParameter } from "./common.js";
import { parseSnsArn, scopeStore, type TopicDoc } from "./store.js";

export function defaultTopicPolicy(arn: string, account: string): string {
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        Resource: arn,
        Condition: { StringEquals: { "AWS:SourceOwner": account } },
      },
    ],
  });
}

/** SNS topic policies: at most 30 KB. */
const MAX_POLICY_BYTES = 30_720;

export function validateTopicPolicy(policy: string): string {
  if (Buffer.byteLength(policy, "utf8") > MAX_POLICY_BYTES) throw invalidParameter("Invalid parameter: Policy Error: Policy size exceeds limit");
  try {
    parsePolicyDocument(policy, "resource");
  } catch (e) {
    throw invalidParameter(`Invalid parameter: Policy Error: ${(e as Error).message}`);
  }
  return policy;
}

const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "NoSuchTopic", Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] });

export const snsResourcePolicy: ResourcePolicyHook = (q, rt) => {
  if (q.operation === "CreateTopic") return undefined;
  const p = parseSnsArn(q.resource);
  if (!p) return undefined;
  const topic = scopeStore(rt.db, p.account, p.region).get<TopicDoc>("topic", p.topic);
  if (!topic) return q.principal.accountId ? { ownerAccountId: q.principal.accountId } : { ownerAccountId: p.account, policy: ALLOW_ALL };
  const tags = topic.tags.length ? Object.fromEntries(topic.tags.map((t) => [t.Key, t.Value])) : undefined;
  return { ownerAccountId: topic.account, policy: topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.account), ...(tags ? { tags } : {}) };
};
