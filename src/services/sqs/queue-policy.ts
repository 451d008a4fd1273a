// Queue policies as the IAM engine sees them (ServiceDefinition.resourcePolicy): the queue's
// owner account, its Policy attribute and its tags, for every request that names a queue. The
// engine (core/iam) then decides as AWS does: the owner's IAM principals by their identity
// policies plus the queue policy, other accounts and AWS service principals (SNS, S3
// notifications, EventBridge) only where the queue policy allows them, explicit denies against
// anyone.
import type { ResourcePolicyHook } from "../../core/iam/types.js";
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
  const queue = sqsStore(rt.db).queue(target.account, target.region, target.name);
  if (!queue) {
    // Callers with an account are judged by their identity policies (as AWS does: an IAM user
    // without sqs:* gets AccessDenied even for a missing queue); service principals reach the
    // handler and its QueueDoesNotExist.
    return q.principal.accountId ? { ownerAccountId: q.principal.accountId } : { ownerAccountId: target.account, policy: ALLOW_ALL };
  }
  const tags = Object.keys(queue.tags).length ? queue.tags : undefined;
  const crossAccount = q.principal.accountId !== queue.account;
  if (crossAccount && OWNER_ONLY.has(q.action.toLowerCase())) {
    // No queue policy grants these to another account: without one the engine refuses them.
    return { ownerAccountId: queue.account, ...(tags ? { tags } : {}) };
  }
  return { ownerAccountId: queue.account, ...(queue.attributes.Policy ? { policy: queue.attributes.Policy } : {}), ...(tags ? { tags } : {}) };
};
