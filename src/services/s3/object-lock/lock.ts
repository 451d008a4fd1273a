// Object Lock (S3 User Guide, "Locking objects with Object Lock"): a bucket created with
// ObjectLockEnabledForBucket (or given an Enabled configuration while versioned) keeps every
// version's retention (GOVERNANCE / COMPLIANCE until a date) and legal hold; a protected
// version cannot be deleted by version id (DeleteObject, DeleteObjects, lifecycle) until its
// retention passes and its hold is off. GOVERNANCE yields to x-amz-bypass-governance-retention.
// Overwrites and deletes without a version id only add versions / delete markers, which Object
// Lock allows (versioning cannot be suspended on such a bucket).
//
// A version's lock lives in its row's headers JSON (`lock`), so it moves with the version
// between the current and noncurrent tables and dies with it.
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import type { StoredBucket } from "../handlers/buckets.js";

export interface StoredLock {
  mode?: "GOVERNANCE" | "COMPLIANCE";
  /** Retain-until, epoch ms. */
  until?: number;
  legalHold?: boolean;
}

export interface LockConfig {
  enabled: boolean;
  defaultRetention?: { mode: "GOVERNANCE" | "COMPLIANCE"; days?: number; years?: number };
}

/** The bucket document with the member this slice adds. */
export interface LockBucket extends StoredBucket {
  objectLock?: LockConfig;
}

const DAY_MS = 86_400_000;

export function lockOf(o: { headers: object }): StoredLock | undefined {
  return (o.headers as { lock?: StoredLock }).lock;
}

export function missingLockConfiguration(): AwsError {
  return new AwsError("InvalidRequest", "Bucket is missing Object Lock Configuration", 400);
}

/** The lock members of a write (PutObject, CopyObject, CreateMultipartUpload). */
export interface LockRequest {
  ObjectLockMode?: string;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: string;
}

/**
 * The lock a new version gets: the request's mode and date (both or neither), its legal hold,
 * else the bucket's default retention counted from now. Lock members on a bucket without
 * Object Lock are 400 InvalidRequest.
 */
export function lockOnWrite(ctx: RequestContext, bucket: StoredBucket, req: LockRequest): StoredLock | undefined {
  const cfg = (bucket as LockBucket).objectLock;
  const asked = req.ObjectLockMode !== undefined || req.ObjectLockRetainUntilDate !== undefined || req.ObjectLockLegalHoldStatus !== undefined;
  if (!cfg?.enabled) {
    if (asked) throw missingLockConfiguration();
    return undefined;
  }
  if ((req.ObjectLockMode === undefined) !== (req.ObjectLockRetainUntilDate === undefined)) {
    throw new AwsError("InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied", 400);
  }
  const lock: StoredLock = {};
  const now = ctx.clock.now();
  if (req.ObjectLockMode !== undefined) {
    if (req.ObjectLockMode !== "GOVERNANCE" && req.ObjectLockMode !== "COMPLIANCE") throw new AwsError("InvalidArgument", "Unknown wormMode directive.", 400);
    const until = req.ObjectLockRetainUntilDate!.getTime();
    if (!(until > now)) throw new AwsError("InvalidArgument", "The retain until date must be in the future!", 400);
    lock.mode = req.ObjectLockMode;
    lock.until = until;
  } else if (cfg.defaultRetention) {
    const d = cfg.defaultRetention;
    lock.mode = d.mode;
    lock.until = d.days !== undefined ? now + d.days * DAY_MS : addYears(now, d.years ?? 0);
  }
  if (req.ObjectLockLegalHoldStatus !== undefined) {
    if (req.ObjectLockLegalHoldStatus !== "ON" && req.ObjectLockLegalHoldStatus !== "OFF") throw new AwsError("InvalidArgument", "Unknown legal hold status.", 400);
    if (req.ObjectLockLegalHoldStatus === "ON") lock.legalHold = true;
  }
  return lock.mode || lock.legalHold ? lock : undefined;
}

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/** The lock members of GET / HEAD. */
export function lockMembers(o: { headers: object }): Record<string, unknown> {
  const l = lockOf(o);
  if (!l) return {};
  return {
    ...(l.mode ? { ObjectLockMode: l.mode, ObjectLockRetainUntilDate: new Date(l.until!) } : {}),
    ...(l.legalHold !== undefined ? { ObjectLockLegalHoldStatus: l.legalHold ? "ON" : "OFF" } : {}),
  };
}

/** Why a version may not be deleted now (undefined: it may). */
export function deleteBlocked(o: { headers: object }, now: number, bypassGovernance: boolean): string | undefined {
  const l = lockOf(o);
  if (!l) return undefined;
  if (l.legalHold) return "legal hold";
  if (l.mode && l.until! > now && !(l.mode === "GOVERNANCE" && bypassGovernance)) return "retention";
  return undefined;
}

export const LOCKED_MESSAGE = "Access Denied because object protected by object lock.";

export function lockedError(): AwsError {
  return new AwsError("AccessDenied", LOCKED_MESSAGE, 403);
}
