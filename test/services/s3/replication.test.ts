// Replication: configuration and AWS's validation, then asynchronous replication observed by
// polling with a deadline: PENDING -> COMPLETED on the source, REPLICA on the destination (same
// version id and bytes), prefix/tag filters, delete markers, another region and account, and a
// role without s3:ReplicateObject making it FAILED.
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  DeleteBucketReplicationCommand,
  DeleteObjectCommand,
  GetBucketReplicationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type ReplicationRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, useClients } from "../../clients/support.js";
import { err } from "./access-helpers.js";
import { client, text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});
const clients = useClients(() => n.endpoint);

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const ALLOW = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: "*" },
    { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: "*" },
  ],
});

async function role(account: string, name: string, policy: string): Promise<string> {
  const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
  const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "replication", PolicyDocument: policy }));
  return r.Role!.Arn!;
}

async function versioned(s3: S3Client, region?: string): Promise<string> {
  const bucket = uniq("repl");
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(region ? { CreateBucketConfiguration: { LocationConstraint: region as "eu-west-1" } } : {}) }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return bucket;
}

/** Polls HEAD until the status is one of `want` (deadline 10 s); returns the last answer. */
async function waitStatus(s3: S3Client, Bucket: string, Key: string, want: string[], VersionId?: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const h = await s3.send(new HeadObjectCommand({ Bucket, Key, VersionId }));
    if (want.includes(h.ReplicationStatus ?? "") || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rule = (dest: string, extra: Partial<ReplicationRule> = {}): ReplicationRule => ({
  ID: "r1",
  Status: "Enabled",
  Priority: 1,
  Filter: { Prefix: "" },
  DeleteMarkerReplication: { Status: "Disabled" },
  Destination: { Bucket: `arn:aws:s3:::${dest}` },
  ...extra,
});

describe("replication configuration", () => {
  it("needs versioning on both sides and an existing destination; round trip; delete", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const plain = uniq("plain");
    await s3.send(new CreateBucketCommand({ Bucket: plain }));
    const dest = await versioned(s3);
    const roleArn = await role(account, "repl-cfg", ALLOW);
    const cfg = (Rules: ReplicationRule[]) => ({ Role: roleArn, Rules });
    const unversioned = await err(s3.send(new PutBucketReplicationCommand({ Bucket: plain, ReplicationConfiguration: cfg([rule(dest)]) })));
    expect(unversioned).toEqual({ name: "InvalidRequest", message: "Versioning must be 'Enabled' on the bucket to apply a replication configuration", status: 400 });
    const src = await versioned(s3);
    expect((await err(s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: cfg([rule("no-such-bucket-xyz")]) })))).message).toBe("Destination bucket must exist.");
    expect((await err(s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: cfg([rule(plain)]) })))).message).toBe("Destination bucket must have versioning enabled.");
    expect((await err(s3.send(new GetBucketReplicationCommand({ Bucket: src })))).name).toBe("ReplicationConfigurationNotFoundError");
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: cfg([rule(dest)]) }));
    const got = await s3.send(new GetBucketReplicationCommand({ Bucket: src }));
    expect(got.ReplicationConfiguration).toMatchObject({ Role: roleArn, Rules: [{ ID: "r1", Status: "Enabled", Priority: 1, Destination: { Bucket: `arn:aws:s3:::${dest}` } }] });
    await s3.send(new DeleteBucketReplicationCommand({ Bucket: src }));
    expect((await err(s3.send(new GetBucketReplicationCommand({ Bucket: src })))).name).toBe("ReplicationConfigurationNotFoundError");
  });
});

describe("replication at work", () => {
  it("replicates matching objects (PENDING -> COMPLETED, REPLICA with the same version id and bytes), not others; delete markers when enabled", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const roleArn = await role(account, "repl-ok", ALLOW);
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: src,
        ReplicationConfiguration: {
          Role: roleArn,
          Rules: [
            rule(dest, { Priority: 2, Filter: { And: { Prefix: "docs/", Tags: [{ Key: "copy", Value: "yes" }] } }, Destination: { Bucket: `arn:aws:s3:::${dest}`, StorageClass: "STANDARD_IA" } }),
            rule(dest, { ID: "markers", Priority: 1, Filter: { Prefix: "del/" }, DeleteMarkerReplication: { Status: "Enabled" } }),
          ],
        },
      }),
    );
    const put = await s3.send(new PutObjectCommand({ Bucket: src, Key: "docs/a.txt", Body: "replicate me", Tagging: "copy=yes", Metadata: { m: "1" } }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "docs/b.txt", Body: "untagged" }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "other/c.txt", Body: "elsewhere", Tagging: "copy=yes" }));
    const first = await s3.send(new HeadObjectCommand({ Bucket: src, Key: "docs/a.txt" }));
    expect(["PENDING", "COMPLETED"]).toContain(first.ReplicationStatus);
    const done = await waitStatus(s3, src, "docs/a.txt", ["COMPLETED", "FAILED"]);
    expect(done.ReplicationStatus).toBe("COMPLETED");
    const replica = await s3.send(new GetObjectCommand({ Bucket: dest, Key: "docs/a.txt" }));
    expect([replica.ReplicationStatus, replica.VersionId, replica.StorageClass, replica.Metadata, replica.ETag]).toEqual(["REPLICA", put.VersionId, "STANDARD_IA", { m: "1" }, put.ETag]);
    expect(await text(replica.Body)).toBe("replicate me");
    expect((await s3.send(new HeadObjectCommand({ Bucket: src, Key: "docs/b.txt" }))).ReplicationStatus).toBeUndefined();
    expect((await err(s3.send(new HeadObjectCommand({ Bucket: dest, Key: "other/c.txt" })))).status).toBe(404);

    await s3.send(new PutObjectCommand({ Bucket: src, Key: "del/x", Body: "short-lived" }));
    expect((await waitStatus(s3, src, "del/x", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    await s3.send(new DeleteObjectCommand({ Bucket: src, Key: "del/x" }));
    const deadline = Date.now() + 10_000;
    let markers = 0;
    while (Date.now() < deadline) {
      markers = (await s3.send(new ListObjectVersionsCommand({ Bucket: dest, Prefix: "del/x" }))).DeleteMarkers?.length ?? 0;
      if (markers > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(markers).toBe(1);
  });

  it("replicates to another region and another account", async () => {
    const account = freshAccount();
    const other = freshAccount();
    const s3 = client(n, { accountId: account });
    const s3eu = client(n, { accountId: account, region: "eu-west-1" });
    const s3other = client(n, { accountId: other });
    const src = await versioned(s3);
    const eu = await versioned(s3eu, "eu-west-1");
    const foreign = await versioned(s3other);
    const roleArn = await role(account, "repl-multi", ALLOW);
    // Another account's bucket must grant the role in its bucket policy.
    const grant = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: roleArn }, Action: ["s3:ReplicateObject", "s3:ReplicateDelete"], Resource: `arn:aws:s3:::${foreign}/*` }] };
    await s3other.send(new PutBucketPolicyCommand({ Bucket: foreign, Policy: JSON.stringify(grant) }));
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: src,
        ReplicationConfiguration: { Role: roleArn, Rules: [rule(eu, { ID: "eu", Priority: 2, Filter: { Prefix: "eu/" } }), rule(foreign, { ID: "acct", Priority: 1, Filter: { Prefix: "x/" } })] },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "eu/1", Body: "to europe" }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "x/2", Body: "to the other account" }));
    expect((await waitStatus(s3, src, "eu/1", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    expect((await waitStatus(s3, src, "x/2", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    expect(await text((await s3eu.send(new GetObjectCommand({ Bucket: eu, Key: "eu/1" }))).Body)).toBe("to europe");
    expect((await s3other.send(new HeadObjectCommand({ Bucket: foreign, Key: "x/2" }))).ReplicationStatus).toBe("REPLICA");
  });

  it("a role whose policies lack s3:ReplicateObject makes the replication FAILED", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const readOnly = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:ListBucket"], Resource: "*" }] });
    const roleArn = await role(account, "repl-weak", readOnly);
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role: roleArn, Rules: [rule(dest)] } }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "k", Body: "x" }));
    expect((await waitStatus(s3, src, "k", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("FAILED");
    expect((await err(s3.send(new HeadObjectCommand({ Bucket: dest, Key: "k" })))).status).toBe(404);
  });
});

describe.skipIf(!AWS)("aws s3api (CLI) replication", () => {
  it("put-bucket-replication and get-bucket-replication", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const roleArn = await role(account, "repl-cli", ALLOW);
    const cfg = { Role: roleArn, Rules: [{ ID: "all", Status: "Enabled", Priority: 1, Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: `arn:aws:s3:::${dest}` } }] };
    ok(await clients.aws(account, "s3api", "put-bucket-replication", "--bucket", src, "--replication-configuration", JSON.stringify(cfg)));
    expect(ok(await clients.aws(account, "s3api", "get-bucket-replication", "--bucket", src)).ReplicationConfiguration).toEqual(cfg);
  }, 120_000);
});

describe.skipIf(!PYTHON)("boto3 replication", () => {
  it("replicates an object and reports COMPLETED / REPLICA", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const roleArn = await role(account, "repl-py", ALLOW);
    const script = `
import sys, json, time, boto3
endpoint, src, dest, role = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": role, "Rules": [{"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::" + dest}}]})
v = s3.put_object(Bucket=src, Key="p", Body=b"from python")["VersionId"]
deadline = time.time() + 10
while time.time() < deadline:
    status = s3.head_object(Bucket=src, Key="p").get("ReplicationStatus")
    if status in ("COMPLETED", "FAILED"):
        break
    time.sleep(0.05)
r = s3.get_object(Bucket=dest, Key="p")
print(json.dumps({"status": status, "replica": r.get("ReplicationStatus"), "same": r["VersionId"] == v, "body": r["Body"].read().decode()}))
`;
    const out = ok(await clients.python(account, script, n.endpoint, src, dest, roleArn));
    expect(out).toEqual({ status: "COMPLETED", replica: "REPLICA", same: true, body: "from python" });
  }, 120_000);
});
