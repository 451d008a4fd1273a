// Server CPU per request through the whole Nimbus pipeline vs a bare node:http server that
// answers the same bytes, measured in the same run with the same SDK client. The client is
// the bottleneck for throughput, so we read the *server's* CPU time from /proc.
//   npm run build && node bench/pipeline.mjs [requests]
// Target (issue 2): Nimbus CPU/request <= 2x the bare server's, for SQS SendMessage and STS
// GetCallerIdentity.
import { SQSClient, CreateQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { cpuSeconds, rawAnswer, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 3000);
const WARMUP = Number(process.env.WARMUP ?? 300);
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };

const { child: nimbus, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);

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

async function measure(label, makeClient, op, withFloor = false) {
  const client = makeClient(url);
  const answer = await rawAnswer(client, url, op);
  if (answer.status !== 200) throw new Error(`${label}: Nimbus answered ${answer.status} ${answer.body}`);
  const headers = {};
  for (const h of ["content-type", "x-amzn-requestid", "x-amzn-query-error"]) if (answer.headers[h]) headers[h] = answer.headers[h];

  const { child: bare, url: bareUrl } = await spawnServer(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, {
    CANNED_BODY: answer.body.toString("base64"),
    CANNED_HEADERS: JSON.stringify(headers),
  });
  const bareClient = makeClient(bareUrl);
  await op(bareClient); // the canned answer must parse as the real one did
  for (let i = 0; i < WARMUP; i++) {
    await op(client);
    await op(bareClient);
  }
  // Alternate batches so that both servers see the same machine noise.
  const BATCH = 100;
  let nimbusCpu = 0;
  let bareCpu = 0;
  let floorCpu = 0;
  const floor = withFloor ? commitFloor() : undefined;
  for (let done = 0; done < N; done += BATCH) {
    if (floor) {
      const f0 = selfCpuSeconds();
      for (let i = 0; i < BATCH; i++) floor.run();
      floorCpu += selfCpuSeconds() - f0;
    }
    let c0 = cpuSeconds(nimbus.pid);
    for (let i = 0; i < BATCH; i++) await op(client);
    nimbusCpu += cpuSeconds(nimbus.pid) - c0;
    c0 = cpuSeconds(bare.pid);
    for (let i = 0; i < BATCH; i++) await op(bareClient);
    bareCpu += cpuSeconds(bare.pid) - c0;
  }
  nimbusCpu /= N;
  bareCpu /= N;
  floorCpu /= N;
  floor?.close();
  bare.kill();
  console.log(
    `${label.padEnd(22)} nimbus ${(nimbusCpu * 1e6).toFixed(0).padStart(4)} µs CPU/req, bare node:http ${(bareCpu * 1e6).toFixed(0).padStart(4)} µs, ratio ${(nimbusCpu / bareCpu).toFixed(2)}x  (target <= 2x; ${answer.body.length}-byte answers, ${N} requests)`,
  );
  if (floor) {
    console.log(
      `${"".padEnd(22)} of which the fsynced commit floor is ${(floorCpu * 1e6).toFixed(0)} µs; Nimbus without it ${((nimbusCpu - floorCpu) * 1e6).toFixed(0)} µs, ratio ${((nimbusCpu - floorCpu) / bareCpu).toFixed(2)}x`,
    );
  }
}

try {
  const sqs = new SQSClient({ ...base, endpoint: url });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "bench" }));
  await measure("STS GetCallerIdentity", (u) => new STSClient({ ...base, endpoint: u }), (c) => c.send(new GetCallerIdentityCommand({})));
  await measure("SQS SendMessage", (u) => new SQSClient({ ...base, endpoint: u }), (c) => c.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello from the benchmark" })), true);
} finally {
  nimbus.kill("SIGTERM");
}
