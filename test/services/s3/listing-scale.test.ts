// The listing reads O(page) rows whatever the bucket holds: measured in rows handed back by
// SQLite (deterministic), not in time. 300,000 keys, most of them under one common prefix.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, type Db } from "../../../src/core/state/database.js";
import { listPage } from "../../../src/services/s3/handlers/list-objects.js";
import { versionsPage, type VersionsPageParams } from "../../../src/services/s3/handlers/versioning.js";
import { migrations, nextPrefix } from "../../../src/services/s3/store.js";

let dir: string;
let db: Db;
let rowsRead = 0;
/** The same database, counting the rows every statement's all() or iterate() hands back. */
let counting: Db;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "s3-scale-"));
  db = openDatabase(dir);
  migrate(db, "s3", migrations);
  const insert = db.prepare(
    "INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags) VALUES ('big', ?, 'b', 1, '\"e\"', 0, 'STANDARD', '{}', '{}', '{}', '[]')",
  );
  db.transaction(() => {
    for (let i = 0; i < 300_000; i++) insert.run(Buffer.from(`deep/${String(i).padStart(6, "0")}`));
    for (let i = 0; i < 1_500; i++) insert.run(Buffer.from(`flat-${String(i).padStart(4, "0")}`));
    for (const k of ["a/1", "a/2", "zz"]) insert.run(Buffer.from(k));
  })();
  counting = new Proxy(db, {
    get(target, prop) {
      if (prop !== "prepare") return Reflect.get(target, prop, target);
      return (sql: string) => {
        const stmt = target.prepare(sql);
        return new Proxy(stmt, {
          get(s, p) {
            if (p === "all") {
              return (...args: unknown[]) => {
                const rows = (s.all as (...a: unknown[]) => unknown[])(...args);
                rowsRead += rows.length;
                return rows;
              };
            }
            if (p === "iterate") {
              return function* (...args: unknown[]) {
                for (const row of (s.iterate as (...a: unknown[]) => Iterable<unknown>)(...args)) {
                  rowsRead++;
                  yield row;
                }
              };
            }
            if (p === "get") {
              return (...args: unknown[]) => {
                const row = (s.get as (...a: unknown[]) => unknown)(...args);
                if (row !== undefined) rowsRead++;
                return row;
              };
            }
            const v = Reflect.get(s, p, s) as unknown;
            return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(s) : v;
          },
        });
      };
    },
  }) as Db;
}, 60_000);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const list = (p: Partial<Parameters<typeof listPage>[1]>) => {
  rowsRead = 0;
  const page = listPage(counting, { bucket: "big", prefix: "", delimiter: undefined, after: undefined, maxKeys: 1000, ...p });
  return { page, rowsRead };
};

describe("listing cost", () => {
  it("jumps over a 300,000-key common prefix in one seek", () => {
    const { page, rowsRead } = list({ delimiter: "/" });
    expect(page.commonPrefixes).toEqual(["a/", "deep/"]);
    expect(page.contents.map((c) => c.keyString)).toEqual(Array.from({ length: 998 }, (_, i) => `flat-${String(i).padStart(4, "0")}`));
    expect(page.truncated).toBe(true);
    // 998 keys + one row per common prefix + the look-ahead row: never the 300,000 under deep/.
    expect(rowsRead).toBe(998 + 2 + 1);
  });

  it("reads a page from the middle of the bucket without touching what precedes it", () => {
    const { page, rowsRead } = list({ prefix: "deep/", after: "deep/250000", maxKeys: 100 });
    expect(page.contents[0].keyString).toBe("deep/250001");
    expect(page.contents).toHaveLength(100);
    expect(rowsRead).toBe(101);
  });

  it("uses the primary key for every scan shape", () => {
    for (const [sql, params] of [
      ["SELECT key FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?", ["big", Buffer.from("a"), 10]],
      ["SELECT key FROM s3_objects WHERE bucket = ? AND key > ? AND key < ? ORDER BY key LIMIT ?", ["big", Buffer.from("a"), Buffer.from("b"), 10]],
    ] as const) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join("; ");
      expect(plan).toMatch(/SEARCH s3_objects USING PRIMARY KEY \(bucket=\? AND key>\?/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("nextPrefix is the first byte string past every extension of the prefix", () => {
    expect(nextPrefix(Buffer.from("a/"))!.toString()).toBe("a0");
    expect(nextPrefix(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(nextPrefix(Buffer.from([0xff]))).toBeUndefined();
  });
});

describe("ListObjectVersions cost", () => {
  // A versioned bucket: 100,000 keys under deep/ with two versions each (one current, one in
  // s3_versions), a few keys around them, one with a delete marker.
  beforeAll(() => {
    const obj = db.prepare(
      "INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags, version_id, seq) VALUES ('ver', ?, 'b', 1, '\"e\"', 0, 'STANDARD', '{}', '{}', '{}', '[]', ?, ?)",
    );
    const ver = db.prepare(
      "INSERT INTO s3_versions (bucket, key, ord, version_id, delete_marker, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags) VALUES ('ver', ?, ?, ?, ?, 'b', 1, '\"e\"', 0, 'STANDARD', '{}', '{}', '{}', '[]')",
    );
    const id = (i: number, v: number) => `${String(i).padStart(8, "0")}${String(v).padStart(24, "0")}`;
    db.transaction(() => {
      for (let i = 0; i < 100_000; i++) {
        const k = Buffer.from(`deep/${String(i).padStart(6, "0")}`);
        obj.run(k, id(i, 2), 2);
        ver.run(k, -1, id(i, 1), 0);
      }
      for (let i = 0; i < 50; i++) obj.run(Buffer.from(`flat-${String(i).padStart(2, "0")}`), id(i, 3), 3);
      ver.run(Buffer.from("gone"), -5, id(0, 5), 1);
      ver.run(Buffer.from("gone"), -4, id(0, 4), 0);
    })();
  }, 120_000);

  const versions = (p: Partial<VersionsPageParams>) => {
    rowsRead = 0;
    const page = versionsPage(counting, { bucket: "ver", prefix: "", delimiter: undefined, keyMarker: undefined, vidMarker: undefined, maxKeys: 1000, ...p });
    return { page, rowsRead };
  };

  it("rolls 200,000 versions under deep/ into one common prefix without reading them", () => {
    const { page, rowsRead } = versions({ delimiter: "/" });
    expect(page.prefixes).toEqual(["deep/"]);
    expect(page.entries.map((e) => [e.key, e.isLatest, e.deleteMarker])).toEqual([
      ...Array.from({ length: 50 }, (_, i) => [`flat-${String(i).padStart(2, "0")}`, true, false]),
      ["gone", true, true],
      ["gone", false, false],
    ]);
    // Each cursor reads at most one batch (64 rows) per seek: never the 200,000 under deep/.
    expect(rowsRead).toBeLessThan(400);
  });

  it("resumes from the middle of deep/ by key and version id in O(page) rows", () => {
    const { page, rowsRead } = versions({ prefix: "deep/", keyMarker: "deep/050000", vidMarker: `${String(50000).padStart(8, "0")}${String(2).padStart(24, "0")}`, maxKeys: 100 });
    expect(page.entries.slice(0, 3).map((e) => [e.key, e.versionId.slice(0, 8), e.isLatest])).toEqual([
      ["deep/050000", "00050000", false],
      ["deep/050001", "00050001", true],
      ["deep/050001", "00050001", false],
    ]);
    expect(page.entries).toHaveLength(100);
    expect(page.truncated).toBe(true);
    expect(rowsRead).toBeLessThan(400);
  });
});
