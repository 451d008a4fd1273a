// Server CPU per request through the whole Nimbus pipeline vs a bare node:http server that
// answers the same bytes, measured in the same run with the same SDK client. The client is
// the bottleneck for throughput, so we read the *server's* CPU time from /proc.
//   npm run build && node bench/pipeline.mjs [requests]
//   NIMBUS_B=<another checkout, built> node bench/pipeline.mjs   (A/B: both builds in one run)
//   NIMBUS_B_ENV=NIMBUS_HTTP=node node bench/pipeline.mjs   (B: this build, or NIMBUS_B's, with
//     these environment variables, space-separated NAME=value: the HTTP front against node:http)
// Target (issue 2): Nimbus CPU/request <= 2x the bare server's, for SQS SendMessage and STS
// GetCallerIdentity.
//
// How it measures, and why:
// - Warm-up (WARMUP requests per server, default 4000) before anything is counted. Nimbus
//   runs far more JavaScript than the bare server, and V8 keeps optimizing it for thousands of
//   requests (TurboFan on its own threads, counted in the process's CPU): with a few hundred
//   requests of warm-up the ratio measured compilation as much as the pipeline.
// - CPU per batch from every thread's scheduler run time (lib.mjs cpuSecondsPrecise, ns),
//   not /proc/<pid>/stat's 10 ms ticks, so that batches can be small.
// - Small batches (BATCH, default 50), alternated between the servers, the order rotating each
//   round: a round takes ~100 ms, so both sides of a round see the same load on this shared
//   VM, whose speed swings by 2x within a minute. The figure is the median over rounds of
//   nimbus/bare in that round: a burst of load on a few rounds moves a ratio of sums (it
//   weights the slow rounds) but not the median. Both are printed.
import { SQSClient, CreateQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { cpuSecondsPrecise, median, rawAnswer, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 3000);
const WARMUP = Number(process.env.WARMUP ?? 4000);
const BATCH = Number(process.env.BATCH ?? 50);
const B_ENV = Object.fromEntries((process.env.NIMBUS_B_ENV ?? "").split(" ").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const B_DIR = process.env.NIMBUS_B ?? (process.env.NIMBUS_B_ENV ? "." : undefined);
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };

const startNimbus = (dir, dataDir, env = {}) =>
  spawnServer([join(dir, "bin/nimbus.js"), "start", "--port", "0", ...(dataDir ? ["--data-dir", dataDir] : ["--ephemeral"])], /ready on (http:\/\/[^\s]+)/, env);
// Two modes of the same build, measured in the same rounds: --ephemeral (the data directory
// is removed at exit, so commits skip the fsync: core/state/database.ts) and a data directory
// (every acknowledged write fsynced). The first is the pipeline's cost; the second adds the
// durability floor, printed beside it.
const durableDir = mkdtempSync(join(tmpdir(), "nimbus-bench-durable-"));
const nimbusA = await startNimbus(".");
const nimbusD = await startNimbus(".", durableDir);
const nimbusB = B_DIR ? await startNimbus(B_DIR, undefined, B_ENV) : undefined;

/**
 * The durability floor: CPU of one fsynced SQLite commit (WAL, synchronous=FULL, as
 * core/state/database.ts opens it) inserting one small row, measured in this process in the
 * same alternating batches. Any write that acknowledges only after fsync pays it; on this VM's
 * virtio disk most of it is kernel time in fsync, which no pipeline work can remove.
 */
function commitFloor() {
  const dir = mkdtempSync(join(tmpdir(), "nimbus-floor-"));
  const db = new Database(join(dir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, q INTEGER NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL); CREATE INDEX t_q ON t (q, at, seq)");
  const insert = db.prepare("INSERT INTO t (q, body, at) VALUES (1, ?, ?)");
  const commit = db.transaction((i) => insert.run("hello from the benchmark", i));
  let i = 0;
  return {
    run: () => commit(i++),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const us = (s) => (s * 1e6).toFixed(0).padStart(4);

/** `setup(url)` prepares a server (a queue) and returns { makeClient, op }. */
async function measure(label, setup, withFloor = false) {
  const servers = [];
  for (const [name, n] of [["nimbus", nimbusA], ["durable", nimbusD], ["nimbus B", nimbusB]]) {
    if (!n) continue;
    const { makeClient, op } = await setup(n.url);
    servers.push({ name, pid: n.child.pid, client: makeClient(n.url), op, cpu: [] });
  }
  const a = servers[0];
  const answer = await rawAnswer(a.client, nimbusA.url, a.op);
  if (answer.status !== 200) throw new Error(`${label}: Nimbus answered ${answer.status} ${answer.body}`);
  const headers = {};
  for (const h of ["content-type", "x-amzn-requestid", "x-amzn-query-error"]) if (answer.headers[h]) headers[h] = answer.headers[h];

  const { child: bare, url: bareUrl } = await spawnServer(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, {
    CANNED_BODY: answer.body.toString("base64"),
    CANNED_HEADERS: JSON.stringify(headers),
  });
  const bareServer = { name: "bare", pid: bare.pid, client: (await setup(bareUrl, true)).makeClient(bareUrl), op: a.op, cpu: [] };
  await a.op(bareServer.client); // the canned answer must parse as the real one did
  servers.push(bareServer);

  const floor = withFloor ? commitFloor() : undefined;
  const floorCpu = [];
  const round = async (r, record) => {
    // Rotate the order: the first server after the client's own pause is not always the same.
    for (let k = 0; k < servers.length; k++) {
      const s = servers[(r + k) % servers.length];
      const c0 = cpuSecondsPrecise(s.pid);
      for (let i = 0; i < BATCH; i++) await s.op(s.client);
      if (record) s.cpu.push((cpuSecondsPrecise(s.pid) - c0) / BATCH);
    }
    if (floor) {
      const f0 = selfCpuSeconds();
      for (let i = 0; i < BATCH; i++) floor.run();
      if (record) floorCpu.push((selfCpuSeconds() - f0) / BATCH);
    }
  };
  for (let r = 0; r * BATCH < WARMUP; r++) await round(r, false);
  for (let r = 0; r * BATCH < N; r++) await round(r, true);
  floor?.close();
  bare.kill();

  const mean = (xs) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const pairRatio = (s) => median(s.cpu.map((c, i) => c / bareServer.cpu[i]));
  const bareMean = mean(bareServer.cpu);
  for (const s of servers.slice(0, -1)) {
    console.log(
      `${(s === a ? label + " (ephemeral)" : s.name === "durable" ? "  with a data dir (fsync)" : "  " + s.name + " (NIMBUS_B)").padEnd(34)} ${s.name.padEnd(8)} ${us(mean(s.cpu))} µs CPU/req, bare node:http ${us(bareMean)} µs: ratio ${pairRatio(s).toFixed(2)}x (median of ${s.cpu.length} rounds; ratio of sums ${(mean(s.cpu) / bareMean).toFixed(2)}x)  (target <= 2x; ${answer.body.length}-byte answers, ${N} requests, warm-up ${WARMUP})`,
    );
  }
  if (floor) {
    const f = mean(floorCpu);
    const d = servers.find((s) => s.name === "durable");
    console.log(`${"".padEnd(34)} one fsynced commit in a tight loop costs ${us(f)} µs; with a data dir minus ephemeral: ${us(mean(d.cpu) - mean(a.cpu))} µs`);
  }
}

try {
  await measure("STS GetCallerIdentity", async () => ({
    makeClient: (u) => new STSClient({ ...base, endpoint: u }),
    op: (c) => c.send(new GetCallerIdentityCommand({})),
  }));
  // Each Nimbus gets its own queue; the bare server is sent the first one's URL (it ignores it).
  let firstQueueUrl;
  await measure(
    "SQS SendMessage",
    async (u, bareServer) => {
      let QueueUrl = firstQueueUrl;
      if (!bareServer) {
        const sqs = new SQSClient({ ...base, endpoint: u });
        ({ QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "bench" })));
        firstQueueUrl ??= QueueUrl;
      }
      return {
        makeClient: (url) => new SQSClient({ ...base, endpoint: url }),
        op: (c) => c.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello from the benchmark" })),
      };
    },
    true,
  );
} finally {
  nimbusA.child.kill("SIGTERM");
  nimbusD.child.kill("SIGTERM");
  setTimeout(() => rmSync(durableDir, { recursive: true, force: true }), 500);
  nimbusB?.child.kill("SIGTERM");
}
