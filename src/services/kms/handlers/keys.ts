// The key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey / DisableKey, deletion on the
// Nimbus clock (ScheduleKeyDeletion, CancelKeyDeletion), UpdateKeyDescription, rotation
// (Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations), and
// the AWS managed keys (alias/aws/<service>) created on first use.
import type {
  CancelKeyDeletionRequest,
  CreateKeyRequest,
  DescribeKeyRequest,
  DisableKeyRotationRequest,
  EnableKeyRotationRequest,
  GetKeyRotationStatusRequest,
  KeyMetadata,
  ListKeyRotationsRequest,
  ListKeysRequest,
  RotateKeyOnDemandRequest,
  ScheduleKeyDeletionRequest,
  UpdateKeyDescriptionRequest,
} from "@aws-sdk/client-kms";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { KEY_SPECS, generateMaterial } from "../crypto.js";
import { awsManagedKeyPolicy, defaultKeyPolicy, validateKeyPolicy } from "../key-policy.js";
import { DAY, assertNotPendingDeletion, decodeMarker, encodeMarker, keyArn, limitOf, live, newKeyId, resolveKey, scopeStore, type AliasDoc, type KeyDoc } from "../store.js";
import { validateTags } from "./tags.js";

function validation(message: string): AwsError {
  return new AwsError("ValidationException", message, 400);
}

export function metadata(key: KeyDoc): KeyMetadata {
  const spec = KEY_SPECS[key.keySpec];
  const usage = key.keyUsage;
  return {
    AWSAccountId: key.account,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.createdAt),
    Enabled: key.state === "Enabled",
    Description: key.description,
    KeyUsage: usage,
    KeyState: key.state,
    ...(key.deletionDate !== undefined ? { DeletionDate: new Date(key.deletionDate), PendingDeletionWindowInDays: key.pendingWindowInDays } : {}),
    Origin: key.origin,
    KeyManager: key.keyManager,
    CustomerMasterKeySpec: key.keySpec as KeyMetadata["CustomerMasterKeySpec"],
    KeySpec: key.keySpec as KeyMetadata["KeySpec"],
    ...(usage === "ENCRYPT_DECRYPT" ? { EncryptionAlgorithms: [...(spec.encryption ?? [])] as KeyMetadata["EncryptionAlgorithms"] } : {}),
    ...(usage === "SIGN_VERIFY" ? { SigningAlgorithms: [...(spec.signing ?? [])] as KeyMetadata["SigningAlgorithms"] } : {}),
    ...(usage === "GENERATE_VERIFY_MAC" ? { MacAlgorithms: [...(spec.mac ?? [])] as KeyMetadata["MacAlgorithms"] } : {}),
    MultiRegion: false,
  };
}

/** A new key document (not yet stored). */
function newKey(ctx: RequestContext, opts: { keySpec: string; keyUsage: KeyDoc["keyUsage"]; description: string; policy: string; keyManager: KeyDoc["keyManager"]; tags: KeyDoc["tags"] }): KeyDoc {
  const keyId = newKeyId();
  const now = ctx.clock.now();
  const m = generateMaterial(opts.keySpec);
  return {
    keyId,
    arn: keyArn(ctx.accountId, ctx.region, keyId),
    account: ctx.accountId,
    region: ctx.region,
    createdAt: now,
    description: opts.description,
    keyUsage: opts.keyUsage,
    keySpec: opts.keySpec,
    origin: "AWS_KMS",
    keyManager: opts.keyManager,
    state: "Enabled",
    policy: opts.policy,
    tags: opts.tags,
    material: m.material,
    ...(m.privateKey ? { privateKey: m.privateKey, publicKey: m.publicKey } : {}),
    // AWS managed keys rotate every year, automatically and always.
    rotation: opts.keyManager === "AWS" ? { enabled: true, periodDays: 365, nextAt: now + 365 * DAY, rotations: [] } : { enabled: false, periodDays: 365, rotations: [] },
  };
}

export function CreateKey(input: CreateKeyRequest, ctx: RequestContext): { KeyMetadata: KeyMetadata } {
  const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
  if (input.KeySpec && input.CustomerMasterKeySpec) throw validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
  const spec = KEY_SPECS[keySpec];
  if (!spec) throw new AwsError("UnsupportedOperationException", `KeySpec ${keySpec} is not supported in this region.`, 400); // TODO(parity): wording
  const keyUsage = (input.KeyUsage ?? (spec.usages.includes("ENCRYPT_DECRYPT") ? "ENCRYPT_DECRYPT" : undefined)) as KeyDoc["keyUsage"] | undefined;
  if (!keyUsage) throw validation(`You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.`);
  if (!spec.usages.includes(keyUsage)) throw validation(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`); // TODO(parity): wording
  if (input.Origin && input.Origin !== "AWS_KMS") throw new AwsError("UnsupportedOperationException", `Origin ${input.Origin} is not supported by Nimbus.`, 400);
  if (input.MultiRegion) throw new AwsError("UnsupportedOperationException", "Multi-Region keys are not supported by Nimbus.", 400);
  if (input.Policy !== undefined) validateKeyPolicy(input.Policy);
  const tags = (input.Tags ?? []).map((t) => ({ TagKey: t.TagKey ?? "", TagValue: t.TagValue ?? "" }));
  validateTags(tags);
  const key = newKey(ctx, { keySpec, keyUsage, description: input.Description ?? "", policy: input.Policy ?? defaultKeyPolicy(ctx.accountId), keyManager: "CUSTOMER", tags });
  ctx.store.put("key", key.keyId, key);
  return { KeyMetadata: metadata(key) };
}

/** The AWS managed key behind alias/aws/<service>, created with its alias on first use. */
export function ensureManagedKey(ctx: RequestContext, alias: string): KeyDoc | undefined {
  const service = alias.slice("alias/aws/".length);
  if (!/^[a-z0-9-]+$/.test(service)) return undefined;
  const store = scopeStore(ctx.db, ctx.accountId, ctx.region);
  return store.tx(() => {
    const existing = store.get<AliasDoc>("alias", alias);
    if (existing) return store.get<KeyDoc>("key", existing.targetKeyId);
    const key = newKey(ctx, {
      keySpec: "SYMMETRIC_DEFAULT",
      keyUsage: "ENCRYPT_DECRYPT",
      description: `Default key that protects my ${service.toUpperCase()} objects when no other key is defined`,
      policy: awsManagedKeyPolicy(ctx.accountId, ctx.region, service),
      keyManager: "AWS",
      tags: [],
    });
    store.put("key", key.keyId, key);
    const now = ctx.clock.now();
    store.put<AliasDoc>("alias", alias, { name: alias, targetKeyId: key.keyId, createdAt: now, updatedAt: now });
    return key;
  });
}

export function DescribeKey(input: DescribeKeyRequest, ctx: RequestContext): { KeyMetadata: KeyMetadata } {
  return { KeyMetadata: metadata(resolveKey(ctx, input.KeyId, ensureManagedKey).key) };
}

export function ListKeys(input: ListKeysRequest, ctx: RequestContext) {
  const limit = limitOf(input.Limit, 1000);
  const after = decodeMarker(input.Marker);
  const now = ctx.clock.now();
  const rows = ctx.store.list<KeyDoc>("key", { after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const keys = page.map((r) => live(ctx.store, r.doc, now)).filter((k): k is KeyDoc => k !== undefined);
  const truncated = rows.length > limit;
  return { Keys: keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: truncated, ...(truncated ? { NextMarker: encodeMarker(page[page.length - 1].id) } : {}) };
}

function customerKey(key: KeyDoc, op: string): void {
  // TODO(parity): AWS's wording for operations refused on AWS managed keys.
  if (key.keyManager === "AWS") throw new AwsError("UnsupportedOperationException", `${op} is not supported on AWS managed key ${key.arn}.`, 400);
}

function update(ctx: RequestContext, keyId: string | undefined, op: string, change: (key: KeyDoc) => void): KeyDoc {
  const { key, store } = resolveKey(ctx, keyId);
  return store.tx(() => {
    change(key);
    store.put("key", key.keyId, key);
    return key;
  });
}

export function EnableKey(input: { KeyId?: string }, ctx: RequestContext): Record<string, never> {
  update(ctx, input.KeyId, "EnableKey", (key) => {
    customerKey(key, "EnableKey");
    assertNotPendingDeletion(key);
    key.state = "Enabled";
  });
  return {};
}

export function DisableKey(input: { KeyId?: string }, ctx: RequestContext): Record<string, never> {
  update(ctx, input.KeyId, "DisableKey", (key) => {
    customerKey(key, "DisableKey");
    assertNotPendingDeletion(key);
    key.state = "Disabled";
  });
  return {};
}

export function ScheduleKeyDeletion(input: ScheduleKeyDeletionRequest, ctx: RequestContext) {
  const days = input.PendingWindowInDays ?? 30;
  if (!Number.isInteger(days) || days < 7 || days > 30) {
    throw validation(`1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${days < 7 ? "greater than or equal to 7" : "less than or equal to 30"}`);
  }
  const key = update(ctx, input.KeyId, "ScheduleKeyDeletion", (k) => {
    customerKey(k, "ScheduleKeyDeletion");
    assertNotPendingDeletion(k);
    k.state = "PendingDeletion";
    k.pendingWindowInDays = days;
    k.deletionDate = ctx.clock.now() + days * DAY;
  });
  return { KeyId: key.arn, DeletionDate: new Date(key.deletionDate!), KeyState: key.state, PendingWindowInDays: days };
}

export function CancelKeyDeletion(input: CancelKeyDeletionRequest, ctx: RequestContext) {
  const key = update(ctx, input.KeyId, "CancelKeyDeletion", (k) => {
    if (k.state !== "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${k.arn} is not pending deletion.`, 400);
    // A key whose deletion is cancelled comes back disabled.
    k.state = "Disabled";
    delete k.deletionDate;
    delete k.pendingWindowInDays;
  });
  return { KeyId: key.arn };
}

export function UpdateKeyDescription(input: UpdateKeyDescriptionRequest, ctx: RequestContext): Record<string, never> {
  update(ctx, input.KeyId, "UpdateKeyDescription", (k) => {
    customerKey(k, "UpdateKeyDescription");
    assertNotPendingDeletion(k);
    k.description = input.Description ?? "";
  });
  return {};
}

function rotatable(key: KeyDoc): void {
  if (key.keySpec !== "SYMMETRIC_DEFAULT") throw new AwsError("UnsupportedOperationException", `${key.arn} key usage or key spec does not support automatic key rotation.`, 400); // TODO(parity): wording
  if (key.state === "Disabled") throw new AwsError("DisabledException", `${key.arn} is disabled.`, 400);
  assertNotPendingDeletion(key);
}

export function EnableKeyRotation(input: EnableKeyRotationRequest, ctx: RequestContext): Record<string, never> {
  const period = input.RotationPeriodInDays ?? 365;
  if (!Number.isInteger(period) || period < 90 || period > 2560) {
    throw validation(`1 validation error detected: Value '${period}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value ${period < 90 ? "greater than or equal to 90" : "less than or equal to 2560"}`);
  }
  update(ctx, input.KeyId, "EnableKeyRotation", (k) => {
    customerKey(k, "EnableKeyRotation");
    rotatable(k);
    k.rotation.enabled = true;
    k.rotation.periodDays = period;
    k.rotation.nextAt = ctx.clock.now() + period * DAY;
  });
  return {};
}

export function DisableKeyRotation(input: DisableKeyRotationRequest, ctx: RequestContext): Record<string, never> {
  update(ctx, input.KeyId, "DisableKeyRotation", (k) => {
    customerKey(k, "DisableKeyRotation");
    rotatable(k);
    k.rotation.enabled = false;
    delete k.rotation.nextAt;
  });
  return {};
}

export function GetKeyRotationStatus(input: GetKeyRotationStatusRequest, ctx: RequestContext) {
  const { key } = resolveKey(ctx, input.KeyId);
  assertNotPendingDeletion(key);
  const r = key.rotation;
  return {
    KeyId: key.arn,
    KeyRotationEnabled: r.enabled,
    ...(r.enabled ? { RotationPeriodInDays: r.periodDays, ...(r.nextAt !== undefined ? { NextRotationDate: new Date(r.nextAt) } : {}) } : {}),
  };
}

export function RotateKeyOnDemand(input: RotateKeyOnDemandRequest, ctx: RequestContext) {
  const key = update(ctx, input.KeyId, "RotateKeyOnDemand", (k) => {
    customerKey(k, "RotateKeyOnDemand");
    rotatable(k);
    k.material.push(generateMaterial("SYMMETRIC_DEFAULT").material[0]);
    k.rotation.rotations.push({ at: ctx.clock.now(), kind: "ON_DEMAND" });
  });
  return { KeyId: key.keyId };
}

export function ListKeyRotations(input: ListKeyRotationsRequest, ctx: RequestContext) {
  const { key } = resolveKey(ctx, input.KeyId);
  const limit = limitOf(input.Limit, 1000);
  const start = Number(decodeMarker(input.Marker) || "0");
  const all = key.rotation.rotations;
  const page = all.slice(start, start + limit);
  const truncated = start + limit < all.length;
  return {
    Rotations: page.map((r) => ({ KeyId: key.keyId, RotationDate: new Date(r.at), RotationType: r.kind })),
    Truncated: truncated,
    ...(truncated ? { NextMarker: encodeMarker(String(start + limit)) } : {}),
  };
}
