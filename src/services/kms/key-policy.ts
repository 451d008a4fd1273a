// Key policies: the default policy AWS writes, validation (PutKeyPolicy, CreateKey), and the
// IAM engine's resource-policy hook. On AWS the key policy is the primary control: a principal
// of the key's own account may use the key only when the key policy allows it, directly or by
// delegating to the account ("arn:aws:iam::<account>:root"), in which case its IAM policies
// decide. Grants add permissions for their grantee on top of the key policy.
import { AwsError } from "../../core/errors.js";
import { parsePolicyDocument } from "../../core/iam/policy-document.js";
import { evaluate } from "../../core/iam/evaluate.js";
import type { ResourcePolicyHook } from "../../core/iam/types.js";
import { parseCiphertext } from "./crypto.js";
import { findKey, parseKeyRef, scopeStore, type GrantDoc, type KeyDoc, type KeyRef } from "./store.js";

/** KMS developer guide, "Key policies": at most 32 KB. */
export const MAX_POLICY_BYTES = 32_768;

/** AWS pretty-prints the policies it writes with " : " between names and values. */
function awsJson(doc: unknown): string {
  return JSON.stringify(doc, null, 2).replace(/^(\s*"[^"]*"): /gm, "$1 : ");
}

/** The policy CreateKey gives a key when none is supplied (KMS developer guide, "Default key policy"). */
export function defaultKeyPolicy(account: string): string {
  return awsJson({
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }],
  });
}

/** The policy of an AWS managed key (aws/s3...): use through the service by the account's principals, metadata directly. */
export function awsManagedKeyPolicy(account: string, region: string, service: string): string {
  return awsJson({
    Version: "2012-10-17",
    Id: `auto-${service}-2`,
    Statement: [
      {
        Sid: `Allow access through ${service.toUpperCase()} for all principals in the account that are authorized to use ${service.toUpperCase()}`,
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": account, "kms:ViaService": `${service}.${region}.amazonaws.com` } },
      },
      { Sid: "Allow direct access to key metadata to the account", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ["kms:Describe*", "kms:Get*", "kms:List*"], Resource: "*" },
    ],
  });
}

/** A key policy as AWS validates it: MalformedPolicyDocumentException with the engine's message. */
export function validateKeyPolicy(policy: string): void {
  if (Buffer.byteLength(policy, "utf8") > MAX_POLICY_BYTES) {
    throw new AwsError("MalformedPolicyDocumentException", `Policy exceeds the maximum size of ${MAX_POLICY_BYTES} bytes.`, 400);
  }
  try {
    parsePolicyDocument(policy, "resource");
  } catch (e) {
    throw new AwsError("MalformedPolicyDocumentException", (e as Error).message, 400);
  }
}

// ---- the hook ----

/** Grants as policy statements, appended to the key policy for evaluation. */
function withGrants(policy: string, grants: GrantDoc[]): string {
  if (!grants.length) return policy;
  const doc = JSON.parse(policy) as { Statement: unknown };
  const statements = Array.isArray(doc.Statement) ? [...doc.Statement] : [doc.Statement];
  for (const g of grants) {
    const condition: Record<string, Record<string, string>> = {};
    const c = g.constraints;
    if (c?.EncryptionContextEquals) {
      for (const [k, v] of Object.entries(c.EncryptionContextEquals)) (condition.StringEquals ??= {})[`kms:EncryptionContext:${k}`] = v;
      condition["ForAllValues:StringEquals"] = { "kms:EncryptionContextKeys": Object.keys(c.EncryptionContextEquals) } as never;
    }
    if (c?.EncryptionContextSubset) for (const [k, v] of Object.entries(c.EncryptionContextSubset)) (condition.StringEquals ??= {})[`kms:EncryptionContext:${k}`] = v;
    const principal = g.granteePrincipal.endsWith(".amazonaws.com") ? { Service: g.granteePrincipal } : { AWS: g.granteePrincipal };
    statements.push({ Sid: `grant-${g.grantId.slice(0, 16)}`, Effect: "Allow", Principal: principal, Action: g.operations.map((o) => `kms:${o}`), Resource: "*", ...(Object.keys(condition).length ? { Condition: condition } : {}) });
  }
  return JSON.stringify({ ...doc, Statement: statements });
}

/** The policy's Allow statements without their conditions: "could this principal ever be allowed". */
const stripped = new Map<string, string>();
function allowsOnly(policy: string): string {
  let s = stripped.get(policy);
  if (s === undefined) {
    const doc = JSON.parse(policy) as { Version?: string; Statement: unknown };
    const list = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Array<Record<string, unknown>>;
    const allows = list.filter((st) => st.Effect === "Allow").map(({ Condition: _c, ...rest }) => rest);
    s = allows.length ? JSON.stringify({ Version: doc.Version ?? "2012-10-17", Statement: allows }) : "";
    if (stripped.size > 1024) stripped.clear();
    stripped.set(policy, s);
  }
  return s;
}

const ALLOW_ALL_IDENTITY = [{ document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }];
const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "NoSuchKey", Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] });
/** Stands for "no account": the key policy alone must allow (see below). */
const KEY_POLICY_ONLY = "key-policy-only";

/** The key a request is about: its KeyId (or DestinationKeyId), else the key its ciphertext names. */
function refOf(resource: string, input: Record<string, unknown>, account: string, region: string): KeyRef | undefined {
  try {
    if (resource !== "*") return parseKeyRef(resource, account, region);
    const blob = input.CiphertextBlob;
    if (blob instanceof Uint8Array) {
      const parsed = parseCiphertext(blob);
      if (parsed) return parseKeyRef(parsed.keyArn, account, region);
    }
  } catch {
    // not a key identifier: the handler answers
  }
  return undefined;
}

/** Condition keys KMS knows of a request (kms:CallerAccount, kms:EncryptionContext:*, key properties). */
function kmsContext(key: KeyDoc, callerAccount: string, input: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { "kms:CallerAccount": callerAccount, "kms:KeySpec": key.keySpec, "kms:KeyUsage": key.keyUsage, "kms:KeyOrigin": key.origin };
  const ec = (input.EncryptionContext ?? input.SourceEncryptionContext) as Record<string, string> | undefined;
  if (ec && typeof ec === "object") {
    for (const [k, v] of Object.entries(ec)) out[`kms:EncryptionContext:${k}`] = v;
    out["kms:EncryptionContextKeys"] = Object.keys(ec);
  }
  return out;
}

export const kmsResourcePolicy: ResourcePolicyHook = (q, rt) => {
  if (q.operation === "CreateKey" || q.operation === "GenerateRandom" || q.operation === "ListKeys" || q.operation === "ListAliases") return undefined;
  const callerAccount = q.principal.accountId;
  const ref = refOf(q.resource, q.input, callerAccount || "000000000000", q.region);
  if (!ref) return undefined;
  const found = findKey(rt.db, ref, rt.clock.now());
  if (!found) return callerAccount ? { ownerAccountId: callerAccount } : { ownerAccountId: ref.account, policy: ALLOW_ALL };
  const { key } = found;
  const grants = key.grants ? scopeStore(rt.db, key.account, key.region).list<GrantDoc>("grant", { prefix: `${key.keyId}/` }).map((g) => g.doc) : [];
  const policy = withGrants(key.policy, grants);
  const tags = key.tags.length ? Object.fromEntries(key.tags.map((t) => [t.TagKey, t.TagValue])) : undefined;
  const context = kmsContext(key, callerAccount, q.input);
  const base = { resource: key.arn, policy, context, ...(tags ? { tags } : {}) };
  // The key's own account is judged by the key policy first. Its root has no identity policies:
  // only the key policy (conditions included) can let it in, which is what the engine decides
  // for a caller outside the resource's account. Its IAM principals need a key policy statement
  // naming them, their role or their account (delegation to IAM policies); none at all means no
  // access, again the engine's "no resource-based policy allows".
  if (callerAccount === key.account && q.principal.type === "root") return { ownerAccountId: KEY_POLICY_ONLY, ...base };
  if (callerAccount === key.account && q.principal.type !== "anonymous") {
    const allows = allowsOnly(policy);
    const could = allows !== "" && evaluate({ principal: q.principal, action: q.action, resource: key.arn, resourceAccountId: KEY_POLICY_ONLY, context: {} }, { identity: ALLOW_ALL_IDENTITY, resource: { document: allows } }).decision === "Allow";
    if (!could) return { ownerAccountId: KEY_POLICY_ONLY, ...base };
  }
  return { ownerAccountId: key.account, ...base };
};
