// TransactWriteItems (ConditionCheck, Put, Delete, Update; up to 100 distinct items, all or
// nothing) and TransactGetItems (up to 100 Gets, one consistent snapshot). Requests run one at a
// time in Nimbus, so TransactionConflictException never happens. A ClientRequestToken makes a
// TransactWriteItems idempotent for 10 minutes (kept in memory, see GAPS.md). Transactional
// reads and writes cost twice the capacity of plain ones.
import type { TransactGetItemsInput, TransactGetItemsOutput, TransactWriteItemsInput, TransactWriteItemsOutput } from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { createHash } from "node:crypto";
import { ddb, keyOf, refsOf, resolveTable } from "../common.js";
import { CapacityTally, readUnits, writeUnits } from "../engine/capacity.js";
import { groupCommit } from "../engine/commit.js";
import { checkEnums } from "../engine/params.js";
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

/** Tokens seen in the last 10 minutes: request hash and the answer, per account and region. */
const TOKEN_TTL_MS = 10 * 60 * 1000;
const tokens = new Map<string, { hash: string; at: number; out: Promise<TransactWriteItemsOutput> }>();

function requestHash(input: TransactWriteItemsInput): string {
  const { ClientRequestToken: _t, ReturnConsumedCapacity: _c, ...rest } = input;
  return createHash("sha256")
    .update(JSON.stringify(rest, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v)))
    .digest("hex");
}

export async function TransactWriteItems(input: TransactWriteItemsInput, ctx: RequestContext): Promise<TransactWriteItemsOutput> {
  checkEnums(input, ["ReturnConsumedCapacity", "ReturnItemCollectionMetrics"]);
  const now = ctx.clock.now();
  let tokenKey: string | undefined;
  let hash: string | undefined;
  if (input.ClientRequestToken !== undefined) {
    tokenKey = `${ctx.accountId}/${ctx.region}/${input.ClientRequestToken}`;
    hash = requestHash(input);
    for (const [k, v] of tokens) if (now - v.at > TOKEN_TTL_MS) tokens.delete(k);
    const prior = tokens.get(tokenKey);
    if (prior) {
      if (prior.hash !== hash) {
        throw new AwsError("IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request.");
      }
      return prior.out;
    }
  }
  const out = transactWrite(input, ctx);
  if (!tokenKey) return out;
  // Kept while in flight too, so that a retry racing the first attempt gets its answer; a
  // failed attempt leaves no trace.
  tokens.set(tokenKey, { hash: hash!, at: now, out });
  return out.catch((e: unknown) => {
    tokens.delete(tokenKey);
    throw e;
  });
}

async function transactWrite(input: TransactWriteItemsInput, ctx: RequestContext): Promise<TransactWriteItemsOutput> {
  const items = input.TransactItems ?? [];
  if (items.length > MAX_ITEMS) {
    throw validation(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ITEMS}`,
    );
  }
  const seen = new Set<string>();
  const runs: Array<() => void> = [];
  const tally = new CapacityTally(input.ReturnConsumedCapacity);
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
        tally.add(t.meta.name, "write", 2 * writeUnits(row?.size));
        const old = row ? fromStored(row.item) : undefined;
        if (!evaluate(condition, old ?? {})) throw conditionFailed(old, cc.ReturnValuesOnConditionCheckFailure);
      };
    } else if (ti.Put) {
      const t = resolveTable(ctx, ti.Put.TableName);
      const w = preparePut(t, ti.Put);
      key = w.key;
      tableId = t.id;
      run = () => {
        const r = w.run(ctx);
        tally.add(t.meta.name, "write", 2 * writeUnits(r.oldSize, r.newSize));
      };
    } else if (ti.Delete) {
      const t = resolveTable(ctx, ti.Delete.TableName);
      const w = prepareDelete(t, ti.Delete);
      key = w.key;
      tableId = t.id;
      run = () => {
        const r = w.run(ctx);
        tally.add(t.meta.name, "write", 2 * writeUnits(r.oldSize));
      };
    } else {
      const t = resolveTable(ctx, ti.Update!.TableName);
      const w = prepareUpdate(t, ti.Update!);
      key = w.key;
      tableId = t.id;
      run = () => {
        const r = w.run(ctx);
        tally.add(t.meta.name, "write", 2 * writeUnits(r.oldSize, r.newSize));
      };
    }
    const id = `${tableId}/${key.hk.toString("hex")}/${key.rk.toString("hex")}`;
    if (seen.has(id)) throw validation("Transaction request cannot include multiple operations on one item");
    seen.add(id);
    runs.push(run);
  }
  await groupCommit(ctx.db, () => {
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
    if (failed) throw transactionCanceled(reasons);
  });
  const cap = tally.list();
  return cap ? { ConsumedCapacity: cap } : {};
}

export function TransactGetItems(input: TransactGetItemsInput, ctx: RequestContext): TransactGetItemsOutput {
  checkEnums(input, ["ReturnConsumedCapacity"]);
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
  const tally = new CapacityTally(input.ReturnConsumedCapacity);
  const responses = store.tx(() =>
    gets.map(({ t, key, paths }) => {
      const row = store.getItem(t.id, key.hk, key.rk);
      tally.add(t.meta.name, "read", 2 * readUnits(row?.size, true));
      if (!row) return {};
      const item = fromStored(row.item);
      return { Item: paths ? project(item, paths) : item };
    }),
  );
  const cap = tally.list();
  return { Responses: responses as TransactGetItemsOutput["Responses"], ...(cap ? { ConsumedCapacity: cap } : {}) };
}

/** TransactionCanceledException listing every item's reason (Code "None" for the ones that would have succeeded), as TransactWriteItems and ExecuteTransaction answer. */
export function transactionCanceled(reasons: Reason[]): AwsError {
  return new AwsError(
    "TransactionCanceledException",
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    undefined,
    { fields: { CancellationReasons: reasons } },
  );
}
