// What every VPC-family handler shares: DryRun, tags (TagSpecifications and their validation),
// id lists with AWS's NotFound / Malformed errors, MaxResults / NextToken pagination, and one
// `describe` that puts them together with the generic filter engine (../filters.ts).
import type { Tag, TagSpecification } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { applyFilters, type Filter, type FilterAccessors } from "../filters.js";
import { wellFormed } from "./ids.js";
import { malformed, notFound, type ResourceInfo } from "./lookup.js";

export function dryRun(input: object): void {
  if ((input as { DryRun?: boolean }).DryRun) throw new AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
}

export function invalid(message: string): AwsError {
  return new AwsError("InvalidParameterValue", message, 400);
}

export function missing(param: string): AwsError {
  return new AwsError("MissingParameter", `The request must contain the parameter ${param}`, 400);
}

export function required<T>(value: T | undefined | null, param: string): T {
  if (value === undefined || value === null || (value as unknown) === "") throw missing(param);
  return value;
}

// ---------------------------------------------------------------- tags

/** The resource types TagSpecifications may name, by the kinds this slice keeps. */
export type TaggableType =
  | "vpc" | "subnet" | "route-table" | "internet-gateway" | "natgateway" | "security-group" | "security-group-rule"
  | "network-acl" | "network-interface" | "elastic-ip" | "key-pair" | "vpc-endpoint" | "vpc-peering-connection" | "dhcp-options"
  | "instance" | "volume" | "image" | "snapshot" | "spot-instances-request" | "launch-template";

export function validateTags(tags: Tag[] | undefined): Tag[] {
  const out: Tag[] = [];
  for (const t of tags ?? []) {
    const key = t.Key ?? "";
    if (key.length === 0) throw invalid("Tag key cannot be empty");
    if (key.length > 128) throw invalid(`Tag key exceeds the maximum length of 128 characters`);
    if ((t.Value ?? "").length > 256) throw invalid(`Tag value exceeds the maximum length of 256 characters`);
    if (key.toLowerCase().startsWith("aws:")) throw invalid("Tag keys starting with 'aws:' are reserved for internal use");
    out.push({ Key: key, Value: t.Value ?? "" });
  }
  return out;
}

/** Merges new tags over old ones (same key replaced), refusing more than 50. */
export function mergeTags(old: Tag[] | undefined, add: Tag[]): Tag[] {
  const map = new Map<string, string>();
  for (const t of old ?? []) map.set(t.Key!, t.Value ?? "");
  for (const t of add) map.set(t.Key!, t.Value ?? "");
  if (map.size > 50) throw new AwsError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.", 400);
  return [...map].map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The tags a create call's TagSpecifications give a resource of `type`. AWS refuses a
 * specification for a resource type the operation does not create, and a type named twice.
 */
export function tagsOnCreate(specs: TagSpecification[] | undefined, type: TaggableType, also: TaggableType[] = []): Tag[] {
  let tags: Tag[] = [];
  const seen = new Set<string>();
  for (const spec of specs ?? []) {
    const rt = spec.ResourceType;
    if (!rt) throw invalid("Tag specification resource type must have a value");
    if (rt !== type && !also.includes(rt as TaggableType)) throw invalid(`'${rt}' is not a valid taggable resource type for this operation.`);
    if (seen.has(rt)) throw invalid(`The same resource type may not be specified more than once in tag specifications`);
    seen.add(rt);
    if (rt === type) tags = mergeTags([], validateTags(spec.Tags));
  }
  return tags;
}

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  const m: Record<string, string> = {};
  for (const t of tags ?? []) m[t.Key!] = t.Value ?? "";
  return m;
}

/** Tags as AWS answers them: absent when empty (boto3 and the CLI then print no key). */
export function tagsOut(tags: Tag[] | undefined): Tag[] | undefined {
  return tags && tags.length ? tags : undefined;
}

// ---------------------------------------------------------------- describe

export interface DescribeSpec<D, O> {
  res: ResourceInfo;
  /** The query name of the id list, for the MaxResults combination error (vpcIds). */
  idsParam: string;
  idOf: (d: D) => string;
  accessors: FilterAccessors<D>;
  view: (d: D) => O;
  /** MaxResults bounds (AWS: 5..1000 for most VPC Describe calls). */
  min?: number;
  max?: number;
}

export interface PageInput {
  Filters?: Filter[];
  MaxResults?: number;
  NextToken?: string;
}

export function checkMaxResults(max: number | undefined, min: number, top: number): void {
  if (max === undefined) return;
  if (max < min || max > top) throw invalid(`Value ( ${max} ) for parameter maxResults is invalid. Parameter may be between ${min} and ${top}.`);
}

/** Items in id order, cut after the token's id and at MaxResults. */
export function paginate<D>(items: D[], idOf: (d: D) => string, input: PageInput, min = 5, max = 1000): { page: D[]; next?: string } {
  checkMaxResults(input.MaxResults, min, max);
  let start = 0;
  if (input.NextToken) {
    let after: string;
    try {
      after = Buffer.from(input.NextToken, "base64url").toString("utf8");
      if (!after.startsWith("ec2:")) throw new Error();
    } catch {
      throw invalid(`Invalid value '${input.NextToken}' for nextToken`);
    }
    after = after.slice(4);
    start = items.findIndex((d) => idOf(d) > after);
    if (start < 0) start = items.length;
  }
  const limit = input.MaxResults ?? Number.MAX_SAFE_INTEGER;
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { page, next: more ? Buffer.from(`ec2:${idOf(page[page.length - 1])}`).toString("base64url") : undefined };
}

/** ids (all must exist) -> filters -> pagination, over every document of a kind. */
export function describe<D, O>(docs: D[], ids: string[] | undefined, input: PageInput, spec: DescribeSpec<D, O>): { items: O[]; next?: string } {
  if (ids?.length && input.MaxResults !== undefined) {
    throw new AwsError("InvalidParameterCombination", `The parameter ${spec.idsParam} cannot be used with the parameter maxResults`, 400);
  }
  let selected = docs;
  if (ids?.length) {
    for (const id of ids) if (!wellFormed(spec.res.prefix, id)) throw malformed(spec.res, id);
    const byId = new Map(docs.map((d) => [spec.idOf(d), d]));
    const missingIds = [...new Set(ids)].filter((id) => !byId.has(id));
    if (missingIds.length) throw notFound(spec.res, missingIds);
    const wanted = new Set(ids);
    selected = docs.filter((d) => wanted.has(spec.idOf(d)));
  }
  const filtered = applyFilters(selected, input.Filters, spec.accessors, (d) => tagMap((d as { Tags?: Tag[] }).Tags));
  const { page, next } = paginate(filtered, spec.idOf, input, spec.min ?? 5, spec.max ?? 1000);
  return { items: page.map(spec.view), next };
}
