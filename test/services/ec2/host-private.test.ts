// The host's private files are never readable inside an instance (namespace driver as root): its
// root is the host's / through the lower layer of its overlay, but /root, /home, /var/tmp and the
// other private trees are empty directories of its own, /etc/shadow and /etc/gshadow list the
// users with every password locked, and the Nimbus data dir (every account's state, the IAM
// secrets, the instances' disks) is not there at all. What the instance writes in those places
// is its own and stays across a stop and start.
import { EC2Client, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { PRIVATE_DIRS } from "../../../src/core/runtime/host-private.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { canRunInstances, consoleText, ubuntu, waitFor, waitState } from "./instance-helpers.js";

// The marker goes into the home of the user running the tests (root's, as instance tests need),
// one of the trees every instance sees empty.
const home = homedir();
const skip =
  canRunInstances() ??
  (!existsSync(home) ? `the home directory ${home} does not exist` : !PRIVATE_DIRS.some((d) => home === d || home.startsWith(`${d}/`)) ? `the home directory ${home} is not in a private tree` : undefined);

let n: TestNimbus;
const secret = randomBytes(12).toString("hex");
const rootMarker = join(home, `.nimbus-private-${secret}`);
// A data dir on / outside /tmp (an instance's /tmp is a tmpfs of its own, which would hide one
// there anyway), as `--data-dir ./data` in a project would be.
const base = existsSync("/srv") && statSync("/srv").dev === statSync("/").dev ? "/srv" : "/";
let dataDir: string | undefined;
beforeAll(async () => {
  if (skip) return;
  dataDir = mkdtempSync(`${base === "/" ? "" : base}/nimbus-private-test-`);
  n = await startNimbus({ dataDir });
  writeFileSync(rootMarker, `root-secret-${secret}\n`, { mode: 0o600 });
  writeFileSync(join(n.dataDir, `marker-${secret}`), `data-secret-${secret}\n`);
});
afterAll(async () => {
  rmSync(rootMarker, { force: true });
  if (n) await n.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe.skipIf(!!skip)(`the host's private files inside instances${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 120_000 }, () => {
  it("hides /root, /home, the data dir and the host's password hashes from user data; the instance's own writes stay", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: freshAccount(), region: "us-east-1" }));
    const probe = `#!/bin/sh
cat ${rootMarker} 2>/dev/null
cat ${n.dataDir}/marker-${secret} 2>/dev/null
echo "root: [$(ls -A /root | tr '\\n' ' ')] $(stat -c %a /root)"
echo "home: [$(ls -A /home | tr '\\n' ' ')]"
echo "var-tmp: [$(ls -A /var/tmp | tr '\\n' ' ')] $(stat -c %a /var/tmp)"
[ -e ${n.dataDir} ] && echo "data dir visible"
[ -e /etc/shadow- ] && echo "shadow- visible"
echo "shadow: $(cut -d: -f2 /etc/shadow | sort -u | tr '\\n' ' ')"
echo "gshadow: $(cut -d: -f2 /etc/gshadow | sort -u | tr '\\n' ' ')"
echo "users: $(cut -d: -f1 /etc/shadow | sort | tr '\\n' ' ')"
echo "passwd: $(cut -d: -f1 /etc/passwd | sort | tr '\\n' ' ')"
mknod /tmp/disk b 8 0 2>/dev/null && echo "mknod allowed"
echo "bnd $(grep CapBnd /proc/self/status | cut -f2)"
echo mine > /root/own-file
echo "probe done"
`;
    const id = (await ec2.send(new RunInstancesCommand({ ImageId: await ubuntu(ec2), InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(probe) }))).Instances![0].InstanceId!;
    await waitState(ec2, id, "running");
    const text = await waitFor(async () => {
      const t = await consoleText(ec2, id);
      return t.includes("probe done") ? t : undefined;
    }, "the probe's output");
    expect(text).not.toContain(`root-secret-${secret}`);
    expect(text).not.toContain(`data-secret-${secret}`);
    expect(text).toContain("root: [] 700");
    expect(text).toContain("home: []");
    expect(text).toMatch(/var-tmp: \[\] 1777/);
    expect(text).not.toContain("data dir visible");
    expect(text).not.toContain("shadow- visible");
    // Root inside cannot make a node of the host's disk (and mount it), nor load kernel modules.
    expect(text).not.toContain("mknod allowed");
    const bnd = BigInt("0x" + text.match(/^bnd ([0-9a-f]+)$/m)![1]);
    for (const cap of [27n /* mknod */, 16n /* sys_module */, 17n /* sys_rawio */]) expect((bnd >> cap) & 1n).toBe(0n);
    expect(text).toMatch(/^shadow: \* $/m);
    expect(text).toMatch(/^gshadow: ! $/m);
    // Every user of its passwd, none other.
    const users = text.match(/^users: (.*)$/m)![1];
    const passwd = text.match(/^passwd: (.*)$/m)![1];
    expect(users).toContain("root ");
    expect(users).toBe(readFileSync("/etc/shadow", "utf8").split("\n").map((l) => l.split(":")[0]).filter((u) => u && passwd.split(" ").includes(u)).sort().map((u) => u + " ").join(""));
    // No host hash anywhere in it.
    for (const hash of readFileSync("/etc/shadow", "utf8").split("\n").map((l) => l.split(":")[1]).filter((h) => h?.startsWith("$"))) expect(text).not.toContain(hash);

    // The instance's own /root survives a stop and start; the host's still does not show.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "stopped");
    const upper = join(n.dataDir, "ec2", "instances", id, "upper");
    expect(readFileSync(join(upper, "root", "own-file"), "utf8")).toBe("mine\n");
    expect(existsSync(join(upper, relative("/", rootMarker)))).toBe(false);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "running");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
  });
});
