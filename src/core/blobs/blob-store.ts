// Blob store: the bytes of objects, by id. The caller writes a blob first, then commits its id
// with its metadata in one transaction (DESIGN.md principle 5), and deletes a blob only after
// the commit that dropped it. A crash in between leaves an orphan, never metadata pointing at
// missing bytes; orphans are removed by the sweep (sweep.ts) on the next start.
//
// Two homes, chosen by size once the body has arrived or outgrown INLINE_MAX:
// - small blobs (most objects) are rows of `nimbus_small_blobs` in nimbus.db, on the one
//   connection (core/state/database.ts). Inserted inside the caller's commit (deferInline),
//   or alone without an fsync (withoutFsync: synchronous=NORMAL for that commit): it lands in
//   the same WAL as the caller's metadata commit, which is fsynced and covers every earlier
//   frame of the file. So the blob is durable exactly
//   when the commit that references it is, and a 4 KiB PutObject costs one fsync, not a file
//   creation, two fsyncs and an unlink (bench/s3.mjs). Ids start with "i": "i<n>", a row of
//   nimbus_small_blobs keyed by the INTEGER n; or, written before that table, "i" and 32 hex
//   digits, a row of nimbus_blobs (still read and deleted there). An integer key makes the
//   table one b-tree that grows at its right edge, where a TEXT key also had an index at a
//   random place: an overwriting PutObject's commit went from 8.5 WAL pages to 6.5.
// - large blobs stream to <data-dir>/blobs/tmp/<id>, are fsynced on the thread pool (a 1 GiB
//   fsync must not stall the event loop), renamed to blobs/<id[0..2]>/<id>, and the directory
//   is fsynced. Ids are 32 hex digits.
import type Database from "better-sqlite3";
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { open, readdir, rename, unlink } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import { randomHexPooled } from "./random.js";
import { Readable, type Transform } from "node:stream";
import { withoutFsync, type Db } from "../state/database.js";

export interface WrittenBlob {
  id: string;
  size: number;
  /**
   * write(..., { deferInline: true }) of a small blob: its bytes, not stored yet. The caller
   * inserts them with insertInline() inside the transaction that commits the blob's id, so
   * bytes and metadata land in one fsynced commit (and a rolled-back one leaves nothing).
   */
  inline?: Buffer;
}

const FILE_ID = /^[0-9a-f]{32}$/;
const SUBDIR = /^[0-9a-f]{2}$/;
/** Blobs up to this size live in the database. */
export const INLINE_MAX = 64 * 1024;
const isInline = (id: string): boolean => id.charCodeAt(0) === 105; /* "i" */
/** "i<n>" (at most 17 characters) rather than the 33 of "i" and 32 hex digits. */
const isNumbered = (id: string): boolean => id.length < 33;

/**
 * A synchronous observer of write()'s chunks that is not a stream: returns the chunk to store
 * (the same one, or e.g. its ciphertext). Building a Transform (a Duplex with two stream states)
 * per request cost more than hashing or enciphering a 4 KiB body.
 */
export interface ChunkObserver {
  process(chunk: Buffer): Buffer;
}

/** Runs one chunk through an observer, or a synchronous pass-through Transform (see write). */
function observe(t: Transform | ChunkObserver, chunk: Buffer): Buffer {
  if ("process" in t) return t.process(chunk);
  let out: Buffer | undefined;
  let failed: unknown;
  let called = false;
  t._transform(chunk, "buffer" as BufferEncoding, (err?: Error | null, data?: unknown) => {
    called = true;
    failed = err;
    out = data === undefined ? chunk : (data as Buffer);
  });
  if (!called) throw new Error("blob store: an observer must call back synchronously");
  if (failed) throw failed;
  return out!;
}

/**
 * The next chunk of `s`, null at its end; an error of the stream rejects. Read with read() and
 * one listener set per wait rather than an async iterator: a small body is usually buffered
 * already, so its chunk comes back without waiting, and the end costs one promise, where the
 * iterator's machinery was ~2% of a 4 KiB PutObject's CPU.
 */
function nextChunk(s: Readable): Buffer | null | Promise<Buffer | null> {
  if (s.errored) return Promise.reject(s.errored);
  const c = s.read() as Buffer | null;
  if (c !== null) return c;
  if (s.readableEnded) return null;
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      s.off("readable", onReadable);
      s.off("end", onEnd);
      s.off("error", onError);
      s.off("close", onClose);
    };
    const onReadable = (): void => {
      const c = s.read() as Buffer | null;
      if (c === null) return; // the end ("end" follows)
      stop();
      resolve(c);
    };
    const onEnd = (): void => {
      stop();
      resolve(null);
    };
    const onError = (e: Error): void => {
      stop();
      reject(e);
    };
    const onClose = (): void => {
      stop();
      if (s.readableEnded) resolve(null);
      else reject(s.errored ?? Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    };
    s.on("readable", onReadable);
    s.on("end", onEnd);
    s.on("error", onError);
    s.on("close", onClose);
    if (s.destroyed) onClose();
  });
}

/** A blob read whole into memory: a stream that is already "ready" (see openBlob in S3). */
class LoadedBlob extends Readable {
  private pending = true;
  constructor(readonly bytes: Buffer) {
    super();
    process.nextTick(() => this.emit("ready"));
  }
  override _read(): void {
    if (this.pending) {
      this.pending = false;
      this.push(this.bytes);
    }
    this.push(null);
  }
}

/**
 * The bytes of a stream BlobStore.read() loaded whole (a small blob), so a response writer can
 * send them in one write instead of piping; undefined for any other stream.
 */
export function loadedBytes(stream: Readable): Buffer | undefined {
  return stream instanceof LoadedBlob ? stream.bytes : undefined;
}

/** A stream of bytes already in memory that loadedBytes() recognizes (e.g. a small blob after deciphering). */
export function loadedBlob(bytes: Buffer): Readable {
  return new LoadedBlob(bytes);
}

function missing(id: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: blob ${id} not found`), { code: "ENOENT" });
}

/**
 * Small blobs kept in memory after a read, by id, up to this many bytes in all (the oldest go
 * first). A 4 KiB GetObject spent as much CPU on the SELECT of its bytes as on the rest of the
 * S3 handler (bench/s3.mjs). The cache is exact without invalidation: a blob's bytes never
 * change under its id (ids are random and never reused; a blob is written once, then deleted,
 * never updated). A reader that finds an entry holds the bytes as they were when it found the
 * id, as an open file would; entries go when their blob is deleted.
 */
const CACHE_BYTES = 8 * 1024 * 1024;

/** insertInline's and dropInline's statements, per connection. */
const inlineStatements = new WeakMap<Db, { insert: Database.Statement; delete: Database.Statement; deleteOld: Database.Statement }>();
function inlineSql(db: Db) {
  let s = inlineStatements.get(db);
  if (!s) {
    s = {
      insert: db.prepare("INSERT INTO nimbus_small_blobs (n, bytes) VALUES (?, ?)"),
      delete: db.prepare("DELETE FROM nimbus_small_blobs WHERE n = ?"),
      deleteOld: db.prepare("DELETE FROM nimbus_blobs WHERE id = ?"),
    };
    inlineStatements.set(db, s);
  }
  return s;
}

export class BlobStore {
  readonly dir: string;
  private readonly tmp: string;
  private readonly db: Db;
  private readonly sql: {
    insert: Database.Statement;
    get: Database.Statement;
    size: Database.Statement;
    delete: Database.Statement;
    getOld: Database.Statement;
    sizeOld: Database.Statement;
    deleteOld: Database.Statement;
  };
  /**
   * The next small blob's n: above every row present at start, and only growing in this
   * process, so an id is never given twice while anything in memory may still hold it (an n
   * whose row was deleted may come back after a restart, when nothing refers to it).
   */
  private nextSmall: number;
  /** Subdirectories known to exist (mkdir once, not per write). */
  private readonly subdirs = new Set<string>();
  /** Deletions under way, so close() can wait for them (see drain). */
  private readonly deleting = new Set<Promise<void>>();
  /** Small blobs recently read (see CACHE_BYTES) and their total size. */
  private readonly cached = new Map<string, Buffer>();
  private cachedBytes = 0;
  /** While a sweep runs: ids written by this process, which the sweep must never take. */
  private fresh: Set<string> | undefined;

  /** fsync large blobs and their directories (off for an --ephemeral data directory, see core/state/database.ts). */
  private readonly durable: boolean;

  /**
   * Blob files under `dataDir`/blobs, small blobs in `db`: nimbus.db's connection (openDatabase),
   * the only one to the file (it is held with locking_mode=EXCLUSIVE).
   */
  constructor(dataDir: string, db: Db, opts: { durable?: boolean } = {}) {
    this.durable = opts.durable ?? true;
    this.dir = join(dataDir, "blobs");
    this.tmp = join(this.dir, "tmp");
    mkdirSync(this.tmp, { recursive: true });
    this.db = db;
    // Created unsynced on a fresh data dir, like the chassis tables: empty, they hold nothing
    // anyone was told is stored, and the first fsynced commit makes them durable.
    const present = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('nimbus_blobs', 'nimbus_small_blobs')").pluck().get() as number;
    if (present < 2) {
      withoutFsync(db, () =>
        db.exec(`
          CREATE TABLE IF NOT EXISTS nimbus_blobs (id TEXT PRIMARY KEY, bytes BLOB NOT NULL);
          CREATE TABLE IF NOT EXISTS nimbus_small_blobs (n INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
        `),
      );
    }
    this.sql = {
      insert: this.db.prepare("INSERT INTO nimbus_small_blobs (n, bytes) VALUES (?, ?)"),
      get: this.db.prepare("SELECT bytes FROM nimbus_small_blobs WHERE n = ?").pluck(),
      size: this.db.prepare("SELECT length(bytes) FROM nimbus_small_blobs WHERE n = ?").pluck(),
      delete: this.db.prepare("DELETE FROM nimbus_small_blobs WHERE n = ?"),
      getOld: this.db.prepare("SELECT bytes FROM nimbus_blobs WHERE id = ?").pluck(),
      sizeOld: this.db.prepare("SELECT length(bytes) FROM nimbus_blobs WHERE id = ?").pluck(),
      deleteOld: this.db.prepare("DELETE FROM nimbus_blobs WHERE id = ?"),
    };
    this.nextSmall = ((this.db.prepare("SELECT max(n) FROM nimbus_small_blobs").pluck().get() as number | null) ?? 0) + 1;
  }

  private pathOf(id: string): string {
    return join(this.dir, id.slice(0, 2), id);
  }

  /**
   * Streams `source` into a durable blob. `observers` see every chunk on the way (hashers): each
   * is a ChunkObserver, or a Transform that hands every chunk on synchronously (its `_transform`
   * calls back at once), so the bytes pass through them without a stream pipeline per request.
   */
  async write(source: Readable | Buffer, observers: Array<Transform | ChunkObserver> = [], opts: { deferInline?: boolean } = {}): Promise<WrittenBlob> {
    const chunks: Buffer[] = [];
    let size = 0;
    let fileId: string | undefined;
    let out: ReturnType<typeof createWriteStream> | undefined;
    // nextChunk listens for errors only while it waits: this one keeps an error raised between
    // two reads from being uncaught (nextChunk then finds it in source.errored).
    const ignore = (): void => {};
    if (!Buffer.isBuffer(source)) source.on("error", ignore);
    try {
      // A Buffer source is its only chunk.
      for (let raw = Buffer.isBuffer(source) ? source : await nextChunk(source); raw !== null; raw = Buffer.isBuffer(source) ? null : await nextChunk(source)) {
        let chunk = raw;
        for (const o of observers) chunk = observe(o, chunk);
        size += chunk.length;
        if (!out) {
          chunks.push(chunk);
          if (size <= INLINE_MAX) continue;
          // Outgrew the database: stream to a file from here on. flush: fsync (thread pool) before close.
          fileId = randomHexPooled(16);
          this.fresh?.add(fileId);
          out = createWriteStream(join(this.tmp, fileId), { flush: this.durable });
          for (const c of chunks.splice(0)) if (!out.write(c)) await once(out, "drain");
        } else if (!out.write(chunk)) await once(out, "drain");
      }
      if (!out || !fileId) {
        const n = this.nextSmall++;
        const id = `i${n}`;
        this.fresh?.add(id);
        const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        if (opts.deferInline) return { id, size, inline: bytes };
        // No fsync of its own: the commit that references the id makes it durable (see the top).
        withoutFsync(this.db, () => this.sql.insert.run(n, bytes));
        return { id, size };
      }
      const done = once(out, "close");
      out.end();
      await done;
      const sub = join(this.dir, fileId.slice(0, 2));
      if (!this.subdirs.has(sub)) {
        mkdirSync(sub, { recursive: true });
        this.subdirs.add(sub);
      }
      await rename(join(this.tmp, fileId), this.pathOf(fileId));
      // The rename is durable only once its directory is: fsync it before the caller commits.
      if (this.durable) {
        const d = await open(sub, "r");
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      }
      return { id: fileId, size };
    } catch (e) {
      if (!Buffer.isBuffer(source)) source.destroy();
      out?.destroy();
      if (fileId) rmSync(join(this.tmp, fileId), { force: true });
      throw e;
    } finally {
      if (!Buffer.isBuffer(source)) source.off("error", ignore);
    }
  }

  /**
   * Stores a small blob write() deferred, through `db` (the caller's connection, inside the
   * transaction that commits the blob's id). No-op for a blob that was not deferred.
   */
  insertInline(db: Db, blob: WrittenBlob): void {
    if (!blob.inline) return;
    inlineSql(db).insert.run(Number(blob.id.slice(1)), blob.inline);
  }

  /**
   * Deletes the small blobs among `ids` through `db`, inside the caller's transaction that
   * dropped their last reference, and returns the others (files) for delete() after the commit.
   * The rows then go in the commit that unreferenced them: a rollback keeps them, and an
   * overwrite costs one write transaction, not a second one after it.
   */
  dropInline(db: Db, ids: readonly string[]): string[] {
    const files: string[] = [];
    for (const id of ids) {
      if (!isInline(id)) {
        files.push(id);
        continue;
      }
      this.forget(id);
      if (isNumbered(id)) inlineSql(db).delete.run(Number(id.slice(1)));
      else inlineSql(db).deleteOld.run(id);
    }
    return files;
  }

  /**
   * The blob's bytes (or the inclusive range) as a stream that emits "ready" once the bytes are
   * held (a file: once it is open): from then on a concurrent delete cannot harm the read. A
   * missing blob is an ENOENT error on the stream.
   */
  read(id: string, range?: { start: number; end: number }): Readable {
    if (isInline(id)) {
      const bytes = this.readSmall(id, range);
      if (bytes === null) {
        const failed = new Readable({ read() {} });
        process.nextTick(() => failed.destroy(missing(id)));
        return failed;
      }
      return new LoadedBlob(bytes!);
    }
    return createReadStream(this.pathOf(id), range ? { start: range.start, end: range.end } : undefined);
  }

  /**
   * A small blob's bytes (or the inclusive range) straight from memory or the database, without
   * a stream: null when it does not exist, undefined for a blob that is a file (use read()).
   * The buffer may be shared with the cache: callers must not modify it.
   */
  readSmall(id: string, range?: { start: number; end: number }): Buffer | null | undefined {
    if (!isInline(id)) return undefined;
    let bytes = this.cached.get(id);
    if (bytes === undefined) {
      bytes = ((isNumbered(id) ? this.sql.get.get(Number(id.slice(1))) : this.sql.getOld.get(id)) as Buffer | undefined | null) ?? undefined;
      if (bytes === undefined) return null;
      this.remember(id, bytes);
    }
    return range ? bytes.subarray(range.start, range.end + 1) : bytes;
  }

  private remember(id: string, bytes: Buffer): void {
    if (bytes.length > CACHE_BYTES / 64) return;
    while (this.cachedBytes + bytes.length > CACHE_BYTES) {
      const [oldest, b] = this.cached.entries().next().value!;
      this.cached.delete(oldest);
      this.cachedBytes -= b.length;
    }
    this.cached.set(id, bytes);
    this.cachedBytes += bytes.length;
  }

  private forget(id: string): void {
    const b = this.cached.get(id);
    if (b === undefined) return;
    this.cached.delete(id);
    this.cachedBytes -= b.length;
  }

  size(id: string): number {
    if (!isInline(id)) return statSync(this.pathOf(id)).size;
    const n = (isNumbered(id) ? this.sql.size.get(Number(id.slice(1))) : this.sql.sizeOld.get(id)) as number | undefined;
    if (n === undefined) throw missing(id);
    return n;
  }

  /** Delete after the metadata that referenced the blob has been committed away. */
  delete(id: string): Promise<void> {
    this.forget(id);
    const p = (
      isInline(id)
        ? // After the current synchronous code, so a caller's transaction (reset) has committed
          // and this is a commit of its own. Not fsynced: lost only in a crash, and then the
          // sweep removes the row.
          Promise.resolve().then(() => void withoutFsync(this.db, () => (isNumbered(id) ? this.sql.delete.run(Number(id.slice(1))) : this.sql.deleteOld.run(id))))
        : unlink(this.pathOf(id)).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== "ENOENT") throw e;
          })
    ).finally(() => this.deleting.delete(p));
    this.deleting.add(p);
    return p;
  }

  /** Waits for deletions under way (close() calls it before recording a clean shutdown). */
  async drain(): Promise<void> {
    while (this.deleting.size > 0) await Promise.allSettled([...this.deleting]);
  }

  /** Removes temp files left by a crash mid-write. */
  sweepTemp(): void {
    for (const f of readdirSync(this.tmp)) rmSync(join(this.tmp, f), { force: true });
  }

  /** From now until stopTracking(), remember the ids this process writes (they are never orphans). */
  startTracking(): void {
    this.fresh = new Set();
  }

  stopTracking(): void {
    this.fresh = undefined;
  }

  /** Whether this process wrote `id` since startTracking(). */
  isFresh(id: string): boolean {
    return this.fresh?.has(id) ?? false;
  }

  /** Every file blob id on disk, one subdirectory at a time (async: a million files must not stall requests). */
  async *listFileIds(): AsyncGenerator<string[]> {
    const subs = (await readdir(this.dir)).filter((s) => SUBDIR.test(s)).sort();
    for (const s of subs) {
      const ids = (await readdir(join(this.dir, s))).filter((f) => FILE_ID.test(f));
      if (ids.length) yield ids;
    }
  }
}
