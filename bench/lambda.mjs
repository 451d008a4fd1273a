// Lambda invoke overhead and cold start, through the SDK against the bundled Nimbus.
//   npm run build && node bench/lambda.mjs [warm-invokes]
//   env: COLD=<n> cold starts per runtime (0 skips), PAUSE=<ms> between them, PROFILE=<dir> for a
//   server CPU profile, THREADS=1 for the server's CPU per thread, and Nimbus's own variables
//   (NIMBUS_LAMBDA_STANDBY=0 measures cold starts without standby processes).
// - Warm overhead, server side: one signed Invoke request captured from the SDK and replayed
//   over a keep-alive connection (so the SDK's own client-side cost is not counted). Each replay
//   alternates with the same request to a bare node:http server in another process answering at
//   once (the network and client floor, under the same noise). Nimbus time outside the handler =
//   latency - the handler's own duration (it times itself with hrtime) - that bare round trip,
//   p50, node and python. GetAccountSettings replayed the same way is printed for reference.
// - Server CPU per warm invoke (Nimbus process only, from /proc, user and kernel; the worker's
//   CPU is not counted).
// - Cold start to handler: from sending Invoke to the handler's first line (epoch ms the handler
//   reports), on a fresh worker each time (a configuration change retires the warm ones), after
//   a pause that lets the standby process be replaced; baseline: spawning the bare interpreter
//   to exit (`node -e 0`, `python3 -c pass` with the executable the workers use) in this process.
import { CreateFunctionCommand, GetAccountSettingsCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "node:http";
import { cpuSeconds, median, sleep, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 300);
const COLD = Number(process.env.COLD ?? 8);
const PAUSE = Number(process.env.PAUSE ?? 1000);
const STANDBY = process.env.NIMBUS_LAMBDA_STANDBY ?? "1";
const ACCOUNT = "123456789012";
// PROFILE=<dir> writes a V8 CPU profile of the server (node --cpu-prof) for the whole run.
const profile = process.env.PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROFILE}`] : [];
const { child, url } = await spawnServer([...profile, "bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
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
// The interpreter workers run (python3 on PATH resolved past any version-manager shim).
const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
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

/** The signed request an SDK call sends, captured once, for raw replays. */
async function capture(command) {
  let captured;
  const mw = (next) => async (args) => {
    captured = args.request;
    return next(args);
  };
  lambda.middlewareStack.add(mw, { step: "finalizeRequest", priority: "low", name: "captureRequest" });
  await lambda.send(command);
  lambda.middlewareStack.remove("captureRequest");
  return captured;
}
/** Kernel CPU seconds of a process (stime, from /proc). */
function sysSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[12]) / 100;
}
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const target = new URL(url);
function replay(req, to = target, via = agent) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const r = request({ host: to.hostname, port: to.port, method: req.method, path: req.path + (req.query && Object.keys(req.query).length ? `?${new URLSearchParams(req.query)}` : ""), headers: req.headers, agent: via }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    r.on("error", reject);
    r.end(req.body);
  });
}

// The network and client floor: a bare node:http server (another process, as Nimbus is) that
// answers the same request at once with an Invoke-sized JSON body. Latency minus the handler's
// own time minus this round trip, measured alternately with each invoke, is Nimbus's time.
const bare = await spawnServer(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, { CANNED_BODY: Buffer.from('{"start":0,"ms":0.001}').toString("base64"), CANNED_HEADERS: JSON.stringify({ "content-type": "application/json" }) });
const bareTarget = new URL(bare.url);
const bareAgent = new Agent({ keepAlive: true, maxSockets: 1 });

// Baseline: the pipeline's floor for a Lambda call, replayed the same way.
const settings = await capture(new GetAccountSettingsCommand({}));
const base = [];
for (let i = 0; i < 50; i++) await replay(settings);
const baseCpu0 = cpuSeconds(child.pid);
for (let i = 0; i < N; i++) base.push((await replay(settings)).ms);
const baseCpuUs = ((cpuSeconds(child.pid) - baseCpu0) / N) * 1e6;
const baseP50 = median(base);
console.log(`baseline GetAccountSettings (raw replay) p50 ${baseP50.toFixed(3)} ms; Nimbus CPU ${baseCpuUs.toFixed(0)} us/request (n=${N})`);

for (const f of fns) {
  const req = await capture(new InvokeCommand({ FunctionName: f.name, Payload: Buffer.from('{"k":1}') }));
  for (let i = 0; i < 50; i++) await replay(req);
  for (let i = 0; i < 50; i++) await replay(req, bareTarget, bareAgent);
  const over = [];
  const outside = [];
  const floor = [];
  // Nimbus's CPU over the whole loop (the bare round trips included): background work an invoke
  // causes (log batches) counts too.
  const cpu0 = cpuSeconds(child.pid);
  const sys0 = sysSeconds(child.pid);
  for (let i = 0; i < N; i++) {
    const b = await replay(req, bareTarget, bareAgent);
    const r = await replay(req);
    if (r.status !== 200) throw new Error(`${r.status} ${r.body}`);
    const o = r.ms - JSON.parse(r.body.toString()).ms;
    over.push(o);
    floor.push(b.ms);
    outside.push(o - b.ms);
  }
  const cpuUs = ((cpuSeconds(child.pid) - cpu0) / N) * 1e6;
  const sysUs = ((sysSeconds(child.pid) - sys0) / N) * 1e6;
  const p50 = median(over);
  console.log(`${f.name.padEnd(6)} warm invoke: Nimbus time outside the handler p50 ${median(outside).toFixed(3)} ms (latency - handler ${p50.toFixed(3)} ms, minus a bare node:http round trip ${median(floor).toFixed(3)} ms); latency - handler = ${(p50 / baseP50).toFixed(2)}x GetAccountSettings; Nimbus CPU ${cpuUs.toFixed(0)} us/invoke, of which kernel ${sysUs.toFixed(0)} us (n=${N})`);
}

for (const f of COLD > 0 ? fns : []) {
  const cold = [];
  for (let i = 0; i < COLD; i++) {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: f.name, Environment: { Variables: { ROUND: String(i) } } }));
    // Cold starts are rarely back to back: give the standby process (replaced after each cold
    // start) time to boot, as it would have between two real cold starts.
    await sleep(PAUSE);
    const sent = Date.now();
    const r = await invoke(f.name);
    cold.push(r.body.start - sent);
  }
  const bare = [];
  for (let i = 0; i < COLD; i++) {
    const t0 = process.hrtime.bigint();
    if (f.name === "node") spawnSync(process.execPath, ["-e", "0"]);
    else spawnSync(PYTHON, ["-c", "pass"]);
    bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const c = median(cold);
  const b = median(bare);
  console.log(`${f.name.padEnd(6)} cold start to handler p50 ${c.toFixed(1)} ms (standby ${STANDBY}) = ${(c / b).toFixed(2)}x bare interpreter start-to-exit (${b.toFixed(1)} ms) (n=${COLD})`);
}
// THREADS=1: the server's CPU per thread (main, libuv pool, V8 workers), to see where it goes.
if (process.env.THREADS) {
  const { readdirSync } = await import("node:fs");
  for (const t of readdirSync(`/proc/${child.pid}/task`)) {
    const st = readFileSync(`/proc/${child.pid}/task/${t}/stat`, "utf8");
    const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
    console.log(`thread ${t} ${st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"))} user ${Number(f[11]) / 100}s sys ${Number(f[12]) / 100}s`);
  }
}
bare.child.kill();
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
process.exit(0);
