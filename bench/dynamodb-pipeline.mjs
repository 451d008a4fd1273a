// Nimbus's own CPU per DynamoDB PutItem and GetItem, without node:http and the socket: the SDK's
// requests are captured once and replayed into the gateway (nimbus.gateway.handle) in process,
// CPU from process.cpuUsage, in alternating batches with one fsynced SQLite commit (the floor of
// a durable write, same database settings) so that all three see the same machine noise.
// bench/dynamodb.mjs measures whole servers against a bare node:http server and dynalite; this
// one says how much of a request is the pipeline + handler + commit that Nimbus itself adds.
//   node bench/dynamodb-pipeline.mjs [requests]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Database from "better-sqlite3";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { loadSources } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 10_000);
const BATCH = 500;
// Distinct items (a rewrite of identical bytes dirties no SQLite page and costs no fsync).
const DISTINCT = 2000;

const { createNimbus } = await loadSources("dynamodb-bench-lib.mjs");
const nimbus = await createNimbus({ port: 0, ephemeral: true, log: "silent" });
const floorDir = mkdtempSync(join(tmpdir(), "nimbus-floor-"));
try {
  await nimbus.listen();
  const client = new DynamoDBClient({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${nimbus.port}`,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  await client.send(
    new CreateTableCommand({
      TableName: "bench",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "N" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  const item = (i) => ({ pk: { N: String(i % 1000) }, name: { S: `passenger ${i}` }, age: { N: "29.5" }, tags: { SS: ["a", "b"] }, info: { M: { cabin: { S: "C85" } } } });

  /** The signed HTTP request the SDK sends for `command`. */
  let captured;
  client.middlewareStack.add((next) => async (args) => ((captured = args.request), next(args)), { step: "finalizeRequest", priority: "low", name: "captureRequest" });
  const capture = async (command) => {
    await client.send(command);
    const rawHeaders = [];
    for (const [k, v] of Object.entries(captured.headers)) rawHeaders.push(k, String(v));
    return { method: captured.method, url: captured.path, rawHeaders, body: Buffer.from(captured.body ?? "") };
  };
  const puts = [];
  for (let i = 0; i < DISTINCT; i++) puts.push(await capture(new PutItemCommand({ TableName: "bench", Item: item(i) })));
  const gets = [];
  for (let i = 0; i < 1000; i++) gets.push(await capture(new GetItemCommand({ TableName: "bench", Key: { pk: { N: String(i) } } })));

  const socket = { remoteAddress: "127.0.0.1" };
  let bytes = 0;
  const res = {
    statusCode: 200,
    headersSent: false,
    writeHead(st) {
      this.statusCode = st;
    },
    end(b) {
      bytes += b ? b.length : 0;
    },
    once() {},
    on() {},
    destroy() {},
  };
  const replay = async (r) => {
    const req = Readable.from([r.body], { objectMode: false });
    Object.assign(req, { method: r.method, url: r.url, rawHeaders: r.rawHeaders, socket });
    await nimbus.gateway.handle(req, res);
    if (res.statusCode !== 200) throw new Error(`replayed request answered ${res.statusCode}`);
  };

  const db = new Database(join(floorDir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (k BLOB PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID");
  const upsert = db.prepare("INSERT INTO t (k, item) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET item = excluded.item");
  const commit = db.transaction((i) => upsert.run(Buffer.from(String(i % 1000)), JSON.stringify(item(i))));

  const series = [
    { label: "PutItem", run: (i) => replay(puts[i % DISTINCT]), cpu: 0 },
    { label: "GetItem", run: (i) => replay(gets[i % 1000]), cpu: 0 },
    { label: "one fsynced commit", run: async (i) => commit(i), cpu: 0 },
  ];
  let k = 0;
  // Warm-up: V8 optimises the pipeline over the first few thousand requests.
  for (; k < 4000; k++) for (const s of series) await s.run(k);
  for (let done = 0; done < N; done += BATCH) {
    for (const s of series) {
      const t0 = process.cpuUsage();
      for (let i = 0; i < BATCH; i++) await s.run(k + i);
      const d = process.cpuUsage(t0);
      s.cpu += d.user + d.system;
    }
    k += BATCH;
  }
  const us = Object.fromEntries(series.map((s) => [s.label, s.cpu / N]));
  const put = us.PutItem;
  const floor = us["one fsynced commit"];
  console.log(
    `in process, ${N} requests each after 4,000 to warm up: PutItem ${put.toFixed(0)} µs CPU (one fsynced commit alone ${floor.toFixed(0)} µs, the rest ${(put - floor).toFixed(0)} µs), GetItem ${us.GetItem.toFixed(0)} µs`,
  );
  if (bytes === 0) throw new Error("the gateway answered no bytes");
} finally {
  await nimbus.close();
  rmSync(floorDir, { recursive: true, force: true });
}
