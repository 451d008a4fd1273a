// DynamoDB Streams through the real SDK v3 clients (@aws-sdk/client-dynamodb for the table,
// @aws-sdk/client-dynamodb-streams for the records): every view type, sequence numbers, every
// iterator type, records only for committed changes, enable/disable, 24 h retention and
// iterator expiry on the Nimbus clock, and the event each record emits on the bus.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type GetRecordsCommandOutput,
  type _Record,
  type ShardIteratorType,
} from "@aws-sdk/client-dynamodb-streams";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, failure, N, S, advanceClock } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

function setup() {
  const a = account(n);
  const streams = new DynamoDBStreamsClient(sdkConfig(n.endpoint, { accountId: a.id }));
  return { ...a, streams };
}

async function streamTable(c: DynamoDBClient, name: string, view?: string): Promise<string> {
  const out = await c.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
      ],
      ...(view ? { StreamSpecification: { StreamEnabled: true, StreamViewType: view as "KEYS_ONLY" } } : {}),
    }),
  );
  return out.TableDescription!.LatestStreamArn ?? "";
}

async function shardOf(s: DynamoDBStreamsClient, arn: string): Promise<string> {
  const d = await s.send(new DescribeStreamCommand({ StreamArn: arn }));
  return d.StreamDescription!.Shards![0].ShardId!;
}

async function iterator(s: DynamoDBStreamsClient, arn: string, type: ShardIteratorType, seq?: string): Promise<string> {
  const it = await s.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: await shardOf(s, arn), ShardIteratorType: type, ...(seq ? { SequenceNumber: seq } : {}) }));
  return it.ShardIterator!;
}

async function readAll(s: DynamoDBStreamsClient, arn: string): Promise<_Record[]> {
  const out = await s.send(new GetRecordsCommand({ ShardIterator: await iterator(s, arn, "TRIM_HORIZON") }));
  return out.Records!;
}

describe("stream records", () => {
  it("every view type carries the images it names, with increasing sequence numbers", async () => {
    const { client: c, streams } = setup();
    const expected: Record<string, { insert: string[]; modify: string[]; remove: string[] }> = {
      KEYS_ONLY: { insert: [], modify: [], remove: [] },
      NEW_IMAGE: { insert: ["NewImage"], modify: ["NewImage"], remove: [] },
      OLD_IMAGE: { insert: [], modify: ["OldImage"], remove: ["OldImage"] },
      NEW_AND_OLD_IMAGES: { insert: ["NewImage"], modify: ["NewImage", "OldImage"], remove: ["OldImage"] },
    };
    for (const [view, want] of Object.entries(expected)) {
      const table = `t-${view.toLowerCase().replace(/_/g, "-")}`;
      const arn = await streamTable(c, table, view);
      expect(arn).toMatch(new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${table}/stream/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
      await c.send(new PutItemCommand({ TableName: table, Item: { pk: S("a"), sk: N(1), v: S("one"), bin: { B: Uint8Array.from([1, 2, 3]) } } }));
      await c.send(new UpdateItemCommand({ TableName: table, Key: { pk: S("a"), sk: N(1) }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": S("two") } }));
      await c.send(new DeleteItemCommand({ TableName: table, Key: { pk: S("a"), sk: N(1) } }));
      const recs = await readAll(streams, arn);
      expect(recs.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
      const images = (r: _Record) => ["NewImage", "OldImage"].filter((k) => (r.dynamodb as Record<string, unknown>)[k] !== undefined);
      expect(recs.map(images)).toEqual([want.insert, want.modify, want.remove]);
      for (const r of recs) {
        expect(r).toMatchObject({ eventVersion: "1.1", eventSource: "aws:dynamodb", awsRegion: "us-east-1" });
        expect(r.eventID).toMatch(/^[0-9a-f]{32}$/);
        expect(r.dynamodb!.Keys).toEqual({ pk: S("a"), sk: N(1) });
        expect(r.dynamodb!.StreamViewType).toBe(view);
        expect(r.dynamodb!.SizeBytes).toBeGreaterThan(0);
        expect(r.dynamodb!.ApproximateCreationDateTime).toBeInstanceOf(Date);
        expect(r.userIdentity).toBeUndefined();
      }
      const seqs = recs.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
      expect(seqs[0] < seqs[1] && seqs[1] < seqs[2]).toBe(true);
      if (view === "NEW_AND_OLD_IMAGES") {
        expect(recs[1].dynamodb!.OldImage!.v).toEqual(S("one"));
        expect(recs[1].dynamodb!.NewImage!.v).toEqual(S("two"));
        expect([...recs[0].dynamodb!.NewImage!.bin.B!]).toEqual([1, 2, 3]);
      }
    }
  });

  it("records only committed changes: none for a write that changes nothing or a cancelled transaction", async () => {
    const { client: c, streams } = setup();
    const arn = await streamTable(c, "commits", "KEYS_ONLY");
    await c.send(new PutItemCommand({ TableName: "commits", Item: { pk: S("a"), sk: N(1), v: N(1) } }));
    // Same attributes again (numbers compared as numbers): no MODIFY.
    await c.send(new PutItemCommand({ TableName: "commits", Item: { v: N("1.0"), sk: N(1), pk: S("a") } }));
    await c.send(new DeleteItemCommand({ TableName: "commits", Key: { pk: S("nothing"), sk: N(0) } }));
    await failure(c.send(new PutItemCommand({ TableName: "commits", Item: { pk: S("a"), sk: N(1), v: N(2) }, ConditionExpression: "attribute_not_exists(pk)" })));
    await failure(
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "commits", Item: { pk: S("b"), sk: N(1) } } },
            { ConditionCheck: { TableName: "commits", Key: { pk: S("zzz"), sk: N(0) }, ConditionExpression: "attribute_exists(pk)" } },
          ],
        }),
      ),
    );
    await c.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: "commits", Item: { pk: S("c"), sk: N(1) } } },
          { Update: { TableName: "commits", Key: { pk: S("a"), sk: N(1) }, UpdateExpression: "ADD v :one", ExpressionAttributeValues: { ":one": N(1) } } },
        ],
      }),
    );
    await c.send(new BatchWriteItemCommand({ RequestItems: { commits: [{ PutRequest: { Item: { pk: S("d"), sk: N(1) } } }, { DeleteRequest: { Key: { pk: S("c"), sk: N(1) } } }] } }));
    const recs = await readAll(streams, arn);
    expect(recs.map((r) => `${r.eventName} ${r.dynamodb!.Keys!.pk.S}`)).toEqual(["INSERT a", "INSERT c", "MODIFY a", "INSERT d", "REMOVE c"]);
  });

  it("iterator types: TRIM_HORIZON, LATEST, AT_ and AFTER_SEQUENCE_NUMBER; Limit and NextShardIterator", async () => {
    const { client: c, streams } = setup();
    const arn = await streamTable(c, "iters", "NEW_IMAGE");
    for (let i = 1; i <= 5; i++) await c.send(new PutItemCommand({ TableName: "iters", Item: { pk: S("p"), sk: N(i) } }));
    const latest = await iterator(streams, arn, "LATEST");
    // Pages of 2 from the trim horizon.
    let it: string | undefined = await iterator(streams, arn, "TRIM_HORIZON");
    const seen: string[] = [];
    const seqs: string[] = [];
    for (let page = 0; page < 4 && it; page++) {
      const out: GetRecordsCommandOutput = await streams.send(new GetRecordsCommand({ ShardIterator: it, Limit: 2 }));
      expect(out.Records!.length).toBeLessThanOrEqual(2);
      seen.push(...out.Records!.map((r) => r.dynamodb!.Keys!.sk.N!));
      seqs.push(...out.Records!.map((r) => r.dynamodb!.SequenceNumber!));
      it = out.NextShardIterator;
    }
    expect(seen).toEqual(["1", "2", "3", "4", "5"]);
    // An open shard always hands back a next iterator, even with nothing new.
    expect(it).toBeDefined();
    const at = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator(streams, arn, "AT_SEQUENCE_NUMBER", seqs[2]) }));
    expect(at.Records!.map((r) => r.dynamodb!.Keys!.sk.N)).toEqual(["3", "4", "5"]);
    const after = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator(streams, arn, "AFTER_SEQUENCE_NUMBER", seqs[2]) }));
    expect(after.Records!.map((r) => r.dynamodb!.Keys!.sk.N)).toEqual(["4", "5"]);
    // LATEST sees only what was written after it was taken.
    await c.send(new PutItemCommand({ TableName: "iters", Item: { pk: S("p"), sk: N(6) } }));
    const fromLatest = await streams.send(new GetRecordsCommand({ ShardIterator: latest }));
    expect(fromLatest.Records!.map((r) => r.dynamodb!.Keys!.sk.N)).toEqual(["6"]);
    const more = await streams.send(new GetRecordsCommand({ ShardIterator: it! }));
    expect(more.Records!.map((r) => r.dynamodb!.Keys!.sk.N)).toEqual(["6"]);

    let e = await failure(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: await shardOf(streams, arn), ShardIteratorType: "AT_SEQUENCE_NUMBER" })));
    expect(e.name).toBe("ValidationException");
    e = await failure(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: "shardId-00000000000000000000-00000000", ShardIteratorType: "LATEST" })));
    expect(e.name).toBe("ResourceNotFoundException");
    e = await failure(streams.send(new DescribeStreamCommand({ StreamArn: `${arn}x` })));
    expect([e.name, e.message]).toEqual(["ResourceNotFoundException", `Requested resource not found: Stream: ${arn}x not found`]);
    e = await failure(streams.send(new GetRecordsCommand({ ShardIterator: "garbage" })));
    expect(e.name).toBe("ValidationException");
  });

  it("UpdateTable enables and disables streams; a disabled stream's shard closes; re-enabling makes a new stream", async () => {
    const { client: c, streams } = setup();
    expect(await streamTable(c, "toggle")).toBe("");
    let e = await failure(c.send(new UpdateTableCommand({ TableName: "toggle", StreamSpecification: { StreamEnabled: false } })));
    expect(e.message).toBe("Table has no stream to disable: TableName: toggle");
    e = await failure(c.send(new UpdateTableCommand({ TableName: "toggle", StreamSpecification: { StreamEnabled: true } })));
    expect(e.message).toBe("One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required");
    const on = await c.send(new UpdateTableCommand({ TableName: "toggle", StreamSpecification: { StreamEnabled: true, StreamViewType: "KEYS_ONLY" } }));
    const first = on.TableDescription!.LatestStreamArn!;
    expect(on.TableDescription!.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "KEYS_ONLY" });
    e = await failure(c.send(new UpdateTableCommand({ TableName: "toggle", StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" } })));
    expect(e.message).toBe("Table already has an enabled stream: TableName: toggle");
    await c.send(new PutItemCommand({ TableName: "toggle", Item: { pk: S("a"), sk: N(1) } }));
    const it = await iterator(streams, first, "TRIM_HORIZON");

    await c.send(new UpdateTableCommand({ TableName: "toggle", StreamSpecification: { StreamEnabled: false } }));
    await c.send(new PutItemCommand({ TableName: "toggle", Item: { pk: S("b"), sk: N(1) } }));
    const d = (await streams.send(new DescribeStreamCommand({ StreamArn: first }))).StreamDescription!;
    expect(d.StreamStatus).toBe("DISABLED");
    expect(d.Shards![0].SequenceNumberRange!.EndingSequenceNumber).toBeDefined();
    const out = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
    expect(out.Records!.map((r) => r.dynamodb!.Keys!.pk.S)).toEqual(["a"]);
    // Everything read from a closed shard: no next iterator.
    expect(out.NextShardIterator).toBeUndefined();
    const t = (await c.send(new DescribeTableCommand({ TableName: "toggle" }))).Table!;
    expect(t.StreamSpecification).toBeUndefined();
    expect(t.LatestStreamArn).toBe(first);

    const again = await c.send(new UpdateTableCommand({ TableName: "toggle", StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" } }));
    const second = again.TableDescription!.LatestStreamArn!;
    expect(second).not.toBe(first);
    const listed = await streams.send(new ListStreamsCommand({ TableName: "toggle" }));
    expect(listed.Streams!.map((s) => s.StreamArn).sort()).toEqual([first, second].sort());
    const paged = await streams.send(new ListStreamsCommand({ TableName: "toggle", Limit: 1 }));
    expect(paged.Streams).toHaveLength(1);
    expect(paged.LastEvaluatedStreamArn).toBe(paged.Streams![0].StreamArn);
    // The stream outlives its table.
    await c.send(new DeleteTableCommand({ TableName: "toggle" }));
    const gone = (await streams.send(new DescribeStreamCommand({ StreamArn: second }))).StreamDescription!;
    expect(gone.StreamStatus).toBe("DISABLED");
    expect(gone.TableName).toBe("toggle");
  });

  it("announces each committed record on the event bus", async () => {
    const { id, client: c } = setup();
    const arn = await streamTable(c, "bus", "NEW_IMAGE");
    const got: Array<{ accountId: string; streamArn: string; record: Record<string, any> }> = [];
    let wake: () => void = () => {};
    const off = n.nimbus.events.on("dynamodb.stream-record", (p) => {
      if (p.accountId !== id) return;
      got.push(p);
      if (got.length === 2) wake();
    });
    const two = new Promise<void>((r) => (wake = r));
    await failure(
      c.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: "bus", Item: { pk: S("rolled-back"), sk: N(1) } } },
            { ConditionCheck: { TableName: "bus", Key: { pk: S("zzz"), sk: N(0) }, ConditionExpression: "attribute_exists(pk)" } },
          ],
        }),
      ),
    );
    await c.send(new PutItemCommand({ TableName: "bus", Item: { pk: S("x"), sk: N(1) } }));
    await c.send(new PutItemCommand({ TableName: "bus", Item: { pk: S("y"), sk: N(1) } }));
    await two;
    off();
    expect(got.map((g) => g.record.dynamodb.Keys.pk.S)).toEqual(["x", "y"]);
    expect(got[0].streamArn).toBe(arn);
    expect(got[0].record.eventName).toBe("INSERT");
  });
});

// Advances the shared clock: keep last in the file.
describe("retention on the Nimbus clock", () => {
  it("iterators expire after 15 minutes and records after 24 hours", async () => {
    const { client: c, streams } = setup();
    const arn = await streamTable(c, "aging", "KEYS_ONLY");
    await c.send(new PutItemCommand({ TableName: "aging", Item: { pk: S("old"), sk: N(1) } }));
    const seq = (await readAll(streams, arn))[0].dynamodb!.SequenceNumber!;
    const it = await iterator(streams, arn, "TRIM_HORIZON");
    await advanceClock(n, "PT16M");
    const e = await failure(streams.send(new GetRecordsCommand({ ShardIterator: it })));
    expect(e.name).toBe("ExpiredIteratorException");
    expect(e.message).toMatch(/^Iterator expired\. The iterator was created at time .* which is further in the future than the tolerated delay of 900000 milliseconds\.$/);

    await advanceClock(n, "PT24H");
    await c.send(new PutItemCommand({ TableName: "aging", Item: { pk: S("new"), sk: N(1) } }));
    expect((await readAll(streams, arn)).map((r) => r.dynamodb!.Keys!.pk.S)).toEqual(["new"]);
    const trimmed = await failure(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: await shardOf(streams, arn), ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: seq })));
    expect(trimmed.name).toBe("TrimmedDataAccessException");
    const d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!;
    expect(BigInt(d.Shards![0].SequenceNumberRange!.StartingSequenceNumber!)).toBeGreaterThan(BigInt(seq));

    // A disabled stream disappears 24 hours after it was disabled.
    await c.send(new UpdateTableCommand({ TableName: "aging", StreamSpecification: { StreamEnabled: false } }));
    expect((await streams.send(new ListStreamsCommand({ TableName: "aging" }))).Streams).toHaveLength(1);
    await advanceClock(n, "PT25H");
    expect((await streams.send(new ListStreamsCommand({ TableName: "aging" }))).Streams).toEqual([]);
    expect((await failure(streams.send(new DescribeStreamCommand({ StreamArn: arn })))).name).toBe("ResourceNotFoundException");
  });
});

describe("after a restart", () => {
  it("indexes, streams and TTL carry on from the data directory", async () => {
    const own = await startNimbus();
    const dataDir = own.dataDir;
    const { DynamoDBClient, QueryCommand, UpdateTimeToLiveCommand, ScanCommand } = await import("@aws-sdk/client-dynamodb");
    const acct = "210987654321";
    let c = new DynamoDBClient(sdkConfig(own.endpoint, { accountId: acct }));
    await c.send(
      new CreateTableCommand({
        TableName: "durable",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "g", AttributeType: "S" },
        ],
        GlobalSecondaryIndexes: [{ IndexName: "byG", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
      }),
    );
    await c.send(new UpdateTimeToLiveCommand({ TableName: "durable", TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } }));
    const exp = Math.floor(own.nimbus.clock.now() / 1000) + 600;
    await c.send(new PutItemCommand({ TableName: "durable", Item: { id: S("a"), g: S("x"), exp: N(exp) } }));
    await own.stop({ keepData: true });

    const again = await startNimbus({ dataDir });
    try {
      c = new DynamoDBClient(sdkConfig(again.endpoint, { accountId: acct }));
      const s = new DynamoDBStreamsClient(sdkConfig(again.endpoint, { accountId: acct }));
      await c.send(new PutItemCommand({ TableName: "durable", Item: { id: S("b"), g: S("x") } }));
      const q = await c.send(new QueryCommand({ TableName: "durable", IndexName: "byG", KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": S("x") } }));
      expect(q.Items!.map((i) => i.id.S).sort()).toEqual(["a", "b"]);
      const arn = (await c.send(new DescribeTableCommand({ TableName: "durable" }))).Table!.LatestStreamArn!;
      const recs = await readAll(s, arn);
      expect(recs.map((r) => `${r.eventName} ${r.dynamodb!.Keys!.id.S}`)).toEqual(["INSERT a", "INSERT b"]);
      expect(BigInt(recs[1].dynamodb!.SequenceNumber!) - BigInt(recs[0].dynamodb!.SequenceNumber!)).toBe(1n);
      await advanceClock(again, "PT11M");
      expect((await c.send(new ScanCommand({ TableName: "durable" }))).Items!.map((i) => i.id.S)).toEqual(["b"]);
    } finally {
      await again.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
