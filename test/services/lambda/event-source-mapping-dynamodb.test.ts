// DynamoDB stream event source mappings: a python function triggered by a table's stream
// receives AWS's records in order (INSERT / MODIFY / REMOVE with Keys, NewImage, OldImage,
// SequenceNumber, SizeBytes, StreamViewType, eventSourceARN); LATEST skips older records; a
// failing function is retried MaximumRetryAttempts times and the batch goes to the OnFailure
// queue; one mapping is created through boto3.
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { PYTHON, ok, useClients } from "../../clients/support.js";
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

const cli = useClients(() => n.endpoint);

function clients(account = freshAccount()) {
  const cfg = sdkConfig(n.endpoint, { accountId: account });
  return { account, lambda: new LambdaClient(cfg), ddb: new DynamoDBClient(cfg), sqs: new SQSClient(cfg) };
}

const PY_HANDLER = `import json, os, urllib.request
def handler(event, context):
    req = urllib.request.Request(os.environ["COLLECTOR"] + "/" + context.function_name, data=json.dumps(event).encode(), method="POST")
    urllib.request.urlopen(req).read()
    print("records", len(event["Records"]))
    return {"ok": True}
def poison(event, context):
    req = urllib.request.Request(os.environ["COLLECTOR"] + "/" + context.function_name, data=json.dumps(event).encode(), method="POST")
    urllib.request.urlopen(req).read()
    if any(r["dynamodb"]["Keys"]["pk"]["S"] == "poison" for r in event["Records"]):
        raise ValueError("poison record")
def fail(event, context):
    req = urllib.request.Request(os.environ["COLLECTOR"] + "/" + context.function_name, data=json.dumps(event).encode(), method="POST")
    urllib.request.urlopen(req).read()
    raise RuntimeError("cannot handle")
`;

async function streamTable(ddb: DynamoDBClient, name: string): Promise<string> {
  const out = await ddb.send(new CreateTableCommand({
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
  }));
  return out.TableDescription!.LatestStreamArn!;
}

const records = (fn: string) => ((col.posts.get(`/${fn}`) ?? []) as Array<{ Records: Array<Record<string, any>> }>).flatMap((p) => p.Records);

describe("DynamoDB stream event source mappings", () => {
  it("triggers a python function with AWS's records, in order", async () => {
    const { account, lambda, ddb } = clients();
    await createFunction(lambda, account, "ddb-py", "python3.12", "index.handler", { "index.py": PY_HANDLER }, { COLLECTOR: col.url });
    const stream = await streamTable(ddb, "orders");
    const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ddb-py", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON", BatchSize: 10 }));
    expect(m).toMatchObject({ State: "Creating", StartingPosition: "TRIM_HORIZON", BatchSize: 10, ParallelizationFactor: 1, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, BisectBatchOnFunctionError: false, LastProcessingResult: "No records processed" });
    await ddb.send(new PutItemCommand({ TableName: "orders", Item: { pk: { S: "o1" }, total: { N: "10" } } }));
    await ddb.send(new UpdateItemCommand({ TableName: "orders", Key: { pk: { S: "o1" } }, UpdateExpression: "SET #t = :t", ExpressionAttributeNames: { "#t": "total" }, ExpressionAttributeValues: { ":t": { N: "20" } } }));
    await ddb.send(new DeleteItemCommand({ TableName: "orders", Key: { pk: { S: "o1" } } }));
    const got = await until(() => (records("ddb-py").length >= 3 ? records("ddb-py") : undefined), "three stream records");
    expect(got.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    const [ins, mod, rem] = got;
    expect(ins).toMatchObject({
      eventSource: "aws:dynamodb",
      eventVersion: "1.1",
      awsRegion: "us-east-1",
      eventSourceARN: stream,
      dynamodb: { Keys: { pk: { S: "o1" } }, NewImage: { pk: { S: "o1" }, total: { N: "10" } }, StreamViewType: "NEW_AND_OLD_IMAGES" },
    });
    expect(ins.eventID).toEqual(expect.any(String));
    expect(ins.dynamodb.OldImage).toBeUndefined();
    expect(typeof ins.dynamodb.ApproximateCreationDateTime).toBe("number");
    expect(ins.dynamodb.SizeBytes).toBeGreaterThan(0);
    expect(mod.dynamodb).toMatchObject({ OldImage: { total: { N: "10" } }, NewImage: { total: { N: "20" } } });
    expect(rem.dynamodb.OldImage).toEqual({ pk: { S: "o1" }, total: { N: "20" } });
    expect(rem.dynamodb.NewImage).toBeUndefined();
    const seqs = got.map((r) => BigInt(r.dynamodb.SequenceNumber));
    expect(seqs[0] < seqs[1] && seqs[1] < seqs[2]).toBe(true);
    const after = await until(async () => {
      const g = await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
      return g.LastProcessingResult === "OK" ? g : undefined;
    }, "LastProcessingResult OK");
    expect(after.State).toBe("Enabled");
  });

  it("retries a failing function MaximumRetryAttempts times, then sends the batch to the OnFailure queue", async () => {
    const { account, lambda, ddb, sqs } = clients();
    await createFunction(lambda, account, "ddb-fail", "python3.12", "index.fail", { "index.py": PY_HANDLER }, { COLLECTOR: col.url });
    const stream = await streamTable(ddb, "events");
    const dest = (await sqs.send(new CreateQueueCommand({ QueueName: "ddb-failures" }))).QueueUrl!;
    const destArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dest, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ddb-fail", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: destArn } } }));
    await ddb.send(new PutItemCommand({ TableName: "events", Item: { pk: { S: "e1" } } }));
    const msg = await until(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dest, WaitTimeSeconds: 1 }))).Messages?.[0], "the failure record");
    const rec = JSON.parse(msg.Body!);
    expect(rec.requestContext).toMatchObject({ functionArn: `arn:aws:lambda:us-east-1:${account}:function:ddb-fail`, condition: "RetryAttemptsExhausted", approximateInvokeCount: 2 });
    expect(rec.responseContext).toMatchObject({ statusCode: 200, functionError: "Unhandled" });
    expect(rec.DDBStreamBatchInfo).toMatchObject({ batchSize: 1, streamArn: stream, shardId: expect.any(String) });
    expect(rec.DDBStreamBatchInfo.startSequenceNumber).toBe(rec.DDBStreamBatchInfo.endSequenceNumber);
    // The first try and one retry: two invocations with the same record.
    expect(records("ddb-fail").map((r) => r.dynamodb.Keys.pk.S)).toEqual(["e1", "e1"]);
  });

  it("bisects a failing batch until the poison record is alone, sends only it to the OnFailure queue, and moves on", async () => {
    const { account, lambda, ddb, sqs } = clients();
    await createFunction(lambda, account, "ddb-bisect", "python3.12", "index.poison", { "index.py": PY_HANDLER }, { COLLECTOR: col.url });
    const stream = await streamTable(ddb, "bisect");
    const dest = (await sqs.send(new CreateQueueCommand({ QueueName: "bisect-failures" }))).QueueUrl!;
    const destArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dest, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    for (const pk of ["a", "b", "poison", "c"]) await ddb.send(new PutItemCommand({ TableName: "bisect", Item: { pk: { S: pk } } }));
    const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "ddb-bisect", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON", BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: destArn } } }));
    const msg = await until(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dest, WaitTimeSeconds: 1 }))).Messages?.[0], "the poison record's failure record");
    const rec = JSON.parse(msg.Body!);
    expect(rec.DDBStreamBatchInfo.batchSize).toBe(1);
    expect(rec.requestContext.condition).toBe("RetryAttemptsExhausted");
    // Batches seen: [a b poison c] fails, [a b] ok, [poison c] fails, [poison] fails, [c] ok.
    const batches = await until(() => {
      const seen = ((col.posts.get("/ddb-bisect") ?? []) as Array<{ Records: Array<Record<string, any>> }>).map((p) => p.Records.map((r) => r.dynamodb.Keys.pk.S).join(" "));
      return seen.length >= 5 ? seen : undefined;
    }, "five batches");
    expect(batches).toEqual(["a b poison c", "a b", "poison c", "poison", "c"]);
    const g = await until(async () => {
      const x = await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
      return x.LastProcessingResult === "PROBLEM: Function call failed" ? x : undefined;
    }, "the batch's result");
    expect(g.State).toBe("Enabled");
  });

  it.skipIf(!PYTHON)("boto3 creates a LATEST mapping: only records written after it are delivered", async () => {
    const { account, lambda, ddb } = clients();
    await createFunction(lambda, account, "ddb-latest", "python3.12", "index.handler", { "index.py": PY_HANDLER }, { COLLECTOR: col.url });
    const stream = await streamTable(ddb, "latest");
    await ddb.send(new PutItemCommand({ TableName: "latest", Item: { pk: { S: "before" } } }));
    const m = ok(await cli.python(account, `
import boto3, json, sys
lam = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1")
m = lam.create_event_source_mapping(FunctionName="ddb-latest", EventSourceArn=sys.argv[2], StartingPosition="LATEST", BatchSize=5)
print(json.dumps({"uuid": m["UUID"], "state": m["State"], "pos": m["StartingPosition"], "batch": m["BatchSize"]}))
`, n.endpoint, stream));
    expect(m).toMatchObject({ state: "Creating", pos: "LATEST", batch: 5 });
    await ddb.send(new PutItemCommand({ TableName: "latest", Item: { pk: { S: "after" } } }));
    const got = await until(() => (records("ddb-latest").length > 0 ? records("ddb-latest") : undefined), "the record written after the mapping");
    expect(got.map((r) => r.dynamodb.Keys.pk.S)).toEqual(["after"]);
  });
});
