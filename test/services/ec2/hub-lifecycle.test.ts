// The VPC hub's lifetime in the namespace driver (as root, with nft): the service sets a VPC's
// firewall before an instance boots; if the hub it set it on closes meanwhile (the VPC's last
// machine ended), the instance still boots behind those rules; a hub whose agent died is
// replaced instead of failing every later boot of its VPC. Driven on the driver itself, so the
// order of events is the test's, not a race's.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Machine, MachineSpec } from "../../../src/core/runtime/driver.js";
import { NamespaceDriver } from "../../../src/core/runtime/namespace-driver.js";
import { probeDriver } from "../../../src/core/runtime/select.js";
import { canRunInstances, leftovers, waitFor } from "./instance-helpers.js";

const skip = canRunInstances() ?? (!probeDriver().nft ? "nft is not installed" : undefined);

let driver: NamespaceDriver;
let dir: string;
beforeAll(() => {
  if (skip) return;
  driver = new NamespaceDriver({ nft: true });
  dir = mkdtempSync(join(tmpdir(), "nimbus-hub-"));
});
afterAll(async () => {
  if (driver) await driver.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const NETWORK = "000000000000/us-east-1/vpc-hubtest";
let n = 0;

function spec(): MachineSpec {
  n++;
  const id = `i-0hubtest${String(n).padStart(8, "0")}`;
  return {
    id,
    network: NETWORK,
    hostname: `m${n}`,
    ip: `10.9.0.${10 + n}`,
    prefix: 24,
    gateway: "10.9.0.1",
    vcpus: 1,
    memoryMiB: 256,
    dir: join(dir, id),
    boot: "exec sleep infinity\n",
    consolePath: join(dir, `${id}.console`),
  };
}

/** The hub agent's pid of a running machine (the driver's machine record holds its hub). */
function hubPid(m: Machine): number {
  return (m as unknown as { hub: { pid: number } }).hub.pid;
}

/** The `inet nimbus` table in a hub's namespace, or the error nft gives when there is none. */
function table(pid: number): string {
  const r = spawnSync("nsenter", ["-t", String(pid), "-n", "nft", "list", "table", "inet", "nimbus"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout : `error: ${r.stderr}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!!skip)(`VPC hubs in the namespace driver${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 60_000 }, () => {
  it("a machine whose firewall was set on a hub that closed before it booted starts behind the same rules", async () => {
    const a = await driver.boot(spec());
    const first = hubPid(a);
    // The service sets the VPC's firewall with the next machine in it...
    const ruleset = "  chain probe_rules {\n    ip saddr 10.9.0.0/24 drop\n  }";
    await driver.setFirewall(NETWORK, ruleset);
    expect(table(first)).toContain("chain probe_rules");
    // ...then the VPC's last running machine ends, and its hub with it.
    await driver.kill(a);
    await waitFor(() => (alive(first) ? undefined : true), "the first hub to close");
    expect(leftovers(a.id)).toEqual([]);
    // The next machine gets a new hub, already behind the rules.
    const b = await driver.boot(spec());
    const second = hubPid(b);
    expect(second).not.toBe(first);
    expect(table(second)).toContain("chain probe_rules");
    expect(table(second)).toContain("ip saddr 10.9.0.0/24 drop");
    await driver.kill(b);
    expect(leftovers(b.id)).toEqual([]);
  });

  it("a hub whose agent died is replaced: the VPC's next machine boots", async () => {
    const a = await driver.boot(spec());
    const pid = hubPid(a);
    // The agent killed outright: its machines die with it (pdeathsig).
    process.kill(pid, "SIGKILL");
    await a.exited;
    const b = await driver.boot(spec());
    expect(hubPid(b)).not.toBe(pid);
    expect(alive(hubPid(b))).toBe(true);
    await driver.kill(b);
    expect(leftovers(a.id)).toEqual([]);
    expect(leftovers(b.id)).toEqual([]);
  });
});
