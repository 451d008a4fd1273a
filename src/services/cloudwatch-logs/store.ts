// CloudWatch Logs state in its own tables: log groups, log streams, log events, metric and
// subscription filters. Events are indexed by (group, stream, timestamp, id) for GetLogEvents
// and by (group, timestamp, id) for FilterLogEvents across streams; `id` (insertion order)
// breaks timestamp ties, so every position in a stream or group is a (timestamp, id) pair.
import { inTransaction, perDatabase, type Db, type Migration } from "../../core/state/database.js";

type Statement = import("better-sqlite3").Statement;

export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE logs_groups (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        account        TEXT NOT NULL,
        region         TEXT NOT NULL,
        name           TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        retention_days INTEGER,
        kms_key_id     TEXT,
        class          TEXT NOT NULL,
        tags           TEXT NOT NULL,
        UNIQUE (account, region, name)
      );
      CREATE TABLE logs_streams (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        first_ts    INTEGER,
        last_ts     INTEGER,
        last_ingest INTEGER,
        UNIQUE (group_id, name)
      );
      CREATE TABLE logs_events (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id  INTEGER NOT NULL,
        stream_id INTEGER NOT NULL,
        ts        INTEGER NOT NULL,
        ingest    INTEGER NOT NULL,
        message   TEXT NOT NULL
      );
      CREATE INDEX logs_events_stream ON logs_events (group_id, stream_id, ts, id);
      CREATE INDEX logs_events_group ON logs_events (group_id, ts, id);
      CREATE TABLE logs_filters (
        group_id   INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        doc        TEXT NOT NULL,
        PRIMARY KEY (group_id, kind, name)
      ) WITHOUT ROWID;
    `);
  },
];

export interface GroupRow {
  id: number;
  account: string;
  region: string;
  name: string;
  created_at: number;
  retention_days: number | null;
  kms_key_id: string | null;
  class: string;
  tags: string;
}

export interface StreamRow {
  id: number;
  group_id: number;
  name: string;
  created_at: number;
  first_ts: number | null;
  last_ts: number | null;
  last_ingest: number | null;
}

export interface EventRow {
  id: number;
  stream_id: number;
  ts: number;
  ingest: number;
  message: string;
}

export interface FilterRow {
  group_id: number;
  kind: "metric" | "subscription";
  name: string;
  created_at: number;
  doc: string;
}

function prepare(db: Db) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    groupByName: p("SELECT * FROM logs_groups WHERE account = ? AND region = ? AND name = ?"),
    groupById: p("SELECT * FROM logs_groups WHERE id = ?"),
    groupsAfter: p("SELECT * FROM logs_groups WHERE account = ? AND region = ? AND name > ? AND name >= ? AND name < ? ORDER BY name LIMIT ?"),
    insertGroup: p("INSERT INTO logs_groups (account, region, name, created_at, retention_days, kms_key_id, class, tags) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)"),
    deleteGroup: p("DELETE FROM logs_groups WHERE id = ?"),
    deleteGroupStreams: p("DELETE FROM logs_streams WHERE group_id = ?"),
    deleteGroupEvents: p("DELETE FROM logs_events WHERE group_id = ?"),
    deleteGroupFilters: p("DELETE FROM logs_filters WHERE group_id = ?"),
    setRetention: p("UPDATE logs_groups SET retention_days = ? WHERE id = ?"),
    setTags: p("UPDATE logs_groups SET tags = ? WHERE id = ?"),
    setKms: p("UPDATE logs_groups SET kms_key_id = ? WHERE id = ?"),
    groupsWithRetention: p("SELECT id, retention_days FROM logs_groups WHERE retention_days IS NOT NULL"),
    storedBytes: p("SELECT coalesce(sum(length(CAST(message AS BLOB))) + 26 * count(*), 0) AS n FROM logs_events WHERE group_id = ?"),
    streamBytes: p("SELECT coalesce(sum(length(CAST(message AS BLOB))) + 26 * count(*), 0) AS n FROM logs_events WHERE group_id = ? AND stream_id = ?"),
    streamByName: p("SELECT * FROM logs_streams WHERE group_id = ? AND name = ?"),
    streamsOfGroup: p("SELECT * FROM logs_streams WHERE group_id = ?"),
    insertStream: p("INSERT INTO logs_streams (group_id, name, created_at) VALUES (?, ?, ?)"),
    deleteStream: p("DELETE FROM logs_streams WHERE id = ?"),
    deleteStreamEvents: p("DELETE FROM logs_events WHERE group_id = ? AND stream_id = ?"),
    touchStream: p("UPDATE logs_streams SET first_ts = min(coalesce(first_ts, ?), ?), last_ts = max(coalesce(last_ts, ?), ?), last_ingest = ? WHERE id = ?"),
    insertEvent: p("INSERT INTO logs_events (group_id, stream_id, ts, ingest, message) VALUES (?, ?, ?, ?, ?)"),
    expire: p("DELETE FROM logs_events WHERE group_id = ? AND ts < ?"),
    filters: p("SELECT * FROM logs_filters WHERE group_id = ? AND kind = ? ORDER BY name"),
    filter: p("SELECT * FROM logs_filters WHERE group_id = ? AND kind = ? AND name = ?"),
    putFilter: p("INSERT INTO logs_filters (group_id, kind, name, created_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT(group_id, kind, name) DO UPDATE SET doc = excluded.doc"),
    deleteFilter: p("DELETE FROM logs_filters WHERE group_id = ? AND kind = ? AND name = ?"),
    countFilters: p("SELECT count(*) AS n FROM logs_filters WHERE group_id = ? AND kind = ?"),
    anyFilters: p("SELECT 1 FROM logs_filters WHERE group_id = ? LIMIT 1"),
    forward: p("SELECT id, stream_id, ts, ingest, message FROM logs_events WHERE group_id = ? AND stream_id = ? AND (ts > ? OR (ts = ? AND id > ?)) AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?"),
    backward: p("SELECT id, stream_id, ts, ingest, message FROM logs_events WHERE group_id = ? AND stream_id = ? AND (ts < ? OR (ts = ? AND id < ?)) AND ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?"),
  };
}

export const statements = perDatabase(prepare);

/** Events of one stream forward from a position (exclusive), within [start, end). */
export function streamEventsForward(db: Db, groupId: number, streamId: number, after: [number, number], start: number, end: number, limit: number): EventRow[] {
  return statements(db).forward.all(groupId, streamId, after[0], after[0], after[1], start, end, limit) as EventRow[];
}

/** Events of one stream backward from a position (exclusive), newest first, within [start, end). */
export function streamEventsBackward(db: Db, groupId: number, streamId: number, before: [number, number], start: number, end: number, limit: number): EventRow[] {
  return statements(db).backward.all(groupId, streamId, before[0], before[0], before[1], start, end, limit) as EventRow[];
}

/** Events of a group (optionally some streams) from a position (exclusive), in (ts, id) order. */
export function* groupEvents(db: Db, groupId: number, after: [number, number], start: number, end: number, streamIds?: number[], required: string[] = []): Generator<EventRow> {
  const inStreams = streamIds ? ` AND stream_id IN (${streamIds.map(() => "?").join(",")})` : "";
  // Terms every match must contain are checked by SQLite (instr is case-sensitive, as patterns are).
  const terms = required.map(() => " AND instr(message, ?) > 0").join("");
  const sql = `SELECT id, stream_id, ts, ingest, message FROM logs_events WHERE group_id = ? AND (ts > ? OR (ts = ? AND id > ?)) AND ts >= ? AND ts < ?${inStreams}${terms} ORDER BY ts, id`;
  yield* db.prepare(sql).iterate(groupId, after[0], after[0], after[1], start, end, ...(streamIds ?? []), ...required) as IterableIterator<EventRow>;
}

export function deleteGroupCascade(db: Db, groupId: number): void {
  const s = statements(db);
  inTransaction(db, () => {
    s.deleteGroupEvents.run(groupId);
    s.deleteGroupStreams.run(groupId);
    s.deleteGroupFilters.run(groupId);
    s.deleteGroup.run(groupId);
  });
}

/**
 * Deletes the events older than each group's retention, on the Nimbus clock. AWS removes them
 * within 72 hours; Nimbus at once, and reads never return an expired event in between.
 */
export function expireEvents(db: Db, now: number): number {
  const s = statements(db);
  let n = 0;
  for (const g of s.groupsWithRetention.all() as Array<{ id: number; retention_days: number }>) {
    n += s.expire.run(g.id, now - g.retention_days * 86_400_000).changes;
  }
  return n;
}

export function resetAll(db: Db): void {
  db.exec("DELETE FROM logs_events; DELETE FROM logs_streams; DELETE FROM logs_filters; DELETE FROM logs_groups;");
}
