// DeleteObjects: up to 1000 keys in one request, all rows removed in one transaction, blobs
// deleted after the commit. Quiet mode reports only errors. Each entry behaves as DeleteObject
// would: a key that does not exist is reported as deleted; in a versioned bucket an entry
// without a VersionId adds a delete marker (reported as DeleteMarker/DeleteMarkerVersionId);
// an entry with a VersionId removes that version (reported with DeleteMarker when it was a
// marker); a malformed VersionId is an InvalidArgument error for that entry. An entry with an
// ETag (conditional delete) whose ETag differs is reported as a PreconditionFailed error and
// left in place; with an ETag and no object, as NoSuchKey.
import type { DeleteObjectsOutput, DeleteObjectsRequest, DeletedObject, _Error } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import { inTransaction } from "../../../core/state/database.js";
import type { Handler } from "../../../core/service.js";
import { getObject } from "../store.js";
import { deleteCurrent, deleteVersion, getVersion, isWellFormedVersionId } from "../version-store.js";
import { bucketStore, noSuchBucket, ownBucket, type StoredBucket } from "./buckets.js";
import { etagMatches } from "./conditions.js";
import { emitS3Event, requestInfo } from "../notifications/emit.js";
import { markDeleteMarker } from "../replication/engine.js";
import { deleteBlocked, LOCKED_MESSAGE } from "../object-lock/lock.js";

const MAX_KEYS = 1000;

export const DeleteObjects: Handler<DeleteObjectsRequest, DeleteObjectsOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const entries = input.Delete?.Objects ?? [];
  if (entries.length === 0 || entries.length > MAX_KEYS) {
    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
  }
  const quiet = input.Delete?.Quiet === true;
  const deleted: DeletedObject[] = [];
  const errors: _Error[] = [];
  const blobs: string[] = [];
  // What S3 reports to notifications, quiet or not.
  const removed: Array<{ key: string; versionId?: string; marker: boolean }> = [];
  inTransaction(ctx.db, () => {
    const b = bucketStore(ctx).get<StoredBucket>("bucket", bucket.name);
    if (!b) throw noSuchBucket(bucket.name);
    for (const e of entries) {
      const key = e.Key ?? "";
      if (key === "") {
        errors.push({ Key: key, Code: "UserKeyMustBeSpecified", Message: "The key must be specified." });
        continue;
      }
      const vid = e.VersionId;
      if (vid !== undefined && !isWellFormedVersionId(vid)) {
        errors.push({ Key: key, VersionId: vid, Code: "InvalidArgument", Message: "Invalid version id specified" });
        continue;
      }
      const found = vid !== undefined ? getVersion(ctx.db, b.name, key, vid) : getObject(ctx.db, b.name, key);
      const o = found && !("deleteMarker" in found && found.deleteMarker) ? found : undefined;
      if (!o && e.ETag !== undefined) {
        errors.push({ Key: key, Code: "NoSuchKey", Message: "The specified key does not exist." });
        continue;
      }
      if (o && e.ETag !== undefined && !etagMatches(e.ETag, o.etag)) {
        errors.push({ Key: key, Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold" });
        continue;
      }
      if (vid !== undefined) {
        if (found && deleteBlocked(found, ctx.clock.now(), input.BypassGovernanceRetention === true)) {
          errors.push({ Key: key, VersionId: vid, Code: "AccessDenied", Message: LOCKED_MESSAGE });
          continue;
        }
        const r = deleteVersion(ctx.db, b.name, key, vid);
        blobs.push(...ctx.blobs.dropInline(ctx.db, r.freed));
        removed.push({ key, versionId: vid, marker: false });
        if (!quiet) deleted.push({ Key: key, VersionId: vid, ...(r.removed?.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: vid } : {}) });
        continue;
      }
      const r = deleteCurrent(ctx.db, b.versioning, b.name, key, ctx.clock.now());
      // Replicated when the rule says so, as DeleteObject's (replication/engine.ts).
      if (r.marker) markDeleteMarker(ctx.db, b, r.marker);
      blobs.push(...ctx.blobs.dropInline(ctx.db, r.freed));
      removed.push({ key, versionId: r.marker?.versionId, marker: r.marker !== undefined });
      if (!quiet) deleted.push({ Key: key, ...(r.marker ? { DeleteMarker: true, DeleteMarkerVersionId: r.marker.versionId } : {}) });
    }
  });
  for (const id of blobs) await ctx.blobs.delete(id);
  const info = requestInfo(ctx);
  for (const r of removed) emitS3Event(ctx, bucket.name, { eventName: r.marker ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete", key: r.key, versionId: r.versionId, ...info });
  return { ...(deleted.length ? { Deleted: deleted } : {}), ...(errors.length ? { Errors: errors } : {}) };
};
