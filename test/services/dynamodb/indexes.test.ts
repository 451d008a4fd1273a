// Secondary indexes through the real SDK v3 client: CreateTable's index checks in AWS's words,
// index rows kept on every write path, sparse indexes, Query and Scan with IndexName
// (projections, ordering, pagination), and GSIs added and removed by UpdateTable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, failure, N, S, advanceClock } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

/** orders: pk (S) + sk (N); GSI byStatus (status S, total N, INCLUDE note); LSI byDate (pk, date S, KEYS_ONLY). */
async function ordersTable(c: DynamoDBClient, name = "orders"): Promise<void> {
  await c.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
        { AttributeName: "status", AttributeType: "S" },
        { AttributeName: "total", AttributeType: "N" },
        { AttributeName: "date", AttributeType: "S" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byStatus",
          KeySchema: [
            { AttributeName: "status", KeyType: "HASH" },
            { AttributeName: "total", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["note"] },
        },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: "byDate",
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "date", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "KEYS_ONLY" },
        },
      ],
    }),
  );
}

const byStatus = (c: DynamoDBClient, status: string, extra: Record<string, unknown> = {}) =>
  c.send(
    new QueryCommand({
      TableName: "orders",
      IndexName: "byStatus",
      KeyConditionExpression: "#s = :s",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": S(status) },
      ...extra,
    }),
  );

describe("CreateTable with secondary indexes", () => {
  const base: CreateTableCommandInput = {
    TableName: "idx",
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: [
      { AttributeName: "a", KeyType: "HASH" },
      { AttributeName: "b", KeyType: "RANGE" },
    ],
    AttributeDefinitions: [
      { AttributeName: "a", AttributeType: "S" },
      { AttributeName: "b", AttributeType: "S" },
      { AttributeName: "c", AttributeType: "N" },
    ],
  };
  const lsi = (name: string, attr = "c") => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: "a", KeyType: "HASH" as const },
      { AttributeName: attr, KeyType: "RANGE" as const },
    ],
    Projection: { ProjectionType: "ALL" as const },
  });
  const gsi = (name: string, attr = "c") => ({ IndexName: name, KeySchema: [{ AttributeName: attr, KeyType: "HASH" as const }], Projection: { ProjectionType: "KEYS_ONLY" as const } });

  it("describes both kinds of index with status, counts and ARNs", async () => {
    const { id, client: c } = account(n);
    const out = await c.send(new CreateTableCommand({ ...base, LocalSecondaryIndexes: [lsi("lsi1")], GlobalSecondaryIndexes: [gsi("gsi1")] }));
    const d = out.TableDescription!;
    expect(d.LocalSecondaryIndexes).toEqual([
      {
        IndexName: "lsi1",
        KeySchema: lsi("lsi1").KeySchema,
        Projection: { ProjectionType: "ALL" },
        IndexSizeBytes: 0,
        ItemCount: 0,
        IndexArn: `arn:aws:dynamodb:us-east-1:${id}:table/idx/index/lsi1`,
      },
    ]);
    expect(d.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: "gsi1",
        KeySchema: gsi("gsi1").KeySchema,
        Projection: { ProjectionType: "KEYS_ONLY" },
        IndexStatus: "ACTIVE",
        ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        IndexSizeBytes: 0,
        ItemCount: 0,
        IndexArn: `arn:aws:dynamodb:us-east-1:${id}:table/idx/index/gsi1`,
      },
    ]);
    await c.send(new PutItemCommand({ TableName: "idx", Item: { a: S("x"), b: S("y"), c: N(5), big: S("z".repeat(100)) } }));
    await c.send(new PutItemCommand({ TableName: "idx", Item: { a: S("x"), b: S("w") } }));
    const t = (await c.send(new DescribeTableCommand({ TableName: "idx" }))).Table!;
    expect(t.ItemCount).toBe(2);
    expect(t.LocalSecondaryIndexes![0].ItemCount).toBe(1);
    // ALL projects the whole item; KEYS_ONLY only a, b and c (1 + 1 + 1 + 1 + 1 + 2 bytes).
    expect(t.LocalSecondaryIndexes![0].IndexSizeBytes).toBe(1 + 1 + 1 + 1 + 1 + 2 + 3 + 100);
    expect(t.GlobalSecondaryIndexes![0].ItemCount).toBe(1);
    expect(t.GlobalSecondaryIndexes![0].IndexSizeBytes).toBe(7);
  });

  it("answers AWS's messages for bad index definitions, and creates nothing", async () => {
    const { client: c } = account(n);
    const msg = async (input: Partial<CreateTableCommandInput>) => {
      const e = await failure(c.send(new CreateTableCommand({ ...base, ...input } as CreateTableCommandInput)));
      expect(e.name).toBe("ValidationException");
      return e.message;
    };
    const p = "One or more parameter values were invalid: ";
    expect(await msg({ LocalSecondaryIndexes: [] })).toBe(`${p}List of LocalSecondaryIndexes is empty`);
    expect(await msg({ GlobalSecondaryIndexes: [] })).toBe(`${p}List of GlobalSecondaryIndexes is empty`);
    expect(
      await msg({
        KeySchema: [{ AttributeName: "a", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "a", AttributeType: "S" },
          { AttributeName: "c", AttributeType: "N" },
        ],
        LocalSecondaryIndexes: [lsi("lsi1")],
      }),
    ).toBe(`${p}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex`);
    expect(await msg({ LocalSecondaryIndexes: [{ ...lsi("lsi1"), KeySchema: [{ AttributeName: "c", KeyType: "HASH" }, { AttributeName: "b", KeyType: "RANGE" }] }] })).toBe(
      `${p}Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi1. index hash key: c, table hash key: a`,
    );
    expect(await msg({ LocalSecondaryIndexes: [{ ...lsi("lsi1"), KeySchema: [{ AttributeName: "a", KeyType: "HASH" }] }] })).toBe(
      `${p}Index KeySchema does not have a range key for index: lsi1`,
    );
    expect(await msg({ LocalSecondaryIndexes: ["lsi1", "lsi2", "lsi3", "lsi4", "lsi5", "lsi6"].map((x) => lsi(x)) })).toBe(
      `${p}Number of LocalSecondaryIndexes exceeds per-table limit of 5`,
    );
    expect(await msg({ GlobalSecondaryIndexes: Array.from({ length: 21 }, (_, i) => gsi(`gsi${i}`)) })).toBe(
      `${p}GlobalSecondaryIndex count exceeds the per-table limit of 20`,
    );
    expect(await msg({ GlobalSecondaryIndexes: [gsi("gsi1"), gsi("gsi1")] })).toBe(`${p}Duplicate index name: gsi1`);
    expect(await msg({ LocalSecondaryIndexes: [lsi("same")], GlobalSecondaryIndexes: [gsi("same")] })).toBe(`${p}Duplicate index name: same`);
    expect(await msg({ GlobalSecondaryIndexes: [gsi("gsi1", "zz")] })).toBe(
      `${p}Some index key attributes are not defined in AttributeDefinitions. Keys: [zz], AttributeDefinitions: [a, b, c]`,
    );
    expect(await msg({ GlobalSecondaryIndexes: [{ ...gsi("gsi1"), Projection: { ProjectionType: "KEYS_ONLY", NonKeyAttributes: ["x"] } }] })).toBe(
      `${p}ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified`,
    );
    expect(await msg({ GlobalSecondaryIndexes: [{ ...gsi("gsi1"), Projection: { ProjectionType: "INCLUDE" } }] })).toBe(
      `${p}ProjectionType is INCLUDE, but NonKeyAttributes is not specified`,
    );
    expect(await msg({ GlobalSecondaryIndexes: [{ ...gsi("gsi1"), Projection: {} }] })).toBe(`${p}Unknown ProjectionType: null`);
    expect(await msg({ GlobalSecondaryIndexes: [{ ...gsi("gsi1"), ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }] })).toBe(
      `${p}ProvisionedThroughput should not be specified for index: gsi1 when BillingMode is PAY_PER_REQUEST`,
    );
    const include = (name: string, from: number) => ({
      ...gsi(name),
      Projection: { ProjectionType: "INCLUDE" as const, NonKeyAttributes: Array.from({ length: 50 }, (_, i) => `attr${from + i}`) },
    });
    // 101 NonKeyAttributes over all indexes (the same name in two indexes counts twice).
    expect(await msg({ GlobalSecondaryIndexes: [include("gsi1", 0), include("gsi2", 0), { ...gsi("gsi3"), Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["x"] } }] })).toBe(
      `${p}Number of projected attributes in all indexes exceeds limit of 100`,
    );
    // AttributeDefinitions must be exactly the attributes some key schema uses.
    expect(await msg({ GlobalSecondaryIndexes: [gsi("gsi1", "b")] })).toBe(`${p}Some AttributeDefinitions are not used. AttributeDefinitions: [a, b, c], keys used: [a, b]`);
    expect(await msg({})).toBe(`${p}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions`);
    expect(await msg({ GlobalSecondaryIndexes: [{ ...gsi("gsi1"), KeySchema: [{ AttributeName: "c", KeyType: "RANGE" }] }] })).toBe(
      "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
    );
    const e = await failure(c.send(new DescribeTableCommand({ TableName: "idx" })));
    expect(e.name).toBe("ResourceNotFoundException");
  });

  it("a PROVISIONED table's GSI carries its own throughput", async () => {
    const { client: c } = account(n);
    const e = await failure(
      c.send(new CreateTableCommand({ ...base, BillingMode: "PROVISIONED", ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }, GlobalSecondaryIndexes: [gsi("gsi1")] })),
    );
    expect(e.message).toBe("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: gsi1");
    const out = await c.send(
      new CreateTableCommand({
        ...base,
        BillingMode: "PROVISIONED",
        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
        GlobalSecondaryIndexes: [{ ...gsi("gsi1"), ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }],
      }),
    );
    expect(out.TableDescription!.GlobalSecondaryIndexes![0].ProvisionedThroughput).toEqual({ NumberOfDecreasesToday: 0, ReadCapacityUnits: 3, WriteCapacityUnits: 4 });
    const up = await c.send(new UpdateTableCommand({ TableName: "idx", GlobalSecondaryIndexUpdates: [{ Update: { IndexName: "gsi1", ProvisionedThroughput: { ReadCapacityUnits: 9, WriteCapacityUnits: 8 } } }] }));
    expect(up.TableDescription!.GlobalSecondaryIndexes![0].ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 9, WriteCapacityUnits: 8 });
  });
});

describe("index maintenance on every write path", () => {
  it("PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems move index rows; indexes are sparse", async () => {
    const { client: c } = account(n);
    await ordersTable(c);
    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("u1"), sk: N(1), status: S("open"), total: N(30), note: S("n1"), secret: S("s") } }));
    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("u1"), sk: N(2), status: S("open"), total: N(10) } }));
    // No status: not in byStatus (sparse), but in the table.
    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("u1"), sk: N(3), total: N(99) } }));
    let q = await byStatus(c, "open");
    expect(q.Items!.map((i) => i.sk.N)).toEqual(["2", "1"]);
    // INCLUDE: table keys, index keys and note; never secret.
    expect(q.Items![1]).toEqual({ pk: S("u1"), sk: N(1), status: S("open"), total: N(30), note: S("n1") });

    // UpdateItem moves an item between partitions of the index, and into it.
    await c.send(new UpdateItemCommand({ TableName: "orders", Key: { pk: S("u1"), sk: N(1) }, UpdateExpression: "SET #s = :c", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":c": S("closed") } }));
    await c.send(new UpdateItemCommand({ TableName: "orders", Key: { pk: S("u1"), sk: N(3) }, UpdateExpression: "SET #s = :o", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":o": S("open") } }));
    expect((await byStatus(c, "open")).Items!.map((i) => i.sk.N)).toEqual(["2", "3"]);
    expect((await byStatus(c, "closed")).Items!.map((i) => i.sk.N)).toEqual(["1"]);
    // REMOVE takes it out again.
    await c.send(new UpdateItemCommand({ TableName: "orders", Key: { pk: S("u1"), sk: N(3) }, UpdateExpression: "REMOVE #s", ExpressionAttributeNames: { "#s": "status" } }));
    expect((await byStatus(c, "open")).Items!.map((i) => i.sk.N)).toEqual(["2"]);

    await c.send(new DeleteItemCommand({ TableName: "orders", Key: { pk: S("u1"), sk: N(2) } }));
    expect((await byStatus(c, "open")).Count).toBe(0);

    await c.send(
      new BatchWriteItemCommand({
        RequestItems: {
          orders: [
            { PutRequest: { Item: { pk: S("u2"), sk: N(1), status: S("open"), total: N(5) } } },
            { PutRequest: { Item: { pk: S("u2"), sk: N(2), status: S("open"), total: N(6) } } },
            { DeleteRequest: { Key: { pk: S("u1"), sk: N(1) } } },
          ],
        },
      }),
    );
    expect((await byStatus(c, "open")).Items!.map((i) => `${i.pk.S}/${i.sk.N}`)).toEqual(["u2/1", "u2/2"]);
    expect((await byStatus(c, "closed")).Count).toBe(0);

    await c.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: "orders", Item: { pk: S("u3"), sk: N(1), status: S("open"), total: N(1) } } },
          { Update: { TableName: "orders", Key: { pk: S("u2"), sk: N(1) }, UpdateExpression: "SET #s = :c", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":c": S("closed") } } },
          { Delete: { TableName: "orders", Key: { pk: S("u2"), sk: N(2) } } },
        ],
      }),
    );
    expect((await byStatus(c, "open")).Items!.map((i) => `${i.pk.S}/${i.sk.N}`)).toEqual(["u3/1"]);
    expect((await byStatus(c, "closed")).Items!.map((i) => `${i.pk.S}/${i.sk.N}`)).toEqual(["u2/1"]);

    // A cancelled transaction moves no index row.
    const e = await failure(
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "orders", Item: { pk: S("u4"), sk: N(1), status: S("open"), total: N(2) } } },
            { ConditionCheck: { TableName: "orders", Key: { pk: S("nobody"), sk: N(0) }, ConditionExpression: "attribute_exists(pk)" } },
          ],
        }),
      ),
    );
    expect(e.name).toBe("TransactionCanceledException");
    expect((await byStatus(c, "open")).Items!.map((i) => `${i.pk.S}/${i.sk.N}`)).toEqual(["u3/1"]);
  });

  it("refuses index key attributes of the wrong type or empty, on every write path, writing nothing", async () => {
    const { client: c } = account(n);
    await ordersTable(c);
    const mismatch = "One or more parameter values were invalid: Type mismatch for Index Key total Expected: N Actual: S IndexName: byStatus";
    let e = await failure(c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("a"), sk: N(1), total: S("lots") } })));
    expect([e.name, e.message]).toEqual(["ValidationException", mismatch]);
    e = await failure(c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("a"), sk: N(1), date: N(1) } })));
    expect(e.message).toBe("One or more parameter values were invalid: Type mismatch for Index Key date Expected: S Actual: N IndexName: byDate");
    e = await failure(c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("a"), sk: N(1), status: S("") } })));
    expect(e.message).toBe(
      "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byStatus, IndexKey: status",
    );
    e = await failure(
      c.send(new UpdateItemCommand({ TableName: "orders", Key: { pk: S("a"), sk: N(1) }, UpdateExpression: "SET #t = :t", ExpressionAttributeNames: { "#t": "total" }, ExpressionAttributeValues: { ":t": S("x") } })),
    );
    expect(e.message).toBe(mismatch);
    e = await failure(
      c.send(
        new BatchWriteItemCommand({
          RequestItems: {
            orders: [{ PutRequest: { Item: { pk: S("b"), sk: N(1), status: S("ok"), total: N(1) } } }, { PutRequest: { Item: { pk: S("b"), sk: N(2), total: S("x") } } }],
          },
        }),
      ),
    );
    expect(e.message).toBe(mismatch);
    e = await failure(c.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: "orders", Item: { pk: S("c"), sk: N(1), total: S("x") } } }] })));
    expect(e.message).toBe(mismatch);
    const all = await c.send(new ScanCommand({ TableName: "orders" }));
    expect(all.Count).toBe(0);
    expect((await c.send(new ScanCommand({ TableName: "orders", IndexName: "byStatus" }))).Count).toBe(0);
  });
});

describe("Query and Scan on indexes", () => {
  it("orders N, S and B index sort keys as DynamoDB does, both directions, with pagination", async () => {
    const { client: c } = account(n);
    await c.send(
      new CreateTableCommand({
        TableName: "sorts",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "g", AttributeType: "S" },
          { AttributeName: "n", AttributeType: "N" },
          { AttributeName: "s", AttributeType: "S" },
          { AttributeName: "b", AttributeType: "B" },
        ],
        GlobalSecondaryIndexes: [
          { IndexName: "byN", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }, { AttributeName: "n", KeyType: "RANGE" }], Projection: { ProjectionType: "ALL" } },
          { IndexName: "byS", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }, { AttributeName: "s", KeyType: "RANGE" }], Projection: { ProjectionType: "KEYS_ONLY" } },
          { IndexName: "byB", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }, { AttributeName: "b", KeyType: "RANGE" }], Projection: { ProjectionType: "KEYS_ONLY" } },
        ],
      }),
    );
    const nums = ["-100", "-2.5", "-1", "0", "0.001", "1", "1.5", "2", "10", "1e3"];
    // UTF-8 byte order: "é" (0xC3 0xA9) sorts after "z".
    const strs = ["B", "a", "aa", "ab", "b", "z", "é"];
    const bins = [[0x00], [0x00, 0x01], [0x7f], [0x80], [0xff]];
    let i = 0;
    for (const v of [...nums].reverse()) await c.send(new PutItemCommand({ TableName: "sorts", Item: { id: S(`n${i++}`), g: S("x"), n: N(v) } }));
    for (const v of [...strs].reverse()) await c.send(new PutItemCommand({ TableName: "sorts", Item: { id: S(`s${i++}`), g: S("x"), s: S(v) } }));
    for (const v of [...bins].reverse()) await c.send(new PutItemCommand({ TableName: "sorts", Item: { id: S(`b${i++}`), g: S("x"), b: { B: Uint8Array.from(v) } } }));
    const q = (IndexName: string, forward = true, extra: Record<string, unknown> = {}) =>
      c.send(new QueryCommand({ TableName: "sorts", IndexName, KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": S("x") }, ScanIndexForward: forward, ...extra }));
    const canon = ["-100", "-2.5", "-1", "0", "0.001", "1", "1.5", "2", "10", "1000"];
    expect((await q("byN")).Items!.map((x) => x.n.N)).toEqual(canon);
    expect((await q("byN", false)).Items!.map((x) => x.n.N)).toEqual([...canon].reverse());
    expect((await q("byS")).Items!.map((x) => x.s.S)).toEqual(strs);
    expect((await q("byB")).Items!.map((x) => [...x.b.B!])).toEqual(bins);
    // A range condition on the index sort key.
    const between = await c.send(
      new QueryCommand({ TableName: "sorts", IndexName: "byN", KeyConditionExpression: "g = :g AND n BETWEEN :lo AND :hi", ExpressionAttributeValues: { ":g": S("x"), ":lo": N(-1), ":hi": N(2) } }),
    );
    expect(between.Items!.map((x) => x.n.N)).toEqual(["-1", "0", "0.001", "1", "1.5", "2"]);

    // Pages of 3: LastEvaluatedKey is the table key plus the index key, and resumes exactly.
    const seen: string[] = [];
    let start: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const p = await q("byN", false, { Limit: 3, ...(start ? { ExclusiveStartKey: start } : {}) });
      pages++;
      seen.push(...p.Items!.map((x) => x.n.N!));
      if (p.LastEvaluatedKey) expect(Object.keys(p.LastEvaluatedKey).sort()).toEqual(["g", "id", "n"]);
      start = p.LastEvaluatedKey;
    } while (start);
    expect(seen).toEqual([...canon].reverse());
    expect(pages).toBe(4);

    // Scan of an index: only the items in it.
    const scan = await c.send(new ScanCommand({ TableName: "sorts", IndexName: "byS" }));
    expect(scan.Items!.map((x) => x.s.S)).toEqual(strs);
    expect((await c.send(new ScanCommand({ TableName: "sorts" }))).Count).toBe(nums.length + strs.length + bins.length);
  });

  it("projection rules: ALL_PROJECTED_ATTRIBUTES, refused attributes on a GSI, fetched ones on an LSI", async () => {
    const { client: c } = account(n);
    await ordersTable(c);
    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("u1"), sk: N(1), status: S("open"), total: N(30), note: S("n"), date: S("2026-01-02"), secret: S("s") } }));
    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("u1"), sk: N(2), date: S("2026-01-01"), secret: S("t") } }));

    let e = await failure(byStatus(c, "open", { ProjectionExpression: "note, secret" }));
    expect([e.name, e.message]).toEqual(["ValidationException", "One or more parameter values were invalid: Global secondary index byStatus does not project [secret]"]);
    e = await failure(byStatus(c, "open", { Select: "ALL_ATTRIBUTES" }));
    expect(e.message).toBe("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byStatus because its projection type is not ALL");
    e = await failure(byStatus(c, "open", { ConsistentRead: true }));
    expect(e.message).toBe("Consistent reads are not supported on global secondary indexes");
    e = await failure(c.send(new QueryCommand({ TableName: "orders", IndexName: "nope", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": S("u1") } })));
    expect(e.message).toBe("The table does not have the specified index: nope");
    e = await failure(c.send(new QueryCommand({ TableName: "orders", Select: "ALL_PROJECTED_ATTRIBUTES", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": S("u1") } })));
    expect(e.message).toBe("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
    // The key condition names the index's keys.
    e = await failure(byStatus(c, "open", { KeyConditionExpression: "#t = :s", ExpressionAttributeNames: { "#t": "total" }, ExpressionAttributeValues: { ":s": N(1) } }));
    expect(e.message).toBe("Query condition missed key schema element: status");

    expect((await byStatus(c, "open", { ProjectionExpression: "note" })).Items).toEqual([{ note: S("n") }]);
    expect((await byStatus(c, "open", { Select: "ALL_PROJECTED_ATTRIBUTES" })).Items).toEqual([{ pk: S("u1"), sk: N(1), status: S("open"), total: N(30), note: S("n") }]);
    expect((await byStatus(c, "open", { Select: "COUNT" })).Count).toBe(1);

    const lsi = (extra: Record<string, unknown> = {}) =>
      c.send(new QueryCommand({ TableName: "orders", IndexName: "byDate", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": S("u1") }, ...extra }));
    // KEYS_ONLY LSI, ordered by date: the projected keys by default...
    expect((await lsi()).Items).toEqual([
      { pk: S("u1"), sk: N(2), date: S("2026-01-01") },
      { pk: S("u1"), sk: N(1), date: S("2026-01-02") },
    ]);
    // ...and what it does not project is read from the table.
    expect((await lsi({ ProjectionExpression: "secret" })).Items).toEqual([{ secret: S("t") }, { secret: S("s") }]);
    expect((await lsi({ Select: "ALL_ATTRIBUTES", ConsistentRead: true })).Items![0]).toEqual({ pk: S("u1"), sk: N(2), date: S("2026-01-01"), secret: S("t") });
  });
});

describe("UpdateTable GlobalSecondaryIndexUpdates", () => {
  it("creates a GSI that backfills existing items (CREATING, then ACTIVE on the Nimbus clock) and deletes it", async () => {
    const { client: c } = account(n);
    await c.send(
      new CreateTableCommand({ TableName: "people", BillingMode: "PAY_PER_REQUEST", KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "id", AttributeType: "N" }] }),
    );
    for (let i = 1; i <= 5; i++) await c.send(new PutItemCommand({ TableName: "people", Item: { id: N(i), city: S(i % 2 ? "Oslo" : "Rome"), age: N(20 + i) } }));
    const create = { Create: { IndexName: "byCity", KeySchema: [{ AttributeName: "city", KeyType: "HASH" as const }, { AttributeName: "age", KeyType: "RANGE" as const }], Projection: { ProjectionType: "ALL" as const } } };
    let e = await failure(c.send(new UpdateTableCommand({ TableName: "people", GlobalSecondaryIndexUpdates: [create] })));
    expect(e.message).toBe("One or more parameter values were invalid: AttributeDefinitions is not specified for index: byCity");
    const defs = [
      { AttributeName: "city", AttributeType: "S" as const },
      { AttributeName: "age", AttributeType: "N" as const },
    ];
    const two = { Create: { ...create.Create, IndexName: "other" } };
    e = await failure(c.send(new UpdateTableCommand({ TableName: "people", AttributeDefinitions: defs, GlobalSecondaryIndexUpdates: [create, two] })));
    expect([e.name, e.message]).toEqual(["LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"]);

    const up = await c.send(new UpdateTableCommand({ TableName: "people", AttributeDefinitions: defs, GlobalSecondaryIndexUpdates: [create] }));
    expect(up.TableDescription!.GlobalSecondaryIndexes![0]).toMatchObject({ IndexName: "byCity", IndexStatus: "CREATING", Backfilling: true });
    expect(up.TableDescription!.AttributeDefinitions!.map((d) => d.AttributeName)).toEqual(["id", "city", "age"]);
    e = await failure(c.send(new QueryCommand({ TableName: "people", IndexName: "byCity", KeyConditionExpression: "city = :c", ExpressionAttributeValues: { ":c": S("Oslo") } })));
    expect(e.message).toBe("Cannot read from backfilling global secondary index: byCity");
    e = await failure(c.send(new UpdateTableCommand({ TableName: "people", AttributeDefinitions: defs, GlobalSecondaryIndexUpdates: [two] })));
    expect(e.name).toBe("LimitExceededException");

    await advanceClock(n, "PT1M");
    const d = (await c.send(new DescribeTableCommand({ TableName: "people" }))).Table!;
    expect(d.GlobalSecondaryIndexes![0]).toMatchObject({ IndexStatus: "ACTIVE", ItemCount: 5 });
    expect(d.GlobalSecondaryIndexes![0].Backfilling).toBeUndefined();
    const q = await c.send(new QueryCommand({ TableName: "people", IndexName: "byCity", KeyConditionExpression: "city = :c", ExpressionAttributeValues: { ":c": S("Oslo") }, ScanIndexForward: false }));
    expect(q.Items!.map((x) => x.id.N)).toEqual(["5", "3", "1"]);
    // Writes after the backfill are indexed too.
    await c.send(new PutItemCommand({ TableName: "people", Item: { id: N(6), city: S("Oslo"), age: N(1) } }));
    const q2 = await c.send(new QueryCommand({ TableName: "people", IndexName: "byCity", KeyConditionExpression: "city = :c AND age < :a", ExpressionAttributeValues: { ":c": S("Oslo"), ":a": N(22) } }));
    expect(q2.Items!.map((x) => x.id.N)).toEqual(["6", "1"]);

    e = await failure(c.send(new UpdateTableCommand({ TableName: "people", AttributeDefinitions: defs, GlobalSecondaryIndexUpdates: [create] })));
    expect(e.message).toBe("Attempting to create an index which already exists");
    e = await failure(c.send(new UpdateTableCommand({ TableName: "people", GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: "nope" } }] })));
    expect(e.name).toBe("ResourceNotFoundException");

    const del = await c.send(new UpdateTableCommand({ TableName: "people", GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: "byCity" } }] }));
    expect(del.TableDescription!.GlobalSecondaryIndexes).toEqual([expect.objectContaining({ IndexName: "byCity", IndexStatus: "DELETING" })]);
    const after = (await c.send(new DescribeTableCommand({ TableName: "people" }))).Table!;
    expect(after.GlobalSecondaryIndexes).toBeUndefined();
    expect(after.AttributeDefinitions).toEqual([{ AttributeName: "id", AttributeType: "N" }]);
    e = await failure(c.send(new QueryCommand({ TableName: "people", IndexName: "byCity", KeyConditionExpression: "city = :c", ExpressionAttributeValues: { ":c": S("Oslo") } })));
    expect(e.message).toBe("The table does not have the specified index: byCity");
    // The table's items are untouched.
    expect((await c.send(new ScanCommand({ TableName: "people", Select: "COUNT" }))).Count).toBe(6);
  });
});
