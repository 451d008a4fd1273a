// BatchWriteItem (up to 25 puts and deletes, across tables) and BatchGetItem (up to 100 keys).
// Nimbus has no throughput limits, so every write is processed: UnprocessedItems is always
// empty. A batch write is validated whole, then commits in one transaction. A BatchGetItem
// answers at most 16 MB; the keys past that come back in UnprocessedKeys, as on AWS.
import type { BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput, KeysAndAttributes } from "@aws-sdk/client-dynamodb";
import type { RequestContext } from "../../../core/service.js";
import { ddb, keyOf, refsOf, resolveTable } from "../common.js";
import { CapacityTally, readUnits, writeUnits } from "../engine/capacity.js";
import { groupCommit } from "../engine/commit.js";
import { project } from "../engine/evaluate.js";
import { checkEnums } from "../engine/params.js";
import { parseProjection } from "../engine/parser.js";
import { fromStored, validation, type AV, type Item } from "../engine/values.js";
import { attributesToGet, checkExpressionParams } from "../legacy/legacy.js";
import { prepareDelete, preparePut, type PreparedWrite } from "./items.js";

const duplicates = () => validation("Provided list of item keys contains duplicates");
const MAX_WRITES = 25;
const MAX_GETS = 100;
const MAX_GET_BYTES = 16 * 1024 * 1024;

export async function BatchWriteItem(input: BatchWriteItemInput, ctx: RequestContext): Promise<BatchWriteItemOutput> {
  checkEnums(input, ["ReturnConsumedCapacity", "ReturnItemCollectionMetrics"]);
  const requests = Object.entries(input.RequestItems ?? {});
  if (requests.length === 0) {
    throw validation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  for (const [, rs] of requests) {
    const n = rs?.length ?? 0;
    if (n > MAX_WRITES || n < 1) {
      throw validation(
        "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
      );
    }
  }
  const total = requests.reduce((n, [, rs]) => n + (rs?.length ?? 0), 0);
  if (total > MAX_WRITES) throw validation("Too many items requested for the BatchWriteItem call");
  // 1. Validate every request (nothing is written if one is bad).
  const writes: Array<{ table: string; w: PreparedWrite; put: boolean }> = [];
  for (const [table, rs] of requests) {
    const t = resolveTable(ctx, table);
    const seen = new Set<string>();
    for (const r of rs ?? []) {
      if ((r.PutRequest ? 1 : 0) + (r.DeleteRequest ? 1 : 0) !== 1) {
        throw validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
      }
      const w = r.PutRequest ? preparePut(t, { Item: r.PutRequest.Item }) : prepareDelete(t, { Key: r.DeleteRequest!.Key });
      const id = w.key.hk.toString("hex") + "/" + w.key.rk.toString("hex");
      if (seen.has(id)) throw duplicates();
      seen.add(id);
      writes.push({ table: t.meta.name, w, put: !!r.PutRequest });
    }
  }
  // 2. Apply them in one transaction.
  const tally = new CapacityTally(input.ReturnConsumedCapacity);
  await groupCommit(ctx.db, () => {
    for (const { table, w, put } of writes) {
      const r = w.run(ctx);
      tally.add(table, "write", put ? writeUnits(r.newSize) : writeUnits(r.oldSize));
    }
  });
  const cap = tally.list();
  return { UnprocessedItems: {}, ...(cap ? { ConsumedCapacity: cap } : {}) };
}

export function BatchGetItem(input: BatchGetItemInput, ctx: RequestContext): BatchGetItemOutput {
  checkEnums(input, ["ReturnConsumedCapacity"]);
  const requests = Object.entries(input.RequestItems ?? {});
  if (requests.length === 0) {
    throw validation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  // 1. Validate every table's request before reading anything.
  let total = 0;
  const plans = requests.map(([table, r]) => {
    checkExpressionParams(r, ["ProjectionExpression"], ["AttributesToGet"]);
    const keysIn = r.Keys ?? [];
    if (keysIn.length < 1 || keysIn.length > MAX_GETS) {
      throw validation(
        `1 validation error detected: Value at 'requestItems.${table}.member.keys' failed to satisfy constraint: Member must have length ${keysIn.length < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`,
      );
    }
    total += keysIn.length;
    if (total > MAX_GETS) throw validation("Too many items requested for the BatchGetItem call");
    const t = resolveTable(ctx, table);
    const refs = refsOf(r, r.ProjectionExpression !== undefined);
    const paths = r.ProjectionExpression !== undefined ? parseProjection(r.ProjectionExpression, refs) : attributesToGet(r.AttributesToGet);
    refs.checkUnused();
    const seen = new Set<string>();
    const keys = keysIn.map((k) => {
      const key = keyOf(t, k as Record<string, AV>);
      const id = key.hk.toString("hex") + "/" + key.rk.toString("hex");
      if (seen.has(id)) throw duplicates();
      seen.add(id);
      return { key, raw: k };
    });
    return { table, t, r, paths, keys };
  });
  // 2. Read, up to 16 MB of items.
  const store = ddb(ctx);
  const tally = new CapacityTally(input.ReturnConsumedCapacity);
  const responses: Record<string, Item[]> = {};
  const unprocessed: Record<string, KeysAndAttributes> = {};
  let bytes = 0;
  for (const { table, t, r, paths, keys } of plans) {
    const out: Item[] = [];
    responses[table] = out;
    for (const { key, raw } of keys) {
      if (bytes >= MAX_GET_BYTES) {
        const u = (unprocessed[table] ??= { ...r, Keys: [] });
        u.Keys!.push(raw);
        continue;
      }
      const row = store.getItem(t.id, key.hk, key.rk);
      tally.add(t.meta.name, "read", readUnits(row?.size, r.ConsistentRead));
      if (!row) continue;
      bytes += row.size;
      const item = fromStored(row.item);
      out.push(paths ? project(item, paths) : item);
    }
  }
  const cap = tally.list();
  return {
    Responses: responses as BatchGetItemOutput["Responses"],
    UnprocessedKeys: unprocessed as BatchGetItemOutput["UnprocessedKeys"],
    ...(cap ? { ConsumedCapacity: cap } : {}),
  };
}
