// The VPC family through @aws-sdk/client-ec2: the default VPC, VPCs and subnets, filters,
// pagination, tags and DryRun.
import {
  CreateDefaultSubnetCommand, CreateDefaultVpcCommand, DescribeDhcpOptionsCommand, CreateSubnetCommand, CreateTagsCommand, CreateVpcCommand, DeleteSubnetCommand, DeleteTagsCommand, DeleteVpcCommand,
  DescribeInternetGatewaysCommand, DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeTagsCommand,
  DescribeVpcAttributeCommand, DescribeVpcsCommand, EC2Client, ModifySubnetAttributeCommand, ModifyVpcAttributeCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const client = (region = "us-east-1", accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region }));

describe("default VPC", () => {
  it("exists in every region with a /20 subnet per zone, an attached gateway and a default group", async () => {
    const account = freshAccount();
    const ec2 = client("us-east-1", account);
    const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs!;
    expect(vpcs).toHaveLength(1);
    const vpc = vpcs[0];
    expect(vpc.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc).toMatchObject({ CidrBlock: "172.31.0.0/16", IsDefault: true, State: "available", OwnerId: account, InstanceTenancy: "default" });
    expect(vpc.DhcpOptionsId).toMatch(/^dopt-[0-9a-f]{17}$/);
    expect(vpc.CidrBlockAssociationSet![0]).toMatchObject({ CidrBlock: "172.31.0.0/16", CidrBlockState: { State: "associated" } });

    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!;
    const byZone = subnets.map((s) => [s.AvailabilityZone, s.CidrBlock, s.DefaultForAz, s.MapPublicIpOnLaunch, s.AvailableIpAddressCount]).sort();
    expect(byZone).toEqual([
      ["us-east-1a", "172.31.0.0/20", true, true, 4091],
      ["us-east-1b", "172.31.16.0/20", true, true, 4091],
      ["us-east-1c", "172.31.32.0/20", true, true, 4091],
      ["us-east-1d", "172.31.48.0/20", true, true, 4091],
      ["us-east-1e", "172.31.64.0/20", true, true, 4091],
      ["us-east-1f", "172.31.80.0/20", true, true, 4091],
    ]);
    expect(subnets[0].SubnetArn).toBe(`arn:aws:ec2:us-east-1:${account}:subnet/${subnets[0].SubnetId}`);
    expect(subnets.find((s) => s.AvailabilityZone === "us-east-1b")!.AvailabilityZoneId).toBe("use1-az2");

    const igws = (await ec2.send(new DescribeInternetGatewaysCommand({}))).InternetGateways!;
    expect(igws).toHaveLength(1);
    expect(igws[0].Attachments).toEqual([{ VpcId: vpc.VpcId, State: "available" }]);

    const rts = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables!;
    expect(rts).toHaveLength(1);
    expect(rts[0].Associations![0].Main).toBe(true);
    expect(rts[0].Routes).toEqual([
      { DestinationCidrBlock: "172.31.0.0/16", GatewayId: "local", State: "active", Origin: "CreateRouteTable" },
      { DestinationCidrBlock: "0.0.0.0/0", GatewayId: igws[0].InternetGatewayId, State: "active", Origin: "CreateRoute" },
    ]);

    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!;
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ GroupName: "default", Description: "default VPC security group", VpcId: vpc.VpcId });
    expect(groups[0].IpPermissionsEgress).toEqual([{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    expect(groups[0].IpPermissions![0].UserIdGroupPairs).toEqual([{ GroupId: groups[0].GroupId, UserId: account }]);

    // Another region has its own default VPC; the same account sees the same one again.
    const west = client("eu-west-1", account);
    const westVpcs = (await west.send(new DescribeVpcsCommand({}))).Vpcs!;
    expect(westVpcs).toHaveLength(1);
    expect(westVpcs[0].VpcId).not.toBe(vpc.VpcId);
    expect((await west.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => s.AvailabilityZone).sort()).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId).toBe(vpc.VpcId);
  });

  it("can be deleted once emptied and made again with CreateDefaultVpc", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0];
    const busy = await fail(ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })));
    expect(busy.name).toBe("DependencyViolation");
    expect(busy.message).toBe(`The vpc '${vpc.VpcId}' has dependencies and cannot be deleted.`);
    const again = await fail(ec2.send(new CreateDefaultVpcCommand({})));
    expect(again.name).toBe("DefaultVpcAlreadyExists");

    // A deleted default subnet comes back with CreateDefaultSubnet, on its zone's /20.
    const b = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "availability-zone", Values: ["us-east-1b"] }] }))).Subnets![0];
    const exists = await fail(ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: "us-east-1b" })));
    expect(exists.name).toBe("DefaultSubnetAlreadyExistsInAvailabilityZone");
    await ec2.send(new DeleteSubnetCommand({ SubnetId: b.SubnetId }));
    const made = (await ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: "us-east-1b" }))).Subnet!;
    expect(made).toMatchObject({ CidrBlock: "172.31.16.0/20", DefaultForAz: true, MapPublicIpOnLaunch: true, VpcId: vpc.VpcId });
    expect(made.SubnetId).not.toBe(b.SubnetId);

    const dhcp = (await ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [vpc.DhcpOptionsId!] }))).DhcpOptions!;
    expect(dhcp[0].DhcpConfigurations).toEqual([
      { Key: "domain-name", Values: [{ Value: "ec2.internal" }] },
      { Key: "domain-name-servers", Values: [{ Value: "AmazonProvidedDNS" }] },
    ]);
  });
});

describe("VPCs", () => {
  it("creates a VPC with its main route table, default ACL and default group, tagged on create", async () => {
    const ec2 = client();
    const out = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.2.3/16", TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "main" }] }] }));
    const vpc = out.Vpc!;
    expect(vpc).toMatchObject({ CidrBlock: "10.1.0.0/16", IsDefault: false, State: "available", Tags: [{ Key: "Name", Value: "main" }] });
    const rts = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }, { Name: "association.main", Values: ["true"] }] }))).RouteTables!;
    expect(rts).toHaveLength(1);
    expect(rts[0].Routes).toEqual([{ DestinationCidrBlock: "10.1.0.0/16", GatewayId: "local", State: "active", Origin: "CreateRouteTable" }]);
    const sgs = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).SecurityGroups!;
    expect(sgs.map((g) => g.GroupName)).toEqual(["default"]);

    const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId, Attribute: "enableDnsHostnames" }));
    expect(dns.EnableDnsHostnames).toEqual({ Value: false });
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc.VpcId, EnableDnsHostnames: { Value: true } }));
    expect((await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId, Attribute: "enableDnsHostnames" }))).EnableDnsHostnames).toEqual({ Value: true });
    expect((await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId, Attribute: "enableDnsSupport" }))).EnableDnsSupport).toEqual({ Value: true });
    const both = await fail(ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc.VpcId, EnableDnsHostnames: { Value: true }, EnableDnsSupport: { Value: true } })));
    expect(both.name).toBe("InvalidParameterCombination");

    const named = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag:Name", Values: ["ma*"] }] }))).Vpcs!;
    expect(named.map((v) => v.VpcId)).toEqual([vpc.VpcId]);
    const keyed = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag-key", Values: ["Name"] }, { Name: "is-default", Values: ["false"] }] }))).Vpcs!;
    expect(keyed.map((v) => v.VpcId)).toEqual([vpc.VpcId]);

    await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId }));
    const gone = await fail(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId!] })));
    expect(gone.name).toBe("InvalidVpcID.NotFound");
    expect(gone.message).toBe(`The vpc ID '${vpc.VpcId}' does not exist`);
    expect((await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).RouteTables).toEqual([]);
  });

  it("refuses bad CIDRs, bad ids, unknown filters and answers DryRun", async () => {
    const ec2 = client();
    const big = await fail(ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/8" })));
    expect([big.name, big.message]).toEqual(["InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid."]);
    const junk = await fail(ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0/16" })));
    expect([junk.name, junk.message]).toEqual(["InvalidParameterValue", "Value (10.0.0/16) for parameter cidrBlock is invalid. This is not a valid CIDR block."]);
    const bad = await fail(ec2.send(new DescribeVpcsCommand({ VpcIds: ["vpc-xyz"] })));
    expect([bad.name, bad.message]).toEqual(["InvalidVpcID.Malformed", 'Invalid id: "vpc-xyz"']);
    const filter = await fail(ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "colour", Values: ["red"] }] })));
    expect([filter.name, filter.message]).toEqual(["InvalidParameterValue", "The filter 'colour' is invalid"]);
    const dry = await fail(ec2.send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16", DryRun: true })));
    expect([dry.name, dry.message, dry.$metadata.httpStatusCode]).toEqual(["DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412]);
    const tagType = await fail(ec2.send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16", TagSpecifications: [{ ResourceType: "subnet", Tags: [{ Key: "a", Value: "b" }] }] })));
    expect([tagType.name, tagType.message]).toEqual(["InvalidParameterValue", "'subnet' is not a valid taggable resource type for this operation."]);
    expect((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "cidr", Values: ["10.9.0.0/16"] }] }))).Vpcs).toEqual([]);
    // The default VPC and four more: AWS's quota of five per region.
    for (let i = 0; i < 4; i++) await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${20 + i}.0.0/16` }));
    const limit = await fail(ec2.send(new CreateVpcCommand({ CidrBlock: "10.30.0.0/16" })));
    expect([limit.name, limit.message]).toEqual(["VpcLimitExceeded", "The maximum number of VPCs has been reached."]);
  });

  it("pages with MaxResults and NextToken", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: `10.0.${i}.0/24` }))).Subnet!.SubnetId!);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }], MaxResults: 5, NextToken: token }));
      seen.push(...out.Subnets!.map((s) => s.SubnetId!));
      token = out.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(made.sort());
    const small = await fail(ec2.send(new DescribeSubnetsCommand({ MaxResults: 2 })));
    expect([small.name, small.message]).toEqual(["InvalidParameterValue", "Value ( 2 ) for parameter maxResults is invalid. Parameter may be between 5 and 1000."]);
  });
});

describe("subnets", () => {
  it("checks CIDRs against the VPC and its other subnets", async () => {
    const ec2 = client("us-west-2");
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const sub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.1.0/24", AvailabilityZone: "us-west-2b", TagSpecifications: [{ ResourceType: "subnet", Tags: [{ Key: "Name", Value: "app" }] }] }))).Subnet!;
    expect(sub).toMatchObject({ CidrBlock: "10.0.1.0/24", AvailabilityZone: "us-west-2b", AvailabilityZoneId: "usw2-az2", AvailableIpAddressCount: 251, DefaultForAz: false, MapPublicIpOnLaunch: false, VpcId: vpc.VpcId, State: "available" });
    expect(sub.SubnetId).toMatch(/^subnet-[0-9a-f]{17}$/);
    const outside = await fail(ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.1.0.0/24" })));
    expect([outside.name, outside.message]).toEqual(["InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid."]);
    const tiny = await fail(ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.9.0/29" })));
    expect(tiny.name).toBe("InvalidSubnet.Range");
    const clash = await fail(ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.1.128/25" })));
    expect([clash.name, clash.message]).toEqual(["InvalidSubnet.Conflict", "The CIDR '10.0.1.128/25' conflicts with another subnet"]);
    const zone = await fail(ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.2.0/24", AvailabilityZone: "us-west-2z" })));
    expect(zone.name).toBe("InvalidParameterValue");
    expect(zone.message).toContain("us-west-2a, us-west-2b, us-west-2c, us-west-2d");
    const novpc = await fail(ec2.send(new CreateSubnetCommand({ VpcId: "vpc-0123456789abcdef0", CidrBlock: "10.0.2.0/24" })));
    expect([novpc.name, novpc.message]).toEqual(["InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist"]);

    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: sub.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
    const byFilter = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "map-public-ip-on-launch", Values: ["true"] }, { Name: "vpc-id", Values: [vpc.VpcId!] }] }));
    expect(byFilter.Subnets!.map((s) => [s.SubnetId, s.MapPublicIpOnLaunch])).toEqual([[sub.SubnetId, true]]);
    const byName = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "tag:Name", Values: ["app"] }] }));
    expect(byName.Subnets!.map((s) => s.SubnetId)).toEqual([sub.SubnetId]);

    const busy = await fail(ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })));
    expect(busy.name).toBe("DependencyViolation");
    await ec2.send(new DeleteSubnetCommand({ SubnetId: sub.SubnetId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId }));
    const gone = await fail(ec2.send(new DescribeSubnetsCommand({ SubnetIds: [sub.SubnetId!] })));
    expect([gone.name, gone.message]).toEqual(["InvalidSubnetID.NotFound", `The subnet ID '${sub.SubnetId}' does not exist`]);
  });
});

describe("tags", () => {
  it("CreateTags, DeleteTags and DescribeTags across resource types", async () => {
    const ec2 = client();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.5.0.0/16" }))).Vpc!;
    const sub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.5.0.0/24" }))).Subnet!;
    await ec2.send(new CreateTagsCommand({ Resources: [vpc.VpcId!, sub.SubnetId!], Tags: [{ Key: "env", Value: "dev" }, { Key: "team", Value: "a" }] }));
    const tags = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["env"] }] }))).Tags!;
    expect(tags.map((t) => [t.ResourceType, t.ResourceId, t.Key, t.Value]).sort()).toEqual(
      [["subnet", sub.SubnetId, "env", "dev"], ["vpc", vpc.VpcId, "env", "dev"]].sort(),
    );
    await ec2.send(new DeleteTagsCommand({ Resources: [vpc.VpcId!], Tags: [{ Key: "env", Value: "prod" }, { Key: "team" }] }));
    const after = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId!] }))).Vpcs![0];
    expect(after.Tags).toEqual([{ Key: "env", Value: "dev" }]);
    const reserved = await fail(ec2.send(new CreateTagsCommand({ Resources: [vpc.VpcId!], Tags: [{ Key: "aws:x", Value: "1" }] })));
    expect(reserved.name).toBe("InvalidParameterValue");
    const missing = await fail(ec2.send(new CreateTagsCommand({ Resources: ["subnet-0123456789abcdef0"], Tags: [{ Key: "a", Value: "1" }] })));
    expect(missing.name).toBe("InvalidSubnetID.NotFound");
    const res = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-type", Values: ["subnet"] }] }))).Tags!;
    expect(res.map((t) => t.Key).sort()).toEqual(["env", "team"]);
  });
});
