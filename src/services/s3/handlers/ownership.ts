// Object Ownership: Put/Get/DeleteBucketOwnershipControls. BucketOwnerEnforced (the default for
// new buckets since April 2023) disables ACLs; BucketOwnerPreferred gives the bucket owner
// objects written with bucket-owner-full-control; ObjectWriter leaves them to their writer.
import type { DeleteBucketOwnershipControlsRequest, GetBucketOwnershipControlsOutput, GetBucketOwnershipControlsRequest, PutBucketOwnershipControlsRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { canonicalIdOf, onlyOwnerFullControl } from "../access/acl.js";
import { updateBucket, type AccessBucket, type ObjectOwnership } from "../access/config.js";
import { ownBucket } from "./buckets.js";

const OWNERSHIPS = new Set<string>(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]);

export function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

export function checkOwnership(v: string): ObjectOwnership {
  if (!OWNERSHIPS.has(v)) throw new AwsError("InvalidArgument", "Invalid x-amz-object-ownership header", 400, { fields: { ArgumentName: "x-amz-object-ownership", ArgumentValue: v } });
  return v as ObjectOwnership;
}

export const PutBucketOwnershipControls: Handler<PutBucketOwnershipControlsRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const rules = input.OwnershipControls?.Rules ?? [];
  if (rules.length !== 1 || !OWNERSHIPS.has(String(rules[0].ObjectOwnership))) throw malformedXml();
  const value = rules[0].ObjectOwnership as ObjectOwnership;
  updateBucket(ctx, b.name, (d) => {
    // Disabling ACLs needs a bucket ACL that grants only the owner (S3 refuses otherwise).
    if (value === "BucketOwnerEnforced" && d.acl && !onlyOwnerFullControl(d.acl, canonicalIdOf(d.accountId))) {
      throw new AwsError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400);
    }
    d.ownership = value;
  });
  return {};
};

export const GetBucketOwnershipControls: Handler<GetBucketOwnershipControlsRequest, GetBucketOwnershipControlsOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as AccessBucket;
  if (b.ownership === "none") throw new AwsError("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404, { fields: { BucketName: b.name } });
  return { OwnershipControls: { Rules: [{ ObjectOwnership: b.ownership ?? "BucketOwnerEnforced" }] } };
};

export const DeleteBucketOwnershipControls: Handler<DeleteBucketOwnershipControlsRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (d) => {
    d.ownership = "none";
  });
  return {};
};
