// TransactWriteItems (ConditionCheck, Put, Delete, Update; up to 100 distinct items, all or
// nothing) and TransactGetItems (up to 100 Gets, one consistent snapshot). Requests run one at a
// time in Nimbus, so TransactionConflictException never happens; ClientRequestToken
// idempotency is not kept (see GAPS.md).
import type { TransactGetItemsInput, TransactGetItemsOutput, TransactWriteItemsInput, TransactWriteItemsOutput } from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, keyOf, refsOf, resolveTable } from "../common.js";
import { evaluate, project } from "../engine/evaluate.js";
import { parseCondition, parseProjection } from "../engine/parser.js";
import { fromStored, validation, type AV, type Item } from "../engine/values.js";
import { conditionFailed, prepareDelete, preparePut, prepareUpdate } from "./items.js";

const MAX_ITEMS = 100;

interface Reason {
  Code: string;
  Message?: string;
  Item?: Item;
}

export function TransactWriteItems(input: TransactWriteItemsInput, ctx: RequestContext): TransactWriteItemsOutput {
  const items = input.TransactItems ?? [];
  if (items.length > MAX_ITEMS) {
    throw validation(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ITEMS}`,
    );
  }
  const seen = new Set<string>();
  const runs: Array<() => void> = [];
  for (const ti of items) {
    const kinds = [ti.ConditionCheck, ti.Put, ti.Delete, ti.Update].filter((x) => x !== undefined);
    if (kinds.length !== 1) throw validation("TransactItems can only contain one of Check, Put, Update or Delete");
    let key: { hk: Buffer; rk: Buffer };
    let tableId: number;
    let run: () => void;
    if (ti.ConditionCheck) {
      const cc = ti.ConditionCheck;
      const t = resolveTable(ctx, cc.TableName);
      const k = keyOf(t, cc.Key as Record<string, AV>);
      const refs = refsOf(cc, true);
      const condition = parseCondition(cc.ConditionExpression ?? "", "ConditionExpression", refs);
      refs.checkUnused();
      key = k;
      tableId = t.id;
      run = () => {
        const row = ddb(ctx).getItem(t.id, k.hk, k.rk);
        const old = row ? fromStored(row.item) : undefined;
        if (!evaluate(condition, old ?? {})) throw conditionFailed(old, cc.ReturnValuesOnConditionCheckFailure);
      };
    } else if (ti.Put) {
      const t = resolveTable(ctx, ti.Put.TableName);
      const w = preparePut(t, ti.Put);
      key = w.key;
      tableId = t.id;
      run = () => void w.run(ctx);
    } else if (ti.Delete) {
      const t = resolveTable(ctx, ti.Delete.TableName);
      const w = prepareDelete(t, ti.Delete);
      key = w.key;
      tableId = t.id;
      run = () => void w.run(ctx);
    } else {
      const t = resolveTable(ctx, ti.Update!.TableName);
      const w = prepareUpdate(t, ti.Update!);
      key = w.key;
      tableId = t.id;
      run = () => void w.run(ctx);
    }
    const id = `${tableId}/${key.hk.toString("hex")}/${key.rk.toString("hex")}`;
    if (seen.has(id)) throw validation("Transaction request cannot include multiple operations on one item");
    seen.add(id);
    runs.push(run);
  }
  ddb(ctx).tx(() => {
    const reasons: Reason[] = [];
    let failed = false;
    for (const run of runs) {
      try {
        run();
        reasons.push({ Code: "None" });
      } catch (e) {
        if (e instanceof AwsError && e.code === "ConditionalCheckFailedException") {
          failed = true;
          reasons.push({ Code: "ConditionalCheckFailed", Message: "The conditional request failed", ...(e.fields.Item ? { Item: e.fields.Item as Item } : {}) });
        } else {
          throw e;
        }
      }
    }
    // Throwing rolls back every write made above.
    if (failed) {
      throw new AwsError(
        "TransactionCanceledException",
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
        undefined,
        { fields: { CancellationReasons: reasons } },
      );
    }
  });
  return {};
}

export function TransactGetItems(input: TransactGetItemsInput, ctx: RequestContext): TransactGetItemsOutput {
  const items = input.TransactItems ?? [];
  if (items.length > MAX_ITEMS) {
    throw validation(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ITEMS}`,
    );
  }
  const seen = new Set<string>();
  const gets = items.map((ti) => {
    const g = ti.Get;
    if (!g) throw validation("TransactItems can only contain Get");
    const t = resolveTable(ctx, g.TableName);
    const key = keyOf(t, g.Key as Record<string, AV>);
    const refs = refsOf(g, g.ProjectionExpression !== undefined);
    const paths = g.ProjectionExpression !== undefined ? parseProjection(g.ProjectionExpression, refs) : undefined;
    refs.checkUnused();
    const id = `${t.id}/${key.hk.toString("hex")}/${key.rk.toString("hex")}`;
    if (seen.has(id)) throw validation("Transaction request cannot include multiple operations on one item");
    seen.add(id);
    return { t, key, paths };
  });
  const store = ddb(ctx);
  const responses = store.tx(() =>
    gets.map(({ t, key, paths }) => {
      const row = store.getItem(t.id, key.hk, key.rk);
      if (!row) return {};
      const item = fromStored(row.item);
      return { Item: paths ? project(item, paths) : item };
    }),
  );
  return { Responses: responses as TransactGetItemsOutput["Responses"] };
}
