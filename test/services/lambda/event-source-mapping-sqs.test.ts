// SQS event source mappings through the real SDK: the control plane (states, validation,
// conflicts, list/update/delete), AWS's event shape, partial batch failures with
// ReportBatchItemFailures (only the failed message returns, then goes to the DLQ), filters,
// pausing with Enabled=false, and a mapping that survives a restart.
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { collector, createFunction, until, type Collector } from "./event-source-mapping-support.js";

let n: TestNimbus;
let col: Collector;
beforeAll(async () => {
  n = await startNimbus();
  col = await collector();
});
afterAll(async () => {
  await n.stop();
  await col.close();
});

const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "" }), (e) => ({ name: e.name as string, message: e.message as string }));

function clients(account = freshAccount()) {
  const cfg = sdkConfig(n.endpoint, { accountId: account });
  return { account, lambda: new LambdaClient(cfg), sqs: new SQSClient(cfg) };
}

// Posts each event to the collector under /<function name>; fails the records whose body is "bad".
const NODE_HANDLER = `exports.handler = async (event, context) => {
  await fetch(process.env.COLLECTOR + "/" + context.functionName, { method: "POST", body: JSON.stringify(event) });
  console.log("got", event.Records.length, "records");
  return { batchItemFailures: event.Records.filter((r) => r.body === "bad").map((r) => ({ itemIdentifier: r.messageId })) };
};`;

async function queue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  return { url, arn };
}

const posts = (fn: string) => (col.posts.get(`/${fn}`) ?? []) as Array<{ Records: Array<Record<string, any>> }>;
const counts = async (sqs: SQSClient, url: string) => {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))).Attributes!;
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
};

describe("SQS event source mappings: control plane", () => {
  it("creates (Creating -> Enabled), gets, lists, updates (Disabling -> Disabled) and deletes, with AWS's validation", async () => {
    const { account, lambda, sqs } = clients();
    await createFunction(lambda, account, "ctl", "nodejs20.x", "index.handler", { "index.js": NODE_HANDLER }, { COLLECTOR: col.url });
    const q = await queue(sqs, "ctl-q");
    const created = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ctl", EventSourceArn: q.arn, BatchSize: 5 }));
    expect(created.$metadata.httpStatusCode).toBe(202);
    expect(created.State).toBe("Creating");
    expect(created.UUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: 0,
      EventSourceArn: q.arn,
      FunctionArn: `arn:aws:lambda:us-east-1:${account}:function:ctl`,
      StateTransitionReason: "USER_INITIATED",
      FunctionResponseTypes: [],
      EventSourceMappingArn: `arn:aws:lambda:us-east-1:${account}:event-source-mapping:${created.UUID}`,
    });
    expect(created.LastModified).toBeInstanceOf(Date);
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
    expect(got.State).toBe("Enabled");

    const dup = await err(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ctl", EventSourceArn: q.arn })));
    expect(dup.name).toBe("ResourceConflictException");
    expect(dup.message).toContain(`Please update or delete the existing mapping with UUID ${created.UUID}`);
    expect(await err(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ctl", EventSourceArn: (await queue(sqs, "big")).arn, BatchSize: 100 })))).toEqual({
      name: "InvalidParameterValueException",
      message: "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
    });
    expect((await err(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "nope", EventSourceArn: q.arn })))).name).toBe("ResourceNotFoundException");
    expect((await err(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ctl", EventSourceArn: `arn:aws:sqs:us-east-1:${account}:missing` })))).name).toBe("InvalidParameterValueException");

    const list = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "ctl" }));
    expect(list.EventSourceMappings?.map((m) => m.UUID)).toEqual([created.UUID]);
    expect((await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: "arn:aws:sqs:us-east-1:000000000000:other" }))).EventSourceMappings).toEqual([]);

    const off = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, Enabled: false, BatchSize: 7 }));
    expect(off.State).toBe("Disabling");
    const after = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
    expect(after).toMatchObject({ State: "Disabled", BatchSize: 7 });

    const del = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    expect(del.State).toBe("Deleting");
    expect((await err(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID })))).name).toBe("ResourceNotFoundException");
  });
});

describe("SQS event source mappings: delivery", () => {
  it("delivers AWS's event, deletes handled messages, and returns only the batchItemFailures one, which then reaches the DLQ", async () => {
    const { account, lambda, sqs } = clients();
    await createFunction(lambda, account, "partial", "nodejs20.x", "index.handler", { "index.js": NODE_HANDLER }, { COLLECTOR: col.url });
    const dlq = await queue(sqs, "partial-dlq");
    const q = await queue(sqs, "partial-q", { VisibilityTimeout: "2", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: [
      { Id: "1", MessageBody: "good-1", MessageAttributes: { color: { DataType: "String", StringValue: "red" } } },
      { Id: "2", MessageBody: "bad" },
      { Id: "3", MessageBody: "good-2" },
    ] }));
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "partial", EventSourceArn: q.arn, BatchSize: 10, FunctionResponseTypes: ["ReportBatchItemFailures"] }));

    // The first batch holds all three, in AWS's record shape.
    const first = await until(() => posts("partial")[0], "the first batch");
    expect(first.Records.map((r) => r.body).sort()).toEqual(["bad", "good-1", "good-2"]);
    const r1 = first.Records.find((r) => r.body === "good-1")!;
    expect(Object.keys(r1).sort()).toEqual(["attributes", "awsRegion", "body", "eventSource", "eventSourceARN", "md5OfBody", "md5OfMessageAttributes", "messageAttributes", "messageId", "receiptHandle"]);
    expect(r1).toMatchObject({
      eventSource: "aws:sqs",
      eventSourceARN: q.arn,
      awsRegion: "us-east-1",
      md5OfBody: createHash("md5").update("good-1").digest("hex"),
      messageAttributes: { color: { stringValue: "red", stringListValues: [], binaryListValues: [], dataType: "String" } },
    });
    expect(r1.attributes).toMatchObject({ ApproximateReceiveCount: "1", SenderId: account });
    expect(Number(r1.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(first.Records.find((r) => r.body === "bad")!.md5OfMessageAttributes).toBeUndefined();

    // Only "bad" comes back (a second invocation with it alone), then moves to the DLQ.
    const second = await until(() => posts("partial")[1], "the retried message");
    expect(second.Records.map((r) => r.body)).toEqual(["bad"]);
    expect(second.Records[0].attributes.ApproximateReceiveCount).toBe("2");
    const moved = await until(async () => {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1 }));
      return r.Messages?.[0];
    }, "the DLQ message");
    expect(moved.Body).toBe("bad");
    await until(async () => ((await counts(sqs, q.url)) === 0 ? true : undefined), "an empty source queue");
    expect(posts("partial").flatMap((p) => p.Records.map((r) => r.body)).filter((b) => b.startsWith("good"))).toHaveLength(2);
  });

  it("applies FilterCriteria (non-matching messages are deleted unseen) and pauses while disabled", async () => {
    const { account, lambda, sqs } = clients();
    await createFunction(lambda, account, "filtered", "nodejs20.x", "index.handler", { "index.js": NODE_HANDLER }, { COLLECTOR: col.url });
    const q = await queue(sqs, "filtered-q");
    const m = await lambda.send(new CreateEventSourceMappingCommand({
      FunctionName: "filtered",
      EventSourceArn: q.arn,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ["order"], total: [{ numeric: [">", 10] }] } }) }] },
    }));
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify({ kind: "order", total: 5 }) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: "not json" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify({ kind: "order", total: 50 }) }));
    const got = await until(() => posts("filtered")[0], "the matching message");
    expect(got.Records.map((r) => JSON.parse(r.body).total)).toEqual([50]);
    await until(async () => ((await counts(sqs, q.url)) === 0 ? true : undefined), "the filtered-out messages deleted");
    expect(posts("filtered")).toHaveLength(1);

    // Disabled: a message waits in the queue; enabled again, it is delivered.
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }));
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify({ kind: "order", total: 99 }) }));
    expect(await counts(sqs, q.url)).toBe(1);
    expect(posts("filtered")).toHaveLength(1);
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: true }));
    const again = await until(() => posts("filtered")[1], "the message after re-enabling");
    expect(JSON.parse(again.Records[0].body).total).toBe(99);
  });

  it("gathers up to BatchSize messages within the batching window", async () => {
    const { account, lambda, sqs } = clients();
    await createFunction(lambda, account, "windowed", "nodejs20.x", "index.handler", { "index.js": NODE_HANDLER }, { COLLECTOR: col.url });
    const q = await queue(sqs, "windowed-q");
    for (let k = 0; k < 2; k++) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `m${k * 10 + i}` })) }));
    }
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "windowed", EventSourceArn: q.arn, BatchSize: 15, MaximumBatchingWindowInSeconds: 2, ScalingConfig: { MaximumConcurrency: 2 } }));
    const all = await until(() => {
      const seen = posts("windowed").flatMap((p) => p.Records.map((r) => r.body));
      return seen.length >= 20 ? posts("windowed") : undefined;
    }, "all twenty messages");
    // Batches of more than one receive (10) but never more than BatchSize.
    expect(Math.max(...all.map((p) => p.Records.length))).toBeGreaterThan(10);
    expect(all.every((p) => p.Records.length <= 15)).toBe(true);
    expect(new Set(all.flatMap((p) => p.Records.map((r) => r.body))).size).toBe(20);
  });

  it("keeps polling after a restart", async () => {
    const m = await startNimbus();
    try {
      const account = freshAccount();
      const cfg = sdkConfig(m.endpoint, { accountId: account });
      const lambda = new LambdaClient(cfg);
      const sqs = new SQSClient(cfg);
      await createFunction(lambda, account, "durable", "nodejs20.x", "index.handler", { "index.js": NODE_HANDLER }, { COLLECTOR: col.url });
      const q = await queue(sqs, "durable-q");
      const made = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "durable", EventSourceArn: q.arn }));
      await m.stop({ keepData: true });
      const again = await startNimbus({ dataDir: m.dataDir });
      try {
        const cfg2 = sdkConfig(again.endpoint, { accountId: account });
        const sqs2 = new SQSClient(cfg2);
        expect((await new LambdaClient(cfg2).send(new GetEventSourceMappingCommand({ UUID: made.UUID }))).State).toBe("Enabled");
        await sqs2.send(new SendMessageCommand({ QueueUrl: q.url.replace(m.endpoint, again.endpoint), MessageBody: "after restart" }));
        const got = await until(() => posts("durable")[0], "delivery after the restart");
        expect(got.Records[0].body).toBe("after restart");
      } finally {
        await again.stop();
      }
    } finally {
      await m.stop().catch(() => undefined);
    }
  });
});
