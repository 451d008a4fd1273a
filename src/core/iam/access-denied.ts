// The error a denied request answers, in each protocol's wording, with AWS's message:
//   User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:PutObject on
//   resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action
// and, for EC2, an encoded authorization message that sts:DecodeAuthorizationMessage decodes
// (decodeAuthorizationMessage below).
import { AwsError } from "../errors.js";
import type { ProtocolId } from "../model/types.js";
import type { Principal } from "../service.js";
import type { ConditionContext, Decision } from "./types.js";

const POLICY_TYPE_NAMES: Record<string, string> = {
  identity: "identity-based policy",
  resource: "resource-based policy",
  boundary: "permissions boundary",
  session: "session policy",
  none: "identity-based policy",
};

/** AWS's reason clause: "with an explicit deny in a resource-based policy" / "because no session policy allows the x:Y action". */
export function denialReason(decision: Decision, action: string): string {
  const type = POLICY_TYPE_NAMES[decision.by] ?? POLICY_TYPE_NAMES.identity;
  return decision.decision === "ExplicitDeny" ? `with an explicit deny in ${/^[aeiou]/.test(type) ? "an" : "a"} ${type}` : `because no ${type} allows the ${action} action`;
}

/** "User: <arn> is not authorized to perform: <action> on resource: <resource> <reason>". */
export function denialMessage(principal: Principal, action: string, resource: string, decision: Decision, quoteResource = false): string {
  const res = quoteResource ? `"${resource}"` : resource;
  return `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${res} ${denialReason(decision, action)}`;
}

export interface DenialDetails {
  service: string;
  protocol: ProtocolId;
  /** awsQueryCompatible JSON services (SQS) answer the query code. */
  queryCompatible: boolean;
  principal: Principal;
  action: string;
  resource: string;
  decision: Decision;
  context: ConditionContext;
}

/** The AwsError for a denial, per protocol family. */
export function accessDeniedError(d: DenialDetails): AwsError {
  const { principal, resource, decision } = d;
  if (d.service === "s3" || d.service === "s3-control") {
    // Anonymous callers get S3's bare "Access Denied".
    const msg = principal.type === "anonymous" ? "Access Denied" : denialMessage(principal, d.action, resource, decision, true);
    return new AwsError("AccessDenied", msg, 403);
  }
  if (d.protocol === "ec2Query") {
    const encoded = encodeAuthorizationMessage(d);
    const msg = `You are not authorized to perform this operation. ${denialMessage(principal, d.action, resource, decision)}. Encoded authorization failure message: ${encoded}`;
    return new AwsError("UnauthorizedOperation", msg, 403);
  }
  if (d.service === "sqs") {
    // SQS names the action in lower case ("sqs:sendmessage") and answers the query code in both protocols.
    const action = d.action.toLowerCase();
    return new AwsError("AccessDenied", denialMessage(principal, action, resource, decision), 403);
  }
  if (d.service === "sns") {
    // SNS answers AuthorizationError and names the action with its upper-case prefix ("SNS:Publish").
    const action = `SNS:${d.action.slice(d.action.indexOf(":") + 1)}`;
    return new AwsError("AuthorizationErrorException", denialMessage(principal, action, resource, decision), 403);
  }
  const msg = denialMessage(principal, d.action, resource, decision);
  if (d.protocol === "awsQuery") return new AwsError("AccessDenied", msg, 403);
  if (d.queryCompatible) return new AwsError("AccessDenied", msg, 403);
  if (d.protocol === "restJson1" || d.protocol === "restXml") return new AwsError("AccessDeniedException", msg, 403);
  return new AwsError("AccessDeniedException", msg, 400);
}

/** The document DecodeAuthorizationMessage returns (the shape AWS documents for it). */
export interface AuthorizationMessage {
  allowed: boolean;
  explicitDeny: boolean;
  matchedStatements: { items: Array<{ statementId: string; effect: string; policy?: string }> };
  failures: { items: string[] };
  context: {
    principal: { id: string; arn: string };
    action: string;
    resource: string;
    conditions: { items: Array<{ key: string; values: { items: Array<{ value: string }> } }> };
  };
}

const PREFIX = "nimbus1.";

/** Encodes the details of a denial as an opaque string (base64url JSON under a version prefix). */
export function encodeAuthorizationMessage(d: Pick<DenialDetails, "principal" | "action" | "resource" | "decision" | "context">): string {
  const msg: AuthorizationMessage = {
    allowed: d.decision.decision === "Allow",
    explicitDeny: d.decision.decision === "ExplicitDeny",
    matchedStatements: { items: d.decision.statement ? [{ statementId: d.decision.statement, effect: d.decision.decision === "Allow" ? "ALLOW" : "DENY", ...(d.decision.policy ? { policy: d.decision.policy } : {}) }] : [] },
    failures: { items: [] },
    context: {
      principal: { id: d.principal.userId, arn: d.principal.arn },
      action: d.action,
      resource: d.resource,
      conditions: {
        items: Object.entries(d.context).map(([key, v]) => ({ key, values: { items: (Array.isArray(v) ? v : [v]).map((value) => ({ value })) } })),
      },
    },
  };
  return PREFIX + Buffer.from(JSON.stringify(msg)).toString("base64url");
}

/** The JSON text of an encoded message, or undefined when it is not one Nimbus made (InvalidAuthorizationMessageException). */
export function decodeAuthorizationMessage(encoded: string): string | undefined {
  if (!encoded.startsWith(PREFIX)) return undefined;
  try {
    const text = Buffer.from(encoded.slice(PREFIX.length), "base64url").toString("utf8");
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}
