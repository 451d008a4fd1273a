// Who am I and what is this key: GetCallerIdentity, GetAccessKeyInfo, GetSessionToken,
// DecodeAuthorizationMessage.
import type {
  DecodeAuthorizationMessageRequest,
  DecodeAuthorizationMessageResponse,
  GetAccessKeyInfoRequest,
  GetAccessKeyInfoResponse,
  GetCallerIdentityRequest,
  GetCallerIdentityResponse,
  GetSessionTokenRequest,
  GetSessionTokenResponse,
} from "@aws-sdk/client-sts";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { accessDenied, checkDuration, issueCredentials, runtimeOf, validationError } from "../sessions.js";

export const GetCallerIdentity: Handler<GetCallerIdentityRequest, GetCallerIdentityResponse> = (_input, ctx) => ({
  UserId: ctx.principal.userId,
  Account: ctx.principal.accountId,
  Arn: ctx.principal.arn,
});

/** The account of an access key: an issued key's own, else the account the key names (DESIGN.md section 5). */
export const GetAccessKeyInfo: Handler<GetAccessKeyInfoRequest, GetAccessKeyInfoResponse> = (input, ctx) => {
  const id = input.AccessKeyId ?? "";
  if (id.length < 16 || id.length > 128) {
    throw validationError(id, "accessKeyId", id.length < 16 ? "Member must have length greater than or equal to 16" : "Member must have length less than or equal to 128");
  }
  if (!/^[\w]+$/.test(id)) throw validationError(id, "accessKeyId", "Member must satisfy regular expression pattern: [\\w]*");
  const issued = runtimeOf(ctx).credentials.issued(id);
  if (issued) return { Account: issued.principal.accountId };
  return { Account: /^\d{12}$/.test(id) ? id : "000000000000" };
};

/**
 * GetSessionToken: temporary credentials for the caller (an IAM user, or the account root),
 * acting as the caller. Role sessions may not call it, as on AWS.
 */
export const GetSessionToken: Handler<GetSessionTokenRequest, GetSessionTokenResponse> = (input, ctx) => {
  const caller = ctx.principal;
  if (caller.type === "assumed-role") throw accessDenied("Cannot call GetSessionToken with session credentials");
  if (caller.type !== "user" && caller.type !== "root") throw accessDenied("Cannot call GetSessionToken with session credentials");
  // Root sessions last at most an hour; users' 36 hours (default 12).
  const max = caller.type === "root" ? 3600 : 129600;
  const duration = checkDuration(input.DurationSeconds, 900, 129600);
  const seconds = Math.min(duration ?? 43200, max);
  const now = ctx.clock.now();
  const principal = { type: caller.type, accountId: caller.accountId, arn: caller.arn, userId: caller.userId };
  return { Credentials: issueCredentials(ctx, principal, Math.floor(now / 1000) * 1000 + seconds * 1000, { issuedAt: now, sessionToken: true }) };
};

/**
 * DecodeAuthorizationMessage: the messages Nimbus encodes (EC2's UnauthorizedOperation) are
 * base64 of the decoded JSON; anything else is not a message Nimbus made.
 */
export const DecodeAuthorizationMessage: Handler<DecodeAuthorizationMessageRequest, DecodeAuthorizationMessageResponse> = (input) => {
  const text = input.EncodedMessage ?? "";
  if (text.length < 1 || text.length > 10240) {
    throw validationError(text, "encodedMessage", text.length < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10240");
  }
  let decoded: string | undefined;
  if (/^[A-Za-z0-9+/_=-]+$/.test(text)) {
    const s = Buffer.from(text, "base64").toString("utf8");
    try {
      const v = JSON.parse(s);
      if (v && typeof v === "object" && "allowed" in v) decoded = s;
    } catch {
      decoded = undefined;
    }
  }
  if (decoded === undefined) throw new AwsError("InvalidAuthorizationMessageException", "The encoded authorization message is invalid.");
  return { DecodedMessage: decoded };
};
