// S3 object metadata: one SQLite table, keyed by (bucket, key) WITHOUT ROWID, so a listing is
// a range scan of the primary key. Keys are stored as BLOBs of their UTF-8 bytes: SQLite
// compares BLOBs with memcmp, which is exactly S3's order (UTF-8 binary), and lets the
// listing seek to "the first key after every key starting with P" by incrementing P's last
// byte (see nextPrefix). Object bytes live in the blob store; the row holds the blob id.
//
// Durability (DESIGN.md principle 5): the blob is written and fsynced first, then the row is
// committed in one transaction, and only after that commit is a replaced blob deleted.
import type { Migration } from "../../core/state/database.js";
import { perDatabase, type Db } from "../../core/state/database.js";

export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE s3_objects (
        bucket        TEXT    NOT NULL,
        key           BLOB    NOT NULL,
        blob_id       TEXT    NOT NULL,
        size          INTEGER NOT NULL,
        etag          TEXT    NOT NULL,
        last_modified INTEGER NOT NULL,
        storage_class TEXT    NOT NULL,
        headers       TEXT    NOT NULL,
        metadata      TEXT    NOT NULL,
        checksums     TEXT    NOT NULL,
        tags          TEXT    NOT NULL,
        PRIMARY KEY (bucket, key)
      ) WITHOUT ROWID;
    `);
  },
  // 2: buckets by owner, so ListBuckets reads the caller's buckets only. Bucket documents stay
  // in the shared document store (global scope); this index is kept in the same transactions.
  (db) => {
    db.exec(`
      CREATE TABLE s3_bucket_owners (
        account_id TEXT NOT NULL,
        name       TEXT NOT NULL,
        PRIMARY KEY (account_id, name)
      ) WITHOUT ROWID;
      INSERT OR IGNORE INTO s3_bucket_owners (account_id, name)
        SELECT json_extract(doc, '$.accountId'), id FROM nimbus_docs WHERE service = 's3' AND scope = 'global' AND kind = 'bucket';
    `);
  },
  // 3: multipart uploads in progress and their parts (bytes in the blob store, one blob a part).
  (db) => {
    db.exec(`
      CREATE TABLE s3_uploads (
        bucket        TEXT    NOT NULL,
        key           BLOB    NOT NULL,
        upload_id     TEXT    NOT NULL,
        initiated     INTEGER NOT NULL,
        storage_class TEXT    NOT NULL,
        headers       TEXT    NOT NULL,
        metadata      TEXT    NOT NULL,
        tags          TEXT    NOT NULL,
        PRIMARY KEY (bucket, key, upload_id)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX s3_uploads_by_id ON s3_uploads (upload_id);
      CREATE TABLE s3_parts (
        upload_id     TEXT    NOT NULL,
        part_number   INTEGER NOT NULL,
        blob_id       TEXT    NOT NULL,
        size          INTEGER NOT NULL,
        etag          TEXT    NOT NULL,
        last_modified INTEGER NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      ) WITHOUT ROWID;
    `);
  },
  // 4: versioning. s3_objects keeps exactly the current, live version of each key (so object
  // listings are unchanged); every other version (noncurrent ones and delete markers, a current
  // delete marker included) lives in s3_versions, ordered newest first by ord = -seq. seq is a
  // write sequence (ms * 1000 + counter); 0 in rows written before this migration, meaning
  // "last_modified * 1000". parts: the part sizes/checksums of a multipart object (JSON), NULL
  // for a single-part one.
  (db) => {
    db.exec(`
      ALTER TABLE s3_objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
      ALTER TABLE s3_objects ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE s3_objects ADD COLUMN parts TEXT;
      CREATE TABLE s3_versions (
        bucket        TEXT    NOT NULL,
        key           BLOB    NOT NULL,
        ord           INTEGER NOT NULL,
        version_id    TEXT    NOT NULL,
        delete_marker INTEGER NOT NULL,
        blob_id       TEXT    NOT NULL,
        size          INTEGER NOT NULL,
        etag          TEXT    NOT NULL,
        last_modified INTEGER NOT NULL,
        storage_class TEXT    NOT NULL,
        headers       TEXT    NOT NULL,
        metadata      TEXT    NOT NULL,
        checksums     TEXT    NOT NULL,
        tags          TEXT    NOT NULL,
        parts         TEXT,
        PRIMARY KEY (bucket, key, ord)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX s3_versions_by_id ON s3_versions (bucket, key, version_id);
      ALTER TABLE s3_parts ADD COLUMN checksums TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE s3_uploads ADD COLUMN checksum TEXT NOT NULL DEFAULT '{}';
    `);
  },
];

/** Content headers stored with an object and returned on GET/HEAD. */
export interface ContentHeaders {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  /** Epoch ms of a parseable Expires header. */
  Expires?: number;
  WebsiteRedirectLocation?: string;
}

export interface ObjectChecksums {
  /** Base64 digests by algorithm name (CRC32, CRC32C, CRC64NVME, SHA1, SHA256). */
  [algorithm: string]: string;
}

/** One part of a multipart object, as GetObject partNumber and GetObjectAttributes need it. */
export interface ObjectPart {
  size: number;
  checksums?: ObjectChecksums;
}

export interface StoredObject {
  bucket: string;
  key: string;
  /** "null" for the null version (unversioned buckets, writes while versioning is suspended). */
  versionId: string;
  /** Write order (see migration 4); 0 for rows from before versioning. */
  seq: number;
  /** Multipart objects only. */
  parts?: ObjectPart[];
  /** How the checksum was computed: FULL_OBJECT (default) or COMPOSITE (multipart). */
  checksumType?: "FULL_OBJECT" | "COMPOSITE";
  blobId: string;
  size: number;
  /** Quoted hex MD5, as sent in ETag headers. */
  etag: string;
  lastModified: number;
  storageClass: string;
  headers: ContentHeaders;
  metadata: Record<string, string>;
  checksums: ObjectChecksums;
  tags: Array<{ Key: string; Value: string }>;
}

export interface Row {
  bucket: string;
  key: Buffer;
  version_id: string;
  seq: number;
  parts: string | null;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: number;
  storage_class: string;
  headers: string;
  metadata: string;
  checksums: string;
  tags: string;
}

/** The listing needs only these columns. */
export interface ListedRow {
  key: Buffer;
  size: number;
  etag: string;
  last_modified: number;
  storage_class: string;
  checksums: string;
}

/** JSON.parse, with the empty object and list most objects store answered without the parser. */
const parseJson = (text: string): unknown => (text === "{}" ? {} : text === "[]" ? [] : JSON.parse(text));

/** `key`: the row's key as a string when the caller has it (saves decoding the bytes). */
export function fromRow(r: Row, key?: string): StoredObject {
  const checksums = JSON.parse(r.checksums) as ObjectChecksums & { "~type"?: string };
  const type = checksums["~type"];
  if (type !== undefined) delete checksums["~type"];
  return {
    bucket: r.bucket,
    key: key ?? r.key.toString("utf8"),
    versionId: r.version_id,
    seq: r.seq || r.last_modified * 1000,
    ...(r.parts ? { parts: JSON.parse(r.parts) as ObjectPart[] } : {}),
    ...(type === "COMPOSITE" ? { checksumType: "COMPOSITE" as const } : {}),
    blobId: r.blob_id,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    storageClass: r.storage_class,
    headers: JSON.parse(r.headers) as ContentHeaders,
    metadata: parseJson(r.metadata) as Record<string, string>,
    checksums,
    tags: parseJson(r.tags) as Array<{ Key: string; Value: string }>,
  };
}

/** The checksums column: the digests, plus "~type" for a composite one. */
export function checksumsColumn(o: StoredObject): string {
  return JSON.stringify(o.checksumType === "COMPOSITE" ? { ...o.checksums, "~type": "COMPOSITE" } : o.checksums);
}

/** The smallest byte string greater than every string that starts with `prefix` (undefined: none). */
export function nextPrefix(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]++;
  return out;
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Db) {
  return {
    get: db.prepare("SELECT * FROM s3_objects WHERE bucket = ? AND key = ?"),
    blobIdOf: db.prepare("SELECT blob_id FROM s3_objects WHERE bucket = ? AND key = ?").pluck(),
    upsert: db.prepare(
      `INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags, version_id, seq, parts)
       VALUES (@bucket, @key, @blob_id, @size, @etag, @last_modified, @storage_class, @headers, @metadata, @checksums, @tags, @version_id, @seq, @parts)
       ON CONFLICT (bucket, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
         last_modified = excluded.last_modified, storage_class = excluded.storage_class, headers = excluded.headers,
         metadata = excluded.metadata, checksums = excluded.checksums, tags = excluded.tags, version_id = excluded.version_id,
         seq = excluded.seq, parts = excluded.parts`,
    ),
    delete: db.prepare("DELETE FROM s3_objects WHERE bucket = ? AND key = ?"),
    setTags: db.prepare("UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ?"),
    any: db.prepare("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1"),
    // Four range-scan shapes: lower bound inclusive or exclusive, with or without an upper bound.
    scanGe: db.prepare("SELECT key, size, etag, last_modified, storage_class, checksums FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?"),
    scanGt: db.prepare("SELECT key, size, etag, last_modified, storage_class, checksums FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?"),
    scanGeLt: db.prepare("SELECT key, size, etag, last_modified, storage_class, checksums FROM s3_objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?"),
    scanGtLt: db.prepare("SELECT key, size, etag, last_modified, storage_class, checksums FROM s3_objects WHERE bucket = ? AND key > ? AND key < ? ORDER BY key LIMIT ?"),
    addOwner: db.prepare("INSERT OR IGNORE INTO s3_bucket_owners (account_id, name) VALUES (?, ?)"),
    dropOwner: db.prepare("DELETE FROM s3_bucket_owners WHERE account_id = ? AND name = ?"),
    ownedAfter: db.prepare("SELECT name FROM s3_bucket_owners WHERE account_id = ? AND name > ? AND name >= ? ORDER BY name"),
    countOwned: db.prepare("SELECT count(*) AS n FROM s3_bucket_owners WHERE account_id = ?"),
    deleteAllOwners: db.prepare("DELETE FROM s3_bucket_owners"),
    deleteAll: db.prepare("DELETE FROM s3_objects"),
    allBlobs: db.prepare("SELECT blob_id FROM s3_objects UNION ALL SELECT blob_id FROM s3_parts UNION ALL SELECT blob_id FROM s3_versions WHERE delete_marker = 0"),
    deleteAllVersions: db.prepare("DELETE FROM s3_versions"),
    deleteAllUploads: db.prepare("DELETE FROM s3_uploads"),
    deleteAllParts: db.prepare("DELETE FROM s3_parts"),
    insertUpload: db.prepare(
      `INSERT INTO s3_uploads (bucket, key, upload_id, initiated, storage_class, headers, metadata, tags, checksum)
       VALUES (@bucket, @key, @upload_id, @initiated, @storage_class, @headers, @metadata, @tags, @checksum)`,
    ),
    getUpload: db.prepare("SELECT * FROM s3_uploads WHERE upload_id = ?"),
    deleteUpload: db.prepare("DELETE FROM s3_uploads WHERE upload_id = ?"),
    getPart: db.prepare("SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?"),
    upsertPart: db.prepare(
      `INSERT INTO s3_parts (upload_id, part_number, blob_id, size, etag, last_modified, checksums) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
         last_modified = excluded.last_modified, checksums = excluded.checksums`,
    ),
    partsAfter: db.prepare("SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?"),
    allParts: db.prepare("SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number"),
    deleteParts: db.prepare("DELETE FROM s3_parts WHERE upload_id = ?"),
    bucketUploads: db.prepare("SELECT upload_id FROM s3_uploads WHERE bucket = ?"),
    uploadsFrom: db.prepare("SELECT * FROM s3_uploads WHERE bucket = ? AND (key > ? OR (key = ? AND upload_id > ?)) ORDER BY key, upload_id LIMIT ?"),
  };
}

const stmts = perDatabase<Statements>(prepare);

// ---- Current rows, cached ----
// Every GET and HEAD reads its key's row, and the primary-key SELECT (a read transaction, the
// row made into a JavaScript object of 14 columns) was a tenth of a 4 KiB GetObject's CPU
// (bench/s3.mjs). Rows are cached per database by (bucket, key bytes), as the document store
// caches documents (core/state/doc-store.ts), and the cache stays exact the same way:
//   1. every write to s3_objects on the connection (store.ts, the direct UPDATEs of Object
//      Lock, replication and lifecycle, a reset) fires TEMP triggers that drop the row's
//      entry at the time of the write (an UPDATE calls back once when the key stays the same,
//      as an overwrite's upsert does: each call into JavaScript is ~1.5 µs);
//   2. it is filled only outside transactions, so it only ever holds committed rows (a
//      transaction that rolls back dropped the entries of the rows it touched and added none);
//   3. only the main connection writes s3_objects.
// Entries are the Row objects SQLite returned; fromRow() never mutates them.

/** Entries kept per database; the oldest go first beyond it. */
const ROWS_MAX = 4096;

interface RowCache {
  rows: Map<string, Row | null>;
}

const rowCaches = new WeakMap<Db, RowCache>();

/** Keys are the bucket name (never holds NUL) and the key's UTF-8 bytes as latin1 (one char a byte: exact). */
const rowKey = (bucket: string, key: Buffer): string => `${bucket}\u0000${key.toString("latin1")}`;
const ASCII = /^[\x00-\x7f]*$/;
/** rowKey from the key as a string: an ASCII key's UTF-8 bytes read as latin1 are the key itself. */
const rowKeyOf = (bucket: string, key: string): string => (ASCII.test(key) ? `${bucket}\u0000${key}` : rowKey(bucket, Buffer.from(key, "utf8")));

/**
 * The database's row cache with its triggers (step 1 above); undefined (read without it) while
 * they cannot be installed: inside a transaction (a rollback would drop them) or while another
 * statement of the connection is being iterated (SQLite refuses new functions then).
 */
function rowCache(db: Db): RowCache | undefined {
  let c = rowCaches.get(db);
  if (!c) {
    if (db.inTransaction) return undefined;
    const rows = new Map<string, Row | null>();
    try {
      db.function("nimbus_s3_row_changed", { deterministic: false }, (bucket: unknown, key: unknown) => {
        rows.delete(rowKey(String(bucket), key as Buffer));
        return null;
      });
      db.exec(`
        CREATE TEMP TRIGGER IF NOT EXISTS nimbus_s3_rows_insert AFTER INSERT ON main.s3_objects
          BEGIN SELECT nimbus_s3_row_changed(NEW.bucket, NEW.key); END;
        CREATE TEMP TRIGGER IF NOT EXISTS nimbus_s3_rows_update AFTER UPDATE ON main.s3_objects
          BEGIN
            SELECT nimbus_s3_row_changed(OLD.bucket, OLD.key);
            SELECT nimbus_s3_row_changed(NEW.bucket, NEW.key) WHERE NEW.bucket IS NOT OLD.bucket OR NEW.key IS NOT OLD.key;
          END;
        CREATE TEMP TRIGGER IF NOT EXISTS nimbus_s3_rows_delete AFTER DELETE ON main.s3_objects
          BEGIN SELECT nimbus_s3_row_changed(OLD.bucket, OLD.key); END;
      `);
    } catch (e) {
      if (e instanceof TypeError && /busy/.test(e.message)) return undefined;
      throw e;
    }
    c = { rows };
    rowCaches.set(db, c);
  }
  return c;
}

/** The key's current row (cached outside transactions, see above). */
function currentRow(db: Db, bucket: string, key: string): Row | undefined {
  const cache = rowCache(db);
  if (!cache) return stmts(db).get.get(bucket, Buffer.from(key, "utf8")) as Row | undefined;
  const ck = rowKeyOf(bucket, key);
  let r = cache.rows.get(ck);
  if (r === undefined) {
    r = (stmts(db).get.get(bucket, Buffer.from(key, "utf8")) as Row | undefined) ?? null;
    // Step 2: only committed rows go in.
    if (!db.inTransaction) {
      if (cache.rows.size >= ROWS_MAX) cache.rows.delete(cache.rows.keys().next().value!);
      cache.rows.set(ck, r);
    }
  }
  return r ?? undefined;
}

/**
 * Cached rows decoded (fromRow's JSON.parse of headers and checksums was ~3% of a 4 KiB
 * GetObject's CPU): keyed by the Row object the row cache holds, so an entry lives exactly as
 * long as that cache keeps the row and a changed row (a new Row object) is decoded afresh.
 * The nested values (headers, metadata, checksums, tags, parts) are frozen and shared by every
 * reader; each caller gets its own top-level copy (handlers set versionId, seq... on rows).
 */
const decodedRows = new WeakMap<Row, StoredObject>();

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

export function getObject(db: Db, bucket: string, key: string): StoredObject | undefined {
  const r = currentRow(db, bucket, key);
  if (!r) return undefined;
  // Rows read inside a transaction are not cached (step 2 above): decoded for this caller only.
  if (db.inTransaction) return fromRow(r, key);
  let o = decodedRows.get(r);
  if (o === undefined) decodedRows.set(r, (o = deepFreeze(fromRow(r, key))));
  return { ...o };
}

/** The blob id of the key's current version (an overwrite of an unversioned key needs nothing else). */
export function currentBlobId(db: Db, bucket: string, key: string): string | undefined {
  const cached = rowCaches.get(db)?.rows.get(rowKeyOf(bucket, key));
  if (cached !== undefined) return cached?.blob_id;
  return stmts(db).blobIdOf.get(bucket, Buffer.from(key, "utf8")) as string | undefined;
}

/**
 * The row putObject wrote last (its statement's parameters are the row as SELECT * returns it),
 * for rememberWritten() once the transaction has committed.
 */
let lastWritten: { db: Db; row: Row } | undefined;

/**
 * After the commit of a transaction whose last write to (bucket, key) was putObject: the row
 * goes into the row cache as committed, so the next write of the key (which reads the old blob
 * id) and the next read find it without a SELECT. Only committed rows go in (step 2 above);
 * the triggers dropped the key's entry at the write.
 */
export function rememberWritten(db: Db, bucket: string, key: string): void {
  const w = lastWritten;
  lastWritten = undefined;
  const cache = rowCaches.get(db);
  if (!w || w.db !== db || !cache || db.inTransaction || w.row.bucket !== bucket || w.row.key.toString("utf8") !== key) return;
  const ck = rowKeyOf(bucket, key);
  if (!cache.rows.has(ck) && cache.rows.size >= ROWS_MAX) cache.rows.delete(cache.rows.keys().next().value!);
  cache.rows.set(ck, w.row);
}

/** Inserts or replaces; returns nothing (the caller read the old row in the same transaction). */
export function putObject(db: Db, o: StoredObject): void {
  const row: Row = {
    bucket: o.bucket,
    key: Buffer.from(o.key, "utf8"),
    blob_id: o.blobId,
    size: o.size,
    etag: o.etag,
    last_modified: o.lastModified,
    storage_class: o.storageClass,
    headers: JSON.stringify(o.headers),
    metadata: JSON.stringify(o.metadata),
    checksums: checksumsColumn(o),
    tags: JSON.stringify(o.tags),
    version_id: o.versionId,
    seq: o.seq,
    parts: o.parts ? JSON.stringify(o.parts) : null,
  };
  stmts(db).upsert.run(row);
  lastWritten = { db, row };
}

export function deleteObjectRow(db: Db, bucket: string, key: string): void {
  stmts(db).delete.run(bucket, Buffer.from(key, "utf8"));
}

export function setObjectTags(db: Db, bucket: string, key: string, tags: Array<{ Key: string; Value: string }>): void {
  stmts(db).setTags.run(JSON.stringify(tags), bucket, Buffer.from(key, "utf8"));
}

export function bucketHasObjects(db: Db, bucket: string): boolean {
  return stmts(db).any.get(bucket) !== undefined;
}

/**
 * Up to `limit` rows of `bucket` in key order from `from` (inclusive or not), below `below` when
 * given. A lazy cursor: SQLite steps one row per iteration, so a caller that stops early (the
 * listing, on meeting a common prefix) reads no further rows.
 */
export function scanKeys(db: Db, bucket: string, from: Buffer, inclusive: boolean, below: Buffer | undefined, limit: number): IterableIterator<ListedRow> {
  const s = stmts(db);
  if (below) return (inclusive ? s.scanGeLt : s.scanGtLt).iterate(bucket, from, below, limit) as IterableIterator<ListedRow>;
  return (inclusive ? s.scanGe : s.scanGt).iterate(bucket, from, limit) as IterableIterator<ListedRow>;
}

export function deleteAllObjects(db: Db): string[] {
  const ids = (stmts(db).allBlobs.all() as Array<{ blob_id: string }>).map((r) => r.blob_id);
  stmts(db).deleteAll.run();
  stmts(db).deleteAllOwners.run();
  stmts(db).deleteAllParts.run();
  stmts(db).deleteAllUploads.run();
  stmts(db).deleteAllVersions.run();
  return ids;
}

export function addBucketOwner(db: Db, accountId: string, name: string): void {
  stmts(db).addOwner.run(accountId, name);
}

export function dropBucketOwner(db: Db, accountId: string, name: string): void {
  stmts(db).dropOwner.run(accountId, name);
}

export function countOwnedBuckets(db: Db, accountId: string): number {
  return (stmts(db).countOwned.get(accountId) as { n: number }).n;
}

/** The account's bucket names in order, after `after`, starting with `prefix` (a lazy cursor). */
export function* ownedBuckets(db: Db, accountId: string, after: string, prefix: string): Generator<string> {
  for (const r of stmts(db).ownedAfter.iterate(accountId, after, prefix) as IterableIterator<{ name: string }>) {
    if (!r.name.startsWith(prefix)) return;
    yield r.name;
  }
}

// ---- Multipart uploads ----

export interface StoredUpload {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: number;
  storageClass: string;
  headers: ContentHeaders;
  metadata: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  /** The upload's checksum algorithm and type (CreateMultipartUpload); absent when none was asked for. */
  checksum: { algorithm?: string; type?: "COMPOSITE" | "FULL_OBJECT" };
}

export interface StoredPart {
  partNumber: number;
  blobId: string;
  size: number;
  /** Quoted hex MD5. */
  etag: string;
  lastModified: number;
  /** Base64 digests of the part by algorithm. */
  checksums: ObjectChecksums;
}

interface UploadRow {
  bucket: string;
  key: Buffer;
  upload_id: string;
  initiated: number;
  storage_class: string;
  headers: string;
  metadata: string;
  tags: string;
  checksum: string;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: number;
  checksums: string;
}

function uploadFromRow(r: UploadRow): StoredUpload {
  return {
    bucket: r.bucket,
    key: r.key.toString("utf8"),
    uploadId: r.upload_id,
    initiated: r.initiated,
    storageClass: r.storage_class,
    headers: JSON.parse(r.headers) as ContentHeaders,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    tags: JSON.parse(r.tags) as Array<{ Key: string; Value: string }>,
    checksum: JSON.parse(r.checksum) as StoredUpload["checksum"],
  };
}

function partFromRow(r: PartRow): StoredPart {
  return { partNumber: r.part_number, blobId: r.blob_id, size: r.size, etag: r.etag, lastModified: r.last_modified, checksums: JSON.parse(r.checksums) as ObjectChecksums };
}

export function insertUpload(db: Db, u: StoredUpload): void {
  stmts(db).insertUpload.run({
    bucket: u.bucket,
    key: Buffer.from(u.key, "utf8"),
    upload_id: u.uploadId,
    initiated: u.initiated,
    storage_class: u.storageClass,
    headers: JSON.stringify(u.headers),
    metadata: JSON.stringify(u.metadata),
    tags: JSON.stringify(u.tags),
    checksum: JSON.stringify(u.checksum),
  });
}

export function getUpload(db: Db, uploadId: string): StoredUpload | undefined {
  const r = stmts(db).getUpload.get(uploadId) as UploadRow | undefined;
  return r ? uploadFromRow(r) : undefined;
}

/** Deletes the upload and its part rows; returns the parts' blob ids (to delete after the commit). */
export function deleteUpload(db: Db, uploadId: string): string[] {
  const ids = (stmts(db).allParts.all(uploadId) as PartRow[]).map((r) => r.blob_id);
  stmts(db).deleteParts.run(uploadId);
  stmts(db).deleteUpload.run(uploadId);
  return ids;
}

export function getPart(db: Db, uploadId: string, partNumber: number): StoredPart | undefined {
  const r = stmts(db).getPart.get(uploadId, partNumber) as PartRow | undefined;
  return r ? partFromRow(r) : undefined;
}

export function putPart(db: Db, uploadId: string, p: StoredPart): void {
  stmts(db).upsertPart.run(uploadId, p.partNumber, p.blobId, p.size, p.etag, p.lastModified, JSON.stringify(p.checksums));
}

export function listParts(db: Db, uploadId: string, after: number, limit: number): StoredPart[] {
  return (stmts(db).partsAfter.all(uploadId, after, limit) as PartRow[]).map(partFromRow);
}

export function allParts(db: Db, uploadId: string): StoredPart[] {
  return (stmts(db).allParts.all(uploadId) as PartRow[]).map(partFromRow);
}

/** Deletes every upload of the bucket (DeleteBucket); returns their parts' blob ids. */
export function deleteBucketUploads(db: Db, bucket: string): string[] {
  const ids: string[] = [];
  for (const r of stmts(db).bucketUploads.all(bucket) as Array<{ upload_id: string }>) ids.push(...deleteUpload(db, r.upload_id));
  return ids;
}

/** Uploads of `bucket` in (key, upload id) order after the given marker. */
export function listUploads(db: Db, bucket: string, keyMarker: string | Buffer, uploadIdMarker: string, limit: number): StoredUpload[] {
  const k = typeof keyMarker === "string" ? Buffer.from(keyMarker, "utf8") : keyMarker;
  return (stmts(db).uploadsFrom.all(bucket, k, k, uploadIdMarker, limit) as UploadRow[]).map(uploadFromRow);
}
