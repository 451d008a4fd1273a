// Storage classes: which ones a general purpose bucket accepts, AWS's minimum billable sizes and
// durations (recorded; lifecycle validation reads the transition minimums), whether an object
// version can be read now (archived classes need a restore, restore.ts), and S3
// Intelligent-Tiering's access tiers, which move with the object's last access on the Nimbus
// clock (S3 User Guide, "How S3 Intelligent-Tiering works").
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";
import type { StoredObject } from "./store.js";

const DAY_MS = 86_400_000;
const ACCESS_GRANULARITY_MS = 3_600_000;

/**
 * What AWS documents per class: minimum billable object size (bytes) and storage duration (days).
 * EXPRESS_ONEZONE (directory buckets), OUTPOSTS and SNOW exist in the API but a general purpose
 * bucket refuses them with InvalidStorageClass, as AWS does.
 */
export const STORAGE_CLASS_RULES: Readonly<Record<string, { minSize: number; minDays: number; archived: boolean }>> = {
  STANDARD: { minSize: 0, minDays: 0, archived: false },
  REDUCED_REDUNDANCY: { minSize: 0, minDays: 0, archived: false },
  STANDARD_IA: { minSize: 128 * 1024, minDays: 30, archived: false },
  ONEZONE_IA: { minSize: 128 * 1024, minDays: 30, archived: false },
  INTELLIGENT_TIERING: { minSize: 0, minDays: 0, archived: false },
  GLACIER_IR: { minSize: 128 * 1024, minDays: 90, archived: false },
  GLACIER: { minSize: 40 * 1024, minDays: 90, archived: true },
  DEEP_ARCHIVE: { minSize: 40 * 1024, minDays: 180, archived: true },
};

export function isArchivedClass(sc: string): boolean {
  return STORAGE_CLASS_RULES[sc]?.archived === true;
}

/** The class a write names (absent: STANDARD); anything a general purpose bucket cannot hold is InvalidStorageClass. */
export function checkStorageClass(sc: string | undefined): string {
  if (sc === undefined) return "STANDARD";
  if (!(sc in STORAGE_CLASS_RULES)) throw new AwsError("InvalidStorageClass", "The storage class you specified is not valid", 400, { fields: { StorageClassRequested: sc } });
  return sc;
}

// ---- Per-version state kept beside the row ----
// Restores and Intelligent-Tiering access times are documents of the global scope, keyed
// "<bucket>/<versionId>/<key>" and stamped with the blob id of the version they describe:
// an overwrite (new blob) makes them stale without any write path knowing of them.

export function versionDocId(bucket: string, versionId: string, key: string): string {
  return `${bucket}/${versionId}/${key}`;
}

export function globalDocs(ctx: { store: DocStore }): DocStore {
  return ctx.store.withScope("global");
}

export interface RestoreDoc {
  blobId: string;
  tier: "Expedited" | "Standard" | "Bulk";
  requestedAt: number;
  /** When the temporary copy is readable (Nimbus ms). */
  readyAt: number;
  days: number;
  /** When the temporary copy goes away (midnight UTC; Nimbus ms). */
  expiresAt: number;
  /** An Intelligent-Tiering archive restore: the object moves back to Frequent Access (no copy, no expiry). */
  archive?: ArchiveTier;
  /** ObjectRestore:Completed has been emitted (lifecycle/restores.ts). */
  completedSent?: boolean;
}

/** The restore of this version, if one is in progress or its copy has not expired. */
export function restoreOf(ctx: { store: DocStore; clock: { now(): number } }, o: StoredObject): RestoreDoc | undefined {
  const d = globalDocs(ctx).get<RestoreDoc>("restore", versionDocId(o.bucket, o.versionId, o.key));
  if (!d || d.blobId !== o.blobId) return undefined;
  if (ctx.clock.now() >= d.expiresAt) return undefined;
  return d;
}

// ---- Intelligent-Tiering ----

export type AccessTier = "FREQUENT_ACCESS" | "INFREQUENT_ACCESS" | "ARCHIVE_INSTANT_ACCESS";

export interface AccessDoc {
  blobId: string;
  lastAccess: number;
}

// ---- Intelligent-Tiering archive tiers (opt-in, intelligent-tiering.ts configures them) ----

export type ArchiveTier = "ARCHIVE_ACCESS" | "DEEP_ARCHIVE_ACCESS";

/** A version the tiering pass (lifecycle/tiering.ts) moved to an archive tier. */
export interface ArchiveDoc {
  blobId: string;
  tier: ArchiveTier;
  since: number;
}

/**
 * The archive tier an INTELLIGENT_TIERING version is in, if any: set by the tiering pass, left
 * by a restore that has finished (the pass then drops the document; until it runs, the finished
 * restore already counts).
 */
export function archiveTierOf(ctx: { store: DocStore; clock: { now(): number } }, o: StoredObject): ArchiveTier | undefined {
  if (o.storageClass !== "INTELLIGENT_TIERING") return undefined;
  const id = versionDocId(o.bucket, o.versionId, o.key);
  const a = globalDocs(ctx).get<ArchiveDoc>("int-archive", id);
  if (!a || a.blobId !== o.blobId) return undefined;
  const r = globalDocs(ctx).get<RestoreDoc>("restore", id);
  if (r && r.blobId === o.blobId && r.archive && ctx.clock.now() >= r.readyAt) return undefined;
  return a.tier;
}

/** The x-amz-archive-status a HEAD reports for an archived Intelligent-Tiering object. */
export function archiveMembers(ctx: RequestContext, o: StoredObject): { ArchiveStatus?: ArchiveTier } {
  const t = archiveTierOf(ctx, o);
  return t ? { ArchiveStatus: t } : {};
}

/** When the version was last read (GET), else written. */
export function lastAccess(ctx: { store: DocStore }, o: StoredObject): number {
  const d = globalDocs(ctx).get<AccessDoc>("int-access", versionDocId(o.bucket, o.versionId, o.key));
  return d && d.blobId === o.blobId ? Math.max(d.lastAccess, o.lastModified) : o.lastModified;
}

/**
 * The automatic access tier of an INTELLIGENT_TIERING object: Frequent Access until 30
 * consecutive days without access, then Infrequent Access, then Archive Instant Access after 90.
 * Any GET brings it back to Frequent Access.
 */
export function accessTier(ctx: { store: DocStore; clock: { now(): number } }, o: StoredObject): AccessTier {
  const idle = ctx.clock.now() - lastAccess(ctx, o);
  if (idle >= 90 * DAY_MS) return "ARCHIVE_INSTANT_ACCESS";
  if (idle >= 30 * DAY_MS) return "INFREQUENT_ACCESS";
  return "FREQUENT_ACCESS";
}

/** A GET of an Intelligent-Tiering object is an access: it returns to the Frequent Access tier. */
export function noteAccess(ctx: RequestContext, o: StoredObject): void {
  if (o.storageClass !== "INTELLIGENT_TIERING") return;
  // Tiers move in days: a version read within the last hour needs no new write.
  const now = ctx.clock.now();
  if (now - lastAccess(ctx, o) < ACCESS_GRANULARITY_MS) return;
  globalDocs(ctx).put<AccessDoc>("int-access", versionDocId(o.bucket, o.versionId, o.key), { blobId: o.blobId, lastAccess: now });
}

/** InvalidObjectState as S3 words it for a GET/copy of an archived object without a restored copy. */
export function invalidObjectState(storageClass: string, accessTier?: string): AwsError {
  return new AwsError("InvalidObjectState", "The operation is not valid for the object's storage class", 403, {
    fields: { StorageClass: storageClass, ...(accessTier ? { AccessTier: accessTier } : {}) },
  });
}

/**
 * Reading the bytes of a version (GET, CopyObject and UploadPartCopy sources): archived classes
 * need a finished, unexpired restore.
 */
export function checkReadable(ctx: RequestContext, o: StoredObject): void {
  if (o.storageClass === "INTELLIGENT_TIERING") {
    const tier = archiveTierOf(ctx, o);
    if (tier) throw invalidObjectState(o.storageClass, tier);
    return;
  }
  if (!isArchivedClass(o.storageClass)) return;
  const r = restoreOf(ctx, o);
  if (!r || ctx.clock.now() < r.readyAt) throw invalidObjectState(o.storageClass);
}

/** The x-amz-restore value of a version: ongoing, or done with the copy's expiry date. */
export function restoreHeader(ctx: RequestContext, o: StoredObject): string | undefined {
  if (o.storageClass === "INTELLIGENT_TIERING") {
    // An archive restore in progress; once done the object is simply in Frequent Access.
    const r = globalDocs(ctx).get<RestoreDoc>("restore", versionDocId(o.bucket, o.versionId, o.key));
    return r && r.archive && r.blobId === o.blobId && ctx.clock.now() < r.readyAt ? 'ongoing-request="true"' : undefined;
  }
  if (!isArchivedClass(o.storageClass)) return undefined;
  const r = restoreOf(ctx, o);
  if (!r) return undefined;
  if (ctx.clock.now() < r.readyAt) return 'ongoing-request="true"';
  return `ongoing-request="false", expiry-date="${new Date(r.expiresAt).toUTCString()}"`;
}
