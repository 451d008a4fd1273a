// The document store's read cache (src/core/state/doc-store.ts) never answers with a stale
// document: every write path to nimbus_docs (DocStore itself, direct SQL, a state reset) drops
// the entry, a transaction that rolls back leaves only committed text behind, and a caller that
// mutates what get() returned changes nothing for the next reader. Through a real Nimbus: the
// S3 API reads its bucket documents through the cache on every request.
import { CreateBucketCommand, GetBucketTaggingCommand, HeadBucketCommand, PutBucketTaggingCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocStore } from "../../src/core/state/doc-store.js";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

let t: TestNimbus;
beforeAll(async () => {
  t = await startNimbus();
});
afterAll(() => t.stop());

const tagsOf = async (s3: S3Client, bucket: string) => (await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet?.map((x) => `${x.Key}=${x.Value}`);

describe("document cache", () => {
  it("sees a direct SQL update of nimbus_docs at once", async () => {
    const s3 = new S3Client(sdkConfig(t.endpoint, { accountId: freshAccount() }));
    await s3.send(new CreateBucketCommand({ Bucket: "doc-cache-sql" }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: "doc-cache-sql", Tagging: { TagSet: [{ Key: "a", Value: "1" }] } }));
    expect(await tagsOf(s3, "doc-cache-sql")).toEqual(["a=1"]);
    t.nimbus.db
      .prepare("UPDATE nimbus_docs SET doc = json_set(doc, '$.tags', json('[{\"Key\":\"b\",\"Value\":\"2\"}]')) WHERE service = 's3' AND kind = 'bucket' AND id = ?")
      .run("doc-cache-sql");
    expect(await tagsOf(s3, "doc-cache-sql")).toEqual(["b=2"]);
    t.nimbus.db.prepare("DELETE FROM nimbus_docs WHERE service = 's3' AND kind = 'bucket' AND id = ?").run("doc-cache-sql");
    await expect(s3.send(new HeadBucketCommand({ Bucket: "doc-cache-sql" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it("forgets documents a state reset dropped", async () => {
    const n = await startNimbus();
    try {
      const s3 = new S3Client(sdkConfig(n.endpoint, { accountId: freshAccount() }));
      await s3.send(new CreateBucketCommand({ Bucket: "doc-cache-reset" }));
      await s3.send(new HeadBucketCommand({ Bucket: "doc-cache-reset" }));
      const r = await fetch(`${n.endpoint}/_nimbus/state/reset`, { method: "POST", body: JSON.stringify({ service: "s3" }), headers: { "content-type": "application/json" } });
      expect(r.status).toBe(200);
      await expect(s3.send(new HeadBucketCommand({ Bucket: "doc-cache-reset" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    } finally {
      await n.stop();
    }
  });

  it("never serves a write that rolled back, nor a caller's mutation", () => {
    const store = new DocStore(t.nimbus.db, "doc-cache-test", "global");
    store.put("thing", "x", { v: 1 });
    expect(store.get("thing", "x")).toEqual({ v: 1 });
    expect(() =>
      store.tx(() => {
        store.put("thing", "x", { v: 2 });
        store.put("thing", "y", { v: 3 });
        // Inside the transaction its own writes are visible.
        expect(store.get("thing", "x")).toEqual({ v: 2 });
        expect(store.get("thing", "y")).toEqual({ v: 3 });
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(store.get("thing", "x")).toEqual({ v: 1 });
    expect(store.get("thing", "y")).toBeUndefined();
    const got = store.get<{ v: number }>("thing", "x")!;
    got.v = 99;
    expect(store.get("thing", "x")).toEqual({ v: 1 });
    // A committed transaction's writes are read back, and a delete is seen.
    store.tx(() => store.put("thing", "x", { v: 4 }));
    expect(store.get("thing", "x")).toEqual({ v: 4 });
    expect(store.delete("thing", "x")).toBe(true);
    expect(store.get("thing", "x")).toBeUndefined();
    // Another DocStore object over the same database shares the cache and its invalidation.
    const other = new DocStore(t.nimbus.db, "doc-cache-test", "global");
    expect(other.get("thing", "x")).toBeUndefined();
    store.put("thing", "x", { v: 5 });
    expect(other.get("thing", "x")).toEqual({ v: 5 });
  });
  it("peek() shares one frozen parse per committed text, and a write or a rollback never leaves a stale one", () => {
    const store = new DocStore(t.nimbus.db, "doc-cache-peek", "global");
    store.put("thing", "x", { v: 1, nested: { list: [1, 2] } });
    const first = store.peek<{ v: number; nested: { list: number[] } }>("thing", "x")!;
    expect(first).toEqual({ v: 1, nested: { list: [1, 2] } });
    // Shared until the row changes; frozen all the way down (modules are strict: assignment throws).
    expect(store.peek("thing", "x")).toBe(first);
    expect(() => ((first as { v: number }).v = 9)).toThrow(TypeError);
    expect(() => first.nested.list.push(3)).toThrow(TypeError);
    // get() is still a private copy.
    const copy = store.get<{ v: number }>("thing", "x")!;
    copy.v = 5;
    expect(store.peek("thing", "x")).toEqual({ v: 1, nested: { list: [1, 2] } });
    // A rolled-back write leaves the committed document; a committed one replaces it.
    expect(() =>
      store.tx(() => {
        store.put("thing", "x", { v: 2 });
        expect(store.peek("thing", "x")).toEqual({ v: 2 });
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(store.peek("thing", "x")).toEqual({ v: 1, nested: { list: [1, 2] } });
    store.put("thing", "x", { v: 3 });
    expect(store.peek("thing", "x")).toEqual({ v: 3 });
    t.nimbus.db.prepare("DELETE FROM nimbus_docs WHERE service = 'doc-cache-peek' AND id = 'x'").run();
    expect(store.peek("thing", "x")).toBeUndefined();
  });
});
