// Query and Scan through the real SDK v3 client: key conditions on S, N and B range keys in
// DynamoDB's order, filters, pagination, Select COUNT, projections, segments, and batches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const NUMBERS = ["-1000", "-10.5", "-10", "-9.99", "-1", "-0.5", "0", "0.001", "0.5", "1", "1.5", "9", "10", "10.01", "100", "12345678901234567890123456789012345678"];
const STRINGS = ["A", "B", "a", "aa", "ab", "b", "\u00e9", "\uFF21", "\u{1F600}"];

async function seed(c: DynamoDBClient, table: string, keys: AttributeValue[], extra: (i: number) => Record<string, AttributeValue> = () => ({})) {
  // Insert in a scrambled order so the order seen comes from the index.
  const order = keys.map((_, i) => i).sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
  for (const i of order) await c.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "p" }, sk: keys[i], i: { N: String(i) }, ...extra(i) } }));
}

async function queryAll(c: DynamoDBClient, input: QueryCommandInput) {
  const items: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  let pages = 0;
  do {
    const out = await c.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
    pages++;
  } while (ExclusiveStartKey);
  return { items, pages };
}

describe("Query", () => {
  it("orders N range keys numerically, both directions, with every range operator", async () => {
    const { client: c } = account(n);
    await createTable(c, "nums", ["pk", "S"], ["sk", "N"]);
    await seed(c, "nums", NUMBERS.map((N) => ({ N })));
    const q = (KeyConditionExpression: string, values: Record<string, AttributeValue> = {}, forward = true) =>
      c
        .send(new QueryCommand({ TableName: "nums", KeyConditionExpression, ExpressionAttributeValues: { ":p": { S: "p" }, ...values }, ScanIndexForward: forward }))
        .then((o) => o.Items!.map((i) => i.sk.N));
    expect(await q("pk = :p")).toEqual(NUMBERS);
    expect(await q("pk = :p", {}, false)).toEqual([...NUMBERS].reverse());
    expect(await q("pk = :p AND sk = :v", { ":v": { N: "10.010" } })).toEqual(["10.01"]);
    expect(await q("pk = :p AND sk < :v", { ":v": { N: "-1" } })).toEqual(["-1000", "-10.5", "-10", "-9.99"]);
    expect(await q("pk = :p AND sk <= :v", { ":v": { N: "-1" } })).toEqual(["-1000", "-10.5", "-10", "-9.99", "-1"]);
    expect(await q("pk = :p AND sk > :v", { ":v": { N: "10" } })).toEqual(["10.01", "100", "12345678901234567890123456789012345678"]);
    expect(await q("pk = :p AND sk >= :v", { ":v": { N: "100" } })).toEqual(["100", "12345678901234567890123456789012345678"]);
    expect(await q("pk = :p AND sk BETWEEN :a AND :b", { ":a": { N: "-1" }, ":b": { N: "1" } })).toEqual(["-1", "-0.5", "0", "0.001", "0.5", "1"]);
    expect(await q("sk BETWEEN :a AND :b AND pk = :p", { ":a": { N: "-1" }, ":b": { N: "1" } }, false)).toEqual(["1", "0.5", "0.001", "0", "-0.5", "-1"]);
    expect(await q("pk = :p AND sk > :v", { ":v": { N: "1e40" } })).toEqual([]);
    // Another partition is empty.
    const other = await c.send(new QueryCommand({ TableName: "nums", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "q" } } }));
    expect(other).toMatchObject({ Items: [], Count: 0, ScannedCount: 0 });
  });

  it("orders S range keys by UTF-8 bytes and serves begins_with", async () => {
    const { client: c } = account(n);
    await createTable(c, "strs", ["pk", "S"], ["sk", "S"]);
    await seed(c, "strs", STRINGS.map((S) => ({ S })));
    const q = (KeyConditionExpression: string, values: Record<string, AttributeValue> = {}) =>
      c
        .send(new QueryCommand({ TableName: "strs", KeyConditionExpression, ExpressionAttributeValues: { ":p": { S: "p" }, ...values } }))
        .then((o) => o.Items!.map((i) => i.sk.S));
    expect(await q("pk = :p")).toEqual(STRINGS);
    expect(await q("pk = :p AND begins_with(sk, :a)", { ":a": { S: "a" } })).toEqual(["a", "aa", "ab"]);
    expect(await q("pk = :p AND sk > :a", { ":a": { S: "b" } })).toEqual(["\u00e9", "\uFF21", "\u{1F600}"]);
  });

  it("orders B range keys by bytes", async () => {
    const { client: c } = account(n);
    await createTable(c, "bins", ["pk", "S"], ["sk", "B"]);
    const keys = [[0], [0, 0], [0, 1], [1], [127], [128], [255], [255, 0]].map((b) => new Uint8Array(b));
    await seed(c, "bins", keys.map((B) => ({ B })));
    const out = await c.send(new QueryCommand({ TableName: "bins", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } } }));
    expect(out.Items!.map((i) => Buffer.from(i.sk.B!).toString("hex"))).toEqual(["00", "0000", "0001", "01", "7f", "80", "ff", "ff00"]);
    const prefix = await c.send(
      new QueryCommand({ TableName: "bins", KeyConditionExpression: "pk = :p AND begins_with(sk, :b)", ExpressionAttributeValues: { ":p": { S: "p" }, ":b": { B: new Uint8Array([255]) } } }),
    );
    expect(prefix.Items!.map((i) => Buffer.from(i.sk.B!).toString("hex"))).toEqual(["ff", "ff00"]);
  });

  it("filters after Limit, paginates with LastEvaluatedKey, counts and projects", async () => {
    const { client: c } = account(n);
    await createTable(c, "pages", ["pk", "S"], ["sk", "N"]);
    await seed(c, "pages", Array.from({ length: 10 }, (_, i) => ({ N: String(i) })), (i) => ({ even: { BOOL: i % 2 === 0 }, name: { S: `n${i}` } }));
    const base = { TableName: "pages", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } } };
    const p1 = await c.send(new QueryCommand({ ...base, Limit: 3 }));
    expect(p1.Items!.map((i) => i.sk.N)).toEqual(["0", "1", "2"]);
    expect(p1.LastEvaluatedKey).toEqual({ pk: { S: "p" }, sk: { N: "2" } });
    const p2 = await c.send(new QueryCommand({ ...base, Limit: 3, ExclusiveStartKey: p1.LastEvaluatedKey }));
    expect(p2.Items!.map((i) => i.sk.N)).toEqual(["3", "4", "5"]);
    const outside = await failure(c.send(new QueryCommand({ ...base, KeyConditionExpression: "pk = :p AND sk > :five", ExpressionAttributeValues: { ":p": { S: "p" }, ":five": { N: "5" } }, ExclusiveStartKey: { pk: { S: "p" }, sk: { N: "2" } } })));
    expect(outside.message).toBe("The provided starting key is outside query boundaries based on provided conditions");
    const back = await c.send(new QueryCommand({ ...base, Limit: 2, ScanIndexForward: false, ExclusiveStartKey: { pk: { S: "p" }, sk: { N: "5" } } }));
    expect(back.Items!.map((i) => i.sk.N)).toEqual(["4", "3"]);

    // Limit counts items read before the filter.
    const filtered = await c.send(
      new QueryCommand({ ...base, Limit: 4, FilterExpression: "even = :t", ExpressionAttributeValues: { ":p": { S: "p" }, ":t": { BOOL: true } } }),
    );
    expect(filtered).toMatchObject({ Count: 2, ScannedCount: 4 });
    expect(filtered.Items!.map((i) => i.sk.N)).toEqual(["0", "2"]);
    const all = await queryAll(c, { ...base, Limit: 3, FilterExpression: "even = :t", ExpressionAttributeValues: { ":p": { S: "p" }, ":t": { BOOL: true } } });
    expect(all.items.map((i) => i.sk.N)).toEqual(["0", "2", "4", "6", "8"]);
    expect(all.pages).toBe(4);

    const count = await c.send(new QueryCommand({ ...base, Select: "COUNT" }));
    expect(count.Items).toBeUndefined();
    expect(count).toMatchObject({ Count: 10, ScannedCount: 10 });
    expect(count.LastEvaluatedKey).toBeUndefined();

    const projected = await c.send(new QueryCommand({ ...base, ProjectionExpression: "#n", ExpressionAttributeNames: { "#n": "name" }, Limit: 2 }));
    expect(projected.Items).toEqual([{ name: { S: "n0" } }, { name: { S: "n1" } }]);
  });

  it("rejects key conditions AWS rejects", async () => {
    const { client: c } = account(n);
    await createTable(c, "keycond", ["pk", "S"], ["sk", "N"]);
    const q = (KeyConditionExpression: string, values: Record<string, AttributeValue>) =>
      failure(c.send(new QueryCommand({ TableName: "keycond", KeyConditionExpression, ExpressionAttributeValues: values })));
    expect((await q("sk = :v", { ":v": { N: "1" } })).message).toBe("Query condition missed key schema element: pk");
    expect((await q("pk > :v", { ":v": { S: "1" } })).message).toBe("Query key condition not supported");
    expect((await q("pk = :v OR sk = :n", { ":v": { S: "1" }, ":n": { N: "1" } })).message).toBe("Invalid operator used in KeyConditionExpression: OR");
    expect((await q("pk = :v AND extra = :n", { ":v": { S: "1" }, ":n": { N: "1" } })).message).toBe("Query key condition not supported");
    expect((await q("pk = :v", { ":v": { N: "1" } })).message).toBe(
      "One or more parameter values were invalid: Condition parameter type does not match schema type",
    );
    expect((await q("pk = :v AND begins_with(sk, :n)", { ":v": { S: "1" }, ":n": { N: "1" } })).message).toMatch(/begins_with, operand type: N/);
    expect((await q("pk = :v AND sk BETWEEN :b AND :a", { ":v": { S: "1" }, ":a": { N: "1" }, ":b": { N: "5" } })).message).toMatch(
      /^Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound/,
    );
    const keyFilter = await failure(
      c.send(new QueryCommand({ TableName: "keycond", KeyConditionExpression: "pk = :v", FilterExpression: "sk > :n", ExpressionAttributeValues: { ":v": { S: "1" }, ":n": { N: "1" } } })),
    );
    expect(keyFilter.message).toBe("Filter Expression can only contain non-primary key attributes: Primary key attribute: sk");
    const noKc = await failure(c.send(new QueryCommand({ TableName: "keycond" })));
    expect(noKc.message).toBe("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
    const index = await failure(c.send(new QueryCommand({ TableName: "keycond", IndexName: "byX", KeyConditionExpression: "pk = :v", ExpressionAttributeValues: { ":v": { S: "1" } } })));
    expect(index.message).toBe("The table does not have the specified index: byX");
  });
});

describe("Scan", () => {
  it("filters, paginates, counts and splits into segments", async () => {
    const { client: c } = account(n);
    await createTable(c, "scan", ["id", "N"]);
    for (let i = 0; i < 30; i++) await c.send(new PutItemCommand({ TableName: "scan", Item: { id: { N: String(i) }, mod: { N: String(i % 3) } } }));
    const all = await c.send(new ScanCommand({ TableName: "scan" }));
    expect(all.Count).toBe(30);
    const ids: string[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await c.send(new ScanCommand({ TableName: "scan", Limit: 7, ExclusiveStartKey, FilterExpression: "#m = :z", ExpressionAttributeNames: { "#m": "mod" }, ExpressionAttributeValues: { ":z": { N: "0" } } }));
      expect(out.ScannedCount).toBeLessThanOrEqual(7);
      ids.push(...out.Items!.map((i) => i.id.N!));
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    expect(ids.map(Number).sort((a, b) => a - b)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(await c.send(new ScanCommand({ TableName: "scan", Select: "COUNT" }))).toMatchObject({ Count: 30, ScannedCount: 30 });

    const segs = await Promise.all([0, 1, 2, 3].map((Segment) => c.send(new ScanCommand({ TableName: "scan", Segment, TotalSegments: 4 }))));
    const seen = segs.flatMap((s) => s.Items!.map((i) => i.id.N!));
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(segs.filter((s) => s.Count! > 0).length).toBeGreaterThan(1);
    const bad = await failure(c.send(new ScanCommand({ TableName: "scan", Segment: 4, TotalSegments: 4 })));
    expect(bad.message).toBe("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4");
    const half = await failure(c.send(new ScanCommand({ TableName: "scan", Segment: 1 })));
    expect(half.message).toBe("The TotalSegments parameter is required but was not present in the request when Segment parameter is present");
  });
});

describe("1 MB pages", () => {
  it("stops a Scan and a Query at 1 MB read and resumes from LastEvaluatedKey", async () => {
    const { client: c } = account(n);
    await createTable(c, "heavy", ["pk", "S"], ["sk", "N"]);
    const blob = "x".repeat(100 * 1024);
    for (let i = 0; i < 15; i++) await c.send(new PutItemCommand({ TableName: "heavy", Item: { pk: { S: "p" }, sk: { N: String(i) }, blob: { S: blob } } }));
    const first = await c.send(new ScanCommand({ TableName: "heavy", Select: "COUNT" }));
    expect(first.Count).toBeLessThan(15);
    expect(first.Count).toBeGreaterThanOrEqual(9);
    expect(first.LastEvaluatedKey).toBeDefined();
    const rest = await c.send(new ScanCommand({ TableName: "heavy", Select: "COUNT", ExclusiveStartKey: first.LastEvaluatedKey }));
    expect(first.Count! + rest.Count!).toBe(15);
    expect(rest.LastEvaluatedKey).toBeUndefined();
    const all = await queryAll(c, { TableName: "heavy", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } }, ProjectionExpression: "sk" });
    expect(all.items.map((i) => Number(i.sk.N))).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(all.pages).toBe(2);
  });
});

describe("BatchWriteItem / BatchGetItem", () => {
  it("writes and reads across tables, with AWS's limits", async () => {
    const { client: c } = account(n);
    await createTable(c, "batch_a", ["id", "S"]);
    await createTable(c, "batch_b", ["id", "N"]);
    const out = await c.send(
      new BatchWriteItemCommand({
        RequestItems: {
          batch_a: Array.from({ length: 20 }, (_, i) => ({ PutRequest: { Item: { id: { S: `k${i}` }, v: { N: String(i) } } } })),
          batch_b: [{ PutRequest: { Item: { id: { N: "1" } } } }, { PutRequest: { Item: { id: { N: "2" } } } }],
        },
      }),
    );
    expect(out.UnprocessedItems).toEqual({});
    await c.send(new BatchWriteItemCommand({ RequestItems: { batch_b: [{ DeleteRequest: { Key: { id: { N: "2" } } } }] } }));
    expect((await c.send(new DescribeTableCommand({ TableName: "batch_b" }))).Table!.ItemCount).toBe(1);

    const got = await c.send(
      new BatchGetItemCommand({
        RequestItems: {
          batch_a: { Keys: [{ id: { S: "k1" } }, { id: { S: "k19" } }, { id: { S: "missing" } }], ProjectionExpression: "v" },
          batch_b: { Keys: [{ id: { N: "1" } }, { id: { N: "2" } }] },
        },
      }),
    );
    expect(got.Responses!.batch_a.map((i) => i.v.N).sort()).toEqual(["1", "19"]);
    expect(got.Responses!.batch_b).toEqual([{ id: { N: "1" } }]);
    expect(got.UnprocessedKeys).toEqual({});

    const tooMany = await failure(
      c.send(new BatchWriteItemCommand({ RequestItems: { batch_a: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { id: { S: `x${i}` } } } })) } })),
    );
    expect(tooMany.name).toBe("ValidationException");
    const dup = await failure(
      c.send(new BatchWriteItemCommand({ RequestItems: { batch_a: [{ PutRequest: { Item: { id: { S: "d" } } } }, { DeleteRequest: { Key: { id: { S: "d" } } } }] } })),
    );
    expect(dup.message).toBe("Provided list of item keys contains duplicates");
    const tooManyKeys = await failure(
      c.send(new BatchGetItemCommand({ RequestItems: { batch_a: { Keys: Array.from({ length: 101 }, (_, i) => ({ id: { S: `k${i}` } })) } } })),
    );
    expect(tooManyKeys.name).toBe("ValidationException");
    // A failed batch wrote nothing.
    expect((await c.send(new DescribeTableCommand({ TableName: "batch_a" }))).Table!.ItemCount).toBe(20);
  });
});
