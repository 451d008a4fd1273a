// Lambda invoke overhead and cold start, through the SDK against the bundled Nimbus.
//   npm run build && node bench/lambda.mjs [warm-invokes]
// - Warm overhead: Invoke latency minus the handler's own duration (it times itself with
//   hrtime and returns the figure), p50, node and python; beside it, the p50 of a plain Lambda
//   GetAccountSettings on the same server (the request pipeline's own floor) as the baseline.
// - Server CPU per warm invoke (Nimbus process only, from /proc; the worker's CPU is not counted).
// - Cold start to handler: from sending Invoke to the handler's first line (epoch ms the handler
//   reports), on a fresh worker each time (a configuration change retires the warm ones);
//   baseline: spawning the bare interpreter to exit (`node -e 0`, `python3 -c pass`) in this process.
import { CreateFunctionCommand, GetAccountSettingsCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, median, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 300);
const COLD = 8;
const ACCOUNT = "123456789012";
const { child, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
const lambda = new LambdaClient({ region: "us-east-1", endpoint: url, maxAttempts: 1, credentials: { accessKeyId: ACCOUNT, secretAccessKey: "x" } });

const dir = mkdtempSync(join(tmpdir(), "nimbus-bench-lambda-"));
function zipOf(name, text) {
  const src = join(dir, name);
  writeFileSync(src, text);
  const out = join(dir, `${name}.zip`);
  execFileSync("python3", ["-m", "zipfile", "-c", out, src]);
  return execFileSync("cat", [out]);
}
const NODE = `exports.handler = async (e) => { const t = Date.now(); const h = process.hrtime.bigint(); let x = 0; for (let i = 0; i < 1000; i++) x += i; return { start: t, ms: Number(process.hrtime.bigint() - h) / 1e6 }; };`;
const PY = `import time\ndef handler(e, c):\n    t = time.time() * 1000\n    h = time.perf_counter()\n    x = sum(range(1000))\n    return {"start": t, "ms": (time.perf_counter() - h) * 1000}\n`;
const fns = [
  { name: "node", runtime: "nodejs20.x", handler: "index.handler", zip: zipOf("index.js", NODE) },
  { name: "python", runtime: "python3.12", handler: "app.handler", zip: zipOf("app.py", PY) },
];
for (const f of fns) {
  await lambda.send(new CreateFunctionCommand({ FunctionName: f.name, Runtime: f.runtime, Handler: f.handler, Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { ZipFile: f.zip } }));
}
const invoke = async (name) => {
  const t0 = process.hrtime.bigint();
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"k":1}') }));
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  const body = JSON.parse(Buffer.from(out.Payload).toString());
  if (out.FunctionError) throw new Error(JSON.stringify(body));
  return { total, body, sent: Date.now() - total };
};

// Baseline: the pipeline's floor for a Lambda call.
const base = [];
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  await lambda.send(new GetAccountSettingsCommand({}));
  base.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const baseP50 = median(base);
console.log(`baseline GetAccountSettings p50 ${baseP50.toFixed(3)} ms (n=${N})`);

for (const f of fns) {
  for (let i = 0; i < 20; i++) await invoke(f.name);
  const over = [];
  const cpu0 = cpuSeconds(child.pid);
  for (let i = 0; i < N; i++) {
    const r = await invoke(f.name);
    over.push(r.total - r.body.ms);
  }
  const cpuUs = ((cpuSeconds(child.pid) - cpu0) / N) * 1e6;
  const p50 = median(over);
  console.log(`${f.name.padEnd(6)} warm invoke overhead p50 ${p50.toFixed(3)} ms = ${(p50 / baseP50).toFixed(2)}x GetAccountSettings; Nimbus CPU ${cpuUs.toFixed(0)} us/invoke (n=${N})`);
}

for (const f of fns) {
  const cold = [];
  for (let i = 0; i < COLD; i++) {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: f.name, Environment: { Variables: { ROUND: String(i) } } }));
    const sent = Date.now();
    const r = await invoke(f.name);
    cold.push(r.body.start - sent);
  }
  const bare = [];
  for (let i = 0; i < COLD; i++) {
    const t0 = process.hrtime.bigint();
    if (f.name === "node") spawnSync(process.execPath, ["-e", "0"]);
    else spawnSync("python3", ["-c", "pass"]);
    bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const c = median(cold);
  const b = median(bare);
  console.log(`${f.name.padEnd(6)} cold start to handler p50 ${c.toFixed(1)} ms = ${(c / b).toFixed(2)}x bare interpreter start-to-exit (${b.toFixed(1)} ms) (n=${COLD})`);
}
child.kill();
process.exit(0);
