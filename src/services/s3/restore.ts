// RestoreObject: a temporary readable copy of a GLACIER / DEEP_ARCHIVE version, ready after the
// retrieval tier's time on the Nimbus clock and gone `Days` later (rounded up to midnight UTC,
// as S3 rounds it). The restore is a document beside the version (storage-class.ts); GET/HEAD
// read it lazily, so no worker is needed for the state itself.
//
// Steps (S3 API reference, RestoreObject):
//   1. the version (VersionId or current); a delete marker or a missing key is 404;
//   2. only archived classes can be restored: anything else is 403 InvalidObjectState;
//   3. Days is required (1 or more); the tier defaults to Standard; DEEP_ARCHIVE has no Expedited;
//   4. a restore in progress: 409 RestoreAlreadyInProgress; a finished one: its expiry moves
//      (200); otherwise a new restore starts (202).
// An INTELLIGENT_TIERING object in an archive tier (lifecycle/tiering.ts) is restored without
// Days: when the retrieval finishes it is back in Frequent Access for good (the restore pass in
// lifecycle/restores.ts drops its archive state), as the S3 User Guide describes.
import type { RestoreObjectOutput, RestoreObjectRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../core/errors.js";
import { RESPONSE_STATUS, type Handler } from "../../core/service.js";
import { ownBucket } from "./handlers/buckets.js";
import { versionToRead } from "./handlers/objects.js";
import { emitS3Event, requestInfo } from "./notifications/emit.js";
import { archiveTierOf, globalDocs, isArchivedClass, restoreOf, versionDocId, type ArchiveTier, type RestoreDoc } from "./storage-class.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long each tier takes (the upper end of AWS's documented ranges). */
export const RESTORE_DURATION: Readonly<Record<string, Partial<Record<RestoreDoc["tier"], number>>>> = {
  GLACIER: { Expedited: 5 * MINUTE, Standard: 5 * HOUR, Bulk: 12 * HOUR },
  DEEP_ARCHIVE: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
};

/** Intelligent-Tiering archive tiers (S3 User Guide, "Restoring objects from the S3 Intelligent-Tiering Archive Access and Deep Archive Access tiers"). */
export const ARCHIVE_RESTORE_DURATION: Readonly<Record<ArchiveTier, Partial<Record<RestoreDoc["tier"], number>>>> = {
  ARCHIVE_ACCESS: { Expedited: 5 * MINUTE, Standard: 5 * HOUR, Bulk: 12 * HOUR },
  DEEP_ARCHIVE_ACCESS: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
};

/** The next midnight UTC at or after `ms`. */
export function ceilMidnightUtc(ms: number): number {
  return Math.ceil(ms / DAY) * DAY;
}

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

export const RestoreObject: Handler<RestoreObjectRequest, RestoreObjectOutput> = (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  // 1.
  const o = versionToRead(ctx, bucket, input.Key!, input.VersionId, false);
  // 2.
  const archived = archiveTierOf(ctx, o);
  if (!isArchivedClass(o.storageClass) && !archived) {
    throw new AwsError("InvalidObjectState", "Restore is not allowed for the object's current storage class", 403, { fields: { StorageClass: o.storageClass } });
  }
  // 3.
  const req = input.RestoreRequest ?? {};
  if (req.Type !== undefined || req.SelectParameters !== undefined || req.OutputLocation !== undefined) {
    throw new AwsError("NotImplemented", "A header you provided implies functionality that is not implemented", 501);
  }
  const tier = (req.GlacierJobParameters?.Tier ?? req.Tier ?? "Standard") as RestoreDoc["tier"];
  if (archived) return restoreArchived(ctx, bucket, o, archived, req.Days, tier);
  const days = req.Days;
  if (days === undefined) throw malformedXml();
  if (!Number.isInteger(days) || days < 1) throw new AwsError("InvalidArgument", "Restore Days must be a positive integer", 400, { fields: { ArgumentName: "Days", ArgumentValue: String(days) } });
  if (!["Expedited", "Standard", "Bulk"].includes(tier)) throw malformedXml();
  const took = RESTORE_DURATION[o.storageClass][tier];
  if (took === undefined) {
    throw new AwsError("InvalidArgument", `Retrieval option ${tier} is not supported for objects in the ${o.storageClass} storage class`, 400, {
      fields: { ArgumentName: "Tier", ArgumentValue: tier },
    });
  }
  // 4.
  const now = ctx.clock.now();
  const id = versionDocId(o.bucket, o.versionId, o.key);
  const existing = restoreOf(ctx, o);
  const out: RestoreObjectOutput & { [RESPONSE_STATUS]?: number } = {};
  if (existing && now < existing.readyAt) throw new AwsError("RestoreAlreadyInProgress", "Object restore is already in progress", 409);
  if (existing) {
    globalDocs(ctx).put<RestoreDoc>("restore", id, { ...existing, days, expiresAt: ceilMidnightUtc(now + days * DAY) });
    out[RESPONSE_STATUS] = 200;
    return out;
  }
  const readyAt = now + took;
  globalDocs(ctx).put<RestoreDoc>("restore", id, { blobId: o.blobId, tier, requestedAt: now, readyAt, days, expiresAt: ceilMidnightUtc(readyAt + days * DAY) });
  emitS3Event(ctx, bucket, {
    eventName: "ObjectRestore:Post",
    key: o.key,
    size: o.size,
    eTag: o.etag,
    versionId: o.versionId,
    ...requestInfo(ctx),
  });
  out[RESPONSE_STATUS] = 202;
  return out;
};

/** Steps 3-4 for an Intelligent-Tiering object in an archive tier: no Days, no temporary copy. */
function restoreArchived(ctx: Parameters<Handler>[1], bucket: ReturnType<typeof ownBucket>, o: ReturnType<typeof versionToRead>, archived: ArchiveTier, days: number | undefined, tier: RestoreDoc["tier"]): RestoreObjectOutput {
  if (days !== undefined) {
    throw new AwsError("InvalidArgument", "Restore Days must not be specified for objects in the S3 Intelligent-Tiering archive access tiers", 400, { fields: { ArgumentName: "Days", ArgumentValue: String(days) } });
  }
  if (!["Expedited", "Standard", "Bulk"].includes(tier)) throw malformedXml();
  const took = ARCHIVE_RESTORE_DURATION[archived][tier];
  if (took === undefined) {
    throw new AwsError("InvalidArgument", `Retrieval option ${tier} is not supported for objects in the ${archived} tier`, 400, { fields: { ArgumentName: "Tier", ArgumentValue: tier } });
  }
  const now = ctx.clock.now();
  const id = versionDocId(o.bucket, o.versionId, o.key);
  const existing = globalDocs(ctx).get<RestoreDoc>("restore", id);
  if (existing && existing.blobId === o.blobId && existing.archive && now < existing.readyAt) throw new AwsError("RestoreAlreadyInProgress", "Object restore is already in progress", 409);
  globalDocs(ctx).put<RestoreDoc>("restore", id, { blobId: o.blobId, tier, requestedAt: now, readyAt: now + took, days: 0, expiresAt: Number.MAX_SAFE_INTEGER, archive: archived });
  emitS3Event(ctx, bucket, { eventName: "ObjectRestore:Post", key: o.key, size: o.size, eTag: o.etag, versionId: o.versionId, ...requestInfo(ctx) });
  const out: RestoreObjectOutput & { [RESPONSE_STATUS]?: number } = {};
  out[RESPONSE_STATUS] = 202;
  return out;
}
