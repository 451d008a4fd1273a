// DynamoDB state in two tables of its own:
// - ddb_tables: one row per table (metadata as JSON, live item count and size);
// - ddb_items:  one row per item, keyed (table_id, hk, rk) WITHOUT ROWID, where hk is the
//   hash key's bytes and rk the range key's sort encoding (engine/values.ts encodeKey; empty
//   for a hash-only table). memcmp order of rk equals DynamoDB's order of the range key, so a
//   Query is a primary-key range scan and a Scan walks the primary key.
// Statements are prepared once per database; callers wrap changes in inTransaction.
import { inTransaction, type Db, type Migration } from "../../core/state/database.js";

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
];

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
      getItem: p("SELECT hk, rk, item, size FROM ddb_items WHERE table_id = ? AND hk = ? AND rk = ?"),
      putItem: p(
        "INSERT INTO ddb_items (table_id, hk, rk, item, size) VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_id, hk, rk) DO UPDATE SET item = excluded.item, size = excluded.size",
      ),
      delItem: p("DELETE FROM ddb_items WHERE table_id = ? AND hk = ? AND rk = ?"),
      counts: p("UPDATE ddb_tables SET item_count = item_count + ?, size_bytes = size_bytes + ? WHERE id = ?"),
      scanFrom: p("SELECT hk, rk, item, size FROM ddb_items WHERE table_id = ? AND (hk, rk) > (?, ?) ORDER BY hk, rk"),
      scanAll: p("SELECT hk, rk, item, size FROM ddb_items WHERE table_id = ? ORDER BY hk, rk"),
    };
  }

  tx<R>(fn: () => R): R {
    return inTransaction(this.db, fn);
  }

  table(account: string, region: string, name: string): TableRecord | undefined {
    const r = this.s.table.get(account, region, name) as TableRow | undefined;
    return r ? toRecord(r) : undefined;
  }

  createTable(account: string, region: string, meta: TableMeta): TableRecord {
    this.s.insertTable.run(account, region, meta.name, JSON.stringify(meta));
    return this.table(account, region, meta.name)!;
  }

  deleteTable(id: number): void {
    this.s.deleteItems.run(id);
    this.s.deleteTable.run(id);
  }

  tableNames(account: string, region: string, after: string, limit: number): string[] {
    return (this.s.names.all(account, region, after, limit) as Array<{ name: string }>).map((r) => r.name);
  }

  getItem(tableId: number, hk: Buffer, rk: Buffer): ItemRow | undefined {
    return this.s.getItem.get(tableId, hk, rk) as ItemRow | undefined;
  }

  /** Writes an item; `old` is the row it replaces (for the table's count and size). */
  putItem(tableId: number, hk: Buffer, rk: Buffer, item: string, size: number, old: ItemRow | undefined): void {
    this.s.putItem.run(tableId, hk, rk, item, size);
    this.s.counts.run(old ? 0 : 1, size - (old?.size ?? 0), tableId);
  }

  deleteItem(tableId: number, hk: Buffer, rk: Buffer, old: ItemRow): void {
    this.s.delItem.run(tableId, hk, rk);
    this.s.counts.run(-1, -old.size, tableId);
  }

  /** Items of one partition, range-key ordered, within optional bounds. */
  queryItems(
    tableId: number,
    hk: Buffer,
    bounds: { lo?: { v: Buffer; incl: boolean }; hi?: { v: Buffer; incl: boolean } },
    forward: boolean,
  ): IterableIterator<ItemRow> {
    let sql = "SELECT hk, rk, item, size FROM ddb_items WHERE table_id = ? AND hk = ?";
    const args: unknown[] = [tableId, hk];
    if (bounds.lo) {
      sql += bounds.lo.incl ? " AND rk >= ?" : " AND rk > ?";
      args.push(bounds.lo.v);
    }
    if (bounds.hi) {
      sql += bounds.hi.incl ? " AND rk <= ?" : " AND rk < ?";
      args.push(bounds.hi.v);
    }
    sql += forward ? " ORDER BY rk ASC" : " ORDER BY rk DESC";
    return this.prepared(sql).iterate(...args) as IterableIterator<ItemRow>;
  }

  scanItems(tableId: number, after?: { hk: Buffer; rk: Buffer }): IterableIterator<ItemRow> {
    return (after ? this.s.scanFrom.iterate(tableId, after.hk, after.rk) : this.s.scanAll.iterate(tableId)) as IterableIterator<ItemRow>;
  }

  private readonly cache = new Map<string, Statement>();
  private prepared(sql: string): Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  reset(): void {
    this.tx(() => {
      this.db.exec("DELETE FROM ddb_items; DELETE FROM ddb_tables;");
    });
  }
}

const stores = new WeakMap<Db, DynamoStore>();

export function dynamoStore(db: Db): DynamoStore {
  let s = stores.get(db);
  if (!s) {
    s = new DynamoStore(db);
    stores.set(db, s);
  }
  return s;
}
