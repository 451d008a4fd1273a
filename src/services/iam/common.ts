// What every IAM handler shares: ids and ARNs shaped as AWS shapes them, name and path
// validation in AWS's wording, Marker/MaxItems pagination, policy documents as AWS returns
// them (URL-encoded), and the errors IAM answers with.
import { randomBytes, randomInt } from "node:crypto";
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";

/** Unique ids: a 4-letter prefix naming the kind of entity, then 17 upper-case letters and digits (21 in all). */
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function randomChars(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return s;
}

export type IdPrefix = "AIDA" | "AGPA" | "AROA" | "ANPA" | "AIPA";

/** An entity id as AWS shapes it: AIDA (user), AGPA (group), AROA (role), ANPA (policy), AIPA (instance profile). */
export function newId(prefix: IdPrefix): string {
  return prefix + randomChars(17);
}

/** An access key id: AKIA (long-term) or ASIA (temporary), 20 characters. */
export function newAccessKeyId(prefix: "AKIA" | "ASIA"): string {
  return prefix + randomChars(16);
}

/** A 40-character secret access key. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64").replace(/[^A-Za-z0-9+/]/g, "A").slice(0, 40);
}

export function iamArn(accountId: string, kind: "user" | "group" | "role" | "policy" | "instance-profile", path: string, name: string): string {
  return `arn:aws:iam::${accountId}:${kind}${path}${name}`;
}

/** Names are unique regardless of case, so documents are keyed by the lower-cased name. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

// ---- errors --------------------------------------------------------------------------

export function noSuchEntity(message: string): AwsError {
  return new AwsError("NoSuchEntityException", message);
}

export function alreadyExists(message: string): AwsError {
  return new AwsError("EntityAlreadyExistsException", message);
}

export function deleteConflict(message: string): AwsError {
  return new AwsError("DeleteConflictException", message);
}

export function limitExceeded(message: string): AwsError {
  return new AwsError("LimitExceededException", message);
}

export function invalidInput(message: string): AwsError {
  return new AwsError("InvalidInputException", message);
}

export function malformedPolicy(message: string): AwsError {
  return new AwsError("MalformedPolicyDocumentException", message);
}

/** AWS's "1 validation error detected: ..." for one member. */
export function validationError(value: unknown, member: string, constraint: string): AwsError {
  const shown = value === undefined || value === null ? "null" : `'${String(value)}'`;
  return new AwsError("ValidationError", `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}

// ---- validation ----------------------------------------------------------------------

const NAME_PATTERN = /^[\w+=,.@-]+$/;
const PATH_PATTERN = /^(\/|\/[\u0021-\u007E]+\/)$/;

/** Validates a user/group/role/policy/instance-profile name: pattern [\w+=,.@-]+ and a length limit. */
export function checkName(value: string | undefined, member: string, max: number): string {
  if (value === undefined) throw validationError(undefined, member, "Member must not be null");
  if (value.length < 1 || value.length > max) {
    throw validationError(value, member, `Member must have length ${value.length < 1 ? "greater than or equal to 1" : `less than or equal to ${max}`}`);
  }
  if (!NAME_PATTERN.test(value)) throw validationError(value, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  return value;
}

/** Validates a path ("/" or "/a/b/"), defaulting to "/". */
export function checkPath(value: string | undefined, member = "path"): string {
  if (value === undefined) return "/";
  if (value.length < 1 || value.length > 512) {
    throw validationError(value, member, `Member must have length ${value.length < 1 ? "greater than or equal to 1" : "less than or equal to 512"}`);
  }
  if (!PATH_PATTERN.test(value)) {
    throw validationError(value, member, "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
  }
  return value;
}

/** Validates a PathPrefix filter (any "/..." string). */
export function checkPathPrefix(value: string | undefined): string {
  if (value === undefined) return "/";
  if (!/^\u002F[\u0021-\u007F]*$/.test(value) || value.length > 512) {
    throw validationError(value, "pathPrefix", "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*");
  }
  return value;
}

// ---- tags ----------------------------------------------------------------------------

export interface Tag {
  Key: string;
  Value: string;
}

/** Validates tags as IAM does (50 per resource, key 1-128, value 0-256) and merges them over `existing`. */
export function mergeTags(existing: Tag[] | undefined, add: Array<{ Key?: string; Value?: string }> | undefined): Tag[] {
  const out = new Map<string, Tag>();
  for (const t of existing ?? []) out.set(t.Key, t);
  (add ?? []).forEach((t, i) => {
    const key = t.Key ?? "";
    const value = t.Value ?? "";
    if (key.length < 1 || key.length > 128) throw validationError(key, `tags.${i + 1}.member.key`, "Member must have length less than or equal to 128");
    if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(key)) {
      throw validationError(key, `tags.${i + 1}.member.key`, "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
    }
    if (value.length > 256) throw validationError(value, `tags.${i + 1}.member.value`, "Member must have length less than or equal to 256");
    // Keys are case-insensitive on IAM resources: a second spelling replaces the first.
    for (const k of out.keys()) if (k.toLowerCase() === key.toLowerCase()) out.delete(k);
    out.set(key, { Key: key, Value: value });
  });
  if (out.size > 50) throw limitExceeded("The number of tags has reached the maximum limit.");
  return [...out.values()];
}

export function removeTags(existing: Tag[] | undefined, keys: string[] | undefined): Tag[] {
  const drop = new Set((keys ?? []).map((k) => k.toLowerCase()));
  return (existing ?? []).filter((t) => !drop.has(t.Key.toLowerCase()));
}

/**
 * What every TagX and UntagX shares: in one transaction, read the entity (load), change its
 * tags, write it back (save); answers the empty result both return.
 */
export function updateTags<T extends { Tags: Tag[] }>(ctx: RequestContext, load: () => T, save: (doc: T) => void, change: (tags: Tag[]) => Tag[]): Record<string, never> {
  ctx.store.tx(() => {
    const doc = load();
    doc.Tags = change(doc.Tags);
    save(doc);
  });
  return {};
}

/** ListXTags: one Marker/MaxItems page of an entity's tags. */
export function tagsPage(tags: Tag[], input: { Marker?: string; MaxItems?: number }): { Tags: Tag[]; IsTruncated: boolean; Marker?: string } {
  const page = paginate(tags, input);
  return { Tags: page.items, ...pageFields(page) };
}

// ---- pagination ----------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
}

/**
 * Marker/MaxItems over a list already in AWS's order. The marker is opaque to clients: the
 * position of the next item, encoded.
 */
export function paginate<T>(all: T[], input: { Marker?: string; MaxItems?: number }): Page<T> {
  const max = input.MaxItems ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw validationError(max, "maxItems", max < 1 ? "Member must have value greater than or equal to 1" : "Member must have value less than or equal to 1000");
  }
  let start = 0;
  if (input.Marker !== undefined) {
    const decoded = /^[A-Za-z0-9_-]+$/.test(input.Marker) ? Buffer.from(input.Marker, "base64url").toString() : "";
    const m = /^nimbus:(\d+)$/.exec(decoded);
    if (!m) throw invalidInput("Invalid Marker.");
    start = Number(m[1]);
  }
  const items = all.slice(start, start + max);
  const truncated = start + max < all.length;
  return truncated
    ? { items, IsTruncated: true, Marker: Buffer.from(`nimbus:${start + max}`).toString("base64url") }
    : { items, IsTruncated: false };
}

/** The list members of an answer: IsTruncated always, Marker when truncated. */
export function pageFields<T>(p: Page<T>): { IsTruncated: boolean; Marker?: string } {
  return p.IsTruncated ? { IsTruncated: true, Marker: p.Marker } : { IsTruncated: false };
}

// ---- policy documents ----------------------------------------------------------------

/** Policy documents leave IAM URL-encoded (RFC 3986), as AWS returns them; the aws CLI and boto3 decode them. */
export function encodePolicy(doc: string): string {
  return encodeURIComponent(doc);
}

/** A policy document as sent: clients may send it URL-encoded (as IAM returns it) or as JSON. */
export function decodePolicyInput(doc: string): string {
  const t = doc.trimStart();
  if (t.startsWith("%7B") || t.startsWith("%7b")) {
    try {
      return decodeURIComponent(doc);
    } catch {
      return doc;
    }
  }
  return doc;
}

// ---- time ----------------------------------------------------------------------------

export function now(ctx: RequestContext): number {
  return ctx.clock.now();
}

export function date(ms: number | undefined): Date | undefined {
  return ms === undefined ? undefined : new Date(ms);
}

export type { DocStore };

/** IAM's timestamps have whole seconds ("2026-11-22T07:00:00Z"). */
export function nowSeconds(ctx: RequestContext): number {
  return Math.floor(ctx.clock.now() / 1000) * 1000;
}
