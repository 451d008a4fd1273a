// Network interfaces: Create/Describe/Delete, ModifyNetworkInterfaceAttribute,
// Assign/UnassignPrivateIpAddresses. Private addresses come from the subnet's CIDR (the first
// four and the last reserved); interfaces NAT gateways and endpoints make are requester-managed.
import type {
  AssignPrivateIpAddressesRequest, AssignPrivateIpAddressesResult, CreateNetworkInterfaceRequest, CreateNetworkInterfaceResult,
  DeleteNetworkInterfaceRequest, DescribeNetworkInterfaceAttributeRequest, DescribeNetworkInterfaceAttributeResult, DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult, ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface, Tag, UnassignPrivateIpAddressesRequest,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { allocateIp, usedIps } from "../vpc/build.js";
import { parseIp } from "../vpc/cidr.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId, newMac } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type EipDoc, type EniDoc, type SgDoc, type SubnetDoc } from "../vpc/store.js";

/** ip-10-0-1-5.ec2.internal in us-east-1, ip-10-0-1-5.<region>.compute.internal elsewhere. */
export function privateDnsName(region: string, ip: string): string {
  return `ip-${ip.replace(/\./g, "-")}.${region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`}`;
}

export function eniView(d: EniDoc): NetworkInterface {
  const { Tags, ...rest } = d;
  return { ...rest, TagSet: Tags ?? [] };
}

function groupsFor(s: Ec2State, vpcId: string, ids: string[] | undefined): Array<{ GroupId: string; GroupName: string }> {
  const groups = ids?.length
    ? ids.map((id) => need<SgDoc>(s, RES.sg, id))
    : s.all<SgDoc>(KIND.sg).filter((g) => g.VpcId === vpcId && g.GroupName === "default");
  for (const g of groups) if (g.VpcId !== vpcId) throw invalid(`The security group '${g.GroupId}' does not belong to VPC '${vpcId}'`);
  return groups.map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName }));
}

/** Builds and stores an interface; also used by NAT gateways and interface endpoints. */
export function createInterface(
  s: Ec2State,
  subnet: SubnetDoc,
  opts: { description?: string; privateIp?: string; secondary?: string[]; secondaryCount?: number; groups?: string[]; tags?: Tag[]; type?: NetworkInterface["InterfaceType"]; requester?: string },
): EniDoc {
  const taken = usedIps(s, subnet.SubnetId);
  const primary = allocateIp(s, subnet, opts.privateIp, taken);
  taken.add(parseIp(primary)!);
  const extra: string[] = [];
  for (const ip of opts.secondary ?? []) {
    extra.push(allocateIp(s, subnet, ip, taken));
    taken.add(parseIp(ip)!);
  }
  for (let i = 0; i < (opts.secondaryCount ?? 0); i++) {
    const ip = allocateIp(s, subnet, undefined, taken);
    extra.push(ip);
    taken.add(parseIp(ip)!);
  }
  const eni: EniDoc = {
    NetworkInterfaceId: newId("eni"),
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    AvailabilityZone: subnet.AvailabilityZone,
    Description: opts.description ?? "",
    Groups: groupsFor(s, subnet.VpcId, opts.groups),
    InterfaceType: opts.type ?? "interface",
    Ipv6Addresses: [],
    MacAddress: newMac(),
    OwnerId: s.accountId,
    PrivateDnsName: privateDnsName(s.region, primary),
    PrivateIpAddress: primary,
    PrivateIpAddresses: [primary, ...extra].map((ip, i) => ({ Primary: i === 0, PrivateIpAddress: ip, PrivateDnsName: privateDnsName(s.region, ip) })),
    RequesterId: opts.requester,
    RequesterManaged: !!opts.requester,
    SourceDestCheck: true,
    Status: opts.requester ? "in-use" : "available",
    Tags: opts.tags ?? [],
  };
  s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  return eni;
}

export const CreateNetworkInterface = vpcHandler<CreateNetworkInterfaceRequest, CreateNetworkInterfaceResult>((input, s) => {
  const subnet = need<SubnetDoc>(s, RES.subnet, input.SubnetId, "SubnetId");
  const tags = tagsOnCreate(input.TagSpecifications, "network-interface");
  if (input.InterfaceType && !["efa", "efa-only", "trunk", "interface"].includes(input.InterfaceType)) {
    throw invalid(`Value (${input.InterfaceType}) for parameter interfaceType is invalid.`);
  }
  const listed = input.PrivateIpAddresses ?? [];
  const primary = input.PrivateIpAddress ?? listed.find((p) => p.Primary)?.PrivateIpAddress;
  const secondary = listed.filter((p) => p.PrivateIpAddress !== primary).map((p) => p.PrivateIpAddress!);
  const eni = createInterface(s, subnet, {
    description: input.Description,
    privateIp: primary,
    secondary,
    secondaryCount: input.SecondaryPrivateIpAddressCount,
    groups: input.Groups,
    tags,
    type: (input.InterfaceType as NetworkInterface["InterfaceType"]) ?? "interface",
  });
  dryRun(input);
  return { NetworkInterface: { ...eniView(eni), TagSet: tagsOut(tags) ?? [] } };
});

export const DescribeNetworkInterfaces = vpcHandler<DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult>((input, s) => {
  dryRun(input);
  const ips = (d: EniDoc) => (d.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress);
  const { items, next } = describe(s.all<EniDoc>(KIND.eni), input.NetworkInterfaceIds, input, {
    res: RES.eni,
    idsParam: "networkInterfaceIds",
    idOf: (d) => d.NetworkInterfaceId,
    view: eniView,
    accessors: {
      "network-interface-id": (d) => d.NetworkInterfaceId,
      "subnet-id": (d) => d.SubnetId,
      "vpc-id": (d) => d.VpcId,
      "availability-zone": (d) => d.AvailabilityZone,
      description: (d) => d.Description,
      "group-id": (d) => d.Groups?.map((g) => g.GroupId),
      "group-name": (d) => d.Groups?.map((g) => g.GroupName),
      status: (d) => d.Status,
      "mac-address": (d) => d.MacAddress,
      "owner-id": (d) => d.OwnerId,
      "private-ip-address": ips,
      "addresses.private-ip-address": ips,
      "addresses.primary": (d) => d.PrivateIpAddresses?.map((p) => p.Primary),
      "private-dns-name": (d) => d.PrivateDnsName,
      "interface-type": (d) => d.InterfaceType,
      "requester-id": (d) => d.RequesterId,
      "requester-managed": (d) => d.RequesterManaged,
      "source-dest-check": (d) => d.SourceDestCheck,
      "association.public-ip": (d) => d.Association?.PublicIp,
      "association.allocation-id": (d) => d.Association?.AllocationId,
      "association.association-id": (d) => d.Association?.AssociationId,
      "attachment.instance-id": (d) => d.Attachment?.InstanceId,
      "attachment.status": (d) => d.Attachment?.Status,
    },
  });
  return { NetworkInterfaces: items, NextToken: next };
});

/** Elastic IPs on an interface go back to being unassociated. */
export function releaseInterface(s: Ec2State, eni: EniDoc): void {
  for (const eip of s.all<EipDoc>(KIND.eip)) {
    if (eip.NetworkInterfaceId !== eni.NetworkInterfaceId) continue;
    delete eip.NetworkInterfaceId;
    delete eip.NetworkInterfaceOwnerId;
    delete eip.PrivateIpAddress;
    delete eip.AssociationId;
    s.put(KIND.eip, eip.AllocationId, eip);
  }
  s.delete(KIND.eni, eni.NetworkInterfaceId);
}

export const DeleteNetworkInterface = vpcHandler<DeleteNetworkInterfaceRequest, Record<string, never>>((input, s) => {
  const eni = need<EniDoc>(s, RES.eni, input.NetworkInterfaceId, "NetworkInterfaceId");
  if (eni.RequesterManaged) {
    throw new AwsError("OperationNotPermitted", `You do not have permission to access the specified resource.`, 400);
  }
  if (eni.Attachment || eni.Status === "in-use") throw new AwsError("InvalidNetworkInterface.InUse", `The network interface '${eni.NetworkInterfaceId}' is currently in use.`, 400);
  dryRun(input);
  releaseInterface(s, eni);
  return {};
});

export const ModifyNetworkInterfaceAttribute = vpcHandler<ModifyNetworkInterfaceAttributeRequest, Record<string, never>>((input, s) => {
  const eni = need<EniDoc>(s, RES.eni, input.NetworkInterfaceId, "NetworkInterfaceId");
  let changed = 0;
  if (input.Description?.Value !== undefined) {
    eni.Description = input.Description.Value;
    changed++;
  }
  if (input.SourceDestCheck?.Value !== undefined) {
    eni.SourceDestCheck = input.SourceDestCheck.Value;
    changed++;
  }
  if (input.Groups?.length) {
    eni.Groups = groupsFor(s, eni.VpcId, input.Groups);
    changed++;
  }
  if (changed === 0) throw new AwsError("MissingParameter", "The request must contain the parameter description, sourceDestCheck or groupSet", 400);
  if (changed > 1) throw new AwsError("InvalidParameterCombination", "Only one attribute may be modified at a time", 400);
  dryRun(input);
  s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  return {};
});

export const AssignPrivateIpAddresses = vpcHandler<AssignPrivateIpAddressesRequest, AssignPrivateIpAddressesResult>((input, s) => {
  const eni = need<EniDoc>(s, RES.eni, input.NetworkInterfaceId, "NetworkInterfaceId");
  const subnet = s.get<SubnetDoc>(KIND.subnet, eni.SubnetId)!;
  if (!input.PrivateIpAddresses?.length && !input.SecondaryPrivateIpAddressCount) {
    throw new AwsError("MissingParameter", "The request must contain the parameter privateIpAddress or secondaryPrivateIpAddressCount", 400);
  }
  const taken = usedIps(s, subnet.SubnetId);
  const added: string[] = [];
  for (const ip of input.PrivateIpAddresses ?? []) {
    added.push(allocateIp(s, subnet, ip, taken));
    taken.add(parseIp(ip)!);
  }
  for (let i = 0; i < (input.SecondaryPrivateIpAddressCount ?? 0); i++) {
    const ip = allocateIp(s, subnet, undefined, taken);
    added.push(ip);
    taken.add(parseIp(ip)!);
  }
  dryRun(input);
  eni.PrivateIpAddresses!.push(...added.map((ip) => ({ Primary: false, PrivateIpAddress: ip, PrivateDnsName: privateDnsName(s.region, ip) })));
  s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  return { NetworkInterfaceId: eni.NetworkInterfaceId, AssignedPrivateIpAddresses: added.map((PrivateIpAddress) => ({ PrivateIpAddress })) };
});

export const UnassignPrivateIpAddresses = vpcHandler<UnassignPrivateIpAddressesRequest, Record<string, never>>((input, s) => {
  const eni = need<EniDoc>(s, RES.eni, input.NetworkInterfaceId, "NetworkInterfaceId");
  for (const ip of input.PrivateIpAddresses ?? []) {
    const p = eni.PrivateIpAddresses!.find((x) => x.PrivateIpAddress === ip);
    if (!p) throw new AwsError("InvalidParameterValue", `Some of the specified addresses are not assigned to interface ${eni.NetworkInterfaceId}`, 400);
    if (p.Primary) throw invalid(`The primary private IP address ${ip} of interface ${eni.NetworkInterfaceId} cannot be unassigned`);
  }
  dryRun(input);
  eni.PrivateIpAddresses = eni.PrivateIpAddresses!.filter((p) => !input.PrivateIpAddresses?.includes(p.PrivateIpAddress!));
  s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  return {};
});


export const DescribeNetworkInterfaceAttribute = vpcHandler<DescribeNetworkInterfaceAttributeRequest, DescribeNetworkInterfaceAttributeResult>((input, s) => {
  const eni = need<EniDoc>(s, RES.eni, input.NetworkInterfaceId, "NetworkInterfaceId");
  dryRun(input);
  const id = eni.NetworkInterfaceId;
  switch (input.Attribute) {
    case "description":
      return { NetworkInterfaceId: id, Description: { Value: eni.Description } };
    case "groupSet":
      return { NetworkInterfaceId: id, Groups: eni.Groups };
    case "sourceDestCheck":
      return { NetworkInterfaceId: id, SourceDestCheck: { Value: eni.SourceDestCheck } };
    case "attachment":
      return { NetworkInterfaceId: id, Attachment: eni.Attachment };
    case "associatePublicIpAddress":
      return { NetworkInterfaceId: id, AssociatePublicIpAddress: !!eni.Association };
    default:
      throw invalid(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
  }
});
