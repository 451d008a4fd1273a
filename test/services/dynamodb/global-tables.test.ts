// Global tables (version 2019.11.21) through the real SDK v3 client: UpdateTable ReplicaUpdates
// creates a replica that is a real table in the other region of the same account (CREATING,
// then ACTIVE on the Nimbus clock), writes replicate asynchronously both ways with last writer
// wins, indexes and streams follow, no aws:rep:* attributes are added, and Delete drops it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateGlobalTableCommand,
  CreateTableCommand,
  DescribeGlobalTableCommand,
  ListGlobalTablesCommand,
  UpdateGlobalTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTableReplicaAutoScalingCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { advanceClock, createTable, failure, N, S } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

function regions(): { id: string; east: DynamoDBClient; west: DynamoDBClient } {
  const id = freshAccount();
  return { id, east: new DynamoDBClient(sdkConfig(n.endpoint, { accountId: id, region: "us-east-1" })), west: new DynamoDBClient(sdkConfig(n.endpoint, { accountId: id, region: "eu-west-1" })) };
}

/** Polls until `check` holds (replication is asynchronous); fails after ~5 s. */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !check(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  expect(check(v)).toBe(true);
  return v;
}

describe("global tables 2019.11.21", () => {
  it("creates a replica in another region with the table's items, indexes and a NEW_AND_OLD_IMAGES stream", async () => {
    const { id, east, west } = regions();
    await east.send(
      new CreateTableCommand({
        TableName: "users",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "city", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        GlobalSecondaryIndexes: [{ IndexName: "byCity", KeySchema: [{ AttributeName: "city", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
      }),
    );
    await east.send(new PutItemCommand({ TableName: "users", Item: { pk: S("u1"), city: S("Paris"), n: N(1) } }));
    const up = await east.send(new UpdateTableCommand({ TableName: "users", ReplicaUpdates: [{ Create: { RegionName: "eu-west-1" } }] }));
    expect(up.TableDescription!.GlobalTableVersion).toBe("2019.11.21");
    expect(up.TableDescription!.Replicas).toEqual([{ RegionName: "eu-west-1", ReplicaStatus: "CREATING", GlobalSecondaryIndexes: [{ IndexName: "byCity" }] }]);
    expect(up.TableDescription!.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });

    const w = (await west.send(new DescribeTableCommand({ TableName: "users" }))).Table!;
    expect(w.TableArn).toBe(`arn:aws:dynamodb:eu-west-1:${id}:table/users`);
    expect(w.TableStatus).toBe("CREATING");
    expect(w.Replicas).toEqual([{ RegionName: "us-east-1", ReplicaStatus: "ACTIVE", GlobalSecondaryIndexes: [{ IndexName: "byCity" }] }]);
    expect(w.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(w.ItemCount).toBe(1);
    expect((await west.send(new GetItemCommand({ TableName: "users", Key: { pk: S("u1") } }))).Item).toEqual({ pk: S("u1"), city: S("Paris"), n: N(1) });
    const byCity = await west.send(new QueryCommand({ TableName: "users", IndexName: "byCity", KeyConditionExpression: "city = :c", ExpressionAttributeValues: { ":c": S("Paris") } }));
    expect(byCity.Items!.map((i) => i.pk.S)).toEqual(["u1"]);

    await advanceClock(n, "PT3S");
    expect((await east.send(new DescribeTableCommand({ TableName: "users" }))).Table!.Replicas![0].ReplicaStatus).toBe("ACTIVE");
    expect((await west.send(new DescribeTableCommand({ TableName: "users" }))).Table!.TableStatus).toBe("ACTIVE");
    const scaling = await east.send(new DescribeTableReplicaAutoScalingCommand({ TableName: "users" }));
    expect(scaling.TableAutoScalingDescription!.Replicas!.map((r) => [r.RegionName, r.ReplicaStatus])).toEqual([
      ["us-east-1", "ACTIVE"],
      ["eu-west-1", "ACTIVE"],
    ]);
  });

  it("replicates writes asynchronously in both directions, last writer wins, without aws:rep attributes", async () => {
    const { id, east, west } = regions();
    await createTable(east, "carts", ["pk", "S"]);
    await east.send(new UpdateTableCommand({ TableName: "carts", ReplicaUpdates: [{ Create: { RegionName: "eu-west-1" } }] }));

    await east.send(new PutItemCommand({ TableName: "carts", Item: { pk: S("c1"), qty: N(1) } }));
    const got = await eventually(
      () => west.send(new GetItemCommand({ TableName: "carts", Key: { pk: S("c1") } })),
      (r) => r.Item !== undefined,
    );
    expect(got.Item).toEqual({ pk: S("c1"), qty: N(1) });

    await west.send(new UpdateItemCommand({ TableName: "carts", Key: { pk: S("c1") }, UpdateExpression: "SET qty = qty + :one", ExpressionAttributeValues: { ":one": N(1) } }));
    await eventually(
      () => east.send(new GetItemCommand({ TableName: "carts", Key: { pk: S("c1") } })),
      (r) => r.Item?.qty.N === "2",
    );

    // Two writes to the same item in both regions before either replicates: both regions end
    // with the same one (applying every replicated write regardless would swap them instead).
    await Promise.all([
      east.send(new PutItemCommand({ TableName: "carts", Item: { pk: S("c2"), by: S("east") } })),
      (async () => {
        await new Promise((r) => setTimeout(r, 5));
        await west.send(new PutItemCommand({ TableName: "carts", Item: { pk: S("c2"), by: S("west") } }));
      })(),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    const e2 = await east.send(new GetItemCommand({ TableName: "carts", Key: { pk: S("c2") }, ConsistentRead: true }));
    const w2 = await west.send(new GetItemCommand({ TableName: "carts", Key: { pk: S("c2") }, ConsistentRead: true }));
    expect(e2.Item).toEqual(w2.Item);
    expect(["east", "west"]).toContain(e2.Item!.by.S);
    expect(Object.keys(e2.Item!).some((k) => k.startsWith("aws:rep:"))).toBe(false);

    await east.send(new DeleteItemCommand({ TableName: "carts", Key: { pk: S("c1") } }));
    await eventually(
      () => west.send(new GetItemCommand({ TableName: "carts", Key: { pk: S("c1") } })),
      (r) => r.Item === undefined,
    );

    // The replica's own stream carries the replicated writes.
    const streams = new DynamoDBStreamsClient(sdkConfig(n.endpoint, { accountId: id, region: "eu-west-1" }));
    const arn = (await west.send(new DescribeTableCommand({ TableName: "carts" }))).Table!.LatestStreamArn!;
    const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0].ShardId!;
    const it0 = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator!;
    const recs = (await streams.send(new GetRecordsCommand({ ShardIterator: it0 }))).Records!;
    expect(recs.filter((r) => r.dynamodb!.Keys!.pk.S === "c1").map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
  });

  it("answers AWS's errors for ReplicaUpdates and drops a replica with Delete", async () => {
    const { east, west } = regions();
    await createTable(east, "orders", ["pk", "S"]);
    let e = await failure(east.send(new UpdateTableCommand({ TableName: "orders", ReplicaUpdates: [{ Create: { RegionName: "us-east-1" } }] })));
    expect([e.name, e.message]).toEqual([
      "ValidationException",
      "Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required.",
    ]);
    await createTable(west, "orders", ["pk", "S"]);
    e = await failure(east.send(new UpdateTableCommand({ TableName: "orders", ReplicaUpdates: [{ Create: { RegionName: "eu-west-1" } }] })));
    expect(e.message).toBe("Failed to create a the new replica of table with name: 'orders' because one or more replicas already existed as tables.");
    expect((await east.send(new DescribeTableCommand({ TableName: "orders" }))).Table!.Replicas).toBeUndefined();
    await west.send(new DeleteTableCommand({ TableName: "orders" }));

    await east.send(new UpdateTableCommand({ TableName: "orders", ReplicaUpdates: [{ Create: { RegionName: "eu-west-1" } }] }));
    e = await failure(east.send(new UpdateTableCommand({ TableName: "orders", StreamSpecification: { StreamEnabled: false } })));
    expect(e.message).toBe("One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica.");
    const del = await east.send(new UpdateTableCommand({ TableName: "orders", ReplicaUpdates: [{ Delete: { RegionName: "eu-west-1" } }] }));
    expect(del.TableDescription!.Replicas).toBeUndefined();
    expect(del.TableDescription!.GlobalTableVersion).toBeUndefined();
    e = await failure(west.send(new DescribeTableCommand({ TableName: "orders" })));
    expect(e.name).toBe("ResourceNotFoundException");
    // Writes stay local again.
    await east.send(new PutItemCommand({ TableName: "orders", Item: { pk: S("o1") } }));
    expect((await east.send(new GetItemCommand({ TableName: "orders", Key: { pk: S("o1") } }))).Item).toEqual({ pk: S("o1") });
  });
});

describe("global tables 2017.11.29 (legacy API)", () => {
  async function streamTable(c: DynamoDBClient, name: string, view = "NEW_AND_OLD_IMAGES"): Promise<void> {
    await c.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
        StreamSpecification: { StreamEnabled: true, StreamViewType: view as "NEW_AND_OLD_IMAGES" },
      }),
    );
  }

  it("joins empty tables of the same name into a replication group that replicates writes", async () => {
    const { id, east, west } = regions();
    await streamTable(east, "legacy");
    let e = await failure(east.send(new CreateGlobalTableCommand({ GlobalTableName: "legacy", ReplicationGroup: [{ RegionName: "us-east-1" }, { RegionName: "eu-west-1" }] })));
    expect(e.name).toBe("TableNotFoundException");
    await streamTable(west, "legacy");
    const made = await east.send(new CreateGlobalTableCommand({ GlobalTableName: "legacy", ReplicationGroup: [{ RegionName: "us-east-1" }, { RegionName: "eu-west-1" }] }));
    expect(made.GlobalTableDescription).toMatchObject({
      GlobalTableName: "legacy",
      GlobalTableStatus: "ACTIVE",
      GlobalTableArn: `arn:aws:dynamodb::${id}:global-table/legacy`,
      ReplicationGroup: [{ RegionName: "us-east-1" }, { RegionName: "eu-west-1" }],
    });
    e = await failure(east.send(new CreateGlobalTableCommand({ GlobalTableName: "legacy", ReplicationGroup: [{ RegionName: "us-east-1" }] })));
    expect(e.name).toBe("GlobalTableAlreadyExistsException");
    expect((await west.send(new DescribeGlobalTableCommand({ GlobalTableName: "legacy" }))).GlobalTableDescription!.ReplicationGroup).toHaveLength(2);
    expect((await east.send(new DescribeTableCommand({ TableName: "legacy" }))).Table!.GlobalTableVersion).toBe("2017.11.29");

    await west.send(new PutItemCommand({ TableName: "legacy", Item: { pk: S("k"), v: N(7) } }));
    await eventually(
      () => east.send(new GetItemCommand({ TableName: "legacy", Key: { pk: S("k") } })),
      (r) => r.Item?.v.N === "7",
    );
    const listed = await east.send(new ListGlobalTablesCommand({}));
    expect(listed.GlobalTables).toEqual([{ GlobalTableName: "legacy", ReplicationGroup: [{ RegionName: "us-east-1" }, { RegionName: "eu-west-1" }] }]);
    expect((await east.send(new ListGlobalTablesCommand({ RegionName: "ap-south-1" }))).GlobalTables).toEqual([]);

    const gone = await east.send(new UpdateGlobalTableCommand({ GlobalTableName: "legacy", ReplicaUpdates: [{ Delete: { RegionName: "eu-west-1" } }] }));
    expect(gone.GlobalTableDescription!.ReplicationGroup).toEqual([{ RegionName: "us-east-1" }]);
    e = await failure(east.send(new UpdateGlobalTableCommand({ GlobalTableName: "legacy", ReplicaUpdates: [{ Delete: { RegionName: "eu-west-1" } }] })));
    expect(e.name).toBe("ReplicaNotFoundException");
    e = await failure(east.send(new DescribeGlobalTableCommand({ GlobalTableName: "nope" })));
    expect([e.name, e.message]).toEqual(["GlobalTableNotFoundException", "Global table not found: nope"]);
    // A table with items, or without a NEW_AND_OLD_IMAGES stream, cannot join.
    await streamTable(east, "keysonly", "KEYS_ONLY");
    e = await failure(east.send(new CreateGlobalTableCommand({ GlobalTableName: "keysonly", ReplicationGroup: [{ RegionName: "us-east-1" }] })));
    expect(e.name).toBe("ValidationException");
    e = await failure(east.send(new UpdateGlobalTableCommand({ GlobalTableName: "legacy", ReplicaUpdates: [{ Create: { RegionName: "eu-west-1" } }] })));
    expect([e.name, e.message]).toEqual(["ValidationException", "One or more parameter values were invalid: Table legacy in region eu-west-1 is not empty"]);
  });
});
