// Aliases: a name pointing at a version (or $LATEST), optionally splitting traffic with one
// additional version by weight (RoutingConfig.AdditionalVersionWeights). Invoke picks the
// version per invocation (pickVersion) and reports it as ExecutedVersion.
import { randomUUID } from "node:crypto";
import type { AliasConfiguration, AliasRoutingConfiguration, CreateAliasRequest, DeleteAliasRequest, GetAliasRequest, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler } from "../../core/service.js";
import { aliasKey, arnOf, invalid, loadAlias, loadLatest, refOf, versionKey, type FunctionRef, type StoredAlias } from "./lookup.js";
import { checkRevision } from "./functions.js";

const ALIAS = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

function checkName(name: string | undefined): string {
  if (!name || name.length > 128 || !ALIAS.test(name)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${name ?? "null"}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`, 400);
  }
  return name;
}

function checkVersion(ref: FunctionRef, version: string | undefined): string {
  if (!version || !/^(\$LATEST|[0-9]+)$/.test(version)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${version ?? "null"}' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)`, 400);
  }
  if (version !== "$LATEST" && !ref.store.get("version", versionKey(ref.name, version))) {
    throw new AwsError("ResourceNotFoundException", `Function not found: ${arnOf(ref.region, ref.account, ref.name, version)}`, 404, { fields: { Type: "User" } });
  }
  return version;
}

/** RoutingConfig: one additional published version, weight in [0, 1], not the alias's own version. */
function checkRouting(ref: FunctionRef, primary: string, routing: AliasRoutingConfiguration | undefined): AliasRoutingConfiguration | undefined {
  const weights = routing?.AdditionalVersionWeights;
  if (!weights || Object.keys(weights).length === 0) return undefined;
  const entries = Object.entries(weights);
  if (entries.length > 1) throw invalid("Number of items in AdditionalVersionWeights cannot be greater than 1");
  const [[version, weight]] = entries;
  if (typeof weight !== "number" || weight < 0 || weight > 1) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '{${version}=${weight}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]`, 400);
  }
  if (primary === "$LATEST") throw invalid("$LATEST is not supported for an alias pointing to more than 1 version");
  if (version === primary) throw invalid(`Invalid function version ${version}. Function version ${version} is already included in routing configuration.`);
  checkVersion(ref, version);
  if (version === "$LATEST") throw invalid("$LATEST is not supported for an alias pointing to more than 1 version");
  return { AdditionalVersionWeights: { [version]: weight } };
}

/** The version an invocation of the alias runs: the additional version with its weight's probability. */
export function pickVersion(alias: AliasConfiguration, random: () => number = Math.random): string {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights;
  if (weights) for (const [v, w] of Object.entries(weights)) if (random() < w) return v;
  return alias.FunctionVersion!;
}

export const CreateAlias: Handler<CreateAliasRequest, AliasConfiguration> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  const name = checkName(input.Name);
  loadLatest(ref);
  const version = checkVersion(ref, input.FunctionVersion);
  const routing = checkRouting(ref, version, input.RoutingConfig);
  const arn = arnOf(ref.region, ref.account, ref.name, name);
  return ref.store.tx(() => {
    if (ref.store.get("alias", aliasKey(ref.name, name))) throw new AwsError("ResourceConflictException", `Alias already exists: ${arn}`, 409, { fields: { Type: "User" } });
    const alias: AliasConfiguration = { AliasArn: arn, Name: name, FunctionVersion: version, Description: input.Description ?? "", ...(routing ? { RoutingConfig: routing } : {}), RevisionId: randomUUID() };
    ref.store.put<StoredAlias>("alias", aliasKey(ref.name, name), { alias });
    return alias;
  });
};

export const GetAlias: Handler<GetAliasRequest, AliasConfiguration> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  loadLatest(ref);
  return loadAlias(ref, checkName(input.Name)).alias;
};

export const UpdateAlias: Handler<UpdateAliasRequest, AliasConfiguration> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  loadLatest(ref);
  const name = checkName(input.Name);
  return ref.store.tx(() => {
    const doc = loadAlias(ref, name);
    checkRevision(doc.alias.RevisionId, input.RevisionId);
    const version = input.FunctionVersion !== undefined ? checkVersion(ref, input.FunctionVersion) : doc.alias.FunctionVersion!;
    // RoutingConfig absent keeps the current one; an empty one removes it.
    const routing = input.RoutingConfig !== undefined ? checkRouting(ref, version, input.RoutingConfig) : checkRouting(ref, version, doc.alias.RoutingConfig);
    const { RoutingConfig: _old, ...rest } = doc.alias;
    const alias: AliasConfiguration = { ...rest, FunctionVersion: version, ...(input.Description !== undefined ? { Description: input.Description } : {}), ...(routing ? { RoutingConfig: routing } : {}), RevisionId: randomUUID() };
    ref.store.put<StoredAlias>("alias", aliasKey(ref.name, name), { ...doc, alias });
    return alias;
  });
};

export const DeleteAlias: Handler<DeleteAliasRequest, Record<string, never>> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  loadLatest(ref);
  const name = checkName(input.Name);
  // AWS answers 204 for an alias that does not exist.
  ref.store.delete("alias", aliasKey(ref.name, name));
  for (const kind of ["policy", "event-invoke-config", "url-config"]) ref.store.delete(kind, aliasKey(ref.name, name));
  return {};
};

export const ListAliases: Handler<ListAliasesRequest, ListAliasesResponse> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  loadLatest(ref);
  const max = input.MaxItems ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 10000) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 10000"}`, 400);
  }
  const size = Math.min(max, 50);
  let all = ref.store.list<StoredAlias>("alias", { prefix: `${ref.name}#`, ...(input.Marker ? { after: aliasKey(ref.name, input.Marker) } : {}) });
  if (input.FunctionVersion !== undefined) all = all.filter((a) => a.doc.alias.FunctionVersion === input.FunctionVersion);
  const page = all.slice(0, size);
  return { Aliases: page.map((a) => a.doc.alias), ...(all.length > size ? { NextMarker: page[page.length - 1].doc.alias.Name } : {}) };
};
