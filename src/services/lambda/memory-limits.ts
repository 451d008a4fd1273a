// MemorySize as a real limit: each worker process joins a cgroup of its own whose memory limit is
// the function's MemorySize (cgroup v2 memory.max, or the v1 memory controller's
// memory.limit_in_bytes, through core/runtime/cgroups.ts as EC2 uses it). A worker going over
// it is killed by the kernel (SIGKILL), which the pool reports as AWS does: "Runtime exited with
// error: signal: killed". The cgroup's high-water mark is REPORT's Max Memory Used.
// NIMBUS_LAMBDA_MEMORY_LIMITS=off disables it; where no cgroup is writable, limits are not applied.
import { cpus } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Cgroups, type CgroupPlan } from "../../core/runtime/cgroups.js";

export class MemoryLimits {
  private groups?: Cgroups;
  private tried = false;
  private n = 0;

  constructor(private readonly enabled: boolean) {}

  private cgroups(): Cgroups | undefined {
    if (!this.tried) {
      this.tried = true;
      if (this.enabled) {
        const cg = new Cgroups(`nimbus-${process.pid}-lambda-${Math.random().toString(36).slice(2, 8)}`);
        if (cg.available) this.groups = cg;
      }
    }
    return this.groups;
  }

  /** Puts a worker's process under a memory limit of `memoryMb` (CPU is not limited); undefined without cgroups. */
  join(pid: number | undefined, memoryMb: number): CgroupPlan | undefined {
    const cg = this.cgroups();
    if (!cg || !pid) return undefined;
    // No CPU limit: AWS scales CPU with memory, which would make a 128 MB function crawl here.
    const plan = cg.create(`worker-${++this.n}`, cpus().length, memoryMb);
    for (const dir of plan.dirs) {
      // v1: only the memory hierarchy. A cpu group of its own would make the worker one more
      // scheduling entity with its own CFS bandwidth accounting, for no limit at all.
      if (/^\/sys\/fs\/cgroup\/(cpu|cpuacct)\//.test(dir)) continue;
      // v1: charge the pages a standby process already has to the worker's group too.
      tryWrite(join(dir, "memory.move_charge_at_immigrate"), "3");
      tryWrite(join(dir, "cgroup.procs"), String(pid));
    }
    return plan;
  }

  /** The group's memory high-water mark in MB (v1 memory.max_usage_in_bytes, v2 memory.peak). */
  maxUsedMb(plan: CgroupPlan | undefined): number | undefined {
    if (!plan) return undefined;
    for (const dir of plan.dirs) {
      for (const f of ["memory.max_usage_in_bytes", "memory.peak"]) {
        try {
          return Math.ceil(Number(readFileSync(join(dir, f), "utf8").trim()) / 1048576);
        } catch {
          // not this hierarchy
        }
      }
    }
    return undefined;
  }

  /** maxUsedMb, read in the thread pool. */
  async maxUsedMbAsync(plan: CgroupPlan | undefined): Promise<number | undefined> {
    if (!plan) return undefined;
    for (const dir of plan.dirs) {
      for (const f of ["memory.max_usage_in_bytes", "memory.peak"]) {
        try {
          return Math.ceil(Number((await readFile(join(dir, f), "utf8")).trim()) / 1048576);
        } catch {
          // not this hierarchy
        }
      }
    }
    return undefined;
  }

  /** Removes a worker's groups once its process is gone. */
  release(plan: CgroupPlan | undefined): void {
    if (plan) this.groups?.remove(plan);
    // Workers killed by close() exit after it: the last one out removes the roots.
    if (this.closed) this.groups?.close();
  }

  close(): void {
    this.closed = true;
    this.groups?.close();
  }
  private closed = false;
}

function tryWrite(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // refused (not delegated, or a v2 file in a v1 group): the limit stays recorded only
  }
}
