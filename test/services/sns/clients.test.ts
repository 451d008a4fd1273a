// SNS speaks awsQuery: boto3 and the aws CLI create topics, subscribe a queue, publish with
// attributes (the queue receives the envelope) and read AWS's errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients } from "../../clients/support.js";
import { clients as sdk, queueFor, receive } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const BOTO3 = `
import json, sys, boto3, botocore
sns = boto3.client("sns", endpoint_url=sys.argv[1], region_name="us-east-1")
out = {}
arn = sns.create_topic(Name="boto-topic", Attributes={"DisplayName": "Boto"}, Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
out["arn"] = arn
out["again"] = sns.create_topic(Name="boto-topic", Attributes={"DisplayName": "Boto"})["TopicArn"]
out["attrs"] = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=sys.argv[2], Attributes={"FilterPolicy": json.dumps({"kind": ["a"]})}, ReturnSubscriptionArn=True)["SubscriptionArn"]
out["sub"] = sub
out["subattrs"] = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
out["published"] = sns.publish(TopicArn=arn, Message="from boto3", Subject="S", MessageAttributes={"kind": {"DataType": "String", "StringValue": "a"}})["MessageId"]
sns.publish(TopicArn=arn, Message="filtered out", MessageAttributes={"kind": {"DataType": "String", "StringValue": "b"}})
out["topics"] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
out["tags"] = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
try:
    sns.get_topic_attributes(TopicArn=arn + "-missing")
except botocore.exceptions.ClientError as e:
    out["error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
try:
    sns.publish(TopicArn=arn, Message="")
except botocore.exceptions.ClientError as e:
    out["empty"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
print(json.dumps(out))
`;

describe.skipIf(!PYTHON)("boto3", () => {
  const clients = useClients(() => n.endpoint);
  it("creates, subscribes, filters and publishes; the queue receives the envelope", async () => {
    const account = freshAccount();
    const { sqs } = sdk(n, account);
    const topicArn = `arn:aws:sns:us-east-1:${account}:boto-topic`;
    const q = await queueFor(sqs, account, "boto-q", topicArn);
    const out = ok(await clients.python(account, BOTO3, n.endpoint, q.arn));
    expect(out.arn).toBe(topicArn);
    expect(out.again).toBe(topicArn);
    expect(out.attrs).toMatchObject({ TopicArn: topicArn, DisplayName: "Boto", Owner: account });
    expect(out.sub).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
    expect(out.subattrs).toMatchObject({ Protocol: "sqs", Endpoint: q.arn, FilterPolicy: `{"kind": ["a"]}`, PendingConfirmation: "false" });
    expect(out.topics).toEqual([topicArn]);
    expect(out.tags).toEqual([{ Key: "k", Value: "v" }]);
    expect(out.error).toEqual(["NotFound", 404, "Topic does not exist"]);
    expect(out.empty).toEqual(["InvalidParameter", "Invalid parameter: Empty message"]);
    const got = await receive(sqs, q.url, 1);
    expect(got.length).toBe(1);
    expect(JSON.parse(got[0].Body!)).toMatchObject({ Type: "Notification", MessageId: out.published, TopicArn: topicArn, Subject: "S", Message: "from boto3", MessageAttributes: { kind: { Type: "String", Value: "a" } } });
  }, 120_000);
});

describe.skipIf(!AWS)("aws sns", () => {
  const clients = useClients(() => n.endpoint);
  it("create-topic, subscribe, publish, list-subscriptions-by-topic, and the CLI's error format", async () => {
    const account = freshAccount();
    const { sqs } = sdk(n, account);
    const topic = ok(await clients.aws(account, "sns", "create-topic", "--name", "cli-topic")).TopicArn;
    expect(topic).toBe(`arn:aws:sns:us-east-1:${account}:cli-topic`);
    const q = await queueFor(sqs, account, "cli-q", topic);
    const sub = ok(await clients.aws(account, "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", q.arn, "--attributes", "RawMessageDelivery=true")).SubscriptionArn;
    const listed = ok(await clients.aws(account, "sns", "list-subscriptions-by-topic", "--topic-arn", topic)).Subscriptions;
    expect(listed).toEqual([{ SubscriptionArn: sub, Owner: account, Protocol: "sqs", Endpoint: q.arn, TopicArn: topic }]);
    const pub = ok(await clients.aws(account, "sns", "publish", "--topic-arn", topic, "--message", "from the CLI"));
    expect(pub.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await receive(sqs, q.url, 1)).map((m) => m.Body)).toEqual(["from the CLI"]);
    const err = failed(await clients.aws(account, "sns", "publish", "--topic-arn", `${topic}-nope`, "--message", "x"));
    expect(err).toContain("An error occurred (NotFound) when calling the Publish operation: Topic does not exist");
  }, 120_000);
});
