// CreateVpc, DescribeVpcs, DeleteVpc, DescribeVpcAttribute, ModifyVpcAttribute, CreateDefaultVpc.
import type {
  CreateDefaultVpcRequest, CreateDefaultVpcResult, CreateVpcRequest, CreateVpcResult, DeleteVpcRequest, DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult, DescribeVpcsRequest, DescribeVpcsResult, ModifyVpcAttributeRequest, Vpc,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { parseCidr, cidrString } from "../vpc/cidr.js";
import { createVpc } from "../vpc/build.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { buildDefaultVpc, vpcHandler } from "../vpc/handler.js";
import { need, RES } from "../vpc/lookup.js";
import {
  KIND, type AclDoc, type Ec2State, type EniDoc, type IgwDoc, type NatDoc, type PcxDoc, type RouteTableDoc, type SgDoc, type SubnetDoc, type VpcDoc, type VpceDoc,
} from "../vpc/store.js";

/** AWS's default quota of VPCs per region. */
const VPC_LIMIT = 5;

export function vpcView(v: VpcDoc): Vpc {
  const { dnsSupport: _a, dnsHostnames: _b, networkAddressUsageMetrics: _c, Tags, ...rest } = v;
  return { ...rest, Tags: tagsOut(Tags) };
}

export const CreateVpc = vpcHandler<CreateVpcRequest, CreateVpcResult>((input, s) => {
  if (!input.CidrBlock) throw new AwsError("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.", 400);
  const c = parseCidr(input.CidrBlock);
  if (!c) throw invalid(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  if (c.prefix < 16 || c.prefix > 28) throw new AwsError("InvalidVpc.Range", `The CIDR '${input.CidrBlock}' is invalid.`, 400);
  if (input.InstanceTenancy && !["default", "dedicated"].includes(input.InstanceTenancy)) {
    throw invalid(`Value (${input.InstanceTenancy}) for parameter instanceTenancy is invalid.`);
  }
  const tags = tagsOnCreate(input.TagSpecifications, "vpc");
  dryRun(input);
  if (s.all(KIND.vpc).length >= VPC_LIMIT) throw new AwsError("VpcLimitExceeded", "The maximum number of VPCs has been reached.", 400);
  return { Vpc: vpcView(createVpc(s, cidrString(c), { tags, tenancy: input.InstanceTenancy })) };
});

export const CreateDefaultVpc = vpcHandler<CreateDefaultVpcRequest, CreateDefaultVpcResult>((input, s) => {
  dryRun(input);
  const existing = s.all<VpcDoc>(KIND.vpc).find((v) => v.IsDefault);
  if (existing) throw new AwsError("DefaultVpcAlreadyExists", `A Default VPC already exists for this account in this region.`, 400);
  if (s.all(KIND.vpc).length >= VPC_LIMIT) throw new AwsError("VpcLimitExceeded", "The maximum number of VPCs has been reached.", 400);
  return { Vpc: vpcView(buildDefaultVpc(s)) };
});

export const DescribeVpcs = vpcHandler<DescribeVpcsRequest, DescribeVpcsResult>((input, s) => {
  dryRun(input);
  const { items, next } = describe(s.all<VpcDoc>(KIND.vpc), input.VpcIds, input, {
    res: RES.vpc,
    idsParam: "vpcIds",
    idOf: (v) => v.VpcId,
    view: vpcView,
    accessors: {
      "vpc-id": (v) => v.VpcId,
      cidr: (v) => v.CidrBlock,
      "cidr-block": (v) => v.CidrBlock,
      cidrBlock: (v) => v.CidrBlock,
      "cidr-block-association.cidr-block": (v) => v.CidrBlockAssociationSet?.map((a) => a.CidrBlock),
      "cidr-block-association.association-id": (v) => v.CidrBlockAssociationSet?.map((a) => a.AssociationId),
      "cidr-block-association.state": (v) => v.CidrBlockAssociationSet?.map((a) => a.CidrBlockState?.State),
      "dhcp-options-id": (v) => v.DhcpOptionsId,
      "is-default": (v) => v.IsDefault,
      isDefault: (v) => v.IsDefault,
      "owner-id": (v) => v.OwnerId,
      state: (v) => v.State,
      "instance-tenancy": (v) => v.InstanceTenancy,
    },
  });
  return { Vpcs: items, NextToken: next };
});

/** What still uses a VPC, in AWS's terms: anything but its own main route table, default ACL and default group. */
function vpcInUse(s: Ec2State, vpcId: string): boolean {
  return (
    s.all<SubnetDoc>(KIND.subnet).some((x) => x.VpcId === vpcId) ||
    s.all<IgwDoc>(KIND.igw).some((g) => g.Attachments?.some((a) => a.VpcId === vpcId)) ||
    s.all<SgDoc>(KIND.sg).some((g) => g.VpcId === vpcId && g.GroupName !== "default") ||
    s.all<RouteTableDoc>(KIND.rtb).some((r) => r.VpcId === vpcId && !r.Associations?.some((a) => a.Main)) ||
    s.all<AclDoc>(KIND.acl).some((a) => a.VpcId === vpcId && !a.IsDefault) ||
    s.all<EniDoc>(KIND.eni).some((e) => e.VpcId === vpcId) ||
    s.all<VpceDoc>(KIND.vpce).some((e) => e.VpcId === vpcId && e.State !== "deleted") ||
    s.all<NatDoc>(KIND.nat).some((n) => n.VpcId === vpcId && (n.State === "available" || n.State === "pending")) ||
    s.all<PcxDoc>(KIND.pcx).some(
      (p) => (p.RequesterVpcInfo?.VpcId === vpcId || p.AccepterVpcInfo?.VpcId === vpcId) && ["active", "pending-acceptance"].includes(p.Status?.Code ?? ""),
    )
  );
}

export const DeleteVpc = vpcHandler<DeleteVpcRequest, Record<string, never>>((input, s) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  dryRun(input);
  if (vpcInUse(s, vpc.VpcId)) throw new AwsError("DependencyViolation", `The vpc '${vpc.VpcId}' has dependencies and cannot be deleted.`, 400);
  for (const r of s.all<RouteTableDoc>(KIND.rtb)) if (r.VpcId === vpc.VpcId) s.delete(KIND.rtb, r.RouteTableId);
  for (const a of s.all<AclDoc>(KIND.acl)) if (a.VpcId === vpc.VpcId) s.delete(KIND.acl, a.NetworkAclId);
  for (const g of s.all<SgDoc>(KIND.sg)) if (g.VpcId === vpc.VpcId) s.delete(KIND.sg, g.GroupId);
  s.delete(KIND.vpc, vpc.VpcId);
  return {};
});

export const DescribeVpcAttribute = vpcHandler<DescribeVpcAttributeRequest, DescribeVpcAttributeResult>((input, s) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  dryRun(input);
  switch (input.Attribute) {
    case "enableDnsSupport":
      return { VpcId: vpc.VpcId, EnableDnsSupport: { Value: vpc.dnsSupport } };
    case "enableDnsHostnames":
      return { VpcId: vpc.VpcId, EnableDnsHostnames: { Value: vpc.dnsHostnames } };
    case "enableNetworkAddressUsageMetrics":
      return { VpcId: vpc.VpcId, EnableNetworkAddressUsageMetrics: { Value: !!vpc.networkAddressUsageMetrics } };
    default:
      throw invalid(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
  }
});

export const ModifyVpcAttribute = vpcHandler<ModifyVpcAttributeRequest, Record<string, never>>((input, s) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  const given = [
    ["enableDnsSupport", input.EnableDnsSupport?.Value],
    ["enableDnsHostnames", input.EnableDnsHostnames?.Value],
    ["enableNetworkAddressUsageMetrics", input.EnableNetworkAddressUsageMetrics?.Value],
  ].filter(([, v]) => v !== undefined) as Array<[string, boolean]>;
  if (given.length === 0) throw new AwsError("MissingParameter", "The request must contain the parameter EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics", 400);
  if (given.length > 1) throw new AwsError("InvalidParameterCombination", `Fields for multiple attribute types specified: ${given.map(([k]) => k).join(", ")}`, 400);
  dryRun(input);
  const [name, value] = given[0];
  if (name === "enableDnsSupport") vpc.dnsSupport = value;
  else if (name === "enableDnsHostnames") vpc.dnsHostnames = value;
  else vpc.networkAddressUsageMetrics = value;
  s.put(KIND.vpc, vpc.VpcId, vpc);
  return {};
});
