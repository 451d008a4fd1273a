// Global tables, version 2019.11.21: UpdateTable ReplicaUpdates (Create / Update / Delete)
// makes and drops replicas, which are real tables of the same name in other regions of the
// same account. Every member's metadata lists the whole group (TableMeta.replicas); a write to
// any member is queued for the others in its own transaction (indexes/hooks.ts) and applied
// asynchronously by global/replication.ts, last writer wins. AWS's 2019.11.21 version adds no
// aws:rep:* attributes to items, and neither does Nimbus.
import { randomUUID } from "node:crypto";
import type { DescribeTableReplicaAutoScalingInput, DescribeTableReplicaAutoScalingOutput, UpdateTableInput } from "@aws-sdk/client-dynamodb";
import type { RequestContext } from "../../../core/service.js";
import { ddb, resolveTable } from "../common.js";
import { validation } from "../engine/values.js";
import { disableStream, enableStream } from "../streams/lifecycle.js";
import type { DynamoStore, TableMeta, TableRecord } from "../store.js";

/** How long (Nimbus time) a new replica reports CREATING before ACTIVE. */
export const REPLICA_CREATE_MS = 2000;
export const GLOBAL_TABLE_VERSION = "2019.11.21";

const invalid = (detail: string) => validation(`One or more parameter values were invalid: ${detail}`);
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

type ReplicaUpdate = NonNullable<UpdateTableInput["ReplicaUpdates"]>[number];

/** The group's members other than `t` (their records, fresh, in the caller's transaction). */
function members(store: DynamoStore, t: TableRecord): TableRecord[] {
  return (t.meta.replicas ?? [])
    .filter((r) => r.region !== t.region)
    .map((r) => store.table(t.account, r.region, t.meta.name))
    .filter((x): x is TableRecord => x !== undefined);
}

/** Writes the same replica list into every member of the group (an empty list: no longer global). */
function saveGroup(store: DynamoStore, tables: TableRecord[], replicas: NonNullable<TableMeta["replicas"]>): void {
  for (const m of tables) {
    if (replicas.length > 1) m.meta.replicas = replicas;
    else delete m.meta.replicas;
    store.saveMeta(m);
  }
}

/** UpdateTable with ReplicaUpdates: applied in the caller's transaction; answers the updated table. */
export function applyReplicaUpdates(ctx: RequestContext, store: DynamoStore, t: TableRecord, updates: ReplicaUpdate[]): void {
  const now = ctx.clock.now();
  if (t.meta.legacyGlobal) throw invalid("ReplicaUpdates cannot change a global table of version 2017.11.29; use UpdateGlobalTable");
  for (const u of updates) {
    const actions = [u.Create, u.Update, u.Delete].filter((x) => x !== undefined);
    if (actions.length !== 1) throw invalid("One of Create, Update or Delete must be specified for a ReplicaUpdate");
    const region = (u.Create ?? u.Update ?? u.Delete)!.RegionName ?? "";
    // 1. AWS's rule: the local region is changed with CreateTable / UpdateTable / DeleteTable.
    if (region === t.region) {
      throw validation("Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required.");
    }
    if (!REGION.test(region)) throw invalid(`Invalid region name: ${region}`);
    const group = t.meta.replicas ?? [{ region: t.region, createdAt: t.meta.createdAt, activeAt: t.meta.createdAt }];
    const isMember = group.some((r) => r.region === region);
    if (u.Create) {
      if (isMember || store.table(t.account, region, t.meta.name)) {
        throw validation(`Failed to create a the new replica of table with name: '${t.meta.name}' because one or more replicas already existed as tables.`);
      }
      // 2. The replicated table's stream carries both images (AWS turns it on if it is off).
      if (t.meta.stream?.enabled && t.meta.stream.viewType !== "NEW_AND_OLD_IMAGES") {
        throw invalid("Table must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES to add replicas");
      }
      if (!t.meta.stream?.enabled) enableStream(store, t, "NEW_AND_OLD_IMAGES", now);
      const replica = createReplica(store, t, region, u.Create, now);
      const replicas = [...group, { region, createdAt: now, activeAt: now + REPLICA_CREATE_MS }];
      saveGroup(store, [t, ...members(store, t), replica], replicas);
    } else if (u.Update) {
      if (!isMember) throw invalid(`Replica does not exist in region ${region} for table ${t.meta.name}`);
      const r = store.table(t.account, region, t.meta.name);
      if (r && u.Update.TableClassOverride !== undefined) {
        r.meta.tableClass = u.Update.TableClassOverride;
        store.saveMeta(r);
      }
    } else {
      if (!isMember) throw invalid(`Replica does not exist in region ${region} for table ${t.meta.name}`);
      const all = [t, ...members(store, t)];
      const gone = all.find((m) => m.region === region);
      if (gone) dropTable(store, gone, now);
      saveGroup(
        store,
        all.filter((m) => m.region !== region),
        group.filter((r) => r.region !== region),
      );
    }
    t = store.table(t.account, t.region, t.meta.name)!;
  }
}

/** The replica table in `region`: the source's schema and indexes, a stream, a copy of the items. */
function createReplica(store: DynamoStore, t: TableRecord, region: string, spec: NonNullable<ReplicaUpdate["Create"]>, now: number): TableRecord {
  const src = t.meta;
  const arn = `arn:aws:dynamodb:${region}:${t.account}:table/${src.name}`;
  const kms = spec.KMSMasterKeyId;
  const meta: TableMeta = {
    name: src.name,
    tableId: randomUUID(),
    arn,
    createdAt: now,
    keySchema: src.keySchema,
    attributeDefinitions: src.attributeDefinitions,
    billingMode: src.billingMode,
    read: spec.ProvisionedThroughputOverride?.ReadCapacityUnits ?? src.read,
    write: src.write,
    tags: [],
    deletionProtection: false,
    ...(spec.TableClassOverride ?? src.tableClass ? { tableClass: spec.TableClassOverride ?? src.tableClass } : {}),
    ...(src.localSecondaryIndexes ? { localSecondaryIndexes: src.localSecondaryIndexes.map((i) => ({ ...i, createdAt: now })) } : {}),
    ...(src.globalSecondaryIndexes ? { globalSecondaryIndexes: src.globalSecondaryIndexes.map((i) => ({ ...i, createdAt: now, backfilledAt: undefined })) } : {}),
    ...(kms
      ? { sse: { enabled: true, type: "KMS", kmsKeyArn: kms.startsWith("arn:") ? kms : `arn:aws:kms:${region}:${t.account}:${kms.startsWith("alias/") ? kms : `key/${kms}`}` } }
      : src.sse
        ? { sse: src.sse }
        : {}),
  };
  // 1. The table and its items; the index rows are built before the stream is on, so that the
  //    initial copy writes no stream records.
  const r = store.createTable(t.account, region, meta);
  store.prepared("INSERT INTO ddb_items (table_id, hk, rk, item, size) SELECT ?, hk, rk, item, size FROM ddb_items WHERE table_id = ?").run(r.id, t.id);
  store.prepared("UPDATE ddb_tables SET item_count = ?, size_bytes = ? WHERE id = ?").run(t.itemCount, t.sizeBytes, r.id);
  const hooks = store.hooksOf(r.id);
  if (hooks) {
    const rows = store.prepared("SELECT hk, rk, item FROM ddb_items WHERE table_id = ?").all(r.id) as Array<{ hk: Buffer; rk: Buffer; item: string }>;
    for (const x of rows) hooks.write(store, x.hk, x.rk, undefined, x.item);
  }
  // 2. Its own stream (NEW_AND_OLD_IMAGES, as every replica of a 2019.11.21 global table).
  enableStream(store, r, "NEW_AND_OLD_IMAGES", now);
  return r;
}

function dropTable(store: DynamoStore, t: TableRecord, now: number): void {
  disableStream(store, t, now);
  store.prepared("DELETE FROM ddb_replication WHERE account = ? AND target_region = ? AND table_name = ?").run(t.account, t.region, t.meta.name);
  store.deleteTable(t.id);
}

/** DeleteTable of a member: it leaves the group (the other replicas stay, as on AWS). */
export function leaveGroup(store: DynamoStore, t: TableRecord): void {
  if (!t.meta.replicas) return;
  const rest = members(store, t);
  store.prepared("DELETE FROM ddb_replication WHERE account = ? AND target_region = ? AND table_name = ?").run(t.account, t.region, t.meta.name);
  saveGroup(
    store,
    rest,
    t.meta.replicas.filter((r) => r.region !== t.region),
  );
}

/** UpdateTable's stream change on a member: AWS refuses to turn the stream off. */
export function checkReplicaStream(t: TableRecord, spec: UpdateTableInput["StreamSpecification"]): void {
  if (t.meta.replicas && spec && spec.StreamEnabled === false) throw invalid("Disabling Stream is not allowed for a Global Table replica.");
}

/** DescribeTable's GlobalTableVersion and Replicas (the other members), with their status. */
export function replicaFields(t: TableRecord, now: number, d: Record<string, unknown>): void {
  const replicas = t.meta.replicas;
  if (t.meta.legacyGlobal) {
    d.GlobalTableVersion = "2017.11.29";
    return;
  }
  if (!replicas) return;
  const self = replicas.find((r) => r.region === t.region);
  if (self && now < self.activeAt && d.TableStatus === "ACTIVE") d.TableStatus = "CREATING";
  d.GlobalTableVersion = GLOBAL_TABLE_VERSION;
  d.Replicas = replicas
    .filter((r) => r.region !== t.region)
    .map((r) => ({
      RegionName: r.region,
      ReplicaStatus: now < r.activeAt ? "CREATING" : "ACTIVE",
      ...(t.meta.globalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: t.meta.globalSecondaryIndexes.map((g) => ({ IndexName: g.name })) } : {}),
      ...(t.meta.tableClass ? { ReplicaTableClassSummary: { TableClass: t.meta.tableClass } } : {}),
    }));
}

/** DescribeTableReplicaAutoScaling: the replicas and their indexes, none with auto scaling set up. */
export function DescribeTableReplicaAutoScaling(input: DescribeTableReplicaAutoScalingInput, ctx: RequestContext): DescribeTableReplicaAutoScalingOutput {
  const t = resolveTable(ctx, input.TableName);
  const now = ctx.clock.now();
  const store = ddb(ctx);
  const group = t.meta.replicas ?? [];
  return {
    TableAutoScalingDescription: {
      TableName: t.meta.name,
      TableStatus: "ACTIVE",
      Replicas: group.map((r) => {
        const m = store.table(t.account, r.region, t.meta.name)?.meta ?? t.meta;
        return {
          RegionName: r.region,
          ReplicaStatus: now < r.activeAt ? "CREATING" : "ACTIVE",
          GlobalSecondaryIndexes: (m.globalSecondaryIndexes ?? []).map((g) => ({ IndexName: g.name, IndexStatus: "ACTIVE" })),
        };
      }),
    },
  } as DescribeTableReplicaAutoScalingOutput;
}
