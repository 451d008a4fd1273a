// The orphan sweep through a real Nimbus: after an unclean stop, blobs no service references
// (written but never committed, replaced but never unlinked) are removed at the next start,
// in the background; S3's objects, parts of uploads in progress and their bytes are untouched.
// After a clean stop the next start skips the sweep.
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListPartsCommand, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus } from "../support/nimbus.js";

const dataDir = mkdtempSync(join(tmpdir(), "nimbus-blob-sweep-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Every blob: files under blobs/ and rows of nimbus_small_blobs / nimbus_blobs (small blobs live
 * in the database). While a Nimbus runs, through its connection (it holds nimbus.db exclusively).
 */
function allBlobs(running?: Database.Database): string[] {
  const files = readdirSync(join(dataDir, "blobs"))
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(dataDir, "blobs", d)));
  const db = running ?? new Database(join(dataDir, "nimbus.db"), { readonly: true });
  const rows = db.prepare("SELECT 'i' || n FROM nimbus_small_blobs UNION ALL SELECT id FROM nimbus_blobs").pluck().all() as string[];
  if (!running) db.close();
  return [...files, ...rows].sort();
}

const exists = (id: string, running?: Database.Database): boolean => allBlobs(running).includes(id);

/**
 * An orphan file (what a crash between a large write and its commit leaves), or an orphan row:
 * of nimbus_small_blobs ("small"), or of nimbus_blobs as data directories from before that
 * table hold ("row").
 */
function plantOrphan(kind: "file" | "row" | "small"): string {
  const hex = randomBytes(16).toString("hex");
  if (kind === "file") {
    mkdirSync(join(dataDir, "blobs", hex.slice(0, 2)), { recursive: true });
    writeFileSync(join(dataDir, "blobs", hex.slice(0, 2), hex), "bytes nobody committed");
    return hex;
  }
  const db = new Database(join(dataDir, "nimbus.db"));
  if (kind === "small") {
    const n = (db.prepare("SELECT max(n) FROM nimbus_small_blobs").pluck().get() as number) + 1000;
    db.prepare("INSERT INTO nimbus_small_blobs (n, bytes) VALUES (?, ?)").run(n, Buffer.from("small row nobody committed"));
    db.close();
    return `i${n}`;
  }
  db.prepare("INSERT INTO nimbus_blobs (id, bytes) VALUES (?, ?)").run(`i${hex}`, Buffer.from("row nobody committed"));
  db.close();
  return `i${hex}`;
}

/** What a crash leaves in nimbus_meta: the run never recorded a clean shutdown. */
function markUnclean(): void {
  const db = new Database(join(dataDir, "nimbus.db"));
  db.prepare("UPDATE nimbus_meta SET value = '0' WHERE key = 'blobs.clean'").run();
  db.close();
}

describe("orphan blob sweep at start", () => {
  it("removes unreferenced blobs after an unclean stop and keeps every object's and part's bytes", async () => {
    const account = freshAccount();
    const a = await startNimbus({ dataDir });
    const s3 = new S3Client(sdkConfig(a.endpoint, { accountId: account }));
    await s3.send(new CreateBucketCommand({ Bucket: "sweep" }));
    await s3.send(new PutObjectCommand({ Bucket: "sweep", Key: "kept", Body: "kept bytes" }));
    const large = randomBytes(200_000);
    await s3.send(new PutObjectCommand({ Bucket: "sweep", Key: "large", Body: large }));
    await s3.send(new PutObjectCommand({ Bucket: "sweep", Key: "overwritten", Body: "old" }));
    await s3.send(new PutObjectCommand({ Bucket: "sweep", Key: "overwritten", Body: "new" }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "sweep", Key: "in-progress" }));
    await s3.send(new UploadPartCommand({ Bucket: "sweep", Key: "in-progress", UploadId, PartNumber: 1, Body: "part one" }));
    expect((await a.nimbus.blobSweep).scanned).toBe(0);
    await a.stop({ keepData: true });
    const live = allBlobs();
    expect(live).toHaveLength(4);

    markUnclean();
    const orphans = [plantOrphan("file"), plantOrphan("row"), plantOrphan("small"), plantOrphan("file")];
    const b = await startNimbus({ dataDir });
    try {
      const result = await b.nimbus.blobSweep;
      expect(result).toEqual({ skipped: false, scanned: 8, removed: 4, stopped: false });
      for (const id of orphans) expect(exists(id, b.nimbus.db)).toBe(false);
      expect(allBlobs(b.nimbus.db)).toEqual(live);
      const s3b = new S3Client(sdkConfig(b.endpoint, { accountId: account }));
      const get = async (Key: string) => (await s3b.send(new GetObjectCommand({ Bucket: "sweep", Key }))).Body!.transformToString();
      expect(await get("kept")).toBe("kept bytes");
      expect(await get("overwritten")).toBe("new");
      const got = Buffer.from(await (await s3b.send(new GetObjectCommand({ Bucket: "sweep", Key: "large" }))).Body!.transformToByteArray());
      expect(got.equals(large)).toBe(true);
      const parts = await s3b.send(new ListPartsCommand({ Bucket: "sweep", Key: "in-progress", UploadId }));
      expect(parts.Parts!.map((p) => p.Size)).toEqual([8]);
    } finally {
      await b.stop({ keepData: true });
    }
  });

  it("skips the sweep after a clean stop", async () => {
    const planted = plantOrphan("file");
    const c = await startNimbus({ dataDir });
    try {
      expect(await c.nimbus.blobSweep).toEqual({ skipped: true, scanned: 0, removed: 0, stopped: false });
      expect(exists(planted, c.nimbus.db)).toBe(true);
    } finally {
      await c.stop({ keepData: true });
    }
  });
});
