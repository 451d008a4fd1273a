// Put/GetObjectLockConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold (lock.ts).
import type {
  GetObjectLegalHoldOutput,
  GetObjectLegalHoldRequest,
  GetObjectLockConfigurationOutput,
  GetObjectLockConfigurationRequest,
  GetObjectRetentionOutput,
  GetObjectRetentionRequest,
  PutObjectLegalHoldOutput,
  PutObjectLegalHoldRequest,
  PutObjectLockConfigurationOutput,
  PutObjectLockConfigurationRequest,
  PutObjectRetentionOutput,
  PutObjectRetentionRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { inTransaction, perDatabase, type Db } from "../../../core/state/database.js";
import { updateBucket } from "../access/config.js";
import { ownBucket, type StoredBucket } from "../handlers/buckets.js";
import { versionToRead } from "../handlers/objects.js";
import type { StoredObject } from "../store.js";
import { lockOf, missingLockConfiguration, type LockBucket, type LockConfig, type StoredLock } from "./lock.js";

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

export const PutObjectLockConfiguration: Handler<PutObjectLockConfigurationRequest, PutObjectLockConfigurationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as LockBucket;
  const c = input.ObjectLockConfiguration;
  if (!c || c.ObjectLockEnabled !== "Enabled") throw malformedXml();
  // Existing buckets may turn Object Lock on, but only while versioning is Enabled.
  if (!b.objectLock?.enabled && b.versioning !== "Enabled") {
    throw new AwsError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration", 409);
  }
  const cfg: LockConfig = { enabled: true };
  const d = c.Rule?.DefaultRetention;
  if (c.Rule && !d) throw malformedXml();
  if (d) {
    if (d.Mode !== "GOVERNANCE" && d.Mode !== "COMPLIANCE") throw malformedXml();
    if ((d.Days === undefined) === (d.Years === undefined)) throw malformedXml();
    const n = d.Days ?? d.Years!;
    if (!Number.isInteger(n) || n <= 0) throw new AwsError("InvalidArgument", "Default retention period must be a positive integer value.", 400);
    cfg.defaultRetention = { mode: d.Mode, ...(d.Days !== undefined ? { days: d.Days } : { years: d.Years }) };
  }
  updateBucket(ctx, b.name, (doc) => {
    (doc as LockBucket).objectLock = cfg;
  });
  return {};
};

export const GetObjectLockConfiguration: Handler<GetObjectLockConfigurationRequest, GetObjectLockConfigurationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as LockBucket;
  const cfg = b.objectLock;
  if (!cfg?.enabled) {
    throw new AwsError("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", 404, { fields: { BucketName: b.name } });
  }
  const d = cfg.defaultRetention;
  return {
    ObjectLockConfiguration: {
      ObjectLockEnabled: "Enabled",
      ...(d ? { Rule: { DefaultRetention: { Mode: d.mode, ...(d.days !== undefined ? { Days: d.days } : { Years: d.years }) } } } : {}),
    },
  };
};

function prepare(db: Db) {
  return {
    current: db.prepare("UPDATE s3_objects SET headers = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
    noncurrent: db.prepare("UPDATE s3_versions SET headers = ? WHERE bucket = ? AND key = ? AND version_id = ?"),
  };
}
const stmts = perDatabase(prepare);

/** Rewrites one version's lock, re-reading it inside the transaction. */
function updateLock(ctx: RequestContext, bucket: StoredBucket, key: string, versionId: string | undefined, change: (lock: StoredLock, o: StoredObject) => StoredLock | undefined): StoredObject {
  return inTransaction(ctx.db, () => {
    const o = versionToRead(ctx, bucket, key, versionId, false);
    const next = change({ ...(lockOf(o) ?? {}) }, o);
    const headers = { ...o.headers, ...(next ? { lock: next } : {}) } as Record<string, unknown>;
    if (!next) delete headers.lock;
    const json = JSON.stringify(headers);
    const k = Buffer.from(key, "utf8");
    if (stmts(ctx.db).current.run(json, bucket.name, k, o.versionId).changes === 0) stmts(ctx.db).noncurrent.run(json, bucket.name, k, o.versionId);
    return o;
  });
}

function lockedBucket(ctx: RequestContext, name: string): LockBucket {
  const b = ownBucket(ctx, name) as LockBucket;
  if (!b.objectLock?.enabled) throw missingLockConfiguration();
  return b;
}

/**
 * PutObjectRetention: a COMPLIANCE retention can only be extended; a GOVERNANCE one can be
 * shortened, removed or turned into... anything only with x-amz-bypass-governance-retention.
 */
export const PutObjectRetention: Handler<PutObjectRetentionRequest, PutObjectRetentionOutput> = (input, ctx) => {
  const b = lockedBucket(ctx, input.Bucket!);
  const r = input.Retention ?? {};
  const mode = r.Mode as string | undefined;
  const until = r.RetainUntilDate?.getTime();
  if ((mode === undefined) !== (until === undefined)) throw malformedXml();
  if (mode !== undefined && mode !== "GOVERNANCE" && mode !== "COMPLIANCE") throw malformedXml();
  const now = ctx.clock.now();
  if (until !== undefined && !(until > now)) throw new AwsError("InvalidArgument", "The retain until date must be in the future!", 400);
  updateLock(ctx, b, input.Key!, input.VersionId, (lock) => {
    const active = lock.mode !== undefined && lock.until! > now;
    const weakens = active && (until === undefined || until < lock.until! || (lock.mode === "COMPLIANCE" && mode !== "COMPLIANCE"));
    if (weakens && (lock.mode === "COMPLIANCE" || input.BypassGovernanceRetention !== true)) throw new AwsError("AccessDenied", "Access Denied because object protected by object lock.", 403);
    if (mode === undefined) {
      delete lock.mode;
      delete lock.until;
    } else {
      lock.mode = mode as StoredLock["mode"];
      lock.until = until;
    }
    return lock.mode || lock.legalHold !== undefined ? lock : undefined;
  });
  return {};
};

export const GetObjectRetention: Handler<GetObjectRetentionRequest, GetObjectRetentionOutput> = (input, ctx) => {
  const b = lockedBucket(ctx, input.Bucket!);
  const o = versionToRead(ctx, b, input.Key!, input.VersionId, false);
  const l = lockOf(o);
  if (!l?.mode) throw new AwsError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404);
  return { Retention: { Mode: l.mode, RetainUntilDate: new Date(l.until!) } };
};

export const PutObjectLegalHold: Handler<PutObjectLegalHoldRequest, PutObjectLegalHoldOutput> = (input, ctx) => {
  const b = lockedBucket(ctx, input.Bucket!);
  const status = input.LegalHold?.Status as string | undefined;
  if (status !== "ON" && status !== "OFF") throw malformedXml();
  updateLock(ctx, b, input.Key!, input.VersionId, (lock) => ({ ...lock, legalHold: status === "ON" }));
  return {};
};

export const GetObjectLegalHold: Handler<GetObjectLegalHoldRequest, GetObjectLegalHoldOutput> = (input, ctx) => {
  const b = lockedBucket(ctx, input.Bucket!);
  const o = versionToRead(ctx, b, input.Key!, input.VersionId, false);
  const l = lockOf(o);
  if (l?.legalHold === undefined) throw new AwsError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404);
  return { LegalHold: { Status: l.legalHold ? "ON" : "OFF" } };
};

export const objectLockHandlers: Record<string, Handler> = {
  PutObjectLockConfiguration,
  GetObjectLockConfiguration,
  PutObjectRetention,
  GetObjectRetention,
  PutObjectLegalHold,
  GetObjectLegalHold,
};
