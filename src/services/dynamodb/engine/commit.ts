// Group commit for DynamoDB writes. A write request's changes run in a transaction that commits
// (and fsyncs, synchronous=FULL) before the request is answered. Requests that arrive while the
// event loop is busy are queued and committed together at the next check phase: each runs in
// its own savepoint (better-sqlite3 nests transactions that way), so one that fails rolls back
// alone, and the group shares a single fsync. Nothing is answered before its commit is durable.
import { inTransaction, type Db } from "../../../core/state/database.js";

interface Job {
  fn: () => unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

const queues = new WeakMap<Db, Job[]>();

/** Runs `fn` inside a durable transaction shared with the writes queued beside it. */
export function groupCommit<R>(db: Db, fn: () => R): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let q = queues.get(db);
    if (!q) {
      q = [];
      queues.set(db, q);
      setImmediate(flush, db);
    }
    q.push({ fn, resolve: resolve as (v: unknown) => void, reject });
  });
}

function flush(db: Db): void {
  const q = queues.get(db)!;
  queues.delete(db);
  if (q.length === 1) {
    const job = q[0];
    try {
      job.resolve(inTransaction(db, job.fn));
    } catch (e) {
      job.reject(e);
    }
    return;
  }
  const outcomes: Array<{ ok: boolean; v: unknown }> = [];
  try {
    inTransaction(db, () => {
      for (const job of q) {
        try {
          outcomes.push({ ok: true, v: inTransaction(db, job.fn) });
        } catch (e) {
          outcomes.push({ ok: false, v: e });
        }
      }
    });
  } catch (e) {
    // The commit itself failed: nothing of the group is durable.
    for (const job of q) job.reject(e);
    return;
  }
  q.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].v) : job.reject(outcomes[i].v)));
}
