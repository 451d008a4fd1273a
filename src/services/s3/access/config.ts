// Where a bucket's access, CORS and website settings live: optional members of the bucket's own
// document (global scope, kind "bucket"), so DeleteBucket drops them with the bucket and a
// recreated bucket starts clean. Absent members mean the AWS defaults for buckets created since
// April 2023: Object Ownership BucketOwnerEnforced (ACLs disabled), all four Block Public Access
// settings on, private ACL, no policy, no CORS, no website.
//
// Object ACLs (only in buckets whose ownership is not BucketOwnerEnforced) are documents of kind
// "object-acl" keyed "<bucket>/<key>", stamped with the blob id of the object version they were
// written for: an object overwritten by any path (PutObject, copy, multipart) no longer matches
// and falls back to the default (owner full control), so no write path needs to know of ACLs.
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import type { Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import type { StoredBucket } from "../handlers/buckets.js";
import { getObject } from "../store.js";
import { cannedGrants, canonicalIdOf, type StoredGrant } from "./acl.js";
import { compilePolicy, type CompiledPolicy } from "./policy.js";

export type ObjectOwnership = "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter";

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export const ALL_BLOCKED: PublicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
export const NONE_BLOCKED: PublicAccessBlock = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };

export interface CorsRule {
  ID?: string;
  AllowedHeaders?: string[];
  AllowedMethods: string[];
  AllowedOrigins: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}

export interface WebsiteConfig {
  IndexDocument?: { Suffix: string };
  ErrorDocument?: { Key: string };
  RedirectAllRequestsTo?: { HostName: string; Protocol?: string };
  RoutingRules?: Array<{
    Condition?: { HttpErrorCodeReturnedEquals?: string; KeyPrefixEquals?: string };
    Redirect: { HostName?: string; HttpRedirectCode?: string; Protocol?: string; ReplaceKeyPrefixWith?: string; ReplaceKeyWith?: string };
  }>;
}

/** The bucket document with the members this slice adds. */
export interface AccessBucket extends StoredBucket {
  policy?: string;
  /** Bucket ACL grants; absent: private (owner FULL_CONTROL). */
  acl?: StoredGrant[];
  /** Absent: BucketOwnerEnforced. "none" after DeleteBucketOwnershipControls (behaves as ObjectWriter, as on AWS). */
  ownership?: ObjectOwnership | "none";
  /** Absent: all on (the default); null after DeletePublicAccessBlock. */
  publicAccessBlock?: PublicAccessBlock | null;
  cors?: CorsRule[];
  website?: WebsiteConfig;
}

export interface ObjectAclDoc {
  blobId: string;
  /** Account that owns the object. */
  owner: string;
  grants: StoredGrant[];
}

export function bucketDocs(ctx: { store: DocStore }): DocStore {
  return ctx.store.withScope("global");
}

export function readBucket(ctx: { store: DocStore }, name: string): AccessBucket | undefined {
  return bucketDocs(ctx).get<AccessBucket>("bucket", name);
}

/**
 * The bucket document shared and frozen (DocStore.peek): for read-only paths run on every
 * request (the access wrapper, the IAM hook, GET/HEAD/PUT Object), which parsed it again each.
 */
export function peekBucket(ctx: { store: DocStore }, name: string): AccessBucket | undefined {
  return bucketDocs(ctx).peek<AccessBucket>("bucket", name) as AccessBucket | undefined;
}

/** Read-modify-write of the bucket document in one transaction; the caller checked ownership. */
export function updateBucket(ctx: RequestContext, name: string, change: (b: AccessBucket) => void): AccessBucket {
  const store = bucketDocs(ctx);
  return store.tx(() => {
    const b = store.get<AccessBucket>("bucket", name);
    if (!b) throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404, { fields: { BucketName: name } });
    change(b);
    store.put("bucket", name, b);
    return b;
  });
}

export function ownershipOf(b: AccessBucket): ObjectOwnership {
  const o = b.ownership;
  return o === undefined ? "BucketOwnerEnforced" : o === "none" ? "ObjectWriter" : o;
}

export function bucketPab(b: AccessBucket): PublicAccessBlock {
  return b.publicAccessBlock === undefined ? ALL_BLOCKED : b.publicAccessBlock ?? NONE_BLOCKED;
}

export function bucketGrants(b: AccessBucket): StoredGrant[] {
  const ownerId = canonicalIdOf(b.accountId);
  if (ownershipOf(b) === "BucketOwnerEnforced") return cannedGrants("private", ownerId, ownerId);
  return b.acl ?? cannedGrants("private", ownerId, ownerId);
}

const compiled = new Map<string, CompiledPolicy>();
/** The compiled bucket policy, cached by (bucket, text): compiled once per distinct policy. */
export function policyOf(b: AccessBucket): CompiledPolicy | undefined {
  if (b.policy === undefined) return undefined;
  const k = `${b.name}\n${b.policy}`;
  let p = compiled.get(k);
  if (!p) {
    p = compilePolicy(b.policy, b.name);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(k, p);
  }
  return p;
}

/** The object's owner and grants; the default (bucket owner, FULL_CONTROL) when none are stored for this version. */
export function objectAcl(ctx: AccessView, b: AccessBucket, key: string): { owner: string; grants: StoredGrant[]; exists: boolean } {
  const bucketOwnerId = canonicalIdOf(b.accountId);
  const o = getObject(ctx.db, b.name, key);
  if (!o) return { owner: b.accountId, grants: cannedGrants("private", bucketOwnerId, bucketOwnerId), exists: false };
  if (ownershipOf(b) !== "BucketOwnerEnforced") {
    const doc = bucketDocs(ctx).get<ObjectAclDoc>("object-acl", `${b.name}/${key}`);
    if (doc && doc.blobId === o.blobId) return { owner: doc.owner, grants: doc.grants, exists: true };
  }
  return { owner: b.accountId, grants: cannedGrants("private", bucketOwnerId, bucketOwnerId), exists: true };
}

/** Stamps an ACL on the object version now stored under the key. */
export function writeObjectAcl(ctx: RequestContext, bucket: string, key: string, owner: string, grants: StoredGrant[]): boolean {
  const store = bucketDocs(ctx);
  return store.tx(() => {
    const o = getObject(ctx.db, bucket, key);
    if (!o) return false;
    store.put<ObjectAclDoc>("object-acl", `${bucket}/${key}`, { blobId: o.blobId, owner, grants });
    return true;
  });
}

/** What the access decision reads: the database and S3's global documents (a request's or the runtime's). */
export interface AccessView {
  db: Db;
  store: DocStore;
}

/**
 * The account-level Block Public Access settings (S3 Control's PutPublicAccessBlock), or none.
 * Read straight from S3 Control's documents (scope: the account), because the decision must be
 * synchronous (the IAM engine's resource-policy hook is): one primary-key read.
 */
export function accountPab(view: AccessView, accountId: string): PublicAccessBlock {
  const c = new DocStore(view.db, "s3-control", accountId).get<PublicAccessBlock>("public-access-block", "account");
  return c ?? NONE_BLOCKED;
}

/** Bucket and account settings combined: a setting is on if either level turns it on. */
export function effectivePab(view: AccessView, b: AccessBucket): PublicAccessBlock {
  const own = bucketPab(b);
  if (own.BlockPublicAcls && own.IgnorePublicAcls && own.BlockPublicPolicy && own.RestrictPublicBuckets) return own;
  const acct = accountPab(view, b.accountId);
  return {
    BlockPublicAcls: own.BlockPublicAcls || acct.BlockPublicAcls,
    IgnorePublicAcls: own.IgnorePublicAcls || acct.IgnorePublicAcls,
    BlockPublicPolicy: own.BlockPublicPolicy || acct.BlockPublicPolicy,
    RestrictPublicBuckets: own.RestrictPublicBuckets || acct.RestrictPublicBuckets,
  };
}
