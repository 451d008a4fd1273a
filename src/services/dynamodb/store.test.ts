// The item table serves Query and Scan from its primary key (no sort, no full scan).
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DynamoStore, migrations, type TableMeta } from "./store.js";

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

// store.ts, "written sizes": a PutItem without condition, ALL_OLD or hooks takes the replaced
// row's size from what was committed at its key. Within a transaction (a group commit puts
// several writes of one key in one), the key's later writes must see its earlier ones.
describe("written sizes", () => {
  it("follow writes within a transaction, commits and rollbacks", () => {
    const db = new Database(":memory:");
    for (const m of migrations) m(db);
    const store = new DynamoStore(db);
    const meta = {
      name: "t",
      keySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      attributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    } as unknown as TableMeta;
    const t = store.createTable("000000000000", "us-east-1", meta);
    const [hk, rk] = [Buffer.from("a"), Buffer.alloc(0)];
    const k = store.cacheKey(t.id, hk, rk);
    const size = () => store.sizeOf(t.id, k, hk, rk);
    const put = (n: number) => store.writeRow(t.id, k, hk, rk, JSON.stringify({ pk: { S: "a" }, v: { S: "x".repeat(n) } }), n, size());
    expect(size()).toBeUndefined();
    store.tx(() => put(3));
    expect(size()).toBe(3);
    store.tx(() => {
      put(10);
      expect(size()).toBe(10);
      put(20);
    });
    expect(size()).toBe(20);
    expect(() =>
      store.tx(() => {
        put(50);
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(size()).toBe(20);
    expect([t.itemCount, t.sizeBytes]).toEqual([1, 20]);
    store.tx(() => store.deleteItem(t.id, hk, rk, { hk, rk, item: "{}", size: 20 }));
    expect(size()).toBeUndefined();
    store.tx(() => put(7));
    expect([t.itemCount, t.sizeBytes]).toEqual([1, 7]);
    db.close();
  });
});

