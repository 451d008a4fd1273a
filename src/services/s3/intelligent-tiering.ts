// Put/Get/List/DeleteBucketIntelligentTieringConfiguration: the opt-in Archive Access and Deep
// Archive Access tiers of S3 Intelligent-Tiering. Configurations are a member of the bucket's
// document (dropped with the bucket), keyed by Id; an "int-tiering" document per bucket (global
// scope) is the tiering pass's index of buckets to evaluate (lifecycle/tiering.ts).
//
// PutBucketIntelligentTieringConfiguration validates in this order (each failure changes nothing):
//   1. a configuration whose Id is the id parameter (1 to 64 characters);
//   2. Status Enabled or Disabled; a Filter names at most one of Prefix, Tag, And;
//   3. 1 or 2 Tierings, each tier once: ARCHIVE_ACCESS 90 to 730 days, DEEP_ARCHIVE_ACCESS
//      180 to 730 days (S3 API reference, "Tiering"), the deep tier later than the other;
//   4. at most 1,000 configurations per bucket.
import type {
  DeleteBucketIntelligentTieringConfigurationRequest,
  GetBucketIntelligentTieringConfigurationOutput,
  GetBucketIntelligentTieringConfigurationRequest,
  IntelligentTieringConfiguration,
  ListBucketIntelligentTieringConfigurationsOutput,
  ListBucketIntelligentTieringConfigurationsRequest,
  PutBucketIntelligentTieringConfigurationRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../core/errors.js";
import type { Handler } from "../../core/service.js";
import { updateBucket } from "./access/config.js";
import { ownBucket, type StoredBucket } from "./handlers/buckets.js";
import type { LifecycleFilter } from "./lifecycle/rules.js";
import { globalDocs, type ArchiveTier } from "./storage-class.js";

const MAX_CONFIGURATIONS = 1000;
const PAGE = 100;
const TIER_DAYS: Readonly<Record<ArchiveTier, { min: number; max: number }>> = {
  ARCHIVE_ACCESS: { min: 90, max: 730 },
  DEEP_ARCHIVE_ACCESS: { min: 180, max: 730 },
};

/** The bucket document with the member this slice adds: configurations by Id, as given. */
export interface TieringBucket extends StoredBucket {
  intelligentTiering?: Record<string, IntelligentTieringConfiguration>;
}

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}
function invalidArgument(message: string, name: string, value: string): AwsError {
  return new AwsError("InvalidArgument", message, 400, { fields: { ArgumentName: name, ArgumentValue: value } });
}
function noSuchConfiguration(): AwsError {
  return new AwsError("NoSuchConfiguration", "The specified configuration does not exist.", 404);
}

/** The filter of a configuration in the form the lifecycle matcher takes. */
export function tieringFilter(c: IntelligentTieringConfiguration): LifecycleFilter {
  const f = c.Filter;
  if (!f) return { prefix: "", tags: [] };
  if (f.And) return { prefix: f.And.Prefix ?? "", tags: (f.And.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" })) };
  return { prefix: f.Prefix ?? "", tags: f.Tag ? [{ Key: f.Tag.Key ?? "", Value: f.Tag.Value ?? "" }] : [] };
}

function validate(id: string, c: IntelligentTieringConfiguration | undefined): IntelligentTieringConfiguration {
  // 1.
  if (!c) throw malformedXml();
  if (id.length === 0 || id.length > 64) throw invalidArgument("The Id must be between 1 and 64 characters long", "id", id);
  if (c.Id !== id) throw invalidArgument("The Id in the configuration must match the id parameter", "id", c.Id ?? "null");
  // 2.
  if (c.Status !== "Enabled" && c.Status !== "Disabled") throw malformedXml();
  const f = c.Filter;
  if (f && [f.Prefix, f.Tag, f.And].filter((x) => x !== undefined).length > 1) throw malformedXml();
  if (f?.Tag && (!f.Tag.Key || f.Tag.Value === undefined)) throw malformedXml();
  // 3.
  const tierings = c.Tierings ?? [];
  if (tierings.length === 0 || tierings.length > 2) throw malformedXml();
  const days: Partial<Record<ArchiveTier, number>> = {};
  for (const t of tierings) {
    const tier = t.AccessTier as ArchiveTier;
    const limits = TIER_DAYS[tier];
    if (!limits || t.Days === undefined) throw malformedXml();
    if (days[tier] !== undefined) throw invalidArgument(`Duplicate access tier ${tier}`, "AccessTier", tier);
    if (!Number.isInteger(t.Days) || t.Days < limits.min || t.Days > limits.max) {
      throw invalidArgument(`Days for ${tier} must be between ${limits.min} and ${limits.max}`, "Days", String(t.Days));
    }
    days[tier] = t.Days;
  }
  if (days.ARCHIVE_ACCESS !== undefined && days.DEEP_ARCHIVE_ACCESS !== undefined && days.DEEP_ARCHIVE_ACCESS <= days.ARCHIVE_ACCESS) {
    throw invalidArgument("Days for DEEP_ARCHIVE_ACCESS must be greater than days for ARCHIVE_ACCESS", "Days", String(days.DEEP_ARCHIVE_ACCESS));
  }
  // Stored as AWS returns it: Id, Filter, Status, Tierings.
  return { Id: id, ...(f ? { Filter: f } : {}), Status: c.Status, Tierings: tierings.map((t) => ({ Days: t.Days, AccessTier: t.AccessTier })) };
}

export const PutBucketIntelligentTieringConfiguration: Handler<PutBucketIntelligentTieringConfigurationRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const id = input.Id ?? "";
  const c = validate(id, input.IntelligentTieringConfiguration);
  updateBucket(ctx, b.name, (doc) => {
    const all = ((doc as TieringBucket).intelligentTiering ??= {});
    // 4.
    if (!(id in all) && Object.keys(all).length >= MAX_CONFIGURATIONS) {
      throw new AwsError("TooManyConfigurations", "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.", 400);
    }
    all[id] = c;
    // Evaluated at the next pass, whatever day it last ran.
    globalDocs(ctx).put("int-tiering", b.name, { lastRunDay: -1 });
  });
  return {};
};

export const GetBucketIntelligentTieringConfiguration: Handler<GetBucketIntelligentTieringConfigurationRequest, GetBucketIntelligentTieringConfigurationOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as TieringBucket;
  const c = b.intelligentTiering?.[input.Id ?? ""];
  if (!c) throw noSuchConfiguration();
  return { IntelligentTieringConfiguration: c };
};

/** In Id order, 100 a page; the continuation token is the last Id returned (opaque to clients: base64). */
export const ListBucketIntelligentTieringConfigurations: Handler<ListBucketIntelligentTieringConfigurationsRequest, ListBucketIntelligentTieringConfigurationsOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as TieringBucket;
  const ids = Object.keys(b.intelligentTiering ?? {}).sort();
  let after: string | undefined;
  if (input.ContinuationToken !== undefined) {
    after = Buffer.from(input.ContinuationToken, "base64").toString("utf8");
    if (input.ContinuationToken === "" || Buffer.from(after, "utf8").toString("base64") !== input.ContinuationToken) {
      throw invalidArgument("The continuation token provided is incorrect", "continuation-token", input.ContinuationToken);
    }
  }
  const rest = after === undefined ? ids : ids.filter((id) => id > after!);
  const page = rest.slice(0, PAGE);
  const truncated = rest.length > PAGE;
  return {
    IsTruncated: truncated,
    ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
    ...(truncated ? { NextContinuationToken: Buffer.from(page[page.length - 1], "utf8").toString("base64") } : {}),
    ...(page.length ? { IntelligentTieringConfigurationList: page.map((id) => b.intelligentTiering![id]) } : {}),
  };
};

export const DeleteBucketIntelligentTieringConfiguration: Handler<DeleteBucketIntelligentTieringConfigurationRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (doc) => {
    const all = (doc as TieringBucket).intelligentTiering;
    const id = input.Id ?? "";
    if (!all || !(id in all)) throw noSuchConfiguration();
    delete all[id];
    if (Object.keys(all).length === 0) {
      delete (doc as TieringBucket).intelligentTiering;
      globalDocs(ctx).delete("int-tiering", b.name);
    }
  });
  return {};
};

export const intelligentTieringHandlers: Record<string, Handler> = {
  PutBucketIntelligentTieringConfiguration,
  GetBucketIntelligentTieringConfiguration,
  ListBucketIntelligentTieringConfigurations,
  DeleteBucketIntelligentTieringConfiguration,
};
