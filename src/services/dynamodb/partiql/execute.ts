// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL statements
// (partiql/parser.ts) run against the same store and engine as the item API.
// - SELECT reads one partition when WHERE fixes the partition key with = (or a few with IN),
//   otherwise scans the table; the whole WHERE is then applied to each item read. Limit and
//   the 1 MB page apply to items read, as for Query/Scan; NextToken carries the last key.
// - INSERT fails with DuplicateItemException when the key holds an item.
// - UPDATE and DELETE need every key attribute fixed with = in WHERE; the rest of WHERE is a
//   condition on the item (ConditionalCheckFailedException when false). UPDATE never creates
//   an item; DELETE of a missing item does nothing.
import type {
  BatchExecuteStatementInput,
  BatchExecuteStatementOutput,
  BatchStatementErrorCodeEnum,
  BatchStatementResponse,
  ExecuteStatementInput,
  ExecuteStatementOutput,
  ExecuteTransactionInput,
  ExecuteTransactionOutput,
} from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, itemKeyOf, keyAttributes, keyOf, resolveTable, type KeyBytes } from "../common.js";
import { CapacityTally, consumed, readUnits, writeUnits } from "../engine/capacity.js";
import { applyUpdate, evaluate, project } from "../engine/evaluate.js";
import { groupCommit } from "../engine/commit.js";
import { checkEnums } from "../engine/params.js";
import type { Condition, Operand } from "../engine/parser.js";
import { compareBytes, encodeKey, fromStored, normalizeItem, toStored, validation, type AV, type Item } from "../engine/values.js";
import { checkSize, returnedAttributes } from "../handlers/items.js";
import { transactionCanceled } from "../handlers/transactions.js";
import type { PageRow, TableRecord } from "../store.js";
import { parseStatement, type Statement } from "./parser.js";

const MAX_PAGE_BYTES = 1024 * 1024;
const MAX_BATCH = 25;
const MAX_TRANSACTION = 100;

const missingKey = () => validation("Where clause does not contain a mandatory equality on all key attributes");
const conditionFailed = () => new AwsError("ConditionalCheckFailedException", "The conditional request failed");
const duplicateItem = () => new AwsError("DuplicateItemException", "Duplicate primary key exists in table");

function flattenAnd(c: Condition, out: Condition[] = []): Condition[] {
  if (c.type === "and") {
    flattenAnd(c.a, out);
    flattenAnd(c.b, out);
  } else out.push(c);
  return out;
}

function topName(o: Operand): string | undefined {
  return o.type === "path" && o.elements.length === 1 && typeof o.elements[0] === "string" ? o.elements[0] : undefined;
}

/** Values WHERE fixes an attribute to: `a = v` (one) or `a IN (v, ...)` (several), from its top-level AND terms. */
function fixedValues(where: Condition | undefined, attr: string): AV[] | undefined {
  if (!where) return undefined;
  for (const term of flattenAnd(where)) {
    if (term.type === "cmp" && term.op === "=") {
      if (topName(term.a) === attr && term.b.type === "value") return [term.b.value];
      if (topName(term.b) === attr && term.a.type === "value") return [term.a.value];
    }
    if (term.type === "in" && topName(term.a) === attr && term.list.every((o) => o.type === "value")) {
      return term.list.map((o) => (o as { value: AV }).value);
    }
  }
  return undefined;
}

/** The one item UPDATE, DELETE and a batch/transaction SELECT address. */
function fullKey(t: TableRecord, where: Condition | undefined): KeyBytes {
  const key: Record<string, AV> = {};
  for (const part of [t.hash, t.range]) {
    if (!part) continue;
    const v = fixedValues(where, part.name);
    if (!v || v.length !== 1) throw missingKey();
    key[part.name] = v[0];
  }
  return keyOf(t, key);
}

function table(ctx: RequestContext, name: string, index?: string): TableRecord {
  const t = resolveTable(ctx, name);
  // TODO(parity): SELECT from "table"."index".
  if (index !== undefined) throw new AwsError("ValidationException", `The table does not have the specified index: ${index}`);
  return t;
}

// ------------------------------------------------------------------ reads

interface Page {
  items: Item[];
  lastKey?: Item;
  bytes: number;
}

function encodeToken(key: Item): string {
  return Buffer.from(toStored(key)).toString("base64");
}

function decodeToken(t: TableRecord, token: string): KeyBytes {
  try {
    return keyOf(t, fromStored(Buffer.from(token, "base64").toString("utf8")));
  } catch {
    throw validation("Invalid NextToken");
  }
}

/** Rows a SELECT reads: the partitions WHERE fixes, or the whole table, from after `start`. */
function* selectRows(ctx: RequestContext, t: TableRecord, st: Extract<Statement, { type: "select" }>, start: KeyBytes | undefined): Generator<PageRow> {
  const store = ddb(ctx);
  const hashes = fixedValues(st.where, t.hash.name)?.filter((v) => v[t.hash.type as "S"] !== undefined);
  const desc = st.order?.desc === true;
  if (st.order && (!hashes || st.order.attr !== (t.range?.name ?? t.hash.name))) {
    throw validation("Must have WHERE clause in the statement when using ORDER BY clause.");
  }
  if (!hashes) {
    yield* store.scanRows(t.id, start, false);
    return;
  }
  const parts = [...new Map(hashes.map((v) => [encodeKey(v).toString("hex"), encodeKey(v)])).values()].sort(compareBytes);
  for (const hk of parts) {
    if (start && compareBytes(hk, start.hk) < 0) continue;
    const resume = start && compareBytes(hk, start.hk) === 0;
    if (resume && !t.range) continue;
    const bound = resume ? { v: start!.rk, incl: false } : undefined;
    yield* store.queryItems(t.id, hk, desc ? { hi: bound } : { lo: bound }, !desc);
  }
}

function runSelect(ctx: RequestContext, st: Extract<Statement, { type: "select" }>, limit: number | undefined, token: string | undefined): Page {
  const t = table(ctx, st.table, st.index);
  const start = token ? decodeToken(t, token) : undefined;
  const items: Item[] = [];
  let read = 0;
  let bytes = 0;
  let last: Item | undefined;
  let more = false;
  const rows = selectRows(ctx, t, st, start);
  try {
    for (const row of rows) {
      if ((limit !== undefined && read >= limit) || bytes >= MAX_PAGE_BYTES) {
        more = true;
        break;
      }
      read++;
      bytes += row.size;
      const item = fromStored(row.item);
      last = item;
      if (st.where && !evaluate(st.where, item, "WHERE")) continue;
      items.push(st.paths ? project(item, st.paths) : item);
    }
  } finally {
    rows.return(undefined);
  }
  return { items, lastKey: more && last ? keyAttributes(t, last) : undefined, bytes };
}

// ------------------------------------------------------------------ writes

/** A validated write, run later inside the caller's transaction. */
interface Write {
  tableId: number;
  tableName: string;
  key: KeyBytes;
  run(ctx: RequestContext): { items: Item[]; units: number };
}

function prepareWrite(ctx: RequestContext, st: Exclude<Statement, { type: "select" }>): Write {
  const t = table(ctx, st.table);
  const store = () => ddb(ctx);
  if (st.type === "insert") {
    const item = normalizeItem(st.item);
    const key = itemKeyOf(t, item);
    const size = checkSize(item);
    const stored = toStored(item);
    return {
      tableId: t.id,
      tableName: t.meta.name,
      key,
      run() {
        const row = store().getItem(t.id, key.hk, key.rk);
        if (row) throw duplicateItem();
        store().putItem(t.id, key.hk, key.rk, stored, size, undefined);
        return { items: [], units: writeUnits(size) };
      },
    };
  }
  const key = fullKey(t, st.where);
  if (st.type === "update") {
    for (const a of st.actions) {
      const top = a.path.elements[0];
      if (top === t.hash.name || top === t.range?.name) {
        throw validation(`One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`);
      }
    }
  }
  return {
    tableId: t.id,
    tableName: t.meta.name,
    key,
    run() {
      const row = store().getItem(t.id, key.hk, key.rk);
      if (!row) {
        if (st.type === "update") throw conditionFailed();
        return { items: [], units: 1 };
      }
      const old = fromStored(row.item);
      if (!evaluate(st.where, old, "WHERE")) throw conditionFailed();
      if (st.type === "delete") {
        store().deleteItem(t.id, key.hk, key.rk, row);
        return { items: st.returning === "ALL_OLD" ? [old] : [], units: writeUnits(row.size) };
      }
      const next = applyUpdate(old, st.actions);
      const size = checkSize(next);
      store().putItem(t.id, key.hk, key.rk, toStored(next), size, row);
      const attrs = returnedAttributes(st.returning, { old, oldSize: row.size, next, newSize: size, paths: st.actions.map((a) => a.path) });
      return { items: attrs ? [attrs] : [], units: writeUnits(row.size, size) };
    },
  };
}

// ------------------------------------------------------------------ handlers

export async function ExecuteStatement(input: ExecuteStatementInput, ctx: RequestContext): Promise<ExecuteStatementOutput> {
  checkEnums(input, ["ReturnConsumedCapacity", "ReturnValuesOnConditionCheckFailure"]);
  if (input.Limit !== undefined && input.Limit < 1) {
    throw validation(`1 validation error detected: Value '${input.Limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  const st = parseStatement(input.Statement ?? "", (input.Parameters ?? []) as AV[]);
  if (st.type === "select") {
    const page = runSelect(ctx, st, input.Limit, input.NextToken);
    const cap = consumed(input.ReturnConsumedCapacity, resolveTable(ctx, st.table).meta.name, readUnits(page.bytes, input.ConsistentRead), "read");
    return {
      Items: page.items as ExecuteStatementOutput["Items"],
      ...(page.lastKey ? { NextToken: encodeToken(page.lastKey), LastEvaluatedKey: page.lastKey as ExecuteStatementOutput["LastEvaluatedKey"] } : {}),
      ...(cap ? { ConsumedCapacity: cap } : {}),
    };
  }
  const w = prepareWrite(ctx, st);
  const r = await groupCommit(ctx.db, () => w.run(ctx));
  const cap = consumed(input.ReturnConsumedCapacity, w.tableName, r.units, "write");
  return { Items: r.items as ExecuteStatementOutput["Items"], ...(cap ? { ConsumedCapacity: cap } : {}) };
}

/** An AwsError as a BatchStatementError code (AWS drops the "Exception" suffix). */
function batchError(e: unknown): { Code: BatchStatementErrorCodeEnum; Message: string } {
  if (!(e instanceof AwsError)) throw e;
  const code = e.code === "ValidationException" ? "ValidationError" : e.code.replace(/Exception$/, "");
  return { Code: code as BatchStatementErrorCodeEnum, Message: e.message };
}

export function BatchExecuteStatement(input: BatchExecuteStatementInput, ctx: RequestContext): BatchExecuteStatementOutput {
  checkEnums(input, ["ReturnConsumedCapacity"]);
  const statements = input.Statements ?? [];
  if (statements.length < 1 || statements.length > MAX_BATCH) {
    throw validation(
      `1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length ${statements.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_BATCH}`}`,
    );
  }
  const tally = new CapacityTally(input.ReturnConsumedCapacity);
  const parsed = statements.map((s) => {
    try {
      return parseStatement(s.Statement ?? "", (s.Parameters ?? []) as AV[]);
    } catch (e) {
      return batchError(e);
    }
  });
  const kinds = new Set(parsed.filter((p): p is Statement => "type" in p).map((p) => (p.type === "select" ? "read" : "write")));
  if (kinds.size > 1) throw validation("Batch statements must be either all reads or all writes");
  const responses: BatchStatementResponse[] = parsed.map((st, i) => {
    if (!("type" in st)) return { Error: st };
    try {
      if (st.type === "select") {
        const t = table(ctx, st.table, st.index);
        const key = fullKey(t, st.where);
        const row = ddb(ctx).getItem(t.id, key.hk, key.rk);
        tally.add(t.meta.name, "read", readUnits(row?.size, statements[i].ConsistentRead));
        const item = row ? fromStored(row.item) : undefined;
        const hit = item && (!st.where || evaluate(st.where, item, "WHERE"));
        return { TableName: t.meta.name, ...(hit ? { Item: (st.paths ? project(item, st.paths) : item) as BatchStatementResponse["Item"] } : {}) };
      }
      const w = prepareWrite(ctx, st);
      // Each write stands alone, as on AWS: one failing leaves the others applied.
      const r = ddb(ctx).tx(() => w.run(ctx));
      tally.add(w.tableName, "write", r.units);
      return { TableName: w.tableName };
    } catch (e) {
      return { TableName: tableNameOf(st), Error: batchError(e) };
    }
  });
  const cap = tally.list();
  return { Responses: responses, ...(cap ? { ConsumedCapacity: cap } : {}) };
}

function tableNameOf(st: Statement): string {
  return st.table;
}

export async function ExecuteTransaction(input: ExecuteTransactionInput, ctx: RequestContext): Promise<ExecuteTransactionOutput> {
  checkEnums(input, ["ReturnConsumedCapacity"]);
  const statements = input.TransactStatements ?? [];
  if (statements.length < 1 || statements.length > MAX_TRANSACTION) {
    throw validation(
      `1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length ${statements.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_TRANSACTION}`}`,
    );
  }
  // 1. Parse and validate everything: any error here fails the whole request, nothing written.
  const parsed = statements.map((s) => parseStatement(s.Statement ?? "", (s.Parameters ?? []) as AV[]));
  const reads = parsed.filter((p) => p.type === "select").length;
  if (reads && reads !== parsed.length) throw validation("Transaction must contain either all reads or all writes");
  const tally = new CapacityTally(input.ReturnConsumedCapacity);
  const seen = new Set<string>();
  const once = (tableId: number, key: KeyBytes) => {
    const id = `${tableId}/${key.hk.toString("hex")}/${key.rk.toString("hex")}`;
    if (seen.has(id)) throw validation("Transaction request cannot include multiple operations on one item");
    seen.add(id);
  };
  if (reads) {
    const gets = parsed.map((st) => {
      const s = st as Extract<Statement, { type: "select" }>;
      const t = table(ctx, s.table, s.index);
      const key = fullKey(t, s.where);
      once(t.id, key);
      return { t, key, s };
    });
    const store = ddb(ctx);
    const responses = store.tx(() =>
      gets.map(({ t, key, s }) => {
        const row = store.getItem(t.id, key.hk, key.rk);
        tally.add(t.meta.name, "read", 2 * readUnits(row?.size, true));
        const item = row ? fromStored(row.item) : undefined;
        if (!item || (s.where && !evaluate(s.where, item, "WHERE"))) return {};
        return { Item: s.paths ? project(item, s.paths) : item };
      }),
    );
    const cap = tally.list();
    return { Responses: responses as ExecuteTransactionOutput["Responses"], ...(cap ? { ConsumedCapacity: cap } : {}) };
  }
  const writes = parsed.map((st) => {
    const w = prepareWrite(ctx, st as Exclude<Statement, { type: "select" }>);
    once(w.tableId, w.key);
    return w;
  });
  // 2. Apply all or nothing.
  await groupCommit(ctx.db, () => {
    const reasons: Array<{ Code: string; Message?: string }> = [];
    let failed = false;
    for (const w of writes) {
      try {
        const r = w.run(ctx);
        tally.add(w.tableName, "write", 2 * r.units);
        reasons.push({ Code: "None" });
      } catch (e) {
        if (!(e instanceof AwsError) || (e.code !== "ConditionalCheckFailedException" && e.code !== "DuplicateItemException" && e.code !== "ValidationException")) throw e;
        failed = true;
        reasons.push({ Code: e.code === "ValidationException" ? "ValidationError" : e.code.replace(/Exception$/, ""), Message: e.message });
      }
    }
    if (failed) throw transactionCanceled(reasons);
  });
  const cap = tally.list();
  return { Responses: [], ...(cap ? { ConsumedCapacity: cap } : {}) };
}
