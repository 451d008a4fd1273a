// Execution environments: each worker is a child process (our bootstrap for its runtime) with
// its own loopback Runtime API server (see docs/architecture.md, "Lambda Runtime API"). A pool
// per function code+configuration revision keeps warm workers, scales out up to maxWorkers,
// queues beyond that up to maxQueued, then refuses (TooManyRequestsException).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { AwsError } from "../../core/errors.js";
import type { RuntimeSpec } from "./runtimes.js";
import { needsFreshProcess, type Standby } from "./standby.js";
import type { MemoryLimits } from "./memory-limits.js";
import type { CgroupPlan } from "../../core/runtime/cgroups.js";

export interface InvokeResult {
  payload: Buffer;
  functionError?: "Unhandled";
  /** The invocation's own log lines (runtime output plus init output on a cold start). */
  logs: string;
  durationMs: number;
  initMs?: number;
  /** The worker's CloudWatch Logs stream (AWS_LAMBDA_LOG_STREAM_NAME), where function-logs.ts writes. */
  logStream?: string;
  /** The answer was streamed (its bytes went through Invocation.onChunk). */
  streamed?: boolean;
  /** The worker's memory high-water mark (its cgroup's), when memory limits apply. */
  maxMemoryMb?: number;
}

export interface Invocation {
  id: string;
  payload: Buffer;
  arn: string;
  timeoutSec: number;
  memoryMb: number;
  resolve(r: InvokeResult): void;
  /** Response streaming: each chunk of a streamed answer as it arrives (InvokeWithResponseStream). */
  onChunk?(chunk: Buffer): void;
}

export interface PoolSpec {
  key: string;
  runtime: RuntimeSpec;
  bootstrapFile: string;
  cwd: string;
  /** MemorySize: the worker's memory limit where cgroups allow (memory-limits.ts). */
  memoryMb: number;
  /** The complete environment of a worker minus AWS_LAMBDA_RUNTIME_API (filled per worker). */
  env(): Promise<Record<string, string>>;
}

/** Our bootstraps print this on stdout before answering, so the answer waits for the logs. */
export const FLUSH = "\x1eNIMBUS-FLUSH\x1e\n";

interface Running {
  inv: Invocation;
  logs: Buffer[];
  scan: string;
  flushed: boolean;
  pending?: { payload: Buffer; error: boolean };
  started?: bigint;
  timer?: NodeJS.Timeout;
  done: boolean;
  /** Some of the answer already went to the caller (response streaming). */
  streamed?: boolean;
}

class Worker {
  proc?: ChildProcess;
  server: Server;
  port = 0;
  parked?: ServerResponse;
  current?: Running;
  initLogs: Buffer[] = [];
  initStarted = process.hrtime.bigint();
  initMs?: number;
  idleTimer?: NodeJS.Timeout;
  dead = false;
  logStream?: string;
  cgroup?: CgroupPlan;

  constructor(readonly pool: Pool) {
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 0;
  }

  async start(spec: PoolSpec): Promise<void> {
    await new Promise<void>((ok) => this.server.listen(0, "127.0.0.1", ok));
    this.port = (this.server.address() as AddressInfo).port;
    const env = { ...(await spec.env()), AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${this.port}` };
    this.logStream = (env as Record<string, string>).AWS_LAMBDA_LOG_STREAM_NAME;
    if (this.dead) return;
    // A standby process of the family (standby.ts) has its interpreter up already; it gets the
    // environment and task root on stdin. Otherwise a fresh process; a custom runtime
    // (provided.*) is always the function's own bootstrap executable.
    const standby = this.pool.standby;
    const spare = spec.runtime.family !== "provided" && !needsFreshProcess(env) ? standby?.take(spec.runtime) : undefined;
    let proc: ChildProcess;
    if (spare) {
      proc = spare.proc;
      this.initLogs.push(...spare.output);
      this.cgroup = this.pool.memory?.join(proc.pid, spec.memoryMb);
      proc.stdin!.end(`${JSON.stringify({ env, cwd: spec.cwd })}\n`);
    } else {
      const [command, args] = spec.runtime.family === "provided" ? [spec.bootstrapFile, []] : [spec.runtime.command, spec.runtime.family === "python" ? ["-u", spec.bootstrapFile] : [spec.bootstrapFile]];
      proc = spawn(command, args, { cwd: spec.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      this.cgroup = this.pool.memory?.join(proc.pid, spec.memoryMb);
    }
    this.proc = proc;
    proc.once("exit", () => this.pool.memory?.release(this.cgroup));
    const sink = (c: Buffer) => {
      const run = this.current && !this.current.done ? this.current : undefined;
      if (!run) return this.initLogs.push(c);
      run.logs.push(c);
      run.scan = (run.scan + c.toString("latin1")).slice(-64);
      if (run.scan.includes(FLUSH)) {
        run.flushed = true;
        if (run.pending) this.finish(run.pending.payload, run.pending.error, true);
      }
    };
    proc.stdout!.on("data", sink);
    proc.stderr!.on("data", sink);
    proc.on("error", () => this.exited(null));
    proc.on("exit", (code) => this.exited(code));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    // A streamed answer (Lambda-Runtime-Function-Response-Mode: streaming) reaches the caller
    // chunk by chunk; an error after the first byte comes in the trailers.
    const url = req.url ?? "/";
    const streaming = req.headers["lambda-runtime-function-response-mode"] === "streaming" && this.current && url.endsWith(`/${this.current.inv.id}/response`) ? this.current : undefined;
    req.on("data", (c: Buffer) => {
      chunks.push(c);
      if (streaming && !streaming.done) {
        streaming.streamed = true;
        streaming.inv.onChunk?.(c);
      }
    });
    req.on("end", () => {
      const errorType = streaming ? req.trailers["lambda-runtime-function-error-type"] : undefined;
      if (errorType) {
        const detail = Buffer.from(req.trailers["lambda-runtime-function-error-body"] ?? "", "base64");
        return this.route(req.method ?? "GET", url.replace(/\/response$/, "/error"), detail, res);
      }
      this.route(req.method ?? "GET", url, Buffer.concat(chunks), res);
    });
  }

  private route(method: string, url: string, body: Buffer, res: ServerResponse): void {
    const m = /^\/2018-06-01\/runtime\/(?:invocation\/(next|[^/]+\/(?:response|error))|init\/error)$/.exec(url);
    const reply = (status: number, doc: unknown) => {
      const text = JSON.stringify(doc);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (!m) return reply(404, { errorMessage: "Not found", errorType: "InvalidRequest" });
    // 1. invocation/next: park until this worker has an invocation.
    if (method === "GET" && m[1] === "next") {
      if (this.initMs === undefined) {
        this.initMs = Number(process.hrtime.bigint() - this.initStarted) / 1e6;
        // Init is over: now replace the standby process this cold start used (or start the family's first).
        this.pool.standby?.fill(this.pool.spec.runtime);
      }
      this.parked = res;
      if (this.current && !this.current.started) this.deliver();
      else if (!this.pool.isIdle(this)) this.pool.workerIdle(this);
      return;
    }
    if (method !== "POST") return reply(405, { errorMessage: "Method not allowed", errorType: "InvalidRequest" });
    // 2. init/error: the runtime failed to load the handler; the invocation answers with it.
    if (!m[1]) {
      reply(202, { status: "OK" });
      if (this.current) this.finish(body, true);
      this.kill();
      return;
    }
    // 3. <id>/response or <id>/error for the current invocation only.
    const [id, kind] = m[1].split("/");
    if (!this.current || this.current.inv.id !== id || this.current.done) {
      return reply(400, { errorMessage: `Invalid request ID: ${id}`, errorType: "InvalidRequestID" });
    }
    // Our bootstraps mark the end of an invocation's output; a custom runtime's answer is final as is.
    if (this.current.flushed || this.pool.spec.runtime.family === "provided") this.finish(body, kind === "error", true);
    else this.current.pending = { payload: body, error: kind === "error" };
    // The runtime's 202 after the caller's answer (written in this turn's microtasks): the worker
    // would otherwise wake first and its next poll compete with that answer for the CPU.
    setImmediate(() => reply(202, { status: "OK" }));
  }

  assign(inv: Invocation): void {
    clearTimeout(this.idleTimer);
    this.current = { inv, logs: [], scan: "", flushed: false, done: false };
    if (this.parked) this.deliver();
  }

  private deliver(): void {
    const run = this.current!;
    const res = this.parked!;
    this.parked = undefined;
    run.started = process.hrtime.bigint();
    const deadline = Date.now() + run.inv.timeoutSec * 1000;
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": run.inv.payload.length,
      "lambda-runtime-aws-request-id": run.inv.id,
      "lambda-runtime-deadline-ms": String(deadline),
      "lambda-runtime-invoked-function-arn": run.inv.arn,
      "lambda-runtime-trace-id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, "").slice(0, 24)};Sampled=0`,
    });
    res.end(run.inv.payload);
    // 4. The timeout kills the worker; AWS answers Sandbox.Timedout with the elapsed limit.
    run.timer = setTimeout(() => {
      const secs = run.inv.timeoutSec.toFixed(2);
      run.logs.push(Buffer.from(`${new Date().toISOString()} ${run.inv.id} Task timed out after ${secs} seconds\n`));
      this.finish(Buffer.from(JSON.stringify({ errorType: "Sandbox.Timedout", errorMessage: `RequestId: ${run.inv.id} Error: Task timed out after ${secs} seconds` })), true);
      this.kill();
    }, run.inv.timeoutSec * 1000);
  }

  /** Answers the current invocation; a reusable worker takes the next one as soon as it polls. */
  private finish(payload: Buffer, error: boolean, reusable = false): void {
    const run = this.current;
    if (!run || run.done) return;
    run.done = true;
    clearTimeout(run.timer);
    const durationMs = run.started ? Number(process.hrtime.bigint() - run.started) / 1e6 : 0;
    const cold = this.initLogs.length > 0 || (this.initMs !== undefined && !this.servedOne);
    const logs = Buffer.concat([...(cold ? this.initLogs : []), ...run.logs]).toString("utf8").replaceAll(FLUSH, "");
    this.initLogs = [];
    const initMs = this.servedOne ? undefined : this.initMs;
    this.servedOne = true;
    this.current = undefined;
    run.inv.resolve({ payload, ...(error ? { functionError: "Unhandled" as const } : {}), logs, durationMs, ...(initMs !== undefined ? { initMs } : {}), logStream: this.logStream, ...(run.streamed ? { streamed: true } : {}), ...(this.cgroup ? { maxMemoryMb: this.memoryPeak() } : {}) });
    if (reusable && !this.dead) this.pool.workerIdle(this);
  }
  private servedOne = false;

  /**
   * The worker's memory high-water mark for REPORT. Reading a cgroup file costs the main thread
   * ~0.2 ms (the kernel sums the group's counters), so only the first invocation reads it in line;
   * later ones use the last value while a read in the thread pool refreshes it (at most every
   * 250 ms): a peak reached by one invocation may show in the next REPORT.
   */
  private memoryPeak(): number | undefined {
    const limits = this.pool.memory;
    if (!limits || !this.cgroup) return undefined;
    if (this.peakMb === undefined) {
      this.peakMb = limits.maxUsedMb(this.cgroup);
      this.peakReadAt = Date.now();
    } else if (!this.peakReading && Date.now() - this.peakReadAt >= 250) {
      this.peakReading = true;
      void limits.maxUsedMbAsync(this.cgroup).then((mb) => {
        this.peakReading = false;
        this.peakReadAt = Date.now();
        if (mb !== undefined) this.peakMb = mb;
      });
    }
    return this.peakMb;
  }
  private peakMb?: number;
  private peakReadAt = 0;
  private peakReading = false;

  private exited(code: number | null): void {
    this.failCurrent(code);
    this.kill();
  }

  /** Answers an invocation the worker can no longer answer (it exited, or never started). */
  private failCurrent(code: number | null): void {
    const pending = this.current && !this.current.done ? this.current.pending : undefined;
    if (pending) this.finish(pending.payload, pending.error);
    if (this.current && !this.current.done) {
      const id = this.current.inv.id;
      const why = code === null ? "signal: killed" : `exit status ${code}`;
      this.current.logs.push(Buffer.from(`RequestId: ${id} Error: Runtime exited with error: ${why}\nRuntime.ExitError\n`));
      this.finish(Buffer.from(JSON.stringify({ errorType: "Runtime.ExitError", errorMessage: `RequestId: ${id} Error: Runtime exited with error: ${why}` })), true);
    }
  }

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.failCurrent(null);
    clearTimeout(this.idleTimer);
    this.proc?.kill("SIGKILL");
    this.parked?.destroy();
    this.server.close();
    this.server.closeAllConnections();
    this.pool.workerGone(this);
  }
}

export interface PoolLimits {
  maxWorkers: number;
  maxQueued: number;
  idleMs: number;
  /** Standby processes per runtime family (standby.ts); 0 disables. */
  standby: number;
  /** MemorySize enforced through cgroups (memory-limits.ts). */
  memoryLimits: boolean;
}

export class Pool {
  readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly queue: Invocation[] = [];

  constructor(
    readonly spec: PoolSpec,
    private readonly limits: PoolLimits,
    private readonly onEmpty: (p: Pool) => void,
    readonly standby?: Standby,
    readonly memory?: MemoryLimits,
  ) {}

  /** Runs an invocation on a warm worker, a new one, or queues it; refuses beyond the limits. */
  submit(inv: Invocation): void {
    const warm = this.idle.pop();
    if (warm) return warm.assign(inv);
    if (this.workers.size < this.limits.maxWorkers) return this.spawn(inv);
    if (this.queue.length < this.limits.maxQueued) {
      this.queue.push(inv);
      return;
    }
    throw new AwsError("TooManyRequestsException", "Rate Exceeded.", 429, { fields: { Reason: "ConcurrentInvocationLimitExceeded", Type: "User" }, headers: { "retry-after": "1" } });
  }

  private spawn(inv: Invocation): void {
    const w = new Worker(this);
    this.workers.add(w);
    w.assign(inv);
    w.start(this.spec).catch(() => w.kill());
  }

  /** Stops taking work for a retired configuration: idle workers end now, busy ones when done. */
  drain(): void {
    this.draining = true;
    for (const w of this.idle.splice(0)) w.kill();
  }
  private draining = false;

  isIdle(w: Worker): boolean {
    return this.idle.includes(w);
  }

  workerIdle(w: Worker): void {
    const next = this.queue.shift();
    if (next) return w.assign(next);
    if (this.draining) return w.kill();
    this.idle.push(w);
    w.idleTimer = setTimeout(() => w.kill(), this.limits.idleMs);
    w.idleTimer.unref();
  }

  workerGone(w: Worker): void {
    this.workers.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    const next = this.queue.shift();
    if (next) this.spawn(next);
    else if (this.workers.size === 0) this.onEmpty(this);
  }

  close(): void {
    for (const inv of this.queue.splice(0)) {
      inv.resolve({ payload: Buffer.from(JSON.stringify({ errorType: "Runtime.ExitError", errorMessage: `RequestId: ${inv.id} Error: Runtime exited with error: signal: killed` })), functionError: "Unhandled", logs: "", durationMs: 0 });
    }
    for (const w of [...this.workers]) w.kill();
  }
}
