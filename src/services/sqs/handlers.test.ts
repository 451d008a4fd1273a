// Unit tests of the SQS handlers against a real SQLite database and a Nimbus clock, without
// HTTP: the receive algorithm (visibility, FIFO groups, DLQ moves), long-poll wake-ups and
// receipt handles. The wire-level behaviour is covered by test/services/sqs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clock } from "../../core/clock/clock.js";
import { EventBus } from "../../core/events/bus.js";
import { migrate, openDatabase, type Db } from "../../core/state/database.js";
import { DocStore } from "../../core/state/doc-store.js";
import type { RequestContext } from "../../core/service.js";
import { AwsError } from "../../core/errors.js";
import { sqs } from "./service.js";
import { decodeReceipt, encodeReceipt } from "./receipt.js";
import { closeRuntimes } from "./runtime.js";

let dir: string;
let db: Db;
const clock = new Clock();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nimbus-sqs-unit-"));
  db = openDatabase(dir);
  migrate(db, "sqs", sqs.migrations!);
});
afterAll(() => {
  closeRuntimes(db);
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

let accountSeq = 100_000_000_000;
function ctx(accountId = String(accountSeq++)): RequestContext {
  return {
    requestId: "r",
    startedAt: 0n,
    clock,
    service: "sqs",
    operation: "x",
    protocol: "awsJson1_0",
    region: "us-east-1",
    accountId,
    principal: { type: "root", accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId },
    store: new DocStore(db, "sqs", `${accountId}/us-east-1`),
    db,
    blobs: undefined as never,
    events: new EventBus(),
    client: undefined as never,
    endpoint: "http://localhost:4566",
    headers: {},
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = async (c: RequestContext, op: string, input: Record<string, unknown>): Promise<any> => sqs.handlers[op](input, c);

async function thrown(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error("expected an AwsError");
}

describe("receipt handles", () => {
  it("round-trip and reject garbage", () => {
    const h = encodeReceipt({ queueId: 7, seq: 12345, nonce: "0123456789abcdef01234567" });
    expect(decodeReceipt(h)).toEqual({ queueId: 7, seq: 12345, nonce: "0123456789abcdef01234567" });
    expect(decodeReceipt("garbage")).toBeUndefined();
    expect(decodeReceipt("AQEBnotbase64!!")).toBeUndefined();
  });
});

describe("handlers", () => {
  it("send, receive, hide, reappear with the clock, delete", async () => {
    const c = ctx();
    const { QueueUrl } = await call(c, "CreateQueue", { QueueName: "q" });
    expect(QueueUrl).toBe(`http://localhost:4566/${c.accountId}/q`);
    const sent = await call(c, "SendMessage", { QueueUrl, MessageBody: "hello" });
    expect(sent.MD5OfMessageBody).toBe("5d41402abc4b2a76b9719d911017c592");
    const r1 = await call(c, "ReceiveMessage", { QueueUrl });
    expect(r1.Messages).toHaveLength(1);
    expect((await call(c, "ReceiveMessage", { QueueUrl })).Messages).toEqual([]);
    clock.advance(31_000);
    const r2 = await call(c, "ReceiveMessage", { QueueUrl, AttributeNames: ["ApproximateReceiveCount"] });
    expect(r2.Messages[0].Attributes).toEqual({ ApproximateReceiveCount: "2" });
    await call(c, "DeleteMessage", { QueueUrl, ReceiptHandle: r1.Messages[0].ReceiptHandle });
    const attrs = await call(c, "GetQueueAttributes", { QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] });
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
  });

  it("FIFO: group order, group lock, DLQ move unblocks the group", async () => {
    const c = ctx();
    const { QueueUrl: dlq } = await call(c, "CreateQueue", { QueueName: "d.fifo", Attributes: { FifoQueue: "true" } });
    const { QueueUrl } = await call(c, "CreateQueue", {
      QueueName: "f.fifo",
      Attributes: { FifoQueue: "true", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${c.accountId}:d.fifo`, maxReceiveCount: 1 }) },
    });
    for (const [b, g] of [
      ["a1", "A"],
      ["b1", "B"],
      ["a2", "A"],
    ]) {
      await call(c, "SendMessage", { QueueUrl, MessageBody: b, MessageGroupId: g, MessageDeduplicationId: b });
    }
    const first = await call(c, "ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 1 });
    expect(first.Messages.map((m: { Body: string }) => m.Body)).toEqual(["a1"]);
    const second = await call(c, "ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10 });
    expect(second.Messages.map((m: { Body: string }) => m.Body)).toEqual(["b1"]);
    clock.advance(31_000);
    // a1 and b1 were received once (maxReceiveCount 1): both move to the DLQ; a2 is next
    const third = await call(c, "ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10 });
    expect(third.Messages.map((m: { Body: string }) => m.Body)).toEqual(["a2"]);
    const dead = await call(c, "ReceiveMessage", { QueueUrl: dlq, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] });
    expect(dead.Messages.map((m: { Body: string }) => m.Body)).toEqual(["a1", "b1"]);
    expect(dead.Messages[0].Attributes.DeadLetterQueueSourceArn).toBe(`arn:aws:sqs:us-east-1:${c.accountId}:f.fifo`);
  });

  it("a long poll is woken by a send, without polling", async () => {
    const c = ctx();
    const { QueueUrl } = await call(c, "CreateQueue", { QueueName: "lp" });
    const started = performance.now();
    const pending = call(c, "ReceiveMessage", { QueueUrl, WaitTimeSeconds: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await call(c, "SendMessage", { QueueUrl, MessageBody: "now" });
    const out = await pending;
    expect(out.Messages.map((m: { Body: string }) => m.Body)).toEqual(["now"]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("errors carry the model's shape names and AWS's messages", async () => {
    const c = ctx();
    const e = await thrown(call(c, "GetQueueUrl", { QueueName: "nope" }));
    expect([e.code, e.message]).toEqual(["QueueDoesNotExist", "The specified queue does not exist."]);
    const q = await thrown(call({ ...c, protocol: "awsQuery" }, "GetQueueUrl", { QueueName: "nope" }));
    expect(q.message).toBe("The specified queue does not exist for this wsdl version.");
    const { QueueUrl } = await call(c, "CreateQueue", { QueueName: "e" });
    const bad = await thrown(call(c, "DeleteMessage", { QueueUrl, ReceiptHandle: "x" }));
    expect([bad.code, bad.message]).toEqual(["ReceiptHandleIsInvalid", 'The input receipt handle "x" is not a valid receipt handle.']);
  });
});
