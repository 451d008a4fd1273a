// EC2 instances with the namespace driver (root only):
// - RunInstances to user data running: one instance at a time (N launches), then 50 in one
//   call; "running" = the first line user data prints is on the console (polled every 5 ms).
//   Baselines in the same process at the same time: spawning `sh -c true`, and `unshare` of the
//   same five namespaces around it (the bare kernel cost an instance cannot avoid). The same
//   again with a key pair (sshd starts beside user data: it must not delay it).
// - 50 idle instances: CPU of the server, the hub agents and every instance process over 10 s
//   (from /proc), and host memory per instance (PSS of its processes, plus its share of the
//   hub agent, of the VPC's slirp4netns (its route out) and of the server's growth).
//   npm run build && node bench/ec2-instances.mjs [launches]
import { CreateKeyPairCommand, DescribeImagesCommand, DescribeInstancesCommand, EC2Client, GetConsoleOutputCommand, RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { cpuSeconds, median, rssMiB, sleep, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
if (process.getuid?.() !== 0) {
  console.log("ec2-instances: skipped (the namespace driver needs root)");
  process.exit(0);
}
const N = Number(process.argv[2] ?? 10);
const FLEET = 50;

function baseline(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(args[0], args.slice(1), { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function children(pid) {
  const out = [];
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Every process of the instances of the server `pid` (their cgroups), by instance. */
function instanceProcesses(pid) {
  const byInstance = new Map();
  for (const root of ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    if (!existsSync(root)) continue;
    for (const base of readdirSync(root).filter((d) => d.startsWith(`nimbus-${pid}-`))) {
      for (const id of readdirSync(`${root}/${base}`).filter((d) => d.startsWith("i-"))) {
        const procs = readFileSync(`${root}/${base}/${id}/cgroup.procs`, "utf8").trim().split("\n").filter(Boolean).map(Number);
        byInstance.set(id, procs);
      }
    }
    if (byInstance.size) break;
  }
  return byInstance;
}

function pssKiB(pid) {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]);
  } catch {
    return 0;
  }
}

function cpuOf(pids) {
  let s = 0;
  for (const p of pids) {
    try {
      s += cpuSeconds(p);
    } catch {
      /* gone */
    }
  }
  return s;
}

const server = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
const ec2 = new EC2Client({ region: "us-east-1", endpoint: server.url, credentials: { accessKeyId: "123456789012", secretAccessKey: "x" }, maxAttempts: 1 });
try {
  const ami = (await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }))).Images[0].ImageId;
  const userData = Buffer.from("#!/bin/sh\necho user-data-running\n").toString("base64");
  const ready = async (id) => {
    for (;;) {
      const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
      if (out.Output && Buffer.from(out.Output, "base64").toString().includes("user-data-running")) return;
      await sleep(5);
    }
  };

  // 1. One at a time, without and with a key pair (sshd).
  await ec2.send(new CreateKeyPairCommand({ KeyName: "bench" }));
  for (const key of [undefined, "bench"]) {
    const single = [];
    const sh = [];
    const ns = [];
    const launched = [];
    for (let i = 0; i < N + 2; i++) {
      sh.push(baseline(["sh", "-c", "true"]));
      ns.push(baseline(["unshare", "--net", "--mount", "--pid", "--uts", "--ipc", "--fork", "sh", "-c", "true"]));
      const t0 = process.hrtime.bigint();
      const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.nano", MinCount: 1, MaxCount: 1, UserData: userData, KeyName: key }));
      await ready(r.Instances[0].InstanceId);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      launched.push(r.Instances[0].InstanceId);
      if (i >= 2) single.push(ms); // the first two warm the hub and the code paths
    }
    const m = median(single);
    const what = key ? "with a key pair (sshd)" : "one at a time          ";
    console.log(`RunInstances -> user data running, ${what} ${m.toFixed(0).padStart(5)} ms median (${N} launches)  ${(m / median(sh)).toFixed(1)}x sh -c true (${median(sh).toFixed(1)} ms)  ${(m / median(ns)).toFixed(1)}x unshare of 5 namespaces (${median(ns).toFixed(1)} ms)`);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: launched }));
    for (;;) {
      const d = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["shutting-down"] }] }));
      if (!d.Reservations.length) break;
      await sleep(50);
    }
  }

  // 2. Fifty in one call.
  const rss0 = rssMiB(server.child.pid);
  const t0 = process.hrtime.bigint();
  const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.nano", MinCount: FLEET, MaxCount: FLEET, UserData: userData }));
  const ids = r.Instances.map((i) => i.InstanceId);
  await Promise.all(ids.map(ready));
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`RunInstances of ${FLEET} -> all user data running      ${total.toFixed(0).padStart(5)} ms  = ${(total / FLEET).toFixed(1)} ms per instance`);

  // 3. Idle: CPU over 10 s and memory per instance.
  await sleep(2000);
  const procs = instanceProcesses(server.child.pid);
  const ownNs = readlinkSync(`/proc/${server.child.pid}/ns/net`);
  const hubs = children(server.child.pid).filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/ns/net`) !== ownNs;
    } catch {
      return false;
    }
  });
  // The route out of each VPC: slirp4netns (under setpriv) in the server's own namespace.
  const slirps = children(server.child.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, "utf8").trim() === "slirp4netns";
    } catch {
      return false;
    }
  });
  const hubTree = [...hubs.flatMap((h) => [h, ...children(h)]), ...slirps];
  const all = [server.child.pid, ...hubTree, ...[...procs.values()].flat()];
  const c0 = cpuOf(all);
  const w0 = Date.now();
  await sleep(10_000);
  const cpu = cpuOf(all) - c0;
  const wall = (Date.now() - w0) / 1000;
  let pss = 0;
  for (const list of procs.values()) for (const p of list) pss += pssKiB(p);
  const hubPss = hubTree.reduce((s, p) => s + pssKiB(p), 0);
  const serverGrowth = Math.max(0, rssMiB(server.child.pid) - rss0);
  const perInstance = pss / 1024 / procs.size + hubPss / 1024 / procs.size + serverGrowth / procs.size;
  console.log(`${procs.size} idle instances: CPU over ${wall.toFixed(0)} s (server + hub + instances) ${(cpu * 1000).toFixed(0)} ms = ${((cpu / wall) * 100).toFixed(2)}% of one core`);
  console.log(`host memory per idle instance: ${perInstance.toFixed(2)} MiB (instance processes ${(pss / 1024 / procs.size).toFixed(2)} PSS + hub and slirp4netns (${slirps.length}) share ${(hubPss / 1024 / procs.size).toFixed(2)} + server growth share ${(serverGrowth / procs.size).toFixed(2)})`);
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
} finally {
  server.child.kill("SIGTERM");
}
