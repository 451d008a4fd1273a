// The aws CLI's `dynamodb` commands with JSON input: create-table from --cli-input-json, the
// item commands, query/scan, batch-write-item from a file, transact-write-items, execute-statement,
// and an AWS validation error as the CLI prints it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, failed, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-ddb-cli-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const clients = useClients(() => n.endpoint);

describe.skipIf(!AWS)("aws dynamodb (CLI)", () => {
  it("creates a table and reads and writes items with JSON input", async () => {
    const account = freshAccount();
    const ddb = (...args: string[]) => clients.aws(account, "dynamodb", ...args);
    const table = {
      TableName: "music",
      KeySchema: [
        { AttributeName: "Artist", KeyType: "HASH" },
        { AttributeName: "SongTitle", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "Artist", AttributeType: "S" },
        { AttributeName: "SongTitle", AttributeType: "S" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    };
    const created = ok(await ddb("create-table", "--cli-input-json", JSON.stringify(table)));
    expect(created.TableDescription.TableStatus).toBe("ACTIVE");

    const put = ok(
      await ddb(
        "put-item",
        "--table-name",
        "music",
        "--item",
        JSON.stringify({ Artist: { S: "No One You Know" }, SongTitle: { S: "Call Me Today" }, Year: { N: "2015" }, Tags: { SS: ["pop", "new"] } }),
        "--condition-expression",
        "attribute_not_exists(Artist)",
        "--return-consumed-capacity",
        "TOTAL",
      ),
    );
    expect(put.ConsumedCapacity).toEqual({ TableName: "music", CapacityUnits: 1 });

    const got = ok(await ddb("get-item", "--table-name", "music", "--key", JSON.stringify({ Artist: { S: "No One You Know" }, SongTitle: { S: "Call Me Today" } }), "--projection-expression", "#y, Tags", "--expression-attribute-names", '{"#y":"Year"}'));
    expect(got.Item.Year).toEqual({ N: "2015" });
    expect(got.Item.Tags.SS.sort()).toEqual(["new", "pop"]);
    expect(got.Item.Artist).toBeUndefined();

    const upd = ok(
      await ddb(
        "update-item",
        "--table-name",
        "music",
        "--key",
        JSON.stringify({ Artist: { S: "No One You Know" }, SongTitle: { S: "Call Me Today" } }),
        "--update-expression",
        "SET Plays = if_not_exists(Plays, :zero) + :one",
        "--expression-attribute-values",
        JSON.stringify({ ":zero": { N: "0" }, ":one": { N: "1" } }),
        "--return-values",
        "UPDATED_NEW",
      ),
    );
    expect(upd.Attributes).toEqual({ Plays: { N: "1" } });

    const songs = ["Blue Sky", "Green Grass", "Red Sun"].map((t, i) => ({ PutRequest: { Item: { Artist: { S: "Acme Band" }, SongTitle: { S: t }, Year: { N: String(2000 + i) } } } }));
    const file = join(dir, "batch.json");
    writeFileSync(file, JSON.stringify({ music: songs }));
    expect(ok(await ddb("batch-write-item", "--request-items", `file://${file}`)).UnprocessedItems).toEqual({});

    const q = ok(
      await ddb(
        "query",
        "--table-name",
        "music",
        "--key-condition-expression",
        "Artist = :a AND begins_with(SongTitle, :g)",
        "--expression-attribute-values",
        JSON.stringify({ ":a": { S: "Acme Band" }, ":g": { S: "G" } }),
      ),
    );
    expect(q.Items.map((i: { SongTitle: { S: string } }) => i.SongTitle.S)).toEqual(["Green Grass"]);
    // The CLI pages through a Scan by itself (--page-size makes it send several requests).
    const count = ok(await ddb("scan", "--table-name", "music", "--select", "COUNT", "--page-size", "2"));
    expect(count.Count).toBe(4);

    ok(
      await ddb(
        "transact-write-items",
        "--transact-items",
        JSON.stringify([
          { Delete: { TableName: "music", Key: { Artist: { S: "Acme Band" }, SongTitle: { S: "Red Sun" } } } },
          { Update: { TableName: "music", Key: { Artist: { S: "Acme Band" }, SongTitle: { S: "Blue Sky" } }, UpdateExpression: "SET Hit = :t", ExpressionAttributeValues: { ":t": { BOOL: true } } } },
        ]),
      ),
    );
    const stmt = ok(await ddb("execute-statement", "--statement", `SELECT SongTitle, Hit FROM "music" WHERE Artist = 'Acme Band'`));
    expect(stmt.Items).toEqual([{ SongTitle: { S: "Blue Sky" }, Hit: { BOOL: true } }, { SongTitle: { S: "Green Grass" } }]);

    const mixed = failed(
      await ddb(
        "put-item",
        "--table-name",
        "music",
        "--item",
        JSON.stringify({ Artist: { S: "x" }, SongTitle: { S: "y" } }),
        "--expected",
        JSON.stringify({ Artist: { Exists: false } }),
        "--condition-expression",
        "attribute_not_exists(Artist)",
      ),
    );
    expect(mixed).toContain("(ValidationException)");
    expect(mixed).toContain(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    );
    expect(ok(await ddb("scan", "--table-name", "music", "--select", "COUNT")).Count).toBe(3);
  }, 300_000);
});
