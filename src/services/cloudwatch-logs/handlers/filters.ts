// Metric filters (Put/Describe/Delete/TestMetricFilter) and subscription filters
// (Put/Describe/DeleteSubscriptionFilter), and what both do when events arrive (afterIngest):
// matching events become CloudWatch datapoints ("metric" events on the bus) and are delivered
// to a subscribed Lambda function as AWS's gzipped, base64 `awslogs` payload.
import type {
  DeleteMetricFilterRequest,
  DeleteSubscriptionFilterRequest,
  DescribeMetricFiltersRequest,
  DescribeMetricFiltersResponse,
  DescribeSubscriptionFiltersRequest,
  DescribeSubscriptionFiltersResponse,
  MetricFilter,
  MetricTransformation,
  PutMetricFilterRequest,
  PutSubscriptionFilterRequest,
  SubscriptionFilter,
  TestMetricFilterRequest,
  TestMetricFilterResponse,
} from "@aws-sdk/client-cloudwatch-logs";
import { gzipSync } from "node:zlib";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { decodeToken, encodeToken, findGroupByName, groupArn, invalidParameter, validateLimit } from "../common.js";
import { compilePattern, extract, type Pattern } from "../filter-pattern.js";
import { statements, type FilterRow, type GroupRow } from "../store.js";

const MAX_METRIC_FILTERS = 100;
const MAX_SUBSCRIPTION_FILTERS = 2;
const FILTER_NAME = /^[^:*]{1,512}$/;

const compiled = new Map<string, Pattern>();
/** Patterns are compiled once per distinct text (a hot group runs the same filters on every batch). */
function pattern(text: string): Pattern {
  let p = compiled.get(text);
  if (!p) {
    p = compilePattern(text);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(text, p);
  }
  return p;
}

function validateFilter(name: string | undefined, text: string | undefined): void {
  if (name === undefined || !FILTER_NAME.test(name)) {
    throw invalidParameter(`1 validation error detected: Value '${name}' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  }
  if ((text ?? "").length > 1024) throw invalidParameter("1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024");
  compilePattern(text);
}

export function eventId(ts: number, id: number): string {
  return `${String(ts).padStart(20, "0")}${String(id).padStart(36, "0")}`;
}

// ---- metric filters ----

interface MetricDoc {
  filterPattern: string;
  metricTransformations: MetricTransformation[];
}

export const PutMetricFilter: Handler<PutMetricFilterRequest, Record<string, never>> = (input, ctx) => {
  validateFilter(input.filterName, input.filterPattern);
  const ts = input.metricTransformations ?? [];
  if (ts.length !== 1) throw invalidParameter(`1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length ${ts.length < 1 ? "greater than or equal to 1" : "less than or equal to 1"}`);
  const t = ts[0];
  if (!/^(\$[.\w[\]*-]*\w\]?|-?\d+(\.\d+)?)$/.test(t.metricValue ?? "")) throw invalidParameter(`Invalid metric value: ${t.metricValue}`);
  if (t.dimensions && Object.keys(t.dimensions).length > 3) throw invalidParameter("The maximum number of dimensions is 3.");
  if (t.dimensions && t.defaultValue !== undefined) throw invalidParameter("Default value is not supported for metric filters with dimensions.");
  const g = findGroupByName(ctx, input.logGroupName!);
  const s = statements(ctx.db);
  if (!s.filter.get(g.id, "metric", input.filterName) && (s.countFilters.get(g.id, "metric") as { n: number }).n >= MAX_METRIC_FILTERS) {
    throw new AwsError("LimitExceededException", "Resource limit exceeded.");
  }
  const doc: MetricDoc = { filterPattern: input.filterPattern ?? "", metricTransformations: [t] };
  s.putFilter.run(g.id, "metric", input.filterName, ctx.clock.now(), JSON.stringify(doc));
  return {};
};

export const DeleteMetricFilter: Handler<DeleteMetricFilterRequest, Record<string, never>> = (input, ctx) => {
  const g = findGroupByName(ctx, input.logGroupName!);
  if (statements(ctx.db).deleteFilter.run(g.id, "metric", input.filterName).changes === 0) {
    throw new AwsError("ResourceNotFoundException", "The specified resource does not exist.");
  }
  return {};
};

export const DescribeMetricFilters: Handler<DescribeMetricFiltersRequest, DescribeMetricFiltersResponse> = (input, ctx) => {
  const limit = validateLimit(input.limit, 50);
  if (input.filterNamePrefix !== undefined && input.logGroupName === undefined) throw invalidParameter("If filterNamePrefix is specified, logGroupName must also be specified.");
  if ((input.metricName === undefined) !== (input.metricNamespace === undefined)) throw invalidParameter("If you specify metricName or metricNamespace, you must specify both.");
  const groups = input.logGroupName !== undefined ? [findGroupByName(ctx, input.logGroupName)] : (ctx.db.prepare("SELECT * FROM logs_groups WHERE account = ? AND region = ? ORDER BY name").all(ctx.accountId, ctx.region) as GroupRow[]);
  const all: MetricFilter[] = [];
  for (const g of groups) {
    for (const f of statements(ctx.db).filters.all(g.id, "metric") as FilterRow[]) {
      if (input.filterNamePrefix !== undefined && !f.name.startsWith(input.filterNamePrefix)) continue;
      const doc = JSON.parse(f.doc) as MetricDoc;
      if (input.metricName !== undefined && !doc.metricTransformations.some((t) => t.metricName === input.metricName && t.metricNamespace === input.metricNamespace)) continue;
      all.push({ filterName: f.name, filterPattern: doc.filterPattern, metricTransformations: doc.metricTransformations, creationTime: f.created_at, logGroupName: g.name });
    }
  }
  const offset = input.nextToken ? decodeToken<{ o: number }>(input.nextToken).o : 0;
  const page = all.slice(offset, offset + limit);
  return { metricFilters: page, ...(all.length > offset + limit ? { nextToken: encodeToken({ o: offset + limit }) } : {}) };
};

export const TestMetricFilter: Handler<TestMetricFilterRequest, TestMetricFilterResponse> = (input) => {
  const msgs = input.logEventMessages ?? [];
  if (msgs.length < 1 || msgs.length > 50) throw invalidParameter(`1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length ${msgs.length < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
  const p = compilePattern(input.filterPattern);
  const matches: NonNullable<TestMetricFilterResponse["matches"]> = [];
  msgs.forEach((m, i) => {
    const r = p.match(m);
    if (!r) return;
    const extractedValues: Record<string, string> = {};
    if (r.fields) for (const [k, v] of Object.entries(r.fields)) if (!/^\d+$/.test(k)) extractedValues[`$${k}`] = v;
    matches.push({ eventNumber: i + 1, eventMessage: m, extractedValues });
  });
  return { matches };
};

// ---- subscription filters ----

interface SubscriptionDoc {
  filterPattern: string;
  destinationArn: string;
  roleArn?: string;
  distribution: string;
}

export const PutSubscriptionFilter: Handler<PutSubscriptionFilterRequest, Record<string, never>> = async (input, ctx) => {
  validateFilter(input.filterName, input.filterPattern);
  const g = findGroupByName(ctx, input.logGroupName!);
  const dest = input.destinationArn ?? "";
  const fn = /^arn:aws[\w-]*:lambda:([^:]+):(\d{12}):function:([^:]+)(?::[^:]+)?$/.exec(dest);
  // TODO(parity): Kinesis Data Streams, Firehose and cross-account destinations.
  if (!fn) throw invalidParameter(`Nimbus delivers subscription filters to Lambda functions only; destination ${dest} is not supported.`);
  // As Logs does: a dry-run invoke as logs.amazonaws.com, which the function's policy must allow.
  try {
    await ctx.client.call("lambda", "Invoke", { FunctionName: dest, InvocationType: "DryRun" }, { accountId: fn[2], region: fn[1], onBehalfOf: { service: "logs.amazonaws.com", sourceArn: `${groupArn(ctx, g.name)}:*`, sourceAccount: ctx.accountId } });
  } catch {
    throw invalidParameter("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.");
  }
  const s = statements(ctx.db);
  if (!s.filter.get(g.id, "subscription", input.filterName) && (s.countFilters.get(g.id, "subscription") as { n: number }).n >= MAX_SUBSCRIPTION_FILTERS) {
    throw new AwsError("LimitExceededException", "Resource limit exceeded.");
  }
  const doc: SubscriptionDoc = { filterPattern: input.filterPattern ?? "", destinationArn: dest, ...(input.roleArn ? { roleArn: input.roleArn } : {}), distribution: input.distribution ?? "ByLogStream" };
  s.putFilter.run(g.id, "subscription", input.filterName, ctx.clock.now(), JSON.stringify(doc));
  return {};
};

export const DeleteSubscriptionFilter: Handler<DeleteSubscriptionFilterRequest, Record<string, never>> = (input, ctx) => {
  const g = findGroupByName(ctx, input.logGroupName!);
  if (statements(ctx.db).deleteFilter.run(g.id, "subscription", input.filterName).changes === 0) {
    throw new AwsError("ResourceNotFoundException", "The specified subscription filter does not exist.");
  }
  return {};
};

export const DescribeSubscriptionFilters: Handler<DescribeSubscriptionFiltersRequest, DescribeSubscriptionFiltersResponse> = (input, ctx) => {
  const limit = validateLimit(input.limit, 50);
  const g = findGroupByName(ctx, input.logGroupName!);
  const rows = (statements(ctx.db).filters.all(g.id, "subscription") as FilterRow[]).filter((f) => input.filterNamePrefix === undefined || f.name.startsWith(input.filterNamePrefix));
  const out: SubscriptionFilter[] = rows.slice(0, limit).map((f) => {
    const d = JSON.parse(f.doc) as SubscriptionDoc;
    return { filterName: f.name, logGroupName: g.name, filterPattern: d.filterPattern, destinationArn: d.destinationArn, ...(d.roleArn ? { roleArn: d.roleArn } : {}), distribution: d.distribution as SubscriptionFilter["distribution"], creationTime: f.created_at };
  });
  return { subscriptionFilters: out };
};

// ---- what filters do when events arrive ----

interface Stored {
  id: number;
  ts: number;
  message: string;
}

/** Runs a group's metric and subscription filters over events just stored (no-op without filters). */
export function afterIngest(ctx: RequestContext, g: GroupRow, streamName: string, events: Stored[]): void {
  const s = statements(ctx.db);
  if (!s.anyFilters.get(g.id)) return;
  for (const f of s.filters.all(g.id, "metric") as FilterRow[]) {
    const doc = JSON.parse(f.doc) as MetricDoc;
    const p = pattern(doc.filterPattern);
    const t = doc.metricTransformations[0];
    let matched = 0;
    for (const e of events) {
      const m = p.match(e.message);
      if (!m) continue;
      const value = Number(extract(t.metricValue!, m));
      if (!Number.isFinite(value)) continue;
      const dimensions: Record<string, string> = {};
      let complete = true;
      for (const [k, expr] of Object.entries(t.dimensions ?? {})) {
        const v = extract(expr, m);
        if (v === undefined) complete = false;
        else dimensions[k] = v;
      }
      // AWS drops a datapoint whose dimension values cannot be extracted.
      if (!complete) continue;
      matched++;
      ctx.events.emit("metric", { accountId: ctx.accountId, region: ctx.region, namespace: t.metricNamespace!, name: t.metricName!, dimensions, value, ...(t.unit ? { unit: t.unit } : {}), timestamp: e.ts });
    }
    if (matched === 0 && t.defaultValue !== undefined) {
      ctx.events.emit("metric", { accountId: ctx.accountId, region: ctx.region, namespace: t.metricNamespace!, name: t.metricName!, dimensions: {}, value: t.defaultValue, ...(t.unit ? { unit: t.unit } : {}), timestamp: ctx.clock.now() });
    }
  }
  for (const f of s.filters.all(g.id, "subscription") as FilterRow[]) {
    const doc = JSON.parse(f.doc) as SubscriptionDoc;
    const p = pattern(doc.filterPattern);
    const logEvents = events.filter((e) => p.match(e.message)).map((e) => ({ id: eventId(e.ts, e.id), timestamp: e.ts, message: e.message }));
    if (logEvents.length === 0) continue;
    deliver(ctx, g, doc.destinationArn, { messageType: "DATA_MESSAGE", owner: ctx.accountId, logGroup: g.name, logStream: streamName, subscriptionFilters: [f.name], logEvents });
  }
}

/** Invokes the destination function asynchronously with {"awslogs": {"data": base64(gzip(json))}}, as Logs does. */
function deliver(ctx: RequestContext, g: GroupRow, arn: string, message: Record<string, unknown>): void {
  const [, , , region, account] = arn.split(":");
  const payload = Buffer.from(JSON.stringify({ awslogs: { data: gzipSync(JSON.stringify(message)).toString("base64") } }));
  const onBehalfOf = { service: "logs.amazonaws.com", sourceArn: `${groupArn(ctx, g.name)}:*`, sourceAccount: ctx.accountId };
  setImmediate(() => {
    ctx.client.call("lambda", "Invoke", { FunctionName: arn, InvocationType: "Event", Payload: payload }, { accountId: account, region, onBehalfOf }).catch(() => undefined);
  });
}
