// Table lifecycle: CreateTable (key schema, attribute definitions, local and global secondary
// indexes validated as AWS does, billing modes, SSE, streams, tags, deletion protection, table
// class), DescribeTable (with index descriptions and live counts), ListTables, UpdateTable
// (billing, capacity, GSI create/delete/update, streams, SSE, deletion protection, table class),
// DeleteTable, DescribeLimits, DescribeEndpoints, and tags (ListTagsOfResource, TagResource,
// UntagResource). Tables are ACTIVE at once; a GSI added later backfills for a moment of Nimbus
// time (see GAPS.md).
import type {
  CreateTableInput,
  CreateTableOutput,
  DeleteTableInput,
  DeleteTableOutput,
  DescribeTableInput,
  DescribeTableOutput,
  DescribeEndpointsResponse,
  DescribeLimitsOutput,
  ListTablesInput,
  ListTablesOutput,
  ListTagsOfResourceInput,
  ListTagsOfResourceOutput,
  TagResourceInput,
  UntagResourceInput,
  UpdateTableInput,
  UpdateTableOutput,
} from "@aws-sdk/client-dynamodb";
import { createHash, randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, resolveTable, tableDescription, tableNameOf, validateTableName } from "../common.js";
import { restoreFields } from "../backups/restore.js";
import { applyReplicaUpdates, checkReplicaStream, leaveGroup, replicaFields } from "../global/replicas.js";
import { fromStored, itemSize, validation } from "../engine/values.js";
import { project } from "../engine/evaluate.js";
import { indexHooks, indexKeyOf } from "../indexes/hooks.js";
import { checkDefinitionsUsed, checkProjectedCount, gsiThroughput, MAX_GSIS, projectedNames, validateCreateIndexes, type IndexMeta } from "../indexes/schema.js";
import { checkStreamSpec, disableStream, enableStream } from "../streams/lifecycle.js";
import type { AttributeDefinition, DynamoStore, KeyElement, TableMeta, TableRecord } from "../store.js";

const invalid = (detail: string) => validation(`One or more parameter values were invalid: ${detail}`);

function validateKeySchema(keySchema: KeyElement[], defs: AttributeDefinition[]): void {
  if (keySchema.length === 0 || keySchema.length > 2) {
    throw validation(
      `1 validation error detected: Value '${JSON.stringify(keySchema)}' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2`,
    );
  }
  if (keySchema[0].KeyType !== "HASH") throw validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  if (keySchema.length === 2) {
    if (keySchema[1].KeyType !== "RANGE") throw validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    if (keySchema[0].AttributeName === keySchema[1].AttributeName) {
      throw invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name");
    }
  }
  const names = defs.map((d) => d.AttributeName);
  if (new Set(names).size !== names.length) throw invalid("Cannot have two attributes with the same name");
  const missing = keySchema.map((k) => k.AttributeName).filter((n) => !names.includes(n));
  if (missing.length) {
    throw invalid(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.join(", ")}], AttributeDefinitions: [${names.join(", ")}]`);
  }
}

/** The enum and range members of CreateTable/UpdateTable, in AWS's request-validation words. */
function checkTableInput(input: CreateTableInput | UpdateTableInput): void {
  const errors: string[] = [];
  const oneOf = (v: unknown, path: string, values: string[]) => {
    if (v !== undefined && !values.includes(v as string)) errors.push(`Value '${String(v)}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(", ")}]`);
  };
  const atLeast1 = (v: unknown, path: string) => {
    if (typeof v === "number" && v < 1) errors.push(`Value '${v}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  };
  oneOf(input.BillingMode, "billingMode", ["PROVISIONED", "PAY_PER_REQUEST"]);
  oneOf(input.StreamSpecification?.StreamViewType, "streamSpecification.streamViewType", ["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]);
  oneOf(input.SSESpecification?.SSEType, "sSESpecification.sSEType", ["AES256", "KMS"]);
  (input.AttributeDefinitions ?? []).forEach((d, i) => oneOf(d.AttributeType, `attributeDefinitions.${i + 1}.member.attributeType`, ["B", "N", "S"]));
  if ("KeySchema" in input) (input.KeySchema ?? []).forEach((k, i) => oneOf(k.KeyType, `keySchema.${i + 1}.member.keyType`, ["HASH", "RANGE"]));
  if ("LocalSecondaryIndexes" in input) (input.LocalSecondaryIndexes ?? []).forEach((x, i) => errors.push(...nameErrors(x.IndexName, `localSecondaryIndexes.${i + 1}.member.indexName`)));
  if ("GlobalSecondaryIndexes" in input) (input.GlobalSecondaryIndexes ?? []).forEach((x, i) => errors.push(...nameErrors(x.IndexName, `globalSecondaryIndexes.${i + 1}.member.indexName`)));
  atLeast1(input.ProvisionedThroughput?.ReadCapacityUnits, "provisionedThroughput.readCapacityUnits");
  atLeast1(input.ProvisionedThroughput?.WriteCapacityUnits, "provisionedThroughput.writeCapacityUnits");
  if (errors.length) throw validation(`${errors.length} validation error${errors.length > 1 ? "s" : ""} detected: ${errors.join("; ")}`);
  if (input.TableClass !== undefined && input.TableClass !== "STANDARD" && input.TableClass !== "STANDARD_INFREQUENT_ACCESS") {
    throw validation("Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].");
  }
}

export function CreateTable(input: CreateTableInput, ctx: RequestContext): CreateTableOutput {
  const name = input.TableName!;
  validateTableName(name);
  checkTableInput(input);
  const keySchema = (input.KeySchema ?? []) as KeyElement[];
  const defs = (input.AttributeDefinitions ?? []) as AttributeDefinition[];
  validateKeySchema(keySchema, defs);

  const billingMode = input.BillingMode ?? "PROVISIONED";
  const pt = input.ProvisionedThroughput;
  let read = 0;
  let write = 0;
  if (billingMode === "PAY_PER_REQUEST") {
    if (pt) throw invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
  } else {
    if (!pt) {
      if (input.BillingMode === undefined) throw validation("No provisioned throughput specified for the table");
      throw invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    }
    read = pt.ReadCapacityUnits!;
    write = pt.WriteCapacityUnits!;
  }
  const indexes = validateCreateIndexes(keySchema, defs, input.LocalSecondaryIndexes as never, input.GlobalSecondaryIndexes as never, billingMode, ctx.clock.now());
  checkDefinitionsUsed(keySchema, indexes, defs);
  const tags = (input.Tags ?? []) as Array<{ Key: string; Value: string }>;
  validateTags(tags);
  if (input.StreamSpecification) checkStreamSpec(input.StreamSpecification, true);
  const sse = sseOf(input.SSESpecification, ctx);

  const store = ddb(ctx);
  return store.tx(() => {
    if (store.table(ctx.accountId, ctx.region, name)) throw new AwsError("ResourceInUseException", `Table already exists: ${name}`);
    const meta: TableMeta = {
      name,
      tableId: randomUUID(),
      arn: `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${name}`,
      createdAt: ctx.clock.now(),
      keySchema: keySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
      attributeDefinitions: defs.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType })),
      billingMode,
      read,
      write,
      tags,
      deletionProtection: input.DeletionProtectionEnabled ?? false,
      tableClass: input.TableClass,
      ...(indexes.some((i) => !i.global) ? { localSecondaryIndexes: indexes.filter((i) => !i.global) } : {}),
      ...(indexes.some((i) => i.global) ? { globalSecondaryIndexes: indexes.filter((i) => i.global) } : {}),
      ...(sse ? { sse } : {}),
    };
    const t = store.createTable(ctx.accountId, ctx.region, meta);
    if (input.StreamSpecification?.StreamEnabled) {
      enableStream(store, t, input.StreamSpecification.StreamViewType!, ctx.clock.now());
      store.saveMeta(t);
    }
    return { TableDescription: describe(ctx, t) } as CreateTableOutput;
  });
}

export function DescribeTable(input: DescribeTableInput, ctx: RequestContext): DescribeTableOutput {
  return { Table: describe(ctx, resolveTable(ctx, input.TableName)) } as DescribeTableOutput;
}

/** A name member's length and pattern constraints, as AWS's request validation words them. */
function nameErrors(v: string | undefined, path: string): string[] {
  if (v === undefined) return [];
  const out: string[] = [];
  if (v.length < 3) out.push(`Value '${v}' at '${path}' failed to satisfy constraint: Member must have length greater than or equal to 3`);
  if (v.length > 255) out.push(`Value '${v}' at '${path}' failed to satisfy constraint: Member must have length less than or equal to 255`);
  if (!/^[a-zA-Z0-9_.-]+$/.test(v)) out.push(`Value '${v}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  return out;
}

export function ListTables(input: ListTablesInput, ctx: RequestContext): ListTablesOutput {
  const errors = nameErrors(input.ExclusiveStartTableName, "exclusiveStartTableName");
  const l = input.Limit;
  if (l !== undefined && l < 1) errors.push(`Value '${l}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  if (l !== undefined && l > 100) errors.push(`Value '${l}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`);
  if (errors.length) throw validation(`${errors.length} validation error${errors.length > 1 ? "s" : ""} detected: ${errors.join("; ")}`);
  const limit = input.Limit ?? 100;
  const names = ddb(ctx).tableNames(ctx.accountId, ctx.region, input.ExclusiveStartTableName ?? "", limit + 1);
  const page = names.slice(0, limit);
  return { TableNames: page, ...(names.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}) };
}

export function DeleteTable(input: DeleteTableInput, ctx: RequestContext): DeleteTableOutput {
  const store = ddb(ctx);
  return store.tx(() => {
    const t = resolveTable(ctx, input.TableName);
    if (t.meta.deletionProtection) {
      throw invalid(`Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`);
    }
    const d = describe(ctx, t, "DELETING");
    leaveGroup(store, t);
    disableStream(store, t, ctx.clock.now());
    store.deleteTable(t.id);
    return { TableDescription: d } as DeleteTableOutput;
  });
}

// ---------------------------------------------------------------- tags

/** AWS's tag rules: keys 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAGS = 50;

function checkTagKey(key: string | undefined): void {
  if (key === undefined || key.length < 1 || key.length > 128 || !TAG_TEXT.test(key)) throw validation(`The Tag Key provided is invalid, Key: ${key ?? "null"}`);
  if (key.startsWith("aws:")) throw validation(`Tag Key cannot be prefixed with aws:, Key: ${key}`);
}

function validateTags(tags: Array<{ Key: string; Value: string }>): void {
  const keys = new Set<string>();
  for (const t of tags) {
    checkTagKey(t.Key);
    if (t.Value === undefined || t.Value === null || t.Value.length > 256 || !TAG_TEXT.test(t.Value)) {
      throw validation(`The Tag Value provided is invalid, Value: ${t.Value ?? "null"}`);
    }
    if (keys.has(t.Key)) throw validation(`Duplicate Tag Keys provided as input: Duplicate Tag Key found ${t.Key}`);
    keys.add(t.Key);
  }
  if (keys.size > MAX_TAGS) throw validation("Number of Tags exceed the current limit for the provided ResourceArn");
}

function tableByArn(ctx: RequestContext, arn: string | undefined): TableRecord {
  const m = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([A-Za-z0-9_.-]+)$/.exec(arn ?? "");
  if (!m) throw new AwsError("ValidationException", `Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
  if (m[1] !== ctx.region || m[2] !== ctx.accountId) {
    throw new AwsError("ResourceNotFoundException", `Requested resource not found: ResourcArn: ${arn} not found`);
  }
  return resolveTable(ctx, tableNameOf(arn!));
}

function saveMeta(ctx: RequestContext, t: TableRecord): void {
  ddb(ctx).saveMeta(t);
}

export function ListTagsOfResource(input: ListTagsOfResourceInput, ctx: RequestContext): ListTagsOfResourceOutput {
  return { Tags: tableByArn(ctx, input.ResourceArn).meta.tags };
}

export function TagResource(input: TagResourceInput, ctx: RequestContext): Record<string, never> {
  const store = ddb(ctx);
  return store.tx(() => {
    const t = tableByArn(ctx, input.ResourceArn);
    const given = (input.Tags ?? []) as Array<{ Key: string; Value: string }>;
    if (given.length === 0) throw validation("Atleast one Tag needs to be provided as Input.");
    validateTags(given);
    const byKey = new Map(t.meta.tags.map((x) => [x.Key, x.Value]));
    for (const x of given) byKey.set(x.Key, x.Value);
    if (byKey.size > MAX_TAGS) throw validation("Number of Tags exceed the current limit for the provided ResourceArn");
    t.meta.tags = [...byKey].map(([Key, Value]) => ({ Key, Value }));
    saveMeta(ctx, t);
    return {};
  });
}

export function UntagResource(input: UntagResourceInput, ctx: RequestContext): Record<string, never> {
  const store = ddb(ctx);
  return store.tx(() => {
    const t = tableByArn(ctx, input.ResourceArn);
    if (!input.TagKeys?.length) throw validation("Atleast one Tag Key needs to be provided as Input.");
    for (const k of input.TagKeys) checkTagKey(k);
    const drop = new Set(input.TagKeys);
    t.meta.tags = t.meta.tags.filter((x) => !drop.has(x.Key));
    saveMeta(ctx, t);
    return {};
  });
}

// ---------------------------------------------------------------- UpdateTable

/** How long (Nimbus time) a GSI added by UpdateTable reports CREATING / Backfilling. */
export const BACKFILL_MS = 5000;

type GsiUpdate = NonNullable<UpdateTableInput["GlobalSecondaryIndexUpdates"]>[number];

export function UpdateTable(input: UpdateTableInput, ctx: RequestContext): UpdateTableOutput {
  checkTableInput(input);
  const store = ddb(ctx);
  return store.tx(() => {
    const t = resolveTable(ctx, input.TableName);
    // Replicas (global tables, global/replicas.ts) are changed by an UpdateTable of their own.
    if (input.ReplicaUpdates !== undefined) {
      if (input.ReplicaUpdates.length === 0) throw invalid("List of ReplicaUpdates is empty");
      const others = Object.keys(input).filter((k) => k !== "TableName" && k !== "ReplicaUpdates" && (input as unknown as Record<string, unknown>)[k] !== undefined);
      if (others.length) throw invalid(`ReplicaUpdates cannot be combined with other updates: ${others.join(", ")}`);
      applyReplicaUpdates(ctx, store, t, input.ReplicaUpdates);
      return { TableDescription: describe(ctx, store.table(ctx.accountId, ctx.region, t.meta.name)!) } as UpdateTableOutput;
    }
    checkReplicaStream(t, input.StreamSpecification);
    const m = t.meta;
    const now = ctx.clock.now();
    const updates = input.GlobalSecondaryIndexUpdates ?? [];
    if (
      input.BillingMode === undefined &&
      !input.ProvisionedThroughput &&
      input.DeletionProtectionEnabled === undefined &&
      input.TableClass === undefined &&
      !input.StreamSpecification &&
      !input.SSESpecification &&
      input.GlobalSecondaryIndexUpdates === undefined
    ) {
      throw validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
      );
    }
    if (input.GlobalSecondaryIndexUpdates !== undefined && updates.length === 0) throw invalid("List of GlobalSecondaryIndexUpdates is empty");
    if (input.SSESpecification && (input.BillingMode !== undefined || input.ProvisionedThroughput || input.StreamSpecification || updates.length || input.DeletionProtectionEnabled !== undefined || input.TableClass !== undefined)) {
      throw invalid("Server-Side Encryption modification must be the only operation in the request");
    }
    const creates = updates.filter((u) => u.Create || u.Delete);
    if (input.StreamSpecification && creates.length) throw invalid("You cannot create or delete index while changing stream status");

    // 1. billing mode and table throughput (GSI throughput follows in 2.)
    const oldMode = m.billingMode;
    const mode = input.BillingMode ?? m.billingMode;
    const pt = input.ProvisionedThroughput;
    if (mode === "PAY_PER_REQUEST") {
      if (pt) throw invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
      m.read = 0;
      m.write = 0;
      for (const g of m.globalSecondaryIndexes ?? []) {
        g.read = 0;
        g.write = 0;
      }
    } else {
      if (oldMode === "PAY_PER_REQUEST" && !pt) throw invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED");
      if (pt) {
        if (oldMode === "PROVISIONED" && pt.ReadCapacityUnits === m.read && pt.WriteCapacityUnits === m.write && !updates.length) {
          throw validation(
            `The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ${m.read}. Requested ReadCapacityUnits: ${pt.ReadCapacityUnits}. Current WriteCapacityUnits provisioned for the table: ${m.write}. Requested WriteCapacityUnits: ${pt.WriteCapacityUnits}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
          );
        }
        m.read = pt.ReadCapacityUnits!;
        m.write = pt.WriteCapacityUnits!;
      }
    }
    m.billingMode = mode;

    // 2. global secondary index updates
    const deleted = applyGsiUpdates(store, t, updates, input.AttributeDefinitions as AttributeDefinition[] | undefined, now);
    if (mode === "PROVISIONED" && oldMode === "PAY_PER_REQUEST") {
      const touched = new Set(updates.map((u) => u.Update?.IndexName ?? u.Create?.IndexName));
      const missing = (m.globalSecondaryIndexes ?? []).filter((g) => !touched.has(g.name));
      if (missing.length) throw invalid(`ProvisionedThroughput must be specified for index: ${missing.map((g) => g.name).join(",")}`);
    }

    // 3. stream
    if (input.StreamSpecification) {
      checkStreamSpec(input.StreamSpecification, false, t);
      if (input.StreamSpecification.StreamEnabled) enableStream(store, t, input.StreamSpecification.StreamViewType!, now);
      else disableStream(store, t, now);
    }

    // 4. encryption, deletion protection, table class
    if (input.SSESpecification) {
      const next = sseOf(input.SSESpecification, ctx);
      if (!next && !m.sse) throw invalid("Table is already encrypted by default");
      if (next && m.sse && next.kmsKeyArn === m.sse.kmsKeyArn) {
        throw invalid("Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key");
      }
      m.sse = next;
    }
    if (input.DeletionProtectionEnabled !== undefined) m.deletionProtection = input.DeletionProtectionEnabled;
    if (input.TableClass !== undefined) m.tableClass = input.TableClass;
    saveMeta(ctx, t);
    const d = describe(ctx, t);
    if (deleted.length) {
      d.GlobalSecondaryIndexes = [...((d.GlobalSecondaryIndexes as unknown[]) ?? []), ...deleted.map((g) => ({ ...gsiDescription(store, t, g, now), IndexStatus: "DELETING" }))];
    }
    return { TableDescription: d } as UpdateTableOutput;
  });
}

/** Applies Create / Update / Delete of GSIs to t.meta (and the index rows); returns the deleted ones. */
function applyGsiUpdates(store: DynamoStore, t: TableRecord, updates: GsiUpdate[], newDefs: AttributeDefinition[] | undefined, now: number): IndexMeta[] {
  const m = t.meta;
  const seen = new Set<string>();
  for (const u of updates) {
    const n = [u.Create, u.Update, u.Delete].filter((x) => x !== undefined).length;
    if (n === 0) throw invalid("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null");
    if (n > 1) throw invalid("Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object");
    const name = (u.Create ?? u.Update ?? u.Delete)!.IndexName!;
    if (seen.has(name)) throw invalid(`Only one global secondary index update per index is allowed simultaneously. Index: ${name}`);
    seen.add(name);
  }
  const online = updates.filter((u) => u.Create || u.Delete).length;
  const busy = (m.globalSecondaryIndexes ?? []).some((g) => g.backfilledAt !== undefined && now < g.backfilledAt);
  if (online > 1 || (online === 1 && busy)) {
    throw new AwsError("LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table");
  }
  const deleted: IndexMeta[] = [];
  for (const u of updates) {
    const gsis = m.globalSecondaryIndexes ?? [];
    if (u.Create) {
      const c = u.Create;
      const name = c.IndexName!;
      if (gsis.some((g) => g.name === name) || (m.localSecondaryIndexes ?? []).some((l) => l.name === name)) {
        throw validation("Attempting to create an index which already exists");
      }
      if (!newDefs) throw invalid(`AttributeDefinitions is not specified for index: ${name}`);
      if (gsis.length >= MAX_GSIS) throw new AwsError("LimitExceededException", `GlobalSecondaryIndex count exceeds the per-table limit of ${MAX_GSIS}`);
      // Merge the definitions: a new one adds, an existing one must keep its type.
      const defs = m.attributeDefinitions.map((d) => ({ ...d }));
      for (const d of newDefs) {
        const cur = defs.find((x) => x.AttributeName === d.AttributeName);
        if (cur && cur.AttributeType !== d.AttributeType) {
          throw invalid(`Cannot change the type of an existing key attribute: ${d.AttributeName} (${cur.AttributeType} -> ${d.AttributeType})`);
        }
        if (!cur) defs.push({ AttributeName: d.AttributeName, AttributeType: d.AttributeType });
      }
      const [meta] = validateCreateIndexes(m.keySchema, defs, undefined, [c as never], m.billingMode, now);
      checkProjectedCount([...gsis, ...(m.localSecondaryIndexes ?? []), meta]);
      meta.backfilledAt = now + BACKFILL_MS;
      m.attributeDefinitions = defs;
      m.globalSecondaryIndexes = [...gsis, meta];
      backfillIndex(store, t, meta);
    } else if (u.Delete) {
      const name = u.Delete.IndexName!;
      const g = gsis.find((x) => x.name === name);
      if (!g) {
        if ((m.localSecondaryIndexes ?? []).some((l) => l.name === name)) throw validation(`Cannot delete an index that is not a GlobalSecondaryIndex: ${name}`);
        throw new AwsError("ResourceNotFoundException", `Requested resource not found: Index: ${name} not found`);
      }
      m.globalSecondaryIndexes = gsis.filter((x) => x !== g);
      store.prepared("DELETE FROM ddb_index_items WHERE table_id = ? AND idx = ?").run(t.id, name);
      deleted.push(g);
    } else {
      const up = u.Update!;
      const name = up.IndexName!;
      const g = gsis.find((x) => x.name === name);
      if (!g) {
        if ((m.localSecondaryIndexes ?? []).some((l) => l.name === name)) throw validation(`Cannot update an index that is not a GlobalSecondaryIndex: ${name}`);
        throw new AwsError("ResourceNotFoundException", `Requested resource not found: Index: ${name} not found`);
      }
      if (m.billingMode === "PAY_PER_REQUEST" && up.ProvisionedThroughput) {
        throw invalid(`The only Updates for index: ${name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`);
      }
      if (up.ProvisionedThroughput) {
        const { read, write } = gsiThroughput(name, up.ProvisionedThroughput, m.billingMode);
        g.read = read;
        g.write = write;
      }
    }
  }
  // Definitions no key schema uses any more (a deleted index's) leave the table, as on AWS.
  if (deleted.length) {
    const used = new Set([m.keySchema, ...[...(m.globalSecondaryIndexes ?? []), ...(m.localSecondaryIndexes ?? [])].map((i) => i.keySchema)].flat().map((k) => k.AttributeName));
    m.attributeDefinitions = m.attributeDefinitions.filter((d) => used.has(d.AttributeName));
  }
  return deleted;
}

/** Puts the items already in the table into a new index (in the UpdateTable transaction). */
function backfillIndex(store: DynamoStore, t: TableRecord, meta: IndexMeta): void {
  const view = { ...t, meta: { ...t.meta, globalSecondaryIndexes: [meta], localSecondaryIndexes: [] } };
  const [ix] = indexHooks(view);
  const ins = store.prepared("INSERT OR REPLACE INTO ddb_index_items (table_id, idx, hk, rk, thk, trk) VALUES (?, ?, ?, ?, ?, ?)");
  // Collected first: better-sqlite3 cannot write while a statement iterates.
  for (const row of [...store.scanItems(t.id)]) {
    const k = indexKeyOf(ix, fromStored(row.item), false);
    if (k) ins.run(t.id, meta.name, k.hk, k.rk, row.hk, row.rk);
  }
}

// ---------------------------------------------------------------- descriptions

/** Whether a GSI is still backfilling (Nimbus time). */
export function indexCreating(i: IndexMeta, now: number): boolean {
  return i.backfilledAt !== undefined && now < i.backfilledAt;
}

function indexStats(store: DynamoStore, t: TableRecord, i: IndexMeta): { ItemCount: number; IndexSizeBytes: number } {
  const join = "FROM ddb_index_items i JOIN ddb_items t ON t.table_id = i.table_id AND t.hk = i.thk AND t.rk = i.trk WHERE i.table_id = ? AND i.idx = ?";
  if (i.projection.ProjectionType === "ALL") {
    const r = store.prepared(`SELECT COUNT(*) AS n, COALESCE(SUM(t.size), 0) AS s ${join}`).get(t.id, i.name) as { n: number; s: number };
    return { ItemCount: r.n, IndexSizeBytes: r.s };
  }
  // KEYS_ONLY / INCLUDE: the size of what the index holds.
  const names = [...projectedNames(t.meta.keySchema, i)!].map((n) => ({ type: "path" as const, elements: [n] }));
  let n = 0;
  let s = 0;
  for (const r of store.prepared(`SELECT t.item AS item ${join}`).iterate(t.id, i.name) as Iterable<{ item: string }>) {
    n++;
    s += itemSize(project(fromStored(r.item), names));
  }
  return { ItemCount: n, IndexSizeBytes: s };
}

function gsiDescription(store: DynamoStore, t: TableRecord, g: IndexMeta, now: number): Record<string, unknown> {
  const creating = indexCreating(g, now);
  return {
    IndexName: g.name,
    KeySchema: g.keySchema,
    Projection: g.projection,
    IndexStatus: creating ? "CREATING" : "ACTIVE",
    ...(creating ? { Backfilling: true } : {}),
    ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: g.read, WriteCapacityUnits: g.write },
    ...indexStats(store, t, g),
    IndexArn: `${t.meta.arn}/index/${g.name}`,
  };
}

/** The TableDescription: the base fields plus indexes, stream and encryption. */
export function describe(ctx: RequestContext, t: TableRecord, status = "ACTIVE"): Record<string, unknown> {
  const store = ddb(ctx);
  const m = t.meta;
  const now = ctx.clock.now();
  const d = tableDescription(t, status);
  if (m.localSecondaryIndexes?.length) {
    d.LocalSecondaryIndexes = m.localSecondaryIndexes.map((l) => ({
      IndexName: l.name,
      KeySchema: l.keySchema,
      Projection: l.projection,
      ...indexStats(store, t, l),
      IndexArn: `${m.arn}/index/${l.name}`,
    }));
  }
  if (m.globalSecondaryIndexes?.length) d.GlobalSecondaryIndexes = m.globalSecondaryIndexes.map((g) => gsiDescription(store, t, g, now));
  if (m.stream) {
    if (m.stream.enabled) d.StreamSpecification = { StreamEnabled: true, StreamViewType: m.stream.viewType };
    d.LatestStreamLabel = m.stream.label;
    d.LatestStreamArn = m.stream.arn;
  }
  if (m.sse?.enabled) d.SSEDescription = { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: m.sse.kmsKeyArn };
  restoreFields(t, now, d);
  replicaFields(t, now, d);
  return d;
}

/** SSESpecification: undefined for the default (AWS owned key), KMS with a key ARN otherwise. */
export function sseOf(spec: CreateTableInput["SSESpecification"], ctx: RequestContext): TableMeta["sse"] {
  if (!spec) return undefined;
  if (spec.Enabled === false) {
    if (spec.SSEType !== undefined) throw invalid("SSEType can not be specified if Enabled is false");
    if (spec.KMSMasterKeyId !== undefined) throw invalid("KMSMasterKeyId can not be specified if Enabled is false");
    return undefined;
  }
  if (spec.SSEType === "AES256") throw invalid("SSEType AES256 is not supported");
  if (spec.Enabled === undefined && spec.SSEType === undefined && spec.KMSMasterKeyId === undefined) return undefined;
  const id = spec.KMSMasterKeyId;
  // The AWS managed key alias/aws/dynamodb when none is named; key ids and aliases become ARNs.
  const arn = !id
    ? `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${awsManagedKeyId(ctx)}`
    : id.startsWith("arn:")
      ? id
      : id.startsWith("alias/")
        ? `arn:aws:kms:${ctx.region}:${ctx.accountId}:${id}`
        : `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${id}`;
  return { enabled: true, type: "KMS", kmsKeyArn: arn };
}

/** A stable key id per account and region for the AWS managed DynamoDB key. */
function awsManagedKeyId(ctx: RequestContext): string {
  const h = createHash("sha256").update(`aws/dynamodb:${ctx.accountId}:${ctx.region}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------- limits and endpoints

/** AWS's default account and table quotas (Nimbus enforces none of them). */
export function DescribeLimits(_input: unknown, _ctx: RequestContext): DescribeLimitsOutput {
  return { AccountMaxReadCapacityUnits: 80000, AccountMaxWriteCapacityUnits: 80000, TableMaxReadCapacityUnits: 40000, TableMaxWriteCapacityUnits: 40000 };
}

/** Endpoint discovery answers Nimbus's own address, so a discovering client stays here. */
export function DescribeEndpoints(_input: unknown, ctx: RequestContext): DescribeEndpointsResponse {
  const address = ctx.endpoint.replace(/^[a-z]+:\/\//, "");
  return { Endpoints: [{ Address: address, CachePeriodInMinutes: 1440 }] };
}
