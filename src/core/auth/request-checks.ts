// Everything AWS checks about a signed request before it computes a signature: that the claim
// is well formed, that its time is within 15 minutes of the server's (or, for an S3 presigned
// URL, within X-Amz-Expires), that the credential scope is `<date>/<region>/<service>/aws4_request`
// for the request's own date, and that the headers that must be signed are. These checks need
// no secret, so they run for every signed request, including those signed with an access key
// Nimbus did not issue (whose signature it cannot check).
//
// The order is AWS's where it is known (S3's was measured and published by third parties; see
// GAPS.md), since a request with two faults is refused for the first one.
import { AwsError } from "../errors.js";
import {
  type AuthDialect,
  MAX_SKEW_MS,
  incompleteSignature,
  requestTimeTooSkewed,
  s3HeadersNotSigned,
  s3InvalidArgument,
  s3MissingHeader,
  s3PresignExpired,
  s3PresignNotYetValid,
  s3QueryParametersError,
  scopeError,
} from "./auth-errors.js";
import { type AuthRequest, isValidPayloadHashClaim } from "./canonical-request.js";
import { type ParsedAuth, amzDateToMs, headerValue } from "./parse-authorization.js";

/** The longest X-Amz-Expires S3 accepts: seven days. */
export const MAX_PRESIGN_EXPIRES = 604800;

export interface CheckOptions {
  dialect: AuthDialect;
  /**
   * The time the ±15 minute clock-skew window is measured against. Defaults to `now`. Nimbus
   * time can be advanced by the user; a gateway that wants SDKs signing with wall-clock time to
   * keep working after an advance passes wall-clock time here and Nimbus time as `now` (which
   * still decides presigned URL expiry).
   */
  skewNow?: Date;
}

const PAYLOAD_HASH_MESSAGE =
  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, " +
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, " +
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";

const ONE_MECHANISM =
  "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";

function isSigv4a(auth: ParsedAuth): boolean {
  return auth.kind === "sigv4a" || auth.kind === "presigned-sigv4a";
}

/** Refusals of the claim's shape: algorithm, missing components or parameters; undefined when well formed. */
export function checkShape(auth: ParsedAuth, dialect: AuthDialect): AwsError | undefined {
  // Well formed (every request of a working client): a small function V8 optimizes and
  // inlines; the refusals below are a function of their own (a large one entered only for its
  // first lines stays in baseline code).
  if (auth.malformed === undefined && auth.conflictingMechanisms !== true) return undefined;
  return refuseShape(auth, dialect);
}

function refuseShape(auth: ParsedAuth, dialect: AuthDialect): AwsError | undefined {
  const s3 = dialect === "s3";
  if (s3 && auth.conflictingMechanisms) {
    return s3InvalidArgument(ONE_MECHANISM, "Authorization", auth.authorization);
  }
  const m = auth.malformed;
  if (m === undefined) return undefined;
  switch (m.reason) {
    case "unsupported-algorithm":
      if (s3) {
        return auth.presigned
          ? s3QueryParametersError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"')
          : s3InvalidArgument("Unsupported Authorization Type", "Authorization", auth.authorization);
      }
      return incompleteSignature(dialect, `Unsupported AWS 'algorithm': '${auth.algorithm}'`);
    case "no-space":
      if (s3) return s3InvalidArgument("Authorization header is invalid -- one and only one ' ' (space) required", "Authorization", auth.authorization);
      return incompleteSignature(dialect, missingComponentsMessage(["Credential", "Signature", "SignedHeaders"], auth.authorization ?? ""));
    case "sigv2-format":
      return s3
        ? s3InvalidArgument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", "Authorization", auth.authorization)
        : incompleteSignature(dialect, `Unsupported AWS 'algorithm': '${auth.algorithm}'`);
    case "missing-components":
      if (s3) {
        return new AwsError(
          "AuthorizationHeaderMalformed",
          "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.",
          400,
        );
      }
      return incompleteSignature(dialect, missingComponentsMessage(m.missing, auth.authorization ?? ""));
    case "missing-query-parameters":
      if (s3) {
        return s3QueryParametersError(
          "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        );
      }
      return incompleteSignature(dialect, `AWS query-string parameters must include '${m.missing[0]}'. Re-examine the query-string parameters.`);
  }
}

function missingComponentsMessage(missing: readonly string[], authorization: string): string {
  return missing.map((c) => `Authorization header requires '${c}' parameter.`).join(" ") + ` Authorization=${authorization}`;
}

/** The last scope date checked (one per day per client). */
let lastScopeDate = "";
let lastScopeDateValid = false;

function validScopeDate(scopeDate: string): boolean {
  if (scopeDate === lastScopeDate) return lastScopeDateValid;
  const valid = /^\d{8}$/.test(scopeDate) && Number.isFinite(amzDateToMs(scopeDate + "T000000Z"));
  lastScopeDate = scopeDate;
  lastScopeDateValid = valid;
  return valid;
}

/** The credential scope against the request date. */
function checkScope(auth: ParsedAuth, dialect: AuthDialect): AwsError | undefined {
  const sigv4a = isSigv4a(auth);
  if (auth.scopeParts !== (sigv4a ? 4 : 5)) {
    return scopeError(dialect, { kind: "parts", credential: auth.credential, sigv4a }, auth.presigned);
  }
  if (!validScopeDate(auth.scopeDate)) {
    return scopeError(dialect, { kind: "date-format", scopeDate: auth.scopeDate }, auth.presigned);
  }
  if (!sigv4a && auth.region.length === 0) return scopeError(dialect, { kind: "empty-region" }, auth.presigned);
  if (auth.terminal !== "aws4_request") return scopeError(dialect, { kind: "terminal", terminal: auth.terminal }, auth.presigned);
  if (auth.date.slice(0, 8) !== auth.scopeDate) {
    return scopeError(dialect, { kind: "date-mismatch", scopeDate: auth.scopeDate, requestDate: auth.date }, auth.presigned);
  }
  return undefined;
}

/**
 * S3 refuses a request carrying Host, Content-MD5 or an x-amz-* header (but x-amz-content-sha256)
 * that is not signed. Other services require Host to be signed.
 */
function checkSignedHeaders(req: AuthRequest, auth: ParsedAuth, dialect: AuthDialect): AwsError | undefined {
  const signed = auth.signedHeaders;
  if (dialect !== "s3") {
    if (!signed.includes("host") && !signed.includes(":authority")) {
      return incompleteSignature(dialect, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    return undefined;
  }
  let unsigned: string[] | undefined;
  for (const name in req.headers) {
    if (req.headers[name] === undefined) continue;
    const mustSign =
      name === "host" || name === "content-md5" || (name.charCodeAt(0) === 120 /* x */ && name.startsWith("x-amz-") && name !== "x-amz-content-sha256");
    if (mustSign && !signed.includes(name)) (unsigned ??= []).push(name);
  }
  return unsigned === undefined ? undefined : s3HeadersNotSigned(unsigned.sort());
}

function checkRegionSet(auth: ParsedAuth, dialect: AuthDialect): AwsError | undefined {
  if (!isSigv4a(auth) || (auth.regionSet !== undefined && auth.regionSet.length > 0)) return undefined;
  if (dialect === "s3") {
    return auth.presigned
      ? s3QueryParametersError("SigV4a query auth requires a non empty x-amz-region-set parameter.")
      : s3MissingHeader("x-amz-region-set");
  }
  return incompleteSignature(dialect, "SigV4a requires the X-Amz-Region-Set header or query parameter naming the regions the signature is valid in.");
}

function checkHeaderRequest(req: AuthRequest, auth: ParsedAuth, now: Date, opts: CheckOptions): number {
  const { dialect } = opts;
  const s3 = dialect === "s3";
  // Non-S3 families report the header's shape first; S3 was observed to check the payload hash
  // and the date before the header's components.
  if (!s3) {
    const shape = checkShape(auth, dialect);
    if (shape) throw shape;
  } else {
    const shape = auth.conflictingMechanisms || auth.malformed?.reason !== "missing-components" ? checkShape(auth, dialect) : undefined;
    if (shape) throw shape;
    const claim = headerValue(req.headers, "x-amz-content-sha256");
    if (claim === undefined) throw s3MissingHeader("x-amz-content-sha256");
    if (!isValidPayloadHashClaim(claim)) throw s3InvalidArgument(PAYLOAD_HASH_MESSAGE, "x-amz-content-sha256", claim);
  }
  const requestMs = amzDateToMs(auth.date);
  if (!Number.isFinite(requestMs)) {
    if (s3) throw new AwsError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403);
    if (auth.rawDate.length === 0) {
      throw incompleteSignature(
        dialect,
        `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${auth.authorization ?? ""}`,
      );
    }
    throw incompleteSignature(dialect, `Date must be in ISO-8601 'basic format'. Got '${auth.rawDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const skewNow = (opts.skewNow ?? now).getTime();
  if (Math.abs(skewNow - requestMs) > MAX_SKEW_MS) throw requestTimeTooSkewed(dialect, auth.rawDate, requestMs, skewNow);
  if (s3) {
    const shape = checkShape(auth, dialect);
    if (shape) throw shape;
  }
  const scope = checkScope(auth, dialect);
  if (scope) throw scope;
  const headers = checkSignedHeaders(req, auth, dialect);
  if (headers) throw headers;
  const regionSet = checkRegionSet(auth, dialect);
  if (regionSet) throw regionSet;
  return requestMs;
}

function checkPresignedRequest(req: AuthRequest, auth: ParsedAuth, now: Date, opts: CheckOptions): number {
  const { dialect } = opts;
  const s3 = dialect === "s3";
  const shape = checkShape(auth, dialect);
  if (shape) throw shape;
  const requestMs = amzDateToMs(auth.date);
  if (!Number.isFinite(requestMs)) {
    if (s3) throw s3QueryParametersError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    throw incompleteSignature(dialect, `Date must be in ISO-8601 'basic format'. Got '${auth.rawDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const nowMs = now.getTime();
  if (s3) {
    // S3 honours X-Amz-Expires: valid from 15 minutes before X-Amz-Date until X-Amz-Date + X-Amz-Expires.
    const expires = auth.expires;
    if (expires === undefined || !Number.isSafeInteger(expires)) throw s3QueryParametersError("X-Amz-Expires should be a number");
    if (expires < 0) throw s3QueryParametersError("X-Amz-Expires must be non-negative");
    if (expires > MAX_PRESIGN_EXPIRES) {
      throw s3QueryParametersError(
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
      );
    }
    const expiresAtMs = requestMs + expires * 1000;
    if (requestMs - nowMs > MAX_SKEW_MS) throw s3PresignNotYetValid(requestMs, expiresAtMs, nowMs);
    if (nowMs > expiresAtMs) throw s3PresignExpired(auth.rawExpires ?? String(expires), expiresAtMs, nowMs);
  } else {
    // Other services ignore X-Amz-Expires and hold a presigned request to the same ±15 minutes
    // as a header-signed one (observed on STS GetCallerIdentity, the EKS token flow).
    const skewNow = (opts.skewNow ?? now).getTime();
    if (Math.abs(skewNow - requestMs) > MAX_SKEW_MS) throw requestTimeTooSkewed(dialect, auth.rawDate, requestMs, skewNow);
  }
  const scope = checkScope(auth, dialect);
  if (scope) throw scope;
  const headers = checkSignedHeaders(req, auth, dialect);
  if (headers) throw headers;
  const regionSet = checkRegionSet(auth, dialect);
  if (regionSet) throw regionSet;
  return requestMs;
}

/**
 * Checks a SigV4 or SigV4a request (header or presigned) up to, not including, its signature.
 * Throws the AwsError AWS would answer with; returns the request time in milliseconds.
 */
export function checkSignedRequest(req: AuthRequest, auth: ParsedAuth, now: Date, opts: CheckOptions): number {
  return auth.presigned ? checkPresignedRequest(req, auth, now, opts) : checkHeaderRequest(req, auth, now, opts);
}
