// DeleteObjects: up to 1000 keys in one request, all rows removed in one transaction, blobs
// deleted after the commit. Quiet mode reports only errors. A key that does not exist is
// reported as deleted (S3 without versioning). An entry with an ETag (conditional delete)
// whose ETag differs is reported as a PreconditionFailed error and left in place; with an ETag
// and no object, as NoSuchKey.
import type { DeleteObjectsOutput, DeleteObjectsRequest, DeletedObject, _Error } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import { inTransaction } from "../../../core/state/database.js";
import type { Handler } from "../../../core/service.js";
import { deleteObjectRow, getObject } from "../store.js";
import { ownBucket } from "./buckets.js";
import { etagMatches } from "./conditions.js";

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
  inTransaction(ctx.db, () => {
    for (const e of entries) {
      const key = e.Key ?? "";
      if (key === "") {
        errors.push({ Key: key, Code: "UserKeyMustBeSpecified", Message: "The key must be specified." });
        continue;
      }
      const o = getObject(ctx.db, bucket.name, key);
      if (!o && e.ETag !== undefined) {
        errors.push({ Key: key, Code: "NoSuchKey", Message: "The specified key does not exist." });
        continue;
      }
      if (o && e.ETag !== undefined && !etagMatches(e.ETag, o.etag)) {
        errors.push({ Key: key, Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold" });
        continue;
      }
      if (o) {
        deleteObjectRow(ctx.db, bucket.name, key);
        blobs.push(o.blobId);
      }
      if (!quiet) deleted.push({ Key: key });
    }
  });
  for (const id of blobs) await ctx.blobs.delete(id);
  return { ...(deleted.length ? { Deleted: deleted } : {}), ...(errors.length ? { Errors: errors } : {}) };
};
