// DynamoDB figures, one run, same machine, same SDK client:
// - server CPU per PutItem and GetItem: Nimbus vs a bare node:http server answering Nimbus's
//   own bytes (bench/baseline-server.mjs) vs dynalite (npm), in alternating batches so that all
//   three see the same machine noise; CPU read from /proc;
// - server CPU per Query returning a 1,000-item partition: Nimbus vs dynalite;
// - the 891 Titanic rows (../shared/data/titanic.csv) written with BatchWriteItem (25 per call)
//   through the SDK, wall time end to end.
//   npm run build && node bench/dynamodb.mjs [requests]
// Targets (issue 4): Put/Get <= 2x bare and >= 2x less CPU than dynalite; Query >= 3x less CPU
// than dynalite; Titanic < 100 ms.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
import { cpuSeconds, freePort, rawAnswer, spawnServer, sleep } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 2000);
const WARMUP = 300;
const BATCH = 100;
const HERE = dirname(fileURLToPath(import.meta.url));
const TITANIC = resolve(HERE, "../../shared/data/titanic.csv");
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const client = (endpoint) => new DynamoDBClient({ ...base, endpoint });

const { child: nimbus, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
const dynPort = await freePort();
const dynaliteCli = resolve(dirname(createRequire(import.meta.url).resolve("dynalite")), "cli.js");
const { child: dynalite, url: dynUrl } = await spawnServer(
  [dynaliteCli, "--port", String(dynPort), "--host", "127.0.0.1", "--createTableMs", "1"],
  /listening at: (http:\/\/[^\s]+)/,
);
const children = [nimbus, dynalite];

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

/** CPU per request of each target, in alternating batches of the same op. */
async function alternate(targets, op, n) {
  for (let i = 0; i < WARMUP; i++) for (const t of targets) await op(t.client, i);
  const cpu = targets.map(() => 0);
  let k = WARMUP;
  for (let done = 0; done < n; done += BATCH) {
    for (const [j, t] of targets.entries()) {
      const c0 = cpuSeconds(t.pid);
      for (let i = 0; i < BATCH; i++) await op(t.client, k + i);
      cpu[j] += cpuSeconds(t.pid) - c0;
    }
    k += BATCH;
  }
  return cpu.map((c) => c / n);
}

const us = (s) => `${(s * 1e6).toFixed(0).padStart(5)} µs`;
const results = [];

try {
  const nc = client(url);
  const dc = client(dynUrl);
  for (const c of [nc, dc]) {
    await createTable(c, "bench", false);
    await createTable(c, "part", true);
    await createTable(c, "titanic", false);
  }
  const item = (i) => ({ pk: { N: String(i % 1000) }, name: { S: `passenger ${i}` }, age: { N: "29.5" }, tags: { SS: ["a", "b"] }, info: { M: { cabin: { S: "C85" } } } });
  const put = (c, i) => c.send(new PutItemCommand({ TableName: "bench", Item: item(i) }));
  const get = (c, i) => c.send(new GetItemCommand({ TableName: "bench", Key: { pk: { N: String(i % 1000) } } }));

  for (const [label, op] of [
    ["PutItem", put],
    ["GetItem", get],
  ]) {
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
    const [nCpu, bCpu, dCpu] = await alternate(
      [
        { client: nc, pid: nimbus.pid },
        { client: bc, pid: bare.pid },
        { client: dc, pid: dynalite.pid },
      ],
      op,
      N,
    );
    bare.kill();
    const vsBare = nCpu / bCpu;
    const vsDyn = dCpu / nCpu;
    results.push(vsBare <= 2 && vsDyn >= 2);
    console.log(
      `${label.padEnd(8)} nimbus ${us(nCpu)} CPU/req, bare node:http ${us(bCpu)}, dynalite ${us(dCpu)}; nimbus/bare ${vsBare.toFixed(2)}x (target <= 2x), dynalite/nimbus ${vsDyn.toFixed(2)}x (target >= 2x)  (${answer.body.length}-byte answers, ${N} requests)`,
    );
  }

  // A 1,000-item partition, read with one Query (each item ~100 bytes, well under 1 MB).
  for (const c of [nc, dc]) {
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
  {
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
  const seq = await median5(() => load(nc));
  const par = await median5(() => loadParallel(nc));
  const dynSeq = await load(dc);
  const dynPar = await loadParallel(dc);
  results.push(Math.min(seq, par) < 100);
  console.log(
    `Titanic  891 rows via 36 BatchWriteItem calls (median of 5): nimbus ${seq.toFixed(1)} ms one call at a time, ${par.toFixed(1)} ms all at once (target < 100 ms); dynalite ${dynSeq.toFixed(1)} / ${dynPar.toFixed(1)} ms`,
  );
  console.log(results.every(Boolean) ? "all DynamoDB targets met" : "some DynamoDB targets missed");
} finally {
  for (const c of children) c.kill("SIGTERM");
}
