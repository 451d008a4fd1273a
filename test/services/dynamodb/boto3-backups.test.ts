// Backups, point-in-time recovery and a global table replica through boto3 (Debian's
// python3-boto3): create_backup / list_backups / restore_table_from_backup,
// update_continuous_backups / restore_table_to_point_in_time, and update_table ReplicaUpdates
// with a write read back from the replica's region, plus botocore's error codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { ok, PYTHON, useClients } from "../../clients/support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);

const SCRIPT = `
import json, sys, time, boto3
from botocore.exceptions import ClientError
endpoint = sys.argv[1]
ddb = boto3.client("dynamodb", endpoint_url=endpoint)
west = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1")
ddb.create_table(TableName="songs", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
for i in range(5):
    ddb.put_item(TableName="songs", Item={"id": {"S": "s%d" % i}, "plays": {"N": str(i)}})
backup = ddb.create_backup(TableName="songs", BackupName="before-cleanup")["BackupDetails"]
ddb.delete_item(TableName="songs", Key={"id": {"S": "s0"}})
listed = ddb.list_backups(TableName="songs")["BackupSummaries"]
restored = ddb.restore_table_from_backup(TargetTableName="songs-copy", BackupArn=backup["BackupArn"])["TableDescription"]
copy = sorted(i["id"]["S"] for i in ddb.scan(TableName="songs-copy")["Items"])
pitr = ddb.update_continuous_backups(TableName="songs", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
ddb.put_item(TableName="songs", Item={"id": {"S": "s9"}, "plays": {"N": "9"}})
ddb.restore_table_to_point_in_time(SourceTableName="songs", TargetTableName="songs-pitr", UseLatestRestorableTime=True)
pitr_copy = sorted(i["id"]["S"] for i in ddb.scan(TableName="songs-pitr")["Items"])
errors = {}
for name, call in [("backup", lambda: ddb.describe_backup(BackupArn=backup["BackupArn"] + "0")),
                   ("table", lambda: ddb.create_backup(TableName="nope", BackupName="x-1")),
                   ("pitr", lambda: ddb.restore_table_to_point_in_time(SourceTableName="songs-copy", TargetTableName="x-2", UseLatestRestorableTime=True))]:
    try:
        call()
    except ClientError as e:
        errors[name] = e.response["Error"]["Code"]
replica = ddb.update_table(TableName="songs", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])["TableDescription"]
ddb.put_item(TableName="songs", Item={"id": {"S": "late"}, "plays": {"N": "1"}})
late = None
for _ in range(100):
    late = west.get_item(TableName="songs", Key={"id": {"S": "late"}}).get("Item")
    if late:
        break
    time.sleep(0.05)
print(json.dumps({"backup": {k: backup[k] for k in ("BackupName", "BackupStatus", "BackupType")}, "listed": [b["BackupName"] for b in listed],
                  "restore_status": restored["TableStatus"], "source_backup": restored["RestoreSummary"]["SourceBackupArn"] == backup["BackupArn"],
                  "copy": copy, "pitr_status": pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
                  "pitr_copy": pitr_copy, "errors": errors, "replicas": replica["Replicas"], "version": replica["GlobalTableVersion"], "late": late}))
`;

describe.skipIf(!PYTHON)("boto3 backups, PITR and replicas", () => {
  it("backs up, restores, restores to a point in time and replicates", async () => {
    const out = ok(await clients.python(freshAccount(), SCRIPT, n.endpoint));
    expect(out.backup).toEqual({ BackupName: "before-cleanup", BackupStatus: "AVAILABLE", BackupType: "USER" });
    expect(out.listed).toEqual(["before-cleanup"]);
    expect(out.restore_status).toBe("CREATING");
    expect(out.source_backup).toBe(true);
    expect(out.copy).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    expect(out.pitr_status).toBe("ENABLED");
    expect(out.pitr_copy).toEqual(["s1", "s2", "s3", "s4", "s9"]);
    expect(out.errors).toEqual({ backup: "BackupNotFoundException", table: "TableNotFoundException", pitr: "PointInTimeRecoveryUnavailableException" });
    expect(out.replicas).toEqual([{ RegionName: "eu-west-1", ReplicaStatus: "CREATING" }]);
    expect(out.version).toBe("2019.11.21");
    expect(out.late).toEqual({ id: { S: "late" }, plays: { N: "1" } });
  });
});
