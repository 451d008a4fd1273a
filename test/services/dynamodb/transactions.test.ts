// TransactWriteItems and TransactGetItems through the real SDK v3 client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetItemCommand, PutItemCommand, TransactGetItemsCommand, TransactWriteItemsCommand, type TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("TransactWriteItems / TransactGetItems", () => {
  it("applies every action or none, with cancellation reasons", async () => {
    const { client: c } = account(n);
    await createTable(c, "accounts", ["id", "S"]);
    await createTable(c, "log", ["id", "N"]);
    await c.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "a" }, balance: { N: "100" } } }));
    await c.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "b" }, balance: { N: "5" } } }));
    await c.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "frozen" }, frozen: { BOOL: true } } }));

    const transfer = (amount: string, extra: object[] = []) =>
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: "accounts",
                Key: { id: { S: "a" } },
                UpdateExpression: "SET balance = balance - :amt",
                ConditionExpression: "balance >= :amt",
                ExpressionAttributeValues: { ":amt": { N: amount } },
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
            { Update: { TableName: "accounts", Key: { id: { S: "b" } }, UpdateExpression: "ADD balance :amt", ExpressionAttributeValues: { ":amt": { N: amount } } } },
            { Put: { TableName: "log", Item: { id: { N: amount }, what: { S: "transfer" } }, ConditionExpression: "attribute_not_exists(id)" } },
            ...extra,
          ] as never,
        }),
      );
    await transfer("30", [{ ConditionCheck: { TableName: "accounts", Key: { id: { S: "frozen" } }, ConditionExpression: "frozen = :t", ExpressionAttributeValues: { ":t": { BOOL: true } } } }]);
    const got = await c.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: "accounts", Key: { id: { S: "a" } } } },
          { Get: { TableName: "accounts", Key: { id: { S: "b" } }, ProjectionExpression: "balance" } },
          { Get: { TableName: "log", Key: { id: { N: "30" } } } },
          { Get: { TableName: "log", Key: { id: { N: "999" } } } },
        ],
      }),
    );
    expect(got.Responses!.map((r) => r.Item)).toEqual([
      { id: { S: "a" }, balance: { N: "70" } },
      { balance: { N: "35" } },
      { id: { N: "30" }, what: { S: "transfer" } },
      undefined,
    ]);

    // Too much: the first action's condition fails; nothing is written.
    const e = (await failure(transfer("500"))) as unknown as TransactionCanceledException;
    expect(e.name).toBe("TransactionCanceledException");
    expect(e.message).toBe("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]");
    expect(e.CancellationReasons).toEqual([
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed", Item: { id: { S: "a" }, balance: { N: "70" } } },
      { Code: "None" },
      { Code: "None" },
    ]);
    expect((await c.send(new GetItemCommand({ TableName: "accounts", Key: { id: { S: "b" } } }))).Item!.balance).toEqual({ N: "35" });
    expect((await c.send(new GetItemCommand({ TableName: "log", Key: { id: { N: "500" } } }))).Item).toBeUndefined();

    // A later failing ConditionCheck also undoes the earlier writes.
    const e2 = (await failure(
      transfer("1", [{ ConditionCheck: { TableName: "accounts", Key: { id: { S: "frozen" } }, ConditionExpression: "attribute_not_exists(frozen)" } }]),
    )) as unknown as TransactionCanceledException;
    expect(e2.CancellationReasons!.map((r) => r.Code)).toEqual(["None", "None", "None", "ConditionalCheckFailed"]);
    expect((await c.send(new GetItemCommand({ TableName: "accounts", Key: { id: { S: "a" } } }))).Item!.balance).toEqual({ N: "70" });

    const dup = await failure(
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "log", Item: { id: { N: "7" } } } },
            { Delete: { TableName: "log", Key: { id: { N: "7" } } } },
          ],
        }),
      ),
    );
    expect(dup.name).toBe("ValidationException");
    expect(dup.message).toBe("Transaction request cannot include multiple operations on one item");
  });
});
