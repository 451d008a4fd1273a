// The host's ssh host keys are never readable inside an instance (namespace driver as root): an
// instance's /etc is the host's through the lower layer of its overlay, but its /etc/ssh shows
// no ssh_host_* file of the host's, whether or not it was launched with a key pair (with one,
// only the instance's own keys, made at first boot); the rest of /etc/ssh (sshd_config) is
// still the host's. Root inside cannot climb out of its root to the host's / either (the
// machine's root is pivot_root'ed to, not a chroot).
import { CreateKeyPairCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { canRunInstances, consoleText, leftovers, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const hostKeys = existsSync("/etc/ssh") ? readdirSync("/etc/ssh").filter((f) => /^ssh_host_.*_key$/.test(f)) : [];
const skip = canRunInstances() ?? (hostKeys.length === 0 ? "the host has no ssh host keys in /etc/ssh" : undefined);

let n: TestNimbus;
beforeAll(async () => {
  if (skip) return;
  n = await startNimbus();
});
afterAll(async () => {
  if (n) await n.stop();
});

const client = () => new EC2Client(sdkConfig(n.endpoint, { accountId: freshAccount(), region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

// Lists /etc/ssh's host key files, and prints the SHA-256 of every private key file the instance
// can read, for the test to compare with the host's.
const PROBE = `#!/bin/sh
[ -f /etc/ssh/sshd_config ] && echo "sshd_config visible"
echo "host-key files: $(cd /etc/ssh && ls -1 | grep '^ssh_host_' | tr '\\n' ' ')."
for f in /etc/ssh/ssh_host_*_key; do [ -r "$f" ] && echo "keysum $(sha256sum < "$f" | cut -d' ' -f1)"; done
echo "probe done"
`;

// Root's classic way out of a chroot (a chroot into a subdirectory while holding a descriptor
// of the old root, then climbing with ..): then the same listing from wherever it landed.
const ESCAPE = `import hashlib, os
os.makedirs("/escape-probe", exist_ok=True)
fd = os.open("/", os.O_RDONLY)
os.chroot("/escape-probe")
os.fchdir(fd)
for _ in range(64): os.chdir("..")
os.chroot(".")
for f in sorted(os.listdir("/etc/ssh")):
    p = "/etc/ssh/" + f
    if f.startswith("ssh_host_") and f.endswith("_key") and os.path.isfile(p):
        print("escaped keysum", hashlib.sha256(open(p, "rb").read()).hexdigest())
print("escape done")
`;

/** The SHA-256 of each of the host's private host key files (what must never be readable inside). */
function hostKeySums(): string[] {
  return hostKeys.map((f) => createHash("sha256").update(readFileSync(`/etc/ssh/${f}`)).digest("hex"));
}

describe.skipIf(!!skip)(`the host's ssh host keys inside instances${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 120_000 }, () => {
  it("an instance without a key pair sees no ssh_host_* file in /etc/ssh, and none of the host's key bytes", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const userData = PROBE.replace('echo "probe done"', `python3 -c "$(echo ${b64(ESCAPE)} | base64 -d)"\necho "probe done"`);
    const id = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(userData) }))).Instances![0].InstanceId!;
    await waitState(ec2, id, "running");
    const text = await waitFor(async () => {
      const t = await consoleText(ec2, id);
      return t.includes("probe done") ? t : undefined;
    }, "the probe's output");
    // Climbing out of the root lands in the instance's own root, not the host's.
    expect(text).toContain("escape done");
    expect(text).not.toContain("escaped keysum");
    expect(text).toContain("sshd_config visible");
    expect(text).toContain("host-key files: .");
    expect(text).not.toContain("keysum ");
    for (const sum of hostKeySums()) expect(text).not.toContain(sum);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
    expect(leftovers(id)).toEqual([]);
  });

  it("an instance with a key pair has only its own host keys (ed25519, ecdsa), none of the host's", async () => {
    if (!existsSync("/usr/sbin/sshd")) return; // no sshd: no keys of its own are made
    const ec2 = client();
    const ami = await ubuntu(ec2);
    await ec2.send(new CreateKeyPairCommand({ KeyName: "hk" }));
    // User data runs beside the key setup: wait for its keys before listing.
    const probe = PROBE.replace("#!/bin/sh\n", "#!/bin/sh\nwhile [ ! -f /var/lib/cloud/instance/sshd-host-keys ]; do sleep 0.1; done\n");
    const id = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, KeyName: "hk", UserData: b64(probe) }))).Instances![0].InstanceId!;
    await waitState(ec2, id, "running");
    const text = await waitFor(async () => {
      const t = await consoleText(ec2, id);
      return t.includes("probe done") ? t : undefined;
    }, "the probe's output");
    expect(text).toContain("host-key files: ssh_host_ecdsa_key ssh_host_ecdsa_key.pub ssh_host_ed25519_key ssh_host_ed25519_key.pub .");
    // Its own keys are readable (by root), the host's bytes are not among them.
    expect([...text.matchAll(/^keysum ([0-9a-f]{64})$/gm)]).toHaveLength(2);
    for (const sum of hostKeySums()) expect(text).not.toContain(sum);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
  });
});
