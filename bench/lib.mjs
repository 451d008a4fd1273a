// Shared helpers for benchmarks: spawn a server process, read its CPU time and RSS from /proc.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const TICKS = 100; // USER_HZ on Linux

export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11] = utime, fields[12] = stime (0-based after the comm field)
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/**
 * A process's CPU time in seconds with nanosecond resolution: the sum over its threads of the
 * scheduler's run time (/proc/<pid>/task/<tid>/schedstat, first field). /proc/<pid>/stat counts
 * in 10 ms ticks, too coarse for a batch of a few dozen requests (a bare server spends ~15 ms
 * on 50); this one also covers V8's compiler and GC threads and libuv's pool. Read it while
 * the process is idle (between batches): a running thread's figure lags until it is scheduled
 * out. Falls back to cpuSeconds where the kernel has no schedstat.
 */
export function cpuSecondsPrecise(pid) {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0]);
      } catch {} // a thread that ended between the listing and the read
    }
  } catch {
    return cpuSeconds(pid);
  }
  return ns / 1e9;
}

export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return kb / 1024;
}

/** Spawns `node args...` and resolves with the child and the URL from its ready line. */
export function spawnServer(args, readyPattern, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = readyPattern.exec(out);
      if (m) resolve({ child, url: m[1], t0 });
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before ready`)));
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on 127.0.0.1 right now (for servers that cannot listen on port 0, like dynalite). */
export async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Captures the HTTP request an SDK client sends for `op`, replays it to `url`, and resolves with
 * the raw answer (status, headers, body): what a canned baseline must send back so that the same
 * SDK call parses it the same way.
 */
export async function rawAnswer(client, url, op) {
  const { request } = await import("node:http");
  let captured;
  client.middlewareStack.add(
    (next) => async (args) => {
      captured = args.request;
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "captureRequest" },
  );
  await op(client);
  client.middlewareStack.remove("captureRequest");
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method: captured.method, path: captured.path, headers: captured.headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(captured.body);
  });
}

/** The response headers a canned answer repeats (framing and per-connection headers are the server's own). */
export function cannedHeaders(headers) {
  const skip = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !skip.has(k)));
}

/** Samples a process's RSS every `ms` until stop(); returns { stop(): peak MiB }. */
export function rssSampler(pid, ms = 50) {
  let peak = rssMiB(pid);
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {}
  }, ms);
  return {
    stop() {
      clearInterval(t);
      try {
        peak = Math.max(peak, rssMiB(pid));
      } catch {}
      return peak;
    },
  };
}

/**
 * createNimbus and loadModel straight from the sources (an esbuild bundle written to dist/<name>),
 * for benches that time one step in process, where whole requests are too noisy.
 */
export async function loadSources(name) {
  const { build } = await import("esbuild");
  const lib = `dist/${name}`;
  await build({
    stdin: { contents: 'export { createNimbus } from "./src/core/server/nimbus.ts"; export { loadModel } from "./src/core/model/load.ts";', resolveDir: process.cwd(), loader: "ts" },
    bundle: true, platform: "node", format: "esm", target: "node20", external: ["better-sqlite3"], outfile: lib, logLevel: "warning",
  });
  return import(`../${lib}`);
}
