// Versioning: PutBucketVersioning, GetBucketVersioning and ListObjectVersions. The status lives
// in the bucket document; versions live in s3_objects (current) and s3_versions (the rest), see
// version-store.ts. What a status means for writes and deletes is in version-store.ts too.
import type {
  CommonPrefix,
  DeleteMarkerEntry,
  GetBucketVersioningOutput,
  GetBucketVersioningRequest,
  ListObjectVersionsOutput,
  ListObjectVersionsRequest,
  ObjectVersion,
  PutBucketVersioningRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import type { Db } from "../../../core/state/database.js";
import { nextPrefix } from "../store.js";
import { isWellFormedVersionId, versionEntries, versionOrd, type VersionEntry } from "../version-store.js";
import { bucketStore, canonicalUserId, ownBucket, type StoredBucket } from "./buckets.js";
import { checkEncodingType, checkMaxKeys, s3UrlEncode } from "./list-objects.js";
import { invalidVersionId } from "./objects.js";

export const PutBucketVersioning: Handler<PutBucketVersioningRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const conf = input.VersioningConfiguration ?? {};
  const status = conf.Status as string | undefined;
  const mfa = conf.MFADelete as string | undefined;
  if ((status !== "Enabled" && status !== "Suspended") || (mfa !== undefined && mfa !== "Enabled" && mfa !== "Disabled")) {
    throw new AwsError("IllegalVersioningConfigurationException", "The Versioning element must be specified", 400);
  }
  // MFA delete can only be turned on with a device's code (x-amz-mfa) from the root user;
  // Nimbus has no MFA devices to check one against (GAPS.md).
  if (mfa === "Enabled") {
    if (input.MFA === undefined) throw new AwsError("AccessDenied", "Mfa Authentication must be used for this request", 403);
    throw new AwsError("NotImplemented", "A header you provided implies functionality that is not implemented", 501, { fields: { Header: "x-amz-mfa" } });
  }
  const store = bucketStore(ctx);
  store.tx(() => {
    const cur = store.get<StoredBucket>("bucket", b.name);
    if (cur && (cur as { objectLock?: { enabled: boolean } }).objectLock?.enabled && status !== "Enabled") {
      throw new AwsError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.", 409);
    }
    if (cur) store.put<StoredBucket>("bucket", b.name, { ...cur, versioning: status, ...(mfa !== undefined ? { mfaDelete: mfa } : {}) });
  });
  return {};
};

export const GetBucketVersioning: Handler<GetBucketVersioningRequest, GetBucketVersioningOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  return { ...(b.versioning ? { Status: b.versioning } : {}), ...(b.mfaDelete ? { MFADelete: b.mfaDelete } : {}) };
};

/** Greater than every key (keys are at most 1024 bytes). */
const PAST_ALL_KEYS = Buffer.alloc(1025, 0xff);

export interface VersionsPageParams {
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  keyMarker: string | undefined;
  vidMarker: string | undefined;
  maxKeys: number;
}

/** Steps 2-4 of ListObjectVersions (exported for the listing-cost test). */
export function versionsPage(db: Db, p: VersionsPageParams): { entries: VersionEntry[]; prefixes: string[]; truncated: boolean; last?: { key: string; versionId?: string } } {
  const { prefix, delimiter, keyMarker, vidMarker, maxKeys } = p;
  // 2.
  const prefixBuf = Buffer.from(prefix, "utf8");
  const below = (prefix === "" ? undefined : nextPrefix(prefixBuf)) ?? PAST_ALL_KEYS;
  const markerBuf = keyMarker !== undefined ? Buffer.from(keyMarker, "utf8") : undefined;
  let from: Buffer = prefixBuf;
  let opts: { inclusive: boolean; below: Buffer; afterOrd?: number } = { inclusive: true, below };
  if (markerBuf && Buffer.compare(markerBuf, prefixBuf) >= 0) {
    from = markerBuf;
    opts = { inclusive: false, below };
    if (vidMarker !== undefined) {
      const ord = versionOrd(db, p.bucket, keyMarker!, vidMarker);
      if (ord !== undefined) opts = { inclusive: false, below, afterOrd: ord === "current" ? Number.MIN_SAFE_INTEGER : ord };
    }
  }
  // 3.
  const entries: VersionEntry[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { key: string; versionId?: string } | undefined;
  let count = 0;
  if (maxKeys > 0) {
    walk: for (;;) {
      for (const e of versionEntries(db, p.bucket, from, opts)) {
        if (delimiter) {
          const at = e.key.indexOf(delimiter, prefix.length);
          if (at >= 0) {
            const cp = e.key.slice(0, at + delimiter.length);
            const cpBuf = Buffer.from(cp, "utf8");
            if (!markerBuf || Buffer.compare(cpBuf, markerBuf) > 0) {
              // 4.
              if (count === maxKeys) {
                truncated = true;
                break walk;
              }
              prefixes.push(cp);
              last = { key: cp };
              count++;
            }
            const next = nextPrefix(cpBuf);
            if (!next) break walk;
            from = next;
            opts = { inclusive: true, below };
            continue walk;
          }
        }
        // 4.
        if (count === maxKeys) {
          truncated = true;
          break walk;
        }
        entries.push(e);
        last = { key: e.key, versionId: e.versionId };
        count++;
      }
      break;
    }
  }
  return { entries, prefixes, truncated, ...(last ? { last } : {}) };
}

/**
 * ListObjectVersions, in S3's order: keys ascending (UTF-8 bytes), each key's versions newest
 * first. Steps:
 *   1. checks: max-keys, encoding-type, a version-id-marker needs a key-marker and a well-formed id;
 *   2. the start: with a key-marker at or past the prefix, just after that key (all its
 *      versions), or just after version-id-marker within it; else at the prefix;
 *   3. walk the merged versions (version-store.ts versionEntries); with a delimiter a key that
 *      rolls up into a common prefix emits the prefix (unless the key-marker is at or past it)
 *      and the walk restarts past everything under it;
 *   4. the entry after max-keys marks the page truncated; the last entry returned is the next
 *      marker (a common prefix has no version id marker).
 */
export const ListObjectVersions: Handler<ListObjectVersionsRequest, ListObjectVersionsOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  // 1.
  const maxKeys = checkMaxKeys(input.MaxKeys);
  const url = checkEncodingType(input.EncodingType);
  const enc = url ? s3UrlEncode : (s: string) => s;
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter || undefined;
  const keyMarker = input.KeyMarker || undefined;
  const vidMarker = input.VersionIdMarker || undefined;
  if (vidMarker !== undefined && keyMarker === undefined) {
    throw new AwsError("InvalidArgument", "A version-id marker cannot be specified without a key marker.", 400, { fields: { ArgumentName: "version-id-marker", ArgumentValue: vidMarker } });
  }
  if (vidMarker !== undefined && !isWellFormedVersionId(vidMarker)) throw invalidVersionId(vidMarker);
  const { entries, prefixes, truncated, last } = versionsPage(ctx.db, { bucket: b.name, prefix, delimiter, keyMarker, vidMarker, maxKeys });
  const owner = { ID: canonicalUserId(b.accountId), DisplayName: "nimbus" };
  const versions: ObjectVersion[] = [];
  const markers: DeleteMarkerEntry[] = [];
  for (const e of entries) {
    if (e.deleteMarker) {
      markers.push({ Owner: owner, Key: enc(e.key), VersionId: e.versionId, IsLatest: e.isLatest, LastModified: new Date(e.lastModified) });
      continue;
    }
    const algorithms = Object.keys(e.checksums);
    versions.push({
      ETag: e.etag,
      ...(algorithms.length ? { ChecksumAlgorithm: algorithms as ObjectVersion["ChecksumAlgorithm"], ChecksumType: e.checksumType ?? "FULL_OBJECT" } : {}),
      Size: e.size,
      StorageClass: e.storageClass as ObjectVersion["StorageClass"],
      Key: enc(e.key),
      VersionId: e.versionId,
      IsLatest: e.isLatest,
      LastModified: new Date(e.lastModified),
      Owner: owner,
    });
  }
  const out: ListObjectVersionsOutput = {
    Name: b.name,
    Prefix: enc(prefix),
    KeyMarker: enc(keyMarker ?? ""),
    VersionIdMarker: vidMarker ?? "",
    MaxKeys: maxKeys,
    IsTruncated: truncated,
  };
  if (truncated && last) {
    out.NextKeyMarker = enc(last.key);
    if (last.versionId !== undefined) out.NextVersionIdMarker = last.versionId;
  }
  if (delimiter !== undefined) out.Delimiter = enc(delimiter);
  if (versions.length) out.Versions = versions;
  if (markers.length) out.DeleteMarkers = markers;
  if (prefixes.length) out.CommonPrefixes = prefixes.map((p): CommonPrefix => ({ Prefix: enc(p) }));
  if (url) out.EncodingType = "url";
  return out;
};
