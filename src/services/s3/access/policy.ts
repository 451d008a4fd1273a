// Bucket policies: validation in S3's words (PutBucketPolicy's MalformedPolicy messages), the
// "is this policy public" test Block Public Access uses, and evaluation of one request against
// the policy (Allow / explicit Deny / no opinion). The IAM engine (core/iam) combines identity
// policies with this resource policy for IAM principals; this module decides what S3 alone
// decides: anonymous and cross-account callers, and explicit Denies against anyone.
import { AwsError } from "../../../core/errors.js";
import type { Principal } from "../../../core/service.js";
import { canonicalIdOf } from "./acl.js";

/** S3's bucket policy size limit (user guide, "Bucket policies"): 20 KB. */
export const MAX_POLICY_BYTES = 20 * 1024;

export interface PrincipalSpec {
  star: boolean;
  AWS: string[];
  Service: string[];
  CanonicalUser: string[];
  Federated: string[];
}

export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  principal?: PrincipalSpec;
  notPrincipal?: PrincipalSpec;
  action?: RegExp[];
  notAction?: RegExp[];
  resource?: RegExp[];
  notResource?: RegExp[];
  /** operator -> key (lower-cased) -> values */
  condition?: Record<string, Record<string, string[]>>;
  /** Whether the statement makes the policy public (Block Public Access's test). */
  public: boolean;
}

export interface CompiledPolicy {
  statements: Statement[];
}

function malformed(message: string): AwsError {
  return new AwsError("MalformedPolicy", message, 400);
}

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

function list(v: unknown, what: string): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")) return v as string[];
  throw malformed(what);
}

/** `*` and `?` wildcards, case-(in)sensitive. */
export function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const src = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${src}$`, caseInsensitive ? "is" : "s");
}

function principalSpec(v: unknown): PrincipalSpec {
  const spec: PrincipalSpec = { star: false, AWS: [], Service: [], CanonicalUser: [], Federated: [] };
  if (v === "*") {
    spec.star = true;
    return spec;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw malformed("Invalid principal in policy");
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k !== "AWS" && k !== "Service" && k !== "CanonicalUser" && k !== "Federated") throw malformed("Invalid principal in policy");
    const ids = list(val, "Invalid principal in policy");
    for (const id of ids) {
      if (k === "AWS") {
        if (id === "*") spec.star = true;
        else if (!/^\d{12}$/.test(id) && !/^arn:aws:(iam|sts)::\d{12}:.+$/.test(id)) throw malformed("Invalid principal in policy");
      }
      if (k === "CanonicalUser" && !/^[0-9a-f]{64}$/.test(id)) throw malformed("Invalid principal in policy");
    }
    spec[k].push(...ids);
  }
  return spec;
}

/** Condition keys that pin a public statement to known callers (AWS's "non-public" test). */
const FIXING_KEYS = new Set(["aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount"]);

function isPublicStatement(effect: string, principal: PrincipalSpec | undefined, notPrincipal: PrincipalSpec | undefined, condition: Statement["condition"]): boolean {
  if (effect !== "Allow") return false;
  const open = notPrincipal !== undefined || principal?.star === true;
  if (!open) return false;
  if (!condition) return true;
  // A condition that fixes the caller (by IP, account, org, source ARN...) with a value that has
  // no wildcard makes the statement non-public.
  for (const [op, keys] of Object.entries(condition)) {
    if (/^(StringNot|ArnNot|NotIp|Null)/i.test(op.replace(/^For(All|Any)Values:/i, ""))) continue;
    for (const [key, values] of Object.entries(keys)) {
      if (!FIXING_KEYS.has(key)) continue;
      if (key === "aws:sourceip" ? values.every((v) => !/\/(?:[0-7])$/.test(v)) : values.every((v) => !v.includes("*") && !v.includes("?"))) return false;
    }
  }
  return true;
}

/** S3 actions as the IAM service authorization reference names them, for the invalid-action check. */
function validAction(a: string): boolean {
  if (a === "*") return true;
  const m = /^([a-zA-Z0-9-]+):([A-Za-z0-9*?]+)$/.exec(a);
  return m !== null && m[1].toLowerCase() === "s3";
}

/**
 * Parses and validates a bucket policy for `bucket` as PutBucketPolicy does.
 * Throws MalformedPolicy with S3's message.
 */
export function compilePolicy(text: string, bucket: string): CompiledPolicy {
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) throw malformed("Policies must not exceed 20 KB in size");
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{")) throw malformed("Policies must be valid JSON and the first byte must be '{'");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("This policy contains invalid Json");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw malformed("This policy contains invalid Json");
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== "Version" && k !== "Id" && k !== "Statement") throw malformed(`Unknown field ${k}`);
  if (d.Version !== undefined && d.Version !== "2012-10-17" && d.Version !== "2008-10-17") throw malformed("The policy must contain a valid version string");
  if (d.Statement === undefined) throw malformed("Missing required field Statement");
  const raw = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
  if (raw.length === 0) throw malformed("Could not parse the policy: Statement is empty!");
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const statements: Statement[] = [];
  const sids = new Set<string>();
  for (const s of raw) {
    if (!s || typeof s !== "object" || Array.isArray(s)) throw malformed("This policy contains invalid Json");
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) throw malformed(`Unknown field ${k}`);
    if (st.Sid !== undefined) {
      if (typeof st.Sid !== "string") throw malformed("This policy contains invalid Json");
      if (sids.has(st.Sid)) throw malformed("Statement IDs (SID) in a single policy must be unique");
      sids.add(st.Sid);
    }
    if (st.Effect === undefined) throw malformed("Missing required field Effect");
    if (st.Effect !== "Allow" && st.Effect !== "Deny") throw malformed(`Invalid effect: ${String(st.Effect)}`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) throw malformed("Missing required field Principal");
    if (st.Action === undefined && st.NotAction === undefined) throw malformed("Missing required field Action");
    if (st.Resource === undefined && st.NotResource === undefined) throw malformed("Missing required field Resource");
    if ((st.Principal !== undefined && st.NotPrincipal !== undefined) || (st.Action !== undefined && st.NotAction !== undefined) || (st.Resource !== undefined && st.NotResource !== undefined)) {
      throw malformed("This policy contains invalid Json");
    }
    const actions = list(st.Action ?? st.NotAction, "Policy has invalid action");
    for (const a of actions) if (!validAction(a)) throw malformed("Policy has invalid action");
    const resources = list(st.Resource ?? st.NotResource, "Policy has invalid resource");
    // Every resource must be this bucket or objects in it.
    for (const r of resources) {
      if (r !== bucketArn && !r.startsWith(bucketArn + "/")) throw malformed("Policy has invalid resource");
    }
    if (st.Action !== undefined) {
      // An action that applies only to objects (or only to the bucket) must have a matching resource.
      const objectRes = resources.some((r) => r.startsWith(bucketArn + "/"));
      const bucketRes = resources.some((r) => r === bucketArn);
      const allObjectOnly = actions.every((a) => OBJECT_ACTIONS.has(a.toLowerCase()));
      const allBucketOnly = actions.every((a) => BUCKET_ACTIONS.has(a.toLowerCase()));
      if ((allObjectOnly && !objectRes) || (allBucketOnly && !bucketRes)) throw malformed("Action does not apply to any resource(s) in statement");
    }
    const principal = st.Principal !== undefined ? principalSpec(st.Principal) : undefined;
    const notPrincipal = st.NotPrincipal !== undefined ? principalSpec(st.NotPrincipal) : undefined;
    let condition: Statement["condition"];
    if (st.Condition !== undefined) {
      if (!st.Condition || typeof st.Condition !== "object" || Array.isArray(st.Condition)) throw malformed("This policy contains invalid Json");
      condition = {};
      for (const [op, block] of Object.entries(st.Condition as Record<string, unknown>)) {
        if (!CONDITION_OPERATOR.test(op)) throw malformed(`Invalid Condition type : ${op}`);
        if (!block || typeof block !== "object" || Array.isArray(block)) throw malformed("This policy contains invalid Json");
        const keys: Record<string, string[]> = {};
        for (const [key, vals] of Object.entries(block as Record<string, unknown>)) {
          const arr = Array.isArray(vals) ? vals : [vals];
          if (!arr.every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean")) throw malformed("This policy contains invalid Json");
          keys[key.toLowerCase()] = arr.map((x) => String(x));
        }
        condition[op] = keys;
      }
    }
    const effect = st.Effect;
    statements.push({
      ...(typeof st.Sid === "string" ? { sid: st.Sid } : {}),
      effect,
      ...(principal ? { principal } : {}),
      ...(notPrincipal ? { notPrincipal } : {}),
      ...(st.Action !== undefined ? { action: actions.map((a) => wildcard(a, true)) } : { notAction: actions.map((a) => wildcard(a, true)) }),
      ...(st.Resource !== undefined ? { resource: resources.map((r) => wildcard(r, false)) } : { notResource: resources.map((r) => wildcard(r, false)) }),
      ...(condition ? { condition } : {}),
      public: isPublicStatement(effect, principal, notPrincipal, condition),
    });
  }
  return { statements };
}

const CONDITION_OPERATOR =
  /^(For(All|Any)Values:)?(StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike)(IfExists)?$|^Null$/;

const OBJECT_ACTIONS = new Set(
  ["s3:getobject", "s3:putobject", "s3:deleteobject", "s3:getobjectacl", "s3:putobjectacl", "s3:getobjectversion", "s3:deleteobjectversion", "s3:getobjecttagging", "s3:putobjecttagging", "s3:deleteobjecttagging", "s3:abortmultipartupload", "s3:listmultipartuploadparts", "s3:getobjectattributes", "s3:restoreobject"],
);
const BUCKET_ACTIONS = new Set(
  ["s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads", "s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy", "s3:getbucketacl", "s3:putbucketacl", "s3:deletebucket", "s3:getbucketlocation", "s3:getbucketcors", "s3:putbucketcors", "s3:getbucketwebsite", "s3:putbucketwebsite", "s3:deletebucketwebsite", "s3:getbucketversioning", "s3:putbucketversioning", "s3:getbuckettagging", "s3:putbuckettagging"],
);

export function isPublicPolicy(p: CompiledPolicy): boolean {
  return p.statements.some((s) => s.public);
}

// ---- Evaluation ----

export interface EvalRequest {
  principal: Principal;
  /** "s3:GetObject" */
  action: string;
  /** arn:aws:s3:::bucket or arn:aws:s3:::bucket/key */
  resource: string;
  /** Condition keys, lower-cased names. */
  context: Record<string, string | string[] | undefined>;
}

export type PolicyVerdict = "Allow" | "Deny" | "None";

/**
 * Evaluates the policy for one request: an explicit Deny wins, else any Allow, else no opinion.
 * `ignorePublic`: RestrictPublicBuckets is on, so public statements grant nothing (to callers
 * outside the bucket owner's account).
 */
export function evaluatePolicy(p: CompiledPolicy, req: EvalRequest, ignorePublic: boolean): PolicyVerdict {
  let allowed = false;
  for (const s of p.statements) {
    if (s.effect === "Allow" && (allowed || (ignorePublic && s.public))) continue;
    if (!matches(s, req)) continue;
    if (s.effect === "Deny") return "Deny";
    allowed = true;
  }
  return allowed ? "Allow" : "None";
}

function matches(s: Statement, req: EvalRequest): boolean {
  if (s.principal && !principalMatches(s.principal, req.principal)) return false;
  if (s.notPrincipal && principalMatches(s.notPrincipal, req.principal)) return false;
  if (s.action && !s.action.some((r) => r.test(req.action))) return false;
  if (s.notAction && s.notAction.some((r) => r.test(req.action))) return false;
  if (s.resource && !s.resource.some((r) => r.test(req.resource))) return false;
  if (s.notResource && s.notResource.some((r) => r.test(req.resource))) return false;
  if (s.condition && !conditionsHold(s.condition, req.context)) return false;
  return true;
}

function principalMatches(spec: PrincipalSpec, p: Principal): boolean {
  if (spec.star) return true;
  if (p.type === "anonymous") return false;
  for (const id of spec.AWS) {
    if (id === p.accountId || id === `arn:aws:iam::${p.accountId}:root`) return true;
    if (id === p.arn) return true;
    // A role ARN names its sessions too.
    if (p.type === "assumed-role") {
      const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(p.arn);
      if (m && (id === `arn:aws:iam::${m[1]}:role/${m[2]}` || new RegExp(`^arn:aws:iam::${m[1]}:role/(?:.*/)?${m[2]}$`).test(id))) return true;
    }
  }
  for (const id of spec.CanonicalUser) if (id === canonicalIdOf(p.accountId)) return true;
  return false;
}

function conditionsHold(cond: Record<string, Record<string, string[]>>, ctx: EvalRequest["context"]): boolean {
  for (const [rawOp, keys] of Object.entries(cond)) {
    for (const [key, values] of Object.entries(keys)) {
      if (!conditionHolds(rawOp, ctx[key], values)) return false;
    }
  }
  return true;
}

function conditionHolds(rawOp: string, actual: string | string[] | undefined, values: string[]): boolean {
  if (rawOp === "Null") {
    const absent = actual === undefined || (Array.isArray(actual) && actual.length === 0);
    return values.some((v) => (v === "true") === absent);
  }
  let op = rawOp;
  let setOp: "all" | "any" | undefined;
  if (op.startsWith("ForAllValues:")) (setOp = "all"), (op = op.slice(13));
  else if (op.startsWith("ForAnyValue:")) (setOp = "any"), (op = op.slice(12));
  const ifExists = op.endsWith("IfExists");
  if (ifExists) op = op.slice(0, -8);
  const negated = /^(StringNot|NumericNotEquals|DateNotEquals|NotIpAddress|ArnNot)/.test(op);
  if (actual === undefined) return ifExists || negated || setOp === "all";
  const actuals = Array.isArray(actual) ? actual : [actual];
  const positive = negated ? negate(op) : op;
  const one = (a: string) => values.some((v) => compare(positive, a, v));
  if (setOp === "all") return actuals.every((a) => (negated ? !one(a) : one(a)));
  if (setOp === "any") return actuals.some((a) => (negated ? !one(a) : one(a)));
  const hit = actuals.some(one);
  return negated ? !hit : hit;
}

function negate(op: string): string {
  return op.replace("StringNot", "String").replace("NumericNotEquals", "NumericEquals").replace("DateNotEquals", "DateEquals").replace("NotIpAddress", "IpAddress").replace("ArnNot", "Arn");
}

function compare(op: string, a: string, v: string): boolean {
  switch (op) {
    case "StringEquals":
    case "ArnEquals":
    case "BinaryEquals":
      return a === v;
    case "StringEqualsIgnoreCase":
      return a.toLowerCase() === v.toLowerCase();
    case "StringLike":
    case "ArnLike":
      return wildcard(v, false).test(a);
    case "Bool":
      return a.toLowerCase() === v.toLowerCase();
    case "IpAddress":
      return ipInCidr(a, v);
    default: {
      const num = op.startsWith("Numeric");
      const x = num ? Number(a) : Date.parse(a) || Number(a) * 1000;
      const y = num ? Number(v) : Date.parse(v) || Number(v) * 1000;
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      const rel = op.replace(/^(Numeric|Date)/, "");
      if (rel === "Equals") return x === y;
      if (rel === "LessThan") return x < y;
      if (rel === "LessThanEquals") return x <= y;
      if (rel === "GreaterThan") return x > y;
      if (rel === "GreaterThanEquals") return x >= y;
      return false;
    }
  }
}

function ipv4(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return undefined;
  return ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0;
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const a = ipv4(ip.replace(/^::ffff:/, ""));
  const n = ipv4(net);
  if (a === undefined || n === undefined) return ip === cidr;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (n & mask);
}
