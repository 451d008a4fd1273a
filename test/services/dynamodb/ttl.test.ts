// Time to Live through the real SDK v3 clients: UpdateTimeToLive / DescribeTimeToLive and their
// errors, expired items still readable until the sweeper runs, the sweeper driven by advancing
// the Nimbus clock (POST /_nimbus/clock), REMOVE stream records by DynamoDB itself, and indexes
// following the deletes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure, N, S, advanceClock } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

/** Nimbus time, in epoch seconds. */
async function nowS(): Promise<number> {
  const r = (await (await fetch(`${n.endpoint}/_nimbus/clock`)).json()) as { epochMillis: number };
  return Math.floor(r.epochMillis / 1000);
}

describe("UpdateTimeToLive / DescribeTimeToLive", () => {
  it("enables and disables TTL with AWS's errors", async () => {
    const { client: c } = account(n);
    await createTable(c, "sessions", ["id", "S"]);
    expect((await c.send(new DescribeTimeToLiveCommand({ TableName: "sessions" }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: "DISABLED" });
    let e = await failure(c.send(new UpdateTimeToLiveCommand({ TableName: "sessions", TimeToLiveSpecification: { AttributeName: "exp", Enabled: false } })));
    expect([e.name, e.message]).toEqual(["ValidationException", "TimeToLive is already disabled"]);
    const out = await c.send(new UpdateTimeToLiveCommand({ TableName: "sessions", TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } }));
    expect(out.TimeToLiveSpecification).toEqual({ AttributeName: "exp", Enabled: true });
    expect((await c.send(new DescribeTimeToLiveCommand({ TableName: "sessions" }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "exp" });
    e = await failure(c.send(new UpdateTimeToLiveCommand({ TableName: "sessions", TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } })));
    expect(e.message).toBe("TimeToLive is already enabled");
    e = await failure(c.send(new UpdateTimeToLiveCommand({ TableName: "sessions", TimeToLiveSpecification: { AttributeName: "other", Enabled: true } })));
    expect(e.message).toBe("TimeToLive is active on a different AttributeName: current AttributeName is exp");
    e = await failure(c.send(new UpdateTimeToLiveCommand({ TableName: "sessions", TimeToLiveSpecification: { AttributeName: "", Enabled: true } })));
    expect(e.message).toBe("1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1");
    e = await failure(c.send(new UpdateTimeToLiveCommand({ TableName: "nope", TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } })));
    expect(e.name).toBe("ResourceNotFoundException");
    await c.send(new UpdateTimeToLiveCommand({ TableName: "sessions", TimeToLiveSpecification: { AttributeName: "exp", Enabled: false } }));
    expect((await c.send(new DescribeTimeToLiveCommand({ TableName: "sessions" }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: "DISABLED" });
  });
});

describe("expiry", () => {
  it("deletes expired items when the clock moves; expired items are read until then; REMOVE records name DynamoDB", async () => {
    const { id, client: c } = account(n);
    const streams = new DynamoDBStreamsClient(sdkConfig(n.endpoint, { accountId: id }));
    const created = await c.send(
      new CreateTableCommand({
        TableName: "cache",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "kind", AttributeType: "S" },
        ],
        GlobalSecondaryIndexes: [{ IndexName: "byKind", KeySchema: [{ AttributeName: "kind", KeyType: "HASH" }], Projection: { ProjectionType: "KEYS_ONLY" } }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      }),
    );
    const arn = created.TableDescription!.LatestStreamArn!;
    const now = await nowS();
    // Written before TTL is enabled: found by the backfill.
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("past"), kind: S("k"), exp: N(now - 60) } }));
    await c.send(new UpdateTimeToLiveCommand({ TableName: "cache", TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } }));
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("soon"), kind: S("k"), exp: N(now + 3600) } }));
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("later"), kind: S("k"), exp: N(now + 3 * 86400) } }));
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("never"), kind: S("k") } }));
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("text"), kind: S("k"), exp: S("tomorrow") } }));
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("ancient"), kind: S("k"), exp: N(now - 6 * 365 * 86400) } }));
    // Extended: its old expiry no longer counts.
    await c.send(new PutItemCommand({ TableName: "cache", Item: { id: S("extended"), kind: S("k"), exp: N(now + 1800) } }));
    await c.send(new UpdateItemCommand({ TableName: "cache", Key: { id: S("extended") }, UpdateExpression: "SET #e = :e", ExpressionAttributeNames: { "#e": "exp" }, ExpressionAttributeValues: { ":e": N(now + 5 * 86400) } }));

    // Expired but not yet swept: still returned, as on AWS.
    expect((await c.send(new GetItemCommand({ TableName: "cache", Key: { id: S("past") } }))).Item?.id).toEqual(S("past"));

    await advanceClock(n, "PT2H");
    const ids = async () => (await c.send(new ScanCommand({ TableName: "cache" }))).Items!.map((i) => i.id.S).sort();
    expect(await ids()).toEqual(["ancient", "extended", "later", "never", "text"]);
    const inIndex = await c.send(new QueryCommand({ TableName: "cache", IndexName: "byKind", KeyConditionExpression: "kind = :k", ExpressionAttributeValues: { ":k": S("k") } }));
    expect(inIndex.Items!.map((i) => i.id.S).sort()).toEqual(["ancient", "extended", "later", "never", "text"]);

    // The stream: the TTL deletes are REMOVE records whose userIdentity is DynamoDB.
    const records = async () => {
      const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0].ShardId!;
      const it = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: "TRIM_HORIZON" }));
      return (await streams.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }))).Records!;
    };
    let recs = await records();
    let removes = recs.filter((r) => r.eventName === "REMOVE");
    expect(removes.map((r) => r.dynamodb!.Keys!.id.S)).toEqual(["past", "soon"]);
    for (const r of removes) expect(r.userIdentity).toEqual({ Type: "Service", PrincipalId: "dynamodb.amazonaws.com" });
    expect(removes[0].dynamodb!.OldImage!.exp).toEqual(N(now - 60));
    expect(recs.filter((r) => r.eventName !== "REMOVE").every((r) => r.userIdentity === undefined)).toBe(true);

    await advanceClock(n, "P3D");
    expect(await ids()).toEqual(["ancient", "extended", "never", "text"]);
    // Three days on, only the newest REMOVE is within the stream's 24 hours.
    recs = await records();
    removes = recs.filter((r) => r.eventName === "REMOVE");
    expect(recs.map((r) => `${r.eventName} ${r.dynamodb!.Keys!.id.S}`)).toEqual(["REMOVE later"]);
    expect(removes[0].userIdentity).toEqual({ Type: "Service", PrincipalId: "dynamodb.amazonaws.com" });
  });

  it("disabling TTL stops deletion", async () => {
    const { client: c } = account(n);
    await createTable(c, "keep", ["id", "S"]);
    await c.send(new UpdateTimeToLiveCommand({ TableName: "keep", TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } }));
    const now = await nowS();
    await c.send(new PutItemCommand({ TableName: "keep", Item: { id: S("a"), exp: N(now + 60) } }));
    await c.send(new UpdateTimeToLiveCommand({ TableName: "keep", TimeToLiveSpecification: { AttributeName: "exp", Enabled: false } }));
    await advanceClock(n, "PT1H");
    expect((await c.send(new GetItemCommand({ TableName: "keep", Key: { id: S("a") } }))).Item).toEqual({ id: S("a"), exp: N(now + 60) });
  });
});
