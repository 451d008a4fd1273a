// SNS delivery end to end: SQS subscriptions receive the real signed envelope (or the raw
// message with its attributes), filter policies and MessageStructure=json choose what each
// gets, FIFO topics keep groups and deduplicate, a queue whose policy does not allow the topic
// gets nothing, HTTP endpoints confirm through SubscribeURL and are retried on the Nimbus clock
// (across a restart), email-json lands in the outbox.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { X509Certificate, createVerify } from "node:crypto";
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SubscribeCommand, SetSubscriptionAttributesCommand, GetSubscriptionAttributesCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { clients, queueFor, receive } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const advance = advanceClock;

/** The string SNS signs (SignatureVersion 1) for a Notification. */
function stringToSign(m: Record<string, string>): string {
  return ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"].filter((k) => m[k] !== undefined).map((k) => `${k}\n${m[k]}\n`).join("");
}

describe("SQS subscriptions", () => {
  it("receive the signed SNS envelope", async () => {
    const account = freshAccount();
    const { sns, sqs } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "news" }));
    const q = await queueFor(sqs, account, "news-q", TopicArn);
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn }));
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: "hello ☃", Subject: "Greetings", MessageAttributes: { color: { DataType: "String", StringValue: "blue" }, n: { DataType: "Number", StringValue: "3" }, b: { DataType: "Binary", BinaryValue: Buffer.from([1, 2]) } } }));
    const [m] = await receive(sqs, q.url, 1);
    const env = JSON.parse(m.Body!) as Record<string, any>;
    expect(Object.keys(env)).toEqual(["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]);
    expect(env).toMatchObject({ Type: "Notification", MessageId, TopicArn, Subject: "Greetings", Message: "hello ☃", SignatureVersion: "1" });
    expect(env.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(env.MessageAttributes).toEqual({ color: { Type: "String", Value: "blue" }, n: { Type: "Number", Value: "3" }, b: { Type: "Binary", Value: "AQI=" } });
    expect(env.UnsubscribeURL).toBe(`${n.endpoint}/_sns/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(SubscriptionArn!)}`);
    // The signature verifies with the certificate at SigningCertURL.
    const pem = await (await fetch(env.SigningCertURL)).text();
    const cert = new X509Certificate(pem);
    expect(createVerify("RSA-SHA1").update(stringToSign(env)).verify(cert.publicKey, env.Signature, "base64")).toBe(true);
    expect(createVerify("RSA-SHA1").update(stringToSign({ ...env, Message: "forged" })).verify(cert.publicKey, env.Signature, "base64")).toBe(false);
  });

  it("with RawMessageDelivery receive the message and its attributes as SQS attributes", async () => {
    const account = freshAccount();
    const { sns, sqs } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "raw" }));
    const q = await queueFor(sqs, account, "raw-q", TopicArn);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } }));
    await sns.send(new PublishCommand({ TopicArn, Message: "raw body", MessageAttributes: { color: { DataType: "String", StringValue: "red" }, bin: { DataType: "Binary", BinaryValue: Buffer.from("xyz") } } }));
    const [m] = await receive(sqs, q.url, 1, { attributes: true });
    expect(m.Body).toBe("raw body");
    expect(m.MessageAttributes?.color).toEqual({ DataType: "String", StringValue: "red" });
    expect(Buffer.from(m.MessageAttributes!.bin.BinaryValue!).toString()).toBe("xyz");
  });

  it("get only what their filter policy and MessageStructure=json choose", async () => {
    const account = freshAccount();
    const { sns, sqs } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "filtered" }));
    const byAttr = await queueFor(sqs, account, "by-attr", TopicArn);
    const byBody = await queueFor(sqs, account, "by-body", TopicArn);
    const all = await queueFor(sqs, account, "all", TopicArn);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: byAttr.arn, Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ kind: ["order", { prefix: "refund-" }], price: [{ numeric: [">=", 100] }], region: [{ "anything-but": ["eu"] }] }) } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: byBody.arn, Attributes: { RawMessageDelivery: "true", FilterPolicyScope: "MessageBody", FilterPolicy: JSON.stringify({ order: { status: ["shipped"], items: { sku: [{ prefix: "A-" }] } } }) } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: all.arn, Attributes: { RawMessageDelivery: "true" } }));
    const attr = (kind: string, price: string, region = "us") => ({ kind: { DataType: "String", StringValue: kind }, price: { DataType: "Number", StringValue: price }, region: { DataType: "String", StringValue: region } });
    await sns.send(new PublishCommand({ TopicArn, Message: "big order", MessageAttributes: attr("order", "150") }));
    await sns.send(new PublishCommand({ TopicArn, Message: "small order", MessageAttributes: attr("order", "5") }));
    await sns.send(new PublishCommand({ TopicArn, Message: "refund", MessageAttributes: attr("refund-full", "100") }));
    await sns.send(new PublishCommand({ TopicArn, Message: "eu order", MessageAttributes: attr("order", "500", "eu") }));
    await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { status: "shipped", items: [{ sku: "B-1" }, { sku: "A-7" }] } }) }));
    await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { status: "pending", items: [{ sku: "A-7" }] } }) }));
    await sns.send(new PublishCommand({ TopicArn, MessageStructure: "json", Message: JSON.stringify({ default: "for everyone", sqs: "for queues" }) }));
    const everything = await receive(sqs, all.url, 7);
    expect(everything.length).toBe(7);
    expect(everything.map((m) => m.Body)).toContain("for queues");
    expect(everything.map((m) => m.Body)).not.toContain("for everyone");
    expect((await receive(sqs, byAttr.url, 2)).map((m) => m.Body).sort()).toEqual(["big order", "refund"]);
    expect((await receive(sqs, byBody.url, 1)).map((m) => JSON.parse(m.Body!).order.status)).toEqual(["shipped"]);
    // Nothing else arrived in the filtered queues.
    for (const url of [byAttr.url, byBody.url]) expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
  });

  it("get nothing when the queue policy does not let the topic send (as on AWS)", async () => {
    const account = freshAccount();
    const { sns, sqs } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "guarded" }));
    const { QueueUrl: closedUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "closed" }));
    const other = await queueFor(sqs, account, "for-another-topic", `arn:aws:sns:us-east-1:${account}:another`);
    const open = await queueFor(sqs, account, "open", TopicArn);
    for (const Endpoint of [`arn:aws:sqs:us-east-1:${account}:closed`, other.arn, open.arn]) await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint }));
    await sns.send(new PublishCommand({ TopicArn, Message: "guarded message" }));
    expect((await receive(sqs, open.url, 1)).length).toBe(1);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: closedUrl, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: other.url, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
  });

  it("FIFO topics deliver in group order to FIFO queues and deduplicate within 5 minutes", async () => {
    const account = freshAccount();
    const { sns, sqs } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "ledger.fifo", Attributes: { FifoTopic: "true" } }));
    const q = await queueFor(sqs, account, "ledger.fifo", TopicArn, { FifoQueue: "true" });
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } }));
    expect((await sns.send(new PublishCommand({ TopicArn, Message: "x" })).catch((e) => e)).message).toBe("Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
    expect((await sns.send(new PublishCommand({ TopicArn, Message: "x", MessageGroupId: "g" })).catch((e) => e)).message).toBe(
      "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    );
    const first = await sns.send(new PublishCommand({ TopicArn, Message: "one", MessageGroupId: "acct-1", MessageDeduplicationId: "d1" }));
    const dup = await sns.send(new PublishCommand({ TopicArn, Message: "one again", MessageGroupId: "acct-1", MessageDeduplicationId: "d1" }));
    const second = await sns.send(new PublishCommand({ TopicArn, Message: "two", MessageGroupId: "acct-1", MessageDeduplicationId: "d2" }));
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    expect(dup).toMatchObject({ MessageId: first.MessageId, SequenceNumber: first.SequenceNumber });
    expect(BigInt(second.SequenceNumber!)).toBeGreaterThan(BigInt(first.SequenceNumber!));
    const got = await receive(sqs, q.url, 2, { attributes: true });
    expect(got.map((m) => m.Body)).toEqual(["one", "two"]);
    expect(got[0].Attributes?.MessageGroupId).toBe("acct-1");
    await advance(n, "PT6M");
    const later = await sns.send(new PublishCommand({ TopicArn, Message: "one later", MessageGroupId: "acct-1", MessageDeduplicationId: "d1" }));
    expect(later.MessageId).not.toBe(first.MessageId);
  });

  it("PublishBatch publishes each entry and reports failures per entry", async () => {
    const account = freshAccount();
    const { sns, sqs } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "batch" }));
    const q = await queueFor(sqs, account, "batch-q", TopicArn);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } }));
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: "a", Message: "first" },
          { Id: "b", Message: "bad", Subject: "line\nbreak" },
          { Id: "c", Message: "third" },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id)).toEqual(["a", "c"]);
    expect(out.Failed).toEqual([{ Id: "b", Code: "InvalidParameter", Message: "Invalid parameter: Subject", SenderFault: true }]);
    expect((await receive(sqs, q.url, 2)).map((m) => m.Body).sort()).toEqual(["first", "third"]);
    const dupIds = await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: "x", Message: "1" }, { Id: "x", Message: "2" }] })).catch((e) => e);
    expect(dupIds.name).toBe("BatchEntryIdsNotDistinctException");
  });
});

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** An HTTP endpoint that records what it receives and answers `status()` (200 by default). */
function endpoint(): Promise<{ url: string; server: Server; got: Received[]; next(count: number): Promise<Received[]>; status: { code: number } }> {
  const got: Received[] = [];
  const waiters: Array<() => void> = [];
  const status = { code: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status.code).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/hook`,
        server,
        got,
        status,
        next: (count) =>
          new Promise((done) => {
            const check = () => (got.length >= count ? done(got.slice(0, count)) : waiters.push(check));
            check();
          }),
      });
    });
  });
}

describe("HTTP subscriptions", () => {
  it("confirm through SubscribeURL, then receive notifications with SNS's headers", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "web" }));
    const ep = await endpoint();
    try {
      const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: ep.url, ReturnSubscriptionArn: true }));
      const [conf] = await ep.next(1);
      expect(conf.headers["x-amz-sns-message-type"]).toBe("SubscriptionConfirmation");
      expect(conf.headers["x-amz-sns-topic-arn"]).toBe(TopicArn);
      expect(conf.headers["content-type"]).toBe("text/plain; charset=UTF-8");
      const c = JSON.parse(conf.body) as Record<string, string>;
      expect(c).toMatchObject({ Type: "SubscriptionConfirmation", TopicArn, SignatureVersion: "1" });
      expect(c.Token).toMatch(/^[0-9a-f]{128}$/);
      expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes!.PendingConfirmation).toBe("true");
      // Publishing before confirmation delivers nothing to a pending subscription.
      await sns.send(new PublishCommand({ TopicArn, Message: "too early" }));
      const visit = await fetch(c.SubscribeURL);
      expect(visit.status).toBe(200);
      expect(await visit.text()).toContain(`<SubscriptionArn>${sub.SubscriptionArn}</SubscriptionArn>`);
      expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes!.PendingConfirmation).toBe("false");

      const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: "to the web", Subject: "s" }));
      const [, note] = await ep.next(2);
      expect(note.headers["x-amz-sns-message-type"]).toBe("Notification");
      expect(note.headers["x-amz-sns-subscription-arn"]).toBe(sub.SubscriptionArn);
      expect(note.headers["x-amz-sns-message-id"]).toBe(MessageId);
      expect(JSON.parse(note.body)).toMatchObject({ Type: "Notification", MessageId, Message: "to the web", Subject: "s" });
      expect(ep.got.length).toBe(2);
    } finally {
      ep.server.close();
    }
  });

  it("are retried per the delivery policy on the Nimbus clock, and survive a restart", async () => {
    const t = await startNimbus();
    const ep = await endpoint();
    let restarted: TestNimbus | undefined;
    try {
      const account = freshAccount();
      const { sns } = clients(t, account);
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "flaky" }));
      const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: ep.url, ReturnSubscriptionArn: true }));
      const [conf] = await ep.next(1);
      expect((await fetch(JSON.parse(conf.body).SubscribeURL)).status).toBe(200);
      await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: "RawMessageDelivery", AttributeValue: "true" }));
      ep.status.code = 500;
      await sns.send(new PublishCommand({ TopicArn, Message: "eventually" }));
      const [, firstTry] = await ep.next(2);
      expect(firstTry.body).toBe("eventually");
      expect(firstTry.headers["x-amz-sns-rawdelivery"]).toBe("true");
      // The retry is due 20 s later on the Nimbus clock; restart before it.
      await t.stop({ keepData: true });
      restarted = await startNimbus({ dataDir: t.dataDir });
      ep.status.code = 200;
      await advance(restarted, "PT21S");
      const [, , retried] = await ep.next(3);
      expect(retried.body).toBe("eventually");
      expect(retried.headers["x-amz-sns-message-id"]).toBe(firstTry.headers["x-amz-sns-message-id"]);
    } finally {
      ep.server.close();
      await (restarted ?? t).stop();
    }
  });
});

describe("email-json subscriptions", () => {
  it("are recorded in the outbox (GET /_sns/outbox), confirmation included", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "mail" }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "email-json", Endpoint: `ops-${account}@example.com` }));
    const outbox = async () => ((await (await fetch(`${n.endpoint}/_sns/outbox`)).json()) as { messages: Array<{ endpoint: string; protocol: string; body: string }> }).messages.filter((m) => m.endpoint === `ops-${account}@example.com`);
    let mails: Awaited<ReturnType<typeof outbox>> = [];
    for (let i = 0; i < 50 && mails.length < 1; i++) mails = await outbox();
    const confirmation = JSON.parse(mails[0].body);
    expect(confirmation).toMatchObject({ Type: "SubscriptionConfirmation", TopicArn });
    expect((await fetch(confirmation.SubscribeURL)).status).toBe(200);
    await sns.send(new PublishCommand({ TopicArn, Message: "mail body", Subject: "Alert" }));
    for (let i = 0; i < 50 && mails.length < 2; i++) mails = await outbox();
    expect(mails.map((m) => m.protocol)).toEqual(["email-json", "email-json"]);
    expect(JSON.parse(mails[1].body)).toMatchObject({ Type: "Notification", Subject: "Alert", Message: "mail body" });
  });
});
