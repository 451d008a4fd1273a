// x-amz-expiration on PUT, GET and HEAD: `expiry-date="<midnight UTC>", rule-id="<id>"` when an
// enabled lifecycle rule will expire the current version (S3 API reference, HeadObject
// "Expiration"). It reads the bucket document the handler already has, so a bucket without a
// lifecycle configuration pays one property check.
import type { StoredBucket } from "../handlers/buckets.js";
import type { StoredObject } from "../store.js";
import { currentExpiry, type LifecycleBucket } from "./rules.js";

export function expirationHeader(_ctx: unknown, bucket: StoredBucket, o: StoredObject): string | undefined {
  const lc = (bucket as LifecycleBucket).lifecycle;
  if (!lc) return undefined;
  const e = currentExpiry(lc, o);
  if (!e) return undefined;
  return `expiry-date="${new Date(e.at).toUTCString()}", rule-id="${e.rule.id}"`;
}
