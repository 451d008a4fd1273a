// The VPC family through the clients users run: the aws CLI (awscli 2.9) and boto3 (1.26),
// both on the EC2 query protocol, boto3 also through resource('ec2'). Values are asserted,
// since a response in the wrong envelope parses as empty output with exit code 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients } from "./support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);
const aws = async (account: string, ...args: string[]) => ok(await clients.aws(account, ...args));
const awsFails = async (account: string, ...args: string[]) => failed(await clients.aws(account, ...args));
const python = async (account: string, script: string, ...args: string[]) => ok(await clients.python(account, script, ...args));

describe.skipIf(!AWS)("aws CLI", () => {
  it("ec2 create-vpc, create-subnet, security group rules, key pairs and their errors", async () => {
    const account = freshAccount();
    const defaults = await aws(account, "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true");
    expect(defaults.Vpcs.map((v: Record<string, unknown>) => [v.CidrBlock, v.IsDefault])).toEqual([["172.31.0.0/16", true]]);

    const vpc = (await aws(account, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]")).Vpc;
    expect(vpc.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc.Tags).toEqual([{ Key: "Name", Value: "cli" }]);
    const subnet = (await aws(account, "ec2", "create-subnet", "--vpc-id", vpc.VpcId, "--cidr-block", "10.0.1.0/24", "--availability-zone", "us-east-1c")).Subnet;
    expect([subnet.CidrBlock, subnet.AvailabilityZone, subnet.AvailableIpAddressCount]).toEqual(["10.0.1.0/24", "us-east-1c", 251]);
    await aws(account, "ec2", "modify-subnet-attribute", "--subnet-id", subnet.SubnetId, "--map-public-ip-on-launch");
    const listed = await aws(account, "ec2", "describe-subnets", "--filters", `Name=vpc-id,Values=${vpc.VpcId}`);
    expect(listed.Subnets.map((s: Record<string, unknown>) => [s.SubnetId, s.MapPublicIpOnLaunch])).toEqual([[subnet.SubnetId, true]]);
    const conflict = await awsFails(account, "ec2", "create-subnet", "--vpc-id", vpc.VpcId, "--cidr-block", "10.0.1.0/25");
    expect(conflict).toContain("An error occurred (InvalidSubnet.Conflict) when calling the CreateSubnet operation: The CIDR '10.0.1.0/25' conflicts with another subnet");
    const range = await awsFails(account, "ec2", "create-subnet", "--vpc-id", vpc.VpcId, "--cidr-block", "192.168.0.0/24");
    expect(range).toContain("(InvalidSubnet.Range) when calling the CreateSubnet operation: The CIDR '192.168.0.0/24' is invalid.");

    const sg = await aws(account, "ec2", "create-security-group", "--group-name", "web", "--description", "web servers", "--vpc-id", vpc.VpcId);
    expect(sg.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    const rule = await aws(account, "ec2", "authorize-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "8000", "--cidr", "0.0.0.0/0");
    expect(rule.Return).toBe(true);
    expect(rule.SecurityGroupRules.map((r: Record<string, unknown>) => [r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4, r.IsEgress])).toEqual([["tcp", 8000, 8000, "0.0.0.0/0", false]]);
    const dup = await awsFails(account, "ec2", "authorize-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "8000", "--cidr", "0.0.0.0/0");
    expect(dup).toContain('(InvalidPermission.Duplicate) when calling the AuthorizeSecurityGroupIngress operation: the specified rule "peer: 0.0.0.0/0, TCP, from port: 8000, to port: 8000, ALLOW" already exists');
    const groups = await aws(account, "ec2", "describe-security-groups", "--group-ids", sg.GroupId);
    expect(groups.SecurityGroups[0].IpPermissions).toEqual([{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    await aws(account, "ec2", "revoke-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "8000", "--cidr", "0.0.0.0/0");
    const notFound = await awsFails(account, "ec2", "revoke-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "8000", "--cidr", "0.0.0.0/0");
    expect(notFound).toContain("(InvalidPermission.NotFound) when calling the RevokeSecurityGroupIngress operation: The specified rule does not exist in this security group.");

    const key = await aws(account, "ec2", "create-key-pair", "--key-name", "cli-key", "--key-type", "ed25519");
    expect(key.KeyMaterial).toContain("-----BEGIN OPENSSH PRIVATE KEY-----");
    const keys = await aws(account, "ec2", "describe-key-pairs", "--key-names", "cli-key");
    expect(keys.KeyPairs.map((k: Record<string, unknown>) => [k.KeyName, k.KeyType, k.KeyFingerprint])).toEqual([["cli-key", "ed25519", key.KeyFingerprint]]);

    const dry = await awsFails(account, "ec2", "create-vpc", "--cidr-block", "10.1.0.0/16", "--dry-run");
    expect(dry).toContain("An error occurred (DryRunOperation) when calling the CreateVpc operation: Request would have succeeded, but DryRun flag is set.");
    const busy = await awsFails(account, "ec2", "delete-vpc", "--vpc-id", vpc.VpcId);
    expect(busy).toContain(`(DependencyViolation) when calling the DeleteVpc operation: The vpc '${vpc.VpcId}' has dependencies and cannot be deleted.`);
    const missing = await awsFails(account, "ec2", "describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0");
    expect(missing).toContain("(InvalidVpcID.NotFound) when calling the DescribeVpcs operation: The vpc ID 'vpc-0123456789abcdef0' does not exist");

    // The CLI's own paginator follows NextToken across pages.
    const paged = await aws(account, "ec2", "describe-subnets", "--page-size", "5");
    expect(paged.Subnets).toHaveLength(7);
  }, 120_000);
});

const BOTO3_SCRIPT = `
import json, sys, boto3
from botocore.exceptions import ClientError
endpoint = sys.argv[1]
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="eu-west-1")
res = boto3.resource("ec2", endpoint_url=endpoint, region_name="eu-west-1")
out = {"protocol": ec2.meta.service_model.protocol}

default = list(res.vpcs.filter(Filters=[{"Name": "isDefault", "Values": ["true"]}]))
out["default"] = [default[0].cidr_block, default[0].is_default, sorted(s.cidr_block for s in default[0].subnets.all())]

vpc = res.create_vpc(CidrBlock="10.8.0.0/16")
vpc.wait_until_available()
vpc.create_tags(Tags=[{"Key": "Name", "Value": "boto"}])
vpc.reload()
out["vpc"] = [vpc.cidr_block, vpc.state, vpc.tags]
subnet = vpc.create_subnet(CidrBlock="10.8.3.0/24", AvailabilityZone="eu-west-1b")
out["subnet"] = [subnet.cidr_block, subnet.availability_zone, subnet.available_ip_address_count, subnet.vpc_id == vpc.id]
sg = vpc.create_security_group(GroupName="app", Description="app tier")
sg.authorize_ingress(IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
sg.reload()
out["sg"] = [sg.group_name, sg.description, sg.vpc_id == vpc.id, sg.ip_permissions, sg.ip_permissions_egress]
out["vpcSubnets"] = [s.id for s in vpc.subnets.all()] == [subnet.id]
out["vpcGroups"] = sorted(g.group_name for g in vpc.security_groups.all())
out["byName"] = [v.id == vpc.id for v in res.vpcs.filter(Filters=[{"Name": "tag:Name", "Values": ["boto"]}])]

extra = [vpc.create_subnet(CidrBlock=f"10.8.{10 + i}.0/24") for i in range(3)]
pages = ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5})
out["pages"] = [len(p["Subnets"]) for p in pages]

try:
    vpc.delete()
except ClientError as e:
    out["busy"] = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
try:
    ec2.create_subnet(VpcId=vpc.id, CidrBlock="10.9.0.0/24")
except ClientError as e:
    out["range"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
try:
    ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"])
except ClientError as e:
    out["noGroup"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]

sg.delete()
for s in extra:
    s.delete()
subnet.delete()
vpc.delete()
out["after"] = [v.id for v in res.vpcs.all()] == [default[0].id]
print(json.dumps(out))
`;

describe.skipIf(!PYTHON)("boto3", () => {
  it("client and resource('ec2'): VPCs, subnets and security groups", async () => {
    const out = await python(freshAccount(), BOTO3_SCRIPT, n.endpoint);
    expect(out.protocol).toBe("ec2");
    expect(out.default).toEqual([ "172.31.0.0/16", true, ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]]);
    expect(out.vpc).toEqual(["10.8.0.0/16", "available", [{ Key: "Name", Value: "boto" }]]);
    expect(out.subnet).toEqual(["10.8.3.0/24", "eu-west-1b", 251, true]);
    expect(out.sg).toEqual([
      "app", "app tier", true,
      [{ FromPort: 443, IpProtocol: "tcp", IpRanges: [{ CidrIp: "10.0.0.0/8" }], Ipv6Ranges: [], PrefixListIds: [], ToPort: 443, UserIdGroupPairs: [] }],
      [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
    ]);
    expect(out.vpcSubnets).toBe(true);
    expect(out.vpcGroups).toEqual(["app", "default"]);
    expect(out.byName).toEqual([true]);
    expect(out.pages).toEqual([5, 2]);
    expect(out.busy[0]).toBe("DependencyViolation");
    expect(out.busy[2]).toBe(400);
    expect(out.range).toEqual(["InvalidSubnet.Range", "The CIDR '10.9.0.0/24' is invalid."]);
    expect(out.noGroup).toEqual(["InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist"]);
    expect(out.after).toBe(true);
  }, 120_000);
});
