// The aws CLI and boto3 with server-side encryption: the default SSE-S3 reported, default
// bucket encryption through the CLI, SSE-C through boto3 (which computes the key's MD5 itself).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});
const clients = useClients(() => n.endpoint);

describe.skipIf(!AWS)("aws s3api (CLI) encryption", () => {
  it("reports SSE-S3 on new objects and round-trips the bucket's default", async () => {
    const account = freshAccount();
    const bucket = `enc-cli-${Math.random().toString(36).slice(2, 10)}`;
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    expect(ok(await clients.aws(account, "s3api", "put-object", "--bucket", bucket, "--key", "k")).ServerSideEncryption).toBe("AES256");
    expect(ok(await clients.aws(account, "s3api", "head-object", "--bucket", bucket, "--key", "k")).ServerSideEncryption).toBe("AES256");
    const cfg = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: true }] };
    ok(await clients.aws(account, "s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration", JSON.stringify(cfg)));
    expect(ok(await clients.aws(account, "s3api", "get-bucket-encryption", "--bucket", bucket)).ServerSideEncryptionConfiguration).toEqual(cfg);
  }, 120_000);
});

describe.skipIf(!PYTHON)("boto3 SSE-C", () => {
  it("puts and gets with a customer key; without it the GET fails with 400", async () => {
    const account = freshAccount();
    const bucket = `enc-py-${Math.random().toString(36).slice(2, 10)}`;
    const script = `
import sys, json, os, boto3, botocore
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket=bucket)
key = os.urandom(32)
put = s3.put_object(Bucket=bucket, Key="c", Body=b"customer secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
out = {"put": [put.get("SSECustomerAlgorithm"), bool(put.get("SSECustomerKeyMD5"))]}
try:
    s3.get_object(Bucket=bucket, Key="c")
except botocore.exceptions.ClientError as e:
    out["nokey"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
try:
    s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
except botocore.exceptions.ClientError as e:
    out["wrongkey"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
out["body"] = s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=key)["Body"].read().decode()
print(json.dumps(out))
`;
    const out = ok(await clients.python(account, script, n.endpoint, bucket));
    expect(out).toEqual({ put: ["AES256", true], nokey: ["InvalidRequest", 400], wrongkey: ["AccessDenied", 403], body: "customer secret" });
  }, 120_000);
});
