// The core SQS flow through the clients that speak the query protocol: the aws CLI (Debian's
// awscli 2.9) and boto3 (Debian's python3-boto3). Prefers the Debian binaries in /usr/bin; each
// suite is skipped only when its client is not installed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { freshAccount, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients } from "./support.js";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);
const aws = async (account: string, ...args: string[]) => ok(await clients.aws(account, "sqs", ...args));
const awsFails = async (account: string, ...args: string[]) => failed(await clients.aws(account, "sqs", ...args));

describe.skipIf(!AWS)("aws CLI (query protocol)", () => {
  it("create-queue, send-message, receive-message, delete-message", async () => {
    const account = freshAccount();
    const created = await aws(account, "create-queue", "--queue-name", "cli-queue", "--attributes", "VisibilityTimeout=40");
    expect(created.QueueUrl).toBe(`${n.endpoint}/${account}/cli-queue`);
    const url = created.QueueUrl as string;

    const sent = await aws(
      account,
      "send-message",
      "--queue-url",
      url,
      "--message-body",
      "hello <cli> & friends",
      "--message-attributes",
      JSON.stringify({ k: { DataType: "String", StringValue: "v" }, n: { DataType: "Number", StringValue: "3" } }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5("hello <cli> & friends"));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);

    const got = await aws(account, "receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All", "--wait-time-seconds", "1");
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages[0];
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.Body).toBe("hello <cli> & friends");
    expect(m.MD5OfBody).toBe(sent.MD5OfMessageBody);
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m.MessageAttributes).toEqual({ k: { DataType: "String", StringValue: "v" }, n: { DataType: "Number", StringValue: "3" } });
    expect(m.Attributes.ApproximateReceiveCount).toBe("1");
    expect(m.Attributes.SenderId).toBe(account);

    const attrs = await aws(account, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All");
    expect(attrs.Attributes).toMatchObject({ VisibilityTimeout: "40", ApproximateNumberOfMessagesNotVisible: "1", QueueArn: `arn:aws:sqs:us-east-1:${account}:cli-queue` });

    await aws(account, "delete-message", "--queue-url", url, "--receipt-handle", m.ReceiptHandle);
    const after = await aws(account, "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible");
    expect(after.Attributes).toEqual({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });

    const listed = await aws(account, "list-queues", "--queue-name-prefix", "cli-");
    expect(listed.QueueUrls).toEqual([url]);
    await aws(account, "delete-queue", "--queue-url", url);
  }, 120_000);

  it("FIFO queue and AWS's errors through the CLI", async () => {
    const account = freshAccount();
    const { QueueUrl: url } = await aws(account, "create-queue", "--queue-name", "cli.fifo", "--attributes", "FifoQueue=true,ContentBasedDeduplication=true");
    const a = await aws(account, "send-message", "--queue-url", url, "--message-body", "one", "--message-group-id", "g");
    const b = await aws(account, "send-message", "--queue-url", url, "--message-body", "one", "--message-group-id", "g");
    expect(b.MessageId).toBe(a.MessageId);
    expect(a.SequenceNumber).toMatch(/^\d{20}$/);
    const got = await aws(account, "receive-message", "--queue-url", url, "--max-number-of-messages", "10");
    expect(got.Messages.map((m: { Body: string }) => m.Body)).toEqual(["one"]);

    const missing = await awsFails(account, "get-queue-url", "--queue-name", "does-not-exist");
    expect(missing).toContain("AWS.SimpleQueueService.NonExistentQueue");
    expect(missing).toContain("The specified queue does not exist for this wsdl version.");
    const noGroup = await awsFails(account, "send-message", "--queue-url", url, "--message-body", "x");
    expect(noGroup).toContain("MissingParameter");
  }, 120_000);
});

const BOTO3_SCRIPT = `
import json, sys, boto3
from botocore.exceptions import ClientError
endpoint = sys.argv[1]
sqs = boto3.client("sqs", endpoint_url=endpoint)
out = {"protocol": sqs.meta.service_model.protocol}
url = sqs.create_queue(QueueName="boto-queue", Attributes={"DelaySeconds": "0"}, tags={"via": "boto3"})["QueueUrl"]
out["url"] = url
sent = sqs.send_message(QueueUrl=url, MessageBody="from boto3 \\u00e9", MessageAttributes={
    "bin": {"DataType": "Binary", "BinaryValue": b"\\x00\\x01\\xff"},
    "s": {"DataType": "String", "StringValue": "v"},
})
out["sent"] = {k: sent[k] for k in ("MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes")}
batch = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b1"}, {"Id": "b", "MessageBody": "b2"}])
out["batch"] = sorted(e["Id"] for e in batch["Successful"])
got = []
for _ in range(5):
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"], AttributeNames=["All"])
    got.extend(r.get("Messages", []))
    if len(got) >= 3:
        break
out["received"] = sorted(m["Body"] for m in got)
first = [m for m in got if m["MessageId"] == sent["MessageId"]][0]
out["bin"] = list(first["MessageAttributes"]["bin"]["BinaryValue"])
out["md5attrs"] = first["MD5OfMessageAttributes"]
deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
out["deleted"] = len(deleted["Successful"])
out["tags"] = sqs.list_queue_tags(QueueUrl=url).get("Tags")
out["count"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
try:
    sqs.purge_queue(QueueUrl=url)
    sqs.purge_queue(QueueUrl=url)
except ClientError as e:
    out["purgeError"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
print(json.dumps(out))
`;

describe.skipIf(!PYTHON)("boto3", () => {
  it("runs the core flow", async () => {
    const account = freshAccount();
    const out = ok(await clients.python(account, BOTO3_SCRIPT, n.endpoint));
    expect(out.url).toBe(`${n.endpoint}/${account}/boto-queue`);
    expect(out.sent.MD5OfMessageBody).toBe(md5("from boto3 é"));
    expect(out.batch).toEqual(["a", "b"]);
    expect(out.received).toEqual(["b1", "b2", "from boto3 é"]);
    expect(out.bin).toEqual([0, 1, 255]);
    expect(out.md5attrs).toBe(out.sent.MD5OfMessageAttributes);
    expect(out.deleted).toBe(3);
    expect(out.tags).toEqual({ via: "boto3" });
    expect(out.count).toEqual({ ApproximateNumberOfMessages: "0" });
    expect(out.purgeError).toEqual(["AWS.SimpleQueueService.PurgeQueueInProgress", 403, "Only one PurgeQueue operation on boto-queue is allowed every 60 seconds."]);
  }, 120_000);
});
