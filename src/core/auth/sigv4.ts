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
// Runs on every signed request, so each step is kept to the fewest native calls and
// allocations (measured in the gateway with bench/iam.mjs): the derived signing key is cached
// per (secret, scope) together with its HMAC pad blocks already laid out in two reusable
// buffers; the canonical request is one string hashed by one crypto.hash call (assembling it in
// a Buffer instead cost a native call per piece: measured slower); the HMAC of the string to
// sign is two more one-shot crypto.hash calls over those buffers (hmacHex below says why not
// createHmac or JavaScript).
import { createHmac, hash } from "node:crypto";
import { type AuthDialect, authDialectFor, signatureMismatch } from "./auth-errors.js";
import {
  type AuthRequest,
  type CanonicalOptions,
  alternativeCanonicalOptions,
  buildCanonicalRequest,
  buildStringToSign,
  sha256Hex,
} from "./canonical-request.js";
import { type ParsedAuth, SIGV4_ALGORITHM } from "./parse-authorization.js";
import { checkSignedRequest } from "./request-checks.js";
import { hmacPads } from "./hmac-pads.js";

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

/**
 * A derived signing key ready to sign: kSigning, and its HMAC pad blocks (RFC 2104: the key,
 * zero-padded to 64 bytes, XOR 0x36 and 0x5c) at the start of two buffers the message and the
 * inner digest are written after.
 */
export interface SigningKey {
  readonly key: Buffer;
  /** ipad block, then room for a string to sign of up to INNER_ROOM UTF-8 bytes. */
  readonly inner: Buffer;
  /** opad block, then the 32-byte inner digest. */
  readonly outer: Buffer;
  /** The last view of `inner` hashed (hmacHex). */
  view?: Buffer;
  /** The string to sign up to the canonical request's hash, for the last request date seen (signCanonicalHash). */
  stsDate?: string;
  stsAlgorithm?: string;
  stsScope?: string;
  stsPrefix?: string;
  /** UTF-8 length of stsPrefix while it is still written after the ipad block (hmacHex overwrites it). */
  stsBytes?: number;
}

const BLOCK = 64;
/** Strings to sign are ~140 bytes (request) and ~240 (chunk); longer ones go through createHmac. */
const INNER_ROOM = 448;
const SIGNING_KEY_CACHE_MAX = 4096;
/** secret -> scope ("20260101/us-east-1/sqs/aws4_request") -> key. */
const signingKeys = new Map<string, Map<string, SigningKey>>();
let signingKeyCount = 0;
/** kSigning buffer -> its SigningKey, for callers that hold only the buffer (chunk signatures). */
const byBuffer = new WeakMap<Buffer, SigningKey>();

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

function prepare(kSigning: Buffer): SigningKey {
  const { inner, outer } = hmacPads(kSigning, INNER_ROOM);
  const prepared: SigningKey = { key: kSigning, inner, outer, view: undefined, stsDate: undefined, stsAlgorithm: undefined, stsScope: undefined, stsPrefix: undefined, stsBytes: undefined };
  byBuffer.set(kSigning, prepared);
  return prepared;
}

/**
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
 * cached per (secret, scope): one key signs every request of a day.
 */
export function signingKeyFor(secretAccessKey: string, scope: string, date: string, region: string, service: string): SigningKey {
  let scopes = signingKeys.get(secretAccessKey);
  const cached = scopes?.get(scope);
  if (cached !== undefined) return cached;
  const kDate = hmac("AWS4" + secretAccessKey, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const prepared = prepare(hmac(kService, "aws4_request"));
  if (signingKeyCount >= SIGNING_KEY_CACHE_MAX) {
    signingKeys.clear();
    signingKeyCount = 0;
    scopes = undefined;
  }
  if (scopes === undefined) signingKeys.set(secretAccessKey, (scopes = new Map()));
  scopes.set(scope, prepared);
  signingKeyCount++;
  return prepared;
}

/** kSigning for (secret, date, region, service) (the SigV4 scope is `date/region/service/aws4_request`). */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return signingKeyFor(secretAccessKey, `${date}/${region}/${service}/aws4_request`, date, region, service).key;
}

/** Forgets every cached signing key (a secret was deleted or rotated). */
export function clearSigningKeyCache(): void {
  signingKeys.clear();
  signingKeyCount = 0;
}

// ---- Step 4b and 5: the signature ----------------------------------------------------------------

/** Buffer's unchecked writers (no encoding or argument parsing; what `write` ends up calling). */
type FastWrite = Buffer & { utf8Write(s: string, offset: number): number; latin1Write(s: string, offset: number): number };
const FAST_WRITE = typeof (Buffer.prototype as Partial<FastWrite>).utf8Write === "function" && typeof (Buffer.prototype as Partial<FastWrite>).latin1Write === "function";

/**
 * Hex HMAC-SHA256 of a string to sign: SHA-256(opad || SHA-256(ipad || message)), as two
 * one-shot crypto.hash calls over the key's pad buffers. Measured per request in the gateway
 * (bench/iam.mjs) against createHmac (an Hmac object, the key copied, a Buffer made for the
 * digest: node's Buffer::New takes V8's slow prototype path) and against SHA-256 in
 * JavaScript (the pad states precomputed, ~0.5 µs per 64-byte block in V8 where OpenSSL's SHA
 * extensions take a few ns, plus the hex string built by hand): this is the cheapest of the
 * three. The inner digest travels as a 32-character latin1 string, cheaper than a Buffer or hex.
 */
export function hmacHex(k: SigningKey, message: string): string {
  // UTF-8 is at most 3 bytes per UTF-16 unit: a message that might not fit takes createHmac.
  if (message.length * 3 > INNER_ROOM) return createHmac("sha256", k.key).update(message, "utf8").digest("hex");
  const inner = k.inner as FastWrite;
  const outer = k.outer as FastWrite;
  k.stsBytes = undefined;
  if (FAST_WRITE) {
    const n = inner.utf8Write(message, BLOCK);
    outer.latin1Write(hash("sha256", innerView(k, BLOCK + n), "binary"), BLOCK);
  } else {
    const n = inner.write(message, BLOCK, "utf8");
    outer.write(hash("sha256", innerView(k, BLOCK + n), "binary"), BLOCK, "latin1");
  }
  return hash("sha256", outer, "hex");
}

/**
 * Steps 3 and 4 together: the HMAC of the string to sign (algorithm, request date, scope, and
 * `canonicalHash`, the hex SHA-256 of the canonical request), written straight after the key's
 * ipad block without being built as a string (only a SignatureDoesNotMatch shows it). Its first
 * three lines are the same for every request of a second under one key: they are written once
 * and stay in the buffer until the date changes or hmacHex overwrites them, so a request writes
 * only its 64 hex digits.
 */
export function signCanonicalHash(k: SigningKey, algorithm: string, date: string, canonicalHash: string, scope: string): string {
  if (k.stsDate !== date || k.stsAlgorithm !== algorithm || k.stsScope !== scope || k.stsPrefix === undefined) {
    k.stsPrefix = algorithm + "\n" + date + "\n" + scope + "\n";
    k.stsDate = date;
    k.stsAlgorithm = algorithm;
    k.stsScope = scope;
    k.stsBytes = undefined;
  }
  const prefix = k.stsPrefix;
  if (!FAST_WRITE || canonicalHash.length !== 64 || prefix.length * 3 + 64 > INNER_ROOM) return hmacHex(k, prefix + canonicalHash);
  const inner = k.inner as FastWrite;
  let n = k.stsBytes;
  if (n === undefined) k.stsBytes = n = inner.utf8Write(prefix, BLOCK);
  // Hex digits: one byte each.
  inner.latin1Write(canonicalHash, BLOCK + n);
  (k.outer as FastWrite).latin1Write(hash("sha256", innerView(k, BLOCK + n + 64), "binary"), BLOCK);
  return hash("sha256", k.outer, "hex");
}

/** The first `length` bytes of the key's inner buffer; a string to sign keeps its length all day (same scope), so the view is reused. */
function innerView(k: SigningKey, length: number): Buffer {
  let v = k.view;
  if (v === undefined || v.length !== length) k.view = v = k.inner.subarray(0, length);
  return v;
}

/** Hex HMAC-SHA256 of a string to sign under a signing key (deriveSigningKey's Buffer). */
export function signString(signingKey: Buffer, stringToSign: string): string {
  return hmacHex(byBuffer.get(signingKey) ?? prepare(signingKey), stringToSign);
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
  // The scope names (date, region, service) once checkScope has seen its five parts end in aws4_request.
  const scope = auth.scopeParts === 5 && auth.terminal === "aws4_request" ? auth.scope : `${auth.scopeDate}/${auth.region}/${auth.service}/aws4_request`;
  const k = signingKeyFor(secretAccessKey, scope, auth.scopeDate, auth.region, auth.service);
  const signingKey = k.key;
  const canonical: CanonicalOptions = { s3: usesS3UriRules(auth.service), presigned: auth.presigned };
  const algorithm = auth.algorithm || SIGV4_ALGORITHM;
  // Step 1: the canonical request. Step 2: its hash.
  const canonicalRequest = buildCanonicalRequest(req, auth.signedHeaders, req.payloadHash, canonical);
  const canonicalHash = sha256Hex(canonicalRequest);
  // Steps 3-4: the signature of the string to sign.
  const signature = signCanonicalHash(k, algorithm, auth.date, canonicalHash, auth.scope);
  // Step 5: compare with the one the request carries.
  if (signaturesEqual(signature, auth.signature)) return { signingKey, seedSignature: signature };

  // Before refusing, the canonical forms clients are known to sign instead (S3 path as sent, '+' as plus).
  for (const alt of alternativeCanonicalOptions(req, canonical)) {
    const altRequest = buildCanonicalRequest(req, auth.signedHeaders, req.payloadHash, alt);
    const altSignature = hmacHex(k, buildStringToSign(algorithm, auth.date, auth.scope, altRequest));
    if (signaturesEqual(altSignature, auth.signature)) return { signingKey, seedSignature: altSignature };
  }
  throw signatureMismatch(dialect, {
    accessKeyId: auth.accessKeyId,
    canonicalRequest,
    stringToSign: buildStringToSign(algorithm, auth.date, auth.scope, canonicalRequest),
    signatureProvided: auth.signature,
  });
}
