// Security groups through @aws-sdk/client-ec2: rules by CIDR and by referenced group, AWS's
// duplicate / not-found errors, DescribeSecurityGroupRules, dependencies.
import {
  AuthorizeSecurityGroupEgressCommand, AuthorizeSecurityGroupIngressCommand, CreateNetworkInterfaceCommand, CreateSecurityGroupCommand,
  CreateSubnetCommand, CreateVpcCommand, DeleteNetworkInterfaceCommand, DeleteSecurityGroupCommand, DeleteVpcCommand, DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand, EC2Client, ModifySecurityGroupRulesCommand, UpdateSecurityGroupRuleDescriptionsIngressCommand, RevokeSecurityGroupEgressCommand, RevokeSecurityGroupIngressCommand,
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

describe("security groups", () => {
  it("creates a group with the default egress rule, in the default VPC unless told", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const made = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web servers", TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "Name", Value: "web" }] }] }));
    expect(made.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(made.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:${account}:security-group/${made.GroupId}`);
    expect(made.Tags).toEqual([{ Key: "Name", Value: "web" }]);
    const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [made.GroupId!] }))).SecurityGroups![0];
    expect(g).toMatchObject({ GroupName: "web", Description: "web servers", OwnerId: account, IpPermissions: [] });
    expect(g.IpPermissionsEgress).toEqual([{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    const byName = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ["web", "default"] }))).SecurityGroups!;
    expect(byName.map((x) => x.GroupName).sort()).toEqual(["default", "web"]);
    expect(byName[0].VpcId).toBe(g.VpcId);

    const dup = await fail(ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "again" })));
    expect([dup.name, dup.message]).toEqual(["InvalidGroup.Duplicate", `The security group 'web' already exists for VPC '${g.VpcId}'`]);
    const noDesc = await fail(ec2.send(new CreateSecurityGroupCommand({ GroupName: "x", Description: "" })));
    expect(noDesc.name).toBe("MissingParameter");
    const sgName = await fail(ec2.send(new CreateSecurityGroupCommand({ GroupName: "sg-123", Description: "d" })));
    expect([sgName.name, sgName.message]).toEqual(["InvalidParameterValue", "Group names may not be in the format sg-*"]);
    const missing = await fail(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-0123456789abcdef0"] })));
    expect([missing.name, missing.message]).toEqual(["InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist"]);
    const malformed = await fail(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ["web"] })));
    expect([malformed.name, malformed.message]).toEqual(["InvalidGroupId.Malformed", 'Invalid id: "web" (expecting "sg-...")']);
    const noName = await fail(ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ["nope"] })));
    expect([noName.name, noName.message]).toEqual(["InvalidGroup.NotFound", `The security group 'nope' does not exist in default VPC '${g.VpcId}'`]);
  });

  it("authorizes and revokes rules by CIDR and by referenced group, with AWS's errors", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const web = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web", VpcId: vpc.VpcId }))).GroupId!;
    const lb = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "lb", Description: "lb", VpcId: vpc.VpcId }))).GroupId!;
    const auth = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: web,
      IpPermissions: [
        { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "office" }, { CidrIp: "198.51.100.7/32" }] },
        { IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, UserIdGroupPairs: [{ GroupId: lb }] },
        { IpProtocol: "icmp", FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
      ],
    }));
    expect(auth.Return).toBe(true);
    expect(auth.SecurityGroupRules).toHaveLength(4);
    expect(auth.SecurityGroupRules![0]).toMatchObject({ GroupId: web, GroupOwnerId: account, IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "203.0.113.0/24", Description: "office" });
    expect(auth.SecurityGroupRules![0].SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(auth.SecurityGroupRules![2].ReferencedGroupInfo).toEqual({ GroupId: lb, UserId: account });

    const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web] }))).SecurityGroups![0];
    expect(g.IpPermissions).toEqual([
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "office" }, { CidrIp: "198.51.100.7/32" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
      { IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [{ GroupId: lb, UserId: account }] },
      { IpProtocol: "icmp", FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
    const filtered = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.from-port", Values: ["8000"] }, { Name: "vpc-id", Values: [vpc.VpcId!] }] }))).SecurityGroups!;
    expect(filtered.map((x) => x.GroupId)).toEqual([web]);
    const byRef = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.group-id", Values: [lb] }] }))).SecurityGroups!;
    expect(byRef.map((x) => x.GroupId)).toEqual([web]);

    const dup = await fail(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24" }] }] })));
    expect([dup.name, dup.message]).toEqual(["InvalidPermission.Duplicate", 'the specified rule "peer: 203.0.113.0/24, TCP, from port: 22, to port: 22, ALLOW" already exists']);
    const proto = await fail(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: "bogus", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] })));
    expect(proto.name).toBe("InvalidParameterValue");
    const refMissing = await fail(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: "-1", UserIdGroupPairs: [{ GroupId: "sg-0123456789abcdef0" }] }] })));
    expect([refMissing.name, refMissing.message]).toEqual(["InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist"]);

    const rules = (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [web] }] }))).SecurityGroupRules!;
    expect(rules).toHaveLength(5);
    expect(rules.filter((r) => r.IsEgress)).toMatchObject([{ IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" }]);

    // lb is referenced by web's rule: it cannot go until the rule does.
    const inUse = await fail(ec2.send(new DeleteSecurityGroupCommand({ GroupId: lb })));
    expect([inUse.name, inUse.message]).toEqual(["DependencyViolation", `resource ${lb} has a dependent object`]);

    const revoke = await ec2.send(new RevokeSecurityGroupIngressCommand({
      GroupId: web,
      IpPermissions: [
        { IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, UserIdGroupPairs: [{ GroupId: lb }] },
        { IpProtocol: "udp", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "10.0.0.0/8" }] },
      ],
    }));
    expect(revoke.Return).toBe(true);
    expect(revoke.UnknownIpPermissions).toEqual([{ IpProtocol: "udp", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "10.0.0.0/8" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    const none = await fail(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, UserIdGroupPairs: [{ GroupId: lb }] }] })));
    expect([none.name, none.message]).toEqual(["InvalidPermission.NotFound", "The specified rule does not exist in this security group."]);
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web, SecurityGroupRuleIds: [auth.SecurityGroupRules![0].SecurityGroupRuleId!] }));
    const left = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web] }))).SecurityGroups![0].IpPermissions!;
    expect(left.map((p) => [p.IpProtocol, p.FromPort, p.IpRanges!.map((r) => r.CidrIp)])).toEqual([["tcp", 22, ["198.51.100.7/32"]], ["icmp", 8, ["0.0.0.0/0"]]]);

    // Egress: the default rule can be revoked and new ones added.
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const egress = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web] }))).SecurityGroups![0].IpPermissionsEgress!;
    expect(egress.map((p) => [p.IpProtocol, p.FromPort, p.ToPort])).toEqual([["tcp", 443, 443]]);

    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: lb }));
    const defaultGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }, { Name: "group-name", Values: ["default"] }] }))).SecurityGroups![0];
    const cannot = await fail(ec2.send(new DeleteSecurityGroupCommand({ GroupId: defaultGroup.GroupId })));
    expect([cannot.name, cannot.message]).toEqual(["CannotDelete", `the specified group: "${defaultGroup.GroupId}" name: "default" cannot be deleted by a user`]);

    // A group used by a network interface is in use; the VPC is busy while the group exists.
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.0.0/24" }))).Subnet!;
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, Groups: [web] }))).NetworkInterface!;
    expect((await fail(ec2.send(new DeleteSecurityGroupCommand({ GroupId: web })))).name).toBe("DependencyViolation");
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }));
    expect((await fail(ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })))).name).toBe("DependencyViolation");
    const deleted = await ec2.send(new DeleteSecurityGroupCommand({ GroupId: web }));
    expect(deleted).toMatchObject({ Return: true, GroupId: web });
  });

  it("edits rules in place: ModifySecurityGroupRules and UpdateSecurityGroupRuleDescriptionsIngress", async () => {
    const ec2 = client();
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "edit", Description: "edit" }))).GroupId!;
    const rules = (await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg,
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "10.0.0.0/8" }, { CidrIp: "192.168.0.0/16" }] }],
    }))).SecurityGroupRules!;
    await ec2.send(new ModifySecurityGroupRulesCommand({
      GroupId: sg,
      SecurityGroupRules: [{ SecurityGroupRuleId: rules[0].SecurityGroupRuleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 8080, ToPort: 8081, CidrIpv4: "10.1.0.0/16", Description: "moved" } }],
    }));
    const after = (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [rules[0].SecurityGroupRuleId!] }))).SecurityGroupRules![0];
    expect(after).toMatchObject({ SecurityGroupRuleId: rules[0].SecurityGroupRuleId, IpProtocol: "tcp", FromPort: 8080, ToPort: 8081, CidrIpv4: "10.1.0.0/16", Description: "moved" });
    const clash = await fail(ec2.send(new ModifySecurityGroupRulesCommand({
      GroupId: sg,
      SecurityGroupRules: [{ SecurityGroupRuleId: rules[1].SecurityGroupRuleId, SecurityGroupRule: { IpProtocol: "tcp", FromPort: 8080, ToPort: 8081, CidrIpv4: "10.1.0.0/16" } }],
    })));
    expect(clash.name).toBe("InvalidPermission.Duplicate");
    const unknown = await fail(ec2.send(new ModifySecurityGroupRulesCommand({ GroupId: sg, SecurityGroupRules: [{ SecurityGroupRuleId: "sgr-0123456789abcdef0", SecurityGroupRule: { IpProtocol: "-1", CidrIpv4: "0.0.0.0/0" } }] })));
    expect([unknown.name, unknown.message]).toEqual(["InvalidSecurityGroupRuleId.NotFound", "The security group rule ID 'sgr-0123456789abcdef0' does not exist"]);

    await ec2.send(new UpdateSecurityGroupRuleDescriptionsIngressCommand({
      GroupId: sg,
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "192.168.0.0/16", Description: "home" }] }],
    }));
    const perms = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }))).SecurityGroups![0].IpPermissions!;
    expect(perms.map((p) => [p.FromPort, p.IpRanges])).toEqual([[8080, [{ CidrIp: "10.1.0.0/16", Description: "moved" }]], [80, [{ CidrIp: "192.168.0.0/16", Description: "home" }]]]);
  });
});
