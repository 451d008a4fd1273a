// Replication, asynchronous as on AWS: a write to a bucket with a matching enabled rule marks the
// new version PENDING and queues a task (a document, in the write's own transaction, so an
// acknowledged write is never forgotten); the worker then
//   1. assumes the configuration's role as s3.amazonaws.com (its trust policy must allow S3)
//      and checks the role's identity policies allow s3:GetObjectVersionForReplication on the
//      source and s3:ReplicateObject (s3:ReplicateDelete for markers) on the destination;
//      otherwise the source version becomes FAILED;
//   2. copies the version (same version id, metadata, tags, checksums; re-encrypted with its
//      own SSE-S3 IV) into the destination bucket, marked REPLICA, or adds a delete marker;
//   3. marks the source version COMPLETED.
import type { Readable } from "node:stream";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import { servicePrincipal, type Principal, type ServiceRuntime } from "../../../core/service.js";
import { evaluate } from "../../../core/iam/evaluate.js";
import type { StoredBucket } from "../handlers/buckets.js";
import { getObject, type StoredObject } from "../store.js";
import { commitCurrent, deleteCurrent, getVersion, nextSeq } from "../version-store.js";
import { matchesFilter } from "../lifecycle/rules.js";
import { CtrTransform, decrypting, newIv, s3ManagedCipher } from "../encryption/cipher.js";
import { storedSse } from "../encryption/sse.js";
import type { ReplicatingBucket, StoredReplicationRule } from "./config.js";

export type ReplicationStatus = "PENDING" | "COMPLETED" | "FAILED" | "REPLICA";

interface Task {
  bucket: string;
  key: string;
  versionId: string;
  kind: "object" | "marker";
}

const globalDocs = (db: Db) => new DocStore(db, "s3", "global");

/** The highest-priority enabled rule selecting this key (and tags); undefined: not replicated. */
function ruleFor(b: ReplicatingBucket, key: string, size: number, tags: Array<{ Key: string; Value: string }>): StoredReplicationRule | undefined {
  let best: StoredReplicationRule | undefined;
  for (const r of b.replication?.rules ?? []) {
    if (!r.enabled || !matchesFilter(r.filter, key, size, tags)) continue;
    if (!best || r.priority > best.priority) best = r;
  }
  return best;
}

function enqueue(db: Db, t: Task, seq: number): void {
  globalDocs(db).put<Task>("repl-task", `${String(seq).padStart(20, "0")}`, t);
  wake(db);
}

/** Inside a write's transaction, before the row is committed: PENDING and a task when a rule selects it. */
export function markForReplication(db: Db, bucket: StoredBucket, row: StoredObject): void {
  const b = bucket as ReplicatingBucket;
  if (!b.replication || bucket.versioning !== "Enabled") return;
  const h = row.headers as { replication?: ReplicationStatus };
  if (h.replication === "REPLICA") return;
  if (!ruleFor(b, row.key, row.size, row.tags)) {
    delete h.replication;
    return;
  }
  h.replication = "PENDING";
  enqueue(db, { bucket: row.bucket, key: row.key, versionId: row.versionId, kind: "object" }, row.seq);
}

/** Inside DeleteObject's transaction: a delete marker is replicated when the rule says so. */
export function markDeleteMarker(db: Db, bucket: StoredBucket, marker: { key: string; versionId: string; seq: number }): void {
  const b = bucket as ReplicatingBucket;
  if (!b.replication) return;
  const rule = ruleFor(b, marker.key, 0, []);
  if (!rule?.deleteMarkers) return;
  enqueue(db, { bucket: b.name, key: marker.key, versionId: marker.versionId, kind: "marker" }, marker.seq);
}

/** The x-amz-replication-status a GET/HEAD reports. */
export function replicationMembers(o: { headers: object }): Record<string, unknown> {
  const s = (o.headers as { replication?: ReplicationStatus }).replication;
  return s ? { ReplicationStatus: s } : {};
}

// ---- The worker ----

const workers = perDatabase((db: Db) => ({ db, rt: undefined as ServiceRuntime | undefined, running: false, again: false, timer: undefined as NodeJS.Timeout | undefined }));

function wake(db: Db): void {
  const w = workers(db);
  if (!w.rt) return;
  setImmediate(() => void drain(w.rt!));
}

function prepare(db: Db) {
  return {
    current: db.prepare("UPDATE s3_objects SET headers = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
    noncurrent: db.prepare("UPDATE s3_versions SET headers = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
  };
}
const stmts = perDatabase(prepare);

function setStatus(db: Db, bucket: string, key: string, versionId: string, status: ReplicationStatus): void {
  const v = getVersion(db, bucket, key, versionId);
  if (!v || v.deleteMarker) return;
  const json = JSON.stringify({ ...v.headers, replication: status });
  const k = Buffer.from(key, "utf8");
  if (stmts(db).current.run(json, bucket, k, versionId).changes === 0) stmts(db).noncurrent.run(json, bucket, k, versionId);
}

/** 1. Whether the role may do this replication. */
async function roleAllows(rt: ServiceRuntime, src: ReplicatingBucket, dest: StoredBucket, key: string, kind: Task["kind"]): Promise<boolean> {
  let principal: Principal | undefined;
  try {
    const out = await rt.client.call<{ Credentials?: { AccessKeyId: string } }>(
      "sts",
      "AssumeRole",
      { RoleArn: src.replication!.role, RoleSessionName: "s3-replication" },
      { accountId: src.accountId, region: src.region, principal: { ...servicePrincipal("s3.amazonaws.com"), accountId: src.accountId } },
    );
    principal = out.Credentials ? rt.credentials.resolve(out.Credentials.AccessKeyId)?.principal : undefined;
  } catch {
    return false;
  }
  if (!principal) return false;
  const provider = rt.principalPolicies;
  if (!provider) return true;
  const p = provider.policiesFor(principal);
  if (!p) return false;
  // The role's identity policies, and each bucket's policy as the resource side (another
  // account's destination must grant the role in its bucket policy, as on AWS).
  const can = (action: string, b: StoredBucket, resource: string) => {
    const policy = (b as { policy?: string }).policy;
    const set = { identity: p.identity, ...(p.boundary ? { boundary: p.boundary } : {}), ...(p.session ? { session: p.session } : {}), ...(policy ? { resource: { name: "bucket policy", document: policy } } : {}) };
    return evaluate({ principal, action, resource, resourceAccountId: b.accountId, context: {} }, set).decision === "Allow";
  };
  if (kind === "marker") return can("s3:ReplicateDelete", dest, `arn:aws:s3:::${dest.name}/${key}`);
  return can("s3:GetObjectVersionForReplication", src, `arn:aws:s3:::${src.name}/${key}`) && can("s3:ReplicateObject", dest, `arn:aws:s3:::${dest.name}/${key}`);
}

/** 2-3 for one task; returns when it is done (or given up). */
async function replicate(rt: ServiceRuntime, t: Task): Promise<void> {
  const docs = globalDocs(rt.db);
  const src = docs.get<ReplicatingBucket>("bucket", t.bucket);
  if (!src?.replication) return;
  const source = t.kind === "object" ? getVersion(rt.db, t.bucket, t.key, t.versionId) : undefined;
  if (t.kind === "object" && (!source || source.deleteMarker)) return;
  const rule = ruleFor(src, t.key, source?.size ?? 0, source?.tags ?? []);
  const dest = rule ? docs.get<StoredBucket>("bucket", rule.destinationBucket) : undefined;
  if (!rule || !dest || dest.versioning !== "Enabled" || !(await roleAllows(rt, src, dest, t.key, t.kind))) {
    if (t.kind === "object") inTransaction(rt.db, () => setStatus(rt.db, t.bucket, t.key, t.versionId, "FAILED"));
    return;
  }
  if (t.kind === "marker") {
    inTransaction(rt.db, () => {
      const d = docs.get<StoredBucket>("bucket", dest.name);
      if (d && getObject(rt.db, dest.name, t.key)) deleteCurrent(rt.db, d.versioning, dest.name, t.key, rt.clock.now());
    });
    return;
  }
  const s = source!;
  const sse = storedSse(s);
  if (sse?.kind === "C" || sse?.kind === "KMS") {
    // S3 does not replicate SSE-C objects unless asked to, nor SSE-KMS ones without
    // SseKmsEncryptedObjects; Nimbus never does (GAPS.md).
    inTransaction(rt.db, () => setStatus(rt.db, t.bucket, t.key, t.versionId, "FAILED"));
    return;
  }
  // 2. The bytes, decrypted from the source and encrypted under the replica's own IV.
  const raw = rt.blobs.read(s.blobId);
  const plain: Readable = sse ? decrypting(raw, s3ManagedCipher(docs, Buffer.from(sse.iv, "base64")), 0, 0) : raw;
  const iv = newIv();
  const blob = await rt.blobs.write(plain, [new CtrTransform(s3ManagedCipher(docs, iv))]);
  const replica: StoredObject = {
    ...s,
    bucket: dest.name,
    seq: nextSeq(rt.clock.now()),
    blobId: blob.id,
    storageClass: rule.storageClass ?? s.storageClass,
    headers: { ...s.headers, sse: { kind: "S3", iv: iv.toString("base64") }, replication: "REPLICA" } as StoredObject["headers"],
  };
  let freed: string[] = [];
  try {
    inTransaction(rt.db, () => {
      const d = docs.get<StoredBucket>("bucket", dest.name);
      if (!d || getVersion(rt.db, dest.name, t.key, t.versionId)) {
        freed = [blob.id];
        return;
      }
      freed = commitCurrent(rt.db, "Enabled", replica);
      // 3.
      setStatus(rt.db, t.bucket, t.key, t.versionId, "COMPLETED");
    });
  } catch (e) {
    await rt.blobs.delete(blob.id);
    throw e;
  }
  for (const id of freed) void rt.blobs.delete(id);
}

/** Runs queued tasks in order until none is left. */
async function drain(rt: ServiceRuntime): Promise<void> {
  const w = workers(rt.db);
  if (w.running) {
    w.again = true;
    return;
  }
  w.running = true;
  try {
    // Stopped (the database closes after stop()): nothing to do.
    if (!w.rt) return;
    do {
      w.again = false;
      for (;;) {
        const batch = globalDocs(rt.db).list<Task>("repl-task", { limit: 50 });
        if (batch.length === 0) break;
        for (const { id, doc } of batch) {
          try {
            await replicate(rt, doc);
          } catch (e) {
            if (/database connection is not open/.test(String(e))) return;
            console.error("s3 replication:", e);
          }
          globalDocs(rt.db).delete("repl-task", id);
        }
      }
    } while (w.again);
  } catch (e) {
    if (!/database connection is not open/.test(String(e))) console.error("s3 replication:", e);
  } finally {
    w.running = false;
  }
}

/** Starts the worker: tasks left by a previous run first, then on every write and every few seconds. */
export function startReplicationWorker(rt: ServiceRuntime): void {
  const w = workers(rt.db);
  w.rt = rt;
  w.timer = setInterval(() => void drain(rt), 5_000);
  w.timer.unref();
  setImmediate(() => void drain(rt));
}

export function stopReplicationWorker(rt: ServiceRuntime): void {
  const w = workers(rt.db);
  if (w.timer) clearInterval(w.timer);
  w.rt = undefined;
}
