// One SQLite database (WAL) holds every service's metadata. A 200 means the data is
// durable: synchronous=FULL fsyncs the WAL on every commit. Except under --ephemeral, where
// the data directory is removed at exit: nothing there survives a restart by design, so an
// fsync would protect nothing and costs the request ~100-250 µs of kernel CPU on a virtio
// disk (bench/pipeline.mjs prints both modes); such a database runs with synchronous=OFF.
//
// Two ways for a service to keep state:
// - the document store (DocStore): JSON documents by (kind, id), scoped by account and
//   region, listed in id order from the primary key: enough for queues, buckets, functions;
// - its own tables, declared as numbered migrations (Migration[]) for hot or large data
//   (SQS messages, S3 objects, DynamoDB items) that needs its own indexes.
import Database from "better-sqlite3";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

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
  const fresh = !existsSync(file);
  const db = new Database(file);
  // A new file is set up unsynced: switching it to WAL writes its first page through a
  // rollback journal (four fsyncs), and the empty chassis tables hold nothing anyone was told
  // is stored. A crash before the first acknowledged commit leaves a database the next start
  // sets up again; that commit's fsync (synchronous=FULL) makes every earlier WAL frame
  // durable with it.
  db.pragma(fresh ? "synchronous = OFF" : "synchronous = FULL");
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
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
  if (!durable) db.pragma("synchronous = OFF");
  return db;
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
