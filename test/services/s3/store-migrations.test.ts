// Migration 2 builds the bucket-owner index from the bucket documents a version-1 data
// directory already holds; migration 4 (versioning) keeps older objects readable.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { migrate, openDatabase } from "../../../src/core/state/database.js";
import { countOwnedBuckets, getObject, migrations, ownedBuckets } from "../../../src/services/s3/store.js";
import { getVersion, versionEntries } from "../../../src/services/s3/version-store.js";

it("fills s3_bucket_owners from existing bucket documents", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3-migrate-"));
  const db = openDatabase(dir);
  try {
    migrate(db, "s3", migrations.slice(0, 1));
    const put = db.prepare("INSERT INTO nimbus_docs (service, scope, kind, id, doc) VALUES ('s3', 'global', 'bucket', ?, ?)");
    for (const [name, account] of [["b-two", "111111111111"], ["a-one", "111111111111"], ["other", "222222222222"]]) {
      put.run(name, JSON.stringify({ name, accountId: account, region: "us-east-1", createdAt: 0 }));
    }
    migrate(db, "s3", migrations);
    expect([...ownedBuckets(db, "111111111111", "", "")]).toEqual(["a-one", "b-two"]);
    expect([...ownedBuckets(db, "111111111111", "a-one", "")]).toEqual(["b-two"]);
    expect([...ownedBuckets(db, "111111111111", "", "b-")]).toEqual(["b-two"]);
    expect(countOwnedBuckets(db, "222222222222")).toBe(1);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("migration 4 reads objects written before versioning as their null version", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3-migrate-"));
  const db = openDatabase(dir);
  try {
    migrate(db, "s3", migrations.slice(0, 3));
    db.prepare(
      `INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags)
       VALUES ('b', ?, 'blob1', 3, '"e"', 5000, 'STANDARD', '{}', '{}', '{"CRC64NVME":"AAAAAAAAAAA="}', '[]')`,
    ).run(Buffer.from("old-key"));
    migrate(db, "s3", migrations);
    const o = getObject(db, "b", "old-key");
    expect([o?.versionId, o?.seq, o?.blobId, o?.checksums, o?.parts]).toEqual(["null", 5_000_000, "blob1", { CRC64NVME: "AAAAAAAAAAA=" }, undefined]);
    expect(getVersion(db, "b", "old-key", "null")?.deleteMarker).toBe(false);
    expect([...versionEntries(db, "b", Buffer.alloc(0), { inclusive: true, below: Buffer.alloc(1025, 0xff) })].map((e) => [e.key, e.versionId, e.isLatest])).toEqual([
      ["old-key", "null", true],
    ]);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
