// Encryption at rest: every new object is SSE-S3 by default and its bytes on disk (database rows
// and blob files) are ciphertext; range reads decrypt from any offset; default bucket
// encryption; SSE-C keys enforced on GET, HEAD and copy; multipart uploads encrypted too.
import { createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allParts, getObject, getUpload } from "../../../src/services/s3/store.js";
import { masterKey } from "../../../src/services/s3/encryption/cipher.js";
import { DocStore } from "../../../src/core/state/doc-store.js";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { err } from "./access-helpers.js";
import { bytes, rawBlob, text, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});


/** Text that cannot appear by chance in ciphertext. */
const secret = (n: number) => Buffer.from("TOP-SECRET-PLAINTEXT ".repeat(Math.ceil(n / 21)).slice(0, n));

describe("SSE-S3 (the default)", () => {
  it("encrypts small (database) and large (file) blobs; reports AES256; reads whole and by ranges", async () => {
    const { s3, bucket } = await withBucket(n, "sse");
    const small = secret(1000);
    const large = Buffer.concat([secret(100_000), randomBytes(77_777)]);
    const p1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small", Body: small }));
    const p2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "large", Body: large }));
    expect([p1.ServerSideEncryption, p2.ServerSideEncryption]).toEqual(["AES256", "AES256"]);
    // The ETag is the plaintext's MD5, as on S3 for SSE-S3.
    expect(p1.ETag).toBe(`"${createHash("md5").update(small).digest("hex")}"`);

    for (const [key, plain] of [["small", small], ["large", large]] as const) {
      const row = getObject(n.nimbus.db, bucket, key)!;
      const raw = rawBlob(n, row.blobId);
      expect(raw.length).toBe(plain.length);
      expect(raw.includes(Buffer.from("TOP-SECRET"))).toBe(false);
      expect(raw.equals(plain)).toBe(false);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(got.ServerSideEncryption).toBe("AES256");
      expect((await bytes(got.Body)).equals(plain)).toBe(true);
      expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ServerSideEncryption).toBe("AES256");
    }
    // Ranges starting inside, at and across 16-byte cipher blocks, and suffix ranges.
    for (const [start, end] of [[0, 0], [15, 16], [17, 100], [4095, 70_000], [65_536, 65_551], [large.length - 33, large.length - 1]]) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "large", Range: `bytes=${start}-${end}` }));
      expect((await bytes(got.Body)).equals(large.subarray(start, end + 1))).toBe(true);
    }
    const suffix = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "large", Range: "bytes=-1000" }));
    expect((await bytes(suffix.Body)).equals(large.subarray(large.length - 1000))).toBe(true);
    // Two objects with the same bytes have different ciphertexts (one IV each).
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small2", Body: small }));
    expect(rawBlob(n, getObject(n.nimbus.db, bucket, "small2")!.blobId).equals(rawBlob(n, getObject(n.nimbus.db, bucket, "small")!.blobId))).toBe(false);
  });

  it("copies decrypt the source and encrypt the copy", async () => {
    const { s3, bucket } = await withBucket(n, "ssecopy");
    const plain = secret(5000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a", Body: plain }));
    const c = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "b", CopySource: `${bucket}/a` }));
    expect(c.ServerSideEncryption).toBe("AES256");
    expect(rawBlob(n, getObject(n.nimbus.db, bucket, "b")!.blobId).includes(Buffer.from("TOP-SECRET"))).toBe(false);
    expect((await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "b" }))).Body)).equals(plain)).toBe(true);
    // A metadata-only copy onto itself keeps the blob and its encryption.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "b", CopySource: `${bucket}/b`, MetadataDirective: "REPLACE", Metadata: { m: "1" } }));
    const again = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "b" }));
    expect([again.Metadata, (await bytes(again.Body)).equals(plain)]).toEqual([{ m: "1" }, true]);
  });

  it("encrypts multipart parts and the completed object", async () => {
    const { s3, bucket } = await withBucket(n, "ssemp");
    const part1 = secret(5 * 1024 * 1024);
    const part2 = secret(1234);
    const { UploadId, ServerSideEncryption } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp" }));
    expect(ServerSideEncryption).toBe("AES256");
    const e1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 1, Body: part1 }));
    const e2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 2, Body: part2 }));
    expect(getUpload(n.nimbus.db, UploadId!)).toBeDefined();
    for (const p of allParts(n.nimbus.db, UploadId!)) expect(rawBlob(n, p.blobId).includes(Buffer.from("TOP-SECRET"))).toBe(false);
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }));
    expect(done.ServerSideEncryption).toBe("AES256");
    const raw = rawBlob(n, getObject(n.nimbus.db, bucket, "mp")!.blobId);
    expect(raw.length).toBe(part1.length + part2.length);
    expect(raw.includes(Buffer.from("TOP-SECRET"))).toBe(false);
    const got = await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp" }))).Body);
    expect(got.equals(Buffer.concat([part1, part2]))).toBe(true);
    const tail = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp", Range: `bytes=${part1.length - 5}-${part1.length + 5}` }));
    expect((await bytes(tail.Body)).equals(Buffer.concat([part1, part2]).subarray(part1.length - 5, part1.length + 6))).toBe(true);
  });
});

describe("the SSE-S3 key", () => {
  it("survives a state reset and a restart: objects written after the reset read back after the restart", async () => {
    const m = await startNimbus();
    let restarted: TestNimbus | undefined;
    try {
      const { s3, bucket } = await withBucket(m, "ssereset");
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "before", Body: "old" }));
      const r = await fetch(`${m.endpoint}/_nimbus/state/reset`, { method: "POST", body: JSON.stringify({ service: "s3" }) });
      expect(r.status).toBe(200);
      const again = await withBucket(m, "ssereset");
      await again.s3.send(new PutObjectCommand({ Bucket: again.bucket, Key: "after", Body: secret(500) }));
      await m.stop({ keepData: true });
      restarted = await startNimbus({ dataDir: m.dataDir });
      const c = new S3Client({ ...sdkConfig(restarted.endpoint, { accountId: await again.s3.config.credentials().then((x) => x.accessKeyId) }), forcePathStyle: true });
      expect((await bytes((await c.send(new GetObjectCommand({ Bucket: again.bucket, Key: "after" }))).Body)).equals(secret(500))).toBe(true);
    } finally {
      await restarted?.stop();
      rmSync(m.dataDir, { recursive: true, force: true });
    }
  });
});

describe("default bucket encryption", () => {
  it("reports SSE-S3 when nothing is configured; Put/Get/Delete round trip; validation", async () => {
    const { s3, bucket } = await withBucket(n, "bucketenc");
    const def = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(def.ServerSideEncryptionConfiguration!.Rules).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }]);
    await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: true }] } }));
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration!.Rules![0].BucketKeyEnabled).toBe(true);
    const bad = await err(
      s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256", KMSMasterKeyID: "k" } }] } })),
    );
    expect([bad.name, bad.status]).toEqual(["InvalidArgument", 400]);
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration!.Rules![0].BucketKeyEnabled).toBe(false);
  });
});

describe("SSE-C", () => {
  const key = randomBytes(32);
  const ssec = { SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(key).digest("base64") };
  const other = randomBytes(32);
  const wrong = { SSECustomerAlgorithm: "AES256", SSECustomerKey: other.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(other).digest("base64") };

  it("needs the key on every GET and HEAD; a wrong key is AccessDenied; the key is not stored", async () => {
    const { s3, bucket } = await withBucket(n, "ssec");
    const plain = secret(3000);
    const p = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c", Body: plain, ...ssec }));
    expect([p.SSECustomerAlgorithm, p.SSECustomerKeyMD5, p.ServerSideEncryption]).toEqual(["AES256", ssec.SSECustomerKeyMD5, undefined]);
    const row = getObject(n.nimbus.db, bucket, "c")!;
    expect(rawBlob(n, row.blobId).includes(Buffer.from("TOP-SECRET"))).toBe(false);
    expect(JSON.stringify(row).includes(ssec.SSECustomerKey)).toBe(false);

    const none = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c" })));
    expect(none).toEqual({ name: "InvalidRequest", message: "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.", status: 400 });
    expect((await err(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c" })))).status).toBe(400);
    const bad = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c", ...wrong })));
    expect([bad.name, bad.status]).toEqual(["AccessDenied", 403]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c", ...ssec }));
    expect([got.SSECustomerAlgorithm, got.SSECustomerKeyMD5]).toEqual(["AES256", ssec.SSECustomerKeyMD5]);
    expect((await bytes(got.Body)).equals(plain)).toBe(true);
    const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c", Range: "bytes=100-199", ...ssec }));
    expect((await bytes(part.Body)).equals(plain.subarray(100, 200))).toBe(true);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c", ...ssec }))).ContentLength).toBe(3000);

    // Copy: the source key in CopySource*, the destination under SSE-S3.
    expect((await err(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "d", CopySource: `${bucket}/c` })))).name).toBe("InvalidRequest");
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: "d",
        CopySource: `${bucket}/c`,
        CopySourceSSECustomerAlgorithm: "AES256",
        CopySourceSSECustomerKey: ssec.SSECustomerKey,
        CopySourceSSECustomerKeyMD5: ssec.SSECustomerKeyMD5,
      }),
    );
    const d = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "d" }));
    expect([d.ServerSideEncryption, (await bytes(d.Body)).equals(plain)]).toEqual(["AES256", true]);
    // SSE-C members on an object that is not SSE-C.
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "d", ...ssec })))).name).toBe("InvalidRequest");
  });

  it("refuses bad SSE-C requests before storing anything", async () => {
    const { s3, bucket } = await withBucket(n, "ssecbad");
    const short = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "x", SSECustomerAlgorithm: "AES256", SSECustomerKey: randomBytes(16).toString("base64") })));
    expect(short).toEqual({ name: "InvalidArgument", message: "The secret key was invalid for the specified algorithm.", status: 400 });
    // The SDK computes the key's MD5 itself: send another one in its place.
    s3.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers["x-amz-server-side-encryption-customer-key-md5"] = wrong.SSECustomerKeyMD5;
        return next(args);
      },
      { step: "build", name: "wrongKeyMd5" },
    );
    const md5 = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "x", ...ssec })));
    s3.middlewareStack.remove("wrongKeyMd5");
    expect(md5).toEqual({ name: "InvalidArgument", message: "The calculated MD5 hash of the key did not match the hash that was provided.", status: 400 });
    const alg = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "x", ...ssec, SSECustomerAlgorithm: "AES128" })));
    expect([alg.name, alg.status]).toEqual(["InvalidEncryptionAlgorithmError", 400]);
    expect((await err(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "x" })))).status).toBe(404);
  });

  it("multipart with SSE-C: the key on every part and on Complete", async () => {
    const { s3, bucket } = await withBucket(n, "ssecmp");
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "m", ...ssec }));
    expect((await err(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "m", UploadId, PartNumber: 1, Body: "x" })))).name).toBe("InvalidRequest");
    const e1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "m", UploadId, PartNumber: 1, Body: secret(2000), ...ssec }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "m", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }] }, ...ssec }));
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "m" })))).status).toBe(400);
    expect((await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "m", ...ssec }))).Body)).equals(secret(2000))).toBe(true);
  });
});

describe("read caches and the write path's one-shot digests", () => {
  it("a hot object reads its new bytes after overwrites; SSE-S3 data keys are HMAC-SHA256(master key, IV); streamed bodies get the whole body's MD5", async () => {
    const { s3, bucket } = await withBucket(n, "hot");
    const a = secret(4096);
    const b = Buffer.concat([secret(2048), randomBytes(2048)]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: a }));
    for (let i = 0; i < 3; i++) expect((await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))).Body)).equals(a)).toBe(true);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: b }));
    expect(put.ETag).toBe(`"${createHash("md5").update(b).digest("hex")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }));
    expect(got.ETag).toBe(put.ETag);
    expect((await bytes(got.Body)).equals(b)).toBe(true);
    // A range of the hot object is deciphered from its own offset.
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k", Range: "bytes=2040-2060" }));
    expect((await bytes(r.Body)).equals(b.subarray(2040, 2061))).toBe(true);

    // The stored bytes decipher under HMAC-SHA256(master key, IV) computed by node:crypto's Hmac.
    const row = getObject(n.nimbus.db, bucket, "k")!;
    const iv = Buffer.from((row.headers as { sse: { iv: string } }).sse.iv, "base64");
    const key = createHmac("sha256", masterKey(new DocStore(n.nimbus.db, "s3", "global"))).update(iv).digest();
    const plain = createDecipheriv("aes-256-ctr", key, iv).update(rawBlob(n, row.blobId));
    expect(plain.equals(b)).toBe(true);

    // A body in several chunks (a stream with a known length): MD5 and CRC of all of it.
    const parts = [secret(16_384), randomBytes(16_384), secret(500)];
    const whole = Buffer.concat(parts);
    const streamed = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "streamed", Body: Readable.from(parts), ContentLength: whole.length, ChecksumAlgorithm: "SHA256" }),
    );
    expect(streamed.ETag).toBe(`"${createHash("md5").update(whole).digest("hex")}"`);
    expect(streamed.ChecksumSHA256).toBe(createHash("sha256").update(whole).digest("base64"));
    expect((await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "streamed" }))).Body)).equals(whole)).toBe(true);
  });

  it("a bucket setting changed between writes applies to the next write (the shared bucket document is dropped on change)", async () => {
    const { s3, bucket } = await withBucket(n, "peek");
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "v", Body: "one" }));
    expect(first.VersionId).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const second = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "v", Body: "two" }));
    expect(second.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "v" }));
    expect(got.VersionId).toBe(second.VersionId);
    expect(await text(got.Body)).toBe("two");
    await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] } }));
    const third = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "v", Body: "three" }));
    expect(third.ServerSideEncryption).toBe("aws:kms");
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "v" }))).Body)).toBe("three");
  });
});
