// The errors request authentication answers with, worded the way AWS words them.
//
// AWS has no single wording: the same fault reads differently by service family, because the
// families sit behind different front ends. Each builder here takes an `AuthDialect` naming the
// family, chosen by the gateway from the request's protocol and signing name (`authDialectFor`):
//
//   s3         S3 and S3 Control (signing name "s3"): XML errors with diagnostic members
//              (StringToSign, CanonicalRequest...), RequestTimeTooSkewed, AccessDenied for
//              expired presigned URLs, AuthorizationHeaderMalformed / AuthorizationQueryParametersError.
//   query      awsQuery services and Route 53 (STS, IAM, SQS query, SNS, CloudWatch, RDS, ...):
//              SignatureDoesNotMatch / IncompleteSignature / MissingAuthenticationToken /
//              InvalidClientTokenId, "Signature expired: ..." for clock skew.
//   ec2        EC2 query: AuthFailure (401) for a bad signature or key, RequestExpired for skew.
//   json       awsJson1_0/1_1 and RPC v2 CBOR (DynamoDB, SQS JSON, KMS, Logs, ...): the *Exception
//              names (InvalidSignatureException, UnrecognizedClientException...), status 400.
//   rest-json  restJson1 (Lambda, EFS): the same names, status 403 as the API front end sends them.
//
// Sources: AWS "Common Errors" API reference pages (IncompleteSignature 400, InvalidClientTokenId
// 403, MissingAuthenticationToken 403, RequestExpired 400), the SigV4 troubleshooting guide
// ("Signature expired: ... is now earlier than ...", "Signature not yet current: ... is still
// later than ...", "Date in Credential scope does not match YYYYMMDD ..."), and error bodies
// quoted in public SDK issues (S3 RequestTimeTooSkewed with RequestTime/ServerTime/
// MaxAllowedSkewMilliseconds, expired presign with X-Amz-Expires/Expires/ServerTime).
// Where the sources disagree or are silent the choice is recorded in GAPS.md next to this file.
import { AwsError } from "../errors.js";
import type { ProtocolId } from "../model/types.js";

export type AuthDialect = "s3" | "query" | "ec2" | "json" | "rest-json";

/** The 15 minutes AWS allows between the request time and its own clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** The dialect of a request, from its protocol and the signing name of its credential scope. */
export function authDialectFor(signingName: string, protocol?: ProtocolId): AuthDialect {
  if (signingName === "s3" || signingName === "s3-object-lambda" || signingName === "s3express") return "s3";
  switch (protocol) {
    case "ec2Query":
      return "ec2";
    case "awsQuery":
    case "restXml":
      return "query";
    case "restJson1":
      return "rest-json";
    case "awsJson1_0":
    case "awsJson1_1":
    case "smithyRpcv2cbor":
      return "json";
    default:
      return DEFAULT_DIALECTS[signingName] ?? "query";
  }
}

/**
 * The family of signing names whose services speak a single protocol family, for callers that
 * do not know the protocol (SQS and CloudWatch speak several: pass the protocol for them).
 */
const DEFAULT_DIALECTS: Readonly<Record<string, AuthDialect>> = {
  ec2: "ec2",
  dynamodb: "json",
  logs: "json",
  kms: "json",
  ecs: "json",
  ecr: "json",
  ssm: "json",
  secretsmanager: "json",
  events: "json",
  "redshift-data": "json",
  lambda: "rest-json",
  elasticfilesystem: "rest-json",
};

function jsonStatus(dialect: AuthDialect): number {
  return dialect === "rest-json" ? 403 : 400;
}

function isJson(dialect: AuthDialect): boolean {
  return dialect === "json" || dialect === "rest-json";
}

/** ISO-8601 basic format, the form AWS prints times in inside SigV4 messages: 20260101T000000Z. */
export function isoBasic(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => (n < 10 ? "0" + n : String(n));
  return (
    d.getUTCFullYear() + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + "T" + p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + "Z"
  );
}

/** ISO-8601 extended, no milliseconds: the ServerTime / Expires members of S3 errors. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "41 57 53 34 ..." : S3's StringToSignBytes / CanonicalRequestBytes rendering. */
export function hexBytes(text: string): string {
  const hex = Buffer.from(text, "utf8").toString("hex");
  const out: string[] = new Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = hex.slice(i * 2, i * 2 + 2);
  return out.join(" ");
}

const MISMATCH_AWS =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const MISMATCH_S3 = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

export interface MismatchDetails {
  accessKeyId: string;
  canonicalRequest: string;
  stringToSign: string;
  signatureProvided: string;
  /** SigV2 has no canonical request; S3 then omits CanonicalRequest(Bytes). */
  sigv2?: boolean;
}

/** The signature does not match: SignatureDoesNotMatch and its family equivalents. */
export function signatureMismatch(dialect: AuthDialect, d: MismatchDetails): AwsError {
  if (dialect === "s3") {
    const fields: Record<string, unknown> = {
      AWSAccessKeyId: d.accessKeyId,
      StringToSign: d.stringToSign,
      SignatureProvided: d.signatureProvided,
      StringToSignBytes: hexBytes(d.stringToSign),
    };
    if (!d.sigv2) {
      fields.CanonicalRequest = d.canonicalRequest;
      fields.CanonicalRequestBytes = hexBytes(d.canonicalRequest);
    }
    return new AwsError("SignatureDoesNotMatch", MISMATCH_S3, 403, { fields });
  }
  if (dialect === "ec2") return authFailure();
  const message =
    `${MISMATCH_AWS}\n\nThe Canonical String for this request should have been\n'${d.canonicalRequest}'\n\n` +
    `The String-to-Sign should have been\n'${d.stringToSign}'\n`;
  if (isJson(dialect)) return new AwsError("InvalidSignatureException", message, jsonStatus(dialect));
  return new AwsError("SignatureDoesNotMatch", message, 403);
}

function authFailure(): AwsError {
  return new AwsError("AuthFailure", "AWS was not able to validate the provided access credentials", 401);
}

/** A scope fault AWS reports as a signature mismatch with its own message (non-S3 families). */
function scopeMismatch(dialect: AuthDialect, message: string): AwsError {
  if (isJson(dialect)) return new AwsError("InvalidSignatureException", message, jsonStatus(dialect));
  return new AwsError("SignatureDoesNotMatch", message, 403);
}

/**
 * The request time is more than 15 minutes away from the server's.
 * @param rawDate the date as the request sent it (x-amz-date, Date or X-Amz-Date)
 */
export function requestTimeTooSkewed(dialect: AuthDialect, rawDate: string, requestMs: number, nowMs: number): AwsError {
  if (dialect === "s3") {
    return new AwsError("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", 403, {
      fields: { RequestTime: rawDate, ServerTime: isoSeconds(nowMs), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) },
    });
  }
  if (dialect === "ec2") return new AwsError("RequestExpired", "Request has expired.", 400);
  const message =
    requestMs < nowMs
      ? `Signature expired: ${isoBasic(requestMs)} is now earlier than ${isoBasic(nowMs - MAX_SKEW_MS)} (${isoBasic(nowMs)} - 15 min.)`
      : `Signature not yet current: ${isoBasic(requestMs)} is still later than ${isoBasic(nowMs + MAX_SKEW_MS)} (${isoBasic(nowMs)} + 15 min.)`;
  return scopeMismatch(dialect, message);
}

/** A malformed or incomplete SigV4 Authorization header or query (non-S3 families). */
export function incompleteSignature(dialect: AuthDialect, message: string): AwsError {
  if (isJson(dialect)) return new AwsError("IncompleteSignatureException", message, jsonStatus(dialect));
  return new AwsError("IncompleteSignature", message, 400);
}

/** No credentials at all where the service requires them (non-S3: S3 serves anonymous requests). */
export function missingAuthenticationToken(dialect: AuthDialect): AwsError {
  if (dialect === "rest-json") return new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
  if (dialect === "json") return new AwsError("MissingAuthenticationTokenException", "Request is missing Authentication Token", 400);
  return new AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
}

/** An access key or session token the server does not accept. */
export function invalidClientToken(dialect: AuthDialect, accessKeyId: string, token?: string): AwsError {
  if (dialect === "s3") {
    if (token === undefined) {
      return new AwsError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403, {
        fields: { AWSAccessKeyId: accessKeyId },
      });
    }
    return new AwsError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400, { fields: { "Token-0": token } });
  }
  if (dialect === "ec2") return authFailure();
  if (isJson(dialect)) return new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.", jsonStatus(dialect));
  return new AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
}

/** A session token past its expiration. */
export function expiredToken(dialect: AuthDialect, token: string): AwsError {
  if (dialect === "s3") return new AwsError("ExpiredToken", "The provided token has expired.", 400, { fields: { "Token-0": token } });
  if (isJson(dialect)) return new AwsError("ExpiredTokenException", "The security token included in the request is expired", jsonStatus(dialect));
  if (dialect === "ec2") return new AwsError("RequestExpired", "Request has expired.", 400);
  return new AwsError("ExpiredToken", "The security token included in the request is expired", 403);
}

// ---- scope faults (credential date, terminal, parts) ------------------------------------------

export type ScopeFault =
  | { kind: "parts"; credential: string; sigv4a: boolean }
  | { kind: "date-format"; scopeDate: string }
  | { kind: "empty-region" }
  | { kind: "terminal"; terminal: string }
  | { kind: "date-mismatch"; scopeDate: string; requestDate: string };

/** A credential scope that is not `<akid>/<yyyymmdd>/<region>/<service>/aws4_request` for this request. */
export function scopeError(dialect: AuthDialect, fault: ScopeFault, presigned: boolean): AwsError {
  if (dialect === "s3") {
    const code = presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed";
    const prefix = presigned ? "Error parsing the X-Amz-Credential parameter; " : "The authorization header is malformed; ";
    switch (fault.kind) {
      case "parts":
        return new AwsError(
          code,
          prefix +
            (fault.sigv4a
              ? 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request".'
              : 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'),
          400,
        );
      case "date-format":
        return new AwsError(code, prefix + `incorrect date format "${fault.scopeDate}". This date in the credential must be in the format "yyyyMMdd".`, 400);
      case "empty-region":
        return new AwsError(code, prefix + "a non-empty region must be provided in the credential.", 400);
      case "terminal":
        return new AwsError(code, prefix + `incorrect terminal "${fault.terminal}". This endpoint uses "aws4_request".`, 400);
      case "date-mismatch":
        return presigned
          ? new AwsError(
              code,
              `Invalid credential date "${fault.scopeDate}". This date is not the same as X-Amz-Date: "${fault.requestDate.slice(0, 8)}".`,
              400,
            )
          : new AwsError(code, prefix + "Invalid credential date. Date is not the same as X-Amz-Date.", 400);
    }
  }
  switch (fault.kind) {
    case "parts":
      return incompleteSignature(
        dialect,
        fault.sigv4a
          ? `Credential must have exactly 4 slash-delimited elements, e.g. keyid/date/service/term, got '${fault.credential}'`
          : `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${fault.credential}'`,
      );
    case "date-format":
    case "date-mismatch": {
      const requestDate = fault.kind === "date-mismatch" ? fault.requestDate : "";
      return scopeMismatch(
        dialect,
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${fault.scopeDate}' != '${requestDate.slice(0, 8)}', from '${requestDate}'.`,
      );
    }
    case "empty-region":
      return scopeMismatch(dialect, "Credential should be scoped to a valid region, not ''.");
    case "terminal":
      return scopeMismatch(dialect, `Credential should be scoped with a valid terminator: 'aws4_request', not '${fault.terminal}'.`);
  }
}

// ---- S3-only faults -----------------------------------------------------------------------------

export function s3InvalidArgument(message: string, argumentName: string, argumentValue?: string): AwsError {
  const fields: Record<string, unknown> = { ArgumentName: argumentName };
  if (argumentValue !== undefined) fields.ArgumentValue = argumentValue;
  return new AwsError("InvalidArgument", message, 400, { fields });
}

export function s3QueryParametersError(message: string): AwsError {
  return new AwsError("AuthorizationQueryParametersError", message, 400);
}

export function s3HeadersNotSigned(names: string[]): AwsError {
  return new AwsError("AccessDenied", "There were headers present in the request which were not signed", 403, {
    fields: { HeadersNotSigned: names.join(", ") },
  });
}

export function s3MissingHeader(name: string): AwsError {
  return new AwsError("InvalidRequest", `Missing required header for this request: ${name}`, 400);
}

/** An expired presigned URL (S3). Members in S3's order: X-Amz-Expires, Expires, ServerTime. */
export function s3PresignExpired(rawExpires: string, expiresAtMs: number, nowMs: number): AwsError {
  return new AwsError("AccessDenied", "Request has expired", 403, {
    fields: { "X-Amz-Expires": rawExpires, Expires: isoSeconds(expiresAtMs), ServerTime: isoSeconds(nowMs) },
  });
}

/** A presigned URL dated more than 15 minutes ahead of the server (S3). */
export function s3PresignNotYetValid(requestMs: number, expiresAtMs: number, nowMs: number): AwsError {
  return new AwsError("AccessDenied", "Request is not yet valid", 403, {
    fields: { "X-Amz-Date": String(requestMs), Expires: isoSeconds(expiresAtMs), ServerTime: isoSeconds(nowMs) },
  });
}
