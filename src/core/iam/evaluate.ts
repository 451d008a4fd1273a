// AWS's policy evaluation logic (IAM User Guide, "Policy evaluation logic": "How AWS enforcement
// code logic evaluates requests to allow or deny access", "Policy evaluation for requests within
// a single account", "Cross-account policy evaluation logic"). The numbered steps below follow
// the documentation's order; Organizations SCPs and RCPs are not modelled (no Organizations).
import type { Principal } from "../service.js";
import { actionStatements, candidatesFor, compilePolicy, type CallerIds, type CompiledPolicy, type CompiledStatement, type PrincipalMatch, normalizedAws } from "./compile.js";
import type { AuthzRequest, ConditionContext, Decision, DecidingPolicyType, PolicySet, PolicySource } from "./types.js";

/** What one policy says about a request. */
interface Scan {
  deny?: CompiledStatement;
  allow?: CompiledStatement;
  /** Resource policies: how the allowing statement's Principal matched the caller. */
  allowMatch?: PrincipalMatch;
}

const NO_IDS: CallerIds = { direct: [], role: [], account: [] };

/** "arn:aws:iam::123:role/path/R" for "arn:aws:sts::123:assumed-role/R/session" (paths are not in session ARNs). */
export function roleArnOfSession(sessionArn: string): string | undefined {
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(sessionArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** The caller's identities for Principal/NotPrincipal matching. */
export function callerIds(p: Principal, as?: AuthzRequest["as"]): CallerIds {
  const root = p.accountId ? [`arn:aws:iam::${p.accountId}:root`] : [];
  const extra = as ? { service: as.service, federated: as.federated } : {};
  switch (p.type) {
    case "root":
      return { direct: root, role: [], account: root, ...extra };
    case "user":
      return { direct: [p.arn, p.userId], role: [], account: root, ...extra };
    case "assumed-role": {
      const role = roleArnOfSession(p.arn);
      const roleId = p.userId.split(":")[0];
      return { direct: [p.arn], role: role ? [role, roleId] : [roleId], account: root, ...extra };
    }
    default:
      return as ? { ...NO_IDS, ...extra } : NO_IDS;
  }
}

/**
 * NotPrincipal: the statement applies to every caller except those listed. A caller is
 * excluded only when all of its identities are listed (a role session needs its session ARN,
 * role ARN and account; a user its ARN and account, as the NotPrincipal page explains), and a
 * Deny with NotPrincipal always applies to a principal with a permissions boundary.
 */
function notPrincipalApplies(st: CompiledStatement, p: Principal, ids: CallerIds, hasBoundary: boolean): boolean {
  const block = st.notPrincipal;
  if (!block) return true;
  if (st.deny && hasBoundary) return true;
  const listed = normalizedAws(block);
  if (block.star || listed.has("*")) return false;
  if (ids.service !== undefined && block.Service?.includes(ids.service)) return false;
  if (ids.federated !== undefined && block.Federated?.includes(ids.federated)) return false;
  if (p.type === "anonymous") return true;
  const mustList = p.type === "root" ? ids.account : p.type === "assumed-role" ? [p.arn, ids.role[0] ?? "", ...ids.account] : [p.arn, ...ids.account];
  for (const id of mustList) if (!listed.has(id)) return true;
  return false;
}

/**
 * Does a candidate statement (its Action and context-free Resource already match, see
 * candidatesFor) apply to the request: resource variables, principal, conditions?
 */
function statementMatches(st: CompiledStatement, req: AuthzRequest, ctx: ConditionContext, ids: CallerIds, hasBoundary: boolean, isResourcePolicy: boolean): PrincipalMatch | false {
  if (st.resource && !st.resourceStatic && st.resource(req.resource, ctx) === st.notResource) return false;
  let match: PrincipalMatch = "direct";
  if (isResourcePolicy) {
    if (st.principal) {
      match = st.principal(ids);
      if (!match) return false;
    } else if (st.notPrincipal) {
      if (!notPrincipalApplies(st, req.principal, ids, hasBoundary)) return false;
    }
  }
  if (st.condition && !st.condition(ctx)) return false;
  return match;
}

const RANK: Record<string, number> = { direct: 3, role: 2, account: 1 };

/** What the request is, for the candidate caches: vendor, lower-cased action, resource and their key. */
export interface Target {
  vendor: string;
  action: string;
  resource: string;
  key: string;
}

function scan(policy: CompiledPolicy, t: Target, req: AuthzRequest, ctx: ConditionContext, ids: CallerIds, hasBoundary: boolean, isResource: boolean): Scan {
  // A policy whose candidate cache keeps overflowing is scanned by action, resources tested here.
  const uncached = policy.thrash >= 2;
  const statements = uncached ? actionStatements(policy, t.vendor, t.action) : candidatesFor(policy, t.vendor, t.action, t.resource, t.key);
  const out: Scan = {};
  for (let i = 0; i < statements.length; i++) {
    const st = statements[i];
    if (uncached && st.resource && st.resourceStatic && st.resource(t.resource, ctx) === st.notResource) continue;
    const m = statementMatches(st, req, ctx, ids, hasBoundary, isResource);
    if (m === false) continue;
    if (st.deny) {
      out.deny = st;
      return out; // an explicit deny ends the scan
    }
    if (!out.allow || (m && RANK[m] > RANK[out.allowMatch ?? "account"])) {
      out.allow = st;
      out.allowMatch = m;
    }
  }
  return out;
}

/** What the policies of one type (identity, boundary, session, resource) say about a request. */
export interface TypeResult {
  deny?: { st: CompiledStatement; src: PolicySource };
  allow?: { st: CompiledStatement; src: PolicySource; match?: PrincipalMatch };
}

/**
 * The compiled policies of a list of sources, remembered per list: providers hand over the same
 * (immutable) array for a principal until IAM changes, so the hot path does one WeakMap lookup
 * instead of one lookup per policy text.
 */
const compiledLists = new WeakMap<readonly PolicySource[], CompiledPolicy[]>();
export function compiledList(sources: readonly PolicySource[], remember: boolean): CompiledPolicy[] {
  let list = compiledLists.get(sources);
  if (!list) {
    list = sources.map((s) => compilePolicy(s.document));
    if (remember) compiledLists.set(sources, list);
  }
  return list;
}

function scanAll(sources: readonly PolicySource[] | undefined, t: Target, req: AuthzRequest, ctx: ConditionContext, ids: CallerIds, hasBoundary: boolean, isResource: boolean): TypeResult {
  const out: TypeResult = {};
  if (!sources) return out;
  // Resource policies arrive in a new object per request (the service's hook): not remembered.
  const compiled = compiledList(sources, !isResource);
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i];
    const s = scan(compiled[i], t, req, ctx, ids, hasBoundary, isResource);
    if (s.deny) return { deny: { st: s.deny, src } };
    if (s.allow && (!out.allow || RANK[s.allowMatch ?? "account"] > RANK[out.allow.match ?? "account"])) out.allow = { st: s.allow, src, match: s.allowMatch };
  }
  return out;
}

/** A one-element list per source object, so compiledList's cache applies to boundaries too. */
const singles = new WeakMap<PolicySource, readonly PolicySource[]>();
export function single(src: PolicySource): readonly PolicySource[] {
  let l = singles.get(src);
  if (!l) singles.set(src, (l = [src]));
  return l;
}

function decide(decision: Decision["decision"], by: DecidingPolicyType, hit?: { st: CompiledStatement; src: PolicySource }): Decision {
  return hit ? { decision, by, statement: hit.st.sid, ...(hit.src.name ? { policy: hit.src.name } : {}) } : { decision, by };
}

/** The request's context with lower-cased keys (condition keys are case-insensitive). */
export function lowerCaseContext(ctx: ConditionContext): ConditionContext {
  const out: ConditionContext = {};
  for (const k in ctx) out[k.toLowerCase()] = ctx[k];
  return out;
}

/**
 * Evaluates a request against its policies. `request.context` may use any case for its keys.
 * The root user of the resource's account is allowed unless a resource policy explicitly denies.
 */
export function evaluate(request: AuthzRequest, policies: PolicySet): Decision {
  return evaluateLowerCased(request, policies, lowerCaseContext(request.context));
}

/** What a request is, for the candidate caches (see Target). */
export function targetOf(action: string, resource: string): Target {
  const a = action.toLowerCase();
  const colon = a.indexOf(":");
  return { vendor: colon < 0 ? a : a.slice(0, colon), action: a, resource, key: `${a} ${resource}` };
}

/** evaluate() for a context whose keys are already lower-case (the gateway builds it so). */
export function evaluateLowerCased(req: AuthzRequest, policies: PolicySet, ctx: ConditionContext): Decision {
  const t = targetOf(req.action, req.resource);
  const p = req.principal;
  const ids = callerIds(p, req.as);
  const hasBoundary = policies.boundary !== undefined;
  const sideless = p.type === "root" || p.type === "anonymous";

  // Root and anonymous callers have no identity-side policies.
  const identity = sideless ? NONE : scanAll(policies.identity, t, req, ctx, ids, hasBoundary, false);
  const boundary = sideless || !policies.boundary ? NONE : scanAll(single(policies.boundary), t, req, ctx, ids, hasBoundary, false);
  const session = sideless || !policies.session ? NONE : scanAll(policies.session, t, req, ctx, ids, hasBoundary, false);
  const resource = policies.resource ? scanAll([policies.resource], t, req, ctx, ids, hasBoundary, true) : NONE;
  return combine(p, req.resourceAccountId, policies, identity, boundary, session, resource);
}

/**
 * evaluateLowerCased() for an IAM user or role session whose identity-side results (identity,
 * boundary and session policies) are already known for this action and resource (their
 * statements' conditions decided for this principal: principal-plan.ts). Only the resource's
 * own policy, if any, is scanned here.
 */
export function evaluateWithSides(req: AuthzRequest, policies: PolicySet, ctx: ConditionContext, identity: TypeResult, boundary: TypeResult, session: TypeResult): Decision {
  let resource = NONE;
  if (policies.resource) {
    const t = targetOf(req.action, req.resource);
    resource = scanAll([policies.resource], t, req, ctx, callerIds(req.principal, req.as), policies.boundary !== undefined, true);
  }
  return combine(req.principal, req.resourceAccountId, policies, identity, boundary, session, resource);
}

const NONE: TypeResult = Object.freeze({});

/** The evaluation logic proper, from what each policy type says about the request. */
function combine(p: Principal, resourceAccountId: string, policies: PolicySet, identity: TypeResult, boundary: TypeResult, session: TypeResult, resource: TypeResult): Decision {
  const isRoot = p.type === "root";
  const anonymous = p.type === "anonymous";
  const sameAccount = !anonymous && resourceAccountId === p.accountId;

  // 1. Deny evaluation: an explicit Deny in any applicable policy (resource, identity, boundary,
  //    session) is final.
  if (resource.deny) return decide("ExplicitDeny", "resource", resource.deny);
  if (identity.deny) return decide("ExplicitDeny", "identity", identity.deny);
  if (boundary.deny) return decide("ExplicitDeny", "boundary", boundary.deny);
  if (session.deny) return decide("ExplicitDeny", "session", session.deny);

  // 2. Organizations RCPs and SCPs: not modelled (no Organizations in Nimbus).

  // Anonymous callers: only a resource policy granting "*" can allow.
  if (anonymous) return resource.allow ? decide("Allow", "resource", resource.allow) : decide("ImplicitDeny", "resource");

  // The root user of the resource's account has full access (only explicit denies bind it).
  if (isRoot && sameAccount) return { decision: "Allow", by: "identity" };
  // 3. Resource-based policies. Within one account an Allow naming the caller itself (user ARN,
  //    role session ARN, or "*") is final even when identity policies, a boundary or session
  //    policies implicitly deny; one naming the role (ARN) still needs the boundary and session
  //    policies to allow; one naming only the account delegates to identity policies.
  const rmatch = resource.allow?.match;
  if (sameAccount && resource.allow && rmatch === "direct") return decide("Allow", "resource", resource.allow);
  const grantedToRole = sameAccount && rmatch === "role";

  // 4. Identity-based policies: at least one must allow (root of another account: its own
  //    account's policies are not Nimbus's business; root may do anything there).
  if (!isRoot && !identity.allow && !grantedToRole) return decide("ImplicitDeny", "identity");

  // 5. Permissions boundaries: when present, must allow too.
  if (policies.boundary && !isRoot && !boundary.allow) return decide("ImplicitDeny", "boundary");

  // 6. Session policies: when present (role and federated sessions), must allow too.
  if (policies.session && policies.session.length > 0 && !isRoot && !session.allow) return decide("ImplicitDeny", "session");

  // 7. Cross-account: the resource's account must allow through its resource-based policy,
  //    as well as the caller's account through its identity-based policies.
  if (!sameAccount && !resource.allow) return decide("ImplicitDeny", "resource");

  return grantedToRole ? decide("Allow", "resource", resource.allow) : decide("Allow", "identity", identity.allow);
}
