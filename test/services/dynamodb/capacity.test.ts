// ReturnConsumedCapacity with AWS's arithmetic: write units per started 1 KB of item (the larger
// of old and new for a replacement, the deleted item for a delete), read units per started
// 4 KB (per item for GetItem/BatchGetItem, over the total read for Query/Scan), half for
// eventually consistent reads, twice for transactions; TOTAL vs INDEXES shapes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const TableName = "cap";
async function setup(): Promise<DynamoDBClient> {
  const { client } = account(n);
  await createTable(client, TableName, ["pk", "S"], ["sk", "N"]);
  return client;
}
/** An item of exactly `bytes` bytes as AWS sizes it: "pk"+"p" (3), "sk"+1 digit (2+2), "d"+string. */
const item = (sk: number, bytes: number) => ({ pk: { S: "p" }, sk: { N: String(sk) }, d: { S: "x".repeat(bytes - 3 - 4 - 1) } });
const key = (sk: number) => ({ pk: { S: "p" }, sk: { N: String(sk) } });

describe("ReturnConsumedCapacity", () => {
  it("counts write units for PutItem, UpdateItem and DeleteItem", async () => {
    const c = await setup();
    const put = async (sk: number, bytes: number) => (await c.send(new PutItemCommand({ TableName, Item: item(sk, bytes), ReturnConsumedCapacity: "TOTAL" }))).ConsumedCapacity;
    expect(await put(1, 100)).toEqual({ TableName, CapacityUnits: 1 });
    expect((await put(2, 1024))!.CapacityUnits).toBe(1);
    expect((await put(3, 1025))!.CapacityUnits).toBe(2);
    expect((await put(4, 3000))!.CapacityUnits).toBe(3);
    // Replacing a 3000-byte item with a small one costs the larger of the two.
    expect((await put(4, 10))!.CapacityUnits).toBe(3);
    expect((await put(4, 10))!.CapacityUnits).toBe(1);
    const upd = await c.send(
      new UpdateItemCommand({ TableName, Key: key(1), UpdateExpression: "SET d = :d", ExpressionAttributeValues: { ":d": { S: "y".repeat(5000) } }, ReturnConsumedCapacity: "INDEXES" }),
    );
    expect(upd.ConsumedCapacity).toEqual({ TableName, CapacityUnits: 5, Table: { CapacityUnits: 5 } });
    const del = await c.send(new DeleteItemCommand({ TableName, Key: key(1), ReturnConsumedCapacity: "TOTAL" }));
    expect(del.ConsumedCapacity!.CapacityUnits).toBe(5);
    const none = await c.send(new DeleteItemCommand({ TableName, Key: key(1), ReturnConsumedCapacity: "TOTAL" }));
    expect(none.ConsumedCapacity!.CapacityUnits).toBe(1);
    expect((await c.send(new PutItemCommand({ TableName, Item: item(9, 10), ReturnConsumedCapacity: "NONE" }))).ConsumedCapacity).toBeUndefined();
    expect((await c.send(new PutItemCommand({ TableName, Item: item(9, 10) }))).ConsumedCapacity).toBeUndefined();
  });

  it("counts read units for GetItem, Query and Scan, halved when eventually consistent", async () => {
    const c = await setup();
    await c.send(new PutItemCommand({ TableName, Item: item(1, 5000) }));
    const get = async (sk: number, ConsistentRead?: boolean) =>
      (await c.send(new GetItemCommand({ TableName, Key: key(sk), ConsistentRead, ReturnConsumedCapacity: "TOTAL" }))).ConsumedCapacity!.CapacityUnits;
    expect(await get(1, true)).toBe(2);
    expect(await get(1)).toBe(1);
    expect(await get(2, true)).toBe(1); // a missing item still costs a unit
    expect(await get(2)).toBe(0.5);
    for (let sk = 2; sk <= 9; sk++) await c.send(new PutItemCommand({ TableName, Item: item(sk, 1000) }));
    // 5000 + 8 x 1000 = 13,000 bytes read: 4 units strongly consistent, 2 eventually.
    const q = await c.send(new QueryCommand({ TableName, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } }, ConsistentRead: true, ReturnConsumedCapacity: "TOTAL" }));
    expect(q.ConsumedCapacity).toEqual({ TableName, CapacityUnits: 4 });
    // A filter does not reduce what was read.
    const f = await c.send(
      new ScanCommand({ TableName, FilterExpression: "sk = :one", ExpressionAttributeValues: { ":one": { N: "1" } }, Select: "COUNT", ReturnConsumedCapacity: "INDEXES" }),
    );
    expect(f.Count).toBe(1);
    expect(f.ConsumedCapacity).toEqual({ TableName, CapacityUnits: 2, Table: { CapacityUnits: 2 } });
  });

  it("lists units per table for batches and doubles them for transactions", async () => {
    const c = await setup();
    await createTable(c, "other", ["id", "S"]);
    const bw = await c.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TableName]: [{ PutRequest: { Item: item(1, 2000) } }, { PutRequest: { Item: item(2, 100) } }],
          other: [{ PutRequest: { Item: { id: { S: "x" } } } }],
        },
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(bw.ConsumedCapacity).toEqual([
      { TableName, CapacityUnits: 3 },
      { TableName: "other", CapacityUnits: 1 },
    ]);
    const bg = await c.send(
      new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key(1), key(2), key(3)], ConsistentRead: true }, other: { Keys: [{ id: { S: "x" } }] } }, ReturnConsumedCapacity: "TOTAL" }),
    );
    expect(bg.ConsumedCapacity).toEqual([
      { TableName, CapacityUnits: 3 },
      { TableName: "other", CapacityUnits: 0.5 },
    ]);
    const tw = await c.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Put: { TableName, Item: item(5, 1500) } }, { Delete: { TableName: "other", Key: { id: { S: "x" } } } }],
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(tw.ConsumedCapacity).toEqual([
      { TableName, CapacityUnits: 4 },
      { TableName: "other", CapacityUnits: 2 },
    ]);
    const tg = await c.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName, Key: key(1) } }, { Get: { TableName, Key: key(5) } }], ReturnConsumedCapacity: "TOTAL" }));
    expect(tg.ConsumedCapacity).toEqual([{ TableName, CapacityUnits: 4 }]);
  });
});
