// Object tagging (Put/Get/DeleteObjectTagging, the x-amz-tagging header of PutObject and
// CopyObject) and bucket tagging (Put/Get/DeleteBucketTagging). Object tags live in the
// object's row; bucket tags in the bucket's document.
import type {
  DeleteBucketTaggingRequest,
  DeleteObjectTaggingOutput,
  DeleteObjectTaggingRequest,
  GetBucketTaggingOutput,
  GetBucketTaggingRequest,
  GetObjectTaggingOutput,
  GetObjectTaggingRequest,
  PutBucketTaggingRequest,
  PutObjectTaggingOutput,
  PutObjectTaggingRequest,
  Tag,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import { inTransaction } from "../../../core/state/database.js";
import type { Handler } from "../../../core/service.js";
import type { RequestContext } from "../../../core/service.js";
import { getObject, setObjectTags, type StoredObject } from "../store.js";
import { setVersionTags } from "../version-store.js";
import { bucketStore, ownBucket, type StoredBucket } from "./buckets.js";
import { versionToRead, versionIdMember } from "./objects.js";
import { emitS3Event, requestInfo } from "../notifications/emit.js";

export type TagList = Array<{ Key: string; Value: string }>;

function invalidTag(message: string, key?: string): AwsError {
  return new AwsError("InvalidTag", message, 400, key !== undefined ? { fields: { TagKey: key } } : {});
}

/** S3's tag rules: key 1-128 and value 0-256 characters, unique keys, at most `max` tags. */
export function validateTags(tags: Tag[] | undefined, max: number, what: "Object" | "Bucket"): TagList {
  const list = (tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
  if (list.length > max) throw invalidTag(what === "Object" ? `Object tags cannot be greater than ${max}` : `Bucket tag count cannot be greater than ${max}`);
  const seen = new Set<string>();
  for (const t of list) {
    if (t.Key.length < 1 || [...t.Key].length > 128) throw invalidTag("The TagKey you have provided is invalid", t.Key);
    if ([...t.Value].length > 256) throw invalidTag("The TagValue you have provided is invalid", t.Key);
    if (t.Key.startsWith("aws:")) throw invalidTag("Your TagKey cannot be prefixed with aws:", t.Key);
    if (seen.has(t.Key)) throw invalidTag("Cannot provide multiple Tags with the same key", t.Key);
    seen.add(t.Key);
  }
  return list;
}

/** The x-amz-tagging header: URL query form ("k1=v1&k2=v2"). */
export function parseTaggingHeader(header: string | undefined): TagList {
  if (header === undefined || header === "") return [];
  const tags: Tag[] = [];
  for (const [Key, Value] of new URLSearchParams(header)) tags.push({ Key, Value });
  return validateTags(tags, 10, "Object");
}

/** Sets the tags of the current version or of the named one (the errors GetObject would give). */
function setTags(ctx: RequestContext, b: StoredBucket, key: string, versionId: string | undefined, tags: TagList): StoredObject {
  return inTransaction(ctx.db, () => {
    const o = versionToRead(ctx, b, key, versionId, false);
    if (getObject(ctx.db, b.name, key)?.versionId === o.versionId) setObjectTags(ctx.db, b.name, key, tags);
    else setVersionTags(ctx.db, b.name, key, o.versionId, tags);
    return o;
  });
}

export const PutObjectTagging: Handler<PutObjectTaggingRequest, PutObjectTaggingOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const tags = validateTags(input.Tagging?.TagSet, 10, "Object");
  const o = setTags(ctx, b, input.Key!, input.VersionId, tags);
  emitS3Event(ctx, b, { eventName: "ObjectTagging:Put", key: o.key, size: o.size, eTag: o.etag, versionId: o.versionId, ...requestInfo(ctx) });
  return versionIdMember(b, o.versionId);
};

export const GetObjectTagging: Handler<GetObjectTaggingRequest, GetObjectTaggingOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const o = versionToRead(ctx, b, input.Key!, input.VersionId, false);
  return { TagSet: o.tags, ...versionIdMember(b, o.versionId) };
};

export const DeleteObjectTagging: Handler<DeleteObjectTaggingRequest, DeleteObjectTaggingOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const o = setTags(ctx, b, input.Key!, input.VersionId, []);
  emitS3Event(ctx, b, { eventName: "ObjectTagging:Delete", key: o.key, size: o.size, eTag: o.etag, versionId: o.versionId, ...requestInfo(ctx) });
  return versionIdMember(b, o.versionId);
};

export const PutBucketTagging: Handler<PutBucketTaggingRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const tags = validateTags(input.Tagging?.TagSet, 50, "Bucket");
  const store = bucketStore(ctx);
  store.tx(() => {
    const cur = store.get<StoredBucket>("bucket", b.name);
    if (cur) store.put<StoredBucket>("bucket", b.name, { ...cur, tags });
  });
  return {};
};

export const GetBucketTagging: Handler<GetBucketTaggingRequest, GetBucketTaggingOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  if (!b.tags || b.tags.length === 0) throw new AwsError("NoSuchTagSet", "The TagSet does not exist", 404, { fields: { BucketName: b.name } });
  return { TagSet: b.tags };
};

export const DeleteBucketTagging: Handler<DeleteBucketTaggingRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const store = bucketStore(ctx);
  store.tx(() => {
    const cur = store.get<StoredBucket>("bucket", b.name);
    if (cur) {
      const { tags: _dropped, ...rest } = cur;
      store.put<StoredBucket>("bucket", b.name, rest);
    }
  });
  return {};
};
