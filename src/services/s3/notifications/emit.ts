// emitS3Event: what every S3 write path calls after its commit (PutObject, copy, multipart,
// delete, tagging, ACL, restore, lifecycle, replication). It costs a property check (given the
// bucket's document) or a Set lookup (given its name) when the bucket has no notification
// configuration; otherwise it builds the event record AWS sends (eventVersion 2.1) once per
// matching rule (and, with EventBridgeConfiguration, the EventBridge event: eventbridge.ts),
// appends them to the durable outbox and wakes the delivery worker (outbox.ts).
import type { Clock } from "../../../core/clock/clock.js";
import type { InProcessClient, RequestContext } from "../../../core/service.js";
import { perDatabase, type Db } from "../../../core/state/database.js";
import { DocStore } from "../../../core/state/doc-store.js";
import type { StoredBucket } from "../handlers/buckets.js";
import { matchingRules, type StoredNotification } from "./config.js";
import { eventBridgeEntry } from "./eventbridge.js";
import { enqueue, type OutboxEntry } from "./outbox.js";

/** What emitting needs: a request context or a service runtime (the lifecycle worker's). */
export interface EmitRuntime {
  db: Db;
  clock: Clock;
  client: InProcessClient;
}

export interface S3Event {
  /** Without the "s3:" prefix, as in the record: "ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", "LifecycleTransition"... */
  eventName: string;
  key: string;
  size?: number;
  /** With or without quotes; the record carries it without. */
  eTag?: string;
  /** Only for versioned buckets ("null" is left out, as S3 does). */
  versionId?: string;
  /** Increasing per key (S3 guarantees order only for one key); defaults to the clock in hex. */
  sequencer?: string | number;
  /** The principal id S3 reports in userIdentity (see requestInfo). */
  requester?: string;
  sourceIp?: string;
  requestId?: string;
  /** Extra members of the record: glacierEventData, lifecycleEventData, replicationEventData, intelligentTieringEventData. */
  extra?: Record<string, unknown>;
  /** "2.2" for replication events, "2.3" for lifecycle, Intelligent-Tiering and restore-delete events (S3 User Guide); default "2.1". */
  eventVersion?: string;
}

/** The buckets that have had a notification configuration in this database (loaded once, kept by PutBucketNotificationConfiguration). */
const configured = perDatabase((db: Db) => {
  const names = new Set<string>();
  const rows = db
    .prepare("SELECT id FROM nimbus_docs WHERE service = 's3' AND scope = 'global' AND kind = 'bucket' AND json_extract(doc, '$.notification') IS NOT NULL")
    .all() as Array<{ id: string }>;
  for (const r of rows) names.add(r.id);
  return names;
});

/** PutBucketNotificationConfiguration records a configured bucket here (names are never removed: a stale name only costs a read). */
export function noteConfigured(db: Db, bucket: string): void {
  configured(db).add(bucket);
}

/**
 * Browser POST uploads are written by PutObject (access/post-object.ts calls it in-process);
 * their input is marked so the event is ObjectCreated:Post, as S3 reports it.
 */
const postUploads = new WeakSet<object>();
export function markPostUpload(input: object): void {
  postUploads.add(input);
}
export function putEventName(input: object): "ObjectCreated:Post" | "ObjectCreated:Put" {
  return postUploads.has(input) ? "ObjectCreated:Post" : "ObjectCreated:Put";
}

export interface NotifyingBucket extends StoredBucket {
  notification?: StoredNotification;
}

/** The requester and source IP S3 puts in an event, from the request that caused it. */
export function requestInfo(ctx: RequestContext): { requester: string; sourceIp: string; requestId: string } {
  const p = ctx.principal;
  const requester = p.type === "anonymous" ? "Anonymous" : p.type === "root" ? p.accountId : `AWS:${p.userId}`;
  return { requester, sourceIp: (ctx.headers["x-forwarded-for"] ?? "127.0.0.1").split(",")[0].trim(), requestId: ctx.requestId };
}

/** S3 URL-encodes the key in event records (not in EventBridge events) as an HTML form would (spaces as "+"), keeping "/". */
export function eventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, "/").replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Emits one S3 event for `bucket` (its document, or its name). Synchronous: when it returns,
 * the deliveries are committed to the outbox.
 */
export function emitS3Event(rt: EmitRuntime, bucket: NotifyingBucket | string, ev: S3Event): void {
  let doc: NotifyingBucket | undefined;
  if (typeof bucket === "string") {
    if (!configured(rt.db).has(bucket)) return;
    doc = new DocStore(rt.db, "s3", "global").get<NotifyingBucket>("bucket", bucket);
  } else doc = bucket;
  const n = doc?.notification;
  if (!doc || !n || (n.rules.length === 0 && !n.eventBridge)) return;
  const rules = matchingRules(n, ev.eventName, ev.key);
  const now = rt.clock.now();
  const entries: OutboxEntry[] = rules.map((r) => ({
    target: { type: r.type, arn: r.arn },
    bucket: doc!.name,
    bucketAccount: doc!.accountId,
    message: JSON.stringify({ Records: [eventRecord(doc!, r.id, ev, now)] }),
  }));
  // EventBridge: every event S3 sends there, to the default bus of the bucket's account and region.
  const bridged = n.eventBridge ? eventBridgeEntry(doc, ev, now) : undefined;
  if (bridged) {
    entries.push({
      target: { type: "eventbridge", arn: `arn:aws:events:${doc.region}:${doc.accountId}:event-bus/default` },
      bucket: doc.name,
      bucketAccount: doc.accountId,
      message: JSON.stringify(bridged),
    });
  }
  if (entries.length === 0) return;
  enqueue(rt, entries);
}

function eventRecord(bucket: NotifyingBucket, configurationId: string, ev: S3Event, now: number): Record<string, unknown> {
  const object: Record<string, unknown> = { key: eventKey(ev.key) };
  if (ev.size !== undefined) object.size = ev.size;
  if (ev.eTag !== undefined) object.eTag = ev.eTag.replace(/"/g, "");
  if (ev.versionId !== undefined && ev.versionId !== "null") object.versionId = ev.versionId;
  object.sequencer = typeof ev.sequencer === "string" ? ev.sequencer : (ev.sequencer ?? now * 1000).toString(16).toUpperCase().padStart(18, "0");
  return {
    eventVersion: ev.eventVersion ?? "2.1",
    eventSource: "aws:s3",
    awsRegion: bucket.region,
    eventTime: new Date(now).toISOString(),
    eventName: ev.eventName,
    userIdentity: { principalId: ev.requester ?? "s3.amazonaws.com" },
    requestParameters: { sourceIPAddress: ev.sourceIp ?? "s3.amazonaws.com" },
    responseElements: { "x-amz-request-id": (ev.requestId ?? "").replace(/-/g, "").slice(0, 16).toUpperCase(), "x-amz-id-2": hostId(ev.requestId ?? "") },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId,
      bucket: { name: bucket.name, ownerIdentity: { principalId: bucket.accountId }, arn: `arn:aws:s3:::${bucket.name}` },
      object,
    },
    ...(ev.extra ?? {}),
  };
}

/** An x-amz-id-2-looking value derived from the request id. */
function hostId(requestId: string): string {
  return Buffer.from(requestId.padEnd(48, "0")).toString("base64").slice(0, 64);
}
