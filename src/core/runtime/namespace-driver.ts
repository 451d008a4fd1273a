// The namespace driver: a machine is a process tree in new net, mount, pid, uts and ipc
// namespaces (util-linux `unshare`), with
// - a copy-on-write root: overlayfs with the host's / as the lower layer, the machine's upper and
//   work directories under its data dir, the host's /usr bound read-only over it, and fresh
//   /proc, /sys, /dev (a few device nodes), /tmp and /run;
// - cgroup limits from its size (cgroups.ts), joined before the namespaces are made;
// - `eth0`, the far end of a veth from its network's hub (hub.ts), with its private address and
//   a default route via the subnet router;
// - a lifetime bound to the server: setpriv --pdeathsig kills `unshare` when the server dies,
//   and `unshare --kill-child` kills the namespace's init, which takes every process of its pid
//   namespace with it; mounts and the network namespace go with the last process.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { Cgroups, type CgroupPlan } from "./cgroups.js";
import type { ExecutionDriver, FirewallMode, HubConnection, Machine, MachineSpec } from "./driver.js";
import { Hub } from "./hub.js";

// PID 1 of the machine (dash). Steps: 1. root filesystem, 2. tell the server the namespaces
// exist (fd 3) and wait for eth0 (stdin), 3. address and route, 4. hostname, 5. boot script.
const INIT = String.raw`set -e
mount -t overlay overlay -o "lowerdir=/,upperdir=$U,workdir=$W" "$R"
mount --bind /usr "$R/usr"
mount -o remount,bind,ro "$R/usr"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys" 2>/dev/null || true
mount -t tmpfs -o mode=755,size=1m dev "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3; mknod -m 666 "$R/dev/zero" c 1 5; mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8; mknod -m 666 "$R/dev/urandom" c 1 9; mknod -m 666 "$R/dev/tty" c 5 0
mkdir "$R/dev/pts" "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
cp "$BOOT" "$R/run/nimbus-boot.sh"
echo up >&3
exec 3>&-
read go
exec </dev/null
ip link set lo up
ip addr add "$IP/$PREFIX" dev eth0
ip link set eth0 up
ip route add default via "$GW"
hostname "$H"
rm -f "$R/etc/hostname" "$R/etc/hosts" "$R/etc/resolv.conf"
echo "$H" > "$R/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n%s %s\n' "$IP" "$H" > "$R/etc/hosts"
echo "nameserver 169.254.169.253" > "$R/etc/resolv.conf"
exec chroot "$R" /bin/sh /run/nimbus-boot.sh
`;

interface NsMachine extends Machine {
  child: ChildProcess;
  cg: CgroupPlan;
  hub: Hub;
}

const ownNetNs = (() => {
  try {
    return readlinkSync("/proc/self/ns/net");
  } catch {
    return "";
  }
})();

export class NamespaceDriver implements ExecutionDriver {
  readonly kind = "namespace" as const;
  readonly firewall: FirewallMode;
  private readonly hubs = new Map<string, Hub>();
  private readonly machines = new Map<string, NsMachine>();
  private readonly cgroups: Cgroups;
  private listeners: Array<(c: HubConnection) => void> = [];

  constructor(opts: { nft: boolean }) {
    this.firewall = opts.nft ? "nftables" : "recorded";
    this.cgroups = new Cgroups(`nimbus-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  }

  onConnection(fn: (c: HubConnection) => void): void {
    this.listeners.push(fn);
  }

  private hub(network: string): Hub {
    let hub = this.hubs.get(network);
    if (!hub) {
      hub = new Hub(network, (c) => {
        if (this.listeners.length === 0) c.socket.destroy();
        for (const l of this.listeners) l(c);
      });
      this.hubs.set(network, hub);
    }
    return hub;
  }

  async boot(spec: MachineSpec): Promise<Machine> {
    if (this.machines.has(spec.id)) throw new Error(`machine ${spec.id} is already running`);
    const hub = this.hub(spec.network);
    const dirs = { U: join(spec.dir, "upper"), W: join(spec.dir, "work"), R: join(spec.dir, "root") };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    const bootPath = join(spec.dir, "boot.sh");
    writeFileSync(bootPath, spec.boot, { mode: 0o700 });
    const cg = this.cgroups.create(spec.id, spec.vcpus, spec.memoryMiB);
    const join0 = cg.dirs.map((d) => `echo 0 > '${d}/cgroup.procs'; `).join("");
    const consoleFd = openSync(spec.consolePath, "a");
    let child: ChildProcess;
    try {
      child = spawn(
        "/bin/sh",
        [
          "-c",
          `${join0}exec setpriv --pdeathsig KILL unshare --net --mount --pid --uts --ipc --fork --kill-child --propagation private /bin/sh -c "$INIT"`,
        ],
        {
          stdio: ["pipe", consoleFd, consoleFd, "pipe"],
          env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", INIT, ...dirs, BOOT: bootPath, H: spec.hostname, IP: spec.ip, PREFIX: String(spec.prefix), GW: spec.gateway },
        },
      );
    } finally {
      closeSync(consoleFd);
    }
    const exitedChild = new Promise<void>((res) => child.once("exit", () => res()));
    const machine: NsMachine = {
      id: spec.id,
      spec,
      pid: child.pid,
      child,
      cg,
      hub,
      exited: exitedChild.then(() => this.drain(cg)),
    };
    this.machines.set(spec.id, machine);
    try {
      // 2. The namespaces exist once init says so; only then may a veth be moved into them.
      await new Promise<void>((resolve, reject) => {
        const fd3 = child.stdio[3] as NodeJS.ReadableStream;
        fd3.once("data", () => resolve());
        fd3.once("end", () => reject(new Error(`machine ${spec.id} failed to start (see its console output)`)));
        child.once("error", reject);
      });
      const ns = readlinkSync(`/proc/${child.pid}/ns/net`);
      if (ns === ownNetNs) throw new Error("machine shares the server's network namespace");
      await hub.attach(spec.id, child.pid!, spec.ip, spec.gateway);
      child.stdin!.end("go\n");
    } catch (e) {
      await this.kill(machine);
      throw e;
    }
    machine.exited.then(() => this.forget(machine));
    return machine;
  }

  /** Resolves once no process remains in the machine's cgroup, then removes it. */
  private async drain(cg: CgroupPlan): Promise<void> {
    for (let i = 0; i < 200 && cg.dirs.length; i++) {
      let busy = false;
      for (const d of cg.dirs) {
        try {
          if (readFileSync(join(d, "cgroup.procs"), "utf8").trim()) busy = true;
        } catch {
          /* gone */
        }
      }
      if (!busy) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    this.cgroups.remove(cg);
  }

  private forget(m: NsMachine): void {
    if (this.machines.get(m.id) === m) this.machines.delete(m.id);
    void m.hub.detach(m.id).then(() => this.maybeCloseHub(m.hub));
  }

  private maybeCloseHub(hub: Hub): void {
    if (hub.members.size > 0 || [...this.machines.values()].some((m) => m.hub === hub)) return;
    if (this.hubs.get(hub.network) === hub) this.hubs.delete(hub.network);
    void hub.close();
  }

  async kill(machine: Machine): Promise<void> {
    const m = machine as NsMachine;
    if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill("SIGKILL");
    await m.exited;
    this.forget(m);
  }

  async connect(machine: Machine, port: number): Promise<Socket> {
    const m = machine as NsMachine;
    return m.hub.connect(m.spec.ip, port);
  }

  async setFirewall(network: string, ruleset: string): Promise<void> {
    if (this.firewall !== "nftables") return;
    const hub = this.hubs.get(network);
    if (hub) await hub.setFirewall(ruleset);
  }

  cpuMicros(machine: Machine): number | undefined {
    return this.cgroups.cpuMicros((machine as NsMachine).cg);
  }

  async close(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => this.kill(m)));
    await Promise.all([...this.hubs.values()].map((h) => h.close()));
    this.hubs.clear();
    this.cgroups.close();
  }
}
