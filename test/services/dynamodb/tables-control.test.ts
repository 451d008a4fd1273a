// DynamoDB control plane beyond the basics: DescribeLimits, DescribeEndpoints, SSE
// specifications, stream specifications at creation, billing switches with GSIs, and the same
// through the aws CLI (dynamodb and dynamodbstreams commands).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTableCommand,
  DescribeEndpointsCommand,
  DescribeLimitsCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateTableCommand,
  type CreateTableCommandInput,
} from "@aws-sdk/client-dynamodb";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, failed, ok, useClients } from "../../clients/support.js";
import { account, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);

const base: CreateTableCommandInput = {
  TableName: "things",
  BillingMode: "PAY_PER_REQUEST",
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
};

describe("DescribeLimits / DescribeEndpoints", () => {
  it("answers AWS's default quotas and Nimbus's own endpoint", async () => {
    const { client: c } = account(n);
    const limits = await c.send(new DescribeLimitsCommand({}));
    expect(limits).toMatchObject({ AccountMaxReadCapacityUnits: 80000, AccountMaxWriteCapacityUnits: 80000, TableMaxReadCapacityUnits: 40000, TableMaxWriteCapacityUnits: 40000 });
    const ep = await c.send(new DescribeEndpointsCommand({}));
    expect(ep.Endpoints).toEqual([{ Address: `127.0.0.1:${n.port}`, CachePeriodInMinutes: 1440 }]);
  });
});

describe("SSE and stream specifications", () => {
  it("describes KMS encryption, and refuses AWS's invalid combinations", async () => {
    const { id, client: c } = account(n);
    const out = await c.send(new CreateTableCommand({ ...base, SSESpecification: { Enabled: true, SSEType: "KMS", KMSMasterKeyId: "alias/mine" } }));
    expect(out.TableDescription!.SSEDescription).toEqual({ Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: `arn:aws:kms:us-east-1:${id}:alias/mine` });
    const plain = await c.send(new CreateTableCommand({ ...base, TableName: "plain", SSESpecification: { Enabled: false } }));
    expect(plain.TableDescription!.SSEDescription).toBeUndefined();
    const p = "One or more parameter values were invalid: ";
    let e = await failure(c.send(new CreateTableCommand({ ...base, TableName: "bad1", SSESpecification: { Enabled: false, SSEType: "KMS" } })));
    expect(e.message).toBe(`${p}SSEType can not be specified if Enabled is false`);
    e = await failure(c.send(new CreateTableCommand({ ...base, TableName: "bad2", SSESpecification: { Enabled: true, SSEType: "AES256" } })));
    expect(e.message).toBe(`${p}SSEType AES256 is not supported`);
    e = await failure(c.send(new UpdateTableCommand({ TableName: "plain", SSESpecification: { Enabled: false } })));
    expect(e.message).toBe(`${p}Table is already encrypted by default`);
    e = await failure(c.send(new UpdateTableCommand({ TableName: "plain", SSESpecification: { Enabled: true }, DeletionProtectionEnabled: true })));
    expect(e.message).toBe(`${p}Server-Side Encryption modification must be the only operation in the request`);
    const up = await c.send(new UpdateTableCommand({ TableName: "plain", SSESpecification: { Enabled: true } }));
    expect(up.TableDescription!.SSEDescription).toMatchObject({ Status: "ENABLED", SSEType: "KMS" });
    expect(up.TableDescription!.SSEDescription!.KMSMasterKeyArn).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${id}:key/[0-9a-f-]{36}$`));
  });

  it("checks StreamSpecification at creation", async () => {
    const { client: c } = account(n);
    const p = "One or more parameter values were invalid: ";
    let e = await failure(c.send(new CreateTableCommand({ ...base, StreamSpecification: { StreamEnabled: true } })));
    expect(e.message).toBe(`${p}Table is being created with a stream enabled, UpdateViewType is required`);
    e = await failure(c.send(new CreateTableCommand({ ...base, StreamSpecification: { StreamEnabled: false, StreamViewType: "KEYS_ONLY" } })));
    expect(e.message).toBe(`${p}Table is being created with a stream disabled, UpdateViewType should not be specified`);
    const d = (await c.send(new CreateTableCommand({ ...base, StreamSpecification: { StreamEnabled: false } }))).TableDescription!;
    expect(d.StreamSpecification).toBeUndefined();
    expect(d.LatestStreamArn).toBeUndefined();
  });
});

describe("request validation and tags", () => {
  it("refuses bad enums, capacities and table classes in AWS's words", async () => {
    const { client: c } = account(n);
    let e = await failure(c.send(new CreateTableCommand({ ...base, BillingMode: "FREE" as never })));
    expect(e.message).toBe("1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
    e = await failure(
      c.send(
        new CreateTableCommand({
          ...base,
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "X" as never }],
          KeySchema: [{ AttributeName: "id", KeyType: "PRIMARY" as never }],
        }),
      ),
    );
    expect(e.message).toBe(
      "2 validation errors detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]; Value 'PRIMARY' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]",
    );
    e = await failure(c.send(new CreateTableCommand({ ...base, BillingMode: "PROVISIONED", ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 1 } })));
    expect(e.message).toBe("1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1");
    e = await failure(
      c.send(new CreateTableCommand({ ...base, GlobalSecondaryIndexes: [{ IndexName: "ix", KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }] })),
    );
    expect(e.message).toBe("1 validation error detected: Value 'ix' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3");
    e = await failure(c.send(new ListTablesCommand({ Limit: 0, ExclusiveStartTableName: "a b" })));
    expect(e.message).toBe(
      "2 validation errors detected: Value 'a b' at 'exclusiveStartTableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    e = await failure(c.send(new ListTablesCommand({ Limit: 101 })));
    expect(e.message).toBe("1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100");
    e = await failure(c.send(new CreateTableCommand({ ...base, TableClass: "COLD" as never })));
    expect(e.message).toBe("Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].");
    e = await failure(c.send(new CreateTableCommand({ ...base, StreamSpecification: { StreamEnabled: true, StreamViewType: "ALL" as never } })));
    expect(e.message).toContain("at 'streamSpecification.streamViewType' failed to satisfy constraint");
    expect((await failure(c.send(new DescribeTableCommand({ TableName: "things" })))).name).toBe("ResourceNotFoundException");
  });

  it("tags with AWS's rules: key and value characters, aws: prefix, duplicates, 50 tags", async () => {
    const { client: c } = account(n);
    const arn = (await c.send(new CreateTableCommand(base))).TableDescription!.TableArn!;
    const tag = (Tags: Array<{ Key: string; Value: string }>) => c.send(new TagResourceCommand({ ResourceArn: arn, Tags }));
    expect((await failure(tag([]))).message).toBe("Atleast one Tag needs to be provided as Input.");
    expect((await failure(tag([{ Key: "aws:x", Value: "1" }]))).message).toBe("Tag Key cannot be prefixed with aws:, Key: aws:x");
    expect((await failure(tag([{ Key: "a*b", Value: "1" }]))).message).toBe("The Tag Key provided is invalid, Key: a*b");
    expect((await failure(tag([{ Key: "k", Value: "x".repeat(257) }]))).message).toBe(`The Tag Value provided is invalid, Value: ${"x".repeat(257)}`);
    expect((await failure(tag([{ Key: "k", Value: "1" }, { Key: "k", Value: "2" }]))).message).toBe("Duplicate Tag Keys provided as input: Duplicate Tag Key found k");
    await tag(Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v ${i} @home` })));
    const over = await failure(tag([{ Key: "one-more", Value: "" }]));
    expect([over.name, over.message]).toEqual(["ValidationException", "Number of Tags exceed the current limit for the provided ResourceArn"]);
    expect((await c.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags).toHaveLength(50);
    expect((await failure(c.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: [] })))).message).toBe("Atleast one Tag Key needs to be provided as Input.");
    await c.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["k0", "k1"] }));
    const left = (await c.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags!;
    expect(left).toHaveLength(48);
    expect(left[0]).toEqual({ Key: "k2", Value: "v 2 @home" });
  });
});

describe("billing switches with GSIs", () => {
  it("PAY_PER_REQUEST -> PROVISIONED needs throughput for every GSI", async () => {
    const { client: c } = account(n);
    await c.send(
      new CreateTableCommand({
        ...base,
        AttributeDefinitions: [...base.AttributeDefinitions!, { AttributeName: "k", AttributeType: "S" }],
        GlobalSecondaryIndexes: [{ IndexName: "byK", KeySchema: [{ AttributeName: "k", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
      }),
    );
    const e = await failure(c.send(new UpdateTableCommand({ TableName: "things", BillingMode: "PROVISIONED", ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 } })));
    expect(e.message).toBe("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: byK");
    // Nothing changed.
    expect((await c.send(new DescribeTableCommand({ TableName: "things" }))).Table!.BillingModeSummary!.BillingMode).toBe("PAY_PER_REQUEST");
    const up = await c.send(
      new UpdateTableCommand({
        TableName: "things",
        BillingMode: "PROVISIONED",
        ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 },
        GlobalSecondaryIndexUpdates: [{ Update: { IndexName: "byK", ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } } }],
      }),
    );
    expect(up.TableDescription!.GlobalSecondaryIndexes![0].ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 3, WriteCapacityUnits: 4 });
    const back = await c.send(new UpdateTableCommand({ TableName: "things", BillingMode: "PAY_PER_REQUEST" }));
    expect(back.TableDescription!.GlobalSecondaryIndexes![0].ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 0, WriteCapacityUnits: 0 });
  });
});

describe.skipIf(!AWS)("aws CLI", () => {
  it("creates a table with a GSI and a stream, writes, queries the index and reads the stream", async () => {
    const acct = freshAccount();
    const cli = (...args: string[]) => clients.aws(acct, ...args);
    const created = ok(
      await cli(
        "dynamodb",
        "create-table",
        "--table-name",
        "cli",
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--attribute-definitions",
        "AttributeName=id,AttributeType=S",
        "AttributeName=team,AttributeType=S",
        "--key-schema",
        "AttributeName=id,KeyType=HASH",
        "--global-secondary-indexes",
        JSON.stringify([{ IndexName: "byTeam", KeySchema: [{ AttributeName: "team", KeyType: "HASH" }], Projection: { ProjectionType: "KEYS_ONLY" } }]),
        "--stream-specification",
        "StreamEnabled=true,StreamViewType=NEW_IMAGE",
      ),
    );
    const arn = created.TableDescription.LatestStreamArn as string;
    expect(created.TableDescription.GlobalSecondaryIndexes[0].IndexName).toBe("byTeam");
    ok(await cli("dynamodb", "put-item", "--table-name", "cli", "--item", JSON.stringify({ id: { S: "1" }, team: { S: "red" }, x: { N: "5" } })));
    const q = ok(
      await cli("dynamodb", "query", "--table-name", "cli", "--index-name", "byTeam", "--key-condition-expression", "team = :t", "--expression-attribute-values", JSON.stringify({ ":t": { S: "red" } })),
    );
    expect(q.Items).toEqual([{ id: { S: "1" }, team: { S: "red" } }]);
    expect(failed(await cli("dynamodb", "query", "--table-name", "cli", "--index-name", "byTeam", "--consistent-read", "--key-condition-expression", "team = :t", "--expression-attribute-values", JSON.stringify({ ":t": { S: "red" } })))).toContain(
      "Consistent reads are not supported on global secondary indexes",
    );
    const listed = ok(await cli("dynamodbstreams", "list-streams", "--table-name", "cli"));
    expect(listed.Streams.map((s: { StreamArn: string }) => s.StreamArn)).toEqual([arn]);
    const shard = ok(await cli("dynamodbstreams", "describe-stream", "--stream-arn", arn)).StreamDescription.Shards[0].ShardId as string;
    const it = ok(await cli("dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard, "--shard-iterator-type", "TRIM_HORIZON")).ShardIterator as string;
    const recs = ok(await cli("dynamodbstreams", "get-records", "--shard-iterator", it)).Records;
    expect(recs).toHaveLength(1);
    expect(recs[0].eventName).toBe("INSERT");
    expect(recs[0].dynamodb.NewImage).toEqual({ id: { S: "1" }, team: { S: "red" }, x: { N: "5" } });
    expect(ok(await cli("dynamodb", "describe-limits")).TableMaxReadCapacityUnits).toBe(40000);
  }, 60_000);
});
