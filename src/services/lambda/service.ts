// AWS Lambda: functions from zip packages that really run. The control plane is in
// functions.ts, invocation in invoke.ts, execution environments (child processes speaking the
// Lambda Runtime API) in workers.ts; see GAPS.md for what is missing.
import type { GetAccountSettingsRequest, GetAccountSettingsResponse, ListFunctionsRequest, ListFunctionsResponse } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import { defineService, type Handler, type ServiceRuntime } from "../../core/service.js";
import { CreateFunction, DeleteFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration, type StoredFunction } from "./functions.js";
import { Invoke } from "./invoke.js";
import { AddPermission, GetPolicy, RemovePermission, lambdaResourcePolicy } from "./permissions.js";
import { ListVersionsByFunction, PublishVersion } from "./versions.js";
import { CreateAlias, DeleteAlias, GetAlias, ListAliases, UpdateAlias } from "./aliases.js";
import { DeleteFunctionEventInvokeConfig, GetFunctionEventInvokeConfig, ListFunctionEventInvokeConfigs, PutFunctionEventInvokeConfig, UpdateFunctionEventInvokeConfig } from "./event-invoke-config.js";
import { asyncMigrations, closeAsync, openAsync } from "./async-invoke.js";
import { AddLayerVersionPermission, DeleteLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers, ListLayerVersions, PublishLayerVersion } from "./layers.js";
import { closeRuntime, openRuntime } from "./runtime.js";
import { CreateFunctionUrlConfig, DeleteFunctionUrlConfig, GetFunctionUrlConfig, ListFunctionUrlConfigs, UpdateFunctionUrlConfig } from "./function-urls.js";
import { lambdaUrlHttp } from "./url-http.js";
import { InvokeWithResponseStream } from "./invoke-stream.js";
import { CreateEventSourceMapping, DeleteEventSourceMapping, GetEventSourceMapping, ListEventSourceMappings, UpdateEventSourceMapping } from "./event-source-mappings/handlers.js";
import { startMappings, stopMappings } from "./event-source-mappings/runner.js";

// AWS's default quotas (Lambda developer guide, "Lambda quotas").
const LIMITS = {
  TotalCodeSize: 80_530_636_800,
  CodeSizeUnzipped: 262_144_000,
  CodeSizeZipped: 52_428_800,
  ConcurrentExecutions: 1000,
};

const GetAccountSettings: Handler<GetAccountSettingsRequest, GetAccountSettingsResponse> = (_input, ctx) => {
  const fns = ctx.store.list<StoredFunction>("function");
  const reserved = 0;
  return {
    AccountLimit: { ...LIMITS, UnreservedConcurrentExecutions: LIMITS.ConcurrentExecutions - reserved },
    AccountUsage: { TotalCodeSize: fns.reduce((n, f) => n + f.doc.codeSize, 0), FunctionCount: fns.length },
  };
};

const ListFunctions: Handler<ListFunctionsRequest, ListFunctionsResponse> = (input, ctx) => {
  const max = input.MaxItems ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 10000) {
    throw new AwsError("InvalidParameterValueException", `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000`, 400);
  }
  const page = ctx.store.list<StoredFunction>("function", { after: input.Marker, limit: Math.min(max, 50) + 1 });
  const more = page.length > Math.min(max, 50);
  const items = more ? page.slice(0, -1) : page;
  return {
    Functions: items.map((f) => f.doc.configuration),
    ...(more ? { NextMarker: items[items.length - 1].id } : {}),
  };
};

export const lambda = defineService({
  name: "lambda",
  handlers: {
    GetAccountSettings, ListFunctions, CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, Invoke,
    AddPermission, RemovePermission, GetPolicy,
    PublishVersion, ListVersionsByFunction, CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases,
    CreateEventSourceMapping, GetEventSourceMapping, ListEventSourceMappings, UpdateEventSourceMapping, DeleteEventSourceMapping,
    PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayerVersions, ListLayers, DeleteLayerVersion, AddLayerVersionPermission,
    InvokeWithResponseStream,
    CreateFunctionUrlConfig, GetFunctionUrlConfig, UpdateFunctionUrlConfig, DeleteFunctionUrlConfig, ListFunctionUrlConfigs,
    PutFunctionEventInvokeConfig, UpdateFunctionEventInvokeConfig, GetFunctionEventInvokeConfig, DeleteFunctionEventInvokeConfig, ListFunctionEventInvokeConfigs,
  },
  migrations: asyncMigrations,
  resourcePolicy: lambdaResourcePolicy,
  http: lambdaUrlHttp,
  start(rt: ServiceRuntime) {
    openRuntime(rt.db, rt.dataDir);
    startMappings(rt);
    openAsync(rt);
  },
  // Every worker of this instance is killed (all of this process's when no runtime is given).
  stop(rt?: ServiceRuntime) {
    closeAsync(rt?.db);
    stopMappings(rt?.db);
    closeRuntime(rt?.db);
  },
  reset(rt: ServiceRuntime) {
    rt.db.prepare("DELETE FROM lambda_async").run();
  },
  *blobRefs(db) {
    const rows = db.prepare("SELECT json_extract(doc, '$.blobId') AS id FROM nimbus_docs WHERE service = 'lambda' AND kind IN ('function', 'version', 'layer-version')").iterate();
    for (const r of rows as IterableIterator<{ id: string | null }>) if (r.id) yield r.id;
    // Layer packages a function or version still uses (also after DeleteLayerVersion).
    const layers = db.prepare("SELECT json_extract(l.value, '$.blobId') AS id FROM nimbus_docs d, json_each(d.doc, '$.layers') l WHERE d.service = 'lambda' AND d.kind IN ('function', 'version')").iterate();
    for (const r of layers as IterableIterator<{ id: string | null }>) if (r.id) yield r.id;
  },
});
