// Table lifecycle: CreateTable (key schema and attribute definitions validated as AWS does,
// billing modes), DescribeTable, ListTables, UpdateTable (billing, capacity, deletion
// protection, table class), DeleteTable, DescribeTimeToLive, and tags (ListTagsOfResource,
// TagResource, UntagResource). Tables are ACTIVE at once (see GAPS.md).
import type {
  CreateTableInput,
  CreateTableOutput,
  DeleteTableInput,
  DeleteTableOutput,
  DescribeTableInput,
  DescribeTableOutput,
  DescribeTimeToLiveInput,
  DescribeTimeToLiveOutput,
  ListTablesInput,
  ListTablesOutput,
  ListTagsOfResourceInput,
  ListTagsOfResourceOutput,
  TagResourceInput,
  UntagResourceInput,
  UpdateTableInput,
  UpdateTableOutput,
} from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, resolveTable, tableDescription, tableNameOf, validateTableName } from "../common.js";
import { validation } from "../engine/values.js";
import type { AttributeDefinition, KeyElement, TableMeta, TableRecord } from "../store.js";

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
  if (defs.length !== keySchema.length) {
    throw invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
  }
}

export function CreateTable(input: CreateTableInput, ctx: RequestContext): CreateTableOutput {
  const name = input.TableName!;
  validateTableName(name);
  const keySchema = (input.KeySchema ?? []) as KeyElement[];
  const defs = (input.AttributeDefinitions ?? []) as AttributeDefinition[];
  if (input.GlobalSecondaryIndexes?.length || input.LocalSecondaryIndexes?.length) {
    throw new AwsError("NotImplemented", "Nimbus does not implement DynamoDB secondary indexes yet; see src/services/dynamodb/GAPS.md", 501, { fault: "Receiver" });
  }
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
  const tags = (input.Tags ?? []) as Array<{ Key: string; Value: string }>;
  validateTags(tags);

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
    };
    const t = store.createTable(ctx.accountId, ctx.region, meta);
    return { TableDescription: tableDescription(t) } as CreateTableOutput;
  });
}

export function DescribeTable(input: DescribeTableInput, ctx: RequestContext): DescribeTableOutput {
  return { Table: tableDescription(resolveTable(ctx, input.TableName)) } as DescribeTableOutput;
}

export function ListTables(input: ListTablesInput, ctx: RequestContext): ListTablesOutput {
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
    store.deleteTable(t.id);
    return { TableDescription: tableDescription(t, "DELETING") } as DeleteTableOutput;
  });
}

// ---------------------------------------------------------------- tags

function validateTags(tags: Array<{ Key: string; Value: string }>): void {
  const keys = new Set<string>();
  for (const t of tags) {
    if (keys.has(t.Key)) throw invalid(`Duplicate tag keys found. Duplicate key: ${t.Key}`);
    keys.add(t.Key);
  }
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
  ctx.db.prepare("UPDATE ddb_tables SET meta = ? WHERE id = ?").run(JSON.stringify(t.meta), t.id);
}

export function ListTagsOfResource(input: ListTagsOfResourceInput, ctx: RequestContext): ListTagsOfResourceOutput {
  return { Tags: tableByArn(ctx, input.ResourceArn).meta.tags };
}

export function TagResource(input: TagResourceInput, ctx: RequestContext): Record<string, never> {
  const store = ddb(ctx);
  return store.tx(() => {
    const t = tableByArn(ctx, input.ResourceArn);
    const given = (input.Tags ?? []) as Array<{ Key: string; Value: string }>;
    validateTags(given);
    const byKey = new Map(t.meta.tags.map((x) => [x.Key, x.Value]));
    for (const x of given) byKey.set(x.Key, x.Value);
    if (byKey.size > 50) throw new AwsError("LimitExceededException", "Too many tags attached to the resource; the limit is 50");
    t.meta.tags = [...byKey].map(([Key, Value]) => ({ Key, Value }));
    saveMeta(ctx, t);
    return {};
  });
}

export function UntagResource(input: UntagResourceInput, ctx: RequestContext): Record<string, never> {
  const store = ddb(ctx);
  return store.tx(() => {
    const t = tableByArn(ctx, input.ResourceArn);
    const drop = new Set(input.TagKeys ?? []);
    t.meta.tags = t.meta.tags.filter((x) => !drop.has(x.Key));
    saveMeta(ctx, t);
    return {};
  });
}

// ---------------------------------------------------------------- UpdateTable, TTL

export function UpdateTable(input: UpdateTableInput, ctx: RequestContext): UpdateTableOutput {
  const unsupported = (what: string) =>
    new AwsError("NotImplemented", `Nimbus does not implement UpdateTable ${what} yet; see src/services/dynamodb/GAPS.md`, 501, { fault: "Receiver" });
  if (input.GlobalSecondaryIndexUpdates?.length) throw unsupported("GlobalSecondaryIndexUpdates");
  if (input.StreamSpecification) throw unsupported("StreamSpecification");
  if (input.ReplicaUpdates?.length) throw unsupported("ReplicaUpdates");
  if (input.SSESpecification) throw unsupported("SSESpecification");
  if (input.AttributeDefinitions?.length) throw unsupported("AttributeDefinitions (only used with secondary indexes)");
  const store = ddb(ctx);
  return store.tx(() => {
    const t = resolveTable(ctx, input.TableName);
    const m = t.meta;
    if (input.BillingMode === undefined && !input.ProvisionedThroughput && input.DeletionProtectionEnabled === undefined && input.TableClass === undefined) {
      throw validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
      );
    }
    const mode = input.BillingMode ?? m.billingMode;
    const pt = input.ProvisionedThroughput;
    if (mode === "PAY_PER_REQUEST") {
      if (pt) throw invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
      m.read = 0;
      m.write = 0;
    } else {
      if (m.billingMode === "PAY_PER_REQUEST" && !pt) throw invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED");
      if (pt) {
        if (m.billingMode === "PROVISIONED" && pt.ReadCapacityUnits === m.read && pt.WriteCapacityUnits === m.write) {
          throw validation(
            `The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ${m.read}. Requested ReadCapacityUnits: ${pt.ReadCapacityUnits}. Current WriteCapacityUnits provisioned for the table: ${m.write}. Requested WriteCapacityUnits: ${pt.WriteCapacityUnits}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
          );
        }
        m.read = pt.ReadCapacityUnits!;
        m.write = pt.WriteCapacityUnits!;
      }
    }
    m.billingMode = mode;
    if (input.DeletionProtectionEnabled !== undefined) m.deletionProtection = input.DeletionProtectionEnabled;
    if (input.TableClass !== undefined) m.tableClass = input.TableClass;
    saveMeta(ctx, t);
    return { TableDescription: tableDescription(t) } as UpdateTableOutput;
  });
}

/** TTL is not implemented, so every table truthfully reports it DISABLED. */
export function DescribeTimeToLive(input: DescribeTimeToLiveInput, ctx: RequestContext): DescribeTimeToLiveOutput {
  resolveTable(ctx, input.TableName);
  return { TimeToLiveDescription: { TimeToLiveStatus: "DISABLED" } };
}
