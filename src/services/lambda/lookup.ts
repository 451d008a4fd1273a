// Finding what a FunctionName (+ Qualifier) names: a function's $LATEST, a published version or
// an alias, in the caller's account or, for a full ARN, in the account the ARN names (a
// cross-account call the authorize step already allowed through the function's policy).
import type { AliasConfiguration, FunctionConfiguration } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import { DocStore } from "../../core/state/doc-store.js";
import type { Db } from "../../core/state/database.js";

/** A resource-based policy as AddPermission builds it. */
export interface FunctionPolicy {
  Version: "2012-10-17";
  Id: "default";
  Statement: Array<Record<string, unknown>>;
}

/** $LATEST (kind "function", id = name) and published versions (kind "version", id = versionKey). */
export interface StoredFunction {
  configuration: FunctionConfiguration;
  codeSize: number;
  blobId: string;
  shaHex: string;
  tags?: Record<string, string>;
  /** The last published version number ($LATEST only). */
  lastVersion?: number;
  /** The layer versions of `Layers`, in order, with their packages (kept even if the layer version is deleted). */
  layers?: Array<{ arn: string; blobId: string; shaHex: string }>;
}

export interface StoredAlias {
  alias: AliasConfiguration;
}

/** Kind "policy", id policyKey(): a function's, version's or alias's resource-based policy. */
export interface StoredPolicy {
  /** Exactly as GetPolicy answers it. */
  policy: FunctionPolicy;
  /** The same policy as the IAM engine evaluates it (Resource unqualified, see permissions.ts). */
  engine: string;
}

/** "<name>#" for the function's own policy, "<name>#<qualifier>" for a version's or alias's. */
export function policyKey(name: string, qualifier: string | undefined): string {
  return `${name}#${qualifier === undefined || qualifier === "$LATEST" ? "" : qualifier}`;
}

/** Where a handler may look: the parts of a RequestContext (or a background job's) it needs. */
export interface Scope {
  db: Db;
  region: string;
  accountId: string;
  store: DocStore;
}

export interface FunctionRef {
  account: string;
  region: string;
  name: string;
  /** As written (ARN suffix or Qualifier member); undefined for an unqualified name. */
  qualifier?: string;
  store: DocStore;
}

const FN = /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const QUALIFIER = /^(|[a-zA-Z0-9$_-]+)$/;

export function arnOf(region: string, account: string, name: string, qualifier?: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}

export function notFound(region: string, account: string, name: string, qualifier?: string): AwsError {
  return new AwsError("ResourceNotFoundException", `Function not found: ${arnOf(region, account, name, qualifier)}`, 404, { fields: { Type: "User" } });
}

export function invalid(message: string): AwsError {
  return new AwsError("InvalidParameterValueException", message, 400, { fields: { Type: "User" } });
}

/** The store of another account's functions in the same region (same database). */
export function storeOf(scope: Scope, account: string): DocStore {
  return account === scope.accountId ? scope.store : new DocStore(scope.db, "lambda", `${account}/${scope.region}`);
}

/** The parts of a FunctionName member, or undefined when it matches no form AWS accepts. */
export function parseFunctionName(fn: string): { region?: string; account?: string; name: string; qualifier?: string } | undefined {
  const m = FN.exec(fn);
  return m ? { region: m[1], account: m[2], name: m[3], qualifier: m[4] } : undefined;
}

/** Parses a FunctionName member (name, partial ARN, full ARN, each maybe qualified) and a Qualifier. */
export function refOf(scope: Scope, fn: string | undefined, qualifier?: string): FunctionRef {
  const m = FN.exec(fn ?? "");
  if (!m) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${fn ?? "null"}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`, 400);
  }
  if (qualifier !== undefined && !QUALIFIER.test(qualifier)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${qualifier}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`, 400);
  }
  const account = m[2] ?? scope.accountId;
  if (m[4] !== undefined && qualifier !== undefined && m[4] !== qualifier) {
    throw invalid("The derived qualifier from the function name does not match the specified qualifier.");
  }
  if (m[1] && m[1] !== scope.region) throw notFound(scope.region, account, m[3]);
  const q = m[4] ?? (qualifier === "" ? undefined : qualifier);
  return { account, region: scope.region, name: m[3], ...(q !== undefined ? { qualifier: q } : {}), store: storeOf(scope, account) };
}

/** Version documents sort by number: their ids are the name and a zero-padded number. */
export function versionKey(name: string, version: number | string): string {
  return `${name}#${String(version).padStart(10, "0")}`;
}

export function aliasKey(name: string, alias: string): string {
  return `${name}#${alias}`;
}

export const isVersion = (q: string): boolean => /^[0-9]+$/.test(q);

export function loadLatest(ref: FunctionRef): StoredFunction {
  const doc = ref.store.get<StoredFunction>("function", ref.name);
  if (!doc) throw notFound(ref.region, ref.account, ref.name);
  return doc;
}

export function loadVersion(ref: FunctionRef, version: string): StoredFunction {
  const doc = ref.store.get<StoredFunction>("version", versionKey(ref.name, version));
  if (!doc) throw notFound(ref.region, ref.account, ref.name, version);
  return doc;
}

export function loadAlias(ref: FunctionRef, alias: string): StoredAlias {
  const doc = ref.store.get<StoredAlias>("alias", aliasKey(ref.name, alias));
  if (!doc) {
    throw new AwsError("ResourceNotFoundException", `Cannot find alias arn: ${arnOf(ref.region, ref.account, ref.name, alias)}`, 404, { fields: { Type: "User" } });
  }
  return doc;
}

/**
 * The configuration a qualified name runs: $LATEST, a version, or an alias's version (for an
 * alias with RoutingConfig, `pick` chooses among the weighted versions).
 */
export function resolveTarget(ref: FunctionRef, pick?: (alias: AliasConfiguration) => string): { doc: StoredFunction; version: string; alias?: StoredAlias } {
  const latest = loadLatest(ref);
  const q = ref.qualifier;
  if (q === undefined || q === "$LATEST") return { doc: latest, version: "$LATEST" };
  if (isVersion(q)) return { doc: loadVersion(ref, q), version: q };
  const alias = ref.store.get<StoredAlias>("alias", aliasKey(ref.name, q));
  if (!alias) throw notFound(ref.region, ref.account, ref.name, q);
  const version = pick ? pick(alias.alias) : alias.alias.FunctionVersion!;
  return { doc: version === "$LATEST" ? latest : loadVersion(ref, version), version, alias };
}
