// DynamoDB table lifecycle through the real SDK v3 client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("CreateTable / DescribeTable", () => {
  it("creates a HASH+RANGE provisioned table and describes it", async () => {
    const { id, client: c } = account(n);
    const before = n.nimbus.clock.now();
    const out = await c.send(
      new CreateTableCommand({
        TableName: "orders",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "N" },
        ],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 7 },
        Tags: [{ Key: "team", Value: "core" }],
      }),
    );
    const d = out.TableDescription!;
    expect(d.TableName).toBe("orders");
    expect(d.TableStatus).toBe("ACTIVE");
    expect(d.TableArn).toBe(`arn:aws:dynamodb:us-east-1:${id}:table/orders`);
    expect(d.TableId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(d.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 5, WriteCapacityUnits: 7, NumberOfDecreasesToday: 0 });
    expect(d.BillingModeSummary?.BillingMode).toBe("PROVISIONED");
    expect(d.CreationDateTime!.getTime()).toBeGreaterThanOrEqual(before - 1000);

    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: { S: "a" }, sk: { N: "1" }, note: { S: "hello" } } }));
    const desc = (await c.send(new DescribeTableCommand({ TableName: "orders" }))).Table!;
    expect(desc.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(desc.AttributeDefinitions).toEqual([
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "N" },
    ]);
    expect(desc.ItemCount).toBe(1);
    expect(desc.TableSizeBytes).toBeGreaterThan(10);
    expect(desc.TableId).toBe(d.TableId);
    // By ARN too.
    const byArn = (await c.send(new DescribeTableCommand({ TableName: d.TableArn }))).Table!;
    expect(byArn.TableName).toBe("orders");
    expect((await c.send(new ListTagsOfResourceCommand({ ResourceArn: d.TableArn }))).Tags).toEqual([{ Key: "team", Value: "core" }]);
  });

  it("PAY_PER_REQUEST reports zero capacity", async () => {
    const { client: c } = account(n);
    await createTable(c, "ondemand", ["id", "S"]);
    const d = (await c.send(new DescribeTableCommand({ TableName: "ondemand" }))).Table!;
    expect(d.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(d.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 0, WriteCapacityUnits: 0 });
    expect(d.ItemCount).toBe(0);
  });

  it("validates key schema, attribute definitions and billing as AWS does", async () => {
    const { client: c } = account(n);
    const base = { TableName: "bad", BillingMode: "PAY_PER_REQUEST" as const };
    const unused = await failure(
      c.send(
        new CreateTableCommand({
          ...base,
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          AttributeDefinitions: [
            { AttributeName: "id", AttributeType: "S" },
            { AttributeName: "extra", AttributeType: "S" },
          ],
        }),
      ),
    );
    expect(unused.name).toBe("ValidationException");
    expect(unused.message).toBe(
      "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
    );
    const undef = await failure(
      c.send(new CreateTableCommand({ ...base, KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "x", AttributeType: "S" }] })),
    );
    expect(undef.message).toBe(
      "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [x]",
    );
    const firstRange = await failure(
      c.send(new CreateTableCommand({ ...base, KeySchema: [{ AttributeName: "id", KeyType: "RANGE" }], AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }] })),
    );
    expect(firstRange.message).toBe("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    const ks = { KeySchema: [{ AttributeName: "id", KeyType: "HASH" as const }], AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" as const }] };
    const noThroughput = await failure(c.send(new CreateTableCommand({ TableName: "bad", ...ks })));
    expect(noThroughput.message).toBe("No provisioned throughput specified for the table");
    const ppr = await failure(c.send(new CreateTableCommand({ ...base, ...ks, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })));
    expect(ppr.message).toBe(
      "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    );
    const prov = await failure(c.send(new CreateTableCommand({ TableName: "bad", BillingMode: "PROVISIONED", ...ks })));
    expect(prov.name).toBe("ValidationException");

    await c.send(new CreateTableCommand({ ...base, ...ks }));
    const again = await failure(c.send(new CreateTableCommand({ ...base, ...ks })));
    expect(again.name).toBe("ResourceInUseException");
    expect(again.message).toBe("Table already exists: bad");
  });
});

describe("ListTables / DeleteTable", () => {
  it("pages table names in order", async () => {
    const { client: c } = account(n);
    for (const name of ["t-c", "t-a", "t-b", "t-e", "t-d"]) await createTable(c, name, ["id", "S"]);
    const p1 = await c.send(new ListTablesCommand({ Limit: 2 }));
    expect(p1).toMatchObject({ TableNames: ["t-a", "t-b"], LastEvaluatedTableName: "t-b" });
    const p2 = await c.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: "t-b" }));
    expect(p2).toMatchObject({ TableNames: ["t-c", "t-d"], LastEvaluatedTableName: "t-d" });
    const p3 = await c.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: "t-d" }));
    expect(p3.TableNames).toEqual(["t-e"]);
    expect(p3.LastEvaluatedTableName).toBeUndefined();
    expect((await c.send(new ListTablesCommand({}))).TableNames).toHaveLength(5);
    // Other accounts see nothing of it.
    expect((await account(n).client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });

  it("deletes a table: DELETING description, then ResourceNotFoundException", async () => {
    const { client: c } = account(n);
    await createTable(c, "gone", ["id", "S"]);
    await c.send(new PutItemCommand({ TableName: "gone", Item: { id: { S: "x" } } }));
    const out = await c.send(new DeleteTableCommand({ TableName: "gone" }));
    expect(out.TableDescription).toMatchObject({ TableName: "gone", TableStatus: "DELETING", ItemCount: 1 });
    const e = await failure(c.send(new DescribeTableCommand({ TableName: "gone" })));
    expect(e.name).toBe("ResourceNotFoundException");
    expect(e.message).toBe("Requested resource not found: Table: gone not found");
    expect(e.$metadata.httpStatusCode).toBe(400);
    const e2 = await failure(c.send(new DeleteTableCommand({ TableName: "gone" })));
    expect(e2.name).toBe("ResourceNotFoundException");
    // The name is free again, with no items left behind.
    await createTable(c, "gone", ["id", "S"]);
    expect((await c.send(new DescribeTableCommand({ TableName: "gone" }))).Table!.ItemCount).toBe(0);
  });

  it("tags and untags a table", async () => {
    const { client: c } = account(n);
    await createTable(c, "tagged", ["id", "S"]);
    const arn = (await c.send(new DescribeTableCommand({ TableName: "tagged" }))).Table!.TableArn!;
    await c.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] }));
    await c.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["a"] }));
    expect((await c.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: "b", Value: "2" }]);
  });
});

describe("UpdateTable / DescribeTimeToLive / names", () => {
  it("switches billing modes, capacity and deletion protection", async () => {
    const { client: c } = account(n);
    await createTable(c, "upd", ["id", "S"]);
    const toProv = await failure(c.send(new UpdateTableCommand({ TableName: "upd", BillingMode: "PROVISIONED" })));
    expect(toProv.message).toBe("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED");
    const prov = await c.send(
      new UpdateTableCommand({ TableName: "upd", BillingMode: "PROVISIONED", ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }),
    );
    expect(prov.TableDescription).toMatchObject({ BillingModeSummary: { BillingMode: "PROVISIONED" }, ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } });
    const same = await failure(c.send(new UpdateTableCommand({ TableName: "upd", ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } })));
    expect(same.message).toMatch(/^The provisioned throughput for the table will not change\. The requested value equals the current value\./);
    const nothing = await failure(c.send(new UpdateTableCommand({ TableName: "upd" })));
    expect(nothing.name).toBe("ValidationException");

    await c.send(new UpdateTableCommand({ TableName: "upd", DeletionProtectionEnabled: true }));
    const protectedDelete = await failure(c.send(new DeleteTableCommand({ TableName: "upd" })));
    expect(protectedDelete.name).toBe("ValidationException");
    await c.send(new UpdateTableCommand({ TableName: "upd", DeletionProtectionEnabled: false, BillingMode: "PAY_PER_REQUEST" }));
    const d = (await c.send(new DescribeTableCommand({ TableName: "upd" }))).Table!;
    expect(d).toMatchObject({ DeletionProtectionEnabled: false, BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" }, ProvisionedThroughput: { ReadCapacityUnits: 0 } });
    await c.send(new DeleteTableCommand({ TableName: "upd" }));
  });

  it("reports TTL disabled, and rejects bad table names and expression keys", async () => {
    const { client: c } = account(n);
    await createTable(c, "ttl", ["id", "S"]);
    expect((await c.send(new DescribeTimeToLiveCommand({ TableName: "ttl" }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: "DISABLED" });
    expect((await failure(c.send(new DescribeTimeToLiveCommand({ TableName: "nope" })))).name).toBe("ResourceNotFoundException");
    const short = await failure(c.send(new DescribeTableCommand({ TableName: "ab" })));
    expect(short.message).toBe("1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
    const pattern = await failure(c.send(new DescribeTableCommand({ TableName: "a b c" })));
    expect(pattern.message).toBe(
      "1 validation error detected: Value 'a b c' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    const badKey = await failure(
      c.send(new GetItemCommand({ TableName: "ttl", Key: { id: { S: "x" } }, ProjectionExpression: "#a", ExpressionAttributeNames: { "#a": "a", b: "b" } })),
    );
    expect(badKey.message).toBe('ExpressionAttributeNames contains invalid key: Syntax error; key: "b"');
    const noExpr = await failure(c.send(new GetItemCommand({ TableName: "ttl", Key: { id: { S: "x" } }, ExpressionAttributeNames: { "#a": "a" } })));
    expect(noExpr.message).toBe("ExpressionAttributeNames can only be specified when using expressions");
  });
});
