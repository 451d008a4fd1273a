// ListMetrics: the metric catalogue, filtered by namespace, name, dimensions (name, or name and
// value; a metric matches when it has every filtered dimension) and RecentlyActive (PT3H),
// 500 per page, in (namespace, metric name, dimensions) order.
import type { ListMetricsInput, ListMetricsOutput, Metric } from "@aws-sdk/client-cloudwatch";
import type { RequestContext } from "../../../core/service.js";
import type { DimensionPair, MetricRow } from "../store.js";
import { E, decodeToken, encodeToken, metricStore } from "./common.js";

const PAGE = 500;
const THREE_HOURS = 3 * 3_600_000;
const MAX_FILTERS = 10;

export function listMetrics(input: ListMetricsInput, ctx: RequestContext): ListMetricsOutput {
  const filters = input.Dimensions ?? [];
  if (filters.length > MAX_FILTERS) throw E.invalidValue(`The collection Dimensions must not have a size greater than ${MAX_FILTERS}.`);
  filters.forEach((f, i) => {
    if (!f.Name) throw E.missing(`The parameter Dimensions.member.${i + 1}.Name is required.`);
    if (f.Name.length > 255) throw E.invalidValue(`The parameter Dimensions.member.${i + 1}.Name must be shorter than 256 characters.`);
    if (f.Value !== undefined && f.Value.length > 1024) throw E.invalidValue(`The parameter Dimensions.member.${i + 1}.Value must be shorter than 1025 characters.`);
  });
  if (input.RecentlyActive !== undefined && input.RecentlyActive !== "PT3H") {
    throw E.invalidValue("The parameter RecentlyActive must be a value in the set [ PT3H ].");
  }
  // Nimbus has no linked (monitoring) accounts: another owning account lists nothing.
  if (input.OwningAccount !== undefined && input.OwningAccount !== ctx.accountId) {
    return input.IncludeLinkedAccounts ? { Metrics: [], OwningAccounts: [] } : { Metrics: [] };
  }

  let after: [string, string, string] | undefined;
  if (input.NextToken !== undefined) {
    const t = decodeToken<{ a: [string, string, string] }>(input.NextToken);
    if (!t || !Array.isArray(t.a) || t.a.length !== 3 || !t.a.every((x) => typeof x === "string")) {
      throw E.invalidValue("The value for parameter NextToken is invalid.");
    }
    after = t.a;
  }

  const store = metricStore(ctx);
  const activeSince = input.RecentlyActive ? ctx.clock.now() - THREE_HOURS : undefined;
  const matches: MetricRow[] = [];
  let more = false;
  // Dimension filters run here, not in SQL: scan the catalogue in order in batches.
  for (;;) {
    const batch = store.list({ namespace: input.Namespace, metricName: input.MetricName, activeSince, after, limit: PAGE + 1 });
    for (const row of batch) {
      if (!matchesFilters(row, filters)) continue;
      if (matches.length === PAGE) {
        more = true;
        break;
      }
      matches.push(row);
    }
    if (more || batch.length <= PAGE) break;
    const last = batch[batch.length - 1];
    after = [last.namespace, last.metric_name, last.dims_key];
  }

  const metrics: Metric[] = matches.map((r) => ({
    Namespace: r.namespace,
    MetricName: r.metric_name,
    Dimensions: JSON.parse(r.dims) as DimensionPair[],
  }));
  const out: ListMetricsOutput = { Metrics: metrics };
  if (input.IncludeLinkedAccounts) out.OwningAccounts = metrics.map(() => ctx.accountId);
  if (more) {
    const last = matches[matches.length - 1];
    out.NextToken = encodeToken({ a: [last.namespace, last.metric_name, last.dims_key] });
  }
  return out;
}

function matchesFilters(row: MetricRow, filters: ReadonlyArray<{ Name?: string; Value?: string }>): boolean {
  if (filters.length === 0) return true;
  const dims = JSON.parse(row.dims) as DimensionPair[];
  return filters.every((f) => dims.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)));
}
