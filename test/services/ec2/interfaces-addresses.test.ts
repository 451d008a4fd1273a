// Network interfaces, Elastic IPs and NAT gateways through @aws-sdk/client-ec2: private
// addresses from the subnet's CIDR, AvailableIpAddressCount, association rules.
import {
  AllocateAddressCommand, AssignPrivateIpAddressesCommand, AssociateAddressCommand, AttachInternetGatewayCommand, CreateInternetGatewayCommand,
  CreateNatGatewayCommand, CreateNetworkInterfaceCommand, CreateRouteCommand, CreateRouteTableCommand, CreateSubnetCommand, CreateVpcCommand,
  DeleteNatGatewayCommand, DeleteNetworkInterfaceCommand, DescribeNetworkInterfaceAttributeCommand, DeleteSubnetCommand, DescribeAddressesCommand, DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand, DescribeRouteTablesCommand, DescribeSubnetsCommand, DetachInternetGatewayCommand, DisassociateAddressCommand,
  EC2Client, ModifyNetworkInterfaceAttributeCommand, ReleaseAddressCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));

async function network(ec2: EC2Client) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.1.0/28", AvailabilityZone: "us-east-1a" }))).Subnet!;
  return { vpc, subnet };
}

describe("network interfaces", () => {
  it("take private addresses from the subnet, skipping AWS's reserved ones, until it is full", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const { vpc, subnet } = await network(ec2);
    // A /28 has 16 addresses: .0-.3 and .15 are reserved, so 11 are usable.
    expect(subnet.AvailableIpAddressCount).toBe(11);
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, Description: "app", TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "Name", Value: "app" }] }] }))).NetworkInterface!;
    expect(eni).toMatchObject({
      SubnetId: subnet.SubnetId, VpcId: vpc.VpcId, AvailabilityZone: "us-east-1a", Description: "app", PrivateIpAddress: "10.0.1.4",
      PrivateDnsName: "ip-10-0-1-4.ec2.internal", Status: "available", InterfaceType: "interface", OwnerId: account, SourceDestCheck: true, RequesterManaged: false,
      TagSet: [{ Key: "Name", Value: "app" }],
    });
    expect(eni.NetworkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(eni.MacAddress).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(eni.Groups!.map((g) => g.GroupName)).toEqual(["default"]);

    const fixed = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, PrivateIpAddress: "10.0.1.10" }))).NetworkInterface!;
    expect(fixed.PrivateIpAddress).toBe("10.0.1.10");
    const taken = await fail(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, PrivateIpAddress: "10.0.1.10" })));
    expect(taken.name).toBe("InvalidIPAddress.InUse");
    const reserved = await fail(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, PrivateIpAddress: "10.0.1.2" })));
    expect(reserved.name).toBe("InvalidParameterValue");
    const assigned = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, SecondaryPrivateIpAddressCount: 2 }));
    expect(assigned.AssignedPrivateIpAddresses!.map((a) => a.PrivateIpAddress)).toEqual(["10.0.1.5", "10.0.1.6"]);
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }))).Subnets![0].AvailableIpAddressCount).toBe(7);

    const found = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "addresses.private-ip-address", Values: ["10.0.1.6"] }] }))).NetworkInterfaces!;
    expect(found.map((e) => e.NetworkInterfaceId)).toEqual([eni.NetworkInterfaceId]);
    expect(found[0].PrivateIpAddresses!.map((p) => [p.PrivateIpAddress, p.Primary])).toEqual([["10.0.1.4", true], ["10.0.1.5", false], ["10.0.1.6", false]]);

    for (let i = 0; i < 7; i++) await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId }));
    const full = await fail(ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId })));
    expect([full.name, full.message]).toEqual(["InsufficientFreeAddressesInSubnet", `The specified subnet ${subnet.SubnetId} does not have enough free addresses to satisfy the request.`]);
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }))).Subnets![0].AvailableIpAddressCount).toBe(0);

    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, SourceDestCheck: { Value: false } }));
    expect((await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }))).NetworkInterfaces![0].SourceDestCheck).toBe(false);
    const attr = await ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Attribute: "sourceDestCheck" }));
    expect(attr).toMatchObject({ NetworkInterfaceId: eni.NetworkInterfaceId, SourceDestCheck: { Value: false } });
    const desc = await ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Attribute: "description" }));
    expect(desc.Description).toEqual({ Value: "app" });
    const busy = await fail(ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId })));
    expect([busy.name, busy.message]).toEqual(["DependencyViolation", `The subnet '${subnet.SubnetId}' has dependencies and cannot be deleted.`]);
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }));
    const gone = await fail(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] })));
    expect([gone.name, gone.message]).toEqual(["InvalidNetworkInterfaceID.NotFound", `The networkInterface ID '${eni.NetworkInterfaceId}' does not exist`]);
  });
});

describe("Elastic IPs and NAT gateways", () => {
  it("allocates, associates (through an internet gateway), disassociates and releases", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const { vpc, subnet } = await network(ec2);
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId }))).NetworkInterface!;
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: "vpc", TagSpecifications: [{ ResourceType: "elastic-ip", Tags: [{ Key: "Name", Value: "front" }] }] }));
    expect(eip.AllocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
    expect(eip.PublicIp).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(eip.Domain).toBe("vpc");

    const noGateway = await fail(ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId })));
    expect([noGateway.name, noGateway.message]).toEqual(["Gateway.NotAttached", `Network ${vpc.VpcId} is not attached to any internet gateway`]);
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId }));
    const assoc = await ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId }));
    expect(assoc.AssociationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);

    const addr = (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: "tag:Name", Values: ["front"] }] }))).Addresses!;
    expect(addr).toEqual([{
      AllocationId: eip.AllocationId, PublicIp: eip.PublicIp, Domain: "vpc", PublicIpv4Pool: "amazon", NetworkBorderGroup: "us-east-1", AssociationId: assoc.AssociationId,
      NetworkInterfaceId: eni.NetworkInterfaceId, NetworkInterfaceOwnerId: account, PrivateIpAddress: eni.PrivateIpAddress, Tags: [{ Key: "Name", Value: "front" }],
    }]);
    const withIp = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "association.public-ip", Values: [eip.PublicIp!] }] }))).NetworkInterfaces!;
    expect(withIp[0].Association).toMatchObject({ PublicIp: eip.PublicIp, AllocationId: eip.AllocationId, AssociationId: assoc.AssociationId });

    const inUse = await fail(ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId })));
    expect(inUse.name).toBe("InvalidIPAddress.InUse");
    const detach = await fail(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId })));
    expect(detach.name).toBe("DependencyViolation");
    const twice = await fail(ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId })));
    expect(twice.name).toBe("Resource.AlreadyAssociated");

    await ec2.send(new DisassociateAddressCommand({ AssociationId: assoc.AssociationId }));
    expect((await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }))).NetworkInterfaces![0].Association).toBeUndefined();
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    const released = await fail(ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })));
    expect([released.name, released.message]).toEqual(["InvalidAllocationID.NotFound", `The allocation ID '${eip.AllocationId}' does not exist`]);

    // AWS's quota of five addresses per region.
    for (let i = 0; i < 5; i++) await ec2.send(new AllocateAddressCommand({}));
    const limit = await fail(ec2.send(new AllocateAddressCommand({})));
    expect([limit.name, limit.message]).toEqual(["AddressLimitExceeded", "The maximum number of addresses has been reached."]);
  });

  it("a NAT gateway takes an Elastic IP on a requester-managed interface and routes a private subnet", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.3.0.0/16" }))).Vpc!;
    const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.3.0.0/24" }))).Subnet!;
    const eip = await ec2.send(new AllocateAddressCommand({}));

    // Without an internet gateway the gateway is created and then fails, as on AWS.
    const failed = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub.SubnetId, AllocationId: eip.AllocationId }))).NatGateway!;
    expect(failed).toMatchObject({ State: "failed", FailureCode: "Gateway.NotAttached" });
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId }));

    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub.SubnetId, AllocationId: eip.AllocationId, TagSpecifications: [{ ResourceType: "natgateway", Tags: [{ Key: "Name", Value: "nat" }] }] }))).NatGateway!;
    expect(nat.NatGatewayId).toMatch(/^nat-[0-9a-f]{17}$/);
    expect(nat).toMatchObject({ State: "available", SubnetId: pub.SubnetId, VpcId: vpc.VpcId, ConnectivityType: "public", Tags: [{ Key: "Name", Value: "nat" }] });
    expect(nat.CreateTime).toBeInstanceOf(Date);
    expect(nat.NatGatewayAddresses![0]).toMatchObject({ AllocationId: eip.AllocationId, PublicIp: eip.PublicIp, PrivateIp: "10.3.0.4", IsPrimary: true });
    const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [nat.NatGatewayAddresses![0].NetworkInterfaceId!] }))).NetworkInterfaces![0];
    expect(eni).toMatchObject({ RequesterManaged: true, Description: `Interface for NAT Gateway ${nat.NatGatewayId}`, Status: "in-use" });
    const managed = await fail(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId })));
    expect(managed.name).toBe("OperationNotPermitted");
    const reuse = await fail(ec2.send(new CreateNatGatewayCommand({ SubnetId: pub.SubnetId, AllocationId: eip.AllocationId })));
    expect(reuse.name).toBe("Resource.AlreadyAssociated");

    const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc.VpcId }))).RouteTable!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: nat.NatGatewayId }));
    const byNat = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "route.nat-gateway-id", Values: [nat.NatGatewayId!] }] }))).RouteTables!;
    expect(byNat.map((r) => r.RouteTableId)).toEqual([rt.RouteTableId]);
    expect(byNat[0].Routes![1]).toMatchObject({ NatGatewayId: nat.NatGatewayId, State: "active" });

    const listed = (await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: "state", Values: ["available"] }] }))).NatGateways!;
    expect(listed.map((g) => g.NatGatewayId)).toEqual([nat.NatGatewayId]);
    expect((await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGatewayId }))).NatGatewayId).toBe(nat.NatGatewayId);
    const deleted = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat.NatGatewayId!] }))).NatGateways![0];
    expect(deleted.State).toBe("deleted");
    expect(deleted.DeleteTime).toBeInstanceOf(Date);
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt.RouteTableId!] }))).RouteTables![0].Routes![1].State).toBe("blackhole");
    // The address is free again once the gateway is gone.
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
  });
});
