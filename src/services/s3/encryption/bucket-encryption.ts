// Put/Get/DeleteBucketEncryption: the bucket's default encryption, a member of its document.
// Since January 2023 every bucket without a configuration applies SSE-S3, and
// GetBucketEncryption reports that default (S3 User Guide, "Setting default server-side
// encryption behavior"); Delete returns a bucket to it.
import type { DeleteBucketEncryptionRequest, GetBucketEncryptionOutput, GetBucketEncryptionRequest, PutBucketEncryptionRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { updateBucket } from "../access/config.js";
import { ownBucket } from "../handlers/buckets.js";
import type { DefaultEncryptionRule, EncryptedBucket } from "./sse.js";

const ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

export const PutBucketEncryption: Handler<PutBucketEncryptionRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const rules = input.ServerSideEncryptionConfiguration?.Rules;
  if (!rules || rules.length !== 1) throw malformedXml();
  const d = rules[0].ApplyServerSideEncryptionByDefault;
  if (!d?.SSEAlgorithm) throw malformedXml();
  if (!ALGORITHMS.has(d.SSEAlgorithm)) throw malformedXml();
  if (d.KMSMasterKeyID !== undefined && d.SSEAlgorithm === "AES256") {
    throw new AwsError("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse", 400, {
      fields: { ArgumentName: "ApplyServerSideEncryptionByDefault", ArgumentValue: "null" },
    });
  }
  const rule: DefaultEncryptionRule = {
    ApplyServerSideEncryptionByDefault: { SSEAlgorithm: d.SSEAlgorithm, ...(d.KMSMasterKeyID !== undefined ? { KMSMasterKeyID: d.KMSMasterKeyID } : {}) },
    BucketKeyEnabled: rules[0].BucketKeyEnabled ?? false,
  };
  updateBucket(ctx, b.name, (doc) => {
    (doc as EncryptedBucket).encryption = { Rules: [rule] };
  });
  return {};
};

export const GetBucketEncryption: Handler<GetBucketEncryptionRequest, GetBucketEncryptionOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as EncryptedBucket;
  const rules = b.encryption?.Rules ?? [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }];
  return { ServerSideEncryptionConfiguration: { Rules: rules } } as GetBucketEncryptionOutput;
};

export const DeleteBucketEncryption: Handler<DeleteBucketEncryptionRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (doc) => {
    delete (doc as EncryptedBucket).encryption;
  });
  return {};
};
