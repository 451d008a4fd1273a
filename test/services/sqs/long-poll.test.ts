// Long polling: a waiting ReceiveMessage returns as soon as a message arrives (woken by the
// send, not by polling), waits out WaitTimeSeconds when nothing comes, uses the queue's
// ReceiveMessageWaitTimeSeconds by default, wakes on a clock advance, and concurrent
// receivers never get the same message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChangeMessageVisibilityCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advance, client, createQueue } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("long polling", () => {
  it("returns the message sent by another client while it waits", async () => {
    const { id, client: receiver } = account(n);
    const sender = client(n, id);
    const url = await createQueue(receiver, "lp");
    const started = performance.now();
    const pending = receiver.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 200));
    await sender.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake up" }));
    const out = await pending;
    expect(out.Messages!.map((m) => m.Body)).toEqual(["wake up"]);
    // woken by the send: far sooner than the 20 s wait (generous bound against hangs only)
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("returns an empty result after WaitTimeSeconds when nothing arrives", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "lp-empty");
    const started = performance.now();
    const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    const took = performance.now() - started;
    expect(out.Messages ?? []).toEqual([]);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
  });

  it("uses the queue's ReceiveMessageWaitTimeSeconds when the request sets none", async () => {
    const { id, client: c } = account(n);
    const url = await createQueue(c, "lp-default", { ReceiveMessageWaitTimeSeconds: "20" });
    const pending = c.send(new ReceiveMessageCommand({ QueueUrl: url }));
    await new Promise((r) => setTimeout(r, 200));
    await client(n, id).send(new SendMessageCommand({ QueueUrl: url, MessageBody: "default wait" }));
    expect((await pending).Messages!.map((m) => m.Body)).toEqual(["default wait"]);
    // WaitTimeSeconds 0 overrides the queue default: a short poll returns at once
    const started = performance.now();
    const short = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
    expect(short.Messages ?? []).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("wakes when an advance of the clock makes a hidden message visible", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "lp-clock");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "in flight" }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const pending = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 200));
    await advance(n, "PT31S");
    const out = await pending;
    expect(out.Messages!.map((m) => m.Body)).toEqual(["in flight"]);
    expect(out.Messages![0].Attributes).toBeUndefined();
  });

  it("wakes when a message is released with ChangeMessageVisibility 0", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "lp-release");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "released" }));
    const first = await c.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const pending = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 200));
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0].ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await pending).Messages!.map((m) => m.Body)).toEqual(["released"]);
  });

  it("a delayed message is delivered to a waiting receiver when its delay ends", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "lp-delay");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "soon", DelaySeconds: 1 }));
    const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    expect(out.Messages!.map((m) => m.Body)).toEqual(["soon"]);
  });

  it("ends a wait when its queue is deleted", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "lp-deleted");
    const started = performance.now();
    const pending = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 200));
    await c.send(new DeleteQueueCommand({ QueueUrl: url }));
    expect((await pending).Messages ?? []).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("concurrent receivers never get the same message", async () => {
    const { id, client: c } = account(n);
    const url = await createQueue(c, "lp-race");
    const receivers = Array.from({ length: 8 }, () => client(n, id));
    const polls = receivers.map((r) => r.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 })));
    await new Promise((r) => setTimeout(r, 200));
    const bodies = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await Promise.all(bodies.map((b) => c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: b }))));
    const results = await Promise.all(polls);
    const got = results.flatMap((r) => r.Messages ?? []).map((m) => m.MessageId);
    expect(new Set(got).size).toBe(got.length);
    // and whatever the pollers did not take is still there, exactly once
    const rest = [];
    for (let i = 0; i < 10; i++) {
      const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      if (!out.Messages?.length) break;
      rest.push(...out.Messages.map((m) => m.MessageId));
    }
    expect(new Set([...got, ...rest]).size).toBe(30);
    expect(got.length + rest.length).toBe(30);
  });
});
