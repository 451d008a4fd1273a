// Multipart upload through SDK v3 (CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads) and `aws s3 cp` above the CLI's 8 MiB
// multipart threshold.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, ok, useClients } from "../../clients/support.js";
import { withBucket } from "./helpers.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-s3-mpu-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash("md5").update(b).digest();
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const err = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a failure"); }, (e) => e as Error & Record<string, any>);

async function create(s3: S3Client, bucket: string, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  expect(r.UploadId).toBeTruthy();
  return r.UploadId!;
}

async function part(s3: S3Client, bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
  const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
  return r.ETag!;
}

describe("S3 multipart upload", () => {
  it("uploads parts out of order, completes, and serves the concatenation", async () => {
    const { s3, bucket } = await withBucket(n, "mpu");
    const key = "big/file.bin";
    const id = await create(s3, bucket, key, { ContentType: "application/x-test", Metadata: { origin: "mpu" }, StorageClass: "STANDARD_IA" });
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1024)];
    const etags: string[] = [];
    etags[2] = await part(s3, bucket, key, id, 3, bodies[2]);
    etags[0] = await part(s3, bucket, key, id, 1, randomBytes(5 * MiB)); // replaced below
    etags[1] = await part(s3, bucket, key, id, 2, bodies[1]);
    etags[0] = await part(s3, bucket, key, id, 1, bodies[0]);
    bodies.forEach((b, i) => expect(etags[i]).toBe(`"${md5(b).toString("hex")}"`));

    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "big/" }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[key, id]]);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "other/" }))).Uploads ?? []).toEqual([]);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    const expected = `"${createHash("md5").update(Buffer.concat(bodies.map(md5))).digest("hex")}-3"`;
    expect(done.ETag).toBe(expected);
    expect(done.ETag).toMatch(/-3"$/);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(sha256(bytes)).toBe(sha256(Buffer.concat(bodies)));
    expect(got.ETag).toBe(expected);
    expect(got.ContentType).toBe("application/x-test");
    expect(got.Metadata).toEqual({ origin: "mpu" });
    expect(got.StorageClass).toBe("STANDARD_IA");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(10 * MiB + 1024);

    // The upload is gone once completed.
    const e = await err(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id })));
    expect(e.name).toBe("NoSuchUpload");
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
  }, 60_000);

  it("refuses parts under 5 MiB but the last (EntityTooSmall)", async () => {
    const { s3, bucket } = await withBucket(n, "mpu");
    const id = await create(s3, bucket, "k");
    const a = await part(s3, bucket, "k", id, 1, randomBytes(1024));
    const b = await part(s3, bucket, "k", id, 2, randomBytes(1024));
    const e = await err(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: a }, { PartNumber: 2, ETag: b }] } })));
    expect(e.name).toBe("EntityTooSmall");
    expect(e.message).toBe("Your proposed upload is smaller than the minimum allowed size");
    expect(e.$metadata.httpStatusCode).toBe(400);
    // A single small part is fine: it is the last.
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: b }] } }));
    expect(done.ETag).toMatch(/-1"$/);
  });

  it("refuses parts out of order (InvalidPartOrder) and unknown parts or ETags (InvalidPart)", async () => {
    const { s3, bucket } = await withBucket(n, "mpu");
    const id = await create(s3, bucket, "k");
    const a = await part(s3, bucket, "k", id, 1, randomBytes(100));
    const b = await part(s3, bucket, "k", id, 2, randomBytes(100));
    const complete = (Parts: Array<{ PartNumber: number; ETag: string }>) =>
      err(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: id, MultipartUpload: { Parts } })));
    const order = await complete([{ PartNumber: 2, ETag: b }, { PartNumber: 1, ETag: a }]);
    expect(order.name).toBe("InvalidPartOrder");
    expect(order.message).toBe("The list of parts was not in ascending order. The parts list must be specified in order by part number.");
    expect((await complete([{ PartNumber: 1, ETag: a }, { PartNumber: 3, ETag: b }])).name).toBe("InvalidPart");
    expect((await complete([{ PartNumber: 1, ETag: `"${"0".repeat(32)}"` }])).name).toBe("InvalidPart");
    const bad = await err(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "k", UploadId: id, PartNumber: 10001, Body: "x" })));
    expect(bad.name).toBe("InvalidArgument");
  });

  it("aborts an upload; later calls answer NoSuchUpload", async () => {
    const { s3, bucket } = await withBucket(n, "mpu");
    const id = await create(s3, bucket, "k");
    await part(s3, bucket, "k", id, 1, randomBytes(100));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: id }));
    const e = await err(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "k", UploadId: id, PartNumber: 1, Body: "x" })));
    expect(e.name).toBe("NoSuchUpload");
    expect(e.message).toBe("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");
    expect(e.$metadata.httpStatusCode).toBe(404);
    expect((await err(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: id })))).name).toBe("NoSuchUpload");
    expect((await err(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "k", UploadId: "nope" })))).name).toBe("NoSuchUpload");
  });

  it("paginates ListParts", async () => {
    const { s3, bucket } = await withBucket(n, "mpu");
    const id = await create(s3, bucket, "k");
    const etags: string[] = [];
    for (let i = 1; i <= 5; i++) etags.push(await part(s3, bucket, "k", id, i, Buffer.from(`part ${i}`)));
    const seen: number[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "k", UploadId: id, MaxParts: 2, ...(marker ? { PartNumberMarker: marker } : {}) }));
      pages++;
      for (const p of r.Parts ?? []) {
        seen.push(p.PartNumber!);
        expect(p.ETag).toBe(etags[p.PartNumber! - 1]);
        expect(p.Size).toBe(6);
      }
      if (!r.IsTruncated) break;
      marker = r.NextPartNumberMarker;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
  });
});

const clients = useClients(() => n.endpoint);

describe.skipIf(!AWS)("aws s3 cp (multipart)", () => {
  it("copies a 20 MiB file up and down", async () => {
    const account = freshAccount();
    const bucket = `mpu-cli-${Math.random().toString(36).slice(2, 10)}`;
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    const data = randomBytes(20 * MiB);
    const up = join(dir, "big.bin");
    writeFileSync(up, data);
    const run = async (...args: string[]) => {
      const r = await clients.aws(account, ...args);
      if (r.code !== 0) throw new Error(`aws ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    await run("s3", "cp", up, `s3://${bucket}/big.bin`);
    const head = ok(await clients.aws(account, "s3api", "head-object", "--bucket", bucket, "--key", "big.bin"));
    expect(head.ContentLength).toBe(data.length);
    expect(head.ETag).toMatch(/-\d+"$/);
    const down = join(dir, "down.bin");
    await run("s3", "cp", `s3://${bucket}/big.bin`, down);
    expect(sha256(readFileSync(down))).toBe(sha256(data));
  }, 180_000);
});
