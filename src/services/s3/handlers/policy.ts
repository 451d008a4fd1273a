// Bucket policies: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus. The policy is
// validated as S3 does (access/policy.ts), stored as sent (GetBucketPolicy returns the same
// text) in the bucket document, and evaluated for every request to the bucket (access/authorize.ts).
import type {
  DeleteBucketPolicyRequest,
  GetBucketPolicyOutput,
  GetBucketPolicyRequest,
  GetBucketPolicyStatusOutput,
  GetBucketPolicyStatusRequest,
  PutBucketPolicyRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { effectivePab, policyOf, readBucket, updateBucket, type AccessBucket } from "../access/config.js";
import { compilePolicy, isPublicPolicy } from "../access/policy.js";
import { noSuchBucket } from "./buckets.js";

/**
 * Policy operations belong to the bucket owner's account alone: another account gets 405
 * MethodNotAllowed whatever the policy says (S3 API reference, PutBucketPolicy).
 */
function policyBucket(ctx: RequestContext, name: string): AccessBucket {
  const b = readBucket(ctx, name);
  if (!b) throw noSuchBucket(name);
  if (ctx.principal.type === "anonymous" || ctx.principal.accountId !== b.accountId) {
    throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, { fields: { Method: "PUT", ResourceType: "BUCKETPOLICY" } });
  }
  return b;
}

function noSuchBucketPolicy(name: string): AwsError {
  return new AwsError("NoSuchBucketPolicy", "The bucket policy does not exist", 404, { fields: { BucketName: name } });
}

export const PutBucketPolicy: Handler<PutBucketPolicyRequest, Record<string, never>> = async (input, ctx) => {
  const b = policyBucket(ctx, input.Bucket!);
  const text = input.Policy ?? "";
  const compiled = compilePolicy(text, b.name);
  // BlockPublicPolicy (bucket or account) refuses a public policy.
  if (isPublicPolicy(compiled) && effectivePab(ctx, b).BlockPublicPolicy) {
    throw new AwsError(
      "AccessDenied",
      `User: ${ctx.principal.arn} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${b.name}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
      403,
    );
  }
  updateBucket(ctx, b.name, (d) => {
    d.policy = text;
  });
  return {};
};

export const GetBucketPolicy: Handler<GetBucketPolicyRequest, GetBucketPolicyOutput> = (input, ctx) => {
  const b = policyBucket(ctx, input.Bucket!);
  if (b.policy === undefined) throw noSuchBucketPolicy(b.name);
  return { Policy: b.policy };
};

export const DeleteBucketPolicy: Handler<DeleteBucketPolicyRequest, Record<string, never>> = (input, ctx) => {
  const b = policyBucket(ctx, input.Bucket!);
  if (b.policy !== undefined) {
    updateBucket(ctx, b.name, (d) => {
      delete d.policy;
    });
  }
  return {};
};

export const GetBucketPolicyStatus: Handler<GetBucketPolicyStatusRequest, GetBucketPolicyStatusOutput> = (input, ctx) => {
  const b = readBucket(ctx, input.Bucket!);
  if (!b) throw noSuchBucket(input.Bucket!);
  if (ctx.principal.accountId !== b.accountId) throw new AwsError("AccessDenied", "Access Denied", 403);
  const p = policyOf(b);
  if (!p) throw noSuchBucketPolicy(b.name);
  return { PolicyStatus: { IsPublic: isPublicPolicy(p) } };
};
