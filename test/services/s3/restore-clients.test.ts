// The aws CLI and boto3 against archived objects: put-object --storage-class GLACIER,
// get-object refused, restore-object, head-object's Restore, on the Nimbus clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients } from "../../clients/support.js";
import { advanceClock } from "../dynamodb/helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});
const clients = useClients(() => n.endpoint);

describe.skipIf(!AWS)("aws s3api (CLI) restore", () => {
  it("restores a GLACIER object with an Expedited retrieval", async () => {
    const account = freshAccount();
    const bucket = `restore-cli-${Math.random().toString(36).slice(2, 10)}`;
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    ok(await clients.aws(account, "s3api", "put-object", "--bucket", bucket, "--key", "a.txt", "--storage-class", "GLACIER"));
    const head = ok(await clients.aws(account, "s3api", "head-object", "--bucket", bucket, "--key", "a.txt"));
    expect(head.StorageClass).toBe("GLACIER");
    expect(failed(await clients.aws(account, "s3api", "get-object", "--bucket", bucket, "--key", "a.txt", "/dev/null"))).toMatch(/InvalidObjectState/);
    ok(await clients.aws(account, "s3api", "restore-object", "--bucket", bucket, "--key", "a.txt", "--restore-request", '{"Days":1,"GlacierJobParameters":{"Tier":"Expedited"}}'));
    expect(ok(await clients.aws(account, "s3api", "head-object", "--bucket", bucket, "--key", "a.txt")).Restore).toBe('ongoing-request="true"');
    expect(failed(await clients.aws(account, "s3api", "restore-object", "--bucket", bucket, "--key", "a.txt", "--restore-request", '{"Days":1}'))).toMatch(/RestoreAlreadyInProgress/);
    await advanceClock(n, "PT5M1S");
    expect(ok(await clients.aws(account, "s3api", "head-object", "--bucket", bucket, "--key", "a.txt")).Restore).toMatch(/^ongoing-request="false", expiry-date="\w{3}, \d\d \w{3} \d{4} 00:00:00 GMT"$/);
    ok(await clients.aws(account, "s3api", "get-object", "--bucket", bucket, "--key", "a.txt", "/dev/null"));
  }, 180_000);
});

describe.skipIf(!PYTHON)("boto3 restore", () => {
  it("sees InvalidObjectState with the StorageClass member, restores, reads", async () => {
    const account = freshAccount();
    const bucket = `restore-py-${Math.random().toString(36).slice(2, 10)}`;
    const script = `
import sys, json, urllib.request, boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="b", Body=b"deep bytes", StorageClass="DEEP_ARCHIVE")
out = {}
try:
    s3.get_object(Bucket=bucket, Key="b")
except s3.exceptions.InvalidObjectState as e:
    out["error"] = [e.response["Error"]["Code"], e.response.get("StorageClass")]
r = s3.restore_object(Bucket=bucket, Key="b", RestoreRequest={"Days": 3, "GlacierJobParameters": {"Tier": "Standard"}})
out["status"] = r["ResponseMetadata"]["HTTPStatusCode"]
out["ongoing"] = s3.head_object(Bucket=bucket, Key="b").get("Restore")
req = urllib.request.Request(endpoint + "/_nimbus/clock", data=json.dumps({"advance": "PT12H1M"}).encode(), method="POST")
urllib.request.urlopen(req).read()
out["done"] = s3.head_object(Bucket=bucket, Key="b").get("Restore")
out["body"] = s3.get_object(Bucket=bucket, Key="b")["Body"].read().decode()
print(json.dumps(out))
`;
    const out = ok(await clients.python(account, script, n.endpoint, bucket));
    expect(out.error).toEqual(["InvalidObjectState", "DEEP_ARCHIVE"]);
    expect(out.status).toBe(202);
    expect(out.ongoing).toBe('ongoing-request="true"');
    expect(out.done).toMatch(/^ongoing-request="false", expiry-date=".+ 00:00:00 GMT"$/);
    expect(out.body).toBe("deep bytes");
  }, 120_000);
});
