// Long polling without busy polling: a ReceiveMessage that finds nothing parks here until a
// send (or a visibility change, a DLQ move, a redrive) to its queue wakes it, the Nimbus clock
// is advanced, the next hidden message of the queue becomes visible, or its wait ends.
// Waits are measured in wall time: WaitTimeSeconds is how long the caller's HTTP request is
// held open, not a span of Nimbus time (advancing the clock only wakes waiters to look again).

type Wake = () => void;

export class LongPoll {
  private readonly waiters = new Map<number, Set<Wake>>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves on notify(queueId), notifyAll(), close(), or after ms (wall time). */
  wait(queueId: number, ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(queueId);
      if (!set) this.waiters.set(queueId, (set = new Set()));
      const s = set;
      const wake: Wake = () => {
        clearTimeout(timer);
        s.delete(wake);
        if (s.size === 0 && this.waiters.get(queueId) === s) this.waiters.delete(queueId);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, Math.min(ms, 2_147_483_647)));
      s.add(wake);
    });
  }

  notify(queueId: number): void {
    const set = this.waiters.get(queueId);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  notifyAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }

  /** Wakes every waiter and refuses new waits (server shutdown). */
  close(): void {
    this.closed = true;
    this.notifyAll();
  }

  /** Number of parked receives (for tests and the console). */
  size(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
