// The namespace driver: a machine is a process tree in new net, mount, pid, uts and ipc
// namespaces (util-linux `unshare`), with
// - a copy-on-write root: overlayfs with the host's / as the lower layer, the machine's upper and
//   work directories under its data dir, the host's /usr bound read-only over it, and fresh
//   /proc, /sys, /dev (a few device nodes), /tmp and /run;
// - cgroup limits from its size (cgroups.ts), joined before the namespaces are made;
// - `eth0`, the far end of a veth from its network's hub (hub.ts), with its private address and
//   a default route via the subnet router;
// - its own /dev (hard links of a prepared template's nodes), where attached volumes appear as
//   loop device nodes (block-devices.ts);
// - a lifetime bound to the server: setpriv --pdeathsig kills `unshare` when the server dies,
//   and `unshare --kill-child` kills the namespace's init, which takes every process of its pid
//   namespace with it; mounts and the network namespace go with the last process.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { attachLoop, freezeIn, prepareDev, refreshLoop, releaseLoop, unmountIn, type DiskSpec, type LoopDisk } from "./block-devices.js";
import { Cgroups, type CgroupPlan } from "./cgroups.js";
import { writeFiles, type DiskMode, type EgressMode, type EgressSpec, type ExecutionDriver, type FirewallMode, type HubConnection, type Machine, type MachineSpec } from "./driver.js";
import { makePrivateTemplate } from "./host-private.js";
import { Hub } from "./hub.js";

// PID 1 of the machine (dash). Steps: 0. the host's private files hidden from the machine (its
// lower layer is the host's /): the server's template of whiteouts, opaque directories and
// locked shadow files (host-private.ts) copied into its upper layer without replacing anything
// the machine has of its own (its own ssh host keys, home, shadow); a failing copy fails the
// boot rather than show them,
// 1. root filesystem (the host's /usr comes through the
// overlay, so packages install copy-on-write; only a /usr on a file system of its own, which an
// overlay of / does not cross, is bound read-only), a devpts of its own for terminals (ssh), 2. tell the server the namespaces
// exist (fd 3) and wait for eth0 (stdin), 3. hostname, address and route, 4. the boot script
// (read through fd 4, opened before the switch) in the machine's root: pivot_root to it and
// the host's / detached from the namespace, so root inside cannot climb out to the host's files
// as it can out of a chroot (the chroot stays as the fallback where pivot_root is refused, e.g.
// a host whose / is an initramfs), with the capabilities that reach past the machine's own
// files dropped from its bounding set (DROP: no device nodes of the host's disks to mount, no
// kernel modules, no raw I/O). Every spawn costs milliseconds on a busy host,
// so /dev is a bind of a prepared template, files come pre-written in the upper layer, and the
// network is one `ip -batch`.
const INIT = String.raw`set -e
cp -an "$P/." "$U/"
mount -t overlay overlay -o "lowerdir=/,upperdir=$U,workdir=$W" "$R"
[ -z "$USR_RO" ] || mount -o bind,ro /usr "$R/usr"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys" 2>/dev/null || true
mount --bind "$DEV" "$R/dev"
mount -t tmpfs -o mode=1777 shm "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts" 2>/dev/null || true
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
echo up >&3
exec 3>&-
read go
exec </dev/null
echo "$H" > /proc/sys/kernel/hostname
printf 'link set lo up
addr add %s/%s dev eth0
link set eth0 up
route add default via %s
' "$IP" "$PREFIX" "$GW" | ip -batch -
exec 4<"$BOOT"
cd "$R"
if pivot_root . . 2>/dev/null; then
  umount -l .
  cd /
  exec setpriv --bounding-set "$DROP" /bin/sh /proc/self/fd/4
fi
exec setpriv --bounding-set "$DROP" chroot "$R" /bin/sh /proc/self/fd/4
`;

// The /dev every machine binds: the usual character devices and links, nothing of the host's.
const DEV_TEMPLATE = String.raw`set -e
mkdir -p "$D.tmp/pts" "$D.tmp/shm"
cd "$D.tmp"
mknod -m 666 null c 1 3; mknod -m 666 zero c 1 5; mknod -m 666 full c 1 7
mknod -m 666 random c 1 8; mknod -m 666 urandom c 1 9; mknod -m 666 tty c 5 0
ln -s /proc/self/fd fd; ln -s /proc/self/fd/0 stdin; ln -s /proc/self/fd/1 stdout; ln -s /proc/self/fd/2 stderr
cd / && mv "$D.tmp" "$D"
`;

interface NsMachine extends Machine {
  pid: number | undefined;
  cg: CgroupPlan;
  hub: Hub;
  /** The machine's /dev on the host (bound over its /dev). */
  devDir: string;
  /** Attached block devices by name. */
  loops: Map<string, LoopDisk>;
}

/** "1" when /usr is a file system of its own (an overlay of / does not show it): it is then bound read-only. */
const usrRo = (() => {
  try {
    return statSync("/usr").dev !== statSync("/").dev ? "1" : "";
  } catch {
    return "";
  }
})();

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
  readonly disks: DiskMode;
  readonly egress: EgressMode;
  private readonly hubs = new Map<string, Hub>();
  private readonly machines = new Map<string, NsMachine>();
  /** Machines between boot() and their entry in `machines`, by id: their hub must stay open. */
  private readonly booting = new Map<string, Hub>();
  /** Each network's last ruleset: a hub made again for it (the old one closed) starts behind it. */
  private readonly rulesets = new Map<string, string>();
  private readonly cgroups: Cgroups;
  private listeners: Array<(c: HubConnection) => void> = [];
  /** The template hiding the host's private files, made once per server for the paths it was asked to hide too. */
  private privateTemplate: { key: string; dir: Promise<string> } | undefined;

  constructor(opts: { nft: boolean; loop?: boolean; slirp?: boolean }) {
    this.firewall = opts.nft ? "nftables" : "recorded";
    // The route out is gated and masqueraded by nftables: without it, no route out.
    this.egress = opts.nft && opts.slirp ? "slirp4netns" : "none";
    this.disks = opts.loop ? "loop" : "recorded";
    this.cgroups = new Cgroups(`nimbus-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  }

  onConnection(fn: (c: HubConnection) => void): void {
    this.listeners.push(fn);
  }

  private hub(network: string): Hub {
    let hub = this.hubs.get(network);
    // An agent that died (killed, out of memory) is replaced rather than failing every boot.
    if (!hub || !hub.alive) {
      hub = new Hub(network, (c) => {
        if (this.listeners.length === 0) c.socket.destroy();
        for (const l of this.listeners) l(c);
      });
      this.hubs.set(network, hub);
    }
    return hub;
  }

  async boot(spec: MachineSpec): Promise<Machine> {
    if (this.machines.has(spec.id) || this.booting.has(spec.id)) throw new Error(`machine ${spec.id} is already running`);
    const hub = this.hub(spec.network);
    this.booting.set(spec.id, hub);
    try {
      return await this.bootOn(hub, spec);
    } finally {
      this.booting.delete(spec.id);
      void this.maybeCloseHub(hub);
    }
  }

  private async bootOn(hub: Hub, spec: MachineSpec): Promise<Machine> {
    // The service set the network's firewall before this boot; if the hub it set it on closed
    // meanwhile (its last machine ended), this one starts behind the same rules.
    const rules = this.rulesets.get(spec.network);
    if (this.firewall === "nftables" && rules !== undefined) await hub.setFirewall(rules);
    const dirs = { U: join(spec.dir, "upper"), W: join(spec.dir, "work"), R: join(spec.dir, "root") };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    const bootPath = join(spec.dir, "boot.sh");
    writeFileSync(bootPath, spec.boot, { mode: 0o700 });
    writeFiles(dirs.U, spec.files);
    const dev = join(dirname(spec.dir), ".dev");
    if (!existsSync(join(dev, "null"))) {
      rmSync(dev + ".tmp", { recursive: true, force: true });
      const r = spawnSync("/bin/sh", ["-c", DEV_TEMPLATE], { env: { D: dev, PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, encoding: "utf8" });
      if (r.status !== 0 && !existsSync(join(dev, "null"))) throw new Error(`cannot prepare /dev: ${r.stderr}`);
    }
    const hidden = JSON.stringify(spec.hide ?? []);
    if (this.privateTemplate?.key !== hidden) {
      const made = makePrivateTemplate(join(dirname(spec.dir), ".private"), spec.hide ?? []);
      this.privateTemplate = { key: hidden, dir: made };
      // A failure fails this boot and the next one tries again.
      made.catch(() => {
        if (this.privateTemplate?.dir === made) this.privateTemplate = undefined;
      });
    }
    const privateDir = await this.privateTemplate.dir;
    const devDir = join(spec.dir, "dev");
    prepareDev(dev, devDir);
    try {
      symlinkSync("pts/ptmx", join(devDir, "ptmx")); // the devpts mounted at boot
    } catch {
      /* already there */
    }
    const loops = new Map<string, LoopDisk>();
    if (this.disks === "loop") {
      try {
        for (const d of spec.disks ?? []) loops.set(d.name, await attachLoop(devDir, d));
      } catch (e) {
        await Promise.all([...loops.values()].map((l) => releaseLoop(devDir, l)));
        throw e;
      }
    }
    const cg = this.cgroups.create(spec.id, spec.vcpus, spec.memoryMiB);
    const join0 = cg.dirs.map((d) => `echo 0 > '${d}/cgroup.procs'; `).join("");
    let exitedNow!: () => void;
    const exitedChild = new Promise<void>((res) => (exitedNow = res));
    const machine: NsMachine = { id: spec.id, spec, pid: undefined, cg, hub, devDir, loops, exited: exitedChild.then(() => this.drain(cg)).then(() => this.releaseAll(devDir, loops)) };
    this.machines.set(spec.id, machine);
    try {
      // The hub's agent spawns the machine, attaches its veth once its namespaces exist, and
      // reports its exit (see hub.ts).
      machine.pid = await hub.boot({
        machine: spec.id,
        cmd: `${join0}exec setpriv --pdeathsig KILL unshare --net --mount --pid --uts --ipc --fork --kill-child --propagation private /bin/sh -c "$INIT"`,
        env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", INIT, ...dirs, P: privateDir, DROP: "-mknod,-sys_module,-sys_rawio", USR_RO: usrRo, DEV: devDir, BOOT: bootPath, H: spec.hostname, IP: spec.ip, PREFIX: String(spec.prefix), GW: spec.gateway },
        console: spec.consolePath,
        ip: spec.ip,
        gateway: spec.gateway,
        serverNs: ownNetNs,
        onExit: exitedNow,
      });
    } catch (e) {
      // The agent killed what it started (or it never started): wait until the cgroup is empty.
      exitedNow();
      await machine.exited;
      this.forget(machine);
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

  private async releaseAll(devDir: string, loops: Map<string, LoopDisk>): Promise<void> {
    const all = [...loops.values()];
    loops.clear();
    await Promise.all(all.map((l) => releaseLoop(devDir, l)));
  }

  async attachDisk(machine: Machine, disk: DiskSpec): Promise<void> {
    const m = machine as NsMachine;
    if (this.disks !== "loop" || m.loops.has(disk.name)) return;
    m.loops.set(disk.name, await attachLoop(m.devDir, disk));
  }

  async detachDisk(machine: Machine, name: string, force: boolean): Promise<boolean> {
    const m = machine as NsMachine;
    const l = m.loops.get(name);
    if (!l) return true;
    if (m.pid && !(await unmountIn(m.pid, l.devno, false))) {
      if (!force) return false;
      await unmountIn(m.pid, l.devno, true);
    }
    m.loops.delete(name);
    await releaseLoop(m.devDir, l);
    return true;
  }

  async withDiskQuiet<T>(machine: Machine, name: string, fn: () => Promise<T>): Promise<T> {
    const m = machine as NsMachine;
    const l = m.loops.get(name);
    if (!l) return fn();
    const thaw = await freezeIn(m.pid, l);
    try {
      return await fn();
    } finally {
      await thaw();
    }
  }

  async resizeDisk(machine: Machine, name: string): Promise<void> {
    const l = (machine as NsMachine).loops.get(name);
    if (l) await refreshLoop(l);
  }

  private forget(m: NsMachine): void {
    if (this.machines.get(m.id) === m) this.machines.delete(m.id);
    void m.hub.detach(m.id).then(() => this.maybeCloseHub(m.hub));
  }

  private maybeCloseHub(hub: Hub): Promise<void> {
    const inUse = [...this.machines.values()].some((m) => m.hub === hub) || [...this.booting.values()].includes(hub);
    if (hub.members.size > 0 || inUse) return Promise.resolve();
    if (this.hubs.get(hub.network) === hub) this.hubs.delete(hub.network);
    return hub.close();
  }

  async releaseNetwork(network: string): Promise<void> {
    const hub = this.hubs.get(network);
    if (hub) await this.maybeCloseHub(hub);
  }

  async kill(machine: Machine): Promise<void> {
    const m = machine as NsMachine;
    try {
      if (m.pid) process.kill(m.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await m.exited;
    this.forget(m);
  }

  async connect(machine: Machine, port: number): Promise<Socket> {
    const m = machine as NsMachine;
    return m.hub.connect(m.spec.ip, port);
  }

  async setFirewall(network: string, ruleset: string): Promise<void> {
    if (this.firewall !== "nftables") return;
    this.rulesets.set(network, ruleset);
    await this.hub(network).setFirewall(ruleset);
  }

  async setEgress(network: string, egress: EgressSpec): Promise<void> {
    if (this.egress === "none") return;
    const hub = this.hubs.get(network);
    if (hub) await hub.setEgress(egress);
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
