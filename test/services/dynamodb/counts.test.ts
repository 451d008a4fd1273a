// ItemCount and TableSizeBytes follow every committed write and no rolled-back one: they are
// kept in memory between flushes (store.ts, "item counts"), so these check the cases where a
// delta must be dropped (a cancelled transaction, a failed write grouped with others), the
// flush across a clean restart, and the sizes against AWS's item-size arithmetic.
import { describe, expect, it } from "vitest";
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { freshAccount, sdkConfig, startNimbus } from "../../support/nimbus.js";
import { createTable, failure, N, S } from "./helpers.js";

async function counts(c: DynamoDBClient, TableName: string): Promise<[number, number]> {
  const t = (await c.send(new DescribeTableCommand({ TableName }))).Table!;
  return [t.ItemCount!, t.TableSizeBytes!];
}

describe("ItemCount and TableSizeBytes", () => {
  it("count committed writes only, and survive a restart", async () => {
    const first = await startNimbus();
    const accountId = freshAccount();
    let c = new DynamoDBClient(sdkConfig(first.endpoint, { accountId }));
    try {
      await createTable(c, "counted", ["pk", "S"]);
      expect(await counts(c, "counted")).toEqual([0, 0]);
      // AWS's item size: name bytes + value bytes (a number: 1 + 1 per 2 significant digits).
      // {pk: "a"}: 2 + 1 = 3 bytes; {pk: "bb"}: 4; {pk: "n", v: 123}: 3 + 1 + 3 = 7.
      await c.send(new PutItemCommand({ TableName: "counted", Item: { pk: S("a") } }));
      await c.send(new PutItemCommand({ TableName: "counted", Item: { pk: S("bb") } }));
      await c.send(new PutItemCommand({ TableName: "counted", Item: { pk: S("n"), v: N(123) } }));
      expect(await counts(c, "counted")).toEqual([3, 3 + 4 + 7]);

      // A cancelled transaction writes nothing and counts nothing.
      const cancelled = await failure(
        c.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: "counted", Item: { pk: S("new1") } } },
              { Delete: { TableName: "counted", Key: { pk: S("a") } } },
              { Put: { TableName: "counted", Item: { pk: S("bb"), x: S("y") }, ConditionExpression: "attribute_not_exists(pk)" } },
            ],
          }),
        ),
      );
      expect(cancelled.name).toBe("TransactionCanceledException");
      expect(await counts(c, "counted")).toEqual([3, 14]);

      // Writes sent together commit in one group, each in its own savepoint: the failing one
      // (its condition) is rolled back alone, and only the others count.
      const results = await Promise.allSettled([
        c.send(new PutItemCommand({ TableName: "counted", Item: { pk: S("c1") } })),
        c.send(new PutItemCommand({ TableName: "counted", Item: { pk: S("a"), big: S("x".repeat(100)) }, ConditionExpression: "attribute_not_exists(pk)" })),
        c.send(new PutItemCommand({ TableName: "counted", Item: { pk: S("c2") } })),
        c.send(new DeleteItemCommand({ TableName: "counted", Key: { pk: S("bb") } })),
        c.send(new BatchWriteItemCommand({ RequestItems: { counted: [{ PutRequest: { Item: { pk: S("d1") } } }, { PutRequest: { Item: { pk: S("d2") } } }] } })),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
      // a (3), n (7), c1 (4), c2 (4), d1 (4), d2 (4); bb deleted.
      expect(await counts(c, "counted")).toEqual([6, 26]);

      // An update that grows an item (a: 3 + "w" + "four" = 8), and one whose condition fails.
      await c.send(new UpdateItemCommand({ TableName: "counted", Key: { pk: S("a") }, UpdateExpression: "SET w = :w", ExpressionAttributeValues: { ":w": S("four") } }));
      const failed = await failure(
        c.send(new UpdateItemCommand({ TableName: "counted", Key: { pk: S("c1") }, UpdateExpression: "SET w = :w", ConditionExpression: "attribute_exists(zz)", ExpressionAttributeValues: { ":w": S("x") } })),
      );
      expect(failed.name).toBe("ConditionalCheckFailedException");
      expect(await counts(c, "counted")).toEqual([6, 31]);
      await first.stop({ keepData: true });

      // A clean stop wrote the counts: a restart reads them back.
      const second = await startNimbus({ dataDir: first.dataDir });
      try {
        c = new DynamoDBClient(sdkConfig(second.endpoint, { accountId }));
        expect(await counts(c, "counted")).toEqual([6, 31]);
        await c.send(new DeleteItemCommand({ TableName: "counted", Key: { pk: S("n") } }));
        expect(await counts(c, "counted")).toEqual([5, 24]);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop().catch(() => {});
    }
  });

  // A PutItem without condition or ReturnValues on a table without hooks takes the replaced
  // row's size from what this process committed last at that key (store.ts, "written sizes"),
  // not from a SELECT: these replace the same keys after every kind of write and rollback.
  it("count replaced items right when the old row's size comes from the last commit", async () => {
    const n = await startNimbus();
    const c = new DynamoDBClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    try {
      await createTable(c, "sized", ["pk", "S"]);
      const put = (pk: string, v?: string) => c.send(new PutItemCommand({ TableName: "sized", Item: { pk: S(pk), ...(v === undefined ? {} : { v: S(v) }) } }));
      // {pk: "a"} 3 bytes; {pk: "a", v: "xxxx"} 3 + 1 + 4 = 8.
      await put("a");
      await put("a", "xxxx");
      await put("a", "xx");
      expect(await counts(c, "sized")).toEqual([1, 6]);

      // A cancelled transaction that wrote "a" (12 bytes) leaves "a" at 6: the next plain put
      // replaces 6 bytes, not 12.
      const cancelled = await failure(
        c.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: "sized", Item: { pk: S("a"), v: S("x".repeat(8)) } } },
              { Put: { TableName: "sized", Item: { pk: S("zz") }, ConditionExpression: "attribute_exists(pk)" } },
            ],
          }),
        ),
      );
      expect(cancelled.name).toBe("TransactionCanceledException");
      expect(await counts(c, "sized")).toEqual([1, 6]);
      await put("a", "xxx");
      expect(await counts(c, "sized")).toEqual([1, 7]);

      // An update and a delete change the row behind the plain puts' backs.
      await c.send(new UpdateItemCommand({ TableName: "sized", Key: { pk: S("a") }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": S("x".repeat(20)) } }));
      expect(await counts(c, "sized")).toEqual([1, 24]);
      await put("a");
      expect(await counts(c, "sized")).toEqual([1, 3]);
      await c.send(new DeleteItemCommand({ TableName: "sized", Key: { pk: S("a") } }));
      expect(await counts(c, "sized")).toEqual([0, 0]);
      await put("a", "x");
      expect(await counts(c, "sized")).toEqual([1, 5]);

      // Writes of one key sent together commit in one group: each replaces the one before it.
      const settled = await Promise.allSettled([put("a", "y".repeat(10)), put("a", "y".repeat(3)), put("b"), put("a", "y".repeat(6)), put("b", "yy")]);
      expect(settled.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
      // a: 3 + 1 + 6 = 10; b: 3 + 1 + 2 = 6.
      expect(await counts(c, "sized")).toEqual([2, 16]);
      const got = await c.send(new GetItemCommand({ TableName: "sized", Key: { pk: S("a") }, ReturnConsumedCapacity: "TOTAL" }));
      expect(got.Item).toEqual({ pk: S("a"), v: S("y".repeat(6)) });

      // ReturnValues ALL_OLD still reads the replaced item itself.
      const old = await c.send(new PutItemCommand({ TableName: "sized", Item: { pk: S("b") }, ReturnValues: "ALL_OLD" }));
      expect(old.Attributes).toEqual({ pk: S("b"), v: S("yy") });
      expect(await counts(c, "sized")).toEqual([2, 13]);
    } finally {
      await n.stop();
    }
  });
});
