// S3 -> EventBridge: a bucket with EventBridgeConfiguration sends every event to the default bus
// of its account and region in EventBridge's S3 format; a rule routes them to SQS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});

async function setup(pattern: (bucket: string) => unknown) {
  const account = freshAccount();
  const cfg = sdkConfig(n.endpoint, { accountId: account });
  const s3 = new S3Client(cfg);
  const sqs = new SQSClient(cfg);
  const eb = new EventBridgeClient(cfg);
  const bucket = `bridge-${account}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "s3-events" }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "s3", EventPattern: JSON.stringify(pattern(bucket)) }));
  const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": RuleArn } } }] };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  await eb.send(new PutTargetsCommand({ Rule: "s3", Targets: [{ Id: "q", Arn: queueArn }] }));
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { EventBridgeConfiguration: {} } }));
  return { account, s3, sqs, bucket, url: QueueUrl! };
}

async function receive(sqs: SQSClient, url: string, count: number) {
  const got: Array<Record<string, any>> = [];
  for (let i = 0; i < 20 && got.length < count; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
    got.push(...(r.Messages ?? []).map((m) => JSON.parse(m.Body!)));
  }
  return got;
}

describe("S3 -> EventBridge", () => {
  it("sends Object Created and Object Deleted events in EventBridge's S3 format", async () => {
    const { account, s3, sqs, bucket, url } = await setup((b) => ({ source: ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"], detail: { bucket: { name: [b] } } }));
    const cfg = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(cfg.EventBridgeConfiguration).toEqual({});
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "photos/a b.txt", Body: "hello" }));
    const [created] = await receive(sqs, url, 1);
    expect(created).toMatchObject({
      version: "0",
      "detail-type": "Object Created",
      source: "aws.s3",
      account,
      region: "us-east-1",
      resources: [`arn:aws:s3:::${bucket}`],
      detail: {
        version: "0",
        bucket: { name: bucket },
        object: { key: "photos/a b.txt", size: 5, etag: "5d41402abc4b2a76b9719d911017c592", "version-id": put.VersionId },
        requester: account,
        "source-ip-address": "127.0.0.1",
        reason: "PutObject",
      },
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.detail["request-id"]).toMatch(/^[0-9A-F]{16}$/);
    expect(created.detail.object.sequencer).toMatch(/^[0-9A-F]{16,}$/);
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "photos/a b.txt" }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "photos/a b.txt", VersionId: put.VersionId }));
    const deleted = await receive(sqs, url, 2);
    expect(deleted.map((e) => [e["detail-type"], e.detail.reason, e.detail["deletion-type"], e.detail.object["version-id"]])).toEqual([
      ["Object Deleted", "DeleteObject", "Delete Marker Created", del.VersionId],
      ["Object Deleted", "DeleteObject", "Permanently Deleted", put.VersionId],
    ]);
  }, 60_000);

  it("sends every event type without selection; the rule's pattern picks (Object Tags Added)", async () => {
    const { sqs, s3, bucket, url } = await setup(() => ({ source: ["aws.s3"], "detail-type": ["Object Tags Added"] }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x" }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "k", Tagging: { TagSet: [{ Key: "a", Value: "1" }] } }));
    const got = await receive(sqs, url, 1);
    expect(got.map((e) => [e["detail-type"], e.detail.object.key, e.detail.bucket.name])).toEqual([["Object Tags Added", "k", bucket]]);
    // The Object Created event reached the bus too, but this rule does not match it.
    const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(more.Messages ?? []).toEqual([]);
  }, 60_000);

  it("sends lifecycle expirations as Object Deleted with reason Lifecycle Expiration, as s3.amazonaws.com", async () => {
    const { sqs, s3, bucket, url } = await setup(() => ({ source: ["aws.s3"], "detail-type": ["Object Deleted", "Object Storage Class Changed"] }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "logs/old.txt", Body: "bye" }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: [{ ID: "expire", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 1 } }] },
      }),
    );
    await advanceClock(n, "P2D");
    const [e] = await receive(sqs, url, 1);
    expect(e["detail-type"]).toBe("Object Deleted");
    expect(e.detail).toMatchObject({ object: { key: "logs/old.txt", size: 3 }, requester: "s3.amazonaws.com", reason: "Lifecycle Expiration", "deletion-type": "Permanently Deleted" });
    expect(e.detail["source-ip-address"]).toBeUndefined();
  }, 60_000);

  it("stops when the configuration no longer has EventBridgeConfiguration", async () => {
    const { sqs, s3, bucket, url } = await setup(() => ({ source: ["aws.s3"] }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: {} }));
    expect((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).EventBridgeConfiguration).toBeUndefined();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x" }));
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(r.Messages ?? []).toEqual([]);
  }, 60_000);
});
