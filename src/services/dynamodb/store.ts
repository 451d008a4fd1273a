// DynamoDB state in two tables of its own:
// - ddb_tables: one row per table (metadata as JSON, live item count and size);
// - ddb_items:  one row per item, keyed (table_id, hk, rk) WITHOUT ROWID, where hk is the
//   hash key's bytes and rk the range key's sort encoding (engine/values.ts encodeKey; empty
//   for a hash-only table). memcmp order of rk equals DynamoDB's order of the range key, so a
//   Query is a primary-key range scan and a Scan walks the primary key.
// Statements are prepared once per database; callers wrap changes in inTransaction.
import { inTransaction, perDatabase, type Db, type Migration } from "../../core/state/database.js";
import type { Clock } from "../../core/clock/clock.js";
import type { EventBus } from "../../core/events/bus.js";
import type { IndexMeta } from "./indexes/schema.js";
import { buildHooks, type TableHooks, type WriteIdentity } from "./indexes/hooks.js";
import { useTransactionRunner } from "./engine/commit.js";

type Statement = import("better-sqlite3").Statement;

export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE ddb_tables (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        account     TEXT NOT NULL,
        region      TEXT NOT NULL,
        name        TEXT NOT NULL,
        meta        TEXT NOT NULL,
        item_count  INTEGER NOT NULL DEFAULT 0,
        size_bytes  INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account, region, name)
      );
      CREATE TABLE ddb_items (
        table_id INTEGER NOT NULL,
        hk       BLOB NOT NULL,
        rk       BLOB NOT NULL,
        item     TEXT NOT NULL,
        size     INTEGER NOT NULL,
        PRIMARY KEY (table_id, hk, rk)
      ) WITHOUT ROWID;
    `);
  },
  // 2: secondary indexes, streams and TTL (indexes/hooks.ts keeps them in step with ddb_items).
  // - ddb_index_items: one row per item in an index, keyed by the index key (hk, rk: the same
  //   encodings as ddb_items) then the table key (thk, trk), so an index Query is a range scan
  //   that joins back to ddb_items for the attributes;
  // - ddb_streams / ddb_stream_records: one row per stream (outliving its table for 24 h) and
  //   its records by sequence number; the dynamodb-streams service reads both tables;
  // - ddb_ttl: items of TTL-enabled tables by expiry second, for the sweeper.
  (db) => {
    db.exec(`
      CREATE TABLE ddb_index_items (
        table_id INTEGER NOT NULL,
        idx      TEXT NOT NULL,
        hk       BLOB NOT NULL,
        rk       BLOB NOT NULL,
        thk      BLOB NOT NULL,
        trk      BLOB NOT NULL,
        PRIMARY KEY (table_id, idx, hk, rk, thk, trk)
      ) WITHOUT ROWID;
      CREATE TABLE ddb_streams (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        arn         TEXT NOT NULL UNIQUE,
        account     TEXT NOT NULL,
        region      TEXT NOT NULL,
        table_name  TEXT NOT NULL,
        label       TEXT NOT NULL,
        view_type   TEXT NOT NULL,
        key_schema  TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        disabled_at INTEGER,
        next_seq    INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX ddb_streams_scope ON ddb_streams (account, region, table_name);
      CREATE TABLE ddb_stream_records (
        stream_id  INTEGER NOT NULL,
        seq        INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        record     TEXT NOT NULL,
        PRIMARY KEY (stream_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE ddb_ttl (
        table_id INTEGER NOT NULL,
        expires  INTEGER NOT NULL,
        hk       BLOB NOT NULL,
        rk       BLOB NOT NULL,
        PRIMARY KEY (table_id, expires, hk, rk)
      ) WITHOUT ROWID;
    `);
  },
  // 3: backups, point-in-time recovery and global tables (backups/, global/).
  // - ddb_backups / ddb_backup_items: an on-demand backup's table description and its items,
  //   copied in the CreateBackup transaction (they outlive the table);
  // - ddb_pitr_log: every version of every item of a PITR-enabled table (item NULL: deleted),
  //   from the moment PITR is enabled (the table's items then are its first versions);
  // - ddb_replication: writes waiting to be applied to a global table's replicas, with the
  //   Nimbus time they were made at (last writer wins); ddb_rep_versions: per replica item,
  //   the time and region of the version it holds.
  (db) => {
    db.exec(`
      CREATE TABLE ddb_backups (
        arn         TEXT PRIMARY KEY,
        account     TEXT NOT NULL,
        region      TEXT NOT NULL,
        table_name  TEXT NOT NULL,
        name        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        type        TEXT NOT NULL,
        size_bytes  INTEGER NOT NULL,
        item_count  INTEGER NOT NULL,
        meta        TEXT NOT NULL
      );
      CREATE INDEX ddb_backups_scope ON ddb_backups (account, region, created_at);
      CREATE TABLE ddb_backup_items (
        backup_arn TEXT NOT NULL,
        hk         BLOB NOT NULL,
        rk         BLOB NOT NULL,
        item       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        PRIMARY KEY (backup_arn, hk, rk)
      ) WITHOUT ROWID;
      CREATE TABLE ddb_pitr_log (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        table_id INTEGER NOT NULL,
        at       INTEGER NOT NULL,
        hk       BLOB NOT NULL,
        rk       BLOB NOT NULL,
        item     TEXT
      );
      CREATE INDEX ddb_pitr_log_key ON ddb_pitr_log (table_id, hk, rk, seq);
      CREATE INDEX ddb_pitr_log_at ON ddb_pitr_log (table_id, at);
      CREATE TABLE ddb_replication (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        account       TEXT NOT NULL,
        source_region TEXT NOT NULL,
        target_region TEXT NOT NULL,
        table_name    TEXT NOT NULL,
        hk            BLOB NOT NULL,
        rk            BLOB NOT NULL,
        item          TEXT,
        at            INTEGER NOT NULL
      );
      CREATE TABLE ddb_rep_versions (
        table_id INTEGER NOT NULL,
        hk       BLOB NOT NULL,
        rk       BLOB NOT NULL,
        at       INTEGER NOT NULL,
        region   TEXT NOT NULL,
        PRIMARY KEY (table_id, hk, rk)
      ) WITHOUT ROWID;
    `);
  },
  // 4: ItemCount and TableSizeBytes are kept in memory between flushes (see "item counts"
  // below); counts_dirty marks a table whose row may lag its items (recounted at start).
  (db) => {
    db.exec("ALTER TABLE ddb_tables ADD COLUMN counts_dirty INTEGER NOT NULL DEFAULT 0");
  },
];

/** How much item text the item cache holds (DynamoStore, "item cache"). */
const CACHE_BYTES = 16 * 1024 * 1024;
/** How many keys the written-sizes map holds before it starts over (DynamoStore, "written sizes"). */
const SIZES_MAX = 200_000;

export interface KeyElement {
  AttributeName: string;
  KeyType: "HASH" | "RANGE";
}
export interface AttributeDefinition {
  AttributeName: string;
  AttributeType: "S" | "N" | "B";
}

export interface TableMeta {
  name: string;
  tableId: string;
  arn: string;
  createdAt: number;
  keySchema: KeyElement[];
  attributeDefinitions: AttributeDefinition[];
  billingMode: "PROVISIONED" | "PAY_PER_REQUEST";
  read: number;
  write: number;
  tags: Array<{ Key: string; Value: string }>;
  deletionProtection: boolean;
  tableClass?: string;
  localSecondaryIndexes?: IndexMeta[];
  globalSecondaryIndexes?: IndexMeta[];
  /** The table's current stream (also kept, disabled, after StreamEnabled: false). */
  stream?: { id: number; arn: string; label: string; viewType: string; enabled: boolean };
  ttl?: { attributeName: string; enabled: boolean; changedAt: number };
  sse?: { enabled: boolean; type?: string; kmsKeyArn?: string };
  /** Point-in-time recovery: on since enabledAt (Nimbus ms), versions kept recoveryDays. */
  pitr?: { enabled: boolean; enabledAt: number; recoveryDays: number };
  /** A table made by a restore: its RestoreSummary; CREATING until activeAt (Nimbus ms). */
  restore?: { sourceBackupArn?: string; sourceTableArn: string; restoreDateTime: number; activeAt: number };
  /** A global table (version 2019.11.21): every region holding a replica, this one included. */
  replicas?: Array<{ region: string; createdAt: number; activeAt: number }>;
  /** A member of a legacy (2017.11.29) global table, made by CreateGlobalTable at createdAt. */
  legacyGlobal?: { createdAt: number };
}

export interface TableRecord {
  id: number;
  account: string;
  region: string;
  meta: TableMeta;
  itemCount: number;
  sizeBytes: number;
  /** Name and type of the hash key and of the range key (if any). */
  hash: { name: string; type: "S" | "N" | "B" };
  range?: { name: string; type: "S" | "N" | "B" };
}

interface TableRow {
  id: number;
  account: string;
  region: string;
  name: string;
  meta: string;
  item_count: number;
  size_bytes: number;
}

export interface ItemRow {
  hk: Buffer;
  rk: Buffer;
  item: string;
  size: number;
}

/** What a Query page reads of a row (reading the key BLOBs costs more than the item itself). */
export type PageRow = Pick<ItemRow, "item" | "size"> & Partial<Pick<ItemRow, "hk" | "rk">>;

function toRecord(r: TableRow): TableRecord {
  const meta = JSON.parse(r.meta) as TableMeta;
  const typeOf = (n: string) => meta.attributeDefinitions.find((d) => d.AttributeName === n)!.AttributeType;
  const h = meta.keySchema.find((k) => k.KeyType === "HASH")!;
  const rg = meta.keySchema.find((k) => k.KeyType === "RANGE");
  return {
    id: r.id,
    account: r.account,
    region: r.region,
    meta,
    itemCount: r.item_count,
    sizeBytes: r.size_bytes,
    hash: { name: h.AttributeName, type: typeOf(h.AttributeName) },
    range: rg ? { name: rg.AttributeName, type: typeOf(rg.AttributeName) } : undefined,
  };
}

export class DynamoStore {
  private readonly s: Record<string, Statement>;
  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      table: p("SELECT * FROM ddb_tables WHERE account = ? AND region = ? AND name = ?"),
      insertTable: p("INSERT INTO ddb_tables (account, region, name, meta) VALUES (?, ?, ?, ?)"),
      deleteTable: p("DELETE FROM ddb_tables WHERE id = ?"),
      deleteItems: p("DELETE FROM ddb_items WHERE table_id = ?"),
      names: p("SELECT name FROM ddb_tables WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?"),
      getItem: p("SELECT item, size FROM ddb_items WHERE table_id = ? AND hk = ? AND rk = ?").raw(true),
      getSize: p("SELECT size FROM ddb_items WHERE table_id = ? AND hk = ? AND rk = ?").raw(true),
      // A new item and a replaced one alike: INSERT OR REPLACE measured cheaper than UPDATE
      // (which reads the old row's columns to build the new record, and was chosen by the size
      // the writer knew) and than an upsert: a lone PutItem's statement 7.1 -> 6.3 us (WAL).
      writeItem: p("INSERT OR REPLACE INTO ddb_items (table_id, hk, rk, item, size) VALUES (?, ?, ?, ?, ?)"),
      delItem: p("DELETE FROM ddb_items WHERE table_id = ? AND hk = ? AND rk = ?"),
      flushCounts: p("UPDATE ddb_tables SET item_count = item_count + ?, size_bytes = size_bytes + ?, counts_dirty = 0 WHERE id = ?"),
      markDirty: p("UPDATE ddb_tables SET counts_dirty = 1 WHERE id = ?"),
      scanFrom: p("SELECT hk, rk, item, size FROM ddb_items WHERE table_id = ? AND (hk, rk) > (?, ?) ORDER BY hk, rk"),
      scanAll: p("SELECT hk, rk, item, size FROM ddb_items WHERE table_id = ? ORDER BY hk, rk"),
    };
    // Every DynamoDB transaction, group commits included, runs through tx().
    useTransactionRunner(db, (fn) => this.tx(fn));
  }

  /**
   * Runs fn in a transaction (a savepoint when one is open). Every write to DynamoDB's tables
   * goes through here: the item-count deltas fn records are committed with it, or dropped
   * with it when it (or its savepoint) rolls back.
   */
  tx<R>(fn: () => R): R {
    const mark = this.txLog.length;
    const outer = !this.db.inTransaction;
    let r: R;
    try {
      r = inTransaction(this.db, fn);
    } catch (e) {
      this.dropCounts(outer ? 0 : mark);
      throw e;
    }
    if (outer) this.commitCounts();
    return r;
  }

  // Parsed table records by account/region/name, so that a data-plane request costs no SQL and
  // no JSON.parse to find its table. Filled only outside transactions (a record read inside
  // one may be rolled back, and the control-plane handlers that read inside one mutate their
  // record before saving it); every metadata write drops the table's entry, and the store is
  // per database, so a restart starts empty. ItemCount and TableSizeBytes are read live.
  private readonly records = new Map<string, TableRecord>();

  /** The last record table() answered from the cache, and its names: a run of requests on one table skip building the Map's key. */
  private last: { account: string; region: string; name: string; rec: TableRecord } | undefined;

  table(account: string, region: string, name: string): TableRecord | undefined {
    const cacheable = !this.db.inTransaction;
    const last = this.last;
    if (cacheable && last !== undefined && last.name === name && last.account === account && last.region === region) return last.rec;
    const ck = `${account}\0${region}\0${name}`;
    if (cacheable) {
      const hit = this.records.get(ck);
      if (hit) {
        this.last = { account, region, name, rec: hit };
        return hit;
      }
    }
    const r = this.s.table.get(account, region, name) as TableRow | undefined;
    if (!r) return undefined;
    const rec = toRecord(r);
    this.refreshHooks(r, rec);
    this.liveCounts(rec);
    if (cacheable) this.records.set(ck, rec);
    return rec;
  }

  /** A cached record's ItemCount and TableSizeBytes are read from the row when asked. */
  private liveCounts(rec: TableRecord): void {
    const st = this.prepared("SELECT item_count, size_bytes FROM ddb_tables WHERE id = ?");
    Object.defineProperties(rec, {
      itemCount: { get: () => ((st.get(rec.id) as { item_count: number } | undefined)?.item_count ?? 0) + this.unflushed(rec.id)[0], enumerable: true },
      sizeBytes: { get: () => ((st.get(rec.id) as { size_bytes: number } | undefined)?.size_bytes ?? 0) + this.unflushed(rec.id)[1], enumerable: true },
    });
  }

  /** Forgets the cached record of a table (any change to its metadata or existence). */
  private forget(account: string, region: string, name: string): void {
    this.records.delete(`${account}\0${region}\0${name}`);
    this.last = undefined;
  }

  /** Writes a table's metadata (the hooks follow on the next table()). */
  saveMeta(t: TableRecord): void {
    this.forget(t.account, t.region, t.meta.name);
    this.prepared("UPDATE ddb_tables SET meta = ? WHERE id = ?").run(JSON.stringify(t.meta), t.id);
    this.table(t.account, t.region, t.meta.name);
  }

  createTable(account: string, region: string, meta: TableMeta): TableRecord {
    this.forget(account, region, meta.name);
    this.s.insertTable.run(account, region, meta.name, JSON.stringify(meta));
    return this.table(account, region, meta.name)!;
  }

  deleteTable(id: number): void {
    for (const [k, r] of this.records) if (r.id === id) this.records.delete(k);
    this.last = undefined;
    this.prepared("DELETE FROM ddb_index_items WHERE table_id = ?").run(id);
    this.prepared("DELETE FROM ddb_ttl WHERE table_id = ?").run(id);
    this.prepared("DELETE FROM ddb_pitr_log WHERE table_id = ?").run(id);
    this.prepared("DELETE FROM ddb_rep_versions WHERE table_id = ?").run(id);
    this.hooks.delete(id);
    this.pending.delete(id);
    this.forgetAll();
    this.s.deleteItems.run(id);
    this.s.deleteTable.run(id);
  }

  tableNames(account: string, region: string, after: string, limit: number): string[] {
    return (this.s.names.all(account, region, after, limit) as Array<{ name: string }>).map((r) => r.name);
  }

  // ------------------------------------------------------------ write hooks
  // Indexes, stream records and the TTL index are kept in step with ddb_items inside the
  // caller's transaction. The hooks of a table are rebuilt whenever table() sees its metadata
  // change, and every write path resolves its table through table() first.
  private readonly hooks = new Map<number, { meta: string; hooks: TableHooks | undefined }>();
  /** Set by the service's start(): where stream records are announced, and Nimbus time. */
  events?: EventBus;
  clock?: Clock;
  /** Set while a global table's replicated write is applied: it is not replicated back. */
  replicating = false;
  /** Set by the service's start(): wakes the replicator after a write queued replication. */
  onReplicationQueued?: () => void;

  hooksOf(tableId: number): TableHooks | undefined {
    return this.hooks.get(tableId)?.hooks;
  }

  private refreshHooks(r: TableRow, rec: TableRecord): void {
    const cached = this.hooks.get(r.id);
    if (cached && cached.meta === r.meta) return;
    this.hooks.set(r.id, { meta: r.meta, hooks: buildHooks(rec) });
  }

  // ------------------------------------------------------------ item cache
  // The committed rows of the items last read or written, by key, so that a GetItem, and the
  // read of the old row every write makes, cost no SQL when the item was seen recently (the
  // SELECT was the largest part of a GetItem's own work). Coherent with the database because
  // every change to an existing table's items goes through putItem/deleteItem (restores and
  // replicas fill new tables, whose ids are never reused; deleteTable and reset clear it):
  // - a write removes its key at once, so reads later in its transaction, and after it whether
  //   it commits or rolls back, go to the database;
  // - a read fills the cache only outside a transaction (what it read is committed).
  // Written rows are not cached: kept alive until their key was written again, they survived
  // into V8's old generation and PutItem cost 11-27% more CPU (bench/dynamodb.mjs, A/B).
  // Bounded by CACHE_BYTES of item text, oldest entries out first.
  private readonly cached = new Map<string, [string, number]>();
  private cachedBytes = 0;

  cacheKey(tableId: number, hk: Buffer, rk: Buffer): string {
    return `${tableId}:${hk.length}:${hk.toString("latin1")}${rk.toString("latin1")}`;
  }

  /** cacheKey of a key whose bytes are at hand as latin1 strings (common.ts ItemKey): the same string, without Buffers. */
  cacheKeyOf(tableId: number, hs: string, rs: string): string {
    return `${tableId}:${hs.length}:${hs}${rs}`;
  }

  /**
   * getItem's row as [item, size], for a reader that needs nothing else (GetItem): the cached
   * entry itself when there is one (no row object), the key's Buffers asked for only on a miss.
   */
  readItem(tableId: number, k: string, key: { hk: Buffer; rk: Buffer }): readonly [string, number] | undefined {
    const hit = this.cached.get(k);
    if (hit) return hit;
    const r = this.s.getItem.get(tableId, key.hk, key.rk) as [string, number] | undefined;
    if (!r) return undefined;
    if (!this.db.inTransaction) this.remember(k, r[0], r[1]);
    return r;
  }

  private remember(k: string, item: string, size: number): void {
    this.forgetKey(k);
    this.cached.set(k, [item, size]);
    this.cachedBytes += item.length;
    if (this.cachedBytes <= CACHE_BYTES) return;
    for (const [old, row] of this.cached) {
      this.cached.delete(old);
      this.cachedBytes -= row[0].length;
      if (this.cachedBytes <= CACHE_BYTES / 2) break;
    }
  }

  private forgetKey(k: string): void {
    const row = this.cached.get(k);
    if (!row) return;
    this.cached.delete(k);
    this.cachedBytes -= row[0].length;
  }

  private forgetAll(): void {
    this.cached.clear();
    this.cachedBytes = 0;
    this.sizes.clear();
  }

  // ------------------------------------------------------------ written sizes
  // A PutItem that needs nothing of the row it replaces but its size (no condition, no
  // ReturnValues, no index, stream, TTL, PITR or replica hook) still read the row with a
  // SELECT: ~7% of a PutItem's CPU, since a write drops its key from the item cache. So the
  // size of each row this process committed is kept by key (sizeOf answers from it):
  // - a write sets its key's entry to -1 (unknown) at once, so later reads in its
  //   transaction, and after a rollback, go to the database;
  // - the commit (commitCounts) sets the entry to the committed size (a delete leaves -1).
  // Only numbers change once a key is in the map (Map.set of an existing key keeps the entry):
  // unlike cached rows, nothing a write allocates outlives it. Bounded by SIZES_MAX entries.
  private readonly sizes = new Map<string, number>();

  /**
   * The size of the row at a key as this transaction sees it, undefined when there is none
   * (for writers that need only that: PutItem without condition, ReturnValues or hooks).
   */
  sizeOf(tableId: number, k: string, hk: Buffer, rk: Buffer): number | undefined {
    const known = this.sizes.get(k);
    if (known !== undefined && known >= 0) return known;
    const hit = this.cached.get(k);
    if (hit) return hit[1];
    const r = this.s.getSize.get(tableId, hk, rk) as [number] | undefined;
    return r === undefined ? undefined : r[0];
  }

  getItem(tableId: number, hk: Buffer, rk: Buffer): ItemRow | undefined {
    const k = this.cacheKey(tableId, hk, rk);
    const hit = this.cached.get(k);
    if (hit) return { hk, rk, item: hit[0], size: hit[1] };
    // The key columns are not read back (BLOB results cost more than the item): the caller's are
    // used. Raw mode: better-sqlite3 builds a row object natively at more cost than an array.
    const r = this.s.getItem.get(tableId, hk, rk) as [string, number] | undefined;
    if (!r) return undefined;
    if (!this.db.inTransaction) this.remember(k, r[0], r[1]);
    return { hk, rk, item: r[0], size: r[1] };
  }

  /** Writes an item; `old` is the row it replaces, read in the same transaction (undefined: none). */
  putItem(tableId: number, hk: Buffer, rk: Buffer, item: string, size: number, old: ItemRow | undefined): void {
    const h = this.hooks.get(tableId)?.hooks;
    if (h) h.write(this, hk, rk, old?.item, item);
    this.writeRow(tableId, this.cacheKey(tableId, hk, rk), hk, rk, item, size, old === undefined ? undefined : old.size);
  }

  /**
   * Writes an item of a table without hooks, replacing the row sizeOf(k) answered for (its
   * size; undefined: none). Callers check hooksOf(tableId) first.
   */
  writeRow(tableId: number, k: string, hk: Buffer, rk: Buffer, item: string, size: number, oldSize: number | undefined): void {
    this.forgetKey(k);
    this.sizes.set(k, -1);
    this.s.writeItem.run(tableId, hk, rk, item, size);
    this.count(tableId, oldSize !== undefined ? 0 : 1, size - (oldSize ?? 0), k, size);
  }

  /**
   * Whether writeRow of this table may run alone, outside a transaction (SQLite's autocommit):
   * no transaction is open and the table's counts_dirty mark is committed already, so the write
   * is the only statement (count() then runs none: its counts are committed in memory at once).
   */
  canWriteAlone(tableId: number): boolean {
    return !this.db.inTransaction && this.marked.has(tableId);
  }

  /** Deletes an item; `identity` marks a delete made by DynamoDB itself (TTL) in its stream record. */
  deleteItem(tableId: number, hk: Buffer, rk: Buffer, old: ItemRow, identity?: WriteIdentity): void {
    const h = this.hooks.get(tableId)?.hooks;
    if (h) h.write(this, hk, rk, old.item, undefined, identity);
    const k = this.cacheKey(tableId, hk, rk);
    this.forgetKey(k);
    this.sizes.set(k, -1);
    this.s.delItem.run(tableId, hk, rk);
    this.count(tableId, -1, -old.size, k, -1);
  }

  // ------------------------------------------------------------ item counts
  // ItemCount and TableSizeBytes change with every write. Kept in ddb_tables by the write
  // itself, they cost a lone PutItem a statement and a second WAL page (the tables row's page
  // beside the item's), a quarter of its SQL work. They are kept in memory instead:
  // - txLog: the deltas of the transaction in progress, cut back when a savepoint or the
  //   transaction rolls back (tx());
  // - pending: committed deltas not yet in ddb_tables, added to it by flushCounts() a second
  //   after the first, and at stop;
  // - a table gets pending deltas only in a transaction that also sets its counts_dirty (once
  //   per flush), so that a crash, which loses the deltas, leaves it marked: start()
  //   (recountDirty) counts its items again. A clean stop flushes and leaves none marked.
  // Readers (liveCounts) add the pending and in-transaction deltas to the row.
  /** k and size: the written key and its new size (-1: deleted), for the sizes map at commit. */
  private readonly txLog: Array<{ id: number; items: number; bytes: number; marks: boolean; k: string; size: number }> = [];
  private readonly pending = new Map<number, [number, number]>();
  /** Tables whose counts_dirty is set in the database (committed). */
  private readonly marked = new Set<number>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  private count(tableId: number, items: number, bytes: number, k: string, size: number): void {
    // Outside a transaction (autocommit) the write is committed already.
    const committed = !this.db.inTransaction;
    if (committed && this.txLog.length === 0 && this.marked.has(tableId)) {
      // A lone write of a marked table (canWriteAlone): committed already, counted at once
      // without a log entry (what commitCounts does with a log of one).
      if (this.sizes.size > SIZES_MAX) this.sizes.clear();
      if (size >= 0) this.sizes.set(k, size);
      this.addPending(tableId, items, bytes);
      return;
    }
    let marks = false;
    if (!this.marked.has(tableId) && !this.txLog.some((e) => e.id === tableId && e.marks)) {
      this.s.markDirty.run(tableId);
      marks = true;
    }
    this.txLog.push({ id: tableId, items, bytes, marks, k, size });
    if (committed) this.commitCounts();
  }

  private dropCounts(mark: number): void {
    this.txLog.length = mark;
  }

  private commitCounts(): void {
    if (this.txLog.length === 0) return;
    if (this.sizes.size > SIZES_MAX) this.sizes.clear();
    for (const e of this.txLog) {
      if (e.marks) this.marked.add(e.id);
      if (e.size >= 0) this.sizes.set(e.k, e.size);
      this.addPending(e.id, e.items, e.bytes);
    }
    this.txLog.length = 0;
  }

  /** Adds committed deltas to pending; flushCounts writes them a second after the first. */
  private addPending(id: number, items: number, bytes: number): void {
    const c = this.pending.get(id);
    if (c) {
      c[0] += items;
      c[1] += bytes;
    } else this.pending.set(id, [items, bytes]);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushCounts();
    }, 1000).unref();
  }

  /** Writes the pending deltas to ddb_tables and clears their tables' counts_dirty. */
  flushCounts(): void {
    if (this.pending.size === 0) return;
    if (this.db.inTransaction || !this.db.open) return;
    inTransaction(this.db, () => {
      for (const [id, [items, bytes]] of this.pending) this.s.flushCounts.run(items, bytes, id);
    });
    this.pending.clear();
    this.marked.clear();
  }

  /** Counts the items of tables a crash left marked (their pending deltas were lost). */
  recountDirty(): void {
    this.prepared(
      "UPDATE ddb_tables SET item_count = (SELECT COUNT(*) FROM ddb_items WHERE table_id = ddb_tables.id), " +
        "size_bytes = (SELECT COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ddb_tables.id), counts_dirty = 0 WHERE counts_dirty = 1",
    ).run();
  }

  /** The deltas not yet in a table's row: pending, plus the open transaction's. */
  private unflushed(id: number): [number, number] {
    const p = this.pending.get(id);
    let items = p ? p[0] : 0;
    let bytes = p ? p[1] : 0;
    for (const e of this.txLog) {
      if (e.id !== id) continue;
      items += e.items;
      bytes += e.bytes;
    }
    return [items, bytes];
  }

  /** Items of one partition, range-key ordered, within optional bounds. */
  queryItems(
    tableId: number,
    hk: Buffer,
    bounds: { lo?: { v: Buffer; incl: boolean }; hi?: { v: Buffer; incl: boolean } },
    forward: boolean,
    /** How many rows the caller expects to read (Limit + 1): the size of the first chunk. */
    firstChunk = 1000,
  ): IterableIterator<PageRow> {
    let sql = "SELECT item, size FROM ddb_items WHERE table_id = ? AND hk = ?";
    const args: unknown[] = [tableId, hk];
    if (bounds.lo) {
      sql += bounds.lo.incl ? " AND rk >= ?" : " AND rk > ?";
      args.push(bounds.lo.v);
    }
    if (bounds.hi) {
      sql += bounds.hi.incl ? " AND rk <= ?" : " AND rk < ?";
      args.push(bounds.hi.v);
    }
    sql += forward ? " ORDER BY rk ASC LIMIT ? OFFSET ?" : " ORDER BY rk DESC LIMIT ? OFFSET ?";
    return this.chunks(this.prepared(sql), args, firstChunk);
  }

  /**
   * Rows of a statement in chunks read with all() in raw mode: better-sqlite3 builds a row
   * object per row natively at a cost several times that of the row's text, and stepping an
   * iterator costs more than one all() per chunk.
   */
  private *chunks(st: Statement, args: unknown[], first: number): Generator<PageRow> {
    const raw = st.raw(true);
    let n = Math.max(1, Math.min(first, 1000));
    for (let offset = 0; ; offset += n, n = 1000) {
      const rows = raw.all(...args, n, offset) as Array<[string, number, Buffer?]>;
      for (let i = 0; i < rows.length; i++) yield { item: rows[i][0], size: rows[i][1], hk: rows[i][2] };
      if (rows.length < n) return;
    }
  }

  /** A Scan's rows in key order after `after`, as Query pages read them (hk only when asked). */
  scanRows(tableId: number, after: { hk: Buffer; rk: Buffer } | undefined, withHash: boolean, firstChunk = 1000): IterableIterator<PageRow> {
    const sql = `SELECT item, size${withHash ? ", hk" : ""} FROM ddb_items WHERE table_id = ?${after ? " AND (hk, rk) > (?, ?)" : ""} ORDER BY hk, rk LIMIT ? OFFSET ?`;
    return this.chunks(this.prepared(sql), after ? [tableId, after.hk, after.rk] : [tableId], firstChunk);
  }

  /** Bytes of the items sharing a partition key (ReturnItemCollectionMetrics). */
  collectionSize(tableId: number, hk: Buffer): number {
    const r = this.prepared("SELECT COALESCE(SUM(size), 0) AS n FROM ddb_items WHERE table_id = ? AND hk = ?").get(tableId, hk) as { n: number };
    return r.n;
  }

  scanItems(tableId: number, after?: { hk: Buffer; rk: Buffer }): IterableIterator<ItemRow> {
    return (after ? this.s.scanFrom.iterate(tableId, after.hk, after.rk) : this.s.scanAll.iterate(tableId)) as IterableIterator<ItemRow>;
  }

  private readonly cache = new Map<string, Statement>();
  /** A statement prepared once per database (the index, stream and TTL code shares it). */
  prepared(sql: string): Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  reset(): void {
    this.tx(() => {
      this.db.exec(
        "DELETE FROM ddb_items; DELETE FROM ddb_tables; DELETE FROM ddb_index_items; DELETE FROM ddb_streams; DELETE FROM ddb_stream_records; DELETE FROM ddb_ttl; " +
          "DELETE FROM ddb_backups; DELETE FROM ddb_backup_items; DELETE FROM ddb_pitr_log; DELETE FROM ddb_replication; DELETE FROM ddb_rep_versions;",
      );
    });
    this.hooks.clear();
    this.records.clear();
    this.last = undefined;
    this.pending.clear();
    this.marked.clear();
    this.forgetAll();
  }
}

export const dynamoStore = perDatabase((db) => new DynamoStore(db));
