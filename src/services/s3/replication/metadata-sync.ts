// Metadata changes of replicated versions (S3 User Guide, "Replicating metadata changes with
// replica modification sync"): a change of tags (PutObjectTagging, DeleteObjectTagging), ACL
// (PutObjectAcl) or Object Lock (PutObjectRetention, PutObjectLegalHold) to
//   - a source version already replicated (COMPLETED) is replicated to its replica, as S3
//     always does for these;
//   - a replica (REPLICA) is replicated back only when the replica's bucket has a replication
//     rule selecting it with ReplicaModifications Enabled (the two-way setup the guide shows).
// The handlers are wrapped (withReplicaSync): after the change commits, a "meta" task is queued
// for the replication worker, which copies the version's tags, lock and ACL onto the version
// with the same id in the other bucket, as the configuration's role (s3:ReplicateObject;
// s3:ReplicateTags for tags). Statuses do not change; nothing loops, because the worker writes
// the other side directly rather than through these handlers.
import type { Handler, RequestContext, ServiceRuntime } from "../../../core/service.js";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import type { ObjectAclDoc } from "../access/config.js";
import type { StoredBucket } from "../handlers/buckets.js";
import { storedSse } from "../encryption/sse.js";
import { getObject } from "../store.js";
import { getVersion, nextSeq } from "../version-store.js";
import type { ReplicatingBucket } from "./config.js";
import { enqueue, ruleFor, type ReplicationStatus, type Task } from "./engine.js";
import { assumeReplicationRole, roleMay } from "./role.js";

const SYNCED = ["PutObjectTagging", "DeleteObjectTagging", "PutObjectAcl", "PutObjectRetention", "PutObjectLegalHold"];

const statusOf = (o: { headers: object }): ReplicationStatus | undefined => (o.headers as { replication?: ReplicationStatus }).replication;

/** The rule a version's metadata change follows, if any (see the header). */
function syncRule(b: ReplicatingBucket, v: { key: string; size: number; tags: Array<{ Key: string; Value: string }>; headers: object }) {
  const status = statusOf(v);
  const kms = storedSse(v)?.kind === "KMS";
  if (status === "REPLICA") return ruleFor(b, v.key, v.size, v.tags, kms, (r) => r.replicaModifications);
  if (status === "COMPLETED") return ruleFor(b, v.key, v.size, v.tags, kms);
  return undefined;
}

/** After a metadata change committed: queue its replication when a rule says so. */
function queueMetadataSync(ctx: RequestContext, bucket: string, key: string, versionId: string | undefined): void {
  const b = new DocStore(ctx.db, "s3", "global").get<ReplicatingBucket>("bucket", bucket);
  if (!b?.replication) return;
  const v = versionId !== undefined ? getVersion(ctx.db, bucket, key, versionId) : getObject(ctx.db, bucket, key);
  if (!v || ("deleteMarker" in v && v.deleteMarker) || !syncRule(b, v)) return;
  inTransaction(ctx.db, () => enqueue(ctx.db, { bucket, key, versionId: v.versionId, kind: "meta" }, nextSeq(ctx.clock.now())));
}

/** Wraps the metadata-changing handlers so their changes are replicated (the map's others are unchanged). */
export function withReplicaSync(handlers: Record<string, Handler>): Record<string, Handler> {
  const out = { ...handlers };
  for (const name of SYNCED) {
    const h = handlers[name];
    if (!h) continue;
    out[name] = async (input: Record<string, unknown>, ctx: RequestContext) => {
      const output = (await h(input, ctx)) as { VersionId?: string } | undefined;
      if (typeof input.Bucket === "string" && typeof input.Key === "string") {
        queueMetadataSync(ctx, input.Bucket, input.Key, output?.VersionId ?? (input.VersionId as string | undefined));
      }
      return output;
    };
  }
  return out;
}

function prepare(db: Db) {
  return {
    current: db.prepare("UPDATE s3_objects SET tags = ?, headers = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
    noncurrent: db.prepare("UPDATE s3_versions SET tags = ?, headers = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
  };
}
const stmts = perDatabase(prepare);

/** The worker's side of a "meta" task. */
export async function syncMetadata(rt: ServiceRuntime, src: ReplicatingBucket, t: Task): Promise<void> {
  const docs = new DocStore(rt.db, "s3", "global");
  const v = getVersion(rt.db, t.bucket, t.key, t.versionId);
  if (!v || v.deleteMarker) return;
  const rule = syncRule(src, v);
  const dest = rule ? docs.get<StoredBucket>("bucket", rule.destinationBucket) : undefined;
  if (!rule || !dest) return;
  const role = await assumeReplicationRole(rt, src);
  if (!role || !roleMay(rt, role, "s3:ReplicateObject", dest, t.key)) return;
  const withTags = roleMay(rt, role, "s3:ReplicateTags", dest, t.key);
  inTransaction(rt.db, () => {
    const d = getVersion(rt.db, dest.name, t.key, t.versionId);
    if (!d || d.deleteMarker) return;
    const lock = (v.headers as { lock?: unknown }).lock;
    const headers = { ...d.headers, ...(lock ? { lock } : {}) } as Record<string, unknown>;
    if (!lock) delete headers.lock;
    const tags = JSON.stringify(withTags ? v.tags : d.tags);
    const k = Buffer.from(t.key, "utf8");
    if (stmts(rt.db).current.run(tags, JSON.stringify(headers), dest.name, k, t.versionId).changes === 0) {
      stmts(rt.db).noncurrent.run(tags, JSON.stringify(headers), dest.name, k, t.versionId);
    }
    // Object ACLs are kept for current versions only (access/config.ts).
    const srcCurrent = getObject(rt.db, t.bucket, t.key);
    const destCurrent = getObject(rt.db, dest.name, t.key);
    if (srcCurrent?.versionId === v.versionId && destCurrent?.versionId === t.versionId) {
      const acl = docs.get<ObjectAclDoc>("object-acl", `${t.bucket}/${t.key}`);
      if (acl && acl.blobId === v.blobId) docs.put<ObjectAclDoc>("object-acl", `${dest.name}/${t.key}`, { ...acl, blobId: destCurrent.blobId });
    }
  });
}
