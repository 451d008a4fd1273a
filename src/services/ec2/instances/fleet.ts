// The running side of EC2 instances, one Fleet per Nimbus (per database): boots and kills
// machines through the execution driver (core/runtime), moves instance documents through AWS's
// states as that happens, and keeps the host's view of each instance in step with its security
// groups: a listener on its public IP (a host loopback address) for every TCP port the groups
// open to the host, forwarding into the instance through its hub; and, where nftables is
// installed, the rules between instances of a VPC (firewall.ts).
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { HubConnection, Machine, ExecutionDriver } from "../../../core/runtime/driver.js";
import { createDriver, probeDriver, type DriverProbe } from "../../../core/runtime/select.js";
import type { ServiceRuntime } from "../../../core/service.js";
import { ipString, parseCidr } from "../vpc/cidr.js";
import { releasePublicIp } from "../vpc/public-ips.js";
import { elasticOf, releasePoolAddress } from "./public-address.js";
import { Ec2State, KIND, type SgDoc, type SubnetDoc, type VpcDoc } from "../vpc/store.js";
import { bootPlan } from "./boot.js";
import { firewallRuleset, hostPorts, type Member, type PortSet } from "./firewall.js";
import { RouteView } from "./routes-out.js";
import { serveImds, type ImdsTokens } from "./imds.js";
import { IMAGE_KIND } from "./images.js";
import { INSTANCE_KIND, setState, type InstanceDoc } from "./store.js";
import { instanceType } from "./types.js";
import { disksOf, releaseVolumes } from "../volumes/disks.js";
import { markTerminatedByUser } from "./spot-requests.js";
import { sweepLoops } from "../../../core/runtime/block-devices.js";

interface Running {
  id: string;
  scope: string;
  network: string;
  ip: string;
  machine: Machine;
  /** True while Nimbus itself is stopping the machine (an exit is then expected). */
  killing: boolean;
  listeners: Map<number, Server>;
  publicIp?: string;
  groups: string[];
  allowed?: PortSet;
  poll?: NodeJS.Timeout;
  vcpus: number;
  /** The last metrics sample: CPU microseconds, network bytes, Nimbus time. */
  sample?: { cpu: number; rx: number; tx: number; at: number };
}

/** AWS/EC2 basic monitoring: one datapoint per instance and metric every five minutes; Nimbus samples every minute (detailed monitoring's period). */
const METRIC_PERIOD_MS = 60_000;

const copy = promisify(execFile);

/** Above this many ports open to the host, listeners follow the ports the instance listens on. */
const MAX_EAGER_PORTS = 256;

export class Fleet {
  private probed?: DriverProbe;
  private made?: ExecutionDriver;
  readonly dir: string;
  readonly tokens: ImdsTokens = new Map();
  /** Nimbus's own endpoint as callers reach it, for the in-instance API address. */
  endpoint?: string;
  private readonly running = new Map<string, Running>();
  private readonly booting = new Map<string, Promise<void>>();
  /** Instances about to boot: their VPC's firewall and route out are set up for them first. */
  private readonly joining = new Map<string, { scope: string; network: string; ip: string }>();
  /** Per VPC hub, the pass that brings its firewall and route out in line, and the one queued after it. */
  private readonly netQueue = new Map<string, { tail: Promise<void>; queued?: Promise<void> }>();
  private closed = false;
  /** Loop devices a dead server left bound to volume files, freed before any boot. */
  private swept?: Promise<void>;

  constructor(readonly rt: ServiceRuntime) {
    this.dir = join(rt.dataDir, "ec2");
  }

  /** What the machine offers, probed once on first use (not at every start: most runs boot no instance). */
  get probe(): DriverProbe {
    return (this.probed ??= probeDriver(process.env.NIMBUS_DRIVER));
  }

  /** The execution driver, made on first use (it owns cgroup directories and hubs). */
  get driver(): ExecutionDriver {
    if (!this.made) {
      this.made = createDriver(this.probe);
      this.made.onConnection((c) => this.onHubConnection(c));
    }
    return this.made;
  }

  state(scope: string): Ec2State {
    const [account, region] = scope.split("/");
    return new Ec2State(this.rt.store(scope), account, region);
  }

  instanceDir(id: string): string {
    return join(this.dir, "instances", id);
  }

  /** The disk layer of an image cut from an instance. */
  imageDir(imageId: string): string {
    return join(this.dir, "images", imageId);
  }

  consolePath(id: string): string {
    return join(this.instanceDir(id), "console.log");
  }

  get isClosed(): boolean {
    return this.closed;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  machineOf(id: string): Machine | undefined {
    return this.running.get(id)?.machine;
  }

  /** Boots an instance whose document is `pending`; moves it to running, or terminated on failure. */
  boot(scope: string, id: string): Promise<void> {
    const p = this.bootNow(scope, id).finally(() => this.booting.delete(id));
    this.booting.set(id, p);
    return p;
  }

  /** Frees loop devices left by a server that died (only when volume files exist: most runs have none). */
  sweepVolumes(): void {
    const dir = join(this.dir, "volumes");
    if (existsSync(dir) && readdirSync(dir).length && this.probe.loop) this.swept = sweepLoops(dir);
  }

  private async bootNow(scope: string, id: string): Promise<void> {
    if (this.swept) await this.swept;
    if (this.closed) return;
    const s = this.state(scope);
    const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
    if (!d || d.State.Name !== "pending") return;
    const subnet = s.get<SubnetDoc>(KIND.subnet, d.SubnetId)!;
    const cidr = parseCidr(subnet.CidrBlock)!;
    const type = instanceType(d.InstanceType)!;
    const dir = this.instanceDir(id);
    mkdirSync(dir, { recursive: true });
    const network = `${scope}/${d.VpcId}`;
    let machine: Machine;
    try {
      // 1. The VPC's firewall (and route out) with this instance in it, before it can send anything.
      this.joining.set(id, { scope, network, ip: d.PrivateIpAddress });
      await this.applyNetwork(scope, network);
      // 2. An instance from a custom image starts with the image's disk as its own.
      if (!d.booted && s.get(IMAGE_KIND, d.ImageId) && !existsSync(join(dir, "upper"))) {
        mkdirSync(join(dir, "upper"), { recursive: true });
        await copy("cp", ["-a", "--reflink=auto", `${this.imageDir(d.ImageId)}/.`, join(dir, "upper")]);
      }
      // 3. The machine.
      machine = await this.driver.boot({
        id,
        network,
        hostname: `ip-${d.PrivateIpAddress.replace(/\./g, "-")}`,
        ip: d.PrivateIpAddress,
        prefix: cidr.prefix,
        gateway: ipString(cidr.base + 1),
        vcpus: type.vcpus,
        memoryMiB: type.memoryMiB,
        dir,
        ...bootPlan(d, { firstBoot: !d.booted, region: s.region, now: this.rt.clock.now() }),
        consolePath: this.consolePath(id),
        disks: disksOf(this, s, id),
        // Every account's state and the IAM secrets: never readable inside.
        hide: [this.rt.dataDir],
      });
    } catch (e) {
      this.joining.delete(id);
      // The VPC's firewall (and maybe its route out) were set up for this instance: with no
      // other instance of the VPC running or joining, its hub goes; otherwise the rules are
      // brought back to the instances that remain.
      const others = [...this.running.values()].some((r) => r.network === network) || [...this.joining.values()].some((j) => j.network === network);
      if (others) void this.applyNetwork(scope, network);
      else await this.driver.releaseNetwork(network).catch(() => undefined);
      s.store.tx(() => {
        const cur = s.get<InstanceDoc>(INSTANCE_KIND, id);
        if (!cur) return;
        setState(cur, "terminated", { transition: "Server.InternalError", code: "Server.InternalError", message: `Server.InternalError: ${(e as Error).message}` });
        cur.terminatedAt = new Date(this.rt.clock.now()).toISOString();
        this.releaseResources(s, cur);
        s.put(INSTANCE_KIND, id, cur);
      });
      return;
    }
    const r: Running = { id, scope, network, ip: d.PrivateIpAddress, machine, killing: false, listeners: new Map(), groups: [], vcpus: type.vcpus };
    r.sample = this.measure(r);
    this.startMetrics();
    this.running.set(id, r);
    this.joining.delete(id);
    let stillWanted = true;
    s.store.tx(() => {
      const cur = s.get<InstanceDoc>(INSTANCE_KIND, id);
      if (!cur || cur.State.Name !== "pending") {
        stillWanted = false;
        return;
      }
      setState(cur, "running", { transition: "" });
      cur.booted = true;
      s.put(INSTANCE_KIND, id, cur);
    });
    void machine.exited.then(() => this.onExit(r));
    if (!stillWanted) return;
    await this.resync(scope);
  }

  /** The machine ended by itself (shutdown inside, or a crash): its shutdown behaviour applies. */
  private onExit(r: Running): void {
    if (this.running.get(r.id) === r) this.running.delete(r.id);
    this.closeListeners(r);
    if (r.killing || this.closed) return;
    const s = this.state(r.scope);
    s.store.tx(() => {
      const d = s.get<InstanceDoc>(INSTANCE_KIND, r.id);
      if (!d || d.State.Name !== "running") return;
      const reason = { transition: "Client.InstanceInitiatedShutdown: Instance initiated shutdown", code: "Client.InstanceInitiatedShutdown", message: "Client.InstanceInitiatedShutdown: Instance initiated shutdown" };
      if (d.shutdownBehavior === "terminate") {
        setState(d, "terminated", reason);
        d.terminatedAt = new Date(this.rt.clock.now()).toISOString();
        this.releaseResources(s, d);
      } else {
        setState(d, "stopped", reason);
        releasePoolAddress(s, d);
      }
      s.put(INSTANCE_KIND, r.id, d);
    });
    void this.resync(r.scope);
  }

  /** Stops the machine of an instance (if any) and waits until every process of it is gone. */
  async kill(id: string): Promise<void> {
    await this.booting.get(id);
    const r = this.running.get(id);
    if (!r) return;
    r.killing = true;
    this.closeListeners(r);
    await this.driver.kill(r.machine);
    if (this.running.get(id) === r) this.running.delete(id);
    await this.resync(r.scope);
  }

  /** A stopped instance gives its public IP back (it gets a new one at start). */
  releasePublicIp(s: Ec2State, d: InstanceDoc): void {
    releasePoolAddress(s, d);
  }

  /** Frees what a terminated instance held: its public IP and its primary network interface. */
  releaseResources(s: Ec2State, d: InstanceDoc): void {
    // An Elastic IP is taken off (and stays allocated); a pool address goes back.
    const eip = elasticOf(s, d);
    if (eip) {
      for (const k of ["NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress", "AssociationId", "InstanceId"] as const) delete eip[k];
      s.put(KIND.eip, eip.AllocationId, eip);
    } else if (d.PublicIpAddress) releasePublicIp(s, d.PublicIpAddress);
    d.PublicIpAddress = undefined;
    d.PublicDnsName = "";
    if (d.eniId) s.delete(KIND.eni, d.eniId);
    releaseVolumes(this, s, d.InstanceId);
    if (d.InstanceLifecycle === "spot") markTerminatedByUser(this, s, d);
    d.BlockDeviceMappings = [];
    d.NetworkInterfaces = [];
    d.SecurityGroups = d.SecurityGroups ?? [];
  }

  // ------------------------------------------------------------ security groups, host side

  /** Re-reads groups and instances of a scope: host listeners per instance, firewalls per VPC. */
  async resync(scope: string): Promise<void> {
    if (this.closed) return;
    const s = this.state(scope);
    const docs = new Map(s.all<InstanceDoc>(INSTANCE_KIND).map((d) => [d.InstanceId, d]));
    const groups = new Map(s.all<SgDoc>(KIND.sg).map((g) => [g.GroupId, g]));
    const mine = [...this.running.values()].filter((r) => r.scope === scope && !r.killing);
    const work: Array<Promise<void>> = [];
    for (const r of mine) {
      const d = docs.get(r.id);
      if (!d) continue;
      r.groups = (d.SecurityGroups ?? []).map((g) => g.GroupId!);
      const rules = r.groups.flatMap((g) => groups.get(g)?.rules ?? []);
      if (r.publicIp !== d.PublicIpAddress) {
        this.closeListeners(r);
        r.publicIp = d.PublicIpAddress;
      }
      r.allowed = hostPorts(rules);
      work.push(this.applyListeners(r));
    }
    for (const network of new Set(mine.map((r) => r.network))) work.push(this.applyNetwork(scope, network));
    await Promise.all(work);
  }

  /**
   * Brings a VPC hub's firewall and route out in line with the documents. One pass at a time per
   * network; a request while a pass runs queues one more (which reads the state when it starts),
   * and requests while that one waits share it.
   */
  private applyNetwork(scope: string, network: string): Promise<void> {
    const q = this.netQueue.get(network) ?? { tail: Promise.resolve() };
    this.netQueue.set(network, q);
    if (q.queued) return q.queued;
    const p = q.tail
      .then(() => {
        q.queued = undefined;
        return this.networkPass(scope, network);
      })
      .catch(() => undefined);
    q.queued = p;
    q.tail = p;
    return p;
  }

  private async networkPass(scope: string, network: string): Promise<void> {
    if (this.closed) return;
    const driver = this.driver;
    if (driver.firewall !== "nftables") return;
    const ids = [
      ...[...this.running.values()].filter((r) => r.network === network && !r.killing).map((r) => r.id),
      ...[...this.joining].filter(([, j]) => j.network === network).map(([id]) => id),
    ];
    if (!ids.length) return;
    const s = this.state(scope);
    const groups = new Map(s.all<SgDoc>(KIND.sg).map((g) => [g.GroupId, g]));
    const view = driver.egress === "none" ? undefined : new RouteView(s);
    const members: Member[] = [];
    let vpcId = "";
    for (const id of ids) {
      const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
      if (!d) continue;
      vpcId = d.VpcId;
      members.push({ id, ip: d.PrivateIpAddress, groups: (d.SecurityGroups ?? []).map((g) => g.GroupId!), routes: view?.routesOut(d) ?? [] });
    }
    await driver.setFirewall(network, firewallRuleset(members, groups));
    if (driver.egress === "none") return;
    const out = members.filter((m) => m.routes!.length);
    const vpc = s.get<VpcDoc>(KIND.vpc, vpcId);
    const vpcCidrs = [vpc?.CidrBlock, ...(vpc?.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock)].filter((c): c is string => !!c);
    // The route out's own network must hide neither the VPC nor a destination its routes name.
    const avoid = [...new Set([...vpcCidrs, ...(view?.destinations(vpcId) ?? [])])];
    await driver.setEgress(network, { enabled: out.length > 0, avoid, vpcCidrs, dnsClients: out.map((m) => m.ip) });
  }

  private async applyListeners(r: Running): Promise<void> {
    const allowed = r.allowed;
    if (!r.publicIp || !allowed) return this.closeListeners(r);
    let wanted: number[];
    if (allowed.count <= MAX_EAGER_PORTS) {
      wanted = allowed.ports();
      if (r.poll) clearInterval(r.poll);
      r.poll = undefined;
    } else {
      // A wide rule (all traffic, 0-65535): follow the ports the instance listens on.
      wanted = this.listeningPorts(r).filter((p) => allowed.has(p));
      if (!r.poll) {
        r.poll = setInterval(() => void this.applyListeners(r), 1000);
        r.poll.unref();
      }
    }
    const want = new Set(wanted);
    for (const [port, srv] of r.listeners) {
      if (!want.has(port)) {
        srv.close();
        r.listeners.delete(port);
      }
    }
    await Promise.all(wanted.filter((p) => !r.listeners.has(p)).map((p) => this.listen(r, p)));
  }

  private listeningPorts(r: Running): number[] {
    const ports = new Set<number>();
    for (const f of ["tcp", "tcp6"]) {
      try {
        for (const line of readFileSync(`/proc/${r.machine.pid}/net/${f}`, "utf8").split("\n").slice(1)) {
          const cols = line.trim().split(/\s+/);
          if (cols[3] === "0A") ports.add(parseInt(cols[1].split(":").pop()!, 16));
        }
      } catch {
        /* the machine is gone */
      }
    }
    return [...ports];
  }

  private listen(r: Running, port: number): Promise<void> {
    const srv = createServer({ pauseOnConnect: true }, (client) => this.forward(r, port, client));
    r.listeners.set(port, srv);
    return new Promise((resolve) => {
      srv.once("error", () => {
        r.listeners.delete(port);
        resolve();
      });
      srv.listen({ host: r.publicIp, port }, () => resolve());
    });
  }

  private forward(r: Running, port: number, client: Socket): void {
    client.on("error", () => undefined);
    const from = (client.remoteAddress ?? "").replace(/^::ffff:/, "");
    if (!r.allowed?.has(port, from)) return void client.resetAndDestroy();
    this.driver.connect(r.machine, port).then(
      (inner) => {
        inner.on("error", () => client.destroy());
        client.on("error", () => inner.destroy());
        client.pipe(inner);
        inner.pipe(client);
        client.resume();
        inner.resume();
      },
      () => client.resetAndDestroy(),
    );
  }

  private closeListeners(r: Running): void {
    if (r.poll) clearInterval(r.poll);
    r.poll = undefined;
    for (const srv of r.listeners.values()) srv.close();
    r.listeners.clear();
  }

  // ------------------------------------------------------------ connections from instances

  /** The running instance of a network with this private address. */
  byAddress(network: string, ip: string): Running | undefined {
    for (const r of this.running.values()) if (r.network === network && r.ip === ip) return r;
    return undefined;
  }

  /**
   * The instance a connection from the hub comes from: a running one, or one whose machine is
   * up but whose boot has not been recorded yet (its user data's first IMDS request can arrive
   * in the same IPC read as the hub's answer to the boot, before the fleet has seen that answer).
   */
  private connectionFrom(network: string, ip: string): { scope: string; id: string } | undefined {
    const r = this.byAddress(network, ip);
    if (r) return r;
    for (const [id, j] of this.joining) if (j.network === network && j.ip === ip) return { scope: j.scope, id };
    return undefined;
  }

  private onHubConnection(c: HubConnection): void {
    c.socket.on("error", () => undefined);
    const r = this.connectionFrom(c.network, c.sourceIp);
    if (!r) return void c.socket.destroy();
    if (c.kind === "imds") return serveImds(this, r.scope, r.id, c.socket);
    // The Nimbus endpoint, reached from inside at 169.254.169.254:4566. Before any request
    // (right after a restart) an in-process call tells the fleet where the server listens.
    const known = this.endpoint ? Promise.resolve() : this.rt.client.call("ec2", "DescribeInstanceStatus", { MaxResults: 5 }).then(() => undefined);
    known.then(() => {
      const url = new URL(this.endpoint ?? "http://127.0.0.1:4566");
      const up = connect({ host: url.hostname, port: Number(url.port || 80) });
      up.on("error", () => c.socket.destroy());
      c.socket.on("error", () => up.destroy());
      up.once("connect", () => {
        c.socket.pipe(up);
        up.pipe(c.socket);
        c.socket.resume();
      });
    }, () => c.socket.destroy());
  }

  // ------------------------------------------------------------ metrics

  private metricsTimer?: NodeJS.Timeout;
  private offClock?: () => void;

  /** Samples every minute of real time, and whenever Nimbus time is moved forward. */
  private startMetrics(): void {
    if (this.metricsTimer) return;
    this.metricsTimer = setInterval(() => this.emitMetrics(), METRIC_PERIOD_MS);
    this.metricsTimer.unref();
    this.offClock = this.rt.clock.onAdvance(() => this.emitMetrics());
  }

  private measure(r: Running): { cpu: number; rx: number; tx: number; at: number } {
    let rx = 0;
    let tx = 0;
    try {
      const line = readFileSync(`/proc/${r.machine.pid}/net/dev`, "utf8").split("\n").find((l) => l.trim().startsWith("eth0:"));
      const cols = line?.split(":")[1].trim().split(/\s+/) ?? [];
      rx = Number(cols[0] ?? 0);
      tx = Number(cols[8] ?? 0);
    } catch {
      /* the machine is gone */
    }
    return { cpu: this.driver.cpuMicros(r.machine) ?? 0, rx, tx, at: this.rt.clock.now() };
  }

  /**
   * AWS/EC2 CPUUtilization (cgroup CPU time over the period and the type's vCPUs), NetworkIn/Out
   * (bytes on eth0) and StatusCheckFailed for every running instance, as "metric" events.
   */
  emitMetrics(): void {
    if (this.closed) return;
    for (const r of this.running.values()) {
      if (r.killing || !r.sample) continue;
      const now = this.measure(r);
      const prev = r.sample;
      r.sample = now;
      const wallUs = Math.max(1, (now.at - prev.at) * 1000);
      const [accountId, region] = r.scope.split("/");
      const base = { accountId, region, namespace: "AWS/EC2", dimensions: { InstanceId: r.id }, timestamp: now.at };
      const cpu = Math.min(100, Math.max(0, ((now.cpu - prev.cpu) / (wallUs * r.vcpus)) * 100));
      this.rt.events.emit("metric", { ...base, name: "CPUUtilization", value: Number(cpu.toFixed(4)), unit: "Percent" });
      this.rt.events.emit("metric", { ...base, name: "NetworkIn", value: Math.max(0, now.rx - prev.rx), unit: "Bytes" });
      this.rt.events.emit("metric", { ...base, name: "NetworkOut", value: Math.max(0, now.tx - prev.tx), unit: "Bytes" });
      for (const name of ["StatusCheckFailed", "StatusCheckFailed_Instance", "StatusCheckFailed_System"]) {
        this.rt.events.emit("metric", { ...base, name, value: 0, unit: "Count" });
      }
    }
  }

  // ------------------------------------------------------------ lifecycle

  /** Boots again the instances recorded as running or pending (after a restart). */
  recover(): void {
    const store = this.rt.store("_");
    for (const scope of store.scopes(INSTANCE_KIND)) {
      const s = this.state(scope);
      const ids: string[] = [];
      s.store.tx(() => {
        for (const d of s.all<InstanceDoc>(INSTANCE_KIND)) {
          if (d.State.Name === "running" || d.State.Name === "pending") {
            setState(d, "pending");
            s.put(INSTANCE_KIND, d.InstanceId, d);
            ids.push(d.InstanceId);
          } else if (d.State.Name === "stopping") {
            setState(d, "stopped", { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" });
            s.put(INSTANCE_KIND, d.InstanceId, d);
          } else if (d.State.Name === "shutting-down") {
            setState(d, "terminated", { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" });
            d.terminatedAt = new Date(this.rt.clock.now()).toISOString();
            this.releaseResources(s, d);
            s.put(INSTANCE_KIND, d.InstanceId, d);
          }
        }
      });
      for (const id of ids) void this.boot(scope, id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    this.offClock?.();
    for (const r of this.running.values()) {
      r.killing = true;
      this.closeListeners(r);
    }
    await Promise.allSettled([...this.booting.values()]);
    await this.made?.close();
    this.running.clear();
  }

  /** Counts for /_nimbus/health and tests. */
  summary(): { driver: string; reason?: string; securityGroups: string; volumes: string; egress: string; running: number } {
    const p = this.probe;
    const enforced = p.kind === "namespace" && p.nft;
    const volumes = p.kind === "namespace" && p.loop ? "block devices (loop)" : `recorded (${p.kind === "namespace" ? "no loop devices" : p.reason ?? "process driver"})`;
    const egress =
      p.kind !== "namespace" ? `none (${p.reason ?? "process driver"})` : !p.nft ? "none (nft is not installed)" : !p.slirp ? "none (slirp4netns is not installed)" : "internet and NAT gateways (slirp4netns)";
    return { driver: p.kind, reason: p.reason, securityGroups: enforced ? "enforced (nftables)" : "recorded", volumes, egress, running: this.running.size };
  }
}
