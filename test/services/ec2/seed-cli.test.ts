// The seed's own session, typed as a newcomer types it with the aws CLI: a key pair, a security
// group opening 22 and 8000, an Ubuntu instance whose user data serves a page with
// `python3 -m http.server 8000`, then `curl` to its public IP and `ssh -i key.pem ubuntu@...`,
// and terminate. Needs the namespace driver (root), the aws CLI and openssh (client and server).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AWS, ok, useClients } from "../../clients/support.js";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { canRunInstances, httpGet, leftovers, ssh, waitFor } from "./instance-helpers.js";

const skip =
  canRunInstances() ??
  (!AWS ? "the aws CLI is not installed" : !existsSync("/usr/sbin/sshd") ? "openssh-server is not installed" : !existsSync("/usr/bin/ssh") ? "the ssh client is not installed" : undefined);

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  if (skip) return;
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-seed-cli-"));
});
afterAll(async () => {
  if (n) await n.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const clients = useClients(() => n.endpoint);

describe.skipIf(!!skip)(`the seed session through the aws CLI${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 120_000 }, () => {
  it("create-key-pair, a group opening 22 and 8000, run-instances with user data: curl serves the page, ssh logs in as ubuntu, terminate ends both", async () => {
    const account = freshAccount();
    const aws = (...args: string[]) => clients.aws(account, ...args).then(ok);

    // As the EC2 user guide writes it: --query KeyMaterial --output text > seed.pem.
    const kp = await clients.aws(account, "ec2", "create-key-pair", "--key-name", "seed", "--key-type", "ed25519", "--query", "KeyMaterial", "--output", "text");
    expect(kp.code, kp.stderr).toBe(0);
    expect(kp.stdout).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
    const key = join(dir, "seed.pem");
    writeFileSync(key, kp.stdout, { mode: 0o600 });
    const pairs = await aws("ec2", "describe-key-pairs", "--key-names", "seed");
    expect(pairs.KeyPairs[0]).toMatchObject({ KeyName: "seed", KeyType: "ed25519" });

    const sg = (await aws("ec2", "create-security-group", "--group-name", "seed-web", "--description", "seed web servers")).GroupId as string;
    for (const port of ["22", "8000"]) await aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", port, "--cidr", "0.0.0.0/0");

    const images = await aws("ec2", "describe-images", "--owners", "099720109477", "--filters", "Name=name,Values=ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*");
    const ami = images.Images[0].ImageId as string;
    expect(ami).toMatch(/^ami-[0-9a-f]{17}$/);

    // The CLI base64-encodes a file:// user data itself, as it does against AWS.
    const userData = join(dir, "user-data.sh");
    writeFileSync(userData, "#!/bin/bash\nmkdir -p /srv/www && cd /srv/www\necho \"hello from $(hostname)\" > index.html\nnohup python3 -m http.server 8000 >/var/log/web.log 2>&1 &\n");
    const run = await aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--count", "1", "--key-name", "seed", "--security-group-ids", sg, "--user-data", `file://${userData}`);
    const id = run.Instances[0].InstanceId as string;
    expect(run.Instances[0].KeyName).toBe("seed");
    expect(run.Instances[0].State.Name).toBe("pending");

    const waited = await clients.aws(account, "ec2", "wait", "instance-running", "--instance-ids", id);
    expect(waited.code, waited.stderr).toBe(0);
    const desc = await aws("ec2", "describe-instances", "--instance-ids", id);
    const inst = desc.Reservations[0].Instances[0];
    expect(inst.State.Name).toBe("running");
    const ip = inst.PublicIpAddress as string;
    const hostname = `ip-${(inst.PrivateIpAddress as string).replace(/\./g, "-")}`;
    expect(ip).toMatch(/^127\./);

    const page = await waitFor(() => httpGet(`http://${ip}:8000/index.html`).catch(() => undefined), "the instance's web server");
    expect(page).toBe(`hello from ${hostname}\n`);

    let last = "";
    const login = await waitFor(async () => {
      const r = await ssh(key, `ubuntu@${ip}`, "hostname; id -un");
      last = `exit ${r.status}: ${r.err}`;
      return r.status === 0 ? r : undefined;
    }, "ssh into the instance").catch((e: Error) => {
      throw new Error(`${e.message} (last attempt: ${last})`);
    });
    expect(login.out.split("\n")).toEqual([hostname, "ubuntu"]);

    const console = await aws("ec2", "get-console-output", "--instance-id", id);
    expect(console.InstanceId).toBe(id);
    expect(console.Output).toContain("-----BEGIN SSH HOST KEY FINGERPRINTS-----");

    const term = await aws("ec2", "terminate-instances", "--instance-ids", id);
    expect(term.TerminatingInstances[0]).toMatchObject({ InstanceId: id, PreviousState: { Name: "running" } });
    const gone = await clients.aws(account, "ec2", "wait", "instance-terminated", "--instance-ids", id);
    expect(gone.code, gone.stderr).toBe(0);
    await expect(httpGet(`http://${ip}:8000/index.html`)).rejects.toThrow();
    expect((await ssh(key, `ubuntu@${ip}`, "true")).status).not.toBe(0);
    expect(leftovers(id)).toEqual([]);
  });
});
