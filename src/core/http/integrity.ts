// A pass-through stage that hashes the body while it flows and, when it ends, checks what the
// client claimed: Content-MD5, an x-amz-checksum-<alg> header, a checksum in the aws-chunked
// trailer, and a hex x-amz-content-sha256. A mismatch fails the stream (so the blob store's
// pipeline rejects and nothing is committed); success exposes the digests through result() so
// S3 can store them (ETag from MD5, the object's checksum, its size).
//
// It sits where the bytes are exactly what the client hashed: after aws-chunked framing is
// removed, before any gunzip (the SDKs checksum and sign the compressed body).
import { Transform, type TransformCallback } from "node:stream";
import { createHasher, decodeChecksumValue, checksumHeaderName, type ChecksumAlgorithm, type Hasher } from "./checksums.js";
import {
  badChecksum,
  badContentMd5,
  contentSha256Mismatch,
  invalidChecksumValue,
  invalidContentMd5,
  malformedTrailer,
} from "./body-errors.js";

export interface IntegrityOptions {
  /** Algorithms to compute regardless of what the client sent (S3: MD5 for the ETag, CRC64NVME by default). */
  compute?: readonly ChecksumAlgorithm[];
  /** The Content-MD5 header (base64 of 16 bytes). */
  contentMd5?: string;
  /** An x-amz-checksum-<alg> header. */
  headerChecksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** A checksum announced by x-amz-trailer, whose value arrives with the aws-chunked trailers. */
  trailerChecksum?: { algorithm: ChecksumAlgorithm; trailers: Promise<Record<string, string>> };
  /** A hex SHA-256 from x-amz-content-sha256 (non-streaming signed payloads). */
  contentSha256?: string;
}

export interface IntegrityResult {
  /** Bytes that passed through (the payload as the client hashed it). */
  size: number;
  /** Raw MD5 when computed (for S3's ETag). */
  md5?: Buffer;
  /** Base64 digest of every algorithm computed, requested or implied by a check. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  /** The client-supplied checksum that was verified, if any: S3 stores and echoes it. */
  verified?: { algorithm: ChecksumAlgorithm; value: string; location: "header" | "trailer" };
}

/**
 * Throws AwsError synchronously for malformed claims (Content-MD5 not base64 of 16 bytes ->
 * InvalidDigest; checksum header of the wrong shape -> InvalidRequest), as S3 rejects those
 * before reading the body.
 */
export class IntegrityStream extends Transform {
  private readonly hashers = new Map<ChecksumAlgorithm, Hasher>();
  private readonly opts: IntegrityOptions;
  private readonly md5Claim: Buffer | undefined;
  private readonly headerClaim: Buffer | undefined;
  private readonly sha256Claim: string | undefined;
  private size = 0;
  private outcome: IntegrityResult | undefined;

  constructor(opts: IntegrityOptions) {
    super();
    this.opts = opts;
    const algs = new Set<ChecksumAlgorithm>(opts.compute ?? []);
    if (opts.contentMd5 !== undefined) {
      this.md5Claim = decodeChecksumValue("MD5", opts.contentMd5);
      if (!this.md5Claim) throw invalidContentMd5();
      algs.add("MD5");
    }
    if (opts.headerChecksum) {
      const { algorithm, value } = opts.headerChecksum;
      this.headerClaim = decodeChecksumValue(algorithm, value);
      if (!this.headerClaim) throw invalidChecksumValue(checksumHeaderName(algorithm), "header");
      algs.add(algorithm);
    }
    if (opts.trailerChecksum) algs.add(opts.trailerChecksum.algorithm);
    if (opts.contentSha256 !== undefined) {
      this.sha256Claim = opts.contentSha256.toLowerCase();
      algs.add("SHA256");
    }
    for (const alg of algs) this.hashers.set(alg, createHasher(alg));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    for (const h of this.hashers.values()) h.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.finish().then(
      () => callback(),
      (e: Error) => callback(e),
    );
  }

  /** The digests; only valid once the stream has ended successfully. */
  result(): IntegrityResult {
    if (!this.outcome) throw new Error("IntegrityStream.result() called before the body was fully read and verified");
    return this.outcome;
  }

  private async finish(): Promise<void> {
    const digests = new Map<ChecksumAlgorithm, Buffer>();
    for (const [alg, h] of this.hashers) digests.set(alg, h.digest());

    // 1. The payload hash the request was signed with.
    if (this.sha256Claim !== undefined) {
      const computed = digests.get("SHA256")!.toString("hex");
      if (computed !== this.sha256Claim) throw contentSha256Mismatch(this.sha256Claim, computed);
    }
    // 2. Content-MD5.
    if (this.md5Claim && !this.md5Claim.equals(digests.get("MD5")!)) throw badContentMd5();
    // 3. The flexible checksum, from a header ...
    let verified: IntegrityResult["verified"];
    if (this.opts.headerChecksum && this.headerClaim) {
      const { algorithm, value } = this.opts.headerChecksum;
      if (!this.headerClaim.equals(digests.get(algorithm)!)) throw badChecksum(algorithm);
      verified = { algorithm, value: value.trim(), location: "header" };
    }
    // ... or from the trailer, which the aws-chunked decoder has fully parsed by now: it
    // resolves `trailers` before it ends, and we only flush after it ended.
    if (this.opts.trailerChecksum) {
      const { algorithm, trailers } = this.opts.trailerChecksum;
      const name = checksumHeaderName(algorithm);
      const value = (await trailers)[name];
      if (value === undefined) throw malformedTrailer();
      const claim = decodeChecksumValue(algorithm, value);
      if (!claim) throw invalidChecksumValue(name, "trailing header");
      if (!claim.equals(digests.get(algorithm)!)) throw badChecksum(algorithm);
      verified = { algorithm, value: value.trim(), location: "trailer" };
    }

    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [alg, d] of digests) checksums[alg] = d.toString("base64");
    this.outcome = { size: this.size, checksums, ...(digests.has("MD5") ? { md5: digests.get("MD5")! } : {}), ...(verified ? { verified } : {}) };
  }
}
