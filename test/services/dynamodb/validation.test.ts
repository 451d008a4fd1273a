// DynamoDB's limits and their exact messages, and that a refused request changes nothing:
// 400 KB items (AWS's size arithmetic), key sizes, empty strings in keys, empty sets, 38-digit
// numbers and their range, batch and transaction sizes, duplicate keys, 4 KB expressions,
// reserved words and enum members.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const TableName = "limits";
async function setup(): Promise<DynamoDBClient> {
  const { client } = account(n);
  await createTable(client, TableName, ["pk", "S"], ["sk", "S"]);
  return client;
}
const key = (sk: string): Record<string, AttributeValue> => ({ pk: { S: "p" }, sk: { S: sk } });

async function count(c: DynamoDBClient): Promise<number> {
  return (await c.send(new ScanCommand({ TableName, Select: "COUNT", ConsistentRead: true }))).Count!;
}

describe("item limits", () => {
  it("400 KB item size as AWS computes it", async () => {
    const c = await setup();
    // "pk"+"p" = 3, "sk"+"a" = 3, "d" = 1: the string may fill the rest of 409,600 bytes.
    const fits = { ...key("a"), d: { S: "x".repeat(409_600 - 7) } };
    await c.send(new PutItemCommand({ TableName, Item: fits }));
    const over = await failure(c.send(new PutItemCommand({ TableName, Item: { ...key("b"), d: { S: "x".repeat(409_600 - 6) } } })));
    expect([over.name, over.message]).toEqual(["ValidationException", "Item size has exceeded the maximum allowed size"]);
    // An update that would grow the item past the limit fails and leaves it as it was.
    const grow = await failure(
      c.send(new UpdateItemCommand({ TableName, Key: key("a"), UpdateExpression: "SET e = :e", ExpressionAttributeValues: { ":e": { S: "y" } } })),
    );
    expect(grow.message).toBe("Item size has exceeded the maximum allowed size");
    expect((await c.send(new GetItemCommand({ TableName, Key: key("a"), ConsistentRead: true }))).Item!.e).toBeUndefined();
    expect(await count(c)).toBe(1);
  });

  it("key sizes, empty key strings, empty sets, numbers", async () => {
    const c = await setup();
    const hashTable = "hashonly";
    await createTable(c, hashTable, ["h", "S"]);
    await c.send(new PutItemCommand({ TableName: hashTable, Item: { h: { S: "h".repeat(2048) } } }));
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "p" }, sk: { S: "s".repeat(1024) } } }));
    const cases: Array<[string, Record<string, AttributeValue>, string?]> = [
      ["One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes", { h: { S: "h".repeat(2049) } }, hashTable],
      ["One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes", { pk: { S: "p" }, sk: { S: "s".repeat(1025) } }],
      ["One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk", { pk: { S: "p" }, sk: { S: "" } }],
      ["One or more parameter values were invalid: An string set  may not be empty", { ...key("x"), ss: { SS: [] } }],
      ["One or more parameter values were invalid: An number set  may not be empty", { ...key("x"), ns: { NS: [] } }],
      ["Attempting to store more than 38 significant digits in a Number", { ...key("x"), n: { N: "1".repeat(39) } }],
      ["Number overflow. Attempting to store a number with magnitude larger than supported range", { ...key("x"), n: { N: "1e126" } }],
      ["Number underflow. Attempting to store a number with magnitude smaller than supported range", { ...key("x"), n: { N: "1e-131" } }],
      ["One or more parameter values were invalid: Input collection [a, a] contains duplicates.", { ...key("x"), ss: { SS: ["a", "a"] } }],
      ["One or more parameter values were invalid: Type mismatch for key sk expected: S actual: N", { pk: { S: "p" }, sk: { N: "1" } }],
      ["One or more parameter values were invalid: Missing the key sk in the item", { pk: { S: "p" } }],
    ];
    for (const [message, Item, table] of cases) {
      const e = await failure(c.send(new PutItemCommand({ TableName: table ?? TableName, Item })));
      expect(e.message, message).toBe(message);
    }
    // The largest and smallest magnitudes and 38 digits are fine, and come back canonical.
    await c.send(new PutItemCommand({ TableName, Item: { ...key("n"), big: { N: "9.9999999999999999999999999999999999999E+125" }, small: { N: "-1E-130" }, d: { N: "0012.3400" } } }));
    const got = (await c.send(new GetItemCommand({ TableName, Key: key("n"), ConsistentRead: true }))).Item!;
    expect(got.big.N).toBe("99999999999999999999999999999999999999" + "0".repeat(88));
    expect(got.small.N).toBe("-0." + "0".repeat(129) + "1");
    expect(got.d.N).toBe("12.34");
    expect(await count(c)).toBe(2);
  });
});

describe("batch and transaction limits", () => {
  it("refuses oversized and duplicate batches whole", async () => {
    const c = await setup();
    const puts = (k: number, start = 0) => Array.from({ length: k }, (_, i) => ({ PutRequest: { Item: key(`k${start + i}`) } }));
    const big = await failure(c.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: puts(26) } })));
    expect(big.message).toBe(
      "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
    );
    const dup = await failure(c.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: [...puts(3), { DeleteRequest: { Key: key("k1") } }] } })));
    expect(dup.message).toBe("Provided list of item keys contains duplicates");
    // One bad item among good ones: nothing is written.
    const bad = await failure(c.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: [...puts(5), { PutRequest: { Item: { pk: { S: "p" }, sk: { S: "" } } } }] } })));
    expect(bad.name).toBe("ValidationException");
    expect(await count(c)).toBe(0);

    const keys = Array.from({ length: 101 }, (_, i) => key(`k${i}`));
    expect((await failure(c.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: keys } } })))).message).toMatch(/Member must have length less than or equal to 100/);
    await createTable(c, "second", ["id", "S"]);
    const split = await failure(
      c.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: keys.slice(0, 60) }, second: { Keys: Array.from({ length: 41 }, (_, i) => ({ id: { S: `i${i}` } })) } } })),
    );
    expect(split.message).toBe("Too many items requested for the BatchGetItem call");
    const dupGet = await failure(c.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key("a"), key("a")] } } })));
    expect(dupGet.message).toBe("Provided list of item keys contains duplicates");
  });

  it("refuses oversized and self-overlapping transactions, writing nothing", async () => {
    const c = await setup();
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ Put: { TableName, Item: key(`t${i}`) } }));
    expect((await failure(c.send(new TransactWriteItemsCommand({ TransactItems: tooMany })))).message).toBe(
      "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
    );
    const twice = await failure(c.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName, Item: key("a") } }, { Delete: { TableName, Key: key("a") } }] })));
    expect(twice.message).toBe("Transaction request cannot include multiple operations on one item");
    const getTwice = await failure(c.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName, Key: key("a") } }, { Get: { TableName, Key: key("a") } }] })));
    expect(getTwice.message).toBe("Transaction request cannot include multiple operations on one item");
    // A bad expression in the last action fails the request before anything is written.
    const badExpr = await failure(
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName, Item: key("ok") } }, { Update: { TableName, Key: key("b"), UpdateExpression: "SET = :x", ExpressionAttributeValues: { ":x": { S: "x" } } } }],
        }),
      ),
    );
    expect(badExpr.name).toBe("ValidationException");
    expect(await count(c)).toBe(0);
  });
});

describe("TransactWriteItems ClientRequestToken", () => {
  it("applies a request once per token and refuses a different request with the same token", async () => {
    const c = await setup();
    await c.send(new PutItemCommand({ TableName, Item: { ...key("counter"), n: { N: "0" } } }));
    const bump = (ClientRequestToken: string, by = "1") =>
      c.send(
        new TransactWriteItemsCommand({
          ClientRequestToken,
          TransactItems: [{ Update: { TableName, Key: key("counter"), UpdateExpression: "SET n = n + :b", ExpressionAttributeValues: { ":b": { N: by } } } }],
        }),
      );
    await bump("token-1");
    await bump("token-1");
    await bump("token-1");
    const mismatch = await failure(bump("token-1", "5"));
    expect([mismatch.name, mismatch.message]).toEqual(["IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request."]);
    await bump("token-2");
    expect((await c.send(new GetItemCommand({ TableName, Key: key("counter"), ConsistentRead: true }))).Item!.n).toEqual({ N: "2" });
  });
});

describe("expressions and parameters", () => {
  it("4 KB expressions, reserved words, enum members", async () => {
    const c = await setup();
    await c.send(new PutItemCommand({ TableName, Item: key("a") }));
    const long = Array.from({ length: 700 }, (_, i) => `a${i} = :v`).join(" OR ");
    const size = Buffer.byteLength(long);
    expect(size).toBeGreaterThan(4096);
    const tooLong = await failure(c.send(new PutItemCommand({ TableName, Item: key("a"), ConditionExpression: long, ExpressionAttributeValues: { ":v": { S: "v" } } })));
    expect(tooLong.message).toBe(`Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: ${size}`);
    const reserved = await failure(c.send(new UpdateItemCommand({ TableName, Key: key("a"), UpdateExpression: "SET status = :s", ExpressionAttributeValues: { ":s": { S: "x" } } })));
    expect(reserved.message).toBe("Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status");
    const rv = await failure(c.send(new UpdateItemCommand({ TableName, Key: key("a"), ReturnValues: "EVERYTHING" as never })));
    expect(rv.message).toBe(
      "1 validation error detected: Value 'EVERYTHING' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    );
    const two = await failure(c.send(new PutItemCommand({ TableName, Item: key("a"), ReturnConsumedCapacity: "ALL" as never, ReturnItemCollectionMetrics: "BIG" as never })));
    expect(two.message).toMatch(/^2 validation errors detected: Value 'ALL' at 'returnConsumedCapacity' .*; Value 'BIG' at 'returnItemCollectionMetrics' /);
    const putNew = await failure(c.send(new PutItemCommand({ TableName, Item: key("a"), ReturnValues: "ALL_NEW" })));
    expect(putNew.message).toBe("ReturnValues can only be ALL_OLD or NONE");
    const eav = await failure(c.send(new PutItemCommand({ TableName, Item: key("a"), ExpressionAttributeValues: { ":v": { S: "v" } } })));
    expect(eav.message).toBe("ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null");
    const limit = await failure(c.send(new ScanCommand({ TableName, Limit: 0 })));
    expect(limit.message).toBe("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
    expect(await count(c)).toBe(1);
  });
});
