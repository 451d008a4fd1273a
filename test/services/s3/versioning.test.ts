// Versioning through SDK v3: Put/GetBucketVersioning, version ids, the null version, delete
// markers, GET/HEAD/DELETE by version, ListObjectVersions (order, markers, delimiter),
// DeleteObjects with VersionId, CopyObject from a version, tagging by version.
import {
  CopyObjectCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { text, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

const err = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e) => e as Error & Record<string, any>,
  );

async function versioned(prefix = "ver"): Promise<{ s3: S3Client; bucket: string }> {
  const r = await withBucket(n, prefix);
  await r.s3.send(new PutBucketVersioningCommand({ Bucket: r.bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return r;
}

const put = async (s3: S3Client, Bucket: string, Key: string, Body: string) => (await s3.send(new PutObjectCommand({ Bucket, Key, Body }))).VersionId;
const read = async (s3: S3Client, Bucket: string, Key: string, VersionId?: string) => text((await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body);

/** Every entry, in the order S3 sends them (versions and markers merged by key, newest first). */
function entries(r: ListObjectVersionsCommandOutput): Array<[string, string, boolean, boolean]> {
  const all = [
    ...(r.Versions ?? []).map((v) => ({ k: v.Key!, id: v.VersionId!, latest: v.IsLatest!, marker: false, t: v.LastModified!.getTime() })),
    ...(r.DeleteMarkers ?? []).map((v) => ({ k: v.Key!, id: v.VersionId!, latest: v.IsLatest!, marker: true, t: v.LastModified!.getTime() })),
  ];
  return all.map((e) => [e.k, e.id, e.latest, e.marker]);
}

describe("S3 versioning", () => {
  it("reports no status until configured, then Enabled/Suspended; refuses bad configurations", async () => {
    const { s3, bucket } = await withBucket(n, "ver");
    const none = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect(none.Status).toBeUndefined();
    expect(none.MFADelete).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe("Enabled");
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended", MFADelete: "Disabled" } }));
    const s = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect([s.Status, s.MFADelete]).toEqual(["Suspended", "Disabled"]);
    const bad = await err(s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "On" as "Enabled" } })));
    expect(bad.name).toBe("IllegalVersioningConfigurationException");
    expect(bad.$metadata.httpStatusCode).toBe(400);
    const mfa = await err(s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled", MFADelete: "Enabled" } })));
    expect(mfa.name).toBe("AccessDenied");
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe("Suspended");
  });

  it("keeps every version of an overwritten key and reads each by id", async () => {
    const { s3, bucket } = await versioned();
    const v1 = await put(s3, bucket, "k", "one");
    const v2 = await put(s3, bucket, "k", "two");
    expect(v1).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(v2).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(v1).not.toBe(v2);
    expect(await read(s3, bucket, "k")).toBe("two");
    expect(await read(s3, bucket, "k", v1)).toBe("one");
    const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k", VersionId: v1 }));
    expect(g.VersionId).toBe(v1);
    await g.Body!.transformToString();
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }));
    expect(h.VersionId).toBe(v2);
    expect(h.ContentLength).toBe(3);

    const missing = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k", VersionId: "A".repeat(32) })));
    expect(missing.name).toBe("NoSuchVersion");
    expect(missing.message).toBe("The specified version does not exist.");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const malformed = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k", VersionId: "not a version" })));
    expect(malformed.name).toBe("InvalidArgument");
    expect(malformed.message).toBe("Invalid version id specified");
    // Only the current version is listed by ListObjectsV2.
    const l = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(l.Contents?.map((c) => [c.Key, c.Size])).toEqual([["k", 3]]);
  });

  it("DELETE adds a delete marker; GET then 404s with x-amz-delete-marker; GET of the marker is 405; deleting the marker restores", async () => {
    const { s3, bucket } = await versioned();
    const v1 = await put(s3, bucket, "doc", "body");
    const d = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "doc" }));
    expect(d.DeleteMarker).toBe(true);
    expect(d.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    const gone = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doc" })));
    expect(gone.name).toBe("NoSuchKey");
    const headGone = await err(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "doc" })));
    expect(headGone.$metadata.httpStatusCode).toBe(404);
    expect(headGone.$response?.headers?.["x-amz-delete-marker"]).toBe("true");
    expect(headGone.$response?.headers?.["x-amz-version-id"]).toBe(d.VersionId);
    const onMarker = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doc", VersionId: d.VersionId })));
    expect(onMarker.name).toBe("MethodNotAllowed");
    expect(onMarker.$metadata.httpStatusCode).toBe(405);
    expect(onMarker.$response?.headers?.["x-amz-delete-marker"]).toBe("true");
    // The old version is still readable by id and not listed.
    expect(await read(s3, bucket, "doc", v1)).toBe("body");
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
    // Removing the marker makes v1 current again.
    const dm = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "doc", VersionId: d.VersionId }));
    expect([dm.DeleteMarker, dm.VersionId]).toEqual([true, d.VersionId]);
    expect(await read(s3, bucket, "doc")).toBe("body");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "doc" }))).VersionId).toBe(v1);
    // The bucket is not empty while versions remain.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "doc" }));
    const notEmpty = await err(s3.send(new DeleteBucketCommand({ Bucket: bucket })));
    expect(notEmpty.name).toBe("BucketNotEmpty");
  });

  it("deleting the current version by id promotes the previous one", async () => {
    const { s3, bucket } = await versioned();
    const v1 = await put(s3, bucket, "k", "one");
    const v2 = await put(s3, bucket, "k", "two");
    const r = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", VersionId: v2 }));
    expect(r.VersionId).toBe(v2);
    expect(r.DeleteMarker).toBeUndefined();
    expect(await read(s3, bucket, "k")).toBe("one");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }))).VersionId).toBe(v1);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", VersionId: v1 }));
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" })))).name).toBe("NoSuchKey");
    const l = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(entries(l)).toEqual([]);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  it("the null version: objects from before versioning, and writes while Suspended replace it", async () => {
    const { s3, bucket } = await withBucket(n, "ver");
    expect(await put(s3, bucket, "k", "pre")).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const v = await put(s3, bucket, "k", "enabled");
    expect(await read(s3, bucket, "k", "null")).toBe("pre");
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } }));
    expect(await put(s3, bucket, "k", "suspended-1")).toBe("null");
    expect(await put(s3, bucket, "k", "suspended-2")).toBe("null");
    expect(await read(s3, bucket, "k", "null")).toBe("suspended-2");
    expect(await read(s3, bucket, "k", v)).toBe("enabled");
    let l = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(entries(l)).toEqual([
      ["k", "null", true, false],
      ["k", v!, false, false],
    ]);
    // A delete while Suspended puts a null delete marker in place of the null version.
    const d = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k" }));
    expect([d.DeleteMarker, d.VersionId]).toEqual([true, "null"]);
    l = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(entries(l)).toEqual([
      ["k", v!, false, false],
      ["k", "null", true, true],
    ]);
    expect(l.DeleteMarkers?.[0].Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lists versions in key order, newest first, across pages with key and version-id markers", async () => {
    const { s3, bucket } = await versioned();
    const ids: Record<string, string[]> = { a: [], "b/1": [], "b/2": [], c: [] };
    for (let round = 0; round < 3; round++) {
      for (const k of Object.keys(ids)) ids[k].unshift((await put(s3, bucket, k, `${k}${round}`))!);
    }
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c" }))).VersionId!;
    ids.c.unshift(marker);
    const expected: Array<[string, string]> = [];
    for (const k of ["a", "b/1", "b/2", "c"]) for (const id of ids[k]) expected.push([k, id]);

    const all = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(all.IsTruncated).toBe(false);
    expect(all.Versions?.length).toBe(12);
    expect(all.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([["c", marker, true]]);
    expect(all.Versions?.filter((v) => v.IsLatest).map((v) => v.Key)).toEqual(["a", "b/1", "b/2"]);
    expect(all.Versions?.[0].ETag).toMatch(/^"[0-9a-f]{32}"$/);

    // Pages of 2: each entry exactly once, in order.
    const seen: Array<[string, string]> = [];
    let keyMarker: string | undefined;
    let vidMarker: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: vidMarker }));
      const es = entries(r).map(([k, id]) => [k, id] as [string, string]);
      // Within one page markers and versions are separate lists: order them by the expected order.
      es.sort((x, y) => expected.findIndex((e) => e[1] === x[1]) - expected.findIndex((e) => e[1] === y[1]));
      seen.push(...es);
      if (!r.IsTruncated) break;
      expect(r.NextKeyMarker).toBeDefined();
      keyMarker = r.NextKeyMarker;
      vidMarker = r.NextVersionIdMarker;
    }
    expect(seen).toEqual(expected);

    // Delimiter and prefix: b/ rolls up.
    const d = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Delimiter: "/" }));
    expect(d.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["b/"]);
    expect([...new Set(d.Versions?.map((v) => v.Key))]).toEqual(["a", "c"]);
    expect(d.DeleteMarkers?.map((m) => m.Key)).toEqual(["c"]);
    const p = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "b/", MaxKeys: 4 }));
    expect(entries(p).map((e) => e[0])).toEqual(["b/1", "b/1", "b/1", "b/2"]);
    expect([p.IsTruncated, p.NextKeyMarker, p.NextVersionIdMarker]).toEqual([true, "b/2", ids["b/2"][0]]);

    const noKey = await err(s3.send(new ListObjectVersionsCommand({ Bucket: bucket, VersionIdMarker: ids.a[0] })));
    expect(noKey.name).toBe("InvalidArgument");
    expect(noKey.message).toBe("A version-id marker cannot be specified without a key marker.");
  });

  it("url-encodes keys in ListObjectVersions with encoding-type=url", async () => {
    const { s3, bucket } = await versioned();
    await put(s3, bucket, "a b&c", "x");
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, EncodingType: "url" }));
    expect(r.EncodingType).toBe("url");
    expect(r.Versions?.[0].Key).toBe("a+b%26c");
  });

  it("DeleteObjects removes named versions and adds markers for bare keys", async () => {
    const { s3, bucket } = await versioned();
    const v1 = await put(s3, bucket, "x", "1");
    const v2 = await put(s3, bucket, "x", "2");
    await put(s3, bucket, "y", "y");
    const r = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "x", VersionId: v1 }, { Key: "y" }, { Key: "z", VersionId: "bad id" }] } }),
    );
    expect(r.Deleted?.find((d) => d.Key === "x")).toEqual({ Key: "x", VersionId: v1 });
    const y = r.Deleted?.find((d) => d.Key === "y");
    expect(y?.DeleteMarker).toBe(true);
    expect(y?.DeleteMarkerVersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(r.Errors?.map((e) => [e.Key, e.Code])).toEqual([["z", "InvalidArgument"]]);
    expect(await read(s3, bucket, "x")).toBe("2");
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "x", VersionId: v1 })))).name).toBe("NoSuchVersion");
    const l = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(entries(l)).toEqual([
      ["x", v2!, true, false],
      ["y", expect.any(String), false, false],
      ["y", y!.DeleteMarkerVersionId!, true, true],
    ]);
  });

  it("copies from a source version and tags versions separately", async () => {
    const { s3, bucket } = await versioned();
    const v1 = await put(s3, bucket, "src", "first");
    await put(s3, bucket, "src", "second");
    const c = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/src?versionId=${v1}` }));
    expect(c.CopySourceVersionId).toBe(v1);
    expect(c.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(await read(s3, bucket, "dst")).toBe("first");
    const missing = await err(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/src?versionId=${"B".repeat(32)}` })));
    expect(missing.name).toBe("NoSuchVersion");
    // Copy onto itself in a versioned bucket makes a new version and keeps the old one.
    const self = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "src", CopySource: `${bucket}/src`, MetadataDirective: "REPLACE", Metadata: { m: "1" } }));
    expect(await read(s3, bucket, "src", v1)).toBe("first");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "src" }))).VersionId).toBe(self.VersionId);

    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "src", VersionId: v1, Tagging: { TagSet: [{ Key: "old", Value: "yes" }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "src", VersionId: v1 }))).TagSet).toEqual([{ Key: "old", Value: "yes" }]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "src" }))).TagSet).toEqual([]);
  });

  it("unversioned buckets carry no version ids and DELETE leaves no marker", async () => {
    const { s3, bucket } = await withBucket(n, "ver");
    await put(s3, bucket, "k", "v");
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }));
    expect(h.VersionId).toBeUndefined();
    const d = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k" }));
    expect(d.DeleteMarker).toBeUndefined();
    const l = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(entries(l)).toEqual([]);
    await put(s3, bucket, "k2", "v");
    const l2 = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(entries(l2)).toEqual([["k2", "null", true, false]]);
  });
});
