// The legacy (pre-expression) parameters through the SDK v3 client: Expected with
// ConditionalOperator, AttributeUpdates, AttributesToGet, KeyConditions, QueryFilter and
// ScanFilter, and AWS's refusal to mix them with expression parameters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type Condition,
  type DynamoDBClient,
  type ExpectedAttributeValue,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const TableName = "legacy";
async function setup(): Promise<DynamoDBClient> {
  const { client } = account(n);
  await createTable(client, TableName, ["pk", "S"], ["sk", "N"]);
  return client;
}
const key = (sk: string) => ({ pk: { S: "p" }, sk: { N: sk } });

describe("Expected and ConditionalOperator", () => {
  it("put-if-absent with Exists: false, value checks, AND/OR", async () => {
    const c = await setup();
    await c.send(new PutItemCommand({ TableName, Item: { ...key("1"), v: { N: "5" } }, Expected: { pk: { Exists: false } } }));
    const again = await failure(c.send(new PutItemCommand({ TableName, Item: { ...key("1"), v: { N: "6" } }, Expected: { pk: { Exists: false } } })));
    expect(again.name).toBe("ConditionalCheckFailedException");
    expect(again.message).toBe("The conditional request failed");

    // Value with implicit Exists: true compares for equality.
    await c.send(new PutItemCommand({ TableName, Item: { ...key("1"), v: { N: "6" } }, Expected: { v: { Value: { N: "5.0" } } } }));
    const stale = await failure(c.send(new PutItemCommand({ TableName, Item: { ...key("1"), v: { N: "7" } }, Expected: { v: { Value: { N: "5" } } } })));
    expect(stale.name).toBe("ConditionalCheckFailedException");

    // AND (default): both must hold; OR: one is enough.
    const Expected: Record<string, ExpectedAttributeValue> = { v: { ComparisonOperator: "GT", AttributeValueList: [{ N: "100" }] }, missing: { ComparisonOperator: "NULL" } };
    expect((await failure(c.send(new DeleteItemCommand({ TableName, Key: key("1"), Expected })))).name).toBe("ConditionalCheckFailedException");
    const del = await c.send(new DeleteItemCommand({ TableName, Key: key("1"), Expected, ConditionalOperator: "OR", ReturnValues: "ALL_OLD" }));
    expect(del.Attributes?.v).toEqual({ N: "6" });
    expect((await c.send(new GetItemCommand({ TableName, Key: key("1") }))).Item).toBeUndefined();
  });

  it("every comparison operator", async () => {
    const c = await setup();
    await c.send(new PutItemCommand({ TableName, Item: { ...key("1"), s: { S: "hello" }, n: { N: "10" }, ss: { SS: ["a", "b"] }, l: { L: [{ S: "x" }] } } }));
    const holds = async (attr: string, ComparisonOperator: string, AttributeValueList?: object[]) => {
      try {
        await c.send(new UpdateItemCommand({ TableName, Key: key("1"), Expected: { [attr]: { ComparisonOperator, AttributeValueList } } as never }));
        return true;
      } catch (e) {
        if ((e as Error).name === "ConditionalCheckFailedException") return false;
        throw e;
      }
    };
    expect(await holds("n", "EQ", [{ N: "10" }])).toBe(true);
    expect(await holds("n", "NE", [{ N: "10" }])).toBe(false);
    expect(await holds("absent", "NE", [{ N: "10" }])).toBe(true);
    expect(await holds("n", "LT", [{ N: "11" }])).toBe(true);
    expect(await holds("n", "LE", [{ N: "9" }])).toBe(false);
    expect(await holds("n", "GE", [{ N: "10" }])).toBe(true);
    expect(await holds("s", "GT", [{ N: "1" }])).toBe(false); // type mismatch never matches
    expect(await holds("s", "BEGINS_WITH", [{ S: "he" }])).toBe(true);
    expect(await holds("s", "CONTAINS", [{ S: "ell" }])).toBe(true);
    expect(await holds("ss", "CONTAINS", [{ S: "b" }])).toBe(true);
    expect(await holds("l", "CONTAINS", [{ S: "x" }])).toBe(true);
    expect(await holds("ss", "NOT_CONTAINS", [{ S: "z" }])).toBe(true);
    expect(await holds("n", "IN", [{ N: "1" }, { N: "10" }])).toBe(true);
    expect(await holds("n", "BETWEEN", [{ N: "10" }, { N: "12" }])).toBe(true);
    expect(await holds("n", "BETWEEN", [{ N: "11" }, { N: "12" }])).toBe(false);
    expect(await holds("s", "NOT_NULL")).toBe(true);
    expect(await holds("s", "NULL")).toBe(false);
  });

  it("answers AWS's validation messages and changes nothing", async () => {
    const c = await setup();
    await c.send(new PutItemCommand({ TableName, Item: { ...key("1"), v: { N: "1" } } }));
    const cases: Array<[object, string]> = [
      [
        { Expected: { v: { Exists: false } }, ConditionExpression: "attribute_exists(v)" },
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
      ],
      [{ Expected: { v: { Exists: true } } }, "1 validation error detected: One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: v"],
      [{ Expected: { v: {} } }, "1 validation error detected: One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: v"],
      [{ Expected: { v: { Exists: false, Value: { N: "1" } } } }, "1 validation error detected: One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: v"],
      [
        { Expected: { v: { Exists: true, ComparisonOperator: "EQ", AttributeValueList: [{ N: "1" }] } } },
        "1 validation error detected: One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: v",
      ],
      [{ Expected: { v: { ComparisonOperator: "EQ" } } }, "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: v"],
      [{ Expected: { v: { ComparisonOperator: "BETWEEN", AttributeValueList: [{ N: "1" }] } } }, "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"],
      [
        { Expected: { v: { ComparisonOperator: "BETWEEN", AttributeValueList: [{ N: "3" }, { N: "1" }] } } },
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
      ],
      [{ Expected: { v: { Value: { N: "1" } } }, ConditionalOperator: "OR" }, "ConditionalOperator can only be used when Filter or Expected has two or more elements"],
      [{ ConditionalOperator: "AND" }, "ConditionalOperator cannot be used without Filter or Expected"],
    ];
    for (const [extra, message] of cases) {
      const e = await failure(c.send(new PutItemCommand({ TableName, Item: { ...key("1"), v: { N: "99" } }, ...extra })));
      expect(e.name, JSON.stringify(extra)).toBe("ValidationException");
      expect(e.message, JSON.stringify(extra)).toBe(message);
    }
    expect((await c.send(new GetItemCommand({ TableName, Key: key("1") }))).Item?.v).toEqual({ N: "1" });
  });
});

describe("AttributeUpdates", () => {
  it("PUT, ADD (number, set, list), DELETE (attribute, set elements) with ReturnValues", async () => {
    const c = await setup();
    // UpdateItem creates the item.
    const created = await c.send(
      new UpdateItemCommand({
        TableName,
        Key: key("1"),
        AttributeUpdates: { name: { Value: { S: "x" } }, count: { Action: "ADD", Value: { N: "2" } }, tags: { Action: "ADD", Value: { SS: ["a"] } } },
        ReturnValues: "ALL_NEW",
      }),
    );
    expect(created.Attributes).toEqual({ ...key("1"), name: { S: "x" }, count: { N: "2" }, tags: { SS: ["a"] } });
    const r = await c.send(
      new UpdateItemCommand({
        TableName,
        Key: key("1"),
        AttributeUpdates: {
          count: { Action: "ADD", Value: { N: "-0.5" } },
          tags: { Action: "ADD", Value: { SS: ["a", "b"] } },
          log: { Action: "ADD", Value: { L: [{ S: "first" }] } },
          name: { Action: "DELETE" },
        },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    expect(r.Attributes).toEqual({ count: { N: "1.5" }, tags: { SS: ["a", "b"] }, log: { L: [{ S: "first" }] } });
    const old = await c.send(
      new UpdateItemCommand({
        TableName,
        Key: key("1"),
        AttributeUpdates: { tags: { Action: "DELETE", Value: { SS: ["a"] } }, log: { Action: "ADD", Value: { L: [{ S: "second" }] } } },
        Expected: { count: { Value: { N: "1.5" } } },
        ReturnValues: "UPDATED_OLD",
      }),
    );
    expect(old.Attributes).toEqual({ tags: { SS: ["a", "b"] }, log: { L: [{ S: "first" }] } });
    const item = (await c.send(new GetItemCommand({ TableName, Key: key("1"), ConsistentRead: true }))).Item!;
    expect(item).toEqual({ ...key("1"), count: { N: "1.5" }, tags: { SS: ["b"] }, log: { L: [{ S: "first" }, { S: "second" }] } });
  });

  it("refuses bad updates in AWS's words", async () => {
    const c = await setup();
    const cases: Array<[object, string]> = [
      [{ AttributeUpdates: { a: { Action: "PUT" } } }, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"],
      [{ AttributeUpdates: { a: { Action: "DELETE", Value: { S: "x" } } } }, "One or more parameter values were invalid: DELETE action with value is not supported for the type S"],
      [{ AttributeUpdates: { a: { Action: "ADD", Value: { S: "x" } } } }, "One or more parameter values were invalid: ADD action is not supported for the type S"],
      [{ AttributeUpdates: { sk: { Value: { N: "2" } } } }, "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key"],
      [
        { AttributeUpdates: { a: { Value: { S: "x" } } }, UpdateExpression: "SET b = :b", ExpressionAttributeValues: { ":b": { S: "y" } } },
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
      ],
      [
        { AttributeUpdates: { a: { Value: { S: "x" } } }, ExpressionAttributeValues: { ":b": { S: "y" } } },
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null",
      ],
    ];
    for (const [extra, message] of cases) {
      const e = await failure(c.send(new UpdateItemCommand({ TableName, Key: key("1"), ...extra })));
      expect(e.message, JSON.stringify(extra)).toBe(message);
    }
    expect((await c.send(new GetItemCommand({ TableName, Key: key("1") }))).Item).toBeUndefined();
  });
});

describe("AttributesToGet, KeyConditions, QueryFilter, ScanFilter", () => {
  async function seeded(): Promise<DynamoDBClient> {
    const c = await setup();
    for (let i = 1; i <= 6; i++) {
      await c.send(new PutItemCommand({ TableName, Item: { ...key(String(i)), odd: { BOOL: i % 2 === 1 }, n: { N: String(i * 10) }, extra: { S: "e" } } }));
    }
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "q" }, sk: { N: "1" }, n: { N: "5" } } }));
    return c;
  }

  it("GetItem and BatchGetItem with AttributesToGet", async () => {
    const c = await seeded();
    const got = await c.send(new GetItemCommand({ TableName, Key: key("2"), AttributesToGet: ["n", "nothing"] }));
    expect(got.Item).toEqual({ n: { N: "20" } });
    const batch = await c.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key("1"), key("3")], AttributesToGet: ["sk"] } } }));
    expect(batch.Responses![TableName].map((i) => i.sk.N).sort()).toEqual(["1", "3"]);
    expect(Object.keys(batch.Responses![TableName][0])).toEqual(["sk"]);
    const mixed = await failure(c.send(new GetItemCommand({ TableName, Key: key("2"), AttributesToGet: ["n"], ProjectionExpression: "n" })));
    expect(mixed.message).toBe(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
    );
    const dup = await failure(c.send(new GetItemCommand({ TableName, Key: key("2"), AttributesToGet: ["n", "n"] })));
    expect(dup.message).toBe("One or more parameter values were invalid: Duplicate value in attribute name: n");
  });

  it("Query with KeyConditions, QueryFilter (AND/OR), AttributesToGet, Select COUNT", async () => {
    const c = await seeded();
    const KeyConditions: Record<string, Condition> = {
      pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "p" }] },
      sk: { ComparisonOperator: "BETWEEN", AttributeValueList: [{ N: "2" }, { N: "5" }] },
    };
    const q = await c.send(
      new QueryCommand({
        TableName,
        KeyConditions,
        QueryFilter: { n: { ComparisonOperator: "GE", AttributeValueList: [{ N: "30" }] }, extra: { ComparisonOperator: "NOT_NULL" } },
        AttributesToGet: ["sk", "n"],
        ScanIndexForward: false,
      }),
    );
    expect(q.Items).toEqual([
      { sk: { N: "5" }, n: { N: "50" } },
      { sk: { N: "4" }, n: { N: "40" } },
      { sk: { N: "3" }, n: { N: "30" } },
    ]);
    expect(q.ScannedCount).toBe(4);
    const or = await c.send(
      new QueryCommand({
        TableName,
        KeyConditions: { pk: KeyConditions.pk },
        QueryFilter: { n: { ComparisonOperator: "LT", AttributeValueList: [{ N: "20" }] }, odd: { ComparisonOperator: "EQ", AttributeValueList: [{ N: "0" }] } },
        ConditionalOperator: "OR",
        Select: "COUNT",
      }),
    );
    expect([or.Count, or.ScannedCount, or.Items]).toEqual([1, 6, undefined]);
    const or2 = await c.send(new QueryCommand({ TableName, KeyConditions: { pk: KeyConditions.pk }, QueryFilter: { n: { ComparisonOperator: "LT", AttributeValueList: [{ N: "20" }] }, sk2: { ComparisonOperator: "NULL" } }, ConditionalOperator: "OR" }));
    expect(or2.Count).toBe(6);
    const and2 = await c.send(new QueryCommand({ TableName, KeyConditions: { pk: KeyConditions.pk }, QueryFilter: { n: { ComparisonOperator: "LT", AttributeValueList: [{ N: "20" }] }, sk2: { ComparisonOperator: "NULL" } } }));
    expect(and2.Items!.map((i) => i.sk.N)).toEqual(["1"]);
    const begins = await c.send(
      new QueryCommand({ TableName, KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "q" }] }, sk: { ComparisonOperator: "LE", AttributeValueList: [{ N: "1" }] } } }),
    );
    expect(begins.Items).toEqual([{ pk: { S: "q" }, sk: { N: "1" }, n: { N: "5" } }]);
    // A KeyConditions query may carry a FilterExpression (only KeyConditionExpression excludes it).
    const f = await c.send(new QueryCommand({ TableName, KeyConditions: { pk: KeyConditions.pk }, FilterExpression: "n > :n", ExpressionAttributeValues: { ":n": { N: "50" } } }));
    expect(f.Items!.map((i) => i.sk.N)).toEqual(["6"]);
  });

  it("Query refusals in AWS's words", async () => {
    const c = await seeded();
    const eq = (v: object) => ({ ComparisonOperator: "EQ", AttributeValueList: [v] });
    const cases: Array<[object, string]> = [
      [{ KeyConditions: { pk: { ComparisonOperator: "NE", AttributeValueList: [{ S: "p" }] } } }, "Attempted conditional constraint is not an indexable operation"],
      [{ KeyConditions: { sk: eq({ N: "1" }) } }, "Query condition missed key schema element: pk"],
      [{ KeyConditions: { pk: eq({ N: "1" }) } }, "One or more parameter values were invalid: Condition parameter type does not match schema type"],
      [{ KeyConditions: { pk: { ComparisonOperator: "GT", AttributeValueList: [{ S: "p" }] } } }, "Query key condition not supported"],
      [{ KeyConditions: { pk: eq({ S: "p" }) }, QueryFilter: { sk: eq({ N: "1" }) } }, "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk"],
      [{ KeyConditions: { pk: eq({ S: "p" }) }, QueryFilter: { n: { ComparisonOperator: "LT", AttributeValueList: [{ SS: ["x"] }] } } }, "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"],
      [
        { KeyConditions: { pk: eq({ S: "p" }) }, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } } },
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
      ],
      [{}, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."],
    ];
    for (const [extra, message] of cases) {
      const e = await failure(c.send(new QueryCommand({ TableName, ...extra })));
      expect(e.message, JSON.stringify(extra)).toBe(message);
    }
  });

  it("Scan with ScanFilter (AND, OR), AttributesToGet and Select SPECIFIC_ATTRIBUTES", async () => {
    const c = await seeded();
    const and = await c.send(
      new ScanCommand({
        TableName,
        ScanFilter: { n: { ComparisonOperator: "IN", AttributeValueList: [{ N: "5" }, { N: "20" }, { N: "40" }] }, pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "p" }] } },
        AttributesToGet: ["n"],
        Select: "SPECIFIC_ATTRIBUTES",
      }),
    );
    expect(and.Items!.map((i) => i.n.N).sort()).toEqual(["20", "40"]);
    expect(and.Items!.every((i) => Object.keys(i).join() === "n")).toBe(true);
    const or = await c.send(
      new ScanCommand({
        TableName,
        ScanFilter: { n: { ComparisonOperator: "IN", AttributeValueList: [{ N: "5" }, { N: "20" }, { N: "40" }] }, pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "p" }] } },
        ConditionalOperator: "OR",
      }),
    );
    expect(or.Count).toBe(7);
    const one = await failure(c.send(new ScanCommand({ TableName, ScanFilter: { n: { ComparisonOperator: "NOT_NULL" } }, ConditionalOperator: "OR" })));
    expect(one.message).toBe("ConditionalOperator can only be used when Filter or Expected has two or more elements");
    const mixed = await failure(c.send(new ScanCommand({ TableName, ScanFilter: { n: { ComparisonOperator: "NOT_NULL" } }, FilterExpression: "attribute_exists(n)" })));
    expect(mixed.message).toBe(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}",
    );
    const count = await failure(c.send(new ScanCommand({ TableName, AttributesToGet: ["n"], Select: "COUNT" })));
    expect(count.message).toBe("Cannot specify the AttributesToGet when choosing to get COUNT");
  });
});
