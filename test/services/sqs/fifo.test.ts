// FIFO queues: ordering within message groups, group locking while a message is in flight,
// deduplication (explicit ids and content-based, 5-minute window, scopes), sequence numbers,
// ReceiveRequestAttemptId, and the FIFO-only errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advance, codeOf, counts, createQueue, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function receive(c: SQSClient, url: string, extra: Record<string, unknown> = {}) {
  const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"], ...extra }));
  return out.Messages ?? [];
}

async function send(c: SQSClient, url: string, body: string, group: string, dedup?: string) {
  return c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup ?? body }));
}

describe("FIFO ordering and message groups", () => {
  it("delivers a group in order and locks it while a message is in flight", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "orders.fifo", { FifoQueue: "true" });
    const seqs: string[] = [];
    for (let i = 1; i <= 5; i++) seqs.push((await send(c, url, `g1-m${i}`, "g1")).SequenceNumber!);
    for (const s of seqs) expect(s).toMatch(/^\d{20}$/);
    for (let i = 1; i < seqs.length; i++) expect(BigInt(seqs[i])).toBeGreaterThan(BigInt(seqs[i - 1]));

    const first = await receive(c, url, { MaxNumberOfMessages: 2 });
    expect(first.map((m) => m.Body)).toEqual(["g1-m1", "g1-m2"]);
    expect(first[0].Attributes).toMatchObject({ MessageGroupId: "g1", MessageDeduplicationId: "g1-m1", SequenceNumber: seqs[0], ApproximateReceiveCount: "1" });
    // the group is locked while m1 and m2 are in flight
    expect(await receive(c, url)).toEqual([]);
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0].ReceiptHandle }));
    expect(await receive(c, url)).toEqual([]);
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[1].ReceiptHandle }));
    expect((await receive(c, url)).map((m) => m.Body)).toEqual(["g1-m3", "g1-m4", "g1-m5"]);
  });

  it("other groups flow while one is locked; a timed-out group returns in order", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "groups.fifo", { FifoQueue: "true" });
    await send(c, url, "a1", "A");
    await send(c, url, "b1", "B");
    await send(c, url, "a2", "A");
    await send(c, url, "b2", "B");
    const one = await receive(c, url, { MaxNumberOfMessages: 1 });
    expect(one.map((m) => m.Body)).toEqual(["a1"]);
    const rest = await receive(c, url);
    expect(rest.map((m) => m.Body)).toEqual(["b1", "b2"]);
    expect(await counts(c, url)).toEqual({ visible: 1, inflight: 3, delayed: 0 });
    await advance(n, "PT31S");
    const again = await receive(c, url);
    expect(again.map((m) => m.Body)).toEqual(["a1", "a2", "b1", "b2"]);
    expect(again[0].Attributes!.ApproximateReceiveCount).toBe("2");
  });

  it("ChangeMessageVisibility 0 releases the group to the next receiver", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "release.fifo", { FifoQueue: "true" });
    await send(c, url, "x1", "X");
    await send(c, url, "x2", "X");
    const [m] = await receive(c, url, { MaxNumberOfMessages: 1 });
    expect(await receive(c, url)).toEqual([]);
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await receive(c, url)).map((x) => x.Body)).toEqual(["x1", "x2"]);
  });

  it("an expired FIFO receipt handle cannot delete", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "expired.fifo", { FifoQueue: "true" });
    await send(c, url, "g1-m1", "g1");
    const [m] = await receive(c, url, { VisibilityTimeout: 5 });
    await advance(n, "PT6S");
    const e = await failure(c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle })));
    expect(codeOf(e)).toBe("InvalidParameterValue");
    expect(e.message).toBe(`Value ${m.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    const [again] = await receive(c, url);
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle }));
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });
});

describe("FIFO deduplication", () => {
  it("drops a duplicate MessageDeduplicationId for 5 minutes, even after delete", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "dedup.fifo", { FifoQueue: "true" });
    const a = await send(c, url, "first", "g", "same");
    const b = await send(c, url, "second", "g", "same");
    expect(b.MessageId).toBe(a.MessageId);
    expect(b.SequenceNumber).toBe(a.SequenceNumber);
    expect(b.MD5OfMessageBody).toBe(createHash("md5").update("second").digest("hex"));
    const [m] = await receive(c, url);
    expect(m.Body).toBe("first");
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    await send(c, url, "third", "g", "same");
    expect(await receive(c, url)).toEqual([]);
    await advance(n, "PT5M1S");
    await send(c, url, "fourth", "g", "same");
    expect((await receive(c, url)).map((x) => x.Body)).toEqual(["fourth"]);
  });

  it("content-based deduplication hashes the body with SHA-256", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "cbd.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true" });
    const a = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"foo":"bar"}', MessageGroupId: "g1" }));
    const b = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"foo":"bar"}', MessageGroupId: "g2" }));
    expect(b.MessageId).toBe(a.MessageId);
    const [m] = await receive(c, url);
    expect(m.MD5OfBody).toBe(createHash("md5").update('{"foo":"bar"}').digest("hex"));
    expect(m.Attributes!.MessageDeduplicationId).toBe(createHash("sha256").update('{"foo":"bar"}').digest("hex"));
    expect(await receive(c, url)).toEqual([]);
  });

  it("DeduplicationScope messageGroup deduplicates per group", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "scope.fifo", { FifoQueue: "true", DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" });
    const a = await send(c, url, "one", "g1", "d");
    const b = await send(c, url, "two", "g2", "d");
    const dup = await send(c, url, "three", "g1", "d");
    expect(b.MessageId).not.toBe(a.MessageId);
    expect(dup.MessageId).toBe(a.MessageId);
    expect((await receive(c, url)).map((m) => m.Body)).toEqual(["one", "two"]);
  });

  it("deduplicates inside a batch and returns sequence numbers", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "batch.fifo", { FifoQueue: "true" });
    const out = await c.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a", MessageBody: "1", MessageGroupId: "g", MessageDeduplicationId: "d1" },
          { Id: "b", MessageBody: "2", MessageGroupId: "g", MessageDeduplicationId: "d2" },
          { Id: "c", MessageBody: "1 again", MessageGroupId: "g", MessageDeduplicationId: "d1" },
        ],
      }),
    );
    expect(out.Failed).toEqual([]);
    expect(out.Successful!.length).toBe(3);
    expect(out.Successful![2].MessageId).toBe(out.Successful![0].MessageId);
    expect(out.Successful![2].SequenceNumber).toBe(out.Successful![0].SequenceNumber);
    expect(BigInt(out.Successful![1].SequenceNumber!)).toBeGreaterThan(BigInt(out.Successful![0].SequenceNumber!));
    expect((await receive(c, url)).map((m) => m.Body)).toEqual(["1", "2"]);
  });
});

describe("FIFO errors and ReceiveRequestAttemptId", () => {
  it("requires MessageGroupId and a deduplication id, and refuses per-message delays", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "errors.fifo", { FifoQueue: "true" });
    const noGroup = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageDeduplicationId: "d" })));
    expect(codeOf(noGroup)).toBe("MissingParameter");
    expect(noGroup.message).toBe("The request must contain the parameter MessageGroupId.");
    const noDedup = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g" })));
    expect(codeOf(noDedup)).toBe("InvalidParameterValue");
    expect(noDedup.message).toBe("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
    const delay = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d", DelaySeconds: 2 })));
    expect(delay.message).toBe("Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d", DelaySeconds: 0 }));
    const batch = await failure(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "x", MessageDeduplicationId: "d" }] })));
    expect(codeOf(batch)).toBe("InvalidParameterValue");
    expect(batch.message).toBe("The request must contain the parameter MessageGroupId.");
    const badGroup = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g ".repeat(2), MessageDeduplicationId: "d" })));
    expect(codeOf(badGroup)).toBe("InvalidParameterValue");
  });

  it("queue-level DelaySeconds applies to FIFO messages", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "delay.fifo", { FifoQueue: "true", DelaySeconds: "20" });
    await send(c, url, "later", "g");
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 1 });
    expect(await receive(c, url)).toEqual([]);
    await advance(n, "PT21S");
    expect((await receive(c, url)).map((m) => m.Body)).toEqual(["later"]);
  });

  it("a retried ReceiveRequestAttemptId returns the same messages and receipt handles", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "attempt.fifo", { FifoQueue: "true" });
    await send(c, url, "r1", "g");
    await send(c, url, "r2", "h");
    const first = await receive(c, url, { ReceiveRequestAttemptId: "attempt-1", MaxNumberOfMessages: 1 });
    const retry = await receive(c, url, { ReceiveRequestAttemptId: "attempt-1", MaxNumberOfMessages: 1 });
    expect(retry.map((m) => [m.MessageId, m.ReceiptHandle])).toEqual(first.map((m) => [m.MessageId, m.ReceiptHandle]));
    const other = await receive(c, url, { ReceiveRequestAttemptId: "attempt-2" });
    expect(other.map((m) => m.Body)).toEqual(["r2"]);
  });
});
