// cgroup limits for machines, under the server's own cgroup: cgroup v2 (cpu.max, memory.max)
// where the unified hierarchy has the cpu and memory controllers, else the v1 cpu and memory
// hierarchies (cpu.cfs_quota_us, memory.limit_in_bytes), as hybrid hosts mount them.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface CgroupPlan {
  /** Directories a machine's processes join (one per hierarchy). */
  dirs: string[];
  /** Where CPU time is read: v2 cpu.stat (usage_usec) or v1 cpuacct.usage (ns). */
  cpuFile?: { path: string; v2: boolean };
}

function ownPath(controller: string | null): string | undefined {
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [hid, ctrls, path] = line.split(":");
    if (hid === undefined || path === undefined) continue;
    if (controller === null ? hid === "0" && ctrls === "" : ctrls.split(",").includes(controller)) return path;
  }
  return undefined;
}

export class Cgroups {
  private readonly roots: Array<{ kind: "v2" | "cpu" | "memory" | "cpuacct"; base: string }> = [];

  constructor(tag: string) {
    try {
      const unified = existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : existsSync("/sys/fs/cgroup/unified/cgroup.controllers") ? "/sys/fs/cgroup/unified" : undefined;
      const v2ctl = unified ? readFileSync(join(unified, "cgroup.controllers"), "utf8").split(/\s+/) : [];
      if (unified && v2ctl.includes("cpu") && v2ctl.includes("memory")) {
        const own = ownPath(null) ?? "/";
        const base = join(unified, own, tag);
        mkdirSync(base, { recursive: true });
        try {
          writeFileSync(join(base, "cgroup.subtree_control"), "+cpu +memory");
        } catch {
          /* the parent may not delegate them: limits are then recorded only */
        }
        this.roots.push({ kind: "v2", base });
        return;
      }
      for (const ctl of ["cpu", "memory", "cpuacct"] as const) {
        const mount = `/sys/fs/cgroup/${ctl}`;
        if (!existsSync(join(mount, "cgroup.procs"))) continue;
        const base = join(mount, ownPath(ctl) ?? "/", tag);
        mkdirSync(base, { recursive: true });
        this.roots.push({ kind: ctl, base });
      }
    } catch {
      /* no writable cgroups: machines run without limits (recorded by the caller) */
    }
    for (const r of this.roots) sweepStale(dirname(r.base));
  }

  get available(): boolean {
    return this.roots.length > 0;
  }

  /** Makes the machine's cgroups with its limits; its processes join them by writing 0 to cgroup.procs. */
  create(id: string, vcpus: number, memoryMiB: number): CgroupPlan {
    const plan: CgroupPlan = { dirs: [] };
    for (const r of this.roots) {
      const dir = join(r.base, id);
      try {
        mkdirSync(dir, { recursive: true });
        const quota = Math.round(vcpus * 100_000);
        const bytes = memoryMiB * 1024 * 1024;
        if (r.kind === "v2") {
          tryWrite(join(dir, "cpu.max"), `${quota} 100000`);
          tryWrite(join(dir, "memory.max"), String(bytes));
          plan.cpuFile = { path: join(dir, "cpu.stat"), v2: true };
        } else if (r.kind === "cpu") {
          tryWrite(join(dir, "cpu.cfs_period_us"), "100000");
          tryWrite(join(dir, "cpu.cfs_quota_us"), String(quota));
        } else if (r.kind === "memory") {
          tryWrite(join(dir, "memory.limit_in_bytes"), String(bytes));
        } else {
          plan.cpuFile = { path: join(dir, "cpuacct.usage"), v2: false };
        }
        plan.dirs.push(dir);
      } catch {
        /* this hierarchy refused: skip it */
      }
    }
    return plan;
  }

  cpuMicros(plan: CgroupPlan): number | undefined {
    if (!plan.cpuFile) return undefined;
    try {
      const text = readFileSync(plan.cpuFile.path, "utf8");
      if (!plan.cpuFile.v2) return Math.round(Number(text.trim()) / 1000);
      const m = /usage_usec (\d+)/.exec(text);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Removes a machine's cgroups (its processes must be gone). */
  remove(plan: CgroupPlan): void {
    for (const dir of plan.dirs) rmQuiet(dir);
  }

  /** Removes this server's cgroup roots (after every machine is removed). */
  close(): void {
    for (const r of this.roots) rmQuiet(r.base);
  }
}

/**
 * Removes the cgroups of servers that died without stopping (nimbus-<pid>-*, pid gone): their
 * machines died with them (pdeathsig), so the directories are empty.
 */
function sweepStale(parent: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent).filter((e) => /^nimbus-\d+-/.test(e));
  } catch {
    return;
  }
  for (const e of entries) {
    const pid = Number(e.split("-")[1]);
    if (existsSync(`/proc/${pid}`)) continue;
    const dir = join(parent, e);
    try {
      for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmQuiet(join(dir, child.name));
    } catch {
      /* gone */
    }
    rmQuiet(dir);
  }
}

function tryWrite(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    /* a limit the kernel refuses (e.g. above the parent's) is left unset */
  }
}

function rmQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* still busy or gone */
  }
}
