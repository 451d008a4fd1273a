// awsJson1_0 / awsJson1_1 against the real SDK v3 clients: a node:http server on port 0 parses
// what the client sends with parseRequest and answers with serializeResponse/serializeError.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SQSClient, SendMessageCommand, ReceiveMessageCommand, GetQueueUrlCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient, CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand, type StandardUnit } from "@aws-sdk/client-cloudwatch";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { HttpResponse, Protocol } from "../types.js";
import { validateInput } from "../shared/validate.js";
import { awsJson1_0, awsJson1_1 } from "./aws-json.js";

const model = (name: string): ServiceModel => JSON.parse(readFileSync(new URL(`../../../../models/${name}.json`, import.meta.url), "utf8")) as ServiceModel;
const MODELS: Record<string, ServiceModel> = {};
for (const m of ["sqs", "dynamodb", "secrets-manager", "cloudwatch"].map(model)) MODELS[m.serviceTarget!] = m;

type Answer = { output?: Record<string, unknown>; error?: AwsError };
let answer: (op: string, input: Record<string, unknown>) => Answer = () => ({ output: {} });
let seen: { op: string; input: Record<string, unknown>; headers: Record<string, string> } | undefined;
let server: Server;
let endpoint: string;
const REQUEST_ID = "11111111-2222-3333-4444-555555555555";

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : String(v);
      const [target, opName] = headers["x-amz-target"]!.split(".") as [string, string];
      const service = MODELS[target]!;
      const protocol: Protocol = headers["content-type"]!.endsWith("1.1") ? awsJson1_1 : awsJson1_0;
      const op = { name: opName, model: service.operations[opName]! };
      const meta = { requestId: REQUEST_ID };
      let out: HttpResponse;
      try {
        const input = protocol.parseRequest({ method: req.method!, rawPath: req.url!, query: [], headers, body: Buffer.concat(chunks) }, service, op) as Record<string, unknown>;
        validateInput(service, opName, input, protocol.id);
        seen = { op: opName, input, headers };
        const a = answer(opName, input);
        out = a.error ? protocol.serializeError(a.error, service, op, meta) : protocol.serializeResponse(a.output, service, op, meta);
      } catch (e) {
        out = protocol.serializeError(e as AwsError, service, op, meta);
      }
      res.writeHead(out.status, out.headers);
      res.end(out.body as string);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = undefined;
});

const config = () => ({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
const QUEUE_URL = "http://127.0.0.1/000000000000/q1";

describe("awsJson1_0 with SQS (awsQueryCompatible)", () => {
  it("parses SendMessage with binary message attributes and serializes the result", async () => {
    answer = () => ({ output: { MessageId: "m-1", MD5OfMessageBody: "5d41402abc4b2a76b9719d911017c592", MD5OfMessageAttributes: "abc", SequenceNumber: "18" } });
    const sqs = new SQSClient(config());
    const res = await sqs.send(
      new SendMessageCommand({
        QueueUrl: QUEUE_URL,
        MessageBody: "hello",
        DelaySeconds: 5,
        MessageAttributes: {
          bin: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3, 255]) },
          str: { DataType: "String", StringValue: "v" },
          list: { DataType: "Binary", BinaryListValues: [new Uint8Array([9]), new Uint8Array([8, 7])] },
        },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc" } },
      }),
    );
    expect(seen!.op).toBe("SendMessage");
    const input = seen!.input as any;
    expect(input.QueueUrl).toBe(QUEUE_URL);
    expect(input.MessageBody).toBe("hello");
    expect(input.DelaySeconds).toBe(5);
    expect(Buffer.isBuffer(input.MessageAttributes.bin.BinaryValue)).toBe(true);
    expect([...input.MessageAttributes.bin.BinaryValue]).toEqual([1, 2, 3, 255]);
    expect(input.MessageAttributes.bin.DataType).toBe("Binary");
    expect(input.MessageAttributes.str).toEqual({ DataType: "String", StringValue: "v" });
    expect(input.MessageAttributes.list.BinaryListValues.map((b: Buffer) => [...b])).toEqual([[9], [8, 7]]);
    expect(input.MessageSystemAttributes.AWSTraceHeader.StringValue).toBe("Root=1-abc");
    expect(res.MessageId).toBe("m-1");
    expect(res.MD5OfMessageBody).toBe("5d41402abc4b2a76b9719d911017c592");
    expect(res.MD5OfMessageAttributes).toBe("abc");
    expect(res.SequenceNumber).toBe("18");
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.$metadata.requestId).toBe(REQUEST_ID);
  });

  it("serializes ReceiveMessage with Attributes and binary MessageAttributes", async () => {
    answer = () => ({
      output: {
        Messages: [
          {
            MessageId: "m-1",
            ReceiptHandle: "rh-1",
            Body: "hello",
            MD5OfBody: "5d41402abc4b2a76b9719d911017c592",
            Attributes: { SentTimestamp: "1700000000000", ApproximateReceiveCount: "1" },
            MessageAttributes: { bin: { DataType: "Binary", BinaryValue: Buffer.from([4, 5, 6]) }, s: { DataType: "String", StringValue: "x" } },
          },
          { MessageId: "m-2", ReceiptHandle: "rh-2", Body: "second", MD5OfBody: createHash("md5").update("second").digest("hex") },
        ],
      },
    });
    const sqs = new SQSClient(config());
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 2, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["SentTimestamp"], WaitTimeSeconds: 0 }));
    expect((seen!.input as any).MaxNumberOfMessages).toBe(2);
    expect((seen!.input as any).MessageAttributeNames).toEqual(["All"]);
    expect((seen!.input as any).MessageSystemAttributeNames).toEqual(["SentTimestamp"]);
    expect(res.Messages).toHaveLength(2);
    const m = res.Messages![0]!;
    expect(m.MessageId).toBe("m-1");
    expect(m.ReceiptHandle).toBe("rh-1");
    expect(m.Body).toBe("hello");
    expect(m.Attributes).toEqual({ SentTimestamp: "1700000000000", ApproximateReceiveCount: "1" });
    expect([...(m.MessageAttributes!.bin!.BinaryValue as Uint8Array)]).toEqual([4, 5, 6]);
    expect(m.MessageAttributes!.s!.StringValue).toBe("x");
    expect(res.Messages![1]!.Body).toBe("second");
  });

  it("answers an operation without output with {}", async () => {
    answer = () => ({ output: undefined });
    const res = await new SQSClient(config()).send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: "rh" }));
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.$metadata.requestId).toBe(REQUEST_ID);
  });

  it("surfaces QueueDoesNotExist with its query-compatible code", async () => {
    answer = () => ({ error: new AwsError("QueueDoesNotExist", "The specified queue does not exist.") });
    const err = (await new SQSClient(config()).send(new GetQueueUrlCommand({ QueueName: "nope" })).catch((e: unknown) => e)) as any;
    expect(seen!.input).toEqual({ QueueName: "nope" });
    expect(err.name).toBe("QueueDoesNotExist");
    expect(err.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(err.Type).toBe("Sender");
    expect(err.message).toBe("The specified queue does not exist.");
    expect(err.$fault).toBe("client");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toBe(REQUEST_ID);
    expect(err.$response.headers["x-amzn-query-error"]).toBe("AWS.SimpleQueueService.NonExistentQueue;Sender");
  });

  it("resolves an error thrown with the awsQuery code to the modeled shape", async () => {
    answer = () => ({ error: new AwsError("AWS.SimpleQueueService.NonExistentQueue", "gone") });
    const err = (await new SQSClient(config()).send(new GetQueueUrlCommand({ QueueName: "nope" })).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("QueueDoesNotExist");
    expect(err.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(err.message).toBe("gone");
  });

  it("passes unmodeled codes through x-amzn-query-error", async () => {
    answer = () => ({ error: new AwsError("InvalidParameterValue", "Value -1 for parameter DelaySeconds is invalid.") });
    const err = (await new SQSClient(config()).send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: "x", DelaySeconds: -1 })).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("InvalidParameterValue");
    expect(err.Code).toBe("InvalidParameterValue");
    expect(err.message).toBe("Value -1 for parameter DelaySeconds is invalid.");
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it("answers a missing required member with SQS's MissingParameter", async () => {
    answer = () => ({ output: {} });
    const err = (await new SQSClient(config()).send(new SendMessageCommand({ QueueUrl: QUEUE_URL } as any)).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("MissingParameter");
    expect(err.Code).toBe("MissingParameter");
    expect(err.message).toBe("The request must contain the parameter MessageBody.");
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});

describe("awsJson1_0 with DynamoDB", () => {
  it("round-trips nested AttributeValues with B, BS, NS, M, L", async () => {
    answer = (_op, input) => ({
      output: {
        Attributes: { pk: { S: "old" }, bin: { B: Buffer.from("old-bytes") }, nums: { NS: ["7"] } },
        ConsumedCapacity: { TableName: input.TableName, CapacityUnits: 1.5 },
      },
    });
    const ddb = new DynamoDBClient(config());
    const res = await ddb.send(
      new PutItemCommand({
        TableName: "t1",
        Item: {
          pk: { S: "k" },
          bin: { B: new Uint8Array([0, 1, 2]) },
          bins: { BS: [new Uint8Array([3]), new Uint8Array([4, 5])] },
          nums: { NS: ["1", "2.5"] },
          nested: { M: { list: { L: [{ N: "1" }, { BOOL: true }, { NULL: true }, { B: new Uint8Array([6]) }] } } },
        },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValues: "ALL_OLD",
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    const item = (seen!.input as any).Item;
    expect(seen!.op).toBe("PutItem");
    expect((seen!.input as any).TableName).toBe("t1");
    expect(item.pk).toEqual({ S: "k" });
    expect(Buffer.isBuffer(item.bin.B) && [...item.bin.B]).toEqual([0, 1, 2]);
    expect(item.bins.BS.map((b: Buffer) => [...b])).toEqual([[3], [4, 5]]);
    expect(item.nums.NS).toEqual(["1", "2.5"]);
    expect(item.nested.M.list.L[0]).toEqual({ N: "1" });
    expect(item.nested.M.list.L[1]).toEqual({ BOOL: true });
    expect(item.nested.M.list.L[2]).toEqual({ NULL: true });
    expect([...item.nested.M.list.L[3].B]).toEqual([6]);
    expect((seen!.input as any).ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(res.Attributes!.pk).toEqual({ S: "old" });
    expect(Buffer.from(res.Attributes!.bin!.B!).toString()).toBe("old-bytes");
    expect(res.Attributes!.nums!.NS).toEqual(["7"]);
    expect(res.ConsumedCapacity).toEqual({ TableName: "t1", CapacityUnits: 1.5 });
    expect(res.$metadata.requestId).toBe(REQUEST_ID);
  });

  it("serializes ConditionalCheckFailedException with its Item", async () => {
    answer = () => ({ error: new AwsError("ConditionalCheckFailedException", "The conditional request failed", undefined, { fields: { Item: { pk: { S: "k" }, b: { B: Buffer.from([1]) } } } }) });
    const err = (await new DynamoDBClient(config()).send(new PutItemCommand({ TableName: "t1", Item: { pk: { S: "k" } }, ReturnValuesOnConditionCheckFailure: "ALL_OLD" })).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("ConditionalCheckFailedException");
    expect(err.message).toBe("The conditional request failed");
    expect(err.Item.pk).toEqual({ S: "k" });
    expect([...err.Item.b.B]).toEqual([1]);
    expect(err.$fault).toBe("client");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toBe(REQUEST_ID);
    expect(err.$response.headers["x-amzn-query-error"]).toBeUndefined();
  });

  it("answers missing members with Coral's ValidationException wording", async () => {
    const err = (await new DynamoDBClient(config()).send(new PutItemCommand({} as any)).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe(
      "2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'item' failed to satisfy constraint: Member must not be null",
    );
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});

describe("awsJson1_1 with Secrets Manager", () => {
  it("parses a blob and the SDK's idempotency token, serializes timestamps", async () => {
    answer = () => ({ output: { ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:s1-AbCdEf", Name: "s1", VersionId: "v1" } });
    const sm = new SecretsManagerClient(config());
    const created = await sm.send(new CreateSecretCommand({ Name: "s1", SecretBinary: new Uint8Array([1, 2]), Tags: [{ Key: "k", Value: "v" }] }));
    const input = seen!.input as any;
    expect(input.Name).toBe("s1");
    expect([...input.SecretBinary]).toEqual([1, 2]);
    expect(input.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(input.Tags).toEqual([{ Key: "k", Value: "v" }]);
    expect(created.ARN).toContain("secret:s1");
    expect(created.VersionId).toBe("v1");

    const when = new Date(1700000000123);
    answer = () => ({ output: { Name: "s1", CreatedDate: when, LastChangedDate: new Date(1700000100000), VersionIdsToStages: { v1: ["AWSCURRENT"] } } });
    const d = await sm.send(new DescribeSecretCommand({ SecretId: "s1" }));
    expect(d.CreatedDate).toBeInstanceOf(Date);
    expect(d.CreatedDate!.getTime()).toBe(1700000000123);
    expect(d.LastChangedDate!.getTime()).toBe(1700000100000);
    expect(d.VersionIdsToStages).toEqual({ v1: ["AWSCURRENT"] });
  });

  it("serializes errors with a bare __type and the shape's Message key", async () => {
    answer = () => ({ error: new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.") });
    const err = (await new SecretsManagerClient(config()).send(new GetSecretValueCommand({ SecretId: "nope" })).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("ResourceNotFoundException");
    expect(err.message).toBe("Secrets Manager can't find the specified secret.");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toBe(REQUEST_ID);
    expect(err.$response.headers["x-amzn-errortype"]).toBe("ResourceNotFoundException");
  });
});

describe("awsJson1_0 with CloudWatch (timestamps in JSON)", () => {
  it("parses epoch-second timestamps and serializes Datapoints", async () => {
    answer = () => ({ output: { Label: "CPU", Datapoints: [{ Timestamp: new Date(1700000060000), Average: 12.5, SampleCount: 3, Unit: "Percent" }] } });
    const cw = new CloudWatchClient(config());
    const res = await cw.send(new GetMetricStatisticsCommand({ Namespace: "AWS/EC2", MetricName: "CPU", StartTime: new Date(1700000000000), EndTime: new Date(1700000600500), Period: 60, Statistics: ["Average"] }));
    const input = seen!.input as any;
    expect(input.StartTime).toBeInstanceOf(Date);
    expect(input.StartTime.getTime()).toBe(1700000000000);
    expect(input.EndTime.getTime()).toBe(1700000600500);
    expect(input.Statistics).toEqual(["Average"]);
    expect(res.Label).toBe("CPU");
    expect(res.Datapoints![0]!.Timestamp!.getTime()).toBe(1700000060000);
    expect(res.Datapoints![0]!.Average).toBe(12.5);
  });

  it("carries NaN and Infinity as the Smithy JSON strings, both ways", async () => {
    answer = () => ({ output: { Datapoints: [{ Timestamp: new Date(1700000060000), Average: NaN, Maximum: Infinity, Minimum: -Infinity, Sum: 1 }] } });
    const cw = new CloudWatchClient(config());
    await cw.send(new PutMetricDataCommand({ Namespace: "n", MetricData: [{ MetricName: "NaN", Value: NaN, Values: [1, Infinity, -Infinity], Unit: "Infinity" as StandardUnit }] }));
    const datum = (seen!.input as any).MetricData[0];
    expect(datum.MetricName).toBe("NaN");
    expect(datum.Unit).toBe("Infinity");
    expect(datum.Value).toBeNaN();
    expect(datum.Values).toEqual([1, Infinity, -Infinity]);
    const res = await cw.send(new GetMetricStatisticsCommand({ Namespace: "n", MetricName: "m", StartTime: new Date(0), EndTime: new Date(60000), Period: 60, Statistics: ["Average"] }));
    const dp = res.Datapoints![0]!;
    expect(dp.Average).toBeNaN();
    expect(dp.Maximum).toBe(Infinity);
    expect(dp.Minimum).toBe(-Infinity);
    expect(dp.Sum).toBe(1);
  });

  it("answers a missing member with CloudWatch's MissingParameter wording", async () => {
    const err = (await new CloudWatchClient(config()).send(new GetMetricStatisticsCommand({ MetricName: "CPU", Period: 60 } as any)).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("MissingRequiredParameterException");
    expect(err.Code).toBe("MissingParameter");
    expect(err.message).toBe("The parameter Namespace is required.\nThe parameter StartTime is required.\nThe parameter EndTime is required.");
  });
});

describe("awsJson request edge cases", () => {
  const sqs = model("sqs");
  const op = { name: "SendMessage", model: sqs.operations.SendMessage! };
  const req = (body: string) => ({ method: "POST", rawPath: "/", query: [], headers: {}, body: Buffer.from(body) });

  it("treats an empty body as {}", () => {
    expect(awsJson1_0.parseRequest(req(""), sqs, op)).toEqual({});
  });

  it("rejects invalid JSON with SerializationException", () => {
    expect(() => awsJson1_0.parseRequest(req("{not json"), sqs, op)).toThrowError(expect.objectContaining({ code: "SerializationException" }));
    expect(() => awsJson1_0.parseRequest(req("[1]"), sqs, op)).toThrowError(expect.objectContaining({ code: "SerializationException" }));
  });

  it("accepts ISO-8601 strings for timestamps", () => {
    const cw = model("cloudwatch");
    const input = awsJson1_0.parseRequest(
      req('{"Namespace":"n","MetricName":"m","StartTime":"2023-11-14T22:13:20Z","EndTime":1700000000.25,"Period":60}'),
      cw,
      { name: "GetMetricStatistics", model: cw.operations.GetMetricStatistics! },
    ) as any;
    expect(input.StartTime.getTime()).toBe(1700000000000);
    expect(input.EndTime.getTime()).toBe(1700000000250);
  });

  // The walk that turns base64 into bytes is skipped when the text holds none of the keys
  // it converts (B, BS for DynamoDB); these are the cases where it must still run.
  it("converts blobs wherever the text may hold their keys, and only there", () => {
    const ddb = model("dynamodb");
    const put = { name: "PutItem", model: ddb.operations.PutItem! };
    const parse = (body: string) => awsJson1_0.parseRequest(req(body), ddb, put) as any;
    const plain = parse('{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"},"m":{"M":{"x":{"SS":["B"]}}}}}');
    expect(plain.Item).toEqual({ pk: { S: "a" }, n: { N: "1" }, m: { M: { x: { SS: ["B"] } } } });
    const bin = parse('{"TableName":"t","Item":{"pk":{"S":"a"},"l":{"L":[{"M":{"b":{"B":"AAEC"}}},{"BS":["AQ==","Ag=="]}]}}}');
    expect(Buffer.isBuffer(bin.Item.l.L[0].M.b.B)).toBe(true);
    expect([...bin.Item.l.L[0].M.b.B]).toEqual([0, 1, 2]);
    expect(bin.Item.l.L[1].BS.map((b: Buffer) => [...b])).toEqual([[1], [2]]);
    // A key spelled with a \u escape is still a B.
    const escaped = parse('{"TableName":"t","Item":{"pk":{"\\u0042":"AAEC"}}}');
    expect([...escaped.Item.pk.B]).toEqual([0, 1, 2]);
    // Timestamps of another service, at the top level.
    const cw = model("cloudwatch");
    const stats = awsJson1_0.parseRequest(req('{"Namespace":"n","MetricName":"m","StartTime":1700000000,"EndTime":1700000060,"Period":60}'), cw, {
      name: "GetMetricStatistics",
      model: cw.operations.GetMetricStatistics!,
    }) as any;
    expect(stats.StartTime).toBeInstanceOf(Date);
    expect(stats.EndTime.getTime()).toBe(1700000060000);
  });

  it("validates AttributeValue unions member by member (type errors, nulls, several members)", () => {
    const ddb = model("dynamodb");
    const put = { name: "PutItem", model: ddb.operations.PutItem! };
    const check = (body: string) => {
      const input = awsJson1_0.parseRequest(req(body), ddb, put) as Record<string, unknown>;
      validateInput(ddb, "PutItem", input, "awsJson1_0");
      return input as any;
    };
    expect(() => check('{"TableName":"t","Item":{"pk":{"S":5}}}')).toThrowError(
      expect.objectContaining({ code: "SerializationException", message: "NUMBER_VALUE cannot be converted to String" }),
    );
    expect(() => check('{"TableName":"t","Item":{"pk":{"M":{"x":{"L":[{"N":true}]}}}}}')).toThrowError(
      expect.objectContaining({ code: "SerializationException", message: "BOOLEAN_VALUE cannot be converted to String" }),
    );
    // A null member is dropped (the handler then sees an empty AttributeValue).
    expect(check('{"TableName":"t","Item":{"pk":{"S":null}}}').Item.pk).toEqual({});
    // Two members: each is checked, the first type error in model order wins.
    expect(() => check('{"TableName":"t","Item":{"pk":{"N":"1","S":7}}}')).toThrowError(
      expect.objectContaining({ message: "NUMBER_VALUE cannot be converted to String" }),
    );
    expect(check('{"TableName":"t","Item":{"pk":{"S":"a","N":"1"}}}').Item.pk).toEqual({ S: "a", N: "1" });
  });

  it("uses a shape id __type for 1.0 and a bare one for 1.1", () => {
    const ddb = model("dynamodb");
    const e1 = awsJson1_0.serializeError(new AwsError("ResourceNotFoundException", "Requested resource not found"), ddb, undefined, { requestId: "r" });
    expect(JSON.parse(e1.body as string)).toEqual({ __type: "com.amazonaws.dynamodb#ResourceNotFoundException", message: "Requested resource not found" });
    expect(e1.headers["Content-Type"]).toBe("application/x-amz-json-1.0");
    const e2 = awsJson1_0.serializeError(new AwsError("ValidationException", "bad"), ddb, undefined, { requestId: "r" });
    expect(JSON.parse(e2.body as string).__type).toBe("com.amazon.coral.validate#ValidationException");
    const sm = model("secrets-manager");
    const e3 = awsJson1_1.serializeError(new AwsError("InternalServiceError", "boom"), sm, undefined, { requestId: "r" });
    expect(e3.status).toBe(500);
    expect(JSON.parse(e3.body as string)).toEqual({ __type: "InternalServiceError", Message: "boom" });
    expect(e3.headers["Content-Type"]).toBe("application/x-amz-json-1.1");
    const e4 = awsJson1_1.serializeError(new AwsError("InternalFailure", "x", 500), undefined, undefined, { requestId: "r" });
    expect(e4.status).toBe(500);
    expect(JSON.parse(e4.body as string)).toEqual({ __type: "InternalFailure", message: "x" });
  });
});
