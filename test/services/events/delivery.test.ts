// EventBridge delivery end to end through the real SDKs: PutEvents -> SQS (the event as AWS
// sends it, and an InputTransformer's output), the queue policy deciding (events.amazonaws.com
// with the rule as aws:SourceArn) and a dead-letter queue receiving what was refused, a Lambda
// target invoked, CloudWatch Logs, a rule forwarding to another account's bus, and a schedule
// firing after the Nimbus clock is advanced.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand, PutPermissionCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "../lambda/zip-writer.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});

function clients(account = freshAccount()) {
  const cfg = sdkConfig(n.endpoint, { accountId: account });
  return { account, eb: new EventBridgeClient(cfg), sqs: new SQSClient(cfg), lambda: new LambdaClient(cfg), logs: new CloudWatchLogsClient(cfg), sns: new SNSClient(cfg) };
}

/** A queue whose policy lets EventBridge send from the given rules (or from nothing). */
async function queue(sqs: SQSClient, name: string, allowRuleArns: string[] = []) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  if (allowRuleArns.length) {
    const policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": allowRuleArns } } }],
    };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  }
  return { url: QueueUrl!, arn };
}

async function receive(sqs: SQSClient, url: string, count = 1, attributes = false) {
  const got: Array<{ Body?: string; MessageAttributes?: Record<string, { StringValue?: string }> }> = [];
  for (let i = 0; i < 20 && got.length < count; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10, ...(attributes ? { MessageAttributeNames: ["All"] } : {}) }));
    got.push(...(r.Messages ?? []));
  }
  return got;
}

function ruleArnOf(account: string, name: string, bus = "default") {
  return bus === "default" ? `arn:aws:events:us-east-1:${account}:rule/${name}` : `arn:aws:events:us-east-1:${account}:rule/${bus}/${name}`;
}

describe("PutEvents -> SQS", () => {
  it("delivers the event envelope and a transformed input to the matching rule's targets only", async () => {
    const { account, eb, sqs } = clients();
    const rule = ruleArnOf(account, "orders");
    const raw = await queue(sqs, "raw", [rule]);
    const shaped = await queue(sqs, "shaped", [rule]);
    const text = await queue(sqs, "text", [rule]);
    const other = await queue(sqs, "other", [ruleArnOf(account, "refunds")]);
    await eb.send(new PutRuleCommand({ Name: "orders", EventPattern: JSON.stringify({ source: ["shop"], detail: { total: [{ numeric: [">", 100] }] } }) }));
    await eb.send(new PutRuleCommand({ Name: "refunds", EventPattern: JSON.stringify({ "detail-type": ["Refund"] }) }));
    await eb.send(
      new PutTargetsCommand({
        Rule: "orders",
        Targets: [
          { Id: "raw", Arn: raw.arn },
          { Id: "shaped", Arn: shaped.arn, InputTransformer: { InputPathsMap: { id: "$.detail.id", total: "$.detail.total", src: "$.source" }, InputTemplate: '{"order":<id>,"total":<total>,"text":"order <id> from <src>","rule":"<aws.events.rule-name>"}' } },
          { Id: "text", Arn: text.arn, InputTransformer: { InputPathsMap: { id: "$.detail.id", total: "$.detail.total" }, InputTemplate: "Order <id> costs <total>" } },
        ],
      }),
    );
    await eb.send(new PutTargetsCommand({ Rule: "refunds", Targets: [{ Id: "other", Arn: other.arn }] }));
    const time = new Date("2026-01-02T03:04:05Z");
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: "shop", DetailType: "Order Placed", Detail: JSON.stringify({ id: "o-1", total: 150 }), Resources: ["arn:aws:shop:::order/o-1"], Time: time },
          { Source: "shop", DetailType: "Order Placed", Detail: JSON.stringify({ id: "o-2", total: 50 }) },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    const [m] = await receive(sqs, raw.url);
    const event = JSON.parse(m.Body!);
    expect(event).toEqual({
      version: "0",
      id: out.Entries![0].EventId,
      "detail-type": "Order Placed",
      source: "shop",
      account,
      time: "2026-01-02T03:04:05Z",
      region: "us-east-1",
      resources: ["arn:aws:shop:::order/o-1"],
      detail: { id: "o-1", total: 150 },
    });
    const [s] = await receive(sqs, shaped.url);
    expect(JSON.parse(s.Body!)).toEqual({ order: "o-1", total: 150, text: "order o-1 from shop", rule: "orders" });
    const [t] = await receive(sqs, text.url);
    expect(t.Body).toBe("Order o-1 costs 150");
    // Nothing else arrives: o-2 is under 100 and no refund was sent.
    const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: raw.url, WaitTimeSeconds: 1 }));
    expect(more.Messages ?? []).toEqual([]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: other.url, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
  }, 60_000);

  it("sends to a FIFO queue with the target's MessageGroupId, deduplicated by event id", async () => {
    const { account, eb, sqs } = clients();
    const rule = ruleArnOf(account, "fifo");
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "orders.fifo", Attributes: { FifoQueue: "true" } }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": rule } } }] };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
    await eb.send(new PutRuleCommand({ Name: "fifo", EventPattern: '{"source":["shop"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: "fifo", Targets: [{ Id: "q", Arn: arn, SqsParameters: { MessageGroupId: "orders" } }] }));
    const out = await eb.send(new PutEventsCommand({ Entries: [{ Source: "shop", DetailType: "A", Detail: '{"n":1}' }, { Source: "shop", DetailType: "B", Detail: '{"n":2}' }] }));
    const got: Array<{ Body?: string; Attributes?: Record<string, string> }> = [];
    for (let i = 0; i < 20 && got.length < 2; i++) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"] }));
      got.push(...(r.Messages ?? []));
    }
    expect(got.map((m) => [JSON.parse(m.Body!).detail.n, m.Attributes!.MessageGroupId, m.Attributes!.MessageDeduplicationId])).toEqual([
      [1, "orders", out.Entries![0].EventId],
      [2, "orders", out.Entries![1].EventId],
    ]);
  }, 60_000);

  it("is refused by a queue whose policy does not allow EventBridge; the event goes to the dead-letter queue", async () => {
    const { account, eb, sqs } = clients();
    const rule = ruleArnOf(account, "audit");
    const closed = await queue(sqs, "closed", [ruleArnOf(account, "someone-else")]);
    const dlq = await queue(sqs, "dlq", [rule]);
    await eb.send(new PutRuleCommand({ Name: "audit", EventPattern: '{"source":["app"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: "audit", Targets: [{ Id: "closed", Arn: closed.arn, DeadLetterConfig: { Arn: dlq.arn } }] }));
    const out = await eb.send(new PutEventsCommand({ Entries: [{ Source: "app", DetailType: "Login", Detail: '{"user":"u1"}' }] }));
    // PutEvents itself succeeds: delivery is asynchronous.
    expect(out.FailedEntryCount).toBe(0);
    const [dead] = await receive(sqs, dlq.url, 1, true);
    expect(JSON.parse(dead.Body!)).toMatchObject({ id: out.Entries![0].EventId, source: "app", detail: { user: "u1" } });
    expect(dead.MessageAttributes!.RULE_ARN.StringValue).toBe(rule);
    expect(dead.MessageAttributes!.TARGET_ARN.StringValue).toBe(closed.arn);
    expect(dead.MessageAttributes!.ERROR_CODE.StringValue).toBe("AccessDenied");
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: closed.url, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
  }, 60_000);
});

describe("other targets", () => {
  let hook: Server;
  let hookUrl: string;
  const received: unknown[] = [];
  const waiters: Array<() => void> = [];
  beforeAll(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        res.writeHead(200).end("ok");
        for (const w of waiters.splice(0)) w();
      });
    });
    await new Promise<void>((ok) => hook.listen(0, "127.0.0.1", ok));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/sink`;
  });
  afterAll(() => {
    hook.close();
  });

  it("invokes a Lambda function (asynchronously) once its policy allows the rule", async () => {
    const { account, eb, lambda } = clients();
    const code = `import json, os, urllib.request

def handler(event, context):
    req = urllib.request.Request(os.environ["SINK"], data=json.dumps(event).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return {"status": r.status}
`;
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: "on-order", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": code }) }, Environment: { Variables: { SINK: hookUrl } }, Timeout: 10 }));
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "to-lambda", EventPattern: '{"source":["shop"]}' }));
    await lambda.send(new AddPermissionCommand({ FunctionName: "on-order", StatementId: "events", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceArn: RuleArn }));
    await eb.send(new PutTargetsCommand({ Rule: "to-lambda", Targets: [{ Id: "fn", Arn: fn.FunctionArn, InputPath: "$.detail" }] }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "shop", DetailType: "Order", Detail: '{"id":"o-9","items":[1,2]}' }] }));
    while (received.length < 1) await new Promise<void>((ok) => waiters.push(ok));
    expect(received).toEqual([{ id: "o-9", items: [1, 2] }]);
  }, 60_000);

  it("publishes to an SNS topic whose policy allows EventBridge", async () => {
    const { eb, sqs, sns } = clients();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "alerts" }));
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "to-sns", EventPattern: '{"source":["shop"]}' }));
    const topicPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: TopicArn, Condition: { ArnEquals: { "aws:SourceArn": RuleArn } } }] };
    await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "Policy", AttributeValue: JSON.stringify(topicPolicy) }));
    const { url, arn } = await queue(sqs, "from-sns");
    const qPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": TopicArn } } }] };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(qPolicy) } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: arn, Attributes: { RawMessageDelivery: "true" } }));
    await eb.send(new PutTargetsCommand({ Rule: "to-sns", Targets: [{ Id: "topic", Arn: TopicArn, Input: '{"alert":"low stock"}' }] }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "shop", DetailType: "Stock", Detail: "{}" }] }));
    const [m] = await receive(sqs, url);
    expect(m.Body).toBe('{"alert":"low stock"}');
  }, 60_000);

  it("writes the event to a CloudWatch Logs log group", async () => {
    const { account, eb, logs } = clients();
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/events/orders" }));
    await eb.send(new PutRuleCommand({ Name: "to-logs", EventPattern: '{"source":["shop"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: "to-logs", Targets: [{ Id: "lg", Arn: `arn:aws:logs:us-east-1:${account}:log-group:/aws/events/orders` }] }));
    const out = await eb.send(new PutEventsCommand({ Entries: [{ Source: "shop", DetailType: "Order", Detail: '{"id":"o-3"}' }] }));
    const id = out.Entries![0].EventId!;
    let events: Array<{ logStreamName?: string; message?: string }> = [];
    for (let i = 0; i < 50 && events.length === 0; i++) {
      events = (await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/events/orders" }))).events ?? [];
      if (!events.length) await new Promise((ok) => setTimeout(ok, 100));
    }
    expect(events).toHaveLength(1);
    expect(events[0].logStreamName).toBe(id);
    expect(JSON.parse(events[0].message!)).toMatchObject({ id, source: "shop", detail: { id: "o-3" } });
  }, 60_000);
});

describe("bus to bus", () => {
  it("forwards to another account's bus once its policy allows the sender account", async () => {
    const a = clients();
    const b = clients();
    const inbox = await queue(b.sqs, "inbox", [ruleArnOf(b.account, "collect", "central")]);
    const { EventBusArn } = await b.eb.send(new CreateEventBusCommand({ Name: "central" }));
    await b.eb.send(new PutRuleCommand({ Name: "collect", EventBusName: "central", EventPattern: '{"source":["app"]}' }));
    await b.eb.send(new PutTargetsCommand({ Rule: "collect", EventBusName: "central", Targets: [{ Id: "inbox", Arn: inbox.arn }] }));
    await a.eb.send(new PutRuleCommand({ Name: "forward", EventPattern: '{"source":["app"]}' }));
    await a.eb.send(new PutTargetsCommand({ Rule: "forward", Targets: [{ Id: "central", Arn: EventBusArn }] }));
    // Before the policy: account A may not put events on B's bus.
    const direct = await a.eb.send(new PutEventsCommand({ Entries: [{ Source: "app", DetailType: "X", Detail: "{}", EventBusName: EventBusArn }] })).catch((e: Error) => e);
    expect((direct as Error).name).toBe("AccessDeniedException");
    await b.eb.send(new PutPermissionCommand({ EventBusName: "central", Action: "events:PutEvents", Principal: a.account, StatementId: "from-a" }));
    await a.eb.send(new PutEventsCommand({ Entries: [{ Source: "app", DetailType: "After", Detail: '{"n":2}' }] }));
    const got = await receive(b.sqs, inbox.url);
    expect(got.map((m) => JSON.parse(m.Body!)).map((e) => [e["detail-type"], e.account, e.detail])).toEqual([["After", a.account, { n: 2 }]]);
  }, 60_000);
});

describe("schedules", () => {
  it("fire a rate rule on the Nimbus clock with the Scheduled Event", async () => {
    const { account, eb, sqs } = clients();
    const rule = ruleArnOf(account, "every-5");
    const q = await queue(sqs, "ticks", [rule]);
    await eb.send(new PutRuleCommand({ Name: "every-5", ScheduleExpression: "rate(5 minutes)" }));
    await eb.send(new PutTargetsCommand({ Rule: "every-5", Targets: [{ Id: "q", Arn: q.arn }] }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }))).Messages ?? []).toEqual([]);
    await advanceClock(n, "PT11M");
    const got = await receive(sqs, q.url, 2);
    expect(got).toHaveLength(2);
    for (const m of got) {
      const e = JSON.parse(m.Body!);
      expect(e).toMatchObject({ version: "0", "detail-type": "Scheduled Event", source: "aws.events", account, region: "us-east-1", resources: [rule], detail: {} });
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  }, 60_000);
});
