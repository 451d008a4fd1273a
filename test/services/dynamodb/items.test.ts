// DynamoDB single-item operations through the real SDK v3 client: PutItem, GetItem,
// DeleteItem, UpdateItem, conditions, projections, ReturnValues and AWS's validation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function setup(): Promise<DynamoDBClient> {
  const { client } = account(n);
  await createTable(client, "items", ["pk", "S"], ["sk", "N"]);
  return client;
}
const TableName = "items";

describe("PutItem / GetItem / DeleteItem", () => {
  it("round-trips every attribute type, numbers normalized", async () => {
    const c = await setup();
    const Item = {
      pk: { S: "user#1" },
      sk: { N: "1" },
      s: { S: "text" },
      n: { N: "012.50" },
      big: { N: "12345678901234567890123456789012345678" },
      b: { B: new Uint8Array([0, 1, 2, 255]) },
      bool: { BOOL: false },
      nul: { NULL: true },
      ss: { SS: ["x", "y"] },
      ns: { NS: ["1", "2.5"] },
      bs: { BS: [new Uint8Array([1]), new Uint8Array([2])] },
      l: { L: [{ S: "a" }, { N: "1" }, { M: { k: { S: "v" } } }] },
      m: { M: { nested: { M: { deep: { N: "42" } } }, empty: { S: "" } } },
    };
    expect(await c.send(new PutItemCommand({ TableName, Item }))).not.toHaveProperty("Attributes");
    const got = (await c.send(new GetItemCommand({ TableName, Key: { pk: { S: "user#1" }, sk: { N: "1.0" } }, ConsistentRead: true }))).Item!;
    expect(got.n).toEqual({ N: "12.5" });
    expect(got.big).toEqual({ N: "12345678901234567890123456789012345678" });
    expect(Buffer.from(got.b.B!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(got.bs.BS!.map((x) => Buffer.from(x)[0])).toEqual([1, 2]);
    expect(got.m).toEqual(Item.m);
    expect(got.l).toEqual(Item.l);
    expect(got.ss).toEqual({ SS: ["x", "y"] });
    expect(got.bool).toEqual({ BOOL: false });
    expect(got.nul).toEqual({ NULL: true });
    // Missing item: no Item at all.
    expect((await c.send(new GetItemCommand({ TableName, Key: { pk: { S: "nobody" }, sk: { N: "1" } } }))).Item).toBeUndefined();
  });

  it("stores an item as the request sent it only when that is the item: spacing, an inner Item, key order, and a null member the model check removed", async () => {
    const c = await setup();
    // The SDK sends compact JSON; this body is rewritten before signing, as another client
    // (boto3: spaces; a hand-written one: a null member) would send it.
    let body = "";
    c.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { body?: string; headers: Record<string, string> };
        if (body && req.headers["x-amz-target"] === "DynamoDB_20120810.PutItem") {
          req.body = body;
          req.headers["content-length"] = String(Buffer.byteLength(body));
        }
        return next(args);
      },
      { step: "build", name: "rewriteBody" },
    );
    const stored = (pk: string): string => n.nimbus.db.prepare("SELECT item FROM ddb_items WHERE item LIKE ?").pluck().get(`%${pk}%`) as string;
    body = `{"TableName": "items", "Item": {"pk": {"S": "spaced"}, "sk": {"N": "1"}, "2": {"S": "two"}, "1": {"S": "one"}, "in": {"M": {"Item": {"S": "{]"}}}}}`;
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "x" }, sk: { N: "0" } } }));
    const spaced = (await c.send(new GetItemCommand({ TableName, Key: { pk: { S: "spaced" }, sk: { N: "1" } } }))).Item!;
    expect(spaced).toEqual({ pk: { S: "spaced" }, sk: { N: "1" }, "1": { S: "one" }, "2": { S: "two" }, in: { M: { Item: { S: "{]" } } } });
    expect(JSON.parse(stored("spaced"))).toEqual(JSON.parse(body).Item);
    // A null member is dropped from the parsed value (the model check), so the text is not the item.
    body = `{"TableName":"items","Item":{"pk":{"S":"dropped"},"sk":{"N":"1"},"v":{"S":"kept","N":null}}}`;
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "x" }, sk: { N: "0" } } }));
    expect((await c.send(new GetItemCommand({ TableName, Key: { pk: { S: "dropped" }, sk: { N: "1" } } }))).Item!.v).toEqual({ S: "kept" });
    expect(JSON.parse(stored("dropped")).v).toEqual({ S: "kept" });
    // Numbers rewritten by normalization are stored rewritten.
    body = `{"TableName":"items","Item":{"pk":{"S":"num"},"sk":{"N":"1"},"v":{"N":"01.50"}}}`;
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "x" }, sk: { N: "0" } } }));
    expect(JSON.parse(stored('"num"')).v).toEqual({ N: "1.5" });
  });

  it("projects nested paths with ExpressionAttributeNames", async () => {
    const c = await setup();
    await c.send(
      new PutItemCommand({
        TableName,
        Item: { pk: { S: "p" }, sk: { N: "1" }, name: { S: "n" }, a: { M: { b: { L: [{ S: "x" }, { M: { c: { N: "1" }, d: { N: "2" } } }] } } }, other: { S: "o" } },
      }),
    );
    const got = await c.send(
      new GetItemCommand({ TableName, Key: { pk: { S: "p" }, sk: { N: "1" } }, ProjectionExpression: "#n, a.b[1].c", ExpressionAttributeNames: { "#n": "name" } }),
    );
    expect(got.Item).toEqual({ name: { S: "n" }, a: { M: { b: { L: [{ M: { c: { N: "1" } } }] } } } });
    const unused = await failure(
      c.send(new GetItemCommand({ TableName, Key: { pk: { S: "p" }, sk: { N: "1" } }, ProjectionExpression: "#n", ExpressionAttributeNames: { "#n": "name", "#x": "x" } })),
    );
    expect(unused.name).toBe("ValidationException");
    expect(unused.message).toBe("Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}");
  });

  it("validates keys and item size as AWS does", async () => {
    const c = await setup();
    const mismatch = "The provided key element does not match the schema";
    expect((await failure(c.send(new GetItemCommand({ TableName, Key: { pk: { S: "p" } } })))).message).toBe(mismatch);
    expect((await failure(c.send(new GetItemCommand({ TableName, Key: { pk: { S: "p" }, sk: { S: "1" } } })))).message).toBe(mismatch);
    expect((await failure(c.send(new GetItemCommand({ TableName, Key: { pk: { S: "p" }, sk: { N: "1" }, x: { S: "1" } } })))).message).toBe(mismatch);
    expect((await failure(c.send(new PutItemCommand({ TableName, Item: { pk: { S: "p" } } })))).message).toBe(
      "One or more parameter values were invalid: Missing the key sk in the item",
    );
    expect((await failure(c.send(new PutItemCommand({ TableName, Item: { pk: { N: "1" }, sk: { N: "1" } } })))).message).toBe(
      "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
    );
    expect((await failure(c.send(new PutItemCommand({ TableName, Item: { pk: { S: "" }, sk: { N: "1" } } })))).message).toBe(
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
    );
    expect((await failure(c.send(new PutItemCommand({ TableName, Item: { pk: { S: "x".repeat(2049) }, sk: { N: "1" } } })))).message).toBe(
      "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
    );
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "x".repeat(2048) }, sk: { N: "1" } } }));
    const big = await failure(c.send(new PutItemCommand({ TableName, Item: { pk: { S: "p" }, sk: { N: "1" }, blob: { S: "x".repeat(400 * 1024) } } })));
    expect(big.name).toBe("ValidationException");
    expect(big.message).toBe("Item size has exceeded the maximum allowed size");
    // Just under the limit is fine.
    await c.send(new PutItemCommand({ TableName, Item: { pk: { S: "p" }, sk: { N: "1" }, blob: { S: "x".repeat(400 * 1024 - 100) } } }));
    const missing = await failure(c.send(new GetItemCommand({ TableName: "nope", Key: { pk: { S: "p" }, sk: { N: "1" } } })));
    expect(missing.name).toBe("ResourceNotFoundException");
  });

  it("ConditionExpression, ReturnValues ALL_OLD and ConditionalCheckFailedException with the old item", async () => {
    const c = await setup();
    const Key = { pk: { S: "c" }, sk: { N: "1" } };
    await c.send(new PutItemCommand({ TableName, Item: { ...Key, v: { N: "1" } }, ConditionExpression: "attribute_not_exists(pk)" }));
    const again = await failure(c.send(new PutItemCommand({ TableName, Item: { ...Key, v: { N: "2" } }, ConditionExpression: "attribute_not_exists(pk)" })));
    expect(again.name).toBe("ConditionalCheckFailedException");
    expect(again.message).toBe("The conditional request failed");
    expect(again.Item).toBeUndefined();
    const withOld = await failure(
      c.send(
        new PutItemCommand({
          TableName,
          Item: { ...Key, v: { N: "2" } },
          ConditionExpression: "v > :limit",
          ExpressionAttributeValues: { ":limit": { N: "5" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    expect(withOld.Item).toEqual({ ...Key, v: { N: "1" } });
    const put = await c.send(
      new PutItemCommand({
        TableName,
        Item: { ...Key, v: { N: "2" } },
        ConditionExpression: "v = :one AND (attribute_type(v, :n) OR size(pk) > :ten) AND NOT begins_with(pk, :z)",
        ExpressionAttributeValues: { ":one": { N: "1" }, ":n": { S: "N" }, ":ten": { N: "10" }, ":z": { S: "z" } },
        ReturnValues: "ALL_OLD",
      }),
    );
    expect(put.Attributes).toEqual({ ...Key, v: { N: "1" } });
    const undefinedValue = await failure(c.send(new PutItemCommand({ TableName, Item: Key, ConditionExpression: "v = :nope" })));
    expect(undefinedValue.message).toBe(
      "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
    );
    const unused = await failure(
      c.send(new PutItemCommand({ TableName, Item: Key, ConditionExpression: "v = :a", ExpressionAttributeValues: { ":a": { N: "1" }, ":x": { N: "1" } } })),
    );
    expect(unused.message).toBe("Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}");
    const syntax = await failure(c.send(new PutItemCommand({ TableName, Item: Key, ConditionExpression: "v = = :a", ExpressionAttributeValues: { ":a": { N: "1" } } })));
    expect(syntax.message).toMatch(/^Invalid ConditionExpression: Syntax error; token: "="/);
    const badRv = await failure(c.send(new PutItemCommand({ TableName, Item: Key, ReturnValues: "ALL_NEW" })));
    expect(badRv.message).toBe("ReturnValues can only be ALL_OLD or NONE");

    const del = await failure(c.send(new DeleteItemCommand({ TableName, Key, ConditionExpression: "v = :x", ExpressionAttributeValues: { ":x": { N: "9" } } })));
    expect(del.name).toBe("ConditionalCheckFailedException");
    const deleted = await c.send(new DeleteItemCommand({ TableName, Key, ConditionExpression: "v IN (:a, :b)", ExpressionAttributeValues: { ":a": { N: "9" }, ":b": { N: "2" } }, ReturnValues: "ALL_OLD" }));
    expect(deleted.Attributes).toEqual({ ...Key, v: { N: "2" } });
    expect((await c.send(new GetItemCommand({ TableName, Key }))).Item).toBeUndefined();
    // Deleting what is not there succeeds with nothing to return.
    expect((await c.send(new DeleteItemCommand({ TableName, Key, ReturnValues: "ALL_OLD" }))).Attributes).toBeUndefined();
  });
});

describe("UpdateItem", () => {
  it("creates, then SET arithmetic / if_not_exists / list_append, REMOVE, ADD, DELETE", async () => {
    const c = await setup();
    const Key = { pk: { S: "u" }, sk: { N: "1" } };
    const created = await failure(
      c.send(
      new UpdateItemCommand({
        TableName,
        Key,
        UpdateExpression: "SET #c = if_not_exists(#c, :zero) + :one, entries = list_append(if_not_exists(entries, :empty), :l), info.#v = :v",
        ExpressionAttributeNames: { "#c": "count", "#v": "version" },
        ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" }, ":empty": { L: [] }, ":l": { L: [{ S: "a" }] }, ":v": { N: "1" } },
        ReturnValues: "ALL_NEW",
      }),
    ));
    // info does not exist yet, so info.version is an invalid path.
    expect(created.name).toBe("ValidationException");
    expect(created.message).toBe("The document path provided in the update expression is invalid for update");

    const first = await c.send(
      new UpdateItemCommand({
        TableName,
        Key,
        UpdateExpression: "SET #c = if_not_exists(#c, :zero) + :one, entries = list_append(if_not_exists(entries, :empty), :l), info = :info",
        ExpressionAttributeNames: { "#c": "count" },
        ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" }, ":empty": { L: [] }, ":l": { L: [{ S: "a" }] }, ":info": { M: { v: { N: "1" } } } },
        ReturnValues: "ALL_NEW",
      }),
    );
    expect(first.Attributes).toEqual({ ...Key, count: { N: "1" }, entries: { L: [{ S: "a" }] }, info: { M: { v: { N: "1" } } } });

    const second = await c.send(
      new UpdateItemCommand({
        TableName,
        Key,
        UpdateExpression: "SET #c = #c + :one, info.v = info.v - :half ADD tags :t, tally :big REMOVE entries[0]",
        ExpressionAttributeNames: { "#c": "count" },
        ExpressionAttributeValues: { ":one": { N: "1" }, ":half": { N: "0.5" }, ":t": { SS: ["x", "y"] }, ":big": { N: "0.1" } },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    expect(second.Attributes).toEqual({ count: { N: "2" }, info: { M: { v: { N: "0.5" } } }, tags: { SS: ["x", "y"] }, tally: { N: "0.1" } });

    const third = await c.send(
      new UpdateItemCommand({
        TableName,
        Key,
        UpdateExpression: "ADD tally :big DELETE tags :x",
        ExpressionAttributeValues: { ":big": { N: "0.2" }, ":x": { SS: ["x"] } },
        ReturnValues: "UPDATED_OLD",
      }),
    );
    expect(third.Attributes).toEqual({ tally: { N: "0.1" }, tags: { SS: ["x", "y"] } });
    const all = await c.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: "REMOVE info", ReturnValues: "ALL_OLD" }));
    expect(all.Attributes).toMatchObject({ tally: { N: "0.3" }, tags: { SS: ["y"] }, entries: { L: [] } });
    const now = (await c.send(new GetItemCommand({ TableName, Key }))).Item!;
    expect(now.info).toBeUndefined();
    expect(now.tally).toEqual({ N: "0.3" });
  });

  it("refuses key updates, wrong types and failed conditions", async () => {
    const c = await setup();
    const Key = { pk: { S: "u" }, sk: { N: "2" } };
    await c.send(new PutItemCommand({ TableName, Item: { ...Key, s: { S: "text" }, v: { N: "1" } } }));
    const keyUpdate = await failure(c.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: "SET pk = :v", ExpressionAttributeValues: { ":v": { S: "x" } } })));
    expect(keyUpdate.message).toBe("One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");
    const badType = await failure(c.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: "SET s = s + :v", ExpressionAttributeValues: { ":v": { N: "1" } } })));
    expect(badType.message).toBe("An operand in the update expression has an incorrect data type");
    const cond = await failure(
      c.send(
        new UpdateItemCommand({
          TableName,
          Key,
          UpdateExpression: "SET v = :two",
          ConditionExpression: "v = :zero",
          ExpressionAttributeValues: { ":two": { N: "2" }, ":zero": { N: "0" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    expect(cond.name).toBe("ConditionalCheckFailedException");
    expect(cond.Item).toEqual({ ...Key, s: { S: "text" }, v: { N: "1" } });
    const twice = await failure(c.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: "SET v = :a REMOVE v", ExpressionAttributeValues: { ":a": { N: "1" } } })));
    expect(twice.message).toMatch(/^Invalid UpdateExpression: Two document paths overlap with each other/);
  });
});

describe("atomicity", () => {
  it("concurrent conditional writes: one create wins, every counter increment lands", async () => {
    const c = await setup();
    const Key = { pk: { S: "race" }, sk: { N: "1" } };
    const creates = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        c.send(new PutItemCommand({ TableName, Item: { ...Key, winner: { N: String(i) } }, ConditionExpression: "attribute_not_exists(pk)" })),
      ),
    );
    expect(creates.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(creates.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.name)).toEqual(
      Array(19).fill("ConditionalCheckFailedException"),
    );
    await Promise.all(
      Array.from({ length: 25 }, () => c.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: "ADD hits :one", ExpressionAttributeValues: { ":one": { N: "1" } } }))),
    );
    expect((await c.send(new GetItemCommand({ TableName, Key }))).Item!.hits).toEqual({ N: "25" });
  });
});
