// What a request claims about its credentials, read from the Authorization header or the
// presigned query, without verifying anything and without reading the body. The gateway's
// router reads `service` (the credential scope's signing name) and `region` from it on every
// request, so this is string slicing only: no regex over the whole request, no hashing, and it
// never throws. Faults in the claim are recorded in `malformed` and reported by verification
// (`request-checks.ts`) in the wording of the service that was routed to.
//
// Forms recognised (AWS "Authenticating Requests" for S3 and the SigV4 / SigV4a reference):
//   Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>
//   Authorization: AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=..., Signature=<hex DER>
//     (SigV4a: the scope names no region; the regions are in X-Amz-Region-Set)
//   ?X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Date=...&X-Amz-Expires=...&X-Amz-SignedHeaders=...&X-Amz-Signature=...
//   Authorization: AWS AKID:signature            (legacy SigV2: the key is reported, never verified)
//   ?AWSAccessKeyId=AKID&Expires=...&Signature=... (legacy SigV2 presigned)
//   nothing at all                                (anonymous)

export type AuthKind =
  | "sigv4"
  | "sigv4a"
  | "presigned-sigv4"
  | "presigned-sigv4a"
  | "sigv2"
  | "presigned-sigv2"
  | "anonymous"
  /** An Authorization header (or X-Amz-Algorithm) naming no algorithm AWS knows. */
  | "invalid";

export type AuthMalformation =
  /** "AWS4-HMAC-SHA256" with nothing after it. */
  | { reason: "no-space" }
  /** An algorithm that is none of AWS4-HMAC-SHA256, AWS4-ECDSA-P256-SHA256, AWS. */
  | { reason: "unsupported-algorithm" }
  /** Credential / SignedHeaders / Signature missing from the header. */
  | { reason: "missing-components"; missing: string[] }
  /** Presigned query without one of the six X-Amz-* parameters. */
  | { reason: "missing-query-parameters"; missing: string[] }
  /** SigV2 header that is not `AWS <key>:<signature>`. */
  | { reason: "sigv2-format" };

export interface ParsedAuth {
  kind: AuthKind;
  /** The algorithm as sent (AWS4-HMAC-SHA256, AWS4-ECDSA-P256-SHA256, AWS); "" when anonymous. */
  algorithm: string;
  accessKeyId: string;
  /** The whole credential as sent: `<akid>/<scope>`. */
  credential: string;
  /** The credential scope: `20260101/us-east-1/sqs/aws4_request` (SigV4a: `20260101/s3/aws4_request`). */
  scope: string;
  /** Number of slash-delimited elements of the credential (5 for SigV4, 4 for SigV4a). */
  scopeParts: number;
  /** yyyymmdd of the scope. */
  scopeDate: string;
  /**
   * SigV4: the scope's region. SigV4a: the first region of X-Amz-Region-Set that names one region
   * (no wildcard), else "" and the gateway uses its default region.
   */
  region: string;
  /** The scope's service, i.e. the signing name (sqs, s3, monitoring, ...). */
  service: string;
  /** The scope's terminator; "aws4_request" when well formed. */
  terminal: string;
  /** Request time in ISO-8601 basic format (20260101T000000Z); "" when absent or unreadable. */
  date: string;
  /** The request time as sent (x-amz-date, else Date, else X-Amz-Date); "" when absent. */
  rawDate: string;
  /** Lower-cased signed header names, in the order sent. */
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Expires (presigned SigV4/SigV4a) or Expires (presigned SigV2), when numeric. */
  expires?: number;
  /** X-Amz-Expires / Expires as sent. */
  rawExpires?: string;
  securityToken?: string;
  /** Presigned: the X-Amz-Content-Sha256 query parameter (the SDK hoists the payload hash there). */
  queryContentSha256?: string;
  /** SigV4a: X-Amz-Region-Set, split on commas. */
  regionSet?: string[];
  /** The Authorization header as sent (error messages quote it). */
  authorization?: string;
  /** True for the presigned kinds. */
  presigned: boolean;
  /** An Authorization header and a presigned query both present (S3 refuses this). */
  conflictingMechanisms?: boolean;
  malformed?: AuthMalformation;
}

/**
 * Request headers with lower-cased names, as node's `req.headers` gives them. A header sent
 * several times may be an array (or, as node joins most, one string); SigV4 signs repeated values
 * joined with ",".
 */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One header's value, repeated values joined with "," as SigV4 canonicalizes them. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return v === undefined || typeof v === "string" ? v : v.join(",");
}

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
export const SIGV4A_ALGORITHM = "AWS4-ECDSA-P256-SHA256";

const PRESIGN_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"] as const;

function empty(kind: AuthKind): ParsedAuth {
  // authorization and securityToken are in the literal (undefined until set): every header
  // parse sets them, and a member added after the literal was a shape transition and a
  // property array allocated per request.
  return {
    authorization: undefined,
    securityToken: undefined,
    kind,
    algorithm: "",
    accessKeyId: "",
    credential: "",
    scope: "",
    scopeParts: 0,
    scopeDate: "",
    region: "",
    service: "",
    terminal: "",
    date: "",
    rawDate: "",
    signedHeaders: [],
    signature: "",
    presigned: false,
  };
}

function decode(s: string): string {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** The authentication parameters of a query string (X-Amz-*, AWSAccessKeyId, Signature, Expires), decoded. */
function authQueryParams(rawQuery: string | ReadonlyMap<string, string>): Record<string, string> | undefined {
  if (typeof rawQuery !== "string") {
    let fromMap: Record<string, string> | undefined;
    for (const [key, value] of rawQuery) {
      if (key.startsWith("X-Amz-") || key === "AWSAccessKeyId" || key === "Signature" || key === "Expires") (fromMap ??= {})[key] = value;
    }
    return fromMap;
  }
  if (rawQuery.length === 0) return undefined;
  if (rawQuery.indexOf("X-Amz-") < 0 && rawQuery.indexOf("AWSAccessKeyId") < 0 && rawQuery.indexOf("Signature") < 0) return undefined;
  let out: Record<string, string> | undefined;
  for (const part of rawQuery.split("&")) {
    if (part.length === 0) continue;
    const eq = part.indexOf("=");
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    if (key.startsWith("X-Amz-") || key === "AWSAccessKeyId" || key === "Signature" || key === "Expires") {
      out ??= {};
      if (!(key in out)) out[key] = eq < 0 ? "" : decode(part.slice(eq + 1));
    }
  }
  return out;
}

/** /^\d{8}T\d{6}Z$/ as a loop: every signed request's x-amz-date goes through it, and the regex showed in profiles. */
function isIsoBasic(v: string): boolean {
  if (v.length !== 16 || v.charCodeAt(8) !== 0x54 /* T */ || v.charCodeAt(15) !== 0x5a /* Z */) return false;
  for (let i = 0; i < 15; i++) {
    if (i === 8) continue;
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The request time in ISO-8601 basic format, from the basic form itself or an HTTP date; "" if unreadable. */
export function normalizeAmzDate(raw: string): string {
  if (isIsoBasic(raw)) return raw;
  if (raw.length === 0) return "";
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) return "";
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.000Z
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + "T" + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + "Z";
}

/** The last time amzDateToMs read: a busy client sends the same x-amz-date for a whole second. */
let lastAmzDate = "";
let lastAmzMs = NaN;

/** Milliseconds since the epoch of an ISO-8601 basic time (20260101T000000Z); NaN if invalid. */
export function amzDateToMs(date: string): number {
  if (date === lastAmzDate) return lastAmzMs;
  const ms = parseAmzDate(date);
  lastAmzDate = date;
  lastAmzMs = ms;
  return ms;
}

function parseAmzDate(date: string): number {
  if (!isIsoBasic(date)) return NaN;
  const y = +date.slice(0, 4);
  const mo = +date.slice(4, 6);
  const d = +date.slice(6, 8);
  const h = +date.slice(9, 11);
  const mi = +date.slice(11, 13);
  const s = +date.slice(13, 15);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 20260231 over to March; refuse dates that do not exist.
  if (new Date(ms).getUTCDate() !== d) return NaN;
  return ms;
}

function applyCredential(out: ParsedAuth, credential: string, sigv4a: boolean): void {
  out.credential = credential;
  const parts = credential.split("/");
  out.scopeParts = parts.length;
  out.accessKeyId = parts[0] ?? "";
  out.scope = credential.length > out.accessKeyId.length ? credential.slice(out.accessKeyId.length + 1) : "";
  out.scopeDate = parts[1] ?? "";
  if (sigv4a) {
    out.service = parts[2] ?? "";
    out.terminal = parts[3] ?? "";
  } else {
    out.region = parts[2] ?? "";
    out.service = parts[3] ?? "";
    out.terminal = parts[4] ?? "";
  }
}

function applyRegionSet(out: ParsedAuth, raw: string | undefined): void {
  if (raw === undefined) return;
  const set = raw.split(",").map((r) => r.trim()).filter((r) => r.length > 0);
  out.regionSet = set;
  const concrete = set.find((r) => r.indexOf("*") < 0);
  out.region = concrete ?? "";
}

/**
 * SignedHeaders lists, split once per distinct list (a client sends the same few lists on
 * every request). Besides the split, the names then stay the same string objects, which V8
 * resolves to its internalized keys once: verification reads `headers[name]` for each, and a
 * fresh string per request made every such read a string-table lookup.
 * The arrays are shared: readers must not modify them.
 */
const signedHeaderLists = new Map<string, string[]>();
const SIGNED_HEADER_LISTS_MAX = 256;

function splitSignedHeaders(raw: string): string[] {
  if (raw.length === 0) return [];
  let list = signedHeaderLists.get(raw);
  if (list === undefined) {
    list = raw.toLowerCase().split(";").filter((h) => h.length > 0);
    if (signedHeaderLists.size >= SIGNED_HEADER_LISTS_MAX) signedHeaderLists.clear();
    signedHeaderLists.set(raw, list);
  }
  return list;
}

/**
 * What an Authorization header's text up to ", Signature=" says, for the well-formed SigV4 and
 * SigV4a headers: a client sends the same Credential and SignedHeaders on every request of a
 * day, region and operation family, so they are split once per distinct prefix. Only the
 * parse is shared; verification recomputes everything from the request as before.
 */
interface HeaderAuthPrefix {
  kind: "sigv4" | "sigv4a";
  algorithm: string;
  credential: string;
  scopeParts: number;
  accessKeyId: string;
  scope: string;
  scopeDate: string;
  region: string;
  service: string;
  terminal: string;
  signedHeaders: string[];
}
const headerPrefixes = new Map<string, HeaderAuthPrefix>();
/**
 * The prefix found last: a client's requests repeat it, and comparing with it (a length check,
 * then the characters) is cheaper than the Map's lookup, which hashes the ~270 characters of a
 * fresh string on every request.
 */
let lastPrefix = "";
let lastPrefixEntry: HeaderAuthPrefix | undefined;
const HEADER_PREFIXES_MAX = 256;
const SIGNATURE_PART = ", Signature=";

function parseHeaderAuth(authorization: string, headers: HeaderMap): ParsedAuth {
  // 1. The text after the last ", Signature=" is the signature when it holds no comma (it is
  //    then the header's last component) and is not blank; the prefix before it was parsed
  //    (and found to name no Signature of its own) when it is in the cache.
  const at = signaturePartAt(authorization);
  if (at > 0) {
    const signature = authorization.slice(at + SIGNATURE_PART.length).trim();
    if (signature.length > 0 && signature.indexOf(",") < 0) {
      const prefix = authorization.slice(0, at + 2);
      if (lastPrefixEntry !== undefined && prefix === lastPrefix) return fromPrefix(lastPrefixEntry, authorization, signature, headers);
      const cached = headerPrefixes.get(prefix);
      if (cached !== undefined) {
        lastPrefix = prefix;
        lastPrefixEntry = cached;
        return fromPrefix(cached, authorization, signature, headers);
      }
      const parsed = parseHeaderAuthText(prefix, headers);
      // 2. Cached only when the prefix alone lacks exactly the Signature: then prefix + any
      //    signature parses as the prefix's parts plus that signature (the full parse's rule).
      const m = parsed.malformed;
      if ((parsed.kind === "sigv4" || parsed.kind === "sigv4a") && m?.reason === "missing-components" && m.missing.length === 1 && m.missing[0] === "Signature") {
        if (headerPrefixes.size >= HEADER_PREFIXES_MAX) {
          headerPrefixes.clear();
          lastPrefixEntry = undefined;
        }
        const p: HeaderAuthPrefix = {
          kind: parsed.kind,
          algorithm: parsed.algorithm,
          credential: parsed.credential,
          scopeParts: parsed.scopeParts,
          accessKeyId: parsed.accessKeyId,
          scope: parsed.scope,
          scopeDate: parsed.scopeDate,
          region: parsed.kind === "sigv4a" ? "" : parsed.region,
          service: parsed.service,
          terminal: parsed.terminal,
          signedHeaders: parsed.signedHeaders,
        };
        headerPrefixes.set(prefix, p);
        return fromPrefix(p, authorization, signature, headers);
      }
    }
  }
  return parseHeaderAuthText(authorization, headers);
}

/**
 * authorization.lastIndexOf(", Signature="), looked for first where a SigV4 signature (64 hex
 * digits) puts it: String.prototype.lastIndexOf is a call into the runtime (a quarter of
 * parseHeaderAuth's samples in perf). The guess is the last occurrence when the text after it
 * holds no comma (every occurrence holds one); otherwise the search decides.
 */
function signaturePartAt(authorization: string): number {
  const guess = authorization.length - SIGNATURE_PART.length - 64;
  if (guess > 0 && authorization.startsWith(SIGNATURE_PART, guess) && authorization.indexOf(",", guess + 1) < 0) return guess;
  return authorization.lastIndexOf(SIGNATURE_PART);
}

/** A ParsedAuth from a cached prefix: the per-request parts (date, token, region set) read as parseHeaderAuthText reads them. */
function fromPrefix(p: HeaderAuthPrefix, authorization: string, signature: string, headers: HeaderMap): ParsedAuth {
  const out = empty(p.kind);
  out.algorithm = p.algorithm;
  out.authorization = authorization;
  // The headers read here, not through headerValue: a load in a helper shared by every
  // header name is megamorphic (perf: KeyedLoadIC_Megamorphic in parseHeaderAuth), a load of
  // a constant name here keeps its own feedback.
  const amzDate = headers["x-amz-date"];
  out.rawDate = (amzDate === undefined || typeof amzDate === "string" ? amzDate : amzDate.join(",")) ?? headerValue(headers, "date") ?? "";
  out.date = normalizeAmzDate(out.rawDate);
  const token = headers["x-amz-security-token"];
  out.securityToken = token === undefined || typeof token === "string" ? token : token.join(",");
  out.credential = p.credential;
  out.scopeParts = p.scopeParts;
  out.accessKeyId = p.accessKeyId;
  out.scope = p.scope;
  out.scopeDate = p.scopeDate;
  out.region = p.region;
  out.service = p.service;
  out.terminal = p.terminal;
  out.signedHeaders = p.signedHeaders;
  out.signature = signature;
  if (p.kind === "sigv4a") applyRegionSet(out, headerValue(headers, "x-amz-region-set"));
  return out;
}

function parseHeaderAuthText(authorization: string, headers: HeaderMap): ParsedAuth {
  const trimmed = authorization.trim();
  const sp = trimmed.indexOf(" ");
  const algorithm = sp < 0 ? trimmed : trimmed.slice(0, sp);
  const upper = algorithm.toUpperCase();
  const rest = sp < 0 ? "" : trimmed.slice(sp + 1).trim();

  if (upper === "AWS") {
    const out = empty("sigv2");
    out.algorithm = algorithm;
    out.authorization = authorization;
    const colon = rest.lastIndexOf(":");
    if (sp < 0) out.malformed = { reason: "no-space" };
    else if (colon <= 0 || colon === rest.length - 1) out.malformed = { reason: "sigv2-format" };
    out.accessKeyId = colon < 0 ? rest : rest.slice(0, colon);
    out.signature = colon < 0 ? "" : rest.slice(colon + 1);
    out.rawDate = headerValue(headers, "x-amz-date") ?? headerValue(headers, "date") ?? "";
    out.date = normalizeAmzDate(out.rawDate);
    out.securityToken = headerValue(headers, "x-amz-security-token");
    return out;
  }

  const sigv4a = upper === SIGV4A_ALGORITHM;
  const out = empty(sigv4a ? "sigv4a" : upper === SIGV4_ALGORITHM ? "sigv4" : "invalid");
  out.algorithm = algorithm;
  out.authorization = authorization;
  out.rawDate = headerValue(headers, "x-amz-date") ?? headerValue(headers, "date") ?? "";
  out.date = normalizeAmzDate(out.rawDate);
  out.securityToken = headerValue(headers, "x-amz-security-token");
  if (out.kind === "invalid") {
    out.malformed = { reason: "unsupported-algorithm" };
    return out;
  }
  if (sp < 0) {
    out.malformed = { reason: "no-space" };
    return out;
  }

  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const component of rest.split(",")) {
    const eq = component.indexOf("=");
    if (eq < 0) continue;
    const name = component.slice(0, eq).trim();
    const value = component.slice(eq + 1).trim();
    if (name === "Credential") credential ??= value;
    else if (name === "SignedHeaders") signedHeaders ??= value;
    else if (name === "Signature") signature ??= value;
  }
  const missing: string[] = [];
  if (!credential) missing.push("Credential");
  if (!signature) missing.push("Signature");
  if (!signedHeaders) missing.push("SignedHeaders");
  if (missing.length > 0) out.malformed = { reason: "missing-components", missing };

  applyCredential(out, credential ?? "", sigv4a);
  out.signedHeaders = splitSignedHeaders(signedHeaders ?? "");
  out.signature = signature ?? "";
  if (sigv4a) applyRegionSet(out, headerValue(headers, "x-amz-region-set"));
  return out;
}

function parsePresigned(q: Record<string, string>): ParsedAuth {
  const algorithm = q["X-Amz-Algorithm"] ?? "";
  const sigv4a = algorithm === SIGV4A_ALGORITHM;
  const out = empty(sigv4a ? "presigned-sigv4a" : algorithm === SIGV4_ALGORITHM ? "presigned-sigv4" : "invalid");
  out.presigned = true;
  out.algorithm = algorithm;
  applyCredential(out, q["X-Amz-Credential"] ?? "", sigv4a);
  out.rawDate = q["X-Amz-Date"] ?? "";
  out.date = isIsoBasic(out.rawDate) ? out.rawDate : "";
  out.signedHeaders = splitSignedHeaders(q["X-Amz-SignedHeaders"] ?? "");
  out.signature = q["X-Amz-Signature"] ?? "";
  out.securityToken = q["X-Amz-Security-Token"];
  out.queryContentSha256 = q["X-Amz-Content-Sha256"];
  const rawExpires = q["X-Amz-Expires"];
  if (rawExpires !== undefined) {
    out.rawExpires = rawExpires;
    if (/^[+-]?\d{1,19}$/.test(rawExpires)) out.expires = Number(rawExpires);
  }
  if (sigv4a) applyRegionSet(out, q["X-Amz-Region-Set"]);
  if (out.kind === "invalid") {
    out.malformed = { reason: "unsupported-algorithm" };
    return out;
  }
  const missing = PRESIGN_PARAMS.filter((p) => q[p] === undefined);
  if (missing.length > 0) out.malformed = { reason: "missing-query-parameters", missing };
  return out;
}

function parsePresignedV2(q: Record<string, string>): ParsedAuth {
  const out = empty("presigned-sigv2");
  out.presigned = true;
  out.algorithm = "AWS";
  out.accessKeyId = q["AWSAccessKeyId"] ?? "";
  out.signature = q["Signature"] ?? "";
  out.securityToken = q["X-Amz-Security-Token"];
  const rawExpires = q["Expires"];
  if (rawExpires !== undefined) {
    out.rawExpires = rawExpires;
    if (/^[+-]?\d{1,19}$/.test(rawExpires)) out.expires = Number(rawExpires);
  }
  return out;
}

/**
 * Reads the credentials a request claims.
 * @param headers request headers with lower-cased names
 * @param query the query string as sent, after '?', still percent-encoded; or the query already
 *   decoded into a map (only the authentication parameters are read from it)
 */
export function parseAuthorization(headers: HeaderMap, query: string | ReadonlyMap<string, string>): ParsedAuth {
  const authorization = headerValue(headers, "authorization");
  // No query at all (most requests outside S3): authQueryParams is not called, a Map's
  // iterator not made (and its large body, entered for nothing, never tiered up in V8).
  const q = (typeof query === "string" ? query.length === 0 : query.size === 0) ? undefined : authQueryParams(query);
  const queryAuth = q !== undefined && (q["X-Amz-Algorithm"] !== undefined || q["Signature"] !== undefined);
  if (authorization !== undefined && authorization.length > 0) {
    const out = parseHeaderAuth(authorization, headers);
    if (queryAuth) out.conflictingMechanisms = true;
    return out;
  }
  if (q !== undefined) {
    if (q["X-Amz-Algorithm"] !== undefined) return parsePresigned(q);
    if (q["Signature"] !== undefined && q["AWSAccessKeyId"] !== undefined) return parsePresignedV2(q);
  }
  return empty("anonymous");
}
