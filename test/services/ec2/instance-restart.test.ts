// Nimbus stop leaves nothing behind (processes, cgroups, mounts, links, hub namespaces), and a
// restart boots the instances that were running from their disks (user data not run again).
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { canRunInstances, consoleText, httpGet, leftovers, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const skip = canRunInstances();
const dataDir = mkdtempSync(join(tmpdir(), "nimbus-ec2-restart-"));
let n: TestNimbus | undefined;
afterAll(async () => {
  await n?.stop({ keepData: true });
  rmSync(dataDir, { recursive: true, force: true });
});

/** Network namespaces held by processes that are children of this test process (the hubs). */
function hubNamespaces(): string[] {
  const own = readlinkSync("/proc/self/ns/net");
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/net`);
      const cmd = readlinkSync(`/proc/${pid}/exe`);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ns !== own && ppid === process.pid) out.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.skipIf(!!skip)(`instances across a restart${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("cleans up at stop and boots running instances again at start, with their disks", async () => {
    n = await startNimbus({ dataDir });
    const account = freshAccount();
    let ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: account }));
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }));
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [{ CidrIp: "127.0.0.1/32" }] }] }));
    // First boot writes the page and an /etc/rc.local that serves it at every boot.
    const userData = `#!/bin/sh
mkdir -p /srv && echo "first boot $(date +%s%N)" > /srv/page.txt
printf '#!/bin/sh\\ncd /srv && nohup python3 -m http.server 8000 >/dev/null 2>&1 &\\n' > /etc/rc.local
chmod +x /etc/rc.local
/etc/rc.local
`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: await ubuntu(ec2), MinCount: 1, MaxCount: 1, SecurityGroupIds: [sg.GroupId!], UserData: Buffer.from(userData).toString("base64") }));
    const id = r.Instances![0].InstanceId!;
    const ip = (await waitState(ec2, id, "running")).PublicIpAddress!;
    const page = await waitFor(() => httpGet(`http://${ip}:8000/page.txt`).catch(() => undefined));
    expect(page).toMatch(/^first boot \d+\n$/);
    expect(hubNamespaces().length).toBeGreaterThan(0);

    await n.stop({ keepData: true });
    n = undefined;
    expect(leftovers(id)).toEqual([]);
    expect(hubNamespaces()).toEqual([]);

    n = await startNimbus({ dataDir });
    ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: account }));
    const again = await waitState(ec2, id, "running");
    expect(again.PublicIpAddress).toBe(ip);
    // The disk survived and user data did not run again: the page is the first boot's.
    expect(await waitFor(() => httpGet(`http://${ip}:8000/page.txt`).catch(() => undefined))).toBe(page);
    const text = await consoleText(ec2, id);
    expect(text.split("Cloud-init v. 22.2.2 finished").length).toBe(3);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
    expect(leftovers(id)).toEqual([]);
  });
});
