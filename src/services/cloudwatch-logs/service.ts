// Amazon CloudWatch Logs: log groups and streams, PutLogEvents / GetLogEvents /
// FilterLogEvents with filter patterns, retention enforced on the Nimbus clock, metric filters
// (datapoints to CloudWatch through the "metric" event), subscription filters to Lambda and a
// subset of Logs Insights (StartQuery / GetQueryResults).
// State in its own tables (store.ts); see GAPS.md for what is missing.
import { workerPerDatabase } from "../../core/clock/background-worker.js";
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { expireEvents, migrations, resetAll } from "./store.js";
import { AssociateKmsKey, CreateLogGroup, DeleteLogGroup, DeleteRetentionPolicy, DescribeLogGroups, DisassociateKmsKey, ListTagsForResource, ListTagsLogGroup, PutRetentionPolicy, TagLogGroup, TagResource, UntagLogGroup, UntagResource } from "./handlers/groups.js";
import { CreateLogStream, DeleteLogStream, DescribeLogStreams } from "./handlers/streams.js";
import { GetLogEvents, PutLogEvents } from "./handlers/events.js";
import { FilterLogEvents } from "./handlers/filter-events.js";
import { DescribeQueries, GetQueryResults, StartQuery, StopQuery } from "./handlers/insights.js";
import { DeleteMetricFilter, DeleteSubscriptionFilter, DescribeMetricFilters, DescribeSubscriptionFilters, PutMetricFilter, PutSubscriptionFilter, TestMetricFilter } from "./handlers/filters.js";

const SWEEP_MS = 3600_000;
// Retention: events older than their group's retention are deleted at start, inside every
// clock advance and hourly (reads already skip them in between).
const retention = workerPerDatabase<ServiceRuntime>({
  name: "cloudwatch-logs retention",
  maxSleepMs: SWEEP_MS,
  runOnAdvance: true,
  run: (rt) => {
    expireEvents(rt.db, rt.clock.now());
    return rt.clock.now() + SWEEP_MS;
  },
});

export const cloudwatchLogs = defineService({
  name: "cloudwatch-logs",
  handlers: {
    CreateLogGroup,
    DeleteLogGroup,
    DescribeLogGroups,
    PutRetentionPolicy,
    DeleteRetentionPolicy,
    AssociateKmsKey,
    DisassociateKmsKey,
    TagResource,
    UntagResource,
    ListTagsForResource,
    TagLogGroup,
    UntagLogGroup,
    ListTagsLogGroup,
    CreateLogStream,
    DeleteLogStream,
    DescribeLogStreams,
    PutLogEvents,
    GetLogEvents,
    FilterLogEvents,
    PutMetricFilter,
    DeleteMetricFilter,
    DescribeMetricFilters,
    TestMetricFilter,
    PutSubscriptionFilter,
    DeleteSubscriptionFilter,
    DescribeSubscriptionFilters,
    StartQuery,
    GetQueryResults,
    StopQuery,
    DescribeQueries,
  },
  migrations,
  start(rt: ServiceRuntime) {
    retention.start(rt);
  },
  stop(rt?: ServiceRuntime) {
    retention.stop(rt?.db);
  },
  reset(rt) {
    resetAll(rt.db);
  },
});
