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
});
