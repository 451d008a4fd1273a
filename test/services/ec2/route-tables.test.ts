// Route tables, internet gateways and network ACLs through @aws-sdk/client-ec2.
import {
  AssociateRouteTableCommand, AttachInternetGatewayCommand, CreateInternetGatewayCommand, CreateNetworkAclCommand, CreateNetworkAclEntryCommand,
  CreateRouteCommand, CreateRouteTableCommand, CreateSubnetCommand, CreateVpcCommand, DeleteInternetGatewayCommand, DeleteNetworkAclCommand,
  DeleteRouteCommand, DeleteRouteTableCommand, DeleteSubnetCommand, DescribeInternetGatewaysCommand, DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand, DetachInternetGatewayCommand, DisassociateRouteTableCommand, EC2Client, ReplaceNetworkAclAssociationCommand,
  ReplaceRouteCommand, ReplaceRouteTableAssociationCommand,
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

describe("route tables and internet gateways", () => {
  it("routes a subnet to an attached gateway; blackholes it when detached; guards deletes", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.1.0/24" }))).Subnet!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: [{ ResourceType: "internet-gateway", Tags: [{ Key: "Name", Value: "gw" }] }] }))).InternetGateway!;
    expect(igw.InternetGatewayId).toMatch(/^igw-[0-9a-f]{17}$/);
    expect(igw.Attachments).toEqual([]);
    const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc.VpcId }))).RouteTable!;
    expect(rt.Routes).toEqual([{ DestinationCidrBlock: "10.0.0.0/16", GatewayId: "local", State: "active", Origin: "CreateRouteTable" }]);

    const unattached = await fail(ec2.send(new CreateRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGatewayId })));
    expect([unattached.name, unattached.message]).toEqual(["InvalidParameterValue", `route table ${rt.RouteTableId} and network gateway ${igw.InternetGatewayId} belong to different networks`]);
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId }));
    const twice = await fail(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId })));
    expect([twice.name, twice.message]).toEqual(["Resource.AlreadyAssociated", `resource ${igw.InternetGatewayId} is already attached to network ${vpc.VpcId}`]);
    expect((await ec2.send(new CreateRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGatewayId }))).Return).toBe(true);
    const dupRoute = await fail(ec2.send(new CreateRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGatewayId })));
    expect([dupRoute.name, dupRoute.message]).toEqual(["RouteAlreadyExists", "The route identified by 0.0.0.0/0 already exists."]);

    const assoc = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt.RouteTableId, SubnetId: subnet.SubnetId }));
    expect(assoc.AssociationId).toMatch(/^rtbassoc-[0-9a-f]{17}$/);
    expect(assoc.AssociationState).toEqual({ State: "associated" });
    const again = await fail(ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt.RouteTableId, SubnetId: subnet.SubnetId })));
    expect(again.name).toBe("Resource.AlreadyAssociated");

    const bySubnet = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "association.subnet-id", Values: [subnet.SubnetId!] }] }))).RouteTables!;
    expect(bySubnet.map((r) => r.RouteTableId)).toEqual([rt.RouteTableId]);
    expect(bySubnet[0].Routes![1]).toEqual({ DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGatewayId, State: "active", Origin: "CreateRoute" });
    const byGw = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "route.gateway-id", Values: [igw.InternetGatewayId!] }] }))).RouteTables!;
    expect(byGw.map((r) => r.RouteTableId)).toEqual([rt.RouteTableId]);

    const busyRt = await fail(ec2.send(new DeleteRouteTableCommand({ RouteTableId: rt.RouteTableId })));
    expect([busyRt.name, busyRt.message]).toEqual(["DependencyViolation", `The routeTable '${rt.RouteTableId}' has dependencies and cannot be deleted.`]);
    const busyGw = await fail(ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId })));
    expect(busyGw.name).toBe("DependencyViolation");
    const local = await fail(ec2.send(new DeleteRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "10.0.0.0/16" })));
    expect([local.name, local.message]).toEqual(["InvalidParameterValue", `cannot remove local route 10.0.0.0/16 in route table ${rt.RouteTableId}`]);
    const noRoute = await fail(ec2.send(new DeleteRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "192.168.0.0/16" })));
    expect([noRoute.name, noRoute.message]).toEqual(["InvalidRoute.NotFound", `no route with destination-cidr-block 192.168.0.0/16 in route table ${rt.RouteTableId}`]);

    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId }));
    const detached = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt.RouteTableId!] }))).RouteTables![0];
    expect(detached.Routes![1].State).toBe("blackhole");
    const notAttached = await fail(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId })));
    expect([notAttached.name, notAttached.message]).toEqual(["Gateway.NotAttached", `resource ${igw.InternetGatewayId} is not attached to network ${vpc.VpcId}`]);
    const tagged = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: "tag:Name", Values: ["gw"] }] }))).InternetGateways!;
    expect(tagged.map((g) => [g.InternetGatewayId, g.Attachments])).toEqual([[igw.InternetGatewayId, []]]);
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId }));

    // The main association moves with ReplaceRouteTableAssociation and cannot be disassociated.
    const main = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }, { Name: "association.main", Values: ["true"] }] }))).RouteTables![0];
    const mainAssoc = main.Associations!.find((a) => a.Main)!.RouteTableAssociationId!;
    const cannot = await fail(ec2.send(new DisassociateRouteTableCommand({ AssociationId: mainAssoc })));
    expect(cannot.name).toBe("InvalidParameterValue");
    const moved = await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: rt.RouteTableId }));
    const nowMain = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "association.main", Values: ["true"] }, { Name: "vpc-id", Values: [vpc.VpcId!] }] }))).RouteTables!;
    expect(nowMain.map((r) => r.RouteTableId)).toEqual([rt.RouteTableId]);
    expect(nowMain[0].Associations!.find((a) => a.Main)!.RouteTableAssociationId).toBe(moved.NewAssociationId);
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: main.RouteTableId }));

    const badTarget = await fail(ec2.send(new ReplaceRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: "vpce-0123456789abcdef0" })));
    expect(badTarget.name).toBe("InvalidVpcEndpointId.NotFound");
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId }));
    const gone = await fail(ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId })));
    expect([gone.name, gone.message]).toEqual(["InvalidAssociationID.NotFound", `The association ID '${assoc.AssociationId}' does not exist`]);
    await ec2.send(new DeleteRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0" }));
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt.RouteTableId!] }))).RouteTables![0].Routes).toHaveLength(1);
  });
});

describe("network ACLs", () => {
  it("gives each subnet the default ACL; custom ACLs take entries and associations", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.2.0.0/16" }))).Vpc!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.2.0.0/24" }))).Subnet!;
    const def = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }, { Name: "default", Values: ["true"] }] }))).NetworkAcls!;
    expect(def).toHaveLength(1);
    expect(def[0].Associations!.map((a) => a.SubnetId)).toEqual([subnet.SubnetId]);
    expect(def[0].Entries!.map((e) => [e.Egress, e.RuleNumber, e.RuleAction])).toEqual([[false, 100, "allow"], [false, 32767, "deny"], [true, 100, "allow"], [true, 32767, "deny"]]);

    const acl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpc.VpcId }))).NetworkAcl!;
    expect(acl.NetworkAclId).toMatch(/^acl-[0-9a-f]{17}$/);
    expect(acl.IsDefault).toBe(false);
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl.NetworkAclId, RuleNumber: 110, Protocol: "6", RuleAction: "allow", Egress: false, CidrBlock: "0.0.0.0/0", PortRange: { From: 443, To: 443 } }));
    const dup = await fail(ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl.NetworkAclId, RuleNumber: 110, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "0.0.0.0/0" })));
    expect(dup.name).toBe("NetworkAclEntryAlreadyExists");
    const moved = await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: def[0].Associations![0].NetworkAclAssociationId, NetworkAclId: acl.NetworkAclId }));
    expect(moved.NewAssociationId).toMatch(/^aclassoc-/);
    const busy = await fail(ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl.NetworkAclId })));
    expect(busy.name).toBe("DependencyViolation");
    const mine = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "association.subnet-id", Values: [subnet.SubnetId!] }] }))).NetworkAcls!;
    expect(mine.map((a) => a.NetworkAclId)).toEqual([acl.NetworkAclId]);
    expect(mine[0].Entries!.find((e) => e.RuleNumber === 110)).toEqual({ RuleNumber: 110, Protocol: "6", RuleAction: "allow", Egress: false, CidrBlock: "0.0.0.0/0", PortRange: { From: 443, To: 443 } });
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId }));
    await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl.NetworkAclId }));
    const gone = await fail(ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl.NetworkAclId!] })));
    expect(gone.name).toBe("InvalidNetworkAclID.NotFound");
  });
});
