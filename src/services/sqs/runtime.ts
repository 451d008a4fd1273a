// Per-Nimbus SQS runtime (one per database): parked long polls, the message move task runner
// and the clock subscription that wakes waiters when Nimbus time is advanced.
import type { Db } from "../../core/state/database.js";
import type { Clock } from "../../core/clock/clock.js";
import { LongPoll } from "./long-poll.js";
import { MoveTaskRunner } from "./move-runner.js";
import { sqsStore } from "./store.js";

export interface SqsRuntime {
  longPoll: LongPoll;
  moves: MoveTaskRunner;
  clock: Clock;
  close(): void;
}

const runtimes = new Map<Db, SqsRuntime>();

export function runtimeOf(db: Db, clock: Clock): SqsRuntime {
  let rt = runtimes.get(db);
  if (!rt) {
    const longPoll = new LongPoll();
    const moves = new MoveTaskRunner(sqsStore(db), clock, longPoll);
    const unsubscribe = clock.onAdvance(() => {
      longPoll.notifyAll();
      moves.kick();
    });
    const created: SqsRuntime = {
      longPoll,
      moves,
      clock,
      close() {
        unsubscribe();
        moves.stop();
        longPoll.close();
        runtimes.delete(db);
      },
    };
    runtimes.set(db, created);
    // Resume message move tasks left RUNNING (by a restart, or a runtime closed by stop()).
    moves.kick();
    rt = created;
  }
  return rt;
}

/** Closes the runtime of one database, or of every database when none is named. */
export function closeRuntimes(db?: Db): void {
  if (db) {
    runtimes.get(db)?.close();
    return;
  }
  for (const rt of [...runtimes.values()]) rt.close();
}
