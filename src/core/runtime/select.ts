// Which execution driver this machine offers (DESIGN.md section 6): the namespace driver as
// root on Linux with util-linux and iproute2 and working namespaces, the process driver
// otherwise, with the reason. NIMBUS_DRIVER=process forces the fallback.
import { spawnSync } from "node:child_process";
import type { ExecutionDriver } from "./driver.js";
import { NamespaceDriver } from "./namespace-driver.js";
import { ProcessDriver } from "./process-driver.js";

export interface DriverProbe {
  kind: "namespace" | "process";
  /** Why the namespace driver is not used (undefined when it is). */
  reason?: string;
  nft: boolean;
}

let cached: DriverProbe | undefined;

function has(cmd: string): boolean {
  return spawnSync("/bin/sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

export function probeDriver(force?: string): DriverProbe {
  if (force === "process") return { kind: "process", reason: "NIMBUS_DRIVER=process", nft: false };
  if (cached) return cached;
  const nft = has("nft");
  if (process.platform !== "linux") cached = { kind: "process", reason: "not Linux", nft };
  else if (process.getuid?.() !== 0) cached = { kind: "process", reason: "not running as root", nft };
  else {
    const missing = ["unshare", "setpriv", "ip", "mount", "chroot"].filter((c) => !has(c));
    if (missing.length) cached = { kind: "process", reason: `missing ${missing.join(", ")}`, nft };
    else {
      const r = spawnSync("unshare", ["--net", "--mount", "--pid", "--uts", "--ipc", "--fork", "true"], { stdio: "ignore" });
      cached = r.status === 0 ? { kind: "namespace", nft } : { kind: "process", reason: "namespaces unavailable (unshare failed)", nft };
    }
  }
  return cached;
}

export function createDriver(probe: DriverProbe): ExecutionDriver {
  return probe.kind === "namespace" ? new NamespaceDriver({ nft: probe.nft }) : new ProcessDriver();
}
