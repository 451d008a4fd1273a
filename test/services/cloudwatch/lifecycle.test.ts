// CloudWatch state across the server's life: durability over a restart, metrics other services
// emit on the event bus, RecentlyActive with an advanced clock, and state reset.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetMetricStatisticsCommand, ListMetricsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { freshAccount, type TestNimbus } from "../../support/nimbus.js";
import { PROTOCOLS, cloudwatchClient, minuteAgo, startCloudWatchNimbus } from "./support.js";

const json = PROTOCOLS[0];

describe("CloudWatch state", () => {
  let t: TestNimbus;
  beforeAll(async () => {
    t = await startCloudWatchNimbus();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("stores the metrics other services emit on the event bus (AWS/ namespaces)", async () => {
    const account = freshAccount();
    const { client } = cloudwatchClient(t.endpoint, json, { accountId: account });
    const at = minuteAgo(t, 3) + 5_000;
    for (const value of [3, 4]) {
      t.nimbus.events.emit("metric", { accountId: account, region: "us-east-1", namespace: "AWS/SQS", name: "NumberOfMessagesSent", dimensions: { QueueName: "orders" }, value, unit: "Count", timestamp: at });
    }
    t.nimbus.events.emit("metric", { accountId: account, region: "eu-west-1", namespace: "AWS/SQS", name: "NumberOfMessagesSent", dimensions: { QueueName: "orders" }, value: 100, unit: "Count", timestamp: at });
    await new Promise((r) => setTimeout(r, 20));
    expect((await client.send(new ListMetricsCommand({ Namespace: "AWS/SQS" }))).Metrics).toEqual([
      { Namespace: "AWS/SQS", MetricName: "NumberOfMessagesSent", Dimensions: [{ Name: "QueueName", Value: "orders" }] },
    ]);
    const out = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/SQS",
        MetricName: "NumberOfMessagesSent",
        Dimensions: [{ Name: "QueueName", Value: "orders" }],
        StartTime: new Date(at - 60_000),
        EndTime: new Date(at + 60_000),
        Period: 300,
        Statistics: ["Sum", "SampleCount"],
      }),
    );
    expect(out.Datapoints?.map((d) => [d.Sum, d.SampleCount, d.Unit])).toEqual([[7, 2, "Count"]]);
  });

  it("lists only recently active metrics with RecentlyActive=PT3H", async () => {
    const account = freshAccount();
    await cloudwatchClient(t.endpoint, json, { accountId: account }).client.send(new PutMetricDataCommand({ Namespace: "Act", MetricData: [{ MetricName: "Old", Value: 1 }] }));
    t.nimbus.clock.advance(4 * 3_600_000);
    // Clients sign with wall time; the chassis checks signature age against wall time, so an
    // advanced Nimbus clock needs nothing from the client.
    const client = cloudwatchClient(t.endpoint, json, { accountId: account }).client;
    const cw = () => client;
    await cw().send(new PutMetricDataCommand({ Namespace: "Act", MetricData: [{ MetricName: "New", Value: 1 }] }));
    expect((await cw().send(new ListMetricsCommand({ Namespace: "Act", RecentlyActive: "PT3H" }))).Metrics?.map((m) => m.MetricName)).toEqual(["New"]);
    expect((await cw().send(new ListMetricsCommand({ Namespace: "Act" }))).Metrics?.map((m) => m.MetricName)).toEqual(["New", "Old"]);
  });

  it("forgets everything on state reset", async () => {
    const account = freshAccount();
    const client = cloudwatchClient(t.endpoint, json, { accountId: account }).client;
    const cw = () => client;
    await cw().send(new PutMetricDataCommand({ Namespace: "Gone", MetricData: [{ MetricName: "x", Value: 1 }] }));
    expect((await cw().send(new ListMetricsCommand({}))).Metrics).toHaveLength(1);
    const res = await fetch(`${t.endpoint}/_nimbus/state/reset`, { method: "POST", body: JSON.stringify({ service: "cloudwatch" }), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    expect((await cw().send(new ListMetricsCommand({}))).Metrics).toEqual([]);
  });
});

describe("CloudWatch durability", () => {
  it("keeps acknowledged datapoints across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nimbus-cw-"));
    try {
      const account = freshAccount();
      let t = await startCloudWatchNimbus({ dataDir });
      const at = minuteAgo(t, 2) + 1_000;
      await cloudwatchClient(t.endpoint, json, { accountId: account }).client.send(
        new PutMetricDataCommand({ Namespace: "Durable", MetricData: [{ MetricName: "Kept", Values: [1, 2, 3], Counts: [1, 1, 2], Unit: "Bytes", Timestamp: new Date(at) }] }),
      );
      await t.stop({ keepData: true });
      t = await startCloudWatchNimbus({ dataDir });
      try {
        const { client } = cloudwatchClient(t.endpoint, json, { accountId: account });
        expect((await client.send(new ListMetricsCommand({}))).Metrics).toEqual([{ Namespace: "Durable", MetricName: "Kept", Dimensions: [] }]);
        const out = await client.send(new GetMetricStatisticsCommand({ Namespace: "Durable", MetricName: "Kept", StartTime: new Date(at - 1_000), EndTime: new Date(at + 60_000), Period: 60, Statistics: ["Sum", "SampleCount", "Maximum"] }));
        expect(out.Datapoints?.map((d) => [d.Sum, d.SampleCount, d.Maximum, d.Unit])).toEqual([[9, 4, 3, "Bytes"]]);
      } finally {
        await t.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
