// Building blocks shared by the Create handlers and the default VPC: a VPC with its main route
// table, default network ACL and default security group; a subnet joined to that ACL; private
// IP allocation from a subnet's CIDR.
import type { Tag } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { cidrString, containsIp, ipString, parseCidr, parseIp, size } from "./cidr.js";
import { newId } from "./ids.js";
import { KIND, type AclDoc, type DoptDoc, type Ec2State, type EniDoc, type RouteTableDoc, type SgDoc, type SubnetDoc, type VpcDoc } from "./store.js";
import { zoneId } from "../regions.js";

export function arn(s: Ec2State, type: string, id: string): string {
  return `arn:aws:ec2:${s.region}:${s.accountId}:${type}/${id}`;
}

export function createVpc(s: Ec2State, cidr: string, opts: { isDefault?: boolean; tags?: Tag[]; tenancy?: string } = {}): VpcDoc {
  const VpcId = newId("vpc");
  const vpc: VpcDoc = {
    VpcId,
    CidrBlock: cidr,
    State: "available",
    DhcpOptionsId: dhcpOptionsId(s),
    InstanceTenancy: (opts.tenancy as VpcDoc["InstanceTenancy"]) ?? "default",
    IsDefault: !!opts.isDefault,
    OwnerId: s.accountId,
    CidrBlockAssociationSet: [{ AssociationId: newId("vpc-cidr-assoc"), CidrBlock: cidr, CidrBlockState: { State: "associated" } }],
    Tags: opts.tags ?? [],
    BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
    // AWS turns DNS hostnames on only for default VPCs.
    dnsSupport: true,
    dnsHostnames: !!opts.isDefault,
  };
  s.put(KIND.vpc, VpcId, vpc);

  const rtb: RouteTableDoc = {
    RouteTableId: newId("rtb"),
    VpcId,
    OwnerId: s.accountId,
    Routes: [{ DestinationCidrBlock: cidr, GatewayId: "local", State: "active", Origin: "CreateRouteTable" }],
    Associations: [],
    PropagatingVgws: [],
    Tags: [],
  };
  rtb.Associations!.push({ Main: true, RouteTableAssociationId: newId("rtbassoc"), RouteTableId: rtb.RouteTableId, AssociationState: { State: "associated" } });
  s.put(KIND.rtb, rtb.RouteTableId, rtb);

  const acl: AclDoc = {
    NetworkAclId: newId("acl"),
    VpcId,
    IsDefault: true,
    OwnerId: s.accountId,
    Associations: [],
    Entries: [true, false].flatMap((Egress) => [
      { RuleNumber: 100, Protocol: "-1", RuleAction: "allow" as const, Egress, CidrBlock: "0.0.0.0/0" },
      { RuleNumber: 32767, Protocol: "-1", RuleAction: "deny" as const, Egress, CidrBlock: "0.0.0.0/0" },
    ]),
    Tags: [],
  };
  s.put(KIND.acl, acl.NetworkAclId, acl);

  const GroupId = newId("sg");
  const sg: SgDoc = {
    GroupId,
    GroupName: "default",
    Description: opts.isDefault ? "default VPC security group" : "default VPC security group",
    VpcId,
    OwnerId: s.accountId,
    Tags: [],
    rules: [
      { id: newId("sgr"), egress: false, proto: "-1", group: { GroupId, UserId: s.accountId } },
      { id: newId("sgr"), egress: true, proto: "-1", cidr4: "0.0.0.0/0" },
    ],
  };
  s.put(KIND.sg, GroupId, sg);
  return vpc;
}

/**
 * The account's DHCP options set in the region, made with its first VPC: AWS's default
 * (domain-name ec2.internal in us-east-1, <region>.compute.internal elsewhere; Amazon DNS).
 */
function dhcpOptionsId(s: Ec2State): string {
  const meta = s.get<{ dhcp?: string }>(KIND.meta, "dhcp") ?? {};
  if (!meta.dhcp) {
    meta.dhcp = newId("dopt");
    s.put(KIND.meta, "dhcp", meta);
    const doc: DoptDoc = {
      DhcpOptionsId: meta.dhcp,
      OwnerId: s.accountId,
      DhcpConfigurations: [
        { Key: "domain-name", Values: [{ Value: s.region === "us-east-1" ? "ec2.internal" : `${s.region}.compute.internal` }] },
        { Key: "domain-name-servers", Values: [{ Value: "AmazonProvidedDNS" }] },
      ],
      Tags: [],
    };
    s.put(KIND.dopt, doc.DhcpOptionsId, doc);
  }
  return meta.dhcp;
}

export function createSubnet(s: Ec2State, vpc: VpcDoc, cidr: string, az: string, opts: { isDefault?: boolean; tags?: Tag[] } = {}): SubnetDoc {
  const SubnetId = newId("subnet");
  const subnet: SubnetDoc = {
    SubnetId,
    VpcId: vpc.VpcId,
    CidrBlock: cidr,
    AvailabilityZone: az,
    AvailabilityZoneId: zoneId(az),
    State: "available",
    DefaultForAz: !!opts.isDefault,
    MapPublicIpOnLaunch: !!opts.isDefault,
    MapCustomerOwnedIpOnLaunch: false,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    EnableDns64: false,
    Ipv6Native: false,
    OwnerId: s.accountId,
    SubnetArn: arn(s, "subnet", SubnetId),
    PrivateDnsNameOptionsOnLaunch: { HostnameType: "ip-name", EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
    BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
    Tags: opts.tags ?? [],
  };
  s.put(KIND.subnet, SubnetId, subnet);
  const acl = s.all<AclDoc>(KIND.acl).find((a) => a.VpcId === vpc.VpcId && a.IsDefault);
  if (acl) {
    acl.Associations!.push({ NetworkAclAssociationId: newId("aclassoc"), NetworkAclId: acl.NetworkAclId, SubnetId });
    s.put(KIND.acl, acl.NetworkAclId, acl);
  }
  return subnet;
}

/** Addresses of a subnet held by network interfaces. */
export function usedIps(s: Ec2State, subnetId: string): Set<number> {
  const used = new Set<number>();
  for (const eni of s.all<EniDoc>(KIND.eni)) {
    if (eni.SubnetId !== subnetId) continue;
    for (const p of eni.PrivateIpAddresses ?? []) used.add(parseIp(p.PrivateIpAddress!)!);
  }
  return used;
}

/** AWS reserves the first four addresses and the last one of every subnet. */
export function availableIpCount(s: Ec2State, subnet: SubnetDoc, used?: Set<number>): number {
  const c = parseCidr(subnet.CidrBlock)!;
  return size(c) - 5 - (used ?? usedIps(s, subnet.SubnetId)).size;
}

/** The lowest free address of the subnet, or `wanted` after checking it is usable. */
export function allocateIp(s: Ec2State, subnet: SubnetDoc, wanted?: string, taken: Set<number> = usedIps(s, subnet.SubnetId)): string {
  const c = parseCidr(subnet.CidrBlock)!;
  const first = c.base + 4;
  const last = c.base + size(c) - 2;
  if (wanted !== undefined) {
    const ip = parseIp(wanted);
    if (ip === undefined || !containsIp(c, ip)) {
      throw new AwsError("InvalidParameterValue", `Address does not fall within the subnet's address range`, 400);
    }
    if (ip < first || ip > last) throw new AwsError("InvalidParameterValue", `The address ${wanted} is reserved in subnet ${subnet.SubnetId}`, 400);
    if (taken.has(ip)) throw new AwsError("InvalidIPAddress.InUse", `The specified address ${wanted} is already in use.`, 400);
    return wanted;
  }
  for (let ip = first; ip <= last; ip++) if (!taken.has(ip)) return ipString(ip);
  throw new AwsError("InsufficientFreeAddressesInSubnet", `The specified subnet ${subnet.SubnetId} does not have enough free addresses to satisfy the request.`, 400);
}

/** 172.31.0.0/20, 172.31.16.0/20, ... for the n-th zone of the region. */
export function defaultSubnetCidr(index: number): string {
  return cidrString({ base: parseIp("172.31.0.0")! + index * 4096, prefix: 20 });
}
