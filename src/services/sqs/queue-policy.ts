// Queue policies as the IAM engine sees them (ServiceDefinition.resourcePolicy): the queue's
// owner account, its Policy attribute and its tags, for every request that names a queue. The
// engine (core/iam) then decides as AWS does: the owner's IAM principals by their identity
// policies plus the queue policy, other accounts and AWS service principals (SNS, S3
// notifications, EventBridge) only where the queue policy allows them, explicit denies against
// anyone.
import { AwsError } from "../../core/errors.js";
import { parsePolicyDocument } from "../../core/iam/policy-document.js";
import type { ParsedPolicy, ResourcePolicyHook } from "../../core/iam/types.js";
import { parseArn } from "./common.js";
import { sqsStore } from "./store.js";

/**
 * Actions only the queue's own account may perform, whatever the queue policy says (SQS
 * developer guide, "Overview of managing access": cross-account permissions don't apply to
 * these actions).
 */
const OWNER_ONLY = new Set([
  "sqs:addpermission",
  "sqs:cancelmessagemovetask",
  "sqs:createqueue",
  "sqs:deletequeue",
  "sqs:listmessagemovetasks",
  "sqs:listqueues",
  "sqs:listqueuetags",
  "sqs:removepermission",
  "sqs:setqueueattributes",
  "sqs:startmessagemovetask",
  "sqs:tagqueue",
  "sqs:untagqueue",
]);

/** A policy letting anyone through to the handler (which then answers QueueDoesNotExist). */
const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "NoSuchQueue", Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] });

export const sqsResourcePolicy: ResourcePolicyHook = (q, rt) => {
  // CreateQueue's resource does not exist yet: the caller's own account decides.
  if (q.operation === "CreateQueue") return undefined;
  const target = parseArn(q.resource);
  if (!target) return undefined;
  const queue = sqsStore(rt.db).queueForRead(target.account, target.region, target.name);
  if (!queue) {
    // Callers with an account are judged by their identity policies (as AWS does: an IAM user
    // without sqs:* gets AccessDenied even for a missing queue); service principals reach the
    // handler and its QueueDoesNotExist.
    return q.principal.accountId ? { ownerAccountId: q.principal.accountId } : { ownerAccountId: target.account, policy: ALLOW_ALL };
  }
  const tags = hasKeys(queue.tags) ? queue.tags : undefined;
  const crossAccount = q.principal.accountId !== queue.account;
  if (crossAccount && OWNER_ONLY.has(q.action.toLowerCase())) {
    // No queue policy grants these to another account: without one the engine refuses them.
    return { ownerAccountId: queue.account, ...(tags ? { tags } : {}) };
  }
  return { ownerAccountId: queue.account, ...(queue.attributes.Policy ? { policy: queue.attributes.Policy } : {}), ...(tags ? { tags } : {}) };
};

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** SQS developer guide, "Amazon SQS policy quotas". */
export const POLICY_QUOTAS = { bytes: 8192, statements: 20, principals: 50, conditions: 10, actionsPerStatement: 7 } as const;

function invalidPolicy(): AwsError {
  // AWS answers every malformed or oversized queue policy with this one message.
  return new AwsError("InvalidAttributeValue", "Invalid value for the parameter Policy.", 400);
}

/** Whether a parsed policy is within SQS's policy quotas. */
export function withinQuotas(p: ParsedPolicy): boolean {
  if (p.Statement.length > POLICY_QUOTAS.statements) return false;
  let principals = 0;
  let conditions = 0;
  for (const st of p.Statement) {
    if ((st.Action ?? st.NotAction ?? []).length > POLICY_QUOTAS.actionsPerStatement) return false;
    const block = st.Principal ?? st.NotPrincipal;
    if (block) principals += block.star ? 1 : (block.AWS?.length ?? 0) + (block.Service?.length ?? 0) + (block.Federated?.length ?? 0) + (block.CanonicalUser?.length ?? 0);
    for (const op in st.Condition ?? {}) conditions += Object.keys(st.Condition![op]).length;
  }
  return principals <= POLICY_QUOTAS.principals && conditions <= POLICY_QUOTAS.conditions;
}

/**
 * A Policy attribute (CreateQueue, SetQueueAttributes) validated as a resource-based policy
 * (core/iam/policy-document: Principal required, known elements, ARNs...) within SQS's quotas;
 * returned as stored: compact JSON, as GetQueueAttributes answers it.
 */
export function validateQueuePolicy(value: string): string {
  if (Buffer.byteLength(value, "utf8") > POLICY_QUOTAS.bytes) throw invalidPolicy();
  let parsed: ParsedPolicy;
  try {
    parsed = parsePolicyDocument(value, "resource");
  } catch {
    throw invalidPolicy();
  }
  if (!withinQuotas(parsed)) throw invalidPolicy();
  return JSON.stringify(JSON.parse(value));
}
