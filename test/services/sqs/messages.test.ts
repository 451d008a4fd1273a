// SQS messages on standard queues: send/receive/delete, MD5s, attributes, visibility through
// the Nimbus clock, delays, retention, receipt handles, batches and their errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advance, codeOf, counts, createQueue, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const md5 = (s: string | Buffer) => createHash("md5").update(s).digest("hex");

async function receiveAll(c: SQSClient, url: string, extra: Record<string, unknown> = {}) {
  const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, ...extra }));
  return out.Messages ?? [];
}

describe("send, receive, delete", () => {
  it("round-trips a message with exact MD5s and system attributes", async () => {
    const { id, client: c } = account(n);
    const url = await createQueue(c, "basic");
    const body = 'héllo <world> & "quotes"\r\n\t😀';
    const sent = await c.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: {
          General: { DataType: "String", StringValue: "Kenobi" },
          Hello: { DataType: "String", StringValue: "There" },
          "Help.Me": { DataType: "String", StringValue: "Me" },
        },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MD5OfMessageAttributes).toBe("4c360f3fdafd970e05fae2f149d997f5");
    expect(sent.SequenceNumber).toBeUndefined();

    const before = Date.now();
    const [m] = await receiveAll(c, url, { MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] });
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.Body).toBe(body);
    expect(m.MD5OfBody).toBe(md5(body));
    expect(m.ReceiptHandle).toMatch(/^AQEB/);
    expect(m.MD5OfMessageAttributes).toBe("4c360f3fdafd970e05fae2f149d997f5");
    expect(m.MessageAttributes).toEqual({
      General: { DataType: "String", StringValue: "Kenobi" },
      Hello: { DataType: "String", StringValue: "There" },
      "Help.Me": { DataType: "String", StringValue: "Me" },
    });
    expect(Object.keys(m.Attributes!).sort()).toEqual(["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "SentTimestamp"]);
    expect(m.Attributes!.SenderId).toBe(id);
    expect(m.Attributes!.ApproximateReceiveCount).toBe("1");
    expect(Math.abs(Number(m.Attributes!.SentTimestamp) - before)).toBeLessThan(60_000);
    expect(Number(m.Attributes!.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(m.Attributes!.SentTimestamp));

    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 1, delayed: 0 });
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    // deleting again with the same handle succeeds, as on AWS
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  });

  it("filters message attributes by All, name, prefix.* and recomputes their MD5", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "filters");
    await c.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "msg",
        MessageAttributes: {
          General: { DataType: "String", StringValue: "Kenobi" },
          Hello: { DataType: "String", StringValue: "There" },
          "Help.Me": { DataType: "String", StringValue: "Me" },
        },
      }),
    );
    const receiveWith = async (names?: string[]) => {
      const [m] = await receiveAll(c, url, { MessageAttributeNames: names, VisibilityTimeout: 0 });
      return m;
    };
    const none = await receiveWith(undefined);
    expect(none.MessageAttributes).toBeUndefined();
    expect(none.MD5OfMessageAttributes).toBeUndefined();
    expect((await receiveWith([".*"])).MD5OfMessageAttributes).toBe("4c360f3fdafd970e05fae2f149d997f5");
    const some = await receiveWith(["General", "Hello"]);
    expect(Object.keys(some.MessageAttributes!)).toEqual(["General", "Hello"]);
    expect(some.MD5OfMessageAttributes).toBe("fca026605781cb4126a1e9044df24232");
    const mixed = await receiveWith(["Hello", "Missing"]);
    expect(mixed.MD5OfMessageAttributes).toBe("a311262e065454b75da111d535b8dacd");
    const prefix = await receiveWith(["He.*"]);
    expect(Object.keys(prefix.MessageAttributes!).sort()).toEqual(["Hello", "Help.Me"]);
    expect(prefix.MD5OfMessageAttributes).toBe("83fee93c1bcd8b9a5a923ffacdc636c7");
    expect((await receiveWith(["Nothing"])).MessageAttributes).toBeUndefined();
  });

  it("Number, Binary and custom-typed attributes; AWSTraceHeader system attribute", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "types");
    const bin = Buffer.from("traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01", "latin1");
    const sent = await c.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "test",
        MessageAttributes: { attr1: { DataType: "Binary", BinaryValue: bin } },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" } },
      }),
    );
    expect(sent.MD5OfMessageAttributes).toBe("8cbe4db156db8a94db8b801b7addb984");
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [m] = await receiveAll(c, url, { MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["AWSTraceHeader"] });
    expect(Buffer.from(m.MessageAttributes!.attr1.BinaryValue!)).toEqual(bin);
    expect(m.MD5OfMessageAttributes).toBe("8cbe4db156db8a94db8b801b7addb984");
    expect(m.Attributes).toEqual({ AWSTraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" });

    const typed = await c.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "n",
        MessageAttributes: {
          count: { DataType: "Number", StringValue: "42" },
          ratio: { DataType: "Number.float", StringValue: "-1.5e3" },
          id: { DataType: "Number.int", StringValue: "7" },
          label: { DataType: "String.custom", StringValue: "x" },
        },
      }),
    );
    const [t] = (await receiveAll(c, url, { MessageAttributeNames: ["All"] })).filter((x) => x.MessageId === typed.MessageId);
    expect(t.MessageAttributes!.id).toEqual({ DataType: "Number.int", StringValue: "7" });
    expect(t.MessageAttributes!.label).toEqual({ DataType: "String.custom", StringValue: "x" });
    expect(t.MD5OfMessageAttributes).toBe(typed.MD5OfMessageAttributes);
  });

  it("rejects invalid bodies and attributes with AWS's errors", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "invalid");
    const empty = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "" })));
    expect(codeOf(empty)).toBe("MissingParameter");
    expect(empty.message).toBe("The request must contain the parameter MessageBody.");
    const chars = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "bad \u0001 char" })));
    expect(chars.name).toBe("InvalidMessageContents");
    expect(chars.message).toContain("Invalid characters found.");
    const emptyAttr = await failure(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageAttributes: { ErrorDetails: { DataType: "String", StringValue: "" } } })),
    );
    expect(codeOf(emptyAttr)).toBe("InvalidParameterValue");
    expect(emptyAttr.message).toBe("Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.");
    const badNumber = await failure(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "abc" } } })),
    );
    expect(badNumber.message).toBe("Can't cast the value of message (user) attribute 'n' to a number.");
    const badType = await failure(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageAttributes: { n: { DataType: "Date", StringValue: "x" } } })),
    );
    expect(badType.message).toBe("The message attribute 'n' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.");
    const reserved = await failure(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageAttributes: { "AWS.x": { DataType: "String", StringValue: "v" } } })),
    );
    expect(codeOf(reserved)).toBe("InvalidParameterValue");
    const many: Record<string, { DataType: string; StringValue: string }> = {};
    for (let i = 0; i < 11; i++) many[`a${i}`] = { DataType: "String", StringValue: "v" };
    const tooMany = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageAttributes: many })));
    expect(tooMany.message).toBe("Number of message attributes [11] exceeds the allowed maximum [10].");
    const delay = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", DelaySeconds: 901 })));
    expect(codeOf(delay)).toBe("InvalidParameterValue");
    expect(delay.message).toBe("Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.");
    const dedup = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageDeduplicationId: "d" })));
    expect(dedup.message).toBe("Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.");
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it("enforces MaximumMessageSize on body plus attributes", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "sizes", { MaximumMessageSize: "1024" });
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1024) }));
    const e = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1025) })));
    expect(codeOf(e)).toBe("InvalidParameterValue");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toBe("One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.");
    // name "a" (1) + type "String" (6) + value (10) + body 1010 = 1027 > 1024
    const withAttr = await failure(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1010), MessageAttributes: { a: { DataType: "String", StringValue: "0123456789" } } })),
    );
    expect(withAttr.message).toBe("One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.");
    const big = await createQueue(c, "default-size");
    await c.send(new SendMessageCommand({ QueueUrl: big, MessageBody: "y".repeat(262_145) }));
    const [m] = await receiveAll(c, big);
    expect(m.Body!.length).toBe(262_145);
    const tooBig = await failure(c.send(new SendMessageCommand({ QueueUrl: big, MessageBody: "y".repeat(1_048_577) })));
    expect(tooBig.message).toBe("One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.");
  });

  it("validates ReceiveMessage parameters", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "params");
    const e = await failure(c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })));
    expect(codeOf(e)).toBe("InvalidParameterValue");
    expect(e.message).toBe("Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
    const e0 = await failure(c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 0 })));
    expect(e0.message).toBe("Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
    const w = await failure(c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })));
    expect(w.message).toBe("Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.");
  });

  it("receives up to MaxNumberOfMessages, each message once while in flight", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "many");
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    for (const b of bodies) await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: b }));
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(...(await receiveAll(c, url)).map((m) => m.Body!));
    expect(got.length).toBe(25);
    expect(new Set(got)).toEqual(new Set(bodies));
    expect(await receiveAll(c, url)).toEqual([]);
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 25, delayed: 0 });
  });
});

describe("visibility, delays and retention (Nimbus clock)", () => {
  it("an unacknowledged message comes back after its visibility timeout", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "vis");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "again" }));
    const [first] = await receiveAll(c, url, { AttributeNames: ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"] });
    expect(first.Attributes!.ApproximateReceiveCount).toBe("1");
    expect(await receiveAll(c, url)).toEqual([]);
    await advance(n, "PT31S");
    const [second] = await receiveAll(c, url, { AttributeNames: ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"] });
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.Attributes!.ApproximateReceiveCount).toBe("2");
    expect(second.Attributes!.ApproximateFirstReceiveTimestamp).toBe(first.Attributes!.ApproximateFirstReceiveTimestamp);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    // a stale handle from the first receive still deletes the message (standard queues)
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it("honours the queue's and the request's VisibilityTimeout", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "vis2", { VisibilityTimeout: "100" });
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "q" }));
    await receiveAll(c, url);
    await advance(n, "PT31S");
    expect(await receiveAll(c, url)).toEqual([]);
    await advance(n, "PT70S");
    const [m] = await receiveAll(c, url, { VisibilityTimeout: 5 });
    expect(m.Body).toBe("q");
    await advance(n, "PT6S");
    expect((await receiveAll(c, url, { VisibilityTimeout: 0 })).length).toBe(1);
    expect((await receiveAll(c, url)).length).toBe(1);
  });

  it("ChangeMessageVisibility extends, ends and limits the timeout", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "cmv");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }));
    const [m] = await receiveAll(c, url);
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 300 }));
    await advance(n, "PT31S");
    expect(await receiveAll(c, url)).toEqual([]);
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    const [again] = await receiveAll(c, url);
    expect(again.MessageId).toBe(m.MessageId);

    const over = await failure(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 43_201 })));
    expect(codeOf(over)).toBe("InvalidParameterValue");
    await advance(n, "PT10S");
    const total = await failure(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 43_195 })));
    expect(total.message).toBe("Value 43195 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]");

    // after the visibility expired the call is a no-op (200), and the message stays visible
    await advance(n, "PT31S");
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 600 }));
    expect(await counts(c, url)).toEqual({ visible: 1, inflight: 0, delayed: 0 });

    const [last] = await receiveAll(c, url);
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: last.ReceiptHandle }));
    const deleted = await failure(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: last.ReceiptHandle, VisibilityTimeout: 10 })));
    expect(codeOf(deleted)).toBe("InvalidParameterValue");
    expect(deleted.message).toBe(
      `Value ${last.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    );
  });

  it("refuses receipt handles that were never issued or belong to another queue", async () => {
    const { client: c } = account(n);
    const a = await createQueue(c, "rh-a");
    const b = await createQueue(c, "rh-b");
    await c.send(new SendMessageCommand({ QueueUrl: a, MessageBody: "x" }));
    const [m] = await receiveAll(c, a);
    for (const [url, handle] of [
      [a, "garbage"],
      [b, m.ReceiptHandle!],
    ] as const) {
      const e = await failure(c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle })));
      expect(e.name).toBe("ReceiptHandleIsInvalid");
      expect(e.Code).toBe("ReceiptHandleIsInvalid");
      expect(e.$metadata.httpStatusCode).toBe(404);
      expect(e.message).toBe(`The input receipt handle "${handle}" is not a valid receipt handle.`);
    }
    const cmv = await failure(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: a, ReceiptHandle: "garbage", VisibilityTimeout: 1 })));
    expect(cmv.name).toBe("ReceiptHandleIsInvalid");
  });

  it("delays messages per queue and per message", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "delayed", { DelaySeconds: "10" });
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "queue-delay" }));
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no-delay", DelaySeconds: 0 }));
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "longer", DelaySeconds: 120 }));
    expect(await counts(c, url)).toEqual({ visible: 1, inflight: 0, delayed: 2 });
    expect((await receiveAll(c, url, { VisibilityTimeout: 600 })).map((m) => m.Body)).toEqual(["no-delay"]);
    await advance(n, "PT11S");
    expect((await receiveAll(c, url, { VisibilityTimeout: 600 })).map((m) => m.Body)).toEqual(["queue-delay"]);
    await advance(n, "PT110S");
    expect((await receiveAll(c, url, { VisibilityTimeout: 600 })).map((m) => m.Body)).toEqual(["longer"]);
  });
});

describe("batches", () => {
  it("SendMessageBatch sends, reports per-entry failures, keeps MD5s", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "batch");
    const out = await c.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "1", MessageBody: "a".repeat(10), MessageAttributes: { k: { DataType: "String", StringValue: "v" } } },
          { Id: "2", MessageBody: "a" },
          { Id: "bad", MessageBody: "x", DelaySeconds: 1000 },
          { Id: "delayed", MessageBody: "later", DelaySeconds: 30 },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id)).toEqual(["1", "2", "delayed"]);
    expect(out.Successful![1].MD5OfMessageBody).toBe("0cc175b9c0f1b6a831c399e269772661");
    expect(out.Successful![0].MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(out.Failed).toEqual([
      { Id: "bad", SenderFault: true, Code: "InvalidParameterValue", Message: "Value 1000 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900." },
    ]);
    expect(await counts(c, url)).toEqual({ visible: 2, inflight: 0, delayed: 1 });
  });

  it("refuses empty, oversized, ill-named and duplicate-id batches", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "batch-errors");
    const empty = await failure(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })));
    expect(empty.name).toBe("EmptyBatchRequest");
    expect(empty.Code).toBe("AWS.SimpleQueueService.EmptyBatchRequest");
    expect(empty.message).toBe("There should be at least one SendMessageBatchRequestEntry in the request.");
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: "x" }));
    const many = await failure(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven })));
    expect(many.name).toBe("TooManyEntriesInBatchRequest");
    expect(many.Code).toBe("AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
    expect(many.message).toBe("Maximum number of entries per request are 10. You have sent 11.");
    const dup = await failure(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "1" }, { Id: "a", MessageBody: "2" }] })));
    expect(dup.name).toBe("BatchEntryIdsNotDistinct");
    expect(dup.message).toBe("Id a repeated.");
    for (const id of ["", "invalid:id", "x".repeat(81)]) {
      const bad = await failure(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: id, MessageBody: "1" }] })));
      expect(bad.name).toBe("InvalidBatchEntryId");
      expect(bad.message).toBe("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.");
    }
    const big = await failure(
      c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "x".repeat(600_000) }, { Id: "b", MessageBody: "x".repeat(448_577) }] })),
    );
    expect(big.name).toBe("BatchRequestTooLong");
    expect(big.message).toBe("Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.");
    const delEmpty = await failure(c.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })));
    expect(delEmpty.message).toBe("There should be at least one DeleteMessageBatchRequestEntry in the request.");
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it("DeleteMessageBatch and ChangeMessageVisibilityBatch report each entry", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "batch-ops");
    await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [1, 2, 3].map((i) => ({ Id: `e${i}`, MessageBody: `b${i}` })) }));
    const ms = await receiveAll(c, url);
    expect(ms.length).toBe(3);
    const cmv = await c.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a", ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 0 },
          { Id: "b", ReceiptHandle: "nope", VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(cmv.Successful).toEqual([{ Id: "a" }]);
    expect(cmv.Failed).toEqual([{ Id: "b", SenderFault: true, Code: "ReceiptHandleIsInvalid", Message: 'The input receipt handle "nope" is not a valid receipt handle.' }]);
    expect(await counts(c, url)).toEqual({ visible: 1, inflight: 2, delayed: 0 });
    const del = await c.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "x", ReceiptHandle: ms[1].ReceiptHandle },
          { Id: "y", ReceiptHandle: ms[2].ReceiptHandle },
          { Id: "z", ReceiptHandle: "nope" },
        ],
      }),
    );
    expect(del.Successful).toEqual([{ Id: "x" }, { Id: "y" }]);
    expect(del.Failed!.map((f) => [f.Id, f.Code, f.SenderFault])).toEqual([["z", "ReceiptHandleIsInvalid", true]]);
    expect(await counts(c, url)).toEqual({ visible: 1, inflight: 0, delayed: 0 });
  });
});

describe("query protocol (aws CLI 2.9 / old boto3 wire format)", () => {
  it("speaks the same SQS over awsQuery, with the WSDL-era not-found message", async () => {
    const { client: c } = account(n, { query: true });
    const url = await createQueue(c, "query");
    const sent = await c.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: "over <query> & more", MessageAttributes: { n: { DataType: "Number", StringValue: "1" } } }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5("over <query> & more"));
    const [m] = await receiveAll(c, url, { MessageAttributeNames: ["All"], AttributeNames: ["All"] });
    expect(m.Body).toBe("over <query> & more");
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m.Attributes!.ApproximateReceiveCount).toBe("1");
    const e = await failure(c.send(new SendMessageCommand({ QueueUrl: url + "-missing", MessageBody: "x" })));
    expect(e.name).toBe("QueueDoesNotExist");
    expect(e.message).toBe("The specified queue does not exist for this wsdl version.");
    expect(e.$metadata.httpStatusCode).toBe(400);
  });
});
