// EventBridge control plane through the real SDK: buses and their policies, rules (patterns,
// schedules, prefixes and pagination, state, deletion with targets), targets (limits,
// FailedEntries), tags, and PutEvents' per-entry errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEventBusCommand,
} from "@aws-sdk/client-eventbridge";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});

function client(account = freshAccount()) {
  return { account, eb: new EventBridgeClient(sdkConfig(n.endpoint, { accountId: account })) };
}

async function error(p: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  return p.then(
    () => {
      throw new Error("expected an error");
    },
    (e: Error & { $metadata: { httpStatusCode?: number } }) => e,
  );
}

describe("event buses", () => {
  it("have a default bus, create, describe, list, delete", async () => {
    const { account, eb } = client();
    const def = await eb.send(new DescribeEventBusCommand({}));
    expect(def.Name).toBe("default");
    expect(def.Arn).toBe(`arn:aws:events:us-east-1:${account}:event-bus/default`);
    const created = await eb.send(new CreateEventBusCommand({ Name: "orders", Description: "order events", Tags: [{ Key: "team", Value: "a" }] }));
    expect(created.EventBusArn).toBe(`arn:aws:events:us-east-1:${account}:event-bus/orders`);
    expect(created.Description).toBe("order events");
    const again = await error(eb.send(new CreateEventBusCommand({ Name: "orders" })));
    expect(again.name).toBe("ResourceAlreadyExistsException");
    expect(again.message).toBe("Event bus orders already exists.");
    const updated = await eb.send(new UpdateEventBusCommand({ Name: "orders", Description: "all orders", DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${account}:dlq` } }));
    expect(updated).toMatchObject({ Arn: created.EventBusArn, Name: "orders", Description: "all orders" });
    const d = await eb.send(new DescribeEventBusCommand({ Name: "orders" }));
    expect(d).toMatchObject({ Name: "orders", Description: "all orders", DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${account}:dlq` } });
    expect(d.CreationTime).toBeInstanceOf(Date);
    await eb.send(new CreateEventBusCommand({ Name: "other" }));
    const all = await eb.send(new ListEventBusesCommand({}));
    expect(all.EventBuses!.map((b) => b.Name)).toEqual(["default", "orders", "other"]);
    const page1 = await eb.send(new ListEventBusesCommand({ Limit: 2 }));
    expect(page1.EventBuses!.map((b) => b.Name)).toEqual(["default", "orders"]);
    const page2 = await eb.send(new ListEventBusesCommand({ Limit: 2, NextToken: page1.NextToken }));
    expect(page2.EventBuses!.map((b) => b.Name)).toEqual(["other"]);
    expect(page2.NextToken).toBeUndefined();
    expect((await eb.send(new ListEventBusesCommand({ NamePrefix: "or" }))).EventBuses!.map((b) => b.Name)).toEqual(["orders"]);
    const tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: created.EventBusArn }));
    expect(tags.Tags).toEqual([{ Key: "team", Value: "a" }]);
    const noDefault = await error(eb.send(new DeleteEventBusCommand({ Name: "default" })));
    expect(noDefault.name).toBe("ValidationException");
    await eb.send(new DeleteEventBusCommand({ Name: "orders" }));
    const gone = await error(eb.send(new DescribeEventBusCommand({ Name: "orders" })));
    expect(gone.name).toBe("ResourceNotFoundException");
    expect(gone.message).toBe("Event bus orders does not exist.");
    // Deleting what does not exist succeeds.
    await eb.send(new DeleteEventBusCommand({ Name: "orders" }));
  });

  it("keep a resource policy from PutPermission statements", async () => {
    const { account, eb } = client();
    await eb.send(new PutPermissionCommand({ Action: "events:PutEvents", Principal: "111122223333", StatementId: "partner" }));
    await eb.send(new PutPermissionCommand({ Action: "events:PutEvents", Principal: "*", StatementId: "org", Condition: { Type: "StringEquals", Key: "aws:PrincipalOrgID", Value: "o-1234567890" } }));
    const policy = JSON.parse((await eb.send(new DescribeEventBusCommand({}))).Policy!);
    expect(policy.Statement).toEqual([
      { Sid: "partner", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "events:PutEvents", Resource: `arn:aws:events:us-east-1:${account}:event-bus/default` },
      { Sid: "org", Effect: "Allow", Principal: "*", Action: "events:PutEvents", Resource: `arn:aws:events:us-east-1:${account}:event-bus/default`, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-1234567890" } } },
    ]);
    const dup = await error(eb.send(new PutPermissionCommand({ Action: "events:PutEvents", Principal: "111122223333", StatementId: "partner" })));
    expect(dup.name).toBe("ResourceAlreadyExistsException");
    await eb.send(new RemovePermissionCommand({ StatementId: "partner" }));
    expect(JSON.parse((await eb.send(new DescribeEventBusCommand({}))).Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["org"]);
    const missing = await error(eb.send(new RemovePermissionCommand({ StatementId: "partner" })));
    expect(missing.name).toBe("ResourceNotFoundException");
    await eb.send(new RemovePermissionCommand({ RemoveAllPermissions: true }));
    expect((await eb.send(new DescribeEventBusCommand({}))).Policy).toBeUndefined();
    // A policy lets others put events, never manage the bus or its rules.
    const other = client("111122223333").eb;
    const busArn = `arn:aws:events:us-east-1:${account}:event-bus/default`;
    for (const p of [other.send(new ListRulesCommand({ EventBusName: busArn })), other.send(new PutRuleCommand({ Name: "x", EventBusName: busArn, EventPattern: '{"source":["a"]}' })), other.send(new DeleteRuleCommand({ Name: "x", EventBusName: busArn }))]) {
      expect((await error(p)).name).toBe("AccessDeniedException");
    }
  });
});

describe("rules", () => {
  it("are created, described, listed by prefix and page, enabled and disabled", async () => {
    const { account, eb } = client();
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "orders-created", EventPattern: '{"source":["shop"]}', Description: "d" }));
    expect(RuleArn).toBe(`arn:aws:events:us-east-1:${account}:rule/orders-created`);
    await eb.send(new PutRuleCommand({ Name: "orders-paid", EventPattern: '{"source":["shop"]}', State: "DISABLED" }));
    await eb.send(new PutRuleCommand({ Name: "nightly", ScheduleExpression: "cron(0 3 * * ? *)" }));
    const d = await eb.send(new DescribeRuleCommand({ Name: "orders-created" }));
    expect(d).toMatchObject({ Name: "orders-created", Arn: RuleArn, EventPattern: '{"source":["shop"]}', State: "ENABLED", Description: "d", EventBusName: "default", CreatedBy: account });
    const byPrefix = await eb.send(new ListRulesCommand({ NamePrefix: "orders-" }));
    expect(byPrefix.Rules!.map((r) => [r.Name, r.State])).toEqual([["orders-created", "ENABLED"], ["orders-paid", "DISABLED"]]);
    const p1 = await eb.send(new ListRulesCommand({ Limit: 2 }));
    expect(p1.Rules!.map((r) => r.Name)).toEqual(["nightly", "orders-created"]);
    const p2 = await eb.send(new ListRulesCommand({ Limit: 2, NextToken: p1.NextToken }));
    expect(p2.Rules!.map((r) => r.Name)).toEqual(["orders-paid"]);
    expect(p2.NextToken).toBeUndefined();
    await eb.send(new EnableRuleCommand({ Name: "orders-paid" }));
    await eb.send(new DisableRuleCommand({ Name: "orders-created" }));
    expect((await eb.send(new DescribeRuleCommand({ Name: "orders-paid" }))).State).toBe("ENABLED");
    expect((await eb.send(new DescribeRuleCommand({ Name: "orders-created" }))).State).toBe("DISABLED");
    // An update without State keeps the rule's state.
    await eb.send(new PutRuleCommand({ Name: "orders-created", EventPattern: '{"source":["shop2"]}' }));
    expect(await eb.send(new DescribeRuleCommand({ Name: "orders-created" }))).toMatchObject({ State: "DISABLED", EventPattern: '{"source":["shop2"]}' });
    const missing = await error(eb.send(new DescribeRuleCommand({ Name: "nope" })));
    expect(missing.name).toBe("ResourceNotFoundException");
    expect(missing.message).toBe("Rule nope does not exist on EventBus default.");
  });

  it("on a custom bus have the bus in their ARN; schedules only on the default bus", async () => {
    const { account, eb } = client();
    await eb.send(new CreateEventBusCommand({ Name: "app" }));
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "r", EventBusName: "app", EventPattern: '{"source":["a"]}' }));
    expect(RuleArn).toBe(`arn:aws:events:us-east-1:${account}:rule/app/r`);
    expect((await eb.send(new ListRulesCommand({ EventBusName: "app" }))).Rules!.map((r) => r.EventBusName)).toEqual(["app"]);
    expect((await eb.send(new ListRulesCommand({}))).Rules).toEqual([]);
    const sched = await error(eb.send(new PutRuleCommand({ Name: "s", EventBusName: "app", ScheduleExpression: "rate(5 minutes)" })));
    expect(sched.name).toBe("ValidationException");
    const noBus = await error(eb.send(new PutRuleCommand({ Name: "r", EventBusName: "nope", EventPattern: '{"source":["a"]}' })));
    expect(noBus.name).toBe("ResourceNotFoundException");
  });

  it("refuse invalid patterns, schedules and names, changing nothing", async () => {
    const { eb } = client();
    const bad = await error(eb.send(new PutRuleCommand({ Name: "r", EventPattern: '{"source":"shop"}' })));
    expect(bad.name).toBe("InvalidEventPatternException");
    expect(bad.message).toBe('Event pattern is not valid. Reason: "source" must be an object or an array');
    for (const expr of ["rate(1 minutes)", "rate(0 minutes)", "rate(5 minute)", "cron(0 3 * * * *)", "cron(0 3 * *)", "every day"]) {
      const e = await error(eb.send(new PutRuleCommand({ Name: "r", ScheduleExpression: expr })));
      expect([expr, e.name, e.message]).toEqual([expr, "ValidationException", "Parameter ScheduleExpression is not valid."]);
    }
    const neither = await error(eb.send(new PutRuleCommand({ Name: "r" })));
    expect(neither.message).toBe("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    const name = await error(eb.send(new PutRuleCommand({ Name: "bad name", EventPattern: '{"source":["a"]}' })));
    expect(name.name).toBe("ValidationException");
    expect((await eb.send(new ListRulesCommand({}))).Rules).toEqual([]);
  });

  it("cannot be deleted while they have targets", async () => {
    const { account, eb } = client();
    await eb.send(new PutRuleCommand({ Name: "r", EventPattern: '{"source":["a"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: "r", Targets: [{ Id: "q", Arn: `arn:aws:sqs:us-east-1:${account}:q` }] }));
    const e = await error(eb.send(new DeleteRuleCommand({ Name: "r" })));
    expect(e.name).toBe("ValidationException");
    expect(e.message).toBe("Rule can't be deleted since it has targets.");
    await eb.send(new RemoveTargetsCommand({ Rule: "r", Ids: ["q"] }));
    await eb.send(new DeleteRuleCommand({ Name: "r" }));
    expect((await eb.send(new ListRulesCommand({}))).Rules).toEqual([]);
    // Deleting a rule that does not exist succeeds.
    await eb.send(new DeleteRuleCommand({ Name: "r" }));
  });
});

describe("targets", () => {
  it("are added, replaced by Id, listed, limited to 5, and invalid ones are FailedEntries", async () => {
    const { account, eb } = client();
    await eb.send(new PutRuleCommand({ Name: "r", EventPattern: '{"source":["a"]}' }));
    const q = (i: number) => `arn:aws:sqs:us-east-1:${account}:q${i}`;
    const out = await eb.send(
      new PutTargetsCommand({
        Rule: "r",
        Targets: [
          { Id: "t1", Arn: q(1), Input: '{"fixed":true}' },
          { Id: "t2", Arn: q(2), InputTransformer: { InputPathsMap: { s: "$.source" }, InputTemplate: '{"from":<s>}' } },
          { Id: "bad", Arn: "not-an-arn" },
          { Id: "both", Arn: q(3), Input: "{}", InputPath: "$.detail" },
          { Id: "badjson", Arn: q(4), Input: "{nope" },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.FailedEntries!.map((f) => [f.TargetId, f.ErrorCode])).toEqual([["bad", "ValidationException"], ["both", "ValidationException"], ["badjson", "ValidationException"]]);
    expect(out.FailedEntries![1].ErrorMessage).toBe("Only one of Input, InputPath, or InputTransformer must be provided.");
    await eb.send(new PutTargetsCommand({ Rule: "r", Targets: [{ Id: "t1", Arn: q(1), InputPath: "$.detail", RetryPolicy: { MaximumRetryAttempts: 3 }, DeadLetterConfig: { Arn: q(9) } }] }));
    const list = await eb.send(new ListTargetsByRuleCommand({ Rule: "r" }));
    expect(list.Targets).toEqual([
      { Id: "t1", Arn: q(1), InputPath: "$.detail", RetryPolicy: { MaximumRetryAttempts: 3 }, DeadLetterConfig: { Arn: q(9) } },
      { Id: "t2", Arn: q(2), InputTransformer: { InputPathsMap: { s: "$.source" }, InputTemplate: '{"from":<s>}' } },
    ]);
    const paged = await eb.send(new ListTargetsByRuleCommand({ Rule: "r", Limit: 1 }));
    expect(paged.Targets!.map((t) => t.Id)).toEqual(["t1"]);
    expect((await eb.send(new ListTargetsByRuleCommand({ Rule: "r", Limit: 1, NextToken: paged.NextToken }))).Targets!.map((t) => t.Id)).toEqual(["t2"]);
    expect((await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: q(2) }))).RuleNames).toEqual(["r"]);
    await eb.send(new PutTargetsCommand({ Rule: "r", Targets: [3, 4, 5].map((i) => ({ Id: `t${i}`, Arn: q(i) })) }));
    const limit = await error(eb.send(new PutTargetsCommand({ Rule: "r", Targets: [{ Id: "t6", Arn: q(6) }] })));
    expect(limit.name).toBe("LimitExceededException");
    expect((await eb.send(new ListTargetsByRuleCommand({ Rule: "r" }))).Targets).toHaveLength(5);
    const noRule = await error(eb.send(new PutTargetsCommand({ Rule: "nope", Targets: [{ Id: "t", Arn: q(1) }] })));
    expect(noRule.name).toBe("ResourceNotFoundException");
    const fifo = await eb.send(new PutTargetsCommand({ Rule: "r", Targets: [{ Id: "t5", Arn: `${q(5)}.fifo` }] }));
    expect(fifo.FailedEntries![0].ErrorCode).toBe("ValidationException");
  });
});

describe("tags", () => {
  it("are put, merged, removed and listed on rules", async () => {
    const { eb } = client();
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "r", EventPattern: '{"source":["a"]}', Tags: [{ Key: "a", Value: "1" }] }));
    await eb.send(new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: "b", Value: "2" }, { Key: "a", Value: "3" }] }));
    expect((await eb.send(new ListTagsForResourceCommand({ ResourceARN: RuleArn }))).Tags).toEqual([{ Key: "a", Value: "3" }, { Key: "b", Value: "2" }]);
    await eb.send(new UntagResourceCommand({ ResourceARN: RuleArn, TagKeys: ["a"] }));
    expect((await eb.send(new ListTagsForResourceCommand({ ResourceARN: RuleArn }))).Tags).toEqual([{ Key: "b", Value: "2" }]);
    const missing = await error(eb.send(new ListTagsForResourceCommand({ ResourceARN: RuleArn!.replace("rule/r", "rule/x") })));
    expect(missing.name).toBe("ResourceNotFoundException");
  });
});

describe("PutEvents", () => {
  it("answers each entry with an EventId or its error", async () => {
    const { eb } = client();
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: "shop", DetailType: "Order", Detail: '{"id":1}' },
          { DetailType: "Order", Detail: "{}" },
          { Source: "shop", Detail: "{}" },
          { Source: "shop", DetailType: "Order" },
          { Source: "shop", DetailType: "Order", Detail: "[1,2]" },
          { Source: "aws.s3", DetailType: "Object Created", Detail: "{}" },
          { Source: "shop", DetailType: "Order", Detail: "{}", EventBusName: "nope" },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(6);
    expect(out.Entries![0].EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries!.slice(1).map((e) => [e.ErrorCode, e.ErrorMessage, e.EventId])).toEqual([
      ["InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.", undefined],
      ["InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.", undefined],
      ["InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.", undefined],
      ["MalformedDetail", "Detail is malformed.", undefined],
      ["NotAuthorizedForSourceException", "Not authorized for the source.", undefined],
      ["ResourceNotFoundException", "Event bus nope does not exist.", undefined],
    ]);
  });

  it("refuses more than 10 entries or 256 KB", async () => {
    const { eb } = client();
    const many = await error(eb.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: "a", DetailType: "b", Detail: "{}" })) })));
    expect(many.name).toBe("ValidationException");
    const big = await error(eb.send(new PutEventsCommand({ Entries: [{ Source: "a", DetailType: "b", Detail: JSON.stringify({ x: "y".repeat(262_144) }) }] })));
    expect(big.name).toBe("ValidationException");
    expect(big.message).toBe("Total size of the entries in the request is over the limit.");
  });
});
