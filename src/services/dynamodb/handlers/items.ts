// Single-item operations: PutItem, GetItem, DeleteItem, UpdateItem, with ConditionExpression
// (or legacy Expected), ProjectionExpression (or AttributesToGet), UpdateExpression (or
// AttributeUpdates), ReturnValues, ReturnValuesOnConditionCheckFailure, ReturnConsumedCapacity
// and ReturnItemCollectionMetrics. Each write validates everything first, then reads the
// current item, checks the condition and writes in one transaction.
import type {
  DeleteItemInput,
  DeleteItemOutput,
  GetItemInput,
  GetItemOutput,
  PutItemInput,
  PutItemOutput,
  UpdateItemInput,
  UpdateItemOutput,
} from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import { requestJsonText } from "../../../core/protocols/aws-json/aws-json.js";
import { memberText } from "../../../core/protocols/shared/json-codec.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, itemKeyOf, keyOf, rawItemOutput, refsOf, resolveTable, type ItemKey } from "../common.js";
import { consumed, readUnits, writeUnits } from "../engine/capacity.js";
import { commitsAlone, groupCommit, runWrite } from "../engine/commit.js";
import { applyUpdate, evaluate, project } from "../engine/evaluate.js";
import { ScannedPut } from "../engine/item-scan.js";
import { checkEnums } from "../engine/params.js";
import { parseCondition, parseProjection, parseUpdate, type Condition, type Path, type UpdateAction } from "../engine/parser.js";
import { fromStored, itemSize, MAX_ITEM_SIZE, normalizeItem, toStored, validation, type AV, type Item, type Tally } from "../engine/values.js";
import { attributesToGet, attributeUpdates, checkExpressionParams, expectedCondition, type LegacyCondition, type LegacyUpdate } from "../legacy/legacy.js";
import type { DynamoStore, TableRecord } from "../store.js";

export function conditionFailed(old: Item | undefined, returnOld: string | undefined): AwsError {
  return new AwsError("ConditionalCheckFailedException", "The conditional request failed", undefined, {
    fields: returnOld === "ALL_OLD" && old ? { Item: old } : {},
  });
}

export function checkSize(item: Item): number {
  const size = itemSize(item);
  if (size > MAX_ITEM_SIZE) throw validation("Item size has exceeded the maximum allowed size");
  return size;
}

const WRITE_ENUMS = ["ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "ReturnValuesOnConditionCheckFailure", "ConditionalOperator"];
const GET_ENUMS = ["ReturnConsumedCapacity"];
// The expression and legacy parameters each operation checks (checkExpressionParams).
const CONDITION_EXPR = ["ConditionExpression"];
const CONDITION_LEGACY = ["Expected", "ConditionalOperator"];
const PROJECTION_EXPR = ["ProjectionExpression"];
const PROJECTION_LEGACY = ["AttributesToGet"];

/** PutItem and DeleteItem return only the old item: AWS's own wording for anything else. */
function onlyAllOld(rv: string | undefined): void {
  if (rv !== undefined && rv !== "NONE" && rv !== "ALL_OLD") throw validation("ReturnValues can only be ALL_OLD or NONE");
}

/** What a prepared write did: the item before and after, and their sizes (for capacity). */
export interface WriteResult {
  old: Item | undefined;
  oldSize: number | undefined;
  next: Item | undefined;
  newSize: number | undefined;
  /** The paths an update touched (UPDATED_OLD / UPDATED_NEW). */
  paths?: Path[];
}

export interface PreparedWrite {
  key: ReturnType<typeof keyOf>;
  run(ctx: RequestContext): WriteResult;
}

type ConditionInput = {
  ConditionExpression?: string;
  Expected?: Record<string, unknown>;
  ConditionalOperator?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
  ReturnValuesOnConditionCheckFailure?: string;
};

export function prepareCondition(input: ConditionInput, refs: ReturnType<typeof refsOf>): Condition | undefined {
  if (input.ConditionExpression !== undefined) return parseCondition(input.ConditionExpression, "ConditionExpression", refs);
  // Neither member (most writes): no condition, and nothing for expectedCondition to check.
  if (input.Expected === undefined && input.ConditionalOperator === undefined) return undefined;
  return expectedCondition(input.Expected as Record<string, LegacyCondition> | undefined, input.ConditionalOperator);
}

/** A Put, Delete or Update's condition against the stored row. */
function check(condition: Condition | undefined, old: Item | undefined, input: ConditionInput): void {
  if (condition && !evaluate(condition, old ?? {})) throw conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
}

/** ItemCollectionMetrics: AWS answers them only for tables with local secondary indexes. */
function collectionMetrics(ctx: RequestContext, t: TableRecord, mode: string | undefined, key: Item, hk: Buffer): Record<string, unknown> {
  const lsis = (t.meta as { localSecondaryIndexes?: unknown[] }).localSecondaryIndexes;
  if (mode !== "SIZE" || !lsis?.length) return {};
  const row = ddb(ctx).db.prepare("SELECT COALESCE(SUM(size), 0) AS n FROM ddb_items WHERE table_id = ? AND hk = ?").get(t.id, hk) as { n: number };
  const bytes = row.n;
  const gb = bytes / (1024 * 1024 * 1024);
  // AWS answers an estimate range in GB; both bounds around the exact size here.
  return { ItemCollectionMetrics: { ItemCollectionKey: { [t.hash.name]: key[t.hash.name] }, SizeEstimateRangeGB: [Math.floor(gb), Math.ceil(gb) || 1] } };
}

export function PutItem(input: PutItemInput, ctx: RequestContext): PutItemOutput | Promise<PutItemOutput> {
  if ((input as object) instanceof ScannedPut) {
    const out = putScanned(input as unknown as ScannedPut, ctx);
    if (out !== undefined) return out;
  }
  checkEnums(input, WRITE_ENUMS);
  onlyAllOld(input.ReturnValues);
  const t = resolveTable(ctx, input.TableName);
  const p = validatePut(t, input);
  // 1. A lone write that needs only the replaced row's size, of a table without hooks: written
  //    here (groupCommit's lone path, inline), with no PreparedPut, closures or WriteResult,
  //    and answered as GetItem is, without a promise: committed already, the gateway answers
  //    it in the same call (no promise, no microtask hop).
  const store = ddb(ctx);
  if (!p.needsOld && store.hooksOf(t.id) === undefined && commitsAlone(ctx.db)) {
    const oldSize = writeLone(ctx, store, t, p.key, p.stored, p.size);
    return putOutput(input, ctx, t, p, oldSize, undefined);
  }
  // 2. Anything else, or in company: through groupCommit.
  return groupCommit(ctx.db, () => {
    const r = runPut(ctx, t, p, input);
    return putOutput(input, ctx, t, p, r.oldSize, r);
  });
}

/**
 * 0. A body scanPutItem read (TableName and Item alone; every value model-valid and as
 *    normalizeItem keeps it; its size counted): written as step 1 writes, keyed by its
 *    top-level attributes, its text stored as sent. Undefined for anything step 1 would not
 *    take (hooks, company) or a key attribute that is not a top-level S or N: the general path,
 *    which parses the item (ScannedPut.Item), and words any error, then takes it. The checks
 *    run in the general path's order (the table, the key, then the size), and normalizeItem,
 *    which comes first there, has nothing to say about a scanned item.
 */
function putScanned(s: ScannedPut, ctx: RequestContext): PutItemOutput | undefined {
  const t = resolveTable(ctx, s.TableName);
  const store = ddb(ctx);
  if (store.hooksOf(t.id) !== undefined || !commitsAlone(ctx.db)) return undefined;
  const hash = s.scalar(t.hash.name);
  if (hash === undefined) return undefined;
  const keyItem: Item = {};
  keyItem[t.hash.name] = hash;
  if (t.range) {
    const range = s.scalar(t.range.name);
    if (range === undefined) return undefined;
    keyItem[t.range.name] = range;
  }
  const key = itemKeyOf(t, keyItem);
  if (s.size > MAX_ITEM_SIZE) throw validation("Item size has exceeded the maximum allowed size");
  writeLone(ctx, store, t, key, s.itemText, s.size);
  // No ReturnValues, ReturnConsumedCapacity or ReturnItemCollectionMetrics: nothing to answer.
  return {};
}

/** PutItem's answer, built member by member (three spreads of mostly empty objects cost a copy each). */
function putOutput(input: PutItemInput, ctx: RequestContext, t: TableRecord, p: PutPlan, oldSize: number | undefined, r: WriteResult | undefined): PutItemOutput {
  const out: PutItemOutput = {};
  if (r !== undefined && input.ReturnValues === "ALL_OLD" && r.old) out.Attributes = r.old as PutItemOutput["Attributes"];
  const c = consumed(input.ReturnConsumedCapacity, t.meta.name, writeUnits(oldSize, p.size), "write");
  if (c) out.ConsumedCapacity = c as PutItemOutput["ConsumedCapacity"];
  if (input.ReturnItemCollectionMetrics === "SIZE") Object.assign(out, collectionMetrics(ctx, t, input.ReturnItemCollectionMetrics, p.key.key, p.key.hk));
  return out;
}

function capacity(mode: string | undefined, t: TableRecord, units: number, kind: "read" | "write"): { ConsumedCapacity?: never } {
  const c = consumed(mode, t.meta.name, units, kind);
  return (c ? { ConsumedCapacity: c } : {}) as { ConsumedCapacity?: never };
}

/**
 * A validated PutItem: the normalized item, its stored text, size and key, its condition. One
 * object per request, which is also the Tally normalizeItem fills (size, binary).
 */
class PutPlan implements Tally {
  size = 0;
  binary = false;
  key!: ItemKey;
  item!: Item;
  stored = "";
  condition: Condition | undefined = undefined;
  /** Something looks at the replaced item (a condition, ReturnValues ALL_OLD). */
  needsOld = false;
}

function validatePut(t: TableRecord, input: { Item?: Record<string, unknown> } & ConditionInput): PutPlan {
  checkExpressionParams(input, CONDITION_EXPR, CONDITION_LEGACY);
  // One walk validates and normalizes the item, counts its size and finds its binaries.
  const p = new PutPlan();
  const item = normalizeItem((input.Item ?? {}) as Record<string, AV>, p);
  p.item = item;
  p.key = itemKeyOf(t, item);
  if (p.size > MAX_ITEM_SIZE) throw validation("Item size has exceeded the maximum allowed size");
  const refs = refsOf(input, input.ConditionExpression !== undefined);
  p.condition = prepareCondition(input, refs);
  refs.checkUnused();
  p.stored = (item === input.Item && !p.binary && sentItemText(input)) || toStored(item, p.binary);
  // Nothing looks at the replaced item (no condition, no ReturnValues ALL_OLD): unless the
  // table has hooks (indexes, stream, TTL, PITR, replicas), its size is all the write needs.
  p.needsOld = p.condition !== undefined || (input as { ReturnValues?: string }).ReturnValues === "ALL_OLD";
  return p;
}

/**
 * The item's JSON as the request sent it, when that is what toStored would write: the item came
 * through normalizeItem unchanged (no number or set rewritten, nothing dropped), holds no
 * binaries (stored as {$b} objects), and the text has no `null` (the model check deletes null
 * members from the parsed objects, which the text still holds). memberText declines escapes
 * and a repeated Item. What is stored may then keep the client's whitespace and key order
 * (JSON.parse of it gives the same item). JSON.stringify of the item was 3.6% of a socket
 * PutItem's samples; the scan jumps from quote to quote.
 */
function sentItemText(input: object): string | undefined {
  if (input instanceof ScannedPut) return input.itemText;
  const text = requestJsonText(input);
  if (text === undefined || text.indexOf("null") >= 0) return undefined;
  return memberText(text, "Item");
}

/** Step 1's write: in SQLite's autocommit when the table allows it, else in a transaction of its own. */
function writeLone(ctx: RequestContext, store: DynamoStore, t: TableRecord, key: ItemKey, stored: string, size: number): number | undefined {
  return store.canWriteAlone(t.id) ? writeSized(store, t, key, stored, size) : runWrite(ctx.db, () => writeSized(store, t, key, stored, size));
}

/** The write of an item whose write needs only the replaced row's size (no needsOld, no hooks): that size. */
function writeSized(store: DynamoStore, t: TableRecord, key: ItemKey, stored: string, size: number): number | undefined {
  const k = store.cacheKeyOf(t.id, key.hs, key.rs);
  const oldSize = store.sizeOf(t.id, k, key.hk, key.rk);
  store.writeRow(t.id, k, key.hk, key.rk, stored, size, oldSize);
  return oldSize;
}

/** The write inside the caller's transaction. */
function runPut(ctx: RequestContext, t: TableRecord, p: PutPlan, input: ConditionInput): WriteResult {
  const store = ddb(ctx);
  if (!p.needsOld && store.hooksOf(t.id) === undefined) return { old: undefined, oldSize: writeSized(store, t, p.key, p.stored, p.size), next: p.item, newSize: p.size };
  const key = p.key;
  const row = store.getItem(t.id, key.hk, key.rk);
  // The old item is parsed only when something looks at it (a condition, ReturnValues).
  let old = row && p.condition ? fromStored(row.item) : undefined;
  check(p.condition, old, input);
  store.putItem(t.id, key.hk, key.rk, p.stored, p.size, row);
  return {
    get old() {
      return row ? (old ??= fromStored(row.item)) : undefined;
    },
    oldSize: row?.size,
    next: p.item,
    newSize: p.size,
  };
}

/** A validated PutItem (shared with batch and transaction writes). */
export function preparePut(t: TableRecord, input: { Item?: Record<string, unknown> } & ConditionInput): PreparedWrite {
  const p = validatePut(t, input);
  return {
    key: p.key,
    run: (ctx) => runPut(ctx, t, p, input),
  };
}

export function GetItem(input: GetItemInput, ctx: RequestContext): GetItemOutput {
  checkEnums(input, GET_ENUMS);
  checkExpressionParams(input, PROJECTION_EXPR, PROJECTION_LEGACY);
  const t = resolveTable(ctx, input.TableName);
  const key = keyOf(t, input.Key as Record<string, AV>);
  const refs = refsOf(input, input.ProjectionExpression !== undefined);
  const paths = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, refs) : attributesToGet(input.AttributesToGet);
  refs.checkUnused();
  const store = ddb(ctx);
  const row = store.readItem(t.id, store.cacheKeyOf(t.id, key.hs, key.rs), key);
  const cap = capacity(input.ReturnConsumedCapacity, t, readUnits(row?.[1], input.ConsistentRead), "read");
  if (!row) return cap;
  const text = row[0];
  // The stored JSON is the wire JSON unless the item holds binaries ({"$b": ...} when stored).
  if (!paths && ctx.protocol !== "internal" && !text.includes('"$b"')) return rawItemOutput(text, cap) as GetItemOutput;
  const item = fromStored(text);
  return { Item: (paths ? project(item, paths) : item) as GetItemOutput["Item"], ...cap };
}

export function DeleteItem(input: DeleteItemInput, ctx: RequestContext): Promise<DeleteItemOutput> {
  checkEnums(input, WRITE_ENUMS);
  onlyAllOld(input.ReturnValues);
  const t = resolveTable(ctx, input.TableName);
  const del = prepareDelete(t, input);
  return groupCommit(ctx.db, () => {
    const r = del.run(ctx);
    return {
      ...(input.ReturnValues === "ALL_OLD" && r.old ? { Attributes: r.old as DeleteItemOutput["Attributes"] } : {}),
      ...capacity(input.ReturnConsumedCapacity, t, writeUnits(r.oldSize), "write"),
      ...collectionMetrics(ctx, t, input.ReturnItemCollectionMetrics, del.key.key, del.key.hk),
    };
  });
}

export function prepareDelete(t: TableRecord, input: { Key?: Record<string, unknown> } & ConditionInput): PreparedWrite {
  checkExpressionParams(input, CONDITION_EXPR, CONDITION_LEGACY);
  const key = keyOf(t, input.Key as Record<string, AV>);
  const refs = refsOf(input, input.ConditionExpression !== undefined);
  const condition = prepareCondition(input, refs);
  refs.checkUnused();
  return {
    key,
    run(ctx) {
      const store = ddb(ctx);
      const row = store.getItem(t.id, key.hk, key.rk);
      const old = row ? fromStored(row.item) : undefined;
      check(condition, old, input);
      if (row) store.deleteItem(t.id, key.hk, key.rk, row);
      return { old, oldSize: row?.size, next: undefined, newSize: undefined };
    },
  };
}

export function UpdateItem(input: UpdateItemInput, ctx: RequestContext): Promise<UpdateItemOutput> {
  checkEnums(input, WRITE_ENUMS);
  const t = resolveTable(ctx, input.TableName);
  const upd = prepareUpdate(t, input);
  return groupCommit(ctx.db, () => {
    const r = upd.run(ctx);
    const attrs = returnedAttributes(input.ReturnValues, r);
    return {
      ...(attrs && Object.keys(attrs).length ? { Attributes: attrs as UpdateItemOutput["Attributes"] } : {}),
      ...capacity(input.ReturnConsumedCapacity, t, writeUnits(r.oldSize, r.newSize), "write"),
      ...collectionMetrics(ctx, t, input.ReturnItemCollectionMetrics, upd.key.key, upd.key.hk),
    };
  });
}

/** ReturnValues of an update: the whole item or only the updated paths, before or after. */
export function returnedAttributes(rv: string | undefined, r: WriteResult): Item | undefined {
  switch (rv) {
    case "ALL_OLD":
      return r.old;
    case "ALL_NEW":
      return r.next;
    case "UPDATED_OLD":
      return r.old ? project(r.old, r.paths ?? []) : undefined;
    case "UPDATED_NEW":
      return r.next ? project(r.next, r.paths ?? []) : undefined;
    default:
      return undefined;
  }
}

export function prepareUpdate(
  t: TableRecord,
  input: { Key?: Record<string, unknown>; UpdateExpression?: string; AttributeUpdates?: Record<string, unknown> } & ConditionInput,
): PreparedWrite {
  checkExpressionParams(input, ["UpdateExpression", "ConditionExpression"], ["AttributeUpdates", "Expected", "ConditionalOperator"]);
  const key = keyOf(t, input.Key as Record<string, AV>);
  const refs = refsOf(input, input.UpdateExpression !== undefined || input.ConditionExpression !== undefined);
  let actions: UpdateAction[];
  if (input.UpdateExpression !== undefined) actions = parseUpdate(input.UpdateExpression, refs);
  else actions = attributeUpdates(input.AttributeUpdates as Record<string, LegacyUpdate> | undefined);
  const condition = prepareCondition(input, refs);
  refs.checkUnused();
  for (const a of actions) {
    const top = a.path.elements[0] as string;
    if (top === t.hash.name || top === t.range?.name) {
      throw validation(`One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`);
    }
  }
  const paths = actions.map((a) => a.path);
  return {
    key,
    run(ctx) {
      const store = ddb(ctx);
      const row = store.getItem(t.id, key.hk, key.rk);
      const old = row ? fromStored(row.item) : undefined;
      check(condition, old, input);
      const next = applyUpdate(old ?? key.key, actions);
      const size = checkSize(next);
      store.putItem(t.id, key.hk, key.rk, toStored(next), size, row);
      return { old, oldSize: row?.size, next, newSize: size, paths };
    },
  };
}
