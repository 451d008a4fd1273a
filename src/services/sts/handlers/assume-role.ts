// AssumeRole: the role's trust policy and the caller's own identity policies decide (as AWS
// evaluates sts:AssumeRole), with ExternalId, session policies (Policy, PolicyArns), session
// tags (sts:TagSession), SourceIdentity (sts:SetSourceIdentity) and the duration rules: at
// most the role's MaxSessionDuration, and one hour when a role session assumes a role
// (role chaining).
import type { AssumeRoleRequest, AssumeRoleResponse } from "@aws-sdk/client-sts";
import { AwsError } from "../../../core/errors.js";
import type { Handler, Principal } from "../../../core/service.js";
import {
  accessDenied,
  callerContext,
  checkDuration,
  checkPolicyArns,
  checkSessionName,
  checkSessionPolicy,
  checkTags,
  findRole,
  issueCredentials,
  policiesOf,
  requireTrust,
  sessionPrincipal,
  validationError,
} from "../sessions.js";

/** Service principals calling in-process (Lambda assuming a function's role) name themselves in principal.arn. */
function servicePrincipalOf(p: Principal, internal: boolean): string | undefined {
  return internal && /^[a-z0-9.-]+\.amazonaws\.com$/.test(p.arn) ? p.arn : undefined;
}

export const AssumeRole: Handler<AssumeRoleRequest, AssumeRoleResponse> = async (input, ctx) => {
  const caller = ctx.principal;
  // 1. The request's own shape.
  if ((input.RoleArn ?? "").length < 20) throw validationError(input.RoleArn, "roleArn", "Member must have length greater than or equal to 20");
  const sessionName = checkSessionName(input.RoleSessionName);
  const duration = checkDuration(input.DurationSeconds, 900, 43200);
  const policy = checkSessionPolicy(input.Policy);
  const policyArns = checkPolicyArns(input.PolicyArns);
  const tags = checkTags(input.Tags);
  if (input.ExternalId !== undefined && (input.ExternalId.length < 2 || input.ExternalId.length > 1224)) {
    throw validationError(input.ExternalId, "externalId", input.ExternalId.length < 2 ? "Member must have length greater than or equal to 2" : "Member must have length less than or equal to 1224");
  }
  if (input.SourceIdentity !== undefined) checkSessionName(input.SourceIdentity, "sourceIdentity");

  // 2. The role; a role that does not exist is refused like one the caller may not assume.
  const service = servicePrincipalOf(caller, ctx.protocol === "internal");
  const role = await findRole(ctx, input.RoleArn!);
  if (!role) throw accessDenied(`User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);

  // 3. The trust policy and the caller's identity policies, for each action the request needs.
  const callerPolicies = policiesOf(ctx, caller);
  const context = callerContext(ctx, caller, callerPolicies);
  context["sts:RoleSessionName"] = sessionName;
  if (input.ExternalId !== undefined) context["sts:ExternalId"] = input.ExternalId;
  if (input.SourceIdentity !== undefined) context["sts:SourceIdentity"] = input.SourceIdentity;
  if (tags) {
    for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
    context["aws:TagKeys"] = Object.keys(tags);
  }
  if (input.TransitiveTagKeys?.length) context["sts:TransitiveTagKeys"] = input.TransitiveTagKeys;
  const actions = ["sts:AssumeRole"];
  if (tags) actions.push("sts:TagSession");
  if (input.SourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  const trustCaller: Principal = service ? { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" } : caller;
  requireTrust({ caller: trustCaller, callerPolicies, role, action: "sts:AssumeRole", context, as: service ? { service } : undefined }, actions);

  // 4. Duration: the role's maximum, one hour for role chaining.
  const chained = caller.type === "assumed-role";
  if (duration !== undefined && chained && duration > 3600) {
    throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  }
  if (duration !== undefined && duration > role.MaxSessionDuration) {
    throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
  const seconds = duration ?? 3600;

  // 5. The session: its principal, its policies and tags, recorded with its credentials.
  const principal = sessionPrincipal(role, sessionName);
  const now = ctx.clock.now();
  // Expirations have whole seconds, as AWS's do.
  const credentials = issueCredentials(ctx, principal, Math.floor(now / 1000) * 1000 + seconds * 1000, {
    roleArn: role.Arn,
    policy,
    policyArns,
    tags,
    sourceIdentity: input.SourceIdentity,
    issuedAt: now,
  });
  const out: AssumeRoleResponse = {
    Credentials: credentials,
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.arn },
  };
  // PackedPolicySize: the percentage of the allotted space session policies and tags use.
  if (policy !== undefined || policyArns || tags) {
    const used = (policy?.length ?? 0) + (policyArns ?? []).reduce((s, a) => s + a.length, 0) + Object.entries(tags ?? {}).reduce((s, [k, v]) => s + k.length + v.length, 0);
    out.PackedPolicySize = Math.max(1, Math.ceil((used / 4) * 100 / 2048));
  }
  if (input.SourceIdentity !== undefined) out.SourceIdentity = input.SourceIdentity;
  return out;
};
