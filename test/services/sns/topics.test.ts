// SNS topics and subscriptions through the SDK: CreateTopic (standard, FIFO, idempotent,
// attributes, tags), ListTopics pagination, attributes, topic policies, subscriptions and
// their attributes (filter policies validated), AWS's errors.
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
  UntagResourceCommand,
  AddPermissionCommand,
} from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { clients, fail } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("topics", () => {
  it("creates standard and FIFO topics idempotently, with AWS's attributes and errors", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const arn = `arn:aws:sns:us-east-1:${account}:orders`;
    expect((await sns.send(new CreateTopicCommand({ Name: "orders", Attributes: { DisplayName: "Orders" }, Tags: [{ Key: "team", Value: "a" }] }))).TopicArn).toBe(arn);
    expect((await sns.send(new CreateTopicCommand({ Name: "orders", Attributes: { DisplayName: "Orders" } }))).TopicArn).toBe(arn);
    expect(await fail(sns.send(new CreateTopicCommand({ Name: "orders", Attributes: { DisplayName: "Other" } })))).toEqual({
      name: "InvalidParameterException",
      message: "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
      status: 400,
    });
    const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes!;
    expect(attrs).toMatchObject({ TopicArn: arn, Owner: account, DisplayName: "Orders", SubscriptionsConfirmed: "0", SubscriptionsPending: "0", SubscriptionsDeleted: "0" });
    expect(JSON.parse(attrs.Policy)).toMatchObject({ Version: "2008-10-17", Id: "__default_policy_ID", Statement: [{ Sid: "__default_statement_ID", Resource: arn, Condition: { StringEquals: { "AWS:SourceOwner": account } } }] });
    expect(JSON.parse(attrs.EffectiveDeliveryPolicy).http.defaultHealthyRetryPolicy).toMatchObject({ numRetries: 3, minDelayTarget: 20, maxDelayTarget: 20 });

    const fifo = await sns.send(new CreateTopicCommand({ Name: "events.fifo", Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }));
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: fifo.TopicArn }))).Attributes).toMatchObject({ FifoTopic: "true", ContentBasedDeduplication: "true" });
    expect((await fail(sns.send(new CreateTopicCommand({ Name: "events", Attributes: { FifoTopic: "true" } })))).message).toMatch(/^Invalid parameter: Fifo Topic names must end with .fifo/);
    expect((await fail(sns.send(new CreateTopicCommand({ Name: "bad name" })))).message).toBe("Invalid parameter: Topic Name");
    expect(await fail(sns.send(new GetTopicAttributesCommand({ TopicArn: `arn:aws:sns:us-east-1:${account}:missing` })))).toEqual({ name: "NotFoundException", message: "Topic does not exist", status: 404 });

    await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: "DeliveryPolicy", AttributeValue: JSON.stringify({ http: { defaultHealthyRetryPolicy: { numRetries: 5, minDelayTarget: 1, maxDelayTarget: 2 } } }) }));
    expect(JSON.parse((await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes!.DeliveryPolicy).http.defaultHealthyRetryPolicy.numRetries).toBe(5);
    expect((await fail(sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: "Nope", AttributeValue: "x" })))).message).toBe("Invalid parameter: AttributeName");
    expect((await fail(sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: "Policy", AttributeValue: "{}" })))).name).toBe("InvalidParameterException");

    await sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "env", Value: "dev" }] }));
    await sns.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["team"] }));
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: "env", Value: "dev" }]);

    await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    expect((await sns.send(new ListTopicsCommand({}))).Topics).toEqual([{ TopicArn: fifo.TopicArn }]);
  });

  it("lists topics 100 at a time with NextToken", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const names = Array.from({ length: 103 }, (_, i) => `t${String(i).padStart(3, "0")}`);
    for (const Name of names) await sns.send(new CreateTopicCommand({ Name }));
    const first = await sns.send(new ListTopicsCommand({}));
    expect(first.Topics!.length).toBe(100);
    expect(first.NextToken).toBeDefined();
    const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
    expect(second.NextToken).toBeUndefined();
    expect([...first.Topics!, ...second.Topics!].map((t) => t.TopicArn!.split(":").pop())).toEqual(names);
  });

  it("keeps another account out unless the topic policy lets it publish", async () => {
    const owner = freshAccount();
    const other = freshAccount();
    const { sns } = clients(n, owner);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "shared" }));
    const foreign = clients(n, other).sns;
    const denied = await fail(foreign.send(new PublishCommand({ TopicArn, Message: "hi" })));
    expect(denied).toEqual({ name: "AuthorizationErrorException", status: 403, message: `User: arn:aws:iam::${other}:root is not authorized to perform: SNS:Publish on resource: ${TopicArn} because no resource-based policy allows the SNS:Publish action` });
    await sns.send(new AddPermissionCommand({ TopicArn, Label: "other-publish", AWSAccountId: [other], ActionName: ["Publish"] }));
    expect((await foreign.send(new PublishCommand({ TopicArn, Message: "hi" }))).MessageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("topic policies and AWS service principals", () => {
  it("let S3 publish (in process, as s3.amazonaws.com) only where the topic policy names it", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "bucket-events" }));
    const publish = (bucket: string) =>
      n.nimbus.client.call<{ MessageId: string }>("sns", "Publish", { TopicArn, Message: "{}" }, { accountId: account, region: "us-east-1", onBehalfOf: { service: "s3.amazonaws.com", sourceArn: `arn:aws:s3:::${bucket}`, sourceAccount: account } });
    // The default topic policy grants nothing to a service.
    const denied = await publish("uploads").catch((e) => e);
    expect(denied.code).toBe("AuthorizationErrorException");
    expect(denied.message).toBe(`User: s3.amazonaws.com is not authorized to perform: SNS:Publish on resource: ${TopicArn} because no resource-based policy allows the SNS:Publish action`);
    const policy = { Version: "2012-10-17", Statement: [{ Sid: "s3", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "SNS:Publish", Resource: TopicArn, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::uploads" }, StringEquals: { "aws:SourceAccount": account } } }] };
    await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "Policy", AttributeValue: JSON.stringify(policy) }));
    expect((await publish("uploads")).MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await publish("elsewhere").catch((e) => e)).code).toBe("AuthorizationErrorException");
  });
});

describe("subscriptions", () => {
  it("subscribes idempotently, lists, sets and validates attributes, unsubscribes", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "subs" }));
    const queueArn = `arn:aws:sqs:us-east-1:${account}:q`;
    const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "true" } }));
    expect(sub.SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    expect((await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "true" } }))).SubscriptionArn).toBe(sub.SubscriptionArn);
    const mail = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "email", Endpoint: "dev@example.com" }));
    expect(mail.SubscriptionArn).toBe("pending confirmation");
    const listed = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions!;
    expect(listed.map((s) => [s.Protocol, s.Endpoint, s.SubscriptionArn === "PendingConfirmation" ? "pending" : "confirmed", s.Owner]).sort()).toEqual([
      ["email", "dev@example.com", "pending", account],
      ["sqs", queueArn, "confirmed", account],
    ]);
    expect((await sns.send(new ListSubscriptionsCommand({}))).Subscriptions!.length).toBe(2);
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes).toMatchObject({ SubscriptionsConfirmed: "1", SubscriptionsPending: "1" });

    const got = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes!;
    expect(got).toMatchObject({ Owner: account, RawMessageDelivery: "true", TopicArn, Endpoint: queueArn, Protocol: "sqs", PendingConfirmation: "false", SubscriptionArn: sub.SubscriptionArn });
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: "FilterPolicy", AttributeValue: JSON.stringify({ kind: ["order"], price: [{ numeric: [">", 10] }] }) }));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes).toMatchObject({ FilterPolicyScope: "MessageAttributes" });
    for (const bad of [{ kind: [{ prefx: "a" }] }, { kind: "order" }, { a: ["1"], b: ["1"], c: ["1"], d: ["1"], e: ["1"], f: ["1"] }]) {
      const e = await fail(sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: "FilterPolicy", AttributeValue: JSON.stringify(bad) })));
      expect(e.name).toBe("InvalidParameterException");
      expect(e.message).toMatch(/^Invalid parameter: FilterPolicy: /);
    }
    expect((await fail(sns.send(new SubscribeCommand({ TopicArn, Protocol: "carrier-pigeon", Endpoint: "x" })))).message).toBe("Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon");
    expect((await fail(sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: "not-an-arn" })))).message).toBe("Invalid parameter: SQS endpoint ARN");
    expect((await fail(sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: "Nope", AttributeValue: "x" })))).message).toBe("Invalid parameter: AttributeName");

    await sns.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn }));
    expect((await fail(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn })))).name).toBe("NotFoundException");
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes).toMatchObject({ SubscriptionsConfirmed: "0", SubscriptionsDeleted: "1" });
  });
});
