// A network hub: one network namespace per VPC, held by a small Node agent that Nimbus spawns
// inside it (`unshare --net`). The hub routes between its machines (each machine's veth ends
// here as a /32 route with proxy ARP, so all traffic between machines crosses the hub's IP
// forwarding path where nftables sees it with connection tracking), owns each subnet's router
// address (.1) and 169.254.169.254, and hands sockets back to the server over the agent's IPC
// channel (Node passes socket handles): connections machines make to 169.254.169.254 (IMDS, the
// Nimbus endpoint), and connections the server asks it to make into a machine. The host's own
// namespace never gets an address, a route or a firewall rule; when the server dies the IPC
// channel closes, the agent exits and the kernel frees the namespace with every veth in it.
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { API_PORT, DNS_ADDRESS, LINK_LOCAL, type HubConnection } from "./driver.js";
import { Egress, egressCidr, egressConflicts } from "./egress.js";

// The agent, run with `node -e` (CommonJS) in the hub namespace.
const AGENT = String.raw`
const net = require("node:net");
const { execFile } = require("node:child_process");
const fs = require("node:fs");
process.on("disconnect", () => process.exit(0));
fs.writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
function run(id, script) {
  execFile("/bin/sh", ["-c", script], (err, stdout, stderr) => process.send({ t: "ran", id, err: err ? String(stderr || err.message) : undefined, out: stdout }));
}
function listen(kind, port) {
  const srv = net.createServer({ pauseOnConnect: true }, (sock) => {
    process.send({ t: "accept", kind, src: (sock.remoteAddress || "").replace(/^::ffff:/, "") }, sock);
  });
  srv.listen({ host: "${LINK_LOCAL}", port });
}
// The VPC resolver at 169.254.169.253 (AWS's Amazon DNS address): A records for the ip-a-b-c-d
// names of the network; other names are forwarded to the route out's resolver for machines
// allowed out (egress.allow), NXDOMAIN at once for everyone else (they have no route out).
const egress = { allow: new Set(), upstream: "" };
function dns() {
  const dgram = require("node:dgram");
  const sock = dgram.createSocket("udp4");
  sock.on("message", (q, rinfo) => {
    if (q.length < 12) return;
    let off = 12; const labels = [];
    while (off < q.length && q[off] !== 0) { labels.push(q.subarray(off + 1, off + 1 + q[off]).toString()); off += q[off] + 1; }
    const qend = off + 5; if (qend > q.length) return;
    const qtype = q.readUInt16BE(off + 1);
    const m = /^ip-(\d+)-(\d+)-(\d+)-(\d+)$/.exec(labels[0] || "");
    if (!m && egress.upstream && egress.allow.has(rinfo.address)) {
      const up = dgram.createSocket("udp4");
      const t = setTimeout(() => up.close(), 5000);
      up.on("error", () => { clearTimeout(t); up.close(); });
      up.once("message", (a) => { clearTimeout(t); up.close(); sock.send(a, rinfo.port, rinfo.address); });
      up.send(q, 53, egress.upstream);
      return;
    }
    const head = Buffer.alloc(12); q.copy(head, 0, 0, 2);
    let answer = Buffer.alloc(0);
    if (m && qtype === 1) answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, +m[1], +m[2], +m[3], +m[4]]);
    head.writeUInt16BE(0x8180 | (m ? 0 : 3), 2); head.writeUInt16BE(1, 4); head.writeUInt16BE(answer.length ? 1 : 0, 6);
    sock.send(Buffer.concat([head, q.subarray(12, qend), answer]), rinfo.port, rinfo.address);
  });
  sock.bind(53, "169.254.169.253");
}
// A machine joins: one ip -batch (veth, its /32 route), then proxy ARP on the hub end.
function attach(m) {
  const child = execFile("ip", ["-force", "-batch", "-"], (err, stdout, stderr) => {
    if (!err) try { fs.writeFileSync("/proc/sys/net/ipv4/conf/" + m.dev + "/proxy_arp", "1"); } catch (e) { err = e; }
    const msg = err ? String(stderr || err.message) : undefined;
    if (m.done) m.done(msg); else process.send({ t: "ran", id: m.id, err: msg });
  });
  child.stdin.end(m.batch);
}
// A machine starts here, not in the server: forking this small process is cheap, and the
// machine's lifetime is bound to the agent's (pdeathsig), which is bound to the server's. Steps:
// spawn, wait for init's "up" on fd 3 (its namespaces exist), check it is not in the server's
// or the hub's network namespace, attach its veth, tell init to go on.
const { spawn } = require("node:child_process");
const hubNs = fs.readlinkSync("/proc/self/ns/net");
function boot(m) {
  const fd = fs.openSync(m.console, "a");
  let child;
  try {
    child = spawn("/bin/sh", ["-c", m.cmd], { stdio: ["pipe", fd, fd, "pipe"], env: m.env });
  } finally { fs.closeSync(fd); }
  let up = false;
  const fail = (e) => { if (!up) { up = true; process.send({ t: "ran", id: m.id, err: String(e) }); } };
  child.on("error", fail);
  child.on("exit", () => { fail("machine exited before it was up"); process.send({ t: "exit", machine: m.machine }); });
  child.stdio[3].once("end", () => fail("machine failed to start (see its console output)"));
  child.stdio[3].once("data", () => {
    try {
      const ns = fs.readlinkSync("/proc/" + child.pid + "/ns/net");
      if (ns === hubNs || ns === m.serverNs) return fail("machine shares a network namespace it must not");
    } catch (e) { return fail(e); }
    attach({ dev: m.dev, batch: m.batch.replace("NETNS_PID", String(child.pid)), done: (err) => {
      if (err) { child.kill("SIGKILL"); return fail(err); }
      child.stdin.end("go\n");
      up = true;
      process.send({ t: "ran", id: m.id, out: child.pid });
    } });
  });
}
process.on("message", (m) => {
  if (m.t === "run") run(m.id, m.script);
  else if (m.t === "boot") boot(m);
  else if (m.t === "attach") attach(m);
  else if (m.t === "dns") { egress.allow = new Set(m.allow); egress.upstream = m.upstream || ""; process.send({ t: "ran", id: m.id }); }
  else if (m.t === "listen") { dns(); listen("imds", 80); listen("api", ${API_PORT}); process.send({ t: "ran", id: m.id }); }
  else if (m.t === "connect") {
    const sock = net.connect({ host: m.host, port: m.port });
    sock.setTimeout(5000, () => sock.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    sock.once("connect", () => { sock.setTimeout(0); sock.pause(); process.send({ t: "socket", id: m.id }, sock); });
    sock.once("error", (e) => process.send({ t: "socket", id: m.id, err: e.code || String(e) }));
  }
});
process.send({ t: "ready" });
`;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class Hub {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly gateways = new Set<string>();
  readonly ready: Promise<void>;
  /** Machines attached, by id. */
  readonly members = new Set<string>();
  /** Called when a machine the agent started exits, by machine id. */
  private readonly exits = new Map<string, () => void>();
  private closed = false;

  constructor(
    readonly network: string,
    onConnection: (c: HubConnection) => void,
  ) {
    // setpriv: the agent dies with the server even if the server is killed outright.
    this.child = spawn("setpriv", ["--pdeathsig", "KILL", "unshare", "--net", "--", process.execPath, "-e", AGENT], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
    this.ready.catch(() => undefined);
    this.child.on("message", (m: { t: string; id?: number; err?: string; kind?: "imds" | "api"; src?: string; out?: string }, handle?: Socket) => {
      if (m.t === "ready") {
        // Loopback, the service address, then the listeners on it.
        this.run(`ip link set lo up && ip addr add ${LINK_LOCAL}/32 dev lo && ip addr add ${DNS_ADDRESS}/32 dev lo`)
          .then(() => this.request({ t: "listen" }))
          .then(() => readyResolve(), readyReject);
      } else if (m.t === "exit") {
        const done = this.exits.get((m as { machine?: string }).machine!);
        this.exits.delete((m as { machine?: string }).machine!);
        done?.();
      } else if (m.t === "accept" && handle) {
        onConnection({ network, kind: m.kind!, sourceIp: m.src!, socket: handle });
      } else if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.err) p.reject(Object.assign(new Error(m.err), { code: m.err }));
        else p.resolve(m.t === "socket" ? handle : m.out);
      }
    });
    this.child.on("error", () => undefined); // a failed spawn or signal; its exit does the rest
    this.child.on("exit", () => {
      this.closed = true;
      // The agent's machines died with it (pdeathsig).
      for (const done of this.exits.values()) done();
      this.exits.clear();
      void this.egress?.close();
      readyReject(new Error("hub agent exited"));
      for (const p of this.pending.values()) p.reject(new Error("hub agent exited"));
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the agent has exited (closed, or died): the hub's namespace is gone. */
  get alive(): boolean {
    return !this.closed;
  }

  private request(msg: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("hub closed"));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The agent may be gone by now (its hub closing): the send fails with EPIPE, not the server.
      this.child.send({ ...msg, id }, (err) => {
        if (!err) return;
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  /** Runs a shell script inside the hub namespace. */
  run(script: string): Promise<string> {
    return this.request({ t: "run", script }) as Promise<string>;
  }

  /**
   * Joins a machine: the veth pair (hub end `vh<id>`, machine end `eth0` moved into the
   * machine's namespace), the /32 route with proxy ARP, and the subnet's router address.
   */
  async attach(id: string, pid: number, ip: string, gateway: string): Promise<void> {
    await this.ready;
    const dev = vethName(id);
    const gw = this.gateways.has(gateway) ? "" : `addr replace ${gateway}/32 dev lo\n`;
    this.gateways.add(gateway);
    await this.request({ t: "attach", dev, batch: `${gw}link add ${dev} type veth peer name eth0 netns ${pid}\nlink set ${dev} up\nroute replace ${ip}/32 dev ${dev}\n` });
    this.members.add(id);
  }

  /**
   * Starts a machine from the agent: `cmd` run by /bin/sh with `env`, stdout and stderr appended
   * to `console`; resolves with its pid once its veth is attached and init was told to go on.
   */
  async boot(opts: { machine: string; cmd: string; env: Record<string, string>; console: string; ip: string; gateway: string; serverNs: string; onExit: () => void }): Promise<number> {
    await this.ready;
    const dev = vethName(opts.machine);
    const gw = this.gateways.has(opts.gateway) ? "" : `addr replace ${opts.gateway}/32 dev lo\n`;
    this.gateways.add(opts.gateway);
    this.exits.set(opts.machine, opts.onExit);
    const batch = `${gw}link add ${dev} type veth peer name eth0 netns NETNS_PID\nlink set ${dev} up\nroute replace ${opts.ip}/32 dev ${dev}\n`;
    const pid = (await this.request({ t: "boot", machine: opts.machine, cmd: opts.cmd, env: opts.env, console: opts.console, dev, batch, serverNs: opts.serverNs })) as number;
    this.members.add(opts.machine);
    return pid;
  }

  /** Removes a machine's veth (its namespace usually took it already). */
  async detach(id: string): Promise<void> {
    this.members.delete(id);
    if (this.closed) return;
    await this.run(`ip link del ${vethName(id)} 2>/dev/null; true`).catch(() => undefined);
  }

  async connect(host: string, port: number): Promise<Socket> {
    await this.ready;
    return (await this.request({ t: "connect", host, port })) as Socket;
  }

  private ruleset?: string;
  private egress?: Egress;
  private dnsKey = "";

  /** Replaces the hub's `inet nimbus` table with `ruleset` (nft syntax, the table's body); the same ruleset again is a no-op. */
  async setFirewall(ruleset: string): Promise<void> {
    await this.ready;
    if (ruleset === this.ruleset) return;
    this.ruleset = ruleset;
    const file = `table inet nimbus\ndelete table inet nimbus\ntable inet nimbus {\n${ruleset}\n}\n`;
    await this.run(`nft -f - <<'NIMBUS_EOF'\n${file}NIMBUS_EOF`).catch((e) => {
      this.ruleset = undefined;
      throw e;
    });
  }

  /**
   * Starts the route out (slirp4netns, egress.ts) or stops it; `dnsClients` are the machine
   * addresses whose queries for other names the resolver forwards through it. `avoid`: the
   * networks slirp's side must not overlap (the VPC's CIDRs, then its routes' destinations);
   * a route out whose network came to collide with them or with a host address since it
   * started is restarted on a free one (connections through it are cut).
   */
  async setEgress(opts: { enabled: boolean; avoid: string[]; vpcCidrs?: string[]; dnsClients: string[] }): Promise<void> {
    await this.ready;
    if (opts.enabled && this.egress?.alive && egressConflicts(this.egress.cidr, opts.avoid)) {
      const stale = this.egress;
      const next = egressCidr(opts.avoid, opts.vpcCidrs);
      if (next !== stale.cidr) {
        this.egress = undefined;
        await stale.close();
      }
    }
    // An agent that exited has been reaped: its pid may already be another process's, in
    // another namespace (the host's), which slirp4netns would give a tap and a default route.
    // The check and the spawn are in one synchronous step, so the pid cannot be reused between.
    if (this.closed) throw new Error("hub closed");
    if (opts.enabled && !this.egress?.alive && this.child.pid) {
      this.egress = new Egress(this.child.pid, egressCidr(opts.avoid, opts.vpcCidrs));
      try {
        await this.egress.ready;
      } catch (e) {
        this.egress = undefined;
        throw e;
      }
    } else if (!opts.enabled && this.egress) {
      const e = this.egress;
      this.egress = undefined;
      await e.close();
    }
    const allow = this.egress ? [...opts.dnsClients].sort() : [];
    const key = `${this.egress?.dns ?? ""} ${allow.join(",")}`;
    if (key === this.dnsKey) return;
    this.dnsKey = key;
    await this.request({ t: "dns", allow, upstream: this.egress?.dns ?? "" });
  }

  private closing?: Promise<void>;

  close(): Promise<void> {
    if (this.closed || this.child.exitCode !== null) return Promise.resolve();
    this.closing ??= new Promise<void>((res) => {
      this.child.once("exit", () => res());
      this.child.kill("SIGKILL");
    }).then(() => this.egress?.close());
    return this.closing;
  }
}

/** The hub end of a machine's veth: at most 15 characters. */
export function vethName(id: string): string {
  return "vh" + id.replace(/^i-/, "").slice(-12);
}
