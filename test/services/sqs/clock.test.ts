// Long spans of Nimbus time: the maximum 15-minute message delay and message retention in days
// (4 days by default). Each test advances the clock far beyond the SigV4 15-minute skew window,
// so SDKs keep working only if the gateway measures that window against wall-clock time.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advance, counts, createQueue } from "./helpers.js";

// A fresh server per test: each one moves its clock by minutes to days.
let n: TestNimbus;
beforeEach(async () => {
  n = await startNimbus();
});
afterEach(() => n.stop());

describe("long Nimbus-time spans", () => {
  it("delivers a message delayed by the maximum 900 seconds", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "long-delay");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "long", DelaySeconds: 900 }));
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 1 });
    await advance(n, "PT14M59S");
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
    await advance(n, "PT2S");
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages!.map((m) => m.Body)).toEqual(["long"]);
  });

  it("expires messages past MessageRetentionPeriod, retroactively when it is lowered", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "retention", { MessageRetentionPeriod: "120" });
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "old" }));
    await advance(n, "PT100S");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "new" }));
    expect((await counts(c, url)).visible).toBe(2);
    await advance(n, "PT30S");
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(got.Messages!.map((m) => m.Body)).toEqual(["new"]);
    await advance(n, "PT40S");
    expect((await counts(c, url)).visible).toBe(1);
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MessageRetentionPeriod: "60" } }));
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it("keeps a message for the default 4 days, and not longer", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "retention-default");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "4 days" }));
    await advance(n, "P3DT23H");
    expect((await counts(c, url)).visible).toBe(1);
    await advance(n, "PT1H");
    expect((await counts(c, url)).visible).toBe(0);
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
  });
});
