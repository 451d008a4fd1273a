// Shared pieces of the EC2 instance tests: whether this machine can run instances (root and
// namespaces), polling an instance to a state, its console text, ssh into it, and what it may have left
// behind on the host (processes, cgroups, mounts, links, routes out).
import { DescribeImagesCommand, DescribeInstancesCommand, GetConsoleOutputCommand, type EC2Client, type Instance } from "@aws-sdk/client-ec2";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { probeDriver } from "../../../src/core/runtime/select.js";

/** The host's first non-loopback IPv4 address: what an instance's route out reaches the host by. */
export function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

/** Why route-out tests (an instance reaching a server on the host) cannot run here, or undefined. */
export function canRouteOut(): string | undefined {
  return (
    canRunInstances() ??
    (!probeDriver().nft ? "nft is not installed" : !probeDriver().slirp ? "slirp4netns is not installed" : !hostAddress() ? "the host has no non-loopback IPv4 address" : undefined)
  );
}

/** Why instance tests cannot run here, or undefined when they can. */
export function canRunInstances(): string | undefined {
  const p = probeDriver();
  return p.kind === "namespace" ? undefined : `the namespace driver is unavailable: ${p.reason}`;
}

export async function ubuntu(ec2: EC2Client): Promise<string> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }));
  return out.Images![0].ImageId!;
}

/** Polls `fn` until it returns something other than undefined (gives up after a minute). */
export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what = "condition"): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function describeOne(ec2: EC2Client, id: string): Promise<Instance> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0].Instances![0];
}

export function waitState(ec2: EC2Client, id: string, state: string): Promise<Instance> {
  return waitFor(async () => {
    const i = await describeOne(ec2, id);
    return i.State?.Name === state ? i : undefined;
  }, `${id} ${state}`);
}

export async function consoleText(ec2: EC2Client, id: string): Promise<string> {
  const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
  return out.Output ? Buffer.from(out.Output, "base64").toString("utf8") : "";
}

export function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

/** What of an instance remains on the host: processes in its cgroup, cgroup dirs, host mounts, host links. */
export function leftovers(id: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(`/${id}`)) out.push(`process ${pid}`);
    } catch {
      /* gone */
    }
  }
  for (const root of ["/sys/fs/cgroup", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/unified"]) {
    if (!existsSync(root)) continue;
    const found = spawnSync("find", [root, "-maxdepth", "4", "-type", "d", "-name", id], { encoding: "utf8" }).stdout.trim();
    if (found) out.push(...found.split("\n").map((d) => `cgroup ${d}`));
  }
  if (readFileSync("/proc/self/mounts", "utf8").includes(id)) out.push("mount");
  const links = spawnSync("ip", ["-o", "link"], { encoding: "utf8" }).stdout;
  if (links.includes(id.replace(/^i-/, "").slice(-12))) out.push("link");
  return out;
}

/**
 * The route-out processes (slirp4netns, one per VPC hub that has a route out) this process
 * started: a VPC with no instance left, or a stopped server, must leave none.
 */
export function routeOutProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("slirp4netns\0")) out.push(`slirp4netns ${pid}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The `--cidr` of each route-out process this process started (slirp4netns's side of a VPC's route out). */
export function routeOutCidrs(): string[] {
  return routeOutProcesses().map((p) => {
    try {
      const args = readFileSync(`/proc/${p.split(" ")[1]}/cmdline`, "utf8").split("\0");
      return args.find((a) => a.startsWith("--cidr="))?.slice(7) ?? "";
    } catch {
      return "";
    }
  });
}

/** The VPC hub agents (one per VPC with a running or booting instance) this process started. */
export function hubAgents(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("/proc/sys/net/ipv4/ip_forward")) out.push(`hub ${pid}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

export interface SshResult {
  status: number | null;
  out: string;
  err: string;
}

/** ssh, run asynchronously (Nimbus runs in the test's process and forwards the connection), never prompting. */
export function ssh(key: string, target: string, cmd: string, extra: string[] = []): Promise<SshResult> {
  const args = ["-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", ...extra, target, cmd];
  return new Promise((resolve) => {
    execFile("ssh", args, { encoding: "utf8", timeout: 20_000 }, (e, stdout, stderr) => {
      resolve({ status: e ? (typeof e.code === "number" ? e.code : null) : 0, out: stdout.trim(), err: stderr.trim() });
    });
  });
}
