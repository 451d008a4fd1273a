// Intelligent-Tiering archive configurations (Put/Get/List/Delete and AWS's validation), objects
// moving to the Archive Access / Deep Archive Access tiers on the Nimbus clock (GET refused,
// HEAD's x-amz-archive-status, the s3:IntelligentTiering event), RestoreObject bringing them
// back to Frequent Access, and the events of restores finishing and expiring
// (ObjectRestore:Completed / ObjectRestore:Delete) and of lifecycle delete markers.
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketIntelligentTieringConfigurationCommand,
  GetBucketIntelligentTieringConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketIntelligentTieringConfigurationsCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  type IntelligentTieringConfiguration,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, useClients } from "../../clients/support.js";
import { eventQueue } from "./event-queue.js";
import { client, text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});
const clients = useClients(() => n.endpoint);

async function failure(p: Promise<unknown>): Promise<Record<string, any>> {
  try {
    await p;
  } catch (e) {
    const x = e as Record<string, any>;
    return { name: x.name, message: x.message, status: x.$metadata?.httpStatusCode, StorageClass: x.StorageClass, AccessTier: x.AccessTier, ArgumentName: x.ArgumentName };
  }
  throw new Error("expected the call to fail");
}

const BIG = Buffer.alloc(200 * 1024, 7);

const config = (Id: string, extra: Partial<IntelligentTieringConfiguration> = {}): IntelligentTieringConfiguration => ({
  Id,
  Status: "Enabled",
  Tierings: [
    { AccessTier: "ARCHIVE_ACCESS", Days: 90 },
    { AccessTier: "DEEP_ARCHIVE_ACCESS", Days: 180 },
  ],
  ...extra,
});

describe("Intelligent-Tiering configurations", () => {
  it("put, get, list (paginated) and delete; AWS's validation changes nothing", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("itcfg");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = (Id: string, c: IntelligentTieringConfiguration) => s3.send(new PutBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id, IntelligentTieringConfiguration: c }));

    expect(await failure(s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: "none" })))).toMatchObject({
      name: "NoSuchConfiguration",
      status: 404,
      message: "The specified configuration does not exist.",
    });
    const empty = await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: bucket }));
    expect(empty.IsTruncated).toBe(false);
    expect(empty.IntelligentTieringConfigurationList ?? []).toEqual([]);

    // Days below each tier's minimum, above two years, a deep tier not later, a duplicate tier.
    const bad: Array<[IntelligentTieringConfiguration, string]> = [
      [config("c", { Tierings: [{ AccessTier: "ARCHIVE_ACCESS", Days: 89 }] }), "InvalidArgument"],
      [config("c", { Tierings: [{ AccessTier: "DEEP_ARCHIVE_ACCESS", Days: 179 }] }), "InvalidArgument"],
      [config("c", { Tierings: [{ AccessTier: "ARCHIVE_ACCESS", Days: 731 }] }), "InvalidArgument"],
      [config("c", { Tierings: [{ AccessTier: "ARCHIVE_ACCESS", Days: 200 }, { AccessTier: "DEEP_ARCHIVE_ACCESS", Days: 190 }] }), "InvalidArgument"],
      [config("c", { Tierings: [{ AccessTier: "ARCHIVE_ACCESS", Days: 90 }, { AccessTier: "ARCHIVE_ACCESS", Days: 100 }] }), "InvalidArgument"],
      [config("c", { Status: "On" as "Enabled" }), "MalformedXML"],
      [config("c", { Filter: { Prefix: "a", Tag: { Key: "k", Value: "v" } } }), "MalformedXML"],
      // A required element left out (an empty Tierings list is no <Tiering> at all) is a body
      // that does not validate against S3's schema.
      [config("c", { Tierings: [] }), "MalformedXML"],
      [config("other"), "InvalidArgument"],
    ];
    for (const [c, code] of bad) expect({ t: JSON.stringify(c), ...(await failure(put("c", c))) }).toMatchObject({ name: code, status: 400 });
    expect((await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: bucket }))).IntelligentTieringConfigurationList ?? []).toEqual([]);

    const withFilter = config("c", { Filter: { And: { Prefix: "logs/", Tags: [{ Key: "tier", Value: "cold" }] } } });
    await put("c", withFilter);
    const got = await s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: "c" }));
    expect(got.IntelligentTieringConfiguration).toEqual(withFilter);

    // 104 more: pages of 100 in Id order.
    for (let i = 0; i < 104; i++) await put(`id-${String(i).padStart(3, "0")}`, config(`id-${String(i).padStart(3, "0")}`, { Tierings: [{ AccessTier: "ARCHIVE_ACCESS", Days: 100 + i }] }));
    const p1 = await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: bucket }));
    expect(p1.IsTruncated).toBe(true);
    expect(p1.IntelligentTieringConfigurationList!.length).toBe(100);
    expect(p1.IntelligentTieringConfigurationList![0]).toEqual(withFilter);
    expect(p1.IntelligentTieringConfigurationList![1].Tierings).toEqual([{ AccessTier: "ARCHIVE_ACCESS", Days: 100 }]);
    const p2 = await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: bucket, ContinuationToken: p1.NextContinuationToken }));
    expect(p2.IsTruncated).toBe(false);
    expect(p2.ContinuationToken).toBe(p1.NextContinuationToken);
    expect(p2.IntelligentTieringConfigurationList!.map((c) => c.Id)).toEqual(["id-099", "id-100", "id-101", "id-102", "id-103"]);

    await s3.send(new DeleteBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: "c" }));
    expect(await failure(s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: "c" })))).toMatchObject({ name: "NoSuchConfiguration" });
    expect(await failure(s3.send(new DeleteBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: "c" })))).toMatchObject({ name: "NoSuchConfiguration", status: 404 });
  });

  it.skipIf(!AWS)("aws CLI: put and get a configuration", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("itcli");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const cfg = JSON.stringify(config("cli", { Filter: { Prefix: "p/" } }));
    ok(await clients.aws(account, "s3api", "put-bucket-intelligent-tiering-configuration", "--bucket", bucket, "--id", "cli", "--intelligent-tiering-configuration", cfg));
    const out = ok(await clients.aws(account, "s3api", "get-bucket-intelligent-tiering-configuration", "--bucket", bucket, "--id", "cli"));
    expect(out.IntelligentTieringConfiguration).toEqual(JSON.parse(cfg));
  });
});

describe("Intelligent-Tiering archive tiers on the clock", () => {
  it("archives idle objects its configuration selects, refuses GET, reports HEAD, and restores them to Frequent Access", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("itarch");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const q = await eventQueue(n, s3, account, bucket, ["s3:IntelligentTiering", "s3:ObjectRestore:*"]);
    await s3.send(new PutBucketIntelligentTieringConfigurationCommand({ Bucket: bucket, Id: "cold", IntelligentTieringConfiguration: config("cold", { Filter: { Prefix: "cold/" } }) }));
    const it = (Key: string, Body: Buffer, StorageClass: "INTELLIGENT_TIERING" | "STANDARD" = "INTELLIGENT_TIERING") => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, StorageClass }));
    await it("cold/a", BIG);
    await it("cold/read", BIG);
    await it("cold/small", Buffer.from("tiny")); // under 128 KiB: never archived
    await it("warm/b", BIG); // outside the filter
    await it("cold/std", BIG, "STANDARD");

    await advanceClock(n, "P60D");
    await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold/read" })).then((r) => r.Body!.transformToByteArray());
    await advanceClock(n, "P31D");

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold/a" }));
    expect(head.StorageClass).toBe("INTELLIGENT_TIERING");
    expect(head.ArchiveStatus).toBe("ARCHIVE_ACCESS");
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold/a" })))).toMatchObject({
      name: "InvalidObjectState",
      status: 403,
      StorageClass: "INTELLIGENT_TIERING",
      AccessTier: "ARCHIVE_ACCESS",
    });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy", CopySource: `${bucket}/cold/a` })))).toMatchObject({ name: "InvalidObjectState" });
    for (const k of ["cold/read", "cold/small", "warm/b", "cold/std"]) {
      expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: k }))).ArchiveStatus).toBeUndefined();
      expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: k }))).Body)).toHaveLength(k === "cold/small" ? 4 : BIG.length);
    }
    const [moved] = await q.receive(1);
    expect(moved).toMatchObject({
      eventVersion: "2.3",
      eventName: "IntelligentTiering",
      userIdentity: { principalId: "s3.amazonaws.com" },
      s3: { bucket: { name: bucket }, object: { key: "cold/a", size: BIG.length } },
      intelligentTieringEventData: { destinationAccessTier: "ARCHIVE_ACCESS" },
    });

    // Not a restorable state for a non-archived object; Days is not for these tiers.
    expect(await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "warm/b", RestoreRequest: {} })))).toMatchObject({ name: "InvalidObjectState", status: 403 });
    expect(await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold/a", RestoreRequest: { Days: 2 } })))).toMatchObject({ name: "InvalidArgument", status: 400 });

    // 90 more idle days: Deep Archive Access (another event); Expedited is not offered there.
    await advanceClock(n, "P90D");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold/a" }))).ArchiveStatus).toBe("DEEP_ARCHIVE_ACCESS");
    const deeper = await q.receive(10, 1500);
    expect(deeper.filter((e) => e.s3.object.key === "cold/a").map((e) => e.intelligentTieringEventData.destinationAccessTier)).toEqual(["DEEP_ARCHIVE_ACCESS"]);
    // cold/read, unread since day 60, reached Archive Access meanwhile.
    expect(deeper.filter((e) => e.s3.object.key === "cold/read").map((e) => e.intelligentTieringEventData.destinationAccessTier)).toEqual(["ARCHIVE_ACCESS"]);
    expect(await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold/a", RestoreRequest: { GlacierJobParameters: { Tier: "Expedited" } } })))).toMatchObject({
      name: "InvalidArgument",
      ArgumentName: "Tier",
    });

    const r = await s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold/a", RestoreRequest: { GlacierJobParameters: { Tier: "Standard" } } }));
    expect(r.$metadata.httpStatusCode).toBe(202);
    const during = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold/a" }));
    expect(during.Restore).toBe('ongoing-request="true"');
    expect(during.ArchiveStatus).toBe("DEEP_ARCHIVE_ACCESS");
    expect(await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold/a", RestoreRequest: {} })))).toMatchObject({ name: "RestoreAlreadyInProgress", status: 409 });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold/a" })))).toMatchObject({ name: "InvalidObjectState" });

    await advanceClock(n, "PT12H");
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold/a" }));
    expect(after.ArchiveStatus).toBeUndefined();
    expect(after.Restore).toBeUndefined();
    expect(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold/a" }))).Body!.transformToByteArray()).equals(BIG)).toBe(true);
    const events = (await q.receive(10, 2000)).filter((e) => e.eventName.startsWith("ObjectRestore:"));
    expect(events.map((e) => e.eventName)).toEqual(["ObjectRestore:Post", "ObjectRestore:Completed"]);
    expect(events[1]).toMatchObject({ s3: { object: { key: "cold/a" } }, glacierEventData: { restoreEventData: { lifecycleRestoreStorageClass: "INTELLIGENT_TIERING" } } });
    // Back in Frequent Access: nothing to restore, and it takes 90 idle days again to archive it.
    expect(await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold/a", RestoreRequest: {} })))).toMatchObject({ name: "InvalidObjectState" });
    await advanceClock(n, "P89D");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold/a" }))).ArchiveStatus).toBeUndefined();
    await advanceClock(n, "P2D");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold/a" }))).ArchiveStatus).toBe("ARCHIVE_ACCESS");
  });
});

describe("events S3 emits on its own", () => {
  it("ObjectRestore:Completed when a GLACIER restore finishes, ObjectRestore:Delete when its copy expires", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("rstev");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const q = await eventQueue(n, s3, account, bucket, ["s3:ObjectRestore:*"]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "g", Body: "glacier bytes", StorageClass: "GLACIER" }));
    await s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "g", RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: "Expedited" } } }));
    expect((await q.receive(1)).map((e) => e.eventName)).toEqual(["ObjectRestore:Post"]);
    await advanceClock(n, "PT10M");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "g" }));
    const expiry = /expiry-date="([^"]+)"/.exec(head.Restore ?? "")![1];
    const [done] = await q.receive(1);
    expect(done).toMatchObject({
      eventVersion: "2.1",
      eventName: "ObjectRestore:Completed",
      userIdentity: { principalId: "s3.amazonaws.com" },
      s3: { object: { key: "g", size: 13 } },
      glacierEventData: { restoreEventData: { lifecycleRestoreStorageClass: "GLACIER", lifecycleRestorationExpiryTime: new Date(expiry).toISOString() } },
    });
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "g" }))).Body)).toBe("glacier bytes");
    // Nothing more until the copy expires.
    expect(await q.receive(1, 1200)).toEqual([]);
    await advanceClock(n, "P3D");
    const [gone] = await q.receive(1);
    expect(gone).toMatchObject({ eventVersion: "2.3", eventName: "ObjectRestore:Delete", s3: { object: { key: "g" } } });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "g" })))).toMatchObject({ name: "InvalidObjectState" });
  });

  it("LifecycleExpiration:DeleteMarkerCreated when lifecycle expires a current version of a versioned bucket", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("lcdm");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const q = await eventQueue(n, s3, account, bucket, ["s3:LifecycleExpiration:*"]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tmp/x", Body: "x" }));
    await s3.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: { Rules: [{ ID: "exp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 1 } }] },
    }));
    await advanceClock(n, "P2D");
    const [ev] = await q.receive(1);
    expect(ev).toMatchObject({ eventVersion: "2.3", eventName: "LifecycleExpiration:DeleteMarkerCreated", userIdentity: { principalId: "s3.amazonaws.com" }, s3: { object: { key: "tmp/x" } } });
    expect(typeof ev.s3.object.versionId).toBe("string");
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "tmp/x" })))).toMatchObject({ status: 404 });
  });
});

describe.skipIf(!PYTHON)("boto3 and Intelligent-Tiering archive tiers", () => {
  it("configures, sees ArchiveStatus and InvalidObjectState with AccessTier, restores with an empty RestoreRequest", async () => {
    const account = freshAccount();
    const bucket = uniq("itpy");
    const script = `
import sys, json, urllib.request, boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
def advance(d):
    req = urllib.request.Request(endpoint + "/_nimbus/clock", data=json.dumps({"advance": d}).encode(), method="POST")
    urllib.request.urlopen(req).read()
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket=bucket)
s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="all", IntelligentTieringConfiguration={
    "Id": "all", "Status": "Enabled", "Tierings": [{"AccessTier": "ARCHIVE_ACCESS", "Days": 90}]})
out = {"list": [c["Id"] for c in s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)["IntelligentTieringConfigurationList"]]}
s3.put_object(Bucket=bucket, Key="k", Body=b"z" * (256 * 1024), StorageClass="INTELLIGENT_TIERING")
advance("P91D")
out["archive"] = s3.head_object(Bucket=bucket, Key="k").get("ArchiveStatus")
try:
    s3.get_object(Bucket=bucket, Key="k")
except s3.exceptions.InvalidObjectState as e:
    out["error"] = [e.response["Error"]["Code"], e.response.get("StorageClass"), e.response.get("AccessTier")]
out["status"] = s3.restore_object(Bucket=bucket, Key="k", RestoreRequest={})["ResponseMetadata"]["HTTPStatusCode"]
advance("PT5H")
out["after"] = s3.head_object(Bucket=bucket, Key="k").get("ArchiveStatus")
out["size"] = len(s3.get_object(Bucket=bucket, Key="k")["Body"].read())
print(json.dumps(out))
`;
    const out = ok(await clients.python(account, script, n.endpoint, bucket));
    expect(out).toEqual({ list: ["all"], archive: "ARCHIVE_ACCESS", error: ["InvalidObjectState", "INTELLIGENT_TIERING", "ARCHIVE_ACCESS"], status: 202, after: null, size: 256 * 1024 });
  }, 120_000);
});
