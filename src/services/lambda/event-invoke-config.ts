// Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s): retries, maximum event age and
// destinations of asynchronous invocations, per function, version or alias.
import type {
  DeleteFunctionEventInvokeConfigRequest,
  DestinationConfig,
  FunctionEventInvokeConfig,
  GetFunctionEventInvokeConfigRequest,
  ListFunctionEventInvokeConfigsRequest,
  ListFunctionEventInvokeConfigsResponse,
  PutFunctionEventInvokeConfigRequest,
  UpdateFunctionEventInvokeConfigRequest,
} from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import { arnOf, invalid, resolveTarget, refOf, type FunctionRef } from "./lookup.js";

/** Stored with LastModified as epoch seconds (the wire timestamp). */
export interface StoredEventInvokeConfig {
  FunctionArn: string;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: DestinationConfig;
  LastModified: number;
}

export function eventConfigKey(name: string, qualifier: string | undefined): string {
  return `${name}#${qualifier ?? "$LATEST"}`;
}

const DESTINATION = /^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events):[a-z0-9-]+:\d{12}:.+$/;

function check(input: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number; DestinationConfig?: DestinationConfig }): void {
  const r = input.MaximumRetryAttempts;
  if (r !== undefined && (!Number.isInteger(r) || r < 0 || r > 2)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${r}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value ${r < 0 ? "greater than or equal to 0" : "less than or equal to 2"}`, 400);
  }
  const a = input.MaximumEventAgeInSeconds;
  if (a !== undefined && (!Number.isInteger(a) || a < 60 || a > 21600)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${a}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value ${a < 60 ? "greater than or equal to 60" : "less than or equal to 21600"}`, 400);
  }
  const d = input.DestinationConfig;
  for (const [k, v] of [["onSuccess", d?.OnSuccess?.Destination], ["onFailure", d?.OnFailure?.Destination]] as const) {
    if (v !== undefined && !DESTINATION.test(v)) throw invalid(`The destination ARN ${v} is invalid for ${k}. Supported destination types: SQS queue, SNS topic, Lambda function, EventBridge event bus.`);
  }
}

/** The function (and qualifier) a config belongs to; the version or alias must exist. */
function target(ctx: RequestContext, fn: string | undefined, qualifier: string | undefined): { ref: FunctionRef; key: string; arn: string } {
  const ref = refOf(ctx, fn, qualifier);
  resolveTarget(ref);
  const q = ref.qualifier ?? "$LATEST";
  return { ref, key: eventConfigKey(ref.name, q), arn: arnOf(ref.region, ref.account, ref.name, q) };
}

function view(c: StoredEventInvokeConfig): FunctionEventInvokeConfig {
  return { ...c, LastModified: new Date(c.LastModified * 1000) };
}

function notFound(arn: string): AwsError {
  return new AwsError("ResourceNotFoundException", `The function ${arn} doesn't have an EventInvokeConfig`, 404, { fields: { Type: "User" } });
}

function write(ctx: RequestContext, input: PutFunctionEventInvokeConfigRequest, merge: boolean): FunctionEventInvokeConfig {
  check(input);
  const { ref, key, arn } = target(ctx, input.FunctionName, input.Qualifier);
  const old = ref.store.get<StoredEventInvokeConfig>("event-invoke-config", key);
  if (merge && !old) throw notFound(arn);
  const base: Partial<StoredEventInvokeConfig> = merge && old ? old : {};
  const destinations: DestinationConfig = { ...(merge ? (old?.DestinationConfig ?? {}) : {}), ...(input.DestinationConfig ?? {}) };
  const doc: StoredEventInvokeConfig = {
    FunctionArn: arn,
    ...(input.MaximumRetryAttempts ?? base.MaximumRetryAttempts) !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts ?? base.MaximumRetryAttempts } : {},
    ...(input.MaximumEventAgeInSeconds ?? base.MaximumEventAgeInSeconds) !== undefined ? { MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds ?? base.MaximumEventAgeInSeconds } : {},
    DestinationConfig: { OnSuccess: destinations.OnSuccess ?? {}, OnFailure: destinations.OnFailure ?? {} },
    LastModified: Math.floor(ctx.clock.now() / 1000),
  };
  ref.store.put("event-invoke-config", key, doc);
  return view(doc);
}

export const PutFunctionEventInvokeConfig: Handler<PutFunctionEventInvokeConfigRequest, FunctionEventInvokeConfig> = (input, ctx) => write(ctx, input, false);

export const UpdateFunctionEventInvokeConfig: Handler<UpdateFunctionEventInvokeConfigRequest, FunctionEventInvokeConfig> = (input, ctx) => write(ctx, input, true);

export const GetFunctionEventInvokeConfig: Handler<GetFunctionEventInvokeConfigRequest, FunctionEventInvokeConfig> = (input, ctx) => {
  const { ref, key, arn } = target(ctx, input.FunctionName, input.Qualifier);
  const doc = ref.store.get<StoredEventInvokeConfig>("event-invoke-config", key);
  if (!doc) throw notFound(arn);
  return view(doc);
};

export const DeleteFunctionEventInvokeConfig: Handler<DeleteFunctionEventInvokeConfigRequest, Record<string, never>> = (input, ctx) => {
  const { ref, key, arn } = target(ctx, input.FunctionName, input.Qualifier);
  if (!ref.store.delete("event-invoke-config", key)) throw notFound(arn);
  return {};
};

export const ListFunctionEventInvokeConfigs: Handler<ListFunctionEventInvokeConfigsRequest, ListFunctionEventInvokeConfigsResponse> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  resolveTarget({ ...ref, qualifier: undefined });
  const max = input.MaxItems ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 50) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`, 400);
  }
  const rows = ref.store.list<StoredEventInvokeConfig>("event-invoke-config", { prefix: `${ref.name}#`, ...(input.Marker ? { after: input.Marker } : {}), limit: max + 1 });
  const page = rows.slice(0, max);
  return { FunctionEventInvokeConfigs: page.map((r) => view(r.doc)), ...(rows.length > max ? { NextMarker: page[page.length - 1].id } : {}) };
};
