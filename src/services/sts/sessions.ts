// What every STS operation that hands out credentials shares: the role it assumes (read from
// IAM through the in-process client), the trust-policy decision (the policy engine), session
// policy and tag checks, the duration rules, and temporary credentials written to the registry
// of issued credentials (so they authenticate, expire on the Nimbus clock and survive restarts).
import { randomBytes, randomInt } from "node:crypto";
import { AwsError } from "../../core/errors.js";
import type { Principal, RequestContext, ServiceRuntime } from "../../core/service.js";
import type { Db } from "../../core/state/database.js";
import { evaluate } from "../../core/iam/evaluate.js";
import { PolicyDocumentError, parsePolicyDocument } from "../../core/iam/policy-document.js";
import type { AuthzRequest, ConditionContext, PolicySet, PrincipalPolicies } from "../../core/iam/types.js";

const runtimes = new WeakMap<Db, ServiceRuntime>();

export function setRuntime(rt: ServiceRuntime): void {
  runtimes.set(rt.db, rt);
}

export function runtimeOf(ctx: RequestContext): ServiceRuntime {
  const rt = runtimes.get(ctx.db);
  if (!rt) throw new Error("sts: the service was not started");
  return rt;
}

// ---- errors --------------------------------------------------------------------------

export function validationError(value: unknown, member: string, constraint: string): AwsError {
  const shown = value === undefined ? "null" : `'${String(value)}'`;
  return new AwsError("ValidationError", `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}

export function accessDenied(message: string): AwsError {
  return new AwsError("AccessDenied", message, 403);
}

function notAuthorized(caller: Principal, action: string, resource: string): AwsError {
  const who = caller.type === "anonymous" ? "Not authorized to perform" : `User: ${caller.arn} is not authorized to perform`;
  return caller.type === "anonymous" ? accessDenied(`${who} ${action}`) : accessDenied(`${who}: ${action} on resource: ${resource}`);
}

// ---- ids and credentials -------------------------------------------------------------

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function newTemporaryKeyId(): string {
  let s = "ASIA";
  for (let i = 0; i < 16; i++) s += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return s;
}

export interface IssuedSession {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
}

/** Issues temporary credentials acting as `principal` until `expiresAt` (Nimbus time). */
export function issueCredentials(ctx: RequestContext, principal: Principal, expiresAt: number, data: Record<string, unknown>): IssuedSession {
  const keyId = newTemporaryKeyId();
  const secret = randomBytes(30).toString("base64").replace(/[^A-Za-z0-9+/]/g, "A").slice(0, 40);
  // Long and opaque like AWS's; the prefix is what AWS session tokens begin with.
  const token = `IQoJb3JpZ2luX2Vj${randomBytes(264).toString("base64")}`;
  runtimeOf(ctx).credentials.add(keyId, { secretAccessKey: secret, sessionToken: token, expiresAt, principal, source: "sts", data });
  return { AccessKeyId: keyId, SecretAccessKey: secret, SessionToken: token, Expiration: new Date(expiresAt) };
}

// ---- input checks --------------------------------------------------------------------

export function checkSessionName(name: string | undefined, member = "roleSessionName"): string {
  if (name === undefined) throw validationError(undefined, member, "Member must not be null");
  if (name.length < 2) throw validationError(name, member, "Member must have length greater than or equal to 2");
  if (name.length > 64) throw validationError(name, member, "Member must have length less than or equal to 64");
  if (!/^[\w+=,.@-]*$/.test(name)) throw validationError(name, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  return name;
}

export function checkDuration(v: number | undefined, min: number, max: number, member = "durationSeconds"): number | undefined {
  if (v === undefined) return undefined;
  if (v < min) throw validationError(v, member, `Member must have value greater than or equal to ${min}`);
  if (v > max) throw validationError(v, member, `Member must have value less than or equal to ${max}`);
  return v;
}

/** A session policy: at most 2048 characters, valid as a session policy (MalformedPolicyDocument otherwise). */
export function checkSessionPolicy(policy: string | undefined): string | undefined {
  if (policy === undefined) return undefined;
  if (policy.length < 1) throw validationError(policy, "policy", "Member must have length greater than or equal to 1");
  if (policy.length > 2048) throw validationError(policy, "policy", "Member must have length less than or equal to 2048");
  try {
    parsePolicyDocument(policy, "session");
  } catch (e) {
    if (e instanceof PolicyDocumentError) throw new AwsError("MalformedPolicyDocumentException", e.message);
    throw e;
  }
  return policy;
}

export function checkPolicyArns(arns: Array<{ arn?: string }> | undefined): string[] | undefined {
  if (!arns?.length) return undefined;
  if (arns.length > 10) throw validationError("[...]", "policyArns", "Member must have length less than or equal to 10");
  return arns.map((a, i) => {
    const arn = a.arn ?? "";
    if (arn.length < 20 || arn.length > 2048) throw validationError(arn, `policyArns.${i + 1}.member.arn`, "Member must have length greater than or equal to 20");
    return arn;
  });
}

export function checkTags(tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> | undefined {
  if (!tags?.length) return undefined;
  if (tags.length > 50) throw validationError("[...]", "tags", "Member must have length less than or equal to 50");
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  tags.forEach((t, i) => {
    const key = t.Key ?? "";
    const value = t.Value ?? "";
    if (key.length < 1 || key.length > 128) throw validationError(key, `tags.${i + 1}.member.key`, "Member must have length less than or equal to 128");
    if (value.length > 256) throw validationError(value, `tags.${i + 1}.member.value`, "Member must have length less than or equal to 256");
    // Session tag keys are case-insensitive: the same key twice, in any case, is refused.
    // TODO(parity): AWS's code for duplicate keys is unverified.
    if (seen.has(key.toLowerCase())) {
      throw new AwsError("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    }
    seen.add(key.toLowerCase());
    out[key] = value;
  });
  return out;
}

// ---- the role ------------------------------------------------------------------------

export interface RoleInfo {
  RoleName: string;
  RoleId: string;
  Arn: string;
  accountId: string;
  MaxSessionDuration: number;
  trustPolicy: string;
  tags: Record<string, string>;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]+)$/;

export function parseRoleArn(arn: string | undefined): { accountId: string; name: string } | undefined {
  const m = ROLE_ARN.exec(arn ?? "");
  return m ? { accountId: m[1], name: m[2] } : undefined;
}

/** The role an ARN names, read from IAM in the role's account; undefined when there is none. */
export async function findRole(ctx: RequestContext, roleArn: string): Promise<RoleInfo | undefined> {
  const parsed = parseRoleArn(roleArn);
  if (!parsed) return undefined;
  let role: { RoleName: string; RoleId: string; Arn: string; MaxSessionDuration?: number; AssumeRolePolicyDocument?: string; Tags?: Array<{ Key: string; Value: string }> };
  try {
    const out = await ctx.client.call<{ Role: typeof role }>("iam", "GetRole", { RoleName: parsed.name }, { accountId: parsed.accountId });
    role = out.Role;
  } catch (e) {
    if (e instanceof AwsError && /NoSuchEntity/.test(e.code)) return undefined;
    throw e;
  }
  // The ARN must name the role as it is (its path), or name it without a path.
  const plain = `arn:aws:iam::${parsed.accountId}:role/${role.RoleName}`;
  if (roleArn !== role.Arn && roleArn !== plain) return undefined;
  const tags: Record<string, string> = {};
  for (const t of role.Tags ?? []) tags[t.Key] = t.Value;
  return {
    RoleName: role.RoleName,
    RoleId: role.RoleId,
    Arn: role.Arn,
    accountId: parsed.accountId,
    MaxSessionDuration: role.MaxSessionDuration ?? 3600,
    trustPolicy: decodeURIComponent(role.AssumeRolePolicyDocument ?? ""),
    tags,
  };
}

// ---- the trust decision --------------------------------------------------------------

export interface TrustCheck {
  caller: Principal;
  /** The caller's policies (IAM users and role sessions), from the principal-policy provider. */
  callerPolicies?: PrincipalPolicies;
  role: RoleInfo;
  action: string;
  context: ConditionContext;
  /** A federated provider (AssumeRoleWith...) or a service principal (in-process calls from a service). */
  as?: AuthzRequest["as"];
}

/**
 * Evaluates one action on the role: the trust policy is the resource-based policy, the
 * caller's identity policies (and boundary, session policies) the identity side, as AWS
 * evaluates sts:AssumeRole. The root user of an account is held to the trust policy alone:
 * Nimbus lets it assume a role whose trust policy allows its account (AWS refuses root
 * AssumeRole outright; see GAPS.md), so it is evaluated as if it came from outside.
 */
export function trustAllows(t: TrustCheck): boolean {
  const policies: PolicySet = { identity: t.callerPolicies?.identity ?? [], resource: { name: "trust policy", document: t.role.trustPolicy } };
  if (t.callerPolicies?.boundary) policies.boundary = t.callerPolicies.boundary;
  if (t.callerPolicies?.session?.length) policies.session = t.callerPolicies.session;
  const rootOrService = t.caller.type === "root" || t.caller.type === "anonymous";
  const decision = evaluate(
    {
      principal: t.caller,
      action: t.action,
      resource: t.role.Arn,
      // Root and federated callers: only the trust policy can allow (see above).
      resourceAccountId: rootOrService ? "aws" : t.role.accountId,
      context: t.context,
      as: t.as,
    },
    policies,
  );
  return decision.decision === "Allow";
}

/** Throws AWS's AccessDenied unless every action (sts:AssumeRole, sts:TagSession...) is allowed. */
export function requireTrust(t: TrustCheck, actions: string[]): void {
  for (const action of actions) {
    if (!trustAllows({ ...t, action })) throw notAuthorized(t.caller, action, t.role.Arn);
  }
}

/** The global condition keys of the caller, for the trust decision. */
export function callerContext(ctx: RequestContext, caller: Principal, pol: PrincipalPolicies | undefined): ConditionContext {
  const now = ctx.clock.now();
  const c: ConditionContext = {
    "aws:CurrentTime": new Date(now).toISOString(),
    "aws:EpochTime": String(Math.floor(now / 1000)),
    "aws:SecureTransport": "false",
    "aws:RequestedRegion": ctx.region,
  };
  if (caller.type !== "anonymous") {
    c["aws:PrincipalAccount"] = caller.accountId;
    c["aws:userid"] = caller.userId;
    c["aws:PrincipalArn"] = caller.arn;
    c["aws:PrincipalType"] = { root: "Account", user: "User", "assumed-role": "AssumedRole", anonymous: "Anonymous" }[caller.type];
    if (caller.type === "user") c["aws:username"] = caller.arn.slice(caller.arn.lastIndexOf("/") + 1);
    if (caller.type === "assumed-role") {
      const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(caller.arn);
      if (m) c["aws:PrincipalArn"] = `arn:aws:iam::${m[1]}:role/${m[2]}`;
    }
  }
  if (pol?.tags) for (const [k, v] of Object.entries(pol.tags)) c[`aws:PrincipalTag/${k}`] = v;
  if (pol?.context) for (const [k, v] of Object.entries(pol.context)) c[k] = v;
  const ua = ctx.headers["user-agent"];
  if (ua) c["aws:UserAgent"] = ua;
  return c;
}

/** The caller's policies, from the principal-policy provider the IAM service installed. */
export function policiesOf(ctx: RequestContext, caller: Principal): PrincipalPolicies | undefined {
  if (caller.type !== "user" && caller.type !== "assumed-role") return undefined;
  return runtimeOf(ctx).principalPolicies?.policiesFor(caller);
}

/** The session principal AssumeRole and friends hand out. */
export function sessionPrincipal(role: RoleInfo, sessionName: string): Principal {
  return {
    type: "assumed-role",
    accountId: role.accountId,
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.RoleName}/${sessionName}`,
    userId: `${role.RoleId}:${sessionName}`,
  };
}
