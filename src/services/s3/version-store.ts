// S3 versions (migration 4). The current, live version of a key is its s3_objects row; every
// other version, and every delete marker, is an s3_versions row ordered newest first
// (ord = -seq). The functions here run inside the caller's transaction and return the blob ids
// they made unreferenced, for the caller to delete after the commit (DESIGN.md principle 5).
//
// Invariants kept by every function:
//   - a key has an s3_objects row iff its newest version is not a delete marker;
//   - a key has at most one "null" version (in either table);
//   - a delete marker has no blob (blob_id '').
import { randomPooled } from "../../core/blobs/random.js";
import { perDatabase, type Db } from "../../core/state/database.js";
import { checksumsColumn, currentBlobId, deleteObjectRow, fromRow, getObject, putObject, type Row, type StoredObject } from "./store.js";

export type VersioningStatus = "Enabled" | "Suspended" | undefined;

/** A version of a key: an object version or a delete marker. */
export interface StoredVersion extends StoredObject {
  deleteMarker: boolean;
}

interface VersionRow extends Row {
  ord: number;
  delete_marker: number;
}

function fromVersionRow(r: VersionRow): StoredVersion {
  return { ...fromRow({ ...r, seq: -r.ord }), deleteMarker: r.delete_marker === 1 };
}

let lastSeq = 0;
/** A write sequence number: milliseconds * 1000 plus a counter, strictly increasing in this process. */
export function nextSeq(nowMs: number): number {
  lastSeq = Math.max(lastSeq + 1, nowMs * 1000);
  return lastSeq;
}

/**
 * An opaque version id like S3's: 32 URL-safe characters. S3's ids use `.` and `_` but never
 * `-`, and an id starting with `-` breaks command lines (`aws s3api ... --version-id -x` reads it
 * as an option), so base64url's `-` becomes `.`.
 */
export function newVersionId(): string {
  return randomPooled(24).toString("base64url").replaceAll("-", ".");
}

/** Is this a version id Nimbus could have issued ("null" or 32 URL-safe characters)? */
export function isWellFormedVersionId(v: string): boolean {
  return v === "null" || /^[A-Za-z0-9._-]{32}$/.test(v);
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Db) {
  return {
    insert: db.prepare(
      `INSERT INTO s3_versions (bucket, key, ord, version_id, delete_marker, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags, parts)
       VALUES (@bucket, @key, @ord, @version_id, @delete_marker, @blob_id, @size, @etag, @last_modified, @storage_class, @headers, @metadata, @checksums, @tags, @parts)`,
    ),
    byId: db.prepare("SELECT * FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?"),
    newest: db.prepare("SELECT * FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY ord LIMIT 1"),
    deleteById: db.prepare("DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?"),
    setTags: db.prepare("UPDATE s3_versions SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
    any: db.prepare("SELECT 1 FROM s3_versions WHERE bucket = ? LIMIT 1"),
    // Listing: the rest of one key's versions after an ord, and whole keys from a bound.
    keyAfterOrd: db.prepare("SELECT * FROM s3_versions WHERE bucket = ? AND key = ? AND ord > ? ORDER BY ord LIMIT ?"),
    from: db.prepare("SELECT * FROM s3_versions WHERE bucket = ? AND (key, ord) > (?, ?) AND key < ? ORDER BY key, ord LIMIT ?"),
    objectsFrom: db.prepare("SELECT * FROM s3_objects WHERE bucket = ? AND key > ? AND key < ? ORDER BY key LIMIT ?"),
    objectsFromIncl: db.prepare("SELECT * FROM s3_objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?"),
  };
}

const stmts = perDatabase<Statements>(prepare);

const keyBuf = (k: string): Buffer => Buffer.from(k, "utf8");

function insertVersion(db: Db, v: StoredObject, deleteMarker: boolean): void {
  stmts(db).insert.run({
    bucket: v.bucket,
    key: keyBuf(v.key),
    ord: -v.seq,
    version_id: v.versionId,
    delete_marker: deleteMarker ? 1 : 0,
    blob_id: deleteMarker ? "" : v.blobId,
    size: v.size,
    etag: v.etag,
    last_modified: v.lastModified,
    storage_class: v.storageClass,
    headers: JSON.stringify(v.headers),
    metadata: JSON.stringify(v.metadata),
    checksums: checksumsColumn(v),
    tags: JSON.stringify(v.tags),
    parts: v.parts ? JSON.stringify(v.parts) : null,
  });
}

/** A version of a key by id, current or not (undefined: no such version). */
export function getVersion(db: Db, bucket: string, key: string, versionId: string): StoredVersion | undefined {
  const cur = getObject(db, bucket, key);
  if (cur && cur.versionId === versionId) return { ...cur, deleteMarker: false };
  const r = stmts(db).byId.get(bucket, keyBuf(key), versionId) as VersionRow | undefined;
  return r ? fromVersionRow(r) : undefined;
}

/** The key's current delete marker, when its newest version is one. */
export function currentDeleteMarker(db: Db, bucket: string, key: string): StoredVersion | undefined {
  if (getObject(db, bucket, key)) return undefined;
  const r = stmts(db).newest.get(bucket, keyBuf(key)) as VersionRow | undefined;
  return r && r.delete_marker === 1 ? fromVersionRow(r) : undefined;
}

export function bucketHasVersions(db: Db, bucket: string): boolean {
  return stmts(db).any.get(bucket) !== undefined;
}

export function setVersionTags(db: Db, bucket: string, key: string, versionId: string, tags: Array<{ Key: string; Value: string }>): void {
  stmts(db).setTags.run(JSON.stringify(tags), bucket, keyBuf(key), versionId);
}

/** Removes the key's null version from s3_versions (Suspended writes replace it). */
function dropNullVersion(db: Db, bucket: string, key: string, freed: string[]): void {
  const r = stmts(db).byId.get(bucket, keyBuf(key), "null") as VersionRow | undefined;
  if (!r) return;
  if (r.delete_marker === 0) freed.push(r.blob_id);
  stmts(db).deleteById.run(bucket, keyBuf(key), "null");
}

/**
 * Steps to retire the current version before a new one (object or delete marker) takes its place:
 *   1. unversioned: the current row is replaced, its blob freed;
 *   2. Enabled: the current row moves to s3_versions, kept whole;
 *   3. Suspended: a current null version is replaced (blob freed), any other moves to
 *      s3_versions; a noncurrent null version (object or marker) is removed too.
 */
function retireCurrent(db: Db, status: VersioningStatus, bucket: string, key: string, keepBlob: string | undefined): string[] {
  const freed: string[] = [];
  if (status === undefined) {
    // Unversioned: the old version goes, and only its blob id matters.
    const old = currentBlobId(db, bucket, key);
    if (old !== undefined && old !== keepBlob) freed.push(old);
    return freed;
  }
  const cur = getObject(db, bucket, key);
  if (cur) {
    if (status === undefined || (status === "Suspended" && cur.versionId === "null")) {
      if (cur.blobId !== keepBlob) freed.push(cur.blobId);
    } else {
      insertVersion(db, cur, false);
    }
  }
  if (status === "Suspended") dropNullVersion(db, bucket, key, freed);
  return freed;
}

/** Makes `row` (versionId and seq already set) the key's current version. */
export function commitCurrent(db: Db, status: VersioningStatus, row: StoredObject): string[] {
  const freed = retireCurrent(db, status, row.bucket, row.key, row.blobId);
  putObject(db, row);
  return freed;
}

/** DeleteObject without a version id: removes the object, or (versioned) adds a delete marker. */
export function deleteCurrent(db: Db, status: VersioningStatus, bucket: string, key: string, nowMs: number): { freed: string[]; marker?: StoredVersion } {
  const freed = retireCurrent(db, status, bucket, key, undefined);
  deleteObjectRow(db, bucket, key);
  if (status === undefined) return { freed };
  const marker: StoredVersion = {
    bucket,
    key,
    versionId: status === "Enabled" ? newVersionId() : "null",
    seq: nextSeq(nowMs),
    blobId: "",
    size: 0,
    etag: "",
    lastModified: Math.floor(nowMs / 1000) * 1000,
    storageClass: "STANDARD",
    headers: {},
    metadata: {},
    checksums: {},
    tags: [],
    deleteMarker: true,
  };
  insertVersion(db, marker, true);
  return { freed, marker };
}

/**
 * DeleteObject with a version id: removes that version for good.
 *   1. the current version: drop its row and free its blob;
 *   2. otherwise the s3_versions row (a marker has no blob);
 *   3. if the key now has no current row and its newest remaining version is an object,
 *      that version becomes current again (moves back to s3_objects).
 */
export function deleteVersion(db: Db, bucket: string, key: string, versionId: string): { freed: string[]; removed?: StoredVersion } {
  const freed: string[] = [];
  const k = keyBuf(key);
  let removed: StoredVersion | undefined;
  const cur = getObject(db, bucket, key);
  // 1.
  if (cur && cur.versionId === versionId) {
    deleteObjectRow(db, bucket, key);
    freed.push(cur.blobId);
    removed = { ...cur, deleteMarker: false };
  } else {
    // 2.
    const r = stmts(db).byId.get(bucket, k, versionId) as VersionRow | undefined;
    if (!r) return { freed };
    stmts(db).deleteById.run(bucket, k, versionId);
    if (r.delete_marker === 0) freed.push(r.blob_id);
    removed = fromVersionRow(r);
  }
  // 3.
  if (!getObject(db, bucket, key)) {
    const next = stmts(db).newest.get(bucket, k) as VersionRow | undefined;
    if (next && next.delete_marker === 0) {
      const v = fromVersionRow(next);
      stmts(db).deleteById.run(bucket, k, v.versionId);
      const { deleteMarker: _m, ...obj } = v;
      putObject(db, obj);
    }
  }
  return { freed, removed };
}

// ---- Listing ----

/** One entry of ListObjectVersions. */
export interface VersionEntry extends StoredVersion {
  isLatest: boolean;
}

const BATCH = 64;

/**
 * The versions of `bucket` in S3's order (key ascending as UTF-8 bytes, newest version first),
 * from `from` (inclusive or not) up to `below`, or from just after version `afterOrd` of `from`.
 * Two lazily fetched, batched range scans (s3_objects for current versions, s3_versions for the
 * rest) merged by key, the current version first within a key. Batches are fetched with .all()
 * because better-sqlite3 forbids two open iterators on one connection.
 */
export function* versionEntries(
  db: Db,
  bucket: string,
  from: Buffer,
  opts: { inclusive: boolean; below: Buffer; afterOrd?: number },
): Generator<VersionEntry> {
  const s = stmts(db);
  // Current versions: keys from `from` (strictly after when resuming past it or exclusive).
  let objKey = from;
  let objIncl = opts.inclusive && opts.afterOrd === undefined;
  let objBuf: Row[] = [];
  let objDone = false;
  const nextObj = (): Row | undefined => {
    if (objBuf.length === 0 && !objDone) {
      objBuf = (objIncl ? s.objectsFromIncl : s.objectsFrom).all(bucket, objKey, opts.below, BATCH) as Row[];
      if (objBuf.length < BATCH) objDone = true;
      if (objBuf.length) {
        objKey = objBuf[objBuf.length - 1].key;
        objIncl = false;
      }
    }
    return objBuf[0];
  };
  // Other versions: (key, ord) after (from, afterOrd), or from the start/end of `from`.
  let verKey = from;
  let verOrd = opts.afterOrd ?? (opts.inclusive ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER);
  let verBuf: VersionRow[] = [];
  let verDone = false;
  const nextVer = (): VersionRow | undefined => {
    if (verBuf.length === 0 && !verDone) {
      verBuf = s.from.all(bucket, verKey, verOrd, opts.below, BATCH) as VersionRow[];
      if (verBuf.length < BATCH) verDone = true;
      if (verBuf.length) {
        const last = verBuf[verBuf.length - 1];
        verKey = last.key;
        verOrd = last.ord;
      }
    }
    return verBuf[0];
  };
  // A resumed key's remaining versions are never the latest (a newer one came before them).
  let lastKey: Buffer | undefined = opts.afterOrd !== undefined ? from : undefined;
  for (;;) {
    const o = nextObj();
    const v = nextVer();
    if (!o && !v) return;
    if (o && (!v || Buffer.compare(o.key, v.key) <= 0)) {
      objBuf.shift();
      lastKey = o.key;
      yield { ...fromRow(o), deleteMarker: false, isLatest: true };
    } else if (v) {
      verBuf.shift();
      const latest = lastKey === undefined || !lastKey.equals(v.key);
      lastKey = v.key;
      yield { ...fromVersionRow(v), isLatest: latest };
    }
  }
}

/** The ord of a version for resuming a listing after it: "current" when it is the current row. */
export function versionOrd(db: Db, bucket: string, key: string, versionId: string): number | "current" | undefined {
  const cur = getObject(db, bucket, key);
  if (cur && cur.versionId === versionId) return "current";
  const r = stmts(db).byId.get(bucket, keyBuf(key), versionId) as VersionRow | undefined;
  return r ? r.ord : undefined;
}
