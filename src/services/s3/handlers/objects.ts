// Objects: PutObject, GetObject, HeadObject, DeleteObject, and the write path CopyObject shares
// (writeObject). Bytes stream from the request into the blob store and from the blob store into
// the response; nothing is buffered.
//
// Write path (DESIGN.md principle 5):
//   1. cheap checks (bucket, key length, metadata size, tags, storage class, conditions);
//   2. stream the body into a blob (fsynced) through a hasher computing MD5 (the ETag) and the
//      object's checksum algorithm (the client's, else CRC64NVME as S3 does by default);
//   3. one transaction: the bucket still exists, write conditions hold, upsert the row;
//   4. a replaced small blob (a row of nimbus_blobs) goes in that transaction; a replaced blob
//      file is deleted after the commit (on failure, the new blob).
import { createHash, hash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import type {
  DeleteObjectOutput,
  DeleteObjectRequest,
  GetObjectOutput,
  GetObjectRequest,
  HeadObjectOutput,
  HeadObjectRequest,
  PutObjectOutput,
  PutObjectRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import { createHasher, parseChecksumAlgorithm, type ChecksumAlgorithm, type Hasher } from "../../../core/http/checksums.js";
import { IntegrityStream } from "../../../core/http/integrity.js";
import { inTransaction } from "../../../core/state/database.js";
import { RESPONSE_STATUS, type Handler, type RequestContext } from "../../../core/service.js";
import { getObject, rememberWritten, type ContentHeaders, type StoredObject } from "../store.js";
import { commitCurrent, currentDeleteMarker, deleteCurrent, deleteVersion, getVersion, isWellFormedVersionId, newVersionId, nextSeq } from "../version-store.js";
import { bucketStore, noSuchBucket, ownBucket, type StoredBucket } from "./buckets.js";
import { checkReadConditions, checkWriteConditions } from "./conditions.js";
import { parseTaggingHeader } from "./tagging.js";
import { emitS3Event, putEventName, requestInfo, type NotifyingBucket } from "../notifications/emit.js";
import { archiveMembers, checkReadable, checkStorageClass, noteAccess, restoreHeader } from "../storage-class.js";
import { expirationHeader } from "../lifecycle/expiration-header.js";
import { alignedRange, decryptBytes, decrypting, type ObjectCipher } from "../encryption/cipher.js";
import { loadedBlob, type ChunkObserver, type WrittenBlob } from "../../../core/blobs/blob-store.js";
import { cipherIsReady, readCipher, readyCipher, sseMembers, storedSse, writeEncryption, type SseRequest } from "../encryption/sse.js";
import { deleteBlocked, lockedError, lockMembers, lockOnWrite, type LockRequest } from "../object-lock/lock.js";
import { markDeleteMarker, markForReplication, replicationMembers } from "../replication/engine.js";

export { checkReadable, checkStorageClass };

/** Algorithms S3 stores whole-object checksums for (MD5 and SHA512 are not among its object checksums). */
const OBJECT_CHECKSUMS: readonly ChecksumAlgorithm[] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];
const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;

/**
 * Hashes bytes as they pass (a BlobStore.write observer): MD5 for the ETag plus one checksum
 * algorithm. With `verified`, the body is the gateway's IntegrityStream checking the client's
 * claim of that algorithm (an x-amz-checksum-* header or trailer): it computes the digest
 * already, so it is taken from there rather than computed twice. A body that arrives in one
 * chunk (most small objects) gets its MD5 in one call, without an incremental Hash object.
 */
export class ObjectHasher implements ChunkObserver {
  private md5: Hash | undefined;
  private first: Buffer | undefined;
  private readonly hasher: Hasher | undefined;
  constructor(
    readonly algorithm: ChecksumAlgorithm,
    private readonly verified?: IntegrityStream,
  ) {
    if (!verified) this.hasher = createHasher(algorithm);
  }
  process(chunk: Buffer): Buffer {
    if (this.md5) this.md5.update(chunk);
    else if (this.first === undefined) this.first = chunk;
    else {
      this.md5 = createHash("md5").update(this.first).update(chunk);
      this.first = undefined;
    }
    this.hasher?.update(chunk);
    return chunk;
  }
  /** Valid once the stream has ended (and the IntegrityStream with it). */
  result(): { etag: string; checksum: string } {
    const checksum = this.hasher ? this.hasher.digest().toString("base64") : this.verified!.result().checksums[this.algorithm];
    if (checksum === undefined) throw new Error(`ObjectHasher: the body's integrity check computed no ${this.algorithm}`);
    const md5 = this.md5 ? this.md5.digest("hex") : hash("md5", this.first ?? EMPTY, "hex");
    return { etag: `"${md5}"`, checksum };
  }
}

const EMPTY = Buffer.alloc(0);

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    throw new AwsError("KeyTooLongError", "Your key is too long", 400, { fields: { MaxSizeAllowed: String(MAX_KEY_BYTES), Size: String(Buffer.byteLength(key, "utf8")) } });
  }
}

export function checkMetadata(meta: Record<string, string>): void {
  let size = 0;
  for (const [k, v] of Object.entries(meta)) size += Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8");
  if (size > MAX_METADATA_BYTES) {
    throw new AwsError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size", 400, { fields: { MaxSizeAllowed: String(MAX_METADATA_BYTES), Size: String(size) } });
  }
}

/** Content-Encoding as stored: aws-chunked is framing, not an encoding of the object. */
function storedEncoding(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const rest = v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s.toLowerCase() !== "aws-chunked");
  return rest.length ? rest.join(",") : undefined;
}

export function contentHeadersOf(input: {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  Expires?: Date;
  WebsiteRedirectLocation?: string;
}): ContentHeaders {
  const h: ContentHeaders = { ContentType: input.ContentType ?? "binary/octet-stream" };
  const enc = storedEncoding(input.ContentEncoding);
  if (enc !== undefined) h.ContentEncoding = enc;
  if (input.ContentDisposition !== undefined) h.ContentDisposition = input.ContentDisposition;
  if (input.ContentLanguage !== undefined) h.ContentLanguage = input.ContentLanguage;
  if (input.CacheControl !== undefined) h.CacheControl = input.CacheControl;
  if (input.Expires instanceof Date && !Number.isNaN(input.Expires.getTime())) h.Expires = input.Expires.getTime();
  if (input.WebsiteRedirectLocation !== undefined) h.WebsiteRedirectLocation = input.WebsiteRedirectLocation;
  return h;
}

/** The checksum algorithm a PutObject asks for: its header, its trailer, the SDK's hint, else CRC64NVME. */
export function requestedAlgorithm(input: PutObjectRequest, ctx: RequestContext): ChecksumAlgorithm {
  return requestedChecksum(input, ctx).algorithm;
}

/** requestedAlgorithm, and whether the client claimed a value of it (header or trailer), which the gateway verifies. */
function requestedChecksum(input: PutObjectRequest, ctx: RequestContext): { algorithm: ChecksumAlgorithm; claimed: boolean } {
  for (const alg of OBJECT_CHECKSUMS) {
    if ((input as unknown as Record<string, unknown>)[`Checksum${alg}`] !== undefined) return { algorithm: alg, claimed: true };
  }
  const trailer = ctx.headers["x-amz-trailer"];
  if (trailer) {
    const alg = parseChecksumAlgorithm(trailer.trim().toLowerCase().replace(/^x-amz-checksum-/, ""));
    if (alg && OBJECT_CHECKSUMS.includes(alg)) return { algorithm: alg, claimed: true };
  }
  const hint = input.ChecksumAlgorithm ? parseChecksumAlgorithm(input.ChecksumAlgorithm) : undefined;
  return { algorithm: hint && OBJECT_CHECKSUMS.includes(hint) ? hint : "CRC64NVME", claimed: false };
}

export function checksumMembers(checksums: Record<string, string>, type: "FULL_OBJECT" | "COMPOSITE" = "FULL_OBJECT"): Record<string, string> {
  const out: Record<string, string> = {};
  let any = false;
  for (const alg in checksums) {
    out[`Checksum${alg}`] = checksums[alg];
    any = true;
  }
  if (any) out.ChecksumType = type;
  return out;
}

/** S3's answer to a version id it could never have issued. */
export function invalidVersionId(v: string): AwsError {
  return new AwsError("InvalidArgument", "Invalid version id specified", 400, { fields: { ArgumentName: "versionId", ArgumentValue: v } });
}

export function checkVersionId(v: string | undefined): string | undefined {
  if (v !== undefined && !isWellFormedVersionId(v)) throw invalidVersionId(v);
  return v;
}

export function noSuchVersion(key: string, versionId: string): AwsError {
  return new AwsError("NoSuchVersion", "The specified version does not exist.", 404, { fields: { Key: key, VersionId: versionId } });
}

/** The x-amz-version-id a response carries: only for buckets that have a versioning status, as on S3. */
export function versionIdMember(bucket: StoredBucket, versionId: string): { VersionId?: string } {
  return bucket.versioning !== undefined ? { VersionId: versionId } : {};
}

export interface NewObject {
  bucket: StoredBucket;
  key: string;
  source: Readable | Buffer;
  algorithm: ChecksumAlgorithm;
  headers: ContentHeaders;
  metadata: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  storageClass: string;
  conditions?: { IfMatch?: string; IfNoneMatch?: string };
  /** The request's encryption members (absent: the bucket's default, encryption/sse.ts). */
  sse?: SseRequest;
  /** The request's Object Lock members (object-lock/lock.ts). */
  lock?: LockRequest;
  /** The body is the gateway's IntegrityStream verifying a claimed digest of `algorithm` (see ObjectHasher). */
  verified?: IntegrityStream;
}

/**
 * Commits `row` as the key's new current version in one transaction with the bucket re-read
 * (its versioning status decides the version id and what happens to the previous version) and
 * the write conditions checked; deletes the blobs this made unreferenced after the commit, or
 * the new blob when the commit failed. Returns the row as committed and the bucket as read.
 */
export async function commitObject(
  ctx: RequestContext,
  row: StoredObject,
  conditions?: { IfMatch?: string; IfNoneMatch?: string },
  check?: () => void,
  blob?: WrittenBlob,
): Promise<{ row: StoredObject; bucket: StoredBucket }> {
  let freed: string[] = [];
  let bucket: StoredBucket | undefined;
  try {
    inTransaction(ctx.db, () => {
      bucket = bucketStore(ctx).peek<StoredBucket>("bucket", row.bucket) as StoredBucket | undefined;
      if (!bucket) throw noSuchBucket(row.bucket);
      if (conditions && (conditions.IfMatch !== undefined || conditions.IfNoneMatch !== undefined)) {
        checkWriteConditions(conditions, getObject(ctx.db, row.bucket, row.key), row.key);
      }
      // A small blob's bytes commit with its row (BlobStore.write's deferInline).
      if (blob) ctx.blobs.insertInline(ctx.db, blob);
      check?.();
      row.versionId = bucket.versioning === "Enabled" ? newVersionId() : "null";
      row.seq = nextSeq(ctx.clock.now());
      // Replication (replication/engine.ts): PENDING and a queued task, in this transaction.
      markForReplication(ctx.db, bucket, row);
      // Small replaced blobs go in this commit; files after it.
      freed = ctx.blobs.dropInline(ctx.db, commitCurrent(ctx.db, bucket.versioning, row));
    });
  } catch (e) {
    if (row.blobId) await ctx.blobs.delete(row.blobId);
    throw e;
  }
  // The committed row into the row cache (store.ts), before anything else can run.
  rememberWritten(ctx.db, row.bucket, row.key);
  for (const id of freed) await ctx.blobs.delete(id);
  return { row, bucket: bucket! };
}

/** Steps 2-4 of the write path; returns the committed row. */
export async function writeObject(ctx: RequestContext, o: NewObject): Promise<{ row: StoredObject; bucket: StoredBucket }> {
  // 2. Bytes first, fsynced, hashed on the way.
  const hasher = new ObjectHasher(o.algorithm, o.verified);
  // Encrypted at rest: the hasher sees the plaintext, the blob store the ciphertext.
  const lock = lockOnWrite(ctx, o.bucket, o.lock ?? {});
  const enc = await writeEncryption(ctx, o.bucket, o.key, o.sse ?? {});
  const blob = await ctx.blobs.write(o.source, [hasher, enc.transform()], { deferInline: true });
  const { etag, checksum } = hasher.result();
  const row: StoredObject = {
    bucket: o.bucket.name,
    key: o.key,
    versionId: "null",
    seq: 0,
    blobId: blob.id,
    size: blob.size,
    etag,
    // Second precision, as S3 keeps it: listings, headers and conditions then agree.
    lastModified: Math.floor(ctx.clock.now() / 1000) * 1000,
    storageClass: o.storageClass,
    headers: { ...o.headers, sse: enc.stored, lock, replication: undefined } as ContentHeaders,
    metadata: o.metadata,
    checksums: { [o.algorithm]: checksum },
    tags: o.tags,
  };
  // 3-4. Metadata in one transaction; only then are replaced blobs unreferenced.
  return commitObject(ctx, row, o.conditions, undefined, blob);
}

export const PutObject: Handler<PutObjectRequest, PutObjectOutput> = async (input, ctx) => {
  // 1. Cheap checks before reading a byte.
  const bucket = ownBucket(ctx, input.Bucket!, true);
  const key = input.Key!;
  checkKey(key);
  const metadata = input.Metadata ?? {};
  checkMetadata(metadata);
  const tags = parseTaggingHeader(input.Tagging);
  const storageClass = checkStorageClass(input.StorageClass);
  const conditions = { ...(input.IfMatch !== undefined ? { IfMatch: input.IfMatch } : {}), ...(input.IfNoneMatch !== undefined ? { IfNoneMatch: input.IfNoneMatch } : {}) };
  if (input.IfMatch !== undefined || input.IfNoneMatch !== undefined) checkWriteConditions(conditions, getObject(ctx.db, bucket.name, key), key);
  const source = (input.Body as Readable | undefined) ?? Buffer.alloc(0);
  const { algorithm, claimed } = requestedChecksum(input, ctx);
  const { row, bucket: committedTo } = await writeObject(ctx, {
    bucket,
    key,
    source,
    algorithm,
    ...(claimed && source instanceof IntegrityStream ? { verified: source } : {}),
    headers: contentHeadersOf(input),
    metadata,
    tags,
    storageClass,
    conditions,
    sse: input,
    lock: input,
  });
  // The event's members only when the bucket has somewhere to send it.
  if ((committedTo as NotifyingBucket).notification) {
    emitS3Event(ctx, committedTo, { eventName: putEventName(input), key, size: row.size, eTag: row.etag, versionId: row.versionId, sequencer: row.seq, ...requestInfo(ctx) });
  }
  const expiration = expirationHeader(ctx, committedTo, row);
  const out: PutObjectOutput = { ETag: row.etag };
  Object.assign(out, checksumMembers(row.checksums));
  if (committedTo.versioning !== undefined) out.VersionId = row.versionId;
  if (expiration) out.Expiration = expiration;
  return Object.assign(out, sseMembers(storedSse(row), true));
};

/** A parsed Range header: inclusive byte offsets, or undefined when the header is to be ignored. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Syntactically invalid and multi-range headers are ignored (RFC 7233 section 3.1), as S3 does.
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  const unsatisfiable = (): AwsError =>
    new AwsError("InvalidRange", "The requested range is not satisfiable", 416, {
      fields: { RangeRequested: header.trim(), ActualObjectSize: String(size) },
      headers: { "Content-Range": `bytes */${size}` },
    });
  if (m[1] === "") {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

type ReadInput = GetObjectRequest | HeadObjectRequest;

/**
 * A partNumber read: the byte range of that part (a single-part object has one part, the whole
 * object), 206 like a range; x-amz-mp-parts-count for multipart objects. A Range header with
 * it is 400; a part past the last is 416 InvalidPartNumber.
 */
function partRange(input: ReadInput, o: StoredObject): { range?: { start: number; end: number }; count?: number } {
  const n = input.PartNumber!;
  if (input.Range !== undefined) throw new AwsError("InvalidRequest", "Cannot specify both Range header and partNumber query parameter", 400);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400, { fields: { ArgumentName: "partNumber", ArgumentValue: String(n) } });
  }
  const parts = o.parts ?? [{ size: o.size }];
  if (n > parts.length) {
    throw new AwsError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416, { fields: { PartNumberRequested: String(n), ActualPartCount: String(parts.length) } });
  }
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += parts[i].size;
  const size = parts[n - 1].size;
  return { ...(size > 0 ? { range: { start, end: start + size - 1 } } : {}), ...(o.parts ? { count: parts.length } : {}) };
}

/**
 * Plaintexts of whole small blobs, keyed by the ciphertext Buffer the blob store's read cache
 * holds (readSmall hands out that same Buffer while the blob stays cached): an entry lives
 * exactly as long as the store keeps the ciphertext (evicted or deleted, the key becomes
 * unreachable and the entry goes with it), so memory stays within the store's cache size. A
 * hot object is then deciphered once, not per GetObject (a cipher set-up per read was ~5% of
 * a 4 KiB GetObject's CPU). The key and IV are compared, so a cipher that is not the one the
 * plaintext came from never gets it.
 */
const plaintexts = new WeakMap<Buffer, { key: Buffer; iv: Buffer; plain: Buffer }>();

function plaintextOf(bytes: Buffer, cipher: ObjectCipher, offset: number, skip: number, whole: boolean): Buffer {
  if (!whole) return decryptBytes(bytes, cipher, offset, skip);
  const hit = plaintexts.get(bytes);
  if (hit && (hit.key === cipher.key || hit.key.equals(cipher.key)) && (hit.iv === cipher.iv || hit.iv.equals(cipher.iv))) return hit.plain;
  const plain = decryptBytes(bytes, cipher, 0, 0);
  plaintexts.set(bytes, { key: cipher.key, iv: cipher.iv, plain });
  return plain;
}

/**
 * Opens a blob for reading and waits until its file is open: from then on a concurrent
 * overwrite may unlink the file without harming this read. undefined when the blob is already
 * gone (replaced between the metadata read and the open): the caller reads the row again.
 */
export function openBlob(ctx: RequestContext, id: string, range?: { start: number; end: number }, cipher?: ObjectCipher): Promise<Readable | undefined> {
  const small = openSmallBlob(ctx, id, range, cipher);
  if (small !== undefined) return Promise.resolve(small ?? undefined);
  return openBlobFile(ctx, id, range, cipher);
}

/**
 * openBlob's synchronous part: a small blob is read whole into memory (held: a concurrent
 * delete cannot harm it): deciphered in one call, it goes out in one write (the gateway's
 * send) instead of through two pipes. null: the blob is gone; undefined: not a small blob.
 */
function openSmallBlob(ctx: RequestContext, id: string, range: { start: number; end: number } | undefined, cipher: ObjectCipher | undefined): Readable | null | undefined {
  // An encrypted blob is read from the cipher block holding the range's first byte.
  const at = cipher ? alignedRange(range) : { range, offset: 0, skip: 0 };
  const bytes = ctx.blobs.readSmall(id, at.range);
  if (bytes === null || bytes === undefined) return bytes;
  return loadedBlob(cipher ? plaintextOf(bytes, cipher, at.offset, at.skip, !range) : bytes);
}

function openBlobFile(ctx: RequestContext, id: string, range: { start: number; end: number } | undefined, cipher: ObjectCipher | undefined): Promise<Readable | undefined> {
  const at = cipher ? alignedRange(range) : { range, offset: 0, skip: 0 };
  const stream = ctx.blobs.read(id, at.range);
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      stream.off("error", onError);
      resolve(cipher ? decrypting(stream, cipher, at.offset, at.skip) : stream);
    };
    const onError = (e: NodeJS.ErrnoException): void => {
      stream.off("ready", onReady);
      if (e.code === "ENOENT") resolve(undefined);
      else reject(e);
    };
    stream.once("ready", onReady);
    stream.once("error", onError);
  });
}

/** How many times a GET re-reads an object whose blob was replaced under it before giving up. */
const READ_ATTEMPTS = 5;

async function readObject(input: ReadInput, ctx: RequestContext, withBody: boolean): Promise<GetObjectOutput> {
  for (let attempt = 1; ; attempt++) {
    const out = readObjectOnce(input, ctx, withBody);
    if (!withBody) return out;
    const { id, range, cipher: pending } = out.Body as unknown as { id: string; range?: { start: number; end: number }; cipher?: ObjectCipher };
    // No await where nothing is pending (each is a microtask turn): an SSE-KMS key comes from
    // KMS, a blob file is opened; a small blob is already in hand.
    const cipher = cipherIsReady(pending) ? pending : await readyCipher(ctx, pending);
    const small = openSmallBlob(ctx, id, range, cipher);
    const body = small !== undefined ? (small ?? undefined) : await openBlobFile(ctx, id, range, cipher);
    if (body) {
      out.Body = body as unknown as GetObjectOutput["Body"];
      return out;
    }
    if (attempt === READ_ATTEMPTS) throw new AwsError("InternalError", "We encountered an internal error. Please try again.", 500);
  }
}

/** Metadata, conditions and range; Body holds the blob to open ({ id, range }). */
/**
 * The version a GET/HEAD reads:
 *   1. a version id S3 could not have issued: 400 InvalidArgument;
 *   2. with a version id: that version, else 404 NoSuchVersion; a delete marker answers 405
 *      MethodNotAllowed with x-amz-delete-marker (a marker has no body to read);
 *   3. without: the current version, else 404 NoSuchKey, carrying x-amz-delete-marker and the
 *      marker's version id when the key's newest version is a delete marker.
 * HEAD errors have no body, so HEAD's 404s are plain NotFound.
 */
export function versionToRead(ctx: RequestContext, bucket: StoredBucket, key: string, versionId: string | undefined, head: boolean): StoredObject {
  // 1-2.
  if (checkVersionId(versionId) !== undefined) {
    const v = getVersion(ctx.db, bucket.name, key, versionId!);
    if (!v) throw head ? new AwsError("NotFound", "Not Found", 404) : noSuchVersion(key, versionId!);
    if (v.deleteMarker) {
      throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, {
        fields: { Method: head ? "HEAD" : "GET", ResourceType: "DeleteMarker" },
        headers: { "x-amz-delete-marker": "true", "x-amz-version-id": v.versionId, "Last-Modified": new Date(v.lastModified).toUTCString(), Allow: "DELETE" },
      });
    }
    return v;
  }
  // 3.
  const o = getObject(ctx.db, bucket.name, key);
  if (o) return o;
  const marker = bucket.versioning !== undefined ? currentDeleteMarker(ctx.db, bucket.name, key) : undefined;
  const headers: Record<string, string> = marker ? { "x-amz-delete-marker": "true", "x-amz-version-id": marker.versionId } : {};
  if (head) throw new AwsError("NotFound", "Not Found", 404, { headers });
  throw new AwsError("NoSuchKey", "The specified key does not exist.", 404, { fields: { Key: key }, headers });
}

function readObjectOnce(input: ReadInput, ctx: RequestContext, withBody: boolean): GetObjectOutput {
  const bucket = ownBucket(ctx, input.Bucket!, true);
  const o = versionToRead(ctx, bucket, input.Key!, input.VersionId, !withBody);
  if (withBody) checkReadable(ctx, o);
  // SSE-C objects need their key on GET and HEAD alike.
  const cipher = readCipher(ctx, o, input);
  checkReadConditions(input, o);
  const part = input.PartNumber !== undefined ? partRange(input, o) : undefined;
  const range = part?.range ?? parseRange(input.Range, o.size);
  const h = o.headers;
  const out: GetObjectOutput & { [RESPONSE_STATUS]?: number } = {
    AcceptRanges: "bytes",
    LastModified: new Date(o.lastModified),
    ContentLength: range ? range.end - range.start + 1 : o.size,
    ETag: o.etag,
    ContentType: input.ResponseContentType ?? h.ContentType,
    Metadata: o.metadata,
  };
  // (versionIdMember, without a spread in the literal: this runs for every GET and HEAD.)
  if (bucket.versioning !== undefined) out.VersionId = o.versionId;
  const enc = input.ResponseContentEncoding ?? h.ContentEncoding;
  if (enc !== undefined) out.ContentEncoding = enc;
  const disp = input.ResponseContentDisposition ?? h.ContentDisposition;
  if (disp !== undefined) out.ContentDisposition = disp;
  const lang = input.ResponseContentLanguage ?? h.ContentLanguage;
  if (lang !== undefined) out.ContentLanguage = lang;
  const cache = input.ResponseCacheControl ?? h.CacheControl;
  if (cache !== undefined) out.CacheControl = cache;
  const expires = input.ResponseExpires ?? (h.Expires !== undefined ? new Date(h.Expires) : undefined);
  if (expires !== undefined) out.Expires = expires;
  if (h.WebsiteRedirectLocation !== undefined) out.WebsiteRedirectLocation = h.WebsiteRedirectLocation;
  // S3 reports the storage class only when it is not STANDARD.
  if (o.storageClass !== "STANDARD") out.StorageClass = o.storageClass as GetObjectOutput["StorageClass"];
  // Restore status, lifecycle expiry and Intelligent-Tiering access (storage-class.ts, lifecycle/).
  const restore = restoreHeader(ctx, o);
  if (restore !== undefined) out.Restore = restore;
  if (o.storageClass === "INTELLIGENT_TIERING" && !withBody) Object.assign(out, archiveMembers(ctx, o));
  const expiration = expirationHeader(ctx, bucket, o);
  if (expiration !== undefined) out.Expiration = expiration;
  if (withBody) noteAccess(ctx, o);
  if (o.tags.length > 0 && withBody) out.TagCount = o.tags.length;
  if (input.ChecksumMode === "ENABLED") {
    if (part) {
      // A part of a composite object has its own checksum; S3 sends it for partNumber reads.
      const own = o.parts?.[input.PartNumber! - 1]?.checksums;
      if (own && o.checksumType === "COMPOSITE") Object.assign(out, checksumMembers(own, "COMPOSITE"));
      else if (!o.parts) Object.assign(out, checksumMembers(o.checksums, o.checksumType));
    } else if (!range) Object.assign(out, checksumMembers(o.checksums, o.checksumType));
  }
  if (part?.count !== undefined) out.PartsCount = part.count;
  if (range) {
    out.ContentRange = `bytes ${range.start}-${range.end}/${o.size}`;
    out[RESPONSE_STATUS] = 206;
  }
  const sse = storedSse(o);
  if (sse) Object.assign(out, sseMembers(sse));
  const stored = h as { lock?: unknown; replication?: unknown };
  if (stored.lock !== undefined) Object.assign(out, lockMembers(o));
  if (stored.replication !== undefined) Object.assign(out, replicationMembers(o));
  if (withBody) out.Body = { id: o.blobId, range, cipher } as unknown as GetObjectOutput["Body"];
  return out;
}

export const GetObject: Handler<GetObjectRequest, GetObjectOutput> = (input, ctx) => readObject(input, ctx, true);

export const HeadObject: Handler<HeadObjectRequest, HeadObjectOutput> = async (input, ctx) => (await readObject(input, ctx, false)) as HeadObjectOutput;

/**
 * DeleteObject, in one transaction with the bucket's versioning status re-read:
 *   1. with a version id: that version is removed for good (an unknown one is a no-op, as on
 *      S3); the answer names it and says whether it was a delete marker;
 *   2. without: unversioned buckets lose the object; versioned ones gain a delete marker
 *      (Suspended: the null version, replacing an existing null version).
 * Blobs are deleted after the commit.
 */
export const DeleteObject: Handler<DeleteObjectRequest, DeleteObjectOutput> = async (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  const key = input.Key!;
  const versionId = checkVersionId(input.VersionId);
  const { freed, out } = inTransaction(ctx.db, () => {
    const b = bucketStore(ctx).get<StoredBucket>("bucket", bucket.name);
    if (!b) throw noSuchBucket(bucket.name);
    // Conditional delete (If-Match: ETag or *): 404 NoSuchKey when absent, 412 when changed.
    if (input.IfMatch !== undefined) {
      const target = versionId !== undefined ? getVersion(ctx.db, b.name, key, versionId) : getObject(ctx.db, b.name, key);
      checkWriteConditions({ IfMatch: input.IfMatch }, target && !("deleteMarker" in target && target.deleteMarker) ? target : undefined, key);
    }
    // 1.
    if (versionId !== undefined) {
      // Object Lock: a version under retention or legal hold stays (object-lock/lock.ts).
      const target = getVersion(ctx.db, b.name, key, versionId);
      if (target && deleteBlocked(target, ctx.clock.now(), input.BypassGovernanceRetention === true)) throw lockedError();
      const r = deleteVersion(ctx.db, b.name, key, versionId);
      const o: DeleteObjectOutput = { VersionId: versionId };
      if (r.removed?.deleteMarker) o.DeleteMarker = true;
      return { freed: ctx.blobs.dropInline(ctx.db, r.freed), out: o };
    }
    // 2.
    const r = deleteCurrent(ctx.db, b.versioning, b.name, key, ctx.clock.now());
    if (r.marker) markDeleteMarker(ctx.db, b, r.marker);
    return { freed: ctx.blobs.dropInline(ctx.db, r.freed), out: r.marker ? { DeleteMarker: true, VersionId: r.marker.versionId } : {} };
  });
  for (const id of freed) await ctx.blobs.delete(id);
  emitS3Event(ctx, bucket.name, { eventName: out.DeleteMarker && versionId === undefined ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete", key, versionId: out.VersionId, ...requestInfo(ctx) });
  return out;
};
