// Runs message move tasks (StartMessageMoveTask) in the background: every tick moves a batch
// of the source queue's visible messages (those present when the task started) to the
// destination queue, or back to the queue each message was dead-lettered from. Progress is
// committed with every batch, so a restart resumes RUNNING tasks where they stopped.
import type { Clock } from "../../core/clock/clock.js";
import type { LongPoll } from "./long-poll.js";
import type { MoveTaskRow, QueueRecord, SqsStore } from "./store.js";
import { parseArn } from "./common.js";
import { moveMessage } from "./redrive.js";

const TICK_MS = 100;
/** Messages per tick when the task sets no MaxNumberOfMessagesPerSecond ("system optimized"). */
const UNLIMITED_BATCH = 200;

export class MoveTaskRunner {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly credit = new Map<string, number>();

  constructor(
    private readonly store: SqsStore,
    private readonly clock: Clock,
    private readonly longPoll: LongPoll,
  ) {}

  /** Schedules a tick soon (a task was started or cancelled, or the clock moved). */
  kick(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, delay);
    this.timer.unref();
  }

  private tick(): void {
    let active = false;
    try {
      for (const task of this.store.activeTasks()) {
        if (this.step(task)) active = true;
      }
    } catch {
      // The database may be closing (server shutdown); nothing to do.
      return;
    }
    if (active) this.schedule(TICK_MS);
  }

  /** Advances one task; true while it still runs. */
  private step(task: MoveTaskRow): boolean {
    if (task.status === "CANCELLING") {
      this.finish(task, "CANCELLED", null);
      return false;
    }
    const source = this.queueOf(task.source_arn);
    if (!source) {
      this.finish(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue");
      return false;
    }
    const credit = (this.credit.get(task.task_id) ?? 0) + (task.max_per_second ? (task.max_per_second * TICK_MS) / 1000 : UNLIMITED_BATCH);
    const batch = Math.floor(credit);
    this.credit.set(task.task_id, credit - batch);
    if (batch === 0) return true;

    const now = this.clock.now();
    const touched = new Set<number>();
    let moved = task.moved;
    let failure: string | null = null;
    const rows = this.store.movable(source.id, source.fifo, task.max_seq, now, batch);
    this.store.tx(() => {
      for (const row of rows) {
        const target = task.destination_arn ? this.queueOf(task.destination_arn) : row.dlq_source_arn ? this.queueOf(row.dlq_source_arn) : undefined;
        if (!target || target.fifo !== source.fifo) {
          failure = "AWS.SimpleQueueService.NonExistentQueue";
          break;
        }
        moveMessage(this.store, row, target, now, { resetReceiveCount: true, deadLetterSourceArn: null });
        touched.add(target.id);
        moved++;
      }
      this.store.updateTask(task.task_id, failure ? "FAILED" : "RUNNING", moved, failure);
    });
    for (const id of touched) this.longPoll.notify(id);
    if (failure) {
      this.credit.delete(task.task_id);
      return false;
    }
    if (rows.length < batch) {
      this.finish({ ...task, moved }, "COMPLETED", null);
      return false;
    }
    return true;
  }

  private finish(task: MoveTaskRow, status: string, reason: string | null): void {
    this.credit.delete(task.task_id);
    this.store.updateTask(task.task_id, status, task.moved, reason);
  }

  private queueOf(arn: string): QueueRecord | undefined {
    const a = parseArn(arn);
    return a ? this.store.queue(a.account, a.region, a.name) : undefined;
  }
}
