// Query and Scan with IndexName: which index, AWS's checks of what may be read from it
// (consistent reads and non-projected attributes are refused on a GSI; an LSI fetches them from
// the table), the rows in index order (index key, then table key, joined back to ddb_items), and
// the LastEvaluatedKey / ExclusiveStartKey of an index (table key plus index key).
import { project } from "../engine/evaluate.js";
import type { Path } from "../engine/parser.js";
import { encodeKey, normalizeValue, typeOf, validation, type AV, type Item } from "../engine/values.js";
import type { DynamoStore, PageRow, TableRecord } from "../store.js";
import { indexHooks, type IndexHook, type KeyPart } from "./hooks.js";
import { projectedNames } from "./schema.js";

/** Where an index read resumes: index key, then table key. */
export interface IndexPos {
  hk: Buffer;
  rk: Buffer;
  thk: Buffer;
  trk: Buffer;
}

interface Bound {
  v: Buffer;
  incl: boolean;
}

export interface IndexRead {
  /** The table as the key condition sees it: the index's hash and range keys. */
  keys: TableRecord;
  /** What the index holds of an item (before a ProjectionExpression). */
  present(item: Item): Item;
  /** present() is the whole item (ALL projection, or an LSI fetching from the table). */
  whole: boolean;
  lastKey(item: Item): Item;
  startKey(esk: Record<string, unknown> | undefined): IndexPos | undefined;
  query(store: DynamoStore, hk: Buffer, bounds: { lo?: Bound; hi?: Bound }, forward: boolean, after?: IndexPos): IterableIterator<PageRow>;
  scan(store: DynamoStore, after?: IndexPos): IterableIterator<PageRow>;
}

const FROM = "FROM ddb_index_items i JOIN ddb_items t ON t.table_id = i.table_id AND t.hk = i.thk AND t.rk = i.trk";
const QUERY = `SELECT t.item, t.size ${FROM}`;
const SCAN = `SELECT t.item, t.size, i.hk ${FROM}`;

/**
 * Rows as arrays (raw mode: no row object, and no Buffer for key columns a Query does not
 * need), turned into the PageRow the page reader takes. These statements are only used raw.
 */
function* rowsOf(st: ReturnType<DynamoStore["prepared"]>, args: unknown[]): Generator<PageRow> {
  for (const r of st.raw(true).iterate(...args) as Iterable<[string, number, Buffer?]>) yield { item: r[0], size: r[1], hk: r[2] };
}

export function indexRead(
  t: TableRecord,
  input: { IndexName?: string; Select?: string; ConsistentRead?: boolean },
  paths: Path[] | undefined,
  now: number,
): IndexRead {
  const name = input.IndexName!;
  const ix: IndexHook | undefined = indexHooks(t).find((i) => i.name === name);
  if (!ix) throw validation(`The table does not have the specified index: ${name}`);
  const meta = ix.meta;
  if (ix.global && input.ConsistentRead) throw validation("Consistent reads are not supported on global secondary indexes");
  if (meta.backfilledAt !== undefined && now < meta.backfilledAt) {
    throw validation(`Cannot read from backfilling global secondary index: ${name}`);
  }
  const projected = projectedNames(t.meta.keySchema, meta);
  if (ix.global && projected) {
    if (input.Select === "ALL_ATTRIBUTES") {
      throw validation(`One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${name} because its projection type is not ALL`);
    }
    const missing = [...new Set((paths ?? []).map((p) => String(p.elements[0])))].filter((n) => !projected.has(n));
    if (missing.length) throw validation(`One or more parameter values were invalid: Global secondary index ${name} does not project [${missing.join(", ")}]`);
  }
  // An LSI asked for more than it projects reads the rest from the table, as on AWS.
  const fetches = !ix.global && (input.Select === "ALL_ATTRIBUTES" || paths !== undefined);
  const projection = projected && !fetches ? [...projected].map((n) => ({ type: "path" as const, elements: [n] })) : undefined;
  const tableParts: KeyPart[] = [t.hash, ...(t.range ? [t.range] : [])];
  const indexParts: KeyPart[] = [ix.hash, ...(ix.range ? [ix.range] : [])];
  const allParts = [...tableParts, ...indexParts.filter((p) => !tableParts.some((q) => q.name === p.name))];

  return {
    keys: { ...t, hash: ix.hash, range: ix.range },
    present: (item) => (projection ? project(item, projection) : item),
    whole: projection === undefined,
    lastKey(item) {
      const out: Item = {};
      for (const p of allParts) if (item[p.name] !== undefined) out[p.name] = item[p.name];
      return out;
    },
    startKey(esk) {
      if (!esk) return undefined;
      const bad = () => validation("The provided starting key is invalid: The provided key element does not match the schema");
      const k = esk as Record<string, AV>;
      if (Object.keys(k).length !== allParts.length) throw bad();
      const enc: Record<string, Buffer> = {};
      for (const p of allParts) {
        const v = k[p.name];
        if (v === undefined) throw bad();
        const nv = normalizeValue(v);
        if (typeOf(nv) !== p.type) throw bad();
        enc[p.name] = encodeKey(nv);
      }
      const empty = Buffer.alloc(0);
      return {
        hk: enc[ix.hash.name],
        rk: ix.range ? enc[ix.range.name] : empty,
        thk: enc[t.hash.name],
        trk: t.range ? enc[t.range.name] : empty,
      };
    },
    query(store, hk, bounds, forward, after) {
      let sql = `${QUERY} WHERE i.table_id = ? AND i.idx = ? AND i.hk = ?`;
      const args: unknown[] = [t.id, name, hk];
      if (bounds.lo) {
        sql += bounds.lo.incl ? " AND i.rk >= ?" : " AND i.rk > ?";
        args.push(bounds.lo.v);
      }
      if (bounds.hi) {
        sql += bounds.hi.incl ? " AND i.rk <= ?" : " AND i.rk < ?";
        args.push(bounds.hi.v);
      }
      if (after) {
        sql += forward ? " AND (i.rk, i.thk, i.trk) > (?, ?, ?)" : " AND (i.rk, i.thk, i.trk) < (?, ?, ?)";
        args.push(after.rk, after.thk, after.trk);
      }
      sql += forward ? " ORDER BY i.rk ASC, i.thk ASC, i.trk ASC" : " ORDER BY i.rk DESC, i.thk DESC, i.trk DESC";
      return rowsOf(store.prepared(sql), args);
    },
    scan(store, after) {
      if (after) {
        return rowsOf(store.prepared(`${SCAN} WHERE i.table_id = ? AND i.idx = ? AND (i.hk, i.rk, i.thk, i.trk) > (?, ?, ?, ?) ORDER BY i.hk, i.rk, i.thk, i.trk`), [
          t.id,
          name,
          after.hk,
          after.rk,
          after.thk,
          after.trk,
        ]);
      }
      return rowsOf(store.prepared(`${SCAN} WHERE i.table_id = ? AND i.idx = ? ORDER BY i.hk, i.rk, i.thk, i.trk`), [t.id, name]);
    },
  };
}
