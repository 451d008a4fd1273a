// Conditional requests: GET/HEAD (If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since), PUT (If-None-Match: *, If-Match) and CopyObject's
// x-amz-copy-source-if-* headers, with the precedence of RFC 7232 section 6 as S3 documents it
// ("Conditional requests" in the S3 user guide, GetObject and CopyObject API references).
// Dates compare at second granularity (HTTP dates carry no milliseconds).
import { AwsError } from "../../../core/errors.js";
import type { StoredObject } from "../store.js";

export interface ReadConditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

export function preconditionFailed(condition: string): AwsError {
  return new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, { fields: { Condition: condition } });
}

function notModified(o: StoredObject): AwsError {
  return new AwsError("NotModified", "Not Modified", 304, { headers: { ETag: o.etag, "Last-Modified": new Date(o.lastModified).toUTCString() } });
}

/** Does an If-Match / If-None-Match list ("a", W/"b", *) name this ETag? */
export function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, "");
  for (const raw of header.split(",")) {
    const t = raw.trim().replace(/^W\//, "");
    if (t === "*") return true;
    if (t.replace(/^"|"$/g, "") === bare) return true;
  }
  return false;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const modifiedSince = (o: StoredObject, d: Date): boolean => seconds(o.lastModified) > seconds(d.getTime());

/**
 * GET and HEAD. Steps (RFC 7232 section 6, as S3 applies them):
 *   1. If-Match present: false -> 412 (Condition If-Match); true -> skip step 2.
 *   2. Else If-Unmodified-Since present and the object changed after it -> 412.
 *   3. If-None-Match present: true (an ETag matches) -> 304 Not Modified; false -> skip step 4.
 *   4. Else If-Modified-Since present and the object did not change after it -> 304.
 * (A date in the future is still compared: S3 does not ignore it for If-Modified-Since.)
 */
export function checkReadConditions(c: ReadConditions, o: StoredObject): void {
  // 1-2.
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, o.etag)) throw preconditionFailed("If-Match");
  } else if (c.IfUnmodifiedSince !== undefined && modifiedSince(o, c.IfUnmodifiedSince)) {
    throw preconditionFailed("If-Unmodified-Since");
  }
  // 3-4.
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, o.etag)) throw notModified(o);
  } else if (c.IfModifiedSince !== undefined && !modifiedSince(o, c.IfModifiedSince)) {
    throw notModified(o);
  }
}

/** The x-amz-copy-source-if-* members of CopyObject and UploadPartCopy, as ReadConditions. */
export function copySourceConditions(input: {
  CopySourceIfMatch?: string;
  CopySourceIfNoneMatch?: string;
  CopySourceIfModifiedSince?: Date;
  CopySourceIfUnmodifiedSince?: Date;
}): ReadConditions {
  return {
    ...(input.CopySourceIfMatch !== undefined ? { IfMatch: input.CopySourceIfMatch } : {}),
    ...(input.CopySourceIfNoneMatch !== undefined ? { IfNoneMatch: input.CopySourceIfNoneMatch } : {}),
    ...(input.CopySourceIfModifiedSince !== undefined ? { IfModifiedSince: input.CopySourceIfModifiedSince } : {}),
    ...(input.CopySourceIfUnmodifiedSince !== undefined ? { IfUnmodifiedSince: input.CopySourceIfUnmodifiedSince } : {}),
  };
}

/**
 * CopyObject's source conditions: the same steps, but every failure is 412 (a copy has no
 * 304), and the Condition field names the x-amz-copy-source-* header.
 *   1. x-amz-copy-source-if-match false -> 412; true -> skip step 2.
 *   2. Else x-amz-copy-source-if-unmodified-since violated -> 412.
 *   3. x-amz-copy-source-if-none-match true -> 412; false -> skip step 4.
 *   4. Else x-amz-copy-source-if-modified-since not satisfied -> 412.
 */
export function checkCopySourceConditions(c: ReadConditions, o: StoredObject): void {
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, o.etag)) throw preconditionFailed("x-amz-copy-source-If-Match");
  } else if (c.IfUnmodifiedSince !== undefined && modifiedSince(o, c.IfUnmodifiedSince)) {
    throw preconditionFailed("x-amz-copy-source-If-Unmodified-Since");
  }
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, o.etag)) throw preconditionFailed("x-amz-copy-source-If-None-Match");
  } else if (c.IfModifiedSince !== undefined && !modifiedSince(o, c.IfModifiedSince)) {
    throw preconditionFailed("x-amz-copy-source-If-Modified-Since");
  }
}

/**
 * Conditional writes (PutObject, CopyObject destination), checked inside the commit
 * transaction against the row being replaced:
 *   1. If-None-Match: * and an object exists -> 412 (Condition If-None-Match).
 *   2. If-Match and no object -> 404 NoSuchKey; ETag differs -> 412 (Condition If-Match).
 */
export function checkWriteConditions(c: { IfMatch?: string; IfNoneMatch?: string }, existing: StoredObject | undefined, key: string): void {
  if (c.IfNoneMatch !== undefined) {
    if (c.IfNoneMatch.trim() !== "*") {
      throw new AwsError("NotImplemented", "A header you provided implies functionality that is not implemented", 501, { fields: { Header: "If-None-Match" } });
    }
    if (existing) throw preconditionFailed("If-None-Match");
  }
  if (c.IfMatch !== undefined) {
    if (!existing) throw noSuchKey(key);
    if (!etagMatches(c.IfMatch, existing.etag)) throw preconditionFailed("If-Match");
  }
}

export function noSuchKey(key: string): AwsError {
  return new AwsError("NoSuchKey", "The specified key does not exist.", 404, { fields: { Key: key } });
}
