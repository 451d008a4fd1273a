// EventBridge through the aws CLI (`aws events ...`) and boto3, and across a restart: rules,
// targets and schedules are durable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});
const c = useClients(() => n.endpoint);

function queuePolicy(queueArn: string, ruleArn: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": ruleArn } } }] });
}

describe.skipIf(!AWS)("EventBridge through the aws CLI", () => {
  it("puts a rule and a target, sends an event and the queue receives it", async () => {
    const account = freshAccount();
    const url = ok(await c.aws(account, "sqs", "create-queue", "--queue-name", "cli-events")).QueueUrl;
    const arn = ok(await c.aws(account, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn")).Attributes.QueueArn;
    const rule = ok(await c.aws(account, "events", "put-rule", "--name", "cli-rule", "--event-pattern", '{"source":["cli.app"],"detail":{"level":[{"numeric":[">=",3]}]}}'));
    expect(rule.RuleArn).toBe(`arn:aws:events:us-east-1:${account}:rule/cli-rule`);
    ok(await c.aws(account, "sqs", "set-queue-attributes", "--queue-url", url, "--attributes", JSON.stringify({ Policy: queuePolicy(arn, rule.RuleArn) })));
    const targets = ok(await c.aws(account, "events", "put-targets", "--rule", "cli-rule", "--targets", JSON.stringify([{ Id: "q", Arn: arn, InputPath: "$.detail" }])));
    expect(targets).toEqual({ FailedEntryCount: 0, FailedEntries: [] });
    const sent = ok(await c.aws(account, "events", "put-events", "--entries", JSON.stringify([
      { Source: "cli.app", DetailType: "Alarm", Detail: '{"level":5,"msg":"disk"}' },
      { Source: "cli.app", DetailType: "Alarm", Detail: '{"level":1,"msg":"quiet"}' },
    ])));
    expect(sent.FailedEntryCount).toBe(0);
    expect(sent.Entries).toHaveLength(2);
    let bodies: string[] = [];
    for (let i = 0; i < 10 && bodies.length === 0; i++) {
      const r = ok(await c.aws(account, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1", "--max-number-of-messages", "10"));
      bodies = (r.Messages ?? []).map((m: { Body: string }) => m.Body);
    }
    expect(bodies.map((b) => JSON.parse(b))).toEqual([{ level: 5, msg: "disk" }]);
    const matched = ok(await c.aws(account, "events", "test-event-pattern", "--event-pattern", '{"source":[{"prefix":"cli."}]}', "--event", JSON.stringify({ id: "1", account, source: "cli.app", time: "2026-01-01T00:00:00Z", region: "us-east-1", "detail-type": "x", resources: [], detail: {} })));
    expect(matched).toEqual({ Result: true });
  }, 60_000);
});

describe.skipIf(!PYTHON)("EventBridge through boto3", () => {
  it("reports failed entries and pattern errors as botocore does", async () => {
    const account = freshAccount();
    const script = `
import json, boto3, sys
eb = boto3.client("events", endpoint_url=sys.argv[1])
out = eb.put_events(Entries=[{"Source": "py", "DetailType": "T", "Detail": "{}"}, {"Source": "py", "DetailType": "T", "Detail": "nope"}])
try:
    eb.put_rule(Name="r", EventPattern='{"source": "py"}')
    err = None
except eb.exceptions.InvalidEventPatternException as e:
    err = e.response["Error"]["Message"]
print(json.dumps({"failed": out["FailedEntryCount"], "codes": [e.get("ErrorCode") for e in out["Entries"]], "err": err}))
`;
    const r = ok(await c.python(account, script, n.endpoint));
    expect(r).toEqual({ failed: 1, codes: [null, "MalformedDetail"], err: 'Event pattern is not valid. Reason: "source" must be an object or an array' });
  }, 60_000);
});

describe("across a restart", () => {
  it("delivers events acknowledged before a stop once Nimbus is back (durable outbox)", async () => {
    const own = await startNimbus();
    const account = freshAccount();
    const cfg = sdkConfig(own.endpoint, { accountId: account });
    const eb = new EventBridgeClient(cfg);
    const sqs = new SQSClient(cfg);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "later" }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "r", EventPattern: '{"source":["app"]}' }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: queuePolicy(arn, RuleArn!) } }));
    await eb.send(new PutTargetsCommand({ Rule: "r", Targets: [{ Id: "q", Arn: arn }] }));
    const pause = await fetch(`${own.endpoint}/_nimbus/chaos`, { method: "POST", body: JSON.stringify({ service: "eventbridge", action: "pause-delivery" }) });
    expect(await pause.json()).toEqual({ paused: true, queued: 0 });
    const out = await eb.send(new PutEventsCommand({ Entries: [1, 2, 3].map((i) => ({ Source: "app", DetailType: "T", Detail: JSON.stringify({ i }) })) }));
    expect(out.FailedEntryCount).toBe(0);
    const queued = await fetch(`${own.endpoint}/_nimbus/chaos`, { method: "POST", body: JSON.stringify({ service: "eventbridge", action: "pause-delivery" }) });
    expect(await queued.json()).toEqual({ paused: true, queued: 3 });
    await own.stop({ keepData: true });
    const again = await startNimbus({ dataDir: own.dataDir });
    try {
      const sqs2 = new SQSClient(sdkConfig(again.endpoint, { accountId: account }));
      const ids: string[] = [];
      for (let i = 0; i < 20 && ids.length < 3; i++) {
        const r = await sqs2.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        ids.push(...(r.Messages ?? []).map((m) => JSON.parse(m.Body!).id as string));
      }
      expect(ids.sort()).toEqual(out.Entries!.map((e) => e.EventId!).sort());
    } finally {
      await again.stop();
    }
  }, 60_000);

  it("keeps rules, targets and schedules: a rate rule fires after the restart when time is advanced", async () => {
    const own = await startNimbus();
    const account = freshAccount();
    const cfg = sdkConfig(own.endpoint, { accountId: account });
    const eb = new EventBridgeClient(cfg);
    const sqs = new SQSClient(cfg);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "ticks" }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "hourly", ScheduleExpression: "rate(1 hour)" }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: queuePolicy(arn, RuleArn!) } }));
    await eb.send(new PutTargetsCommand({ Rule: "hourly", Targets: [{ Id: "q", Arn: arn, Input: '{"tick":true}' }] }));
    await own.stop({ keepData: true });
    const again = await startNimbus({ dataDir: own.dataDir });
    try {
      await advanceClock(again, "PT61M");
      const sqs2 = new SQSClient(sdkConfig(again.endpoint, { accountId: account }));
      let bodies: string[] = [];
      for (let i = 0; i < 10 && bodies.length === 0; i++) {
        const r = await sqs2.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
        bodies = (r.Messages ?? []).map((m) => m.Body!);
      }
      expect(bodies).toEqual(['{"tick":true}']);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
