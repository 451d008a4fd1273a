// Put/Get/DeleteBucketLifecycleConfiguration. The configuration is a member of the bucket's
// document (dropped with the bucket); a "lifecycle" document per bucket (global scope) is the
// worker's index of buckets to evaluate (worker.ts).
//
// PutBucketLifecycleConfiguration validates in this order (each failure changes nothing):
//   1. the document: 1 to 1,000 rules, each with a Status, exactly one of Filter / Prefix,
//      a Filter naming at most one of Prefix, Tag, ObjectSize*, And;
//   2. rule ids: at most 255 characters, unique (a missing one is generated);
//   3. actions: at least one; Expiration has exactly one of Days (>0), Date (midnight UTC),
//      ExpiredObjectDeleteMarker (not with tag filters); Transitions have Days (>=0) or Date and
//      a class lifecycle can move to, 30 days at least for STANDARD_IA/ONEZONE_IA, no class
//      twice; noncurrent actions likewise with NoncurrentDays; AbortIncompleteMultipartUpload
//      not with tag or size filters;
//   4. the expiration comes after every transition.
import { randomBytes } from "node:crypto";
import type {
  DeleteBucketLifecycleRequest,
  GetBucketLifecycleConfigurationOutput,
  GetBucketLifecycleConfigurationRequest,
  LifecycleRule,
  PutBucketLifecycleConfigurationOutput,
  PutBucketLifecycleConfigurationRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { updateBucket } from "../access/config.js";
import { ownBucket } from "../handlers/buckets.js";
import { globalDocs } from "../storage-class.js";
import type { LifecycleBucket, LifecycleFilter, StoredLifecycle, StoredRule } from "./rules.js";

const MAX_RULES = 1000;
const TRANSITION_TARGETS = new Set(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]);
const IA_MIN_DAYS = 30;

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}
function invalidArgument(message: string): AwsError {
  return new AwsError("InvalidArgument", message, 400);
}
function invalidRequest(message: string): AwsError {
  return new AwsError("InvalidRequest", message, 400);
}

/** S3 names a rule's filter in its messages as "(prefix=...)". */
function filterText(f: LifecycleFilter): string {
  return `(prefix=${f.prefix})`;
}

function checkDate(d: Date | undefined, action: string): number | undefined {
  if (d === undefined) return undefined;
  const t = d.getTime();
  if (Number.isNaN(t)) throw malformedXml();
  if (t % 86_400_000 !== 0) throw invalidArgument(`'Date' must be at midnight GMT`);
  void action;
  return t;
}

function parseFilter(r: LifecycleRule): LifecycleFilter {
  // 1. Exactly one of the legacy Prefix and Filter.
  if ((r.Prefix !== undefined) === (r.Filter !== undefined)) throw malformedXml();
  if (r.Prefix !== undefined) return { prefix: r.Prefix, tags: [] };
  const f = r.Filter!;
  const named = [f.Prefix, f.Tag, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan, f.And].filter((x) => x !== undefined).length;
  if (named > 1) throw malformedXml();
  const out: LifecycleFilter = { prefix: f.Prefix ?? "", tags: f.Tag ? [{ Key: f.Tag.Key ?? "", Value: f.Tag.Value ?? "" }] : [] };
  if (f.ObjectSizeGreaterThan !== undefined) out.sizeGreaterThan = f.ObjectSizeGreaterThan;
  if (f.ObjectSizeLessThan !== undefined) out.sizeLessThan = f.ObjectSizeLessThan;
  if (f.And) {
    const a = f.And;
    out.prefix = a.Prefix ?? "";
    out.tags = (a.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
    if (a.ObjectSizeGreaterThan !== undefined) out.sizeGreaterThan = a.ObjectSizeGreaterThan;
    if (a.ObjectSizeLessThan !== undefined) out.sizeLessThan = a.ObjectSizeLessThan;
    const keys = new Set(out.tags.map((t) => t.Key));
    if (keys.size !== out.tags.length) throw invalidRequest("Duplicate Tag Keys are not allowed.");
  }
  if (out.sizeGreaterThan !== undefined && out.sizeGreaterThan < 0) throw invalidArgument("'ObjectSizeGreaterThan' should be a non-negative number");
  if (out.sizeLessThan !== undefined && out.sizeLessThan <= 0) throw invalidArgument("'ObjectSizeLessThan' should be a positive number");
  if (out.sizeGreaterThan !== undefined && out.sizeLessThan !== undefined && out.sizeGreaterThan >= out.sizeLessThan) {
    throw invalidArgument("The maximum object size must be larger than the minimum object size");
  }
  return out;
}

function parseRule(r: LifecycleRule): StoredRule {
  if (r.Status !== "Enabled" && r.Status !== "Disabled") throw malformedXml();
  const filter = parseFilter(r);
  // 2.
  const id = r.ID ?? randomBytes(36).toString("base64").replace(/[+/=]/g, "").slice(0, 48);
  if (id.length > 255) throw invalidArgument("ID length should not exceed allowed limit of 255");
  const rule: StoredRule = { id, enabled: r.Status === "Enabled", filter, wire: {}, transitions: [], noncurrentTransitions: [] };
  // 3.
  const e = r.Expiration;
  if (e) {
    const n = [e.Days, e.Date, e.ExpiredObjectDeleteMarker].filter((x) => x !== undefined).length;
    if (n !== 1) throw malformedXml();
    if (e.Days !== undefined && (!Number.isInteger(e.Days) || e.Days <= 0)) throw invalidArgument("'Days' for Expiration action must be a positive integer");
    if (e.ExpiredObjectDeleteMarker !== undefined && filter.tags.length > 0) throw invalidRequest("ExpiredObjectDeleteMarker cannot be specified with tags.");
    const date = checkDate(e.Date, "Expiration");
    rule.expiration = {
      ...(e.Days !== undefined ? { days: e.Days } : {}),
      ...(date !== undefined ? { date } : {}),
      ...(e.ExpiredObjectDeleteMarker !== undefined ? { expiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker } : {}),
    };
  }
  const seen = new Set<string>();
  for (const t of r.Transitions ?? []) {
    if ((t.Days === undefined) === (t.Date === undefined)) throw malformedXml();
    const sc = t.StorageClass;
    if (sc === undefined) throw malformedXml();
    if (!TRANSITION_TARGETS.has(sc)) throw invalidRequest("The storage class you specified in the Transition action is not valid");
    if (seen.has(sc)) throw invalidRequest(`'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '${filterText(filter)}'`);
    seen.add(sc);
    if (t.Days !== undefined) {
      if (!Number.isInteger(t.Days) || t.Days < 0) throw invalidArgument("'Days' in Transition action must be nonnegative");
      if ((sc === "STANDARD_IA" || sc === "ONEZONE_IA") && t.Days < IA_MIN_DAYS) {
        throw invalidArgument(`'Days' in Transition action must be greater than or equal to 30 for storageClass '${sc}'`);
      }
    }
    const date = checkDate(t.Date, "Transition");
    rule.transitions.push({ ...(t.Days !== undefined ? { days: t.Days } : {}), ...(date !== undefined ? { date } : {}), storageClass: sc });
  }
  if (rule.transitions.some((t) => t.days !== undefined) && rule.transitions.some((t) => t.date !== undefined)) throw malformedXml();
  const seenNc = new Set<string>();
  for (const t of r.NoncurrentVersionTransitions ?? []) {
    const sc = t.StorageClass;
    if (sc === undefined || t.NoncurrentDays === undefined) throw malformedXml();
    if (!TRANSITION_TARGETS.has(sc)) throw invalidRequest("The storage class you specified in the NoncurrentVersionTransition action is not valid");
    if (seenNc.has(sc)) throw invalidRequest(`'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule' with filter '${filterText(filter)}'`);
    seenNc.add(sc);
    if (!Number.isInteger(t.NoncurrentDays) || t.NoncurrentDays < 0) throw invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative");
    if ((sc === "STANDARD_IA" || sc === "ONEZONE_IA") && t.NoncurrentDays < IA_MIN_DAYS) {
      throw invalidArgument(`'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '${sc}'`);
    }
    if (t.NewerNoncurrentVersions !== undefined && (t.NewerNoncurrentVersions < 1 || t.NewerNoncurrentVersions > 100)) {
      throw invalidArgument("NewerNoncurrentVersions must be a positive integer less than or equal to 100");
    }
    rule.noncurrentTransitions.push({ days: t.NoncurrentDays, storageClass: sc, ...(t.NewerNoncurrentVersions !== undefined ? { newer: t.NewerNoncurrentVersions } : {}) });
  }
  const ne = r.NoncurrentVersionExpiration;
  if (ne) {
    if (ne.NoncurrentDays === undefined) throw malformedXml();
    if (!Number.isInteger(ne.NoncurrentDays) || ne.NoncurrentDays <= 0) throw invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
    if (ne.NewerNoncurrentVersions !== undefined && (ne.NewerNoncurrentVersions < 1 || ne.NewerNoncurrentVersions > 100)) {
      throw invalidArgument("NewerNoncurrentVersions must be a positive integer less than or equal to 100");
    }
    rule.noncurrentExpiration = { days: ne.NoncurrentDays, ...(ne.NewerNoncurrentVersions !== undefined ? { newer: ne.NewerNoncurrentVersions } : {}) };
  }
  const ab = r.AbortIncompleteMultipartUpload;
  if (ab) {
    if (ab.DaysAfterInitiation === undefined) throw malformedXml();
    if (filter.tags.length > 0) throw invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.");
    if (filter.sizeGreaterThan !== undefined || filter.sizeLessThan !== undefined) throw invalidRequest("AbortIncompleteMultipartUpload cannot be specified with ObjectSize filters.");
    if (!Number.isInteger(ab.DaysAfterInitiation) || ab.DaysAfterInitiation <= 0) throw invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
    rule.abortDays = ab.DaysAfterInitiation;
  }
  if (!rule.expiration && rule.transitions.length === 0 && rule.noncurrentTransitions.length === 0 && !rule.noncurrentExpiration && rule.abortDays === undefined) {
    throw invalidRequest("At least one action needs to be specified in a rule");
  }
  // 4.
  const exp = rule.expiration;
  if (exp?.days !== undefined) {
    for (const t of rule.transitions) {
      if (t.days !== undefined && t.days >= exp.days) {
        throw invalidArgument(`'Days' in the Expiration action for filter '${filterText(filter)}' must be greater than 'Days' in the Transition action`);
      }
    }
  }
  if (rule.noncurrentExpiration) {
    for (const t of rule.noncurrentTransitions) {
      if (t.days >= rule.noncurrentExpiration.days) {
        throw invalidArgument(`'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '${filterText(filter)}' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action`);
      }
    }
  }
  rule.wire = wireRule(r, id);
  return rule;
}

/** The rule as GetBucketLifecycleConfiguration answers it: what was sent, with its id. */
function wireRule(r: LifecycleRule, id: string): Record<string, unknown> {
  const w = JSON.parse(JSON.stringify({ ...r, ID: id })) as Record<string, unknown>;
  // Dates went through JSON as ISO strings; the serializer wants Date objects back (see getRules).
  return w;
}

function reviveDates(w: Record<string, unknown>): LifecycleRule {
  const r = JSON.parse(JSON.stringify(w)) as LifecycleRule & Record<string, any>;
  if (r.Expiration?.Date) r.Expiration.Date = new Date(r.Expiration.Date as unknown as string);
  for (const t of r.Transitions ?? []) if (t.Date) t.Date = new Date(t.Date as unknown as string);
  return r;
}

export const PutBucketLifecycleConfiguration: Handler<PutBucketLifecycleConfigurationRequest, PutBucketLifecycleConfigurationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const rules = input.LifecycleConfiguration?.Rules;
  // 1.
  if (!rules || rules.length === 0) throw malformedXml();
  if (rules.length > MAX_RULES) throw invalidRequest(`Number of lifecycle rules should not exceed allowed limit of ${MAX_RULES} rules`);
  const parsed = rules.map(parseRule);
  // 2.
  const ids = new Set<string>();
  for (const r of parsed) {
    if (ids.has(r.id)) throw invalidArgument("Rule ID must be unique. Found same ID for more than one rule");
    ids.add(r.id);
  }
  const size = input.TransitionDefaultMinimumObjectSize ?? "all_storage_classes_128K";
  if (size !== "all_storage_classes_128K" && size !== "varies_by_storage_class") throw invalidRequest("Invalid TransitionDefaultMinimumObjectSize value");
  const lc: StoredLifecycle = { rules: parsed, transitionDefaultMinimumObjectSize: size };
  updateBucket(ctx, b.name, (doc) => {
    (doc as LifecycleBucket).lifecycle = lc;
    // A new configuration is evaluated at the next worker run, whatever day it last ran.
    globalDocs(ctx).put("lifecycle", b.name, { lastRunDay: -1 });
  });
  return { TransitionDefaultMinimumObjectSize: size };
};

export const GetBucketLifecycleConfiguration: Handler<GetBucketLifecycleConfigurationRequest, GetBucketLifecycleConfigurationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as LifecycleBucket;
  if (!b.lifecycle) {
    throw new AwsError("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404, { fields: { BucketName: b.name } });
  }
  return { Rules: b.lifecycle.rules.map((r) => reviveDates(r.wire)), TransitionDefaultMinimumObjectSize: b.lifecycle.transitionDefaultMinimumObjectSize };
};

export const DeleteBucketLifecycle: Handler<DeleteBucketLifecycleRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (doc) => {
    delete (doc as LifecycleBucket).lifecycle;
    globalDocs(ctx).delete("lifecycle", b.name);
  });
  return {};
};
