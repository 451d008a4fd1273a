// Per-Nimbus Lambda runtime: where code is unpacked, the bootstrap files, and the worker pools.
// Keyed by the instance's database, as several Nimbus instances may share one process (tests).
import { mkdirSync, writeFileSync, renameSync, rmSync, existsSync, chmodSync } from "node:fs";
import { join, dirname } from "node:path";
import type { Db } from "../../core/state/database.js";
import { NODE_BOOTSTRAP } from "./runtimes/node-bootstrap.js";
import { PYTHON_BOOTSTRAP } from "./runtimes/python-bootstrap.js";
import { Pool, type PoolLimits, type PoolSpec } from "./workers.js";
import { Standby } from "./standby.js";
import { MemoryLimits } from "./memory-limits.js";
import type { ZipEntry } from "./zip.js";

export class LambdaRuntime {
  readonly codeDir: string;
  readonly bootstraps: { node: string; python: string };
  private readonly pools = new Map<string, Pool>();
  readonly standby: Standby;
  readonly memory: MemoryLimits;

  constructor(
    dataDir: string,
    readonly limits: PoolLimits,
  ) {
    this.codeDir = join(dataDir, "lambda", "code");
    const rt = join(dataDir, "lambda", "runtime");
    mkdirSync(this.codeDir, { recursive: true });
    mkdirSync(rt, { recursive: true });
    this.bootstraps = { node: join(rt, "bootstrap.mjs"), python: join(rt, "bootstrap.py") };
    writeFileSync(this.bootstraps.node, NODE_BOOTSTRAP);
    writeFileSync(this.bootstraps.python, PYTHON_BOOTSTRAP);
    // An empty CommonJS module a standby node worker imports to load the CJS-from-ESM loader early.
    writeFileSync(join(rt, "warm.cjs"), "module.exports = {};\n");
    this.standby = new Standby(this.bootstraps, limits.standby, limits.idleMs);
    this.memory = new MemoryLimits(limits.memoryLimits);
  }

  /** The task root of a code version (content-addressed by its SHA-256, hex). */
  taskRoot(shaHex: string): string {
    return join(this.codeDir, shaHex);
  }

  /** Unpacks a package once: into a temporary directory, then renamed into place. */
  unpack(shaHex: string, entries: ZipEntry[]): string {
    const dir = this.taskRoot(shaHex);
    if (existsSync(dir)) return dir;
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    for (const e of entries) {
      const file = join(tmp, e.name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, e.data);
      if (e.mode) chmodSync(file, e.mode | 0o400);
    }
    mkdirSync(tmp, { recursive: true });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw e;
    }
    return dir;
  }

  pool(spec: PoolSpec): Pool {
    let p = this.pools.get(spec.key);
    if (!p) {
      p = new Pool(
        spec,
        this.limits,
        (gone) => {
          if (this.pools.get(gone.spec.key) === gone) this.pools.delete(gone.spec.key);
        },
        this.standby,
        this.memory,
      );
      this.pools.set(spec.key, p);
    }
    return p;
  }

  /** Drops the pools of a function (its code or configuration changed, or it was deleted). */
  retire(prefix: string): void {
    for (const [key, p] of this.pools) if (key.startsWith(prefix)) {
      this.pools.delete(key);
      p.drain();
    }
  }

  close(): void {
    this.standby.close();
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    this.memory.close();
  }
}

const runtimes = new Map<Db, LambdaRuntime>();

export function openRuntime(db: Db, dataDir: string): LambdaRuntime {
  const limits: PoolLimits = {
    maxWorkers: Number(process.env.NIMBUS_LAMBDA_MAX_WORKERS ?? 10),
    maxQueued: Number(process.env.NIMBUS_LAMBDA_MAX_QUEUED ?? 1000),
    idleMs: Number(process.env.NIMBUS_LAMBDA_IDLE_MS ?? 300_000),
    standby: Number(process.env.NIMBUS_LAMBDA_STANDBY ?? 1),
    memoryLimits: process.env.NIMBUS_LAMBDA_MEMORY_LIMITS !== "off",
  };
  const rt = new LambdaRuntime(dataDir, limits);
  runtimes.set(db, rt);
  return rt;
}

export function runtimeFor(db: Db): LambdaRuntime {
  const rt = runtimes.get(db);
  if (!rt) throw new Error("lambda runtime not started");
  return rt;
}

export function closeRuntime(db?: Db): void {
  for (const [key, rt] of runtimes) if (!db || key === db) {
    rt.close();
    runtimes.delete(key);
  }
}
