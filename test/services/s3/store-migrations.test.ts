// Migration 2 builds the bucket-owner index from the bucket documents a version-1 data
// directory already holds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { migrate, openDatabase } from "../../../src/core/state/database.js";
import { countOwnedBuckets, migrations, ownedBuckets } from "../../../src/services/s3/store.js";

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
