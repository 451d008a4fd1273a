// A quick A/B of Nimbus builds on the same machine noise: server CPU per DynamoDB PutItem or
// GetItem of each target, in alternating batches whose order rotates, as bench/dynamodb.mjs
// measures (4,000 warm-up requests per target first), without dynalite and the other figures:
// ~10 s instead of ~2 min. Build the other side with scripts/build-to.mjs.
//   ENTRIES=<dir>/bin/nimbus.js,bin/nimbus.js [OP=put|get] [N=8000] [WARMUP=4000] node bench/ab.mjs
// A target is `[op@]entry`: an entry point started with `start --ephemeral`, or `bare` (a
// node:http server answering canned bytes, bench/baseline-server.mjs) or `floor` (the node:net
// floor, bench/net-floor-server.mjs). Each line prints the target's mean CPU per request and
// the median over rounds of its per-round ratio to the first target.
// Position matters: the first-started server reads 1-2.5% dearer in A/A runs on this VM, so
// judge a change from two runs with the builds in both orders.
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { cpuSecondsPrecise, median, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const entries = (process.env.ENTRIES ?? "").split(",").filter(Boolean);
if (entries.length < 2) {
  console.error("usage: ENTRIES=<entry>,<entry>[,...] [OP=put|get] node bench/ab.mjs");
  process.exit(2);
}
const N = Number(process.env.N ?? 8000);
const WARMUP = Number(process.env.WARMUP ?? 4000);
const BATCH = Number(process.env.BATCH ?? 50);
const OP = process.env.OP ?? "put";
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const item = (i) => ({ pk: { N: String(i % 1000) }, name: { S: `passenger ${i}` }, age: { N: "29.5" }, tags: { SS: ["a", "b"] }, info: { M: { cabin: { S: "C85" } } } });
const ops = {
  put: (c, i) => c.send(new PutItemCommand({ TableName: "bench", Item: item(i) })),
  get: (c, i) => c.send(new GetItemCommand({ TableName: "bench", Key: { pk: { N: String(i % 1000) } } })),
};
// What the canned servers answer: "{}" for PutItem, the bench's item for GetItem.
const canned = { put: "{}", get: JSON.stringify({ Item: item(1) }) };

const targets = [];
try {
  for (const spec of entries) {
    const [op, entry] = spec.includes("@") ? spec.split("@") : [OP, spec];
    if (!ops[op]) throw new Error(`unknown op ${op} in ${spec}`);
    const canning = entry === "bare" || entry === "floor";
    const server = canning
      ? await spawnServer([entry === "bare" ? "bench/baseline-server.mjs" : "bench/net-floor-server.mjs"], /ready on (http:\/\/[^\s]+)/, {
          CANNED_BODY: Buffer.from(canned[op]).toString("base64"),
          CANNED_HEADERS: JSON.stringify({ "content-type": "application/x-amz-json-1.0" }),
        })
      : await spawnServer([entry, "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
    targets.push({ name: spec, op: ops[op], child: server.child, client: new DynamoDBClient({ ...base, endpoint: server.url }), canning });
  }
  for (const t of targets) {
    if (t.canning) continue;
    await t.client.send(new CreateTableCommand({ TableName: "bench", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "N" }], BillingMode: "PAY_PER_REQUEST" }));
  }
  // PAY_PER_REQUEST tables are ACTIVE at once in Nimbus; GetItem reads the items PutItem wrote.
  for (const t of targets) if (!t.canning && t.op === ops.get) for (let i = 0; i < 1000; i++) await ops.put(t.client, i);
  for (let i = 0; i < WARMUP; i++) for (const t of targets) await t.op(t.client, i);
  const rounds = targets.map(() => []);
  let k = WARMUP;
  for (let r = 0; r * BATCH < N; r++, k += BATCH) {
    for (let j = 0; j < targets.length; j++) {
      const idx = (r + j) % targets.length;
      const t = targets[idx];
      const c0 = cpuSecondsPrecise(t.child.pid);
      for (let i = 0; i < BATCH; i++) await t.op(t.client, k + i);
      rounds[idx].push((cpuSecondsPrecise(t.child.pid) - c0) / BATCH);
    }
  }
  for (let j = 0; j < targets.length; j++) {
    const mean = rounds[j].reduce((a, b) => a + b, 0) / rounds[j].length;
    const rel = median(rounds[j].map((c, i) => c / rounds[0][i]));
    console.log(`${targets[j].name.padEnd(44)} ${(mean * 1e6).toFixed(1).padStart(7)} µs CPU/req   vs first ${rel.toFixed(3)}`);
  }
} finally {
  for (const t of targets) t.child.kill();
}
