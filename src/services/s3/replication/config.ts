// Put/Get/DeleteBucketReplication. The configuration is a member of the source bucket's
// document. PutBucketReplication checks, in order (each failure changes nothing):
//   1. the source bucket's versioning is Enabled;
//   2. a Role and 1 to 1,000 rules, each with a Status and a Destination bucket ARN; rules with
//      a Filter (V2) need a Priority (unique) and DeleteMarkerReplication; ids unique, <= 255;
//   3. SseKmsEncryptedObjects Enabled needs the destination's EncryptionConfiguration
//      ReplicaKmsKeyID; Replication Time Control needs replication metrics;
//   4. every destination bucket exists and has versioning Enabled.
import type { DeleteBucketReplicationRequest, GetBucketReplicationOutput, GetBucketReplicationRequest, PutBucketReplicationRequest, ReplicationRule } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { updateBucket } from "../access/config.js";
import { bucketStore, ownBucket, type StoredBucket } from "../handlers/buckets.js";
import type { LifecycleFilter } from "../lifecycle/rules.js";

export interface StoredReplicationRule {
  id: string;
  enabled: boolean;
  priority: number;
  filter: LifecycleFilter;
  destinationBucket: string;
  storageClass?: string;
  deleteMarkers: boolean;
  replicaModifications: boolean;
  /** SourceSelectionCriteria SseKmsEncryptedObjects Enabled: SSE-KMS objects are replicated. */
  sseKms?: boolean;
  /** Destination EncryptionConfiguration ReplicaKmsKeyID: the key replicas of SSE-KMS objects are encrypted with. */
  replicaKmsKeyId?: string;
  /** Destination Metrics Enabled: Replication:OperationFailedReplication events are sent. */
  metrics?: boolean;
  /** Destination ReplicationTime Enabled (S3 RTC, 15 minutes): the threshold events are sent. */
  rtc?: boolean;
  wire: ReplicationRule;
}

export interface StoredReplication {
  role: string;
  rules: StoredReplicationRule[];
}

export interface ReplicatingBucket extends StoredBucket {
  replication?: StoredReplication;
}

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}
function invalidRequest(message: string): AwsError {
  return new AwsError("InvalidRequest", message, 400);
}

function parseFilter(r: ReplicationRule): LifecycleFilter {
  if (r.Filter === undefined) return { prefix: r.Prefix ?? "", tags: [] };
  const f = r.Filter;
  const named = [f.Prefix, f.Tag, f.And].filter((x) => x !== undefined).length;
  if (named > 1) throw malformedXml();
  if (f.And) return { prefix: f.And.Prefix ?? "", tags: (f.And.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" })) };
  return { prefix: f.Prefix ?? "", tags: f.Tag ? [{ Key: f.Tag.Key ?? "", Value: f.Tag.Value ?? "" }] : [] };
}

export const PutBucketReplication: Handler<PutBucketReplicationRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  // 1.
  if (b.versioning !== "Enabled") throw invalidRequest("Versioning must be 'Enabled' on the bucket to apply a replication configuration");
  // 2.
  const c = input.ReplicationConfiguration;
  if (!c?.Role || !c.Rules || c.Rules.length === 0 || c.Rules.length > 1000) throw malformedXml();
  const ids = new Set<string>();
  const priorities = new Set<number>();
  const rules = c.Rules.map((r, i): StoredReplicationRule => {
    if (r.Status !== "Enabled" && r.Status !== "Disabled") throw malformedXml();
    const arn = r.Destination?.Bucket;
    if (!arn) throw malformedXml();
    if (!arn.startsWith("arn:aws:s3:::")) throw invalidRequest("Invalid bucket ARN.");
    const v2 = r.Filter !== undefined;
    if (v2 && r.Prefix !== undefined) throw malformedXml();
    if (v2 && r.Priority === undefined) throw invalidRequest("Priority must be specified for this version of Cross Region Replication configuration schema.");
    if (v2 && r.DeleteMarkerReplication === undefined) throw invalidRequest("DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema.");
    const id = r.ID ?? randomBytes(36).toString("base64").replace(/[+/=]/g, "").slice(0, 48);
    if (id.length > 255) throw new AwsError("InvalidArgument", "ID length should not exceed allowed limit of 255", 400);
    if (ids.has(id)) throw new AwsError("InvalidArgument", "Rule Id must be unique.", 400);
    ids.add(id);
    const filter = parseFilter(r);
    if (filter.tags.length > 0 && r.DeleteMarkerReplication?.Status === "Enabled") {
      throw invalidRequest("Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.");
    }
    // 3.
    const sseKms = r.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === "Enabled";
    const replicaKmsKeyId = r.Destination!.EncryptionConfiguration?.ReplicaKmsKeyID;
    if (sseKms && !replicaKmsKeyId) throw invalidRequest("ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.");
    const metrics = r.Destination!.Metrics?.Status === "Enabled";
    const rtc = r.Destination!.ReplicationTime?.Status === "Enabled";
    if (rtc && !metrics) throw invalidRequest("Replication Time Control must be used in conjunction with metrics.");
    const priority = r.Priority ?? 0;
    if (v2 && priorities.has(priority)) throw invalidRequest("Found duplicate priority " + priority + " when priorities must be unique.");
    priorities.add(priority);
    void i;
    return {
      id,
      enabled: r.Status === "Enabled",
      priority,
      filter,
      destinationBucket: arn.slice("arn:aws:s3:::".length),
      ...(r.Destination!.StorageClass ? { storageClass: r.Destination!.StorageClass } : {}),
      deleteMarkers: r.DeleteMarkerReplication?.Status === "Enabled",
      replicaModifications: r.SourceSelectionCriteria?.ReplicaModifications?.Status === "Enabled",
      ...(sseKms ? { sseKms } : {}),
      ...(replicaKmsKeyId ? { replicaKmsKeyId } : {}),
      ...(metrics ? { metrics } : {}),
      ...(rtc ? { rtc } : {}),
      wire: { ...r, ID: id },
    };
  });
  // 4.
  for (const r of rules) {
    const dest = bucketStore(ctx).get<StoredBucket>("bucket", r.destinationBucket);
    if (!dest) throw invalidRequest("Destination bucket must exist.");
    if (dest.versioning !== "Enabled") throw invalidRequest("Destination bucket must have versioning enabled.");
  }
  updateBucket(ctx, b.name, (doc) => {
    (doc as ReplicatingBucket).replication = { role: c.Role!, rules };
  });
  return {};
};

export const GetBucketReplication: Handler<GetBucketReplicationRequest, GetBucketReplicationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as ReplicatingBucket;
  if (!b.replication) {
    throw new AwsError("ReplicationConfigurationNotFoundError", "The replication configuration was not found", 404, { fields: { BucketName: b.name } });
  }
  return { ReplicationConfiguration: { Role: b.replication.role, Rules: b.replication.rules.map((r) => r.wire) } };
};

export const DeleteBucketReplication: Handler<DeleteBucketReplicationRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (doc) => {
    delete (doc as ReplicatingBucket).replication;
  });
  return {};
};
