// GetMetricData: MetricStat queries (any statistic, percentiles included), metric math
// expressions (the subset in engine/expressions.ts), labels with the basic dynamic-label
// placeholders, ScanBy ordering and MaxDatapoints pagination with NextToken.
import { createHash } from "node:crypto";
import type { GetMetricDataInput, GetMetricDataOutput, MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import type { RequestContext } from "../../../core/service.js";
import { ExpressionError, evaluate, parseExpression, referencedIds, type EvalContext, type Series, type Value } from "../engine/expressions.js";
import { aggregate, alignStart, computeStat, isValidPeriod, parseStat, type StatSpec } from "../engine/statistics.js";
import { canonicalDimensions, type MetricStore } from "../store.js";
import { E, Problems, decodeToken, encodeToken, isUnit, metricStore, toMillis, toNumber, unitSetMessage } from "./common.js";

const MAX_QUERIES = 500;
const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID_RE = /^[a-z][a-zA-Z0-9_]*$/;

interface StatQuery {
  q: MetricDataQuery;
  index: number;
  spec: StatSpec;
  period: number;
}

interface ExprQuery {
  q: MetricDataQuery;
  index: number;
  node: ReturnType<typeof parseExpression>;
}

export function getMetricData(input: GetMetricDataInput, ctx: RequestContext): GetMetricDataOutput {
  const queries = input.MetricDataQueries ?? [];
  if (queries.length === 0) throw E.missing("The parameter MetricDataQueries is required.");
  if (queries.length > MAX_QUERIES) throw E.validation(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
  if (input.StartTime === undefined) throw E.missing("The parameter StartTime is required.");
  if (input.EndTime === undefined) throw E.missing("The parameter EndTime is required.");
  const start = toMillis(input.StartTime)!;
  const end = toMillis(input.EndTime)!;
  if (start >= end) throw E.validation("The parameter StartTime must be less than the parameter EndTime.");
  const scanBy = input.ScanBy ?? "TimestampDescending";
  if (scanBy !== "TimestampDescending" && scanBy !== "TimestampAscending") {
    throw E.validation("The parameter ScanBy must be a value in the set [ TimestampDescending, TimestampAscending ].");
  }
  const maxDatapoints = input.MaxDatapoints === undefined ? DEFAULT_MAX_DATAPOINTS : toNumber(input.MaxDatapoints)!;
  if (!Number.isInteger(maxDatapoints) || maxDatapoints < 1) throw E.validation("The parameter MaxDatapoints must be greater than 0.");

  const { stats, exprs } = validateQueries(queries);
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([queries, start, end, scanBy]))
    .digest("base64url")
    .slice(0, 16);
  let offset = 0;
  if (input.NextToken !== undefined) {
    const t = decodeToken<{ o: number; f: string }>(input.NextToken);
    if (!t || t.f !== fingerprint || !Number.isInteger(t.o) || t.o < 0) throw E.invalidNextToken("The specified NextToken is not valid.");
    offset = t.o;
  }

  // MetricStat queries.
  const store = metricStore(ctx);
  const now = ctx.clock.now();
  const values = new Map<string, Value>();
  const statSeries: Series[] = [];
  for (const sq of stats) {
    const s = statSeriesOf(sq, store, start, end, now);
    values.set(sq.q.Id!, { t: "series", s });
    statSeries.push(s);
  }

  // Expressions, each once, in dependency order.
  const exprById = new Map(exprs.map((e) => [e.q.Id!, e]));
  const evaluating = new Set<string>();
  const defaultPeriod = stats.length > 0 ? Math.min(...stats.map((s) => s.period)) : 60;
  const grid = (period: number): number[] => {
    const { start: from } = alignStart(start, now, period);
    const out: number[] = [];
    for (let t = from; t < end && out.length < DEFAULT_MAX_DATAPOINTS; t += period * 1000) out.push(t);
    return out;
  };
  const evalCtx: EvalContext = {
    resolve: (id) => {
      if (values.has(id)) return values.get(id);
      const e = exprById.get(id);
      return e ? evalExpr(e) : undefined;
    },
    metrics: () => statSeries,
    grid,
  };
  const evalExpr = (e: ExprQuery): Value => {
    const id = e.q.Id!;
    const done = values.get(id);
    if (done) return done;
    if (evaluating.has(id)) throw E.validation(`Error in expression ${id}: Circular reference to ${id}`);
    evaluating.add(id);
    let v: Value;
    try {
      v = evaluate(e.node, evalCtx, id);
    } catch (err) {
      if (err instanceof ExpressionError) throw E.validation(`Error in expression ${id}: ${err.message}`);
      throw err;
    }
    evaluating.delete(id);
    values.set(id, v);
    return v;
  };
  for (const e of exprs) evalExpr(e);

  // Results in query order.
  const results: Array<{ r: MetricDataResult; ts: number[]; vs: number[] }> = [];
  const byIndex = [...stats.map((s) => ({ index: s.index, stat: s as StatQuery | undefined, expr: undefined as ExprQuery | undefined })), ...exprs.map((e) => ({ index: e.index, stat: undefined, expr: e }))].sort(
    (a, b) => a.index - b.index,
  );
  for (const item of byIndex) {
    const q = (item.stat ?? item.expr)!.q;
    if (q.ReturnData === false) continue;
    const id = q.Id!;
    const v = values.get(id)!;
    let series: Series[];
    if (v.t === "series") series = [v.s];
    else if (v.t === "array") series = v.items;
    else if (v.t === "scalar") {
      const period = q.Period ?? defaultPeriod;
      const ts = Number.isFinite(v.v) ? grid(period) : [];
      series = [{ id, label: id, period, timestamps: ts, values: ts.map(() => v.v) }];
    } else throw E.validation(`Error in expression ${id}: The expression does not evaluate to a time series`);
    for (const s of series) {
      const defaultLabel = item.stat ? q.MetricStat!.Metric!.MetricName! : v.t === "array" ? s.label : id;
      const label = q.Label !== undefined ? dynamicLabel(q.Label, q, s, defaultLabel) : defaultLabel;
      let ts = s.timestamps;
      let vs = s.values;
      if (scanBy === "TimestampDescending") {
        ts = [...ts].reverse();
        vs = [...vs].reverse();
      }
      results.push({ r: { Id: id, Label: label }, ts, vs });
    }
  }

  // One page of MaxDatapoints datapoints, counted across results in order.
  const total = results.reduce((a, x) => a + x.ts.length, 0);
  if (offset > total) throw E.invalidNextToken("The specified NextToken is not valid.");
  const pageEnd = Math.min(total, offset + maxDatapoints);
  let cursor = 0;
  const out: MetricDataResult[] = [];
  for (const { r, ts, vs } of results) {
    const from = Math.min(Math.max(offset - cursor, 0), ts.length);
    const to = Math.min(Math.max(pageEnd - cursor, 0), ts.length);
    cursor += ts.length;
    out.push({
      ...r,
      Timestamps: ts.slice(from, to).map((t) => new Date(t)),
      Values: vs.slice(from, to),
      StatusCode: to < ts.length ? "PartialData" : "Complete",
      Messages: [],
    });
  }
  const output: GetMetricDataOutput = { MetricDataResults: out, Messages: [] };
  if (pageEnd < total) output.NextToken = encodeToken({ o: pageEnd, f: fingerprint });
  return output;
}

function validateQueries(queries: MetricDataQuery[]): { stats: StatQuery[]; exprs: ExprQuery[] } {
  const problems = new Problems();
  const seen = new Set<string>();
  queries.forEach((q, i) => {
    const at = `MetricDataQueries.member.${i + 1}`;
    if (q.Id === undefined || q.Id === "") problems.add("MissingRequiredParameterException", `The parameter ${at}.Id is required.`);
    else if (q.Id.length > 255 || !ID_RE.test(q.Id)) problems.add("ValidationException", `The value ${q.Id} for parameter ${at}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.`);
    else if (seen.has(q.Id)) problems.add("ValidationException", `The value ${q.Id} for parameter ${at}.Id is duplicated.`);
    if (q.Id) seen.add(q.Id);
  });
  problems.throwIfAny();

  const stats: StatQuery[] = [];
  const exprs: ExprQuery[] = [];
  queries.forEach((q, i) => {
    const at = `MetricDataQueries.member.${i + 1}`;
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
      problems.add("ValidationException", `Exactly one element of ${at} must be specified: MetricStat or Expression.`);
      return;
    }
    if (q.Period !== undefined) {
      const p = toNumber(q.Period)!;
      if (!isValidPeriod(p)) problems.add("ValidationException", `The parameter ${at}.Period must be 1, 5, 10, 20, 30 or a multiple of 60.`);
    }
    if (q.MetricStat) {
      const ms = q.MetricStat;
      const m = ms.Metric;
      if (!m || !m.Namespace || !m.MetricName) {
        problems.add("MissingRequiredParameterException", `The parameter ${at}.MetricStat.Metric.${!m || !m.Namespace ? "Namespace" : "MetricName"} is required.`);
        return;
      }
      const period = toNumber(ms.Period);
      if (period === undefined) problems.add("MissingRequiredParameterException", `The parameter ${at}.MetricStat.Period is required.`);
      else if (!isValidPeriod(period)) problems.add("ValidationException", `The parameter ${at}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60.`);
      const spec = ms.Stat === undefined ? undefined : parseStat(ms.Stat);
      if (!spec) problems.add("ValidationException", `The value for parameter ${at}.MetricStat.Stat is not a valid statistic.`);
      if (ms.Unit !== undefined && !isUnit(ms.Unit)) problems.add("ValidationException", unitSetMessage(`${at}.MetricStat.Unit`));
      if (spec && period !== undefined) stats.push({ q, index: i, spec, period });
    } else {
      try {
        exprs.push({ q, index: i, node: parseExpression(q.Expression!) });
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        problems.add("ValidationException", `Error in expression ${q.Id}: ${err.message}`);
      }
    }
  });
  problems.throwIfAny();

  const ids = new Set(queries.map((q) => q.Id!));
  for (const e of exprs) {
    for (const ref of referencedIds(e.node)) {
      if (!ids.has(ref)) problems.add("ValidationException", `Error in expression ${e.q.Id}: Unrecognized metric or expression id: ${ref}`);
      else if (ref === e.q.Id) problems.add("ValidationException", `Error in expression ${e.q.Id}: Circular reference to ${ref}`);
    }
  }
  problems.throwIfAny();
  return { stats, exprs };
}

function statSeriesOf(sq: StatQuery, store: MetricStore, start: number, end: number, now: number): Series {
  const ms = sq.q.MetricStat!;
  const m = ms.Metric!;
  const series: Series = { id: sq.q.Id!, label: ms.Metric!.MetricName!, period: sq.period, timestamps: [], values: [] };
  if (sq.q.Label !== undefined) series.label = sq.q.Label;
  const { start: from, available } = alignStart(start, now, sq.period);
  if (!available) return series;
  const id = store.findMetricId(m.Namespace!, m.MetricName!, canonicalDimensions(m.Dimensions));
  if (id === undefined) return series;
  let samples = store.samples(id, from, end);
  if (ms.Unit !== undefined) samples = samples.filter((s) => s.unit === ms.Unit);
  for (const b of aggregate(samples, { start: from, end, periodMs: sq.period * 1000, byUnit: false })) {
    const v = computeStat(b, sq.spec);
    if (v === undefined || !Number.isFinite(v)) continue;
    series.timestamps.push(b.start);
    series.values.push(v);
  }
  return series;
}

const PLACEHOLDER = /\$\{([A-Z_]+)(?:\('([^']*)'\))?\}/g;

/** The basic dynamic labels: ${PROP('...')}, ${LABEL} and the summary statistics of the series. */
function dynamicLabel(template: string, q: MetricDataQuery, s: Series, defaultLabel: string): string {
  const xs = s.values;
  const fmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "" : String(Number(v.toFixed(2))));
  return template.replace(PLACEHOLDER, (whole, name: string, arg: string | undefined) => {
    switch (name) {
      case "PROP": {
        const m = q.MetricStat?.Metric;
        if (arg === "MetricName") return m?.MetricName ?? "";
        if (arg === "Namespace") return m?.Namespace ?? "";
        if (arg === "Period") return String(q.MetricStat?.Period ?? q.Period ?? s.period);
        if (arg === "Stat") return q.MetricStat?.Stat ?? "";
        if (arg?.startsWith("Dim.")) return m?.Dimensions?.find((d) => d.Name === arg.slice(4))?.Value ?? "";
        return whole;
      }
      case "LABEL":
        return defaultLabel;
      case "SUM":
        return fmt(xs.length ? xs.reduce((a, b) => a + b, 0) : undefined);
      case "AVG":
        return fmt(xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
      case "MIN":
        return fmt(xs.length ? Math.min(...xs) : undefined);
      case "MAX":
        return fmt(xs.length ? Math.max(...xs) : undefined);
      case "FIRST":
        return fmt(xs[0]);
      case "LAST":
        return fmt(xs[xs.length - 1]);
      default:
        return whole;
    }
  });
}
