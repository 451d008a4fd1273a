// The chassis's background worker (core/clock/background-worker.ts) and durable outbox
// (core/events/outbox.ts) on a real database and the real clock: passes after kicks (one more
// after a kick during a pass), on clock advances, none while paused or stopped; the outbox
// commits with the caller's transaction, keeps one lane's order while others proceed, retries
// on the clock with the attempt counted and the error kept, pauses, resets, and resumes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startWorker } from "../../src/core/clock/background-worker.js";
import { Clock } from "../../src/core/clock/clock.js";
import { defineOutbox, type OutboxRow } from "../../src/core/events/outbox.js";
import { inTransaction, openDatabase, type Db } from "../../src/core/state/database.js";

const dirs: string[] = [];
const dbs: Db[] = [];
function fresh(): { db: Db; clock: Clock } {
  const dir = mkdtempSync(join(tmpdir(), "nimbus-bg-"));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  return { db, clock: new Clock() };
}
afterAll(() => {
  for (const db of dbs) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Lets every timer of 0 ms and every microtask queued so far run (a few turns of the loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

describe("background worker", () => {
  it("runs at start, once more after a kick during a pass, on clock advances, and not while paused or stopped", async () => {
    const rt = fresh();
    let passes = 0;
    const w = startWorker(rt, {
      name: "test",
      run: async (_rt, self) => {
        passes++;
        if (passes === 1) self.kick(); // work written while the pass runs
        await Promise.resolve();
        return undefined;
      },
    });
    await vi.waitFor(() => expect(passes).toBe(2));
    await settle();
    expect(passes).toBe(2);
    rt.clock.advance(1000);
    await vi.waitFor(() => expect(passes).toBe(3));
    w.pause(true);
    w.kick();
    rt.clock.advance(1000);
    await settle();
    expect(passes).toBe(3);
    w.pause(false);
    await vi.waitFor(() => expect(passes).toBe(4));
    w.stop();
    w.kick();
    rt.clock.advance(1000);
    await settle();
    expect(passes).toBe(4);
    expect(w.stopped).toBe(true);
  });
});

describe("background worker with runOnAdvance", () => {
  it("has run a synchronous pass by the time the clock advance returns", async () => {
    const rt = fresh();
    const seenAt: number[] = [];
    const w = startWorker(rt, { name: "sweep", runOnAdvance: true, maxSleepMs: 60_000, run: (r) => (seenAt.push(r.clock.offset()), r.clock.now() + 60_000) });
    await vi.waitFor(() => expect(seenAt).toEqual([0]));
    rt.clock.advance(86_400_000);
    expect(seenAt).toEqual([0, 86_400_000]);
    w.stop();
  });
});

describe("durable outbox", () => {
  interface Item {
    name: string;
    target: string;
  }

  function setup() {
    const rt = fresh();
    const delivered: string[] = [];
    const seen: Array<{ name: string; attempts: number }> = [];
    const blocked = new Map<string, Promise<void>>();
    const failOnce = new Set<string>();
    const outbox = defineOutbox<Item, { db: Db; clock: Clock }>({
      name: `test-${dirs.length}`,
      service: "test",
      lane: (i) => i.target,
      async deliver(r, row: OutboxRow<Item>) {
        seen.push({ name: row.item.name, attempts: row.attempts });
        await blocked.get(row.item.name);
        if (failOnce.delete(row.item.name)) return { at: r.clock.now() + 60_000, error: "target missing" };
        delivered.push(row.item.name);
        return undefined;
      },
    });
    outboxes.push({ outbox, db: rt.db });
    return { rt, outbox, delivered, seen, blocked, failOnce };
  }
  const outboxes: Array<{ outbox: { stop(db?: Db): void }; db: Db }> = [];
  afterAll(() => {
    for (const o of outboxes) o.outbox.stop(o.db);
  });

  it("enqueues with the caller's transaction: a rolled-back request delivers nothing", async () => {
    const { rt, outbox, delivered } = setup();
    outbox.start(rt);
    expect(() =>
      inTransaction(rt.db, () => {
        outbox.enqueue(rt.db, { name: "lost", target: "a" }, rt.clock.now());
        throw new Error("request failed");
      }),
    ).toThrow("request failed");
    inTransaction(rt.db, () => outbox.enqueue(rt.db, { name: "kept", target: "a" }, rt.clock.now()));
    await vi.waitFor(() => expect(delivered).toEqual(["kept"]));
    expect(outbox.count(rt.db)).toBe(0);
  });

  it("keeps one lane in order while another lane proceeds", async () => {
    const { rt, outbox, delivered, blocked } = setup();
    let release!: () => void;
    blocked.set("a1", new Promise<void>((r) => (release = r)));
    inTransaction(rt.db, () => {
      for (const [name, target] of [["a1", "a"], ["a2", "a"], ["b1", "b"], ["a3", "a"]]) outbox.enqueue(rt.db, { name, target }, rt.clock.now());
    });
    outbox.start(rt);
    await vi.waitFor(() => expect(delivered).toEqual(["b1"]));
    await settle();
    expect(delivered).toEqual(["b1"]);
    release();
    await vi.waitFor(() => expect(delivered).toEqual(["b1", "a1", "a2", "a3"]));
  });

  it("retries on the Nimbus clock with the attempt counted and the error kept", async () => {
    const { rt, outbox, delivered, seen, failOnce } = setup();
    outbox.start(rt);
    failOnce.add("flaky");
    outbox.enqueue(rt.db, { name: "flaky", target: "t" }, rt.clock.now());
    await vi.waitFor(() => expect(seen).toEqual([{ name: "flaky", attempts: 0 }]));
    await vi.waitFor(() => expect(rt.db.prepare("SELECT attempts, last_error FROM nimbus_outbox WHERE outbox = ?").get(outbox.name)).toEqual({ attempts: 1, last_error: "target missing" }));
    await settle();
    expect(delivered).toEqual([]);
    rt.clock.advance(60_000);
    await vi.waitFor(() => expect(delivered).toEqual(["flaky"]));
    expect(seen).toEqual([
      { name: "flaky", attempts: 0 },
      { name: "flaky", attempts: 1 },
    ]);
    expect(outbox.count(rt.db)).toBe(0);
  });

  it("holds deliveries while paused, delivers on resume, and resets", async () => {
    const { rt, outbox, delivered } = setup();
    outbox.start(rt);
    expect(outbox.pause(rt.db, true)).toEqual({ paused: true, queued: 0 });
    outbox.enqueue(rt.db, { name: "held", target: "t" }, rt.clock.now());
    outbox.enqueue(rt.db, { name: "dropped", target: "u" }, rt.clock.now() + 3_600_000);
    await settle();
    expect(delivered).toEqual([]);
    expect(outbox.count(rt.db)).toBe(2);
    expect(outbox.pause(rt.db, false)).toEqual({ paused: false, queued: 2 });
    await vi.waitFor(() => expect(delivered).toEqual(["held"]));
    outbox.reset(rt.db);
    expect(outbox.count(rt.db)).toBe(0);
    rt.clock.advance(3_600_000);
    await settle();
    expect(delivered).toEqual(["held"]);
  });

  it("resumes what was queued while stopped when started again (a restart)", async () => {
    const { rt, outbox, delivered } = setup();
    outbox.start(rt);
    outbox.stop(rt.db);
    outbox.enqueue(rt.db, { name: "waiting", target: "t" }, rt.clock.now());
    await settle();
    expect(delivered).toEqual([]);
    outbox.start(rt);
    await vi.waitFor(() => expect(delivered).toEqual(["waiting"]));
  });
});
