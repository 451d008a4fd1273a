// Deliveries an older Nimbus left queued in its own layouts (sns_deliveries, events_deliveries,
// S3's outbox documents) are delivered after an upgrade to the chassis outbox: SNS and
// EventBridge through their migration 2, S3 by adopting the documents at start. The old
// layouts are written with SQL into a stopped data directory, as the old code left them.
import Database from "better-sqlite3";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { EventBridgeClient, ListEventBusesCommand } from "@aws-sdk/client-eventbridge";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

async function queueFor(sqs: SQSClient, name: string, service: string) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sqs:SendMessage", Resource: arn }] };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  return { url: QueueUrl!, arn };
}

async function receiveOne(sqs: SQSClient, url: string): Promise<string | undefined> {
  for (let i = 0; i < 10; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    if (r.Messages?.length) return r.Messages[0].Body;
  }
  return undefined;
}

describe("outbox upgrade", () => {
  it("delivers what the old SNS, EventBridge and S3 outboxes held, and drops the old tables", async () => {
    const account = freshAccount();
    const a = await startNimbus();
    let b: TestNimbus | undefined;
    try {
      const cfg = sdkConfig(a.endpoint, { accountId: account });
      const sqs = new SQSClient(cfg);
      const sns = new SNSClient(cfg);
      const fromSns = await queueFor(sqs, "from-sns", "sns.amazonaws.com");
      const fromEvents = await queueFor(sqs, "from-events", "events.amazonaws.com");
      const fromS3 = await queueFor(sqs, "from-s3", "s3.amazonaws.com");
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "upgraded" }));
      const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: fromSns.arn, Attributes: { RawMessageDelivery: "true" }, ReturnSubscriptionArn: true }));
      // Loads EventBridge and S3, so their tables exist at their current versions.
      await new EventBridgeClient(cfg).send(new ListEventBusesCommand({}));
      await new S3Client(cfg).send(new CreateBucketCommand({ Bucket: `upgrade-${account}` }));
      await a.stop({ keepData: true });

      // The layouts of the previous Nimbus, each with one delivery due.
      const db = new Database(join(a.dataDir, "nimbus.db"));
      const now = Date.now();
      db.exec(`
        UPDATE nimbus_schema SET version = 1 WHERE service IN ('sns', 'eventbridge');
        CREATE TABLE sns_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, sub_arn TEXT NOT NULL, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
        CREATE INDEX sns_deliveries_due ON sns_deliveries (next_at, id);
        CREATE TABLE events_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, rule_arn TEXT NOT NULL, target TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL, last_error TEXT);
        CREATE INDEX events_deliveries_due ON events_deliveries (next_at, id);
      `);
      const snsPayload = { kind: "Notification", messageId: "5f6a2d0e-0000-4000-8000-000000000001", topicArn: TopicArn, message: "left by the old sns", timestamp: new Date(now).toISOString(), endpointBase: a.endpoint, protocol: "sqs", endpoint: fromSns.arn, raw: true };
      db.prepare("INSERT INTO sns_deliveries (sub_arn, payload, attempts, next_at, created_at) VALUES (?, ?, 2, ?, ?)").run(SubscriptionArn, JSON.stringify(snsPayload), now, now);
      const ruleArn = `arn:aws:events:us-east-1:${account}:rule/old-rule`;
      const target = { target: { Id: "q", Arn: fromEvents.arn }, ruleName: "old-rule", account, region: "us-east-1" };
      const event = { version: "0", id: "0e7d6b8c-0000-4000-8000-000000000002", "detail-type": "Old", source: "app.old", account, time: "2026-11-22T00:00:00Z", region: "us-east-1", resources: [], detail: { n: 1 } };
      db.prepare("INSERT INTO events_deliveries (rule_arn, target, event, payload, attempts, next_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)").run(ruleArn, JSON.stringify(target), JSON.stringify(event), "left by the old eventbridge", now, now);
      const s3Doc = { target: { type: "sqs", arn: fromS3.arn }, bucket: `upgrade-${account}`, bucketAccount: account, message: "left by the old s3 outbox", attempts: 1, notBefore: 0 };
      db.prepare("INSERT INTO nimbus_docs (service, scope, kind, id, doc) VALUES ('s3', 'notifications', 'outbox', ?, ?)").run(String(now * 1000).padStart(20, "0"), JSON.stringify(s3Doc));
      db.close();

      b = await startNimbus({ dataDir: a.dataDir });
      const sqsB = new SQSClient(sdkConfig(b.endpoint, { accountId: account }));
      expect(await receiveOne(sqsB, fromSns.url)).toBe("left by the old sns");
      expect(await receiveOne(sqsB, fromEvents.url)).toBe("left by the old eventbridge");
      expect(await receiveOne(sqsB, fromS3.url)).toBe("left by the old s3 outbox");

      const after = b.nimbus.db;
      const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('sns_deliveries', 'events_deliveries')").all();
      expect(tables).toEqual([]);
      expect(after.prepare("SELECT service, version FROM nimbus_schema WHERE service IN ('sns', 'eventbridge') ORDER BY service").all()).toEqual([
        { service: "eventbridge", version: 2 },
        { service: "sns", version: 2 },
      ]);
      expect(after.prepare("SELECT count(*) AS n FROM nimbus_docs WHERE service = 's3' AND scope = 'notifications' AND kind = 'outbox'").get()).toEqual({ n: 0 });
      // Delivered rows leave the outbox.
      for (let i = 0; i < 50 && (after.prepare("SELECT count(*) AS n FROM nimbus_outbox").get() as { n: number }).n > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(after.prepare("SELECT outbox, item FROM nimbus_outbox").all()).toEqual([]);
    } finally {
      await (b ?? a).stop();
      rmSync(a.dataDir, { recursive: true, force: true });
    }
  });
});
