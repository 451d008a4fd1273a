// The item table serves Query and Scan from its primary key (no sort, no full scan).
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrations } from "./store.js";

describe("ddb_items", () => {
  it("answers a Query range and a Scan page from the primary key", () => {
    const db = new Database(":memory:");
    for (const m of migrations) m(db);
    const plan = (sql: string, ...args: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join("; ");
    const [a, b, c] = [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")];
    const query = plan("SELECT item FROM ddb_items WHERE table_id = ? AND hk = ? AND rk > ? AND rk <= ? ORDER BY rk DESC", 1, a, b, c);
    expect(query).toMatch(/SEARCH ddb_items USING PRIMARY KEY \(table_id=\? AND hk=\? AND rk>\? AND rk<\?\)/);
    expect(query).not.toMatch(/TEMP B-TREE/);
    const scan = plan("SELECT item FROM ddb_items WHERE table_id = ? AND (hk, rk) > (?, ?) ORDER BY hk, rk", 1, a, b);
    expect(scan).toMatch(/SEARCH ddb_items USING PRIMARY KEY/);
    expect(scan).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});
