// Layers: PublishLayerVersion stores a zip (blob first, then the document) as an immutable
// numbered version; functions name up to five layer versions in `Layers`, and each worker gets
// them on its module paths (see GAPS.md: per-layer directories instead of one merged /opt).
import type {
  AddLayerVersionPermissionRequest,
  AddLayerVersionPermissionResponse,
  DeleteLayerVersionRequest,
  GetLayerVersionRequest,
  GetLayerVersionResponse,
  LayersListItem,
  LayerVersionsListItem,
  ListLayersRequest,
  ListLayersResponse,
  ListLayerVersionsRequest,
  ListLayerVersionsResponse,
  PublishLayerVersionRequest,
  PublishLayerVersionResponse,
} from "@aws-sdk/client-lambda";
import { randomUUID } from "node:crypto";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";
import { invalid } from "./lookup.js";
import { takeCode } from "./functions.js";

export interface StoredLayerVersion {
  view: GetLayerVersionResponse & { CreatedDate: string };
  blobId: string;
  shaHex: string;
  policy?: { Version: "2012-10-17"; Id: "default"; Statement: Array<Record<string, unknown>> };
  revisionId: string;
}

const NAME = /^[a-zA-Z0-9-_]{1,140}$/;
const ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/;

function layerName(input: string | undefined): string {
  const m = /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:)?([a-zA-Z0-9-_]+)$/.exec(input ?? "");
  if (!m || !NAME.test(m[1])) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${input ?? "null"}' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`, 400);
  }
  return m[1];
}

export const layerKey = (name: string, version: number | string): string => `${name}#${String(version).padStart(10, "0")}`;

function notFound(): AwsError {
  return new AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404, { fields: { Type: "User" } });
}

export const PublishLayerVersion: Handler<PublishLayerVersionRequest, PublishLayerVersionResponse> = async (input, ctx) => {
  const name = layerName(input.LayerName);
  if (!input.Content) throw invalid("Content is required.");
  const code = await takeCode(ctx, input.Content);
  return ctx.store.tx(() => {
    // Numbers are never reused, also after deletions.
    const counter = ctx.store.get<{ last: number }>("layer", name) ?? { last: 0 };
    const version = counter.last + 1;
    const layerArn = `arn:aws:lambda:${ctx.region}:${ctx.accountId}:layer:${name}`;
    const view = {
      Content: { Location: `${ctx.endpoint}/2018-10-31/layers/${name}/versions/${version}/content`, CodeSha256: Buffer.from(code.shaHex, "hex").toString("base64"), CodeSize: code.zip.length },
      LayerArn: layerArn,
      LayerVersionArn: `${layerArn}:${version}`,
      Description: input.Description ?? "",
      CreatedDate: new Date(ctx.clock.now()).toISOString().replace("Z", "+0000"),
      Version: version,
      ...(input.CompatibleRuntimes ? { CompatibleRuntimes: input.CompatibleRuntimes } : {}),
      ...(input.CompatibleArchitectures ? { CompatibleArchitectures: input.CompatibleArchitectures } : {}),
      ...(input.LicenseInfo !== undefined ? { LicenseInfo: input.LicenseInfo } : {}),
    };
    ctx.store.put<StoredLayerVersion>("layer-version", layerKey(name, version), { view, blobId: code.blobId, shaHex: code.shaHex, revisionId: randomUUID() });
    ctx.store.put("layer", name, { last: version });
    return view;
  });
};

function loadVersion(ctx: RequestContext, name: string | undefined, version: number | undefined): StoredLayerVersion {
  const doc = ctx.store.get<StoredLayerVersion>("layer-version", layerKey(layerName(name), version ?? 0));
  if (!doc) throw notFound();
  return doc;
}

export const GetLayerVersion: Handler<GetLayerVersionRequest, GetLayerVersionResponse> = (input, ctx) => loadVersion(ctx, input.LayerName, input.VersionNumber).view;

export const GetLayerVersionByArn: Handler<{ Arn?: string }, GetLayerVersionResponse> = (input, ctx) => {
  const m = ARN.exec(input.Arn ?? "");
  if (!m) throw invalid(`Invalid layer version ARN: ${input.Arn ?? ""}`);
  return layerVersionByArn(ctx, input.Arn!)?.view ?? (() => { throw notFound(); })();
};

/** A layer version named by its ARN, in the account the ARN names (same region); undefined when missing. */
export function layerVersionByArn(ctx: { store: DocStore; accountId: string; region: string; db: RequestContext["db"] }, arn: string): StoredLayerVersion | undefined {
  const m = ARN.exec(arn);
  if (!m || m[1] !== ctx.region) return undefined;
  const store = m[2] === ctx.accountId ? ctx.store : new (ctx.store.constructor as typeof DocStore)(ctx.db, "lambda", `${m[2]}/${m[1]}`);
  return store.get<StoredLayerVersion>("layer-version", layerKey(m[3], m[4]));
}

function item(v: StoredLayerVersion): LayerVersionsListItem {
  const { Content: _c, LayerArn: _a, ...rest } = v.view;
  return rest;
}

export const ListLayerVersions: Handler<ListLayerVersionsRequest, ListLayerVersionsResponse> = (input, ctx) => {
  const name = layerName(input.LayerName);
  let all = ctx.store.list<StoredLayerVersion>("layer-version", { prefix: `${name}#` }).map((r) => r.doc).reverse();
  if (input.CompatibleRuntime) all = all.filter((v) => v.view.CompatibleRuntimes?.includes(input.CompatibleRuntime!));
  if (input.CompatibleArchitecture) all = all.filter((v) => v.view.CompatibleArchitectures?.includes(input.CompatibleArchitecture!));
  const start = input.Marker ? all.findIndex((v) => String(v.view.Version) === input.Marker) + 1 : 0;
  const max = Math.min(input.MaxItems ?? 50, 50);
  const page = all.slice(start, start + max);
  return { LayerVersions: page.map(item), ...(start + max < all.length ? { NextMarker: String(page[page.length - 1].view.Version) } : {}) };
};

export const ListLayers: Handler<ListLayersRequest, ListLayersResponse> = (input, ctx) => {
  const latest = new Map<string, StoredLayerVersion>();
  for (const r of ctx.store.list<StoredLayerVersion>("layer-version")) {
    const v = r.doc;
    if (input.CompatibleRuntime && !v.view.CompatibleRuntimes?.includes(input.CompatibleRuntime)) continue;
    if (input.CompatibleArchitecture && !v.view.CompatibleArchitectures?.includes(input.CompatibleArchitecture)) continue;
    latest.set(r.id.split("#")[0], v);
  }
  const names = [...latest.keys()].sort();
  const start = input.Marker ? names.indexOf(input.Marker) + 1 : 0;
  const max = Math.min(input.MaxItems ?? 50, 50);
  const page = names.slice(start, start + max);
  const Layers: LayersListItem[] = page.map((n) => ({ LayerName: n, LayerArn: latest.get(n)!.view.LayerArn, LatestMatchingVersion: item(latest.get(n)!) }));
  return { Layers, ...(start + max < names.length ? { NextMarker: page[page.length - 1] } : {}) };
};

export const DeleteLayerVersion: Handler<DeleteLayerVersionRequest, Record<string, never>> = async (input, ctx) => {
  const key = layerKey(layerName(input.LayerName), input.VersionNumber ?? 0);
  const doc = ctx.store.get<StoredLayerVersion>("layer-version", key);
  // AWS answers 204 for a version that does not exist. Functions keep the copy they already use.
  if (!doc) return {};
  ctx.store.delete("layer-version", key);
  return {};
};

export const AddLayerVersionPermission: Handler<AddLayerVersionPermissionRequest, AddLayerVersionPermissionResponse> = (input, ctx) => {
  const name = layerName(input.LayerName);
  const key = layerKey(name, input.VersionNumber ?? 0);
  if (input.Action !== "lambda:GetLayerVersion") {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${input.Action ?? "null"}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion`, 400);
  }
  if (!input.Principal || !/^(\d{12}|\*|arn:aws[a-zA-Z-]*:iam::\d{12}:root)$/.test(input.Principal)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${input.Principal ?? "null"}' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root`, 400);
  }
  return ctx.store.tx(() => {
    const doc = ctx.store.get<StoredLayerVersion>("layer-version", key);
    if (!doc) throw notFound();
    if (input.RevisionId !== undefined && input.RevisionId !== doc.revisionId) {
      throw new AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id", 412, { fields: { Type: "User" } });
    }
    const policy = doc.policy ?? { Version: "2012-10-17", Id: "default", Statement: [] };
    if (policy.Statement.some((s) => s.Sid === input.StatementId)) {
      throw new AwsError("ResourceConflictException", `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`, 409, { fields: { Type: "User" } });
    }
    const principal = input.Principal === "*" ? "*" : { AWS: /^\d{12}$/.test(input.Principal!) ? `arn:aws:iam::${input.Principal}:root` : input.Principal };
    const statement = { Sid: input.StatementId, Effect: "Allow", Principal: principal, Action: "lambda:GetLayerVersion", Resource: doc.view.LayerVersionArn, ...(input.OrganizationId ? { Condition: { StringEquals: { "aws:PrincipalOrgID": input.OrganizationId } } } : {}) };
    const revisionId = randomUUID();
    ctx.store.put<StoredLayerVersion>("layer-version", key, { ...doc, policy: { ...policy, Statement: [...policy.Statement, statement] }, revisionId });
    return { Statement: JSON.stringify(statement), RevisionId: revisionId };
  });
};
