// ACLs: Get/PutBucketAcl, Get/PutObjectAcl, and the ACL a CreateBucket sets. Under
// BucketOwnerEnforced (the default) ACLs are disabled: reads answer the owner's FULL_CONTROL,
// writes other than "bucket owner has full control" fail with AccessControlListNotSupported.
import type {
  CreateBucketRequest,
  GetBucketAclOutput,
  GetBucketAclRequest,
  GetObjectAclOutput,
  GetObjectAclRequest,
  PutBucketAclRequest,
  PutObjectAclOutput,
  PutObjectAclRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { aclOutput, canonicalIdOf, grantsFromBody, grantsFromHeaders, hasAclHeaders, isPublicAcl, onlyOwnerFullControl, type AccessControlPolicyInput, type StoredGrant } from "../access/acl.js";
import { bucketGrants, effectivePab, objectAcl, ownershipOf, updateBucket, writeObjectAcl, type AccessBucket, type ObjectOwnership } from "../access/config.js";
import { accessDenied } from "../access/authorize.js";
import { ownBucket } from "./buckets.js";
import { noSuchKey } from "./conditions.js";
import { checkOwnership } from "./ownership.js";
import { emitS3Event, requestInfo } from "../notifications/emit.js";

function aclNotSupported(): AwsError {
  return new AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400);
}

/** The grants a Put*Acl sets: from its headers or its AccessControlPolicy body (exactly one). */
function requestedGrants(input: PutBucketAclRequest | PutObjectAclRequest, ownerId: string, bucketOwnerId: string, forBucket: boolean): StoredGrant[] {
  const fromHeaders = grantsFromHeaders(input, ownerId, bucketOwnerId, forBucket);
  const body = input.AccessControlPolicy as AccessControlPolicyInput | undefined;
  if (fromHeaders && body) throw new AwsError("UnexpectedContent", "This request does not support content", 400);
  if (fromHeaders) return fromHeaders;
  if (!body) throw new AwsError("MissingSecurityHeader", "Your request was missing a required header", 400, { fields: { MissingHeaderName: "x-amz-acl" } });
  return grantsFromBody(body, ownerId);
}

export const GetBucketAcl: Handler<GetBucketAclRequest, GetBucketAclOutput> = (input, ctx) => {
  const b = ownBucketOrGranted(ctx, input.Bucket!);
  return aclOutput(canonicalIdOf(b.accountId), bucketGrants(b));
};

export const PutBucketAcl: Handler<PutBucketAclRequest, Record<string, never>> = async (input, ctx) => {
  const b = ownBucketOrGranted(ctx, input.Bucket!);
  const ownerId = canonicalIdOf(b.accountId);
  const grants = requestedGrants(input, ownerId, ownerId, true);
  if (ownershipOf(b) === "BucketOwnerEnforced" && !onlyOwnerFullControl(grants, ownerId)) throw aclNotSupported();
  if (isPublicAcl(grants) && effectivePab(ctx, b).BlockPublicAcls) throw accessDenied();
  updateBucket(ctx, b.name, (d) => {
    d.acl = grants;
  });
  return {};
};

export const GetObjectAcl: Handler<GetObjectAclRequest, GetObjectAclOutput> = (input, ctx) => {
  const b = ownBucketOrGranted(ctx, input.Bucket!);
  const acl = objectAcl(ctx, b, input.Key!);
  if (!acl.exists) throw noSuchKey(input.Key!);
  return aclOutput(canonicalIdOf(acl.owner), acl.grants);
};

export const PutObjectAcl: Handler<PutObjectAclRequest, PutObjectAclOutput> = async (input, ctx) => {
  const b = ownBucketOrGranted(ctx, input.Bucket!);
  const current = objectAcl(ctx, b, input.Key!);
  if (!current.exists) throw noSuchKey(input.Key!);
  const bucketOwnerId = canonicalIdOf(b.accountId);
  const grants = requestedGrants(input, canonicalIdOf(current.owner), bucketOwnerId, false);
  if (ownershipOf(b) === "BucketOwnerEnforced") {
    if (!onlyOwnerFullControl(grants, bucketOwnerId)) throw aclNotSupported();
    return {};
  }
  if (isPublicAcl(grants) && effectivePab(ctx, b).BlockPublicAcls) throw accessDenied();
  if (!writeObjectAcl(ctx, b.name, input.Key!, current.owner, grants)) throw noSuchKey(input.Key!);
  emitS3Event(ctx, b, { eventName: "ObjectAcl:Put", key: input.Key!, ...requestInfo(ctx) });
  return {};
};

/** ownBucket, typed with the access members. */
function ownBucketOrGranted(ctx: RequestContext, name: string): AccessBucket {
  return ownBucket(ctx, name) as AccessBucket;
}

/**
 * The access members a CreateBucket stores with the new bucket (called inside CreateBucket's
 * transaction, before the document is written): x-amz-object-ownership and an ACL by header.
 * Refuses what S3 refuses since April 2023: ACLs with BucketOwnerEnforced, public ACLs while
 * Block Public Access (on by default) would block them.
 */
export function initialAccess(input: CreateBucketRequest, ctx: RequestContext): Partial<AccessBucket> {
  const ownership: ObjectOwnership | undefined = input.ObjectOwnership !== undefined ? checkOwnership(input.ObjectOwnership) : undefined;
  if (!hasAclHeaders(input)) return ownership ? { ownership } : {};
  const ownerId = canonicalIdOf(ctx.accountId);
  const grants = grantsFromHeaders(input, ownerId, ownerId, true)!;
  if ((ownership ?? "BucketOwnerEnforced") === "BucketOwnerEnforced") {
    if (!onlyOwnerFullControl(grants, ownerId)) throw new AwsError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400);
    return ownership ? { ownership } : {};
  }
  if (isPublicAcl(grants)) throw new AwsError("InvalidBucketAclWithBlockPublicAccessError", "Bucket cannot have public ACLs set with BlockPublicAccess enabled", 400);
  return { ownership: ownership!, acl: grants };
}
