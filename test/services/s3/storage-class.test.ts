// Storage classes: accepted and refused classes, the class reported by every read and listing,
// archived classes refusing GET until RestoreObject (tiers on the Nimbus clock, x-amz-restore,
// the temporary copy expiring), and Intelligent-Tiering access tiers moving with access.
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  UploadPartCommand,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocStore } from "../../../src/core/state/doc-store.js";
import { getObject } from "../../../src/services/s3/store.js";
import { accessTier } from "../../../src/services/s3/storage-class.js";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { advanceClock } from "../dynamodb/helpers.js";
import { text, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number; StorageClass?: string; AccessTier?: string }> {
  try {
    await p;
  } catch (e) {
    const x = e as { name: string; message: string; StorageClass?: string; AccessTier?: string; $metadata?: { httpStatusCode?: number } };
    return { name: x.name, message: x.message, status: x.$metadata?.httpStatusCode, StorageClass: x.StorageClass, AccessTier: x.AccessTier };
  }
  throw new Error("expected the call to fail");
}

const CLASSES = ["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;

describe("storage classes", () => {
  it("stores every class a general purpose bucket accepts and reports it in HEAD, listings, versions and attributes", async () => {
    const { s3, bucket } = await withBucket(n, "sc");
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    for (const sc of CLASSES) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `k/${sc}`, Body: sc, StorageClass: sc }));
    for (const sc of CLASSES) {
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `k/${sc}` }));
      // S3 leaves the header out for STANDARD.
      expect(h.StorageClass).toBe(sc === "STANDARD" ? undefined : sc);
      const a = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: `k/${sc}`, ObjectAttributes: ["StorageClass", "ObjectSize"] }));
      expect(a.StorageClass).toBe(sc);
    }
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(Object.fromEntries(list.Contents!.map((c) => [c.Key, c.StorageClass]))).toEqual(Object.fromEntries(CLASSES.map((sc) => [`k/${sc}`, sc])));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(versions.Versions!.map((v) => v.StorageClass).sort()).toEqual([...CLASSES].sort());
  });

  it("refuses the classes of other bucket types with InvalidStorageClass and writes nothing", async () => {
    const { s3, bucket } = await withBucket(n, "sc");
    for (const sc of ["EXPRESS_ONEZONE", "OUTPOSTS", "SNOW", "COLD"]) {
      const e = await failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "x", StorageClass: sc as StorageClass })));
      expect([e.name, e.message, e.status]).toEqual(["InvalidStorageClass", "The storage class you specified is not valid", 400]);
    }
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
  });

  it("keeps a multipart upload's class through ListParts and the completed object", async () => {
    const { s3, bucket } = await withBucket(n, "sc");
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp", StorageClass: "ONEZONE_IA" }));
    const p = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 1, Body: "part one" }));
    const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "mp", UploadId }));
    expect(parts.StorageClass).toBe("ONEZONE_IA");
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] } }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "mp" }))).StorageClass).toBe("ONEZONE_IA");
  });
});

describe("archived objects and RestoreObject", () => {
  it("GLACIER: InvalidObjectState until a Standard restore completes, then readable until the copy expires", async () => {
    const { s3, bucket } = await withBucket(n, "glacier");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cold.txt", Body: "frozen bytes", StorageClass: "GLACIER" }));

    const denied = await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold.txt" })));
    expect(denied).toMatchObject({ name: "InvalidObjectState", message: "The operation is not valid for the object's storage class", status: 403, StorageClass: "GLACIER" });
    const copyDenied = await failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "warm.txt", CopySource: `${bucket}/cold.txt` })));
    expect(copyDenied.name).toBe("InvalidObjectState");
    // HEAD works on archived objects and shows no restore yet.
    const h0 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold.txt" }));
    expect([h0.StorageClass, h0.Restore]).toEqual(["GLACIER", undefined]);

    const started = await s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold.txt", RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: "Standard" } } }));
    expect(started.$metadata.httpStatusCode).toBe(202);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold.txt" }))).Restore).toBe('ongoing-request="true"');
    const again = await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold.txt", RestoreRequest: { Days: 2 } })));
    expect([again.name, again.message, again.status]).toEqual(["RestoreAlreadyInProgress", "Object restore is already in progress", 409]);
    expect((await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold.txt" })))).name).toBe("InvalidObjectState");

    // A Standard retrieval takes up to 5 hours.
    await advanceClock(n, "PT5H1M");
    const h1 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold.txt" }));
    const m = /^ongoing-request="false", expiry-date="(.+)"$/.exec(h1.Restore ?? "");
    expect(m).not.toBeNull();
    const expiry = new Date(m![1]);
    // Midnight UTC, 2 days (rounded up) after the restore finished.
    expect(expiry.getTime() % 86_400_000).toBe(0);
    const now = Date.now() + n.nimbus.clock.offset();
    expect(expiry.getTime() - now).toBeGreaterThan(2 * 86_400_000 - 5 * 3_600_000 - 60_000);
    expect(expiry.getTime() - now).toBeLessThanOrEqual(3 * 86_400_000);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold.txt" }));
    expect(await text(got.Body)).toBe("frozen bytes");
    expect(got.StorageClass).toBe("GLACIER");
    expect(got.Restore).toBe(h1.Restore);
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "warm.txt", CopySource: `${bucket}/cold.txt` }));
    const warm = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "warm.txt" }));
    expect([warm.StorageClass, warm.Restore]).toEqual([undefined, undefined]);

    // Restoring a restored object extends it: 200, not 202.
    const extended = await s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "cold.txt", RestoreRequest: { Days: 3 } }));
    expect(extended.$metadata.httpStatusCode).toBe(200);
    const h2 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold.txt" }));
    expect(new Date(/expiry-date="(.+)"/.exec(h2.Restore!)![1]).getTime()).toBeGreaterThan(expiry.getTime());

    // After the copy expires the object is archived again.
    await advanceClock(n, "P5D");
    const h3 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cold.txt" }));
    expect(h3.Restore).toBeUndefined();
    expect((await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cold.txt" })))).name).toBe("InvalidObjectState");
  });

  it("DEEP_ARCHIVE has no Expedited tier; Bulk takes up to 48 hours; a version id restores that version", async () => {
    const { s3, bucket } = await withBucket(n, "deep");
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d", Body: "first", StorageClass: "DEEP_ARCHIVE" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d", Body: "second", StorageClass: "DEEP_ARCHIVE" }));
    const exp = await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "d", VersionId: v1.VersionId, RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: "Expedited" } } })));
    expect([exp.name, exp.status]).toEqual(["InvalidArgument", 400]);
    const r = await s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "d", VersionId: v1.VersionId, RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: "Bulk" } } }));
    expect(r.$metadata.httpStatusCode).toBe(202);
    await advanceClock(n, "PT47H");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "d", VersionId: v1.VersionId }))).Restore).toBe('ongoing-request="true"');
    await advanceClock(n, "PT1H1M");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "d", VersionId: v1.VersionId }))).Restore).toMatch(/^ongoing-request="false", expiry-date=/);
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "d", VersionId: v1.VersionId }))).Body)).toBe("first");
    // The current version was not restored.
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "d" }))).Restore).toBeUndefined();
    expect((await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "d" })))).StorageClass).toBe("DEEP_ARCHIVE");
  });

  it("refuses to restore objects that are not archived, and requests without Days", async () => {
    const { s3, bucket } = await withBucket(n, "norestore");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "s", Body: "x", StorageClass: "STANDARD_IA" }));
    const e = await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "s", RestoreRequest: { Days: 1 } })));
    expect([e.name, e.message, e.status]).toEqual(["InvalidObjectState", "Restore is not allowed for the object's current storage class", 403]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "g", Body: "x", StorageClass: "GLACIER" }));
    expect((await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "g", RestoreRequest: {} })))).name).toBe("MalformedXML");
    expect((await failure(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "missing", RestoreRequest: { Days: 1 } })))).name).toBe("NoSuchKey");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "g" }))).Restore).toBeUndefined();
  });

  it("an overwrite drops the restored copy (it belonged to the old bytes)", async () => {
    const { s3, bucket } = await withBucket(n, "overwrite");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "o", Body: "old", StorageClass: "GLACIER" }));
    await s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "o", RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: "Expedited" } } }));
    await advanceClock(n, "PT6M");
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "o" }))).Body)).toBe("old");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "o", Body: "new", StorageClass: "GLACIER" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "o" }))).Restore).toBeUndefined();
    expect((await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "o" })))).name).toBe("InvalidObjectState");
  });
});

describe("Intelligent-Tiering access tiers", () => {
  it("moves Frequent -> Infrequent after 30 days without access -> Archive Instant after 90, and back on a GET", async () => {
    const { s3, bucket } = await withBucket(n, "int");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "t", Body: "tiered", StorageClass: "INTELLIGENT_TIERING" }));
    // AWS reports these automatic tiers only through S3 Inventory, not the object API: read them
    // where Nimbus computes them.
    const view = { store: new DocStore(n.nimbus.db, "s3", "global"), clock: n.nimbus.clock };
    const tier = () => accessTier(view, getObject(n.nimbus.db, bucket, "t")!);
    expect(tier()).toBe("FREQUENT_ACCESS");
    await advanceClock(n, "P29D");
    expect(tier()).toBe("FREQUENT_ACCESS");
    await advanceClock(n, "P2D");
    expect(tier()).toBe("INFREQUENT_ACCESS");
    await advanceClock(n, "P60D");
    expect(tier()).toBe("ARCHIVE_INSTANT_ACCESS");
    // Archive Instant Access is still read in real time; the read moves it back.
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "t" }))).Body)).toBe("tiered");
    expect(tier()).toBe("FREQUENT_ACCESS");
    // HEAD is not an access.
    await advanceClock(n, "P31D");
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "t" }));
    expect(tier()).toBe("INFREQUENT_ACCESS");
  });
});
