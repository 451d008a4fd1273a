// BatchWriteItem (up to 25 puts and deletes, across tables) and BatchGetItem (up to 100 keys).
// Nimbus has no throughput limits, so every request is processed: UnprocessedItems and
// UnprocessedKeys are always empty. A batch write commits in one transaction.
import type { BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput } from "@aws-sdk/client-dynamodb";
import type { RequestContext } from "../../../core/service.js";
import { ddb, keyOf, refsOf, resolveTable } from "../common.js";
import { project } from "../engine/evaluate.js";
import { parseProjection } from "../engine/parser.js";
import { fromStored, validation, type AV, type Item } from "../engine/values.js";
import { prepareDelete, preparePut } from "./items.js";

const duplicates = () => validation("Provided list of item keys contains duplicates");

export function BatchWriteItem(input: BatchWriteItemInput, ctx: RequestContext): BatchWriteItemOutput {
  const requests = Object.entries(input.RequestItems ?? {});
  const total = requests.reduce((n, [, rs]) => n + (rs?.length ?? 0), 0);
  if (total > 25) {
    throw validation(
      "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
    );
  }
  if (total === 0) throw validation("The batch write request list for a table cannot be null or empty");
  const runs: Array<(ctx: RequestContext) => unknown> = [];
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
      runs.push(w.run);
    }
  }
  ddb(ctx).tx(() => {
    for (const run of runs) run(ctx);
  });
  return { UnprocessedItems: {} };
}

export function BatchGetItem(input: BatchGetItemInput, ctx: RequestContext): BatchGetItemOutput {
  const requests = Object.entries(input.RequestItems ?? {});
  const total = requests.reduce((n, [, r]) => n + (r?.Keys?.length ?? 0), 0);
  if (total > 100) throw validation("Too many items requested for the BatchGetItem call");
  const store = ddb(ctx);
  const responses: Record<string, Item[]> = {};
  for (const [table, r] of requests) {
    if (r.AttributesToGet !== undefined) throw validation("Nimbus does not implement the legacy parameter AttributesToGet; use ProjectionExpression");
    const t = resolveTable(ctx, table);
    const refs = refsOf(r, r.ProjectionExpression !== undefined);
    const paths = r.ProjectionExpression !== undefined ? parseProjection(r.ProjectionExpression, refs) : undefined;
    refs.checkUnused();
    const seen = new Set<string>();
    const keys = (r.Keys ?? []).map((k) => {
      const key = keyOf(t, k as Record<string, AV>);
      const id = key.hk.toString("hex") + "/" + key.rk.toString("hex");
      if (seen.has(id)) throw duplicates();
      seen.add(id);
      return key;
    });
    const out: Item[] = [];
    for (const key of keys) {
      const row = store.getItem(t.id, key.hk, key.rk);
      if (!row) continue;
      const item = fromStored(row.item);
      out.push(paths ? project(item, paths) : item);
    }
    responses[table] = out;
  }
  return { Responses: responses as BatchGetItemOutput["Responses"], UnprocessedKeys: {} };
}
