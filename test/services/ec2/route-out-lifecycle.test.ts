// A VPC's hub and route out through the service (namespace driver as root, nftables and
// slirp4netns): a boot that fails after the VPC's firewall and route out were set up for it
// leaves neither the hub nor slirp4netns behind; and slirp's own network, chosen when the route
// out starts, is chosen again when a route of the VPC comes to name a destination inside it
// (packets to that destination would otherwise go to slirp's virtual network, not out).
import {
  CreateImageCommand, CreateRouteCommand, DescribeImagesCommand, DescribeInternetGatewaysCommand, DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client,
  RunInstancesCommand, TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { canRouteOut, hostAddress, consoleText, describeOne, hubAgents, leftovers, routeOutCidrs, routeOutProcesses, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const host = hostAddress();
const skip = canRouteOut();

let n: TestNimbus;
let web: Server;
let port = 0;
beforeAll(async () => {
  if (skip) return;
  n = await startNimbus();
  web = createServer((_req, res) => res.end("ok\n"));
  await new Promise<void>((r) => web.listen(0, host, r));
  port = (web.address() as AddressInfo).port;
});
afterAll(async () => {
  if (n) await n.stop();
  web?.close();
});

const client = () => new EC2Client(sdkConfig(n.endpoint, { accountId: freshAccount(), region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

function toInt(ip: string): number {
  return ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
}
function overlaps(a: string, b: string): boolean {
  const [ia, pa] = a.split("/");
  const [ib, pb] = b.split("/");
  const p = Math.min(Number(pa), Number(pb));
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((toInt(ia) & mask) >>> 0) === ((toInt(ib) & mask) >>> 0);
}

/** User data probing the host's server forever, one console line per probe. */
const PROBER = () => `#!/bin/sh
i=0
while true; do
  i=$((i+1))
  if curl -s -m 1 -o /dev/null "http://${host}:${port}/"; then echo "probe $i ok"; else echo "probe $i fail"; fi
  sleep 0.2
done
`;

/** Whether the next probe started after this call reached the host. */
async function nextProbe(ec2: EC2Client, id: string): Promise<boolean> {
  const numbers = async () => [...(await consoleText(ec2, id)).matchAll(/^probe (\d+) (ok|fail)$/gm)].map((m) => ({ n: Number(m[1]), ok: m[2] === "ok" }));
  const from = ((await numbers()).at(-1)?.n ?? 0) + 2;
  return waitFor(async () => (await numbers()).find((p) => p.n >= from)?.ok, `a probe of ${id}`);
}

describe.skipIf(!!skip)(`a VPC's hub and route out${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 150_000 }, () => {
  it("a boot that fails after the VPC's firewall and route out were set leaves no hub and no slirp4netns", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    // An image cut from an instance of the default VPC (public IP, route to the internet gateway).
    const a = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId!;
    await waitState(ec2, a, "running");
    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: a, Name: "boot-failure", NoReboot: true }));
    await waitFor(async () => ((await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0].State === "available" ? true : undefined), "the image");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a] }));
    await waitState(ec2, a, "terminated");
    await waitFor(() => (routeOutProcesses().length === 0 && hubAgents().length === 0 ? true : undefined), "the VPC's hub to close");
    // The image's disk layer goes missing: the next boot fails copying it, after the VPC's
    // firewall and route out were set up for the instance (step 1 of the boot).
    rmSync(join(n.dataDir, "ec2", "images", ImageId!), { recursive: true, force: true });
    const b = (await ec2.send(new RunInstancesCommand({ ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }))).Instances![0];
    expect(b.PublicIpAddress).toBeTruthy();
    const failed = await waitState(ec2, b.InstanceId!, "terminated");
    expect(failed.StateReason?.Code).toBe("Server.InternalError");
    expect(leftovers(b.InstanceId!)).toEqual([]);
    // Nothing of the VPC's network remains: no hub agent, no route out.
    expect(await waitFor(() => (routeOutProcesses().length || hubAgents().length ? undefined : [...routeOutProcesses(), ...hubAgents()]), "no hub and no slirp4netns left")).toEqual([]);
  });

  it("slirp's network is chosen again when a route of the VPC names a destination inside it; the instance still gets out", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const i = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(PROBER()) }))).Instances![0].InstanceId!;
    await waitState(ec2, i, "running");
    expect(await nextProbe(ec2, i)).toBe(true);
    const [before] = routeOutCidrs();
    expect(before).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    // A route of the VPC's main table naming exactly slirp's network (through the internet gateway).
    const vpc = (await describeOne(ec2, i)).VpcId!;
    const table = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }, { Name: "association.main", Values: ["true"] }] }))).RouteTables![0];
    const igw = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [vpc] }] }))).InternetGateways![0].InternetGatewayId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: table.RouteTableId, DestinationCidrBlock: before, GatewayId: igw }));
    const after = await waitFor(() => {
      const c = routeOutCidrs();
      return c.length === 1 && c[0] !== before ? c[0] : undefined;
    }, "slirp4netns on another network");
    expect(overlaps(after, before)).toBe(false);
    const vpcCidr = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc] }))).Vpcs![0].CidrBlock!;
    expect(overlaps(after, vpcCidr)).toBe(false);
    // The route out works on its new network.
    expect(await nextProbe(ec2, i)).toBe(true);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [i] }));
    await waitState(ec2, i, "terminated");
    expect(await waitFor(() => (routeOutProcesses().length ? undefined : routeOutProcesses()), "no slirp4netns left")).toEqual([]);
  });
});
