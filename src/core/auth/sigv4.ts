// SigV4 (AWS4-HMAC-SHA256) verification, header-signed and presigned, following AWS
// "Create a signed AWS API request" (IAM user guide, reference_sigv-create-signed-request):
//
//   Step 1  Create a canonical request        (canonical-request.ts, buildCanonicalRequest)
//   Step 2  Create a hash of the canonical request
//   Step 3  Create a string to sign           (canonical-request.ts, buildStringToSign)
//   Step 4  Derive the signing key and calculate the signature
//   Step 5  Compare with the signature the request carries (the server's side of "add the
//           signature to the request")
//
// Runs on every signed request: the derived signing key is cached per (secret, date, region,
// service) since one key signs every request of a day, with its HMAC pad states, and the
// signature is computed in JavaScript (hmac-sha256.ts says why); the canonical request is one
// string hashed by one crypto.hash call (assembling it in a Buffer instead cost a native call per
// piece: measured slower).
import { createHmac } from "node:crypto";
import { type HmacKey, hmacKey, hmacSha256Hex } from "./hmac-sha256.js";
import { type AuthDialect, authDialectFor, signatureMismatch } from "./auth-errors.js";
import {
  type AuthRequest,
  type CanonicalOptions,
  alternativeCanonicalOptions,
  buildCanonicalRequest,
  buildStringToSign,
} from "./canonical-request.js";
import { type ParsedAuth, SIGV4_ALGORITHM } from "./parse-authorization.js";
import { checkSignedRequest } from "./request-checks.js";

/** A request as the signature covers it, with the payload hash its canonical request ends with. */
export interface SignedRequest extends AuthRequest {
  /**
   * The last line of the canonical request: the x-amz-content-sha256 value when the request
   * sent one (S3 and the JS SDK always do), UNSIGNED-PAYLOAD for a presigned request without it,
   * else the hex SHA-256 of the body (see `claimedPayloadHash`).
   */
  payloadHash: string;
}

export interface VerifyOptions {
  /** Error wording; defaults to `authDialectFor(auth.service)`. */
  dialect?: AuthDialect;
  /** Reference time of the ±15 minute skew window; defaults to `now` (see CheckOptions.skewNow). */
  skewNow?: Date;
}

export interface SigV4Verification {
  /** kSigning for the request's scope: signs the chunks of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body. */
  signingKey: Buffer;
  /** The request's signature (the seed of a signed chunk stream). */
  seedSignature: string;
  /** Request time, milliseconds since the epoch. */
  requestTime: number;
}

/** Signing names whose canonical URI follows S3's rules (no normalization, single encoding). */
export function usesS3UriRules(signingName: string): boolean {
  return signingName === "s3" || signingName === "s3-object-lambda" || signingName === "s3express" || signingName === "s3-outposts";
}

// ---- Step 4a: the signing key ------------------------------------------------------------------

const SIGNING_KEY_CACHE_MAX = 4096;
const signingKeys = new Map<string, Buffer>();

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/**
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
 * cached per (secret, date, region, service).
 */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const cacheKey = secretAccessKey + "\n" + date + "\n" + region + "\n" + service;
  const cached = signingKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  const kDate = hmac("AWS4" + secretAccessKey, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, "aws4_request");
  if (signingKeys.size >= SIGNING_KEY_CACHE_MAX) {
    const oldest = signingKeys.keys().next().value;
    if (oldest !== undefined) signingKeys.delete(oldest);
  }
  signingKeys.set(cacheKey, kSigning);
  return kSigning;
}

/** Forgets every cached signing key (a secret was deleted or rotated). */
export function clearSigningKeyCache(): void {
  signingKeys.clear();
}

// ---- Step 4b and 5: the signature ----------------------------------------------------------------

/** Each signing key's HMAC pad states (hmac-sha256.ts), made on its first signature. */
const hmacKeys = new WeakMap<Buffer, HmacKey>();

/** Hex HMAC-SHA256 of a string to sign. */
export function signString(signingKey: Buffer, stringToSign: string): string {
  let key = hmacKeys.get(signingKey);
  if (key === undefined) {
    key = hmacKey(signingKey);
    hmacKeys.set(signingKey, key);
  }
  return hmacSha256Hex(key, stringToSign);
}

/**
 * Compares a computed lower-case hex signature with a claimed one, ignoring the claimed one's
 * case, in time independent of where they differ (no Buffers: this runs on every signed request).
 */
export function signaturesEqual(computed: string, claimed: string): boolean {
  if (computed.length !== claimed.length) return false;
  let diff = 0;
  for (let i = 0; i < computed.length; i++) {
    let c = claimed.charCodeAt(i);
    // A-F -> a-f
    if (c >= 65 && c <= 70) c += 32;
    diff |= computed.charCodeAt(i) ^ c;
  }
  return diff === 0;
}

/**
 * Verifies a SigV4 request (Authorization header or presigned query): the checks of
 * request-checks.ts, then the signature. Throws the AwsError AWS answers with (SignatureDoesNotMatch
 * and its family equivalents, RequestTimeTooSkewed, expired presign, malformed credential...);
 * returns the signing key and seed signature for a signed chunk stream.
 */
export function verifySigV4(
  req: SignedRequest,
  auth: ParsedAuth,
  secretAccessKey: string,
  now: Date,
  opts: VerifyOptions = {},
): SigV4Verification {
  if (auth.kind === "sigv4a" || auth.kind === "presigned-sigv4a") {
    throw new TypeError("verifySigV4: a SigV4a request; use verifySigV4a");
  }
  const dialect = opts.dialect ?? authDialectFor(auth.service);
  const requestTime = checkSignedRequest(req, auth, now, { dialect, skewNow: opts.skewNow });
  return { ...verifySigV4Signature(req, auth, secretAccessKey, dialect), requestTime };
}

/** The signature alone (steps 1-5), for a request that already passed `checkSignedRequest`. */
export function verifySigV4Signature(
  req: SignedRequest,
  auth: ParsedAuth,
  secretAccessKey: string,
  dialect: AuthDialect,
): { signingKey: Buffer; seedSignature: string } {
  const signingKey = deriveSigningKey(secretAccessKey, auth.scopeDate, auth.region, auth.service);
  const canonical: CanonicalOptions = { s3: usesS3UriRules(auth.service), presigned: auth.presigned };
  const algorithm = auth.algorithm || SIGV4_ALGORITHM;
  // Step 1: the canonical request. Steps 2-3: its hash in the string to sign.
  const canonicalRequest = buildCanonicalRequest(req, auth.signedHeaders, req.payloadHash, canonical);
  const stringToSign = buildStringToSign(algorithm, auth.date, auth.scope, canonicalRequest);
  // Step 4: the signature.
  const signature = signString(signingKey, stringToSign);
  // Step 5: compare with the one the request carries.
  if (signaturesEqual(signature, auth.signature)) return { signingKey, seedSignature: signature };

  // Before refusing, the canonical forms clients are known to sign instead (S3 path as sent, '+' as plus).
  for (const alt of alternativeCanonicalOptions(req, canonical)) {
    const altRequest = buildCanonicalRequest(req, auth.signedHeaders, req.payloadHash, alt);
    const altSignature = signString(signingKey, buildStringToSign(algorithm, auth.date, auth.scope, altRequest));
    if (signaturesEqual(altSignature, auth.signature)) return { signingKey, seedSignature: altSignature };
  }
  throw signatureMismatch(dialect, {
    accessKeyId: auth.accessKeyId,
    canonicalRequest,
    stringToSign,
    signatureProvided: auth.signature,
  });
}
