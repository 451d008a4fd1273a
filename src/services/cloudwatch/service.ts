// Amazon CloudWatch metrics: PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData.
// Other services' metrics (AWS/SQS, AWS/Lambda ...) arrive as "metric" events on the bus and
// are stored like PutMetricData's. Alarms, dashboards, insight rules, metric streams and the
// rest are not implemented yet (the chassis answers NotImplemented; see GAPS.md).
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { getMetricData } from "./handlers/get-metric-data.js";
import { getMetricStatistics } from "./handlers/get-metric-statistics.js";
import { listMetrics } from "./handlers/list-metrics.js";
import { putMetricData } from "./handlers/put-metric-data.js";
import { MetricStore, canonicalDimensions, migrations, resetAll } from "./store.js";

// One subscription per running Nimbus (its event bus). stop() gets no runtime, so it drops them
// all; servers in one process stop together in practice (tests restart one at a time).
const subscriptions = new Map<ServiceRuntime["events"], () => void>();

function start(rt: ServiceRuntime): void {
  subscriptions.get(rt.events)?.();
  const off = rt.events.on("metric", (m) => {
    if (!Number.isFinite(m.value)) return;
    const dimensions = canonicalDimensions(Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })));
    new MetricStore(rt.db, m.accountId, m.region).put(
      [
        {
          namespace: m.namespace,
          metricName: m.name,
          dimensions,
          ts: m.timestamp,
          unit: m.unit ?? "None",
          resolution: 60,
          kind: 0,
          count: 1,
          sum: m.value,
          min: m.value,
          max: m.value,
        },
      ],
      rt.clock.now(),
    );
  });
  subscriptions.set(rt.events, off);
}

export const cloudwatch = defineService({
  name: "cloudwatch",
  handlers: {
    PutMetricData: putMetricData,
    ListMetrics: listMetrics,
    GetMetricStatistics: getMetricStatistics,
    GetMetricData: getMetricData,
  },
  migrations,
  start,
  stop() {
    for (const off of subscriptions.values()) off();
    subscriptions.clear();
  },
  reset(rt) {
    resetAll(rt.db);
  },
});
