// The access slice through the aws CLI and boto3: put-public-access-block, put-bucket-policy
// from a file, get-bucket-policy-status, `aws s3 cp --acl public-read`, and boto3's presigned
// GET URL and presigned POST, each checked with plain curl.
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, failed, useClients } from "../../clients/support.js";
import { curl } from "./access-helpers.js";
import { uniq } from "./helpers.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-policy-cli-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});
const clients = useClients(() => n.endpoint);

describe.skipIf(!AWS)("S3 access through the aws CLI", () => {
  it("public access block, bucket policy from a file, policy status, and an anonymous curl", async () => {
    const account = freshAccount();
    const bucket = uniq("cli-pol");
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    const pab = ok(await clients.aws(account, "s3api", "get-public-access-block", "--bucket", bucket));
    expect(pab.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const file = join(dir, `${bucket}.json`);
    writeFileSync(file, JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Pub", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }));
    expect(failed(await clients.aws(account, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", `file://${file}`))).toContain("AccessDenied");
    ok(await clients.aws(account, "s3api", "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration", "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false"));
    ok(await clients.aws(account, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", `file://${file}`));
    expect(ok(await clients.aws(account, "s3api", "get-bucket-policy-status", "--bucket", bucket)).PolicyStatus).toEqual({ IsPublic: true });
    expect(JSON.parse(ok(await clients.aws(account, "s3api", "get-bucket-policy", "--bucket", bucket)).Policy).Statement[0].Sid).toBe("Pub");
    const src = join(dir, "index.html");
    writeFileSync(src, "<p>hi</p>");
    const cp = await clients.aws(account, "s3", "cp", src, `s3://${bucket}/index.html`);
    expect(cp.code).toBe(0);
    expect(await curl(`${n.endpoint}/${bucket}/index.html`)).toMatchObject({ status: 200, body: "<p>hi</p>" });
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::someone-else/*" }] }));
    expect(failed(await clients.aws(account, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", `file://${bad}`))).toContain("MalformedPolicy");
  }, 180_000);

  it("`aws s3 cp --acl public-read` into a bucket with ACLs enabled", async () => {
    const account = freshAccount();
    const bucket = uniq("cli-acl");
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket, "--object-ownership", "ObjectWriter"));
    ok(await clients.aws(account, "s3api", "delete-public-access-block", "--bucket", bucket));
    const src = join(dir, "photo.txt");
    writeFileSync(src, "public bytes");
    expect((await clients.aws(account, "s3", "cp", src, `s3://${bucket}/photo.txt`, "--acl", "public-read")).code).toBe(0);
    expect(await curl(`${n.endpoint}/${bucket}/photo.txt`)).toMatchObject({ status: 200, body: "public bytes" });
    const acl = ok(await clients.aws(account, "s3api", "get-object-acl", "--bucket", bucket, "--key", "photo.txt"));
    expect(acl.Grants.map((g: { Permission: string }) => g.Permission).sort()).toEqual(["FULL_CONTROL", "READ"]);
  }, 120_000);
});

describe.skipIf(!PYTHON)("S3 presigned URLs and POST through boto3", () => {
  it("generate_presigned_url and generate_presigned_post work with curl", async () => {
    const account = freshAccount();
    const bucket = uniq("boto-pre");
    const script = `
import boto3, json, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
s3.create_bucket(Bucket=sys.argv[2])
s3.put_object(Bucket=sys.argv[2], Key="a.txt", Body=b"from boto3")
url = s3.generate_presigned_url("get_object", Params={"Bucket": sys.argv[2], "Key": "a.txt"}, ExpiresIn=60)
post = s3.generate_presigned_post(sys.argv[2], "up/\${filename}", Conditions=[["starts-with", "$key", "up/"]], ExpiresIn=60)
print(json.dumps({"url": url, "post": post}))
`;
    const out = ok(await clients.python(account, script, n.endpoint, bucket));
    expect(await curl(out.url)).toMatchObject({ status: 200, body: "from boto3" });
    const args: string[] = [];
    for (const [k, v] of Object.entries(out.post.fields as Record<string, string>)) args.push("--form-string", `${k}=${v}`);
    const file = join(dir, "boto.txt");
    writeFileSync(file, "posted");
    const r = await curl(out.post.url, [...args, "-F", `file=@${file};filename=b.txt`]);
    expect(r.status).toBe(204);
    const check = ok(await clients.python(account, `
import boto3, json, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(s3={"addressing_style": "path"}))
print(json.dumps({"body": s3.get_object(Bucket=sys.argv[2], Key="up/b.txt")["Body"].read().decode()}))
`, n.endpoint, bucket));
    expect(check.body).toBe("posted");
  }, 60_000);
});
