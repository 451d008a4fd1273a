// DynamoDB secondary indexes and streams, one run, same machine, same SDK client:
// - server CPU per PutItem on a table without indexes, with two GSIs, and with two GSIs and a
//   NEW_AND_OLD_IMAGES stream (Nimbus), and with the same two GSIs on dynalite (npm), in
//   alternating batches so every target sees the same machine noise; CPU read from /proc;
// - server CPU per Query of a GSI returning a 200-item partition: Nimbus vs dynalite.
//   npm run build && node bench/dynamodb-indexes.mjs [requests]
import { dirname, resolve } from "node:path";
import { createRequire } from "node:module";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { cpuSeconds, freePort, spawnServer, sleep } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 2000);
const WARMUP = 200;
const BATCH = 100;
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const client = (endpoint) => new DynamoDBClient({ ...base, endpoint });

const { child: nimbus, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
const dynPort = await freePort();
const dynaliteCli = resolve(dirname(createRequire(import.meta.url).resolve("dynalite")), "cli.js");
const { child: dynalite, url: dynUrl } = await spawnServer(
  [dynaliteCli, "--port", String(dynPort), "--host", "127.0.0.1", "--createTableMs", "1", "--updateTableMs", "1"],
  /listening at: (http:\/\/[^\s]+)/,
);

async function createTable(c, TableName, { gsis = false, stream = false } = {}) {
  const AttributeDefinitions = [{ AttributeName: "pk", AttributeType: "N" }];
  const extra = {};
  if (gsis) {
    AttributeDefinitions.push({ AttributeName: "city", AttributeType: "S" }, { AttributeName: "age", AttributeType: "N" }, { AttributeName: "name", AttributeType: "S" });
    extra.GlobalSecondaryIndexes = [
      { IndexName: "byCity", KeySchema: [{ AttributeName: "city", KeyType: "HASH" }, { AttributeName: "age", KeyType: "RANGE" }], Projection: { ProjectionType: "ALL" } },
      { IndexName: "byName", KeySchema: [{ AttributeName: "name", KeyType: "HASH" }], Projection: { ProjectionType: "KEYS_ONLY" } },
    ];
  }
  if (stream) extra.StreamSpecification = { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" };
  await c.send(new CreateTableCommand({ TableName, KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }], AttributeDefinitions, BillingMode: "PAY_PER_REQUEST", ...extra }));
  for (let i = 0; i < 200; i++) {
    const t = (await c.send(new DescribeTableCommand({ TableName }))).Table;
    if (t.TableStatus === "ACTIVE" && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === "ACTIVE")) return;
    await sleep(20);
  }
}

const item = (i) => ({
  pk: { N: String(i % 1000) },
  city: { S: `city ${i % 7}` },
  age: { N: String(i % 90) },
  name: { S: `passenger ${i}` },
  tags: { SS: ["a", "b"] },
  info: { M: { cabin: { S: "C85" } } },
});

/** CPU per request of each target, in alternating batches. */
async function alternate(targets, n) {
  for (let i = 0; i < WARMUP; i++) for (const t of targets) await t.op(i);
  const cpu = targets.map(() => 0);
  let k = WARMUP;
  for (let done = 0; done < n; done += BATCH) {
    for (const [j, t] of targets.entries()) {
      const c0 = cpuSeconds(t.pid);
      for (let i = 0; i < BATCH; i++) await t.op(k + i);
      cpu[j] += cpuSeconds(t.pid) - c0;
    }
    k += BATCH;
  }
  return cpu.map((c) => c / n);
}

const us = (s) => `${(s * 1e6).toFixed(0).padStart(5)} µs`;

try {
  const nc = client(url);
  const dc = client(dynUrl);
  await createTable(nc, "plain");
  await createTable(nc, "indexed", { gsis: true });
  await createTable(nc, "streamed", { gsis: true, stream: true });
  await createTable(dc, "indexed", { gsis: true });
  const put = (c, table) => (i) => c.send(new PutItemCommand({ TableName: table, Item: item(i) }));
  const [plain, indexed, streamed, dyn] = await alternate(
    [
      { pid: nimbus.pid, op: put(nc, "plain") },
      { pid: nimbus.pid, op: put(nc, "indexed") },
      { pid: nimbus.pid, op: put(nc, "streamed") },
      { pid: dynalite.pid, op: put(dc, "indexed") },
    ],
    N,
  );
  console.log(
    `PutItem  nimbus: no index ${us(plain)}, 2 GSIs ${us(indexed)} (${(indexed / plain).toFixed(2)}x), 2 GSIs + stream ${us(streamed)} (${(streamed / plain).toFixed(2)}x); dynalite 2 GSIs ${us(dyn)}; dynalite/nimbus with 2 GSIs ${(dyn / indexed).toFixed(2)}x  (${N} requests each)`,
  );

  // A 200-item GSI partition: city "big", ages 0..199.
  for (const c of [nc, dc]) {
    for (let i = 0; i < 200; i++) await c.send(new PutItemCommand({ TableName: "indexed", Item: { ...item(i), pk: { N: String(10_000 + i) }, city: { S: "big" }, age: { N: String(i) } } }));
  }
  const query = (c) => async () => {
    const out = await c.send(new QueryCommand({ TableName: "indexed", IndexName: "byCity", KeyConditionExpression: "city = :c", ExpressionAttributeValues: { ":c": { S: "big" } } }));
    if (out.Count !== 200) throw new Error(`expected 200 items, got ${out.Count}`);
  };
  const QN = Math.max(100, Math.floor(N / 10));
  const [nq, dq] = await alternate(
    [
      { pid: nimbus.pid, op: query(nc) },
      { pid: dynalite.pid, op: query(dc) },
    ],
    QN,
  );
  console.log(`Query GSI nimbus ${(nq * 1e3).toFixed(2)} ms CPU/query, dynalite ${(dq * 1e3).toFixed(2)} ms; dynalite/nimbus ${(dq / nq).toFixed(2)}x  (200-item index partition, ${QN} queries)`);
} finally {
  nimbus.kill();
  dynalite.kill();
}
