import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { text, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const md5 = (s: string | Buffer) => createHash("md5").update(s).digest("hex");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("base64");
const err = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a failure"); }, (e) => e as Error & Record<string, any>);

describe("S3 objects", () => {
  it("round-trips bytes, user metadata and every content header", async () => {
    const { s3, bucket } = await withBucket(n);
    const expires = new Date("2030-01-02T03:04:05Z");
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "dir/hello world.txt",
        Body: "hello, world",
        ContentType: "text/plain; charset=utf-8",
        ContentEncoding: "identity",
        ContentDisposition: 'attachment; filename="hw.txt"',
        ContentLanguage: "en-GB",
        CacheControl: "max-age=60",
        Expires: expires,
        Metadata: { colour: "blue", "multi-word": "two words" },
        StorageClass: "STANDARD_IA",
      }),
    );
    expect(put.ETag).toBe(`"${md5("hello, world")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello world.txt" }));
    expect(await text(got.Body)).toBe("hello, world");
    expect(got.$metadata.httpStatusCode).toBe(200);
    expect(got.ETag).toBe(put.ETag);
    expect(got.ContentLength).toBe(12);
    expect(got.ContentType).toBe("text/plain; charset=utf-8");
    expect(got.ContentEncoding).toBe("identity");
    expect(got.ContentDisposition).toBe('attachment; filename="hw.txt"');
    expect(got.ContentLanguage).toBe("en-GB");
    expect(got.CacheControl).toBe("max-age=60");
    expect(got.Expires?.toISOString()).toBe(expires.toISOString());
    expect(got.Metadata).toEqual({ colour: "blue", "multi-word": "two words" });
    expect(got.StorageClass).toBe("STANDARD_IA");
    expect(got.AcceptRanges).toBe("bytes");
    expect(Math.abs(got.LastModified!.getTime() - Date.now())).toBeLessThan(60_000);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dir/hello world.txt" }));
    expect([head.ContentLength, head.ETag, head.ContentType, head.StorageClass]).toEqual([12, put.ETag, "text/plain; charset=utf-8", "STANDARD_IA"]);
    expect(head.Metadata).toEqual({ colour: "blue", "multi-word": "two words" });
  });

  it("applies response-* overrides on GET", async () => {
    const { s3, bucket } = await withBucket(n);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ContentType: "text/plain" }));
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: "k",
        ResponseContentType: "application/json",
        ResponseContentDisposition: "inline",
        ResponseCacheControl: "no-cache",
        ResponseContentLanguage: "fr",
        ResponseContentEncoding: "gzip2",
        ResponseExpires: new Date("2031-01-01T00:00:00Z"),
      }),
    );
    await text(got.Body);
    expect([got.ContentType, got.ContentDisposition, got.CacheControl, got.ContentLanguage, got.ContentEncoding]).toEqual(["application/json", "inline", "no-cache", "fr", "gzip2"]);
    expect(got.Expires?.toISOString()).toBe("2031-01-01T00:00:00.000Z");
  });

  it("stores zero-byte objects and defaults the content type and storage class", async () => {
    const { s3, bucket } = await withBucket(n);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "empty", Body: "" }));
    expect(put.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "empty" }));
    expect(await text(got.Body)).toBe("");
    expect(got.ContentLength).toBe(0);
    expect(got.ContentType).toBe("application/octet-stream"); // what the SDK sends for a body without a type
    expect(got.StorageClass).toBeUndefined();
    const range = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "empty", Range: "bytes=0-0" })));
    expect(range.$metadata.httpStatusCode).toBe(416);
  });

  it("streams a 64 MiB object both ways byte-identical", async () => {
    const { s3, bucket } = await withBucket(n);
    const dir = mkdtempSync(join(tmpdir(), "s3-big-"));
    try {
      const file = join(dir, "big");
      const data = randomBytes(64 * 1024 * 1024);
      writeFileSync(file, data);
      const want = sha256(data);
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "big", Body: createReadStream(file), ContentLength: data.length }));
      expect(put.ETag).toBe(`"${md5(data)}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big" }));
      expect(got.ContentLength).toBe(data.length);
      const h = createHash("sha256");
      let size = 0;
      for await (const chunk of got.Body as Readable) {
        h.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      expect(size).toBe(data.length);
      expect(h.digest("base64")).toBe(want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("serves ranges with 206 and Content-Range, and 416 InvalidRange past the end", async () => {
    const { s3, bucket } = await withBucket(n);
    const body = "0123456789abcdefghij";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "r", Body: body }));
    const get = async (Range: string) => {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r", Range }));
      return [r.$metadata.httpStatusCode, r.ContentRange, r.ContentLength, await text(r.Body)];
    };
    expect(await get("bytes=0-9")).toEqual([206, "bytes 0-9/20", 10, "0123456789"]);
    expect(await get("bytes=-5")).toEqual([206, "bytes 15-19/20", 5, "fghij"]);
    expect(await get("bytes=10-")).toEqual([206, "bytes 10-19/20", 10, "abcdefghij"]);
    expect(await get("bytes=15-100")).toEqual([206, "bytes 15-19/20", 5, "fghij"]);
    expect(await get("bytes=-50")).toEqual([206, "bytes 0-19/20", 20, body]);
    const bad = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r", Range: "bytes=20-" })));
    expect(bad.name).toBe("InvalidRange");
    expect(bad.$metadata.httpStatusCode).toBe(416);
    expect(bad.message).toBe("The requested range is not satisfiable");
    expect(bad.ActualObjectSize).toBe("20");
    expect(bad.RangeRequested).toBe("bytes=20-");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "r", Range: "bytes=2-3" }));
    expect([head.$metadata.httpStatusCode, head.ContentLength, head.ContentRange]).toEqual([206, 2, "bytes 2-3/20"]);
  });

  it("evaluates conditional GETs with AWS's precedence", async () => {
    const { s3, bucket } = await withBucket(n);
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c", Body: "v1" }));
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    const status = (input: Record<string, unknown>) =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c", ...input })).then(
        async (r) => (await text(r.Body), r.$metadata.httpStatusCode),
        // A 304 has no body (as on AWS), so the SDK cannot name it: compare status and Condition.
        (e) => [e.$metadata.httpStatusCode, e.$metadata.httpStatusCode === 304 ? "NotModified" : e.name, e.Condition],
      );
    expect(await status({ IfMatch: ETag })).toBe(200);
    expect(await status({ IfMatch: '"nope"' })).toEqual([412, "PreconditionFailed", "If-Match"]);
    expect(await status({ IfNoneMatch: ETag })).toEqual([304, "NotModified", undefined]);
    expect(await status({ IfNoneMatch: '"other"' })).toBe(200);
    expect(await status({ IfModifiedSince: future })).toEqual([304, "NotModified", undefined]);
    expect(await status({ IfModifiedSince: past })).toBe(200);
    expect(await status({ IfUnmodifiedSince: past })).toEqual([412, "PreconditionFailed", "If-Unmodified-Since"]);
    expect(await status({ IfUnmodifiedSince: future })).toBe(200);
    // If-Match true wins over a failing If-Unmodified-Since; If-None-Match false wins over If-Modified-Since.
    expect(await status({ IfMatch: ETag, IfUnmodifiedSince: past })).toBe(200);
    expect(await status({ IfNoneMatch: ETag, IfModifiedSince: past })).toEqual([304, "NotModified", undefined]);
    expect(await status({ IfNoneMatch: '"other"', IfModifiedSince: future })).toBe(200);
    const head = await err(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c", IfNoneMatch: ETag })));
    expect(head.$metadata.httpStatusCode).toBe(304);
  });

  it("honours conditional writes (If-None-Match: *, If-Match)", async () => {
    const { s3, bucket } = await withBucket(n);
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "w", Body: "one", IfNoneMatch: "*" }));
    const again = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "w", Body: "two", IfNoneMatch: "*" })));
    expect([again.name, again.$metadata.httpStatusCode, again.Condition]).toEqual(["PreconditionFailed", 412, "If-None-Match"]);
    const wrong = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "w", Body: "two", IfMatch: '"0123"' })));
    expect([wrong.name, wrong.Condition]).toEqual(["PreconditionFailed", "If-Match"]);
    const missing = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "nothing", Body: "x", IfMatch: first.ETag })));
    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(["NoSuchKey", 404]);
    const ok = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "w", Body: "three", IfMatch: first.ETag }));
    expect(ok.ETag).toBe(`"${md5("three")}"`);
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "w" }))).Body)).toBe("three");
  });

  it("answers NoSuchKey with the key, deletes idempotently, and refuses strangers", async () => {
    const { s3, bucket } = await withBucket(n);
    const missing = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "no/such key" })));
    expect([missing.name, missing.message, missing.Key, missing.$metadata.httpStatusCode]).toEqual(["NoSuchKey", "The specified key does not exist.", "no/such key", 404]);
    const headMissing = await err(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "nope" })));
    expect(headMissing.$metadata.httpStatusCode).toBe(404);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d", Body: "x" }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d" }))).$metadata.httpStatusCode).toBe(204);
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "d" })))).name).toBe("NoSuchKey");
    const stranger = new S3Client({ ...sdkConfig(n.endpoint, { accountId: freshAccount() }), forcePathStyle: true });
    expect((await err(stranger.send(new GetObjectCommand({ Bucket: bucket, Key: "d" })))).$metadata.httpStatusCode).toBe(403);
    const noBucket = await err(s3.send(new PutObjectCommand({ Bucket: `${bucket}-gone`, Key: "k", Body: "x" })));
    expect(noBucket.name).toBe("NoSuchBucket");
    const tooLong = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k".repeat(1025), Body: "x" })));
    expect(tooLong.name).toBe("KeyTooLongError");
    const bigMeta = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "m", Body: "x", Metadata: { big: "v".repeat(2100) } })));
    expect(bigMeta.name).toBe("MetadataTooLarge");
    const badClass = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "m", Body: "x", StorageClass: "PLATINUM" as "STANDARD" })));
    expect(badClass.$metadata.httpStatusCode).toBe(400);
  });

  it("checks Content-MD5 and keeps the old object when the new body is refused", async () => {
    const { s3, bucket } = await withBucket(n);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "original" }));
    const good = Buffer.from(md5("replacement"), "hex").toString("base64");
    const bad = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "tampered!!!", ContentMD5: good })));
    expect([bad.name, bad.$metadata.httpStatusCode]).toEqual(["BadDigest", 400]);
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "md5" }))).Body)).toBe("original");
    const ok = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "replacement", ContentMD5: good }));
    expect(ok.ETag).toBe(`"${md5("replacement")}"`);
  });

  it("keeps archived objects (GLACIER, DEEP_ARCHIVE) unreadable until restored, as S3 does", async () => {
    const { s3, bucket } = await withBucket(n);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cold", Body: "frozen", StorageClass: "GLACIER" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold" }));
    expect([head.StorageClass, head.ContentLength]).toEqual(["GLACIER", 6]);
    const get = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold" })));
    expect([get.name, get.$metadata.httpStatusCode, get.StorageClass]).toEqual(["InvalidObjectState", 403, "GLACIER"]);
  });

  it("stores x-amz-checksum-* values and returns them with ChecksumMode ENABLED", async () => {
    const { s3, bucket } = await withBucket(n);
    const body = Buffer.from("checksummed bytes");
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sum", Body: body, ChecksumAlgorithm: "SHA256" }));
    expect(put.ChecksumSHA256).toBe(sha256(body));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sum", ChecksumMode: "ENABLED" }));
    expect(await text(got.Body)).toBe("checksummed bytes");
    expect(got.ChecksumSHA256).toBe(sha256(body));
    expect(got.ChecksumType).toBe("FULL_OBJECT");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sum", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumSHA256).toBe(sha256(body));
    // An explicit header value is verified (a wrong one is refused) and stored as sent.
    const crc = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "crc", Body: "abc", ChecksumCRC32: "NSRBwg==" }));
    expect(crc.ChecksumCRC32).toBe("NSRBwg==");
    const bad = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "crc", Body: "abd", ChecksumCRC32: "NSRBwg==" })));
    expect(bad.$metadata.httpStatusCode).toBe(400);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "crc", ChecksumMode: "ENABLED" }))).ChecksumCRC32).toBe("NSRBwg==");
  });
});

/**
 * Blobs: files on disk (outside tmp/) and small blobs kept in the database; every object owns
 * exactly one. Read through the running Nimbus's connection: it holds nimbus.db exclusively.
 */
function blobFiles(server: TestNimbus): number {
  const dataDir = server.dataDir;
  let count = 0;
  for (const d of readdirSync(join(dataDir, "blobs"))) if (d !== "tmp") count += readdirSync(join(dataDir, "blobs", d)).length;
  count += server.nimbus.db.prepare("SELECT (SELECT count(*) FROM nimbus_small_blobs) + (SELECT count(*) FROM nimbus_blobs)").pluck().get() as number;
  return count;
}

describe("S3 default checksum", () => {
  it("computes CRC64NVME when the client sends no checksum, and the SDK verifies it on GET", async () => {
    const { bucket, s3: owner } = await withBucket(n, "crc64");
    const account = await owner.config.credentials().then((c) => c.accessKeyId);
    const plain = new S3Client({ ...sdkConfig(n.endpoint, { accountId: account }), forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
    const body = randomBytes(100_000);
    const put = await plain.send(new PutObjectCommand({ Bucket: bucket, Key: "nvme", Body: body }));
    expect(put.ChecksumCRC64NVME).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    const got = await plain.send(new GetObjectCommand({ Bucket: bucket, Key: "nvme", ChecksumMode: "ENABLED" }));
    // The SDK checks the body against x-amz-checksum-crc64nvme while reading it.
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ChecksumCRC64NVME).toBe(put.ChecksumCRC64NVME);
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    const listed = await plain.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents![0].ChecksumAlgorithm).toEqual(["CRC64NVME"]);
  });
});

describe("S3 durability", () => {
  it("leaves exactly one blob per object through overwrites, copies, deletes and refused writes", async () => {
    const server = await startNimbus();
    try {
      const s3 = new S3Client({ ...sdkConfig(server.endpoint, { accountId: freshAccount() }), forcePathStyle: true });
      const { CreateBucketCommand, CopyObjectCommand, DeleteObjectsCommand } = await import("@aws-sdk/client-s3");
      await s3.send(new CreateBucketCommand({ Bucket: "blobs-bucket" }));
      const B = "blobs-bucket";
      for (let i = 0; i < 3; i++) await s3.send(new PutObjectCommand({ Bucket: B, Key: "a", Body: `v${i}` }));
      await s3.send(new PutObjectCommand({ Bucket: B, Key: "b", Body: "b" }));
      await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c", CopySource: `${B}/a` }));
      await s3.send(new CopyObjectCommand({ Bucket: B, Key: "a", CopySource: `${B}/a`, MetadataDirective: "REPLACE", Metadata: { x: "1" } }));
      await s3.send(new CopyObjectCommand({ Bucket: B, Key: "b", CopySource: `${B}/a` }));
      await err(s3.send(new PutObjectCommand({ Bucket: B, Key: "a", Body: "refused", IfNoneMatch: "*" })));
      await err(s3.send(new PutObjectCommand({ Bucket: B, Key: "a", Body: "bad md5", ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg==" })));
      expect(blobFiles(server)).toBe(3);
      await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: "a" }, { Key: "b" }] } }));
      expect(blobFiles(server)).toBe(1);
      await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "c" }));
      expect(blobFiles(server)).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it("POST /_nimbus/state/reset drops buckets, objects and their blobs", async () => {
    const server = await startNimbus();
    try {
      const s3 = new S3Client({ ...sdkConfig(server.endpoint, { accountId: freshAccount() }), forcePathStyle: true });
      const { CreateBucketCommand, ListBucketsCommand } = await import("@aws-sdk/client-s3");
      await s3.send(new CreateBucketCommand({ Bucket: "reset-me" }));
      await s3.send(new PutObjectCommand({ Bucket: "reset-me", Key: "k", Body: "bytes" }));
      expect(blobFiles(server)).toBe(1);
      const r = await fetch(`${server.endpoint}/_nimbus/state/reset`, { method: "POST", body: JSON.stringify({ service: "s3" }), headers: { "content-type": "application/json" } });
      expect(r.status).toBe(200);
      expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
      await s3.send(new CreateBucketCommand({ Bucket: "reset-me" }));
      expect((await err(s3.send(new GetObjectCommand({ Bucket: "reset-me", Key: "k" })))).name).toBe("NoSuchKey");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(blobFiles(server)).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it("serves whole bodies to readers while writers replace the object", async () => {
    const { s3, bucket } = await withBucket(n, "race");
    const bodies = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(64 * 1024));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "hot", Body: bodies[0] }));
    const reads: Array<Promise<string>> = [];
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      writes.push(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "hot", Body: bodies[i % bodies.length] })));
      reads.push(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "hot" })).then((r) => text(r.Body)));
    }
    await Promise.all(writes);
    for (const body of await Promise.all(reads)) expect(bodies).toContain(body);
  }, 60_000);


  it("reads an object back byte-identical after a restart", async () => {
    const server = await startNimbus();
    const account = freshAccount();
    const mk = (endpoint: string) => new S3Client({ ...sdkConfig(endpoint, { accountId: account }), forcePathStyle: true });
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const bucket = `restart-${Math.random().toString(36).slice(2, 10)}`;
    let s3 = mk(server.endpoint);
    const { CreateBucketCommand } = await import("@aws-sdk/client-s3");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "keep/me", Body: data, Metadata: { kept: "yes" } }));
    await server.stop({ keepData: true });
    const again = await startNimbus({ dataDir: server.dataDir });
    try {
      s3 = mk(again.endpoint);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "keep/me" }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.equals(data)).toBe(true);
      expect(got.Metadata).toEqual({ kept: "yes" });
      expect(got.ETag).toBe(`"${md5(data)}"`);
    } finally {
      await again.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
