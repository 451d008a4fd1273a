// Single-item operations: PutItem, GetItem, DeleteItem, UpdateItem, with ConditionExpression,
// ProjectionExpression, UpdateExpression and ReturnValues. Each write reads the current item,
// checks the condition and writes in one transaction.
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
import type { RequestContext } from "../../../core/service.js";
import { ddb, itemKeyOf, keyOf, refsOf, rejectLegacy, resolveTable } from "../common.js";
import { applyUpdate, evaluate, project } from "../engine/evaluate.js";
import { parseCondition, parseProjection, parseUpdate, type Condition, type Path } from "../engine/parser.js";
import { fromStored, itemSize, MAX_ITEM_SIZE, normalizeItem, toStored, validation, type AV, type Item } from "../engine/values.js";
import type { TableRecord } from "../store.js";

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

function checkReturnValues(rv: string | undefined, allowed: string[]): void {
  if (rv !== undefined && !allowed.includes(rv)) throw validation("Return values set to invalid value");
}

export function prepareCondition(input: { ConditionExpression?: string }, refs: ReturnType<typeof refsOf>): Condition | undefined {
  return input.ConditionExpression !== undefined ? parseCondition(input.ConditionExpression, "ConditionExpression", refs) : undefined;
}

export function PutItem(input: PutItemInput, ctx: RequestContext): PutItemOutput {
  rejectLegacy(input, ["Expected", "ConditionalOperator"]);
  checkReturnValues(input.ReturnValues, ["NONE", "ALL_OLD"]);
  const t = resolveTable(ctx, input.TableName);
  const write = preparePut(t, input);
  const store = ddb(ctx);
  return store.tx(() => {
    const old = write.run(ctx);
    return input.ReturnValues === "ALL_OLD" && old ? { Attributes: old as PutItemOutput["Attributes"] } : {};
  });
}

/** A validated PutItem (shared with batch and transaction writes). */
export function preparePut(
  t: TableRecord,
  input: { Item?: Record<string, unknown>; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown>; ReturnValuesOnConditionCheckFailure?: string },
): { key: ReturnType<typeof itemKeyOf>; run(ctx: RequestContext): Item | undefined } {
  const item = normalizeItem((input.Item ?? {}) as Record<string, AV>);
  const key = itemKeyOf(t, item);
  const size = checkSize(item);
  const refs = refsOf(input, input.ConditionExpression !== undefined);
  const condition = prepareCondition(input, refs);
  refs.checkUnused();
  return {
    key,
    run(ctx) {
      const store = ddb(ctx);
      const row = store.getItem(t.id, key.hk, key.rk);
      const old = row ? fromStored(row.item) : undefined;
      if (condition && !evaluate(condition, old ?? {})) throw conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
      store.putItem(t.id, key.hk, key.rk, toStored(item), size, row);
      return old;
    },
  };
}

export function GetItem(input: GetItemInput, ctx: RequestContext): GetItemOutput {
  rejectLegacy(input, ["AttributesToGet"]);
  const t = resolveTable(ctx, input.TableName);
  const key = keyOf(t, input.Key as Record<string, AV>);
  const refs = refsOf(input, input.ProjectionExpression !== undefined);
  const paths = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, refs) : undefined;
  refs.checkUnused();
  const row = ddb(ctx).getItem(t.id, key.hk, key.rk);
  if (!row) return {};
  const item = fromStored(row.item);
  return { Item: (paths ? project(item, paths) : item) as GetItemOutput["Item"] };
}

export function DeleteItem(input: DeleteItemInput, ctx: RequestContext): DeleteItemOutput {
  rejectLegacy(input, ["Expected", "ConditionalOperator"]);
  checkReturnValues(input.ReturnValues, ["NONE", "ALL_OLD"]);
  const t = resolveTable(ctx, input.TableName);
  const del = prepareDelete(t, input);
  return ddb(ctx).tx(() => {
    const old = del.run(ctx);
    return input.ReturnValues === "ALL_OLD" && old ? { Attributes: old as DeleteItemOutput["Attributes"] } : {};
  });
}

export function prepareDelete(
  t: TableRecord,
  input: { Key?: Record<string, unknown>; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown>; ReturnValuesOnConditionCheckFailure?: string },
): { key: ReturnType<typeof keyOf>; run(ctx: RequestContext): Item | undefined } {
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
      if (condition && !evaluate(condition, old ?? {})) throw conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
      if (row) store.deleteItem(t.id, key.hk, key.rk, row);
      return old;
    },
  };
}

export function UpdateItem(input: UpdateItemInput, ctx: RequestContext): UpdateItemOutput {
  rejectLegacy(input, ["Expected", "ConditionalOperator", "AttributeUpdates"]);
  checkReturnValues(input.ReturnValues, ["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"]);
  const t = resolveTable(ctx, input.TableName);
  const upd = prepareUpdate(t, input);
  return ddb(ctx).tx(() => {
    const { old, next, paths } = upd.run(ctx);
    let attrs: Item | undefined;
    switch (input.ReturnValues) {
      case "ALL_OLD":
        attrs = old;
        break;
      case "ALL_NEW":
        attrs = next;
        break;
      case "UPDATED_OLD":
        attrs = old ? project(old, paths) : undefined;
        break;
      case "UPDATED_NEW":
        attrs = project(next, paths);
        break;
    }
    return attrs && Object.keys(attrs).length ? { Attributes: attrs as UpdateItemOutput["Attributes"] } : {};
  });
}

export function prepareUpdate(
  t: TableRecord,
  input: {
    Key?: Record<string, unknown>;
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
    ReturnValuesOnConditionCheckFailure?: string;
  },
): { key: ReturnType<typeof keyOf>; run(ctx: RequestContext): { old: Item | undefined; next: Item; paths: Path[] } } {
  const key = keyOf(t, input.Key as Record<string, AV>);
  const refs = refsOf(input, input.UpdateExpression !== undefined || input.ConditionExpression !== undefined);
  const actions = input.UpdateExpression !== undefined ? parseUpdate(input.UpdateExpression, refs) : [];
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
      if (condition && !evaluate(condition, old ?? {})) throw conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
      const next = applyUpdate(old ?? key.key, actions);
      const size = checkSize(next);
      store.putItem(t.id, key.hk, key.rk, toStored(next), size, row);
      return { old, next, paths };
    },
  };
}
