// Multipart upload: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads. Upload and part rows live in
// s3_uploads / s3_parts (store.ts, migration 3); each part's bytes are one blob.
//
// UploadPart: stream the body into a blob (MD5 = the part's ETag), then one transaction (the
// upload still exists, upsert the part row), then delete a replaced part's blob.
// CompleteMultipartUpload: validate the list (order, then parts, ETags and part checksums, then
// sizes) and the write conditions, stream the parts' blobs in order into one new blob (hashing
// the whole object when its checksum is FULL_OBJECT), then one transaction (bucket, upload and
// the same part blobs still there, conditions still hold; commit the object version; drop the
// upload rows), then delete the part blobs and a replaced object's blob. Checksum rules are in
// multipart-checksums.ts.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type {
  AbortMultipartUploadOutput,
  AbortMultipartUploadRequest,
  CompleteMultipartUploadOutput,
  CompleteMultipartUploadRequest,
  CreateMultipartUploadOutput,
  CreateMultipartUploadRequest,
  ListMultipartUploadsOutput,
  ListMultipartUploadsRequest,
  ListPartsOutput,
  ListPartsRequest,
  PutObjectRequest,
  UploadPartOutput,
  UploadPartRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { ChecksumAlgorithm } from "../../../core/http/checksums.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { inTransaction } from "../../../core/state/database.js";
import {
  allParts,
  deleteUpload,
  getObject,
  getPart,
  getUpload,
  insertUpload,
  listParts,
  listUploads,
  nextPrefix,
  putPart,
  type StoredObject,
  type StoredPart,
  type StoredUpload,
} from "../store.js";
import { bucketStore, canonicalUserId, noSuchBucket, ownBucket, type StoredBucket } from "./buckets.js";
import { checkWriteConditions } from "./conditions.js";
import { checkEncodingType, s3UrlEncode } from "./list-objects.js";
import { checkPartAlgorithm, ChecksumHasher, compositeChecksum, uploadChecksum } from "./multipart-checksums.js";
import {
  checkKey,
  checkMetadata,
  checkStorageClass,
  checksumMembers,
  commitObject,
  contentHeadersOf,
  ObjectHasher,
  openBlob,
  requestedAlgorithm,
  versionIdMember,
} from "./objects.js";
import { parseTaggingHeader } from "./tagging.js";
import { emitS3Event, requestInfo } from "../notifications/emit.js";
import { CtrTransform, type ObjectCipher } from "../encryption/cipher.js";
import { lockOnWrite } from "../object-lock/lock.js";
import { partCipher, partEncryptor, sseMembers, storedSse, uploadCipher, writeEncryption } from "../encryption/sse.js";

const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

function noSuchUpload(uploadId: string): AwsError {
  return new AwsError(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    404,
    { fields: { UploadId: uploadId } },
  );
}

function invalidPart(uploadId: string, partNumber: number, etag: string): AwsError {
  return new AwsError(
    "InvalidPart",
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    400,
    { fields: { UploadId: uploadId, PartNumber: String(partNumber), ETag: etag } },
  );
}

/** The upload `uploadId` of this bucket and key, or NoSuchUpload. */
function ownUpload(ctx: RequestContext, bucket: string, key: string, uploadId: string | undefined): StoredUpload {
  const u = uploadId ? getUpload(ctx.db, uploadId) : undefined;
  if (!u || u.bucket !== bucket || u.key !== key) throw noSuchUpload(uploadId ?? "");
  return u;
}

function checkPartNumber(n: number | undefined): number {
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
    throw new AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400, {
      fields: { ArgumentName: "partNumber", ArgumentValue: String(n) },
    });
  }
  return n;
}

const unquote = (etag: string): string => etag.trim().replace(/^"(.*)"$/, "$1").toLowerCase();

function owner(ctx: RequestContext): { ID: string; DisplayName: string } {
  return { ID: canonicalUserId(ctx.accountId), DisplayName: "nimbus" };
}

export const CreateMultipartUpload: Handler<CreateMultipartUploadRequest, CreateMultipartUploadOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const key = input.Key!;
  checkKey(key);
  const metadata = input.Metadata ?? {};
  checkMetadata(metadata);
  const upload: StoredUpload = {
    bucket: bucket.name,
    key,
    // No `-`: an upload id starting with one breaks `aws s3api ... --upload-id` (read as an option).
    uploadId: randomBytes(24).toString("base64url").replaceAll("-", "."),
    initiated: Math.floor(ctx.clock.now() / 1000) * 1000,
    storageClass: checkStorageClass(input.StorageClass),
    // The encryption the completed object will have (encryption/sse.ts).
    headers: { ...contentHeadersOf(input), sse: (await writeEncryption(ctx, bucket, key, input)).stored, lock: lockOnWrite(ctx, bucket, input) } as StoredUpload["headers"],
    metadata,
    tags: parseTaggingHeader(input.Tagging),
    checksum: uploadChecksum(input.ChecksumAlgorithm, (input as { ChecksumType?: string }).ChecksumType),
  };
  inTransaction(ctx.db, () => {
    if (!bucketStore(ctx).get<StoredBucket>("bucket", bucket.name)) throw noSuchBucket(bucket.name);
    insertUpload(ctx.db, upload);
  });
  return {
    Bucket: bucket.name,
    Key: key,
    UploadId: upload.uploadId,
    ...(upload.checksum.algorithm ? { ChecksumAlgorithm: upload.checksum.algorithm, ChecksumType: upload.checksum.type } : {}),
    ...sseMembers(storedSse(upload), true),
  } as CreateMultipartUploadOutput;
};

export const UploadPart: Handler<UploadPartRequest, UploadPartOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const partNumber = checkPartNumber(input.PartNumber);
  const upload = ownUpload(ctx, bucket.name, input.Key!, input.UploadId);
  const explicit = input.ChecksumAlgorithm !== undefined || ctx.headers["x-amz-trailer"] !== undefined || Object.keys(input).some((k) => k.startsWith("Checksum") && k !== "ChecksumAlgorithm");
  const claimed = requestedAlgorithm(input as unknown as PutObjectRequest, ctx);
  if (explicit) checkPartAlgorithm(upload, claimed);
  const algorithm = (upload.checksum.algorithm as ChecksumAlgorithm | undefined) ?? claimed;
  const hasher = new ObjectHasher(algorithm);
  const cipher = await uploadCipher(ctx, upload, input);
  const blob = await ctx.blobs.write((input.Body as Readable | undefined) ?? Buffer.alloc(0), [hasher, ...partEncryptor(cipher, partNumber)]);
  const { etag, checksum } = hasher.result();
  await commitPart(ctx, upload, { partNumber, blobId: blob.id, size: blob.size, etag, lastModified: Math.floor(ctx.clock.now() / 1000) * 1000, checksums: { [algorithm]: checksum } });
  return { ETag: etag, ...(explicit || upload.checksum.algorithm ? { [`Checksum${algorithm}`]: checksum } : {}), ...sseMembers(storedSse(upload)) } as UploadPartOutput;
};

/** Commits a part's row (the upload must still exist), then deletes a replaced part's blob. */
export async function commitPart(ctx: RequestContext, upload: StoredUpload, part: StoredPart): Promise<void> {
  let replaced: StoredPart | undefined;
  try {
    inTransaction(ctx.db, () => {
      if (!getUpload(ctx.db, upload.uploadId)) throw noSuchUpload(upload.uploadId);
      replaced = getPart(ctx.db, upload.uploadId, part.partNumber);
      putPart(ctx.db, upload.uploadId, part);
    });
  } catch (e) {
    await ctx.blobs.delete(part.blobId);
    throw e;
  }
  if (replaced) await ctx.blobs.delete(replaced.blobId);
}

/** The parts' blobs in order, as one stream. */
function concatenate(ctx: RequestContext, parts: StoredPart[], cipher?: ObjectCipher): Readable {
  return Readable.from(
    (async function* () {
      for (const p of parts) {
        const stream = await openBlob(ctx, p.blobId, undefined, cipher && partCipher(cipher, p.partNumber));
        if (!stream) throw new AwsError("InternalError", "We encountered an internal error. Please try again.", 500);
        for await (const chunk of stream) yield chunk as Buffer;
      }
    })(),
  );
}

export const CompleteMultipartUpload: Handler<CompleteMultipartUploadRequest, CompleteMultipartUploadOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const key = input.Key!;
  const upload = ownUpload(ctx, bucket.name, key, input.UploadId);
  const requested = input.MultipartUpload?.Parts ?? [];
  if (requested.length === 0) {
    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
  }
  // Order first, then existence and ETags, then sizes (S3's order of checks).
  for (let i = 1; i < requested.length; i++) {
    if ((requested[i].PartNumber ?? 0) <= (requested[i - 1].PartNumber ?? 0)) {
      throw new AwsError("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", 400, {
        fields: { UploadId: upload.uploadId },
      });
    }
  }
  const stored = new Map(allParts(ctx.db, upload.uploadId).map((p) => [p.partNumber, p]));
  const alg = upload.checksum.algorithm as ChecksumAlgorithm | undefined;
  const chosen: StoredPart[] = [];
  for (const r of requested) {
    const p = r.PartNumber !== undefined ? stored.get(r.PartNumber) : undefined;
    if (!p || r.ETag === undefined || unquote(r.ETag) !== unquote(p.etag)) throw invalidPart(upload.uploadId, r.PartNumber ?? 0, r.ETag ?? "");
    // A part checksum named in the list must be the one the part was stored with.
    for (const [member, value] of Object.entries(r)) {
      if (!member.startsWith("Checksum") || member === "ChecksumType" || value === undefined) continue;
      if (p.checksums[member.slice("Checksum".length)] !== value) throw invalidPart(upload.uploadId, p.partNumber, r.ETag);
    }
    chosen.push(p);
  }
  for (let i = 0; i < chosen.length - 1; i++) {
    if (chosen[i].size < MIN_PART_SIZE) {
      throw new AwsError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400, {
        fields: { ProposedSize: String(chosen[i].size), MinSizeAllowed: String(MIN_PART_SIZE), PartNumber: String(chosen[i].partNumber), ETag: chosen[i].etag },
      });
    }
  }
  const md5s = createHash("md5");
  for (const p of chosen) md5s.update(Buffer.from(unquote(p.etag), "hex"));
  const etag = `"${md5s.digest("hex")}-${chosen.length}"`;
  const conditions = { ...(input.IfMatch !== undefined ? { IfMatch: input.IfMatch } : {}), ...(input.IfNoneMatch !== undefined ? { IfNoneMatch: input.IfNoneMatch } : {}) };
  const conditional = input.IfMatch !== undefined || input.IfNoneMatch !== undefined;
  // Fail fast before joining the bytes; checked again at the commit.
  if (conditional) checkWriteConditions(conditions, getObject(ctx.db, bucket.name, key), key);

  const composite = alg !== undefined && upload.checksum.type === "COMPOSITE";
  const wholeAlg: ChecksumAlgorithm = composite ? "CRC64NVME" : (alg ?? "CRC64NVME");
  // The whole object's checksum only (its ETag comes from the part MD5s, no MD5 pass needed).
  const hasher = new ChecksumHasher(wholeAlg);
  // Parts decrypted on the way in, the whole object encrypted under the upload's own IV.
  const cipher = await uploadCipher(ctx, upload, input);
  const encrypt = cipher ? [new CtrTransform(cipher)] : [];
  const blob = await ctx.blobs.write(concatenate(ctx, chosen, cipher), composite ? encrypt : [hasher, ...encrypt]);
  const checksums = composite ? { [alg]: compositeChecksum(alg, chosen) } : { [wholeAlg]: hasher.digest() };
  const row: StoredObject = {
    bucket: bucket.name,
    key,
    versionId: "null",
    seq: 0,
    blobId: blob.id,
    size: blob.size,
    etag,
    lastModified: Math.floor(ctx.clock.now() / 1000) * 1000,
    storageClass: upload.storageClass,
    headers: upload.headers,
    metadata: upload.metadata,
    checksums,
    ...(composite ? { checksumType: "COMPOSITE" as const } : {}),
    parts: chosen.map((p) => ({ size: p.size, ...(alg ? { checksums: { [alg]: p.checksums[alg] } } : {}) })),
    tags: upload.tags,
  };
  let partBlobs: string[] = [];
  const { bucket: committedTo } = await commitObject(ctx, row, conditional ? conditions : undefined, () => {
    if (!getUpload(ctx.db, upload.uploadId)) throw noSuchUpload(upload.uploadId);
    for (const p of chosen) {
      // A part re-uploaded while the bytes were being joined: the joined bytes are stale.
      if (getPart(ctx.db, upload.uploadId, p.partNumber)?.blobId !== p.blobId) throw invalidPart(upload.uploadId, p.partNumber, p.etag);
    }
    partBlobs = deleteUpload(ctx.db, upload.uploadId);
  });
  for (const id of partBlobs) await ctx.blobs.delete(id);
  emitS3Event(ctx, committedTo, { eventName: "ObjectCreated:CompleteMultipartUpload", key, size: row.size, eTag: row.etag, versionId: row.versionId, sequencer: row.seq, ...requestInfo(ctx) });
  return {
    Bucket: bucket.name,
    Key: key,
    ETag: etag,
    Location: `/${bucket.name}/${key}`,
    ...checksumMembers(row.checksums, row.checksumType),
    ...versionIdMember(committedTo, row.versionId),
    ...sseMembers(storedSse(row)),
  } as CompleteMultipartUploadOutput;
};

export const AbortMultipartUpload: Handler<AbortMultipartUploadRequest, AbortMultipartUploadOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const ids = inTransaction(ctx.db, () => {
    const u = ownUpload(ctx, bucket.name, input.Key!, input.UploadId);
    return deleteUpload(ctx.db, u.uploadId);
  });
  for (const id of ids) await ctx.blobs.delete(id);
  return {};
};

export const ListParts: Handler<ListPartsRequest, ListPartsOutput> = (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const upload = ownUpload(ctx, bucket.name, input.Key!, input.UploadId);
  const max = Math.min(input.MaxParts ?? 1000, 1000);
  const marker = Number(input.PartNumberMarker ?? 0) || 0;
  const rows = listParts(ctx.db, upload.uploadId, marker, max + 1);
  const page = rows.slice(0, max);
  const truncated = rows.length > max;
  return {
    Bucket: bucket.name,
    Key: upload.key,
    UploadId: upload.uploadId,
    PartNumberMarker: String(marker),
    ...(page.length ? { NextPartNumberMarker: String(page[page.length - 1].partNumber) } : {}),
    MaxParts: max,
    IsTruncated: truncated,
    Parts: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: new Date(p.lastModified),
      ETag: p.etag,
      Size: p.size,
      ...(upload.checksum.algorithm ? { [`Checksum${upload.checksum.algorithm}`]: p.checksums[upload.checksum.algorithm] } : {}),
    })),
    Initiator: owner(ctx),
    Owner: owner(ctx),
    StorageClass: upload.storageClass,
    ...(upload.checksum.algorithm ? { ChecksumAlgorithm: upload.checksum.algorithm, ChecksumType: upload.checksum.type } : {}),
  } as ListPartsOutput;
};

/**
 * ListMultipartUploads in (key, upload id) order, keys as UTF-8 bytes:
 *   1. start after (key-marker, upload-id-marker) (a key-marker alone skips that key's
 *      uploads), or at the prefix when it sorts later;
 *   2. with a delimiter, a key that rolls up into a common prefix emits the prefix once (unless
 *      the key-marker is at or past it) and the scan resumes past everything under it;
 *   3. the entry after max-uploads marks the page truncated; the last upload (or common
 *      prefix) returned is the next marker.
 */
export const ListMultipartUploads: Handler<ListMultipartUploadsRequest, ListMultipartUploadsOutput> = (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const max = checkMaxUploads(input.MaxUploads);
  const url = checkEncodingType(input.EncodingType);
  const enc = url ? s3UrlEncode : (s: string) => s;
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter || undefined;
  const markerKey = input.KeyMarker || undefined;
  // 1.
  let keyMarker: string | Buffer = markerKey ?? "";
  let idMarker = markerKey !== undefined ? (input.UploadIdMarker || "\uffff") : "";
  if (Buffer.compare(Buffer.from(prefix, "utf8"), Buffer.from(keyMarker as string, "utf8")) > 0) {
    keyMarker = prefix;
    idMarker = "";
  }
  const uploads: StoredUpload[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { key: string; uploadId?: string } | undefined;
  scan: while (max > 0) {
    const rows = listUploads(ctx.db, bucket.name, keyMarker, idMarker, max - uploads.length - prefixes.length + 1);
    if (rows.length === 0) break;
    for (const u of rows) {
      if (!u.key.startsWith(prefix)) break scan; // past the prefix's range
      // 2.
      if (delimiter) {
        const at = u.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const cp = u.key.slice(0, at + delimiter.length);
          if (markerKey === undefined || Buffer.compare(Buffer.from(cp, "utf8"), Buffer.from(markerKey, "utf8")) > 0) {
            if (uploads.length + prefixes.length === max) {
              truncated = true;
              break scan;
            }
            prefixes.push(cp);
            last = { key: cp };
          }
          const next = nextPrefix(Buffer.from(cp, "utf8"));
          if (!next) break scan;
          keyMarker = next; // bytes: an incremented byte need not be valid UTF-8
          idMarker = "";
          continue scan;
        }
      }
      // 3.
      if (uploads.length + prefixes.length === max) {
        truncated = true;
        break scan;
      }
      uploads.push(u);
      last = { key: u.key, uploadId: u.uploadId };
      keyMarker = u.key;
      idMarker = u.uploadId;
    }
  }
  return {
    Bucket: bucket.name,
    KeyMarker: enc(markerKey ?? ""),
    UploadIdMarker: input.UploadIdMarker ?? "",
    ...(truncated && last ? { NextKeyMarker: enc(last.key), ...(last.uploadId ? { NextUploadIdMarker: last.uploadId } : {}) } : {}),
    ...(input.Prefix !== undefined ? { Prefix: enc(input.Prefix) } : {}),
    ...(delimiter !== undefined ? { Delimiter: enc(delimiter) } : {}),
    MaxUploads: max,
    IsTruncated: truncated,
    Uploads: uploads.map((u) => ({
      Key: enc(u.key),
      UploadId: u.uploadId,
      Initiated: new Date(u.initiated),
      StorageClass: u.storageClass,
      Owner: owner(ctx),
      Initiator: owner(ctx),
      ...(u.checksum.algorithm ? { ChecksumAlgorithm: u.checksum.algorithm, ChecksumType: u.checksum.type } : {}),
    })),
    ...(prefixes.length ? { CommonPrefixes: prefixes.map((p) => ({ Prefix: enc(p) })) } : {}),
    ...(url ? { EncodingType: "url" } : {}),
  } as ListMultipartUploadsOutput;
};

function checkMaxUploads(v: number | undefined): number {
  if (v === undefined) return 1000;
  if (!Number.isInteger(v) || v < 0 || v > 2147483647) {
    throw new AwsError("InvalidArgument", "Argument max-uploads must be an integer between 0 and 2147483647", 400, { fields: { ArgumentName: "max-uploads", ArgumentValue: String(v) } });
  }
  return Math.min(v, 1000);
}
