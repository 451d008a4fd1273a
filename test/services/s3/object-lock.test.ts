// Object Lock and legal hold: buckets created with Object Lock, default retention, per-version
// retention (GOVERNANCE with bypass, COMPLIANCE), legal holds, enforced on DeleteObject(s) of
// versions and by lifecycle, on Nimbus time; overwrites keep the locked version.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, failed, useClients } from "../../clients/support.js";
import { freshAccount } from "../../support/nimbus.js";
import { err } from "./access-helpers.js";
import { advanceClock } from "../dynamodb/helpers.js";
import { client, uniq, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});
const clients = useClients(() => n.endpoint);
const DAY = 86_400_000;
const now = () => Date.now() + n.nimbus.clock.offset();

async function lockedBucket() {
  const s3 = client(n);
  const bucket = uniq("lock");
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  return { s3, bucket };
}

describe("Object Lock configuration", () => {
  it("a bucket created with Object Lock is versioned and keeps its configuration; versioning cannot be suspended", async () => {
    const { s3, bucket } = await lockedBucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe("Enabled");
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: "Enabled" });
    const suspend = await err(s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } })));
    expect(suspend).toEqual({ name: "InvalidBucketState", message: "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.", status: 409 });
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 5 } } } }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: "Enabled",
      Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 5 } },
    });
    const both = await err(s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 5, Years: 1 } } } })));
    expect(both.name).toBe("MalformedXML");
  });

  it("plain buckets: no configuration, lock headers refused, enabling needs versioning", async () => {
    const { s3, bucket } = await withBucket(n, "nolock");
    const none = await err(s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })));
    expect(none).toEqual({ name: "ObjectLockConfigurationNotFoundError", message: "Object Lock configuration does not exist for this bucket", status: 404 });
    const put = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ObjectLockLegalHoldStatus: "ON" })));
    expect(put).toEqual({ name: "InvalidRequest", message: "Bucket is missing Object Lock Configuration", status: 400 });
    const enable = await err(s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" } })));
    expect([enable.name, enable.status]).toEqual(["InvalidBucketState", 409]);
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" } }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration!.ObjectLockEnabled).toBe("Enabled");
  });
});

describe("retention and legal hold", () => {
  it("GOVERNANCE: deletes of the version refused until the date, unless bypassed; shortening needs the bypass", async () => {
    const { s3, bucket } = await lockedBucket();
    const until = new Date(Math.ceil((now() + 10 * DAY) / 1000) * 1000);
    const v = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "g", Body: "governed", ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: until }));
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "g" }));
    expect([h.ObjectLockMode, h.ObjectLockRetainUntilDate?.getTime()]).toEqual(["GOVERNANCE", until.getTime()]);
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: "g" }))).Retention).toEqual({ Mode: "GOVERNANCE", RetainUntilDate: until });

    const denied = await err(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "g", VersionId: v.VersionId })));
    expect(denied).toEqual({ name: "AccessDenied", message: "Access Denied because object protected by object lock.", status: 403 });
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "g", VersionId: v.VersionId }] } }));
    expect(batch.Errors).toEqual([{ Key: "g", VersionId: v.VersionId, Code: "AccessDenied", Message: "Access Denied because object protected by object lock." }]);
    // An overwrite and a delete without a version id only add versions.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "g", Body: "newer" }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "g" }));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "g" }));
    expect(versions.Versions!.map((x) => x.VersionId)).toContain(v.VersionId);

    // Shortening GOVERNANCE needs the bypass.
    const shorter = new Date(until.getTime() - 5 * DAY);
    expect((await err(s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "g", VersionId: v.VersionId, Retention: { Mode: "GOVERNANCE", RetainUntilDate: shorter } })))).status).toBe(403);
    await s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "g", VersionId: v.VersionId, BypassGovernanceRetention: true, Retention: { Mode: "GOVERNANCE", RetainUntilDate: shorter } }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: "g", VersionId: v.VersionId }))).Retention!.RetainUntilDate).toEqual(shorter);
    // The bypass lets the delete through.
    const gone = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "g", VersionId: v.VersionId, BypassGovernanceRetention: true }));
    expect(gone.VersionId).toBe(v.VersionId);
  });

  it("COMPLIANCE: no bypass, only extension; deletable once the date passes on the Nimbus clock", async () => {
    const { s3, bucket } = await lockedBucket();
    const until = new Date(Math.ceil((now() + 3 * DAY) / 1000) * 1000);
    const v = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c", Body: "complied", ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until }));
    expect((await err(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c", VersionId: v.VersionId, BypassGovernanceRetention: true })))).status).toBe(403);
    const toGov = await err(s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "c", VersionId: v.VersionId, BypassGovernanceRetention: true, Retention: { Mode: "GOVERNANCE", RetainUntilDate: until } })));
    expect(toGov.status).toBe(403);
    const later = new Date(until.getTime() + DAY);
    await s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "c", VersionId: v.VersionId, Retention: { Mode: "COMPLIANCE", RetainUntilDate: later } }));
    await advanceClock(n, "P3DT1H");
    expect((await err(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c", VersionId: v.VersionId })))).status).toBe(403);
    await advanceClock(n, "P1D");
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c", VersionId: v.VersionId }));
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "c" }))).Versions ?? []).toEqual([]);
  });

  it("legal hold blocks deletes whatever the retention, until turned off", async () => {
    const { s3, bucket } = await lockedBucket();
    const v = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "h", Body: "held" }));
    expect((await err(s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: "h" })))).name).toBe("NoSuchObjectLockConfiguration");
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: "h", LegalHold: { Status: "ON" } }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: "h" }))).LegalHold).toEqual({ Status: "ON" });
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "h" }))).ObjectLockLegalHoldStatus).toBe("ON");
    expect((await err(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "h", VersionId: v.VersionId, BypassGovernanceRetention: true })))).status).toBe(403);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: "h", LegalHold: { Status: "OFF" } }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "h", VersionId: v.VersionId }));
  });

  it("default retention stamps new versions; lifecycle does not expire protected versions", async () => {
    const { s3, bucket } = await lockedBucket();
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 30 } } } }));
    const t0 = now();
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d", Body: "one" }));
    const r = (await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: "d" }))).Retention!;
    expect(r.Mode).toBe("COMPLIANCE");
    expect(Math.abs(r.RetainUntilDate!.getTime() - (t0 + 30 * DAY))).toBeLessThan(60_000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d", Body: "two" }));
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: "nc", Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] } }));
    await advanceClock(n, "P2D");
    const ids = (await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions!.map((x) => x.VersionId);
    expect(ids).toContain(v1.VersionId);
    await advanceClock(n, "P30D");
    const after = (await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions!.map((x) => x.VersionId);
    expect(after).not.toContain(v1.VersionId);
    expect(after).toHaveLength(1);
  });
});

describe.skipIf(!AWS)("aws s3api (CLI) object lock", () => {
  it("creates a lock bucket, puts a legal hold and is refused the delete", async () => {
    const account = freshAccount();
    const bucket = `lock-cli-${Math.random().toString(36).slice(2, 10)}`;
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket, "--object-lock-enabled-for-bucket"));
    const put = ok(await clients.aws(account, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--object-lock-legal-hold-status", "ON"));
    expect(ok(await clients.aws(account, "s3api", "get-object-legal-hold", "--bucket", bucket, "--key", "k")).LegalHold).toEqual({ Status: "ON" });
    expect(failed(await clients.aws(account, "s3api", "delete-object", "--bucket", bucket, "--key", "k", "--version-id", put.VersionId))).toMatch(/AccessDenied/);
  }, 120_000);
});

describe.skipIf(!PYTHON)("boto3 object lock", () => {
  it("GOVERNANCE retention refuses the delete until BypassGovernanceRetention", async () => {
    const account = freshAccount();
    const bucket = `lock-py-${Math.random().toString(36).slice(2, 10)}`;
    const script = `
import sys, json, datetime, boto3, botocore
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=400)
v = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"]
out = {"mode": s3.get_object_retention(Bucket=bucket, Key="k")["Retention"]["Mode"]}
try:
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v)
except botocore.exceptions.ClientError as e:
    out["denied"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
s3.delete_object(Bucket=bucket, Key="k", VersionId=v, BypassGovernanceRetention=True)
out["left"] = len(s3.list_object_versions(Bucket=bucket).get("Versions", []))
print(json.dumps(out))
`;
    const out = ok(await clients.python(account, script, n.endpoint, bucket));
    expect(out).toEqual({ mode: "GOVERNANCE", denied: ["AccessDenied", "Access Denied because object protected by object lock."], left: 0 });
  }, 120_000);
});
