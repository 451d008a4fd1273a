// DynamoDB state survives a restart on the same data directory, and /_nimbus/state/reset clears it.
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CreateBackupCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListBackupsCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
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

  it("keeps backups, the point-in-time history and global table replicas across a restart", async () => {
    const first = await startNimbus();
    const accountId = freshAccount();
    let c = new DynamoDBClient(sdkConfig(first.endpoint, { accountId }));
    await createTable(c, "gtab", ["pk", "S"]);
    await c.send(new UpdateContinuousBackupsCommand({ TableName: "gtab", PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    await c.send(new PutItemCommand({ TableName: "gtab", Item: { pk: { S: "a" } } }));
    const backupArn = (await c.send(new CreateBackupCommand({ TableName: "gtab", BackupName: "keep-me" }))).BackupDetails!.BackupArn!;
    await c.send(new UpdateTableCommand({ TableName: "gtab", ReplicaUpdates: [{ Create: { RegionName: "eu-west-1" } }] }));
    await c.send(new PutItemCommand({ TableName: "gtab", Item: { pk: { S: "b" } } }));
    await first.stop({ keepData: true });

    const second = await startNimbus({ dataDir: first.dataDir });
    try {
      c = new DynamoDBClient(sdkConfig(second.endpoint, { accountId }));
      const west = new DynamoDBClient(sdkConfig(second.endpoint, { accountId, region: "eu-west-1" }));
      expect((await c.send(new ListBackupsCommand({}))).BackupSummaries!.map((b) => b.BackupArn)).toEqual([backupArn]);
      await c.send(new RestoreTableFromBackupCommand({ TargetTableName: "gtab-b", BackupArn: backupArn }));
      expect((await c.send(new ScanCommand({ TableName: "gtab-b" }))).Items!.map((i) => i.pk.S)).toEqual(["a"]);
      await c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "gtab", TargetTableName: "gtab-p", UseLatestRestorableTime: true }));
      expect((await c.send(new ScanCommand({ TableName: "gtab-p" }))).Items!.map((i) => i.pk.S).sort()).toEqual(["a", "b"]);
      expect((await c.send(new DescribeTableCommand({ TableName: "gtab" }))).Table!.Replicas!.map((r) => r.RegionName)).toEqual(["eu-west-1"]);
      expect((await west.send(new GetItemCommand({ TableName: "gtab", Key: { pk: { S: "b" } } }))).Item).toEqual({ pk: { S: "b" } });
      // Replication runs again after the restart.
      await west.send(new PutItemCommand({ TableName: "gtab", Item: { pk: { S: "c" } } }));
      let got;
      for (let i = 0; i < 100 && !got; i++) {
        got = (await c.send(new GetItemCommand({ TableName: "gtab", Key: { pk: { S: "c" } } }))).Item;
        if (!got) await new Promise((r) => setTimeout(r, 50));
      }
      expect(got).toEqual({ pk: { S: "c" } });
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
