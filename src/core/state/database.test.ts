// nimbus.db's one connection: held with locking_mode=EXCLUSIVE (no -shm file, no second
// opener), a second Nimbus on the data dir is refused with one line, the lock goes with the
// connection, and withoutFsync leaves the connection fsyncing again.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, withoutFsync } from "./database.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "nimbus-db-"));
  dirs.push(d);
  return d;
};

describe("nimbus.db", () => {
  it("is held exclusively: the WAL index in memory, other openers refused until it closes", () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.prepare("INSERT INTO nimbus_meta (key, value) VALUES ('k', 'v')").run();
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("locking_mode", { simple: true })).toBe("exclusive");
    expect(existsSync(join(dir, "nimbus.db-wal"))).toBe(true);
    expect(existsSync(join(dir, "nimbus.db-shm"))).toBe(false);
    // A second Nimbus on the same data dir.
    let refused: unknown;
    try {
      openDatabase(dir);
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ name: "NimbusError", code: "ERR_DATA_DIR_LOCKED" });
    expect((refused as Error).message).toContain(`${dir} is in use by another process`);
    // Any other reader (a sqlite3 shell) is kept out as well.
    const reader = new Database(join(dir, "nimbus.db"), { readonly: true, timeout: 0 });
    expect(() => reader.prepare("SELECT value FROM nimbus_meta").get()).toThrow(/locked/);
    reader.close();
    db.close();
    const again = openDatabase(dir);
    expect(again.prepare("SELECT value FROM nimbus_meta WHERE key = 'k'").pluck().get()).toBe("v");
    again.close();
  });

  it("withoutFsync commits with synchronous=NORMAL and restores FULL; inside a transaction it only runs", () => {
    const db = openDatabase(tempDir());
    const level = (): unknown => db.pragma("synchronous", { simple: true });
    expect(level()).toBe(2);
    const seen = withoutFsync(db, () => {
      db.prepare("INSERT INTO nimbus_meta (key, value) VALUES ('a', '1')").run();
      return level();
    });
    expect([seen, level()]).toEqual([1, 2]);
    expect(() =>
      withoutFsync(db, () => {
        throw new Error("failed");
      }),
    ).toThrow("failed");
    expect(level()).toBe(2);
    const inside = db.transaction(() => withoutFsync(db, level))();
    expect(inside).toBe(2);
    db.close();
    // An --ephemeral database never fsyncs: withoutFsync leaves it at OFF.
    const eph = openDatabase(tempDir(), undefined, { durable: false });
    expect(withoutFsync(eph, () => eph.pragma("synchronous", { simple: true }))).toBe(0);
    expect(eph.pragma("synchronous", { simple: true })).toBe(0);
    eph.close();
  });

  it("an --ephemeral database is in memory: no file, no WAL, and rollbacks still undo everything", () => {
    const dir = tempDir();
    const db = openDatabase(dir, undefined, { durable: false });
    expect(db.pragma("journal_mode", { simple: true })).toBe("memory");
    expect(db.pragma("locking_mode", { simple: true })).toBe("exclusive");
    const put = db.prepare("INSERT INTO nimbus_meta (key, value) VALUES (?, ?)");
    const keys = (): unknown[] => db.prepare("SELECT key FROM nimbus_meta ORDER BY key").pluck().all();
    put.run("a", "1");
    // A failed transaction leaves nothing of itself; a savepoint rolled back inside a committed one, only its own part.
    expect(() =>
      db.transaction(() => {
        put.run("b", "2");
        throw new Error("failed");
      })(),
    ).toThrow("failed");
    db.transaction(() => {
      put.run("c", "3");
      try {
        db.transaction(() => {
          put.run("d", "4");
          throw new Error("inner");
        })();
      } catch {
        // the savepoint alone rolls back
      }
    })();
    // A statement that fails midway (the second row's key conflicts) undoes its first row.
    expect(() => db.exec("INSERT INTO nimbus_meta (key, value) VALUES ('e', '5'), ('a', '6')")).toThrow(/UNIQUE/);
    expect(keys()).toEqual(["a", "c"]);
    expect(existsSync(join(dir, "nimbus.db-wal"))).toBe(false);
    expect(existsSync(join(dir, "nimbus.db"))).toBe(false);
    db.close();
  });
});
