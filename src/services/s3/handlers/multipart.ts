// Multipart upload: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads. Upload and part rows live in
// s3_uploads / s3_parts (store.ts, migration 3); each part's bytes are one blob.
//
// UploadPart: stream the body into a blob (MD5 = the part's ETag), then one transaction (the
// upload still exists, upsert the part row), then delete a replaced part's blob.
// CompleteMultipartUpload: validate the list (order, then parts and ETags, then sizes), stream
// the parts' blobs in order into one new blob, then one transaction (bucket, upload and the
// same part blobs still there; upsert the object row; drop the upload rows), then delete the
// part blobs and a replaced object's blob.
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
  putObject,
  putPart,
  type StoredObject,
  type StoredPart,
  type StoredUpload,
} from "../store.js";
import { bucketStore, canonicalUserId, noSuchBucket, ownBucket, type StoredBucket } from "./buckets.js";
import { checkKey, checkMetadata, checkStorageClass, commitObject, contentHeadersOf, ObjectHasher, openBlob, requestedAlgorithm, versionIdMember } from "./objects.js";
import { parseTaggingHeader } from "./tagging.js";

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

export const CreateMultipartUpload: Handler<CreateMultipartUploadRequest, CreateMultipartUploadOutput> = (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const key = input.Key!;
  checkKey(key);
  const metadata = input.Metadata ?? {};
  checkMetadata(metadata);
  const upload: StoredUpload = {
    bucket: bucket.name,
    key,
    uploadId: randomBytes(24).toString("base64url"),
    initiated: Math.floor(ctx.clock.now() / 1000) * 1000,
    storageClass: checkStorageClass(input.StorageClass),
    headers: contentHeadersOf(input),
    metadata,
    tags: parseTaggingHeader(input.Tagging),
  };
  inTransaction(ctx.db, () => {
    if (!bucketStore(ctx).get<StoredBucket>("bucket", bucket.name)) throw noSuchBucket(bucket.name);
    insertUpload(ctx.db, upload);
  });
  return { Bucket: bucket.name, Key: key, UploadId: upload.uploadId };
};

export const UploadPart: Handler<UploadPartRequest, UploadPartOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const partNumber = checkPartNumber(input.PartNumber);
  const upload = ownUpload(ctx, bucket.name, input.Key!, input.UploadId);
  const algorithm = requestedAlgorithm(input as unknown as PutObjectRequest, ctx);
  const explicit = input.ChecksumAlgorithm !== undefined || ctx.headers["x-amz-trailer"] !== undefined || Object.keys(input).some((k) => k.startsWith("Checksum") && k !== "ChecksumAlgorithm");
  const hasher = new ObjectHasher(algorithm);
  const blob = await ctx.blobs.write((input.Body as Readable | undefined) ?? Buffer.alloc(0), [hasher]);
  const { etag, checksum } = hasher.result();
  let replaced: StoredPart | undefined;
  try {
    inTransaction(ctx.db, () => {
      if (!getUpload(ctx.db, upload.uploadId)) throw noSuchUpload(upload.uploadId);
      replaced = getPart(ctx.db, upload.uploadId, partNumber);
      putPart(ctx.db, upload.uploadId, { partNumber, blobId: blob.id, size: blob.size, etag, lastModified: Math.floor(ctx.clock.now() / 1000) * 1000 });
    });
  } catch (e) {
    await ctx.blobs.delete(blob.id);
    throw e;
  }
  if (replaced) await ctx.blobs.delete(replaced.blobId);
  return { ETag: etag, ...(explicit ? { [`Checksum${algorithm}`]: checksum } : {}) } as UploadPartOutput;
};

/** The parts' blobs in order, as one stream. */
function concatenate(ctx: RequestContext, parts: StoredPart[]): Readable {
  return Readable.from(
    (async function* () {
      for (const p of parts) {
        const stream = await openBlob(ctx, p.blobId);
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
  const chosen: StoredPart[] = [];
  for (const r of requested) {
    const p = r.PartNumber !== undefined ? stored.get(r.PartNumber) : undefined;
    if (!p || r.ETag === undefined || unquote(r.ETag) !== unquote(p.etag)) throw invalidPart(upload.uploadId, r.PartNumber ?? 0, r.ETag ?? "");
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

  const blob = await ctx.blobs.write(concatenate(ctx, chosen));
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
    // Composite checksums of multipart objects are not computed yet (GAPS.md).
    checksums: {},
    tags: upload.tags,
  };
  let partBlobs: string[] = [];
  const { bucket: committedTo } = await commitObject(ctx, row, undefined, () => {
    if (!getUpload(ctx.db, upload.uploadId)) throw noSuchUpload(upload.uploadId);
    for (const p of chosen) {
      // A part re-uploaded while the bytes were being joined: the joined bytes are stale.
      if (getPart(ctx.db, upload.uploadId, p.partNumber)?.blobId !== p.blobId) throw invalidPart(upload.uploadId, p.partNumber, p.etag);
    }
    partBlobs = deleteUpload(ctx.db, upload.uploadId);
  });
  for (const id of partBlobs) await ctx.blobs.delete(id);
  return { Bucket: bucket.name, Key: key, ETag: etag, Location: `/${bucket.name}/${key}`, ...versionIdMember(committedTo, row.versionId) } as CompleteMultipartUploadOutput;
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
    Parts: page.map((p) => ({ PartNumber: p.partNumber, LastModified: new Date(p.lastModified), ETag: p.etag, Size: p.size })),
    Initiator: owner(ctx),
    Owner: owner(ctx),
    StorageClass: upload.storageClass,
  } as ListPartsOutput;
};

export const ListMultipartUploads: Handler<ListMultipartUploadsRequest, ListMultipartUploadsOutput> = (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const max = Math.min(input.MaxUploads ?? 1000, 1000);
  const prefix = input.Prefix ?? "";
  let keyMarker = input.KeyMarker ?? "";
  let idMarker = input.KeyMarker ? (input.UploadIdMarker ?? "\uffff") : "";
  // Start at the prefix when it sorts after the marker.
  if (Buffer.compare(Buffer.from(prefix, "utf8"), Buffer.from(keyMarker, "utf8")) > 0) {
    keyMarker = prefix;
    idMarker = "";
  }
  const rows = listUploads(ctx.db, bucket.name, keyMarker, idMarker, max + 1).filter((u) => u.key.startsWith(prefix));
  const page = rows.slice(0, max);
  const truncated = rows.length > max;
  const last = page[page.length - 1];
  return {
    Bucket: bucket.name,
    KeyMarker: input.KeyMarker ?? "",
    UploadIdMarker: input.UploadIdMarker ?? "",
    ...(truncated && last ? { NextKeyMarker: last.key, NextUploadIdMarker: last.uploadId } : {}),
    ...(input.Prefix !== undefined ? { Prefix: input.Prefix } : {}),
    MaxUploads: max,
    IsTruncated: truncated,
    Uploads: page.map((u) => ({ Key: u.key, UploadId: u.uploadId, Initiated: new Date(u.initiated), StorageClass: u.storageClass, Owner: owner(ctx), Initiator: owner(ctx) })),
  } as ListMultipartUploadsOutput;
};
