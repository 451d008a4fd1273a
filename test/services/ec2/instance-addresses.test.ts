// Elastic IPs on instances (namespace driver as root): AssociateAddress by InstanceId puts the
// address on the instance's primary interface, replacing its pool address, and the host reaches
// the instance there; it survives stop and start; disassociating gives a running instance a new
// pool address; terminating takes the Elastic IP off and leaves it allocated.
import {
  AllocateAddressCommand, AssociateAddressCommand, AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeAddressesCommand, DescribeInternetGatewaysCommand,
  DetachInternetGatewayCommand, DisassociateAddressCommand,
  EC2Client, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";
import { canRunInstances, describeOne, httpGet, ubuntu, waitFor, waitState } from "./instance-helpers.js";

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
const answers = (ip: string) => httpGet(`http://${ip}:8000/who`).then((b) => b.trim(), () => undefined);

describe.skipIf(!!skip)(`Elastic IPs on instances${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 120_000 }, () => {
  it("AssociateAddress by InstanceId replaces the pool address, survives stop/start, and comes off at disassociate and terminate", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    // Served again at every boot through /etc/rc.local.
    const userData = "#!/bin/sh\nmkdir -p /srv && echo web-1 > /srv/who\nprintf '#!/bin/sh\\ncd /srv && nohup python3 -m http.server 8000 >/dev/null 2>&1 &\\n' > /etc/rc.local && chmod +x /etc/rc.local && /etc/rc.local\n";
    const inst = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, SecurityGroupIds: [sg], UserData: b64(userData) }))).Instances![0];
    const id = inst.InstanceId!;
    const pool = inst.PublicIpAddress!;
    await waitState(ec2, id, "running");
    expect(await waitFor(() => answers(pool), "the pool address")).toBe("web-1");
    // A running instance with a public IPv4 address keeps its VPC's internet gateway attached.
    const igw = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [inst.VpcId!] }] }))).InternetGateways![0].InternetGatewayId!;
    const detach = await fail(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: inst.VpcId! })));
    expect(detach.name).toBe("DependencyViolation");
    expect(detach.message).toBe(`Network ${inst.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);

    // Errors first: an unknown instance, and one that is not running or stopped.
    const alloc = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    expect((await fail(ec2.send(new AssociateAddressCommand({ AllocationId: alloc.AllocationId, InstanceId: "i-0123456789abcdef0" })))).name).toBe("InvalidInstanceID.NotFound");

    const assoc = await ec2.send(new AssociateAddressCommand({ AllocationId: alloc.AllocationId, InstanceId: id }));
    expect(assoc.AssociationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    const withEip = await describeOne(ec2, id);
    expect(withEip.PublicIpAddress).toBe(alloc.PublicIp);
    expect(withEip.PublicDnsName).toBe(`ec2-${alloc.PublicIp!.replace(/\./g, "-")}.compute-1.amazonaws.com`);
    expect(withEip.NetworkInterfaces![0].Association).toMatchObject({ PublicIp: alloc.PublicIp, IpOwnerId: withEip.NetworkInterfaces![0].OwnerId });
    const listed = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc.AllocationId!] }))).Addresses![0];
    expect(listed).toMatchObject({ InstanceId: id, AssociationId: assoc.AssociationId, NetworkInterfaceId: withEip.NetworkInterfaces![0].NetworkInterfaceId, PrivateIpAddress: inst.PrivateIpAddress });
    expect(await waitFor(() => answers(alloc.PublicIp!), "the Elastic IP")).toBe("web-1");
    expect(await answers(pool)).toBeUndefined();

    // Stop and start: the Elastic IP stays.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const stopped = await waitState(ec2, id, "stopped");
    expect(stopped.PublicIpAddress).toBe(alloc.PublicIp);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    const started = await waitState(ec2, id, "running");
    expect(started.PublicIpAddress).toBe(alloc.PublicIp);
    expect(await waitFor(() => answers(alloc.PublicIp!), "the Elastic IP after a start")).toBe("web-1");

    // Disassociated: a new pool address, and the Elastic IP no longer answers.
    await ec2.send(new DisassociateAddressCommand({ AssociationId: assoc.AssociationId }));
    const after = await describeOne(ec2, id);
    expect(after.PublicIpAddress).toBeTruthy();
    expect(after.PublicIpAddress).not.toBe(alloc.PublicIp);
    expect(after.NetworkInterfaces![0].Association).toMatchObject({ PublicIp: after.PublicIpAddress, IpOwnerId: "amazon" });
    expect(await waitFor(() => answers(after.PublicIpAddress!), "the new pool address")).toBe("web-1");
    expect(await answers(alloc.PublicIp!)).toBeUndefined();

    // Terminated with an Elastic IP on it: the address comes off and stays allocated.
    await ec2.send(new AssociateAddressCommand({ AllocationId: alloc.AllocationId, InstanceId: id }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
    const freed = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc.AllocationId!] }))).Addresses![0];
    expect(freed.PublicIp).toBe(alloc.PublicIp);
    expect(freed.AssociationId).toBeUndefined();
    expect(freed.InstanceId).toBeUndefined();
  });
});
