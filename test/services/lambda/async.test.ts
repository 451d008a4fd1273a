// Asynchronous invocation: durable queue, retries on the Nimbus clock, maximum event age,
// destinations (AWS's invocation record) and the dead-letter queue.
import {
  CreateFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-lambda-async-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "" }), (e) => ({ name: e.name, message: e.message }));

// Counts its attempts in a file; fails until the count reaches e.succeedOn (never when absent).
const CODE = `const fs = require("node:fs");
exports.handler = async (e) => {
  const f = e.dir + "/" + e.key;
  const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8")) : 0) + 1;
  fs.writeFileSync(f, String(n));
  if (!e.succeedOn || n < e.succeedOn) throw new Error("attempt " + n + " failed");
  return { ok: e.key, attempts: n };
};`;

const advance = (duration: string) => advanceClock(n, duration);

async function setup(extra: Record<string, unknown> = {}, endpoint = n.endpoint) {
  const account = freshAccount();
  const lambda = new LambdaClient(sdkConfig(endpoint, { accountId: account }));
  const sqs = new SQSClient(sdkConfig(endpoint, { accountId: account }));
  const queue = async (name: string) => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    return { url, arn: `arn:aws:sqs:us-east-1:${account}:${name}` };
  };
  await lambda.send(new CreateFunctionCommand({ FunctionName: "a", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": CODE }) }, ...extra }));
  return { account, lambda, sqs, queue };
}

/** Advances the Nimbus clock by `step` until a message arrives (each advance runs what became due). */
async function advanceUntilMessage(sqs: SQSClient, url: string, step: string) {
  for (let i = 0; i < 20; i++) {
    await advance(step);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
    if (out.Messages?.length) return out.Messages[0];
  }
  throw new Error("no message arrived");
}

async function receive(sqs: SQSClient, url: string) {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20, MessageAttributeNames: ["All"] }));
  expect(out.Messages?.length).toBe(1);
  return out.Messages![0];
}

describe("Lambda asynchronous invocation", () => {
  it("manages event invoke configs with AWS's validation", async () => {
    const { account, lambda, queue } = await setup();
    const q = await queue("dest");
    expect((await err(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "a" })))).message).toBe(`The function arn:aws:lambda:us-east-1:${account}:function:a:$LATEST doesn't have an EventInvokeConfig`);
    expect((await err(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 3 })))).name).toBe("ValidationException");
    expect((await err(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumEventAgeInSeconds: 59 })))).name).toBe("ValidationException");
    expect((await err(lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 1 })))).name).toBe("ResourceNotFoundException");
    const put = await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: q.arn } } }));
    expect(put).toMatchObject({ FunctionArn: `arn:aws:lambda:us-east-1:${account}:function:a:$LATEST`, MaximumRetryAttempts: 1, DestinationConfig: { OnSuccess: {}, OnFailure: { Destination: q.arn } } });
    expect(put.LastModified).toBeInstanceOf(Date);
    const upd = await lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumEventAgeInSeconds: 120 }));
    expect(upd).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120, DestinationConfig: { OnFailure: { Destination: q.arn } } });
    const list = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: "a" }));
    expect(list.FunctionEventInvokeConfigs?.map((c) => c.MaximumEventAgeInSeconds)).toEqual([120]);
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: "a" }));
    expect((await err(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "a" })))).name).toBe("ResourceNotFoundException");
  });

  it("answers 202, runs the event and sends AWS's success record to the OnSuccess queue", async () => {
    const { account, lambda, sqs, queue } = await setup();
    const q = await queue("ok");
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", DestinationConfig: { OnSuccess: { Destination: q.arn } } }));
    const event = { dir, key: `ok-${account}`, succeedOn: 1 };
    const out = await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }));
    expect(out.StatusCode).toBe(202);
    const record = JSON.parse((await receive(sqs, q.url)).Body!);
    expect(record).toMatchObject({
      version: "1.0",
      requestContext: { requestId: out.$metadata.requestId, functionArn: `arn:aws:lambda:us-east-1:${account}:function:a:$LATEST`, condition: "Success", approximateInvokeCount: 1 },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST" },
      responsePayload: { ok: event.key, attempts: 1 },
    });
    expect(Date.parse(record.timestamp)).not.toBeNaN();
  });

  it("retries a failing event one minute later on the Nimbus clock, then reports retries exhausted", async () => {
    const { account, lambda, sqs, queue } = await setup();
    const q = await queue("fail");
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: q.arn } } }));
    const key = `fail-${account}`;
    await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ dir, key })) }));
    // The first attempt runs now; the retry waits for the clock.
    for (let i = 0; i < 500 && !readCount(key); i++) await new Promise((r) => setTimeout(r, 10));
    expect(readCount(key)).toBe(1);
    const record = JSON.parse((await advanceUntilMessage(sqs, q.url, "PT61S")).Body!);
    expect(readCount(key)).toBe(2);
    expect(record.requestContext).toMatchObject({ condition: "RetriesExhausted", approximateInvokeCount: 2 });
    expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" });
    expect(record.responsePayload).toMatchObject({ errorType: "Error", errorMessage: "attempt 2 failed" });
  });

  it("succeeds on a retry and discards events older than MaximumEventAgeInSeconds", async () => {
    const { account, lambda, sqs, queue } = await setup();
    const ok = await queue("ok2");
    const bad = await queue("bad2");
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 90, DestinationConfig: { OnSuccess: { Destination: ok.arn }, OnFailure: { Destination: bad.arn } } }));
    await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ dir, key: `r-${account}`, succeedOn: 2 })) }));
    for (let i = 0; i < 500 && !readCount(`r-${account}`); i++) await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse((await advanceUntilMessage(sqs, ok.url, "PT61S")).Body!).requestContext.approximateInvokeCount).toBe(2);
    // This one fails, and by its second retry (three minutes) it is older than 90 s.
    const key = `age-${account}`;
    await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ dir, key })) }));
    for (let i = 0; i < 500 && !readCount(key); i++) await new Promise((r) => setTimeout(r, 10));
    const record = JSON.parse((await advanceUntilMessage(sqs, bad.url, "PT61S")).Body!);
    expect(record.requestContext.condition).toBe("EventAgeExceeded");
    expect(record.responseContext).toBeUndefined();
    // Attempts at 0 s and 61 s; the one due at 181 s finds the event older than 90 s.
    expect(readCount(key)).toBe(2);
  });

  it("sends a discarded event to the function's dead-letter queue with AWS's attributes", async () => {
    const account0 = freshAccount();
    const sqs0 = new SQSClient(sdkConfig(n.endpoint, { accountId: account0 }));
    const dlqUrl = (await sqs0.send(new CreateQueueCommand({ QueueName: "dlq" }))).QueueUrl!;
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account0 }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "a", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account0}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": CODE }) }, DeadLetterConfig: { TargetArn: `arn:aws:sqs:us-east-1:${account0}:dlq` } }));
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 0 }));
    const event = { dir, key: `dlq-${account0}` };
    const out = await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }));
    const m = await receive(sqs0, dlqUrl);
    expect(JSON.parse(m.Body!)).toEqual(event);
    expect(m.MessageAttributes?.RequestID?.StringValue).toBe(out.$metadata.requestId);
    expect(m.MessageAttributes?.ErrorCode).toMatchObject({ DataType: "Number", StringValue: "200" });
    expect(m.MessageAttributes?.ErrorMessage?.StringValue).toBe("attempt 1 failed");
    expect((await err(lambda.send(new CreateFunctionCommand({ FunctionName: "b", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account0}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": CODE }) }, DeadLetterConfig: { TargetArn: "arn:aws:s3:::bucket" } })))).name).toBe("InvalidParameterValueException");
  });

  it("keeps a queued event across a restart and runs its retry afterwards", async () => {
    const data = mkdtempSync(join(tmpdir(), "nimbus-lambda-async-restart-"));
    const first = await startNimbus({ dataDir: data });
    const { account, lambda, queue } = await setup({}, first.endpoint);
    const q = await queue("after");
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", DestinationConfig: { OnSuccess: { Destination: q.arn } } }));
    const key = `restart-${account}`;
    await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ dir, key, succeedOn: 2 })) }));
    // The failed attempt recorded (the row's retry), not just begun: an attempt Nimbus's stop
    // cuts short is not counted.
    const attempts = () => (first.nimbus.db.prepare("SELECT attempts FROM lambda_async").get() as { attempts: number } | undefined)?.attempts;
    for (let i = 0; i < 500 && attempts() !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(attempts()).toBe(1);
    expect(readCount(key)).toBe(1);
    await first.stop({ keepData: true });
    const second = await startNimbus({ dataDir: data });
    try {
      const sqs = new SQSClient(sdkConfig(second.endpoint, { accountId: account }));
      const url = `${second.endpoint}/${account}/after`;
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${second.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "PT61S" }) });
        expect(r.status).toBe(200);
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
        if (out.Messages?.length) {
          expect(JSON.parse(out.Messages[0].Body!).requestContext).toMatchObject({ condition: "Success", approximateInvokeCount: 2 });
          break;
        }
        if (i === 19) throw new Error("no message after the restart");
      }
      expect(readCount(key)).toBe(2);
    } finally {
      await second.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("an event running when Nimbus stops is not a failed attempt: it runs again after the restart", async () => {
    const data = mkdtempSync(join(tmpdir(), "nimbus-lambda-async-stop-"));
    const first = await startNimbus({ dataDir: data });
    let second: TestNimbus | undefined;
    try {
      // The first attempt hangs (until Nimbus stops and kills its worker); later ones succeed.
      const hang = CODE.replace("if (!e.succeedOn", "if (n === 1) await new Promise((r) => setTimeout(r, 600000));\n  if (!e.succeedOn");
      const account = freshAccount();
      const lambda = new LambdaClient(sdkConfig(first.endpoint, { accountId: account }));
      const sqs = new SQSClient(sdkConfig(first.endpoint, { accountId: account }));
      for (const q of ["ok", "bad"]) await sqs.send(new CreateQueueCommand({ QueueName: q }));
      await lambda.send(new CreateFunctionCommand({ FunctionName: "a", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Timeout: 900, Code: { ZipFile: zip({ "index.js": hang }) } }));
      const dest = (q: string) => ({ Destination: `arn:aws:sqs:us-east-1:${account}:${q}` });
      await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "a", MaximumRetryAttempts: 0, DestinationConfig: { OnSuccess: dest("ok"), OnFailure: dest("bad") } }));
      const key = `stop-${account}`;
      await lambda.send(new InvokeCommand({ FunctionName: "a", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ dir, key, succeedOn: 1 })) }));
      for (let i = 0; i < 1000 && !readCount(key); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readCount(key)).toBe(1);
      await first.stop({ keepData: true });
      // The event is still queued, with no attempt counted.
      second = await startNimbus({ dataDir: data });
      const sqs2 = new SQSClient(sdkConfig(second.endpoint, { accountId: account }));
      const ok = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: `${second.endpoint}/${account}/ok`, WaitTimeSeconds: 20 }));
      expect(ok.Messages).toHaveLength(1);
      expect(JSON.parse(ok.Messages![0].Body!).requestContext).toMatchObject({ condition: "Success", approximateInvokeCount: 1 });
      expect(readCount(key)).toBe(2);
      const bad = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: `${second.endpoint}/${account}/bad`, WaitTimeSeconds: 0 }));
      expect(bad.Messages ?? []).toHaveLength(0);
    } finally {
      await second?.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

function readCount(key: string): number {
  try {
    return Number(readFileSync(join(dir, key), "utf8"));
  } catch {
    return 0;
  }
}
