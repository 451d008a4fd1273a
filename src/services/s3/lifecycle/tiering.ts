// The tiering pass: S3 Intelligent-Tiering's opt-in archive tiers on Nimbus time. For every
// bucket with Intelligent-Tiering configurations (intelligent-tiering.ts), at most once per
// Nimbus day (again after a configuration changes):
//   1. read the INTELLIGENT_TIERING versions (current and noncurrent) of at least 128 KiB (smaller
//      objects are not monitored, S3 User Guide "How S3 Intelligent-Tiering works") that were
//      written long enough ago for the shortest configured tiering; SQLite drops the others;
//   2. a version's idle time is now minus its last access (GET, else its write; a finished
//      archive restore counts as one); the enabled configurations whose filter selects it give
//      the days of each archive tier (the smallest when several do); the deepest tier due wins;
//   3. a version moving to a deeper tier gets an archive document (storage-class.ts; GET then
//      answers InvalidObjectState, HEAD x-amz-archive-status) and an s3:IntelligentTiering event.
// A version with an archive restore in progress is left alone. Objects already archived stay
// archived when a configuration is deleted (they come back only through RestoreObject).
import type { IntelligentTieringConfiguration } from "@aws-sdk/client-s3";
import type { ServiceRuntime } from "../../../core/service.js";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import { tieringFilter, type TieringBucket } from "../intelligent-tiering.js";
import { emitS3Event, type S3Event } from "../notifications/emit.js";
import { versionDocId, type AccessDoc, type ArchiveDoc, type ArchiveTier, type RestoreDoc } from "../storage-class.js";
import { DAY_MS, matchesFilter, type LifecycleFilter } from "./rules.js";

const BATCH = 5_000;
const MIN_SIZE = 128 * 1024;
const ORDER: readonly ArchiveTier[] = ["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"];

interface Row {
  key: Buffer;
  size: number;
  last_modified: number;
  tags: string;
  version_id: string;
  blob_id: string;
  etag: string;
}

function prepare(db: Db) {
  const cols = "key, size, last_modified, tags, version_id, blob_id, etag";
  const where = "bucket = ? AND storage_class = 'INTELLIGENT_TIERING' AND size >= ? AND last_modified <= ?";
  return {
    objects: db.prepare(`SELECT ${cols} FROM s3_objects WHERE ${where} AND key > ? ORDER BY key LIMIT ?`),
    versions: db.prepare(`SELECT ${cols}, ord FROM s3_versions WHERE ${where} AND delete_marker = 0 AND (key, ord) > (?, ?) ORDER BY key, ord LIMIT ?`),
  };
}
const stmts = perDatabase(prepare);

interface Compiled {
  filter: LifecycleFilter;
  days: Partial<Record<ArchiveTier, number>>;
}

function compile(c: IntelligentTieringConfiguration): Compiled {
  const days: Partial<Record<ArchiveTier, number>> = {};
  for (const t of c.Tierings ?? []) days[t.AccessTier as ArchiveTier] = t.Days;
  return { filter: tieringFilter(c), days };
}

/** 2. The deepest tier due for a version idle `idleMs`, by the configurations selecting it. */
function dueTier(configs: Compiled[], key: string, size: number, tags: () => Array<{ Key: string; Value: string }>, idleMs: number): ArchiveTier | undefined {
  let best: ArchiveTier | undefined;
  for (const c of configs) {
    if (!matchesFilter(c.filter, key, size, c.filter.tags.length ? tags() : [])) continue;
    for (const tier of ORDER) {
      const d = c.days[tier];
      if (d !== undefined && idleMs >= d * DAY_MS && (!best || ORDER.indexOf(tier) > ORDER.indexOf(best))) best = tier;
    }
  }
  return best;
}

export function runTiering(rt: ServiceRuntime): { archived: number } {
  const docs = new DocStore(rt.db, "s3", "global");
  const now = rt.clock.now();
  const day = Math.floor(now / DAY_MS);
  const stats = { archived: 0 };
  for (const { id: bucket, doc: mark } of docs.list<{ lastRunDay: number }>("int-tiering")) {
    if (mark.lastRunDay === day) continue;
    const b = docs.get<TieringBucket>("bucket", bucket);
    if (!b?.intelligentTiering) {
      docs.delete("int-tiering", bucket);
      continue;
    }
    const configs = Object.values(b.intelligentTiering).filter((c) => c.Status === "Enabled").map(compile);
    const shortest = Math.min(...configs.flatMap((c) => Object.values(c.days) as number[]));
    if (configs.length > 0 && Number.isFinite(shortest)) {
      // 1. Nothing written after this can have been idle long enough.
      const cutoff = now - shortest * DAY_MS;
      const s = stmts(rt.db);
      let fromKey: Buffer = Buffer.alloc(0);
      for (;;) {
        const rows = s.objects.all(bucket, MIN_SIZE, cutoff, fromKey, BATCH) as Row[];
        archiveBatch(rt, docs, b, configs, rows, now, stats);
        if (rows.length < BATCH) break;
        fromKey = rows[rows.length - 1].key;
      }
      let from: [Buffer, number] = [Buffer.alloc(0), -Number.MAX_SAFE_INTEGER];
      for (;;) {
        const rows = s.versions.all(bucket, MIN_SIZE, cutoff, from[0], from[1], BATCH) as Array<Row & { ord: number }>;
        archiveBatch(rt, docs, b, configs, rows, now, stats);
        if (rows.length < BATCH) break;
        from = [rows[rows.length - 1].key, rows[rows.length - 1].ord];
      }
    }
    // Only if no configuration was put meanwhile (a Put resets lastRunDay to -1).
    const after = docs.get<{ lastRunDay: number }>("int-tiering", bucket);
    if (after && after.lastRunDay === mark.lastRunDay) docs.put("int-tiering", bucket, { lastRunDay: day });
  }
  return stats;
}

/** 2-3 for one batch of rows: archive documents in one transaction, events after it. */
function archiveBatch(rt: ServiceRuntime, docs: DocStore, b: TieringBucket, configs: Compiled[], rows: Row[], now: number, stats: { archived: number }): void {
  if (rows.length === 0) return;
  const events: S3Event[] = [];
  inTransaction(rt.db, () => {
    for (const r of rows) {
      const key = r.key.toString("utf8");
      const id = versionDocId(b.name, r.version_id, key);
      const access = docs.get<AccessDoc>("int-access", id);
      const last = access && access.blobId === r.blob_id ? Math.max(access.lastAccess, r.last_modified) : r.last_modified;
      const tier = dueTier(configs, key, r.size, () => JSON.parse(r.tags) as Array<{ Key: string; Value: string }>, now - last);
      if (!tier) continue;
      const current = docs.get<ArchiveDoc>("int-archive", id);
      if (current && current.blobId === r.blob_id && ORDER.indexOf(current.tier) >= ORDER.indexOf(tier)) continue;
      const restore = docs.get<RestoreDoc>("restore", id);
      if (restore && restore.archive && restore.blobId === r.blob_id) continue;
      docs.put<ArchiveDoc>("int-archive", id, { blobId: r.blob_id, tier, since: now });
      stats.archived++;
      events.push({
        eventName: "IntelligentTiering",
        eventVersion: "2.3",
        key,
        size: r.size,
        eTag: r.etag,
        versionId: r.version_id,
        extra: { intelligentTieringEventData: { destinationAccessTier: tier } },
      });
    }
  });
  for (const e of events) emitS3Event(rt, b, e);
}
