// The lifecycle worker: applies every bucket's enabled rules on Nimbus time. S3 evaluates rules
// once a day and every action falls due at a midnight UTC (rules.ts), so a bucket is evaluated
// at most once per Nimbus day (after a clock advance, and on a wall-clock interval), and again
// only after its configuration changes. A bucket without a configuration is never looked at; a
// rule's prefix bounds its scans to that key range, and rows not yet old enough are dropped by
// SQLite before JavaScript sees them (last_modified <= cutoff).
//
// Per bucket, per enabled rule:
//   1. current versions: expire (unversioned: gone; versioned: a delete marker) or transition
//      to the coldest class due;
//   2. noncurrent versions (newest first per key, noncurrent since their successor was
//      written): expire or transition, keeping NewerNoncurrentVersions; a current delete marker
//      with no other version is removed (ExpiredObjectDeleteMarker);
//   3. multipart uploads initiated DaysAfterInitiation ago are aborted.
// Each batch of changes is one transaction; freed blobs are deleted after its commit; events
// (LifecycleExpiration:*, LifecycleTransition) are emitted through the notifications module.
import { workerPerDatabase } from "../../../core/clock/background-worker.js";
import type { ServiceRuntime } from "../../../core/service.js";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import { emitS3Event } from "../notifications/emit.js";
import { deleteBlocked } from "../object-lock/lock.js";
import { deleteUpload, nextPrefix } from "../store.js";
import { deleteCurrent, deleteVersion } from "../version-store.js";
import { runRestores } from "./restores.js";
import { DAY_MS, dueAt, isColder, matchesFilter, type LifecycleBucket, type StoredLifecycle, type StoredRule } from "./rules.js";
import { runTiering } from "./tiering.js";

const BATCH = 10_000;
const INTERVAL_MS = 60_000;
const FAR = Number.MAX_SAFE_INTEGER;

interface ObjRow {
  key: Buffer;
  size: number;
  last_modified: number;
  storage_class: string;
  tags: string;
  version_id: string;
  etag: string;
}
interface VerRow extends ObjRow {
  ord: number;
  delete_marker: number;
  headers: string;
}

function prepare(db: Db) {
  const cols = "key, size, last_modified, storage_class, tags, version_id, etag";
  return {
    objects: db.prepare(`SELECT ${cols} FROM s3_objects WHERE bucket = ? AND key > ? AND key < ? AND last_modified <= ? ORDER BY key LIMIT ?`),
    objectsFirst: db.prepare(`SELECT ${cols} FROM s3_objects WHERE bucket = ? AND key >= ? AND key < ? AND last_modified <= ? ORDER BY key LIMIT ?`),
    versions: db.prepare(`SELECT ${cols}, ord, delete_marker, headers FROM s3_versions WHERE bucket = ? AND (key, ord) > (?, ?) AND key < ? ORDER BY key, ord LIMIT ?`),
    current: db.prepare("SELECT last_modified FROM s3_objects WHERE bucket = ? AND key = ?"),
    versionCount: db.prepare("SELECT count(*) AS n FROM s3_versions WHERE bucket = ? AND key = ?"),
    setClass: db.prepare("UPDATE s3_objects SET storage_class = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
    setVersionClass: db.prepare("UPDATE s3_versions SET storage_class = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
    uploads: db.prepare("SELECT upload_id, key, initiated FROM s3_uploads WHERE bucket = ? AND key >= ? AND key < ? AND initiated <= ?"),
  };
}
const stmts = perDatabase(prepare);

/** Upper bound of a prefix's key range (a byte string above every key). */
function rangeEnd(prefix: Buffer): Buffer {
  return nextPrefix(prefix) ?? Buffer.alloc(1025, 0xff);
}

/** The latest last_modified an object can have and still have some Days/Date action of `when` due by `now`. */
function cutoff(whens: Array<{ days?: number; date?: number }>, now: number): number {
  let c = -FAR;
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (const w of whens) {
    if (w.date !== undefined) c = w.date <= now ? FAR : c;
    else c = Math.max(c, today - (w.days ?? 0) * DAY_MS);
  }
  return c;
}

interface Change {
  key: string;
  versionId: string;
  kind: "expire" | "transition" | "delete-version";
  storageClass?: string;
  size: number;
  etag: string;
}

export interface LifecycleStats {
  buckets: number;
  expired: number;
  transitioned: number;
  versionsDeleted: number;
  uploadsAborted: number;
}

/** Applies a batch of changes in one transaction; deletes freed blobs after it; emits events. */
function apply(rt: ServiceRuntime, bucket: string, changes: Change[], stats: LifecycleStats): void {
  if (changes.length === 0) return;
  const s = stmts(rt.db);
  const docs = new DocStore(rt.db, "s3", "global");
  const now = rt.clock.now();
  const freed: string[] = [];
  const events: Array<{ eventName: string; c: Change; versionId?: string }> = [];
  inTransaction(rt.db, () => {
    const b = docs.get<LifecycleBucket>("bucket", bucket);
    if (!b?.lifecycle) return;
    for (const c of changes) {
      const k = Buffer.from(c.key, "utf8");
      if (c.kind === "transition") {
        const r1 = s.setClass.run(c.storageClass, bucket, k, c.versionId);
        if (r1.changes === 0) s.setVersionClass.run(c.storageClass, bucket, k, c.versionId);
        stats.transitioned++;
        events.push({ eventName: "LifecycleTransition", c, versionId: c.versionId });
      } else if (c.kind === "expire") {
        const r = deleteCurrent(rt.db, b.versioning, bucket, c.key, now);
        freed.push(...r.freed);
        stats.expired++;
        events.push(r.marker ? { eventName: "LifecycleExpiration:DeleteMarkerCreated", c, versionId: r.marker.versionId } : { eventName: "LifecycleExpiration:Delete", c });
      } else {
        const r = deleteVersion(rt.db, bucket, c.key, c.versionId);
        freed.push(...r.freed);
        if (r.removed) stats.versionsDeleted++;
        events.push({ eventName: "LifecycleExpiration:Delete", c, versionId: c.versionId });
      }
    }
  });
  for (const id of freed) void rt.blobs.delete(id);
  for (const e of events) {
    emitS3Event(rt, bucket, {
      eventName: e.eventName,
      // S3 sends lifecycle events as eventVersion 2.3 (S3 User Guide, "Event message structure").
      eventVersion: "2.3",
      key: e.c.key,
      ...(e.eventName === "LifecycleExpiration:DeleteMarkerCreated" ? {} : { size: e.c.size, eTag: e.c.etag }),
      ...(e.versionId !== undefined ? { versionId: e.versionId } : {}),
      ...(e.eventName === "LifecycleTransition" ? { extra: { lifecycleEventData: { transitionEventData: { destinationStorageClass: e.c.storageClass } } } } : {}),
    });
  }
}

function tagsOf(r: ObjRow, rule: StoredRule): Array<{ Key: string; Value: string }> {
  return rule.filter.tags.length ? (JSON.parse(r.tags) as Array<{ Key: string; Value: string }>) : [];
}

/** 1. Current versions under the rule's prefix, old enough for one of its actions. */
function currentPass(rt: ServiceRuntime, bucket: string, lc: StoredLifecycle, rule: StoredRule, now: number, stats: LifecycleStats): void {
  const exp = rule.expiration && (rule.expiration.days !== undefined || rule.expiration.date !== undefined) ? rule.expiration : undefined;
  if (!exp && rule.transitions.length === 0) return;
  const whens = [...(exp ? [exp] : []), ...rule.transitions];
  const limit = cutoff(whens, now);
  if (limit === -FAR) return;
  const s = stmts(rt.db);
  const prefix = Buffer.from(rule.filter.prefix, "utf8");
  const end = rangeEnd(prefix);
  const minSize = lc.transitionDefaultMinimumObjectSize === "all_storage_classes_128K" ? 128 * 1024 : 0;
  let from: Buffer = prefix;
  let first = true;
  for (;;) {
    const rows = (first ? s.objectsFirst : s.objects).all(bucket, from, end, Math.min(limit, FAR), BATCH) as ObjRow[];
    first = false;
    const changes: Change[] = [];
    for (const r of rows) {
      const key = r.key.toString("utf8");
      if (!matchesFilter(rule.filter, key, r.size, tagsOf(r, rule))) continue;
      const base = { key, versionId: r.version_id, size: r.size, etag: r.etag };
      if (exp && dueAt(r.last_modified, exp) <= now) {
        changes.push({ ...base, kind: "expire" });
        continue;
      }
      if (r.size < minSize) continue;
      let target: string | undefined;
      for (const t of rule.transitions) {
        if (dueAt(r.last_modified, t) <= now && isColder(t.storageClass, target ?? r.storage_class)) target = t.storageClass;
      }
      if (target) changes.push({ ...base, kind: "transition", storageClass: target });
    }
    apply(rt, bucket, changes, stats);
    if (rows.length < BATCH) return;
    from = rows[rows.length - 1].key;
  }
}

/** 2. Noncurrent versions and expired delete markers under the rule's prefix. */
function versionsPass(rt: ServiceRuntime, bucket: string, lc: StoredLifecycle, rule: StoredRule, now: number, stats: LifecycleStats): void {
  const ne = rule.noncurrentExpiration;
  const eodm = rule.expiration?.expiredObjectDeleteMarker === true;
  if (!ne && rule.noncurrentTransitions.length === 0 && !eodm) return;
  const s = stmts(rt.db);
  const prefix = Buffer.from(rule.filter.prefix, "utf8");
  const end = rangeEnd(prefix);
  const minSize = lc.transitionDefaultMinimumObjectSize === "all_storage_classes_128K" ? 128 * 1024 : 0;
  let fromKey: Buffer = prefix;
  let fromOrd = -FAR;
  // Per-key walk state, kept across batches.
  let curKey: string | undefined;
  let successor = 0;
  let index = 0;
  for (;;) {
    const rows = s.versions.all(bucket, fromKey, fromOrd, end, BATCH) as VerRow[];
    const changes: Change[] = [];
    for (const r of rows) {
      const key = r.key.toString("utf8");
      const base = { key, versionId: r.version_id, size: r.size, etag: r.etag };
      if (key !== curKey) {
        curKey = key;
        index = 0;
        const cur = s.current.get(bucket, r.key) as { last_modified: number } | undefined;
        if (!cur) {
          // The newest version is current (a delete marker, by the version store's invariant).
          successor = r.last_modified;
          if (eodm && r.delete_marker === 1 && (s.versionCount.get(bucket, r.key) as { n: number }).n === 1) {
            changes.push({ ...base, kind: "delete-version" });
          }
          continue;
        }
        successor = cur.last_modified;
      }
      const since = successor;
      successor = r.last_modified;
      const j = index++;
      if (!matchesFilter(rule.filter, key, r.size, tagsOf(r, rule))) continue;
      if (ne && dueAt(since, ne) <= now && (ne.newer === undefined || j >= ne.newer)) {
        // Object Lock outranks lifecycle: a version under retention or legal hold stays.
        if (!(r.headers.includes('"lock"') && deleteBlocked({ headers: JSON.parse(r.headers) as object }, now, false))) changes.push({ ...base, kind: "delete-version" });
        continue;
      }
      if (r.delete_marker === 1 || r.size < minSize) continue;
      let target: string | undefined;
      for (const t of rule.noncurrentTransitions) {
        if (dueAt(since, t) <= now && (t.newer === undefined || j >= t.newer) && isColder(t.storageClass, target ?? r.storage_class)) target = t.storageClass;
      }
      if (target) changes.push({ ...base, kind: "transition", storageClass: target });
    }
    apply(rt, bucket, changes, stats);
    if (rows.length < BATCH) return;
    fromKey = rows[rows.length - 1].key;
    fromOrd = rows[rows.length - 1].ord;
  }
}

/** 3. Incomplete multipart uploads. */
function uploadsPass(rt: ServiceRuntime, bucket: string, rule: StoredRule, now: number, stats: LifecycleStats): void {
  if (rule.abortDays === undefined) return;
  const s = stmts(rt.db);
  const prefix = Buffer.from(rule.filter.prefix, "utf8");
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const rows = s.uploads.all(bucket, prefix, rangeEnd(prefix), today - rule.abortDays * DAY_MS) as Array<{ upload_id: string; key: Buffer; initiated: number }>;
  if (rows.length === 0) return;
  const freed: string[] = [];
  inTransaction(rt.db, () => {
    for (const u of rows) {
      if (dueAt(u.initiated, { days: rule.abortDays }) > now) continue;
      freed.push(...deleteUpload(rt.db, u.upload_id));
      stats.uploadsAborted++;
    }
  });
  for (const id of freed) void rt.blobs.delete(id);
}

/** One pass over every bucket with a lifecycle configuration not yet evaluated today. */
export function runLifecycle(rt: ServiceRuntime): LifecycleStats {
  const stats: LifecycleStats = { buckets: 0, expired: 0, transitioned: 0, versionsDeleted: 0, uploadsAborted: 0 };
  const docs = new DocStore(rt.db, "s3", "global");
  const now = rt.clock.now();
  const day = Math.floor(now / DAY_MS);
  for (const { id: bucket, doc } of docs.list<{ lastRunDay: number }>("lifecycle")) {
    if (doc.lastRunDay === day) continue;
    const b = docs.get<LifecycleBucket>("bucket", bucket);
    if (!b?.lifecycle) {
      docs.delete("lifecycle", bucket);
      continue;
    }
    stats.buckets++;
    for (const rule of b.lifecycle.rules) {
      if (!rule.enabled) continue;
      currentPass(rt, bucket, b.lifecycle, rule, now, stats);
      versionsPass(rt, bucket, b.lifecycle, rule, now, stats);
      uploadsPass(rt, bucket, rule, now, stats);
    }
    // Only if the configuration was not replaced meanwhile (a Put resets lastRunDay to -1).
    const after = docs.get<{ lastRunDay: number }>("lifecycle", bucket);
    if (after && after.lastRunDay === doc.lastRunDay) docs.put("lifecycle", bucket, { lastRunDay: day });
  }
  return stats;
}

/**
 * The worker of one Nimbus (core/clock/background-worker.ts): a pass at start (a restart
 * catches up), after every clock advance, done before the advance answers (runOnAdvance: what
 * the advance expired is gone for the caller's next request), and once a minute of wall time,
 * so a day boundary crossed in real time is noticed. Each pass also does the restore pass
 * (restores.ts: ObjectRestore:Completed / Delete) and the Intelligent-Tiering archive pass
 * (tiering.ts).
 */
const lifecycle = workerPerDatabase<ServiceRuntime>({
  name: "s3 lifecycle",
  runOnAdvance: true,
  maxSleepMs: INTERVAL_MS,
  run(rt) {
    runLifecycle(rt);
    runTiering(rt);
    runRestores(rt);
    return rt.clock.now() + INTERVAL_MS;
  },
});

export function startLifecycleWorker(rt: ServiceRuntime): void {
  lifecycle.start(rt);
}

export function stopLifecycleWorker(rt?: ServiceRuntime): void {
  lifecycle.stop(rt?.db);
}
