// S3 event notifications: configuration (validation as S3 does it, s3:TestEvent on save) and
// delivery of the real event JSON to SQS, through the SDK and boto3.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  UploadPartCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  type NotificationConfiguration,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { PYTHON, useClients } from "../../clients/support.js";
import { err } from "./access-helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});
const clients = useClients(() => n.endpoint);

/** The queue policy AWS's guide shows: S3 may send, from this bucket of this account. */
function s3MaySend(queueArn: string, bucket: string, account: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "SQS:SendMessage",
        Resource: queueArn,
        Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:*:*:${bucket}` }, StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  };
}

async function setup(opts: { policy?: boolean } = {}) {
  const account = freshAccount();
  const s3 = new S3Client(sdkConfig(n.endpoint, { accountId: account }));
  const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: account }));
  const bucket = `notify-${account}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "events" }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const queueArn = Attributes!.QueueArn!;
  if (opts.policy !== false) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(s3MaySend(queueArn, bucket, account)) } }));
  }
  return { account, s3, sqs, bucket, queueUrl: QueueUrl!, queueArn };
}

/** Receives messages until `count` arrived (deliveries are asynchronous) or 5 s passed. */
async function receive(sqs: SQSClient, queueUrl: string, count: number, waitMs = 5000): Promise<any[]> {
  const out: any[] = [];
  const deadline = Date.now() + waitMs;
  while (out.length < count && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages ?? []) out.push(JSON.parse(m.Body!));
  }
  return out;
}

describe("S3 event notifications to SQS", () => {
  it("sends s3:TestEvent on configuration, then the real ObjectCreated:Put event", async () => {
    const { s3, sqs, bucket, queueUrl, queueArn, account } = await setup();
    const config: NotificationConfiguration = {
      QueueConfigurations: [{ Id: "created-txt", QueueArn: queueArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "in/" }, { Name: "suffix", Value: ".txt" }] } } }],
    };
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: config }));
    const [test] = await receive(sqs, queueUrl, 1);
    expect(test).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: bucket });
    expect(Number.isNaN(Date.parse(test.Time))).toBe(false);

    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(got.QueueConfigurations).toEqual([
      { Id: "created-txt", QueueArn: queueArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "Prefix", Value: "in/" }, { Name: "Suffix", Value: ".txt" }] } } },
    ]);

    // Filtered out by prefix, then by suffix; the third matches.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "out/a.txt", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "in/a.csv", Body: "x" }));
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "in/hello world.txt", Body: "hello" }));
    const [msg] = await receive(sqs, queueUrl, 1);
    expect(msg.Records).toHaveLength(1);
    const r = msg.Records[0];
    expect(r).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventName: "ObjectCreated:Put",
      userIdentity: { principalId: account },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "created-txt",
        bucket: { name: bucket, ownerIdentity: { principalId: account }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: "in/hello+world.txt", size: 5, eTag: put.ETag!.replace(/"/g, "") },
      },
    });
    expect(r.s3.object.sequencer).toMatch(/^[0-9A-F]{16,}$/);
    expect(r.s3.object.versionId).toBeUndefined();
    expect(Math.abs(Date.parse(r.eventTime) - Date.now())).toBeLessThan(60_000);
    // Nothing else was delivered for the filtered keys.
    expect(await receive(sqs, queueUrl, 1, 1500)).toEqual([]);
  });

  it("delivers Copy, tagging and delete events with version ids in a versioned bucket", async () => {
    const { s3, sqs, bucket, queueUrl, queueArn } = await setup();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { QueueConfigurations: [{ Id: "all", QueueArn: queueArn, Events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*"] }] },
      }),
    );
    await receive(sqs, queueUrl, 1); // the test event
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "abc" }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "k2", CopySource: `${bucket}/k` }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "k", Tagging: { TagSet: [{ Key: "a", Value: "b" }] } }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k" }));
    const msgs = await receive(sqs, queueUrl, 4);
    const records = msgs.map((m) => m.Records[0]);
    expect(records.map((r) => [r.eventName, r.s3.object.key])).toEqual([
      ["ObjectCreated:Put", "k"],
      ["ObjectCreated:Copy", "k2"],
      ["ObjectTagging:Put", "k"],
      ["ObjectRemoved:DeleteMarkerCreated", "k"],
    ]);
    expect(records[0].s3.object.versionId).toBe(put.VersionId);
    expect(records[1].s3.object.versionId).toBe(copy.VersionId);
    expect(records[3].s3.object.versionId).toBe(del.VersionId);
    expect(records[3].s3.object.size).toBeUndefined();

    // Multipart completion and a quiet batch delete (which lists nothing, but still notifies).
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "big" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "big", UploadId, PartNumber: 1, Body: "0123456789" }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "big", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: "k2" }, { Key: "big", VersionId: done.VersionId }] } }));
    expect(batch.Deleted).toBeUndefined();
    const more = (await receive(sqs, queueUrl, 3)).map((m) => m.Records[0]);
    expect(more.map((r) => [r.eventName, r.s3.object.key])).toEqual([
      ["ObjectCreated:CompleteMultipartUpload", "big"],
      ["ObjectRemoved:DeleteMarkerCreated", "k2"],
      ["ObjectRemoved:Delete", "big"],
    ]);
    expect(more[0].s3.object).toMatchObject({ size: 10, eTag: done.ETag!.replace(/"/g, ""), versionId: done.VersionId });
    expect(more[2].s3.object.versionId).toBe(done.VersionId);

    // A browser POST upload is ObjectCreated:Post.
    const post = await createPresignedPost(s3, { Bucket: bucket, Key: "posted.txt", Expires: 300 });
    const form = new FormData();
    for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
    form.append("file", new Blob(["from a form"]), "posted.txt");
    expect((await fetch(post.url, { method: "POST", body: form })).status).toBe(204);
    const [posted] = (await receive(sqs, queueUrl, 1)).map((m) => m.Records[0]);
    expect(posted).toMatchObject({ eventName: "ObjectCreated:Post", s3: { object: { key: "posted.txt", size: 11 } } });
  });

  it("validates configurations as S3 does and changes nothing on error", async () => {
    const { s3, bucket, queueArn } = await setup();
    const put = (c: NotificationConfiguration) => s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: c }));
    expect(await err(put({ QueueConfigurations: [{ QueueArn: "arn:aws:sqs:us-east-1:nope", Events: ["s3:ObjectCreated:*"] }] }))).toMatchObject({
      name: "InvalidArgument",
      message: "The ARN is not well formed",
      status: 400,
    });
    expect(await err(put({ QueueConfigurations: [{ QueueArn: queueArn, Events: ["s3:ObjectMade:*" as never] }] }))).toMatchObject({
      name: "InvalidArgument",
      message: "The event is not supported for notifications",
    });
    // Same event type, prefixes where one starts the other: overlap.
    expect(
      await err(
        put({
          QueueConfigurations: [
            { QueueArn: queueArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "images/" }] } } },
            { QueueArn: queueArn, Events: ["s3:ObjectCreated:Put"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "images/jpg/" }] } } },
          ],
        }),
      ),
    ).toMatchObject({ name: "InvalidArgument", message: "Configurations overlap. Configurations on the same bucket cannot share a common event type." });
    // Disjoint suffixes do not overlap.
    await put({
      QueueConfigurations: [
        { Id: "jpg", QueueArn: queueArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".jpg" }] } } },
        { Id: "png", QueueArn: queueArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".png" }] } } },
      ],
    });
    // A queue that does not exist cannot be validated; the stored configuration is unchanged.
    const missing = queueArn.replace(/events$/, "missing");
    const e = await err(put({ QueueConfigurations: [{ QueueArn: missing, Events: ["s3:ObjectCreated:*"] }] }));
    expect(e).toMatchObject({ name: "InvalidArgument", message: "Unable to validate the following destination configurations" });
    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(got.QueueConfigurations?.map((c) => c.Id)).toEqual(["jpg", "png"]);
    // A queue whose policy does not let S3 send (no policy at all here) cannot be validated either.
    const { sqs, account } = { sqs: new SQSClient(sdkConfig(n.endpoint, { accountId: queueArn.split(":")[4] })), account: queueArn.split(":")[4] };
    await sqs.send(new CreateQueueCommand({ QueueName: "closed" }));
    const closed = `arn:aws:sqs:us-east-1:${account}:closed`;
    const denied = await s3
      .send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: closed, Events: ["s3:ObjectCreated:*"] }] } }))
      .then(() => undefined, (x: any) => x);
    expect(denied?.name).toBe("InvalidArgument");
    expect(denied?.message).toBe("Unable to validate the following destination configurations");
    // SkipDestinationValidation stores it anyway; an empty configuration removes everything.
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, SkipDestinationValidation: true, NotificationConfiguration: { QueueConfigurations: [{ Id: "m", QueueArn: missing, Events: ["s3:ObjectCreated:*"] }] } }));
    expect((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).QueueConfigurations?.map((c) => c.QueueArn)).toEqual([missing]);
    await put({});
    const empty = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(empty.QueueConfigurations).toBeUndefined();
    // EventBridge is stored and reported.
    await put({ EventBridgeConfiguration: {} });
    expect((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).EventBridgeConfiguration).toEqual({});
  });

  it("keeps undelivered notifications in the outbox across a restart and delivers them when the queue appears", async () => {
    const own = await startNimbus();
    let again: TestNimbus | undefined;
    try {
      const account = freshAccount();
      const s3 = new S3Client(sdkConfig(own.endpoint, { accountId: account }));
      const bucket = `restart-${account}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const queueArn = `arn:aws:sqs:us-east-1:${account}:later`;
      // The queue does not exist yet: the delivery fails and stays in the outbox for a retry.
      await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, SkipDestinationValidation: true, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queueArn, Events: ["s3:ObjectCreated:Put"] }] } }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "kept", Body: "1" }));
      await own.stop({ keepData: true });
      again = await startNimbus({ dataDir: own.dataDir });
      const sqs = new SQSClient(sdkConfig(again.endpoint, { accountId: account }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "later" }));
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(s3MaySend(queueArn, bucket, account)) } }));
      const msgs = await receive(sqs, QueueUrl!, 1);
      expect(msgs.map((m) => [m.Records[0].eventName, m.Records[0].s3.object.key])).toEqual([["ObjectCreated:Put", "kept"]]);
    } finally {
      await again?.stop();
    }
  });
});

describe("S3 event notifications to SNS", () => {
  it("publishes the test event and ObjectCreated events to a topic whose policy allows S3", async () => {
    const { account, s3, sqs, bucket, queueUrl, queueArn } = await setup({ policy: false });
    const sns = new SNSClient(sdkConfig(n.endpoint, { accountId: account }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "s3-events" }));
    // The queue takes the topic's deliveries (raw: the body is the S3 event itself).
    const queuePolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": TopicArn } } }] };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(queuePolicy) } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "true" } }));
    const config = { TopicConfigurations: [{ Id: "to-topic", TopicArn, Events: ["s3:ObjectCreated:*" as const] }] };
    // The topic's default policy lets only its own account publish: S3 cannot, so the configuration is refused.
    const refused = await err(s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: config })));
    expect(refused).toMatchObject({ name: "InvalidArgument", message: "Unable to validate the following destination configurations" });
    const topicPolicy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "SNS:Publish", Resource: TopicArn, Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:::${bucket}` }, StringEquals: { "aws:SourceAccount": account } } }],
    };
    await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "Policy", AttributeValue: JSON.stringify(topicPolicy) }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: config }));
    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(got.TopicConfigurations).toEqual([{ Id: "to-topic", TopicArn, Events: ["s3:ObjectCreated:*"] }]);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "via-sns.txt", Body: "sns!" }));
    const msgs = await receive(sqs, queueUrl, 2);
    expect(msgs[0]).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: bucket });
    expect(msgs[1].Records[0]).toMatchObject({ eventName: "ObjectCreated:Put", s3: { configurationId: "to-topic", bucket: { name: bucket }, object: { key: "via-sns.txt", size: 4, eTag: put.ETag!.replace(/"/g, "") } } });
  });
});

describe.skipIf(!PYTHON)("notifications through boto3", () => {
  it("boto3 configures a queue notification and reads it back", async () => {
    const { account, sqs, bucket, queueUrl, queueArn } = await setup();
    const script = `
import boto3, json, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
s3.put_bucket_notification_configuration(Bucket=sys.argv[2], NotificationConfiguration={"QueueConfigurations": [{"Id": "py", "QueueArn": sys.argv[3], "Events": ["s3:ObjectCreated:Put"]}]})
s3.put_object(Bucket=sys.argv[2], Key="from-python.txt", Body=b"hi")
print(json.dumps(s3.get_bucket_notification_configuration(Bucket=sys.argv[2])["QueueConfigurations"]))
`;
    const r = await clients.python(account, script, n.endpoint, bucket, queueArn);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([{ Id: "py", QueueArn: queueArn, Events: ["s3:ObjectCreated:Put"] }]);
    const msgs = await receive(sqs, queueUrl, 2);
    expect(msgs[0].Event).toBe("s3:TestEvent");
    expect(msgs[1].Records[0]).toMatchObject({ eventName: "ObjectCreated:Put", s3: { configurationId: "py", object: { key: "from-python.txt", size: 2 } } });
  });
});
