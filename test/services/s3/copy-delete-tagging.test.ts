import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { client, text, uniq, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const md5 = (s: string) => `"${createHash("md5").update(s).digest("hex")}"`;
const err = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a failure"); }, (e) => e as Error & Record<string, any>);

describe("CopyObject", () => {
  it("copies bytes, metadata and tags (COPY) or takes the request's (REPLACE)", async () => {
    const { s3, bucket } = await withBucket(n, "copy");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src key", Body: "payload", ContentType: "text/x-src", Metadata: { origin: "src" }, Tagging: "t1=v1&t2=v%202" }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/${encodeURIComponent("src key")}` }));
    expect(copied.CopyObjectResult!.ETag).toBe(md5("payload"));
    expect(copied.CopyObjectResult!.LastModified).toBeInstanceOf(Date);
    const dst = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst" }));
    expect(await text(dst.Body)).toBe("payload");
    expect([dst.ContentType, dst.Metadata, dst.TagCount]).toEqual(["text/x-src", { origin: "src" }, 2]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "dst" }))).TagSet).toEqual([{ Key: "t1", Value: "v1" }, { Key: "t2", Value: "v 2" }]);

    const other = uniq("copy-dst");
    await s3.send(new CreateBucketCommand({ Bucket: other }));
    await s3.send(
      new CopyObjectCommand({
        Bucket: other,
        Key: "replaced",
        CopySource: `/${bucket}/${encodeURIComponent("src key")}`,
        MetadataDirective: "REPLACE",
        ContentType: "application/x-new",
        Metadata: { fresh: "yes" },
        TaggingDirective: "REPLACE",
        Tagging: "only=one",
        StorageClass: "GLACIER_IR",
      }),
    );
    const rep = await s3.send(new HeadObjectCommand({ Bucket: other, Key: "replaced" }));
    expect([rep.ContentType, rep.Metadata, rep.StorageClass, rep.ContentLength, rep.ETag]).toEqual(["application/x-new", { fresh: "yes" }, "GLACIER_IR", 7, md5("payload")]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: other, Key: "replaced" }))).TagSet).toEqual([{ Key: "only", Value: "one" }]);
    // The copy owns its bytes: deleting the source leaves it readable.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "src key" }));
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: other, Key: "replaced" }))).Body)).toBe("payload");
  });

  it("copies onto itself only to change metadata or storage class", async () => {
    const { s3, bucket } = await withBucket(n, "self");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "me", Body: "same bytes", Metadata: { v: "1" } }));
    const illegal = await err(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "me", CopySource: `${bucket}/me` })));
    expect([illegal.name, illegal.$metadata.httpStatusCode]).toEqual(["InvalidRequest", 400]);
    expect(illegal.message).toMatch(/copy an object to itself without changing/);
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "me", CopySource: `${bucket}/me`, MetadataDirective: "REPLACE", Metadata: { v: "2" } }));
    let head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "me" }));
    expect([head.Metadata, head.StorageClass]).toEqual([{ v: "2" }, undefined]);
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "me", CopySource: `${bucket}/me`, StorageClass: "STANDARD_IA" }));
    head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "me" }));
    expect([head.Metadata, head.StorageClass]).toEqual([{ v: "2" }, "STANDARD_IA"]);
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "me" }))).Body)).toBe("same bytes");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents!.map((o) => [o.Key, o.StorageClass, o.Size])).toEqual([["me", "STANDARD_IA", 10]]);
  });

  it("checks x-amz-copy-source-if-* conditions and a missing source", async () => {
    const { s3, bucket } = await withBucket(n, "copycond");
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "s", Body: "x" }));
    const copy = (extra: Record<string, unknown>) => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "d", CopySource: `${bucket}/s`, ...extra }));
    expect((await copy({ CopySourceIfMatch: ETag })).CopyObjectResult!.ETag).toBe(ETag);
    const mismatch = await err(copy({ CopySourceIfMatch: '"abc"' }));
    expect([mismatch.name, mismatch.$metadata.httpStatusCode, mismatch.Condition]).toEqual(["PreconditionFailed", 412, "x-amz-copy-source-If-Match"]);
    const noneMatch = await err(copy({ CopySourceIfNoneMatch: ETag }));
    expect(noneMatch.Condition).toBe("x-amz-copy-source-If-None-Match");
    const notModified = await err(copy({ CopySourceIfModifiedSince: new Date(Date.now() + 3_600_000) }));
    expect(notModified.$metadata.httpStatusCode).toBe(412);
    expect((await copy({ CopySourceIfMatch: ETag, CopySourceIfUnmodifiedSince: new Date(Date.now() - 3_600_000) })).$metadata.httpStatusCode).toBe(200);
    const missing = await err(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "d", CopySource: `${bucket}/absent` })));
    expect([missing.name, missing.Key]).toEqual(["NoSuchKey", "absent"]);
  });
});

describe("DeleteObjects", () => {
  it("deletes in batch, verbose and quiet", async () => {
    const { s3, bucket } = await withBucket(n, "batch");
    const keys = ["a", "b/c", "d e", "ünï"];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    const verbose = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "a" }, { Key: "b/c" }, { Key: "never-was" }] } }));
    expect(verbose.Deleted!.map((d) => d.Key)).toEqual(["a", "b/c", "never-was"]);
    expect(verbose.Errors).toBeUndefined();
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: "d e" }] } }));
    expect(quiet.Deleted).toBeUndefined();
    expect(quiet.Errors).toBeUndefined();
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(left.Contents!.map((o) => o.Key)).toEqual(["ünï"]);
    const conditional = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "ünï", ETag: '"0000"' }] } }));
    expect(conditional.Errors!.map((e) => [e.Key, e.Code])).toEqual([["ünï", "PreconditionFailed"]]);
    const absent = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "gone", ETag: '"0000"' }] } }));
    expect(absent.Errors!.map((e) => [e.Key, e.Code])).toEqual([["gone", "NoSuchKey"]]);
    const tooMany = await err(s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` })) } })));
    expect(tooMany.name).toBe("MalformedXML");
  });
});

describe("conditional DeleteObject", () => {
  it("deletes on a matching If-Match, refuses a stale one, and 404s when absent", async () => {
    const { s3, bucket } = await withBucket(n, "cdel");
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    const stale = await err(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", IfMatch: '"0123"' })));
    expect([stale.name, stale.$metadata.httpStatusCode, stale.Condition]).toEqual(["PreconditionFailed", 412, "If-Match"]);
    expect((await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", IfMatch: ETag }))).$metadata.httpStatusCode).toBe(204);
    const absent = await err(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", IfMatch: "*" })));
    expect([absent.name, absent.$metadata.httpStatusCode]).toEqual(["NoSuchKey", 404]);
  });
});

describe("tagging", () => {
  it("puts, gets and deletes object tags, and validates them", async () => {
    const { s3, bucket } = await withBucket(n, "tags");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "o", Body: "x" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "o" }))).TagSet).toEqual([]);
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "o", Tagging: { TagSet: [{ Key: "env", Value: "prod" }, { Key: "team", Value: "" }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "o" }))).TagSet).toEqual([{ Key: "env", Value: "prod" }, { Key: "team", Value: "" }]);
    expect((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "o" }))).TagCount).toBe(2);
    const del = await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: "o" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "o" }))).TagSet).toEqual([]);
    const tooMany = await err(s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "o", Tagging: { TagSet: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) } })));
    expect([tooMany.name, tooMany.message]).toEqual(["InvalidTag", "Object tags cannot be greater than 10"]);
    const dup = await err(s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "o", Tagging: { TagSet: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] } })));
    expect(dup.name).toBe("InvalidTag");
    const missing = await err(s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "nope" })));
    expect(missing.name).toBe("NoSuchKey");
  });

  it("puts, gets and deletes bucket tags", async () => {
    const { s3, bucket } = await withBucket(n, "btags");
    const none = await err(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })));
    expect([none.name, none.$metadata.httpStatusCode, none.message]).toEqual(["NoSuchTagSet", 404, "The TagSet does not exist"]);
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "cost-centre", Value: "42" }] } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([{ Key: "cost-centre", Value: "42" }]);
    expect((await s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect((await err(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })))).name).toBe("NoSuchTagSet");
  });
});

describe("bucket lifecycle with objects", () => {
  it("answers BucketNotEmpty until the last object is gone", async () => {
    const { s3, bucket } = await withBucket(n, "notempty");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "last", Body: "x" }));
    const full = await err(s3.send(new DeleteBucketCommand({ Bucket: bucket })));
    expect([full.name, full.$metadata.httpStatusCode, full.message, full.BucketName]).toEqual(["BucketNotEmpty", 409, "The bucket you tried to delete is not empty", bucket]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "last" }));
    expect((await s3.send(new DeleteBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
  });

  it("GetBucketLocation: empty for us-east-1, the region elsewhere", async () => {
    const { s3, bucket } = await withBucket(n, "loc");
    const us = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    expect(us.LocationConstraint ?? null).toBeNull();
    const eu = client(n, { accountId: freshAccount(), region: "eu-west-1" });
    const euBucket = uniq("loc-eu");
    await eu.send(new CreateBucketCommand({ Bucket: euBucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    expect((await eu.send(new GetBucketLocationCommand({ Bucket: euBucket }))).LocationConstraint).toBe("eu-west-1");
  });
});
