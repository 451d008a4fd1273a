// sshd in instances (namespace driver as root, openssh-server on the host): an instance launched
// with a key pair runs sshd with host keys of its own, accepts the pair's private key for the
// image's default user on its public IP when the security group opens port 22, refuses other
// keys, prints its host key fingerprints on the console as cloud-init does, and serves the
// public key in IMDS. ImportKeyPair keys work too.
import {
  AuthorizeSecurityGroupIngressCommand, CreateKeyPairCommand, CreateSecurityGroupCommand, DescribeImagesCommand, EC2Client, ImportKeyPairCommand,
  RevokeSecurityGroupIngressCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { canRunInstances, consoleText, leftovers, ssh, ubuntu, waitFor, waitState, type SshResult } from "./instance-helpers.js";

const skip = canRunInstances() ?? (!existsSync("/usr/sbin/sshd") ? "openssh-server is not installed" : !existsSync("/usr/bin/ssh") ? "the ssh client is not installed" : undefined);

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  if (skip) return;
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-ssh-"));
});
afterAll(async () => {
  if (n) await n.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Retries until sshd in the instance answers (it starts beside user data, after two host keys). */
function sshWhenUp(key: string, target: string, cmd: string): Promise<SshResult> {
  return waitFor(async () => {
    const r = await ssh(key, target, cmd);
    return r.status === 0 || /Permission denied/.test(r.err) ? r : undefined;
  }, `ssh ${target}`);
}

function fingerprint(pubLine: string): string {
  const r = spawnSync("ssh-keygen", ["-l", "-f", "-"], { input: pubLine + "\n", encoding: "utf8" });
  return r.stdout.split(" ")[1];
}

describe.skipIf(!!skip)(`sshd in instances${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 120_000 }, () => {
  it("CreateKeyPair's key logs in as ubuntu on the public IP when the group opens 22; other keys are refused; closing 22 cuts it; host keys are the instance's own", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const kp = await ec2.send(new CreateKeyPairCommand({ KeyName: "seed-key" }));
    const key = join(dir, "seed-key.pem");
    writeFileSync(key, kp.KeyMaterial!, { mode: 0o600 });
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "ssh", Description: "ssh" }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const userData = "#!/bin/sh\necho \"imds-key: $(curl -s http://169.254.169.254/latest/meta-data/public-keys/0/openssh-key)\"\n";
    const inst = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, KeyName: "seed-key", SecurityGroupIds: [sg], UserData: b64(userData) }))).Instances![0];
    const ip = inst.PublicIpAddress!;
    await waitState(ec2, inst.InstanceId!, "running");

    const r = await sshWhenUp(key, `ubuntu@${ip}`, "hostname; id -un; stat -c %a ~/.ssh/authorized_keys; cat ~/.ssh/authorized_keys");
    expect(r.err).toBe("");
    const [host, user, mode, ...keys] = r.out.split("\n");
    expect(host).toBe(`ip-${inst.PrivateIpAddress!.replace(/\./g, "-")}`);
    expect(user).toBe("ubuntu");
    expect(mode).toBe("600");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^ssh-rsa AAAA\S+ seed-key$/);

    // A terminal, as an interactive session has.
    const tty = await ssh(key, `ubuntu@${ip}`, "tty", ["-tt"]);
    expect(tty.out).toMatch(/^\/dev\/pts\/\d+$/);

    // A key that is not the pair's is refused.
    const wrong = join(dir, "wrong");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrong]);
    const refused = await ssh(wrong, `ubuntu@${ip}`, "hostname");
    expect(refused.status).toBe(255);
    expect(refused.err).toContain("Permission denied (publickey)");
    // So is another user.
    expect((await ssh(key, `root@${ip}`, "hostname")).err).toContain("Permission denied");

    // Host keys: the console's fingerprints (cloud-init's block) are what sshd presents, not the host's.
    const text = await waitFor(async () => {
      const t = await consoleText(ec2, inst.InstanceId!);
      return t.includes("-----END SSH HOST KEY KEYS-----") ? t : undefined;
    }, "host key fingerprints on the console");
    expect(text).toContain("ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----");
    expect(text).toMatch(/ec2: 256 SHA256:\S+ root@ip-\S+ \(ED25519\)/);
    expect(text).toMatch(/ec2: 256 SHA256:\S+ root@ip-\S+ \(ECDSA\)/);
    const scanned = (await new Promise<string>((res) => execFile("ssh-keyscan", ["-t", "ed25519", ip], { encoding: "utf8" }, (_e, out) => res(out)))).trim().split(" ").slice(1).join(" ");
    const presented = fingerprint(scanned);
    expect(presented).toMatch(/^SHA256:/);
    expect(text).toContain(`${presented} `);
    expect(presented).not.toBe(fingerprint(readFileSync("/etc/ssh/ssh_host_ed25519_key.pub", "utf8").trim()));
    // The instance's own public key in IMDS.
    expect(text).toContain(`imds-key: ${keys[0].trim()}`);

    // Port 22 closed in the group: the connection fails.
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const closed = await ssh(key, `ubuntu@${ip}`, "hostname");
    expect(closed.status).toBe(255);
    expect(closed.out).toBe("");
    expect(closed.err).toMatch(/Connection refused|timed out/);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "terminated");
    // sshd and its sessions went with the instance.
    expect(leftovers(inst.InstanceId!)).toEqual([]);
  });

  it("an ImportKeyPair key logs in as ec2-user on Amazon Linux", async () => {
    const ec2 = client();
    const key = join(dir, "imported");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "me@laptop", "-f", key]);
    await ec2.send(new ImportKeyPairCommand({ KeyName: "laptop", PublicKeyMaterial: readFileSync(`${key}.pub`) }));
    const al = (await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023.*-x86_64"] }] }))).Images![0].ImageId!;
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "ssh", Description: "ssh" }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "127.0.0.0/8" }] }] }));
    const inst = (await ec2.send(new RunInstancesCommand({ ImageId: al, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, KeyName: "laptop", SecurityGroupIds: [sg] }))).Instances![0];
    await waitState(ec2, inst.InstanceId!, "running");
    const r = await sshWhenUp(key, `ec2-user@${inst.PublicIpAddress}`, "hostname; id -un");
    expect(r.err).toBe("");
    expect(r.out).toBe(`ip-${inst.PrivateIpAddress!.replace(/\./g, "-")}\nec2-user`);
    expect((await ssh(key, `ubuntu@${inst.PublicIpAddress}`, "hostname")).err).toContain("Permission denied");
    // After a stop and start (a new public IP, not a first boot) sshd is back with the same host key.
    const before = await ssh(key, `ec2-user@${inst.PublicIpAddress}`, "cat /etc/ssh/ssh_host_ed25519_key.pub");
    expect(before.out).toMatch(/^ssh-ed25519 /);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "stopped");
    await ec2.send(new StartInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    const again = await waitState(ec2, inst.InstanceId!, "running");
    const r2 = await sshWhenUp(key, `ec2-user@${again.PublicIpAddress}`, "cat /etc/ssh/ssh_host_ed25519_key.pub");
    expect(r2.err).toBe("");
    expect(r2.out).toBe(before.out);

    // A first boot whose sshd setup never finished (the server killed meanwhile: no marker in
    // the instance's disk) runs it again at the next boot: sshd comes up, the key is there once.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "stopped");
    const marker = join(n.dataDir, "ec2", "instances", inst.InstanceId!, "upper", "var", "lib", "cloud", "instance", "sshd-host-keys");
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    const third = await waitState(ec2, inst.InstanceId!, "running");
    const r3 = await sshWhenUp(key, `ec2-user@${third.PublicIpAddress}`, "wc -l < ~/.ssh/authorized_keys; test -f /var/lib/cloud/instance/sshd-host-keys && echo marked");
    expect(r3.err).toBe("");
    expect(r3.out).toBe("1\nmarked");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "terminated");
    // sshd and its sessions went with the instance.
    expect(leftovers(inst.InstanceId!)).toEqual([]);
  });
});
