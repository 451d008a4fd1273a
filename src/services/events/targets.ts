// Targets: PutTargets (at most 5 per rule; a target with an Id already on the rule is replaced),
// RemoveTargets, ListTargetsByRule. A target that is not valid is reported in FailedEntries
// and the others are applied, as AWS does; only the per-rule limit fails the whole request.
import type {
  ListTargetsByRuleRequest,
  ListTargetsByRuleResponse,
  PutTargetsRequest,
  PutTargetsResponse,
  PutTargetsResultEntry,
  RemoveTargetsRequest,
  RemoveTargetsResponse,
  Target,
} from "@aws-sdk/client-eventbridge";
import { AwsError, isAwsError } from "../../core/errors.js";
import type { Handler } from "../../core/service.js";
import { decodeToken, encodeToken, pageLimit } from "./paging.js";
import { requireRule, saveRule, validationError, type TargetDoc } from "./store.js";
import { validateTargetInput } from "./transform.js";

const MAX_TARGETS = 5;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const ARN = /^arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;
const KNOWN = new Set(["Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer", "SqsParameters", "DeadLetterConfig", "RetryPolicy"]);

/** A target as stored, or the ValidationException that makes it a failed entry. */
function toDoc(t: Target): TargetDoc {
  if (!t.Id || !TARGET_ID.test(t.Id)) throw validationError(`1 validation error detected: Value '${t.Id ?? ""}' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
  if (!t.Arn || !ARN.test(t.Arn) || t.Arn.length > 1600) throw validationError(`Parameter ${t.Arn ?? ""} is not valid. Reason: Provided Arn is not in correct format.`);
  const doc: TargetDoc = { Id: t.Id, Arn: t.Arn };
  if (t.RoleArn !== undefined) doc.RoleArn = t.RoleArn;
  if (t.Input !== undefined) doc.Input = t.Input;
  if (t.InputPath !== undefined) doc.InputPath = t.InputPath;
  if (t.InputTransformer !== undefined) doc.InputTransformer = { ...(t.InputTransformer.InputPathsMap ? { InputPathsMap: t.InputTransformer.InputPathsMap } : {}), InputTemplate: t.InputTransformer.InputTemplate! };
  validateTargetInput(doc);
  const service = t.Arn.split(":")[2];
  if (service === "sqs" && t.Arn.endsWith(".fifo") && !t.SqsParameters?.MessageGroupId) {
    throw validationError("Parameter(s) SqsParameters must be specified for target: " + t.Id + ".");
  }
  if (t.SqsParameters !== undefined) {
    if (service !== "sqs" || !t.Arn.endsWith(".fifo")) throw validationError(`Parameter(s) SqsParameters not valid for target ${t.Id}.`);
    doc.SqsParameters = t.SqsParameters;
  }
  if (t.DeadLetterConfig !== undefined) {
    if (t.DeadLetterConfig.Arn !== undefined && !/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(t.DeadLetterConfig.Arn)) {
      throw validationError("The dead-letter queue must be a standard Amazon SQS queue ARN.");
    }
    doc.DeadLetterConfig = t.DeadLetterConfig;
  }
  if (t.RetryPolicy !== undefined) {
    const { MaximumRetryAttempts: n, MaximumEventAgeInSeconds: age } = t.RetryPolicy;
    if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 185)) throw validationError("1 validation error detected: Value at 'retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185");
    if (age !== undefined && (!Number.isInteger(age) || age < 60 || age > 86_400)) throw validationError("1 validation error detected: Value at 'retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400");
    doc.RetryPolicy = t.RetryPolicy;
  }
  const other: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) if (!KNOWN.has(k) && v !== undefined) other[k] = v;
  if (Object.keys(other).length) doc.other = other;
  return doc;
}

function toTarget(d: TargetDoc): Target {
  const { other, ...rest } = d;
  return { ...(other ?? {}), ...rest } as Target;
}

export const PutTargets: Handler<PutTargetsRequest, PutTargetsResponse> = (input, ctx) => {
  const rule = requireRule(ctx, input.Rule!, input.EventBusName);
  if (rule.managedBy) throw new AwsError("ManagedRuleException", `Rule ${rule.name} is managed by ${rule.managedBy} and cannot be modified.`);
  const targets = input.Targets ?? [];
  if (targets.length === 0 || targets.length > 10) throw validationError("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10");
  const failed: PutTargetsResultEntry[] = [];
  const byId = new Map(rule.targets.map((t) => [t.Id, t]));
  for (const t of targets) {
    try {
      const doc = toDoc(t);
      byId.set(doc.Id, doc);
    } catch (e) {
      if (!isAwsError(e)) throw e;
      failed.push({ TargetId: t.Id, ErrorCode: e.code, ErrorMessage: e.message });
    }
  }
  if (byId.size > MAX_TARGETS) throw new AwsError("LimitExceededException", "The requested resource exceeds the maximum number allowed.");
  rule.targets = [...byId.values()];
  saveRule(ctx.db, rule);
  return { FailedEntryCount: failed.length, FailedEntries: failed };
};

export const RemoveTargets: Handler<RemoveTargetsRequest, RemoveTargetsResponse> = (input, ctx) => {
  const rule = requireRule(ctx, input.Rule!, input.EventBusName);
  if (rule.managedBy && !input.Force) throw new AwsError("ManagedRuleException", `Rule ${rule.name} is managed by ${rule.managedBy} and cannot be modified.`);
  const ids = new Set(input.Ids ?? []);
  if (ids.size === 0 || ids.size > 100) throw validationError("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100");
  rule.targets = rule.targets.filter((t) => !ids.has(t.Id));
  saveRule(ctx.db, rule);
  return { FailedEntryCount: 0, FailedEntries: [] };
};

export const ListTargetsByRule: Handler<ListTargetsByRuleRequest, ListTargetsByRuleResponse> = (input, ctx) => {
  const rule = requireRule(ctx, input.Rule!, input.EventBusName);
  const limit = pageLimit(input.Limit);
  const after = decodeToken(input.NextToken);
  const sorted = [...rule.targets].sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((t) => t.Id > after);
  const page = rest.slice(0, limit);
  return { Targets: page.map(toTarget), ...(rest.length > limit ? { NextToken: encodeToken(page[page.length - 1].Id) } : {}) };
};
