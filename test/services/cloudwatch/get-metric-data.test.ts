// GetMetricData through the real @aws-sdk/client-cloudwatch, once per wire protocol.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetMetricDataCommand, PutMetricDataCommand, type GetMetricDataCommandInput, type MetricDataQuery, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { freshAccount, type TestNimbus } from "../../support/nimbus.js";
import { PROTOCOLS, cloudwatchClient, errorOf, expectedPercentile, minuteAgo, protocolOf, startCloudWatchNimbus } from "./support.js";

let t: TestNimbus;
beforeAll(async () => {
  t = await startCloudWatchNimbus();
});
afterAll(async () => {
  await t?.stop();
});

const stat = (Id: string, MetricName: string, Stat: string, extra: Partial<MetricDataQuery> = {}, dims: Record<string, string> = { Host: "a" }): MetricDataQuery => ({
  Id,
  MetricStat: { Metric: { Namespace: "Svc", MetricName, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) }, Period: 60, Stat },
  ...extra,
});

describe.each(PROTOCOLS)("GetMetricData over $name", (protocol) => {
  // Per test: Requests = 10,20,30,40,50 (one per minute, minutes 0..4), Errors = 1,2,3 in minutes 0,2,4,
  // both with dimension Host=a; Latency = 1..20 in minute 0, in milliseconds.
  async function seed() {
    const rc = cloudwatchClient(t.endpoint, protocol, { accountId: freshAccount() });
    const base = minuteAgo(t, 30);
    const at = (minute: number, second = 10) => new Date(base + minute * 60_000 + second * 1_000);
    const Dimensions = [{ Name: "Host", Value: "a" }];
    await rc.client.send(
      new PutMetricDataCommand({
        Namespace: "Svc",
        MetricData: [
          ...[10, 20, 30, 40, 50].map((v, i) => ({ MetricName: "Requests", Value: v, Unit: "Count" as const, Dimensions, Timestamp: at(i) })),
          ...[1, 2, 3].map((v, i) => ({ MetricName: "Errors", Value: v, Unit: "Count" as const, Dimensions, Timestamp: at(i * 2) })),
          { MetricName: "Latency", Values: Array.from({ length: 20 }, (_, i) => i + 1), Unit: "Milliseconds" as const, Dimensions, Timestamp: at(0, 30) },
        ],
      }),
    );
    const window = { StartTime: new Date(base), EndTime: new Date(base + 5 * 60_000) };
    const ts = (minutes: number[]) => minutes.map((m) => new Date(base + m * 60_000));
    return { ...rc, base, window, ts };
  }

  it("answers MetricStat queries newest first, with labels and status", async () => {
    const { client, sent, window, ts } = await seed();
    const out = await client.send(new GetMetricDataCommand({ ...window, MetricDataQueries: [stat("req", "Requests", "Sum"), stat("err", "Errors", "Maximum", { Label: "Errors of ${PROP('Dim.Host')} (${PROP('Stat')}, max ${MAX})" }), stat("lat", "Latency", "p90")] }));
    expect(protocolOf(sent[sent.length - 1])).toBe(protocol.name);
    expect(out.Messages).toEqual([]);
    expect(out.NextToken).toBeUndefined();
    const lat90 = expectedPercentile(Array.from({ length: 20 }, (_, i) => i + 1), 90);
    expect(out.MetricDataResults).toEqual([
      { Id: "req", Label: "Requests", Timestamps: ts([4, 3, 2, 1, 0]), Values: [50, 40, 30, 20, 10], StatusCode: "Complete", Messages: [] },
      { Id: "err", Label: "Errors of a (Maximum, max 3)", Timestamps: ts([4, 2, 0]), Values: [3, 2, 1], StatusCode: "Complete", Messages: [] },
      { Id: "lat", Label: "Latency", Timestamps: ts([0]), Values: [lat90], StatusCode: "Complete", Messages: [] },
    ]);
  });

  it("orders ascending with ScanBy, filters by unit, and answers empty for unknown metrics", async () => {
    const { client, window, ts } = await seed();
    const out = await client.send(
      new GetMetricDataCommand({
        ...window,
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          stat("a", "Requests", "Average", { MetricStat: { ...stat("a", "Requests", "Average").MetricStat!, Period: 120 } }),
          stat("b", "Requests", "Sum", { MetricStat: { ...stat("b", "Requests", "Sum").MetricStat!, Unit: "Seconds" } }),
          stat("c", "Requests", "SampleCount", {}, { Host: "zzz" }),
        ],
      }),
    );
    expect(out.MetricDataResults?.map((r) => [r.Id, r.Timestamps, r.Values, r.StatusCode])).toEqual([
      ["a", ts([0, 2, 4]), [15, 35, 50], "Complete"],
      ["b", [], [], "Complete"],
      ["c", [], [], "Complete"],
    ]);
  });

  it("evaluates metric math over the queries and hides ReturnData false", async () => {
    const { client, window, ts } = await seed();
    const out = await client.send(
      new GetMetricDataCommand({
        ...window,
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          stat("req", "Requests", "Sum", { ReturnData: false }),
          stat("err", "Errors", "Sum", { ReturnData: false }),
          { Id: "rate", Expression: "100 * err / req", Label: "Error rate" },
          { Id: "total", Expression: "SUM(METRICS())" },
          { Id: "ok", Expression: "req - FILL(err, 0)" },
          { Id: "doubled", Expression: "rate * 2" },
        ],
      }),
    );
    const view = (r: MetricDataResult) => [r.Id, r.Label, r.Timestamps, r.Values];
    expect(out.MetricDataResults?.map(view)).toEqual([
      ["rate", "Error rate", ts([0, 2, 4]), [10, 200 / 30, 6]],
      ["total", "total", ts([0, 1, 2, 3, 4]), [11, 20, 32, 40, 53]],
      ["ok", "ok", ts([0, 1, 2, 3, 4]), [9, 20, 28, 40, 47]],
      ["doubled", "doubled", ts([0, 2, 4]), [20, (200 / 30) * 2, 12]],
    ]);
  });

  it("pages by MaxDatapoints with NextToken", async () => {
    const { client, window, ts } = await seed();
    const input: GetMetricDataCommandInput = { ...window, MaxDatapoints: 4, MetricDataQueries: [stat("req", "Requests", "Sum"), stat("err", "Errors", "Sum")] };
    const pages: Array<Array<[string, number[], string]>> = [];
    const all: Record<string, Date[]> = { req: [], err: [] };
    let token: string | undefined;
    do {
      const page = await client.send(new GetMetricDataCommand({ ...input, NextToken: token }));
      pages.push(page.MetricDataResults!.map((r) => [r.Id!, r.Values!, r.StatusCode!]));
      for (const r of page.MetricDataResults!) all[r.Id!].push(...r.Timestamps!);
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual([
      [
        ["req", [50, 40, 30, 20], "PartialData"],
        ["err", [], "PartialData"],
      ],
      [
        ["req", [10], "Complete"],
        ["err", [3, 2, 1], "Complete"],
      ],
    ]);
    expect(all).toEqual({ req: ts([4, 3, 2, 1, 0]), err: ts([4, 2, 0]) });
    expect(await errorOf(client.send(new GetMetricDataCommand({ ...input, NextToken: "bogus" })))).toMatchObject({ name: "InvalidNextToken", status: 400 });
  });

  it("rejects invalid queries with AWS's errors", async () => {
    const { client, window } = await seed();
    const gmd = (MetricDataQueries: MetricDataQuery[], over: Partial<GetMetricDataCommandInput> = {}) => errorOf(client.send(new GetMetricDataCommand({ ...window, MetricDataQueries, ...over })));
    expect(await gmd([stat("Bad", "Requests", "Sum"), stat("1x", "Requests", "Sum")])).toMatchObject({
      name: "ValidationException",
      status: 400,
      message:
        "The value Bad for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.\nThe value 1x for parameter MetricDataQueries.member.2.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.",
    });
    expect(await gmd([stat("m1", "Requests", "p101")])).toMatchObject({ name: "ValidationException", message: "The value for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic." });
    expect(await gmd([stat("m1", "Requests", "Sum"), { Id: "e1", Expression: "ANOMALY_DETECTION_BAND(m1, 2)" }])).toMatchObject({
      name: "ValidationException",
      message: "Error in expression e1: Unsupported function: ANOMALY_DETECTION_BAND",
    });
    expect(await gmd([{ Id: "e1", Expression: "m9 * 2" }])).toMatchObject({ name: "ValidationException", message: "Error in expression e1: Unrecognized metric or expression id: m9" });
    expect(await gmd([stat("m1", "Requests", "Sum")], { StartTime: window.EndTime, EndTime: window.StartTime })).toMatchObject({
      name: "ValidationException",
      message: "The parameter StartTime must be less than the parameter EndTime.",
    });
  });
});
