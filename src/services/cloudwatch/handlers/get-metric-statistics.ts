// GetMetricStatistics: one metric (namespace + name + its exact dimension set), bucketed by
// Period from the aligned StartTime up to the exclusive EndTime; one datapoint per period and
// unit (all units when Unit is omitted, only that unit otherwise), in ascending time order.
import type { Datapoint, GetMetricStatisticsInput, GetMetricStatisticsOutput, StandardUnit } from "@aws-sdk/client-cloudwatch";
import type { RequestContext } from "../../../core/service.js";
import { aggregate, alignStart, computeStat, isBasicStatistic, isValidPeriod, parseStat, type StatSpec } from "../engine/statistics.js";
import { canonicalDimensions } from "../store.js";
import { E, isUnit, metricStore, toMillis, toNumber, unitSetMessage } from "./common.js";

export const MAX_DATAPOINTS = 1440;

export function getMetricStatistics(input: GetMetricStatisticsInput, ctx: RequestContext): GetMetricStatisticsOutput {
  for (const p of ["Namespace", "MetricName", "StartTime", "EndTime", "Period"] as const) {
    if (input[p] === undefined || input[p] === "") throw E.missing(`The parameter ${p} is required.`);
  }
  const dims = input.Dimensions ?? [];
  if (dims.length > 30) throw E.invalidValue("The collection Dimensions must not have a size greater than 30.");
  dims.forEach((d, i) => {
    if (!d.Name) throw E.missing(`The parameter Dimensions.member.${i + 1}.Name is required.`);
    if (d.Value === undefined || d.Value === "") throw E.missing(`The parameter Dimensions.member.${i + 1}.Value is required.`);
  });
  const start = toMillis(input.StartTime)!;
  const end = toMillis(input.EndTime)!;
  if (start === end) throw E.invalidValue("The parameter StartTime must not equal parameter EndTime.");
  if (start > end) throw E.invalidValue("The parameter StartTime must be less than the parameter EndTime.");
  const period = toNumber(input.Period)!;
  if (period < 0) throw E.invalidValue("The parameter Period must be greater than 0.");
  if (period === 0) throw E.invalidValue("The parameter Period must not equal 0.");
  if (!isValidPeriod(period)) throw E.invalidValue("The parameter Period must be a multiple of 60.");
  if (input.Unit !== undefined && !isUnit(input.Unit)) throw E.invalidValue(unitSetMessage("Unit"));

  const statistics = input.Statistics ?? [];
  const extended = input.ExtendedStatistics ?? [];
  if (statistics.length === 0 && extended.length === 0) throw E.invalidCombination("Must specify either Statistics or ExtendedStatistics");
  if (statistics.length > 5) throw E.invalidValue("The collection Statistics must not have a size greater than 5.");
  if (extended.length > 10) throw E.invalidValue("The collection ExtendedStatistics must not have a size greater than 10.");
  const specs: StatSpec[] = [];
  statistics.forEach((s, i) => {
    if (!isBasicStatistic(s)) {
      throw E.invalidValue(`The parameter Statistics.member.${i + 1}.<list element> must be a value in the set [SampleCount, Average, Sum, Minimum, Maximum].`);
    }
    specs.push(parseStat(s)!);
  });
  extended.forEach((s, i) => {
    const spec = parseStat(s);
    if (!spec || spec.kind === "basic") throw E.invalidValue(`The value ${s} for parameter ExtendedStatistics.member.${i + 1}.<list element> is not supported.`);
    specs.push(spec);
  });

  const { start: from, available } = alignStart(start, ctx.clock.now(), period);
  const requested = Math.ceil((end - from) / (period * 1000));
  if (requested > MAX_DATAPOINTS) {
    throw E.invalidCombination(
      `You have requested up to ${requested} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }

  const out: GetMetricStatisticsOutput = { Label: input.MetricName, Datapoints: [] };
  if (!available) return out;
  const store = metricStore(ctx);
  const id = store.findMetricId(input.Namespace!, input.MetricName!, canonicalDimensions(dims));
  if (id === undefined) return out;
  let samples = store.samples(id, from, end);
  if (input.Unit !== undefined) samples = samples.filter((s) => s.unit === input.Unit);
  const buckets = aggregate(samples, { start: from, end, periodMs: period * 1000, byUnit: true });
  for (const b of buckets) {
    const dp: Datapoint = { Timestamp: new Date(b.start), Unit: b.unit as StandardUnit };
    let any = false;
    for (const spec of specs) {
      const v = computeStat(b, spec);
      if (v === undefined || !Number.isFinite(v)) continue;
      any = true;
      if (spec.kind === "basic") dp[spec.stat] = v;
      else (dp.ExtendedStatistics ??= {})[spec.name] = v;
    }
    if (any) out.Datapoints!.push(dp);
  }
  return out;
}
