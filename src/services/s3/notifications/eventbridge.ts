// S3 events in EventBridge's format (S3 User Guide, "EventBridge event message structure"): what
// a bucket with EventBridgeConfiguration sends to the default bus of its account and region,
// for every event type (no per-type selection, as on AWS). The envelope (version, id, account,
// region, time) is EventBridge's; S3 supplies source aws.s3, the detail-type, the bucket ARN
// as the resource, and this detail:
//   version "0", bucket.name, object.key (not URL-encoded) / size / etag / version-id /
//   sequencer, request-id, requester (an account id or "s3.amazonaws.com"),
//   source-ip-address (requests only), and per type: reason, deletion-type,
//   source-storage-class, restore-expiry-time, destination-storage-class,
//   destination-access-tier.
import type { NotifyingBucket, S3Event } from "./emit.js";

/** S3 event name -> EventBridge detail-type (and the reason / deletion-type it implies). */
const TYPES: Record<string, { type: string; reason?: string; deletion?: string }> = {
  "ObjectCreated:Put": { type: "Object Created", reason: "PutObject" },
  "ObjectCreated:Post": { type: "Object Created", reason: "POST Object" },
  "ObjectCreated:Copy": { type: "Object Created", reason: "CopyObject" },
  "ObjectCreated:CompleteMultipartUpload": { type: "Object Created", reason: "CompleteMultipartUpload" },
  "ObjectRemoved:Delete": { type: "Object Deleted", reason: "DeleteObject", deletion: "Permanently Deleted" },
  "ObjectRemoved:DeleteMarkerCreated": { type: "Object Deleted", reason: "DeleteObject", deletion: "Delete Marker Created" },
  "LifecycleExpiration:Delete": { type: "Object Deleted", reason: "Lifecycle Expiration", deletion: "Permanently Deleted" },
  "LifecycleExpiration:DeleteMarkerCreated": { type: "Object Deleted", reason: "Lifecycle Expiration", deletion: "Delete Marker Created" },
  "ObjectRestore:Post": { type: "Object Restore Initiated" },
  "ObjectRestore:Completed": { type: "Object Restore Completed" },
  "ObjectRestore:Delete": { type: "Object Restore Expired" },
  "ObjectTagging:Put": { type: "Object Tags Added" },
  "ObjectTagging:Delete": { type: "Object Tags Deleted" },
  "ObjectAcl:Put": { type: "Object ACL Updated" },
  "LifecycleTransition": { type: "Object Storage Class Changed" },
  "IntelligentTiering": { type: "Object Access Tier Changed" },
};

/** A PutEvents entry for `ev`, or undefined for events S3 does not send to EventBridge (replication, RRS loss). */
export function eventBridgeEntry(bucket: NotifyingBucket, ev: S3Event, now: number): { Source: string; DetailType: string; Detail: string; Resources: string[]; Time: string } | undefined {
  const t = TYPES[ev.eventName];
  if (!t) return undefined;
  const object: Record<string, unknown> = { key: ev.key };
  if (ev.size !== undefined) object.size = ev.size;
  if (ev.eTag !== undefined) object.etag = ev.eTag.replace(/"/g, "");
  if (ev.versionId !== undefined && ev.versionId !== "null") object["version-id"] = ev.versionId;
  if (t.type === "Object Created" || t.type === "Object Deleted") {
    object.sequencer = typeof ev.sequencer === "string" ? ev.sequencer : (ev.sequencer ?? now * 1000).toString(16).toUpperCase().padStart(16, "0");
  }
  const detail: Record<string, unknown> = {
    version: "0",
    bucket: { name: bucket.name },
    object,
    "request-id": (ev.requestId ?? "").replace(/-/g, "").slice(0, 16).toUpperCase(),
    // EventBridge names an account or a service principal; an IAM user's request is its bucket's account here.
    requester: ev.requester === undefined ? "s3.amazonaws.com" : /^\d{12}$/.test(ev.requester) ? ev.requester : ev.requester === "Anonymous" ? "anonymous" : bucket.accountId,
  };
  if (ev.sourceIp !== undefined) detail["source-ip-address"] = ev.sourceIp;
  if (t.reason) detail.reason = t.reason;
  if (t.deletion) detail["deletion-type"] = t.deletion;
  const extra = (ev.extra ?? {}) as {
    glacierEventData?: { restoreEventData?: { lifecycleRestorationExpiryTime?: string; lifecycleRestoreStorageClass?: string } };
    lifecycleEventData?: { transitionEventData?: { destinationStorageClass?: string } };
    intelligentTieringEventData?: { destinationAccessTier?: string };
  };
  const restore = extra.glacierEventData?.restoreEventData;
  if (t.type === "Object Restore Completed" && restore?.lifecycleRestorationExpiryTime) detail["restore-expiry-time"] = restore.lifecycleRestorationExpiryTime.replace(/\.\d{3}Z$/, "Z");
  if ((t.type === "Object Restore Initiated" || t.type === "Object Restore Completed") && restore?.lifecycleRestoreStorageClass) detail["source-storage-class"] = restore.lifecycleRestoreStorageClass;
  const dest = extra.lifecycleEventData?.transitionEventData?.destinationStorageClass;
  if (dest) detail["destination-storage-class"] = dest;
  const tier = extra.intelligentTieringEventData?.destinationAccessTier;
  if (tier) detail["destination-access-tier"] = tier;
  return { Source: "aws.s3", DetailType: t.type, Detail: JSON.stringify(detail), Resources: [`arn:aws:s3:::${bucket.name}`], Time: new Date(now).toISOString() };
}
