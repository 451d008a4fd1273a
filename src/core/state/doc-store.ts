// JSON documents of one service in one scope ("<account>/<region>", or "<account>" for
// global services), listed in binary id order straight from the primary key.
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

const cache = new WeakMap<Db, Statements>();

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

export class DocStore {
  constructor(
    readonly db: Db,
    readonly service: string,
    readonly scope: string,
  ) {}

  get<T>(kind: string, id: string): T | undefined {
    const row = statements(this.db).get.get(this.service, this.scope, kind, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
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
