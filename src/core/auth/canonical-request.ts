// The SigV4 canonical request and string to sign, rebuilt from the request as it arrived.
// Shared by SigV4 (HMAC) and SigV4a (ECDSA), which differ only in the scope and the last step.
//
// AWS "Create a signed AWS API request", step 1 (canonical request):
//   CanonicalRequest = HTTPMethod + "\n" + CanonicalURI + "\n" + CanonicalQueryString + "\n"
//                    + CanonicalHeaders + "\n" + SignedHeaders + "\n" + HashedPayload
// and step 3 (string to sign):
//   StringToSign = Algorithm + "\n" + RequestDateTime + "\n" + CredentialScope + "\n" + Hex(SHA256(CanonicalRequest))
//
// S3 differs in the canonical URI only: the path is URI-encoded once and never normalized
// (an object named `a//b/../c` is signed as is); every other service normalizes the path
// (RFC 3986 dot segments, empty segments dropped) and URI-encodes the already-encoded path
// again ("double encoding").
import { hash } from "node:crypto";
import { HAS_DIRECT_METHODS, type DirectBuffer } from "../http/direct-buffer.js";
import { type HeaderMap, headerValue } from "./parse-authorization.js";
import { isSha256Hex } from "../http/hex.js";

export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
export const STREAMING_SIGNED_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_SIGNED_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
export const STREAMING_ECDSA_PAYLOAD = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
export const STREAMING_ECDSA_PAYLOAD_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";

/** The parts of a request a signature covers, as they arrived. */
export interface AuthRequest {
  method: string;
  /** The path as sent, still percent-encoded, without the query. */
  rawPath: string;
  /** The query string as sent, after '?', still percent-encoded ("" when none). */
  rawQuery: string;
  /**
   * Request headers with lower-cased names. SigV4 joins the values of a header sent several
   * times with "," and no space; pass such a header as an array (node's `req.headersDistinct`)
   * or joined with "," (node's `req.headers` joins with ", ", which only matters for a signed
   * header actually sent twice).
   */
  headers: HeaderMap;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const NEEDS_EXTRA = /[!'()*]/g;

function hexEscape(c: string): string {
  return "%" + c.charCodeAt(0).toString(16).toUpperCase();
}

/**
 * SigV4 UriEncode: every byte but the unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX
 * (upper-case hex), '/' included.
 */
export function uriEncode(s: string): string {
  if (UNRESERVED.test(s)) return s;
  let encoded: string;
  try {
    encoded = encodeURIComponent(s);
  } catch {
    // A lone surrogate: encode what can be, byte for byte, as UTF-8 would not exist for it.
    encoded = Array.from(s, (c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return "%EF%BF%BD";
      }
    }).join("");
  }
  return encoded.replace(NEEDS_EXTRA, hexEscape);
}

function decodeComponent(s: string, plusAsSpace: boolean): string {
  if (plusAsSpace && s.indexOf("+") >= 0) s = s.replace(/\+/g, " ");
  if (s.indexOf("%") < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const CANONICAL_PATH = /^[A-Za-z0-9\-._~/]*$/;

/**
 * The canonical URI.
 * - S3 (`s3: true`): the path segments decoded and URI-encoded once, '/' kept, nothing removed.
 *   With `asSent: true` the raw path is used verbatim (a fallback for clients that sign the path
 *   exactly as they send it even where it is not canonically encoded).
 * - Other services: dot segments and empty segments removed, then every character of the
 *   (already encoded) path URI-encoded again, '/' kept.
 */
export function canonicalUri(rawPath: string, s3: boolean, asSent = false): string {
  if (rawPath.length === 0 || rawPath === "/") return "/";
  if (s3) {
    if (asSent || CANONICAL_PATH.test(rawPath)) return rawPath;
    const segments = rawPath.split("/");
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (seg.length > 0) segments[i] = uriEncode(decodeComponent(seg, false));
    }
    return segments.join("/");
  }
  const kept: string[] = [];
  for (const seg of rawPath.split("/")) {
    if (seg.length === 0 || seg === ".") continue;
    if (seg === "..") kept.pop();
    else kept.push(seg);
  }
  const lead = rawPath.charCodeAt(0) === 47 /* / */ ? "/" : "";
  const trail = kept.length > 0 && rawPath.charCodeAt(rawPath.length - 1) === 47 ? "/" : "";
  for (let i = 0; i < kept.length; i++) kept[i] = uriEncode(kept[i]);
  return lead + kept.join("/") + trail;
}

/**
 * The canonical query string: each name and value decoded, URI-encoded ('/' too), sorted by
 * name then value; X-Amz-Signature left out of presigned requests.
 * @param plusAsSpace whether a raw '+' means a space (form encoding, the default) or a plus
 */
export function canonicalQuery(rawQuery: string, presigned: boolean, plusAsSpace = true): string {
  if (rawQuery.length === 0) return "";
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (part.length === 0) continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const key = decodeComponent(rawKey, plusAsSpace);
    if (presigned && key === "X-Amz-Signature") continue;
    const value = eq < 0 ? "" : decodeComponent(part.slice(eq + 1), plusAsSpace);
    pairs.push([uriEncode(key), uriEncode(value)]);
  }
  if (pairs.length > 1) pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let out = "";
  for (let i = 0; i < pairs.length; i++) out += (i === 0 ? "" : "&") + pairs[i][0] + "=" + pairs[i][1];
  return out;
}

/** Leading or trailing whitespace, a run of two, or any whitespace but a space (the replace below makes it one). */
const NEEDS_TRIM = /^\s|\s$|\s\s|[^\S ]/;

/** A header value as SigV4 signs it (the JS SDK's `value.trim().replace(/\s+/g, " ")`): trimmed, runs of whitespace collapsed to one space. */
export function canonicalHeaderValue(value: string): string {
  if (!NEEDS_TRIM.test(value)) return value;
  return value.replace(/\s+/g, " ").trim();
}

/**
 * What is kept per signed-header list (parse-authorization.ts shares one array per distinct
 * list, so a client's requests find theirs): the pieces the canonical headers are joined from,
 * and per header the last value that needed no trimming. A client sends most of its signed
 * headers with the same value on every request (host, user-agent, content-type, x-amz-target):
 * comparing with the last clean value (a length check and a memcmp) is cheaper than testing
 * it with NEEDS_TRIM again (perf in the gateway: the ten tests of an SQS request's values were
 * ~0.8 µs of ~10 for the whole verification).
 */
interface HeaderListForm {
  /** `name:` for the first header, `\nname:` for each other one: one piece per header. */
  readonly pieces: string[];
  /** What follows the last value up to the payload hash: its newline, the blank line, SignedHeaders and a newline. */
  readonly tail: string;
  /** Per header, the last value seen that canonicalHeaderValue leaves as it is ("" before any). */
  readonly clean: string[];
}
const headerListForms = new WeakMap<readonly string[], HeaderListForm>();

function headerListForm(signedHeaders: readonly string[]): HeaderListForm {
  let form = headerListForms.get(signedHeaders);
  if (form === undefined) {
    const n = signedHeaders.length;
    form = {
      pieces: signedHeaders.map((name, i) => oneByte((i === 0 ? "" : "\n") + name + ":")),
      tail: oneByte((n > 0 ? "\n\n" : "\n") + signedHeadersLine(signedHeaders) + "\n"),
      clean: new Array<string>(n).fill(""),
    };
    headerListForms.set(signedHeaders, form);
  }
  return form;
}

/** Header i's value as canonicalHeaderValue makes it ("" when not sent; a repeated header's values joined with ","). */
function headerValueAt(form: HeaderListForm, i: number, v: string | readonly string[] | undefined): string {
  if (v === undefined) return "";
  if (typeof v !== "string") return v.map(canonicalHeaderValue).join(",");
  if (v === form.clean[i]) return v;
  if (NEEDS_TRIM.test(v)) return v.replace(/\s+/g, " ").trim();
  form.clean[i] = v;
  return v;
}

/** `name:value\n` for each signed header, in the SignedHeaders order. */
export function canonicalHeaders(headers: AuthRequest["headers"], signedHeaders: readonly string[]): string {
  const form = headerListForm(signedHeaders);
  const pieces = form.pieces;
  let out = "";
  for (let i = 0; i < pieces.length; i++) out = out + pieces[i] + headerValueAt(form, i, headers[signedHeaders[i]]);
  return pieces.length > 0 ? out + "\n" : out;
}

/**
 * The SignedHeaders line ("host;x-amz-date"), once per list (parse-authorization.ts shares one
 * array per distinct list). Made a flat one-byte string on purpose: Array.prototype.join over
 * the list's names (thin strings once V8 has used them as property keys) answers a two-byte
 * string, and one two-byte piece makes the whole canonical request two-byte, which crypto.hash
 * then converts to UTF-8 the slow way (measured with perf in the gateway: ~2 µs per request).
 */
const signedHeaderLines = new WeakMap<readonly string[], string>();
const NOT_LATIN1 = /[^\u0000-\u00ff]/;

/** The same string, flat and one-byte when it can be (see signedHeadersLine). */
function oneByte(s: string): string {
  return NOT_LATIN1.test(s) ? s : Buffer.from(s, "latin1").toString("latin1");
}

export function signedHeadersLine(signedHeaders: readonly string[]): string {
  let line = signedHeaderLines.get(signedHeaders);
  if (line === undefined) {
    line = oneByte(signedHeaders.join(";"));
    signedHeaderLines.set(signedHeaders, line);
  }
  return line;
}

export interface CanonicalOptions {
  s3: boolean;
  presigned: boolean;
  /** S3 only: sign the path exactly as sent instead of its canonical encoding. */
  pathAsSent?: boolean;
  /** Treat '+' in the query as a literal plus rather than a space. */
  plusAsPlus?: boolean;
}

/** Step 1: the canonical request. */
export function buildCanonicalRequest(
  req: AuthRequest,
  signedHeaders: readonly string[],
  payloadHash: string,
  opts: CanonicalOptions,
): string {
  let out = req.method + "\n" + canonicalUri(req.rawPath, opts.s3, opts.pathAsSent === true) + "\n";
  if (req.rawQuery.length > 0) out += canonicalQuery(req.rawQuery, opts.presigned, opts.plusAsPlus !== true);
  out += "\n";
  // The canonical headers (canonicalHeaders), then the tail through the SignedHeaders line.
  const form = headerListForm(signedHeaders);
  const pieces = form.pieces;
  const headers = req.headers;
  for (let i = 0; i < pieces.length; i++) out = out + pieces[i] + headerValueAt(form, i, headers[signedHeaders[i]]);
  return out + form.tail + payloadHash;
}

/** Where canonical requests are encoded before hashing (reused: hashing is synchronous). */
const SCRATCH = Buffer.allocUnsafeSlow(16 * 1024) as DirectBuffer;
let scratchView: Buffer | undefined;

/**
 * Hex SHA-256 (strings as UTF-8). One-shot crypto.hash: no Hash object per call. A string is
 * first written into a reusable buffer: given the string, crypto.hash measures its UTF-8 length
 * (one more pass over it) and encodes it into storage of its own (perf in the gateway: a third of
 * the canonical request's hashing; valgrind: 1,900 instructions less per request).
 */
export function sha256Hex(data: string | Buffer): string {
  if (typeof data !== "string" || !HAS_DIRECT_METHODS || data.length * 3 > SCRATCH.length) return hash("sha256", data, "hex");
  const n = SCRATCH.utf8Write(data, 0);
  // A run of requests of one client has canonical requests of one length: the view is reused.
  let v = scratchView;
  if (v === undefined || v.length !== n) scratchView = v = SCRATCH.subarray(0, n);
  return hash("sha256", v, "hex");
}

/**
 * The hex SHA-256 of a request body, for a request that signs it without sending
 * x-amz-content-sha256 (boto3 and the aws CLI outside S3): one crypto.hash call (createHash
 * made a Hash object per request and measured several times its cost), none for an empty body.
 */
export function payloadSha256(body: Buffer): string {
  return body.length === 0 ? EMPTY_SHA256 : hash("sha256", body, "hex");
}

/** Steps 2 and 3: hash the canonical request and build the string to sign. */
export function buildStringToSign(algorithm: string, date: string, scope: string, canonicalRequest: string): string {
  return algorithm + "\n" + date + "\n" + scope + "\n" + sha256Hex(canonicalRequest);
}

/**
 * The other canonical forms worth trying before refusing a signature: the S3 path exactly as
 * sent, and a '+' in the query read as a plus. Only computed after the canonical form failed.
 */
export function alternativeCanonicalOptions(req: AuthRequest, opts: CanonicalOptions): CanonicalOptions[] {
  const out: CanonicalOptions[] = [];
  const pathDiffers = opts.s3 && canonicalUri(req.rawPath, true, false) !== canonicalUri(req.rawPath, true, true);
  const hasPlus = req.rawQuery.indexOf("+") >= 0;
  if (pathDiffers) out.push({ ...opts, pathAsSent: true });
  if (hasPlus) out.push({ ...opts, plusAsPlus: true });
  if (pathDiffers && hasPlus) out.push({ ...opts, pathAsSent: true, plusAsPlus: true });
  return out;
}

/**
 * The payload hash a request claims for its canonical request, without reading the body:
 * `x-amz-content-sha256` when sent; for a presigned request the X-Amz-Content-Sha256 query
 * parameter, else `UNSIGNED-PAYLOAD`; else undefined: the caller must hash the body (boto3 and
 * the aws CLI sign SHA-256(body) without sending the header outside S3).
 */
export function claimedPayloadHash(headers: AuthRequest["headers"], presigned: boolean, queryContentSha256?: string): string | undefined {
  const h = headerValue(headers, "x-amz-content-sha256");
  if (h !== undefined) return h;
  if (!presigned) return undefined;
  return queryContentSha256 ?? UNSIGNED_PAYLOAD;
}

const PAYLOAD_KEYWORDS = new Set([
  UNSIGNED_PAYLOAD,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  STREAMING_ECDSA_PAYLOAD,
  STREAMING_ECDSA_PAYLOAD_TRAILER,
]);

/** Whether an x-amz-content-sha256 value is one S3 accepts: a keyword or 64 hex digits. */
export function isValidPayloadHashClaim(value: string): boolean {
  return PAYLOAD_KEYWORDS.has(value) || isSha256Hex(value);
}
