// Account-level Block Public Access (S3 Control): Get/Put/DeletePublicAccessBlock. One
// document per account (scope: the account id, kind "public-access-block", id "account"); S3
// reads it on its access decisions (src/services/s3/access/config.ts accountPab).
import type { DeletePublicAccessBlockRequest, GetPublicAccessBlockOutput, GetPublicAccessBlockRequest, PutPublicAccessBlockRequest } from "@aws-sdk/client-s3-control";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";

interface Stored {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

/** The account named by x-amz-account-id must be the caller's. */
function accountStore(ctx: RequestContext, accountId: string | undefined) {
  if (!accountId || !/^\d{12}$/.test(accountId)) throw new AwsError("InvalidRequest", "Account id must be a 12-digit number", 400);
  if (accountId !== ctx.accountId) throw new AwsError("AccessDenied", "Access Denied", 403);
  return ctx.store.withScope(accountId);
}

export const PutPublicAccessBlock: Handler<PutPublicAccessBlockRequest, Record<string, never>> = (input, ctx) => {
  const store = accountStore(ctx, input.AccountId);
  const c = input.PublicAccessBlockConfiguration ?? {};
  store.put<Stored>("public-access-block", "account", {
    BlockPublicAcls: c.BlockPublicAcls === true,
    IgnorePublicAcls: c.IgnorePublicAcls === true,
    BlockPublicPolicy: c.BlockPublicPolicy === true,
    RestrictPublicBuckets: c.RestrictPublicBuckets === true,
  });
  return {};
};

export const GetPublicAccessBlock: Handler<GetPublicAccessBlockRequest, GetPublicAccessBlockOutput> = (input, ctx) => {
  const c = accountStore(ctx, input.AccountId).get<Stored>("public-access-block", "account");
  if (!c) throw new AwsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404, { fields: { AccountId: input.AccountId } });
  return { PublicAccessBlockConfiguration: { ...c } };
};

export const DeletePublicAccessBlock: Handler<DeletePublicAccessBlockRequest, Record<string, never>> = (input, ctx) => {
  accountStore(ctx, input.AccountId).delete("public-access-block", "account");
  return {};
};
