// Group commit for DynamoDB writes. A write request's changes run in a transaction that commits
// (and fsyncs, synchronous=FULL) before the request is answered; nothing is answered before its
// commit is durable.
//
// 1. A lone write (nothing queued, no other DynamoDB write committed yet in this event-loop
//    turn, no transaction open) commits at once, inside its handler. Waiting for the check phase
//    to see whether company arrives cost a sequential client's PutItem 8-20 µs of CPU
//    (bench/dynamodb-pipeline.mjs) and bought nothing: one request, one fsync either way.
// 2. A write that arrives in a turn where one has already committed directly is a sign of
//    concurrency (requests that came in while that commit's fsync blocked the loop): it is
//    queued, and every write queued in the turn commits together at the next check phase, each
//    in its own savepoint (better-sqlite3 nests transactions that way), so one that fails rolls
//    back alone, and the group shares a single fsync.
// A turn is over when the check phase runs: one setImmediate per turn that committed directly
// marks it (it delays no answer).
// 3. A database that never fsyncs (--ephemeral, core/state/database.ts commitsFsync) has no
//    fsync for company to share: every write there commits at once, like step 1, and no turn
//    is marked. The mark's setImmediate was a check phase and an Immediate per PutItem: 2.5%
//    of its CPU over sockets (A/B in both positions: 0.987, 0.955, 0.973, 0.984).
import { commitsFsync, inTransaction, type Db } from "../../../core/state/database.js";

interface Job {
  fn: () => unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface CommitState {
  /** Writes waiting for the check phase (undefined: none). */
  queue: Job[] | undefined;
  /** A write committed directly in the current turn. */
  directThisTurn: boolean;
  /** Whether the database's commits fsync (commitsFsync); when not, writes never queue. */
  fsyncs: boolean;
}

const states = new WeakMap<Db, CommitState>();

/**
 * How a database's transactions are run: the DynamoDB store registers its own (store.ts tx(),
 * which also keeps the in-memory item counts in step with commits and rollbacks); anything else
 * runs through core's inTransaction.
 */
const runners = new WeakMap<Db, <R>(fn: () => R) => R>();

export function useTransactionRunner(db: Db, run: <R>(fn: () => R) => R): void {
  runners.set(db, run);
}

function runIn<R>(db: Db, fn: () => R): R {
  const run = runners.get(db);
  return run ? run(fn) : inTransaction(db, fn);
}

/** How the writes of a database were committed (for tests and benches: lone vs grouped). */
export const commitCounts = { direct: 0, groups: 0, grouped: 0 };

/**
 * Runs `fn` inside a durable transaction, alone or shared with the writes queued beside it.
 * (A lone PutItem that is one SQL statement runs it in SQLite's autocommit instead, through
 * commitsAlone: as atomic and durable, the same synchronous setting, without BEGIN and COMMIT.)
 */
export function groupCommit<R>(db: Db, fn: () => R): Promise<R> {
  const s = stateOf(db);
  // 1. Alone: commit now.
  if (commitsAloneIn(db, s)) {
    try {
      return Promise.resolve(runIn(db, fn));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  // 2. In company: queue for the check phase.
  return new Promise<R>((resolve, reject) => {
    const st = s;
    if (st.queue === undefined) {
      st.queue = [];
      setImmediate(flush, db, st);
    }
    st.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
  });
}

function stateOf(db: Db): CommitState {
  let s = states.get(db);
  if (!s) {
    s = { queue: undefined, directThisTurn: false, fsyncs: commitsFsync(db) };
    states.set(db, s);
  }
  return s;
}

function commitsAloneIn(db: Db, s: CommitState): boolean {
  if (s.queue !== undefined || s.directThisTurn || db.inTransaction) return false;
  // 3. Never fsynced: at once, unmarked.
  if (!s.fsyncs) {
    commitCounts.direct++;
    return true;
  }
  s.directThisTurn = true;
  setImmediate(endTurn, s);
  commitCounts.direct++;
  return true;
}

/**
 * groupCommit's step 1 for a caller that runs its write itself (PutItem, which then builds no
 * closures): true when a write may commit now, alone, and the turn is marked as having had one
 * (as groupCommit would); the caller must then commit at once, in autocommit or runWrite.
 * False: the write must go through groupCommit (it queues).
 */
export function commitsAlone(db: Db): boolean {
  return commitsAloneIn(db, stateOf(db));
}

/** Runs fn in a transaction the way groupCommit's lone path does (the store's runner). */
export function runWrite<R>(db: Db, fn: () => R): R {
  return runIn(db, fn);
}

function endTurn(s: CommitState): void {
  s.directThisTurn = false;
}

function flush(db: Db, s: CommitState): void {
  const q = s.queue!;
  s.queue = undefined;
  commitCounts.groups++;
  commitCounts.grouped += q.length;
  if (q.length === 1) {
    const job = q[0];
    try {
      job.resolve(runIn(db, job.fn));
    } catch (e) {
      job.reject(e);
    }
    return;
  }
  const outcomes: Array<{ ok: boolean; v: unknown }> = [];
  try {
    runIn(db, () => {
      for (const job of q) {
        try {
          outcomes.push({ ok: true, v: runIn(db, job.fn) });
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
