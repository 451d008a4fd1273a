// Inside an instance: IMDSv1 and v2 at 169.254.169.254 (tokens, HttpTokens required -> 401,
// tags when enabled, user data), #cloud-config user data, and security groups enforced between
// instances of a VPC (nftables in the hub namespace).
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { probeDriver } from "../../../src/core/runtime/select.js";
import { canRunInstances, consoleText, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const skip = canRunInstances();

let n: TestNimbus;
beforeAll(async () => {
  if (!skip) n = await startNimbus();
});
afterAll(async () => {
  if (n) await n.stop();
});

const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** The console once user data finished, as key=value lines. */
async function finished(ec2: EC2Client, id: string): Promise<Record<string, string>> {
  const text = await waitFor(async () => {
    const t = await consoleText(ec2, id);
    return /Cloud-init v\. [\d.]+ finished/.test(t) ? t : undefined;
  }, "user data");
  return Object.fromEntries(text.split("\n").filter((l) => /^[a-z0-9-]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

describe.skipIf(!!skip)(`instance metadata and networking${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("serves IMDSv1 and v2 with the instance's own values, tags when enabled", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const script = `#!/bin/sh
M=http://169.254.169.254/latest
echo "v1-id=$(curl -s $M/meta-data/instance-id)"
T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' $M/api/token)
H="X-aws-ec2-metadata-token: $T"
echo "v2-id=$(curl -s -H "$H" $M/meta-data/instance-id)"
echo "bad-token=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-aws-ec2-metadata-token: nope' $M/meta-data/instance-id)"
echo "no-ttl=$(curl -s -o /dev/null -w '%{http_code}' -X PUT $M/api/token)"
for k in ami-id instance-type local-ipv4 public-ipv4 hostname placement/availability-zone placement/region mac ami-launch-index; do echo "$(echo $k | tr / -)=$(curl -s -H "$H" $M/meta-data/$k)"; done
echo "tag-name=$(curl -s -H "$H" $M/meta-data/tags/instance/Name)"
echo "user-data-first=$(curl -s -H "$H" $M/user-data | head -1)"
echo "doc-region=$(curl -s -H "$H" $M/dynamic/instance-identity/document | python3 -c 'import json,sys; print(json.load(sys.stdin)["region"])')"
echo "spot=$(curl -s -o /dev/null -w '%{http_code}' -H "$H" $M/meta-data/spot/instance-action)"
`;
    const r = await ec2.send(new RunInstancesCommand({
      ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(script),
      MetadataOptions: { InstanceMetadataTags: "enabled" }, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "meta" }] }],
    }));
    const i = r.Instances![0];
    expect(i.MetadataOptions).toMatchObject({ HttpTokens: "optional", HttpEndpoint: "enabled", InstanceMetadataTags: "enabled" });
    const v = await finished(ec2, i.InstanceId!);
    expect(v).toMatchObject({
      "v1-id": i.InstanceId, "v2-id": i.InstanceId, "bad-token": "401", "no-ttl": "400",
      "ami-id": ami, "instance-type": "t3.micro", "local-ipv4": i.PrivateIpAddress, "public-ipv4": i.PublicIpAddress, hostname: i.PrivateDnsName,
      "placement-availability-zone": i.Placement!.AvailabilityZone, "placement-region": "us-east-1", "ami-launch-index": "0",
      "tag-name": "meta", "user-data-first": "#!/bin/sh", "doc-region": "us-east-1", spot: "404",
    });
    expect(v.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [i.InstanceId!] }));
  });

  it("answers 401 to IMDSv1 when HttpTokens is required (the Amazon Linux 2023 default), and runs #cloud-config", async () => {
    const ec2 = client();
    const al = (await ec2.send(new (await import("@aws-sdk/client-ec2")).DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-*-x86_64"] }] }))).Images![0];
    const config = `#cloud-config
write_files:
  - path: /etc/app/config.txt
    content: |
      line one
      line two
    permissions: '0600'
  - path: /etc/app/b64.txt
    encoding: b64
    content: ${b64("decoded\n")}
packages:
  - cowsay
runcmd:
  - echo "v1=$(curl -s -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/instance-id)"
  - [ sh, -c, 'echo "perm=$(stat -c %a /etc/app/config.txt) lines=$(wc -l < /etc/app/config.txt) b64=$(cat /etc/app/b64.txt)"' ]
`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: al.ImageId, InstanceType: "t3.nano", MinCount: 1, MaxCount: 1, UserData: b64(config) }));
    expect(r.Instances![0].MetadataOptions?.HttpTokens).toBe("required");
    const v = await finished(ec2, r.Instances![0].InstanceId!);
    expect(v).toMatchObject({ v1: "401", perm: "600 lines=2 b64=decoded" });
    const text = await consoleText(ec2, r.Instances![0].InstanceId!);
    expect(text).toMatch(/package installation skipped|cowsay/);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [r.Instances![0].InstanceId!] }));
  });

  it.skipIf(!probeDriver().nft)("enforces security groups between instances (by referenced group)", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const server = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "server", Description: "server" }));
    const friends = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "friends", Description: "friends" }));
    const strangers = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "strangers", Description: "strangers" }));
    const srv = await ec2.send(new RunInstancesCommand({
      ImageId: ami, MinCount: 1, MaxCount: 1, SecurityGroupIds: [server.GroupId!],
      UserData: b64("#!/bin/sh\ncd /tmp && echo served > index.html && nohup python3 -m http.server 8080 >/dev/null 2>&1 &\n"),
    }));
    const srvIp = srv.Instances![0].PrivateIpAddress!;
    await waitState(ec2, srv.Instances![0].InstanceId!, "running");
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: server.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: friends.GroupId }] }] }));
    // A friend polls until the server listens; once it got the page, a stranger tries once.
    const probe = `#!/bin/sh\nfor i in $(seq 1 100); do curl -s -m 1 http://${srvIp}:8080/index.html >/dev/null && break; sleep 0.1; done\necho "got=$(curl -s -m 2 http://${srvIp}:8080/index.html || echo blocked)"\n`;
    const once = `#!/bin/sh\necho "got=$(curl -s -m 2 http://${srvIp}:8080/index.html || echo blocked)"\n`;
    const a = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, SecurityGroupIds: [friends.GroupId!], UserData: b64(probe) }));
    expect((await finished(ec2, a.Instances![0].InstanceId!)).got).toBe("served");
    const b = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, SecurityGroupIds: [strangers.GroupId!], UserData: b64(once) }));
    expect((await finished(ec2, b.Instances![0].InstanceId!)).got).toBe("blocked");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [srv, a, b].map((x) => x.Instances![0].InstanceId!) }));
  });
});
