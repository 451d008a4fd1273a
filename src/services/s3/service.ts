// S3: buckets (create, head, list, delete, location, tagging) and objects (put, get, head,
// delete, copy, batch delete, list v1/v2, tagging, multipart upload). Object metadata lives in the s3_objects
// table (store.ts), bytes in the blob store; buckets are documents in the global scope.
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { CreateBucket, DeleteBucket, GetBucketLocation, HeadBucket, ListBuckets } from "./handlers/buckets.js";
import { CopyObject } from "./handlers/copy.js";
import { DeleteObjects } from "./handlers/delete-objects.js";
import { ListObjects, ListObjectsV2 } from "./handlers/list-objects.js";
import { AbortMultipartUpload, CompleteMultipartUpload, CreateMultipartUpload, ListMultipartUploads, ListParts, UploadPart } from "./handlers/multipart.js";
import { DeleteObject, GetObject, HeadObject, PutObject } from "./handlers/objects.js";
import { UploadPartCopy } from "./handlers/upload-part-copy.js";
import { GetObjectAttributes } from "./handlers/object-attributes.js";
import { GetBucketVersioning, ListObjectVersions, PutBucketVersioning } from "./handlers/versioning.js";
import {
  DeleteBucketTagging,
  DeleteObjectTagging,
  GetBucketTagging,
  GetObjectTagging,
  PutBucketTagging,
  PutObjectTagging,
} from "./handlers/tagging.js";
import { deleteAllObjects, migrations } from "./store.js";
import { s3ResourcePolicy, withAccess } from "./access/authorize.js";
import { accessHandlers } from "./access/handlers.js";
import { s3Http } from "./access/raw-http.js";
import { resumeDeliveries, stopDeliveries } from "./notifications/outbox.js";
import { lifecycleHandlers } from "./lifecycle/handlers.js";
import { objectLockHandlers } from "./object-lock/handlers.js";
import { DeleteBucketReplication, GetBucketReplication, PutBucketReplication } from "./replication/config.js";
import { startReplicationWorker, stopReplicationWorker } from "./replication/engine.js";
import { withReplicaSync } from "./replication/metadata-sync.js";
import { forgetMasterKey } from "./encryption/cipher.js";
import { startLifecycleWorker, stopLifecycleWorker } from "./lifecycle/worker.js";
import { GetBucketNotificationConfiguration, PutBucketNotificationConfiguration } from "./notifications/handlers.js";
import { SelectObjectContent } from "./select/handler.js";

export const s3 = defineService({
  name: "s3",
  // Every handler runs behind the bucket's access decision (policy, ACLs, Block Public Access).
  // Tag, ACL and lock changes of replicated versions are replicated too (replication/metadata-sync.ts).
  handlers: withAccess(withReplicaSync({
    ...accessHandlers,
    ...lifecycleHandlers,
    ...objectLockHandlers,
    PutBucketReplication,
    GetBucketReplication,
    DeleteBucketReplication,
    CreateBucket,
    HeadBucket,
    ListBuckets,
    DeleteBucket,
    GetBucketLocation,
    PutBucketTagging,
    GetBucketTagging,
    DeleteBucketTagging,
    PutObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CopyObject,
    DeleteObjects,
    ListObjects,
    ListObjectsV2,
    PutObjectTagging,
    GetObjectTagging,
    DeleteObjectTagging,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    UploadPartCopy,
    GetObjectAttributes,
    PutBucketVersioning,
    GetBucketVersioning,
    ListObjectVersions,
    PutBucketNotificationConfiguration,
    GetBucketNotificationConfiguration,
    SelectObjectContent,
  })),
  http: s3Http,
  resourcePolicy: s3ResourcePolicy,
  migrations,
  // Event notifications left in the outbox by a previous run are delivered again.
  // The lifecycle worker (lifecycle/worker.ts) runs on clock advances and a wall-clock interval.
  start: (rt) => {
    resumeDeliveries(rt);
    startLifecycleWorker(rt);
    startReplicationWorker(rt);
  },
  stop: (rt) => {
    stopLifecycleWorker(rt);
    stopReplicationWorker(rt);
    return stopDeliveries(rt.db);
  },
  // Every blob the S3 tables reference (current objects, older versions, parts of uploads in
  // progress); the chassis's orphan sweep removes the others after a crash.
  *blobRefs(db) {
    const rows = db.prepare("SELECT blob_id FROM s3_objects UNION ALL SELECT blob_id FROM s3_parts UNION ALL SELECT blob_id FROM s3_versions WHERE delete_marker = 0").iterate();
    for (const r of rows as IterableIterator<{ blob_id: string }>) yield r.blob_id;
  },
  reset(rt: ServiceRuntime) {
    // Rows first (committed), then their blobs.
    const ids = deleteAllObjects(rt.db);
    for (const id of ids) void rt.blobs.delete(id);
    // The SSE-S3 master key's document went with the others (encryption/cipher.ts).
    forgetMasterKey(rt.db);
  },
});
