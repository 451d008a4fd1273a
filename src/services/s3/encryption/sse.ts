// Server-side encryption of objects: which encryption a write gets, what a version stores about
// it, what a read must present, and the response members.
//
// A write's encryption (S3 User Guide, "Protecting data with server-side encryption"):
//   1. SSE-C headers: the customer's 256-bit key (its MD5 checked), never stored (only its MD5);
//   2. else x-amz-server-side-encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS: a data key from
//      KMS GenerateDataKey, called as the caller via S3, its ciphertext stored with the version;
//      reads call KMS Decrypt as the caller, see encryption/kms.ts);
//   3. else the bucket's default encryption (PutBucketEncryption), which is SSE-S3 when none was
//      configured: since January 2023 S3 encrypts every new object.
// The stored member (`sse` of the version's headers JSON) holds the kind and the IV; a version
// without it (written before this slice) is plaintext.
import { createHash, timingSafeEqual } from "node:crypto";
import type { ChunkObserver } from "../../../core/blobs/blob-store.js";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import type { StoredBucket } from "../handlers/buckets.js";
import type { StoredObject } from "../store.js";
import { CtrObserver, newIv, partCipher, s3ManagedCipher, s3ManagedCipherOf, type ObjectCipher } from "./cipher.js";
import { kmsDataKey, kmsPlaintextKey } from "./kms.js";

export interface StoredSse {
  kind: "S3" | "C" | "KMS";
  /** Base64 IV of byte 0. */
  iv: string;
  /** SSE-C: base64 MD5 of the customer's key (to tell a wrong key from the right one). */
  keyMd5?: string;
  bucketKeyEnabled?: boolean;
  /** SSE-KMS: "aws:kms" or "aws:kms:dsse". */
  alg?: string;
  /** SSE-KMS: the key's ARN. */
  keyArn?: string;
  /** SSE-KMS: base64 CiphertextBlob of the data key. */
  dataKey?: string;
  /** SSE-KMS: the whole encryption context the data key was generated under. */
  context?: Record<string, string>;
  /** SSE-KMS: the caller's SSEKMSEncryptionContext (base64 JSON), echoed on writes. */
  userContext?: string;
}

/** The encryption members of a write request (PutObject, CopyObject's destination, CreateMultipartUpload). */
export interface SseRequest {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  SSEKMSEncryptionContext?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  SSECustomerKeyMD5?: string;
}

/** SSE-C members of a read (GET/HEAD, or CopySource* of a copy source). */
export interface SseCustomerKey {
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  SSECustomerKeyMD5?: string;
}

export interface DefaultEncryptionRule {
  ApplyServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
}

/** The bucket document with the member this slice adds. */
export interface EncryptedBucket extends StoredBucket {
  encryption?: { Rules: DefaultEncryptionRule[] };
}

export function storedSse(o: { headers: object }): StoredSse | undefined {
  return (o.headers as { sse?: StoredSse }).sse;
}

function invalidArgument(message: string, name?: string, value?: string): AwsError {
  return new AwsError("InvalidArgument", message, 400, name ? { fields: { ArgumentName: name, ArgumentValue: value ?? "null" } } : {});
}

/** Validates SSE-C members and returns the key (undefined when none are given). */
export function customerKey(k: SseCustomerKey, prefix = "x-amz-server-side-encryption-customer-"): Buffer | undefined {
  if (k.SSECustomerAlgorithm === undefined && k.SSECustomerKey === undefined && k.SSECustomerKeyMD5 === undefined) return undefined;
  if (k.SSECustomerAlgorithm === undefined) {
    throw invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.", `${prefix}algorithm`);
  }
  if (k.SSECustomerAlgorithm !== "AES256") {
    throw new AwsError("InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid. The valid value is AES256.", 400, {
      fields: { ArgumentName: `${prefix}algorithm`, ArgumentValue: k.SSECustomerAlgorithm },
    });
  }
  if (k.SSECustomerKey === undefined) {
    throw invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.", `${prefix}key`);
  }
  const key = Buffer.from(k.SSECustomerKey, "base64");
  if (key.length !== 32) throw invalidArgument("The secret key was invalid for the specified algorithm.", `${prefix}key`);
  const md5 = createHash("md5").update(key).digest("base64");
  if (k.SSECustomerKeyMD5 !== undefined && k.SSECustomerKeyMD5 !== md5) {
    throw invalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.", `${prefix}key-MD5`);
  }
  return key;
}

/** What a write stores and the cipher its bytes go through. */
export interface WriteEncryption {
  stored: StoredSse;
  cipher: ObjectCipher;
  /** The write's cipher, for BlobStore.write's observers. */
  transform(): ChunkObserver;
}

/** Steps 1-3 of the header comment. */
export async function writeEncryption(ctx: RequestContext, bucket: StoredBucket, key: string, req: SseRequest): Promise<WriteEncryption> {
  const iv = newIv();
  // 1.
  const ck = customerKey(req);
  if (ck) {
    if (req.ServerSideEncryption !== undefined) {
      throw invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified", "x-amz-server-side-encryption", req.ServerSideEncryption);
    }
    const cipher = { key: ck, iv };
    return { stored: { kind: "C", iv: iv.toString("base64"), keyMd5: createHash("md5").update(ck).digest("base64") }, cipher, transform: () => new CtrObserver(cipher) };
  }
  // 2-3.
  const rule = (bucket as EncryptedBucket).encryption?.Rules[0];
  const alg = req.ServerSideEncryption ?? rule?.ApplyServerSideEncryptionByDefault.SSEAlgorithm ?? "AES256";
  if (req.SSEKMSKeyId !== undefined && alg !== "aws:kms" && alg !== "aws:kms:dsse") {
    throw invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms", "x-amz-server-side-encryption-aws-kms-key-id", req.SSEKMSKeyId);
  }
  if (alg === "aws:kms" || alg === "aws:kms:dsse") {
    // The bucket's key applies when the request names no encryption; its BucketKeyEnabled also
    // applies to requests that ask for aws:kms without saying.
    const fromRule = req.ServerSideEncryption === undefined;
    const keyId = req.SSEKMSKeyId ?? (fromRule ? rule?.ApplyServerSideEncryptionByDefault.KMSMasterKeyID : undefined) ?? "alias/aws/s3";
    const bucketKeyEnabled = alg === "aws:kms" && (req.BucketKeyEnabled ?? rule?.BucketKeyEnabled ?? false);
    const dk = await kmsDataKey(ctx, { bucket: bucket.name, key, keyId, bucketKeyEnabled, userContext: req.SSEKMSEncryptionContext });
    const cipher = { key: dk.plaintext, iv };
    const stored: StoredSse = {
      kind: "KMS",
      iv: iv.toString("base64"),
      alg,
      keyArn: dk.keyArn,
      dataKey: dk.ciphertext,
      context: dk.context,
      ...(req.SSEKMSEncryptionContext !== undefined ? { userContext: req.SSEKMSEncryptionContext } : {}),
      ...(bucketKeyEnabled ? { bucketKeyEnabled: true } : {}),
    };
    return { stored, cipher, transform: () => new CtrObserver(cipher) };
  }
  if (alg !== "AES256") throw invalidArgument("The encryption method specified is not supported", "x-amz-server-side-encryption", alg);
  // BucketKeyEnabled concerns KMS only; S3 does not report it for SSE-S3 objects.
  const cipher = s3ManagedCipher(ctx.store, iv);
  return { stored: { kind: "S3", iv: iv.toString("base64") }, cipher, transform: () => new CtrObserver(cipher) };
}

/**
 * The cipher to read a version's bytes with, after checking the read's SSE-C members:
 *   - an SSE-C version needs its key: none is 400 InvalidRequest, another key 403 AccessDenied;
 *   - SSE-C members on a version that is not SSE-C are 400 InvalidRequest.
 * HEAD runs the same checks (S3 answers HEAD of an SSE-C object without the key with 400).
 */
export function readCipher(ctx: RequestContext, o: Pick<StoredObject, "headers">, k: SseCustomerKey, prefix?: string): ObjectCipher | undefined {
  const sse = storedSse(o);
  const key = customerKey(k, prefix);
  if (sse?.kind === "C") {
    if (!key) {
      throw new AwsError("InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.", 400);
    }
    const md5 = createHash("md5").update(key).digest();
    if (!timingSafeEqual(md5, Buffer.from(sse.keyMd5 ?? "", "base64"))) throw new AwsError("AccessDenied", "Access Denied", 403);
    return { key, iv: Buffer.from(sse.iv, "base64") };
  }
  if (key) throw new AwsError("InvalidRequest", "The encryption parameters are not applicable to this object.", 400);
  if (sse?.kind === "S3") return s3ManagedCipherOf(ctx.store, sse.iv);
  // SSE-KMS: the key comes from KMS Decrypt, which is async; openCipher (or readyCipher) fetches it.
  if (sse?.kind === "KMS") return { key: Buffer.alloc(0), iv: Buffer.from(sse.iv, "base64"), kms: sse } as PendingCipher;
  return undefined;
}

/** An SSE-KMS cipher whose data key is not decrypted yet (readCipher is synchronous). */
interface PendingCipher extends ObjectCipher {
  kms: StoredSse;
}

/** The usable cipher: an SSE-KMS one gets its data key from KMS Decrypt, as the caller. */
export async function readyCipher(ctx: RequestContext, c: ObjectCipher | undefined): Promise<ObjectCipher | undefined> {
  const kms = (c as PendingCipher | undefined)?.kms;
  if (!c || !kms) return c;
  return { key: await kmsPlaintextKey(ctx, kms), iv: c.iv };
}

/** Whether readyCipher has nothing to fetch (no cipher, or not SSE-KMS): the caller need not await it. */
export function cipherIsReady(c: ObjectCipher | undefined): boolean {
  return (c as PendingCipher | undefined)?.kms === undefined;
}

/** readCipher, then readyCipher. */
export async function openCipher(ctx: RequestContext, o: Pick<StoredObject, "headers">, k: SseCustomerKey, prefix?: string): Promise<ObjectCipher | undefined> {
  return readyCipher(ctx, readCipher(ctx, o, k, prefix));
}

/** The response members naming a version's encryption (PUT, GET, HEAD, copy, multipart). */
export function sseMembers(sse: StoredSse | undefined, withContext = false): Record<string, unknown> {
  if (!sse) return {};
  if (sse.kind === "C") return { SSECustomerAlgorithm: "AES256", SSECustomerKeyMD5: sse.keyMd5 };
  if (sse.kind === "KMS") {
    return {
      ServerSideEncryption: sse.alg ?? "aws:kms",
      SSEKMSKeyId: sse.keyArn,
      ...(sse.bucketKeyEnabled ? { BucketKeyEnabled: true } : {}),
      ...(withContext && sse.userContext !== undefined ? { SSEKMSEncryptionContext: sse.userContext } : {}),
    };
  }
  return { ServerSideEncryption: "AES256", ...(sse.bucketKeyEnabled ? { BucketKeyEnabled: true } : {}) };
}

/**
 * Multipart uploads: the upload's headers carry the encryption CreateMultipartUpload chose (its
 * IV is the completed object's); each part is encrypted under its own IV derived from it, and
 * SSE-C uploads need the key with every UploadPart and with CompleteMultipartUpload.
 */
export async function uploadCipher(ctx: RequestContext, upload: Pick<StoredObject, "headers">, k: SseCustomerKey): Promise<ObjectCipher | undefined> {
  return openCipher(ctx, upload, k);
}

/** The blob-store observers that encrypt part `n` of an upload (none for uploads from before encryption). */
export function partEncryptor(c: ObjectCipher | undefined, n: number): ChunkObserver[] {
  return c ? [new CtrObserver(partCipher(c, n))] : [];
}

export { partCipher };
