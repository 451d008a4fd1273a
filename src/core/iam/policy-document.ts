// Parse and validate a policy document as IAM does (CreatePolicy, PutUserPolicy,
// CreateRole's trust policy, AssumeRole's session policy, S3 PutBucketPolicy, SQS Policy...).
// Errors carry IAM's MalformedPolicyDocument messages; the caller picks the error code its
// service uses (IAM: MalformedPolicyDocument; S3: MalformedPolicy; SQS: InvalidAttributeValue)
// and enforces its own size limit.
//
// Checks, in the order IAM reports them:
//  1. JSON text whose first non-blank character is `{`, top-level keys Version/Id/Statement only.
//  2. Version, when present, is 2012-10-17 or 2008-10-17.
//  3. Statement is an object or a non-empty array of objects with only the known elements.
//  4. Each statement: Effect Allow|Deny; Action xor NotAction; Resource xor NotResource
//     (required unless trust; prohibited in trust); Principal xor NotPrincipal (required in
//     resource and trust policies, prohibited in identity/boundary/session); unique Sids made of
//     [0-9A-Za-z]; actions prefixed by a vendor; resources an ARN or "*"; known condition operators.
import { parseOperator } from "./conditions.js";
import type { ConditionBlock, ParsedPolicy, ParsedStatement, PolicyKind, PrincipalBlock } from "./types.js";

/** A policy document IAM would refuse; `message` is IAM's wording. */
export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyDocumentError";
  }
}

const SYNTAX = "Syntax errors in policy.";
const TOP_KEYS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"]);
const PRINCIPAL_TYPES = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const VERSIONS = new Set(["2012-10-17", "2008-10-17"]);

function fail(message: string): never {
  throw new PolicyDocumentError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A string or a non-empty list of strings, as IAM accepts for Action/Resource/principal values. */
function stringList(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")) return v as string[];
  return fail(SYNTAX);
}

function checkAction(a: string): void {
  if (a === "*") return;
  const colon = a.indexOf(":");
  if (colon <= 0 || colon === a.length - 1) fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  const vendor = a.slice(0, colon);
  if (!/^[a-zA-Z0-9*?-]+$/.test(vendor)) fail(`Vendor ${vendor} is not valid`);
  if (!/^[a-zA-Z0-9*?_-]+$/.test(a.slice(colon + 1))) fail(`Action ${a} is not valid`);
}

function checkResource(r: string): void {
  if (r === "*") return;
  if (!r.startsWith("arn:")) fail(`Resource ${r} must be in ARN format or "*".`);
  const parts = r.split(":");
  if (parts.length < 6) fail(`Resource ${r} must be in ARN format or "*".`);
  const [, partition, vendor] = parts;
  if (!/^(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|\*|\$\{.*\})$/.test(partition)) fail(`Partition "${partition}" is not valid for resource "${r}".`);
  if (vendor === "" || /[*?]/.test(vendor)) fail("Resource vendor must be fully qualified and cannot contain regexes.");
}

function principalBlock(v: unknown, kind: PolicyKind): PrincipalBlock {
  if (v === "*") return { star: true, AWS: ["*"] };
  if (!isObject(v) || Object.keys(v).length === 0) return fail(SYNTAX);
  const out: PrincipalBlock = { star: false };
  for (const [type, val] of Object.entries(v)) {
    if (!PRINCIPAL_TYPES.has(type)) fail(SYNTAX);
    const list = stringList(val);
    for (const p of list) {
      if (type === "AWS") {
        if (p === "*") continue;
        const ok = /^\d{12}$/.test(p) || /^arn:aws[\w-]*:(iam|sts)::(\d{12}|aws):.+$/.test(p) || /^[A-Z0-9]{21}$/.test(p);
        if (!ok) fail(`Invalid principal in policy: "AWS":"${p}"`);
      } else if (type === "Service" && p !== "*" && !/^[\w.-]+$/.test(p)) {
        fail(`Invalid principal in policy: "SERVICE":"${p}"`);
      } else if (type === "Federated" && kind !== "trust" && kind !== "resource") {
        fail(`Invalid principal in policy: "FEDERATED":"${p}"`);
      }
    }
    (out as unknown as Record<string, string[]>)[type] = list;
  }
  return out;
}

function conditionBlock(v: unknown): ConditionBlock {
  if (!isObject(v)) return fail(SYNTAX);
  const out: ConditionBlock = {};
  for (const [op, keys] of Object.entries(v)) {
    if (!parseOperator(op)) fail(`Invalid Condition type : ${op}`);
    if (!isObject(keys)) fail(SYNTAX);
    const block: Record<string, string[]> = {};
    for (const [key, val] of Object.entries(keys)) {
      if (!key.includes(":")) fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
      const raw = Array.isArray(val) ? val : [val];
      if (raw.length === 0) fail(SYNTAX);
      block[key] = raw.map((x) => {
        if (typeof x === "string") return x;
        if (typeof x === "number" || typeof x === "boolean") return String(x);
        return fail(SYNTAX);
      });
    }
    out[op] = block;
  }
  return out;
}

function statement(v: unknown, kind: PolicyKind): ParsedStatement {
  if (!isObject(v)) return fail(SYNTAX);
  for (const k of Object.keys(v)) if (!STATEMENT_KEYS.has(k)) fail(SYNTAX);
  const st: Partial<ParsedStatement> = {};
  if (v.Sid !== undefined) {
    if (typeof v.Sid !== "string") fail(SYNTAX);
    // Resource policies (S3, SQS) accept any Sid text; IAM's own documents want alphanumerics.
    if (kind !== "resource" && !/^[0-9A-Za-z]*$/.test(v.Sid)) fail("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
    st.Sid = v.Sid;
  }
  if (v.Effect === undefined) fail("Missing required field Effect");
  if (v.Effect !== "Allow" && v.Effect !== "Deny") fail(`Invalid effect: ${String(v.Effect)}`);
  st.Effect = v.Effect;
  if (v.Action !== undefined && v.NotAction !== undefined) fail(SYNTAX);
  if (v.Action === undefined && v.NotAction === undefined) fail("Policy statement must contain actions.");
  if (v.Action !== undefined) st.Action = stringList(v.Action);
  if (v.NotAction !== undefined) st.NotAction = stringList(v.NotAction);
  for (const a of st.Action ?? st.NotAction ?? []) checkAction(a);
  if (v.Resource !== undefined && v.NotResource !== undefined) fail(SYNTAX);
  if (kind === "trust") {
    if (v.Resource !== undefined) fail("Has prohibited field Resource");
    if (v.NotResource !== undefined) fail("Has prohibited field NotResource");
  } else if (v.Resource === undefined && v.NotResource === undefined) {
    fail("Policy statement must contain resources.");
  }
  if (v.Resource !== undefined) st.Resource = stringList(v.Resource);
  if (v.NotResource !== undefined) st.NotResource = stringList(v.NotResource);
  for (const r of st.Resource ?? st.NotResource ?? []) checkResource(r);
  if (v.Principal !== undefined && v.NotPrincipal !== undefined) fail(SYNTAX);
  const hasPrincipal = v.Principal !== undefined || v.NotPrincipal !== undefined;
  if (kind === "resource" || kind === "trust") {
    if (!hasPrincipal) fail("Missing required field Principal");
    if (kind === "trust" && v.NotPrincipal !== undefined) fail("Has prohibited field NotPrincipal");
  } else if (hasPrincipal) {
    fail(kind === "identity" ? "Policy document should not specify a principal." : `Has prohibited field ${v.Principal !== undefined ? "Principal" : "NotPrincipal"}`);
  }
  if (v.Principal !== undefined) st.Principal = principalBlock(v.Principal, kind);
  if (v.NotPrincipal !== undefined) st.NotPrincipal = principalBlock(v.NotPrincipal, kind);
  if (v.Condition !== undefined) st.Condition = conditionBlock(v.Condition);
  return st as ParsedStatement;
}

/**
 * Parses and validates a policy document of a kind. Throws PolicyDocumentError with IAM's
 * message; size limits are the caller's (they differ by service and policy type).
 */
export function parsePolicyDocument(json: string, kind: PolicyKind): ParsedPolicy {
  const text = json.trimStart();
  if (!text.startsWith("{")) fail(SYNTAX);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail(SYNTAX);
  }
  if (!isObject(doc)) return fail(SYNTAX);
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) fail(SYNTAX);
  if (doc.Version !== undefined && (typeof doc.Version !== "string" || !VERSIONS.has(doc.Version))) fail("The policy failed legacy parsing");
  if (doc.Id !== undefined && typeof doc.Id !== "string") fail(SYNTAX);
  if (doc.Statement === undefined) fail("Missing required field Statement");
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0) fail(SYNTAX);
  const statements = raw.map((s) => statement(s, kind));
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.Sid === undefined || s.Sid === "") continue;
    if (sids.has(s.Sid)) fail("Statement IDs (SID) in a single policy must be unique.");
    sids.add(s.Sid);
  }
  return { ...(doc.Version !== undefined ? { Version: doc.Version as string } : {}), ...(doc.Id !== undefined ? { Id: doc.Id as string } : {}), Statement: statements };
}

/** True when the text is a valid policy of that kind (no exception). */
export function isValidPolicyDocument(json: string, kind: PolicyKind): boolean {
  try {
    parsePolicyDocument(json, kind);
    return true;
  } catch {
    return false;
  }
}
