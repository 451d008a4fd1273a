// Grants: CreateGrant, ListGrants, RevokeGrant, RetireGrant, ListRetirableGrants. A grant lets
// its grantee perform the listed operations on the key (under its encryption-context
// constraints); the IAM engine sees grants as extra statements of the key policy (key-policy.ts).
import { randomBytes } from "node:crypto";
import type { CreateGrantRequest, ListGrantsRequest, ListRetirableGrantsRequest, RetireGrantRequest, RevokeGrantRequest } from "@aws-sdk/client-kms";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import type { DocStore } from "../../../core/state/doc-store.js";
import { assertNotPendingDeletion, decodeMarker, encodeMarker, limitOf, notFound, resolveKey, type GrantDoc, type KeyDoc } from "../store.js";

const GRANT_OPERATIONS = new Set([
  "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey",
  "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
]);
const PRINCIPAL = /^(arn:aws[\w-]*:(iam|sts)::\d{12}:.+|\d{12}|[a-z0-9.-]+\.amazonaws\.com)$/;

function entry(g: GrantDoc) {
  return {
    KeyId: g.keyId,
    GrantId: g.grantId,
    ...(g.name ? { Name: g.name } : {}),
    CreationDate: new Date(g.createdAt),
    GranteePrincipal: g.granteePrincipal,
    ...(g.retiringPrincipal ? { RetiringPrincipal: g.retiringPrincipal } : {}),
    IssuingAccount: `arn:aws:iam::${g.issuingAccount}:root`,
    Operations: g.operations,
    ...(g.constraints ? { Constraints: g.constraints } : {}),
  };
}

export function CreateGrant(input: CreateGrantRequest, ctx: RequestContext) {
  const { key, store } = resolveKey(ctx, input.KeyId);
  assertNotPendingDeletion(key);
  const grantee = input.GranteePrincipal ?? "";
  if (!PRINCIPAL.test(grantee)) throw new AwsError("ValidationException", `Invalid principal: ${grantee}`, 400); // TODO(parity): wording
  if (input.RetiringPrincipal && !PRINCIPAL.test(input.RetiringPrincipal)) throw new AwsError("ValidationException", `Invalid principal: ${input.RetiringPrincipal}`, 400);
  const ops = input.Operations ?? [];
  if (!ops.length) throw new AwsError("ValidationException", "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1", 400);
  for (const op of ops) if (!GRANT_OPERATIONS.has(op)) throw new AwsError("ValidationException", `1 validation error detected: Value '[${ops.join(", ")}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${[...GRANT_OPERATIONS].join(", ")}]]`, 400);
  const constraints = input.Constraints && (input.Constraints.EncryptionContextEquals || input.Constraints.EncryptionContextSubset) ? (input.Constraints as GrantDoc["constraints"]) : undefined;
  return store.tx(() => {
    // A grant with the same name and parameters is the same grant (CreateGrant is idempotent by Name).
    if (input.Name) {
      for (const r of store.list<GrantDoc>("grant", { prefix: `${key.keyId}/` })) {
        const g = r.doc;
        if (g.name === input.Name && g.granteePrincipal === grantee && JSON.stringify(g.operations) === JSON.stringify(ops) && JSON.stringify(g.constraints) === JSON.stringify(constraints)) return { GrantToken: g.token, GrantId: g.grantId };
      }
    }
    const grantId = randomBytes(32).toString("hex");
    const g: GrantDoc = {
      grantId,
      keyId: key.arn,
      ...(input.Name ? { name: input.Name } : {}),
      createdAt: ctx.clock.now(),
      granteePrincipal: grantee,
      ...(input.RetiringPrincipal ? { retiringPrincipal: input.RetiringPrincipal } : {}),
      issuingAccount: ctx.accountId,
      operations: ops,
      ...(constraints ? { constraints } : {}),
      token: randomBytes(48).toString("base64url"),
    };
    store.put("grant", `${key.keyId}/${grantId}`, g);
    countGrants(store, key.keyId, 1);
    return { GrantToken: g.token, GrantId: grantId };
  });
}

export function ListGrants(input: ListGrantsRequest, ctx: RequestContext) {
  const { key, store } = resolveKey(ctx, input.KeyId);
  const limit = limitOf(input.Limit, 1000);
  const after = decodeMarker(input.Marker);
  let grants = store.list<GrantDoc>("grant", { prefix: `${key.keyId}/`, after: after ? `${key.keyId}/${after}` : undefined }).map((r) => r.doc);
  if (input.GrantId) grants = grants.filter((g) => g.grantId === input.GrantId);
  if (input.GranteePrincipal) grants = grants.filter((g) => g.granteePrincipal === input.GranteePrincipal);
  const page = grants.slice(0, limit);
  const truncated = grants.length > limit;
  return { Grants: page.map(entry), Truncated: truncated, ...(truncated ? { NextMarker: encodeMarker(page[page.length - 1].grantId) } : {}) };
}

/** Keeps KeyDoc.grants in step with the key's grant documents. */
function countGrants(store: DocStore, keyId: string, delta: number): void {
  const key = store.get<KeyDoc>("key", keyId);
  if (!key) return;
  key.grants = Math.max(0, (key.grants ?? 0) + delta);
  store.put("key", keyId, key);
}

function remove(ctx: RequestContext, keyId: string | undefined, grantId: string | undefined): void {
  const { key, store } = resolveKey(ctx, keyId);
  store.tx(() => {
    if (!grantId || !store.delete("grant", `${key.keyId}/${grantId}`)) throw notFound(`Grant ID ${grantId} not found`); // TODO(parity): wording
    countGrants(store, key.keyId, -1);
  });
}

export function RevokeGrant(input: RevokeGrantRequest, ctx: RequestContext): Record<string, never> {
  remove(ctx, input.KeyId, input.GrantId);
  return {};
}

export function RetireGrant(input: RetireGrantRequest, ctx: RequestContext): Record<string, never> {
  if (input.GrantToken) {
    // The token names the grant: find it among this account's keys' grants.
    for (const r of ctx.store.list<GrantDoc>("grant")) {
      if (r.doc.token === input.GrantToken) {
        ctx.store.tx(() => {
          ctx.store.delete("grant", r.id);
          countGrants(ctx.store, r.id.slice(0, r.id.indexOf("/")), -1);
        });
        return {};
      }
    }
    throw new AwsError("InvalidGrantTokenException", "Invalid grant token", 400);
  }
  if (!input.KeyId || !input.GrantId) throw new AwsError("ValidationException", "Either GrantToken, or both KeyId and GrantId, must be given.", 400); // TODO(parity): wording
  remove(ctx, input.KeyId, input.GrantId);
  return {};
}

export function ListRetirableGrants(input: ListRetirableGrantsRequest, ctx: RequestContext) {
  const limit = limitOf(input.Limit, 1000);
  const start = Number(decodeMarker(input.Marker) || "0");
  const all = ctx.store.list<GrantDoc>("grant").map((r) => r.doc).filter((g) => g.retiringPrincipal === input.RetiringPrincipal);
  const page = all.slice(start, start + limit);
  const truncated = start + limit < all.length;
  return { Grants: page.map(entry), Truncated: truncated, ...(truncated ? { NextMarker: encodeMarker(String(start + limit)) } : {}) };
}
