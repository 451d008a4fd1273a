// CreateSubnet, DescribeSubnets, DeleteSubnet, ModifySubnetAttribute.
import type {
  CreateDefaultSubnetRequest, CreateDefaultSubnetResult, CreateSubnetRequest, CreateSubnetResult, DeleteSubnetRequest, DescribeSubnetsRequest, DescribeSubnetsResult, ModifySubnetAttributeRequest, Subnet,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { availableIpCount, createSubnet, defaultSubnetCidr } from "../vpc/build.js";
import { cidrString, contains, overlaps, parseCidr, parseIp } from "../vpc/cidr.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type AclDoc, type Ec2State, type EniDoc, type RouteTableDoc, type SubnetDoc, type VpcDoc } from "../vpc/store.js";
import { regionInfo, zoneId } from "../regions.js";

export function subnetView(s: Ec2State, d: SubnetDoc, used?: Map<string, Set<number>>): Subnet {
  const { Tags, ...rest } = d;
  return { ...rest, AvailableIpAddressCount: availableIpCount(s, d, used?.get(d.SubnetId) ?? (used ? new Set() : undefined)), Tags: tagsOut(Tags) };
}

/** Addresses in use per subnet, from one pass over the network interfaces. */
function usedBySubnet(s: Ec2State): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const eni of s.all<EniDoc>(KIND.eni)) {
    let set = m.get(eni.SubnetId);
    if (!set) m.set(eni.SubnetId, (set = new Set()));
    for (const p of eni.PrivateIpAddresses ?? []) set.add(parseIp(p.PrivateIpAddress!)!);
  }
  return m;
}

export const CreateSubnet = vpcHandler<CreateSubnetRequest, CreateSubnetResult>((input, s) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  if (!input.CidrBlock) throw new AwsError("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.", 400);
  const c = parseCidr(input.CidrBlock);
  if (!c) throw invalid(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const vpcCidrs = (vpc.CidrBlockAssociationSet ?? []).map((a) => parseCidr(a.CidrBlock)!);
  if (c.prefix < 16 || c.prefix > 28 || !vpcCidrs.some((v) => contains(v, c))) {
    throw new AwsError("InvalidSubnet.Range", `The CIDR '${input.CidrBlock}' is invalid.`, 400);
  }
  const zones = (regionInfo(s.region) ?? regionInfo("us-east-1")!).zones;
  let az = input.AvailabilityZone;
  if (!az && input.AvailabilityZoneId) {
    az = zones.find((z) => zoneId(z) === input.AvailabilityZoneId);
    if (!az) throw invalid(`Value (${input.AvailabilityZoneId}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: ${zones.map(zoneId).join(", ")}.`);
  }
  az ??= zones[0];
  if (!zones.includes(az)) {
    throw invalid(`Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(", ")}.`);
  }
  const cidr = cidrString(c);
  for (const other of s.all<SubnetDoc>(KIND.subnet)) {
    if (other.VpcId === vpc.VpcId && overlaps(parseCidr(other.CidrBlock)!, c)) {
      throw new AwsError("InvalidSubnet.Conflict", `The CIDR '${input.CidrBlock}' conflicts with another subnet`, 400);
    }
  }
  const tags = tagsOnCreate(input.TagSpecifications, "subnet");
  dryRun(input);
  return { Subnet: subnetView(s, createSubnet(s, vpc, cidr, az, { tags })) };
});

export const DescribeSubnets = vpcHandler<DescribeSubnetsRequest, DescribeSubnetsResult>((input, s) => {
  dryRun(input);
  const used = usedBySubnet(s);
  const count = (d: SubnetDoc) => availableIpCount(s, d, used.get(d.SubnetId) ?? new Set());
  const { items, next } = describe(s.all<SubnetDoc>(KIND.subnet), input.SubnetIds, input, {
    res: RES.subnet,
    idsParam: "subnetIds",
    idOf: (d) => d.SubnetId,
    view: (d) => subnetView(s, d, used),
    accessors: {
      "subnet-id": (d) => d.SubnetId,
      subnetId: (d) => d.SubnetId,
      "vpc-id": (d) => d.VpcId,
      vpcId: (d) => d.VpcId,
      "availability-zone": (d) => d.AvailabilityZone,
      availabilityZone: (d) => d.AvailabilityZone,
      "availability-zone-id": (d) => d.AvailabilityZoneId,
      availabilityZoneId: (d) => d.AvailabilityZoneId,
      "available-ip-address-count": count,
      availableIpAddressCount: count,
      "cidr-block": (d) => d.CidrBlock,
      cidr: (d) => d.CidrBlock,
      cidrBlock: (d) => d.CidrBlock,
      "default-for-az": (d) => d.DefaultForAz,
      defaultForAz: (d) => d.DefaultForAz,
      "map-public-ip-on-launch": (d) => d.MapPublicIpOnLaunch,
      "owner-id": (d) => d.OwnerId,
      state: (d) => d.State,
      "subnet-arn": (d) => d.SubnetArn,
    },
  });
  return { Subnets: items, NextToken: next };
});

export const DeleteSubnet = vpcHandler<DeleteSubnetRequest, Record<string, never>>((input, s) => {
  const subnet = need<SubnetDoc>(s, RES.subnet, input.SubnetId, "SubnetId");
  dryRun(input);
  if (s.all<EniDoc>(KIND.eni).some((e) => e.SubnetId === subnet.SubnetId)) {
    throw new AwsError("DependencyViolation", `The subnet '${subnet.SubnetId}' has dependencies and cannot be deleted.`, 400);
  }
  // Its route table and network ACL associations go with it.
  for (const rt of s.all<RouteTableDoc>(KIND.rtb)) {
    const before = rt.Associations?.length ?? 0;
    rt.Associations = (rt.Associations ?? []).filter((a) => a.SubnetId !== subnet.SubnetId);
    if (rt.Associations.length !== before) s.put(KIND.rtb, rt.RouteTableId, rt);
  }
  for (const acl of s.all<AclDoc>(KIND.acl)) {
    const before = acl.Associations?.length ?? 0;
    acl.Associations = (acl.Associations ?? []).filter((a) => a.SubnetId !== subnet.SubnetId);
    if (acl.Associations.length !== before) s.put(KIND.acl, acl.NetworkAclId, acl);
  }
  s.delete(KIND.subnet, subnet.SubnetId);
  return {};
});

export const ModifySubnetAttribute = vpcHandler<ModifySubnetAttributeRequest, Record<string, never>>((input, s) => {
  const subnet = need<SubnetDoc>(s, RES.subnet, input.SubnetId, "SubnetId");
  const changes: Array<[string, () => void]> = [];
  const bool = (name: string, v: { Value?: boolean } | undefined, apply: (b: boolean) => void) => {
    if (v?.Value !== undefined) changes.push([name, () => apply(v.Value!)]);
  };
  bool("mapPublicIpOnLaunch", input.MapPublicIpOnLaunch, (b) => (subnet.MapPublicIpOnLaunch = b));
  bool("assignIpv6AddressOnCreation", input.AssignIpv6AddressOnCreation, (b) => {
    if (b && !subnet.Ipv6CidrBlockAssociationSet?.length) throw invalid(`Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set assignIpv6AddressOnCreation to true unless the subnet (${subnet.SubnetId}) has an IPv6 CIDR block associated with it.`);
    subnet.AssignIpv6AddressOnCreation = b;
  });
  bool("mapCustomerOwnedIpOnLaunch", input.MapCustomerOwnedIpOnLaunch, (b) => (subnet.MapCustomerOwnedIpOnLaunch = b));
  bool("enableDns64", input.EnableDns64, (b) => (subnet.EnableDns64 = b));
  bool("enableResourceNameDnsARecordOnLaunch", input.EnableResourceNameDnsARecordOnLaunch, (b) => (subnet.PrivateDnsNameOptionsOnLaunch!.EnableResourceNameDnsARecord = b));
  bool("enableResourceNameDnsAAAARecordOnLaunch", input.EnableResourceNameDnsAAAARecordOnLaunch, (b) => (subnet.PrivateDnsNameOptionsOnLaunch!.EnableResourceNameDnsAAAARecord = b));
  if (input.PrivateDnsHostnameTypeOnLaunch !== undefined) {
    const t = input.PrivateDnsHostnameTypeOnLaunch;
    if (t !== "ip-name" && t !== "resource-name") throw invalid(`Value (${t}) for parameter privateDnsHostnameTypeOnLaunch is invalid.`);
    changes.push(["privateDnsHostnameTypeOnLaunch", () => (subnet.PrivateDnsNameOptionsOnLaunch!.HostnameType = t)]);
  }
  if (changes.length === 0) throw new AwsError("MissingParameter", "The request must contain the parameter mapPublicIpOnLaunch", 400);
  if (changes.length > 1) throw new AwsError("InvalidParameterCombination", `Fields for multiple attribute types specified: ${changes.map(([n]) => n).join(", ")}`, 400);
  dryRun(input);
  changes[0][1]();
  s.put(KIND.subnet, subnet.SubnetId, subnet);
  return {};
});

/** A default subnet (a /20 of the default VPC, public on launch) for a zone that lacks one. */
export const CreateDefaultSubnet = vpcHandler<CreateDefaultSubnetRequest, CreateDefaultSubnetResult>((input, s) => {
  const zones = (regionInfo(s.region) ?? regionInfo("us-east-1")!).zones;
  const az = input.AvailabilityZone ?? zones.find((z) => zoneId(z) === input.AvailabilityZoneId);
  if (!az) throw new AwsError("MissingParameter", "The request must contain the parameter availabilityZone", 400);
  if (!zones.includes(az)) throw invalid(`Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(", ")}.`);
  const vpc = s.all<VpcDoc>(KIND.vpc).find((v) => v.IsDefault);
  if (!vpc) throw new AwsError("DefaultVpcDoesNotExist", "No default VPC exists for this account in this region.", 400);
  const subnets = s.all<SubnetDoc>(KIND.subnet).filter((x) => x.VpcId === vpc.VpcId);
  if (subnets.some((x) => x.DefaultForAz && x.AvailabilityZone === az)) {
    throw new AwsError("DefaultSubnetAlreadyExistsInAvailabilityZone", `Default subnet already exists in availability zone ${az}.`, 400);
  }
  dryRun(input);
  // The zone's usual /20 when free, else the first free /20 of the default VPC.
  const candidates = [zones.indexOf(az), ...Array.from({ length: 16 }, (_, i) => i)].map(defaultSubnetCidr);
  const cidr = candidates.find((c) => !subnets.some((x) => overlaps(parseCidr(x.CidrBlock)!, parseCidr(c)!)));
  if (!cidr) throw new AwsError("InsufficientFreeAddressesInSubnet", `The default VPC ${vpc.VpcId} has no free /20 for a default subnet.`, 400);
  return { Subnet: subnetView(s, createSubnet(s, vpc, cidr, az, { isDefault: true })) };
});
