// The one call the gateway makes for request authentication (DESIGN.md section 3 step 4,
// section 5): who is calling, from which account, in which region, and, for a signed chunk
// stream, the verifier of its chunks.
//
//   anonymous            -> the anonymous principal (what it may do is the resource's decision:
//                           S3 bucket policies and ACLs; other services refuse it with
//                           `missingAuthenticationToken(dialect)` where AWS does)
//   key Nimbus issued    -> signature verified with its secret (SigV4 or SigV4a), session token
//                           checked against X-Amz-Security-Token, its principal
//   any other key        -> the root user of the account the key names, signature NOT verified
//                           (the secret is unknown); the request's shape and time still are
//   legacy SigV2         -> the key's principal, signature not verified (see GAPS.md)
import type { Principal } from "../service.js";
import { type AuthDialect, authDialectFor, expiredToken, invalidClientToken, isoSeconds } from "./auth-errors.js";
import {
  type AuthRequest,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  claimedPayloadHash,
} from "./canonical-request.js";
import { type ChunkVerifier, createChunkVerifier } from "./chunk-signature.js";
import { ANONYMOUS_PRINCIPAL, type CredentialResolver, type ResolvedCredentials, rootPrincipalFor } from "./credentials.js";
import { type ParsedAuth, headerValue } from "./parse-authorization.js";
import { type CheckOptions, checkShape, checkSignedRequest } from "./request-checks.js";
import { verifySigV4Signature } from "./sigv4.js";
import { deriveSigV4aKeyPair, verifySigV4aSignature } from "./sigv4a.js";
import { AwsError } from "../errors.js";

export interface AuthenticateOptions {
  /** Error wording; defaults to `authDialectFor(parsed.service)`. The gateway knows the protocol and should pass it. */
  dialect?: AuthDialect;
  /** The region of requests that name none (anonymous, SigV2, a SigV4a wildcard region set). Default us-east-1. */
  defaultRegion?: string;
  /** Reference time of the ±15 minute skew window (see CheckOptions.skewNow); defaults to `now`. */
  skewNow?: Date;
}

export interface AuthResult {
  principal: Principal;
  /** The caller's account ("" for anonymous). */
  accountId: string;
  region: string;
  /** True when the signature was verified (a key Nimbus issued). */
  verified: boolean;
  accessKeyId?: string;
  sessionToken?: string;
  /** SigV4, verified: kSigning of the request (signs the chunks of a streaming body). */
  signingKey?: Buffer;
  /** Verified SigV4/SigV4a: the request signature. */
  seedSignature?: string;
  /** Verified SigV4 with x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): checks each chunk. */
  chunkVerifier?: ChunkVerifier;
}

const DEFAULT_REGION = "us-east-1";

/** The last result for a key Nimbus did not issue (see authenticate). */
let lastRoot: AuthResult | undefined;

/**
 * Authenticates a request.
 * @param req the request as it arrived; may carry its payloadHash instead of the 5th argument
 * @param parsed `parseAuthorization(req.headers, req.rawQuery)`, as the router already computed it
 * @param now Nimbus time
 * @param payloadHash the last line of the canonical request (see SignedRequest.payloadHash);
 *   when undefined, `req.payloadHash`, else the x-amz-content-sha256 header, else (presigned)
 *   the X-Amz-Content-Sha256 query parameter or UNSIGNED-PAYLOAD. Needed only for keys Nimbus
 *   issued: for a request without x-amz-content-sha256 (boto3 and the aws CLI outside S3) it is
 *   the hex SHA-256 of the body.
 */
export function authenticate(
  req: AuthRequest & { payloadHash?: string },
  parsed: ParsedAuth,
  resolver: CredentialResolver,
  now: Date,
  payloadHash?: string,
  opts: AuthenticateOptions = {},
): AuthResult {
  const dialect = opts.dialect ?? authDialectFor(parsed.service);
  const defaultRegion = opts.defaultRegion ?? DEFAULT_REGION;

  switch (parsed.kind) {
    case "anonymous":
      return { principal: ANONYMOUS_PRINCIPAL, accountId: ANONYMOUS_PRINCIPAL.accountId, region: defaultRegion, verified: false };
    case "sigv2":
    case "presigned-sigv2":
      return authenticateSigV2(parsed, resolver, now, dialect, defaultRegion);
    case "invalid":
      // Throws the refusal of the algorithm in the family's wording.
      checkSignedRequest(req, parsed, now, { dialect, skewNow: opts.skewNow });
      throw new TypeError("unreachable: an invalid authorization passed the checks");
    default:
      break;
  }

  const sigv4a = parsed.kind === "sigv4a" || parsed.kind === "presigned-sigv4a";
  const region = parsed.region || defaultRegion;
  // Shape, time, scope and signed-header checks need no secret: they apply to every key.
  // The options are CheckOptions as they are when they name the dialect (the gateway's always do).
  checkSignedRequest(req, parsed, now, opts.dialect !== undefined ? (opts as CheckOptions) : { dialect, skewNow: opts.skewNow });

  const creds = resolver.resolve(parsed.accessKeyId);
  if (creds === undefined) {
    // A client's requests repeat their key, region and token: the last answer is given again
    // (nobody writes to an AuthResult or its principal), not a principal, its ARN and a result per request.
    const last = lastRoot;
    if (last !== undefined && last.accessKeyId === parsed.accessKeyId && last.region === region && last.sessionToken === parsed.securityToken) return last;
    const principal = rootPrincipalFor(parsed.accessKeyId);
    return (lastRoot = {
      principal,
      accountId: principal.accountId,
      region,
      verified: false,
      accessKeyId: parsed.accessKeyId,
      sessionToken: parsed.securityToken,
    });
  }

  checkSessionToken(parsed, creds, now, dialect);
  const hash = payloadHash ?? req.payloadHash ?? claimedPayloadHash(req.headers, parsed.presigned, parsed.queryContentSha256);
  if (hash === undefined) {
    throw new TypeError("authenticate: payloadHash is required for a request without x-amz-content-sha256 (hash the body)");
  }
  const signed = { method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, payloadHash: hash };

  if (sigv4a) {
    const { publicKey } = deriveSigV4aKeyPair(parsed.accessKeyId, creds.secretAccessKey);
    const { seedSignature } = verifySigV4aSignature(signed, parsed, publicKey, dialect);
    // STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD chunk signatures are not verified (GAPS.md).
    return { principal: creds.principal, accountId: creds.principal.accountId, region, verified: true, accessKeyId: parsed.accessKeyId, sessionToken: creds.sessionToken, seedSignature };
  }
  const { signingKey, seedSignature } = verifySigV4Signature(signed, parsed, creds.secretAccessKey, dialect);
  const claim = headerValue(req.headers, "x-amz-content-sha256");
  const streaming = !parsed.presigned && (claim === STREAMING_SIGNED_PAYLOAD || claim === STREAMING_SIGNED_PAYLOAD_TRAILER);
  // One object literal with every field (this runs on every signed request of an issued key).
  return {
    principal: creds.principal,
    accountId: creds.principal.accountId,
    region,
    verified: true,
    accessKeyId: parsed.accessKeyId,
    sessionToken: creds.sessionToken,
    signingKey,
    seedSignature,
    chunkVerifier: streaming ? createChunkVerifier(signingKey, parsed.date, parsed.scope, seedSignature, { accessKeyId: parsed.accessKeyId }) : undefined,
  };
}

/** Temporary credentials must come with their own session token, before they expire. */
function checkSessionToken(parsed: ParsedAuth, creds: ResolvedCredentials, now: Date, dialect: AuthDialect): void {
  const sent = parsed.securityToken === "" ? undefined : parsed.securityToken;
  if (creds.sessionToken === undefined) {
    if (sent !== undefined) throw invalidClientToken(dialect, parsed.accessKeyId, sent);
    return;
  }
  if (sent !== creds.sessionToken) throw invalidClientToken(dialect, parsed.accessKeyId, sent);
  if (creds.expiresAt !== undefined && creds.expiresAt <= now.getTime()) throw expiredToken(dialect, sent);
}

function authenticateSigV2(
  parsed: ParsedAuth,
  resolver: CredentialResolver,
  now: Date,
  dialect: AuthDialect,
  defaultRegion: string,
): AuthResult {
  const shape = checkShape(parsed, dialect);
  if (shape) throw shape;
  if (parsed.kind === "presigned-sigv2" && dialect === "s3") {
    // Query-string SigV2: Expires is seconds since the epoch.
    if (parsed.expires === undefined) {
      throw new AwsError("AccessDenied", `Invalid date (should be seconds since epoch): ${parsed.rawExpires ?? ""}`, 403);
    }
    const expiresMs = parsed.expires * 1000;
    if (now.getTime() > expiresMs) {
      throw new AwsError("AccessDenied", "Request has expired", 403, {
        fields: { Expires: isoSeconds(expiresMs), ServerTime: isoSeconds(now.getTime()) },
      });
    }
  }
  const creds = resolver.resolve(parsed.accessKeyId);
  const principal = creds?.principal ?? rootPrincipalFor(parsed.accessKeyId);
  if (creds !== undefined) checkSessionToken(parsed, creds, now, dialect);
  return {
    principal,
    accountId: principal.accountId,
    region: defaultRegion,
    verified: false,
    accessKeyId: parsed.accessKeyId,
    sessionToken: parsed.securityToken,
  };
}
