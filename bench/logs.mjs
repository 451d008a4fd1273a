// CloudWatch Logs figures, through the SDK against the bundled Nimbus.
//   npm run build && node bench/logs.mjs [n]
// - What writing function logs costs a warm invoke: two servers side by side, one with
//   NIMBUS_LAMBDA_LOGS=off (the baseline), invoked alternately with the same node function;
//   p50 latency and server CPU per invoke (Nimbus process only, from /proc), as ratios.
// - PutLogEvents of 100-event batches (100-byte lines): p50 latency against DescribeLogGroups
//   on the same server (the pipeline's floor), and server CPU per event.
// - FilterLogEvents with a term pattern over 100,000 events: p50 latency.
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogGroupsCommand, FilterLogEventsCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, median, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 300);
const ACCOUNT = "123456789012";
const READY = /ready on (http:\/\/[^\s]+)/;
const on = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], READY);
const off = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], READY, { NIMBUS_LAMBDA_LOGS: "off" });
const cfg = (url) => ({ region: "us-east-1", endpoint: url, maxAttempts: 1, credentials: { accessKeyId: ACCOUNT, secretAccessKey: "x" } });

const dir = mkdtempSync(join(tmpdir(), "nimbus-bench-logs-"));
writeFileSync(join(dir, "index.js"), `exports.handler = async (e) => { const h = process.hrtime.bigint(); console.log("handling", JSON.stringify(e)); return { ms: Number(process.hrtime.bigint() - h) / 1e6 }; };`);
execFileSync("python3", ["-m", "zipfile", "-c", join(dir, "f.zip"), join(dir, "index.js")]);
const zip = execFileSync("cat", [join(dir, "f.zip")]);

// 1. Warm invoke with and without function logs.
const servers = [
  { name: "logs on", s: on },
  { name: "logs off", s: off },
].map((x) => ({ ...x, lambda: new LambdaClient(cfg(x.s.url)), lat: [], cpu: 0 }));
for (const x of servers) {
  await x.lambda.send(new CreateFunctionCommand({ FunctionName: "f", Runtime: "nodejs20.x", Handler: "index.handler", Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { ZipFile: zip } }));
  for (let i = 0; i < 20; i++) await x.lambda.send(new InvokeCommand({ FunctionName: "f", Payload: Buffer.from('{"k":1}') }));
}
for (const x of servers) x.cpu0 = cpuSeconds(x.s.child.pid);
for (let i = 0; i < N; i++) {
  for (const x of servers) {
    const t0 = process.hrtime.bigint();
    const out = await x.lambda.send(new InvokeCommand({ FunctionName: "f", Payload: Buffer.from('{"k":1}') }));
    const total = Number(process.hrtime.bigint() - t0) / 1e6;
    x.lat.push(total - JSON.parse(Buffer.from(out.Payload).toString()).ms);
  }
}
await new Promise((r) => setTimeout(r, 200)); // let the last batched log writes land before reading CPU
for (const x of servers) x.cpu = ((cpuSeconds(x.s.child.pid) - x.cpu0) / N) * 1e6;
const [a, b] = servers;
console.log(`warm invoke overhead p50: logs on ${median(a.lat).toFixed(3)} ms, off ${median(b.lat).toFixed(3)} ms = ${(median(a.lat) / median(b.lat)).toFixed(2)}x; server CPU ${a.cpu.toFixed(0)} vs ${b.cpu.toFixed(0)} us/invoke = ${(a.cpu / b.cpu).toFixed(2)}x (n=${N})`);

// 2. PutLogEvents against the pipeline floor.
const logs = new CloudWatchLogsClient(cfg(on.url));
await logs.send(new CreateLogGroupCommand({ logGroupName: "bench" }));
await logs.send(new CreateLogStreamCommand({ logGroupName: "bench", logStreamName: "s" }));
const floor = [];
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "bench" }));
  floor.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const line = (i) => `${new Date().toISOString()} request ${i} ${i % 50 === 0 ? "ERROR" : "INFO"} ${"x".repeat(60)}`;
const puts = [];
const batches = 1000;
const cpu0 = cpuSeconds(on.child.pid);
for (let k = 0; k < batches; k++) {
  const now = Date.now();
  const logEvents = Array.from({ length: 100 }, (_, i) => ({ timestamp: now, message: line(k * 100 + i) }));
  const t0 = process.hrtime.bigint();
  await logs.send(new PutLogEventsCommand({ logGroupName: "bench", logStreamName: "s", logEvents }));
  puts.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const perEvent = ((cpuSeconds(on.child.pid) - cpu0) / (batches * 100)) * 1e6;
console.log(`PutLogEvents (100 events) p50 ${median(puts).toFixed(2)} ms = ${(median(puts) / median(floor)).toFixed(2)}x DescribeLogGroups (${median(floor).toFixed(2)} ms); server CPU ${perEvent.toFixed(1)} us/event (n=${batches})`);

// 3. FilterLogEvents over the 100,000 events.
const filters = [];
let found = 0;
for (let i = 0; i < 10; i++) {
  const t0 = process.hrtime.bigint();
  const r = await logs.send(new FilterLogEventsCommand({ logGroupName: "bench", filterPattern: "ERROR", limit: 10000 }));
  filters.push(Number(process.hrtime.bigint() - t0) / 1e6);
  found = r.events.length;
}
console.log(`FilterLogEvents "ERROR" over 100,000 events (${found} matches): p50 ${median(filters).toFixed(1)} ms = ${(median(filters) / median(floor)).toFixed(1)}x DescribeLogGroups (n=10)`);
on.child.kill();
off.child.kill();
process.exit(0);
