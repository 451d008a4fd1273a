// Reads see exactly the committed items: GetItem (and every write's read of the old row) is
// served from a cache of recently read rows (store.ts, "item cache"), so these read an item
// into it and then change it every way there is, committed or rolled back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeleteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure, S } from "./helpers.js";

let n: TestNimbus;
let c: DynamoDBClient;
beforeAll(async () => {
  n = await startNimbus();
  c = account(n).client;
});
afterAll(() => n.stop());

const get = async (TableName: string, pk: string, ConsistentRead = false) =>
  (await c.send(new GetItemCommand({ TableName, Key: { pk: S(pk) }, ConsistentRead }))).Item?.v?.S;

describe("item reads after every kind of change", () => {
  it("never show a rolled-back write, and always show a committed one", async () => {
    await createTable(c, "cached", ["pk", "S"]);
    await c.send(new PutItemCommand({ TableName: "cached", Item: { pk: S("a"), v: S("v1") } }));
    await c.send(new PutItemCommand({ TableName: "cached", Item: { pk: S("b"), v: S("b1") } }));
    expect(await get("cached", "a")).toBe("v1");
    expect(await get("cached", "a", true)).toBe("v1");

    // A cancelled transaction that had written "a" and "d" before its last action failed.
    const cancelled = await failure(
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "cached", Item: { pk: S("a"), v: S("v2") } } },
            { Put: { TableName: "cached", Item: { pk: S("d"), v: S("d1") } } },
            { ConditionCheck: { TableName: "cached", Key: { pk: S("b") }, ConditionExpression: "v = :x", ExpressionAttributeValues: { ":x": S("nope") } } },
          ],
        }),
      ),
    );
    expect(cancelled.name).toBe("TransactionCanceledException");
    expect(await get("cached", "a")).toBe("v1");
    expect(await get("cached", "b")).toBe("b1");
    expect(await get("cached", "d")).toBeUndefined();

    // Writes sent together share a commit; the one whose condition fails is rolled back alone.
    const settled = await Promise.allSettled([
      c.send(new PutItemCommand({ TableName: "cached", Item: { pk: S("a"), v: S("v3") }, ConditionExpression: "v = :x", ExpressionAttributeValues: { ":x": S("nope") } })),
      c.send(new PutItemCommand({ TableName: "cached", Item: { pk: S("b"), v: S("b2") } })),
      c.send(new UpdateItemCommand({ TableName: "cached", Key: { pk: S("c") }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": S("c1") } })),
    ]);
    expect(settled.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(await get("cached", "a")).toBe("v1");
    expect(await get("cached", "b")).toBe("b2");
    expect(await get("cached", "c")).toBe("c1");

    // A committed transaction, an update, PartiQL and a delete.
    await c.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Update: { TableName: "cached", Key: { pk: S("a") }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": S("v4") } } },
          { Delete: { TableName: "cached", Key: { pk: S("c") } } },
        ],
      }),
    );
    expect(await get("cached", "a")).toBe("v4");
    expect(await get("cached", "c")).toBeUndefined();
    await c.send(new ExecuteStatementCommand({ Statement: `UPDATE "cached" SET v = 'v5' WHERE pk = 'a'` }));
    expect(await get("cached", "a")).toBe("v5");
    const failedUpdate = await failure(
      c.send(new UpdateItemCommand({ TableName: "cached", Key: { pk: S("a") }, UpdateExpression: "SET v = :v", ConditionExpression: "attribute_not_exists(pk)", ExpressionAttributeValues: { ":v": S("v6") } })),
    );
    expect(failedUpdate.name).toBe("ConditionalCheckFailedException");
    expect(await get("cached", "a")).toBe("v5");
    await c.send(new DeleteItemCommand({ TableName: "cached", Key: { pk: S("a") } }));
    expect(await get("cached", "a")).toBeUndefined();

    // A table deleted and made again under the same name starts empty.
    expect(await get("cached", "b")).toBe("b2");
    await c.send(new DeleteTableCommand({ TableName: "cached" }));
    await createTable(c, "cached", ["pk", "S"]);
    expect(await get("cached", "b")).toBeUndefined();
  });
});
