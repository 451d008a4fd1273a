// SNS -> Lambda: the function is invoked asynchronously with the SNS event
// ({Records:[{EventSource:"aws:sns", Sns:{...}}]}) as sns.amazonaws.com, so its function policy
// (AddPermission with the topic as SourceArn) decides, as on AWS.
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "../lambda/zip-writer.js";
import { clients } from "./helpers.js";

let n: TestNimbus;
let hook: Server;
let hookUrl: string;
const received: Array<Record<string, any>> = [];
const waiters: Array<() => void> = [];
beforeAll(async () => {
  n = await startNimbus();
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
afterAll(async () => {
  hook.close();
  await n.stop();
});

const FORWARD = `import json, os, urllib.request

def handler(event, context):
    req = urllib.request.Request(os.environ["SINK"], data=json.dumps(event).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return {"status": r.status}
`;

describe("Lambda subscriptions", () => {
  it("invoke the function with the SNS event once its policy allows the topic", async () => {
    const account = freshAccount();
    const { sns } = clients(n, account);
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: "on-news", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": FORWARD }) }, Environment: { Variables: { SINK: hookUrl } }, Timeout: 10 }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "news" }));
    const other = (await sns.send(new CreateTopicCommand({ Name: "other" }))).TopicArn;
    await lambda.send(new AddPermissionCommand({ FunctionName: "on-news", StatementId: "sns", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com", SourceArn: TopicArn }));
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "lambda", Endpoint: fn.FunctionArn }));
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    await sns.send(new SubscribeCommand({ TopicArn: other, Protocol: "lambda", Endpoint: fn.FunctionArn }));
    // The function policy names "news" only: a delivery from "other" is refused (and not retried).
    await sns.send(new PublishCommand({ TopicArn: other, Message: "refused" }));
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: "allowed", Subject: "Hi", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } }));
    while (received.length < 1) await new Promise<void>((ok) => waiters.push(ok));
    expect(received.length).toBe(1);
    const record = received[0].Records[0];
    expect(record).toMatchObject({ EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: SubscriptionArn });
    expect(record.Sns).toMatchObject({ Type: "Notification", MessageId, TopicArn, Subject: "Hi", Message: "allowed", SignatureVersion: "1", MessageAttributes: { k: { Type: "String", Value: "v" } } });
    expect(Object.keys(record.Sns)).toEqual(["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes"]);
  }, 60_000);
});
