// Execution drivers (DESIGN.md section 6): one interface for "run this machine", shared by EC2
// now and ECS/RDS later. Chosen once per Nimbus by what the machine offers:
// - namespace (root on Linux with unshare/nsenter/ip): each machine in its own net, mount, pid,
//   uts and ipc namespaces, an overlayfs root, cgroup limits, a veth into its network's hub
//   namespace; the host's own network is never touched.
// - process (fallback): plain child processes; isolation, addresses and firewalls recorded only.
import { mkdirSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import type { DiskSpec } from "./block-devices.js";

export type { DiskSpec };

export interface MachineSpec {
  /** A unique id (the EC2 instance id); names the machine's directories, cgroups and veths. */
  id: string;
  /** The network (hub) the machine joins: one per VPC, e.g. "<account>/<region>/<vpc-id>". */
  network: string;
  hostname: string;
  /** Private address, prefix length of its subnet, and the subnet router (.1). */
  ip: string;
  prefix: number;
  gateway: string;
  vcpus: number;
  memoryMiB: number;
  /** Directory holding the machine's disk (overlay upper/work) and console; kept across stops. */
  dir: string;
  /** A shell script run as root inside the machine once its root and network are up (never returns: it ends in the machine's idle loop). */
  boot: string;
  /** Appended to by the machine's stdout/stderr. */
  consolePath: string;
  /** Files placed in the machine's root before it boots (absolute paths inside the machine). */
  files?: MachineFile[];
  /** Block devices present from boot (volumes attached while the machine was stopped). */
  disks?: DiskSpec[];
  /** Host paths the machine must not see besides the host's private files (the server's data dir). */
  hide?: string[];
}

export interface MachineFile {
  path: string;
  content: string | Buffer;
  mode?: number;
}

/** Writes machine files under `root` (the namespace driver's upper layer, the process driver's home). */
export function writeFiles(root: string, files: MachineFile[] | undefined): void {
  for (const f of files ?? []) {
    const target = join(root, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content, { mode: f.mode ?? 0o644 });
  }
}

export interface Machine {
  readonly id: string;
  readonly spec: MachineSpec;
  /** Host pid of the process holding the machine's namespaces. */
  readonly pid: number | undefined;
  /** Settles when every process of the machine is gone. */
  readonly exited: Promise<void>;
}

/** A connection arriving from inside a network at one of the hub's service addresses. */
export interface HubConnection {
  network: string;
  /** "imds" (169.254.169.254:80) or "api" (169.254.169.254:4566, the Nimbus endpoint). */
  kind: "imds" | "api";
  /** The machine's private address. */
  sourceIp: string;
  socket: Socket;
}

export type FirewallMode = "nftables" | "recorded";
/** "slirp4netns": networks can be given a route out (egress.ts); "none": they never leave the host's namespaces. */
export type EgressMode = "slirp4netns" | "none";

export interface EgressSpec {
  /** Whether the network needs its route out (some machine may use it). */
  enabled: boolean;
  /**
   * CIDRs the route out's own addresses must not collide with (the network's, and its routes'
   * destinations); a route out that collides with them (or with a host address) is restarted
   * on a free network.
   */
  avoid: string[];
  /** The network's own CIDRs: kept clear even when every candidate collides with some route. */
  vpcCidrs?: string[];
  /** Machine addresses whose DNS queries for names outside the network are forwarded out. */
  dnsClients: string[];
}
/** "loop": attached volumes are loop devices in the machine's /dev; "recorded": no block device appears. */
export type DiskMode = "loop" | "recorded";

export interface ExecutionDriver {
  readonly kind: "namespace" | "process";
  /** Whether security rules between machines are enforced (nftables) or recorded only. */
  readonly firewall: FirewallMode;
  /** Whether volumes become real block devices inside machines. */
  readonly disks: DiskMode;
  /** Whether networks can be given a route out (and nftables to gate it). */
  readonly egress: EgressMode;
  /** Starts the machine; resolves once its network is up and its boot script runs. */
  boot(spec: MachineSpec): Promise<Machine>;
  /** Kills every process of the machine and frees its namespaces, veth and cgroups. */
  kill(machine: Machine): Promise<void>;
  /** A TCP connection from the host to port `port` of the machine (through its hub). */
  connect(machine: Machine, port: number): Promise<Socket>;
  /**
   * Replaces the network's firewall ruleset (nft syntax of the table's chains, see hub.ts),
   * making the network's hub if it has none yet, so a machine about to boot starts behind it.
   */
  setFirewall(network: string, ruleset: string): Promise<void>;
  /** Gives the network its route out or takes it away (after setFirewall: the ruleset gates it). */
  setEgress(network: string, egress: EgressSpec): Promise<void>;
  /**
   * The network's hub (and its route out) closed when no machine of it runs or boots: what a
   * boot that failed after setFirewall / setEgress made the hub for must not outlive it.
   */
  releaseNetwork(network: string): Promise<void>;
  /** Current CPU time of the machine in microseconds (cgroup accounting), if known. */
  cpuMicros(machine: Machine): number | undefined;
  /** Makes a volume's file a block device of a running machine. */
  attachDisk(machine: Machine, disk: DiskSpec): Promise<void>;
  /**
   * Takes a block device away from a running machine, unmounting it inside first; false (and
   * nothing changed) when a file system on it is busy, unless `force` (then unmounted lazily).
   */
  detachDisk(machine: Machine, name: string, force: boolean): Promise<boolean>;
  /** Freezes the file systems on a machine's block device while `fn` copies its file. */
  withDiskQuiet<T>(machine: Machine, name: string, fn: () => Promise<T>): Promise<T>;
  /** Tells a machine's block device its file grew. */
  resizeDisk(machine: Machine, name: string): Promise<void>;
  /** Receives connections machines make to the hub's service addresses. */
  onConnection(fn: (c: HubConnection) => void): void;
  /** Kills every machine and hub; nothing is left behind (namespaces, mounts, veths, cgroups). */
  close(): Promise<void>;
}

/** The address inside every network where the metadata service and the Nimbus endpoint answer. */
export const LINK_LOCAL = "169.254.169.254";
export const API_PORT = 4566;
/** The network's DNS resolver (AWS's Amazon DNS link-local address). */
export const DNS_ADDRESS = "169.254.169.253";
