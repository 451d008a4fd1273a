// Nothing acknowledged is lost: queues, messages (visible and in flight), attributes, tags and
// FIFO deduplication survive a restart on the same data directory.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteMessageCommand, ListQueueTagsCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { freshAccount, startNimbus } from "../../support/nimbus.js";
import { attributes, client, counts, createQueue } from "./helpers.js";

const dataDir = mkdtempSync(join(tmpdir(), "nimbus-sqs-durable-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("SQS state across a restart", () => {
  it("keeps queues and messages", async () => {
    const id = freshAccount();
    const first = await startNimbus({ dataDir });
    let c = client(first, id);
    const url = await createQueue(c, "durable", { VisibilityTimeout: "45" }, { keep: "me" });
    const fifo = await createQueue(c, "durable.fifo", { FifoQueue: "true" });
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "in flight" }));
    const inflight = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    expect(inflight.Messages![0].Body).toBe("in flight");
    const sent = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "survives", MessageAttributes: { a: { DataType: "String", StringValue: "b" } } }));
    const dedup = await c.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: "once", MessageGroupId: "g", MessageDeduplicationId: "d" }));
    c.destroy();
    await first.stop({ keepData: true });

    const second = await startNimbus({ dataDir });
    try {
      c = client(second, id);
      const url2 = url.replace(first.endpoint, second.endpoint);
      const fifo2 = fifo.replace(first.endpoint, second.endpoint);
      expect(await attributes(c, url2, ["VisibilityTimeout"])).toEqual({ VisibilityTimeout: "45" });
      expect((await c.send(new ListQueueTagsCommand({ QueueUrl: url2 }))).Tags).toEqual({ keep: "me" });
      expect(await counts(c, url2)).toEqual({ visible: 1, inflight: 1, delayed: 0 });
      const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url2, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }));
      const got = out.Messages!;
      expect(got.length).toBe(1);
      const survivor = got[0];
      expect(survivor.MessageId).toBe(sent.MessageId);
      expect(survivor.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
      // the receipt handle issued before the restart still works
      await c.send(new DeleteMessageCommand({ QueueUrl: url2, ReceiptHandle: inflight.Messages![0].ReceiptHandle }));
      expect(await counts(c, url2)).toEqual({ visible: 0, inflight: 1, delayed: 0 });
      const again = await c.send(new SendMessageCommand({ QueueUrl: fifo2, MessageBody: "twice", MessageGroupId: "g", MessageDeduplicationId: "d" }));
      expect(again.MessageId).toBe(dedup.MessageId);
      expect(await counts(c, fifo2)).toEqual({ visible: 1, inflight: 0, delayed: 0 });
    } finally {
      c.destroy();
      await second.stop({ keepData: true });
    }
  });
});
