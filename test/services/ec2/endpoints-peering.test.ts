// VPC endpoints and VPC peering through @aws-sdk/client-ec2, including peering across accounts.
import {
  AcceptVpcPeeringConnectionCommand, CreateRouteCommand, CreateRouteTableCommand, CreateSubnetCommand, CreateVpcCommand, CreateVpcEndpointCommand,
  CreateVpcPeeringConnectionCommand, DeleteVpcCommand, DeleteVpcEndpointsCommand, DeleteVpcPeeringConnectionCommand, DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand, DescribeVpcEndpointServicesCommand, DescribeVpcEndpointsCommand, DescribeVpcPeeringConnectionsCommand, EC2Client,
  ModifyVpcEndpointCommand, RejectVpcPeeringConnectionCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const client = (accountId = freshAccount(), region = "us-east-1") => new EC2Client(sdkConfig(n.endpoint, { accountId, region }));

describe("VPC endpoints", () => {
  it("a gateway endpoint routes its route tables to the service's prefix list", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc.VpcId }))).RouteTable!;
    const rt2 = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc.VpcId }))).RouteTable!;
    const ep = (await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpc.VpcId, ServiceName: "com.amazonaws.us-east-1.s3", RouteTableIds: [rt.RouteTableId!], TagSpecifications: [{ ResourceType: "vpc-endpoint", Tags: [{ Key: "Name", Value: "s3" }] }] }))).VpcEndpoint!;
    expect(ep.VpcEndpointId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(ep).toMatchObject({ VpcEndpointType: "Gateway", State: "available", ServiceName: "com.amazonaws.us-east-1.s3", RouteTableIds: [rt.RouteTableId], Tags: [{ Key: "Name", Value: "s3" }] });
    expect(JSON.parse(ep.PolicyDocument!).Statement[0]).toEqual({ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" });
    const routes = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt.RouteTableId!] }))).RouteTables![0].Routes!;
    expect(routes[1]).toMatchObject({ GatewayId: ep.VpcEndpointId, State: "active" });
    expect(routes[1].DestinationPrefixListId).toMatch(/^pl-[0-9a-f]{8}$/);

    await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: ep.VpcEndpointId, AddRouteTableIds: [rt2.RouteTableId!], RemoveRouteTableIds: [rt.RouteTableId!] }));
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt.RouteTableId!] }))).RouteTables![0].Routes).toHaveLength(1);
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt2.RouteTableId!] }))).RouteTables![0].Routes![1].GatewayId).toBe(ep.VpcEndpointId);
    const described = (await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: "vpc-endpoint-type", Values: ["Gateway"] }, { Name: "vpc-id", Values: [vpc.VpcId!] }] }))).VpcEndpoints!;
    expect(described.map((e) => [e.VpcEndpointId, e.RouteTableIds])).toEqual([[ep.VpcEndpointId, [rt2.RouteTableId]]]);

    const bad = await fail(ec2.send(new CreateVpcEndpointCommand({ VpcId: vpc.VpcId, ServiceName: "com.amazonaws.us-east-1.sqs" })));
    expect([bad.name, bad.message]).toEqual(["InvalidServiceName", "The Vpc Endpoint Service 'com.amazonaws.us-east-1.sqs' does not exist"]);
    const busy = await fail(ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })));
    expect(busy.name).toBe("DependencyViolation");

    const del = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!, "vpce-0123456789abcdef0"] }));
    expect(del.Unsuccessful).toEqual([{ ResourceId: "vpce-0123456789abcdef0", Error: { Code: "InvalidVpcEndpointId.NotFound", Message: "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist" } }]);
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt2.RouteTableId!] }))).RouteTables![0].Routes).toHaveLength(1);
  });

  it("an interface endpoint takes an interface in each subnet; services are listed", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }))).Vpc!;
    const a = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.1.0.0/24", AvailabilityZone: "us-east-1a" }))).Subnet!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.1.1.0/24", AvailabilityZone: "us-east-1b" }))).Subnet!;
    const ep = (await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpc.VpcId, VpcEndpointType: "Interface", ServiceName: "com.amazonaws.us-east-1.sqs", SubnetIds: [a.SubnetId!, b.SubnetId!] }))).VpcEndpoint!;
    expect(ep.NetworkInterfaceIds).toHaveLength(2);
    expect(ep.PrivateDnsEnabled).toBe(true);
    expect(ep.DnsEntries![0].DnsName).toMatch(new RegExp(`^${ep.VpcEndpointId}-[0-9a-f]{8}\\.sqs\\.us-east-1\\.vpce\\.amazonaws\\.com$`));
    const enis = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ep.NetworkInterfaceIds }))).NetworkInterfaces!;
    expect(enis.map((e) => e.SubnetId).sort()).toEqual([a.SubnetId, b.SubnetId].sort());
    expect(enis.every((e) => e.RequesterManaged && e.Groups![0].GroupName === "default")).toBe(true);
    await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!] }));
    expect((await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).NetworkInterfaces).toEqual([]);

    const services = await ec2.send(new DescribeVpcEndpointServicesCommand({ Filters: [{ Name: "service-type", Values: ["Gateway"] }] }));
    expect(services.ServiceNames).toEqual(["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]);
  });
});

describe("VPC peering", () => {
  it("same account: request, accept, route, delete; overlapping CIDRs fail", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const a = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.10.0.0/16" }))).Vpc!;
    const b = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }))).Vpc!;
    const made = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a.VpcId, PeerVpcId: b.VpcId, TagSpecifications: [{ ResourceType: "vpc-peering-connection", Tags: [{ Key: "Name", Value: "a-b" }] }] }))).VpcPeeringConnection!;
    expect(made.VpcPeeringConnectionId).toMatch(/^pcx-[0-9a-f]{17}$/);
    expect(made.Status).toEqual({ Code: "initiating-request", Message: `Initiating Request to ${account}` });
    expect(made.RequesterVpcInfo).toMatchObject({ VpcId: a.VpcId, CidrBlock: "10.10.0.0/16", OwnerId: account, Region: "us-east-1" });
    const pending = (await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [made.VpcPeeringConnectionId!] }))).VpcPeeringConnections![0];
    expect(pending.Status).toEqual({ Code: "pending-acceptance", Message: `Pending Acceptance by ${account}` });
    expect(pending.ExpirationTime).toBeInstanceOf(Date);

    const accepted = (await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: made.VpcPeeringConnectionId }))).VpcPeeringConnection!;
    expect(accepted.Status).toEqual({ Code: "active", Message: "Active" });
    expect(accepted.AccepterVpcInfo).toMatchObject({ VpcId: b.VpcId, CidrBlock: "10.20.0.0/16" });
    const again = await fail(ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: made.VpcPeeringConnectionId })));
    expect(again.name).toBe("InvalidStateTransition");
    const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: a.VpcId }))).RouteTable!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "10.20.0.0/16", VpcPeeringConnectionId: made.VpcPeeringConnectionId }));
    const active = (await ec2.send(new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: "status-code", Values: ["active"] }, { Name: "tag:Name", Values: ["a-b"] }] }))).VpcPeeringConnections!;
    expect(active.map((p) => p.VpcPeeringConnectionId)).toEqual([made.VpcPeeringConnectionId]);
    expect((await fail(ec2.send(new DeleteVpcCommand({ VpcId: b.VpcId })))).name).toBe("DependencyViolation");

    expect((await ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: made.VpcPeeringConnectionId }))).Return).toBe(true);
    const deleted = (await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [made.VpcPeeringConnectionId!] }))).VpcPeeringConnections![0];
    expect(deleted.Status).toEqual({ Code: "deleted", Message: `Deleted by ${account}` });
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt.RouteTableId!] }))).RouteTables![0].Routes![1].State).toBe("blackhole");

    const c = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.10.128.0/17" }))).Vpc!;
    const overlap = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a.VpcId, PeerVpcId: c.VpcId }))).VpcPeeringConnection!;
    const failed = (await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [overlap.VpcPeeringConnectionId!] }))).VpcPeeringConnections![0];
    expect(failed.Status).toEqual({ Code: "failed", Message: "Overlapping CIDR range" });
    const missing = await fail(ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a.VpcId, PeerVpcId: "vpc-0123456789abcdef0" })));
    expect(missing.name).toBe("InvalidVpcID.NotFound");
  });

  it("across accounts and regions: only the accepter accepts or rejects; both sides see it", async () => {
    const owner = freshAccount();
    const peer = freshAccount();
    const mine = client(owner, "us-east-1");
    const theirs = client(peer, "eu-west-1");
    const a = (await mine.send(new CreateVpcCommand({ CidrBlock: "10.30.0.0/16" }))).Vpc!;
    const b = (await theirs.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }))).Vpc!;
    const pcx = (await mine.send(new CreateVpcPeeringConnectionCommand({ VpcId: a.VpcId, PeerVpcId: b.VpcId, PeerOwnerId: peer, PeerRegion: "eu-west-1" }))).VpcPeeringConnection!;
    const seen = (await theirs.send(new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: "requester-vpc-info.owner-id", Values: [owner] }] }))).VpcPeeringConnections!;
    expect(seen.map((p) => [p.VpcPeeringConnectionId, p.Status?.Code, p.AccepterVpcInfo?.Region])).toEqual([[pcx.VpcPeeringConnectionId, "pending-acceptance", "eu-west-1"]]);
    const notMine = await fail(mine.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx.VpcPeeringConnectionId })));
    expect(notMine.name).toBe("OperationNotPermitted");
    expect((await theirs.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx.VpcPeeringConnectionId }))).Return).toBe(true);
    const back = (await mine.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [pcx.VpcPeeringConnectionId!] }))).VpcPeeringConnections![0];
    expect(back.Status).toEqual({ Code: "rejected", Message: `Rejected by ${peer}` });
  });
});
