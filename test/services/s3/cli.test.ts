// The aws CLI (Debian's awscli 2.9, botocore's rest-xml, path style on an IP endpoint):
// `aws s3 cp` up and down, `aws s3 ls`, `aws s3 rm`. Files here stay under the CLI's 8 MiB
// multipart threshold; multipart.test.ts copies a larger file.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-s3-cli-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const clients = useClients(() => n.endpoint);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!AWS)("aws s3 (CLI)", () => {
  it("cp a file up and down, ls the bucket, rm", async () => {
    const account = freshAccount();
    const bucket = `cli-${Math.random().toString(36).slice(2, 10)}`;
    const run = async (...args: string[]) => {
      const r = await clients.aws(account, ...args);
      if (r.code !== 0) throw new Error(`aws ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const up = join(dir, "up load.bin");
    writeFileSync(up, data);
    writeFileSync(join(dir, "note.txt"), "hello from the cli\n");
    await run("s3", "cp", up, `s3://${bucket}/data/up load.bin`);
    await run("s3", "cp", join(dir, "note.txt"), `s3://${bucket}/note.txt`);

    const down = join(dir, "down.bin");
    await run("s3", "cp", `s3://${bucket}/data/up load.bin`, down);
    expect(sha256(readFileSync(down))).toBe(sha256(data));

    const root = (await run("s3", "ls", `s3://${bucket}/`)).trim().split("\n").map((l) => l.trim());
    expect(root).toHaveLength(2);
    expect(root[0]).toBe("PRE data/");
    expect(root[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+19 note\.txt$/);
    const inData = (await run("s3", "ls", `s3://${bucket}/data/`)).trim();
    expect(inData).toMatch(new RegExp(`\\s${data.length} up load\\.bin$`));

    const head = ok(await clients.aws(account, "s3api", "head-object", "--bucket", bucket, "--key", "note.txt"));
    expect(head.ContentLength).toBe(19);
    expect(head.ETag).toBe(`"${createHash("md5").update("hello from the cli\n").digest("hex")}"`);
    expect(head.ContentType).toBe("text/plain");

    // botocore reads the bare root-text LocationConstraint (null for us-east-1) and decodes
    // encoding-type=url listings, which the CLI always requests.
    expect(ok(await clients.aws(account, "s3api", "get-bucket-location", "--bucket", bucket))).toEqual({ LocationConstraint: null });
    const listed = ok(await clients.aws(account, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "data/"));
    expect(listed.Contents.map((o: { Key: string }) => o.Key)).toEqual(["data/up load.bin"]);
    expect(listed.Contents[0].Size).toBe(data.length);

    await run("s3", "rm", `s3://${bucket}/note.txt`);
    const after = (await run("s3", "ls", `s3://${bucket}/`)).trim();
    expect(after).toBe("PRE data/");
  }, 120_000);
});

const BOTO3_SCRIPT = `
import json, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(s3={"addressing_style": "path"}))
b = sys.argv[2]
s3.create_bucket(Bucket=b)
keys = ["a/1", "a/2", "b c", "\u00fc/x", "z"]
for k in keys:
    s3.put_object(Bucket=b, Key=k, Body=("body " + k).encode(), Metadata={"k": "v"}, ContentType="text/plain")
got = s3.get_object(Bucket=b, Key="b c", Range="bytes=0-3")
page = s3.list_objects_v2(Bucket=b, Delimiter="/")  # botocore asks for encoding-type=url itself and decodes with unquote_plus
cp = s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "b c"}, MetadataDirective="REPLACE", Metadata={"new": "1"})
head = s3.head_object(Bucket=b, Key="copy")
dele = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys + ["copy"]]})
print(json.dumps({
  "range": [got["ResponseMetadata"]["HTTPStatusCode"], got["ContentRange"], got["Body"].read().decode()],
  "keys": [o["Key"] for o in page.get("Contents", [])],
  "prefixes": [p["Prefix"] for p in page.get("CommonPrefixes", [])],
  "copyEtag": cp["CopyObjectResult"]["ETag"],
  "headMeta": head["Metadata"],
  "deleted": sorted(d["Key"] for d in dele["Deleted"]),
  "left": s3.list_objects_v2(Bucket=b)["KeyCount"],
}))
`;

describe.skipIf(!PYTHON)("boto3", () => {
  it("puts, ranges, lists (url-encoded), copies and batch-deletes", async () => {
    const bucket = `boto-${Math.random().toString(36).slice(2, 10)}`;
    const out = ok(await clients.python(freshAccount(), BOTO3_SCRIPT, n.endpoint, bucket));
    expect(out.range).toEqual([206, "bytes 0-3/8", "body"]);
    // botocore requested encoding-type=url and decoded the listing (unquote_plus) to the real keys.
    expect(out.keys).toEqual(["b c", "z"]);
    expect(out.prefixes).toEqual(["a/", "\u00fc/"]);
    expect(out.copyEtag).toBe(`"${createHash("md5").update("body b c").digest("hex")}"`);
    expect(out.headMeta).toEqual({ new: "1" });
    expect(out.deleted).toEqual(["a/1", "a/2", "b c", "copy", "z", "\u00fc/x"]);
    expect(out.left).toBe(0);
  }, 60_000);
});
