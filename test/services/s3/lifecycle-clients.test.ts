// The aws CLI and boto3 with lifecycle rules: configuration through the clients' own
// serializers, then the clock advanced and the effect observed through them.
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients } from "../../clients/support.js";
import { advanceClock } from "../dynamodb/helpers.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-lc-cli-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});
const clients = useClients(() => n.endpoint);

describe.skipIf(!AWS)("aws s3api (CLI) lifecycle", () => {
  it("puts a configuration, refuses a bad one, and objects expire after the clock moves", async () => {
    const account = freshAccount();
    const bucket = `lc-cli-${Math.random().toString(36).slice(2, 10)}`;
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    const bad = { Rules: [{ ID: "ia", Status: "Enabled", Filter: { Prefix: "" }, Transitions: [{ Days: 7, StorageClass: "ONEZONE_IA" }] }] };
    expect(failed(await clients.aws(account, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", JSON.stringify(bad)))).toMatch(
      /InvalidArgument.*'Days' in Transition action must be greater than or equal to 30 for storageClass 'ONEZONE_IA'/,
    );
    const cfg = { Rules: [{ ID: "tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 7 } }] };
    ok(await clients.aws(account, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", JSON.stringify(cfg)));
    const got = ok(await clients.aws(account, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket));
    expect(got.Rules).toEqual([{ ID: "tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 7 } }]);
    const file = join(dir, "f.txt");
    writeFileSync(file, "scratch\n");
    const putOut = ok(await clients.aws(account, "s3api", "put-object", "--bucket", bucket, "--key", "tmp/a", "--body", file));
    expect(putOut.Expiration).toMatch(/^expiry-date=".+ 00:00:00 GMT", rule-id="tmp"$/);
    ok(await clients.aws(account, "s3api", "put-object", "--bucket", bucket, "--key", "keep/b", "--body", file));
    await advanceClock(n, "P8D");
    const list = ok(await clients.aws(account, "s3api", "list-objects-v2", "--bucket", bucket));
    expect(list.Contents.map((c: { Key: string }) => c.Key)).toEqual(["keep/b"]);
  }, 180_000);
});

describe.skipIf(!PYTHON)("boto3 lifecycle", () => {
  it("transitions noncurrent versions and expires them", async () => {
    const account = freshAccount();
    const bucket = `lc-py-${Math.random().toString(36).slice(2, 10)}`;
    const script = `
import sys, json, urllib.request, boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
def advance(d):
    urllib.request.urlopen(urllib.request.Request(endpoint + "/_nimbus/clock", data=json.dumps({"advance": d}).encode(), method="POST")).read()
s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
    "ID": "old-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
    "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER_IR"}],
    "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}]})
# 128 KiB: below that, the default minimum object size keeps objects where they are.
first = s3.put_object(Bucket=bucket, Key="k", Body=b"1" * 131072)["VersionId"]
s3.put_object(Bucket=bucket, Key="k", Body=b"2" * 131072)
out = {}
advance("P31D")
out["after31"] = [(v["VersionId"] == first, v["StorageClass"]) for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
advance("P60D")
out["after91"] = [(v["VersionId"] == first, v["StorageClass"]) for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
print(json.dumps(out))
`;
    const out = ok(await clients.python(account, script, n.endpoint, bucket));
    expect(out.after31).toEqual([[false, "STANDARD"], [true, "GLACIER_IR"]]);
    expect(out.after91).toEqual([[false, "STANDARD"]]);
  }, 120_000);
});
