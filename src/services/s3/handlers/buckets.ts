// Bucket operations: create, head, list, delete. Bucket names are global across accounts
// (as on AWS), so buckets live in the global scope of the document store.
import { createHash } from "node:crypto";
import type {
  CreateBucketRequest,
  CreateBucketOutput,
  HeadBucketRequest,
  HeadBucketOutput,
  ListBucketsRequest,
  ListBucketsOutput,
  DeleteBucketRequest,
  GetBucketLocationRequest,
  GetBucketLocationOutput,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { isValidBucketName } from "../bucket-name.js";
import { isGranted } from "../access/authorize.js";
import { initialAccess } from "./acl.js";
import { addBucketOwner, bucketHasObjects, countOwnedBuckets, deleteBucketUploads, dropBucketOwner, ownedBuckets } from "../store.js";
import { bucketHasVersions } from "../version-store.js";

/** A bucket created with Object Lock is versioned from the start (object-lock/lock.ts). */
const objectLockAtCreation = { versioning: "Enabled" as const, objectLock: { enabled: true } };

export interface StoredBucket {
  name: string;
  accountId: string;
  region: string;
  createdAt: number;
  /** Bucket tags (PutBucketTagging); absent when none. */
  tags?: Array<{ Key: string; Value: string }>;
  /** PutBucketVersioning; absent while the bucket has never been versioned. */
  versioning?: "Enabled" | "Suspended";
  /** Reported by GetBucketVersioning only once a configuration named it (as on S3). */
  mfaDelete?: "Enabled" | "Disabled";
}

/** Default per-account quota (S3 user guide, "Bucket quotas"). */
export const BUCKET_QUOTA = 10_000;

export function bucketStore(ctx: RequestContext) {
  return ctx.store.withScope("global");
}

export function canonicalUserId(accountId: string): string {
  return createHash("sha256").update(`nimbus-canonical-user:${accountId}`).digest("hex");
}

export function noSuchBucket(name: string): AwsError {
  return new AwsError("NoSuchBucket", "The specified bucket does not exist", 404, { fields: { BucketName: name } });
}

/** The caller's bucket, or the AWS error a stranger gets. */
export function ownBucket(ctx: RequestContext, name: string, shared = false): StoredBucket {
  const store = bucketStore(ctx);
  // shared: the cached frozen document (DocStore.peek), for handlers that only read it.
  const b = shared ? (store.peek<StoredBucket>("bucket", name) as StoredBucket | undefined) : store.get<StoredBucket>("bucket", name);
  if (!b) throw noSuchBucket(name);
  // Another account (or anonymous) gets in only when the bucket policy or an ACL let it (access/authorize.ts).
  if (b.accountId !== ctx.accountId && !isGranted(ctx, name)) throw new AwsError("AccessDenied", "Access Denied", 403);
  return b;
}

export const CreateBucket: Handler<CreateBucketRequest, CreateBucketOutput> = (input, ctx) => {
  const name = input.Bucket!;
  if (!isValidBucketName(name)) throw new AwsError("InvalidBucketName", "The specified bucket is not valid.", 400, { fields: { BucketName: name } });
  // Location constraint rules: us-east-1 takes none; every other region must name itself.
  const constraint: string | undefined = input.CreateBucketConfiguration?.LocationConstraint;
  if (ctx.region === "us-east-1") {
    if (constraint === "us-east-1") throw new AwsError("InvalidLocationConstraint", "The specified location-constraint is not valid", 400, { fields: { LocationConstraint: constraint } });
    if (constraint) throw new AwsError("IllegalLocationConstraintException", `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`, 400);
  } else if (!constraint) {
    throw new AwsError("IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.", 400);
  } else if (constraint !== ctx.region) {
    throw new AwsError("IllegalLocationConstraintException", `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`, 400);
  }
  const store = bucketStore(ctx);
  return store.tx(() => {
    const existing = store.get<StoredBucket>("bucket", name);
    if (existing) {
      if (existing.accountId !== ctx.accountId) {
        throw new AwsError("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", 409, { fields: { BucketName: name } });
      }
      // us-east-1 answers 200 to its owner's repeated create (legacy behaviour); elsewhere 409.
      if (existing.region !== "us-east-1" || ctx.region !== "us-east-1") {
        throw new AwsError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409, { fields: { BucketName: name } });
      }
      return { Location: `/${name}`, BucketArn: `arn:aws:s3:::${name}` };
    }
    if (countOwnedBuckets(ctx.db, ctx.accountId) >= BUCKET_QUOTA) throw new AwsError("TooManyBuckets", "You have attempted to create more buckets than allowed", 400, { fields: { BucketName: name } });
    store.put<StoredBucket>("bucket", name, { name, accountId: ctx.accountId, region: ctx.region, createdAt: ctx.clock.now(), ...initialAccess(input, ctx), ...(input.ObjectLockEnabledForBucket ? objectLockAtCreation : {}) });
    addBucketOwner(ctx.db, ctx.accountId, name);
    return { Location: ctx.region === "us-east-1" ? `/${name}` : `${ctx.endpoint}/${name}/`, BucketArn: `arn:aws:s3:::${name}` };
  });
};

export const HeadBucket: Handler<HeadBucketRequest, HeadBucketOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  return { BucketRegion: b.region, AccessPointAlias: false, BucketArn: `arn:aws:s3:::${b.name}` };
};

export const ListBuckets: Handler<ListBucketsRequest, ListBucketsOutput> = (input, ctx) => {
  const max = input.MaxBuckets ?? 10_000;
  if (!Number.isInteger(max) || max < 1 || max > 10_000) throw new AwsError("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000.", 400, { fields: { ArgumentName: "max-buckets", ArgumentValue: String(max) } });
  const after = input.ContinuationToken ? Buffer.from(input.ContinuationToken, "base64url").toString("utf8") : undefined;
  // The caller's buckets from the owner index, in name order, one past the page to know if
  // there are more; each document read by its key.
  const store = bucketStore(ctx);
  const mine: StoredBucket[] = [];
  for (const bucketName of ownedBuckets(ctx.db, ctx.accountId, after ?? "", input.Prefix ?? "")) {
    const b = store.get<StoredBucket>("bucket", bucketName);
    if (!b || (input.BucketRegion && b.region !== input.BucketRegion)) continue;
    mine.push(b);
    if (mine.length > max) break;
  }
  const page = mine.slice(0, max);
  const more = mine.length > max;
  return {
    Buckets: page.map((b) => ({ Name: b.name, CreationDate: new Date(b.createdAt), BucketRegion: b.region, BucketArn: `arn:aws:s3:::${b.name}` })),
    Owner: { ID: canonicalUserId(ctx.accountId), DisplayName: "nimbus" },
    ...(input.Prefix !== undefined ? { Prefix: input.Prefix } : {}),
    ...(more ? { ContinuationToken: Buffer.from(page[page.length - 1].name).toString("base64url") } : {}),
  };
};

export const DeleteBucket: Handler<DeleteBucketRequest, Record<string, never>> = async (input, ctx) => {
  let partBlobs: string[] = [];
  const b = ownBucket(ctx, input.Bucket!);
  const store = bucketStore(ctx);
  // The emptiness check and the delete share one transaction, so an object committed
  // concurrently either lands first (BucketNotEmpty) or finds the bucket gone (NoSuchBucket).
  store.tx(() => {
    // Noncurrent versions and delete markers count, as on S3.
    if (bucketHasObjects(ctx.db, b.name) || bucketHasVersions(ctx.db, b.name)) {
      throw new AwsError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, { fields: { BucketName: b.name } });
    }
    store.delete("bucket", b.name);
    dropBucketOwner(ctx.db, b.accountId, b.name);
    // Uploads in progress do not keep a bucket alive on S3: they go with it.
    partBlobs = deleteBucketUploads(ctx.db, b.name);
  });
  for (const id of partBlobs) await ctx.blobs.delete(id);
  return {};
};

/** us-east-1 answers an empty LocationConstraint (AWS's legacy null), every other region its name. */
export const GetBucketLocation: Handler<GetBucketLocationRequest, GetBucketLocationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  return b.region === "us-east-1" ? {} : { LocationConstraint: b.region as GetBucketLocationOutput["LocationConstraint"] };
};
