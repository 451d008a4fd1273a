// S3's access decision, run before every S3 handler (withAccess wraps the handler map):
//   1. find the bucket (none: the handler answers NoSuchBucket / creates it);
//   2. an explicit Deny in the bucket policy refuses anyone, the owner's root included, except
//      root's own policy operations (AWS never locks root out of its bucket policy);
//   3. the bucket owner's account is allowed (IAM principals are the IAM engine's business);
//   4. anyone else (another account, or anonymous) needs an Allow from the bucket policy (unless
//      the policy is public and RestrictPublicBuckets is on) or an ACL grant (unless ACLs are
//      disabled by BucketOwnerEnforced; public grants unless IgnorePublicAcls is on);
//   5. the grant is recorded for this request and bucket, so ownBucket() lets the handler run.
// It also validates and stores ACL headers on object writes, and adds CORS headers to answers
// whose request carries an Origin.
import { AwsError, isAwsError } from "../../../core/errors.js";
import { RESPONSE_HEADERS, type Handler, type Principal, type RequestContext } from "../../../core/service.js";
import { aclAllows, canonicalIdOf, grantsFromHeaders, hasAclHeaders, isPublicAcl, onlyOwnerFullControl, type AclInput, type Permission } from "./acl.js";
import { bucketGrants, effectivePab, objectAcl, ownershipOf, peekBucket, policyOf, readBucket, writeObjectAcl, type AccessBucket, type AccessView } from "./config.js";
import { corsHeadersFor } from "./cors-match.js";
import type { ResourcePolicyHook, ResourcePolicyQuery } from "../../../core/iam/types.js";
import { evaluatePolicy, isPublicPolicy } from "./policy.js";
import { accessPointContext, enterAccessPoint } from "../access-points/resolve.js";

type Level = "bucket" | "object";
interface OpAccess {
  action: string;
  level: Level;
}

/** IAM action names where they differ from "s3:" + operation. */
const ACTIONS: Record<string, string> = {
  HeadObject: "s3:GetObject",
  HeadBucket: "s3:ListBucket",
  ListObjects: "s3:ListBucket",
  ListObjectsV2: "s3:ListBucket",
  ListObjectVersions: "s3:ListBucketVersions",
  ListMultipartUploads: "s3:ListBucketMultipartUploads",
  ListParts: "s3:ListMultipartUploadParts",
  CopyObject: "s3:PutObject",
  CreateMultipartUpload: "s3:PutObject",
  UploadPart: "s3:PutObject",
  UploadPartCopy: "s3:PutObject",
  CompleteMultipartUpload: "s3:PutObject",
  DeleteObjects: "s3:DeleteObject",
  GetBucketCors: "s3:GetBucketCORS",
  PutBucketCors: "s3:PutBucketCORS",
  DeleteBucketCors: "s3:PutBucketCORS",
  DeletePublicAccessBlock: "s3:PutBucketPublicAccessBlock",
  GetPublicAccessBlock: "s3:GetBucketPublicAccessBlock",
  PutPublicAccessBlock: "s3:PutBucketPublicAccessBlock",
  DeleteBucketOwnershipControls: "s3:PutBucketOwnershipControls",
  DeleteBucketTagging: "s3:PutBucketTagging",
  GetObjectAttributes: "s3:GetObjectAttributes",
  PostObject: "s3:PutObject",
  // S3 Select reads the object: the Service Authorization Reference lists it under s3:GetObject.
  SelectObjectContent: "s3:GetObject",
};

/** accessOf's answers by operation, [without a key, with one]: it runs twice per request. */
const accessByOperation = new Map<string, [OpAccess, OpAccess]>();

export function accessOf(operation: string, hasKey: boolean): OpAccess {
  let both = accessByOperation.get(operation);
  if (both === undefined) {
    const action = ACTIONS[operation] ?? `s3:${operation}`;
    const objectLevel = operation !== "DeleteObjects" && operation !== "ListObjects" && operation !== "ListObjectsV2";
    both = [Object.freeze({ action, level: "bucket" }), Object.freeze({ action, level: objectLevel ? "object" : "bucket" })];
    // Operation names come from the model (the router matched one), a bounded set.
    accessByOperation.set(operation, both);
  }
  return both[hasKey ? 1 : 0];
}

// ---- Grants recorded per request ----

/**
 * The buckets a request was let into, on the request's context under a symbol: the first as a
 * string (almost every request names one bucket), a Set from a second on (a copy's source).
 * A WeakMap entry per request (and a Set) was ~1.5% of a 4 KiB GetObject's CPU.
 */
const GRANTED = Symbol("s3.granted");
type Granted = { [GRANTED]?: string | Set<string> };

/** Whether this request was let into `bucket` by its policy or ACL (ownBucket asks). */
export function isGranted(ctx: RequestContext, bucket: string): boolean {
  const g = (ctx as Granted)[GRANTED];
  return g === bucket || (typeof g === "object" && g.has(bucket));
}

function grant(ctx: RequestContext, bucket: string): void {
  const c = ctx as Granted;
  const g = c[GRANTED];
  if (g === undefined) c[GRANTED] = bucket;
  else if (typeof g === "string") {
    if (g !== bucket) c[GRANTED] = new Set([g, bucket]);
  } else g.add(bucket);
}

export function accessDenied(): AwsError {
  return new AwsError("AccessDenied", "Access Denied", 403);
}

const POLICY_OPS = new Set(["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"]);

/** Condition keys S3 knows of a request (lower-cased names). */
function contextOf(ctx: RequestContext, input: Record<string, unknown>, b: AccessBucket): Record<string, string | string[] | undefined> {
  const p = ctx.principal;
  const h = ctx.headers;
  const now = ctx.clock.now();
  const authType = h.authorization ? "REST-HEADER" : p.type === "anonymous" ? undefined : ctx.operation === "PostObject" ? "POST" : "REST-QUERY-STRING";
  return {
    "aws:currenttime": new Date(now).toISOString(),
    "aws:epochtime": String(Math.floor(now / 1000)),
    "aws:securetransport": "false",
    "aws:sourceip": (h["x-forwarded-for"] ?? "127.0.0.1").split(",")[0].trim(),
    "aws:useragent": h["user-agent"],
    "aws:referer": h.referer,
    "aws:principalaccount": p.type === "anonymous" ? undefined : p.accountId,
    "aws:principalarn": p.type === "anonymous" ? undefined : p.arn,
    "aws:principaltype": p.type === "anonymous" ? "Anonymous" : p.type === "root" ? "Account" : p.type === "user" ? "User" : "AssumedRole",
    "aws:userid": p.type === "anonymous" ? "anonymous" : p.userId,
    "aws:resourceaccount": b.accountId,
    "s3:resourceaccount": b.accountId,
    "s3:authtype": authType,
    "s3:signatureversion": p.type === "anonymous" ? undefined : "AWS4-HMAC-SHA256",
    "s3:prefix": typeof input.Prefix === "string" ? input.Prefix : undefined,
    "s3:delimiter": typeof input.Delimiter === "string" ? input.Delimiter : undefined,
    "s3:max-keys": input.MaxKeys !== undefined ? String(input.MaxKeys) : undefined,
    "s3:x-amz-acl": typeof input.ACL === "string" ? input.ACL : undefined,
    "s3:x-amz-content-sha256": h["x-amz-content-sha256"],
    "s3:x-amz-server-side-encryption": h["x-amz-server-side-encryption"],
    "s3:x-amz-storage-class": h["x-amz-storage-class"],
    "s3:x-amz-copy-source": h["x-amz-copy-source"],
    "s3:x-amz-metadata-directive": h["x-amz-metadata-directive"],
    ...accessPointContext(ctx),
  };
}

/** The ACL permission that grants an action (undefined: no ACL grants it). */
function aclPermissionOf(action: string): Permission | undefined {
  switch (action.toLowerCase()) {
    case "s3:listbucket":
    case "s3:listbucketversions":
    case "s3:listbucketmultipartuploads":
    case "s3:getobject":
    case "s3:getobjectversion":
      return "READ";
    case "s3:putobject":
    case "s3:deleteobject":
    case "s3:deleteobjectversion":
    case "s3:abortmultipartupload":
      return "WRITE";
    case "s3:getbucketacl":
    case "s3:getobjectacl":
      return "READ_ACP";
    case "s3:putbucketacl":
    case "s3:putobjectacl":
      return "WRITE_ACP";
    default:
      return undefined;
  }
}

/** Object-level permissions are read from the object's ACL, the others from the bucket's. */
const OBJECT_ACL_ACTIONS = new Set(["s3:getobject", "s3:getobjectversion", "s3:getobjectacl", "s3:putobjectacl"]);

/**
 * Steps 2-4 for one action on one resource of bucket `b`, synchronously (the IAM engine's
 * resource-policy hook calls it too). "Deny": an explicit Deny in the bucket policy; "Allow":
 * the owner's account, or the policy or an ACL lets this caller in; "None": nothing does.
 */
export function decide(view: AccessView, b: AccessBucket, p: Principal, action: string, key: string | undefined, context: () => Record<string, string | string[] | undefined>): "Allow" | "Deny" | "None" {
  const sameAccount = p.type !== "anonymous" && p.accountId === b.accountId;
  const policy = policyOf(b);
  // Where ACLs are on, an object another account wrote is that account's: the bucket owner reads
  // it only through the object's ACL.
  const objectAction = key !== undefined && OBJECT_ACL_ACTIONS.has(action.toLowerCase());
  const foreignObject = sameAccount && objectAction && ownershipOf(b) !== "BucketOwnerEnforced" && objectAcl(view, b, key!).owner !== b.accountId;
  if (sameAccount && !policy && !foreignObject) return "Allow";
  const resource = key !== undefined ? `arn:aws:s3:::${b.name}/${key}` : `arn:aws:s3:::${b.name}`;
  let verdict: "Allow" | "Deny" | "None" = "None";
  if (policy) {
    // RestrictPublicBuckets: a bucket with a public policy is reachable only from its own account.
    const restricted = !sameAccount && isPublicPolicy(policy) && effectivePab(view, b).RestrictPublicBuckets;
    verdict = evaluatePolicy(policy, { principal: p, action, resource, context: context() }, restricted);
    // AWS never locks the owner's root out of its own bucket policy.
    if (verdict === "Deny" && !(sameAccount && p.type === "root" && POLICY_ACTIONS.has(action.toLowerCase()))) return "Deny";
  }
  if ((sameAccount && !foreignObject) || verdict === "Allow") return "Allow";
  // ACLs: disabled under BucketOwnerEnforced; public grants ignored under IgnorePublicAcls.
  const perm = aclPermissionOf(action);
  if (perm === undefined || ownershipOf(b) === "BucketOwnerEnforced") return "None";
  const callerId = p.type === "anonymous" ? "" : canonicalIdOf(p.accountId);
  const grants = objectAction ? objectAcl(view, b, key!).grants : bucketGrants(b);
  return aclAllows(grants, callerId, perm, effectivePab(view, b).IgnorePublicAcls) ? "Allow" : "None";
}

const POLICY_ACTIONS = new Set(["s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"]);

/** decide() for a request's operation; throws AccessDenied unless allowed. */
export function authorizeOn(ctx: RequestContext, b: AccessBucket, operation: string, key: string | undefined, input: Record<string, unknown>): void {
  const op = accessOf(operation, key !== undefined);
  const verdict = decide(ctx, b, ctx.principal, op.action, op.level === "object" ? key : undefined, () => contextOf(ctx, input, b));
  if (verdict !== "Allow") throw accessDenied();
}

/** The bucket's decision for this request; records the grant for ownBucket(). Synchronous: an await per request costs a microtask turn. */
function authorizeRequest(input: Record<string, unknown>, ctx: RequestContext, b: AccessBucket): void {
  const key = typeof input.Key === "string" ? input.Key : undefined;
  if (ctx.operation === "DeleteObjects") {
    // s3:DeleteObject on every key named (a policy may allow some prefixes only).
    const objects = ((input.Delete as { Objects?: Array<{ Key?: string }> } | undefined)?.Objects ?? []);
    for (const o of objects) if (typeof o.Key === "string") authorizeOn(ctx, b, "DeleteObject", o.Key, input);
    if (objects.length === 0) authorizeOn(ctx, b, "DeleteObjects", undefined, input);
  } else {
    authorizeOn(ctx, b, ctx.operation, key, input);
  }
  grant(ctx, b.name);
  // A copy reads its source: s3:GetObject there (another bucket or the same).
  const copySource = typeof input.CopySource === "string" ? input.CopySource : undefined;
  if (copySource) {
    const src = parseSource(copySource);
    const sb = src ? readBucket(ctx, src.bucket) : undefined;
    if (src && sb) {
      authorizeOn(ctx, sb, "GetObject", src.key, {});
      grant(ctx, sb.name);
    }
  }
}

function parseSource(raw: string): { bucket: string; key: string } | undefined {
  let s = raw.startsWith("/") ? raw.slice(1) : raw;
  const q = s.indexOf("?");
  if (q >= 0) s = s.slice(0, q);
  const slash = s.indexOf("/");
  if (slash <= 0) return undefined;
  try {
    return { bucket: decodeURIComponent(s.slice(0, slash)), key: decodeURIComponent(s.slice(slash + 1)) };
  } catch {
    return undefined;
  }
}

// ---- ACL headers on writes ----

const ACL_ON_WRITE = new Set(["PutObject", "CopyObject"]);

/**
 * Object writes with ACL headers: refused where ACLs are disabled or public ACLs blocked
 * (before anything is written); returns what to stamp on the object after the write.
 */
function checkWriteAcl(ctx: RequestContext, b: AccessBucket, input: AclInput): { owner: string; grants: ReturnType<typeof bucketGrants> } | undefined {
  const ownership = ownershipOf(b);
  const writer = ctx.principal.type === "anonymous" ? b.accountId : ctx.principal.accountId;
  const bucketOwnerId = canonicalIdOf(b.accountId);
  const given = hasAclHeaders(input);
  if (ownership === "BucketOwnerEnforced") {
    if (given) {
      const grants = grantsFromHeaders(input, bucketOwnerId, bucketOwnerId, false)!;
      if (!onlyOwnerFullControl(grants, bucketOwnerId)) throw new AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400);
    }
    return undefined;
  }
  // Object owner: the writer, or the bucket owner under BucketOwnerPreferred with bucket-owner-full-control.
  const owner = ownership === "BucketOwnerPreferred" && input.ACL === "bucket-owner-full-control" ? b.accountId : writer;
  const grants = grantsFromHeaders(input, canonicalIdOf(owner), bucketOwnerId, false);
  if (grants && isPublicAcl(grants) && effectivePab(ctx, b).BlockPublicAcls) throw accessDenied();
  if (!grants && owner === b.accountId) return undefined;
  return { owner, grants: grants ?? [{ grantee: { type: "CanonicalUser", id: canonicalIdOf(owner) }, permission: "FULL_CONTROL" }] };
}

// ---- The wrapper ----

/** Wraps every handler with the bucket's access decision, ACL headers and CORS headers. */
export function withAccess(handlers: Record<string, Handler>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(handlers)) {
    if (name === "ListBuckets" || name === "CreateBucket") {
      // Account operations: an anonymous caller has no account.
      out[name] = (input: Record<string, unknown>, ctx: RequestContext) => {
        if (ctx.principal.type === "anonymous") throw accessDenied();
        return h(input, ctx);
      };
      continue;
    }
    out[name] = async (input: Record<string, unknown>, ctx: RequestContext) => {
      // An access point alias or ARN: its policy first, then the real bucket (access-points/).
      if (typeof input.Bucket === "string") enterAccessPoint(ctx, input, accessOf(name, typeof input.Key === "string").action, (n) => peekBucket(ctx, n) !== undefined);
      const bucketName = typeof input.Bucket === "string" ? input.Bucket : undefined;
      const b = bucketName !== undefined ? peekBucket(ctx, bucketName) : undefined;
      if (!b) return h(input, ctx);
      const origin = ctx.headers.origin;
      try {
        authorizeRequest(input, ctx, b);
        const stamp = ACL_ON_WRITE.has(name) ? checkWriteAcl(ctx, b, input as AclInput) : undefined;
        const output = await h(input, ctx);
        if (stamp && typeof input.Key === "string") writeObjectAcl(ctx, b.name, input.Key, stamp.owner, stamp.grants);
        if (origin !== undefined && b.cors && output && typeof output === "object") {
          const cors = corsHeadersFor(b.cors, origin, ctx.operation === "HeadObject" || ctx.operation === "HeadBucket" ? "HEAD" : methodOf(name), undefined);
          if (cors) (output as Record<symbol, unknown>)[RESPONSE_HEADERS] = cors;
        }
        return output;
      } catch (caught) {
        let err = caught;
        // A missing key is told only to callers who may list the bucket (s3:ListBucket); the
        // others get AccessDenied, so a public object's neighbours cannot be probed.
        if (isAwsError(err) && err.code === "NoSuchKey" && (name === "GetObject" || name === "HeadObject") && !(ctx.principal.type !== "anonymous" && ctx.principal.accountId === b.accountId)) {
          if (decide(ctx, b, ctx.principal, "s3:ListBucket", undefined, () => contextOf(ctx, input, b)) !== "Allow") err = accessDenied();
        }
        if (origin !== undefined && b.cors && isAwsError(err)) {
          const cors = corsHeadersFor(b.cors, origin, methodOf(name), undefined);
          if (cors) Object.assign(err.headers, cors);
        }
        throw err;
      }
    };
  }
  return out;
}

function methodOf(operation: string): string {
  if (operation === "DeleteObjects" || operation === "CreateMultipartUpload" || operation === "CompleteMultipartUpload" || operation === "PostObject") return "POST";
  if (operation.startsWith("Get") || operation.startsWith("List")) return "GET";
  if (operation.startsWith("Head")) return "HEAD";
  if (operation.startsWith("Delete") || operation === "AbortMultipartUpload") return "DELETE";
  return "PUT";
}

// ---- The IAM engine's resource-policy hook ----

/** A resource policy that lets anyone do anything: what the hook hands the engine when S3's own decision allows. */
const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "S3AccessDecision", Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] });
const DENY_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "S3AccessDecision", Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }] });

/**
 * ServiceDefinition.resourcePolicy: the bucket's owner and policy for the engine (gateway step 6).
 * For callers in the owner's account the stored bucket policy is handed over as is (the engine
 * combines it with their identity policies). For anyone else S3's own decision (policy with
 * Block Public Access applied, and ACL grants) is expressed as one equivalent statement: Allow
 * or Deny everything for this request, or no policy at all (implicit deny).
 */
export const s3ResourcePolicy: ResourcePolicyHook = (q, rt) => {
  const m = parseS3Arn(q.resource);
  // Creating a bucket is the caller's account's business (the handler answers BucketAlreadyExists).
  if (!m || q.operation === "CreateBucket") return undefined;
  const view: AccessView = { db: rt.db, store: rt.store("global") };
  const b = peekBucket(view, m[1]);
  if (!b) {
    // No such bucket: let the handler say so (NoSuchBucket), as S3 does to anyone.
    return { ownerAccountId: q.accountId, policy: ALLOW_ALL };
  }
  const principal = currentPrincipal(q);
  if (principal.type !== "anonymous" && principal.accountId === b.accountId) {
    // AWS never locks the owner's root out of its own bucket policy.
    const rootOnPolicy = principal.type === "root" && POLICY_ACTIONS.has(q.action.toLowerCase());
    return { ownerAccountId: b.accountId, ...(b.policy !== undefined && !rootOnPolicy ? { policy: b.policy } : {}) };
  }
  const verdict = decide(view, b, principal, q.action, m[2], () => ({}));
  if (verdict === "Allow") return { ownerAccountId: b.accountId, policy: ALLOW_ALL };
  if (verdict === "Deny") return { ownerAccountId: b.accountId, policy: DENY_ALL };
  // The query names the caller's account, not the caller: a policy naming an IAM user or role of
  // another account is the engine's to match, unless Block Public Access shuts the policy off.
  const policy = policyOf(b);
  const usable = policy !== undefined && !(isPublicPolicy(policy) && effectivePab(view, b).RestrictPublicBuckets);
  return { ownerAccountId: b.accountId, ...(usable ? { policy: b.policy } : {}) };
};

/**
 * `arn:<partition>:s3:::<bucket>[/<key>]` -> [, bucket, key] as the regex
 * /^arn:[\w-]+:s3:::([^/]+)(?:\/(.*))?$/s matched it (key undefined without a slash, "" after
 * a trailing one); undefined for anything else. By hand: it runs on every request.
 */
export function parseS3Arn(arn: string): [string, string, string | undefined] | undefined {
  if (!arn.startsWith("arn:")) return undefined;
  const colon = arn.indexOf(":", 4);
  if (colon <= 4 || !arn.startsWith(":s3:::", colon)) return undefined;
  for (let i = 4; i < colon; i++) {
    const c = arn.charCodeAt(i);
    // [\w-]: letters, digits, '_' and '-'.
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d)) return undefined;
  }
  const start = colon + 6;
  const slash = arn.indexOf("/", start);
  const bucket = slash === -1 ? arn.slice(start) : arn.slice(start, slash);
  if (bucket === "") return undefined;
  return [arn, bucket, slash === -1 ? undefined : arn.slice(slash + 1)];
}

function currentPrincipal(q: ResourcePolicyQuery): Principal {
  return (q as ResourcePolicyQuery & { principal?: Principal }).principal ?? (q.accountId ? { type: "root", accountId: q.accountId, arn: `arn:aws:iam::${q.accountId}:root`, userId: q.accountId } : { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" });
}
