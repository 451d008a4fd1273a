// A network's route out (an internet gateway, a NAT gateway) without touching the host's own
// network: slirp4netns (user-mode networking, rootless podman's tool) attached to the hub
// namespace gives the hub a tap device `EGRESS_DEVICE` with an address of a small private
// network and a default route through it; every packet the hub sends there leaves as an ordinary
// socket of the slirp4netns process in the host's namespace. No host route, address, link or
// firewall rule is created. The hub's nftables decide which machines may use it and masquerade
// them (see the ruleset the service writes); slirp's own DNS forwarder (.3 of its network)
// answers the names the hub's resolver forwards.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";

/** The hub's tap device towards slirp4netns. */
export const EGRESS_DEVICE = "egress0";

/**
 * Networks slirp4netns may number its side with, first one that collides with nothing wins:
 * the end of the shared address space (RFC 6598) first, which VPCs rarely use, then the ends of
 * the private ranges.
 */
const CANDIDATES = [
  "100.127.255.0/24", "100.127.254.0/24", "100.126.255.0/24", "10.255.254.0/24", "10.255.253.0/24",
  "192.168.254.0/24", "192.168.253.0/24", "172.31.254.0/24", "172.30.254.0/24", "198.18.254.0/24",
];

function toInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function overlaps(a: string, b: string): boolean {
  const [ia, pa = "32"] = a.split("/");
  const [ib, pb = "32"] = b.split("/");
  const p = Math.min(Number(pa), Number(pb));
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((toInt(ia) & mask) >>> 0) === ((toInt(ib) & mask) >>> 0);
}

/** The host's own IPv4 addresses and resolvers: a slirp network over them would hide them. */
function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4") out.push(a.cidr ?? `${a.address}/32`);
  try {
    for (const m of readFileSync("/etc/resolv.conf", "utf8").matchAll(/^nameserver\s+(\d+\.\d+\.\d+\.\d+)/gm)) out.push(`${m[1]}/32`);
  } catch {
    /* no resolv.conf */
  }
  return out;
}

/**
 * A /24 for slirp's side that overlaps neither `avoid` (the VPC's CIDRs and its routes'
 * destinations) nor the host's addresses. If every candidate is taken, the first that at least
 * keeps clear of the host and of avoid's first entries (the VPC's own CIDRs) is used.
 */
export function egressCidr(avoid: string[], vpcCidrs = avoid): string {
  const host = hostAddresses();
  const free = (taken: string[]) => CANDIDATES.find((c) => !taken.some((t) => overlaps(c, t)));
  return free([...avoid, ...host]) ?? free([...vpcCidrs, ...host]) ?? CANDIDATES[0];
}

/** Whether slirp's network `cidr` now collides with `avoid` or a host address (it must then be chosen again). */
export function egressConflicts(cidr: string, avoid: string[]): boolean {
  return [...avoid, ...hostAddresses()].some((t) => overlaps(cidr, t));
}

/** slirp4netns's DNS forwarder on a network (its .3). */
export function egressDns(cidr: string): string {
  const [base] = cidr.split("/");
  return base.split(".").slice(0, 3).join(".") + ".3";
}

/** One slirp4netns process serving one hub namespace. */
export class Egress {
  private readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly dns: string;
  private exited = false;

  constructor(
    hubPid: number,
    readonly cidr: string,
  ) {
    this.dns = egressDns(cidr);
    // --configure: the tap's address and the default route in the hub; --disable-host-loopback:
    // nothing reaches the host's 127.0.0.0/8 (Nimbus, instances' public addresses) this way;
    // --enable-sandbox: slirp runs in its own mount namespace with its capabilities dropped;
    // --enable-seccomp: and only the system calls it needs (it parses instances' packets as root);
    // setpriv and --exit-fd: it ends with the server even if the server is killed outright.
    this.child = spawn(
      "setpriv",
      ["--pdeathsig", "KILL", "slirp4netns", "--configure", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp", `--cidr=${cidr}`, "--ready-fd=3", "--exit-fd=4", String(hubPid), EGRESS_DEVICE],
      { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } },
    );
    this.child.on("error", () => undefined);
    let err = "";
    this.child.stderr!.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    this.ready = new Promise<void>((resolve, reject) => {
      (this.child.stdio[3] as NodeJS.ReadableStream).once("data", () => resolve());
      this.child.once("error", reject);
      this.child.once("exit", (code) => {
        this.exited = true;
        reject(new Error(`slirp4netns exited (${code}): ${err.trim()}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.exited;
  }

  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((res) => {
      this.child.once("exit", () => res());
      this.child.kill("SIGKILL");
    });
  }
}
