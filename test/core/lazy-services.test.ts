// Services load on first use (docs/architecture.md, "Services load lazily"): a fresh Nimbus
// loads none; a request, an event a service wakes on, or state at start loads one, and the
// answers are the same as if every service had been loaded from the start.
import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBStreamsClient, ListStreamsCommand } from "@aws-sdk/client-dynamodb-streams";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus } from "../support/nimbus.js";

describe("lazy services", () => {
  it("loads nothing at a fresh start, then only what is asked; state brings a service back at the next start", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nimbus-lazy-"));
    const account = freshAccount();
    try {
      const a = await startNimbus({ dataDir });
      expect([...a.nimbus.services.keys()]).toEqual([]);
      const sqs = new SQSClient(sdkConfig(a.endpoint, { accountId: account }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "lazy" }));
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
      expect(sent.MD5OfMessageBody).toBe("5d41402abc4b2a76b9719d911017c592");
      expect([...a.nimbus.services.keys()]).toEqual(["sqs"]);
      // The health endpoint still lists every registered service as running.
      const health = (await (await fetch(`${a.endpoint}/_nimbus/health`)).json()) as { services: Record<string, string> };
      expect(health.services.sqs).toBe("running");
      expect(health.services.kms).toBe("running");
      await a.stop();

      const b = await startNimbus({ dataDir });
      // SQS has tables and a queue: it is set up before the first request; KMS has nothing.
      expect(b.nimbus.services.has("sqs")).toBe(true);
      expect(b.nimbus.services.has("kms")).toBe(false);
      const listed = await new SQSClient(sdkConfig(b.endpoint, { accountId: account })).send(new ListQueuesCommand({}));
      expect(listed.QueueUrls).toEqual([`${b.endpoint}/${account}/lazy`]);
      await b.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("wakes CloudWatch with the first metric event, before anyone called CloudWatch", async () => {
    const t = await startNimbus();
    const account = freshAccount();
    try {
      expect(t.nimbus.services.has("cloudwatch")).toBe(false);
      const at = t.nimbus.clock.now() - 60_000;
      t.nimbus.events.emit("metric", { accountId: account, region: "us-east-1", namespace: "AWS/SQS", name: "NumberOfMessagesSent", dimensions: { QueueName: "q" }, value: 7, unit: "Count", timestamp: at });
      t.nimbus.events.emit("metric", { accountId: account, region: "us-east-1", namespace: "AWS/SQS", name: "NumberOfMessagesSent", dimensions: { QueueName: "q" }, value: 5, unit: "Count", timestamp: at });
      const cw = new CloudWatchClient(sdkConfig(t.endpoint, { accountId: account }));
      const stats = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/SQS",
          MetricName: "NumberOfMessagesSent",
          Dimensions: [{ Name: "QueueName", Value: "q" }],
          StartTime: new Date(at - 600_000),
          EndTime: new Date(at + 600_000),
          Period: 3600,
          Statistics: ["Sum", "SampleCount"],
        }),
      );
      expect(stats.Datapoints).toHaveLength(1);
      expect(stats.Datapoints![0].Sum).toBe(12);
      expect(stats.Datapoints![0].SampleCount).toBe(2);
    } finally {
      await t.stop();
    }
  });

  it("sets up DynamoDB's tables for a first call to DynamoDB Streams", async () => {
    const t = await startNimbus();
    try {
      const streams = new DynamoDBStreamsClient(sdkConfig(t.endpoint, { accountId: freshAccount() }));
      const out = await streams.send(new ListStreamsCommand({}));
      expect(out.Streams).toEqual([]);
      expect(t.nimbus.services.has("dynamodb")).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
