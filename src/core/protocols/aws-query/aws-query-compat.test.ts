// SQS and CloudWatch over awsQuery, as the aws CLI 2.9 and old boto3 speak them. The pinned SDK
// v3 clients speak JSON/CBOR for these services, but accept their protocol class as config:
// with `protocol: AwsQueryProtocol` the real clients send query and parse query XML, which
// makes them a faithful stand-in for the old clients. Plus exact-XML checks of what AWS sends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsQueryProtocol } from "@aws-sdk/core/protocols";
import {
  GetQueueAttributesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type SQSClientConfig,
} from "@aws-sdk/client-sqs";
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand, type CloudWatchClientConfig } from "@aws-sdk/client-cloudwatch";
import { createHash } from "node:crypto";
import { AwsError } from "../../errors.js";
import { loadModel, queryAction, startTestServer, type TestServer } from "../shared/xml-test-server.js";
import { awsQuery } from "./index.js";

// The SQS client checks body MD5s, which also proves bodies (CR LF included) round-trip intact.
const md5 = (s: string) => createHash("md5").update(s).digest("hex");

const base = (endpoint: string) => ({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });

describe("SQS over awsQuery (SDK v3 client forced to query)", () => {
  const model = loadModel("sqs");
  let server: TestServer;
  let client: SQSClient;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: awsQuery,
      model,
      route: queryAction,
      handle(op, input) {
        if (input.QueueUrl === "http://q/missing") throw new AwsError("QueueDoesNotExist", "The specified queue does not exist.");
        switch (op) {
          case "SendMessage":
            return { MessageId: "m-1", MD5OfMessageBody: md5(input.MessageBody as string) };
          case "SendMessageBatch":
            return {
              Successful: [{ Id: "a", MessageId: "m-a", MD5OfMessageBody: md5("1") }],
              Failed: [{ Id: "b", SenderFault: true, Code: "InvalidParameterValue", Message: "bad" }],
            };
          case "ReceiveMessage":
            return {
              Messages: [
                {
                  MessageId: "m-1",
                  ReceiptHandle: "rh+/=",
                  Body: "<xml> & \"quotes\"\r\n",
                  MD5OfBody: md5("<xml> & \"quotes\"\r\n"),
                  Attributes: { SenderId: "AID", ApproximateReceiveCount: "1" },
                  MessageAttributes: { color: { DataType: "String", StringValue: "blue" }, raw: { DataType: "Binary", BinaryValue: Buffer.from("hi") } },
                },
                { MessageId: "m-2", Body: "second", MD5OfBody: md5("second") },
              ],
            };
          case "GetQueueAttributes":
            return { Attributes: { VisibilityTimeout: "30", QueueArn: "arn:aws:sqs:us-east-1:000000000000:q" } };
        }
        throw new Error(op);
      },
    });
    client = new SQSClient({ ...base(server.endpoint), protocol: AwsQueryProtocol } as SQSClientConfig);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("SendMessage: flattened MessageAttribute.N.Name/Value map in", async () => {
    const out = await client.send(
      new SendMessageCommand({
        QueueUrl: "http://q/1",
        MessageBody: "hello\r\n<world> & ünïcode",
        DelaySeconds: 5,
        MessageAttributes: { color: { DataType: "String", StringValue: "blue" }, n: { DataType: "Number", StringValue: "7" } },
      }),
    );
    expect(out.MessageId).toBe("m-1");
    const call = server.calls.at(-1)!;
    expect(call.req.body!.toString()).toContain("MessageAttribute.1.Name=");
    expect(call.input).toEqual({
      QueueUrl: "http://q/1",
      MessageBody: "hello\r\n<world> & ünïcode",
      DelaySeconds: 5,
      MessageAttributes: { color: { DataType: "String", StringValue: "blue" }, n: { DataType: "Number", StringValue: "7" } },
    });
  });

  it("SendMessageBatch: flattened lists of structures both ways", async () => {
    const out = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: "http://q/1",
        Entries: [
          { Id: "a", MessageBody: "1" },
          { Id: "b", MessageBody: "2", DelaySeconds: 1 },
        ],
      }),
    );
    expect(server.calls.at(-1)!.input.Entries).toEqual([
      { Id: "a", MessageBody: "1" },
      { Id: "b", MessageBody: "2", DelaySeconds: 1 },
    ]);
    expect(out.Successful).toEqual([{ Id: "a", MessageId: "m-a", MD5OfMessageBody: md5("1") }]);
    expect(out.Failed).toEqual([{ Id: "b", SenderFault: true, Code: "InvalidParameterValue", Message: "bad" }]);
  });

  it("ReceiveMessage: flattened Message list with flattened maps out", async () => {
    const out = await client.send(
      new ReceiveMessageCommand({ QueueUrl: "http://q/1", MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["SenderId"] }),
    );
    expect(out.Messages?.length).toBe(2);
    const m = out.Messages![0];
    expect(m.ReceiptHandle).toBe("rh+/=");
    expect(m.Body).toBe("<xml> & \"quotes\"\r\n");
    expect(m.Attributes).toEqual({ SenderId: "AID", ApproximateReceiveCount: "1" });
    expect(m.MessageAttributes?.color).toEqual({ DataType: "String", StringValue: "blue" });
    expect(Buffer.from(m.MessageAttributes!.raw.BinaryValue!).toString()).toBe("hi");
    expect(out.Messages![1].Body).toBe("second");
    expect(server.calls.at(-1)!.input).toMatchObject({ MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["SenderId"] });
  });

  it("GetQueueAttributes: flattened Attribute map out", async () => {
    const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: "http://q/1", AttributeNames: ["All"] }));
    expect(out.Attributes).toEqual({ VisibilityTimeout: "30", QueueArn: "arn:aws:sqs:us-east-1:000000000000:q" });
  });

  it("QueueDoesNotExist goes out as AWS.SimpleQueueService.NonExistentQueue and comes back typed", async () => {
    const err = await client.send(new SendMessageCommand({ QueueUrl: "http://q/missing", MessageBody: "x" })).catch((e) => e);
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect(err.message).toBe("The specified queue does not exist.");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toMatch(/^req-/);
  });
});

describe("CloudWatch over awsQuery (SDK v3 client forced to query)", () => {
  const model = loadModel("cloudwatch");
  let server: TestServer;
  let client: CloudWatchClient;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: awsQuery,
      model,
      route: queryAction,
      handle(op) {
        if (op === "PutMetricData") return undefined;
        if (op === "GetMetricStatistics")
          return {
            Label: "CPU",
            Datapoints: [
              { Timestamp: new Date("2024-02-03T04:05:00Z"), Average: 1.5, Maximum: 3, Unit: "Percent", ExtendedStatistics: { p99: 2.75 } },
              { Timestamp: new Date("2024-02-03T04:06:00Z"), Average: 0, SampleCount: 4 },
            ],
          };
        throw new Error(op);
      },
    });
    client = new CloudWatchClient({ ...base(server.endpoint), protocol: AwsQueryProtocol } as CloudWatchClientConfig);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("PutMetricData: nested wrapped lists, doubles and timestamps in; an operation without output", async () => {
    const out = await client.send(
      new PutMetricDataCommand({
        Namespace: "App",
        MetricData: [
          { MetricName: "Latency", Value: 12.25, Unit: "Milliseconds", Timestamp: new Date("2024-02-03T04:05:06Z"), Dimensions: [{ Name: "Host", Value: "h1" }] },
          { MetricName: "Count", Values: [1, 2], Counts: [3, 4] },
        ],
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^req-/);
    const input = server.calls.at(-1)!.input as { MetricData: Array<Record<string, unknown>> };
    expect(input.MetricData[0]).toEqual({
      MetricName: "Latency",
      Value: 12.25,
      Unit: "Milliseconds",
      Timestamp: new Date("2024-02-03T04:05:06Z"),
      Dimensions: [{ Name: "Host", Value: "h1" }],
    });
    expect(input.MetricData[1]).toEqual({ MetricName: "Count", Values: [1, 2], Counts: [3, 4] });
  });

  it("GetMetricStatistics: timestamps and a number-valued map out", async () => {
    const out = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/EC2",
        MetricName: "CPUUtilization",
        StartTime: new Date("2024-02-03T00:00:00Z"),
        EndTime: new Date("2024-02-04T00:00:00Z"),
        Period: 60,
        Statistics: ["Average", "Maximum"],
      }),
    );
    expect(out.Label).toBe("CPU");
    expect(out.Datapoints![0]).toEqual({ Timestamp: new Date("2024-02-03T04:05:00Z"), Average: 1.5, Maximum: 3, Unit: "Percent", ExtendedStatistics: { p99: 2.75 } });
    expect(out.Datapoints![1].SampleCount).toBe(4);
    expect(server.calls.at(-1)!.input).toMatchObject({ StartTime: new Date("2024-02-03T00:00:00Z"), Period: 60, Statistics: ["Average", "Maximum"] });
  });
});

describe("awsQuery wire format", () => {
  const sqs = loadModel("sqs");
  const meta = { requestId: "11111111-2222-3333-4444-555555555555" };

  it("writes the response envelope AWS writes", () => {
    const op = { name: "SendMessage", model: sqs.operations.SendMessage };
    const out = awsQuery.serializeResponse({ MessageId: "m", MD5OfMessageBody: "d" }, sqs, op, meta);
    expect(out.status).toBe(200);
    expect(out.headers).toMatchObject({ "x-amzn-RequestId": meta.requestId, "Content-Type": "text/xml" });
    expect(out.body).toBe(
      '<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><SendMessageResult><MD5OfMessageBody>d</MD5OfMessageBody>' +
        "<MessageId>m</MessageId></SendMessageResult><ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId>" +
        "</ResponseMetadata></SendMessageResponse>",
    );
  });

  it("writes no Result element for an operation without output", () => {
    const op = { name: "DeleteQueue", model: sqs.operations.DeleteQueue };
    const out = awsQuery.serializeResponse(undefined, sqs, op, meta);
    expect(out.body).toBe(
      '<DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ResponseMetadata></DeleteQueueResponse>',
    );
  });

  it("writes the error envelope with the awsQueryError code and status, and typed extra fields", () => {
    const out = awsQuery.serializeError(new AwsError("QueueDoesNotExist", "The specified queue does not exist.", undefined, { fields: { Detail: "a&b" } }), sqs, undefined, meta);
    expect(out.status).toBe(400);
    expect(out.body).toBe(
      '<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>' +
        "<Message>The specified queue does not exist.</Message><Detail>a&amp;b</Detail></Error><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ErrorResponse>",
    );
  });

  it("accepts the wire code from a handler too, and takes the status from the model", () => {
    const iam = loadModel("iam");
    const out = awsQuery.serializeError(new AwsError("NoSuchEntityException", "Role r not found"), iam, undefined, meta);
    expect(out.status).toBe(404);
    expect(String(out.body)).toContain("<Code>NoSuchEntity</Code>");
    const byWire = awsQuery.serializeError(new AwsError("NoSuchEntity", "Role r not found"), iam, undefined, meta);
    expect(byWire.status).toBe(404);
  });

  it("server-fault shapes answer 500/Receiver; unknown services still get an envelope", () => {
    const iam = loadModel("iam");
    const out = awsQuery.serializeError(new AwsError("ServiceFailureException", "down"), iam, undefined, meta);
    expect(out.status).toBe(500);
    expect(String(out.body)).toContain("<Type>Receiver</Type><Code>ServiceFailure</Code>");
    const bare = awsQuery.serializeError(new AwsError("InvalidAction", "no such action"), undefined, undefined, meta);
    expect(bare.status).toBe(400);
    expect(bare.body).toBe(
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>no such action</Message></Error><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ErrorResponse>",
    );
  });
});
