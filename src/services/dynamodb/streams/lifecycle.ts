// A table's stream: created by StreamSpecification (CreateTable / UpdateTable), disabled by
// StreamEnabled: false or by deleting the table. A disabled stream stays readable for 24 hours
// (its records' retention), and re-enabling makes a new stream with a new label and ARN, as on
// AWS. The records themselves are written by indexes/hooks.ts; the dynamodb-streams service
// reads ddb_streams and ddb_stream_records.
import { validation } from "../engine/values.js";
import type { DynamoStore, TableRecord } from "../store.js";

export const VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

/** Records (and disabled streams) are kept 24 hours of Nimbus time. */
export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

/** AWS's stream label: the creation time, ISO-8601 with milliseconds and no zone. */
function label(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "");
}

export function enableStream(store: DynamoStore, t: TableRecord, viewType: string, now: number): void {
  let at = now;
  let arn: string;
  // Two streams of one table created in the same millisecond would share a label.
  for (;;) {
    arn = `${t.meta.arn}/stream/${label(at)}`;
    if (!store.prepared("SELECT 1 FROM ddb_streams WHERE arn = ?").get(arn)) break;
    at++;
  }
  const keySchema = JSON.stringify(t.meta.keySchema);
  const r = store
    .prepared("INSERT INTO ddb_streams (arn, account, region, table_name, label, view_type, key_schema, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .run(arn, t.account, t.region, t.meta.name, label(at), viewType, keySchema, now);
  t.meta.stream = { id: Number(r.lastInsertRowid), arn, label: label(at), viewType, enabled: true };
}

export function disableStream(store: DynamoStore, t: TableRecord, now: number): void {
  const s = t.meta.stream;
  if (!s || !s.enabled) return;
  store.prepared("UPDATE ddb_streams SET disabled_at = ? WHERE id = ?").run(now, s.id);
  s.enabled = false;
}

/** A StreamSpecification of CreateTable or UpdateTable, checked in AWS's words. */
export function checkStreamSpec(spec: { StreamEnabled?: boolean; StreamViewType?: string }, creating: boolean, t?: TableRecord): void {
  const invalid = (d: string) => validation(`One or more parameter values were invalid: ${d}`);
  if (spec.StreamEnabled) {
    if (spec.StreamViewType === undefined) {
      throw invalid(creating ? "Table is being created with a stream enabled, UpdateViewType is required" : "If stream is being enabled then UpdateViewType is required");
    }
    if (!creating && t?.meta.stream?.enabled) throw validation(`Table already has an enabled stream: TableName: ${t.meta.name}`);
  } else {
    if (spec.StreamViewType !== undefined) {
      throw invalid(creating ? "Table is being created with a stream disabled, UpdateViewType should not be specified" : "If stream is being disabled, then UpdateViewType must not be specified");
    }
    if (!creating && !t?.meta.stream?.enabled) throw validation(`Table has no stream to disable: TableName: ${t?.meta.name}`);
  }
}

/** Drops records older than the retention, and streams disabled longer than that. */
export function trimStreams(store: DynamoStore, now: number): void {
  const cutoff = now - STREAM_RETENTION_MS;
  store.prepared("DELETE FROM ddb_stream_records WHERE created_at < ?").run(cutoff);
  const gone = store.prepared("SELECT id FROM ddb_streams WHERE disabled_at IS NOT NULL AND disabled_at < ?").all(cutoff) as Array<{ id: number }>;
  for (const g of gone) {
    store.prepared("DELETE FROM ddb_stream_records WHERE stream_id = ?").run(g.id);
    store.prepared("DELETE FROM ddb_streams WHERE id = ?").run(g.id);
  }
}
