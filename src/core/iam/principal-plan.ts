// Evaluation plans per principal: what the policy engine can decide about an IAM user or role
// session from the principal and its policies alone is decided once, not on every request.
//
// The principal-policy provider hands over the same PrincipalPolicies object for a principal
// until IAM or STS changes anything (a generation every write bumps: services/iam), so a plan
// is remembered per such object (WeakMap) and a change takes effect on the very next request:
// the provider answers a new object, which has no plan yet.
//
//  1. The principal's condition keys (PRINCIPAL_KEYS, aws:PrincipalTag/*, the provider's extra
//     keys such as aws:TokenIssueTime) have the same value on every request of that principal:
//     the gateway writes them from the principal and its PrincipalPolicies, and nothing written
//     after them may name them (the request's own keys are other names; a resource-policy hook
//     or an operation's service keys naming one make `overridesPrincipalKeys` true and the
//     request takes the full evaluation).
//  2. Per (action, resource): the identity-side candidate statements (identity policies, the
//     permissions boundary, session policies), in evaluation order, as evaluate.ts scans them.
//     A statement whose Condition (or Resource with policy variables) reads only principal keys
//     is decided here: dropped when it cannot apply, kept without the test when it always does.
//  3. A policy type left with nothing to test per request has a fixed result (its first Deny,
//     else its first Allow: what evaluate.ts's scan finds), and with every type fixed and no
//     resource-based policy, the decision itself is fixed for the resource's own account.
//
// Everything else (conditions on aws:SourceIp, aws:CurrentTime, aws:RequestTag/*, resource
// tags...; resource-based policies) is still evaluated per request, with the same functions.
import type { Principal } from "../service.js";
import { actionStatements, type CompiledStatement } from "./compile.js";
import type { ConditionFn } from "./conditions.js";
import { compiledList, evaluateWithSides, roleArnOfSession, single, targetOf, type TypeResult } from "./evaluate.js";
import type { AuthzRequest, ConditionContext, Decision, PolicySet, PolicySource, PrincipalPolicies } from "./types.js";

/** aws:PrincipalType by principal type (also the gateway's). */
export const PRINCIPAL_TYPE: Record<Principal["type"], string> = { root: "Account", user: "User", "assumed-role": "AssumedRole", anonymous: "Anonymous" };

/** Condition keys the gateway fills from the principal alone (see principalContext). */
const PRINCIPAL_KEYS = new Set([
  "aws:principaltype",
  "aws:principalaccount",
  "aws:userid",
  "aws:principalarn",
  "aws:username",
  "aws:principalisawsservice",
  "aws:principalservicename",
]);
const PRINCIPAL_TAG = "aws:principaltag/";

/** Keys written after the principal's (authorize.ts): never principal keys, even from the provider. */
function requestWritten(k: string): boolean {
  return k === "aws:resourceaccount" || k === "aws:tagkeys" || k.startsWith("aws:requesttag/") || k.startsWith("aws:resourcetag/");
}

/**
 * The condition keys of a request that come from its principal and the principal's
 * PrincipalPolicies, lower-cased, in the order the gateway writes them.
 */
export function principalContext(principal: Principal, pol: PrincipalPolicies | undefined): ConditionContext {
  const ctx: ConditionContext = {
    "aws:principaltype": PRINCIPAL_TYPE[principal.type],
    "aws:principalisawsservice": principal.service ? "true" : "false",
  };
  if (principal.type !== "anonymous") {
    ctx["aws:principalaccount"] = principal.accountId;
    ctx["aws:userid"] = principal.userId;
    ctx["aws:principalarn"] = principal.type === "assumed-role" ? (roleArnOfSession(principal.arn) ?? principal.arn) : principal.arn;
    if (principal.type === "user") ctx["aws:username"] = principal.arn.slice(principal.arn.lastIndexOf("/") + 1);
  }
  if (principal.service) ctx["aws:principalservicename"] = principal.service;
  if (pol?.tags) for (const k in pol.tags) ctx[`${PRINCIPAL_TAG}${k.toLowerCase()}`] = pol.tags[k];
  if (pol?.context) for (const k in pol.context) ctx[k.toLowerCase()] = pol.context[k];
  return ctx;
}

/** One candidate statement left to test per request. */
interface Entry {
  st: CompiledStatement;
  src: PolicySource;
  /** Resource with policy variables reading request keys: tested per request. */
  resource: boolean;
  /** Condition reading request keys: tested per request. */
  condition?: ConditionFn;
}

/** One policy type's candidates for a target: a fixed result, or entries to test per request. */
interface Side {
  fixed?: TypeResult;
  entries?: Entry[];
}

/** Everything known ahead about one (action, resource) for a principal. */
export interface Plan {
  identity: Side;
  boundary: Side;
  session: Side;
  /** With every side fixed: the decision for a resource of the principal's own account without a resource-based policy. */
  own?: Decision;
}

const NONE: TypeResult = Object.freeze({});
const FIXED_NONE: Side = Object.freeze({ fixed: NONE });

/** Plans remembered per principal before the map is dropped (requests naming ever new resources). */
const PLANS_MAX = 1024;

export class PrincipalView {
  readonly ctx: ConditionContext;
  private readonly keys: Set<string>;
  /** spec.action as the map gives it -> resource ARN -> plan. */
  private readonly plans = new Map<string, Map<string, Plan>>();
  private planCount = 0;
  /** How often `plans` filled up; past 2, this principal's requests go to the full evaluation. */
  private thrash = 0;

  constructor(
    readonly principal: Principal,
    readonly pol: PrincipalPolicies,
  ) {
    this.ctx = principalContext(principal, pol);
    this.keys = new Set(PRINCIPAL_KEYS);
    for (const k in this.ctx) if (!requestWritten(k)) this.keys.add(k);
  }

  /** Is `k` (lower-cased) one of this principal's own keys, fixed for all its requests? */
  isPrincipalKey(k: string): boolean {
    if (requestWritten(k)) return false;
    return this.keys.has(k) || k.startsWith(PRINCIPAL_TAG);
  }

  private decidable(keys: readonly string[]): boolean {
    for (let i = 0; i < keys.length; i++) if (!this.isPrincipalKey(keys[i])) return false;
    return true;
  }

  /** The plan for an action (as written in the map) on a resource; undefined once plans stop paying (see thrash). */
  plan(action: string, resource: string): Plan | undefined {
    let byResource = this.plans.get(action);
    const hit = byResource?.get(resource);
    if (hit !== undefined) return hit;
    if (this.thrash >= 2) return undefined;
    const plan = this.build(action, resource);
    if (this.planCount >= PLANS_MAX) {
      this.plans.clear();
      this.planCount = 0;
      this.thrash++;
      byResource = undefined;
    }
    if (byResource === undefined) this.plans.set(action, (byResource = new Map()));
    byResource.set(resource, plan);
    this.planCount++;
    return plan;
  }

  private build(action: string, resource: string): Plan {
    const t = targetOf(action, resource);
    const pol = this.pol;
    const plan: Plan = {
      identity: this.side(pol.identity, t.vendor, t.action, resource),
      boundary: pol.boundary ? this.side(single(pol.boundary), t.vendor, t.action, resource) : FIXED_NONE,
      session: pol.session ? this.side(pol.session, t.vendor, t.action, resource) : FIXED_NONE,
    };
    if (plan.identity.fixed && plan.boundary.fixed && plan.session.fixed) {
      const req: AuthzRequest = { principal: this.principal, action, resource, resourceAccountId: this.principal.accountId, context: this.ctx };
      plan.own = evaluateWithSides(req, this.policySet(undefined), this.ctx, plan.identity.fixed, plan.boundary.fixed, plan.session.fixed);
    }
    return plan;
  }

  /** Steps 1-3 of the header comment for one policy type. */
  private side(sources: readonly PolicySource[], vendor: string, action: string, resource: string): Side {
    const compiled = compiledList(sources, true);
    const entries: Entry[] = [];
    let residual = false;
    scan: for (let i = 0; i < sources.length; i++) {
      for (const st of actionStatements(compiled[i], vendor, action)) {
        let perRequestResource = false;
        if (st.resource) {
          if (st.resourceStatic || this.decidable(st.resourceKeys)) {
            if (st.resource(resource, this.ctx) === st.notResource) continue;
          } else perRequestResource = true;
        }
        let condition = st.condition;
        if (condition && this.decidable(st.conditionKeys)) {
          if (!condition(this.ctx)) continue;
          condition = undefined;
        }
        const entry: Entry = { st, src: sources[i], resource: perRequestResource };
        if (condition) entry.condition = condition;
        entries.push(entry);
        if (perRequestResource || condition) residual = true;
        // A Deny that always applies ends the scan: nothing after it can change the result.
        else if (st.deny) break scan;
      }
    }
    if (!residual) return { fixed: evaluateSide(entries, "", NONE_CTX) };
    return { entries };
  }

  /** The PolicySet evaluate.ts is given for this principal (identity side from the provider). */
  policySet(resourcePolicy: PolicySource | undefined): PolicySet {
    const pol = this.pol;
    return { identity: pol.identity, boundary: pol.boundary, session: pol.session, resource: resourcePolicy };
  }
}

const NONE_CTX: ConditionContext = {};

/** One side's result for a request: the first Deny that applies, else the first Allow (evaluate.ts's scan order). */
export function evaluateSide(entries: readonly Entry[], resource: string, ctx: ConditionContext): TypeResult {
  let allow: TypeResult["allow"];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const st = e.st;
    if (e.resource && st.resource!(resource, ctx) === st.notResource) continue;
    if (e.condition && !e.condition(ctx)) continue;
    if (st.deny) return { deny: { st, src: e.src } };
    allow ??= { st, src: e.src, match: "direct" };
  }
  return allow ? { allow } : NONE;
}

/** A side's result: fixed, or evaluated against the request's context. */
export function sideResult(side: Side, resource: string, ctx: ConditionContext): TypeResult {
  return side.fixed ?? evaluateSide(side.entries!, resource, ctx);
}

/** Does every side of the plan have a fixed result (nothing to evaluate per request)? */
export function isFixed(plan: Plan): boolean {
  return plan.identity.fixed !== undefined && plan.boundary.fixed !== undefined && plan.session.fixed !== undefined;
}

const views = new WeakMap<PrincipalPolicies, PrincipalView>();

/**
 * The view of a principal with these policies (remembered per PrincipalPolicies object, which
 * the provider replaces on every IAM change). A provider answering one object for several
 * principals gets one view per principal in turn (never a stale one).
 */
export function viewFor(principal: Principal, pol: PrincipalPolicies): PrincipalView {
  const v = views.get(pol);
  if (v !== undefined && samePrincipal(v.principal, principal)) return v;
  const nv = new PrincipalView(principal, pol);
  views.set(pol, nv);
  return nv;
}

function samePrincipal(a: Principal, b: Principal): boolean {
  return a === b || (a.type === b.type && a.arn === b.arn && a.userId === b.userId && a.accountId === b.accountId && a.service === b.service);
}
