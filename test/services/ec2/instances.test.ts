// Instances that really run (namespace driver as root): RunInstances to running with user data
// executed inside (its own hostname, address, root filesystem), console output, public IPs that
// answer only what the security group opens, state transitions and their errors, attributes.
import {
  AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeImagesCommand, DescribeInstanceAttributeCommand, DescribeInstancesCommand,
  DescribeInstanceStatusCommand, DescribeInstanceTypesCommand, DescribeNetworkInterfacesCommand, EC2Client, GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand, RebootInstancesCommand, RevokeSecurityGroupIngressCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand,
  TerminateInstancesCommand, type Instance,
} from "@aws-sdk/client-ec2";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { probeDriver } from "../../../src/core/runtime/select.js";
import { fail } from "./helpers.js";
import { canRunInstances, consoleText, httpGet, leftovers, ubuntu, waitFor, waitState } from "./instance-helpers.js";

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

describe.skipIf(!!skip)(`instances${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("runs user data as root in an isolated machine with its own hostname, address and root", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const userData = `#!/bin/sh\necho "whoami=$(id -u) host=$(hostname)"\necho "addr=$(ip -4 -o addr show eth0 | awk '{print $4}')"\necho data > /root/marker\necho "marker=$(cat /root/marker)"\necho "pid1=$(cat /proc/1/comm)"\n`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(userData), TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "one" }] }] }));
    const inst = r.Instances![0];
    expect(r.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(inst.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(inst.State).toEqual({ Code: 0, Name: "pending" });
    expect(inst.InstanceType).toBe("t3.micro");
    expect(inst.Tags).toEqual([{ Key: "Name", Value: "one" }]);
    expect(inst.PrivateIpAddress).toMatch(/^172\.31\.\d+\.\d+$/);
    expect(inst.PrivateDnsName).toBe(`ip-${inst.PrivateIpAddress!.replace(/\./g, "-")}.ec2.internal`);
    expect(inst.PublicIpAddress).toMatch(/^127\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
    expect(inst.SecurityGroups![0].GroupName).toBe("default");
    // AWS reserves the first four addresses of the subnet.
    expect(Number(inst.PrivateIpAddress!.split(".")[3])).toBeGreaterThanOrEqual(4);

    const running = await waitState(ec2, inst.InstanceId!, "running");
    expect(running.State).toEqual({ Code: 16, Name: "running" });
    const out = await waitFor(async () => {
      const text = await consoleText(ec2, inst.InstanceId!);
      // cloud-init's "finished" line comes after the script's last output: wait for it, not
      // for the marker (under load the console was read between the two).
      return /Cloud-init v\. [\d.]+ finished/.test(text) ? text : undefined;
    });
    expect(out).toContain(`whoami=0 host=ip-${inst.PrivateIpAddress!.replace(/\./g, "-")}`);
    expect(out).toContain(`addr=${inst.PrivateIpAddress}/20`);
    expect(out).toContain("marker=data");
    expect(out).toContain("pid1=");
    expect(out).toMatch(/Cloud-init v\. [\d.]+ finished/);

    // The instance's interface is listed, attached, with its public address.
    const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [inst.InstanceId!] }] }))).NetworkInterfaces!;
    expect(eni).toHaveLength(1);
    expect(eni[0]).toMatchObject({ Status: "in-use", PrivateIpAddress: inst.PrivateIpAddress, Association: { PublicIp: inst.PublicIpAddress } });

    const t = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    expect(t.TerminatingInstances![0]).toMatchObject({ InstanceId: inst.InstanceId, PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 32, Name: "shutting-down" } });
    const gone = await waitState(ec2, inst.InstanceId!, "terminated");
    expect(gone.State).toEqual({ Code: 48, Name: "terminated" });
    expect(gone.StateReason).toEqual({ Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown" });
    expect(gone.StateTransitionReason).toMatch(/^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
    expect(gone.PublicIpAddress).toBeUndefined();
    expect(leftovers(inst.InstanceId!)).toEqual([]);
  });

  it("opens a public port only when the security group allows it, at once both ways", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }));
    const userData = `#!/bin/sh\nmkdir -p /srv && cd /srv && echo hello-from-instance > index.html\nnohup python3 -m http.server 8000 >/dev/null 2>&1 &\n`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, SecurityGroupIds: [sg.GroupId!], UserData: b64(userData) }));
    const id = r.Instances![0].InstanceId!;
    const ip = (await waitState(ec2, id, "running")).PublicIpAddress!;
    expect(await portOpen(ip, 8000)).toBe(false);

    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const body = await waitFor(() => httpGet(`http://${ip}:8000/index.html`).catch(() => undefined));
    expect(body).toBe("hello-from-instance\n");
    // A port the group opens but nothing listens on refuses.
    expect(await portOpen(ip, 8001)).toBe(false);

    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    expect(await portOpen(ip, 8000)).toBe(false);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
  });

  it("stops and starts (first boot only runs user data), reboots, and refuses what AWS refuses", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, DisableApiTermination: true, UserData: b64("#!/bin/sh\necho ran-user-data\necho persisted > /var/tmp/state\n") }));
    const inst = r.Instances![0];
    expect(inst.InstanceType).toBe("m1.small");
    const id = inst.InstanceId!;
    await waitState(ec2, id, "running");
    await waitFor(async () => ((await consoleText(ec2, id)).includes("finished") ? true : undefined));

    const protectedErr = await fail(ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
    expect([protectedErr.name, protectedErr.message]).toEqual(["OperationNotPermitted", `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`]);
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "disableApiTermination" }));
    expect(attr.DisableApiTermination).toEqual({ Value: true });

    const typeWhileRunning = await fail(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "t3.small" } })));
    expect([typeWhileRunning.name, typeWhileRunning.message]).toEqual(["IncorrectInstanceState", `The instance '${id}' is not in the 'stopped' state.`]);

    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances![0]).toMatchObject({ PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 64, Name: "stopping" } });
    const stopped = await waitState(ec2, id, "stopped");
    expect(stopped.State).toEqual({ Code: 80, Name: "stopped" });
    expect(stopped.StateReason?.Code).toBe("Client.UserInitiatedShutdown");
    expect(stopped.PublicIpAddress).toBeUndefined();
    expect(leftovers(id)).toEqual([]);

    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "t3.small" } }));
    const start = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(start.StartingInstances![0]).toMatchObject({ PreviousState: { Code: 80, Name: "stopped" }, CurrentState: { Code: 0, Name: "pending" } });
    const again = await waitState(ec2, id, "running");
    expect(again.InstanceType).toBe("t3.small");
    expect(again.PublicIpAddress).toMatch(/^127\./);
    await waitFor(async () => ((await consoleText(ec2, id)).split("finished").length === 3 ? true : undefined));
    const text = await consoleText(ec2, id);
    // User data ran at the first boot only; the disk kept its file.
    expect(text.split("ran-user-data").length).toBe(2);

    await ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
    await waitFor(async () => ((await consoleText(ec2, id)).split("finished").length === 4 ? true : undefined));
    expect((await waitState(ec2, id, "running")).State!.Name).toBe("running");

    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    expect(status.InstanceStatuses![0]).toMatchObject({ InstanceId: id, InstanceState: { Code: 16, Name: "running" }, InstanceStatus: { Status: "ok" }, SystemStatus: { Status: "ok" } });

    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
    const startGone = await fail(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })));
    expect([startGone.name, startGone.message]).toEqual(["IncorrectInstanceState", `The instance '${id}' is not in a state from which it can be started.`]);
    const stopGone = await fail(ec2.send(new StopInstancesCommand({ InstanceIds: [id] })));
    expect(stopGone.name).toBe("IncorrectInstanceState");
    // Terminating again answers terminated -> terminated.
    const t2 = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(t2.TerminatingInstances![0]).toMatchObject({ PreviousState: { Name: "terminated" }, CurrentState: { Name: "terminated" } });
    expect(leftovers(id)).toEqual([]);
  });

  it("validates RunInstances as AWS does and is idempotent with ClientToken", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const cases: Array<[Record<string, unknown>, string, string?]> = [
      [{ MinCount: 0, MaxCount: 1 }, "InvalidParameterValue", "Minimum instance count must be greater than zero"],
      [{ MinCount: 1, MaxCount: 0 }, "InvalidParameterValue", "Maximum instance count must be greater than zero"],
      [{ MinCount: 3, MaxCount: 2 }, "InvalidParameterValue", "Maximum instance count must be greater than or equal to minimum instance count"],
      [{ ImageId: "ami-12345678901234567" }, "InvalidAMIID.NotFound", "The image id '[ami-12345678901234567]' does not exist"],
      [{ ImageId: "bogus" }, "InvalidAMIID.Malformed", 'Invalid id: "bogus"'],
      [{ InstanceType: "t9.huge" }, "InvalidParameterValue", "Invalid value 't9.huge' for InstanceType."],
      [{ KeyName: "nope" }, "InvalidKeyPair.NotFound", "The key pair 'nope' does not exist"],
      [{ SecurityGroupIds: ["sg-12345678901234567"] }, "InvalidGroup.NotFound", "The security group 'sg-12345678901234567' does not exist"],
      [{ SubnetId: "subnet-12345678901234567" }, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-12345678901234567' does not exist"],
      [{ InstanceType: "t4g.micro" }, "InvalidParameterValue"],
    ];
    for (const [extra, code, message] of cases) {
      const e = await fail(ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, ...extra } as never)));
      expect(e.name, JSON.stringify(extra)).toBe(code);
      if (message) expect(e.message).toBe(message);
    }
    expect((await ec2.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);

    const token = "tok-" + Date.now();
    const a = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 2, MaxCount: 2, ClientToken: token, InstanceType: "t3.nano" }));
    const b = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 2, MaxCount: 2, ClientToken: token, InstanceType: "t3.nano" }));
    expect(b.ReservationId).toBe(a.ReservationId);
    expect(b.Instances!.map((i) => i.InstanceId)).toEqual(a.Instances!.map((i) => i.InstanceId));
    expect(a.Instances!.map((i) => i.AmiLaunchIndex)).toEqual([0, 1]);
    const ids = a.Instances!.map((i) => i.InstanceId!);
    await Promise.all(ids.map((id) => waitState(ec2, id, "running")));

    // DescribeInstances: filters and pagination by reservation.
    const all = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running"] }, { Name: "instance-type", Values: ["t3.*"] }] }));
    expect(all.Reservations!.flatMap((r) => r.Instances!).map((i: Instance) => i.InstanceId).sort()).toEqual([...ids].sort());
    const none = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["stopped"] }] }));
    expect(none.Reservations).toEqual([]);
    const missing = await fail(ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-12345678901234567"] })));
    expect([missing.name, missing.message]).toEqual(["InvalidInstanceID.NotFound", "The instance ID 'i-12345678901234567' does not exist"]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    await Promise.all(ids.map((id) => waitState(ec2, id, "terminated")));
  });

  it("sends AWS/EC2 CPUUtilization and network metrics to CloudWatch from cgroup and /proc accounting", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const busy = `#!/bin/sh\npython3 -c 'import time\nt = time.time()\nwhile time.time() - t < 1.5: pass'\necho busy-done\n`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: await ubuntu(ec2), InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, UserData: b64(busy) }));
    const id = r.Instances![0].InstanceId!;
    await waitFor(async () => ((await consoleText(ec2, id)).includes("busy-done") ? true : undefined));
    // A minute passes in Nimbus time: the fleet samples every running instance.
    const res = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "PT1M" }) });
    expect(res.status).toBe(200);
    const cw = new CloudWatchClient(sdkConfig(n.endpoint, { accountId: account }));
    const now = Date.parse(((await (await fetch(`${n.endpoint}/_nimbus/clock`)).json()) as { now: string }).now);
    const stat = async (MetricName: string) =>
      (await cw.send(new GetMetricStatisticsCommand({
        Namespace: "AWS/EC2", MetricName, Dimensions: [{ Name: "InstanceId", Value: id }], StartTime: new Date(now - 600_000), EndTime: new Date(now + 600_000), Period: 60, Statistics: ["Maximum"],
      }))).Datapoints ?? [];
    const cpu = await stat("CPUUtilization");
    expect(cpu).toHaveLength(1);
    expect(cpu[0].Unit).toBe("Percent");
    // 1.5 s of one vCPU busy over the sampled period (at least the minute that passed).
    expect(cpu[0].Maximum).toBeGreaterThan(0.5);
    expect(cpu[0].Maximum).toBeLessThan(100);
    expect((await stat("NetworkIn"))[0]?.Unit).toBe("Bytes");
    expect((await stat("StatusCheckFailed"))[0]?.Maximum).toBe(0);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
  });

  it("/_nimbus/health says which driver runs instances, whether security groups are enforced and whether VPCs have a route out", async () => {
    const h = (await (await fetch(`${n.endpoint}/_nimbus/health`)).json()) as { services: Record<string, string>; details: Record<string, { driver: string; securityGroups: string }> };
    expect(h.services.ec2).toBe("running");
    expect(h.details.ec2.driver).toBe("namespace");
    expect(h.details.ec2.securityGroups).toBe(probeDriver().nft ? "enforced (nftables)" : "recorded");
    expect((h.details.ec2 as unknown as { volumes: string }).volumes).toBe(probeDriver().loop ? "block devices (loop)" : "recorded (no loop devices)");
    const p = probeDriver();
    expect((h.details.ec2 as unknown as { egress: string }).egress).toBe(
      !p.nft ? "none (nft is not installed)" : !p.slirp ? "none (slirp4netns is not installed)" : "internet and NAT gateways (slirp4netns)",
    );
  });

  it("describes images by owner and name, and instance types with their real figures", async () => {
    const ec2 = client();
    const al = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023.*-x86_64"] }] }));
    expect(al.Images).toHaveLength(1);
    expect(al.Images![0]).toMatchObject({ OwnerId: "137112412989", ImageOwnerAlias: "amazon", Architecture: "x86_64", State: "available", RootDeviceType: "ebs" });
    const ub = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }));
    expect(ub.Images).toHaveLength(1);
    const types = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["t3.micro", "m5.large", "r5.4xlarge", "c5.xlarge"] }));
    const fig = Object.fromEntries(types.InstanceTypes!.map((t) => [t.InstanceType, [t.VCpuInfo!.DefaultVCpus, t.MemoryInfo!.SizeInMiB]]));
    expect(fig).toEqual({ "t3.micro": [2, 1024], "m5.large": [2, 8192], "r5.4xlarge": [16, 131072], "c5.xlarge": [4, 8192] });
    const bad = await fail(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["x9.large" as never] })));
    expect(bad.name).toBe("InvalidInstanceType");
  });
});

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      // The listener accepts, then resets when the instance refuses: wait for either.
      s.once("data", () => (s.destroy(), resolve(true)));
      s.once("close", () => resolve(false));
      s.write("GET / HTTP/1.0\r\n\r\n");
    });
    s.once("error", () => resolve(false));
  });
}
