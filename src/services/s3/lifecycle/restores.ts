// The restore pass: what happens to restores on Nimbus time. A restore's state is read lazily by
// GET/HEAD (storage-class.ts), so this pass only does what needs someone to act at a moment:
//   1. a restore whose retrieval finished gets its ObjectRestore:Completed event (once); an
//      Intelligent-Tiering archive restore also leaves the archive tier for good (its archive
//      document goes, and the restore counts as an access, so the object starts again in
//      Frequent Access);
//   2. a temporary copy past its expiry gets ObjectRestore:Delete and its document is dropped;
//   3. documents of versions that no longer exist (deleted or overwritten) are dropped silently.
// It runs with the lifecycle worker (after every clock advance and once a minute); with no
// restore documents it costs one primary-key range read.
import type { ServiceRuntime } from "../../../core/service.js";
import { inTransaction } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import { emitS3Event, type S3Event } from "../notifications/emit.js";
import type { AccessDoc, RestoreDoc } from "../storage-class.js";
import { getVersion } from "../version-store.js";

/** "<bucket>/<versionId>/<key>" (storage-class.ts versionDocId): bucket names and version ids hold no "/". */
function parseId(id: string): { bucket: string; versionId: string; key: string } | undefined {
  const a = id.indexOf("/");
  const b = a < 0 ? -1 : id.indexOf("/", a + 1);
  if (b < 0) return undefined;
  return { bucket: id.slice(0, a), versionId: id.slice(a + 1, b), key: id.slice(b + 1) };
}

export function runRestores(rt: ServiceRuntime): { completed: number; expired: number } {
  const docs = new DocStore(rt.db, "s3", "global");
  const now = rt.clock.now();
  const stats = { completed: 0, expired: 0 };
  const events: Array<{ bucket: string; ev: S3Event }> = [];
  let after = "";
  for (;;) {
    const batch = docs.list<RestoreDoc>("restore", { after, limit: 500 });
    if (batch.length === 0) break;
    after = batch[batch.length - 1].id;
    inTransaction(rt.db, () => {
      for (const { id, doc } of batch) {
        const at = parseId(id);
        const v = at ? getVersion(rt.db, at.bucket, at.key, at.versionId) : undefined;
        // 3.
        if (!at || !v || v.deleteMarker || v.blobId !== doc.blobId) {
          docs.delete("restore", id);
          continue;
        }
        const base = { key: v.key, size: v.size, eTag: v.etag, versionId: v.versionId, sequencer: v.seq };
        // 1.
        if (now >= doc.readyAt && !doc.completedSent) {
          stats.completed++;
          const restoreEventData = doc.archive
            ? { lifecycleRestoreStorageClass: v.storageClass }
            : { lifecycleRestorationExpiryTime: new Date(doc.expiresAt).toISOString(), lifecycleRestoreStorageClass: v.storageClass };
          events.push({ bucket: at.bucket, ev: { ...base, eventName: "ObjectRestore:Completed", extra: { glacierEventData: { restoreEventData } } } });
          if (doc.archive) {
            docs.delete("int-archive", id);
            docs.put<AccessDoc>("int-access", id, { blobId: v.blobId, lastAccess: doc.readyAt });
            docs.delete("restore", id);
            continue;
          }
          docs.put<RestoreDoc>("restore", id, { ...doc, completedSent: true });
        }
        // 2.
        if (!doc.archive && now >= doc.expiresAt) {
          stats.expired++;
          events.push({ bucket: at.bucket, ev: { ...base, eventName: "ObjectRestore:Delete", eventVersion: "2.3" } });
          docs.delete("restore", id);
        }
      }
    });
    if (batch.length < 500) break;
  }
  // After the commit, as every write path does (the outbox is its own transaction).
  for (const e of events) emitS3Event(rt, e.bucket, e.ev);
  return stats;
}
