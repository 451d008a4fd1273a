// CloudWatch metric state: two tables of the shared SQLite database.
//
// - cw_metrics, the catalogue ListMetrics reads: one row per metric, identified as on AWS by
//   (account, region, namespace, metric name, full dimension set). The dimension set is kept
//   canonical (sorted by name) in dims_key, so [{A},{B}] and [{B},{A}] are one metric.
//   last_put (Nimbus time of the latest PutMetricData) answers RecentlyActive.
// - cw_datapoints, the raw datapoints: metric_id stands for the catalogue key above, and the
//   (metric_id, ts) index turns a GetMetricStatistics / GetMetricData query into one range scan.
//   A single Value is stored as its summary (count 1, min = max = sum); Values+Counts keep the
//   distribution as JSON beside its summary; a statistic set keeps only its summary.
//
// Every write of a PutMetricData runs in one transaction (synchronous=FULL): a 200 means durable.
import { inTransaction, type Db, type Migration } from "../../core/state/database.js";
import type { Sample } from "./engine/statistics.js";

export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE cw_metrics (
        id          INTEGER PRIMARY KEY,
        account     TEXT NOT NULL,
        region      TEXT NOT NULL,
        namespace   TEXT NOT NULL,
        metric_name TEXT NOT NULL,
        dims_key    TEXT NOT NULL,
        dims        TEXT NOT NULL,
        last_put    INTEGER NOT NULL,
        UNIQUE (account, region, namespace, metric_name, dims_key)
      );
      CREATE TABLE cw_datapoints (
        metric_id    INTEGER NOT NULL REFERENCES cw_metrics(id) ON DELETE CASCADE,
        ts           INTEGER NOT NULL,
        unit         TEXT NOT NULL,
        resolution   INTEGER NOT NULL,
        kind         INTEGER NOT NULL,
        sample_count REAL NOT NULL,
        sum          REAL NOT NULL,
        min          REAL NOT NULL,
        max          REAL NOT NULL,
        dist         TEXT
      );
      CREATE INDEX cw_datapoints_range ON cw_datapoints (metric_id, ts);
    `);
  },
];

export interface DimensionPair {
  Name: string;
  Value: string;
}

/** A metric's dimensions in canonical order (by name, code-unit order). */
export function canonicalDimensions(dims: ReadonlyArray<{ Name?: string; Value?: string }> | undefined): DimensionPair[] {
  return (dims ?? []).map((d) => ({ Name: d.Name ?? "", Value: d.Value ?? "" })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function dimensionsKey(dims: readonly DimensionPair[]): string {
  return JSON.stringify(dims.map((d) => [d.Name, d.Value]));
}

/** What PutMetricData (or a service metric event) stores for one datum. */
export interface DatumRecord {
  namespace: string;
  metricName: string;
  /** Canonical order. */
  dimensions: DimensionPair[];
  ts: number;
  unit: string;
  resolution: number;
  /** 0 single value, 1 Values+Counts, 2 statistic set. */
  kind: 0 | 1 | 2;
  count: number;
  sum: number;
  min: number;
  max: number;
  dist?: Array<[number, number]>;
}

export interface MetricRow {
  id: number;
  namespace: string;
  metric_name: string;
  dims_key: string;
  dims: string;
  last_put: number;
}

export interface ListFilter {
  namespace?: string;
  metricName?: string;
  /** Only metrics put at or after this time (RecentlyActive). */
  activeSince?: number;
  /** Exclusive lower bound on (namespace, metric_name, dims_key): the pagination marker. */
  after?: [string, string, string];
  limit: number;
}

interface Statements {
  upsertMetric: import("better-sqlite3").Statement;
  insertPoint: import("better-sqlite3").Statement;
  findMetric: import("better-sqlite3").Statement;
  samples: import("better-sqlite3").Statement;
  list: Map<string, import("better-sqlite3").Statement>;
}

const cache = new WeakMap<Db, Statements>();

function statements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = {
      upsertMetric: db.prepare(
        `INSERT INTO cw_metrics (account, region, namespace, metric_name, dims_key, dims, last_put) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, namespace, metric_name, dims_key) DO UPDATE SET last_put = max(last_put, excluded.last_put)
         RETURNING id`,
      ),
      insertPoint: db.prepare(
        "INSERT INTO cw_datapoints (metric_id, ts, unit, resolution, kind, sample_count, sum, min, max, dist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      findMetric: db.prepare("SELECT id FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND metric_name = ? AND dims_key = ?"),
      samples: db.prepare("SELECT ts, unit, kind, sample_count, sum, min, max, dist FROM cw_datapoints WHERE metric_id = ? AND ts >= ? AND ts < ? ORDER BY ts"),
      list: new Map(),
    };
    cache.set(db, s);
  }
  return s;
}

export class MetricStore {
  constructor(
    private readonly db: Db,
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** Stores datums in one transaction; `now` becomes the metrics' last-put time. */
  put(records: readonly DatumRecord[], now: number): void {
    const s = statements(this.db);
    inTransaction(this.db, () => {
      const ids = new Map<string, number>();
      for (const r of records) {
        const key = dimensionsKey(r.dimensions);
        const idKey = `${r.namespace}\u0000${r.metricName}\u0000${key}`;
        let id = ids.get(idKey);
        if (id === undefined) {
          id = (s.upsertMetric.get(this.account, this.region, r.namespace, r.metricName, key, JSON.stringify(r.dimensions), now) as { id: number }).id;
          ids.set(idKey, id);
        }
        s.insertPoint.run(id, r.ts, r.unit, r.resolution, r.kind, r.count, r.sum, r.min, r.max, r.dist ? JSON.stringify(r.dist) : null);
      }
    });
  }

  findMetricId(namespace: string, metricName: string, dimensions: readonly DimensionPair[]): number | undefined {
    const row = statements(this.db).findMetric.get(this.account, this.region, namespace, metricName, dimensionsKey(dimensions)) as { id: number } | undefined;
    return row?.id;
  }

  /** Raw samples of a metric with from <= ts < to, in time order. */
  samples(metricId: number, from: number, to: number): Sample[] {
    const rows = statements(this.db).samples.all(metricId, from, to) as Array<{
      ts: number;
      unit: string;
      kind: number;
      sample_count: number;
      sum: number;
      min: number;
      max: number;
      dist: string | null;
    }>;
    return rows.map((r) => ({
      ts: r.ts,
      unit: r.unit,
      count: r.sample_count,
      sum: r.sum,
      min: r.min,
      max: r.max,
      dist: r.kind === 0 ? [[r.sum, 1]] : r.kind === 1 && r.dist ? (JSON.parse(r.dist) as Array<[number, number]>) : undefined,
    }));
  }

  /** Catalogue rows in (namespace, metric name, dimensions) order, on the unique index. */
  list(f: ListFilter): MetricRow[] {
    const where = ["account = ?", "region = ?"];
    const args: Array<string | number> = [this.account, this.region];
    if (f.namespace !== undefined) {
      where.push("namespace = ?");
      args.push(f.namespace);
    }
    if (f.metricName !== undefined) {
      where.push("metric_name = ?");
      args.push(f.metricName);
    }
    if (f.activeSince !== undefined) {
      where.push("last_put >= ?");
      args.push(f.activeSince);
    }
    if (f.after) {
      where.push("(namespace, metric_name, dims_key) > (?, ?, ?)");
      args.push(...f.after);
    }
    const sql = `SELECT id, namespace, metric_name, dims_key, dims, last_put FROM cw_metrics WHERE ${where.join(" AND ")} ORDER BY namespace, metric_name, dims_key LIMIT ?`;
    const cached = statements(this.db).list;
    let stmt = cached.get(sql);
    if (!stmt) cached.set(sql, (stmt = this.db.prepare(sql)));
    return stmt.all(...args, f.limit) as MetricRow[];
  }
}

/** Drops all CloudWatch metric state (POST /_nimbus/state/reset). */
export function resetAll(db: Db): void {
  db.transaction(() => {
    db.exec("DELETE FROM cw_datapoints; DELETE FROM cw_metrics;");
  })();
}
