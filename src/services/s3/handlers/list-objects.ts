// ListObjects (v1) and ListObjectsV2, served by range scans of the (bucket, key) primary key.
// Keys are compared as UTF-8 bytes (S3's order). A page costs O(page size) index seeks
// whatever the bucket holds: the scan starts at the marker (or the prefix), stops at the end
// of the prefix's range, and jumps over each common prefix instead of reading its keys.
import type {
  CommonPrefix,
  ListObjectsOutput,
  ListObjectsRequest,
  ListObjectsV2Output,
  ListObjectsV2Request,
  _Object,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import type { Db } from "../../../core/state/database.js";
import { nextPrefix, scanKeys, type ListedRow } from "../store.js";
import { canonicalUserId, ownBucket, type StoredBucket } from "./buckets.js";

const PAGE_CAP = 1000;

export interface ListParams {
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  /** Exclusive lower bound: marker, start-after or the continuation token's last entry. */
  after: string | undefined;
  maxKeys: number;
}

interface ListPage {
  contents: Array<ListedRow & { keyString: string }>;
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned (the next marker). */
  last: string | undefined;
}

/**
 * The listing algorithm:
 *   1. The range: keys starting with `prefix` are exactly [prefix, nextPrefix(prefix)).
 *   2. The start: just after `after` when it sorts at or past the prefix, else at the prefix.
 *   3. Open a cursor of up to (room left + 1) rows from the start; the extra row tells a full
 *      page from a truncated one without a second query. The cursor is lazy: leaving it at a
 *      common prefix reads nothing under that prefix.
 *   4. For each row: with a delimiter, find its first occurrence after the prefix. If there is
 *      one, the key rolls up into the common prefix prefix..delimiter: emit it (unless it sorts
 *      at or before `after`, i.e. an earlier page returned it), then seek to nextPrefix(common
 *      prefix), the first key past everything under it, and go back to step 3.
 *   5. Otherwise emit the key itself.
 *   6. An entry that would go past maxKeys marks the page truncated and ends the listing; so
 *      does running out of rows in the range.
 */
export function listPage(db: Db, p: ListParams): ListPage {
  const page: ListPage = { contents: [], commonPrefixes: [], truncated: false, last: undefined };
  if (p.maxKeys === 0) return page;
  // 1.
  const prefixBuf = Buffer.from(p.prefix, "utf8");
  const upper = p.prefix === "" ? undefined : nextPrefix(prefixBuf);
  // 2.
  const afterBuf = p.after !== undefined ? Buffer.from(p.after, "utf8") : undefined;
  let from: Buffer = prefixBuf;
  let inclusive = true;
  if (afterBuf && Buffer.compare(afterBuf, prefixBuf) >= 0) {
    from = afterBuf;
    inclusive = false;
  }
  let count = 0;
  for (;;) {
    // 3.
    const rows = scanKeys(db, p.bucket, from, inclusive, upper, p.maxKeys - count + 1);
    let reseek = false;
    for (const row of rows) {
      const key = row.key.toString("utf8");
      // 4.
      if (p.delimiter) {
        const at = key.indexOf(p.delimiter, p.prefix.length);
        if (at >= 0) {
          const cp = key.slice(0, at + p.delimiter.length);
          const cpBuf = Buffer.from(cp, "utf8");
          if (!afterBuf || Buffer.compare(cpBuf, afterBuf) > 0) {
            // 6.
            if (count === p.maxKeys) {
              page.truncated = true;
              return page;
            }
            page.commonPrefixes.push(cp);
            page.last = cp;
            count++;
          }
          const next = nextPrefix(cpBuf);
          if (!next) return page;
          from = next;
          inclusive = true;
          reseek = true;
          break;
        }
      }
      // 5-6.
      if (count === p.maxKeys) {
        page.truncated = true;
        return page;
      }
      page.contents.push({ ...row, keyString: key });
      page.last = key;
      count++;
    }
    // 6.
    if (!reseek) return page;
  }
}

/** encoding-type=url: S3 percent-encodes like a form (space as '+'), keeping / and unreserved characters. */
export function s3UrlEncode(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~/*]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function checkMaxKeys(v: number | undefined): number {
  if (v === undefined) return PAGE_CAP;
  // S3's two wordings: one for a value outside the integer range, one for a negative integer.
  if (!Number.isInteger(v) || v > 2147483647) {
    throw new AwsError("InvalidArgument", "Provided max-keys not an integer or within integer range", 400, { fields: { ArgumentName: "max-keys", ArgumentValue: String(v) } });
  }
  if (v < 0) {
    throw new AwsError("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647", 400, { fields: { ArgumentName: "maxKeys", ArgumentValue: String(v) } });
  }
  return Math.min(v, PAGE_CAP);
}

export function checkEncodingType(v: string | undefined): boolean {
  if (v === undefined) return false;
  if (v !== "url") throw new AwsError("InvalidArgument", "Invalid Encoding Method specified in Request", 400, { fields: { ArgumentName: "encoding-type", ArgumentValue: v } });
  return true;
}

function toObject(r: ListedRow & { keyString: string }, enc: (s: string) => string, owner: StoredBucket | undefined): _Object {
  const parsed = JSON.parse(r.checksums) as Record<string, string>;
  // "~type" marks a composite checksum (store.ts checksumsColumn).
  const algorithms = Object.keys(parsed).filter((k) => !k.startsWith("~"));
  const type = parsed["~type"] === "COMPOSITE" ? ("COMPOSITE" as const) : ("FULL_OBJECT" as const);
  return {
    Key: enc(r.keyString),
    LastModified: new Date(r.last_modified),
    ETag: r.etag,
    ...(algorithms.length ? { ChecksumAlgorithm: algorithms as _Object["ChecksumAlgorithm"], ChecksumType: type } : {}),
    Size: r.size,
    StorageClass: r.storage_class as _Object["StorageClass"],
    ...(owner ? { Owner: { ID: canonicalUserId(owner.accountId), DisplayName: "nimbus" } } : {}),
  };
}

const TOKEN_TAG = "nimbus1:";

function decodeToken(token: string): string {
  const raw = Buffer.from(token, "base64").toString("utf8");
  if (!raw.startsWith(TOKEN_TAG)) {
    throw new AwsError("InvalidArgument", "The continuation token provided is incorrect", 400, { fields: { ArgumentName: "continuation-token", ArgumentValue: token } });
  }
  return raw.slice(TOKEN_TAG.length);
}

const encodeToken = (last: string): string => Buffer.from(TOKEN_TAG + last, "utf8").toString("base64");

export const ListObjectsV2: Handler<ListObjectsV2Request, ListObjectsV2Output> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const maxKeys = checkMaxKeys(input.MaxKeys);
  const url = checkEncodingType(input.EncodingType);
  const enc = url ? s3UrlEncode : (s: string) => s;
  // The continuation token wins over start-after.
  const after = input.ContinuationToken !== undefined ? decodeToken(input.ContinuationToken) : input.StartAfter || undefined;
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter || undefined;
  const page = listPage(ctx.db, { bucket: b.name, prefix, delimiter, after, maxKeys });
  const out: ListObjectsV2Output = {
    Name: b.name,
    Prefix: enc(prefix),
    MaxKeys: maxKeys,
    KeyCount: page.contents.length + page.commonPrefixes.length,
    IsTruncated: page.truncated,
  };
  if (delimiter !== undefined) out.Delimiter = enc(delimiter);
  if (page.contents.length) out.Contents = page.contents.map((r) => toObject(r, enc, input.FetchOwner ? b : undefined));
  if (page.commonPrefixes.length) out.CommonPrefixes = page.commonPrefixes.map((p): CommonPrefix => ({ Prefix: enc(p) }));
  if (url) out.EncodingType = "url";
  if (input.ContinuationToken !== undefined) out.ContinuationToken = input.ContinuationToken;
  if (input.StartAfter !== undefined) out.StartAfter = enc(input.StartAfter);
  if (page.truncated && page.last !== undefined) out.NextContinuationToken = encodeToken(page.last);
  return out;
};

export const ListObjects: Handler<ListObjectsRequest, ListObjectsOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const maxKeys = checkMaxKeys(input.MaxKeys);
  const url = checkEncodingType(input.EncodingType);
  const enc = url ? s3UrlEncode : (s: string) => s;
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter || undefined;
  const page = listPage(ctx.db, { bucket: b.name, prefix, delimiter, after: input.Marker || undefined, maxKeys });
  const out: ListObjectsOutput = {
    Name: b.name,
    Prefix: enc(prefix),
    Marker: enc(input.Marker ?? ""),
    MaxKeys: maxKeys,
    IsTruncated: page.truncated,
  };
  if (delimiter !== undefined) out.Delimiter = enc(delimiter);
  if (page.contents.length) out.Contents = page.contents.map((r) => toObject(r, enc, b));
  if (page.commonPrefixes.length) out.CommonPrefixes = page.commonPrefixes.map((p): CommonPrefix => ({ Prefix: enc(p) }));
  if (url) out.EncodingType = "url";
  // Like S3, NextMarker only with a delimiter; without one the last key is the next marker.
  if (page.truncated && delimiter !== undefined && page.last !== undefined) out.NextMarker = enc(page.last);
  return out;
};
