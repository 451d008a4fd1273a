// KMS keys, aliases and grants as documents of the shared store, one scope per account and
// region (key material included: the database is Nimbus's "HSM"). A KeyId may name a key of
// another account or region by ARN, so handlers open the scope the identifier names rather
// than the request's. Deletion and automatic rotation run on the Nimbus clock, applied when a
// key is next read (live()).
import { randomBytes, randomUUID } from "node:crypto";
import { AwsError } from "../../core/errors.js";
import { DocStore } from "../../core/state/doc-store.js";
import type { Db } from "../../core/state/database.js";
import type { RequestContext } from "../../core/service.js";

export type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

export interface KeyDoc {
  keyId: string;
  arn: string;
  account: string;
  region: string;
  createdAt: number;
  description: string;
  keyUsage: "ENCRYPT_DECRYPT" | "SIGN_VERIFY" | "GENERATE_VERIFY_MAC";
  keySpec: string;
  origin: "AWS_KMS";
  keyManager: "CUSTOMER" | "AWS";
  state: KeyState;
  deletionDate?: number;
  pendingWindowInDays?: number;
  policy: string;
  tags: Array<{ TagKey: string; TagValue: string }>;
  /** Symmetric and HMAC keys: base64 key material, one entry per rotation (the last is current). */
  material: string[];
  /** Asymmetric keys: PKCS#8 private key and SPKI public key, DER, base64. */
  privateKey?: string;
  publicKey?: string;
  rotation: { enabled: boolean; periodDays: number; nextAt?: number; rotations: Array<{ at: number; kind: "AUTOMATIC" | "ON_DEMAND" }> };
  /** How many grants the key has: the authorize hook reads grants only when there are some. */
  grants?: number;
}

export interface AliasDoc {
  name: string;
  targetKeyId: string;
  createdAt: number;
  updatedAt: number;
}

export interface GrantDoc {
  grantId: string;
  keyId: string;
  name?: string;
  createdAt: number;
  granteePrincipal: string;
  retiringPrincipal?: string;
  issuingAccount: string;
  operations: string[];
  constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
  token: string;
}

export const DAY = 86_400_000;

export function scopeStore(db: Db, account: string, region: string): DocStore {
  return new DocStore(db, "kms", `${account}/${region}`);
}

export function keyArn(account: string, region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

export function aliasArn(account: string, region: string, name: string): string {
  return `arn:aws:kms:${region}:${account}:${name}`;
}

export function notFound(message: string): AwsError {
  return new AwsError("NotFoundException", message, 400);
}

export function newKeyId(): string {
  return randomUUID();
}

export function newMaterial(): string {
  return randomBytes(32).toString("base64");
}

/** Where a KeyId points: which scope, and a key id or an alias name in it. */
export interface KeyRef {
  account: string;
  region: string;
  keyId?: string;
  alias?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MRK = /^mrk-[0-9a-f]{32}$/;
const KEY_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

/** Parses a KeyId parameter (key id, key ARN, alias name, alias ARN). */
export function parseKeyRef(value: string, account: string, region: string): KeyRef {
  let m = KEY_ARN.exec(value);
  if (m) return { region: m[1], account: m[2], keyId: m[3] };
  m = ALIAS_ARN.exec(value);
  if (m) return { region: m[1], account: m[2], alias: m[3] };
  if (value.startsWith("alias/")) return { account, region, alias: value };
  if (UUID.test(value) || MRK.test(value)) return { account, region, keyId: value };
  throw notFound(`Invalid keyId '${value}'`);
}

/**
 * Applies what the clock says happened since the key was last read: a deletion whose waiting
 * period ended (the key and its aliases and grants are gone: undefined), an automatic rotation
 * that fell due (a new material version). Writes back what changed.
 */
export function live(store: DocStore, key: KeyDoc, now: number): KeyDoc | undefined {
  if (key.state === "PendingDeletion" && key.deletionDate !== undefined && now >= key.deletionDate) {
    store.tx(() => {
      store.delete("key", key.keyId);
      for (const a of store.list<AliasDoc>("alias")) if (a.doc.targetKeyId === key.keyId) store.delete("alias", a.id);
      for (const g of store.list<GrantDoc>("grant", { prefix: `${key.keyId}/` })) store.delete("grant", g.id);
    });
    return undefined;
  }
  const r = key.rotation;
  if (r.enabled && r.nextAt !== undefined && now >= r.nextAt && key.state !== "PendingDeletion") {
    while (r.nextAt !== undefined && now >= r.nextAt) {
      key.material.push(newMaterial());
      r.rotations.push({ at: r.nextAt, kind: "AUTOMATIC" });
      r.nextAt += r.periodDays * DAY;
    }
    store.put("key", key.keyId, key);
  }
  return key;
}

/** The key (live) a KeyRef names, or undefined. */
export function findKey(db: Db, ref: KeyRef, now: number): { key: KeyDoc; store: DocStore } | undefined {
  const store = scopeStore(db, ref.account, ref.region);
  let keyId = ref.keyId;
  if (ref.alias) {
    const alias = store.get<AliasDoc>("alias", ref.alias);
    if (!alias) return undefined;
    keyId = alias.targetKeyId;
  }
  const doc = keyId ? store.get<KeyDoc>("key", keyId) : undefined;
  const key = doc ? live(store, doc, now) : undefined;
  return key ? { key, store } : undefined;
}

/** The key a KeyId parameter names, or AWS's NotFoundException. */
export function resolveKey(ctx: RequestContext, keyIdParam: string | undefined, ensureManaged?: (ctx: RequestContext, alias: string) => KeyDoc | undefined): { key: KeyDoc; store: DocStore } {
  if (keyIdParam === undefined || keyIdParam === "") throw new AwsError("ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null", 400);
  const ref = parseKeyRef(keyIdParam, ctx.accountId, ctx.region);
  const found = findKey(ctx.db, ref, ctx.clock.now());
  if (found) return found;
  if (ref.alias) {
    // AWS managed keys (alias/aws/<service>) come into being on first use.
    if (ref.alias.startsWith("alias/aws/") && ref.account === ctx.accountId && ref.region === ctx.region && ensureManaged) {
      const key = ensureManaged(ctx, ref.alias);
      if (key) return { key, store: scopeStore(ctx.db, ref.account, ref.region) };
    }
    throw notFound(`Alias '${aliasArn(ref.account, ref.region, ref.alias)}' is not found.`);
  }
  throw notFound(`Key '${keyArn(ref.account, ref.region, ref.keyId!)}' does not exist`);
}

/** AWS's errors for a key that cannot be used for a cryptographic operation now. */
export function assertUsable(key: KeyDoc): void {
  if (key.state === "Disabled") throw new AwsError("DisabledException", `${key.arn} is disabled.`, 400);
  if (key.state === "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is pending deletion.`, 400);
}

export function assertNotPendingDeletion(key: KeyDoc): void {
  if (key.state === "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is pending deletion.`, 400);
}

/** Opaque pagination markers: base64 of the last id returned. */
export function encodeMarker(last: string): string {
  return Buffer.from(last, "utf8").toString("base64");
}

export function decodeMarker(marker: string | undefined): string {
  if (marker === undefined || marker === "") return "";
  const s = Buffer.from(marker, "base64").toString("utf8");
  if (!s || Buffer.from(s, "utf8").toString("base64") !== marker) throw new AwsError("InvalidMarkerException", "Invalid marker", 400);
  return s;
}

export function limitOf(limit: number | undefined, max: number): number {
  if (limit === undefined) return max === 1000 ? 100 : max;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`, 400);
  }
  return limit;
}
