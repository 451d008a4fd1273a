// Lambda seed: account settings and the function list. Functions that run arrive with the
// Lambda issue; the store layout (kind "function", id = name) is theirs to extend.
import type { GetAccountSettingsRequest, GetAccountSettingsResponse, ListFunctionsRequest, ListFunctionsResponse, FunctionConfiguration } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import { defineService, type Handler } from "../../core/service.js";

// AWS's default quotas (Lambda developer guide, "Lambda quotas").
const LIMITS = {
  TotalCodeSize: 80_530_636_800,
  CodeSizeUnzipped: 262_144_000,
  CodeSizeZipped: 52_428_800,
  ConcurrentExecutions: 1000,
};

interface StoredFunction {
  configuration: FunctionConfiguration;
  codeSize: number;
}

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
  handlers: { GetAccountSettings, ListFunctions },
});
