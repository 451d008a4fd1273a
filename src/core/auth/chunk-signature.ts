// Signed streaming payloads (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD and
// ...-PAYLOAD-TRAILER): each aws-chunked chunk carries the signature of its own bytes, chained to
// the previous chunk's signature, the first chained to the request's ("seed") signature.
//
// AWS "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
// Chunks" (S3 API reference, sigv4-streaming):
//   1. seed signature = the request signature (verified by sigv4.ts)
//   2. for each chunk, including the final zero-length one:
//        StringToSign = "AWS4-HMAC-SHA256-PAYLOAD" + "\n" + RequestDateTime + "\n" + CredentialScope + "\n"
//                     + PreviousSignature + "\n" + Hex(SHA256("")) + "\n" + Hex(SHA256(chunk-data))
//        chunk-signature = Hex(HMAC-SHA256(SigningKey, StringToSign))
// and "Signature calculations for trailing headers" (sigv4-streaming-trailers):
//   3. after the final chunk, the trailer chunk:
//        StringToSign = "AWS4-HMAC-SHA256-TRAILER" + "\n" + RequestDateTime + "\n" + CredentialScope + "\n"
//                     + PreviousSignature + "\n" + Hex(SHA256(trailing headers as "name:value\n"...))
//
// The body decoder (core/http/aws-chunked) calls the verifier once per chunk, in order, with the
// chunk's bytes (or their SHA-256 when it hashes while streaming) and the signature the chunk
// header claimed.
import { createHash } from "node:crypto";
import { AwsError } from "../errors.js";
import { hexBytes } from "./auth-errors.js";
import { EMPTY_SHA256 } from "./canonical-request.js";
import { signString, signaturesEqual } from "./sigv4.js";

export const CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD";
export const TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER";

/** Trailing headers as [name, value] pairs, in the order sent (x-amz-trailer-signature excluded). */
export type TrailerHeaders = ReadonlyArray<readonly [string, string]>;

export interface ChunkVerifier {
  /** Verifies the next chunk; throws SignatureDoesNotMatch (403) when its signature is wrong. */
  (chunkData: Buffer | Uint8Array, claimedSignature: string): void;
  /** Same, for a chunk whose hex SHA-256 the caller computed while streaming it. */
  verifyHash(chunkSha256Hex: string, claimedSignature: string): void;
  /**
   * Verifies the trailer chunk that follows the final zero-length chunk: the trailing headers as
   * pairs, or their canonical block (`name:value\n` lines, as core/http/aws-chunked builds it).
   */
  verifyTrailer(trailers: TrailerHeaders | string, claimedSignature: string): void;
  /** The last verified signature (the seed before the first chunk). */
  readonly previousSignature: string;
  /** Number of chunks verified so far. */
  readonly chunks: number;
}

export interface ChunkVerifierOptions {
  /** Named in the error, as S3 names it (AWSAccessKeyId). */
  accessKeyId?: string;
}

/** Step 2: the string to sign of one chunk. */
export function chunkStringToSign(datetime: string, scope: string, previousSignature: string, chunkSha256Hex: string): string {
  return CHUNK_ALGORITHM + "\n" + datetime + "\n" + scope + "\n" + previousSignature + "\n" + EMPTY_SHA256 + "\n" + chunkSha256Hex;
}

/**
 * The trailing headers as hashed for the trailer signature: `name:value\n` each, names
 * lower-cased, values trimmed, sorted by name (as canonical headers are; SDKs send one trailer).
 */
export function canonicalTrailer(trailers: TrailerHeaders): string {
  const lines = trailers.map(([name, value]) => name.toLowerCase() + ":" + value.trim() + "\n");
  if (lines.length > 1) lines.sort();
  return lines.join("");
}

/**
 * Step 3: the string to sign of the trailer chunk.
 * @param trailers the trailing headers, or their canonical block already built (`canonicalTrailer`)
 */
export function trailerStringToSign(datetime: string, scope: string, previousSignature: string, trailers: TrailerHeaders | string): string {
  const block = typeof trailers === "string" ? trailers : canonicalTrailer(trailers);
  const hash = createHash("sha256").update(block, "utf8").digest("hex");
  return TRAILER_ALGORITHM + "\n" + datetime + "\n" + scope + "\n" + previousSignature + "\n" + hash;
}

function chunkMismatch(stringToSign: string, claimed: string, opts: ChunkVerifierOptions): AwsError {
  const fields: Record<string, unknown> = {};
  if (opts.accessKeyId !== undefined) fields.AWSAccessKeyId = opts.accessKeyId;
  fields.StringToSign = stringToSign;
  fields.SignatureProvided = claimed;
  fields.StringToSignBytes = hexBytes(stringToSign);
  return new AwsError(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    403,
    { fields },
  );
}

/**
 * Verifies the trailer signature of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER body.
 * @param previousSignature the signature of the final (zero-length) chunk
 */
export function verifyTrailerSignature(
  signingKey: Buffer,
  datetime: string,
  scope: string,
  previousSignature: string,
  trailers: TrailerHeaders | string,
  claimedSignature: string,
  opts: ChunkVerifierOptions = {},
): string {
  const stringToSign = trailerStringToSign(datetime, scope, previousSignature, trailers);
  const signature = signString(signingKey, stringToSign);
  if (!signaturesEqual(signature, claimedSignature)) throw chunkMismatch(stringToSign, claimedSignature, opts);
  return signature;
}

/**
 * A verifier for the chunks of one signed stream.
 * @param signingKey kSigning of the request (SigV4Verification.signingKey)
 * @param datetime the request time, ISO-8601 basic (ParsedAuth.date)
 * @param scope the credential scope (ParsedAuth.scope)
 * @param seedSignature the request's signature (SigV4Verification.seedSignature)
 */
export function createChunkVerifier(
  signingKey: Buffer,
  datetime: string,
  scope: string,
  seedSignature: string,
  opts: ChunkVerifierOptions = {},
): ChunkVerifier {
  let previous = seedSignature;
  let count = 0;
  let trailerDone = false;

  const verifyHash = (chunkSha256Hex: string, claimedSignature: string): void => {
    if (trailerDone) throw new TypeError("chunk verifier: a chunk after the trailer");
    const stringToSign = chunkStringToSign(datetime, scope, previous, chunkSha256Hex);
    const signature = signString(signingKey, stringToSign);
    if (!signaturesEqual(signature, claimedSignature)) throw chunkMismatch(stringToSign, claimedSignature, opts);
    previous = signature;
    count++;
  };

  const verifier = ((chunkData: Buffer | Uint8Array, claimedSignature: string): void => {
    const hash = chunkData.length === 0 ? EMPTY_SHA256 : createHash("sha256").update(chunkData).digest("hex");
    verifyHash(hash, claimedSignature);
  }) as ChunkVerifier;

  Object.defineProperties(verifier, {
    verifyHash: { value: verifyHash },
    verifyTrailer: {
      value: (trailers: TrailerHeaders | string, claimedSignature: string): void => {
        previous = verifyTrailerSignature(signingKey, datetime, scope, previous, trailers, claimedSignature, opts);
        trailerDone = true;
      },
    },
    previousSignature: { get: () => previous },
    chunks: { get: () => count },
  });
  return verifier;
}
