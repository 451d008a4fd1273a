// What the replication worker does as the configuration's role: assume it (as s3.amazonaws.com),
// check its permissions on both buckets, and call KMS with it for SSE-KMS objects (kms:Decrypt
// on the source key, kms:Encrypt on the replica key, via S3). Failures are named with the
// failureReason codes of the S3 User Guide ("Amazon S3 replication failure reasons").
import { AwsError } from "../../../core/errors.js";
import { evaluate } from "../../../core/iam/evaluate.js";
import { servicePrincipal, type Principal, type ServiceRuntime } from "../../../core/service.js";
import type { StoredBucket } from "../handlers/buckets.js";
import { emitS3Event } from "../notifications/emit.js";
import type { StoredObject } from "../store.js";
import type { ReplicatingBucket, StoredReplicationRule } from "./config.js";

/** The role's principal, or undefined when S3 cannot assume it (AssumeRoleNotPermitted). */
export async function assumeReplicationRole(rt: ServiceRuntime, src: ReplicatingBucket): Promise<Principal | undefined> {
  try {
    const out = await rt.client.call<{ Credentials?: { AccessKeyId: string } }>(
      "sts",
      "AssumeRole",
      { RoleArn: src.replication!.role, RoleSessionName: "s3-replication" },
      { accountId: src.accountId, region: src.region, principal: { ...servicePrincipal("s3.amazonaws.com"), accountId: src.accountId } },
    );
    return out.Credentials ? rt.credentials.resolve(out.Credentials.AccessKeyId)?.principal : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the role may do `action` on `resource` of bucket `b`: its identity policies, and the
 * bucket's policy as the resource side (another account's destination must grant the role in its
 * bucket policy, as on AWS). With no IAM service registered, anything assumable is allowed.
 */
export function roleMay(rt: ServiceRuntime, principal: Principal, action: string, b: StoredBucket, key: string): boolean {
  const provider = rt.principalPolicies;
  if (!provider) return true;
  const p = provider.policiesFor(principal);
  if (!p) return false;
  const policy = (b as { policy?: string }).policy;
  const set = { identity: p.identity, ...(p.boundary ? { boundary: p.boundary } : {}), ...(p.session ? { session: p.session } : {}), ...(policy ? { resource: { name: "bucket policy", document: policy } } : {}) };
  return evaluate({ principal, action, resource: `arn:aws:s3:::${b.name}/${key}`, resourceAccountId: b.accountId, context: {} }, set).decision === "Allow";
}

/** The account and region a KMS key ARN names (else the fallback's: a bare id or alias). */
function keyHome(keyId: string, fallback: StoredBucket): { accountId: string; region: string } {
  const m = /^arn:aws[\w-]*:kms:([^:]+):(\d{12}):/.exec(keyId);
  return m ? { region: m[1], accountId: m[2] } : { accountId: fallback.accountId, region: fallback.region };
}

/** A KMS call as the role, via S3 in the key's region; a failure comes back as its replication failure reason. */
export async function kmsAsRole<O>(
  rt: ServiceRuntime,
  principal: Principal,
  operation: "Decrypt" | "Encrypt",
  input: Record<string, unknown>,
  keyId: string,
  bucket: StoredBucket,
): Promise<{ out: O } | { reason: string }> {
  const home = keyHome(keyId, bucket);
  try {
    const out = await rt.client.call<O>("kms", operation, input, { principal, ...home, authorize: true, viaService: `s3.${home.region}.amazonaws.com` });
    return { out };
  } catch (e) {
    const code = e instanceof AwsError ? e.code : "";
    const side = operation === "Decrypt" ? "Src" : "Dst";
    if (code === "AccessDeniedException" || code === "AccessDenied") return { reason: operation === "Decrypt" ? "SrcGetObjectNotPermitted" : "DstPutObjectNotPermitted" };
    if (code === "NotFoundException") return { reason: `${side}KmsKeyNotFound` };
    if (code === "DisabledException" || code === "KMSInvalidStateException") return { reason: `${side}KmsKeyInvalidState` };
    throw e;
  }
}

/**
 * The Replication:* events (S3 User Guide, "Receiving replication failure events"): only for
 * rules with replication metrics (threshold events: with S3 RTC), eventVersion 2.2, from S3 itself.
 */
export function emitReplicationEvent(
  rt: ServiceRuntime,
  src: ReplicatingBucket,
  rule: StoredReplicationRule,
  v: StoredObject,
  eventName: "OperationFailedReplication" | "OperationMissedThreshold" | "OperationReplicatedAfterThreshold",
  data: { requestTime: number; failureReason?: string; replicationTime?: number },
): void {
  if (!rule.metrics) return;
  if (eventName !== "OperationFailedReplication" && !rule.rtc) return;
  emitS3Event(rt, src, {
    eventName: `Replication:${eventName}`,
    eventVersion: "2.2",
    key: v.key,
    size: v.size,
    eTag: v.etag,
    versionId: v.versionId,
    sequencer: v.seq,
    extra: {
      replicationEventData: {
        replicationRuleId: rule.id,
        destinationBucket: `arn:aws:s3:::${rule.destinationBucket}`,
        s3Operation: "OBJECT_PUT",
        requestTime: new Date(data.requestTime).toISOString(),
        ...(data.failureReason ? { failureReason: data.failureReason } : {}),
        ...(data.replicationTime !== undefined ? { replicationTime: new Date(data.replicationTime).toISOString() } : {}),
      },
    },
  });
}
