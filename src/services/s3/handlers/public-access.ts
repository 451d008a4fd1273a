// Block Public Access at bucket level: Put/Get/DeletePublicAccessBlock. New buckets have all
// four settings on (AWS's default since April 2023); the account level lives in S3 Control.
import type { DeletePublicAccessBlockRequest, GetPublicAccessBlockOutput, GetPublicAccessBlockRequest, PutPublicAccessBlockRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { bucketPab, updateBucket, type AccessBucket } from "../access/config.js";
import { ownBucket } from "./buckets.js";

export const PutPublicAccessBlock: Handler<PutPublicAccessBlockRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const c = input.PublicAccessBlockConfiguration;
  if (!c) throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
  updateBucket(ctx, b.name, (d) => {
    d.publicAccessBlock = {
      BlockPublicAcls: c.BlockPublicAcls === true,
      IgnorePublicAcls: c.IgnorePublicAcls === true,
      BlockPublicPolicy: c.BlockPublicPolicy === true,
      RestrictPublicBuckets: c.RestrictPublicBuckets === true,
    };
  });
  return {};
};

export const GetPublicAccessBlock: Handler<GetPublicAccessBlockRequest, GetPublicAccessBlockOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as AccessBucket;
  if (b.publicAccessBlock === null) {
    throw new AwsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404, { fields: { BucketName: b.name } });
  }
  return { PublicAccessBlockConfiguration: { ...bucketPab(b) } };
};

export const DeletePublicAccessBlock: Handler<DeletePublicAccessBlockRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (d) => {
    d.publicAccessBlock = null;
  });
  return {};
};
