// ctx.client.call(..., { onBehalfOf }) : a delivery made as an AWS service principal (SNS -> SQS,
// S3 -> SQS) is authorized by the target's resource policy alone, with aws:SourceArn and
// aws:SourceAccount set, and respects NIMBUS_IAM. The target here is an SQS queue policy.
import { GetQueueUrlCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

let n: TestNimbus;
let off: TestNimbus;
let audit: TestNimbus;
beforeAll(async () => {
  [n, off, audit] = await Promise.all([startNimbus(), startNimbus({ env: { iam: "off" } }), startNimbus({ env: { iam: "audit" } })]);
});
afterAll(() => Promise.all([n.stop(), off.stop(), audit.stop()]));

const TOPIC = (account: string, name = "t") => `arn:aws:sns:us-east-1:${account}:${name}`;

async function queue(t: TestNimbus, account: string, name: string): Promise<{ url: string; arn: string; sqs: SQSClient }> {
  const created = await t.nimbus.client.call<{ QueueUrl: string }>("sqs", "CreateQueue", { QueueName: name }, { accountId: account, region: "us-east-1" });
  return { url: created.QueueUrl, arn: `arn:aws:sqs:us-east-1:${account}:${name}`, sqs: new SQSClient(sdkConfig(t.endpoint, { accountId: account })) };
}

function send(t: TestNimbus, account: string, url: string, body: string, onBehalfOf: { service: string; sourceArn?: string; sourceAccount?: string }) {
  return t.nimbus.client.call<{ MessageId: string }>("sqs", "SendMessage", { QueueUrl: url, MessageBody: body }, { accountId: account, region: "us-east-1", onBehalfOf });
}

async function bodies(sqs: SQSClient, url: string): Promise<string[]> {
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (got.Messages ?? []).map((m) => m.Body ?? "");
}

function snsPolicy(queueArn: string, condition?: Record<string, unknown>, extra: unknown[] = []): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "sns", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, ...(condition ? { Condition: condition } : {}) }, ...extra],
  });
}

describe("in-process calls on behalf of a service principal", () => {
  it("are refused without a resource policy naming the service, even in the queue's own account", async () => {
    const account = freshAccount();
    const q = await queue(n, account, "no-policy");
    const err = await send(n, account, q.url, "x", { service: "sns.amazonaws.com", sourceArn: TOPIC(account) }).catch((e) => e);
    expect(err.code).toBe("AccessDenied");
    expect(err.status ?? err.statusCode ?? 403).toBe(403);
    expect(err.message).toBe(`User: sns.amazonaws.com is not authorized to perform: sqs:sendmessage on resource: ${q.arn} because no resource-based policy allows the sqs:sendmessage action`);
    expect(await bodies(q.sqs, q.url)).toEqual([]);
    // The same call without onBehalfOf is a trusted internal call, as before.
    await n.nimbus.client.call("sqs", "SendMessage", { QueueUrl: q.url, MessageBody: "trusted" }, { accountId: account });
    expect(await bodies(q.sqs, q.url)).toEqual(["trusted"]);
  });

  it("are allowed by a queue policy naming the service, with aws:SourceArn checked", async () => {
    const account = freshAccount();
    const q = await queue(n, account, "sns-target");
    await q.sqs.send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: snsPolicy(q.arn, { ArnEquals: { "aws:SourceArn": TOPIC(account, "allowed") } }) } }));
    const sent = await send(n, account, q.url, "from the topic", { service: "sns.amazonaws.com", sourceArn: TOPIC(account, "allowed") });
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const other = await send(n, account, q.url, "other topic", { service: "sns.amazonaws.com", sourceArn: TOPIC(account, "other") }).catch((e) => e);
    expect(other.code).toBe("AccessDenied");
    const noSource = await send(n, account, q.url, "no source", { service: "sns.amazonaws.com" }).catch((e) => e);
    expect(noSource.code).toBe("AccessDenied");
    // Another service principal is not the one named.
    const s3 = await send(n, account, q.url, "s3", { service: "s3.amazonaws.com", sourceArn: TOPIC(account, "allowed") }).catch((e) => e);
    expect(s3.code).toBe("AccessDenied");
    expect(await bodies(q.sqs, q.url)).toEqual(["from the topic"]);
  });

  it("sets aws:SourceAccount (given, or the account of the source ARN) and honours explicit denies", async () => {
    const owner = freshAccount();
    const stranger = freshAccount();
    const q = await queue(n, owner, "by-account");
    const deny = { Sid: "deny-bad", Effect: "Deny", Principal: "*", Action: "sqs:SendMessage", Resource: q.arn, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::bad-*" } } };
    await q.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: { Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: ["s3.amazonaws.com", "sns.amazonaws.com"] }, Action: "sqs:SendMessage", Resource: q.arn, Condition: { StringEquals: { "aws:SourceAccount": owner } } }, deny] }) },
      }),
    );
    // S3 bucket ARNs carry no account: S3 passes sourceAccount.
    await send(n, owner, q.url, "bucket event", { service: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::good-bucket", sourceAccount: owner });
    // SNS topic ARNs do: aws:SourceAccount is the topic's account.
    await send(n, owner, q.url, "topic message", { service: "sns.amazonaws.com", sourceArn: TOPIC(owner) });
    const foreign = await send(n, owner, q.url, "foreign topic", { service: "sns.amazonaws.com", sourceArn: TOPIC(stranger) }).catch((e) => e);
    expect(foreign.code).toBe("AccessDenied");
    const denied = await send(n, owner, q.url, "bad bucket", { service: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::bad-bucket", sourceAccount: owner }).catch((e) => e);
    expect(denied.code).toBe("AccessDenied");
    expect(denied.message).toContain("with an explicit deny in a resource-based policy");
    expect((await bodies(q.sqs, q.url)).sort()).toEqual(["bucket event", "topic message"]);
  });

  it("is not authorized under NIMBUS_IAM=off, and only logged under audit", async () => {
    for (const t of [off, audit]) {
      const account = freshAccount();
      const q = await queue(t, account, "open");
      await send(t, account, q.url, "delivered", { service: "sns.amazonaws.com", sourceArn: TOPIC(account) });
      expect(await bodies(q.sqs, q.url)).toEqual(["delivered"]);
    }
  });

  it("answers the target's own error when the resource is missing", async () => {
    const account = freshAccount();
    const err = await send(n, account, `${n.endpoint}/${account}/gone`, "x", { service: "sns.amazonaws.com", sourceArn: TOPIC(account) }).catch((e) => e);
    expect(err.code).toBe("QueueDoesNotExist");
    const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: account }));
    expect(await sqs.send(new GetQueueUrlCommand({ QueueName: "gone" })).catch((e) => e.name)).toBe("QueueDoesNotExist");
  });

  it("with authorize, runs the authorize step as the given principal (a service acting with its caller's permissions)", async () => {
    const account = freshAccount();
    const q = await queue(n, account, "as-caller");
    const ghost = { type: "user" as const, accountId: account, arn: `arn:aws:iam::${account}:user/ghost`, userId: "AIDAGHOSTGHOSTGHOST12" };
    const denied = await n.nimbus.client.call("sqs", "SendMessage", { QueueUrl: q.url, MessageBody: "no" }, { principal: ghost, authorize: true }).catch((e) => e);
    expect(denied.code).toBe("AccessDenied");
    expect(denied.message).toContain(`User: ${ghost.arn} is not authorized to perform: sqs:sendmessage`);
    await n.nimbus.client.call("sqs", "SendMessage", { QueueUrl: q.url, MessageBody: "trusted" }, { principal: ghost });
    expect(await bodies(q.sqs, q.url)).toEqual(["trusted"]);
  });
});
