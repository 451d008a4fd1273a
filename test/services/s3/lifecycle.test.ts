// Lifecycle: configuration round trip and AWS's validation, then the worker acting on Nimbus
// time: transition to GLACIER after 30 days and expiry after 365, noncurrent versions,
// expired delete markers, incomplete multipart uploads, tag and size filters, x-amz-expiration.
import {
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type LifecycleRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { err } from "./access-helpers.js";
import { advanceClock } from "../dynamodb/helpers.js";
import { withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

const big = Buffer.alloc(130 * 1024, 7);
const put = (s3: S3Client, Bucket: string, Rules: LifecycleRule[], extra: Record<string, unknown> = {}) =>
  s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules }, ...extra }));

describe("lifecycle configuration", () => {
  it("round-trips rules and the transition minimum size; Delete removes them", async () => {
    const { s3, bucket } = await withBucket(n, "lc");
    const none = await err(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })));
    expect(none).toEqual({ name: "NoSuchLifecycleConfiguration", message: "The lifecycle configuration does not exist", status: 404 });
    const rules: LifecycleRule[] = [
      { ID: "archive", Status: "Enabled", Filter: { Prefix: "logs/" }, Transitions: [{ Days: 30, StorageClass: "GLACIER" }], Expiration: { Days: 365 } },
      { ID: "tagged", Status: "Disabled", Filter: { And: { Prefix: "t/", Tags: [{ Key: "a", Value: "1" }], ObjectSizeGreaterThan: 10 } }, Expiration: { Days: 5 } },
      { ID: "mpu", Status: "Enabled", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
    ];
    const r = await put(s3, bucket, rules, { TransitionDefaultMinimumObjectSize: "varies_by_storage_class" });
    expect(r.TransitionDefaultMinimumObjectSize).toBe("varies_by_storage_class");
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(got.TransitionDefaultMinimumObjectSize).toBe("varies_by_storage_class");
    expect(got.Rules).toHaveLength(3);
    expect(got.Rules![0]).toMatchObject({ ID: "archive", Status: "Enabled", Filter: { Prefix: "logs/" }, Transitions: [{ Days: 30, StorageClass: "GLACIER" }], Expiration: { Days: 365 } });
    expect(got.Rules![1]).toMatchObject({ ID: "tagged", Status: "Disabled", Filter: { And: { Prefix: "t/", Tags: [{ Key: "a", Value: "1" }], ObjectSizeGreaterThan: 10 } } });
    expect(got.Rules![2]).toMatchObject({ ID: "mpu", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } });
    // A rule without an ID gets one.
    await put(s3, bucket, [{ Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } }]);
    const again = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(again.Rules![0].ID).toMatch(/^\S{10,}$/);
    expect(again.TransitionDefaultMinimumObjectSize).toBe("all_storage_classes_128K");
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    expect((await err(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })))).name).toBe("NoSuchLifecycleConfiguration");
  });

  it("refuses invalid configurations with AWS's errors and keeps the previous one", async () => {
    const { s3, bucket } = await withBucket(n, "lcbad");
    await put(s3, bucket, [{ ID: "keep", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 10 } }]);
    const cases: Array<[LifecycleRule[], string, string?]> = [
      [[{ ID: "a", Status: "Enabled", Filter: { Prefix: "" }, Transitions: [{ Days: 10, StorageClass: "STANDARD_IA" }] }], "InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"],
      [[{ ID: "a", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 0 } }], "InvalidArgument", "'Days' for Expiration action must be a positive integer"],
      [[{ ID: "a", Status: "Enabled", Filter: { Prefix: "" } }], "InvalidRequest", "At least one action needs to be specified in a rule"],
      [
        [
          { ID: "a", Status: "Enabled", Filter: { Prefix: "x" }, Expiration: { Days: 1 } },
          { ID: "a", Status: "Enabled", Filter: { Prefix: "y" }, Expiration: { Days: 1 } },
        ],
        "InvalidArgument",
        "Rule ID must be unique. Found same ID for more than one rule",
      ],
      [[{ ID: "a", Status: "Enabled", Filter: { Tag: { Key: "k", Value: "v" } }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }], "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."],
      [[{ ID: "x".repeat(256), Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } }], "InvalidArgument", "ID length should not exceed allowed limit of 255"],
      [[{ ID: "a", Status: "Enabled", Expiration: { Days: 1 } }], "MalformedXML"],
      [[{ ID: "a", Status: "Enabled", Filter: { Prefix: "" }, Transitions: [{ Days: 400, StorageClass: "GLACIER" }], Expiration: { Days: 365 } }], "InvalidArgument"],
      [[{ ID: "a", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Date: new Date("2030-01-01T12:00:00Z") } }], "InvalidArgument", "'Date' must be at midnight GMT"],
    ];
    for (const [rules, code, message] of cases) {
      const e = await err(put(s3, bucket, rules));
      expect(e.name).toBe(code);
      if (message) expect(e.message).toBe(message);
      expect(e.status).toBe(400);
    }
    const many = Array.from({ length: 1001 }, (_, i): LifecycleRule => ({ ID: `r${i}`, Status: "Enabled", Filter: { Prefix: `p${i}/` }, Expiration: { Days: 1 } }));
    expect((await err(put(s3, bucket, many))).status).toBe(400);
    const kept = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(kept.Rules!.map((r) => r.ID)).toEqual(["keep"]);
    // 1,000 rules are allowed.
    await put(s3, bucket, many.slice(0, 1000));
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules).toHaveLength(1000);
  });
});

describe("the lifecycle worker on Nimbus time", () => {
  it("transitions to GLACIER after 30 days and expires after 365, with x-amz-expiration on PUT and HEAD", async () => {
    const { s3, bucket } = await withBucket(n, "lcrun");
    await put(s3, bucket, [{ ID: "logs-rule", Status: "Enabled", Filter: { Prefix: "logs/" }, Transitions: [{ Days: 30, StorageClass: "GLACIER" }], Expiration: { Days: 365 } }]);
    const p = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "logs/a", Body: big }));
    const m = /^expiry-date="(.+)", rule-id="logs-rule"$/.exec(p.Expiration ?? "");
    expect(m).not.toBeNull();
    const expiry = new Date(m![1]).getTime();
    expect(expiry % 86_400_000).toBe(0);
    const now = Date.now() + n.nimbus.clock.offset();
    expect(expiry - now).toBeGreaterThan(365 * 86_400_000 - 60_000);
    expect(expiry - now).toBeLessThanOrEqual(366 * 86_400_000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "other/b", Body: big }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "logs/small", Body: "tiny" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "logs/a" }))).Expiration).toBe(p.Expiration);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "other/b" }))).Expiration).toBeUndefined();

    await advanceClock(n, "P29D");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "logs/a" }))).StorageClass).toBeUndefined();
    await advanceClock(n, "P2D");
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "logs/a" }));
    expect(h.StorageClass).toBe("GLACIER");
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "logs/a" })))).name).toBe("InvalidObjectState");
    // Outside the prefix, and under 128 KiB (the default minimum), nothing moves.
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "other/b" }))).StorageClass).toBeUndefined();
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "logs/small" }))).StorageClass).toBeUndefined();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "logs/" }));
    expect(listed.Contents!.map((c) => [c.Key, c.StorageClass])).toEqual([["logs/a", "GLACIER"], ["logs/small", "STANDARD"]]);

    await advanceClock(n, "P335D");
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(after.Contents!.map((c) => c.Key)).toEqual(["other/b"]);
  });

  it("expires noncurrent versions, keeping NewerNoncurrentVersions, then the expired delete marker", async () => {
    const { s3, bucket } = await withBucket(n, "lcver");
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await put(s3, bucket, [
      { ID: "nc", Status: "Enabled", Filter: { Prefix: "doc" }, NoncurrentVersionExpiration: { NoncurrentDays: 10, NewerNoncurrentVersions: 1 } },
      { ID: "markers", Status: "Enabled", Filter: { Prefix: "gone" }, Expiration: { ExpiredObjectDeleteMarker: true }, NoncurrentVersionExpiration: { NoncurrentDays: 10 } },
    ]);
    const ids: string[] = [];
    for (const body of ["v1", "v2", "v3"]) ids.push((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "doc", Body: body }))).VersionId!);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "gone", Body: "x" }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "gone" }));
    await advanceClock(n, "P11D");
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "doc" }));
    // v3 is current, v2 is the one newer noncurrent version kept; v1 is gone.
    expect(v.Versions!.map((x) => x.VersionId)).toEqual([ids[2], ids[1]]);
    // "gone": its only object version expired as noncurrent (rule "markers"); the marker is now alone
    // and goes at the next daily run.
    const g1 = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "gone" }));
    expect(g1.Versions ?? []).toEqual([]);
    expect(g1.DeleteMarkers).toHaveLength(1);
    await advanceClock(n, "P1D");
    const g2 = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "gone" }));
    expect([g2.Versions ?? [], g2.DeleteMarkers ?? []]).toEqual([[], []]);
  });

  it("expiring a current version in a versioned bucket leaves a delete marker", async () => {
    const { s3, bucket } = await withBucket(n, "lcvexp");
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await put(s3, bucket, [{ ID: "e", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } }]);
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x" }));
    await advanceClock(n, "P2D");
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(v.Versions!.map((x) => [x.VersionId, x.IsLatest])).toEqual([[v1.VersionId, false]]);
    expect(v.DeleteMarkers!.map((x) => x.IsLatest)).toEqual([true]);
  });

  it("aborts incomplete multipart uploads DaysAfterInitiation after they started", async () => {
    const { s3, bucket } = await withBucket(n, "lcmpu");
    await put(s3, bucket, [{ ID: "abort", Status: "Enabled", Filter: { Prefix: "up/" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }]);
    const a = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "up/a" }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "up/a", UploadId: a.UploadId, PartNumber: 1, Body: "part" }));
    const b = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "keep/b" }));
    await advanceClock(n, "P2D");
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads).toHaveLength(2);
    await advanceClock(n, "P2D");
    const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(left.Uploads!.map((u) => u.UploadId)).toEqual([b.UploadId]);
  });

  it("selects objects by tag and size; disabled rules do nothing", async () => {
    const { s3, bucket } = await withBucket(n, "lcfilter");
    await put(s3, bucket, [
      { ID: "tag", Status: "Enabled", Filter: { And: { Prefix: "", Tags: [{ Key: "temp", Value: "yes" }] } }, Expiration: { Days: 1 } },
      { ID: "size", Status: "Enabled", Filter: { ObjectSizeGreaterThan: 100 }, Expiration: { Days: 1 } },
      { ID: "off", Status: "Disabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } },
    ]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "x", Tagging: "temp=yes&other=1" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "untagged", Body: "x", Tagging: "temp=no" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "large", Body: Buffer.alloc(101) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "exact", Body: Buffer.alloc(100) }));
    await advanceClock(n, "P2D");
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(left.Contents!.map((c) => c.Key)).toEqual(["exact", "untagged"]);
  });
});
