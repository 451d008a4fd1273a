// Replication, asynchronous as on AWS: a write to a bucket with a matching enabled rule marks the
// new version PENDING and queues a task (a document, in the write's own transaction, so an
// acknowledged write is never forgotten); the worker then
//   1. assumes the configuration's role as s3.amazonaws.com (its trust policy must allow S3)
//      and checks the role's identity policies allow s3:GetObjectVersionForReplication on the
//      source and s3:ReplicateObject (s3:ReplicateDelete for markers) on the destination;
//      otherwise the source version becomes FAILED (with a Replication:OperationFailedReplication
//      event when the rule has metrics, role.ts);
//   2. copies the version (same version id, metadata, tags, checksums) into the destination
//      bucket, marked REPLICA, or adds a delete marker. SSE-S3 objects are re-encrypted under
//      their own IV; SSE-KMS objects (only with SseKmsEncryptedObjects) have their data key
//      decrypted by KMS as the role and the replica gets a new data key encrypted by KMS (as
//      the role) under ReplicaKmsKeyID;
//   3. marks the source version COMPLETED.
// Tags, ACL and Object Lock changes to a replicated version follow it (metadata-sync.ts), and
// back from a replica when its bucket's rule has ReplicaModifications.
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { workerPerDatabase, type BackgroundWorker } from "../../../core/clock/background-worker.js";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import type { ServiceRuntime } from "../../../core/service.js";
import type { StoredBucket } from "../handlers/buckets.js";
import { getObject, type StoredObject } from "../store.js";
import { commitCurrent, deleteCurrent, getVersion, nextSeq } from "../version-store.js";
import { matchesFilter } from "../lifecycle/rules.js";
import { CtrTransform, decrypting, newIv, s3ManagedCipher, type ObjectCipher } from "../encryption/cipher.js";
import { storedSse, type StoredSse } from "../encryption/sse.js";
import type { LockBucket } from "../object-lock/lock.js";
import type { ReplicatingBucket, StoredReplicationRule } from "./config.js";
import { syncMetadata } from "./metadata-sync.js";
import { assumeReplicationRole, emitReplicationEvent, kmsAsRole, roleMay } from "./role.js";

export type ReplicationStatus = "PENDING" | "COMPLETED" | "FAILED" | "REPLICA";

export interface Task {
  bucket: string;
  key: string;
  versionId: string;
  /** meta: the version's tags / ACL / lock changed (metadata-sync.ts). */
  kind: "object" | "marker" | "meta";
}

/** S3 RTC's promise: 15 minutes. */
const RTC_THRESHOLD_MS = 15 * 60_000;

const globalDocs = (db: Db) => new DocStore(db, "s3", "global");

/**
 * The highest-priority enabled rule selecting this key (and tags); undefined: not replicated.
 * SSE-KMS objects are selected only by rules with SseKmsEncryptedObjects (as on AWS).
 */
export function ruleFor(b: ReplicatingBucket, key: string, size: number, tags: Array<{ Key: string; Value: string }>, kms = false, pick?: (r: StoredReplicationRule) => boolean): StoredReplicationRule | undefined {
  let best: StoredReplicationRule | undefined;
  for (const r of b.replication?.rules ?? []) {
    if (!r.enabled || !matchesFilter(r.filter, key, size, tags)) continue;
    if ((kms && !r.sseKms) || (pick && !pick(r))) continue;
    if (!best || r.priority > best.priority) best = r;
  }
  return best;
}

export function enqueue(db: Db, t: Task, seq: number): void {
  globalDocs(db).put<Task>("repl-task", `${String(seq).padStart(20, "0")}`, t);
  // The pass runs on a later tick, after the write's transaction has committed.
  replication.kick(db);
}

/** Inside a write's transaction, before the row is committed: PENDING and a task when a rule selects it. */
export function markForReplication(db: Db, bucket: StoredBucket, row: StoredObject): void {
  const b = bucket as ReplicatingBucket;
  if (!b.replication || bucket.versioning !== "Enabled") return;
  const h = row.headers as { replication?: ReplicationStatus };
  if (h.replication === "REPLICA") return;
  if (!ruleFor(b, row.key, row.size, row.tags, storedSse(row)?.kind === "KMS")) {
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

/**
 * The worker of one Nimbus (core/clock/background-worker.ts): a pass at start runs the tasks a
 * previous run left; a write's enqueue kicks it (the pass runs after the write's commit).
 */
const replication = workerPerDatabase<ServiceRuntime>({ name: "s3 replication", run: drain });

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

/** 1. Why the role may not do this replication (a failure reason), or undefined. */
function roleDenies(rt: ServiceRuntime, principal: Parameters<typeof roleMay>[1], src: ReplicatingBucket, dest: StoredBucket, key: string, kind: Task["kind"]): string | undefined {
  if (kind === "marker") return roleMay(rt, principal, "s3:ReplicateDelete", dest, key) ? undefined : "DstDelObjNotPermitted";
  if (!roleMay(rt, principal, "s3:GetObjectVersionForReplication", src, key)) return "SrcGetObjectNotPermitted";
  return roleMay(rt, principal, "s3:ReplicateObject", dest, key) ? undefined : "DstPutObjectNotPermitted";
}

/** 2-3 for one task; returns when it is done (or given up). */
async function replicate(rt: ServiceRuntime, t: Task): Promise<void> {
  const docs = globalDocs(rt.db);
  const src = docs.get<ReplicatingBucket>("bucket", t.bucket);
  if (!src?.replication) return;
  if (t.kind === "meta") return syncMetadata(rt, src, t);
  const source = t.kind === "object" ? getVersion(rt.db, t.bucket, t.key, t.versionId) : undefined;
  if (t.kind === "object" && (!source || source.deleteMarker)) return;
  const sse = source ? storedSse(source) : undefined;
  const rule = ruleFor(src, t.key, source?.size ?? 0, source?.tags ?? [], sse?.kind === "KMS");
  // The write's time on the Nimbus clock (seq is ms * 1000 + counter).
  const requestTime = source ? Math.floor(source.seq / 1000) : rt.clock.now();
  const fail = (reason: string): void => {
    if (t.kind !== "object") return;
    inTransaction(rt.db, () => setStatus(rt.db, t.bucket, t.key, t.versionId, "FAILED"));
    if (rule) emitReplicationEvent(rt, src, rule, source!, "OperationFailedReplication", { requestTime, failureReason: reason });
  };
  if (!rule) return fail("SrcObjectNotEligible");
  const dest = docs.get<StoredBucket>("bucket", rule.destinationBucket);
  if (!dest) return fail("DstBucketNotFound");
  if (dest.versioning !== "Enabled") return fail("DstBucketUnversioned");
  // Versions of an Object Lock bucket keep their retention only in another lock bucket.
  if ((src as LockBucket).objectLock?.enabled && !(dest as LockBucket).objectLock?.enabled) return fail("DstBucketObjectLockConfigMissing");
  const role = await assumeReplicationRole(rt, src);
  if (!role) return fail("AssumeRoleNotPermitted");
  const denied = roleDenies(rt, role, src, dest, t.key, t.kind);
  if (denied) return fail(denied);
  if (t.kind === "marker") {
    inTransaction(rt.db, () => {
      const d = docs.get<StoredBucket>("bucket", dest.name);
      if (d && getObject(rt.db, dest.name, t.key)) deleteCurrent(rt.db, d.versioning, dest.name, t.key, rt.clock.now());
    });
    return;
  }
  const s = source!;
  // S3 RTC: a replication starting past the threshold is reported before and after.
  const late = rule.rtc === true && rt.clock.now() - requestTime > RTC_THRESHOLD_MS;
  if (late) emitReplicationEvent(rt, src, rule, s, "OperationMissedThreshold", { requestTime });
  // SSE-C objects are not replicated by Nimbus (GAPS.md).
  if (sse?.kind === "C") return fail("SrcObjectNotEligible");
  // 2. The bytes, decrypted from the source and encrypted under the replica's own IV (and key).
  let readCipher: ObjectCipher | undefined;
  const iv = newIv();
  let writeCipher: ObjectCipher;
  let replicaSse: StoredSse;
  if (sse?.kind === "KMS") {
    const plain = await kmsAsRole<{ Plaintext: Uint8Array }>(rt, role, "Decrypt", { CiphertextBlob: Buffer.from(sse.dataKey ?? "", "base64"), KeyId: sse.keyArn, EncryptionContext: sse.context ?? {} }, sse.keyArn ?? "", src);
    if ("reason" in plain) return fail(plain.reason);
    readCipher = { key: Buffer.from(plain.out.Plaintext), iv: Buffer.from(sse.iv, "base64") };
    const dataKey = randomBytes(32);
    const context = { "aws:s3:arn": `arn:aws:s3:::${dest.name}/${t.key}` };
    const wrapped = await kmsAsRole<{ CiphertextBlob: Uint8Array; KeyId: string }>(rt, role, "Encrypt", { KeyId: rule.replicaKmsKeyId, Plaintext: dataKey, EncryptionContext: context }, rule.replicaKmsKeyId ?? "", dest);
    if ("reason" in wrapped) return fail(wrapped.reason);
    writeCipher = { key: dataKey, iv };
    replicaSse = { kind: "KMS", iv: iv.toString("base64"), alg: sse.alg ?? "aws:kms", keyArn: wrapped.out.KeyId, dataKey: Buffer.from(wrapped.out.CiphertextBlob).toString("base64"), context };
  } else {
    if (sse) readCipher = s3ManagedCipher(docs, Buffer.from(sse.iv, "base64"));
    writeCipher = s3ManagedCipher(docs, iv);
    replicaSse = { kind: "S3", iv: iv.toString("base64") };
  }
  const raw = rt.blobs.read(s.blobId);
  const plain: Readable = readCipher ? decrypting(raw, readCipher, 0, 0) : raw;
  const blob = await rt.blobs.write(plain, [new CtrTransform(writeCipher)]);
  const replica: StoredObject = {
    ...s,
    bucket: dest.name,
    seq: nextSeq(rt.clock.now()),
    blobId: blob.id,
    storageClass: rule.storageClass ?? s.storageClass,
    headers: { ...s.headers, sse: replicaSse, replication: "REPLICA" } as StoredObject["headers"],
  };
  let freed: string[] = [];
  let done = false;
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
      done = true;
    });
  } catch (e) {
    await rt.blobs.delete(blob.id);
    throw e;
  }
  for (const id of freed) void rt.blobs.delete(id);
  if (done && late) emitReplicationEvent(rt, src, rule, s, "OperationReplicatedAfterThreshold", { requestTime, replicationTime: rt.clock.now() });
}

/**
 * Runs queued tasks in order until none is left. A task that fails is logged and dropped (its
 * version stays PENDING), as before; a kick during the pass runs another one after it.
 */
async function drain(rt: ServiceRuntime, worker: BackgroundWorker): Promise<undefined> {
  for (;;) {
    const batch = globalDocs(rt.db).list<Task>("repl-task", { limit: 50 });
    if (batch.length === 0) return undefined;
    for (const { id, doc } of batch) {
      // Stopped (the database closes after stop()): the task stays for the next run.
      if (worker.stopped) return undefined;
      try {
        await replicate(rt, doc);
      } catch (e) {
        // Nimbus closing under the task: the worker stops; the task is kept.
        if (!rt.db.open) throw e;
        console.error("s3 replication:", e);
      }
      globalDocs(rt.db).delete("repl-task", id);
    }
  }
}

export function startReplicationWorker(rt: ServiceRuntime): void {
  replication.start(rt);
}

export function stopReplicationWorker(rt?: ServiceRuntime): void {
  replication.stop(rt?.db);
}
