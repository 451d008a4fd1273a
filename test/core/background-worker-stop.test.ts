// Stopping a background worker (core/clock/background-worker.ts) while its pass runs: stop()
// resolves only once the pass has ended, and a Nimbus closing during a long pass lets the pass
// finish its writes before the database closes (it neither throws nor leaves the work half-done).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startWorker } from "../../src/core/clock/background-worker.js";
import { Clock } from "../../src/core/clock/clock.js";
import { inTransaction, openDatabase, type Db } from "../../src/core/state/database.js";
import { startNimbus } from "../support/nimbus.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A pass that writes `steps` rows, one per turn of the event loop with a pause between, in order. */
function slowPass(db: Db, steps: number, started: () => void) {
  return async (): Promise<undefined> => {
    started();
    for (let i = 0; i < steps; i++) {
      await new Promise((r) => setTimeout(r, 20));
      inTransaction(db, () => db.prepare("INSERT INTO work (step) VALUES (?)").run(i));
    }
    return undefined;
  };
}

describe("background worker stop", () => {
  it("stop() resolves only after the running pass has ended", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nimbus-bgstop-"));
    dirs.push(dir);
    const db = openDatabase(dir);
    db.exec("CREATE TABLE work (step INTEGER)");
    let started = false;
    const w = startWorker({ db, clock: new Clock() }, { name: "slow", run: slowPass(db, 10, () => (started = true)) });
    await vi.waitFor(() => expect(started).toBe(true));
    await w.stop();
    // Every step of the pass is written by the time stop() resolves; closing now is safe.
    expect(db.prepare("SELECT COUNT(*) FROM work").pluck().get()).toBe(10);
    db.close();
    // Stopping again (a second stop hook) answers at once.
    await w.stop();
  });

  it("a Nimbus closed during a long pass waits for it: no error, every write of the pass kept", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nimbus-bgstop-"));
    dirs.push(dataDir);
    const n = await startNimbus({ dataDir });
    const db = n.nimbus.db;
    db.exec("CREATE TABLE work (step INTEGER)");
    let started = false;
    const errors: unknown[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...a) => void errors.push(a));
    try {
      // A worker whose owner never awaits its stop: Nimbus.close() must still wait for it.
      startWorker({ db, clock: n.nimbus.clock }, { name: "slow", run: slowPass(db, 15, () => (started = true)) });
      await vi.waitFor(() => expect(started).toBe(true));
      await n.stop({ keepData: true });
    } finally {
      spy.mockRestore();
    }
    expect(errors).toEqual([]);
    expect(db.open).toBe(false);
    const again = openDatabase(dataDir);
    try {
      expect(again.prepare("SELECT step FROM work ORDER BY rowid").pluck().all()).toEqual([...Array(15).keys()]);
    } finally {
      again.close();
    }
  });
});
