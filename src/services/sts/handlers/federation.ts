// AssumeRoleWithWebIdentity and AssumeRoleWithSAML: unsigned requests carrying a token from an
// identity provider; the role's trust policy must allow the provider (Principal Federated) and
// its conditions on the token's claims (<issuer>:sub, <issuer>:aud, SAML:aud, SAML:sub...).
// Nimbus reads the token's claims without verifying its signature (see GAPS.md).
import { createHash } from "node:crypto";
import type {
  AssumeRoleWithSAMLRequest,
  AssumeRoleWithSAMLResponse,
  AssumeRoleWithWebIdentityRequest,
  AssumeRoleWithWebIdentityResponse,
} from "@aws-sdk/client-sts";
import { AwsError } from "../../../core/errors.js";
import type { Handler, Principal, RequestContext } from "../../../core/service.js";
import type { ConditionContext } from "../../../core/iam/types.js";
import {
  accessDenied,
  callerContext,
  checkDuration,
  checkPolicyArns,
  checkSessionName,
  checkSessionPolicy,
  findRole,
  issueCredentials,
  parseRoleArn,
  requireTrust,
  sessionPrincipal,
  validationError,
} from "../sessions.js";

const ANONYMOUS: Principal = { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" };

/** Providers trust policies name by their own name rather than an IAM OIDC provider ARN. */
const WELL_KNOWN = new Set(["accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"]);

function invalidToken(message: string): AwsError {
  return new AwsError("InvalidIdentityTokenException", message);
}

async function oidcProvider(ctx: RequestContext, arn: string, accountId: string): Promise<{ ClientIDList: string[] } | undefined> {
  try {
    const out = await ctx.client.call<{ ClientIDList?: string[] }>("iam", "GetOpenIDConnectProvider", { OpenIDConnectProviderArn: arn }, { accountId });
    return { ClientIDList: out.ClientIDList ?? [] };
  } catch (e) {
    if (e instanceof AwsError && /NoSuchEntity/.test(e.code)) return undefined;
    throw e;
  }
}

function decodeJwt(token: string): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length < 2) throw invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)");
  try {
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as unknown;
    if (payload && typeof payload === "object" && !Array.isArray(payload)) return payload as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)");
}

async function assumeFederated(
  ctx: RequestContext,
  opts: { roleArn?: string; sessionName: string; action: string; federated: string; context: ConditionContext; durationSeconds?: number; policy?: string; policyArns?: string[]; provider: string },
) {
  const parsed = parseRoleArn(opts.roleArn);
  const role = parsed ? await findRole(ctx, opts.roleArn!) : undefined;
  if (!role) throw accessDenied(`Not authorized to perform ${opts.action}`);
  const context = { ...callerContext(ctx, ANONYMOUS, undefined), ...opts.context, "aws:FederatedProvider": opts.provider };
  requireTrust({ caller: ANONYMOUS, role, action: opts.action, context, as: { federated: opts.federated } }, [opts.action]);
  if (opts.durationSeconds !== undefined && opts.durationSeconds > role.MaxSessionDuration) {
    throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
  const principal = sessionPrincipal(role, opts.sessionName);
  const now = ctx.clock.now();
  const credentials = issueCredentials(ctx, principal, Math.floor(now / 1000) * 1000 + (opts.durationSeconds ?? 3600) * 1000, {
    roleArn: role.Arn,
    policy: opts.policy,
    policyArns: opts.policyArns,
    issuedAt: now,
    federatedProvider: opts.provider,
  });
  return { credentials, principal };
}

export const AssumeRoleWithWebIdentity: Handler<AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse> = async (input, ctx) => {
  const sessionName = checkSessionName(input.RoleSessionName);
  const duration = checkDuration(input.DurationSeconds, 900, 43200);
  const policy = checkSessionPolicy(input.Policy);
  const policyArns = checkPolicyArns(input.PolicyArns);
  const token = input.WebIdentityToken ?? "";
  if (token.length < 4 || token.length > 20000) throw validationError("***", "webIdentityToken", "Member must have length greater than or equal to 4");
  const claims = decodeJwt(token);
  const now = ctx.clock.now();
  if (typeof claims.exp === "number" && claims.exp * 1000 <= now) {
    throw new AwsError("ExpiredTokenException", "Token expired: current date/time " + Math.floor(now / 1000) + " must be before the expiration date/time " + claims.exp);
  }
  // The provider: a well-known one by name, else the IAM OIDC provider of the token's issuer.
  const iss = typeof claims.iss === "string" ? claims.iss : input.ProviderId ?? "";
  const issuer = iss.replace(/^https:\/\//, "").replace(/\/$/, "");
  const roleAccount = parseRoleArn(input.RoleArn)?.accountId ?? "";
  const federated = WELL_KNOWN.has(issuer) ? issuer : `arn:aws:iam::${roleAccount}:oidc-provider/${issuer}`;
  const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : claims.aud !== undefined ? [String(claims.aud)] : [];
  // An OIDC issuer must be registered in the role's account (CreateOpenIDConnectProvider) and
  // list the token's audience among its client ids.
  if (!WELL_KNOWN.has(issuer) && roleAccount) {
    const registered = await oidcProvider(ctx, federated, roleAccount);
    if (!registered) throw invalidToken(`No OpenIDConnect provider found in your account for https://${issuer}`);
    if (!aud.some((a) => registered.ClientIDList.includes(a))) throw invalidToken("Incorrect token audience");
  }
  const sub = claims.sub !== undefined ? String(claims.sub) : "";
  const context: ConditionContext = { [`${issuer}:sub`]: sub, [`${issuer}:aud`]: aud.length === 1 ? aud[0] : aud };
  if (typeof claims.azp === "string") context[`${issuer}:azp`] = claims.azp;
  if (claims.amr !== undefined) context[`${issuer}:amr`] = Array.isArray(claims.amr) ? claims.amr.map(String) : [String(claims.amr)];
  if (typeof claims.email === "string") context[`${issuer}:email`] = claims.email;
  const { credentials, principal } = await assumeFederated(ctx, {
    roleArn: input.RoleArn,
    sessionName,
    action: "sts:AssumeRoleWithWebIdentity",
    federated,
    context,
    durationSeconds: duration,
    policy,
    policyArns,
    provider: federated,
  });
  return {
    Credentials: credentials,
    SubjectFromWebIdentityToken: sub,
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.arn },
    Provider: WELL_KNOWN.has(issuer) ? issuer : federated,
    Audience: aud[0],
  };
};

/** The first text of an element (any namespace prefix) in the assertion. */
function element(xml: string, name: string): { text: string; attrs: string } | undefined {
  const m = new RegExp(`<(?:[\\w-]+:)?${name}\\b([^>]*)>([^<]*)</(?:[\\w-]+:)?${name}>`).exec(xml);
  return m ? { attrs: m[1], text: m[2].trim() } : undefined;
}

/** Values of a SAML attribute by Name. */
function attribute(xml: string, name: string): string[] {
  const re = new RegExp(`<(?:[\\w-]+:)?Attribute\\b[^>]*Name="${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"[^>]*>([\\s\\S]*?)</(?:[\\w-]+:)?Attribute>`);
  const m = re.exec(xml);
  if (!m) return [];
  return [...m[1].matchAll(/<(?:[\w-]+:)?AttributeValue\b[^>]*>([^<]*)</g)].map((v) => v[1].trim());
}

export const AssumeRoleWithSAML: Handler<AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse> = async (input, ctx) => {
  const duration = checkDuration(input.DurationSeconds, 900, 43200);
  const policy = checkSessionPolicy(input.Policy);
  const policyArns = checkPolicyArns(input.PolicyArns);
  const principalArn = input.PrincipalArn ?? "";
  if (!/^arn:aws:iam::\d{12}:saml-provider\/[\w._-]+$/.test(principalArn)) {
    throw validationError(principalArn, "principalArn", "Member must have length greater than or equal to 20");
  }
  const raw = input.SAMLAssertion ?? "";
  const xml = /^[A-Za-z0-9+/=\s]+$/.test(raw) ? Buffer.from(raw, "base64").toString("utf8") : "";
  if (!/<(?:[\w-]+:)?Assertion\b/.test(xml)) throw invalidToken("Invalid SAML response: the assertion is not a SAML 2.0 assertion.");
  const issuer = element(xml, "Issuer")?.text ?? "";
  const nameId = element(xml, "NameID");
  const subject = nameId?.text ?? "";
  const format = /Format="([^"]*)"/.exec(nameId?.attrs ?? "")?.[1] ?? "";
  const subjectType = format.endsWith(":persistent") ? "persistent" : format.endsWith(":transient") ? "transient" : format;
  const audience = element(xml, "Audience")?.text ?? "https://signin.aws.amazon.com/saml";
  const sessionName = checkSessionName(attribute(xml, "https://aws.amazon.com/SAML/Attributes/RoleSessionName")[0] ?? subject, "roleSessionName");
  const account = principalArn.split(":")[4];
  const providerName = principalArn.slice(principalArn.indexOf("/") + 1);
  // NameQualifier: base64(SHA1(issuer + account + provider name)), as the STS reference defines it.
  const nameQualifier = createHash("sha1").update(issuer + account + providerName).digest("base64");
  const context: ConditionContext = {
    "SAML:aud": audience,
    "SAML:iss": issuer,
    "SAML:sub": subject,
    "SAML:sub_type": subjectType,
    "SAML:namequalifier": nameQualifier,
  };
  const { credentials, principal } = await assumeFederated(ctx, {
    roleArn: input.RoleArn,
    sessionName,
    action: "sts:AssumeRoleWithSAML",
    federated: principalArn,
    context,
    durationSeconds: duration,
    policy,
    policyArns,
    provider: principalArn,
  });
  return {
    Credentials: credentials,
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.arn },
    Subject: subject,
    SubjectType: subjectType,
    Issuer: issuer,
    Audience: audience,
    NameQualifier: nameQualifier,
  };
};
