// Lifecycle rules as stored and as the worker and the x-amz-expiration header read them: the
// normalized rule, which objects a filter selects, and when an action falls due. S3 computes a
// Days action's time by adding the days to the object's creation time (for noncurrent actions,
// the time it became noncurrent) and rounding up to the next midnight UTC (S3 User Guide,
// "Lifecycle rules: Based on an object's age").
import type { StoredBucket } from "../handlers/buckets.js";

export const DAY_MS = 86_400_000;

export interface LifecycleFilter {
  prefix: string;
  tags: Array<{ Key: string; Value: string }>;
  sizeGreaterThan?: number;
  sizeLessThan?: number;
}

export interface StoredRule {
  id: string;
  enabled: boolean;
  filter: LifecycleFilter;
  /** The rule exactly as GetBucketLifecycleConfiguration returns it (minus normalization). */
  wire: Record<string, unknown>;
  expiration?: { days?: number; date?: number; expiredObjectDeleteMarker?: boolean };
  transitions: Array<{ days?: number; date?: number; storageClass: string }>;
  noncurrentTransitions: Array<{ days: number; storageClass: string; newer?: number }>;
  noncurrentExpiration?: { days: number; newer?: number };
  abortDays?: number;
}

export interface StoredLifecycle {
  rules: StoredRule[];
  transitionDefaultMinimumObjectSize: "all_storage_classes_128K" | "varies_by_storage_class";
}

/** The bucket document with the member this slice adds (dropped with the bucket). */
export interface LifecycleBucket extends StoredBucket {
  lifecycle?: StoredLifecycle;
}

/** The next midnight UTC at or after `ms`. */
export function ceilMidnight(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

/** When a Days or Date action falls due for something that started at `start`. */
export function dueAt(start: number, when: { days?: number; date?: number }): number {
  if (when.date !== undefined) return when.date;
  return ceilMidnight(start + (when.days ?? 0) * DAY_MS);
}

export function matchesFilter(f: LifecycleFilter, key: string, size: number, tags: Array<{ Key: string; Value: string }>): boolean {
  if (!key.startsWith(f.prefix)) return false;
  if (f.sizeGreaterThan !== undefined && !(size > f.sizeGreaterThan)) return false;
  if (f.sizeLessThan !== undefined && !(size < f.sizeLessThan)) return false;
  for (const t of f.tags) if (!tags.some((x) => x.Key === t.Key && x.Value === t.Value)) return false;
  return true;
}

/**
 * Classes in the order lifecycle may move objects (the "waterfall" of the S3 User Guide,
 * "Transitioning objects"): a rule never moves an object to a class left of its own.
 */
const WATERFALL = ["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"];

export function isColder(target: string, current: string): boolean {
  return WATERFALL.indexOf(target) > WATERFALL.indexOf(current);
}

/**
 * The storage class a current object should be in now by `rule`'s transitions (the coldest
 * one due), or undefined when none applies. Objects under 128 KiB stay put unless the
 * configuration says varies_by_storage_class (S3's default since September 2024).
 */
export function dueTransition(rule: StoredRule, lc: StoredLifecycle, o: { lastModified: number; size: number; storageClass: string }, now: number): string | undefined {
  if (rule.transitions.length === 0) return undefined;
  if (lc.transitionDefaultMinimumObjectSize === "all_storage_classes_128K" && o.size < 128 * 1024) return undefined;
  let best: string | undefined;
  for (const t of rule.transitions) {
    if (dueAt(o.lastModified, t) > now) continue;
    if (!isColder(t.storageClass, best ?? o.storageClass)) continue;
    best = t.storageClass;
  }
  return best;
}

/** The first enabled rule that expires this current object, with the time it does (for x-amz-expiration). */
export function currentExpiry(lc: StoredLifecycle, o: { key: string; size: number; tags: Array<{ Key: string; Value: string }>; lastModified: number }): { rule: StoredRule; at: number } | undefined {
  let found: { rule: StoredRule; at: number } | undefined;
  for (const r of lc.rules) {
    const e = r.expiration;
    if (!r.enabled || !e || (e.days === undefined && e.date === undefined)) continue;
    if (!matchesFilter(r.filter, o.key, o.size, o.tags)) continue;
    const at = dueAt(o.lastModified, e);
    if (!found || at < found.at) found = { rule: r, at };
  }
  return found;
}
