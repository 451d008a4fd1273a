// A queue receiving a bucket's S3 event notifications, for tests of events S3 emits on its own
// (restores, Intelligent-Tiering, lifecycle, replication): the queue policy AWS's guide shows,
// the notification configuration, and a receive loop that skips the s3:TestEvent and deletes
// what it received.
import { PutBucketNotificationConfigurationCommand, type Event, type S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { sdkConfig, type TestNimbus } from "../../support/nimbus.js";

export interface EventQueue {
  /** Event records received, in order, until `count` arrived or `waitMs` passed. */
  receive(count: number, waitMs?: number): Promise<any[]>;
}

export async function eventQueue(n: TestNimbus, s3: S3Client, account: string, bucket: string, events: Event[]): Promise<EventQueue> {
  const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: account }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `ev-${bucket}`.slice(0, 80) }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const queueArn = Attributes!.QueueArn!;
  const policy = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "SQS:SendMessage", Resource: queueArn, Condition: { StringEquals: { "aws:SourceAccount": account } } }],
  };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ Id: "q", QueueArn: queueArn, Events: events }] } }));
  return {
    async receive(count, waitMs = 5000) {
      const out: any[] = [];
      const deadline = Date.now() + waitMs;
      while (out.length < count && Date.now() < deadline) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of r.Messages ?? []) {
          // Deleted at once: a clock advance would make it visible again.
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
          const body = JSON.parse(m.Body!);
          if (body.Event === "s3:TestEvent") continue;
          out.push(...body.Records);
        }
      }
      return out;
    },
  };
}
