// The process driver, the fallback without root or namespaces: a machine is its boot script run
// as a plain child process of the server (in its own process group, killed as a group), in
// its directory, with HOME there. Isolation, private addresses, cgroup limits and firewalls
// are recorded, not enforced; a connection "into" the machine goes to 127.0.0.1 on the port.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { writeFiles, type ExecutionDriver, type HubConnection, type Machine, type MachineSpec } from "./driver.js";

interface ProcMachine extends Machine {
  child: ChildProcess;
}

export class ProcessDriver implements ExecutionDriver {
  readonly kind = "process" as const;
  readonly firewall = "recorded" as const;
  readonly disks = "recorded" as const;
  readonly egress = "none" as const;
  private readonly machines = new Map<string, ProcMachine>();

  onConnection(_fn: (c: HubConnection) => void): void {
    // No hub: nothing inside a machine can reach 169.254.169.254.
  }

  async boot(spec: MachineSpec): Promise<Machine> {
    const home = join(spec.dir, "home");
    mkdirSync(home, { recursive: true });
    const bootPath = join(spec.dir, "boot.sh");
    writeFileSync(bootPath, spec.boot, { mode: 0o700 });
    writeFiles(home, spec.files);
    const fd = openSync(spec.consolePath, "a");
    let child: ChildProcess;
    try {
      child = spawn("/bin/sh", [bootPath], { cwd: home, detached: true, stdio: ["ignore", fd, fd], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, NIMBUS_ROOT: home } });
    } finally {
      closeSync(fd);
    }
    const m: ProcMachine = { id: spec.id, spec, pid: child.pid, child, exited: new Promise((res) => child.once("exit", () => res())) };
    this.machines.set(spec.id, m);
    void m.exited.then(() => this.machines.delete(spec.id));
    return m;
  }

  async kill(machine: Machine): Promise<void> {
    const m = machine as ProcMachine;
    try {
      if (m.pid) process.kill(-m.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await m.exited;
  }

  connect(_machine: Machine, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
  }

  async setFirewall(): Promise<void> {}

  async setEgress(): Promise<void> {}

  async releaseNetwork(): Promise<void> {}

  // No block devices without root: volumes are recorded, their files untouched by the machine.
  async attachDisk(): Promise<void> {}

  async detachDisk(): Promise<boolean> {
    return true;
  }

  withDiskQuiet<T>(_m: Machine, _name: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async resizeDisk(): Promise<void> {}

  cpuMicros(): number | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => this.kill(m)));
  }
}
