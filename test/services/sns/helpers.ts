// Shared pieces of the SNS tests: clients per account, a queue subscribed to a topic with the
// queue policy SNS deliveries need, and waiting for deliveries (they are asynchronous).
import { SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { sdkConfig, type TestNimbus } from "../../support/nimbus.js";

export function clients(n: TestNimbus, account: string): { sns: SNSClient; sqs: SQSClient } {
  return { sns: new SNSClient(sdkConfig(n.endpoint, { accountId: account })), sqs: new SQSClient(sdkConfig(n.endpoint, { accountId: account })) };
}

/** A queue whose policy lets `topicArn` (or any topic of the account when omitted) send to it, as AWS requires. */
export async function queueFor(sqs: SQSClient, account: string, name: string, topicArn?: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const arn = `arn:aws:sqs:us-east-1:${account}:${name}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const condition = topicArn ? { ArnEquals: { "aws:SourceArn": topicArn } } : { StringEquals: { "aws:SourceAccount": account } };
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: { Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "sns", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: condition }] }) },
    }),
  );
  return { url: QueueUrl!, arn };
}

/** Receives until `count` messages arrived (long polls; deliveries are asynchronous). */
export async function receive(sqs: SQSClient, url: string, count: number, opts: { attributes?: boolean } = {}): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < 20 && got.length < count; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, ...(opts.attributes ? { MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] } : {}) }));
    got.push(...(r.Messages ?? []));
  }
  return got;
}

export async function fail(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}
