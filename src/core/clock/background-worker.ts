// One background runner on the Nimbus clock, for work that becomes due later: deliveries to
// retry, schedules to fire, items to expire. A service describes one pass (`run`: do what is
// due now, answer when the next thing is due) and gets a worker that
//   - runs a pass soon after kick() (a request wrote something due), never two at once: a kick
//     during a pass runs another one right after it, so nothing written meanwhile waits;
//   - sleeps until the time the pass answered (at most maxSleepMs of wall time) and wakes
//     early on every clock advance, so advancing the clock makes what it passed due at once;
//   - runs a first pass at start, which is how work a previous run left (a restart) resumes;
//   - can be paused (chaos: a target unreachable) and stopped (Nimbus closing): stop() waits
//     for a pass that is running (bounded), and Nimbus.close() stops every worker of its
//     database (stopWorkers) before it closes that database, so no pass has it closed under it
//     whether or not the service's own stop hook awaited its workers.
// Why one primitive: SNS, EventBridge and S3 notifications each grew the same start / stop /
// kick-with-"again" / timer / onAdvance loop, with small differences nobody meant.
import type { Db } from "../state/database.js";
import type { Clock } from "./clock.js";

/** What a worker needs of its service's runtime (ServiceRuntime has both). */
export interface WorkerHost {
  db: Db;
  clock: Clock;
}

export interface WorkerSpec<R extends WorkerHost> {
  /** Names the worker in error logs. */
  name: string;
  /**
   * One pass over what is due. Resolves to the Nimbus time (ms) when something is next due,
   * or undefined when nothing waits (a kick or a clock advance starts the next pass).
   */
  run(rt: R, worker: BackgroundWorker): Promise<number | undefined> | number | undefined;
  /** Longest wall-clock sleep between passes while something waits; default 5 s. */
  maxSleepMs?: number;
  /**
   * A clock advance starts the pass at once, inside the advance, instead of on the next tick:
   * a synchronous run (expiry sweeps) is then done before POST /_nimbus/clock answers, so what
   * the advance expired is gone for the caller's next request.
   */
  runOnAdvance?: boolean;
}

export interface BackgroundWorker {
  readonly name: string;
  readonly stopped: boolean;
  readonly paused: boolean;
  /** Run a pass soon (after the caller's synchronous transaction has committed). */
  kick(): void;
  /** Paused: no pass runs and kicks are ignored until resumed; resuming kicks. */
  pause(paused: boolean): void;
  /**
   * No pass starts any more; resolves once the pass that is running (if any) has ended, or
   * after STOP_WAIT_MS (a pass stuck on something outside, e.g. a hung invoke: its later
   * database writes then fail as a closed database, which ends it quietly).
   */
  stop(): Promise<void>;
}

const MIN_SLEEP_MS = 10;
/** Longest stop() waits for a running pass. */
export const STOP_WAIT_MS = 10_000;

/** The live workers of each database: Nimbus.close() stops them all before closing it. */
const live = new WeakMap<Db, Set<BackgroundWorker>>();

/** Stops every worker of `db` and waits for their running passes (each bounded by STOP_WAIT_MS). */
export async function stopWorkers(db: Db): Promise<void> {
  const set = live.get(db);
  if (!set) return;
  await Promise.all([...set].map((w) => w.stop()));
}

/** Starts a worker for one runtime; its first pass runs on the next tick. */
export function startWorker<R extends WorkerHost>(rt: R, spec: WorkerSpec<R>): BackgroundWorker {
  const maxSleep = spec.maxSleepMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  /** The pass that is running, for stop() to wait on. */
  let current: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let paused = false;

  /** A pass is already due on the next tick (many enqueues in one request cost one timer). */
  let immediate = false;
  const schedule = (delay: number): void => {
    if (timer) {
      if (immediate) return;
      clearTimeout(timer);
    }
    immediate = delay === 0;
    timer = setTimeout(() => void pass(), delay);
    // The server keeps the process alive; a pending retry alone must not (tests, embedding).
    timer.unref();
  };

  const pass = (): Promise<void> => {
    const p = passBody();
    current = p;
    void p.finally(() => {
      if (current === p) current = undefined;
    });
    return p;
  };

  const passBody = async (): Promise<void> => {
    timer = undefined;
    immediate = false;
    if (stopped || paused) return;
    running = true;
    again = false;
    let next: number | undefined;
    try {
      next = await spec.run(rt, worker);
    } catch (e) {
      // A closed database is Nimbus stopping under the pass: nothing more to do. Anything else
      // is logged and the pass is tried again later rather than leaving the work stranded.
      if (!rt.db.open) stopped = true;
      else {
        console.error(`${spec.name}:`, e);
        next = rt.clock.now() + maxSleep;
      }
    } finally {
      running = false;
    }
    if (stopped || paused) return;
    if (again) return schedule(0);
    if (next !== undefined) schedule(Math.min(maxSleep, Math.max(MIN_SLEEP_MS, next - rt.clock.now())));
  };

  const kick = (): void => {
    if (stopped || paused) return;
    if (running) {
      again = true;
      return;
    }
    schedule(0);
  };

  const runNow = (): void => {
    if (stopped || paused) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    void pass(); // runs synchronously up to the run's first await
  };

  const unsubscribe = rt.clock.onAdvance(spec.runOnAdvance ? runNow : kick);
  const worker: BackgroundWorker = {
    name: spec.name,
    get stopped() {
      return stopped;
    },
    get paused() {
      return paused;
    },
    kick,
    pause(p: boolean) {
      paused = p;
      if (p && timer) {
        clearTimeout(timer);
        timer = undefined;
        immediate = false;
      }
      if (!p) kick();
    },
    stop() {
      stopped = true;
      unsubscribe();
      live.get(rt.db)?.delete(worker);
      if (timer) clearTimeout(timer);
      timer = undefined;
      immediate = false;
      const p = current;
      if (!p) return Promise.resolve();
      let bound: NodeJS.Timeout | undefined;
      return Promise.race([p, new Promise<void>((res) => (bound = setTimeout(res, STOP_WAIT_MS)).unref())]).finally(() => clearTimeout(bound));
    },
  };
  let set = live.get(rt.db);
  if (!set) live.set(rt.db, (set = new Set()));
  set.add(worker);
  kick();
  return worker;
}

/** A service's worker, one per database (a Nimbus): start/stop from its hooks, kick from its handlers. */
export interface WorkerSet<R extends WorkerHost> {
  /** Starts the worker of rt's database (once; a second start returns the running one). */
  start(rt: R): BackgroundWorker;
  /** Stops the worker of `db`, or every one (the stop hook without a runtime); resolves when their passes have ended. */
  stop(db?: Db): Promise<void>;
  get(db: Db): BackgroundWorker | undefined;
  kick(db: Db): void;
}

export function workerPerDatabase<R extends WorkerHost>(spec: WorkerSpec<R>): WorkerSet<R> {
  const workers = new Map<Db, BackgroundWorker>();
  return {
    start(rt) {
      let w = workers.get(rt.db);
      if (!w || w.stopped) workers.set(rt.db, (w = startWorker(rt, spec)));
      return w;
    },
    stop(db) {
      const waits: Array<Promise<void>> = [];
      for (const [key, w] of [...workers]) {
        if (db && key !== db) continue;
        waits.push(w.stop());
        workers.delete(key);
      }
      return Promise.all(waits).then(() => undefined);
    },
    get: (db) => workers.get(db),
    kick: (db) => workers.get(db)?.kick(),
  };
}
