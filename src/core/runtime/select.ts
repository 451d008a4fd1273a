// Which execution driver this machine offers (DESIGN.md section 6): the namespace driver as
// root on Linux with util-linux and iproute2 and working namespaces, the process driver
// otherwise, with the reason. NIMBUS_DRIVER=process forces the fallback.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { ExecutionDriver } from "./driver.js";
import { NamespaceDriver } from "./namespace-driver.js";
import { ProcessDriver } from "./process-driver.js";

export interface DriverProbe {
  kind: "namespace" | "process";
  /** Why the namespace driver is not used (undefined when it is). */
  reason?: string;
  nft: boolean;
  /** Loop devices (losetup and /dev/loop-control) for volumes; only with the namespace driver. */
  loop: boolean;
  /** slirp4netns and /dev/net/tun, for networks' routes out; only with the namespace driver and nft. */
  slirp: boolean;
}

let cached: DriverProbe | undefined;

function has(cmd: string): boolean {
  return spawnSync("/bin/sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

export function probeDriver(force?: string): DriverProbe {
  if (force === "process") return { kind: "process", reason: "NIMBUS_DRIVER=process", nft: false, loop: false, slirp: false };
  if (cached) return cached;
  const nft = has("nft");
  const loop = false;
  const slirp = false;
  if (process.platform !== "linux") cached = { kind: "process", reason: "not Linux", nft, loop, slirp };
  else if (process.getuid?.() !== 0) cached = { kind: "process", reason: "not running as root", nft, loop, slirp };
  else {
    const missing = ["unshare", "setpriv", "ip", "mount", "chroot"].filter((c) => !has(c));
    if (missing.length) cached = { kind: "process", reason: `missing ${missing.join(", ")}`, nft, loop, slirp };
    else {
      const r = spawnSync("unshare", ["--net", "--mount", "--pid", "--uts", "--ipc", "--fork", "true"], { stdio: "ignore" });
      const loops = existsSync("/dev/loop-control") && ["losetup", "mknod", "nsenter", "fsfreeze"].every(has);
      const tun = existsSync("/dev/net/tun") && has("slirp4netns");
      cached = r.status === 0 ? { kind: "namespace", nft, loop: loops, slirp: tun } : { kind: "process", reason: "namespaces unavailable (unshare failed)", nft, loop, slirp };
    }
  }
  return cached;
}

export function createDriver(probe: DriverProbe): ExecutionDriver {
  return probe.kind === "namespace" ? new NamespaceDriver({ nft: probe.nft, loop: probe.loop, slirp: probe.slirp }) : new ProcessDriver();
}
