// A durable delivery outbox: what a service must deliver to another one after its request
// (SNS -> subscribers, EventBridge -> targets, S3 -> notification destinations). Why a table
// and not a promise: the request's answer says the work will happen, so it must survive a
// crash or a restart, and a target that is briefly missing must be retried, not forgotten.
//   1. enqueue() inserts a row inside the caller's transaction (it commits, or rolls back,
//      with the request's own writes) and kicks the worker, whose pass runs after the commit.
//   2. A pass claims due rows (next_at <= now) in order, `batch` at a time. Rows with the same
//      lane (a target's ARN) are delivered one after another in id order, so a FIFO target
//      keeps the order of the requests; rows of different lanes, or without one, in parallel.
//   3. The service's deliver() makes the call and answers undefined (finished: delivered,
//      given up, or dead-lettered: its policy, not the outbox's) or a retry time on the Nimbus
//      clock; the row is then deleted, or rescheduled with attempts + 1 and the error.
//   4. The worker (core/clock/background-worker.ts) sleeps until the earliest retry, wakes on
//      clock advances, pauses for chaos, and resumes what a previous run left at start.
// All outboxes share one table, nimbus_outbox, told apart by the `outbox` column. It is created
// by `migration` (a step of the service's numbered migrations) or on first enqueue.
import { startWorker, type BackgroundWorker, type WorkerHost } from "../clock/background-worker.js";
import type { EventBus } from "./bus.js";
import { perDatabase, type Db, type Migration } from "../state/database.js";

export interface OutboxRow<T> {
  id: number;
  item: T;
  lane: string | null;
  /** Failed attempts so far. */
  attempts: number;
  /** Nimbus time of the enqueue (for an age limit). */
  createdAt: number;
}

/** deliver()'s answer when the row must be tried again: when (Nimbus time) and why. */
export interface Retry {
  at: number;
  error?: string;
}

export interface OutboxSpec<T, R extends WorkerHost> {
  /** The `outbox` column's value ("sns", "eventbridge", "s3.notifications"). */
  name: string;
  /** The service whose state reset (POST /_nimbus/state/reset) drops these rows. */
  service: string;
  /** Rows claimed per query; default 32. */
  batch?: number;
  /** Longest wall-clock sleep while a retry waits; default 5 s. */
  maxSleepMs?: number;
  /** Rows of one lane are delivered in order, one at a time; undefined: no ordering. */
  lane?(item: T): string | undefined;
  /** One attempt; see 3. above. Should not throw (a throw is retried after maxSleepMs). */
  deliver(rt: R, row: OutboxRow<T>): Promise<Retry | undefined>;
}

export interface Outbox<T, R extends WorkerHost> {
  readonly name: string;
  /** Creates nimbus_outbox if need be: put it in the service's migrations. */
  readonly migration: Migration;
  /** Starts the worker of rt's database (service start); rows left by a previous run go out. */
  start(rt: R & { events?: EventBus }): void;
  /** Stops the worker of `db`, or every one. */
  stop(db?: Db): void;
  /**
   * Queues `item` (call inside the request's transaction). `state` restores a row of an
   * older layout as it was (attempts, due time, age).
   */
  enqueue(db: Db, item: T, now: number, state?: { attempts?: number; nextAt?: number; createdAt?: number }): void;
  kick(db: Db): void;
  /** Chaos: deliveries stop (rows stay queued, durably) until resumed. */
  pause(db: Db, paused: boolean): { paused: boolean; queued: number };
  /** Rows waiting. */
  count(db: Db): number;
  /** Drops every row of this outbox (the service's reset). */
  reset(db: Db): void;
}

const DDL = `
  CREATE TABLE IF NOT EXISTS nimbus_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox      TEXT NOT NULL,
    lane        TEXT,
    item        TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    last_error  TEXT
  );
  CREATE INDEX IF NOT EXISTS nimbus_outbox_due ON nimbus_outbox (outbox, next_at, id);
`;

export const outboxMigration: Migration = (db) => {
  db.exec(DDL);
};

/**
 * Whether nimbus_outbox exists. Only a positive answer outside a transaction is remembered:
 * a table created inside a request's transaction (a first enqueue) is gone again if that
 * transaction rolls back.
 */
const ready = perDatabase((): { table: boolean } => ({ table: false }));
function hasTable(db: Db): boolean {
  const r = ready(db);
  if (r.table) return true;
  const found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nimbus_outbox'").get() !== undefined;
  if (found && !db.inTransaction) r.table = true;
  return found;
}

/** Prepared once the table exists (hasTable); a statement outlives a rolled-back DDL by re-preparing. */
const statements = perDatabase((db: Db) => ({
  insert: db.prepare("INSERT INTO nimbus_outbox (outbox, lane, item, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
  due: db.prepare("SELECT id, lane, item, attempts, created_at FROM nimbus_outbox WHERE outbox = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?"),
  next: db.prepare("SELECT min(next_at) AS at FROM nimbus_outbox WHERE outbox = ?"),
  done: db.prepare("DELETE FROM nimbus_outbox WHERE id = ?"),
  retry: db.prepare("UPDATE nimbus_outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?"),
  count: db.prepare("SELECT count(*) AS n FROM nimbus_outbox WHERE outbox = ?"),
  reset: db.prepare("DELETE FROM nimbus_outbox WHERE outbox = ?"),
}));

interface DueRow {
  id: number;
  lane: string | null;
  item: string;
  attempts: number;
  created_at: number;
}

export function defineOutbox<T, R extends WorkerHost>(spec: OutboxSpec<T, R>): Outbox<T, R> {
  const batch = spec.batch ?? 32;
  const maxSleep = spec.maxSleepMs ?? 5_000;
  const workers = new Map<Db, { worker: BackgroundWorker; off: () => void }>();

  const attempt = async (rt: R, worker: BackgroundWorker, row: DueRow): Promise<void> => {
    let retry: Retry | undefined;
    try {
      retry = await spec.deliver(rt, { id: row.id, item: JSON.parse(row.item) as T, lane: row.lane, attempts: row.attempts, createdAt: row.created_at });
    } catch (e) {
      retry = { at: rt.clock.now() + maxSleep, error: e instanceof Error ? e.message : String(e) };
    }
    // Stopped meanwhile: the database may be closed; the row stays as it was for the next run.
    if (worker.stopped) return;
    const st = statements(rt.db);
    if (retry) st.retry.run(row.attempts + 1, retry.at, retry.error ?? null, row.id);
    else st.done.run(row.id);
  };

  const run = async (rt: R, worker: BackgroundWorker): Promise<number | undefined> => {
    if (!hasTable(rt.db)) return undefined;
    const st = statements(rt.db);
    for (;;) {
      if (worker.paused || worker.stopped) return undefined;
      const rows = st.due.all(spec.name, rt.clock.now(), batch) as DueRow[];
      if (rows.length === 0) break;
      // 2. One chain per lane (rows without a lane are chains of one), chains in parallel.
      const chains: DueRow[][] = [];
      const byLane = new Map<string, DueRow[]>();
      for (const row of rows) {
        if (row.lane === null) {
          chains.push([row]);
          continue;
        }
        const chain = byLane.get(row.lane);
        if (chain) chain.push(row);
        else {
          const fresh = [row];
          byLane.set(row.lane, fresh);
          chains.push(fresh);
        }
      }
      await Promise.all(
        chains.map(async (chain) => {
          for (const row of chain) await attempt(rt, worker, row);
        }),
      );
      if (worker.stopped) return undefined;
    }
    return (st.next.get(spec.name) as { at: number | null }).at ?? undefined;
  };

  const stopOne = (db: Db): void => {
    const w = workers.get(db);
    if (!w) return;
    w.worker.stop();
    w.off();
    workers.delete(db);
  };

  return {
    name: spec.name,
    migration: outboxMigration,
    start(rt) {
      if (workers.get(rt.db)?.worker.stopped === false) return;
      stopOne(rt.db);
      const worker = startWorker(rt, { name: `${spec.name} outbox`, maxSleepMs: maxSleep, run });
      // A state reset drops the service's documents and tables; its queued deliveries go too.
      const off = rt.events?.on("state.reset", ({ service }) => {
        if ((service === undefined || service === spec.service) && rt.db.open && hasTable(rt.db)) statements(rt.db).reset.run(spec.name);
      });
      workers.set(rt.db, { worker, off: off ?? (() => {}) });
    },
    stop(db) {
      for (const key of [...workers.keys()]) if (!db || key === db) stopOne(key);
    },
    enqueue(db, item, now, state) {
      const lane = spec.lane?.(item) ?? null;
      // A service whose migrations do not create the table (S3) gets it with its first row.
      if (!hasTable(db)) outboxMigration(db);
      statements(db).insert.run(spec.name, lane, JSON.stringify(item), state?.attempts ?? 0, state?.nextAt ?? now, state?.createdAt ?? now);
      // The pass runs on a later tick: after the caller's transaction has committed.
      workers.get(db)?.worker.kick();
    },
    kick(db) {
      workers.get(db)?.worker.kick();
    },
    pause(db, paused) {
      const w = workers.get(db);
      if (!w) throw new Error(`${spec.name} delivery is not running`);
      w.worker.pause(paused);
      return { paused, queued: this.count(db) };
    },
    count(db) {
      return hasTable(db) ? (statements(db).count.get(spec.name) as { n: number }).n : 0;
    },
    reset(db) {
      if (hasTable(db)) statements(db).reset.run(spec.name);
    },
  };
}
