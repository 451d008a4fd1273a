// PartiQL through the SDK v3 client: ExecuteStatement (SELECT with key and filter conditions,
// projections, parameters, NextToken; INSERT, UPDATE with SET/REMOVE, DELETE), BatchExecuteStatement
// and ExecuteTransaction (all or nothing).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  PutItemCommand,
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

async function setup(): Promise<DynamoDBClient> {
  const { client } = account(n);
  await createTable(client, "orders", ["customer", "S"], ["id", "N"]);
  await createTable(client, "users", ["pk", "S"]);
  for (let i = 1; i <= 5; i++) {
    await client.send(
      new PutItemCommand({
        TableName: "orders",
        Item: { customer: { S: "ann" }, id: { N: String(i) }, total: { N: String(i * 10) }, status: { S: i % 2 ? "open" : "closed" }, info: { M: { tags: { L: [{ S: `t${i}` }] } } } },
      }),
    );
  }
  await client.send(new PutItemCommand({ TableName: "orders", Item: { customer: { S: "bob" }, id: { N: "1" }, total: { N: "99" }, status: { S: "open" } } }));
  return client;
}

const run = (c: DynamoDBClient, Statement: string, Parameters?: AttributeValue[], extra: object = {}) =>
  c.send(new ExecuteStatementCommand({ Statement, Parameters, ...extra }));

describe("ExecuteStatement SELECT", () => {
  it("reads a partition with key and filter conditions, projections and parameters", async () => {
    const c = await setup();
    const all = await run(c, `SELECT * FROM "orders" WHERE customer = 'ann'`);
    expect(all.Items!.map((i) => i.id.N)).toEqual(["1", "2", "3", "4", "5"]);
    const some = await run(c, `SELECT id, total, info.tags[0] FROM orders WHERE customer = ? AND id BETWEEN ? AND ? AND status = 'open'`, [{ S: "ann" }, { N: "2" }, { N: "5" }]);
    expect(some.Items).toEqual([
      { id: { N: "3" }, total: { N: "30" }, info: { M: { tags: { L: [{ S: "t3" }] } } } },
      { id: { N: "5" }, total: { N: "50" }, info: { M: { tags: { L: [{ S: "t5" }] } } } },
    ]);
    const desc = await run(c, `SELECT id FROM "orders" WHERE customer = 'ann' AND id > 2 ORDER BY id DESC`);
    expect(desc.Items!.map((i) => i.id.N)).toEqual(["5", "4", "3"]);
    const inList = await run(c, `SELECT customer, id FROM "orders" WHERE customer IN ['ann', 'bob'] AND id = 1`);
    expect(inList.Items!.map((i) => `${i.customer.S}/${i.id.N}`).sort()).toEqual(["ann/1", "bob/1"]);
    // No key condition: a scan with the WHERE as a filter.
    const scan = await run(c, `SELECT customer FROM "orders" WHERE total >= 50 OR begins_with(status, 'clo')`);
    expect(scan.Items!.map((i) => i.customer.S).sort()).toEqual(["ann", "ann", "ann", "bob"]);
    const missing = await run(c, `SELECT id FROM "orders" WHERE customer = 'ann' AND info IS MISSING`);
    expect(missing.Items).toEqual([]);
    const fns = await run(c, `SELECT id FROM "orders" WHERE customer = 'ann' AND contains(status, 'pen') AND size(info.tags) = 1 AND attribute_type(total, 'N')`);
    expect(fns.Items!.map((i) => i.id.N)).toEqual(["1", "3", "5"]);
  });

  it("pages with Limit and NextToken", async () => {
    const c = await setup();
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const p = await run(c, `SELECT id FROM "orders" WHERE customer = 'ann'`, undefined, { Limit: 2, NextToken });
      seen.push(...p.Items!.map((i) => i.id.N!));
      NextToken = p.NextToken;
      pages++;
    } while (NextToken);
    expect(seen).toEqual(["1", "2", "3", "4", "5"]);
    expect(pages).toBe(3);
    const scanned: string[] = [];
    NextToken = undefined;
    do {
      const p = await run(c, `SELECT * FROM "orders"`, undefined, { Limit: 4, NextToken });
      scanned.push(...p.Items!.map((i) => `${i.customer.S}/${i.id.N}`));
      NextToken = p.NextToken;
    } while (NextToken);
    expect(scanned.sort()).toEqual(["ann/1", "ann/2", "ann/3", "ann/4", "ann/5", "bob/1"]);
  });

  it("refuses malformed statements in AWS's words", async () => {
    const c = await setup();
    const cases: Array<[string, string, AttributeValue[]?]> = [
      [`SELECT * FROM "orders" WHERE customer = 'ann' foo`, "Statement wasn't well formed, can't be processed: Unexpected token after expression"],
      [`SELECT * FROM "orders" t WHERE customer = 'ann'`, "Aliasing is not supported"],
      [`SELECT * FROM "orders" WHERE customer = ?`, "Number of parameters in request and statement don't match."],
      [`SELECT * FROM "orders" WHERE total = 1e126`, "Number overflow. Attempting to store a number with magnitude larger than supported range under root"],
      [`SELECT * FROM "orders" WHERE total = ?`, "The parameter cannot be converted to a numeric value: abc", [{ N: "abc" }]],
      [`SELECT * FROM "nothing"`, "Requested resource not found: Table: nothing not found"],
    ];
    for (const [st, message, params] of cases) {
      const e = await failure(run(c, st, params));
      expect(e.message, st).toBe(message);
    }
  });
});

describe("ExecuteStatement writes", () => {
  it("INSERT, UPDATE SET/REMOVE with RETURNING, DELETE", async () => {
    const c = await setup();
    const ins = await run(c, `INSERT INTO "users" VALUE {'pk': ?, 'name': 'Ann', 'age': 30, 'tags': <<'a', 'b'>>, 'addr': {'city': 'Oslo'}, 'l': [1, 'x']}`, [{ S: "u1" }]);
    expect(ins.Items).toEqual([]);
    const dup = await failure(run(c, `INSERT INTO "users" VALUE {'pk': 'u1'}`));
    expect([dup.name, dup.message]).toEqual(["DuplicateItemException", "Duplicate primary key exists in table"]);

    const upd = await run(c, `UPDATE "users" SET age = age + 1 SET addr.zip = '0150' REMOVE l SET tags = set_add(tags, <<'c'>>) WHERE pk = 'u1' RETURNING MODIFIED NEW *`);
    expect(upd.Items).toEqual([{ age: { N: "31" }, addr: { M: { zip: { S: "0150" } } }, tags: { SS: ["a", "b", "c"] } }]);
    const stored = (await c.send(new GetItemCommand({ TableName: "users", Key: { pk: { S: "u1" } } }))).Item!;
    expect(stored).toEqual({ pk: { S: "u1" }, name: { S: "Ann" }, age: { N: "31" }, tags: { SS: ["a", "b", "c"] }, addr: { M: { city: { S: "Oslo" }, zip: { S: "0150" } } } });

    // A false extra condition fails and changes nothing; UPDATE does not create items.
    const cond = await failure(run(c, `UPDATE "users" SET age = 99 WHERE pk = 'u1' AND age > 40`));
    expect(cond.name).toBe("ConditionalCheckFailedException");
    expect((await failure(run(c, `UPDATE "users" SET age = 1 WHERE pk = 'ghost'`))).name).toBe("ConditionalCheckFailedException");
    expect((await c.send(new GetItemCommand({ TableName: "users", Key: { pk: { S: "ghost" } } }))).Item).toBeUndefined();
    const noKey = await failure(run(c, `UPDATE "users" SET age = 1 WHERE name = 'Ann'`));
    expect(noKey.message).toBe("Where clause does not contain a mandatory equality on all key attributes");
    const keyAttr = await failure(run(c, `UPDATE "users" SET pk = 'x' WHERE pk = 'u1'`));
    expect(keyAttr.message).toBe("One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");

    const del = await run(c, `DELETE FROM "users" WHERE pk = 'u1' RETURNING ALL OLD *`);
    expect(del.Items![0].age).toEqual({ N: "31" });
    expect((await run(c, `DELETE FROM "users" WHERE pk = 'u1'`)).Items).toEqual([]);
    expect((await c.send(new GetItemCommand({ TableName: "users", Key: { pk: { S: "u1" } } }))).Item).toBeUndefined();
  });
});

describe("BatchExecuteStatement and ExecuteTransaction", () => {
  it("batches reads by key and writes independently, with per-statement errors", async () => {
    const c = await setup();
    const reads = await c.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `SELECT total FROM "orders" WHERE customer = 'ann' AND id = 2` },
          { Statement: `SELECT * FROM "orders" WHERE customer = ? AND id = ?`, Parameters: [{ S: "zed" }, { N: "1" }] },
          { Statement: `SELECT * FROM "orders" WHERE customer = 'ann'` },
        ],
      }),
    );
    expect(reads.Responses![0]).toEqual({ TableName: "orders", Item: { total: { N: "20" } } });
    expect(reads.Responses![1]).toEqual({ TableName: "orders" });
    expect(reads.Responses![2].Error).toEqual({ Code: "ValidationError", Message: "Where clause does not contain a mandatory equality on all key attributes" });
    const writes = await c.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `INSERT INTO "users" VALUE {'pk': 'a'}` },
          { Statement: `INSERT INTO "users" VALUE {'pk': 'a'}` },
          { Statement: `UPDATE "users" SET v = 1 WHERE pk = 'a'` },
        ],
      }),
    );
    expect(writes.Responses![0]).toEqual({ TableName: "users" });
    expect(writes.Responses![1].Error).toEqual({ Code: "DuplicateItem", Message: "Duplicate primary key exists in table" });
    expect(writes.Responses![2]).toEqual({ TableName: "users" });
    expect((await c.send(new GetItemCommand({ TableName: "users", Key: { pk: { S: "a" } } }))).Item).toEqual({ pk: { S: "a" }, v: { N: "1" } });
  });

  it("applies a transaction whole or not at all", async () => {
    const c = await setup();
    const ok = await c.send(
      new ExecuteTransactionCommand({
        TransactStatements: [
          { Statement: `INSERT INTO "users" VALUE {'pk': 'x', 'n': 1}` },
          { Statement: `UPDATE "orders" SET total = total - 5 WHERE customer = 'ann' AND id = 1 AND total >= 5` },
        ],
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(ok.Responses).toEqual([]);
    expect(ok.ConsumedCapacity!.map((x) => [x.TableName, x.CapacityUnits]).sort()).toEqual([
      ["orders", 2],
      ["users", 2],
    ]);
    const failed = await failure(
      c.send(
        new ExecuteTransactionCommand({
          TransactStatements: [
            { Statement: `INSERT INTO "users" VALUE {'pk': 'y'}` },
            { Statement: `UPDATE "orders" SET total = 0 WHERE customer = 'ann' AND id = 2 AND total > 1000` },
            { Statement: `DELETE FROM "users" WHERE pk = 'x'` },
          ],
        }),
      ),
    );
    expect(failed.name).toBe("TransactionCanceledException");
    expect(failed.message).toBe("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]");
    expect((failed as unknown as { CancellationReasons: Array<{ Code: string }> }).CancellationReasons.map((r) => r.Code)).toEqual(["None", "ConditionalCheckFailed", "None"]);
    expect((await c.send(new GetItemCommand({ TableName: "users", Key: { pk: { S: "y" } } }))).Item).toBeUndefined();
    expect((await c.send(new GetItemCommand({ TableName: "users", Key: { pk: { S: "x" } } }))).Item).toEqual({ pk: { S: "x" }, n: { N: "1" } });

    const reads = await c.send(
      new ExecuteTransactionCommand({
        TransactStatements: [{ Statement: `SELECT total FROM "orders" WHERE customer = 'ann' AND id = 1` }, { Statement: `SELECT * FROM "users" WHERE pk = 'none'` }],
      }),
    );
    expect(reads.Responses).toEqual([{ Item: { total: { N: "5" } } }, {}]);
    const mixed = await failure(
      c.send(new ExecuteTransactionCommand({ TransactStatements: [{ Statement: `SELECT * FROM "users" WHERE pk = 'x'` }, { Statement: `DELETE FROM "users" WHERE pk = 'x'` }] })),
    );
    expect(mixed.name).toBe("ValidationException");
    const twice = await failure(
      c.send(new ExecuteTransactionCommand({ TransactStatements: [{ Statement: `DELETE FROM "users" WHERE pk = 'x'` }, { Statement: `UPDATE "users" SET a = 1 WHERE pk = 'x'` }] })),
    );
    expect(twice.message).toBe("Transaction request cannot include multiple operations on one item");
  });
});
