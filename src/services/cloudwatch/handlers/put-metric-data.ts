// PutMetricData: validate every datum with AWS's rules and wording, then store them all in one
// transaction. EntityMetricData's datums are stored like MetricData's (the entity is dropped;
// see GAPS.md).
import type { MetricDatum, PutMetricDataInput } from "@aws-sdk/client-cloudwatch";
import type { RequestContext } from "../../../core/service.js";
import { canonicalDimensions, type DatumRecord } from "../store.js";
import { E, Problems, formatDouble, isUnit, metricStore, toMillis, toNumber, unitSetMessage } from "./common.js";

const MAX_METRICS = 1000;
const MAX_DIMENSIONS = 30;
const MAX_VALUES = 150;
/** Values must lie within -2^360 .. 2^360. */
const MAX_MAGNITUDE = 2 ** 360;
const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3_600_000;

export function putMetricData(input: PutMetricDataInput, ctx: RequestContext): Record<string, never> {
  const namespace = input.Namespace;
  if (namespace === undefined || namespace === "") throw E.missing("The parameter Namespace is required.");
  if (namespace.length > 255) throw E.invalidValue("The parameter Namespace must be shorter than 256 characters.");
  if (namespace.startsWith("AWS/")) throw E.invalidValue("The value AWS/ for parameter Namespace is invalid.");

  const data: Array<{ datum: MetricDatum; at: string }> = [];
  (input.MetricData ?? []).forEach((datum, i) => data.push({ datum, at: `MetricData.member.${i + 1}` }));
  (input.EntityMetricData ?? []).forEach((e, i) =>
    (e.MetricData ?? []).forEach((datum, j) => data.push({ datum, at: `EntityMetricData.member.${i + 1}.MetricData.member.${j + 1}` })),
  );
  if (data.length === 0) throw E.missing("At least one of the parameters MetricData or EntityMetricData must be specified.");
  if (data.length > MAX_METRICS) throw E.invalidValue(`The collection MetricData must not have a size greater than ${MAX_METRICS}.`);

  const now = ctx.clock.now();
  const problems = new Problems();
  const records: DatumRecord[] = [];
  for (const { datum, at } of data) {
    const r = validateDatum(datum, at, namespace, now, problems);
    if (r) records.push(r);
  }
  problems.throwIfAny();
  metricStore(ctx).put(records, now);
  return {};
}

function checkNumber(v: number, param: string, problems: Problems): boolean {
  if (!Number.isFinite(v) || Math.abs(v) > MAX_MAGNITUDE) {
    problems.invalid(`The value ${formatDouble(v)} for parameter ${param} is invalid.`);
    return false;
  }
  return true;
}

function validateDatum(d: MetricDatum, at: string, namespace: string, now: number, problems: Problems): DatumRecord | undefined {
  const before = problems.size;
  const name = d.MetricName;
  if (name === undefined || name === "") problems.add("MissingRequiredParameterException", `The parameter ${at}.MetricName is required.`);
  else if (name.length > 255) problems.invalid(`The parameter ${at}.MetricName must be shorter than 256 characters.`);

  const dims = d.Dimensions ?? [];
  if (dims.length > MAX_DIMENSIONS) problems.invalid(`The collection ${at}.Dimensions must not have a size greater than ${MAX_DIMENSIONS}.`);
  const seen = new Set<string>();
  dims.forEach((dim, k) => {
    const p = `${at}.Dimensions.member.${k + 1}`;
    if (!dim.Name) problems.add("MissingRequiredParameterException", `The parameter ${p}.Name is required.`);
    else if (dim.Name.length > 255) problems.invalid(`The parameter ${p}.Name must be shorter than 256 characters.`);
    if (dim.Value === undefined || dim.Value === "") problems.add("MissingRequiredParameterException", `The parameter ${p}.Value is required.`);
    else if (dim.Value.length > 1024) problems.invalid(`The parameter ${p}.Value must be shorter than 1025 characters.`);
    if (dim.Name !== undefined) {
      if (seen.has(dim.Name)) problems.invalid("No Metric may specify the same dimension twice.");
      seen.add(dim.Name);
    }
  });

  const ts = d.Timestamp === undefined ? now : toMillis(d.Timestamp);
  if (ts === undefined || Number.isNaN(ts)) problems.invalid(`The parameter ${at}.Timestamp is invalid.`);
  else if (ts < now - TWO_WEEKS) problems.invalid(`The parameter ${at}.Timestamp must specify a time within the past two weeks.`);
  else if (ts > now + TWO_HOURS) problems.invalid(`The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);

  const unit = d.Unit ?? "None";
  if (!isUnit(unit)) problems.invalid(unitSetMessage(`${at}.Unit`));

  const resolution = d.StorageResolution === undefined ? 60 : toNumber(d.StorageResolution);
  if (resolution !== 1 && resolution !== 60) problems.invalid(`The parameter ${at}.StorageResolution must be a value in the set [ 1, 60 ].`);

  const value = toNumber(d.Value);
  const values = (d.Values ?? []).map(toNumber) as number[];
  const counts = d.Counts === undefined ? undefined : (d.Counts.map(toNumber) as number[]);
  const stats = d.StatisticValues;
  const hasValues = values.length > 0;

  if (value !== undefined && stats !== undefined) {
    problems.add("InvalidParameterCombinationException", `The parameters ${at}.Value and ${at}.StatisticValues are mutually exclusive and you have specified both.`);
  }
  if (value !== undefined && hasValues) {
    problems.add("InvalidParameterCombinationException", `The parameters ${at}.Value and ${at}.Values are mutually exclusive and you have specified both.`);
  }
  if (value === undefined && !hasValues && stats === undefined) {
    problems.add("MissingRequiredParameterException", `At least one of the parameters ${at}.Value, ${at}.Values or ${at}.StatisticValues must be specified.`);
  }
  if (value !== undefined) checkNumber(value, `${at}.Value`, problems);
  if (values.length > MAX_VALUES) problems.invalid(`The collection ${at}.Values must not have a size greater than ${MAX_VALUES}.`);
  for (const v of values) if (!checkNumber(v, `${at}.Values`, problems)) break;
  if (counts !== undefined && counts.length > 0) {
    if (counts.length !== values.length) problems.invalid(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
    for (const c of counts) {
      if (!Number.isFinite(c) || c < 0) {
        problems.invalid(`The value ${formatDouble(c)} for parameter ${at}.Counts is invalid.`);
        break;
      }
    }
  }
  let set: { count: number; sum: number; min: number; max: number } | undefined;
  if (stats !== undefined) {
    const sp = `${at}.StatisticValues`;
    const fields = { SampleCount: toNumber(stats.SampleCount), Sum: toNumber(stats.Sum), Minimum: toNumber(stats.Minimum), Maximum: toNumber(stats.Maximum) };
    let complete = true;
    for (const f of ["Maximum", "Minimum", "SampleCount", "Sum"] as const) {
      if (fields[f] === undefined) {
        problems.add("MissingRequiredParameterException", `The parameter ${sp}.${f} is required.`);
        complete = false;
      } else if (!checkNumber(fields[f]!, `${sp}.${f}`, problems)) complete = false;
    }
    if (complete) {
      const { SampleCount, Sum, Minimum, Maximum } = fields as Record<keyof typeof fields, number>;
      if (Maximum < Minimum) problems.invalid(`The parameter ${sp}.Maximum must be greater than ${sp}.Minimum.`);
      if (SampleCount <= 0) problems.invalid(`The parameter ${sp}.SampleCount must be greater than 0.`);
      set = { count: SampleCount, sum: Sum, min: Minimum, max: Maximum };
    }
  }
  if (problems.size > before) return undefined;

  const base = { namespace, metricName: name!, dimensions: canonicalDimensions(dims), ts: ts!, unit, resolution: resolution! };
  if (hasValues) {
    const dist: Array<[number, number]> = values.map((v, k) => [v, counts && counts.length > 0 ? counts[k] : 1]);
    const live = dist.filter(([, c]) => c > 0);
    const summary = set ?? {
      count: live.reduce((a, [, c]) => a + c, 0),
      sum: live.reduce((a, [v, c]) => a + v * c, 0),
      min: Math.min(...live.map(([v]) => v)),
      max: Math.max(...live.map(([v]) => v)),
    };
    if (summary.count <= 0) return undefined; // every count 0: nothing to record
    return { ...base, kind: 1, ...summary, dist: live };
  }
  if (set) return { ...base, kind: 2, ...set };
  return { ...base, kind: 0, count: 1, sum: value!, min: value!, max: value! };
}
