// Multipart completeness through SDK v3: UploadPartCopy (ranges, conditions), part and object
// checksums (COMPOSITE and FULL_OBJECT), GET/HEAD by partNumber, ListMultipartUploads with a
// delimiter and url encoding, Complete's conditional headers, DeleteBucket with uploads in
// progress, GetObjectAttributes.
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

const MiB = 1024 * 1024;
const err = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e) => e as Error & Record<string, any>,
  );
const md5hex = (b: Buffer) => createHash("md5").update(b).digest("hex");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest();

/** CRC-32 (ISO-HDLC), written here so the test does not check Nimbus with its own code. */
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): string {
  let c = 0xffffffff;
  for (const byte of b) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}

async function bytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function twoPartObject(s3: S3Client, bucket: string, key: string): Promise<Buffer[]> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts = [randomBytes(5 * MiB), randomBytes(1000)];
  const etags: string[] = [];
  for (let i = 0; i < parts.length; i++) etags.push((await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: parts[i] }))).ETag!);
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  return parts;
}

describe("S3 multipart completeness", () => {
  it("UploadPartCopy copies whole objects and byte ranges, honouring copy-source conditions", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const src = randomBytes(6 * MiB);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: src }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "dst" }));
    const p1 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst", UploadId, PartNumber: 1, CopySource: `${bucket}/src`, CopySourceIfMatch: put.ETag }));
    expect(p1.CopyPartResult?.ETag).toBe(`"${md5hex(src)}"`);
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst", UploadId, PartNumber: 2, CopySource: `${bucket}/src`, CopySourceRange: "bytes=10-1033" }));
    expect(p2.CopyPartResult?.ETag).toBe(`"${md5hex(src.subarray(10, 1034))}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "dst", UploadId }));
    expect(parts.Parts?.map((p) => p.Size)).toEqual([6 * MiB, 1024]);

    const badRange = await err(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst", UploadId, PartNumber: 3, CopySource: `${bucket}/src`, CopySourceRange: `bytes=0-${6 * MiB}` })));
    expect(badRange.name).toBe("InvalidArgument");
    expect(badRange.message).toBe(`Range specified is not valid for source object of size: ${6 * MiB}`);
    const cond = await err(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst", UploadId, PartNumber: 3, CopySource: `${bucket}/src`, CopySourceIfNoneMatch: put.ETag })));
    expect(cond.name).toBe("PreconditionFailed");
    expect(cond.$metadata.httpStatusCode).toBe(412);
    const noUpload = await err(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst", UploadId: "nope", PartNumber: 1, CopySource: `${bucket}/src` })));
    expect(noUpload.name).toBe("NoSuchUpload");
    const noSrc = await err(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst", UploadId, PartNumber: 1, CopySource: `${bucket}/missing` })));
    expect(noSrc.name).toBe("NoSuchKey");

    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "dst", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }] } }),
    );
    const got = await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst" }))).Body);
    expect(got.equals(Buffer.concat([src, src.subarray(10, 1034)]))).toBe(true);
  }, 60_000);

  it("COMPOSITE SHA256: part checksums verified at Complete, the object's checksum is the checksum of checksums -N", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "k", ChecksumAlgorithm: "SHA256" }));
    expect([c.ChecksumAlgorithm, c.ChecksumType]).toEqual(["SHA256", "COMPOSITE"]);
    const parts = [randomBytes(5 * MiB), randomBytes(300)];
    const up = [];
    for (let i = 0; i < 2; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "k", UploadId: c.UploadId, PartNumber: i + 1, Body: parts[i], ChecksumAlgorithm: "SHA256" }));
      expect(r.ChecksumSHA256).toBe(sha256(parts[i]).toString("base64"));
      up.push({ PartNumber: i + 1, ETag: r.ETag!, ChecksumSHA256: r.ChecksumSHA256! });
    }
    const wrong = await err(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: c.UploadId, MultipartUpload: { Parts: [up[0], { ...up[1], ChecksumSHA256: up[0].ChecksumSHA256 }] } })),
    );
    expect(wrong.name).toBe("InvalidPart");
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: c.UploadId, MultipartUpload: { Parts: up } }));
    const expected = `${sha256(Buffer.concat(parts.map(sha256))).toString("base64")}-2`;
    expect([done.ChecksumSHA256, done.ChecksumType]).toEqual([expected, "COMPOSITE"]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k", ChecksumMode: "ENABLED" }));
    expect([head.ChecksumSHA256, head.ChecksumType]).toEqual([expected, "COMPOSITE"]);
    // A part read carries that part's checksum.
    const p2 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k", PartNumber: 2, ChecksumMode: "ENABLED" }));
    expect(p2.ChecksumSHA256).toBe(up[1].ChecksumSHA256);

    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "k", ObjectAttributes: ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"], MaxParts: 1 }));
    expect(attrs.ETag).toBe(done.ETag!.replace(/"/g, ""));
    expect(attrs.Checksum?.ChecksumSHA256).toBe(expected);
    expect(attrs.Checksum?.ChecksumType).toBe("COMPOSITE");
    expect(attrs.StorageClass).toBe("STANDARD");
    expect(attrs.ObjectSize).toBe(5 * MiB + 300);
    expect(attrs.ObjectParts?.TotalPartsCount).toBe(2);
    expect(attrs.ObjectParts?.IsTruncated).toBe(true);
    expect(attrs.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256])).toEqual([[1, 5 * MiB, up[0].ChecksumSHA256]]);
    const next = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "k", ObjectAttributes: ["ObjectParts"], PartNumberMarker: attrs.ObjectParts!.NextPartNumberMarker }));
    expect(next.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([2]);
    expect(next.ETag).toBeUndefined();

    const bad = await err(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "k", ChecksumAlgorithm: "SHA256", ChecksumType: "FULL_OBJECT" })));
    expect(bad.name).toBe("InvalidRequest");
    expect(bad.message).toBe("The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.");
  }, 60_000);

  it("FULL_OBJECT CRC32 and uploads without a checksum store a whole-object checksum", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "f", ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT" }));
    const parts = [randomBytes(5 * MiB), randomBytes(777)];
    const up = [];
    for (let i = 0; i < 2; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "f", UploadId: c.UploadId, PartNumber: i + 1, Body: parts[i], ChecksumAlgorithm: "CRC32" }));
      expect(r.ChecksumCRC32).toBe(crc32(parts[i]));
      up.push({ PartNumber: i + 1, ETag: r.ETag! });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "f", UploadId: c.UploadId, MultipartUpload: { Parts: up } }));
    expect([done.ChecksumCRC32, done.ChecksumType]).toEqual([crc32(Buffer.concat(parts)), "FULL_OBJECT"]);
    const get = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "f", ChecksumMode: "ENABLED" }));
    expect([get.ChecksumCRC32, get.ChecksumType]).toEqual([crc32(Buffer.concat(parts)), "FULL_OBJECT"]);
    await get.Body!.transformToByteArray();

    await twoPartObject(s3, bucket, "plain");
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "plain", ChecksumMode: "ENABLED" }));
    expect(h.ChecksumCRC64NVME).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(h.ChecksumType).toBe("FULL_OBJECT");
  }, 60_000);

  it("reads one part by partNumber (206, x-amz-mp-parts-count); refuses a part past the last and partNumber with Range", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const parts = await twoPartObject(s3, bucket, "two");
    const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "two", PartNumber: 2 }));
    expect(g.$metadata.httpStatusCode).toBe(206);
    expect(g.PartsCount).toBe(2);
    expect(g.ContentLength).toBe(1000);
    expect(g.ContentRange).toBe(`bytes ${5 * MiB}-${5 * MiB + 999}/${5 * MiB + 1000}`);
    expect((await bytes(g.Body)).equals(parts[1])).toBe(true);
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "two", PartNumber: 1 }));
    expect([h.PartsCount, h.ContentLength]).toEqual([2, 5 * MiB]);
    const past = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "two", PartNumber: 3 })));
    expect(past.name).toBe("InvalidPartNumber");
    expect(past.$metadata.httpStatusCode).toBe(416);
    const both = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "two", PartNumber: 1, Range: "bytes=0-1" })));
    expect(both.name).toBe("InvalidRequest");
    // A single-part object has one part: the whole object.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "one", Body: "hello" }));
    const one = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "one", PartNumber: 1 }));
    expect(await one.Body!.transformToString()).toBe("hello");
    expect(one.PartsCount).toBeUndefined();
  }, 60_000);

  it("ListMultipartUploads rolls keys up by delimiter, pages by markers and url-encodes", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const ids: Record<string, string> = {};
    for (const key of ["a/1", "a/2", "b", "c d", "e/x/y"]) ids[key] = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Delimiter: "/" }));
    expect(r.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/", "e/"]);
    expect(r.Uploads?.map((u) => u.Key)).toEqual(["b", "c d"]);
    expect(r.Delimiter).toBe("/");
    const p1 = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Delimiter: "/", MaxUploads: 2 }));
    expect([p1.CommonPrefixes?.map((p) => p.Prefix), p1.Uploads?.map((u) => u.Key), p1.IsTruncated, p1.NextKeyMarker]).toEqual([["a/"], ["b"], true, "b"]);
    const p2 = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Delimiter: "/", MaxUploads: 2, KeyMarker: p1.NextKeyMarker, UploadIdMarker: p1.NextUploadIdMarker }));
    expect([p2.CommonPrefixes?.map((p) => p.Prefix), p2.Uploads?.map((u) => u.Key), p2.IsTruncated]).toEqual([["e/"], ["c d"], false]);
    const e = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "e/", Delimiter: "/" }));
    expect(e.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["e/x/"]);
    const url = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "c", EncodingType: "url" }));
    expect(url.EncodingType).toBe("url");
    expect(url.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([["c+d", ids["c d"]]]);
  });

  it("Complete honours If-None-Match: * and If-Match", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "existing" }));
    const start = async () => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "k" }));
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "k", UploadId, PartNumber: 1, Body: "new" }));
      return { UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } };
    };
    const a = await start();
    const none = await err(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", ...a, IfNoneMatch: "*" })));
    expect(none.name).toBe("PreconditionFailed");
    const wrong = await err(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", ...a, IfMatch: '"0123456789abcdef0123456789abcdef"' })));
    expect(wrong.name).toBe("PreconditionFailed");
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))).Body!.transformToString()).toBe("existing");
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", ...a, IfMatch: put.ETag }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))).Body!.transformToString()).toBe("new");
  });

  it("DeleteBucket with uploads in progress succeeds and takes the uploads with it", async () => {
    const { s3, bucket } = await withBucket(n, "mpc");
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "k" }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "k", UploadId, PartNumber: 1, Body: randomBytes(1000) }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    expect((await err(s3.send(new ListPartsCommand({ Bucket: bucket, Key: "k", UploadId })))).name).toBe("NoSuchUpload");
  });
});
