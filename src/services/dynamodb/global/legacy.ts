// Global tables, version 2017.11.29 (legacy): CreateGlobalTable joins existing, empty,
// identically keyed tables of the same name in several regions (each with a NEW_AND_OLD_IMAGES
// stream) into one replication group; UpdateGlobalTable adds or removes regions;
// DescribeGlobalTable / ListGlobalTables report the groups. The group is kept in the member
// tables' metadata (TableMeta.replicas, legacyGlobal), so replication is the same as the
// 2019.11.21 version's (global/replication.ts).
import type {
  CreateGlobalTableInput,
  CreateGlobalTableOutput,
  DescribeGlobalTableInput,
  DescribeGlobalTableOutput,
  ListGlobalTablesInput,
  ListGlobalTablesOutput,
  UpdateGlobalTableInput,
  UpdateGlobalTableOutput,
} from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, validateTableName } from "../common.js";
import { validation } from "../engine/values.js";
import type { DynamoStore, TableRecord } from "../store.js";

const invalid = (detail: string) => validation(`One or more parameter values were invalid: ${detail}`);
const notFound = (name: string) => new AwsError("GlobalTableNotFoundException", `Global table not found: ${name}`);

/** The member tables of a legacy global table, as the table in the caller's region sees them. */
function group(store: DynamoStore, ctx: RequestContext, name: string): TableRecord[] | undefined {
  const home = store.table(ctx.accountId, ctx.region, name);
  const regions = home?.meta.legacyGlobal ? (home.meta.replicas ?? []).map((r) => r.region) : undefined;
  if (!regions) {
    // Asked from a region outside the group: any member in another region knows it.
    const rows = store.prepared("SELECT region FROM ddb_tables WHERE account = ? AND name = ?").all(ctx.accountId, name) as Array<{ region: string }>;
    for (const r of rows) {
      const t = store.table(ctx.accountId, r.region, name);
      if (t?.meta.legacyGlobal) return members(store, ctx.accountId, name, (t.meta.replicas ?? []).map((x) => x.region));
    }
    return undefined;
  }
  return members(store, ctx.accountId, name, regions);
}

function members(store: DynamoStore, account: string, name: string, regions: string[]): TableRecord[] {
  return regions.map((r) => store.table(account, r, name)).filter((t): t is TableRecord => t !== undefined);
}

function description(tables: TableRecord[]): Record<string, unknown> {
  const first = tables[0];
  return {
    ReplicationGroup: tables.map((t) => ({ RegionName: t.region })),
    GlobalTableArn: `arn:aws:dynamodb::${first.account}:global-table/${first.meta.name}`,
    CreationDateTime: new Date(first.meta.legacyGlobal!.createdAt),
    GlobalTableStatus: "ACTIVE",
    GlobalTableName: first.meta.name,
  };
}

/** A table that may join a group: it exists, is empty, has the group's key schema and a NEW_AND_OLD_IMAGES stream. */
function joinable(store: DynamoStore, ctx: RequestContext, name: string, region: string, like?: TableRecord): TableRecord {
  const t = store.table(ctx.accountId, region, name);
  if (!t) throw new AwsError("TableNotFoundException", `Table not found: ${name} in region ${region}`);
  if (t.meta.replicas) throw invalid(`Table ${name} in region ${region} is already a replica of a global table`);
  if (!t.meta.stream?.enabled || t.meta.stream.viewType !== "NEW_AND_OLD_IMAGES") {
    throw invalid(`Table ${name} in region ${region} must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES`);
  }
  if (t.itemCount > 0) throw invalid(`Table ${name} in region ${region} is not empty`);
  if (like && JSON.stringify(t.meta.keySchema) !== JSON.stringify(like.meta.keySchema)) {
    throw invalid(`Table ${name} in region ${region} has a different key schema`);
  }
  return t;
}

function save(store: DynamoStore, tables: TableRecord[], createdAt: number, now: number): void {
  const replicas = tables.map((t) => ({ region: t.region, createdAt: now, activeAt: now }));
  for (const t of tables) {
    t.meta.legacyGlobal = { createdAt };
    t.meta.replicas = replicas;
    store.saveMeta(t);
  }
}

export function CreateGlobalTable(input: CreateGlobalTableInput, ctx: RequestContext): CreateGlobalTableOutput {
  const name = input.GlobalTableName ?? "";
  validateTableName(name);
  const regions = (input.ReplicationGroup ?? []).map((r) => r.RegionName ?? "");
  if (new Set(regions).size !== regions.length) throw invalid("Duplicate RegionName in ReplicationGroup");
  const store = ddb(ctx);
  return store.tx(() => {
    if (group(store, ctx, name)) throw new AwsError("GlobalTableAlreadyExistsException", `Global table already exists: ${name}`);
    const tables: TableRecord[] = [];
    for (const r of regions) tables.push(joinable(store, ctx, name, r, tables[0]));
    const now = ctx.clock.now();
    save(store, tables, now, now);
    return { GlobalTableDescription: description(members(store, ctx.accountId, name, regions)) } as unknown as CreateGlobalTableOutput;
  });
}

export function DescribeGlobalTable(input: DescribeGlobalTableInput, ctx: RequestContext): DescribeGlobalTableOutput {
  const store = ddb(ctx);
  const tables = group(store, ctx, input.GlobalTableName ?? "");
  if (!tables?.length) throw notFound(input.GlobalTableName ?? "");
  return { GlobalTableDescription: description(tables) } as unknown as DescribeGlobalTableOutput;
}

export function UpdateGlobalTable(input: UpdateGlobalTableInput, ctx: RequestContext): UpdateGlobalTableOutput {
  const name = input.GlobalTableName ?? "";
  const store = ddb(ctx);
  return store.tx(() => {
    let tables = group(store, ctx, name);
    if (!tables?.length) throw notFound(name);
    const createdAt = tables[0].meta.legacyGlobal!.createdAt;
    const now = ctx.clock.now();
    for (const u of input.ReplicaUpdates ?? []) {
      const region = (u.Create ?? u.Delete)?.RegionName ?? "";
      const member = tables.some((t) => t.region === region);
      if (u.Create) {
        if (member) throw new AwsError("ReplicaAlreadyExistsException", `Replica already exists in region ${region} for global table ${name}`);
        tables = [...tables, joinable(store, ctx, name, region, tables[0])];
      } else if (u.Delete) {
        if (!member) throw new AwsError("ReplicaNotFoundException", `Replica not found in region ${region} for global table ${name}`);
        const gone: TableRecord = tables.find((t) => t.region === region)!;
        delete gone.meta.legacyGlobal;
        delete gone.meta.replicas;
        store.saveMeta(gone);
        store.prepared("DELETE FROM ddb_replication WHERE account = ? AND target_region = ? AND table_name = ?").run(ctx.accountId, region, name);
        tables = tables.filter((t) => t !== gone);
      }
    }
    // The table stays a global table of one region when the others are removed (AWS keeps the group).
    save(store, tables, createdAt, now);
    return { GlobalTableDescription: description(members(store, ctx.accountId, name, tables.map((t) => t.region))) } as unknown as UpdateGlobalTableOutput;
  });
}

export function ListGlobalTables(input: ListGlobalTablesInput, ctx: RequestContext): ListGlobalTablesOutput {
  const limit = input.Limit ?? 100;
  if (limit < 1) throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  const store = ddb(ctx);
  const rows = store.prepared("SELECT region, name FROM ddb_tables WHERE account = ? ORDER BY name, region").all(ctx.accountId) as Array<{ region: string; name: string }>;
  const seen = new Map<string, string[]>();
  for (const r of rows) {
    if (seen.has(r.name)) continue;
    const t = store.table(ctx.accountId, r.region, r.name);
    if (!t?.meta.legacyGlobal) continue;
    const regions = (t.meta.replicas ?? []).map((x) => x.region);
    if (input.RegionName !== undefined && !regions.includes(input.RegionName)) continue;
    seen.set(r.name, regions);
  }
  let names = [...seen.keys()].sort();
  if (input.ExclusiveStartGlobalTableName !== undefined) names = names.filter((x) => x > input.ExclusiveStartGlobalTableName!);
  const page = names.slice(0, limit);
  return {
    GlobalTables: page.map((x) => ({ GlobalTableName: x, ReplicationGroup: seen.get(x)!.map((RegionName) => ({ RegionName })) })),
    ...(names.length > limit ? { LastEvaluatedGlobalTableName: page[page.length - 1] } : {}),
  };
}
