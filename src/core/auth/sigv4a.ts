// SigV4a (AWS4-ECDSA-P256-SHA256) verification: the multi-region signature S3 Multi-Region
// Access Points and the CRT-based clients use.
//
// Steps 1-3 are SigV4's (canonical request, its hash, string to sign) with two differences: the
// credential scope names no region (`<yyyymmdd>/<service>/aws4_request`) and the regions the
// signature is valid in travel in the signed X-Amz-Region-Set header or query parameter.
// Step 4 replaces the HMAC chain with an ECDSA P-256 key pair derived from the secret access key,
// and the signature is the hex of the DER-encoded ECDSA signature of SHA-256(string to sign).
//
// Key derivation (AWS SigV4a reference; aws-c-auth `aws_ecc_key_pair_new_ecdsa_p256_key_from_aws_credentials`):
//   NIST SP 800-108 KDF in counter mode, PRF = HMAC-SHA256, one 256-bit block:
//     inputKey    = "AWS4A" + secretAccessKey
//     label       = "AWS4-ECDSA-P256-SHA256"
//     context     = accessKeyId || counter (one byte, starting at 1)
//     fixedInput  = [i = 1]32 || label || 0x00 || context || [L = 256]32
//     candidate   = HMAC-SHA256(inputKey, fixedInput)
//   while candidate > n - 2 (n = order of P-256): counter += 1 and derive again
//   d = candidate + 1 (so 1 <= d <= n - 1), public key = d * G.
// The comparison and the addition are done on big-endian byte strings; no BigInt.
import { type KeyObject, createECDH, createHmac, createPrivateKey, createPublicKey, verify } from "node:crypto";
import { type AuthDialect, authDialectFor, signatureMismatch } from "./auth-errors.js";
import { type CanonicalOptions, alternativeCanonicalOptions, buildCanonicalRequest, buildStringToSign } from "./canonical-request.js";
import { type ParsedAuth, SIGV4A_ALGORITHM } from "./parse-authorization.js";
import { checkSignedRequest } from "./request-checks.js";
import { type SignedRequest, type VerifyOptions, usesS3UriRules } from "./sigv4.js";

/** n - 2 for the order n of P-256, big-endian. */
const P256_N_MINUS_2 = Buffer.from("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63254F", "hex");
const LABEL = Buffer.from(SIGV4A_ALGORITHM, "utf8");
const MAX_COUNTER = 254;

export interface SigV4aKeyPair {
  /** The private scalar d, 32 bytes big-endian. */
  d: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface SigV4aVerification {
  publicKey: KeyObject;
  /** The request's signature (the seed of a signed chunk stream). */
  seedSignature: string;
  requestTime: number;
}

function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** d = candidate + 1 on a 32-byte big-endian integer (candidate <= n - 2, so no overflow). */
function plusOne(candidate: Buffer): Buffer {
  const d = Buffer.from(candidate);
  for (let i = d.length - 1; i >= 0; i--) {
    if (d[i] === 0xff) {
      d[i] = 0;
    } else {
      d[i] += 1;
      break;
    }
  }
  return d;
}

function base64url(b: Buffer): string {
  return b.toString("base64url");
}

/** The private scalar d derived from a secret access key (see the header comment). */
export function deriveSigV4aPrivateScalar(accessKeyId: string, secretAccessKey: string): Buffer {
  const inputKey = Buffer.from("AWS4A" + secretAccessKey, "utf8");
  const akid = Buffer.from(accessKeyId, "utf8");
  const one = uint32be(1);
  const bits = uint32be(256);
  for (let counter = 1; counter <= MAX_COUNTER; counter++) {
    const candidate = createHmac("sha256", inputKey)
      .update(one)
      .update(LABEL)
      .update(Buffer.from([0]))
      .update(akid)
      .update(Buffer.from([counter]))
      .update(bits)
      .digest();
    if (Buffer.compare(candidate, P256_N_MINUS_2) <= 0) return plusOne(candidate);
  }
  throw new Error("SigV4a key derivation did not find a scalar below n - 1");
}

const KEY_CACHE_MAX = 1024;
const keyPairs = new Map<string, SigV4aKeyPair>();

/** The SigV4a key pair of an access key, derived once and cached. */
export function deriveSigV4aKeyPair(accessKeyId: string, secretAccessKey: string): SigV4aKeyPair {
  const cacheKey = accessKeyId + "\n" + secretAccessKey;
  const cached = keyPairs.get(cacheKey);
  if (cached !== undefined) return cached;
  const d = deriveSigV4aPrivateScalar(accessKeyId, secretAccessKey);
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 || X || Y
  const x = base64url(point.subarray(1, 33));
  const y = base64url(point.subarray(33, 65));
  const publicKey = createPublicKey({ key: { kty: "EC", crv: "P-256", x, y }, format: "jwk" });
  const privateKey = createPrivateKey({ key: { kty: "EC", crv: "P-256", x, y, d: base64url(d) }, format: "jwk" });
  const pair: SigV4aKeyPair = { d, privateKey, publicKey };
  if (keyPairs.size >= KEY_CACHE_MAX) {
    const oldest = keyPairs.keys().next().value;
    if (oldest !== undefined) keyPairs.delete(oldest);
  }
  keyPairs.set(cacheKey, pair);
  return pair;
}

/** Whether a hex DER ECDSA signature is valid for a string to sign under a public key. */
export function verifyEcdsaHex(publicKey: KeyObject, stringToSign: string, signatureHex: string): boolean {
  if (signatureHex.length === 0 || signatureHex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(signatureHex)) return false;
  try {
    return verify("sha256", Buffer.from(stringToSign, "utf8"), { key: publicKey, dsaEncoding: "der" }, Buffer.from(signatureHex, "hex"));
  } catch {
    return false;
  }
}

/**
 * Verifies a SigV4a request (Authorization header or presigned query) against the key pair
 * derived from `secretAccessKey`. Throws the AwsError AWS answers with; returns the public key
 * and seed signature for a signed chunk stream.
 */
export function verifySigV4a(
  req: SignedRequest,
  auth: ParsedAuth,
  secretAccessKey: string,
  now: Date,
  opts: VerifyOptions = {},
): SigV4aVerification {
  if (auth.kind !== "sigv4a" && auth.kind !== "presigned-sigv4a") {
    throw new TypeError("verifySigV4a: not a SigV4a request; use verifySigV4");
  }
  const dialect = opts.dialect ?? authDialectFor(auth.service);
  // The checks run before the (cached, but first time ~1 ms) key derivation.
  const requestTime = checkSignedRequest(req, auth, now, { dialect, skewNow: opts.skewNow });
  const { publicKey } = deriveSigV4aKeyPair(auth.accessKeyId, secretAccessKey);
  return { ...verifySigV4aSignature(req, auth, publicKey, dialect), requestTime };
}

/**
 * Verifies a SigV4a request against a given public key (a key not derived from a secret access
 * key, as in AWS's published SigV4a test suite, whose signatures were made with fixed keys).
 */
export function verifySigV4aWithPublicKey(
  req: SignedRequest,
  auth: ParsedAuth,
  publicKey: KeyObject,
  now: Date,
  opts: VerifyOptions = {},
): SigV4aVerification {
  const dialect = opts.dialect ?? authDialectFor(auth.service);
  const requestTime = checkSignedRequest(req, auth, now, { dialect, skewNow: opts.skewNow });
  return { ...verifySigV4aSignature(req, auth, publicKey, dialect), requestTime };
}

/** The signature alone (steps 1-5), for a request that already passed `checkSignedRequest`. */
export function verifySigV4aSignature(
  req: SignedRequest,
  auth: ParsedAuth,
  publicKey: KeyObject,
  dialect: AuthDialect,
): { publicKey: KeyObject; seedSignature: string } {
  const canonical: CanonicalOptions = { s3: usesS3UriRules(auth.service), presigned: auth.presigned };
  // Step 1: canonical request; Steps 2-3: string to sign over its hash.
  const canonicalRequest = buildCanonicalRequest(req, auth.signedHeaders, req.payloadHash, canonical);
  const stringToSign = buildStringToSign(auth.algorithm || SIGV4A_ALGORITHM, auth.date, auth.scope, canonicalRequest);
  // Steps 4-5: ECDSA verification instead of an HMAC comparison.
  if (verifyEcdsaHex(publicKey, stringToSign, auth.signature)) {
    return { publicKey, seedSignature: auth.signature.toLowerCase() };
  }
  for (const alt of alternativeCanonicalOptions(req, canonical)) {
    const altRequest = buildCanonicalRequest(req, auth.signedHeaders, req.payloadHash, alt);
    const altStringToSign = buildStringToSign(auth.algorithm || SIGV4A_ALGORITHM, auth.date, auth.scope, altRequest);
    if (verifyEcdsaHex(publicKey, altStringToSign, auth.signature)) {
      return { publicKey, seedSignature: auth.signature.toLowerCase() };
    }
  }
  throw signatureMismatch(dialect, {
    accessKeyId: auth.accessKeyId,
    canonicalRequest,
    stringToSign,
    signatureProvided: auth.signature,
  });
}
