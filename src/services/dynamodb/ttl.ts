// Time to Live: UpdateTimeToLive / DescribeTimeToLive, and the sweeper that deletes expired
// items. An item expires when its TTL attribute (a Number, epoch seconds) is at or before
// Nimbus time; like AWS, deletion happens later in the background, so an expired item is still
// returned by reads until the sweeper gets to it. The sweeper runs when the Nimbus clock is
// advanced, at start and once a minute; each delete writes a REMOVE stream record whose userIdentity is
// DynamoDB itself. Items whose expiry is more than five years in the past are never deleted.
import type { DescribeTimeToLiveInput, DescribeTimeToLiveOutput, UpdateTimeToLiveInput, UpdateTimeToLiveOutput } from "@aws-sdk/client-dynamodb";
import { startWorker } from "../../core/clock/background-worker.js";
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import { ddb, resolveTable } from "./common.js";
import { fromStored, validation } from "./engine/values.js";
import { expiryOf, TTL_IDENTITY } from "./indexes/hooks.js";
import { dynamoStore, type DynamoStore, type ItemRow, type TableRecord } from "./store.js";
import { trimStreams } from "./streams/lifecycle.js";
import { prunePitr } from "./backups/pitr.js";

const FIVE_YEARS_S = 5 * 365 * 24 * 60 * 60;
/** How often (wall time) the sweeper looks for expired items without a clock advance. */
export const SWEEP_INTERVAL_MS = 60_000;
/** Items deleted per transaction, so a large expiry does not hold the database for long. */
const SWEEP_BATCH = 500;

export function DescribeTimeToLive(input: DescribeTimeToLiveInput, ctx: RequestContext): DescribeTimeToLiveOutput {
  const t = resolveTable(ctx, input.TableName);
  const ttl = t.meta.ttl;
  if (!ttl) return { TimeToLiveDescription: { TimeToLiveStatus: "DISABLED" } };
  return { TimeToLiveDescription: { TimeToLiveStatus: ttl.enabled ? "ENABLED" : "DISABLED", ...(ttl.enabled ? { AttributeName: ttl.attributeName } : {}) } };
}

export function UpdateTimeToLive(input: UpdateTimeToLiveInput, ctx: RequestContext): UpdateTimeToLiveOutput {
  const spec = input.TimeToLiveSpecification!;
  const name = spec.AttributeName ?? "";
  if (name.length < 1 || name.length > 255) {
    const bound = name.length < 1 ? "greater than or equal to 1" : "less than or equal to 255";
    throw validation(`1 validation error detected: Value '${name}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length ${bound}`);
  }
  const store = ddb(ctx);
  return store.tx(() => {
    const t = resolveTable(ctx, input.TableName);
    const cur = t.meta.ttl;
    const now = ctx.clock.now();
    if (spec.Enabled) {
      if (cur?.enabled) {
        if (cur.attributeName !== spec.AttributeName) throw validation(`TimeToLive is active on a different AttributeName: current AttributeName is ${cur.attributeName}`);
        throw validation("TimeToLive is already enabled");
      }
      t.meta.ttl = { attributeName: spec.AttributeName!, enabled: true, changedAt: now };
      store.saveMeta(t);
      backfill(store, t, spec.AttributeName!);
    } else {
      if (!cur?.enabled) throw validation("TimeToLive is already disabled");
      t.meta.ttl = { attributeName: cur.attributeName, enabled: false, changedAt: now };
      store.saveMeta(t);
      store.prepared("DELETE FROM ddb_ttl WHERE table_id = ?").run(t.id);
    }
    return { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } };
  });
}

/** Fills ddb_ttl from the items already in the table. */
function backfill(store: DynamoStore, t: TableRecord, attr: string): void {
  const ins = store.prepared("INSERT OR REPLACE INTO ddb_ttl (table_id, expires, hk, rk) VALUES (?, ?, ?, ?)");
  // Collected first: better-sqlite3 cannot write while a statement iterates.
  for (const row of [...store.scanItems(t.id)]) {
    const e = expiryOf(fromStored(row.item), attr);
    if (e !== undefined) ins.run(t.id, e, row.hk, row.rk);
  }
}

/**
 * Deletes every expired item of every TTL-enabled table (each delete through the store, so
 * indexes follow and a REMOVE stream record is written). Returns how many were deleted.
 */
export function sweep(store: DynamoStore, nowMs: number): number {
  const nowS = Math.floor(nowMs / 1000);
  const tables = store.prepared("SELECT DISTINCT table_id FROM ddb_ttl").all() as Array<{ table_id: number }>;
  let deleted = 0;
  for (const { table_id } of tables) {
    const meta = store.prepared("SELECT account, region, name FROM ddb_tables WHERE id = ?").get(table_id) as { account: string; region: string; name: string } | undefined;
    if (!meta) continue;
    for (;;) {
      const n = store.tx(() => {
        // table() refreshes the write hooks, so the delete below maintains indexes and streams.
        const t = store.table(meta.account, meta.region, meta.name);
        if (!t?.meta.ttl?.enabled) return 0;
        const due = store
          .prepared("SELECT expires, hk, rk FROM ddb_ttl WHERE table_id = ? AND expires <= ? AND expires >= ? ORDER BY expires LIMIT ?")
          .all(table_id, nowS, nowS - FIVE_YEARS_S, SWEEP_BATCH) as Array<{ expires: number; hk: Buffer; rk: Buffer }>;
        for (const d of due) {
          const row = store.getItem(table_id, d.hk, d.rk) as ItemRow | undefined;
          if (row) store.deleteItem(table_id, d.hk, d.rk, row, TTL_IDENTITY);
          // The hook removed the ddb_ttl row with the item; a stale one goes here.
          else store.prepared("DELETE FROM ddb_ttl WHERE table_id = ? AND expires = ? AND hk = ? AND rk = ?").run(table_id, d.expires, d.hk, d.rk);
        }
        return due.length;
      });
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
  }
  return deleted;
}

/**
 * Starts the sweeper for one Nimbus (core/clock/background-worker.ts: at start, inside every
 * clock advance, and every SWEEP_INTERVAL_MS of wall time); returns its stop.
 */
export function startSweeper(rt: ServiceRuntime): () => void {
  const store = dynamoStore(rt.db);
  const worker = startWorker(rt, {
    name: "dynamodb ttl sweep",
    maxSleepMs: SWEEP_INTERVAL_MS,
    // Done before the advance answers: what it expired is gone for the next request.
    runOnAdvance: true,
    run: () => {
      sweep(store, rt.clock.now());
      store.tx(() => trimStreams(store, rt.clock.now()));
      prunePitr(store, rt.clock.now());
      return rt.clock.now() + SWEEP_INTERVAL_MS;
    },
  });
  return () => worker.stop();
}
