// Point-in-time recovery: UpdateContinuousBackups / DescribeContinuousBackups and
// RestoreTableToPointInTime. While PITR is on, every write of the table also appends the item's
// new version (or its deletion) to ddb_pitr_log with the Nimbus time (indexes/hooks.ts); turning
// it on records the table's items as they are. A restore to time T takes, per key, the last
// version at or before T. Versions older than the recovery period (35 days by default) are
// pruned by the sweeper, keeping for each key the one version still in force at the cutoff.
import type {
  DescribeContinuousBackupsInput,
  DescribeContinuousBackupsOutput,
  RestoreTableToPointInTimeInput,
  RestoreTableToPointInTimeOutput,
  UpdateContinuousBackupsInput,
  UpdateContinuousBackupsOutput,
} from "@aws-sdk/client-dynamodb";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { ddb, tableNameOf, validateTableName } from "../common.js";
import { fromStored, itemSize, validation } from "../engine/values.js";
import { describe, sseOf } from "../handlers/tables.js";
import type { DynamoStore, TableRecord } from "../store.js";
import { tableNotFound } from "./backups.js";
import { restoreTable, type RestoreOverrides } from "./restore.js";

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_RECOVERY_DAYS = 35;

/** The restorable window of a PITR-enabled table at Nimbus time `now`. */
function windowOf(t: TableRecord, now: number): { earliest: number; latest: number } {
  const p = t.meta.pitr!;
  return { earliest: Math.max(p.enabledAt, now - p.recoveryDays * DAY_MS), latest: now };
}

function continuousDescription(t: TableRecord, now: number): Record<string, unknown> {
  const p = t.meta.pitr;
  if (!p?.enabled) return { ContinuousBackupsStatus: "ENABLED", PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "DISABLED" } };
  const w = windowOf(t, now);
  return {
    ContinuousBackupsStatus: "ENABLED",
    PointInTimeRecoveryDescription: {
      PointInTimeRecoveryStatus: "ENABLED",
      RecoveryPeriodInDays: p.recoveryDays,
      EarliestRestorableDateTime: new Date(w.earliest),
      LatestRestorableDateTime: new Date(w.latest),
    },
  };
}

function tableOrNotFound(store: DynamoStore, ctx: RequestContext, nameOrArn: string | undefined): TableRecord {
  const name = tableNameOf(nameOrArn ?? "");
  validateTableName(name);
  const t = store.table(ctx.accountId, ctx.region, name);
  if (!t) throw tableNotFound(name);
  return t;
}

export function DescribeContinuousBackups(input: DescribeContinuousBackupsInput, ctx: RequestContext): DescribeContinuousBackupsOutput {
  const t = tableOrNotFound(ddb(ctx), ctx, input.TableName);
  return { ContinuousBackupsDescription: continuousDescription(t, ctx.clock.now()) } as unknown as DescribeContinuousBackupsOutput;
}

export function UpdateContinuousBackups(input: UpdateContinuousBackupsInput, ctx: RequestContext): UpdateContinuousBackupsOutput {
  const spec = input.PointInTimeRecoverySpecification;
  if (spec?.PointInTimeRecoveryEnabled === undefined) {
    throw validation("1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null");
  }
  const days = spec.RecoveryPeriodInDays;
  if (days !== undefined && (days < 1 || days > 35)) {
    const bound = days < 1 ? "greater than or equal to 1" : "less than or equal to 35";
    throw validation(`1 validation error detected: Value '${days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value ${bound}`);
  }
  if (days !== undefined && !spec.PointInTimeRecoveryEnabled) throw validation("RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true");
  const store = ddb(ctx);
  return store.tx(() => {
    const t = tableOrNotFound(store, ctx, input.TableName);
    const now = ctx.clock.now();
    const cur = t.meta.pitr;
    if (spec.PointInTimeRecoveryEnabled) {
      if (cur?.enabled) {
        t.meta.pitr = { ...cur, recoveryDays: days ?? cur.recoveryDays };
      } else {
        t.meta.pitr = { enabled: true, enabledAt: now, recoveryDays: days ?? DEFAULT_RECOVERY_DAYS };
        // 1. The items as they are now are the first versions.
        store.prepared("INSERT INTO ddb_pitr_log (table_id, at, hk, rk, item) SELECT table_id, ?, hk, rk, item FROM ddb_items WHERE table_id = ?").run(now, t.id);
      }
    } else if (cur?.enabled) {
      // 2. Turning PITR off drops the history (AWS: the restorable window starts over).
      t.meta.pitr = { ...cur, enabled: false };
      store.prepared("DELETE FROM ddb_pitr_log WHERE table_id = ?").run(t.id);
    }
    store.saveMeta(t);
    return { ContinuousBackupsDescription: continuousDescription(t, now) } as unknown as UpdateContinuousBackupsOutput;
  });
}

export function RestoreTableToPointInTime(input: RestoreTableToPointInTimeInput, ctx: RequestContext): RestoreTableToPointInTimeOutput {
  const store = ddb(ctx);
  return store.tx(() => {
    const sourceName = input.SourceTableArn !== undefined ? tableNameOf(input.SourceTableArn) : input.SourceTableName;
    if (sourceName === undefined) throw validation("Either SourceTableArn or SourceTableName must be specified");
    if (input.SourceTableArn !== undefined && input.SourceTableName !== undefined) throw validation("Only one of SourceTableArn or SourceTableName can be specified");
    const src = store.table(ctx.accountId, ctx.region, sourceName);
    if (!src) throw new AwsError("SourceTableNotFoundException", `Source table not found: ${sourceName}`);
    if (!src.meta.pitr?.enabled) throw new AwsError("PointInTimeRecoveryUnavailableException", `Point in time recovery is not enabled for table '${sourceName}'`);
    const now = ctx.clock.now();
    const w = windowOf(src, now);
    let at: number;
    if (input.UseLatestRestorableTime) {
      if (input.RestoreDateTime !== undefined) throw validation("Only one of RestoreDateTime or UseLatestRestorableTime can be specified");
      at = w.latest;
    } else {
      if (input.RestoreDateTime === undefined) throw validation("Either RestoreDateTime or UseLatestRestorableTime must be specified");
      at = input.RestoreDateTime instanceof Date ? input.RestoreDateTime.getTime() : Number(input.RestoreDateTime) * 1000;
      if (at < w.earliest || at > w.latest) {
        throw new AwsError(
          "InvalidRestoreTimeException",
          `RestoreDateTime must be between EarliestRestorableDateTime (${new Date(w.earliest).toISOString()}) and LatestRestorableDateTime (${new Date(w.latest).toISOString()})`,
        );
      }
    }
    const t = restoreTable(
      ctx,
      store,
      input.TargetTableName ?? "",
      src.meta,
      input as RestoreOverrides,
      { sourceTableArn: src.meta.arn, restoreDateTime: at },
      (id) => {
        // Per key, the last version at or before the restore time, unless it is a deletion.
        const rows = store
          .prepared(
            "SELECT hk, rk, item FROM (SELECT hk, rk, item, ROW_NUMBER() OVER (PARTITION BY hk, rk ORDER BY seq DESC) AS n FROM ddb_pitr_log WHERE table_id = ? AND at <= ?) WHERE n = 1 AND item IS NOT NULL",
          )
          .all(src.id, at) as Array<{ hk: Buffer; rk: Buffer; item: string }>;
        const ins = store.prepared("INSERT INTO ddb_items (table_id, hk, rk, item, size) VALUES (?, ?, ?, ?, ?)");
        for (const r of rows) ins.run(id, r.hk, r.rk, r.item, itemSize(fromStored(r.item)));
      },
      (spec) => sseOf(spec as never, ctx),
    );
    return { TableDescription: describe(ctx, t) } as RestoreTableToPointInTimeOutput;
  });
}

/** Drops the versions no restore can reach any more (older than the recovery period and superseded). */
export function prunePitr(store: DynamoStore, now: number): void {
  const tables = store.prepared("SELECT DISTINCT table_id FROM ddb_pitr_log").all() as Array<{ table_id: number }>;
  for (const { table_id } of tables) {
    const row = store.prepared("SELECT meta FROM ddb_tables WHERE id = ?").get(table_id) as { meta: string } | undefined;
    const days = row ? ((JSON.parse(row.meta) as { pitr?: { recoveryDays: number } }).pitr?.recoveryDays ?? DEFAULT_RECOVERY_DAYS) : 0;
    const cutoff = now - days * DAY_MS;
    store.tx(() => {
      store
        .prepared(
          "DELETE FROM ddb_pitr_log AS o WHERE table_id = ? AND at < ? AND EXISTS (SELECT 1 FROM ddb_pitr_log AS n WHERE n.table_id = o.table_id AND n.hk = o.hk AND n.rk = o.rk AND n.seq > o.seq AND n.at <= ?)",
        )
        .run(table_id, cutoff, cutoff);
      // A deletion that is the oldest remaining version before the cutoff says nothing any more.
      store
        .prepared(
          "DELETE FROM ddb_pitr_log AS o WHERE table_id = ? AND at < ? AND item IS NULL AND NOT EXISTS (SELECT 1 FROM ddb_pitr_log AS p WHERE p.table_id = o.table_id AND p.hk = o.hk AND p.rk = o.rk AND p.seq < o.seq)",
        )
        .run(table_id, cutoff);
    });
  }
}
