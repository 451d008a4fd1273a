// DynamoDB through @aws-sdk/lib-dynamodb (the document client): native JS values marshalled to
// AttributeValues and back, for the item API, Query/Scan pagination helpers, batches,
// transactions and PartiQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  ExecuteStatementCommand,
  GetCommand,
  paginateQuery,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function setup(): Promise<DynamoDBDocumentClient> {
  const { client } = account(n);
  await createTable(client, "docs", ["pk", "S"], ["sk", "N"]);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
const TableName = "docs";

describe("document client", () => {
  it("marshals native values both ways", async () => {
    const doc = await setup();
    const Item = {
      pk: "user",
      sk: 1,
      name: "Ann",
      age: 41.5,
      big: 12345678901234,
      active: true,
      nothing: null,
      tags: new Set(["a", "b"]),
      scores: new Set([1, 2, 3]),
      blob: new Uint8Array([1, 2, 3]),
      address: { city: "Oslo", lines: ["Street 1", { floor: 2 }] },
      skipped: undefined,
    };
    await doc.send(new PutCommand({ TableName, Item }));
    const got = (await doc.send(new GetCommand({ TableName, Key: { pk: "user", sk: 1 }, ConsistentRead: true }))).Item!;
    expect(got.name).toBe("Ann");
    expect(got.age).toBe(41.5);
    expect(got.big).toBe(12345678901234);
    expect(got.active).toBe(true);
    expect(got.nothing).toBeNull();
    expect(got.tags).toEqual(new Set(["a", "b"]));
    expect(got.scores).toEqual(new Set([1, 2, 3]));
    expect(Buffer.from(got.blob as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
    expect(got.address).toEqual({ city: "Oslo", lines: ["Street 1", { floor: 2 }] });
    expect("skipped" in got).toBe(false);

    const upd = await doc.send(
      new UpdateCommand({
        TableName,
        Key: { pk: "user", sk: 1 },
        UpdateExpression: "SET age = age + :one, address.city = :c ADD tags :t REMOVE nothing",
        ConditionExpression: "active = :yes",
        ExpressionAttributeValues: { ":one": 1, ":c": "Bergen", ":t": new Set(["c"]), ":yes": true },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    expect(upd.Attributes).toEqual({ age: 42.5, address: { city: "Bergen" }, tags: new Set(["a", "b", "c"]) });
    const cond = await failure(
      doc.send(new DeleteCommand({ TableName, Key: { pk: "user", sk: 1 }, ConditionExpression: "age < :a", ExpressionAttributeValues: { ":a": 10 }, ReturnValuesOnConditionCheckFailure: "ALL_OLD" })),
    );
    expect(cond.name).toBe("ConditionalCheckFailedException");
    const old = await doc.send(new DeleteCommand({ TableName, Key: { pk: "user", sk: 1 }, ReturnValues: "ALL_OLD" }));
    expect(old.Attributes!.age).toBe(42.5);
  });

  it("queries with the paginator, scans, batches and transactions", async () => {
    const doc = await setup();
    const items = Array.from({ length: 30 }, (_, i) => ({ pk: "p", sk: i, even: i % 2 === 0, label: `item ${i}` }));
    for (let b = 0; b < items.length; b += 25) {
      const r = await doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: items.slice(b, b + 25).map((Item) => ({ PutRequest: { Item } })) } }));
      expect(r.UnprocessedItems).toEqual({});
    }
    const seen: number[] = [];
    let pages = 0;
    for await (const page of paginateQuery({ client: doc, pageSize: 7 }, { TableName, KeyConditionExpression: "pk = :p AND sk >= :s", ExpressionAttributeValues: { ":p": "p", ":s": 3 } })) {
      pages++;
      seen.push(...page.Items!.map((i) => i.sk as number));
    }
    expect(seen).toEqual(Array.from({ length: 27 }, (_, i) => i + 3));
    expect(pages).toBe(4);
    const q = await doc.send(
      new QueryCommand({ TableName, KeyConditionExpression: "pk = :p", FilterExpression: "even = :t", ExpressionAttributeValues: { ":p": "p", ":t": true }, ScanIndexForward: false, Limit: 6 }),
    );
    expect(q.Items!.map((i) => i.sk)).toEqual([28, 26, 24]);
    expect(q.LastEvaluatedKey).toEqual({ pk: "p", sk: 24 });
    const scan = await doc.send(new ScanCommand({ TableName, ProjectionExpression: "label", FilterExpression: "sk < :n", ExpressionAttributeValues: { ":n": 2 } }));
    expect(scan.Items!.map((i) => i.label).sort()).toEqual(["item 0", "item 1"]);

    const got = await doc.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: [{ pk: "p", sk: 5 }, { pk: "p", sk: 99 }], ProjectionExpression: "label" } } }));
    expect(got.Responses![TableName]).toEqual([{ label: "item 5" }]);

    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName, Key: { pk: "p", sk: 1 }, UpdateExpression: "SET label = :l", ExpressionAttributeValues: { ":l": "changed" } } },
          { Delete: { TableName, Key: { pk: "p", sk: 2 } } },
          { ConditionCheck: { TableName, Key: { pk: "p", sk: 3 }, ConditionExpression: "attribute_exists(pk)" } },
        ],
      }),
    );
    const viaPartiql = await doc.send(new ExecuteStatementCommand({ Statement: `SELECT label FROM "docs" WHERE pk = ? AND sk IN [1, 2]`, Parameters: ["p"] }));
    expect(viaPartiql.Items).toEqual([{ label: "changed" }]);
  });
});
