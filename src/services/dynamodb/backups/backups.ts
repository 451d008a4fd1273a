// On-demand backups: CreateBackup (the table's description and a copy of its items, taken in
// one transaction, so the backup is consistent as of its creation time), DescribeBackup,
// ListBackups (table, time range and type filters; pages by ExclusiveStartBackupArn),
// DeleteBackup and RestoreTableFromBackup (backups/restore.ts). Backups outlive their table.
import { randomBytes } from "node:crypto";
import type {
  CreateBackupInput,
  CreateBackupOutput,
  DeleteBackupInput,
  DeleteBackupOutput,
  DescribeBackupInput,
  DescribeBackupOutput,
  ListBackupsInput,
  ListBackupsOutput,
  RestoreTableFromBackupInput,
  RestoreTableFromBackupOutput,
} from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, tableNameOf, validateTableName } from "../common.js";
import { validation } from "../engine/values.js";
import { describe, sseOf } from "../handlers/tables.js";
import type { TableMeta } from "../store.js";
import { restoreTable, type RestoreOverrides } from "./restore.js";

interface BackupRow {
  arn: string;
  account: string;
  region: string;
  table_name: string;
  name: string;
  created_at: number;
  type: string;
  size_bytes: number;
  item_count: number;
  meta: string;
}

export const tableNotFound = (name: string) => new AwsError("TableNotFoundException", `Table not found: ${name}`);
const backupNotFound = (arn: string) => new AwsError("BackupNotFoundException", `Backup not found: ${arn}`);

function details(b: BackupRow, status = "AVAILABLE"): Record<string, unknown> {
  return {
    BackupArn: b.arn,
    BackupName: b.name,
    BackupSizeBytes: b.size_bytes,
    BackupStatus: status,
    BackupType: b.type,
    BackupCreationDateTime: new Date(b.created_at),
  };
}

/** What DescribeBackup and DeleteBackup answer: the backup, its table then, and the table's features then. */
function description(b: BackupRow, status?: string): Record<string, unknown> {
  const m = JSON.parse(b.meta) as TableMeta;
  const features: Record<string, unknown> = {};
  if (m.localSecondaryIndexes?.length) {
    features.LocalSecondaryIndexes = m.localSecondaryIndexes.map((i) => ({ IndexName: i.name, KeySchema: i.keySchema, Projection: i.projection }));
  }
  if (m.globalSecondaryIndexes?.length) {
    features.GlobalSecondaryIndexes = m.globalSecondaryIndexes.map((i) => ({
      IndexName: i.name,
      KeySchema: i.keySchema,
      Projection: i.projection,
      ProvisionedThroughput: { ReadCapacityUnits: i.read, WriteCapacityUnits: i.write },
    }));
  }
  if (m.stream?.enabled) features.StreamDescription = { StreamEnabled: true, StreamViewType: m.stream.viewType };
  if (m.ttl) features.TimeToLiveDescription = { TimeToLiveStatus: m.ttl.enabled ? "ENABLED" : "DISABLED", AttributeName: m.ttl.attributeName };
  if (m.sse?.enabled) features.SSEDescription = { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: m.sse.kmsKeyArn };
  return {
    BackupDetails: details(b, status),
    SourceTableDetails: {
      TableName: m.name,
      TableId: m.tableId,
      TableArn: m.arn,
      TableSizeBytes: b.size_bytes,
      KeySchema: m.keySchema,
      TableCreationDateTime: new Date(m.createdAt),
      ProvisionedThroughput: { ReadCapacityUnits: m.read, WriteCapacityUnits: m.write },
      ItemCount: b.item_count,
      BillingMode: m.billingMode,
    },
    ...(Object.keys(features).length ? { SourceTableFeatureDetails: features } : {}),
  };
}

function backupByArn(ctx: RequestContext, arn: string | undefined): BackupRow {
  const b = ddb(ctx).prepared("SELECT * FROM ddb_backups WHERE arn = ?").get(arn ?? "") as BackupRow | undefined;
  if (!b || b.account !== ctx.accountId || b.region !== ctx.region) throw backupNotFound(arn ?? "");
  return b;
}

function checkBackupName(name: string | undefined): void {
  const v = name ?? "";
  const fail = (c: string) => validation(`1 validation error detected: Value '${v}' at 'backupName' failed to satisfy constraint: Member must ${c}`);
  if (v.length < 3) throw fail("have length greater than or equal to 3");
  if (v.length > 255) throw fail("have length less than or equal to 255");
  if (!/^[a-zA-Z0-9_.-]+$/.test(v)) throw fail("satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

export function CreateBackup(input: CreateBackupInput, ctx: RequestContext): CreateBackupOutput {
  const name = tableNameOf(input.TableName ?? "");
  validateTableName(name);
  checkBackupName(input.BackupName);
  const store = ddb(ctx);
  return store.tx(() => {
    const t = store.table(ctx.accountId, ctx.region, name);
    if (!t) throw tableNotFound(name);
    const now = ctx.clock.now();
    // AWS's form: <table ARN>/backup/<13-digit creation ms>-<8 hex>.
    const arn = `${t.meta.arn}/backup/${String(now).padStart(13, "0")}-${randomBytes(4).toString("hex")}`;
    const row: BackupRow = {
      arn,
      account: ctx.accountId,
      region: ctx.region,
      table_name: name,
      name: input.BackupName!,
      created_at: now,
      type: "USER",
      size_bytes: t.sizeBytes,
      item_count: t.itemCount,
      meta: JSON.stringify(t.meta),
    };
    store
      .prepared("INSERT INTO ddb_backups (arn, account, region, table_name, name, created_at, type, size_bytes, item_count, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(row.arn, row.account, row.region, row.table_name, row.name, row.created_at, row.type, row.size_bytes, row.item_count, row.meta);
    store.prepared("INSERT INTO ddb_backup_items (backup_arn, hk, rk, item, size) SELECT ?, hk, rk, item, size FROM ddb_items WHERE table_id = ?").run(arn, t.id);
    return { BackupDetails: details(row) } as unknown as CreateBackupOutput;
  });
}

export function DescribeBackup(input: DescribeBackupInput, ctx: RequestContext): DescribeBackupOutput {
  return { BackupDescription: description(backupByArn(ctx, input.BackupArn)) } as DescribeBackupOutput;
}

export function DeleteBackup(input: DeleteBackupInput, ctx: RequestContext): DeleteBackupOutput {
  const store = ddb(ctx);
  return store.tx(() => {
    const b = backupByArn(ctx, input.BackupArn);
    store.prepared("DELETE FROM ddb_backup_items WHERE backup_arn = ?").run(b.arn);
    store.prepared("DELETE FROM ddb_backups WHERE arn = ?").run(b.arn);
    return { BackupDescription: description(b, "DELETED") } as DeleteBackupOutput;
  });
}

const ms = (v: unknown): number | undefined => (v === undefined ? undefined : v instanceof Date ? v.getTime() : Number(v) * 1000);

export function ListBackups(input: ListBackupsInput, ctx: RequestContext): ListBackupsOutput {
  const limit = input.Limit ?? 100;
  if (limit < 1 || limit > 100) {
    const bound = limit < 1 ? "greater than or equal to 1" : "less than or equal to 100";
    throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${bound}`);
  }
  const type = input.BackupType ?? "USER";
  if (!["USER", "SYSTEM", "AWS_BACKUP", "ALL"].includes(type)) {
    throw validation(`1 validation error detected: Value '${type}' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]`);
  }
  const lower = ms(input.TimeRangeLowerBound);
  const upper = ms(input.TimeRangeUpperBound);
  if (lower !== undefined && upper !== undefined && lower > upper) {
    throw validation("TimeRangeUpperBound must be greater than or equal to TimeRangeLowerBound");
  }
  const table = input.TableName !== undefined ? tableNameOf(input.TableName) : undefined;
  // Oldest first, then by ARN; the lower bound is inclusive, the upper bound exclusive (AWS's rule).
  let rows = ddb(ctx).prepared("SELECT * FROM ddb_backups WHERE account = ? AND region = ? ORDER BY created_at, arn").all(ctx.accountId, ctx.region) as BackupRow[];
  rows = rows.filter(
    (b) =>
      (table === undefined || b.table_name === table) &&
      (type === "ALL" || b.type === type) &&
      (lower === undefined || b.created_at >= lower) &&
      (upper === undefined || b.created_at < upper),
  );
  if (input.ExclusiveStartBackupArn !== undefined) {
    const i = rows.findIndex((b) => b.arn === input.ExclusiveStartBackupArn);
    rows = i < 0 ? [] : rows.slice(i + 1);
  }
  const page = rows.slice(0, limit);
  return {
    BackupSummaries: page.map((b) => {
      const m = JSON.parse(b.meta) as TableMeta;
      return { TableName: b.table_name, TableId: m.tableId, TableArn: m.arn, ...details(b) };
    }),
    ...(rows.length > limit ? { LastEvaluatedBackupArn: page[page.length - 1].arn } : {}),
  } as ListBackupsOutput;
}

export function RestoreTableFromBackup(input: RestoreTableFromBackupInput, ctx: RequestContext): RestoreTableFromBackupOutput {
  const store = ddb(ctx);
  return store.tx(() => {
    const b = backupByArn(ctx, input.BackupArn);
    const src = JSON.parse(b.meta) as TableMeta;
    const t = restoreTable(
      ctx,
      store,
      input.TargetTableName ?? "",
      src,
      input as RestoreOverrides,
      { sourceBackupArn: b.arn, sourceTableArn: src.arn, restoreDateTime: b.created_at },
      (id) => store.prepared("INSERT INTO ddb_items (table_id, hk, rk, item, size) SELECT ?, hk, rk, item, size FROM ddb_backup_items WHERE backup_arn = ?").run(id, b.arn),
      (spec) => sseOf(spec as never, ctx),
    );
    return { TableDescription: describe(ctx, t) } as RestoreTableFromBackupOutput;
  });
}
