// CopyObject: a server-side copy within or across the caller's buckets, with the metadata and
// tagging directives, the x-amz-copy-source-if-* conditions, and copies onto the object itself
// (how S3 users change metadata or storage class in place).
//
// Steps:
//   1. parse x-amz-copy-source ("bucket/key" or "/bucket/key", URL-encoded; ?versionId ignored);
//   2. read the source row and check the copy-source conditions (412 on failure);
//   3. refuse a copy onto itself that changes nothing (S3's InvalidRequest);
//   4. choose metadata (COPY: the source's; REPLACE: the request's), tags likewise, storage
//      class (the request's, else STANDARD, as on S3);
//   5. stream the source blob into a new blob and commit (objects.ts writeObject), so the two
//      objects never share bytes and deleting one never touches the other.
import type { CopyObjectOutput, CopyObjectRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from "../../../core/http/checksums.js";
import type { Handler } from "../../../core/service.js";
import { getObject } from "../store.js";
import { ownBucket } from "./buckets.js";
import { checkCopySourceConditions, checkWriteConditions, noSuchKey } from "./conditions.js";
import { checkKey, checkReadable, checkMetadata, checkStorageClass, checksumMembers, contentHeadersOf, writeObject } from "./objects.js";
import { parseTaggingHeader } from "./tagging.js";

function invalidArgument(message: string, name: string, value: string): AwsError {
  return new AwsError("InvalidArgument", message, 400, { fields: { ArgumentName: name, ArgumentValue: value } });
}

/** Step 1. */
export function parseCopySource(raw: string): { bucket: string; key: string } {
  let s = raw.startsWith("/") ? raw.slice(1) : raw;
  const q = s.indexOf("?");
  if (q >= 0) s = s.slice(0, q);
  const slash = s.indexOf("/");
  if (slash <= 0 || slash === s.length - 1) throw invalidArgument("Invalid copy source object key", "x-amz-copy-source", raw);
  try {
    return { bucket: decodeURIComponent(s.slice(0, slash)), key: decodeURIComponent(s.slice(slash + 1)) };
  } catch {
    throw invalidArgument("Invalid copy source encoding.", "x-amz-copy-source", raw);
  }
}

export const CopyObject: Handler<CopyObjectRequest, CopyObjectOutput> = async (input, ctx) => {
  const dest = ownBucket(ctx, input.Bucket!);
  const key = input.Key!;
  checkKey(key);
  // 1-2.
  const src = parseCopySource(input.CopySource!);
  const srcBucket = ownBucket(ctx, src.bucket);
  const source = getObject(ctx.db, srcBucket.name, src.key);
  if (!source) throw noSuchKey(src.key);
  checkReadable(source);
  checkCopySourceConditions(
    {
      ...(input.CopySourceIfMatch !== undefined ? { IfMatch: input.CopySourceIfMatch } : {}),
      ...(input.CopySourceIfNoneMatch !== undefined ? { IfNoneMatch: input.CopySourceIfNoneMatch } : {}),
      ...(input.CopySourceIfModifiedSince !== undefined ? { IfModifiedSince: input.CopySourceIfModifiedSince } : {}),
      ...(input.CopySourceIfUnmodifiedSince !== undefined ? { IfUnmodifiedSince: input.CopySourceIfUnmodifiedSince } : {}),
    },
    source,
  );
  const metadataDirective = input.MetadataDirective ?? "COPY";
  const taggingDirective = input.TaggingDirective ?? "COPY";
  if (metadataDirective !== "COPY" && metadataDirective !== "REPLACE") throw invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", metadataDirective);
  if (taggingDirective !== "COPY" && taggingDirective !== "REPLACE") throw invalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", taggingDirective);
  // 3.
  const ontoItself = srcBucket.name === dest.name && src.key === key;
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
  const storageClass = checkStorageClass(input.StorageClass);
  const requested = input.ChecksumAlgorithm ? parseChecksumAlgorithm(input.ChecksumAlgorithm) : undefined;
  const algorithm: ChecksumAlgorithm = requested ?? ((Object.keys(source.checksums)[0] as ChecksumAlgorithm | undefined) ?? "CRC64NVME");
  const conditions = { ...(input.IfMatch !== undefined ? { IfMatch: input.IfMatch } : {}), ...(input.IfNoneMatch !== undefined ? { IfNoneMatch: input.IfNoneMatch } : {}) };
  if (input.IfMatch !== undefined || input.IfNoneMatch !== undefined) checkWriteConditions(conditions, getObject(ctx.db, dest.name, key), key);
  // 5.
  const row = await writeObject(ctx, {
    bucket: dest,
    key,
    source: ctx.blobs.read(source.blobId),
    algorithm,
    headers,
    metadata,
    tags,
    storageClass,
    conditions,
  });
  return {
    CopyObjectResult: { ETag: row.etag, LastModified: new Date(row.lastModified), ...checksumMembers(row.checksums) },
  } as CopyObjectOutput;
};
