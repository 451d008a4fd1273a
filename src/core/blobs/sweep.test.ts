// The orphan sweep on real files and a real database: unreferenced blobs go, referenced ones
// and ones this process wrote (possibly not committed yet) stay; close() can stop it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../state/database.js";
import { BlobStore, INLINE_MAX } from "./blob-store.js";
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
  return { dataDir, db, blobs: new BlobStore(dataDir, db) };
}

const refsOf = (service: string) => ({
  service,
  *refs(db: Db) {
    for (const r of db.prepare("SELECT blob_id FROM refs").iterate() as IterableIterator<{ blob_id: string }>) yield r.blob_id;
  },
});

const exists = (blobs: BlobStore, id: string): boolean => {
  try {
    blobs.size(id);
    return true;
  } catch {
    return false;
  }
};
const big = (): Buffer => randomBytes(INLINE_MAX + 1);

describe("orphan blob sweep", () => {
  it("removes unreferenced blobs, keeps referenced ones and those written since tracking began", async () => {
    const { dataDir, db, blobs } = setup();
    const kept = await blobs.write(Buffer.from("referenced"));
    const keptFile = await blobs.write(big());
    const orphan = await blobs.write(Buffer.from("written, never committed"));
    const orphanFile = await blobs.write(big());
    expect([kept.id[0], orphan.id[0], existsSync(join(blobs.dir, keptFile.id.slice(0, 2), keptFile.id))]).toEqual(["i", "i", true]);
    db.prepare("INSERT INTO refs VALUES (?)").run(kept.id);
    db.prepare("INSERT INTO refs VALUES (?)").run(keptFile.id);
    // A file a crashed process renamed into place (any subdirectory), never committed.
    const planted = randomBytes(16).toString("hex");
    mkdirSync(join(blobs.dir, planted.slice(0, 2)), { recursive: true });
    writeFileSync(join(blobs.dir, planted.slice(0, 2), planted), "x");
    // The restarted process starts tracking before it serves: what it writes is in flight, not orphaned.
    blobs.startTracking();
    const inFlight = await blobs.write(Buffer.from("being uploaded right now"));

    const result = await sweepOrphanBlobs(blobs, db, [refsOf("test")], () => false);
    expect(result).toEqual({ skipped: false, scanned: 5, removed: 3, stopped: false });
    expect(exists(blobs, kept.id)).toBe(true);
    expect(exists(blobs, keptFile.id)).toBe(true);
    expect(exists(blobs, inFlight.id)).toBe(true);
    expect(exists(blobs, orphan.id)).toBe(false);
    expect(exists(blobs, orphanFile.id)).toBe(false);
    expect(exists(blobs, planted)).toBe(false);
    db.close();
  });

  it("takes nothing when every blob is referenced, and reads references of every source", async () => {
    const { dataDir, db, blobs } = setup();
    const a = await blobs.write(Buffer.from("a"));
    const b = await blobs.write(Buffer.from("b"));
    db.prepare("INSERT INTO refs VALUES (?)").run(a.id);
    const other = { service: "other", refs: () => [b.id] };
    const result = await sweepOrphanBlobs(blobs, db, [refsOf("test"), other], () => false);
    expect(result).toMatchObject({ scanned: 2, removed: 0 });
    expect(exists(blobs, a.id) && exists(blobs, b.id)).toBe(true);
    db.close();
  });

  it("pages the blob tables while writes go on, and keeps a blob whose reference moves between tables meanwhile", async () => {
    const { db, blobs } = setup();
    db.exec("CREATE TABLE refs_old (blob_id TEXT PRIMARY KEY)");
    // 12,000 small blobs (three pages), as a crashed run left them; every third is referenced.
    const ids: string[] = [];
    db.transaction(() => {
      const insert = db.prepare("INSERT INTO nimbus_small_blobs (n, bytes) VALUES (?, ?)");
      const ref = db.prepare("INSERT INTO refs VALUES (?)");
      for (let n = 1; n <= 12_000; n++) {
        insert.run(n, Buffer.from(`blob ${n}`));
        ids.push(`i${n}`);
        if (n % 3 === 0) ref.run(`i${n}`);
      }
    })();
    // Requests while the sweep runs: each turn of the event loop, one committed write moves a
    // reference from refs to refs_old (an object becoming an older version), in one transaction.
    const move = db.transaction((id: string) => {
      db.prepare("DELETE FROM refs WHERE blob_id = ?").run(id);
      db.prepare("INSERT INTO refs_old VALUES (?)").run(id);
    });
    let moved = 0;
    let sweeping = true;
    const writer = (async () => {
      while (sweeping) {
        move(`i${12_000 - 3 * moved}`);
        moved++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const both = {
      service: "test",
      *refs(d: Db) {
        for (const r of d.prepare("SELECT blob_id FROM refs UNION ALL SELECT blob_id FROM refs_old").iterate() as IterableIterator<{ blob_id: string }>) yield r.blob_id;
      },
    };
    const result = await sweepOrphanBlobs(blobs, db, [both], () => false);
    sweeping = false;
    await writer;
    expect(moved).toBeGreaterThan(1);
    expect(result).toEqual({ skipped: false, scanned: 12_000, removed: 8_000, stopped: false });
    const left = db.prepare("SELECT 'i' || n FROM nimbus_small_blobs ORDER BY n").pluck().all();
    expect(left).toEqual(ids.filter((_, i) => (i + 1) % 3 === 0));
    expect(db.prepare("SELECT count(*) FROM refs_old").pluck().get()).toBe(moved);
    db.close();
  });

  it("stops when asked and reports it, leaving the rest for the next start", async () => {
    const { dataDir, db, blobs } = setup();
    const ids = [(await blobs.write(Buffer.from("0"))).id, (await blobs.write(big())).id];
    const result = await sweepOrphanBlobs(blobs, db, [refsOf("test")], () => true);
    expect(result.stopped).toBe(true);
    for (const id of ids) expect(exists(blobs, id)).toBe(true);
    db.close();
  });

  it("the clean mark: set by a clean close, taken (and reset) by the next start", () => {
    const { db, blobs } = setup();
    expect(takeCleanMark(db)).toBe(false); // a new data dir: sweep (nothing to do)
    expect(takeCleanMark(db)).toBe(false); // the previous run did not close cleanly
    setCleanMark(db);
    expect(takeCleanMark(db)).toBe(true);
    expect(takeCleanMark(db)).toBe(false);
    db.close();
  });

  it("drain() waits for deletions under way", async () => {
    const { db, blobs } = setup();
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => blobs.write(i % 4 === 0 ? big() : Buffer.from(String(i)))));
    for (const { id } of ids) void blobs.delete(id);
    await blobs.drain();
    for (const { id } of ids) expect(exists(blobs, id)).toBe(false);
    db.close();
  });
});

describe("blob store", () => {
  it("keeps small blobs in the database and large ones in files, and reads both whole and by range", async () => {
    const { db, blobs } = setup();
    const small = Buffer.from("0123456789");
    const large = big();
    const a = await blobs.write(small);
    const b = await blobs.write(large);
    expect(a).toEqual({ id: expect.stringMatching(/^i\d+$/), size: 10 });
    expect(b).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), size: large.length });
    const read = async (id: string, range?: { start: number; end: number }): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of blobs.read(id, range)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    expect(await read(a.id)).toEqual(small);
    expect(await read(a.id, { start: 2, end: 4 })).toEqual(Buffer.from("234"));
    expect((await read(b.id)).equals(large)).toBe(true);
    expect((await read(b.id, { start: 100, end: 199 })).equals(large.subarray(100, 200))).toBe(true);
    expect(blobs.size(a.id)).toBe(10);
    await blobs.delete(a.id);
    await blobs.delete(b.id);
    await expect(read(a.id)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(read(b.id)).rejects.toMatchObject({ code: "ENOENT" });
    db.close();
  });

  it("reads, sizes and deletes small blobs of the older format (nimbus_blobs), never reuses a small id, and deletes small blobs in the caller's transaction", async () => {
    const { dataDir, db, blobs } = setup();
    // A row as data directories from before nimbus_small_blobs hold it.
    const old = `i${randomBytes(16).toString("hex")}`;
    db.prepare("INSERT INTO nimbus_blobs (id, bytes) VALUES (?, ?)").run(old, Buffer.from("older bytes"));
    expect(blobs.readSmall(old)).toEqual(Buffer.from("older bytes"));
    expect(blobs.readSmall(old, { start: 6, end: 10 })).toEqual(Buffer.from("bytes"));
    expect(blobs.size(old)).toBe(11);
    const a = await blobs.write(Buffer.from("first"));
    const b = await blobs.write(Buffer.from("second"), [], { deferInline: true });
    expect(Number(b.id.slice(1))).toBeGreaterThan(Number(a.id.slice(1)));
    expect(blobs.readSmall(b.id)).toBeNull();
    db.transaction(() => blobs.insertInline(db, b))();
    expect(blobs.readSmall(b.id)).toEqual(Buffer.from("second"));
    // dropInline deletes small blobs through the caller's connection and hands files back.
    const file = await blobs.write(big());
    let left: string[] = [];
    expect(() =>
      db.transaction(() => {
        left = blobs.dropInline(db, [old, a.id, file.id]);
        throw new Error("rolled back");
      })(),
    ).toThrow("rolled back");
    expect(blobs.size(old)).toBe(11);
    expect(left).toEqual([file.id]);
    db.transaction(() => blobs.dropInline(db, [old, a.id]))();
    expect(blobs.readSmall(old)).toBeNull();
    expect(blobs.readSmall(a.id)).toBeNull();
    expect(exists(blobs, file.id)).toBe(true);
    // A store opened again starts above every small blob present.
    const again = new BlobStore(dataDir, db);
    const c = await again.write(Buffer.from("third"));
    expect(Number(c.id.slice(1))).toBeGreaterThan(Number(b.id.slice(1)));
    db.close();
  });

  it("observers see every byte, and a failing source leaves nothing behind", async () => {
    const { db, blobs } = setup();
    const { createHash } = await import("node:crypto");
    const { Transform, Readable } = await import("node:stream");
    const hash = createHash("sha256");
    const observer = new Transform({
      transform(chunk, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const data = randomBytes(300_000);
    const w = await blobs.write(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), [observer]);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect(w.size).toBe(data.length);
    const failing = new Readable({
      read() {
        this.push(randomBytes(100_000));
        this.destroy(new Error("client went away"));
      },
    });
    await expect(blobs.write(failing)).rejects.toThrow("client went away");
    expect(readdirSync(join(blobs.dir, "tmp"))).toEqual([]);
    db.close();
  });
});
