// The VPC family survives a restart: the default VPC keeps its ids (it is not built again),
// user resources and their relations come back, and a deleted default VPC stays deleted.
import {
  AuthorizeSecurityGroupIngressCommand, CreateKeyPairCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DeleteSubnetCommand,
  DeleteVpcCommand, DescribeInternetGatewaysCommand, DescribeKeyPairsCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand,
  DetachInternetGatewayCommand, EC2Client,
} from "@aws-sdk/client-ec2";
import { afterAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus | undefined;
afterAll(() => n?.stop());

describe("restart", () => {
  it("keeps VPCs, subnets, groups and keys, and does not rebuild a deleted default VPC", async () => {
    n = await startNimbus();
    const account = freshAccount();
    const gone = freshAccount();
    let ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: account }));
    const defaultVpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId;
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.0.0.0/24" }))).Subnet!;
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web", VpcId: vpc.VpcId }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8000, ToPort: 8000, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "k" }));

    // Another account deletes its default VPC (subnets and gateway first, as AWS requires).
    const other = new EC2Client(sdkConfig(n.endpoint, { accountId: gone }));
    const otherVpc = (await other.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId!;
    for (const s of (await other.send(new DescribeSubnetsCommand({}))).Subnets!) await other.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId }));
    const igw = (await other.send(new DescribeInternetGatewaysCommand({}))).InternetGateways![0];
    await other.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: otherVpc }));
    await other.send(new DeleteVpcCommand({ VpcId: otherVpc }));

    await n.stop({ keepData: true });
    n = await startNimbus({ dataDir: n.dataDir });
    ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: account }));
    const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.map((v) => v.VpcId).sort();
    expect(vpcs).toEqual([defaultVpc, vpc.VpcId].sort());
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }))).Subnets![0].CidrBlock).toBe("10.0.0.0/24");
    const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }))).SecurityGroups![0];
    expect(group.IpPermissions!.map((p) => [p.IpProtocol, p.FromPort, p.IpRanges![0].CidrIp])).toEqual([["tcp", 8000, "0.0.0.0/0"]]);
    expect((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs!.map((k) => [k.KeyName, k.KeyFingerprint])).toEqual([["k", key.KeyFingerprint]]);
    const otherAfter = new EC2Client(sdkConfig(n.endpoint, { accountId: gone }));
    expect((await otherAfter.send(new DescribeVpcsCommand({}))).Vpcs).toEqual([]);
  });
});
