// Checksums of multipart uploads ("Checking object integrity" in the S3 user guide):
//   - CreateMultipartUpload names an algorithm and a type. CRC64NVME is FULL_OBJECT only;
//     SHA1 and SHA256 are COMPOSITE only; CRC32 and CRC32C are either (COMPOSITE by default).
//   - Every part is checksummed with the upload's algorithm; a part sent with another one is
//     refused.
//   - Completing a COMPOSITE upload stores the checksum of the concatenated binary part
//     checksums, suffixed "-N" (N parts); a FULL_OBJECT upload (or one without an algorithm,
//     which gets CRC64NVME as every S3 object does) stores the checksum of the whole object.
import { Transform, type TransformCallback } from "node:stream";
import { AwsError } from "../../../core/errors.js";
import { createHasher, parseChecksumAlgorithm, type ChecksumAlgorithm, type Hasher } from "../../../core/http/checksums.js";
import type { StoredPart, StoredUpload } from "../store.js";

const OBJECT_ALGORITHMS = new Set<ChecksumAlgorithm>(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]);
const COMPOSITE_OK = new Set<ChecksumAlgorithm>(["CRC32", "CRC32C", "SHA1", "SHA256"]);
const FULL_OBJECT_OK = new Set<ChecksumAlgorithm>(["CRC32", "CRC32C", "CRC64NVME"]);

function invalidRequest(message: string): AwsError {
  return new AwsError("InvalidRequest", message, 400);
}

/** CreateMultipartUpload's x-amz-checksum-algorithm and x-amz-checksum-type, validated. */
export function uploadChecksum(algorithm: string | undefined, type: string | undefined): StoredUpload["checksum"] {
  const alg = algorithm !== undefined ? parseChecksumAlgorithm(algorithm) : undefined;
  if (algorithm !== undefined && (!alg || !OBJECT_ALGORITHMS.has(alg))) {
    throw invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
  }
  if (type !== undefined && type !== "COMPOSITE" && type !== "FULL_OBJECT") throw invalidRequest("Value for x-amz-checksum-type header is invalid.");
  if (!alg) {
    if (type !== undefined) throw invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    return {};
  }
  const t = (type as "COMPOSITE" | "FULL_OBJECT" | undefined) ?? (alg === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
  if ((t === "COMPOSITE" && !COMPOSITE_OK.has(alg)) || (t === "FULL_OBJECT" && !FULL_OBJECT_OK.has(alg))) {
    throw invalidRequest(`The ${t} checksum type cannot be used with the ${alg.toLowerCase()} checksum algorithm.`);
  }
  return { algorithm: alg, type: t };
}

/** A part sent with a checksum of another algorithm than its upload's. */
export function checkPartAlgorithm(upload: StoredUpload, claimed: ChecksumAlgorithm | undefined): void {
  const expected = upload.checksum.algorithm;
  if (expected && claimed && claimed !== expected) {
    throw invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${claimed.toLowerCase()}`);
  }
}

/** The composite checksum: the algorithm over the parts' binary checksums, then "-N". */
export function compositeChecksum(alg: ChecksumAlgorithm, parts: StoredPart[]): string {
  const h = createHasher(alg);
  for (const p of parts) h.update(Buffer.from(p.checksums[alg] ?? "", "base64"));
  return `${h.digest().toString("base64")}-${parts.length}`;
}

/** Computes one checksum of the bytes passing through (the whole object of a FULL_OBJECT upload). */
export class ChecksumHasher extends Transform {
  private readonly hasher: Hasher;
  constructor(alg: ChecksumAlgorithm) {
    super();
    this.hasher = createHasher(alg);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hasher.update(chunk);
    cb(null, chunk);
  }
  /** Base64; valid once the stream has ended. */
  digest(): string {
    return this.hasher.digest().toString("base64");
  }
}
