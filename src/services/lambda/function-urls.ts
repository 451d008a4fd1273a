// Function URLs, control plane: Create/Get/Update/Delete/ListFunctionUrlConfigs. A function (or
// one of its aliases) has at most one URL config, kind "url-config", id aliasKey(name,
// qualifier or ""). The URL's id is also indexed in a scope of its own ("url"), so the data
// plane (url-http.ts) finds the function from the host name alone, whatever the account.
// The URL is http://<url-id>.lambda-url.<region>.localhost:<port>/ on the endpoint the caller
// used (AWS: https://<url-id>.lambda-url.<region>.on.aws/), computed when answered.
import { randomBytes } from "node:crypto";
import type {
  CreateFunctionUrlConfigRequest,
  CreateFunctionUrlConfigResponse,
  Cors,
  DeleteFunctionUrlConfigRequest,
  FunctionUrlConfig,
  GetFunctionUrlConfigRequest,
  GetFunctionUrlConfigResponse,
  ListFunctionUrlConfigsRequest,
  ListFunctionUrlConfigsResponse,
  UpdateFunctionUrlConfigRequest,
  UpdateFunctionUrlConfigResponse,
} from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import { DocStore } from "../../core/state/doc-store.js";
import type { Db } from "../../core/state/database.js";
import { aliasKey, arnOf, loadAlias, loadLatest, refOf, type FunctionRef } from "./lookup.js";
import { lastModified } from "./functions.js";

export interface StoredUrlConfig {
  urlId: string;
  AuthType: "NONE" | "AWS_IAM";
  Cors?: Cors;
  InvokeMode: "BUFFERED" | "RESPONSE_STREAM";
  CreationTime: string;
  LastModifiedTime: string;
}

/** Where a URL id leads: kind "url-id" in the scope "url" (one for all accounts and regions). */
export interface UrlTarget {
  account: string;
  region: string;
  name: string;
  qualifier?: string;
}

export function urlIndex(db: Db): DocStore {
  return new DocStore(db, "lambda", "url");
}

/** The URL of a config on the endpoint a caller used (host form; url-http.ts also serves /_lambda-url/<id>/). */
export function functionUrl(endpoint: string, region: string, urlId: string): string {
  const port = new URL(endpoint).port;
  return `http://${urlId}.lambda-url.${region}.localhost${port ? `:${port}` : ""}/`;
}

const QUALIFIER = /^(?!\d+$)[0-9a-zA-Z_-]+$/;

/** The function (or alias) a URL config belongs to; versions and $LATEST cannot carry one. */
function urlRef(ctx: RequestContext, fn: string | undefined, qualifier: string | undefined): FunctionRef {
  const ref = refOf(ctx, fn, qualifier);
  if (ref.qualifier !== undefined && !QUALIFIER.test(ref.qualifier)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${ref.qualifier}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)`, 400);
  }
  loadLatest(ref);
  if (ref.qualifier !== undefined) loadAlias(ref, ref.qualifier);
  return ref;
}

function check(authType: string | undefined, invokeMode: string | undefined, cors: Cors | undefined): void {
  if (authType !== undefined && authType !== "NONE" && authType !== "AWS_IAM") {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${authType}' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`, 400);
  }
  if (invokeMode !== undefined && invokeMode !== "BUFFERED" && invokeMode !== "RESPONSE_STREAM") {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${invokeMode}' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]`, 400);
  }
  if (cors?.MaxAge !== undefined && (cors.MaxAge < 0 || cors.MaxAge > 86400)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${cors.MaxAge}' at 'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400`, 400);
  }
}

function answer(ctx: RequestContext, ref: FunctionRef, c: StoredUrlConfig): FunctionUrlConfig {
  return {
    FunctionUrl: functionUrl(ctx.endpoint, ref.region, c.urlId),
    FunctionArn: arnOf(ref.region, ref.account, ref.name, ref.qualifier),
    AuthType: c.AuthType,
    ...(c.Cors ? { Cors: c.Cors } : {}),
    CreationTime: c.CreationTime,
    LastModifiedTime: c.LastModifiedTime,
    InvokeMode: c.InvokeMode,
  };
}

const notFound = () => new AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404, { fields: { Type: "User" } });

export const CreateFunctionUrlConfig: Handler<CreateFunctionUrlConfigRequest, CreateFunctionUrlConfigResponse> = (input, ctx) => {
  const ref = urlRef(ctx, input.FunctionName, input.Qualifier);
  if (input.AuthType === undefined) throw new AwsError("ValidationException", "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null", 400);
  check(input.AuthType, input.InvokeMode, input.Cors);
  const key = aliasKey(ref.name, ref.qualifier ?? "");
  return ref.store.tx(() => {
    if (ref.store.get("url-config", key)) {
      throw new AwsError("ResourceConflictException", `Failed to create function url config for [functionArn = ${arnOf(ref.region, ref.account, ref.name, ref.qualifier)}]. Error message:  FunctionUrlConfig exists for this Lambda function`, 409, { fields: { Type: "User" } });
    }
    const now = lastModified(ctx);
    // 32 characters of [a-z0-9], as AWS's url ids.
    const urlId = [...randomBytes(32)].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
    const c: StoredUrlConfig = { urlId, AuthType: input.AuthType as StoredUrlConfig["AuthType"], ...(input.Cors ? { Cors: input.Cors } : {}), InvokeMode: (input.InvokeMode ?? "BUFFERED") as StoredUrlConfig["InvokeMode"], CreationTime: now, LastModifiedTime: now };
    ref.store.put("url-config", key, c);
    urlIndex(ctx.db).put<UrlTarget>("url-id", urlId, { account: ref.account, region: ref.region, name: ref.name, ...(ref.qualifier ? { qualifier: ref.qualifier } : {}) });
    const { LastModifiedTime: _, ...out } = answer(ctx, ref, c);
    return out;
  });
};

export const GetFunctionUrlConfig: Handler<GetFunctionUrlConfigRequest, GetFunctionUrlConfigResponse> = (input, ctx) => {
  const ref = urlRef(ctx, input.FunctionName, input.Qualifier);
  const c = ref.store.get<StoredUrlConfig>("url-config", aliasKey(ref.name, ref.qualifier ?? ""));
  if (!c) throw notFound();
  return answer(ctx, ref, c);
};

export const UpdateFunctionUrlConfig: Handler<UpdateFunctionUrlConfigRequest, UpdateFunctionUrlConfigResponse> = (input, ctx) => {
  const ref = urlRef(ctx, input.FunctionName, input.Qualifier);
  check(input.AuthType, input.InvokeMode, input.Cors);
  const key = aliasKey(ref.name, ref.qualifier ?? "");
  return ref.store.tx(() => {
    const c = ref.store.get<StoredUrlConfig>("url-config", key);
    if (!c) throw notFound();
    const next: StoredUrlConfig = {
      ...c,
      ...(input.AuthType ? { AuthType: input.AuthType as StoredUrlConfig["AuthType"] } : {}),
      ...(input.InvokeMode ? { InvokeMode: input.InvokeMode as StoredUrlConfig["InvokeMode"] } : {}),
      ...(input.Cors !== undefined ? { Cors: input.Cors } : {}),
      LastModifiedTime: lastModified(ctx),
    };
    ref.store.put("url-config", key, next);
    return answer(ctx, ref, next);
  });
};

export const DeleteFunctionUrlConfig: Handler<DeleteFunctionUrlConfigRequest, Record<string, never>> = (input, ctx) => {
  const ref = urlRef(ctx, input.FunctionName, input.Qualifier);
  const key = aliasKey(ref.name, ref.qualifier ?? "");
  ref.store.tx(() => {
    const c = ref.store.get<StoredUrlConfig>("url-config", key);
    if (!c) throw notFound();
    ref.store.delete("url-config", key);
    urlIndex(ctx.db).delete("url-id", c.urlId);
  });
  return {};
};

export const ListFunctionUrlConfigs: Handler<ListFunctionUrlConfigsRequest, ListFunctionUrlConfigsResponse> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  loadLatest(ref);
  const max = input.MaxItems ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 50) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`, 400);
  }
  const all = ref.store.list<StoredUrlConfig>("url-config", { prefix: `${ref.name}#`, ...(input.Marker ? { after: input.Marker } : {}) });
  const page = all.slice(0, max);
  return {
    FunctionUrlConfigs: page.map(({ id, doc }) => {
      const q = id.slice(ref.name.length + 1);
      return answer(ctx, { ...ref, ...(q ? { qualifier: q } : { qualifier: undefined }) }, doc);
    }),
    ...(all.length > max ? { NextMarker: page[page.length - 1].id } : {}),
  };
};
