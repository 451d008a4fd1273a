// Group commit: a lone write commits inside its handler; writes that arrive in the same
// event-loop turn as one already committed share one transaction (one fsync) at the check
// phase, each in its own savepoint.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../../core/state/database.js";
import { commitCounts, commitsAlone, groupCommit } from "./commit.js";

describe("groupCommit", () => {
  let dir: string;
  let db: Database.Database;
  const rows = () => (db.prepare("SELECT k FROM t ORDER BY k").all() as Array<{ k: string }>).map((r) => r.k);
  const insert = (k: string) => () => db.prepare("INSERT INTO t (k) VALUES (?)").run(k).changes;
  const nextTurn = () => new Promise((r) => setImmediate(r));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ddb-commit-"));
    db = new Database(join(dir, "db"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits a lone write at once and groups the writes that follow it in the same turn", async () => {
    const before = { ...commitCounts };
    const first = groupCommit(db, insert("a"));
    // Committed before groupCommit returned: visible, and no transaction left open.
    expect(rows()).toEqual(["a"]);
    expect(db.inTransaction).toBe(false);
    const rest = ["b", "c", "d"].map((k) => groupCommit(db, insert(k)));
    expect(rows()).toEqual(["a"]);
    expect(await first).toBe(1);
    expect(await Promise.all(rest)).toEqual([1, 1, 1]);
    expect(rows()).toEqual(["a", "b", "c", "d"]);
    expect(commitCounts.direct - before.direct).toBe(1);
    expect(commitCounts.groups - before.groups).toBe(1);
    expect(commitCounts.grouped - before.grouped).toBe(3);

    // The next turn starts alone again.
    await nextTurn();
    const lone = groupCommit(db, insert("e"));
    expect(rows()).toContain("e");
    await lone;
    expect(commitCounts.direct - before.direct).toBe(2);
  });

  it("commitsAlone claims the turn as groupCommit's lone path does: once per turn, never beside a queue or in a transaction", async () => {
    await nextTurn();
    const before = commitCounts.direct;
    expect(commitsAlone(db)).toBe(true);
    // The caller committed alone: a second write of the turn, claimed or through groupCommit, queues.
    expect(commitsAlone(db)).toBe(false);
    const queued = groupCommit(db, insert("q"));
    expect(rows()).toEqual([]);
    expect(await queued).toBe(1);
    expect(commitCounts.direct - before).toBe(1);
    await nextTurn();
    // A write queued in this turn: none may claim it.
    const lone = groupCommit(db, insert("r"));
    const second = groupCommit(db, insert("s"));
    expect(commitsAlone(db)).toBe(false);
    await Promise.all([lone, second]);
    await nextTurn();
    db.exec("BEGIN");
    expect(commitsAlone(db)).toBe(false);
    db.exec("COMMIT");
    expect(commitsAlone(db)).toBe(true);
    expect(rows()).toEqual(["q", "r", "s"]);
  });

  it("rolls back a failing write alone, in a group and alone", async () => {
    await nextTurn();
    const failing = () => {
      db.prepare("INSERT INTO t (k) VALUES ('partial')").run();
      throw new Error("condition failed");
    };
    await expect(groupCommit(db, failing)).rejects.toThrow("condition failed");
    expect(rows()).toEqual([]);
    // Now the turn has had a direct commit: these three share one transaction.
    const group = [groupCommit(db, insert("x")), groupCommit(db, failing), groupCommit(db, insert("y"))];
    const settled = await Promise.allSettled(group);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(rows()).toEqual(["x", "y"]);
  });

  it("on a database that never fsyncs (--ephemeral), commits every write of a turn at once", async () => {
    const ephDir = mkdtempSync(join(tmpdir(), "ddb-commit-eph-"));
    const eph = openDatabase(ephDir, (d) => d.exec("CREATE TABLE t (k TEXT PRIMARY KEY)"), { durable: false });
    try {
      await nextTurn();
      const before = { ...commitCounts };
      const put = (k: string) => () => eph.prepare("INSERT INTO t (k) VALUES (?)").run(k).changes;
      const writes = ["a", "b", "c"].map((k) => groupCommit(eph, put(k)));
      // No queue for the check phase: all three are committed before the first await.
      expect(eph.prepare("SELECT count(*) FROM t").pluck().get()).toBe(3);
      expect(await Promise.all(writes)).toEqual([1, 1, 1]);
      expect(commitsAlone(eph)).toBe(true);
      expect(commitsAlone(eph)).toBe(true);
      expect(commitCounts.direct - before.direct).toBe(5);
      expect(commitCounts.groups - before.groups).toBe(0);
    } finally {
      eph.close();
      rmSync(ephDir, { recursive: true, force: true });
    }
  });

  it("queues a write made while a transaction is open", async () => {
    await nextTurn();
    const before = { ...commitCounts };
    let p: Promise<unknown> | undefined;
    db.transaction(() => {
      p = groupCommit(db, insert("inner"));
    })();
    expect(rows()).toEqual([]);
    await p;
    expect(rows()).toEqual(["inner"]);
    expect(commitCounts.direct - before.direct).toBe(0);
    expect(commitCounts.groups - before.groups).toBe(1);
  });
});
