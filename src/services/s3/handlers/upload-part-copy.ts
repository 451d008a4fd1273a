// UploadPartCopy: a part whose bytes come from an existing object (or a byte range of it),
// with the x-amz-copy-source-if-* conditions and x-amz-copy-source-version-id.
//   1. the upload (NoSuchUpload), the part number, the source version (copy.ts);
//   2. source readable and its copy-source conditions hold (412 otherwise);
//   3. x-amz-copy-source-range "bytes=first-last" inside the source (else InvalidArgument);
//   4. stream the source bytes (the range) into a new blob, hashed (MD5 = the part's ETag, and
//      the upload's checksum algorithm); commit the part as UploadPart does. A source replaced
//      between its read and the open sends the copy back to step 2.
import type { UploadPartCopyOutput, UploadPartCopyRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { ChecksumAlgorithm } from "../../../core/http/checksums.js";
import type { Handler } from "../../../core/service.js";
import { getUpload } from "../store.js";
import { ownBucket } from "./buckets.js";
import { checkCopySourceConditions, copySourceConditions } from "./conditions.js";
import { copySourceVersion, parseCopySource } from "./copy.js";
import { commitPart } from "./multipart.js";
import { checkReadable, ObjectHasher, openBlob } from "./objects.js";
import { openCipher, partEncryptor, uploadCipher } from "../encryption/sse.js";

const MAX_COPY_PART = 5 * 1024 * 1024 * 1024;

function invalidRange(raw: string, size: number): AwsError {
  return new AwsError("InvalidArgument", `Range specified is not valid for source object of size: ${size}`, 400, {
    fields: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: raw },
  });
}

/** Step 3: inclusive offsets, or the whole object without a range. */
function copyRange(raw: string | undefined, size: number): { start: number; end: number } | undefined {
  if (raw === undefined) return size > 0 ? { start: 0, end: size - 1 } : undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(raw.trim());
  if (!m) {
    throw new AwsError("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", 400, {
      fields: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: raw },
    });
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || end >= size) throw invalidRange(raw, size);
  return { start, end };
}

const ATTEMPTS = 5;

export const UploadPartCopy: Handler<UploadPartCopyRequest, UploadPartCopyOutput> = async (input, ctx) => {
  // 1.
  const bucket = ownBucket(ctx, input.Bucket!);
  const n = input.PartNumber;
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400, { fields: { ArgumentName: "partNumber", ArgumentValue: String(n) } });
  }
  const upload = input.UploadId ? getUpload(ctx.db, input.UploadId) : undefined;
  if (!upload || upload.bucket !== bucket.name || upload.key !== input.Key) {
    throw new AwsError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", 404, {
      fields: { UploadId: input.UploadId ?? "" },
    });
  }
  const src = parseCopySource(input.CopySource!);
  const srcBucket = ownBucket(ctx, src.bucket);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    // 2.
    const source = copySourceVersion(ctx, srcBucket, src.key, src.versionId);
    checkReadable(ctx, source);
    const sourceCipher = await openCipher(ctx, source, { SSECustomerAlgorithm: input.CopySourceSSECustomerAlgorithm, SSECustomerKey: input.CopySourceSSECustomerKey, SSECustomerKeyMD5: input.CopySourceSSECustomerKeyMD5 }, "x-amz-copy-source-server-side-encryption-customer-");
    checkCopySourceConditions(copySourceConditions(input), source);
    // 3.
    const range = copyRange(input.CopySourceRange, source.size);
    const length = range ? range.end - range.start + 1 : 0;
    if (length > MAX_COPY_PART) {
      throw new AwsError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.", 400, { fields: { ProposedSize: String(length), MaxSizeAllowed: String(MAX_COPY_PART) } });
    }
    // 4.
    const stream = range ? await openBlob(ctx, source.blobId, range, sourceCipher) : Buffer.alloc(0);
    if (!stream) continue;
    const algorithm = (upload.checksum.algorithm as ChecksumAlgorithm | undefined) ?? "CRC64NVME";
    const hasher = new ObjectHasher(algorithm);
    const blob = await ctx.blobs.write(stream, [hasher, ...partEncryptor(await uploadCipher(ctx, upload, input), n)]);
    const { etag, checksum } = hasher.result();
    const lastModified = Math.floor(ctx.clock.now() / 1000) * 1000;
    await commitPart(ctx, upload, { partNumber: n, blobId: blob.id, size: blob.size, etag, lastModified, checksums: { [algorithm]: checksum } });
    return {
      CopyPartResult: { ETag: etag, LastModified: new Date(lastModified), ...(upload.checksum.algorithm ? { [`Checksum${algorithm}`]: checksum } : {}) },
      ...(srcBucket.versioning !== undefined ? { CopySourceVersionId: source.versionId } : {}),
    } as UploadPartCopyOutput;
  }
  throw new AwsError("InternalError", "We encountered an internal error. Please try again.", 500);
};
