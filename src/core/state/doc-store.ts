// JSON documents of one service in one scope ("<account>/<region>", or "<account>" for
// global services), listed in binary id order straight from the primary key.
//
// Reads of single documents go through a per-database cache of their JSON text: a bucket
// document, for instance, is read by the IAM resource-policy hook, S3's access wrapper and the
// handler of every S3 request, and a primary-key SELECT costs several times the JSON.parse
// (bench/s3.mjs). The cache holds text, never objects, so no caller can mutate a cached value:
// every get() parses a fresh copy. It stays exact because
//   1. every write to nimbus_docs on the connection (DocStore's own, a state reset, any direct
//      SQL) fires TEMP triggers that drop the rows' entries, at the time of the write;
//   2. it is filled only outside transactions, so it only ever holds committed text: a
//      transaction that rolls back has dropped the entries of the rows it touched and cannot
//      have added any. Reads inside a transaction may use entries (a row written in the
//      transaction has none);
//   3. only this connection writes nimbus_docs (the blob store's connection writes nimbus_blobs).
// peek() hands out one parsed, deep-frozen object per cached text, shared by every caller until
// the row changes: for hot read-only paths (S3 reads its bucket document four times per
// request: the IAM resource-policy hook, the access wrapper, the handler, the commit), where
// parsing the same text again was a measurable share of a GetObject. Frozen, so a caller that
// mutates it fails loudly instead of changing what the next request sees.
import { inTransaction, type Db } from "./database.js";

export interface ListOptions {
  prefix?: string;
  /** Exclusive lower bound on id (pagination marker). */
  after?: string;
  limit?: number;
}

interface Statements {
  get: import("better-sqlite3").Statement;
  put: import("better-sqlite3").Statement;
  del: import("better-sqlite3").Statement;
  list: import("better-sqlite3").Statement;
  count: import("better-sqlite3").Statement;
  scopes: import("better-sqlite3").Statement;
}

/** Entries kept per database; the oldest go first beyond it. */
const CACHE_MAX = 4096;
/** A document known to be absent. */
const ABSENT = "";

const cache = new WeakMap<Db, Statements>();
/** A cached document: its committed text, and once peek() asked, the frozen parse of it. */
interface Entry {
  text: string;
  parsed?: unknown;
}

const docCaches = new WeakMap<Db, Map<string, Entry>>();

const cacheKey = (service: string, scope: string, kind: string, id: string): string => `${service}\u0000${scope}\u0000${kind}\u0000${id}`;

/**
 * The database's document cache, with the triggers that keep it exact (step 1 of the header);
 * undefined (read without the cache) while they cannot be installed: inside a transaction (a
 * rollback would drop the triggers and leave the cache unguarded) or while another statement
 * of the connection is being iterated (SQLite refuses new functions then).
 */
function docCache(db: Db): Map<string, Entry> | undefined {
  let m = docCaches.get(db);
  if (!m) {
    if (db.inTransaction) return undefined;
    const docs = new Map<string, Entry>();
    try {
      installTriggers(db, docs);
    } catch (e) {
      if (e instanceof TypeError && /busy/.test(e.message)) return undefined;
      throw e;
    }
    m = docs;
    docCaches.set(db, docs);
  }
  return m;
}

function installTriggers(db: Db, docs: Map<string, Entry>): void {
  db.function("nimbus_doc_changed", { deterministic: false }, (service: unknown, scope: unknown, kind: unknown, id: unknown) => {
    docs.delete(cacheKey(String(service), String(scope), String(kind), String(id)));
    return null;
  });
  db.exec(`
    CREATE TEMP TRIGGER IF NOT EXISTS nimbus_docs_cache_insert AFTER INSERT ON main.nimbus_docs
      BEGIN SELECT nimbus_doc_changed(NEW.service, NEW.scope, NEW.kind, NEW.id); END;
    CREATE TEMP TRIGGER IF NOT EXISTS nimbus_docs_cache_update AFTER UPDATE ON main.nimbus_docs
      BEGIN SELECT nimbus_doc_changed(OLD.service, OLD.scope, OLD.kind, OLD.id), nimbus_doc_changed(NEW.service, NEW.scope, NEW.kind, NEW.id); END;
    CREATE TEMP TRIGGER IF NOT EXISTS nimbus_docs_cache_delete AFTER DELETE ON main.nimbus_docs
      BEGIN SELECT nimbus_doc_changed(OLD.service, OLD.scope, OLD.kind, OLD.id); END;
  `);
}

function statements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = {
      get: db.prepare("SELECT doc FROM nimbus_docs WHERE service = ? AND scope = ? AND kind = ? AND id = ?"),
      put: db.prepare("INSERT INTO nimbus_docs (service, scope, kind, id, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT(service, scope, kind, id) DO UPDATE SET doc = excluded.doc"),
      del: db.prepare("DELETE FROM nimbus_docs WHERE service = ? AND scope = ? AND kind = ? AND id = ?"),
      // id >= prefix AND id < prefix || U+FFFF keeps the scan on the primary key.
      list: db.prepare("SELECT id, doc FROM nimbus_docs WHERE service = ? AND scope = ? AND kind = ? AND id > ? AND id >= ? AND id < ? ORDER BY id LIMIT ?"),
      count: db.prepare("SELECT count(*) AS n FROM nimbus_docs WHERE service = ? AND scope = ? AND kind = ?"),
      scopes: db.prepare("SELECT DISTINCT scope FROM nimbus_docs WHERE service = ? AND kind = ?"),
    };
    cache.set(db, s);
  }
  return s;
}

/** Freezes `v` and everything reachable from it (a JSON value: no cycles). */
function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

export class DocStore {
  private docs: Map<string, Entry> | undefined;
  constructor(
    readonly db: Db,
    readonly service: string,
    readonly scope: string,
  ) {}

  get<T>(kind: string, id: string): T | undefined {
    const e = this.entry(kind, id);
    return e === undefined || e.text === ABSENT ? undefined : (JSON.parse(e.text) as T);
  }

  /**
   * The document as a shared, deep-frozen object (see the header): never mutate it; get() gives
   * a copy to change. Parsed once per committed text.
   */
  peek<T>(kind: string, id: string): Readonly<T> | undefined {
    const e = this.entry(kind, id);
    if (e === undefined || e.text === ABSENT) return undefined;
    return (e.parsed ??= deepFreeze(JSON.parse(e.text))) as T;
  }

  /** The cached entry (filled outside transactions, step 2 of the header), or a fresh uncached one. */
  private entry(kind: string, id: string): Entry | undefined {
    const docs = this.docs ?? (this.docs = docCache(this.db));
    if (!docs) {
      const row = statements(this.db).get.get(this.service, this.scope, kind, id) as { doc: string } | undefined;
      return row ? { text: row.doc } : undefined;
    }
    const key = cacheKey(this.service, this.scope, kind, id);
    let e = docs.get(key);
    if (e === undefined) {
      const row = statements(this.db).get.get(this.service, this.scope, kind, id) as { doc: string } | undefined;
      e = { text: row ? row.doc : ABSENT };
      // Step 2 of the header: only committed text goes in.
      if (!this.db.inTransaction) {
        if (docs.size >= CACHE_MAX) docs.delete(docs.keys().next().value!);
        docs.set(key, e);
      }
    }
    return e;
  }

  put<T>(kind: string, id: string, doc: T): void {
    statements(this.db).put.run(this.service, this.scope, kind, id, JSON.stringify(doc));
  }

  delete(kind: string, id: string): boolean {
    return statements(this.db).del.run(this.service, this.scope, kind, id).changes > 0;
  }

  list<T>(kind: string, opts: ListOptions = {}): Array<{ id: string; doc: T }> {
    const prefix = opts.prefix ?? "";
    const rows = statements(this.db).list.all(
      this.service,
      this.scope,
      kind,
      opts.after ?? "",
      prefix,
      prefix + "\uffff",
      opts.limit ?? -1,
    ) as Array<{ id: string; doc: string }>;
    return rows.map((r) => ({ id: r.id, doc: JSON.parse(r.doc) as T }));
  }

  count(kind: string): number {
    return (statements(this.db).count.get(this.service, this.scope, kind) as { n: number }).n;
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  tx<R>(fn: () => R): R {
    return inTransaction(this.db, fn);
  }

  /** Scopes holding documents of this kind, for background workers that sweep every account/region. */
  scopes(kind: string): string[] {
    return (statements(this.db).scopes.all(this.service, kind) as Array<{ scope: string }>).map((r) => r.scope);
  }

  /** The same service's store in another scope (cross-region replication, global tables). */
  withScope(scope: string): DocStore {
    return new DocStore(this.db, this.service, scope);
  }
}
