import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AwsError } from "../../errors.js";
import type { ProtocolId, ServiceModel } from "../../model/types.js";
import { validateInput, validationWordingFor } from "./validate.js";

const model = (name: string): ServiceModel => JSON.parse(readFileSync(new URL(`../../../../models/${name}.json`, import.meta.url), "utf8")) as ServiceModel;
const dynamodb = model("dynamodb");
const sqs = model("sqs");
const iam = model("iam");
const ec2 = model("ec2");
const cloudwatch = model("cloudwatch");
const lambda = model("lambda");

function fail(service: ServiceModel, op: string, input: Record<string, unknown>, protocol: ProtocolId): AwsError {
  try {
    validateInput(service, op, input, protocol);
  } catch (e) {
    return e as AwsError;
  }
  throw new Error("expected a validation error");
}

describe("validateInput", () => {
  it("picks the wording from protocol and model", () => {
    expect(validationWordingFor(dynamodb, "awsJson1_0")).toBe("coral");
    expect(validationWordingFor(lambda, "restJson1")).toBe("coral");
    expect(validationWordingFor(iam, "awsQuery")).toBe("coral-query");
    expect(validationWordingFor(ec2, "ec2Query")).toBe("ec2");
    expect(validationWordingFor(sqs, "awsJson1_0")).toBe("must-contain");
    expect(validationWordingFor(sqs, "awsQuery")).toBe("must-contain");
    expect(validationWordingFor(cloudwatch, "smithyRpcv2cbor")).toBe("parameter-required");
  });

  it("passes valid input and strips explicit nulls", () => {
    const input: Record<string, unknown> = { TableName: "t", Item: { a: { S: "x" } }, ConditionExpression: null };
    validateInput(dynamodb, "PutItem", input, "awsJson1_0");
    expect(input).toEqual({ TableName: "t", Item: { a: { S: "x" } } });
  });

  it("coral: counts every missing member, lowerCamel paths, 1-based list members", () => {
    const e = fail(dynamodb, "TransactWriteItems", { TransactItems: [{ Put: { Item: {} } }, { Delete: { TableName: "t" } }] }, "awsJson1_0");
    expect(e.code).toBe("ValidationException");
    expect(e.message).toBe(
      "2 validation errors detected: Value null at 'transactItems.1.member.put.tableName' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'transactItems.2.member.delete.key' failed to satisfy constraint: Member must not be null",
    );
    const one = fail(dynamodb, "DescribeTable", { TableName: null }, "awsJson1_0");
    expect(one.message).toBe("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
    expect(one.status).toBe(400);
  });

  it("map entries in paths: the key in lowerCamel paths, the 1-based entry in query paths", () => {
    const input = { RequestItems: { t1: [{ PutRequest: { Item: { a: { S: "x" } } } }], t2: [{ DeleteRequest: { Key: {} } }, { PutRequest: {} }] } };
    const e = fail(dynamodb, "BatchWriteItem", input, "awsJson1_0");
    expect(e.message).toBe("1 validation error detected: Value null at 'requestItems.t2.2.member.putRequest.item' failed to satisfy constraint: Member must not be null");
    // The query-style path (EC2's wording, asked of the same model) numbers the map's entries.
    const q = fail(dynamodb, "BatchWriteItem", input, "ec2Query");
    expect(q.message).toBe("The request must contain the parameter RequestItems.entry.2.value.member.2.PutRequest.Item");
  });

  it("coral-query: IAM/STS answer ValidationError", () => {
    const e = fail(iam, "CreateUser", {}, "awsQuery");
    expect(e.code).toBe("ValidationError");
    expect(e.message).toBe("1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
    const t = fail(iam, "TagUser", { UserName: "u", Tags: [{ Key: "k" }] }, "awsQuery");
    expect(t.message).toBe("1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null");
  });

  it("ec2 and SQS: MissingParameter, first missing member only", () => {
    const e = fail(ec2, "DeleteVpc", {}, "ec2Query");
    expect(e.code).toBe("MissingParameter");
    expect(e.message).toBe("The request must contain the parameter VpcId");
    const s = fail(sqs, "SendMessage", {}, "awsQuery");
    expect(s.code).toBe("MissingParameter");
    expect(s.message).toBe("The request must contain the parameter QueueUrl.");
  });

  it("CloudWatch: its modeled MissingParameter error, one line per member", () => {
    const e = fail(cloudwatch, "PutMetricData", { MetricData: [{ MetricName: "m" }, { Dimensions: [{ Name: "d" }] }] }, "awsQuery");
    expect(e.code).toBe("MissingRequiredParameterException");
    expect(e.message).toBe(
      ["The parameter Namespace is required.", "The parameter MetricData.member.2.MetricName is required.", "The parameter MetricData.member.2.Dimensions.member.1.Value is required."].join("\n"),
    );
  });

  it("type errors: Coral SerializationException for JSON protocols", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ TableName: 5, Item: {} }, "NUMBER_VALUE cannot be converted to String"],
      [{ TableName: "t", Item: [] }, "Start of list found where not expected"],
      [{ TableName: "t", Item: { a: "x" } }, "Unexpected value type in payload"],
      [{ TableName: "t", Item: { a: { S: { x: 1 } } } }, "Start of structure or map found where not expected."],
      [{ TableName: "t", Item: {}, ReturnValues: true }, "BOOLEAN_VALUE cannot be converted to String"],
    ];
    for (const [input, message] of cases) {
      const e = fail(dynamodb, "PutItem", input, "awsJson1_0");
      expect(e.code).toBe("SerializationException");
      expect(e.message).toBe(message);
    }
    const n = fail(sqs, "SendMessage", { QueueUrl: "q", MessageBody: "b", DelaySeconds: "5" }, "awsJson1_0");
    expect(n.message).toBe("STRING_VALUE can not be converted to a Number");
    const b = fail(sqs, "SendMessage", { QueueUrl: "q", MessageBody: "b", MessageAttributes: { a: { DataType: "Binary", BinaryValue: "AQID" } } }, "awsJson1_0");
    expect(b.message).toBe("Unexpected value type in payload");
  });

  it("type errors: InvalidParameterValue for query protocols", () => {
    const e = fail(iam, "ListUsers", { MaxItems: "ten" }, "awsQuery");
    expect(e.code).toBe("InvalidParameterValue");
    expect(e.message).toContain("MaxItems");
  });

  it("accepts Date, Buffer and streams where the model says so", async () => {
    const { Readable } = await import("node:stream");
    validateInput(cloudwatch, "GetMetricStatistics", { Namespace: "n", MetricName: "m", StartTime: new Date(), EndTime: new Date(), Period: 60 }, "smithyRpcv2cbor");
    validateInput(lambda, "Invoke", { FunctionName: "f", Payload: Buffer.from("x") }, "restJson1");
    validateInput(lambda, "Invoke", { FunctionName: "f", Payload: Readable.from([]) }, "restJson1");
    expect(fail(cloudwatch, "GetMetricStatistics", { Namespace: "n", MetricName: "m", StartTime: 5, EndTime: new Date(), Period: 60 }, "smithyRpcv2cbor").code).toBe("SerializationException");
  });

  it("is a no-op for operations without input", () => {
    expect(() => validateInput(sqs, "NoSuchOperation", {}, "awsJson1_0")).not.toThrow();
  });
});
