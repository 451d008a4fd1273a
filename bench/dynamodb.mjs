// DynamoDB figures, one run, same machine, same SDK client:
// - server CPU per PutItem and GetItem: Nimbus vs a bare node:http server answering Nimbus's
//   own bytes (bench/baseline-server.mjs) vs dynalite (npm), in small batches alternated
//   between them (the order rotating each round) so that all see the same machine noise; CPU
//   per batch from every thread's scheduler time (lib.mjs cpuSecondsPrecise); the figure is the
//   median over rounds of nimbus/bare in that round (the ratio of sums is printed beside it).
//   PutItem is measured on two Nimbus processes in the same rounds: --ephemeral (commits skip
//   the fsync: the data dir is removed at exit) is the pipeline's own cost; a --data-dir one
//   fsyncs every acknowledged write, and the line beside it shows that durability floor;
// - server CPU per Query returning a 1,000-item partition: Nimbus vs dynalite;
// - the 891 Titanic rows (../shared/data/titanic.csv) written with BatchWriteItem (25 per call)
//   through the SDK, wall time end to end.
//   npm run build && node bench/dynamodb.mjs [requests]
// Targets (issue 4): Put/Get <= 2x bare and >= 2x less CPU than dynalite; Query >= 3x less CPU
// than dynalite; Titanic < 100 ms.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { cpuSeconds, cpuSecondsPrecise, freePort, median, rawAnswer, spawnServer, sleep } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 2000);
// V8 needs a few thousand requests to optimise the whole request path (Nimbus's per-request CPU
// falls by about half over its first ~4,000 requests, a bare server's over its first few
// hundred): the figures are for warm servers, and the warm-up's own cost is printed beside them.
const WARMUP = Number(process.env.WARMUP ?? 4000);
const BATCH = Number(process.env.BATCH ?? 50);
const HERE = dirname(fileURLToPath(import.meta.url));
const TITANIC = resolve(HERE, "../../shared/data/titanic.csv");
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const client = (endpoint) => new DynamoDBClient({ ...base, endpoint });

// NIMBUS_ENTRY runs another build of the entry point (a private bundle while others rebuild dist/);
// NIMBUS_B_ENTRY adds a second ephemeral Nimbus of another build to the PutItem and GetItem
// rounds (an A/B on the same noise: its line prints B/A, the median of per-round ratios);
// NIMBUS_NODE_ARGS adds node flags (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof");
// NET_FLOOR=1 adds bench/net-floor-server.mjs to the PutItem and GetItem rounds.
const nodeArgs = process.env.NIMBUS_NODE_ARGS ? process.env.NIMBUS_NODE_ARGS.split(" ") : [];
const entry = process.env.NIMBUS_ENTRY ?? "bin/nimbus.js";
const { child: nimbus, url } = await spawnServer([...nodeArgs, entry, "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
const nimbusB = process.env.NIMBUS_B_ENTRY ? await spawnServer([process.env.NIMBUS_B_ENTRY, "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/) : undefined;
const durableDir = mkdtempSync(join(tmpdir(), "nimbus-bench-durable-"));
const { child: durable, url: durableUrl } = await spawnServer([entry, "start", "--port", "0", "--data-dir", durableDir], /ready on (http:\/\/[^\s]+)/);
const dynPort = await freePort();
const dynaliteCli = resolve(dirname(createRequire(import.meta.url).resolve("dynalite")), "cli.js");
const { child: dynalite, url: dynUrl } = await spawnServer(
  [dynaliteCli, "--port", String(dynPort), "--host", "127.0.0.1", "--createTableMs", "1"],
  /listening at: (http:\/\/[^\s]+)/,
);
const children = [nimbus, durable, dynalite, ...(nimbusB ? [nimbusB.child] : [])];

async function createTable(c, TableName, range) {
  const KeySchema = [{ AttributeName: "pk", KeyType: "HASH" }];
  const AttributeDefinitions = [{ AttributeName: "pk", AttributeType: range ? "S" : "N" }];
  if (range) {
    KeySchema.push({ AttributeName: "sk", KeyType: "RANGE" });
    AttributeDefinitions.push({ AttributeName: "sk", AttributeType: "N" });
  }
  await c.send(new CreateTableCommand({ TableName, KeySchema, AttributeDefinitions, BillingMode: "PAY_PER_REQUEST" }));
  for (let i = 0; i < 100; i++) {
    if ((await c.send(new DescribeTableCommand({ TableName }))).Table.TableStatus === "ACTIVE") return;
    await sleep(20);
  }
}

/**
 * The durability floor: CPU of one fsynced SQLite commit (WAL, synchronous=FULL, as
 * core/state/database.ts opens it) upserting one ~130-byte row, in this process, in the same
 * alternating batches. A write acknowledged only after its fsync cannot cost less than a bare
 * server's request plus this.
 */
function commitFloor() {
  const dir = mkdtempSync(join(tmpdir(), "nimbus-floor-"));
  const db = new Database(join(dir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (k BLOB PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID");
  const put = db.prepare("INSERT INTO t (k, item) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET item = excluded.item");
  const commit = db.transaction((i) => put.run(Buffer.from(String(i % 1000)), `{"pk":{"N":"${i % 1000}"},"name":{"S":"passenger ${i}"},"age":{"N":"29.5"},"tags":{"SS":["a","b"]},"info":{"M":{"cabin":{"S":"C85"}}}}`));
  return {
    // The same shape as a request target: op(client, i) runs one commit, pid is this process.
    client: undefined,
    pid: process.pid,
    op: (_c, i) => commit(i),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU per request of each target: WARMUP requests each first (not counted), then rounds of BATCH
 * requests per target, the order rotating each round. A target's op(client, i) runs request i;
 * its CPU is read from its process (`pid`), or from this process for the in-process floor.
 * Answers, per target, the per-round CPU per request (seconds) and the warm-up's cost.
 */
async function alternate(targets, op, n) {
  const run = (t, i) => (t.op ?? op)(t.client, i);
  const cpuOf = (t) => (t.pid === process.pid ? selfCpuSeconds() : cpuSecondsPrecise(t.pid));
  const w0 = targets.map(cpuOf);
  for (let i = 0; i < WARMUP; i++) for (const t of targets) await run(t, i);
  const warmUp = targets.map((t, j) => (cpuOf(t) - w0[j]) / WARMUP);
  const rounds = targets.map(() => []);
  let k = WARMUP;
  for (let r = 0; r * BATCH < n; r++, k += BATCH) {
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(r + j) % targets.length];
      const c0 = cpuOf(t);
      for (let i = 0; i < BATCH; i++) await run(t, k + i);
      rounds[targets.indexOf(t)].push((cpuOf(t) - c0) / BATCH);
    }
  }
  return rounds.map((cpu, j) => ({ rounds: cpu, mean: cpu.reduce((x, y) => x + y, 0) / cpu.length, warmUp: warmUp[j] }));
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** The median over rounds of a/b in the same round. */
const pairRatio = (a, b) => median(a.rounds.map((c, i) => c / b.rounds[i]));

const us = (s) => `${(s * 1e6).toFixed(0).padStart(5)} µs`;
const results = [];

try {
  const nc = client(url);
  const dc = client(dynUrl);
  const durc = client(durableUrl);
  for (const c of [nc, dc]) {
    await createTable(c, "bench", false);
    await createTable(c, "part", true);
    await createTable(c, "titanic", false);
  }
  await createTable(durc, "bench", false);
  const bClient = nimbusB && client(nimbusB.url);
  if (bClient) await createTable(bClient, "bench", false);
  const item = (i) => ({ pk: { N: String(i % 1000) }, name: { S: `passenger ${i}` }, age: { N: "29.5" }, tags: { SS: ["a", "b"] }, info: { M: { cabin: { S: "C85" } } } });
  const put = (c, i) => c.send(new PutItemCommand({ TableName: "bench", Item: item(i) }));
  const get = (c, i) => c.send(new GetItemCommand({ TableName: "bench", Key: { pk: { N: String(i % 1000) } } }));

  // ONLY=PutItem,GetItem,Query,Titanic runs some of the figures.
  const only = (f) => !process.env.ONLY || process.env.ONLY.split(",").includes(f);
  // GetItem reads the items PutItem wrote: without PutItem, write them first.
  if (only("GetItem") && !only("PutItem")) for (const c of [nc, dc, ...(bClient ? [bClient] : [])]) for (let i = 0; i < 1000; i++) await put(c, i);
  for (const [label, op] of [
    ["PutItem", put],
    ["GetItem", get],
  ].filter(([label]) => only(label))) {
    await op(nc, 0);
    await op(dc, 0);
    const answer = await rawAnswer(nc, url, (c) => op(c, 0));
    if (answer.status !== 200) throw new Error(`${label}: Nimbus answered ${answer.status} ${answer.body}`);
    const headers = {};
    for (const h of ["content-type", "x-amzn-requestid", "x-amz-crc32"]) if (answer.headers[h]) headers[h] = answer.headers[h];
    const { child: bare, url: bareUrl } = await spawnServer(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, {
      CANNED_BODY: answer.body.toString("base64"),
      CANNED_HEADERS: JSON.stringify(headers),
    });
    children.push(bare);
    const bc = client(bareUrl);
    await op(bc, 0);
    const writes = label === "PutItem";
    const targets = [
      { name: "nimbus", client: nc, pid: nimbus.pid },
      { name: "bare", client: bc, pid: bare.pid },
      { name: "dynalite", client: dc, pid: dynalite.pid },
    ];
    if (bClient) targets.push({ name: "B", client: bClient, pid: nimbusB.child.pid });
    // NET_FLOOR=1: the same bytes from a bare node:net server (bench/net-floor-server.mjs), the
    // least a request can cost any Node server on this machine.
    const netFloor = process.env.NET_FLOOR
      ? await spawnServer(["bench/net-floor-server.mjs"], /ready on (http:\/\/[^\s]+)/, { CANNED_BODY: answer.body.toString("base64"), CANNED_HEADERS: JSON.stringify(headers) })
      : undefined;
    if (netFloor) {
      children.push(netFloor.child);
      const fc = client(netFloor.url);
      await op(fc, 0);
      targets.push({ name: "netFloor", client: fc, pid: netFloor.child.pid });
    }
    // Writes: the same build on a data dir (every commit fsynced) and a bare fsynced commit.
    const floor = writes ? commitFloor() : undefined;
    if (writes) targets.push({ name: "durable", client: durc, pid: durable.pid }, { name: "floor", ...floor });
    const m = Object.fromEntries((await alternate(targets, op, N)).map((r, j) => [targets[j].name, r]));
    floor?.close();
    bare.kill();
    netFloor?.child.kill();
    const { nimbus: n, bare: b, dynalite: d } = m;
    const vsBare = pairRatio(n, b);
    const vsDyn = pairRatio(d, n);
    results.push(vsBare <= 2 && vsDyn >= 2);
    console.log(
      `${label.padEnd(8)} nimbus ${us(n.mean)} CPU/req, bare node:http ${us(b.mean)}, dynalite ${us(d.mean)}  (${answer.body.length}-byte answers, ${N} requests in rounds of ${BATCH} after ${WARMUP} to warm up, which cost nimbus ${us(n.warmUp)}, bare ${us(b.warmUp)}, dynalite ${us(d.warmUp)} per request)`,
    );
    console.log(
      `         nimbus/bare ${vsBare.toFixed(2)}x (target <= 2x; median of ${n.rounds.length} rounds, ratio of sums ${(n.mean / b.mean).toFixed(2)}x), dynalite/nimbus ${vsDyn.toFixed(2)}x (target >= 2x), dynalite/bare ${pairRatio(d, b).toFixed(2)}x, nimbus - bare ${us(n.mean - b.mean)}`,
    );
    if (m.netFloor) {
      const f = m.netFloor;
      console.log(
        `         node:net floor ${us(f.mean)} CPU/req: floor/bare ${pairRatio(f, b).toFixed(2)}x, nimbus/floor ${pairRatio(n, f).toFixed(2)}x, dynalite/floor ${pairRatio(d, f).toFixed(2)}x (the most any Node server answering these bytes could show against dynalite)`,
      );
    }
    if (m.B) {
      console.log(`         NIMBUS_B_ENTRY (ephemeral): ${us(m.B.mean)} CPU/req, B/bare ${pairRatio(m.B, b).toFixed(2)}x, B/A ${pairRatio(m.B, n).toFixed(3)}x (median of per-round ratios; ratio of sums ${(m.B.mean / n.mean).toFixed(3)}x)`);
    }
    if (writes) {
      const { durable: du, floor: f } = m;
      console.log(
        `         with a data dir (every commit fsynced): ${us(du.mean)} CPU/req, durable/bare ${pairRatio(du, b).toFixed(2)}x (ratio of sums ${(du.mean / b.mean).toFixed(2)}x); one fsynced commit in a tight loop ${us(f.mean)}, (bare + commit)/bare ${((b.mean + f.mean) / b.mean).toFixed(2)}x; data dir minus ephemeral ${us(du.mean - n.mean)}`,
      );
    }
  }

  // A 1,000-item partition, read with one Query (each item ~100 bytes, well under 1 MB).
  if (only("Query")) for (const c of [nc, dc]) {
    for (let b = 0; b < 1000; b += 25) {
      const RequestItems = { part: [] };
      for (let i = b; i < b + 25; i++) RequestItems.part.push({ PutRequest: { Item: { pk: { S: "p" }, sk: { N: String(i) }, v: { S: `value ${i}` }, n: { N: String(i * 3) } } } });
      await c.send(new BatchWriteItemCommand({ RequestItems }));
    }
  }
  const query = async (c) => {
    const r = await c.send(new QueryCommand({ TableName: "part", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } } }));
    if (r.Count !== 1000) throw new Error(`Query returned ${r.Count} items`);
  };
  if (only("Query")) {
    const QN = Math.max(20, Math.round(N / 20));
    for (let i = 0; i < 10; i++) {
      await query(nc);
      await query(dc);
    }
    let nCpu = 0;
    let dCpu = 0;
    for (let done = 0; done < QN; done += 5) {
      let c0 = cpuSeconds(nimbus.pid);
      for (let i = 0; i < 5; i++) await query(nc);
      nCpu += cpuSeconds(nimbus.pid) - c0;
      c0 = cpuSeconds(dynalite.pid);
      for (let i = 0; i < 5; i++) await query(dc);
      dCpu += cpuSeconds(dynalite.pid) - c0;
    }
    const ratio = dCpu / nCpu;
    results.push(ratio >= 3);
    console.log(`Query    nimbus ${(nCpu / QN * 1e3).toFixed(2)} ms CPU/query, dynalite ${(dCpu / QN * 1e3).toFixed(2)} ms; dynalite/nimbus ${ratio.toFixed(2)}x (target >= 3x)  (1,000-item partition, ${QN} queries)`);
  }

  // Titanic: 891 rows, BatchWriteItem 25 at a time, end to end through the SDK.
  if (only("Titanic")) await titanic(nc, dc);
  console.log(results.every(Boolean) ? "all DynamoDB targets met" : "some DynamoDB targets missed");
} finally {
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => rmSync(durableDir, { recursive: true, force: true }), 500);
}

async function titanic(nc, dc) {
  const lines = readFileSync(TITANIC, "utf8").trim().split("\n");
  const head = lines[0].split(",");
  const parse = (line) => {
    const out = [];
    let cur = "";
    let q = false;
    for (const ch of line) {
      if (ch === '"') q = !q;
      else if (ch === "," && !q) {
        out.push(cur);
        cur = "";
      } else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const NUMERIC = new Set(["PassengerId", "Survived", "Pclass", "Age", "SibSp", "Parch", "Fare"]);
  const rows = lines.slice(1).map((l) => {
    const v = parse(l);
    const it = {};
    head.forEach((h, i) => {
      if (v[i] === "") return;
      it[h === "PassengerId" ? "pk" : h] = NUMERIC.has(h) ? { N: v[i] } : { S: v[i] };
    });
    return it;
  });
  if (rows.length !== 891) throw new Error(`expected 891 rows, got ${rows.length}`);
  // Where a load's time goes: this process's CPU (the SDK marshalling and parsing: the client's
  // share), the server's CPU (from /proc), and the rest of the wall time (waiting: fsync latency,
  // the scheduler on a shared machine).
  const split = { client: [], server: [] };
  const measured = (target, f) => async (c) => {
    const c0 = process.cpuUsage();
    const s0 = cpuSeconds(target.pid);
    const ms = await f(c);
    const d = process.cpuUsage(c0);
    split.client.push((d.user + d.system) / 1e3);
    split.server.push((cpuSeconds(target.pid) - s0) * 1e3);
    return ms;
  };
  const load = async (c) => {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < rows.length; b += 25) {
      const r = await c.send(new BatchWriteItemCommand({ RequestItems: { titanic: rows.slice(b, b + 25).map((Item) => ({ PutRequest: { Item } })) } }));
      if (Object.keys(r.UnprocessedItems ?? {}).length) throw new Error("unprocessed items");
    }
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // The same 36 calls sent at once (the SDK keeps up to 50 sockets): Nimbus commits the
  // requests that arrive together in one group (engine/commit.ts), one fsync for many.
  const loadParallel = async (c) => {
    const t0 = process.hrtime.bigint();
    const calls = [];
    for (let b = 0; b < rows.length; b += 25) {
      calls.push(c.send(new BatchWriteItemCommand({ RequestItems: { titanic: rows.slice(b, b + 25).map((Item) => ({ PutRequest: { Item } })) } })));
    }
    for (const r of await Promise.all(calls)) if (Object.keys(r.UnprocessedItems ?? {}).length) throw new Error("unprocessed items");
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  await load(client(url)); // a fresh client, as an application would start
  const median5 = async (f) => {
    const times = [];
    for (let i = 0; i < 5; i++) times.push(await f());
    return [...times].sort((a, b) => a - b)[2];
  };
  const seq = await median5(() => measured(nimbus, load)(nc));
  const seqSplit = { client: median(split.client), server: median(split.server) };
  split.client = [];
  split.server = [];
  const par = await median5(() => measured(nimbus, loadParallel)(nc));
  const parSplit = { client: median(split.client), server: median(split.server) };
  const dynSeq = await load(dc);
  const dynPar = await loadParallel(dc);
  results.push(Math.min(seq, par) < 100);
  console.log(
    `Titanic  891 rows via 36 BatchWriteItem calls (median of 5): nimbus ${seq.toFixed(1)} ms one call at a time, ${par.toFixed(1)} ms all at once (target < 100 ms); dynalite ${dynSeq.toFixed(1)} / ${dynPar.toFixed(1)} ms`,
  );
  console.log(
    `         CPU per load (medians): one at a time SDK ${seqSplit.client.toFixed(0)} ms + nimbus ${seqSplit.server.toFixed(0)} ms; all at once SDK ${parSplit.client.toFixed(0)} ms + nimbus ${parSplit.server.toFixed(0)} ms (the rest of the wall time is waiting: fsync latency, the scheduler)`,
  );
}
