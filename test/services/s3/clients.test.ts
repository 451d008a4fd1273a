// The clients issue 3 names, beyond plain SDK calls: @aws-sdk/lib-storage Upload (multipart,
// concurrent parts), presigned GET/PUT URLs (@aws-sdk/s3-request-presigner) used by plain
// curl, the aws CLI's `s3 sync/mv/rm/ls/presign` and `s3api` versioning commands, and boto3's
// upload_file/download_file with 8 MiB concurrent parts.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AWS, PYTHON, ok, useClients } from "../../clients/support.js";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { client, text, uniq, withBucket } from "./helpers.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-s3-clients-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const clients = useClients(() => n.endpoint);
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const md5 = (b: Buffer) => createHash("md5").update(b).digest();

/** curl with the status code on the last line of stdout. */
function curl(...args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-s", "-w", "\n%{http_code}", ...args], { maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const at = stdout.lastIndexOf("\n");
      resolve({ status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) });
    });
  });
}

describe("@aws-sdk/lib-storage and presigned URLs", () => {
  it("Upload sends a 22 MiB stream as concurrent 5 MiB parts; the object reads back whole", async () => {
    const { s3, bucket } = await withBucket(n, "cli");
    const data = randomBytes(22 * MiB);
    // A stream of unknown length, in odd-sized chunks, as an application would pipe it.
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += 1_000_003) chunks.push(data.subarray(at, at + 1_000_003));
    const parts: number[] = [];
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: "big.bin", Body: Readable.from(chunks), ContentType: "application/x-big" }, partSize: 5 * MiB, queueSize: 4 });
    upload.on("httpUploadProgress", (p) => {
      if (p.part !== undefined) parts.push(p.part);
    });
    const done = await upload.done();
    const slices = [0, 1, 2, 3, 4].map((i) => data.subarray(i * 5 * MiB, Math.min((i + 1) * 5 * MiB, data.length)));
    const expected = `"${createHash("md5").update(Buffer.concat(slices.map(md5))).digest("hex")}-5"`;
    expect(done.ETag).toBe(expected);
    expect([...new Set(parts)].sort()).toEqual([1, 2, 3, 4, 5]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }));
    expect(got.ContentType).toBe("application/x-big");
    expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(data));
    // A body under one part goes up as a single PutObject.
    const small = await new Upload({ client: s3, params: { Bucket: bucket, Key: "small.txt", Body: "tiny" } }).done();
    expect(small.ETag).toBe(`"${createHash("md5").update("tiny").digest("hex")}"`);
  }, 120_000);

  it("presigned GET and PUT URLs work with plain curl; an expired one is refused", async () => {
    const { s3, bucket } = await withBucket(n, "cli");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "doc.txt", Body: "presigned body", ContentType: "text/plain" }));
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "doc.txt" }), { expiresIn: 600 });
    expect(getUrl).toContain("X-Amz-Signature=");
    const got = await curl(getUrl);
    expect([got.status, got.body]).toEqual([200, "presigned body"]);

    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: "up/loaded.txt" }), { expiresIn: 600 });
    const put = await curl("-X", "PUT", "--data-binary", "sent by curl", putUrl);
    expect(put.status).toBe(200);
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "up/loaded.txt" }))).Body)).toBe("sent by curl");

    // Signed an hour ago for 60 seconds: expired.
    const old = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "doc.txt" }), { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) });
    const expired = await curl(old);
    expect(expired.status).toBe(403);
    expect(expired.body).toContain("<Code>AccessDenied</Code>");
    expect(expired.body).toContain("Request has expired");
    // (Signature checks with keys Nimbus issued are in presign.test.ts: a fresh account's root
    // key is accepted without its secret being known.)
  }, 60_000);
});

describe.skipIf(!AWS)("aws CLI: s3 sync/mv/rm/ls/presign and s3api versioning", () => {
  it("syncs a tree up and down, moves and removes recursively, presigns for curl", async () => {
    const account = freshAccount();
    const bucket = uniq("cli");
    const run = async (...args: string[]) => {
      const r = await clients.aws(account, ...args);
      if (r.code !== 0) throw new Error(`aws ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    await run("s3", "mb", `s3://${bucket}`);
    const src = join(dir, "tree");
    mkdirSync(join(src, "sub", "deeper"), { recursive: true });
    const files: Record<string, string> = { "a.txt": "alpha\n", "sub/b.txt": "bravo\n", "sub/deeper/c.bin": randomBytes(3000).toString("base64") };
    // Files written a minute ago: `s3 sync` re-uploads a file whose mtime is later than the
    // object's LastModified, which S3 (and Nimbus) keep to the second, so a file written in the
    // same second as its upload would be sent again.
    const past = new Date(Date.now() - 60_000);
    for (const [p, body] of Object.entries(files)) {
      writeFileSync(join(src, p), body);
      utimesSync(join(src, p), past, past);
    }
    await run("s3", "sync", src, `s3://${bucket}/tree`);
    const lsr = (await run("s3", "ls", "--recursive", `s3://${bucket}/`)).trim().split("\n").map((l) => l.trim().split(/\s+/).slice(3).join(" "));
    expect(lsr).toEqual(["tree/a.txt", "tree/sub/b.txt", "tree/sub/deeper/c.bin"]);
    // A second sync has nothing to do.
    expect((await run("s3", "sync", src, `s3://${bucket}/tree`)).trim()).toBe("");

    const back = join(dir, "back");
    await run("s3", "sync", `s3://${bucket}/tree`, back);
    for (const [p, body] of Object.entries(files)) expect(readFileSync(join(back, p), "utf8")).toBe(body);

    await run("s3", "mv", `s3://${bucket}/tree/a.txt`, `s3://${bucket}/moved/a.txt`);
    const s3 = client(n, { accountId: account });
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "moved/a.txt" }))).Body)).toBe("alpha\n");
    const gone = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "tree/a.txt" })).then(
      () => 200,
      (e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode,
    );
    expect(gone).toBe(404);

    const url = (await run("s3", "presign", `s3://${bucket}/moved/a.txt`, "--expires-in", "300")).trim();
    const viaCurl = await curl(url);
    expect([viaCurl.status, viaCurl.body]).toEqual([200, "alpha\n"]);

    await run("s3", "rm", "--recursive", `s3://${bucket}/tree`);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(left.Contents?.map((c) => c.Key)).toEqual(["moved/a.txt"]);
    await run("s3", "rb", "--force", `s3://${bucket}`);
    expect((await clients.aws(account, "s3api", "head-bucket", "--bucket", bucket)).code).not.toBe(0);
  }, 240_000);

  it("s3api versioning: put/get-bucket-versioning, list-object-versions, get and delete by --version-id", async () => {
    const account = freshAccount();
    const bucket = uniq("cli");
    const api = async (...args: string[]) => ok(await clients.aws(account, "s3api", ...args));
    await api("create-bucket", "--bucket", bucket);
    await api("put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled");
    expect(await api("get-bucket-versioning", "--bucket", bucket)).toEqual({ Status: "Enabled" });
    const body = join(dir, "v.txt");
    writeFileSync(body, "first");
    const v1 = (await api("put-object", "--bucket", bucket, "--key", "k", "--body", body)).VersionId as string;
    writeFileSync(body, "second");
    const v2 = (await api("put-object", "--bucket", bucket, "--key", "k", "--body", body)).VersionId as string;
    const del = await api("delete-object", "--bucket", bucket, "--key", "k");
    expect(del.DeleteMarker).toBe(true);
    const listed = await api("list-object-versions", "--bucket", bucket);
    expect(listed.Versions.map((v: { VersionId: string; IsLatest: boolean }) => [v.VersionId, v.IsLatest])).toEqual([
      [v2, false],
      [v1, false],
    ]);
    expect(listed.DeleteMarkers.map((m: { VersionId: string; IsLatest: boolean }) => [m.VersionId, m.IsLatest])).toEqual([[del.VersionId, true]]);
    const out = join(dir, "v-out.txt");
    const got = await api("get-object", "--bucket", bucket, "--key", "k", "--version-id", v1, out);
    expect([got.VersionId, readFileSync(out, "utf8")]).toEqual([v1, "first"]);
    await api("delete-object", "--bucket", bucket, "--key", "k", "--version-id", del.VersionId);
    const head = await api("head-object", "--bucket", bucket, "--key", "k");
    expect(head.VersionId).toBe(v2);
  }, 120_000);
});

const BOTO3_TRANSFER = `
import hashlib, sys, boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(s3={"addressing_style": "path"}))
b, src, dst = sys.argv[2], sys.argv[3], sys.argv[4]
s3.create_bucket(Bucket=b)
cfg = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
s3.upload_file(src, b, "big.bin", Config=cfg)
head = s3.head_object(Bucket=b, Key="big.bin")
s3.download_file(b, "big.bin", dst, Config=cfg)
print(head["ETag"])
print(head["ContentLength"])
`;

describe.skipIf(!PYTHON)("boto3 transfers", () => {
  it("upload_file and download_file with 8 MiB concurrent parts", async () => {
    const data = randomBytes(26 * MiB);
    const src = join(dir, "boto-src.bin");
    const dst = join(dir, "boto-dst.bin");
    writeFileSync(src, data);
    const r = await clients.python(freshAccount(), BOTO3_TRANSFER, n.endpoint, uniq("boto"), src, dst);
    if (r.code !== 0) throw new Error(r.stderr);
    const [etag, length] = r.stdout.trim().split("\n");
    const slices = [0, 1, 2, 3].map((i) => data.subarray(i * 8 * MiB, (i + 1) * 8 * MiB));
    expect(etag).toBe(`"${createHash("md5").update(Buffer.concat(slices.map(md5))).digest("hex")}-4"`);
    expect(Number(length)).toBe(data.length);
    expect(sha256(readFileSync(dst))).toBe(sha256(data));
  }, 120_000);
});
