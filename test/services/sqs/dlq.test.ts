// Dead-letter queues: RedrivePolicy validation, moving a message after maxReceiveCount
// receives, RedriveAllowPolicy, ListDeadLetterSourceQueues, and message move tasks
// (StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CancelMessageMoveTaskCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advance, attributes, codeOf, counts, createQueue, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function arnOf(c: SQSClient, url: string): Promise<string> {
  return (await attributes(c, url, ["QueueArn"])).QueueArn;
}

async function receiveOne(c: SQSClient, url: string) {
  const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["All"] }));
  return out.Messages?.[0];
}

async function waitForTask(c: SQSClient, sourceArn: string, status: string) {
  for (let i = 0; i < 100; i++) {
    const out = await c.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }));
    if (out.Results?.[0]?.Status === status) return out.Results[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`move task never reached ${status}`);
}

describe("redrive to a dead-letter queue", () => {
  it("moves a message after maxReceiveCount receives", async () => {
    const { client: c } = account(n);
    const dlq = await createQueue(c, "work-dlq");
    const dlqArn = await arnOf(c, dlq);
    const src = await createQueue(c, "work", { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: "2" }) });
    expect(JSON.parse((await attributes(c, src, ["RedrivePolicy"])).RedrivePolicy)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
    const sent = await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "poison", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } }));

    for (let i = 1; i <= 2; i++) {
      const m = await receiveOne(c, src);
      expect(m?.Attributes!.ApproximateReceiveCount).toBe(String(i));
      await advance(n, "PT31S");
    }
    // the third receive finds it past maxReceiveCount: it goes to the DLQ instead
    expect(await receiveOne(c, src)).toBeUndefined();
    expect(await counts(c, src)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    expect(await counts(c, dlq)).toEqual({ visible: 1, inflight: 0, delayed: 0 });
    const out = await c.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }));
    const dead = out.Messages![0];
    expect(dead.MessageId).toBe(sent.MessageId);
    expect(dead.Body).toBe("poison");
    expect(dead.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(dead.Attributes!.DeadLetterQueueSourceArn).toBe(await arnOf(c, src));

    const sources = await c.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(sources.queueUrls).toEqual([src]);
  });

  it("works for FIFO queues, keeping group order", async () => {
    const { client: c } = account(n);
    const dlq = await createQueue(c, "f-dlq.fifo", { FifoQueue: "true" });
    const src = await createQueue(c, "f.fifo", {
      FifoQueue: "true",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(c, dlq), maxReceiveCount: 1 }),
    });
    for (const b of ["a", "b"]) await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: b, MessageGroupId: "g", MessageDeduplicationId: b }));
    expect((await receiveOne(c, src))?.Body).toBe("a");
    await advance(n, "PT31S");
    // "a" moves to the DLQ, which unblocks "b"
    expect((await receiveOne(c, src))?.Body).toBe("b");
    const d = await receiveOne(c, dlq);
    expect(d?.Body).toBe("a");
    expect(d?.Attributes).toMatchObject({ MessageGroupId: "g", MessageDeduplicationId: "a" });
  });

  it("validates RedrivePolicy and honours RedriveAllowPolicy", async () => {
    const { id, client: c } = account(n);
    const dlq = await createQueue(c, "v-dlq");
    const dlqArn = await arnOf(c, dlq);
    const src = await createQueue(c, "v-src");
    const dummy = await failure(
      c.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}' } })),
    );
    expect(codeOf(dummy)).toBe("InvalidParameterValue");
    expect(dummy.message).toBe('Value {"deadLetterTargetArn": "dummy", "maxReceiveCount": 42} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.');
    const count = await failure(
      c.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1001 }) } })),
    );
    expect(codeOf(count)).toBe("InvalidParameterValue");
    const missing = await failure(
      c.send(
        new SetQueueAttributesCommand({
          QueueUrl: src,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${id}:nope`, maxReceiveCount: 1 }) },
        }),
      ),
    );
    expect(codeOf(missing)).toBe("InvalidParameterValue");

    await c.send(new SetQueueAttributesCommand({ QueueUrl: dlq, Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }) } }));
    const denied = await failure(
      c.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } })),
    );
    expect(codeOf(denied)).toBe("InvalidParameterValue");
    const srcArn = await arnOf(c, src);
    await c.send(
      new SetQueueAttributesCommand({ QueueUrl: dlq, Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [srcArn] }) } }),
    );
    expect(JSON.parse((await attributes(c, dlq, ["RedriveAllowPolicy"])).RedriveAllowPolicy)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: [srcArn] });
    await c.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } }));
    const badAllow = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: dlq, Attributes: { RedriveAllowPolicy: '{"redrivePermission":"sometimes"}' } })));
    expect(codeOf(badAllow)).toBe("InvalidParameterValue");
    // an empty RedrivePolicy removes it
    await c.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: "" } }));
    expect(await attributes(c, src, ["RedrivePolicy"])).toEqual({});
    expect((await c.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([]);
  });
});

describe("message move tasks", () => {
  async function deadLettered(c: SQSClient, prefix: string, count: number) {
    const dlq = await createQueue(c, `${prefix}-dlq`);
    const dlqArn = await arnOf(c, dlq);
    const src = await createQueue(c, prefix, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    for (let i = 0; i < count; i++) await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: `m${i}` }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10 }));
    await advance(n, "PT31S");
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10 }));
    expect((await counts(c, dlq)).visible).toBe(count);
    return { dlq, dlqArn, src, srcArn: await arnOf(c, src) };
  }

  it("redrives dead-lettered messages back to their source queue", async () => {
    const { client: c } = account(n);
    const { dlq, dlqArn, src } = await deadLettered(c, "mv", 3);
    const started = await c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(JSON.parse(Buffer.from(started.TaskHandle!, "base64").toString())).toMatchObject({ sourceArn: dlqArn });
    const done = await waitForTask(c, dlqArn, "COMPLETED");
    expect(done).toMatchObject({ SourceArn: dlqArn, ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 });
    expect(done.TaskHandle).toBeUndefined();
    expect(done.StartedTimestamp).toBeGreaterThan(1_600_000_000_000);
    expect(await counts(c, dlq)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    const back = await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }));
    expect(back.Messages!.map((m) => m.Body).sort()).toEqual(["m0", "m1", "m2"]);
    expect(back.Messages![0].Attributes!.ApproximateReceiveCount).toBe("1");
  });

  it("moves to an explicit destination, refuses a second task and a non-DLQ source", async () => {
    const { client: c } = account(n);
    const { dlqArn, src } = await deadLettered(c, "mv2", 2);
    const elsewhere = await createQueue(c, "elsewhere");
    await c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: await arnOf(c, elsewhere), MaxNumberOfMessagesPerSecond: 1 }));
    const second = await failure(c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })));
    expect(codeOf(second)).toBe("InvalidParameterValue");
    expect(second.message).toBe("There is already a task running. Only one active task is allowed for a source queue arn at a given time.");
    const running = await c.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(running.Results![0]).toMatchObject({ Status: "RUNNING", MaxNumberOfMessagesPerSecond: 1 });
    expect(running.Results![0].TaskHandle).toBeTruthy();
    const cancelled = await c.send(new CancelMessageMoveTaskCommand({ TaskHandle: running.Results![0].TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeGreaterThanOrEqual(0);
    await waitForTask(c, dlqArn, "CANCELLED");

    const notDlq = await failure(c.send(new StartMessageMoveTaskCommand({ SourceArn: await arnOf(c, src) })));
    expect(codeOf(notDlq)).toBe("InvalidParameterValue");
    expect(notDlq.message).toBe("Source queue must be configured as a Dead Letter Queue.");
    const missing = await failure(c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn.replace("mv2-dlq", "nope") })));
    expect(missing.name).toBe("ResourceNotFoundException");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(missing.message).toBe("The resource that you specified for the SourceArn parameter doesn't exist.");
  });
});
