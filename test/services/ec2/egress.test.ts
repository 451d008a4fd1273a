// A VPC's route out (namespace driver as root, nftables and slirp4netns): an instance reaches an
// HTTP server on the host's non-loopback address only as AWS would route it there: its subnet's
// route table sends the destination to an attached internet gateway and it has a public IP (its
// own or an Elastic IP on its interface), or
// to an available NAT gateway in a public subnet; its security group's outbound rules still
// apply; changes take effect on running instances. The host's own routes, addresses and
// firewall are not touched.
import {
  AllocateAddressCommand, AssociateAddressCommand, AssociateRouteTableCommand, AttachInternetGatewayCommand, CreateInternetGatewayCommand, CreateNatGatewayCommand, CreateRouteCommand,
  CreateRouteTableCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DeleteRouteCommand, DisassociateAddressCommand, EC2Client, ModifySubnetAttributeCommand,
  RevokeSecurityGroupEgressCommand, RunInstancesCommand, TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { egressCidr } from "../../../src/core/runtime/egress.js";
import { canRouteOut, hostAddress, consoleText, leftovers, routeOutProcesses, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const host = hostAddress();
const skip = canRouteOut();

let n: TestNimbus;
let web: Server;
let port = 0;
/** Requests the host server saw: `<instance name> <probe number>`. */
const hits: string[] = [];
beforeAll(async () => {
  if (skip) return;
  n = await startNimbus();
  web = createServer((req, res) => {
    hits.push(new URL(req.url!, "http://x").searchParams.get("p") ?? "");
    res.end("egress ok\n");
  });
  await new Promise<void>((r) => web.listen(0, host, r));
  port = (web.address() as AddressInfo).port;
});
afterAll(async () => {
  if (n) await n.stop();
  web?.close();
});

const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * User data: probe the host server forever, one line per probe on the console; `once`, a shell
 * command, runs after the first probe that got out (so the route out is up when it runs).
 */
function prober(name: string, once = ""): string {
  return `#!/bin/sh
getent hosts deb.debian.org >/dev/null && echo "dns ${name} resolved" || echo "dns ${name} failed"
i=0
once=${once ? 1 : 0}
while true; do
  i=$((i+1))
  if curl -s -m 1 -o /dev/null "http://${host}:${port}/?p=${name}+$i"; then
    echo "probe $i ok"
    if [ $once = 1 ]; then once=0; ${once || "true"}; fi
  else echo "probe $i fail"; fi
  sleep 0.2
done
`;
}

interface Probe {
  n: number;
  ok: boolean;
}

async function probes(ec2: EC2Client, id: string): Promise<Probe[]> {
  const text = await consoleText(ec2, id);
  return [...text.matchAll(/^probe (\d+) (ok|fail)$/gm)].map((m) => ({ n: Number(m[1]), ok: m[2] === "ok" }));
}

/**
 * Waits until three probes that started after this call (numbers past the last one printed plus
 * the one possibly in flight) have completed, and returns whether each reached the host.
 */
async function nextProbes(ec2: EC2Client, id: string): Promise<boolean[]> {
  const seen = await probes(ec2, id);
  const from = (seen.at(-1)?.n ?? 0) + 2;
  return waitFor(async () => {
    const after = (await probes(ec2, id)).filter((p) => p.n >= from);
    return after.length >= 3 ? after.slice(0, 3).map((p) => p.ok) : undefined;
  }, `three probes of ${id}`);
}

/** The host's own network configuration, which Nimbus must leave as it is. */
function hostNetwork(): string {
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8" }).stdout;
  return [run("ip", ["-4", "route"]), run("ip", ["-o", "addr"]), run("ip", ["-o", "link"]).replace(/\s+link\/.*$/gm, ""), run("nft", ["list", "ruleset"])].join("\n---\n");
}

describe.skipIf(!!skip)(`instances' route out of their VPC${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 120_000 }, () => {
  it("an instance of the default VPC (public IP, route to the internet gateway) reaches the host's address; its DNS resolves outside names", async () => {
    const before = hostNetwork();
    const ec2 = client();
    const ami = await ubuntu(ec2);
    // slirp4netns's gateway (.2 of its network) is the host: with --disable-host-loopback it must
    // not lead to the host's 127.0.0.1, where Nimbus listens. The default VPC is 172.31.0.0/16.
    const gateway = egressCidr(["172.31.0.0/16"]).replace(/\.0\/24$/, ".2");
    const nimbusPort = new URL(n.endpoint).port;
    const loopback = `curl -s -m 2 -o /dev/null http://${gateway}:${nimbusPort}/_nimbus/health && echo "host loopback reached" || echo "host loopback refused"`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(prober("default", loopback)) }));
    const id = r.Instances![0].InstanceId!;
    expect(r.Instances![0].PublicIpAddress).toBeTruthy();
    await waitState(ec2, id, "running");
    expect(await nextProbes(ec2, id)).toEqual([true, true, true]);
    expect(hits.some((h) => h.startsWith("default "))).toBe(true);
    const text = await consoleText(ec2, id);
    // The resolver forwards names outside the VPC only where the host itself resolves them.
    if (spawnSync("getent", ["hosts", "deb.debian.org"]).status === 0) expect(text).toContain("dns default resolved");
    // The host's loopback (Nimbus, instances' public addresses) is not reachable through the route out.
    const checked = await waitFor(async () => {
      const t = await consoleText(ec2, id);
      return /host loopback (reached|refused)/.exec(t)?.[1];
    }, "the host loopback check");
    expect(checked).toBe("refused");
    // Nothing of this appears in the host's own namespace.
    expect(hostNetwork()).toBe(before);
    expect(routeOutProcesses()).toHaveLength(1);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitState(ec2, id, "terminated");
    // The VPC's last instance gone: its hub and route out go too.
    expect(leftovers(id)).toEqual([]);
    expect(await waitFor(() => (routeOutProcesses().length ? undefined : routeOutProcesses()), "no slirp4netns left")).toEqual([]);
  });

  it("a new VPC: no route out until an internet gateway and a route to it; deleting the route cuts it; a private subnet goes out through a NAT gateway; outbound rules still apply", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!.VpcId!;
    const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: "10.0.1.0/24" }))).Subnet!.SubnetId!;
    const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: "10.0.2.0/24" }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: pub, MapPublicIpOnLaunch: { Value: true } }));

    // 1. No internet gateway: nothing leaves, and outside names do not resolve.
    const a = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, SubnetId: pub, UserData: b64(prober("a")) }))).Instances![0];
    expect(a.PublicIpAddress).toBeTruthy();
    await waitState(ec2, a.InstanceId!, "running");
    expect(await nextProbes(ec2, a.InstanceId!)).toEqual([false, false, false]);
    expect(await consoleText(ec2, a.InstanceId!)).toContain("dns a failed");
    expect(hits.some((h) => h.startsWith("a "))).toBe(false);

    // 2. An attached gateway alone changes nothing: the subnet's table has no route to it.
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
    expect(await nextProbes(ec2, a.InstanceId!)).toEqual([false, false, false]);

    // 3. A route table with 0.0.0.0/0 to the gateway, associated with the subnet: the running instance gets out.
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: pub }));
    expect(await nextProbes(ec2, a.InstanceId!)).toEqual([true, true, true]);
    expect(hits.some((h) => h.startsWith("a "))).toBe(true);

    // 4. The route deleted: cut again.
    await ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0" }));
    expect(await nextProbes(ec2, a.InstanceId!)).toEqual([false, false, false]);
    // A route to the gateway for the host's own /32 only is enough (the route covers the destination).
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: `${host}/32`, GatewayId: igw }));
    expect(await nextProbes(ec2, a.InstanceId!)).toEqual([true, true, true]);

    // 5. No public IP in a routed subnet: nothing leaves until an Elastic IP is on its interface.
    const pub2 = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: "10.0.3.0/24" }))).Subnet!.SubnetId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: pub2 }));
    const c = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, SubnetId: pub2, UserData: b64(prober("c")) }))).Instances![0];
    expect(c.PublicIpAddress).toBeUndefined();
    await waitState(ec2, c.InstanceId!, "running");
    expect(await nextProbes(ec2, c.InstanceId!)).toEqual([false, false, false]);
    const cEip = (await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }))).AllocationId!;
    const assoc = (await ec2.send(new AssociateAddressCommand({ AllocationId: cEip, NetworkInterfaceId: c.NetworkInterfaces![0].NetworkInterfaceId }))).AssociationId!;
    expect(await nextProbes(ec2, c.InstanceId!)).toEqual([true, true, true]);
    await ec2.send(new DisassociateAddressCommand({ AssociationId: assoc }));
    expect(await nextProbes(ec2, c.InstanceId!)).toEqual([false, false, false]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [c.InstanceId!] }));

    // 6. A private subnet (no public IP) whose table routes to a NAT gateway in the public subnet.
    const eip = (await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }))).AllocationId!;
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip }))).NatGateway!.NatGatewayId!;
    const privRtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privRtb, SubnetId: priv }));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "private", Description: "private", VpcId: vpc }))).GroupId!;
    const b = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, SubnetId: priv, SecurityGroupIds: [sg], UserData: b64(prober("b")) }))).Instances![0];
    expect(b.PublicIpAddress).toBeUndefined();
    await waitState(ec2, b.InstanceId!, "running");
    expect(await nextProbes(ec2, b.InstanceId!)).toEqual([false, false, false]);
    await ec2.send(new CreateRouteCommand({ RouteTableId: privRtb, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: nat }));
    expect(await nextProbes(ec2, b.InstanceId!)).toEqual([true, true, true]);
    expect(hits.some((h) => h.startsWith("b "))).toBe(true);

    // 7. The group's outbound rule (all traffic to 0.0.0.0/0) revoked: blocked though routed.
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    expect(await nextProbes(ec2, b.InstanceId!)).toEqual([false, false, false]);
    // The public instance is unaffected.
    expect(await nextProbes(ec2, a.InstanceId!)).toEqual([true, true, true]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.InstanceId!, b.InstanceId!] }));
    await waitState(ec2, a.InstanceId!, "terminated");
    await waitState(ec2, b.InstanceId!, "terminated");
    for (const i of [a, b, c]) expect(leftovers(i.InstanceId!)).toEqual([]);
    expect(await waitFor(() => (routeOutProcesses().length ? undefined : routeOutProcesses()), "no slirp4netns left")).toEqual([]);
  });

  it("a stopped server leaves no route out behind", async () => {
    const m = await startNimbus();
    let stopped = false;
    try {
      const ec2 = new EC2Client(sdkConfig(m.endpoint, { accountId: freshAccount(), region: "us-east-1" }));
      const ami = await ubuntu(ec2);
      const id = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(prober("stop")) }))).Instances![0].InstanceId!;
      await waitState(ec2, id, "running");
      expect(await nextProbes(ec2, id)).toEqual([true, true, true]);
      expect(routeOutProcesses()).toHaveLength(1);
      stopped = true;
      await m.stop();
      expect(leftovers(id)).toEqual([]);
      expect(routeOutProcesses()).toEqual([]);
    } finally {
      if (!stopped) await m.stop();
    }
  });
});
