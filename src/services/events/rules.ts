// Rules: PutRule (an EventPattern, a ScheduleExpression on the default bus, or both), DescribeRule,
// ListRules (NamePrefix, pagination), EnableRule / DisableRule, DeleteRule (refused while
// targets remain, as AWS does), ListRuleNamesByTarget.
import type {
  DeleteRuleRequest,
  DescribeRuleRequest,
  DescribeRuleResponse,
  DisableRuleRequest,
  EnableRuleRequest,
  ListRuleNamesByTargetRequest,
  ListRuleNamesByTargetResponse,
  ListRulesRequest,
  ListRulesResponse,
  PutRuleRequest,
  PutRuleResponse,
  Rule,
} from "@aws-sdk/client-eventbridge";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import { decodeToken, encodeToken, pageLimit } from "./paging.js";
import { compilePattern } from "./pattern.js";
import { kickScheduler, parseSchedule, scheduleRule } from "./schedule.js";
import { invalidateRules, ownBusRef, requireBus, requireRule, resolveBus, ruleArn, ruleId, saveRule, statements, storeOf, validationError, type RuleDoc } from "./store.js";

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const STATES = new Set(["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]);
const MAX_RULES_PER_BUS = 300;

function checkName(name: string): void {
  if (!RULE_NAME.test(name)) {
    throw validationError(`1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
  }
}

/** Rules live in their bus's account: a rule on another account's bus is refused. */
function ownBus(ctx: RequestContext, busName: string | undefined): string {
  const b = resolveBus(ctx, busName);
  if (b.account !== ctx.accountId || b.region !== ctx.region) throw new AwsError("AccessDeniedException", "You can only manage rules on event buses in your own account and Region.");
  return requireBus(ctx, busName).name;
}

export function toRule(r: RuleDoc): Rule {
  return {
    Name: r.name,
    Arn: r.arn,
    ...(r.eventPattern !== undefined ? { EventPattern: r.eventPattern } : {}),
    State: r.state as Rule["State"],
    ...(r.description !== undefined ? { Description: r.description } : {}),
    ...(r.scheduleExpression !== undefined ? { ScheduleExpression: r.scheduleExpression } : {}),
    ...(r.roleArn !== undefined ? { RoleArn: r.roleArn } : {}),
    ...(r.managedBy !== undefined ? { ManagedBy: r.managedBy } : {}),
    EventBusName: r.bus,
  };
}

export const PutRule: Handler<PutRuleRequest, PutRuleResponse> = (input, ctx) => {
  const name = input.Name!;
  checkName(name);
  const bus = ownBus(ctx, input.EventBusName);
  if (input.EventPattern === undefined && input.ScheduleExpression === undefined) throw validationError("Parameter(s) EventPattern or ScheduleExpression must be specified.");
  if (input.EventPattern !== undefined) {
    if (input.EventPattern.length > 4096) throw new AwsError("InvalidEventPatternException", "Event pattern is not valid. Reason: Event pattern is too long");
    compilePattern(input.EventPattern);
  }
  if (input.ScheduleExpression !== undefined) {
    if (bus !== "default") throw validationError("ScheduleExpression is supported only on the default event bus.");
    if (input.ScheduleExpression.length > 256) throw validationError("Parameter ScheduleExpression is not valid.");
    parseSchedule(input.ScheduleExpression);
  }
  if (input.State !== undefined && !STATES.has(input.State)) {
    throw validationError(`1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]`);
  }
  if (input.Description !== undefined && input.Description.length > 512) throw validationError("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512");
  const store = storeOf(ctx.db, ctx.accountId, ctx.region);
  const id = ruleId(bus, name);
  const existing = store.get<RuleDoc>("rule", id);
  if (existing?.managedBy) throw new AwsError("ManagedRuleException", `Rule ${name} is managed by ${existing.managedBy} and cannot be modified.`);
  if (!existing && store.list("rule", { prefix: `${bus}:`, limit: MAX_RULES_PER_BUS }).length >= MAX_RULES_PER_BUS) {
    throw new AwsError("LimitExceededException", "The requested resource exceeds the maximum number allowed.");
  }
  const now = ctx.clock.now();
  const rule: RuleDoc = {
    name,
    bus,
    arn: ruleArn(ctx.accountId, ctx.region, bus, name),
    account: ctx.accountId,
    region: ctx.region,
    ...(input.EventPattern !== undefined ? { eventPattern: input.EventPattern } : {}),
    ...(input.ScheduleExpression !== undefined ? { scheduleExpression: input.ScheduleExpression } : {}),
    // A rule updated without State keeps its state; a new one is ENABLED.
    state: (input.State ?? existing?.state ?? "ENABLED") as RuleDoc["state"],
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    ...(input.RoleArn !== undefined ? { roleArn: input.RoleArn } : {}),
    // Tags are applied only when the rule is created (TagResource changes them afterwards).
    tags: existing?.tags ?? (input.Tags ?? []).map((t) => ({ Key: t.Key!, Value: t.Value ?? "" })),
    targets: existing?.targets ?? [],
    createdAt: existing?.createdAt ?? now,
  };
  store.tx(() => {
    saveRule(ctx.db, rule);
    scheduleRule(ctx.db, rule, now);
  });
  if (rule.scheduleExpression) kickScheduler(ctx.db);
  return { RuleArn: rule.arn };
};

export const DescribeRule: Handler<DescribeRuleRequest, DescribeRuleResponse> = (input, ctx) => {
  const r = requireRule(ctx, input.Name!, input.EventBusName);
  return { ...toRule(r), CreatedBy: r.account } as DescribeRuleResponse;
};

export const ListRules: Handler<ListRulesRequest, ListRulesResponse> = (input, ctx) => {
  const bus = requireBus(ctx, input.EventBusName);
  const limit = pageLimit(input.Limit);
  const after = decodeToken(input.NextToken);
  const rows = storeOf(ctx.db, bus.account, bus.region).list<RuleDoc>("rule", { prefix: `${bus.name}:${input.NamePrefix ?? ""}`, after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  return { Rules: page.map(({ doc }) => toRule(doc)), ...(rows.length > limit ? { NextToken: encodeToken(page[page.length - 1].id) } : {}) };
};

function setState(state: "ENABLED" | "DISABLED"): Handler<EnableRuleRequest | DisableRuleRequest, Record<string, never>> {
  return (input, ctx) => {
    const r = requireRule(ctx, input.Name!, input.EventBusName);
    if (r.managedBy) throw new AwsError("ManagedRuleException", `Rule ${r.name} is managed by ${r.managedBy} and cannot be modified.`);
    r.state = state;
    saveRule(ctx.db, r);
    return {};
  };
}

export const EnableRule = setState("ENABLED");
export const DisableRule = setState("DISABLED");

/** Deleting a rule that does not exist succeeds, as on AWS; one with targets is refused. */
export const DeleteRule: Handler<DeleteRuleRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBusRef(ctx, input.EventBusName);
  const store = storeOf(ctx.db, b.account, b.region);
  const r = store.get<RuleDoc>("rule", ruleId(b.name, input.Name!));
  if (!r) return {};
  if (r.managedBy && !input.Force) throw new AwsError("ManagedRuleException", `Rule ${r.name} is managed by ${r.managedBy} and cannot be deleted.`);
  if (r.targets.length > 0) throw validationError("Rule can't be deleted since it has targets.");
  store.tx(() => {
    store.delete("rule", ruleId(b.name, r.name));
    statements(ctx.db).scheduleDelete.run(r.arn);
  });
  invalidateRules(ctx.db, b.account, b.region, b.name);
  return {};
};

export const ListRuleNamesByTarget: Handler<ListRuleNamesByTargetRequest, ListRuleNamesByTargetResponse> = (input, ctx) => {
  const bus = requireBus(ctx, input.EventBusName);
  const limit = pageLimit(input.Limit);
  const after = decodeToken(input.NextToken);
  const names: string[] = [];
  let last = "";
  let more = false;
  for (const { id, doc } of storeOf(ctx.db, bus.account, bus.region).list<RuleDoc>("rule", { prefix: `${bus.name}:`, after })) {
    if (!doc.targets.some((t) => t.Arn === input.TargetArn)) continue;
    if (names.length === limit) {
      more = true;
      break;
    }
    names.push(doc.name);
    last = id;
  }
  return { RuleNames: names, ...(more ? { NextToken: encodeToken(last) } : {}) };
};
