// One SQLite database (WAL) holds every service's metadata. A 200 means the data is
// durable: synchronous=FULL fsyncs the WAL on every commit. Except under --ephemeral, where
// the data directory is removed at exit: nothing there survives a restart by design, so an
// fsync would protect nothing and costs the request ~100-250 µs of kernel CPU on a virtio
// disk (bench/pipeline.mjs prints both modes). Such a database is an in-memory one
// (`:memory:`, journal_mode=MEMORY, synchronous=OFF): no WAL frame's two writes, no WAL index
// upkeep, no checkpoints (a lone DynamoDB PutItem's statement 6.3 -> 2.9 us, session 9, with
// the rollback journal in memory and the pages still written to nimbus.db), and, since session
// 10, no page write either: a commit into a file pwrite()s its pages into the kernel's page
// cache, 2.7% of a socket PutItem's samples; PutItem 5-8% less CPU (bench A/B in both
// positions); SQLite's private temporary database (""), which spills to a file past its cache,
// measured 2% dearer than `:memory:`. Transactions and savepoints still roll back whole. The
// cost: an ephemeral server keeps its state (and small blobs, up to 64 KiB each) in SQLite's
// memory, outside V8's heap, not in the page cache; larger blobs are still files in the
// (temporary) data directory, and nothing outlives the process by design.
//
// Two ways for a service to keep state:
// - the document store (DocStore): JSON documents by (kind, id), scoped by account and
//   region, listed in id order from the primary key: enough for queues, buckets, functions;
// - its own tables, declared as numbered migrations (Migration[]) for hot or large data
//   (SQS messages, S3 objects, DynamoDB items) that needs its own indexes.
//
// The connection openDatabase() returns is the only one to nimbus.db while Nimbus runs: it
// holds the file with locking_mode=EXCLUSIVE, so a commit takes and drops no file locks (six
// fcntl calls per transaction before) and the WAL index lives in this process's heap instead
// of the -shm file's shared memory. The blob store and the orphan sweep use it too. A second
// process opening the file (another Nimbus on the same data dir, a sqlite3 shell) gets
// SQLITE_BUSY: Nimbus refuses to start with ERR_DATA_DIR_LOCKED; read a data dir with other
// tools after Nimbus stopped.
import Database from "better-sqlite3";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { NimbusError } from "../errors.js";

export type Db = Database.Database;

/** Migration n takes a service's tables from version n to n+1 (index 0 creates them). */
export type Migration = (db: Db) => void;

/**
 * Opens (creating if need be) nimbus.db with the chassis tables; `setup` runs in the same
 * transaction (tables other chassis parts keep, such as issued credentials). `durable: false`
 * (an --ephemeral data directory) commits without fsync.
 */
export function openDatabase(dataDir: string, setup?: (db: Db) => void, opts: { durable?: boolean } = {}): Db {
  const durable = opts.durable ?? true;
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "nimbus.db");
  // Ephemeral counts as fresh: a new in-memory database, never synced.
  const fresh = !durable || !existsSync(file);
  // timeout: a process that still holds the file (one stopping) gets a second to let it go.
  // Ephemeral: in memory (the top of this file).
  const db = new Database(durable ? file : ":memory:", { timeout: 1000 });
  try {
    // EXCLUSIVE before the first read: only then is the WAL index kept in heap memory (see the
    // top of this file).
    db.pragma("locking_mode = EXCLUSIVE");
    // A new file is set up unsynced: switching it to WAL writes its first page through a
    // rollback journal (four fsyncs), and the empty chassis tables hold nothing anyone was told
    // is stored. A crash before the first acknowledged commit leaves a database the next start
    // sets up again; that commit's fsync (synchronous=FULL) makes every earlier WAL frame
    // durable with it.
    db.pragma(fresh ? "synchronous = OFF" : "synchronous = FULL");
    db.pragma(durable ? "journal_mode = WAL" : "journal_mode = MEMORY");
    // The first read takes the lock, if the pragmas did not (on a file already in WAL mode they may only read its header).
    db.prepare("SELECT count(*) FROM sqlite_master").pluck().get();
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === "SQLITE_BUSY") {
      throw new NimbusError("ERR_DATA_DIR_LOCKED", `${dataDir} is in use by another process (another Nimbus on it, or a tool holding nimbus.db open); stop that one, or start this one with another --data-dir or --ephemeral`);
    }
    throw e;
  }
  db.pragma("foreign_keys = ON");
  // One transaction: on a fresh data directory each CREATE would otherwise be its own commit.
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS nimbus_schema (
        service TEXT PRIMARY KEY,
        version INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS nimbus_docs (
        service TEXT NOT NULL,
        scope   TEXT NOT NULL,
        kind    TEXT NOT NULL,
        id      TEXT NOT NULL,
        doc     TEXT NOT NULL,
        PRIMARY KEY (service, scope, kind, id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS nimbus_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `);
    setup?.(db);
  })();
  if (fresh && durable) db.pragma("synchronous = FULL");
  if (durable) fsynced.add(db);
  else unsynced.add(db);
  return db;
}

/** Connections whose commits fsync (synchronous=FULL): every one but an --ephemeral data dir's. */
const fsynced = new WeakSet<Db>();

/** Connections openDatabase opened for an --ephemeral data dir: in memory, never fsynced. */
const unsynced = new WeakSet<Db>();

/**
 * Whether a commit on the connection may fsync: false only for an --ephemeral database from
 * openDatabase (any other connection is assumed to, as a WAL with synchronous=FULL does).
 */
export function commitsFsync(db: Db): boolean {
  return !unsynced.has(db);
}

/**
 * Runs fn, whose writes need no fsync of their own, outside any transaction: its commit is not
 * fsynced (synchronous=NORMAL for the duration). Used for what the blob store writes ahead of
 * the commit that references it (a small blob's row) and what it removes after one (a dropped
 * blob's row): in WAL mode an fsync of the log makes every earlier frame durable, so such a
 * row is durable exactly when the next fsynced commit is, which is all it needs (a row lost in
 * a crash is an orphan the sweep removes, or one never referenced). Inside a transaction fn
 * just runs: the caller's commit decides. (exec, not a prepared statement: SQLite applies
 * PRAGMA synchronous when the statement is compiled, so re-running a prepared one does nothing.)
 */
export function withoutFsync<R>(db: Db, fn: () => R): R {
  if (db.inTransaction || !fsynced.has(db)) return fn();
  db.exec("PRAGMA synchronous = NORMAL");
  try {
    return fn();
  } finally {
    db.exec("PRAGMA synchronous = FULL");
  }
}

/** Whether the service's tables are at the version its migrations reach (nothing to run). */
export function migrated(db: Db, service: string, migrations: readonly Migration[]): boolean {
  const row = db.prepare("SELECT version FROM nimbus_schema WHERE service = ?").get(service) as { version: number } | undefined;
  return (row?.version ?? 0) === migrations.length;
}

/** Runs the service's pending migrations in one transaction; refuses a database from a newer Nimbus. */
export function migrate(db: Db, service: string, migrations: readonly Migration[]): void {
  const row = db.prepare("SELECT version FROM nimbus_schema WHERE service = ?").get(service) as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > migrations.length) {
    throw new Error(`ERR_STATE_TOO_NEW: the data directory holds ${service} state version ${current}, newer than this Nimbus (${migrations.length}); upgrade Nimbus or use another --data-dir`);
  }
  if (current === migrations.length) return;
  db.transaction(() => {
    for (let v = current; v < migrations.length; v++) migrations[v](db);
    db.prepare("INSERT INTO nimbus_schema (service, version) VALUES (?, ?) ON CONFLICT(service) DO UPDATE SET version = excluded.version").run(service, migrations.length);
  })();
}

/**
 * One value per database, made on first use: a service's prepared statements or store object.
 * Preparing statements per request costs more than most requests' own work, and a test process
 * holds several databases (one per Nimbus), so the value hangs off the Db, not a module global.
 */
export function perDatabase<T>(make: (db: Db) => T): (db: Db) => T {
  const made = new WeakMap<Db, T>();
  return (db) => {
    let v = made.get(db);
    if (v === undefined) {
      v = make(db);
      made.set(db, v);
    }
    return v;
  };
}

const runners = new WeakMap<Db, (fn: () => unknown) => unknown>();

/**
 * Runs fn in one transaction (a nested call becomes a savepoint of the outer one). One
 * better-sqlite3 transaction wrapper per database, made once: building a wrapper per call
 * costs more than a small commit's own work.
 */
export function inTransaction<R>(db: Db, fn: () => R): R {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((f: () => unknown) => f()) as (fn: () => unknown) => unknown;
    runners.set(db, run);
  }
  return run(fn) as R;
}

export function getMeta(db: Db, key: string): string | undefined {
  return (db.prepare("SELECT value FROM nimbus_meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare("INSERT INTO nimbus_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
}
