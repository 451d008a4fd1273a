// CloudWatch through old clients: the Debian aws CLI (2.9, query protocol) and Debian boto3
// (1.26, query protocol). Skipped when the binaries are absent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, type TestNimbus } from "../support/nimbus.js";
import { startCloudWatchNimbus } from "../services/cloudwatch/support.js";
import { AWS, PYTHON, ok, useClients } from "./support.js";

let t: TestNimbus;
beforeAll(async () => {
  t = await startCloudWatchNimbus();
});
afterAll(async () => {
  await t?.stop();
});

const clients = useClients(() => t.endpoint);
const aws = clients.aws;

const iso = (ms: number) => new Date(ms).toISOString();
const minute = (minutesAgo: number) => Math.floor(t.nimbus.clock.now() / 60_000) * 60_000 - minutesAgo * 60_000;

describe.skipIf(!AWS)("aws CLI (query protocol)", () => {
  it("put-metric-data then get-metric-statistics and list-metrics", async () => {
    const account = freshAccount();
    const base = minute(10);
    const put = await aws(account, "cloudwatch", "put-metric-data", "--namespace", "Cli/App", "--metric-data",
      JSON.stringify([
        { MetricName: "Latency", Dimensions: [{ Name: "Host", Value: "a" }], Value: 4, Unit: "Milliseconds", Timestamp: iso(base + 5_000) },
        { MetricName: "Latency", Dimensions: [{ Name: "Host", Value: "a" }], Values: [1, 10], Counts: [2, 1], Unit: "Milliseconds", Timestamp: iso(base + 10_000) },
        { MetricName: "Latency", Dimensions: [{ Name: "Host", Value: "a" }], StatisticValues: { SampleCount: 2, Sum: 30, Minimum: 10, Maximum: 20 }, Unit: "Milliseconds", Timestamp: iso(base + 70_000) },
      ]));
    expect(put.stderr).toBe("");
    expect(put.code).toBe(0);
    const simple = await aws(account, "cloudwatch", "put-metric-data", "--namespace", "Cli/App", "--metric-name", "Hits", "--value", "3", "--unit", "Count", "--timestamp", iso(base + 1_000));
    expect(simple.code).toBe(0);

    const stats = await aws(account, "cloudwatch", "get-metric-statistics", "--namespace", "Cli/App", "--metric-name", "Latency", "--dimensions", "Name=Host,Value=a",
      "--start-time", iso(base), "--end-time", iso(base + 120_000), "--period", "60", "--statistics", "Sum", "SampleCount", "Average", "Minimum", "Maximum");
    expect(stats.code).toBe(0);
    const out = JSON.parse(stats.stdout) as { Label: string; Datapoints: Array<Record<string, unknown>> };
    expect(out.Label).toBe("Latency");
    const dps = out.Datapoints.sort((a, b) => String(a.Timestamp).localeCompare(String(b.Timestamp)));
    expect(dps.map((d) => [new Date(String(d.Timestamp)).getTime() - base, d.Sum, d.SampleCount, d.Average, d.Minimum, d.Maximum, d.Unit])).toEqual([
      [0, 16, 4, 4, 1, 10, "Milliseconds"],
      [60_000, 30, 2, 15, 10, 20, "Milliseconds"],
    ]);

    const pct = await aws(account, "cloudwatch", "get-metric-statistics", "--namespace", "Cli/App", "--metric-name", "Latency", "--dimensions", "Name=Host,Value=a",
      "--start-time", iso(base), "--end-time", iso(base + 120_000), "--period", "60", "--extended-statistics", "p0", "p100");
    // p0/p100 are the minimum/maximum, known even for a statistic set (the second minute).
    const pdps = (JSON.parse(pct.stdout).Datapoints as Array<{ Timestamp: string; ExtendedStatistics: Record<string, number> }>).sort((a, b) => a.Timestamp.localeCompare(b.Timestamp));
    expect(pdps.map((d) => d.ExtendedStatistics)).toEqual([
      { p0: 1, p100: 10 },
      { p0: 10, p100: 20 },
    ]);

    const list = await aws(account, "cloudwatch", "list-metrics", "--namespace", "Cli/App");
    expect(JSON.parse(list.stdout).Metrics).toEqual([
      { Namespace: "Cli/App", MetricName: "Hits", Dimensions: [] },
      { Namespace: "Cli/App", MetricName: "Latency", Dimensions: [{ Name: "Host", Value: "a" }] },
    ]);
  });

  it("reports AWS's error code and message", async () => {
    const r = await aws(freshAccount(), "cloudwatch", "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "x", "--value", "1");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("An error occurred (InvalidParameterValue) when calling the PutMetricData operation: The value AWS/ for parameter Namespace is invalid.");
  });
});

describe.skipIf(!PYTHON)("boto3 (query protocol)", () => {
  it("put_metric_data, get_metric_statistics, get_metric_data, list_metrics", async () => {
    const account = freshAccount();
    const base = minute(10);
    const script = `
import boto3, json, datetime, sys
endpoint, base = sys.argv[1], int(sys.argv[2])
ts = lambda ms: datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
cw = boto3.client("cloudwatch", endpoint_url=endpoint)
out = {"protocol": cw.meta.service_model.protocol}
cw.put_metric_data(Namespace="Py/App", MetricData=[
  {"MetricName": "Jobs", "Value": v, "Unit": "Count", "Timestamp": ts(base + i * 60000 + 1000)} for i, v in enumerate([5, 7, 9])
] + [{"MetricName": "Size", "Values": [100, 200], "Counts": [3, 1], "Unit": "Bytes", "Timestamp": ts(base + 1000)}])
s = cw.get_metric_statistics(Namespace="Py/App", MetricName="Jobs", StartTime=ts(base), EndTime=ts(base + 180000), Period=180, Statistics=["Sum", "Average"])
out["stats"] = [[d["Sum"], d["Average"], d["Unit"]] for d in s["Datapoints"]]
d = cw.get_metric_data(StartTime=ts(base), EndTime=ts(base + 180000), ScanBy="TimestampAscending", MetricDataQueries=[
  {"Id": "jobs", "MetricStat": {"Metric": {"Namespace": "Py/App", "MetricName": "Jobs"}, "Period": 60, "Stat": "Sum"}},
  {"Id": "twice", "Expression": "jobs * 2", "Label": "Twice"},
  {"Id": "size", "MetricStat": {"Metric": {"Namespace": "Py/App", "MetricName": "Size"}, "Period": 60, "Stat": "Average"}},
])
out["data"] = [[r["Id"], r["Label"], r["Values"], r["StatusCode"], [int(t.timestamp() * 1000) - base for t in r["Timestamps"]]] for r in d["MetricDataResults"]]
out["metrics"] = sorted(m["MetricName"] for m in cw.list_metrics(Namespace="Py/App")["Metrics"])
try:
  cw.get_metric_statistics(Namespace="Py/App", MetricName="Jobs", StartTime=ts(base), EndTime=ts(base + 180000), Period=45, Statistics=["Sum"])
except cw.exceptions.InvalidParameterValueException as e:
  out["error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(out))
`;
    const out = ok(await clients.python(account, script, t.endpoint, String(base)));
    expect(out.protocol).toBe("query");
    expect(out.stats).toEqual([[21, 7, "Count"]]);
    expect(out.data).toEqual([
      ["jobs", "Jobs", [5, 7, 9], "Complete", [0, 60_000, 120_000]],
      ["twice", "Twice", [10, 14, 18], "Complete", [0, 60_000, 120_000]],
      ["size", "Size", [125], "Complete", [0]],
    ]);
    expect(out.metrics).toEqual(["Jobs", "Size"]);
    expect(out.error).toEqual(["InvalidParameterValue", "The parameter Period must be a multiple of 60.", 400]);
  });
});
