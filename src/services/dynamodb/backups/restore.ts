// What RestoreTableFromBackup and RestoreTableToPointInTime share: the new table, made from the
// source's description as it was (key schema, attribute definitions, indexes, billing, SSE,
// table class; AWS restores neither streams, TTL, tags, PITR nor auto scaling), with the
// request's overrides, filled with the given items in the caller's transaction. The table is
// CREATING with a RestoreSummary until RESTORE_MS of Nimbus time have passed, then ACTIVE.
import { randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { validateTableName } from "../common.js";
import { validation } from "../engine/values.js";
import { gsiThroughput, validateCreateIndexes, type IndexMeta } from "../indexes/schema.js";
import type { DynamoStore, TableMeta, TableRecord } from "../store.js";

/** How long (Nimbus time) a restored table reports CREATING / RestoreInProgress. */
export const RESTORE_MS = 2000;

export interface RestoreOverrides {
  BillingModeOverride?: string;
  ProvisionedThroughputOverride?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number };
  GlobalSecondaryIndexOverride?: Array<Record<string, unknown>>;
  LocalSecondaryIndexOverride?: Array<Record<string, unknown>>;
  SSESpecificationOverride?: { Enabled?: boolean; SSEType?: string; KMSMasterKeyId?: string };
}

const invalid = (detail: string) => validation(`One or more parameter values were invalid: ${detail}`);

/** The indexes of the restored table: the source's, or the override's (a subset AWS allows to change throughput). */
function restoredIndexes(src: TableMeta, o: RestoreOverrides, billingMode: string, now: number): IndexMeta[] {
  const lsiIn = o.LocalSecondaryIndexOverride;
  const gsiIn = o.GlobalSecondaryIndexOverride;
  if (lsiIn === undefined && gsiIn === undefined) {
    return [...(src.localSecondaryIndexes ?? []), ...(src.globalSecondaryIndexes ?? [])].map((i) => ({
      ...i,
      ...(i.global ? gsiThroughput(i.name, billingMode === "PROVISIONED" ? { ReadCapacityUnits: i.read || 1, WriteCapacityUnits: i.write || 1 } : undefined, billingMode) : {}),
      createdAt: now,
      backfilledAt: undefined,
    }));
  }
  const lsis = lsiIn ?? (src.localSecondaryIndexes ?? []).map((i) => ({ IndexName: i.name, KeySchema: i.keySchema, Projection: i.projection }));
  const gsis =
    gsiIn ??
    (src.globalSecondaryIndexes ?? []).map((i) => ({
      IndexName: i.name,
      KeySchema: i.keySchema,
      Projection: i.projection,
      ...(billingMode === "PROVISIONED" ? { ProvisionedThroughput: { ReadCapacityUnits: i.read || 1, WriteCapacityUnits: i.write || 1 } } : {}),
    }));
  return validateCreateIndexes(src.keySchema, src.attributeDefinitions, lsis.length ? (lsis as never) : undefined, gsis.length ? (gsis as never) : undefined, billingMode, now);
}

/**
 * Creates the restored table `target` from the source's metadata and copies the items of
 * `fill` (an INSERT ... SELECT writing (table_id, hk, rk, item, size) from its first parameter).
 */
export function restoreTable(
  ctx: RequestContext,
  store: DynamoStore,
  target: string,
  src: TableMeta,
  o: RestoreOverrides,
  summary: { sourceBackupArn?: string; sourceTableArn: string; restoreDateTime: number },
  fill: (tableId: number) => void,
  sseOf: (spec: RestoreOverrides["SSESpecificationOverride"]) => TableMeta["sse"],
): TableRecord {
  validateTableName(target);
  if (store.table(ctx.accountId, ctx.region, target)) throw new AwsError("TableAlreadyExistsException", `Table already exists: ${target}`);
  const now = ctx.clock.now();
  const billingMode = (o.BillingModeOverride ?? src.billingMode) as TableMeta["billingMode"];
  if (billingMode !== "PROVISIONED" && billingMode !== "PAY_PER_REQUEST") {
    throw validation(`1 validation error detected: Value '${billingMode}' at 'billingModeOverride' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]`);
  }
  let read = 0;
  let write = 0;
  if (billingMode === "PROVISIONED") {
    const pt = o.ProvisionedThroughputOverride;
    if (pt && (pt.ReadCapacityUnits === undefined || pt.WriteCapacityUnits === undefined)) throw invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified");
    read = pt?.ReadCapacityUnits ?? (src.read || 5);
    write = pt?.WriteCapacityUnits ?? (src.write || 5);
  } else if (o.ProvisionedThroughputOverride) {
    throw invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
  }
  const indexes = restoredIndexes(src, o, billingMode, now);
  // AttributeDefinitions keep only what the remaining key schemas use.
  const used = new Set([...src.keySchema, ...indexes.flatMap((i) => i.keySchema)].map((k) => k.AttributeName));
  const sse = o.SSESpecificationOverride ? sseOf(o.SSESpecificationOverride) : src.sse;
  const meta: TableMeta = {
    name: target,
    tableId: randomUUID(),
    arn: `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${target}`,
    createdAt: now,
    keySchema: src.keySchema,
    attributeDefinitions: src.attributeDefinitions.filter((d) => used.has(d.AttributeName)),
    billingMode,
    read,
    write,
    tags: [],
    deletionProtection: false,
    ...(src.tableClass ? { tableClass: src.tableClass } : {}),
    ...(indexes.some((i) => !i.global) ? { localSecondaryIndexes: indexes.filter((i) => !i.global) } : {}),
    ...(indexes.some((i) => i.global) ? { globalSecondaryIndexes: indexes.filter((i) => i.global) } : {}),
    ...(sse ? { sse } : {}),
    restore: { ...summary, activeAt: now + RESTORE_MS },
  };
  const t = store.createTable(ctx.accountId, ctx.region, meta);
  fill(t.id);
  const totals = store.prepared("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM ddb_items WHERE table_id = ?").get(t.id) as { n: number; bytes: number };
  store.prepared("UPDATE ddb_tables SET item_count = ?, size_bytes = ? WHERE id = ?").run(totals.n, totals.bytes, t.id);
  // The restored table's indexes are built from its items (no stream, TTL or PITR to feed).
  const hooks = store.hooksOf(t.id);
  if (hooks) {
    const rows = store.prepared("SELECT hk, rk, item FROM ddb_items WHERE table_id = ?").all(t.id) as Array<{ hk: Buffer; rk: Buffer; item: string }>;
    for (const r of rows) hooks.write(store, r.hk, r.rk, undefined, r.item);
  }
  return t;
}

/** DescribeTable's RestoreSummary and the CREATING status of a table being restored. */
export function restoreFields(t: TableRecord, now: number, d: Record<string, unknown>): void {
  const r = t.meta.restore;
  if (!r) return;
  const inProgress = now < r.activeAt;
  if (inProgress && d.TableStatus === "ACTIVE") d.TableStatus = "CREATING";
  d.RestoreSummary = {
    ...(r.sourceBackupArn ? { SourceBackupArn: r.sourceBackupArn } : {}),
    SourceTableArn: r.sourceTableArn,
    RestoreDateTime: new Date(r.restoreDateTime),
    RestoreInProgress: inProgress,
  };
}
