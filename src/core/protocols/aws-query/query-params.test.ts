// Parameter reading details the SDK clients do not exercise: URL parameters (GET), flattened
// vs wrapped leniency, index order, type errors, keys shared by two members.
import { describe, expect, it } from "vitest";
import { AwsError } from "../../errors.js";
import type { ProtocolRequest } from "../types.js";
import { loadModel } from "../shared/xml-test-server.js";
import { awsQuery } from "./index.js";

const sqs = loadModel("sqs");
const sns = loadModel("sns");
const cloudwatch = loadModel("cloudwatch");
const req = (body: string, query: Array<[string, string]> = []): ProtocolRequest => ({ method: "POST", rawPath: "/", query, headers: {}, body: Buffer.from(body) });
const op = (model: typeof sqs, name: string) => ({ name, model: model.operations[name] });
// awsQuery parses synchronously.
const parse = (r: ProtocolRequest, model: typeof sqs, o: ReturnType<typeof op>) => awsQuery.parseRequest(r, model, o) as Record<string, unknown>;

describe("awsQuery parameters", () => {
  it("reads parameters from the URL (GET), the body winning on conflicts", () => {
    const input = parse(
      { method: "GET", rawPath: "/", headers: {}, query: [["Action", "GetQueueUrl"], ["QueueName", "from-url"], ["QueueOwnerAWSAccountId", "111"]] },
      sqs,
      op(sqs, "GetQueueUrl"),
    );
    expect(input).toEqual({ QueueName: "from-url", QueueOwnerAWSAccountId: "111" });
    const both = parse(req("QueueName=from-body", [["QueueName", "from-url"]]), sqs, op(sqs, "GetQueueUrl"));
    expect(both).toEqual({ QueueName: "from-body" });
  });

  it("orders list items by index, not by arrival", () => {
    const input = parse(req("Action=ReceiveMessage&QueueUrl=q&MessageAttributeName.10=j&MessageAttributeName.2=b&MessageAttributeName.1=a"), sqs, op(sqs, "ReceiveMessage"));
    expect(input.MessageAttributeNames).toEqual(["a", "b", "j"]);
  });

  it("gives a key shared by two members to both (SQS AttributeName)", () => {
    const input = parse(req("Action=ReceiveMessage&QueueUrl=q&AttributeName.1=All"), sqs, op(sqs, "ReceiveMessage"));
    expect(input).toEqual({ QueueUrl: "q", AttributeNames: ["All"], MessageSystemAttributeNames: ["All"] });
  });

  it("understands a wrapped list sent flattened and a flattened one sent wrapped", () => {
    const wrappedAsFlat = parse(req("Action=CreateTopic&Name=t&Tags.1.Key=k&Tags.1.Value=v"), sns, op(sns, "CreateTopic"));
    expect(wrappedAsFlat.Tags).toEqual([{ Key: "k", Value: "v" }]);
    const flatAsWrapped = parse(req("Action=ReceiveMessage&QueueUrl=q&MessageAttributeName.member.1=x"), sqs, op(sqs, "ReceiveMessage"));
    expect(flatAsWrapped.MessageAttributeNames).toEqual(["x"]);
  });

  it("reads wrapped maps, with or without the entry segment", () => {
    const input = parse(
      req("Action=SetTopicAttributes&TopicArn=t&AttributeName=DisplayName&AttributeValue=d"),
      sns,
      op(sns, "SetTopicAttributes"),
    );
    expect(input).toEqual({ TopicArn: "t", AttributeName: "DisplayName", AttributeValue: "d" });
    const map = parse(req("Action=CreateTopic&Name=t&Attributes.entry.2.key=b&Attributes.entry.2.value=2&Attributes.entry.1.key=a&Attributes.entry.1.value=1"), sns, op(sns, "CreateTopic"));
    expect(map.Attributes).toEqual({ a: "1", b: "2" });
  });

  it("reads timestamps as ISO 8601 or epoch seconds, and decodes + and %XX", () => {
    const input = parse(
      req("Action=GetMetricStatistics&Namespace=A+B%2FC&MetricName=m&StartTime=2024-01-02T03:04:05.000Z&EndTime=1704164645&Period=60"),
      cloudwatch,
      op(cloudwatch, "GetMetricStatistics"),
    );
    expect(input).toEqual({ Namespace: "A B/C", MetricName: "m", StartTime: new Date("2024-01-02T03:04:05Z"), EndTime: new Date("2024-01-02T03:04:05Z"), Period: 60 });
  });

  it("refuses mistyped values with InvalidParameterValue naming the parameter", () => {
    for (const [body, name] of [
      ["Action=SendMessage&QueueUrl=q&MessageBody=b&DelaySeconds=soon", "DelaySeconds"],
      ["Action=ListMetrics&RecentlyActive=PT3H&IncludeLinkedAccounts=maybe", "IncludeLinkedAccounts"],
      ["Action=GetMetricStatistics&StartTime=yesterday", "StartTime"],
    ] as const) {
      const model = body.includes("SendMessage") ? sqs : cloudwatch;
      const action = body.match(/Action=(\w+)/)![1];
      let err: unknown;
      try {
        parse(req(body), model, op(model, action));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AwsError);
      expect((err as AwsError).code).toBe("InvalidParameterValue");
      expect((err as AwsError).message).toContain(name);
    }
  });

  it("ignores unknown parameters and operations without input", () => {
    expect(parse(req("Action=ListQueues&Bogus=1&QueueNamePrefix=p"), sqs, op(sqs, "ListQueues"))).toEqual({ QueueNamePrefix: "p" });
  });
});
