// Event source mappings: Create/Get/List/Update/DeleteEventSourceMapping for SQS queues and
// DynamoDB streams. A mapping is a document (kind "event-source-mapping", id its UUID) in the
// function's account and region; the pollers that act on it live in runner.ts. AWS moves a
// mapping through Creating -> Enabled, Enabling / Disabling -> Enabled / Disabled, Updating and
// Deleting over a few seconds; Nimbus answers the transitional state and is in the final one
// when the call returns.
import type {
  CreateEventSourceMappingRequest,
  DeleteEventSourceMappingRequest,
  EventSourceMappingConfiguration,
  GetEventSourceMappingRequest,
  ListEventSourceMappingsRequest,
  ListEventSourceMappingsResponse,
  UpdateEventSourceMappingRequest,
} from "@aws-sdk/client-lambda";
import { randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { parseFilters } from "./event-filter.js";
import { runnerFor } from "./runner.js";

export const KIND = "event-source-mapping";

/** What is stored: the configuration as AWS reports it (LastModified in ms) plus the poller's state. */
export interface StoredMapping {
  config: Omit<EventSourceMappingConfiguration, "LastModified" | "StartingPositionTimestamp"> & { LastModified: number; StartingPositionTimestamp?: number };
  source: "sqs" | "dynamodb";
  account: string;
  region: string;
  /** DynamoDB: per shard, the sequence number of the last record handled (the checkpoint). */
  checkpoints?: Record<string, string>;
}

const user = { fields: { Type: "User" } };
const invalid = (m: string) => new AwsError("InvalidParameterValueException", m, 400, user);
const notFound = () => new AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404, user);

function sourceOf(arn: string | undefined): "sqs" | "dynamodb" {
  if (arn && /^arn:aws[\w-]*:sqs:[^:]+:\d{12}:[^:]+$/.test(arn)) return "sqs";
  if (arn && /^arn:aws[\w-]*:dynamodb:[^:]+:\d{12}:table\/[^/]+\/stream\/[^/]+$/.test(arn)) return "dynamodb";
  // TODO(parity): Kinesis, Kafka (MSK and self-managed), MQ and DocumentDB sources.
  throw invalid(`Unrecognized event source, must be kinesis, dynamodb stream, sqs, kafka, mq or documentdb. Nimbus supports sqs and dynamodb streams: ${arn}`);
}

/** The function's qualified or unqualified ARN, through Lambda's own GetFunction (so names, ARNs and qualifiers resolve as there). */
async function functionArnOf(ctx: RequestContext, fn: string): Promise<string> {
  const m = /^(?:arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:)?([^:]+)(?::([^:]+))?$/.exec(fn);
  const out = await ctx.client.call<{ Configuration?: { FunctionArn?: string } }>("lambda", "GetFunction", { FunctionName: fn }, { accountId: ctx.accountId, region: ctx.region });
  const base = out.Configuration!.FunctionArn!.split(":").slice(0, 7).join(":");
  return m?.[2] ? `${base}:${m[2]}` : base;
}

function toWire(m: StoredMapping, state?: string): EventSourceMappingConfiguration {
  const { LastModified, StartingPositionTimestamp, ...rest } = m.config;
  return {
    ...rest,
    LastModified: new Date(LastModified),
    ...(StartingPositionTimestamp !== undefined ? { StartingPositionTimestamp: new Date(StartingPositionTimestamp) } : {}),
    ...(state ? { State: state } : {}),
  };
}

interface Settings {
  BatchSize?: number;
  MaximumBatchingWindowInSeconds?: number;
  FunctionResponseTypes?: string[];
  ScalingConfig?: { MaximumConcurrency?: number };
  FilterCriteria?: { Filters?: Array<{ Pattern?: string }> };
  MaximumRetryAttempts?: number;
  MaximumRecordAgeInSeconds?: number;
  BisectBatchOnFunctionError?: boolean;
  ParallelizationFactor?: number;
  DestinationConfig?: { OnFailure?: { Destination?: string } };
  TumblingWindowInSeconds?: number;
}

/** Checks a create's or update's settings against AWS's limits for the source, with AWS's messages. */
function validate(source: "sqs" | "dynamodb", s: Settings, fifo: boolean): void {
  const maxBatch = source === "sqs" ? (fifo ? 10 : 10_000) : 10_000;
  if (s.BatchSize !== undefined && (!Number.isInteger(s.BatchSize) || s.BatchSize < 1 || s.BatchSize > maxBatch)) {
    throw invalid(`1 validation error detected: Value '${s.BatchSize}' at 'batchSize' failed to satisfy constraint: Member must have value ${s.BatchSize < 1 ? "greater than or equal to 1" : `less than or equal to ${maxBatch}`}`);
  }
  const w = s.MaximumBatchingWindowInSeconds;
  if (w !== undefined && (!Number.isInteger(w) || w < 0 || w > 300)) throw invalid(`1 validation error detected: Value '${w}' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300`);
  if (source === "sqs" && fifo && w !== undefined && w > 0) throw invalid("Batching window is not supported for FIFO queues");
  if (source === "sqs" && (s.BatchSize ?? 10) > 10 && (w ?? 0) < 1) throw invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
  for (const t of s.FunctionResponseTypes ?? []) if (t !== "ReportBatchItemFailures") throw invalid(`1 validation error detected: Value '[${t}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]`);
  const mc = s.ScalingConfig?.MaximumConcurrency;
  if (mc !== undefined && (source !== "sqs" || !Number.isInteger(mc) || mc < 2 || mc > 1000)) {
    throw invalid(source !== "sqs" ? "ScalingConfig is only supported for Amazon SQS event sources." : `1 validation error detected: Value '${mc}' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value ${mc < 2 ? "greater than or equal to 2" : "less than or equal to 1000"}`);
  }
  parseFilters(s.FilterCriteria);
  if (source === "sqs") {
    for (const k of ["MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "ParallelizationFactor", "DestinationConfig", "TumblingWindowInSeconds"] as const) {
      if (s[k] !== undefined) throw invalid(`Unsupported ${k} parameter for given event source mapping type.`);
    }
    return;
  }
  const r = s.MaximumRetryAttempts;
  if (r !== undefined && (!Number.isInteger(r) || r < -1 || r > 10_000)) throw invalid(`1 validation error detected: Value '${r}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value ${r < -1 ? "greater than or equal to -1" : "less than or equal to 10000"}`);
  const age = s.MaximumRecordAgeInSeconds;
  if (age !== undefined && age !== -1 && (!Number.isInteger(age) || age < 60 || age > 604_800)) throw invalid(`1 validation error detected: Value '${age}' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value ${age < 60 ? "greater than or equal to -1" : "less than or equal to 604800"}`);
  const dest = s.DestinationConfig?.OnFailure?.Destination;
  if (dest !== undefined && !/^arn:aws[\w-]*:(sqs|sns):[^:]+:\d{12}:[^:]+$/.test(dest)) throw invalid(`The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=${dest})) is invalid. Nimbus supports SQS queue and SNS topic destinations.`);
}

async function fifoQueue(ctx: RequestContext, arn: string): Promise<boolean> {
  const [, , , region, account, name] = arn.split(":");
  if (region !== ctx.region) throw invalid(`The event source ${arn} must be in the same region as the function.`);
  try {
    await ctx.client.call("sqs", "GetQueueAttributes", { QueueUrl: `${ctx.endpoint}/${account}/${name}`, AttributeNames: ["QueueArn"] }, { accountId: account, region });
  } catch {
    throw invalid(`Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.`);
  }
  return name.endsWith(".fifo");
}

async function checkStream(ctx: RequestContext, arn: string): Promise<void> {
  try {
    await ctx.client.call("dynamodb-streams", "DescribeStream", { StreamArn: arn }, { accountId: arn.split(":")[4], region: arn.split(":")[3] });
  } catch {
    throw invalid(`Stream not found: ${arn}`);
  }
}

export const CreateEventSourceMapping: Handler<CreateEventSourceMappingRequest, EventSourceMappingConfiguration> = async (input, ctx) => {
  const source = sourceOf(input.EventSourceArn);
  const arn = input.EventSourceArn!;
  // 1. The function (ResourceNotFoundException from GetFunction as Lambda words it) and the source.
  const functionArn = await functionArnOf(ctx, input.FunctionName!);
  const fifo = source === "sqs" ? await fifoQueue(ctx, arn) : false;
  if (source === "dynamodb") {
    await checkStream(ctx, arn);
    if (input.StartingPosition === undefined) throw invalid("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null");
    if (!["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"].includes(input.StartingPosition)) throw invalid(`1 validation error detected: Value '${input.StartingPosition}' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]`);
    if (input.StartingPosition === "AT_TIMESTAMP") throw invalid("Unsupported starting position for DynamoDB stream event sources: AT_TIMESTAMP");
  } else if (input.StartingPosition !== undefined) {
    throw invalid("Unsupported starting position for SQS event sources.");
  }
  validate(source, input as Settings, fifo);
  // 2. One mapping per (function, source), as AWS.
  const fnName = functionArn.split(":")[6];
  for (const { doc } of ctx.store.list<StoredMapping>(KIND)) {
    if (doc.config.EventSourceArn === arn && doc.config.FunctionArn!.split(":")[6] === fnName) {
      throw new AwsError("ResourceConflictException", `An event source mapping with ${source === "sqs" ? "SQS" : "event source"} arn (" ${arn} ") and function (" ${fnName} ") already exists. Please update or delete the existing mapping with UUID ${doc.config.UUID}`, 409, user);
    }
  }
  const uuid = randomUUID();
  const enabled = input.Enabled ?? true;
  const common = {
    UUID: uuid,
    BatchSize: input.BatchSize ?? (source === "sqs" ? 10 : 100),
    MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? 0,
    EventSourceArn: arn,
    ...(input.FilterCriteria ? { FilterCriteria: input.FilterCriteria } : {}),
    FunctionArn: functionArn,
    LastModified: ctx.clock.now(),
    State: enabled ? "Enabled" : "Disabled",
    StateTransitionReason: "USER_INITIATED",
    FunctionResponseTypes: input.FunctionResponseTypes ?? [],
    EventSourceMappingArn: `arn:aws:lambda:${ctx.region}:${ctx.accountId}:event-source-mapping:${uuid}`,
  };
  const config: StoredMapping["config"] =
    source === "sqs"
      ? { ...common, ...(input.ScalingConfig ? { ScalingConfig: input.ScalingConfig } : {}) }
      : {
          ...common,
          StartingPosition: input.StartingPosition,
          ParallelizationFactor: input.ParallelizationFactor ?? 1,
          LastProcessingResult: "No records processed",
          DestinationConfig: { OnFailure: input.DestinationConfig?.OnFailure ?? {} },
          MaximumRecordAgeInSeconds: input.MaximumRecordAgeInSeconds ?? -1,
          BisectBatchOnFunctionError: input.BisectBatchOnFunctionError ?? false,
          MaximumRetryAttempts: input.MaximumRetryAttempts ?? -1,
          TumblingWindowInSeconds: input.TumblingWindowInSeconds ?? 0,
        };
  const doc: StoredMapping = { config, source, account: ctx.accountId, region: ctx.region };
  // 3. LATEST: remember where the stream ends now, so only later records are delivered.
  if (source === "dynamodb" && input.StartingPosition === "LATEST") doc.checkpoints = await runnerFor(ctx.db).streamEnd(ctx, arn);
  ctx.store.put(KIND, uuid, doc);
  runnerFor(ctx.db).sync(ctx.accountId, ctx.region, uuid);
  return toWire(doc, "Creating");
};

function load(ctx: RequestContext, uuid: string | undefined): StoredMapping {
  const doc = uuid ? ctx.store.get<StoredMapping>(KIND, uuid) : undefined;
  if (!doc) throw notFound();
  return doc;
}

export const GetEventSourceMapping: Handler<GetEventSourceMappingRequest, EventSourceMappingConfiguration> = (input, ctx) => toWire(load(ctx, input.UUID));

export const ListEventSourceMappings: Handler<ListEventSourceMappingsRequest, ListEventSourceMappingsResponse> = async (input, ctx) => {
  const max = input.MaxItems ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 10_000) throw invalid(`1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000`);
  const fnName = input.FunctionName !== undefined ? (await functionArnOf(ctx, input.FunctionName)).split(":")[6] : undefined;
  const all = ctx.store
    .list<StoredMapping>(KIND)
    .map((r) => r.doc)
    .filter((d) => (input.EventSourceArn === undefined || d.config.EventSourceArn === input.EventSourceArn) && (fnName === undefined || d.config.FunctionArn!.split(":")[6] === fnName));
  const start = input.Marker ? all.findIndex((d) => d.config.UUID! > input.Marker!) : 0;
  const rest = start < 0 ? [] : all.slice(start);
  const page = rest.slice(0, max);
  return { EventSourceMappings: page.map((d) => toWire(d)), ...(rest.length > max ? { NextMarker: page[page.length - 1].config.UUID } : {}) };
};

export const UpdateEventSourceMapping: Handler<UpdateEventSourceMappingRequest, EventSourceMappingConfiguration> = async (input, ctx) => {
  const doc = load(ctx, input.UUID);
  const c = doc.config;
  const fifo = doc.source === "sqs" && c.EventSourceArn!.endsWith(".fifo");
  const { UUID: _uuid, FunctionName, Enabled, ...settings } = input;
  const merged = { BatchSize: c.BatchSize, MaximumBatchingWindowInSeconds: c.MaximumBatchingWindowInSeconds, ...settings } as Settings;
  validate(doc.source, settings as Settings, fifo);
  validate(doc.source, { BatchSize: merged.BatchSize, MaximumBatchingWindowInSeconds: merged.MaximumBatchingWindowInSeconds }, fifo);
  if (FunctionName !== undefined) c.FunctionArn = await functionArnOf(ctx, FunctionName);
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) (c as Record<string, unknown>)[k] = v;
  let transitional = "Updating";
  if (Enabled !== undefined) {
    const was = c.State === "Enabled";
    c.State = Enabled ? "Enabled" : "Disabled";
    if (was !== Enabled) transitional = Enabled ? "Enabling" : "Disabling";
  }
  c.LastModified = ctx.clock.now();
  c.StateTransitionReason = "USER_INITIATED";
  ctx.store.put(KIND, c.UUID!, doc);
  runnerFor(ctx.db).sync(ctx.accountId, ctx.region, c.UUID!);
  return toWire(doc, transitional);
};

export const DeleteEventSourceMapping: Handler<DeleteEventSourceMappingRequest, EventSourceMappingConfiguration> = (input, ctx) => {
  const doc = load(ctx, input.UUID);
  ctx.store.delete(KIND, input.UUID!);
  runnerFor(ctx.db).sync(ctx.accountId, ctx.region, input.UUID!);
  return toWire(doc, "Deleting");
};
