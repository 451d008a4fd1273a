// The IAM contract between the policy engine (core/iam), the IAM/STS service and the services
// with resource-based policies (S3 bucket policies, SQS queue policies, Lambda permissions...).
// docs/architecture.md ("Authorization") says how they fit. Everything here is types only: the engine's functions live
// in policy-document.ts (parse + validate) and evaluate.ts (the evaluation logic).
import type { Principal, ServiceRuntime } from "../service.js";

/**
 * Which kind of policy a document is; validation differs:
 * - identity: attached to users/groups/roles (managed or inline). No Principal/NotPrincipal;
 *   Resource or NotResource required.
 * - resource: bucket/queue/function/key policies. Principal or NotPrincipal required.
 * - trust: a role's AssumeRolePolicyDocument. Principal required; Resource is prohibited.
 * - boundary: a permissions boundary (a managed policy used as one): same rules as identity.
 * - session: a session policy passed to AssumeRole, AssumeRoleWith... or GetFederationToken: same rules as identity.
 */
export type PolicyKind = "identity" | "resource" | "trust" | "boundary" | "session";

/** A condition value as written in a policy: always normalised to a list of strings. */
export type ConditionBlock = Record<string, Record<string, string[]>>;

/** Principal element, normalised: each type maps to a list ("*" alone is { AWS: ["*"] } plus star). */
export interface PrincipalBlock {
  /** Principal: "*" (everyone, including anonymous). */
  star: boolean;
  AWS?: string[];
  Service?: string[];
  Federated?: string[];
  CanonicalUser?: string[];
}

export interface ParsedStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Condition?: ConditionBlock;
}

/** A validated policy document. Compile it (or just pass its JSON) to evaluate(). */
export interface ParsedPolicy {
  /** "2012-10-17" or "2008-10-17"; policy variables are only expanded in 2012-10-17. Absent = 2008-10-17 rules. */
  Version?: string;
  Id?: string;
  Statement: ParsedStatement[];
}

/**
 * One policy handed to the engine. `document` is the JSON text: the engine compiles each
 * distinct text once and caches it, so providers should hand over the stored string as is
 * (no re-serialising per request). `name` is for audit logs and DecodeAuthorizationMessage
 * (a managed policy ARN, or "user/<name>/<policyName>" for inline ones).
 */
export interface PolicySource {
  name?: string;
  document: string;
}

/** Condition context: global keys (aws:*) and service keys (s3:prefix); names are case-insensitive. */
export type ContextValue = string | string[];
export type ConditionContext = Record<string, ContextValue>;

/** What the request asks for (one action on one resource). */
export interface AuthzRequest {
  principal: Principal;
  /** "s3:GetObject" (any case: actions match case-insensitively). */
  action: string;
  /** The resource ARN ("*" for actions without a resource type). */
  resource: string;
  /** Account that owns the resource; differs from principal.accountId for cross-account access. */
  resourceAccountId: string;
  /** Condition keys of the request (see context.ts for the global ones the gateway fills in). */
  context: ConditionContext;
  /**
   * Other identities the caller has, for Principal matching in resource and trust policies:
   * a service principal ("lambda.amazonaws.com") for requests a service makes, a federated
   * provider ("cognito-identity.amazonaws.com", a SAML provider ARN) for AssumeRoleWith*.
   */
  as?: { service?: string; federated?: string };
}

/** The policies that apply to a request. */
/** The engine remembers compiled forms per array and source object: never mutate them after handing them over. */
export interface PolicySet {
  /** Identity-based policies: user's inline + attached + its groups', or the role's for a session. */
  identity: readonly PolicySource[];
  /** The principal's permissions boundary, if any. */
  boundary?: PolicySource;
  /** Session policies of a role or federated session (inline + managed passed at AssumeRole). */
  session?: readonly PolicySource[];
  /** The resource's resource-based policy (or a role's trust policy for sts:AssumeRole). */
  resource?: PolicySource;
}

/** Which policy type decided, for AWS's error message ("... because no identity-based policy allows ..."). */
export type DecidingPolicyType = "identity" | "resource" | "boundary" | "session" | "none";

export interface Decision {
  decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
  /**
   * For ExplicitDeny: the policy type holding the Deny statement. For ImplicitDeny: the type
   * that failed to allow ("identity": no identity-based policy allows; "resource": cross-account
   * or anonymous and no resource-based policy allows; "boundary"; "session"). For Allow: the type
   * that granted it ("resource" when a same-account resource policy sufficed, else "identity").
   */
  by: DecidingPolicyType;
  /** The Sid (or index) of the deciding statement, when one decided; for audit logs. */
  statement?: string;
  /** The deciding policy's name (PolicySource.name). */
  policy?: string;
}

/** What the principal-policy provider answers for a principal (IAM user or assumed-role session). */
export interface PrincipalPolicies {
  identity: readonly PolicySource[];
  boundary?: PolicySource;
  session?: readonly PolicySource[];
  /** The principal's tags (user tags; for a session the role's tags overridden by session tags): aws:PrincipalTag/<key>. */
  tags?: Readonly<Record<string, string>>;
  /**
   * Extra global keys the provider knows (aws:TokenIssueTime, aws:MultiFactorAuthPresent,
   * aws:SourceIdentity, aws:FederatedProvider, aws:RequestedRegion is the gateway's).
   */
  context?: Readonly<ConditionContext>;
}

/**
 * Given a Principal (user, assumed-role session, federated user), its policies. Implemented by
 * the IAM service from its persistent store and registered through ServiceDefinition
 * `principalPolicies` (or set directly on the Nimbus instance by a bench or test).
 *
 * Called on the hot path of every request an IAM principal makes, synchronously: keep it cheap
 * (prepared statements, or a cache invalidated on every IAM write). Answer undefined for a
 * principal IAM does not know (e.g. a deleted user whose key still resolves): the request is
 * then denied as having no identity-based policy.
 */
export interface PrincipalPolicyProvider {
  policiesFor(principal: Principal): PrincipalPolicies | undefined;
}

/** What a service's resource-policy hook is asked: one operation's resource. */
export interface ResourcePolicyQuery {
  /** AWS operation name ("PutObject"). */
  operation: string;
  /** The IAM action being authorized ("s3:PutObject"); an operation may authorize several. */
  action: string;
  /** The typed input of the operation (after validation). */
  input: Record<string, unknown>;
  /** The resource ARN the action is authorized on (from models/iam-actions.json). */
  resource: string;
  /** The caller (root, IAM user, role session, anonymous) and its account ("" when anonymous). */
  principal: Principal;
  accountId: string;
  /** The request's region. */
  region: string;
}

export interface ResourcePolicyInfo {
  /** Account that owns the resource (S3: the bucket owner; SQS: the queue's account). */
  ownerAccountId: string;
  /**
   * The resource's real ARN when the request named it otherwise (a KMS alias for its key, a
   * KMS Decrypt whose key is read from the ciphertext): evaluated and reported instead.
   */
  resource?: string;
  /** The resource-based policy JSON, as stored; undefined when the resource has none. */
  policy?: string;
  /** The resource's tags, for aws:ResourceTag/<key>. */
  tags?: Readonly<Record<string, string>>;
  /** Extra condition keys only the service knows (s3:ExistingObjectTag/<key>, s3:x-amz-acl...). */
  context?: Readonly<ConditionContext>;
}

/**
 * A service's resource-policy hook (ServiceDefinition.resourcePolicy): the owner and policy of
 * the resource a request targets, or undefined when the resource does not exist (the handler
 * will answer NoSuchBucket etc.; the engine then evaluates identity policies only, with the
 * caller's account as owner). Synchronous and on the hot path: one indexed read at most.
 */
export type ResourcePolicyHook = (q: ResourcePolicyQuery, rt: ServiceRuntime) => ResourcePolicyInfo | undefined;
