// DynamoDB stream event source mappings when the invoke is refused before the function runs
// (here: throttled, the function's only worker busy). As AWS documents for stream sources, that
// is not a function error: it counts toward no MaximumRetryAttempts and never goes to the
// OnFailure destination for that reason; the batch is tried again on a later pass from the same
// checkpoint, so no record is lost or reordered. Only MaximumRecordAgeInSeconds gives such
// records up. This file limits Lambda to one worker per function through the environment
// before Nimbus starts (Vitest runs each file in its own process).
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { collector, createFunction, until, type Collector } from "./event-source-mapping-support.js";

let n: TestNimbus;
let col: Collector;
let dir: string;
beforeAll(async () => {
  process.env.NIMBUS_LAMBDA_MAX_WORKERS = "1";
  process.env.NIMBUS_LAMBDA_MAX_QUEUED = "0";
  n = await startNimbus();
  col = await collector();
  dir = mkdtempSync(join(tmpdir(), "nimbus-esm-retries-"));
});
afterAll(async () => {
  await n?.stop();
  await col?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function clients(account = freshAccount()) {
  const cfg = sdkConfig(n.endpoint, { accountId: account });
  return { account, lambda: new LambdaClient(cfg), ddb: new DynamoDBClient(cfg), sqs: new SQSClient(cfg) };
}

// {"hold": "<name>"} keeps the function's only worker busy until the file <name>.release exists;
// stream batches are posted to the collector.
const HANDLER = `const fs = require("node:fs");
exports.handler = async (event, context) => {
  if (event.hold) {
    fs.writeFileSync(process.env.DIR + "/" + event.hold + ".held", "");
    while (!fs.existsSync(process.env.DIR + "/" + event.hold + ".release")) await new Promise((r) => setTimeout(r, 20));
    return "released";
  }
  await fetch(process.env.COLLECTOR + "/" + context.functionName, { method: "POST", body: JSON.stringify(event) });
  return "ok";
};
`;

const keys = (fn: string) => ((col.posts.get(`/${fn}`) ?? []) as Array<{ Records: Array<Record<string, any>> }>).flatMap((p) => p.Records.map((r) => r.dynamodb.Keys.pk.S as string));

async function setup(name: string, mapping: Record<string, unknown>) {
  const c = clients();
  await createFunction(c.lambda, c.account, name, "nodejs20.x", "index.handler", { "index.js": HANDLER }, { COLLECTOR: col.url, DIR: dir });
  const table = await c.ddb.send(new CreateTableCommand({
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "KEYS_ONLY" },
  }));
  const dest = (await c.sqs.send(new CreateQueueCommand({ QueueName: `${name}-failures` }))).QueueUrl!;
  const destArn = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dest, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const m = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: name, EventSourceArn: table.TableDescription!.LatestStreamArn!, StartingPosition: "TRIM_HORIZON", DestinationConfig: { OnFailure: { Destination: destArn } }, ...mapping }));
  const put = (pk: string) => c.ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: pk } } }));
  /** Occupies the function's only worker; resolves with release(), which ends that invocation. */
  const hold = async () => {
    const tag = `${name}-${Math.random().toString(36).slice(2)}`;
    // The only worker may still be finishing a mapping's batch (its answer not yet back): a
    // throttled hold is sent again until it is taken, as a caller would.
    const invoke = (async () => {
      for (;;) {
        try {
          return await c.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ hold: tag })) }));
        } catch (e) {
          if ((e as Error).name !== "TooManyRequestsException") throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    await until(() => (existsSync(join(dir, `${tag}.held`)) ? true : undefined), "the holding invocation to run");
    return async () => {
      writeFileSync(join(dir, `${tag}.release`), "");
      const out = await invoke;
      expect(Buffer.from(out.Payload!).toString()).toBe('"released"');
    };
  };
  const result = async (want: string) =>
    until(async () => {
      const g = await c.lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
      return g.LastProcessingResult === want ? g : undefined;
    }, `LastProcessingResult ${want}`);
  return { ...c, dest, put, hold, result };
}

describe("DynamoDB stream mappings and errors that are not the function's", { timeout: 60_000 }, () => {
  it("a throttled batch is retried on a later pass: nothing to the OnFailure queue, nothing lost, order kept", async () => {
    const t = await setup("esm-throttled", { MaximumRetryAttempts: 0, BatchSize: 10 });
    await t.put("a");
    await until(() => (keys("esm-throttled").length === 1 ? true : undefined), "the first record");
    await t.result("OK"); // the first batch's invocation has returned: the worker is free
    const release = await t.hold();
    await t.put("b");
    await t.put("c");
    // The mapping tried while the worker was busy, and was refused (TooManyRequestsException).
    await t.result("PROBLEM: Function call failed");
    await release();
    await until(() => (keys("esm-throttled").length >= 3 ? true : undefined), "the throttled records");
    expect(keys("esm-throttled")).toEqual(["a", "b", "c"]);
    await t.result("OK");
    // MaximumRetryAttempts 0 did not apply: nothing was given up on.
    const q = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: t.dest, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
    expect(q.Attributes).toMatchObject({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
  });

  it("records refused until older than MaximumRecordAgeInSeconds go to the OnFailure queue as RecordAgeExceeded, and the shard moves on", async () => {
    const t = await setup("esm-aged", { MaximumRetryAttempts: 0, MaximumRecordAgeInSeconds: 60 });
    const release = await t.hold();
    await t.put("old");
    await t.result("PROBLEM: Function call failed");
    await advanceClock(n, "PT2M");
    const msg = await until(async () => (await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: t.dest, WaitTimeSeconds: 1 }))).Messages?.[0], "the failure record");
    const rec = JSON.parse(msg.Body!);
    expect(rec.requestContext).toMatchObject({ functionArn: `arn:aws:lambda:us-east-1:${t.account}:function:esm-aged`, condition: "RecordAgeExceeded", approximateInvokeCount: 0 });
    expect(rec.responseContext.functionError).toBe("TooManyRequestsException");
    expect(rec.DDBStreamBatchInfo).toMatchObject({ batchSize: 1 });
    await release();
    await t.put("new");
    await until(() => (keys("esm-aged").length >= 1 ? true : undefined), "the next record");
    expect(keys("esm-aged")).toEqual(["new"]);
  });
});
