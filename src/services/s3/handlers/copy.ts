// CopyObject: a server-side copy within or across the caller's buckets, with the metadata and
// tagging directives, the x-amz-copy-source-if-* conditions, and copies onto the object itself
// (how S3 users change metadata or storage class in place).
//
// Steps:
//   1. parse x-amz-copy-source ("bucket/key" or "/bucket/key", URL-encoded, optional ?versionId=);
//   2. read the source version (the current one, or the named one) and check the copy-source
//      conditions (412 on failure);
//   3. refuse a copy onto itself that changes nothing (S3's InvalidRequest);
//   4. choose metadata (COPY: the source's; REPLACE: the request's), tags likewise, storage
//      class (the request's, else STANDARD, as on S3);
//   5. onto itself in an unversioned bucket (same bytes, checksum known): rewrite the row in
//      place, keeping the blob (a versioned bucket gets a new version with its own blob);
//      otherwise stream the source blob into a new blob and commit (objects.ts writeObject), so
//      two objects never share bytes and deleting one never touches the other. A source
//      replaced mid-copy sends the copy back to step 2.
import type { CopyObjectOutput, CopyObjectRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from "../../../core/http/checksums.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { inTransaction } from "../../../core/state/database.js";
import { getObject, putObject, type StoredObject } from "../store.js";
import { getVersion, isWellFormedVersionId } from "../version-store.js";
import { bucketStore, ownBucket, type StoredBucket } from "./buckets.js";
import { checkCopySourceConditions, copySourceConditions, checkWriteConditions, noSuchKey } from "./conditions.js";
import {
  checkKey,
  checkReadable,
  checkMetadata,
  checkStorageClass,
  checksumMembers,
  contentHeadersOf,
  noSuchVersion,
  openBlob,
  versionIdMember,
  writeObject,
} from "./objects.js";
import { parseTaggingHeader } from "./tagging.js";
import { emitS3Event, requestInfo } from "../notifications/emit.js";
import { openCipher, sseMembers, storedSse } from "../encryption/sse.js";

function invalidArgument(message: string, name: string, value: string): AwsError {
  return new AwsError("InvalidArgument", message, 400, { fields: { ArgumentName: name, ArgumentValue: value } });
}

/** Step 1. */
export function parseCopySource(raw: string): { bucket: string; key: string; versionId?: string } {
  let s = raw.startsWith("/") ? raw.slice(1) : raw;
  let versionId: string | undefined;
  const q = s.indexOf("?");
  if (q >= 0) {
    const v = new URLSearchParams(s.slice(q + 1)).get("versionId");
    if (v !== null) {
      if (!isWellFormedVersionId(v)) throw invalidArgument("Invalid version id specified", "x-amz-copy-source", raw);
      versionId = v;
    }
    s = s.slice(0, q);
  }
  const slash = s.indexOf("/");
  if (slash <= 0 || slash === s.length - 1) throw invalidArgument("Invalid copy source object key", "x-amz-copy-source", raw);
  try {
    return { bucket: decodeURIComponent(s.slice(0, slash)), key: decodeURIComponent(s.slice(slash + 1)), ...(versionId !== undefined ? { versionId } : {}) };
  } catch {
    throw invalidArgument("Invalid copy source encoding.", "x-amz-copy-source", raw);
  }
}

/**
 * The copy source version: the named version (404 NoSuchVersion if absent; a delete marker is
 * 400 InvalidRequest, as S3 answers a copy from one), else the current one (404 NoSuchKey).
 */
export function copySourceVersion(ctx: RequestContext, bucket: StoredBucket, key: string, versionId: string | undefined): StoredObject {
  if (versionId !== undefined) {
    const v = getVersion(ctx.db, bucket.name, key, versionId);
    if (!v) throw noSuchVersion(key, versionId);
    if (v.deleteMarker) throw new AwsError("InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.", 400);
    return v;
  }
  const o = getObject(ctx.db, bucket.name, key);
  if (!o) throw noSuchKey(key);
  return o;
}

/** How many times a copy re-reads a source replaced under it before giving up. */
const ATTEMPTS = 5;

export const CopyObject: Handler<CopyObjectRequest, CopyObjectOutput> = async (input, ctx) => {
  const dest = ownBucket(ctx, input.Bucket!);
  const key = input.Key!;
  checkKey(key);
  const src = parseCopySource(input.CopySource!);
  const srcBucket = ownBucket(ctx, src.bucket);
  const metadataDirective = input.MetadataDirective ?? "COPY";
  const taggingDirective = input.TaggingDirective ?? "COPY";
  if (metadataDirective !== "COPY" && metadataDirective !== "REPLACE") throw invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", metadataDirective);
  if (taggingDirective !== "COPY" && taggingDirective !== "REPLACE") throw invalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", taggingDirective);
  const ontoItself = srcBucket.name === dest.name && src.key === key;
  const storageClass = checkStorageClass(input.StorageClass);
  const requested = input.ChecksumAlgorithm ? parseChecksumAlgorithm(input.ChecksumAlgorithm) : undefined;
  const conditions = { ...(input.IfMatch !== undefined ? { IfMatch: input.IfMatch } : {}), ...(input.IfNoneMatch !== undefined ? { IfNoneMatch: input.IfNoneMatch } : {}) };

  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    // 2.
    const source = copySourceVersion(ctx, srcBucket, src.key, src.versionId);
    checkReadable(ctx, source);
    const sourceCipher = await openCipher(ctx, source, { SSECustomerAlgorithm: input.CopySourceSSECustomerAlgorithm, SSECustomerKey: input.CopySourceSSECustomerKey, SSECustomerKeyMD5: input.CopySourceSSECustomerKeyMD5 }, "x-amz-copy-source-server-side-encryption-customer-");
    checkCopySourceConditions(copySourceConditions(input), source);
    // 3.
    if (ontoItself && metadataDirective === "COPY" && input.StorageClass === undefined && input.WebsiteRedirectLocation === undefined && input.ServerSideEncryption === undefined) {
      throw new AwsError(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        400,
      );
    }
    // 4.
    const replace = metadataDirective === "REPLACE";
    const metadata = replace ? (input.Metadata ?? {}) : source.metadata;
    checkMetadata(metadata);
    const headers = replace ? contentHeadersOf(input) : { ...source.headers };
    if (!replace && input.WebsiteRedirectLocation !== undefined) headers.WebsiteRedirectLocation = input.WebsiteRedirectLocation;
    const tags = taggingDirective === "REPLACE" ? parseTaggingHeader(input.Tagging) : source.tags;
    const algorithm: ChecksumAlgorithm = requested ?? ((Object.keys(source.checksums)[0] as ChecksumAlgorithm | undefined) ?? "CRC64NVME");
    if (input.IfMatch !== undefined || input.IfNoneMatch !== undefined) checkWriteConditions(conditions, getObject(ctx.db, dest.name, key), key);

    // 5a. Onto itself with the bytes' checksum already known: a metadata-only rewrite in one
    //     transaction, keeping the blob, provided the object is still the one just checked.
    if (ontoItself && dest.versioning === undefined && source.checksums[algorithm] !== undefined && input.SSECustomerAlgorithm === undefined && input.ServerSideEncryption === undefined) {
      const row = inTransaction(ctx.db, () => {
        const current = getObject(ctx.db, dest.name, key);
        if (!current || current.blobId !== source.blobId || bucketStore(ctx).get<StoredBucket>("bucket", dest.name)?.versioning !== undefined) return undefined;
        checkWriteConditions(conditions, current, key);
        // The blob stays, and so does its encryption.
        const next: StoredObject = { ...current, headers: { ...headers, sse: storedSse(current) } as StoredObject["headers"], metadata, tags, storageClass, lastModified: Math.floor(ctx.clock.now() / 1000) * 1000 };
        putObject(ctx.db, next);
        return next;
      });
      if (!row) continue; // replaced meanwhile: start again from the new source
      return copied(ctx, row, dest, srcBucket, source);
    }
    // 5b. Stream the bytes into a new blob.
    const stream = await openBlob(ctx, source.blobId, undefined, sourceCipher);
    if (!stream) continue; // the source was replaced between the read and the open
    const { row, bucket: committedTo } = await writeObject(ctx, { bucket: dest, key, source: stream, algorithm, headers, metadata, tags, storageClass, conditions, sse: input, lock: input });
    return copied(ctx, row, committedTo, srcBucket, source);
  }
  throw new AwsError("InternalError", "We encountered an internal error. Please try again.", 500);
};

/** The answer, after the ObjectCreated:Copy event. */
function copied(ctx: RequestContext, row: StoredObject, dest: StoredBucket, srcBucket: StoredBucket, source: StoredObject): CopyObjectOutput {
  emitS3Event(ctx, dest.name, { eventName: "ObjectCreated:Copy", key: row.key, size: row.size, eTag: row.etag, versionId: row.versionId, sequencer: row.seq, ...requestInfo(ctx) });
  return copyResult(row, dest, srcBucket, source);
}

function copyResult(row: StoredObject, dest: StoredBucket, srcBucket: StoredBucket, source: StoredObject): CopyObjectOutput {
  return {
    CopyObjectResult: { ETag: row.etag, LastModified: new Date(row.lastModified), ...checksumMembers(row.checksums) },
    ...versionIdMember(dest, row.versionId),
    ...(srcBucket.versioning !== undefined ? { CopySourceVersionId: source.versionId } : {}),
    ...sseMembers(storedSse(row), true),
  } as CopyObjectOutput;
}
