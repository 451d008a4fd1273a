// On-demand backups and point-in-time recovery through the real SDK v3 client: CreateBackup /
// DescribeBackup / ListBackups (filters, pagination) / DeleteBackup / RestoreTableFromBackup
// (data as of the backup, index overrides, CREATING then ACTIVE with a RestoreSummary), and
// UpdateContinuousBackups / DescribeContinuousBackups / RestoreTableToPointInTime on the Nimbus
// clock, with AWS's error codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBackupCommand,
  CreateTableCommand,
  DeleteBackupCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListBackupsCommand,
  PutItemCommand,
  QueryCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advanceClock, createTable, failure, N, S } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function nimbusNow(): Promise<number> {
  return ((await (await fetch(`${n.endpoint}/_nimbus/clock`)).json()) as { epochMillis: number }).epochMillis;
}

async function keys(c: DynamoDBClient, table: string): Promise<string[]> {
  const r = await c.send(new ScanCommand({ TableName: table }));
  return (r.Items ?? []).map((i) => `${i.pk.S}=${i.v?.N ?? i.v?.S}`).sort();
}

describe("on-demand backups", () => {
  it("backs a table up as of CreateBackup and restores it into a new table, CREATING then ACTIVE", async () => {
    const { client: c, id } = account(n);
    await c.send(
      new CreateTableCommand({
        TableName: "orders",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "status", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        GlobalSecondaryIndexes: [{ IndexName: "byStatus", KeySchema: [{ AttributeName: "status", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
        Tags: [{ Key: "team", Value: "a" }],
      }),
    );
    for (const [pk, v, status] of [["a", 1, "open"], ["b", 2, "done"], ["c", 3, "open"]] as const) {
      await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S(pk), v: N(v), status: S(status) } }));
    }
    const made = await c.send(new CreateBackupCommand({ TableName: "orders", BackupName: "nightly-1" }));
    const b = made.BackupDetails!;
    expect(b.BackupArn).toMatch(new RegExp(`^arn:aws:dynamodb:us-east-1:${id}:table/orders/backup/\\d{13}-[0-9a-f]{8}$`));
    expect([b.BackupName, b.BackupStatus, b.BackupType]).toEqual(["nightly-1", "AVAILABLE", "USER"]);
    expect(b.BackupSizeBytes).toBeGreaterThan(0);
    expect(b.BackupCreationDateTime).toBeInstanceOf(Date);

    // Changes after the backup are not in it.
    await c.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("d"), v: N(4), status: S("open") } }));
    await c.send(new DeleteItemCommand({ TableName: "orders", Key: { pk: S("a") } }));
    await c.send(new UpdateItemCommand({ TableName: "orders", Key: { pk: S("b") }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": N(20) } }));

    const d = (await c.send(new DescribeBackupCommand({ BackupArn: b.BackupArn }))).BackupDescription!;
    expect(d.BackupDetails!.BackupArn).toBe(b.BackupArn);
    expect(d.SourceTableDetails).toMatchObject({ TableName: "orders", ItemCount: 3, BillingMode: "PAY_PER_REQUEST", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }] });
    expect(d.SourceTableFeatureDetails!.GlobalSecondaryIndexes!.map((g) => g.IndexName)).toEqual(["byStatus"]);

    const restored = await c.send(new RestoreTableFromBackupCommand({ TargetTableName: "orders-restored", BackupArn: b.BackupArn }));
    expect(restored.TableDescription!.TableStatus).toBe("CREATING");
    expect(restored.TableDescription!.RestoreSummary).toMatchObject({ SourceBackupArn: b.BackupArn, RestoreInProgress: true });
    expect(restored.TableDescription!.RestoreSummary!.SourceTableArn).toBe(`arn:aws:dynamodb:us-east-1:${id}:table/orders`);
    expect(await keys(c, "orders-restored")).toEqual(["a=1", "b=2", "c=3"]);
    expect(await keys(c, "orders")).toEqual(["b=20", "c=3", "d=4"]);
    // The index is rebuilt from the restored items.
    const open = await c.send(new QueryCommand({ TableName: "orders-restored", IndexName: "byStatus", KeyConditionExpression: "#s = :s", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":s": S("open") } }));
    expect(open.Items!.map((i) => i.pk.S).sort()).toEqual(["a", "c"]);
    await advanceClock(n, "PT3S");
    const t = (await c.send(new DescribeTableCommand({ TableName: "orders-restored" }))).Table!;
    expect(t.TableStatus).toBe("ACTIVE");
    expect(t.RestoreSummary!.RestoreInProgress).toBe(false);
    expect(t.ItemCount).toBe(3);

    // Indexes can be left out, and billing overridden.
    const slim = await c.send(
      new RestoreTableFromBackupCommand({
        TargetTableName: "orders-slim",
        BackupArn: b.BackupArn,
        GlobalSecondaryIndexOverride: [],
        BillingModeOverride: "PROVISIONED",
        ProvisionedThroughputOverride: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
      }),
    );
    expect(slim.TableDescription!.GlobalSecondaryIndexes).toBeUndefined();
    expect(slim.TableDescription!.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 3, WriteCapacityUnits: 4 });
    expect(slim.TableDescription!.AttributeDefinitions).toEqual([{ AttributeName: "pk", AttributeType: "S" }]);

    // The backup outlives its table.
    await c.send(new DeleteTableCommand({ TableName: "orders" }));
    expect((await c.send(new DescribeBackupCommand({ BackupArn: b.BackupArn }))).BackupDescription!.BackupDetails!.BackupStatus).toBe("AVAILABLE");
  });

  it("answers AWS's errors and changes nothing on them", async () => {
    const { client: c, id } = account(n);
    await createTable(c, "tab1", ["pk", "S"]);
    let e = await failure(c.send(new CreateBackupCommand({ TableName: "missing", BackupName: "x1x" })));
    expect([e.name, e.message]).toEqual(["TableNotFoundException", "Table not found: missing"]);
    const arn = `arn:aws:dynamodb:us-east-1:${id}:table/tab1/backup/01700000000000-deadbeef`;
    e = await failure(c.send(new DescribeBackupCommand({ BackupArn: arn })));
    expect([e.name, e.message]).toEqual(["BackupNotFoundException", `Backup not found: ${arn}`]);
    e = await failure(c.send(new RestoreTableFromBackupCommand({ TargetTableName: "tab2", BackupArn: arn })));
    expect(e.name).toBe("BackupNotFoundException");
    const b = (await c.send(new CreateBackupCommand({ TableName: "tab1", BackupName: "bk1" }))).BackupDetails!;
    e = await failure(c.send(new RestoreTableFromBackupCommand({ TargetTableName: "tab1", BackupArn: b.BackupArn })));
    expect([e.name, e.message]).toEqual(["TableAlreadyExistsException", "Table already exists: tab1"]);
    e = await failure(c.send(new CreateBackupCommand({ TableName: "tab1", BackupName: "a b" })));
    expect(e.name).toBe("ValidationException");
    const del = await c.send(new DeleteBackupCommand({ BackupArn: b.BackupArn }));
    expect(del.BackupDescription!.BackupDetails!.BackupStatus).toBe("DELETED");
    e = await failure(c.send(new DeleteBackupCommand({ BackupArn: b.BackupArn })));
    expect(e.name).toBe("BackupNotFoundException");
    expect((await c.send(new ListBackupsCommand({}))).BackupSummaries).toEqual([]);
  });

  it("lists backups by table and time range, a page at a time", async () => {
    const { client: c } = account(n);
    await createTable(c, "taba", ["pk", "S"]);
    await createTable(c, "tabb", ["pk", "S"]);
    const arns: string[] = [];
    for (const [table, name] of [["taba", "a-1"], ["tabb", "b-1"], ["taba", "a-2"], ["taba", "a-3"]]) {
      arns.push((await c.send(new CreateBackupCommand({ TableName: table, BackupName: name }))).BackupDetails!.BackupArn!);
      await advanceClock(n, "PT1S");
    }
    const all = await c.send(new ListBackupsCommand({}));
    expect(all.BackupSummaries!.map((s) => s.BackupName)).toEqual(["a-1", "b-1", "a-2", "a-3"]);
    expect(all.BackupSummaries![0]).toMatchObject({ TableName: "taba", BackupStatus: "AVAILABLE", BackupType: "USER", BackupArn: arns[0] });
    expect(all.LastEvaluatedBackupArn).toBeUndefined();
    const ta = await c.send(new ListBackupsCommand({ TableName: "taba" }));
    expect(ta.BackupSummaries!.map((s) => s.BackupName)).toEqual(["a-1", "a-2", "a-3"]);
    const p1 = await c.send(new ListBackupsCommand({ Limit: 2 }));
    expect(p1.BackupSummaries!.map((s) => s.BackupName)).toEqual(["a-1", "b-1"]);
    expect(p1.LastEvaluatedBackupArn).toBe(arns[1]);
    const p2 = await c.send(new ListBackupsCommand({ Limit: 2, ExclusiveStartBackupArn: p1.LastEvaluatedBackupArn }));
    expect(p2.BackupSummaries!.map((s) => s.BackupName)).toEqual(["a-2", "a-3"]);
    // Lower bound inclusive, upper bound exclusive.
    const second = all.BackupSummaries![1].BackupCreationDateTime!;
    const fourth = all.BackupSummaries![3].BackupCreationDateTime!;
    const mid = await c.send(new ListBackupsCommand({ TimeRangeLowerBound: second, TimeRangeUpperBound: fourth }));
    expect(mid.BackupSummaries!.map((s) => s.BackupName)).toEqual(["b-1", "a-2"]);
    expect((await c.send(new ListBackupsCommand({ BackupType: "SYSTEM" }))).BackupSummaries).toEqual([]);
  });
});

describe("point-in-time recovery", () => {
  it("restores the table as it was at a time on the Nimbus clock, or at the latest restorable time", async () => {
    const { client: c } = account(n);
    await createTable(c, "ledger", ["pk", "S"]);
    await c.send(new PutItemCommand({ TableName: "ledger", Item: { pk: S("a"), v: N(1) } }));
    let d = (await c.send(new DescribeContinuousBackupsCommand({ TableName: "ledger" }))).ContinuousBackupsDescription!;
    expect(d).toEqual({ ContinuousBackupsStatus: "ENABLED", PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "DISABLED" } });
    let e = await failure(c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "l2", UseLatestRestorableTime: true })));
    expect(e.name).toBe("PointInTimeRecoveryUnavailableException");

    const on = await c.send(new UpdateContinuousBackupsCommand({ TableName: "ledger", PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    const pd = on.ContinuousBackupsDescription!.PointInTimeRecoveryDescription!;
    expect(pd.PointInTimeRecoveryStatus).toBe("ENABLED");
    expect(pd.RecoveryPeriodInDays).toBe(35);
    const enabledAt = pd.EarliestRestorableDateTime!.getTime();

    await advanceClock(n, "PT1M");
    await c.send(new PutItemCommand({ TableName: "ledger", Item: { pk: S("b"), v: N(2) } }));
    await c.send(new UpdateItemCommand({ TableName: "ledger", Key: { pk: S("a") }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": N(10) } }));
    await advanceClock(n, "PT1M");
    const t1 = await nimbusNow();
    await advanceClock(n, "PT1M");
    await c.send(new DeleteItemCommand({ TableName: "ledger", Key: { pk: S("b") } }));
    await c.send(new PutItemCommand({ TableName: "ledger", Item: { pk: S("c"), v: N(3) } }));

    const atEnable = await c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "ledger-t0", RestoreDateTime: new Date(enabledAt) }));
    expect(atEnable.TableDescription!.RestoreSummary).toMatchObject({ RestoreInProgress: true, RestoreDateTime: new Date(enabledAt) });
    expect(atEnable.TableDescription!.RestoreSummary!.SourceBackupArn).toBeUndefined();
    expect(await keys(c, "ledger-t0")).toEqual(["a=1"]);
    await c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "ledger-t1", RestoreDateTime: new Date(t1) }));
    expect(await keys(c, "ledger-t1")).toEqual(["a=10", "b=2"]);
    const latest = await c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "ledger-now", UseLatestRestorableTime: true }));
    expect(latest.TableDescription!.TableStatus).toBe("CREATING");
    expect(await keys(c, "ledger-now")).toEqual(["a=10", "c=3"]);
    expect((await c.send(new GetItemCommand({ TableName: "ledger-now", Key: { pk: S("c") } }))).Item).toEqual({ pk: S("c"), v: N(3) });

    e = await failure(c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "l3", RestoreDateTime: new Date(enabledAt - 60_000) })));
    expect(e.name).toBe("InvalidRestoreTimeException");
    e = await failure(c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "ledger-t1", UseLatestRestorableTime: true })));
    expect(e.name).toBe("TableAlreadyExistsException");
    e = await failure(c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "nope", TargetTableName: "l4", UseLatestRestorableTime: true })));
    expect(e.name).toBe("SourceTableNotFoundException");
    e = await failure(c.send(new DescribeContinuousBackupsCommand({ TableName: "nope" })));
    expect([e.name, e.message]).toEqual(["TableNotFoundException", "Table not found: nope"]);

    // The window is 35 days of Nimbus time (it moves with the clock, so the restore below
    // aims a minute inside it); older versions are pruned, the one in force kept.
    await advanceClock(n, "P40D");
    d = (await c.send(new DescribeContinuousBackupsCommand({ TableName: "ledger" }))).ContinuousBackupsDescription!;
    const earliest = d.PointInTimeRecoveryDescription!.EarliestRestorableDateTime!.getTime();
    const latestAt = d.PointInTimeRecoveryDescription!.LatestRestorableDateTime!.getTime();
    expect(latestAt - earliest).toBe(35 * 24 * 3600 * 1000);
    e = await failure(c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "l5", RestoreDateTime: new Date(t1) })));
    expect(e.name).toBe("InvalidRestoreTimeException");
    await c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "ledger-old", RestoreDateTime: new Date(earliest + 60_000) }));
    expect(await keys(c, "ledger-old")).toEqual(["a=10", "c=3"]);

    // Turning PITR off ends it.
    const off = await c.send(new UpdateContinuousBackupsCommand({ TableName: "ledger", PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } }));
    expect(off.ContinuousBackupsDescription!.PointInTimeRecoveryDescription).toEqual({ PointInTimeRecoveryStatus: "DISABLED" });
    e = await failure(c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "ledger", TargetTableName: "l6", UseLatestRestorableTime: true })));
    expect(e.name).toBe("PointInTimeRecoveryUnavailableException");
  });
});
