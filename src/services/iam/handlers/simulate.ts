// SimulatePrincipalPolicy and SimulateCustomPolicy: the policy engine's decision for each
// action and resource, from an entity's policies (a user's with its groups', a group's, a
// role's) plus any policies passed in, or from the passed policies alone.
import type {
  ContextEntry,
  EvaluationResult,
  SimulateCustomPolicyRequest,
  SimulatePolicyResponse,
  SimulatePrincipalPolicyRequest,
} from "@aws-sdk/client-iam";
import { evaluate } from "../../../core/iam/evaluate.js";
import type { ConditionContext, PolicySet, PolicySource } from "../../../core/iam/types.js";
import type { Handler, Principal, RequestContext } from "../../../core/service.js";
import { decodePolicyInput, invalidInput, nameKey, noSuchEntity, pageFields, paginate } from "../common.js";
import { findManagedPolicy } from "../managed-policies.js";
import { validatePolicy } from "../policy-validate.js";
import type { GroupDoc, RoleDoc, UserDoc } from "../store.js";

const DECISIONS = { Allow: "allowed", ExplicitDeny: "explicitDeny", ImplicitDeny: "implicitDeny" } as const;

function inputPolicies(list: string[] | undefined, prefix: string, kind: "identity" | "boundary"): PolicySource[] {
  return (list ?? []).map((raw, i) => {
    const document = decodePolicyInput(raw);
    validatePolicy(document, kind);
    return { name: `${prefix}${i + 1}`, document };
  });
}

function contextOf(entries: ContextEntry[] | undefined): ConditionContext {
  const ctx: ConditionContext = {};
  for (const e of entries ?? []) {
    if (!e.ContextKeyName) continue;
    const values = e.ContextKeyValues ?? [];
    ctx[e.ContextKeyName] = e.ContextKeyType?.endsWith("List") ? values : (values[0] ?? "");
  }
  return ctx;
}

function entityPolicies(ctx: RequestContext, e: { inline: Record<string, string>; attached: string[] }, out: PolicySource[]): void {
  for (const [policyName, document] of Object.entries(e.inline)) out.push({ name: policyName, document });
  for (const arn of e.attached) {
    const p = findManagedPolicy(ctx.store, ctx.accountId, arn);
    if (p) out.push({ name: p.arn, document: p.defaultDocument });
  }
}

/** The identity policies, boundary and principal of the entity an ARN names. */
function sourceOf(ctx: RequestContext, arn: string): { identity: PolicySource[]; boundary?: PolicySource; principal: Principal } {
  const m = /^arn:aws:iam::(\d{12}):(user|group|role)\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]+)$/.exec(arn);
  if (!m || m[1] !== ctx.accountId) throw invalidInput(`Invalid ARN: ${arn}`);
  const [, , kind, name] = m;
  const identity: PolicySource[] = [];
  let boundaryArn: string | undefined;
  let principal: Principal;
  if (kind === "user") {
    const u = ctx.store.get<UserDoc>("user", nameKey(name));
    if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    entityPolicies(ctx, u, identity);
    for (const g of u.groups) {
      const group = ctx.store.get<GroupDoc>("group", nameKey(g));
      if (group) entityPolicies(ctx, group, identity);
    }
    boundaryArn = u.PermissionsBoundary;
    principal = { type: "user", accountId: ctx.accountId, arn: u.Arn, userId: u.UserId };
  } else if (kind === "group") {
    const g = ctx.store.get<GroupDoc>("group", nameKey(name));
    if (!g) throw noSuchEntity(`The group with name ${name} cannot be found.`);
    entityPolicies(ctx, g, identity);
    principal = { type: "user", accountId: ctx.accountId, arn: g.Arn, userId: g.GroupId };
  } else {
    const r = ctx.store.get<RoleDoc>("role", nameKey(name));
    if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    entityPolicies(ctx, r, identity);
    boundaryArn = r.PermissionsBoundary;
    principal = { type: "assumed-role", accountId: ctx.accountId, arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${r.RoleName}/simulation`, userId: `${r.RoleId}:simulation` };
  }
  const b = boundaryArn ? findManagedPolicy(ctx.store, ctx.accountId, boundaryArn) : undefined;
  return { identity, boundary: b && { name: b.arn, document: b.defaultDocument }, principal };
}

/** The SourcePolicyType of the policy that decided (PolicySourceType). */
function sourceType(name: string, by: string): "aws-managed" | "user-managed" | "resource" | "none" | "user" {
  if (by === "resource") return "resource";
  if (name.startsWith("arn:aws:iam::aws:")) return "aws-managed";
  if (name.startsWith("arn:")) return "user-managed";
  if (name.startsWith("PolicyInputList.") || name.startsWith("PermissionsBoundaryPolicyInputList.")) return "none";
  return "user";
}

interface SimulationInput {
  ActionNames?: string[];
  ResourceArns?: string[];
  ResourcePolicy?: string;
  ResourceOwner?: string;
  CallerArn?: string;
  ContextEntries?: ContextEntry[];
  MaxItems?: number;
  Marker?: string;
}

function simulate(ctx: RequestContext, input: SimulationInput, policies: PolicySet, principal: Principal): SimulatePolicyResponse {
  const actions = input.ActionNames ?? [];
  if (!actions.length) throw invalidInput("ActionNames must contain at least one action.");
  const resources = input.ResourceArns?.length ? input.ResourceArns : ["*"];
  const resourcePolicy = input.ResourcePolicy !== undefined ? decodePolicyInput(input.ResourcePolicy) : undefined;
  if (resourcePolicy !== undefined) validatePolicy(resourcePolicy, "resource");
  const owner = input.ResourceOwner?.match(/^arn:aws:iam::(\d{12}):root$/)?.[1] ?? ctx.accountId;
  const context = contextOf(input.ContextEntries);
  const results: EvaluationResult[] = [];
  for (const action of actions) {
    for (const resource of resources) {
      const set: PolicySet = { ...policies, ...(resourcePolicy !== undefined ? { resource: { name: "ResourcePolicy", document: resourcePolicy } } : {}) };
      const d = evaluate({ principal, action, resource, resourceAccountId: owner, context }, set);
      const r: EvaluationResult = {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: DECISIONS[d.decision],
        MatchedStatements: d.policy ? [{ SourcePolicyId: d.policy, SourcePolicyType: sourceType(d.policy, d.by) }] : [],
        MissingContextValues: [],
      };
      if (policies.boundary) r.PermissionsBoundaryDecisionDetail = { AllowedByPermissionsBoundary: !(d.by === "boundary" && d.decision !== "Allow") };
      results.push(r);
    }
  }
  const page = paginate(results, input);
  return { EvaluationResults: page.items, ...pageFields(page) };
}

export const SimulatePrincipalPolicy: Handler<SimulatePrincipalPolicyRequest, SimulatePolicyResponse> = (input, ctx) => {
  const source = sourceOf(ctx, input.PolicySourceArn ?? "");
  const identity = [...source.identity, ...inputPolicies(input.PolicyInputList, "PolicyInputList.", "identity")];
  const boundaries = inputPolicies(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList.", "boundary");
  const boundary = boundaries[0] ?? source.boundary;
  const principal = input.CallerArn ? { ...source.principal, arn: input.CallerArn } : source.principal;
  return simulate(ctx, input, { identity, ...(boundary ? { boundary } : {}) }, principal);
};

export const SimulateCustomPolicy: Handler<SimulateCustomPolicyRequest, SimulatePolicyResponse> = (input, ctx) => {
  const identity = inputPolicies(input.PolicyInputList, "PolicyInputList.", "identity");
  const boundary = inputPolicies(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList.", "boundary")[0];
  const callerArn = input.CallerArn ?? `arn:aws:iam::${ctx.accountId}:user/simulated-user`;
  const principal: Principal = { type: "user", accountId: ctx.accountId, arn: callerArn, userId: "AIDASIMULATEDUSER0000" };
  return simulate(ctx, input, { identity, ...(boundary ? { boundary } : {}) }, principal);
};
