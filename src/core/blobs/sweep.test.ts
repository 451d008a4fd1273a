// The orphan sweep on real files and a real database: unreferenced blobs go, referenced ones
// and ones this process wrote (possibly not committed yet) stay; close() can stop it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../state/database.js";
import { BlobStore } from "./blob-store.js";
import { setCleanMark, sweepOrphanBlobs, takeCleanMark } from "./sweep.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): { dataDir: string; db: Db; blobs: BlobStore } {
  const dataDir = mkdtempSync(join(tmpdir(), "nimbus-sweep-"));
  dirs.push(dataDir);
  const db = openDatabase(dataDir);
  db.exec("CREATE TABLE refs (blob_id TEXT PRIMARY KEY)");
  return { dataDir, db, blobs: new BlobStore(dataDir) };
}

const refsOf = (service: string) => ({
  service,
  *refs(db: Db) {
    for (const r of db.prepare("SELECT blob_id FROM refs").iterate() as IterableIterator<{ blob_id: string }>) yield r.blob_id;
  },
});

const exists = (blobs: BlobStore, id: string): boolean => existsSync(join(blobs.dir, id.slice(0, 2), id));

describe("orphan blob sweep", () => {
  it("removes unreferenced blobs, keeps referenced ones and those written since tracking began", async () => {
    const { dataDir, db, blobs } = setup();
    const kept = await blobs.write(Buffer.from("referenced"));
    const orphan = await blobs.write(Buffer.from("written, never committed"));
    db.prepare("INSERT INTO refs VALUES (?)").run(kept.id);
    // A file a crashed process renamed into place (any subdirectory), never committed.
    const planted = randomBytes(16).toString("hex");
    mkdirSync(join(blobs.dir, planted.slice(0, 2)), { recursive: true });
    writeFileSync(join(blobs.dir, planted.slice(0, 2), planted), "x");
    // The restarted process starts tracking before it serves: what it writes is in flight, not orphaned.
    blobs.startTracking();
    const inFlight = await blobs.write(Buffer.from("being uploaded right now"));

    const result = await sweepOrphanBlobs(blobs, dataDir, [refsOf("test")], () => false);
    expect(result).toEqual({ skipped: false, scanned: 3, removed: 2, stopped: false });
    expect(exists(blobs, kept.id)).toBe(true);
    expect(exists(blobs, inFlight.id)).toBe(true);
    expect(exists(blobs, orphan.id)).toBe(false);
    expect(exists(blobs, planted)).toBe(false);
    db.close();
  });

  it("takes nothing when every blob is referenced, and reads references of every source", async () => {
    const { dataDir, db, blobs } = setup();
    const a = await blobs.write(Buffer.from("a"));
    const b = await blobs.write(Buffer.from("b"));
    db.prepare("INSERT INTO refs VALUES (?)").run(a.id);
    const other = { service: "other", refs: () => [b.id] };
    const result = await sweepOrphanBlobs(blobs, dataDir, [refsOf("test"), other], () => false);
    expect(result).toMatchObject({ scanned: 2, removed: 0 });
    expect(exists(blobs, a.id) && exists(blobs, b.id)).toBe(true);
    db.close();
  });

  it("stops when asked and reports it, leaving the rest for the next start", async () => {
    const { dataDir, db, blobs } = setup();
    for (let i = 0; i < 3; i++) await blobs.write(Buffer.from(String(i)));
    const result = await sweepOrphanBlobs(blobs, dataDir, [refsOf("test")], () => true);
    expect(result.stopped).toBe(true);
    expect(readdirSync(blobs.dir).filter((d) => d !== "tmp").flatMap((d) => readdirSync(join(blobs.dir, d)))).toHaveLength(3);
    db.close();
  });

  it("the clean mark: set by a clean close, taken (and reset) by the next start", () => {
    const { db } = setup();
    expect(takeCleanMark(db)).toBe(false); // a new data dir: sweep (nothing to do)
    expect(takeCleanMark(db)).toBe(false); // the previous run did not close cleanly
    setCleanMark(db);
    expect(takeCleanMark(db)).toBe(true);
    expect(takeCleanMark(db)).toBe(false);
    db.close();
  });

  it("drain() waits for deletions under way", async () => {
    const { db, blobs } = setup();
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => blobs.write(Buffer.from(String(i)))));
    for (const { id } of ids) void blobs.delete(id);
    await blobs.drain();
    for (const { id } of ids) expect(exists(blobs, id)).toBe(false);
    db.close();
  });
});
