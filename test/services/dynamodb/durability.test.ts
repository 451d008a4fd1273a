// DynamoDB state survives a restart on the same data directory, and /_nimbus/state/reset clears it.
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { freshAccount, sdkConfig, startNimbus } from "../../support/nimbus.js";
import { createTable } from "./helpers.js";

describe("durability", () => {
  it("keeps tables and items across a restart; reset drops them", async () => {
    const first = await startNimbus();
    const accountId = freshAccount();
    let c = new DynamoDBClient(sdkConfig(first.endpoint, { accountId }));
    await createTable(c, "kept", ["pk", "S"], ["sk", "N"]);
    for (const sk of ["3", "1", "2"]) await c.send(new PutItemCommand({ TableName: "kept", Item: { pk: { S: "p" }, sk: { N: sk }, v: { S: `v${sk}` } } }));
    const tableId = (await c.send(new DescribeTableCommand({ TableName: "kept" }))).Table!.TableId;
    await first.stop({ keepData: true });

    const second = await startNimbus({ dataDir: first.dataDir });
    try {
      c = new DynamoDBClient(sdkConfig(second.endpoint, { accountId }));
      const d = (await c.send(new DescribeTableCommand({ TableName: "kept" }))).Table!;
      expect(d.TableId).toBe(tableId);
      expect(d.ItemCount).toBe(3);
      const q = await c.send(new QueryCommand({ TableName: "kept", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } } }));
      expect(q.Items!.map((i) => i.sk.N)).toEqual(["1", "2", "3"]);
      expect((await c.send(new GetItemCommand({ TableName: "kept", Key: { pk: { S: "p" }, sk: { N: "2" } } }))).Item!.v).toEqual({ S: "v2" });

      const r = await fetch(`${second.endpoint}/_nimbus/state/reset`, { method: "POST" });
      expect(r.status).toBe(200);
      expect((await c.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
