// The seed's Slack lab (proof scenario 1): a Python function, its webhook URL in an environment
// variable, triggered by an upload to a bucket, posts bucket, key and size to a webhook served
// here. S3 invokes it on behalf of s3.amazonaws.com, so the function policy (AddPermission)
// decides, as on AWS.
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
let hook: Server;
let hookUrl: string;
const received: Array<Record<string, unknown>> = [];
const waiters: Array<() => void> = [];
beforeAll(async () => {
  n = await startNimbus();
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url, contentType: req.headers["content-type"], body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((ok) => hook.listen(0, "127.0.0.1", ok));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/services/T000/B000/XXXX`;
});
afterAll(async () => {
  hook.close();
  await n.stop();
});

async function nextMessage(count: number): Promise<void> {
  while (received.length < count) await new Promise<void>((ok) => waiters.push(ok));
}

// What the lab's students write: read the S3 event, post a Slack-style message.
const SLACK_FUNCTION = `import json, os, urllib.request

def handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    key = record["s3"]["object"]["key"]
    size = record["s3"]["object"]["size"]
    message = {"text": "New upload: s3://%s/%s (%d bytes)" % (bucket, key, size), "bucket": bucket, "key": key, "size": size, "event": record["eventName"]}
    req = urllib.request.Request(os.environ["WEBHOOK_URL"], data=json.dumps(message).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return {"status": r.status}
`;

describe("Scenario: S3 upload triggers a Python function that posts to a webhook", () => {
  it("needs the function policy for s3.amazonaws.com, then posts bucket, key and size for each upload", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    const s3 = new S3Client(sdkConfig(n.endpoint, { accountId: account }));
    const bucket = `uploads-${account}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: "notify-slack", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": SLACK_FUNCTION }) }, Environment: { Variables: { WEBHOOK_URL: hookUrl } }, Timeout: 10 }));
    const config = { Bucket: bucket, NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: "to-slack", LambdaFunctionArn: fn.FunctionArn, Events: ["s3:ObjectCreated:*" as const] }] } };
    // 1. Without the permission S3 cannot validate the destination.
    const denied = await s3.send(new PutBucketNotificationConfigurationCommand(config)).catch((e) => e);
    expect(denied.name).toBe("InvalidArgument");
    expect(denied.message).toBe("Unable to validate the following destination configurations");
    // 2. A permission for another bucket does not help either (the SourceArn condition).
    await lambda.send(new AddPermissionCommand({ FunctionName: "notify-slack", StatementId: "other", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::some-other-bucket", SourceAccount: account }));
    expect((await s3.send(new PutBucketNotificationConfigurationCommand(config)).catch((e) => e)).name).toBe("InvalidArgument");
    // 3. The lab's permission: s3.amazonaws.com, this bucket, this account.
    await lambda.send(new AddPermissionCommand({ FunctionName: "notify-slack", StatementId: "s3-invoke", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: `arn:aws:s3:::${bucket}`, SourceAccount: account }));
    await s3.send(new PutBucketNotificationConfigurationCommand(config));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "reports/q3 summary.pdf", Body: Buffer.alloc(1234, 7) }));
    await nextMessage(1);
    expect(received[0]).toEqual({
      path: "/services/T000/B000/XXXX",
      contentType: "application/json",
      body: { text: `New upload: s3://${bucket}/reports/q3+summary.pdf (1234 bytes)`, bucket, key: "reports/q3+summary.pdf", size: 1234, event: "ObjectCreated:Put" },
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "b.txt", Body: "hello" }));
    await nextMessage(2);
    expect(received[1].body).toMatchObject({ bucket, key: "b.txt", size: 5 });
  }, 60_000);
});
