// Elastic IPs: AllocateAddress, DescribeAddresses, AssociateAddress, DisassociateAddress,
// ReleaseAddress. Addresses are host loopback addresses (vpc/public-ips.ts).
import type {
  Address, AllocateAddressRequest, AllocateAddressResult, AssociateAddressRequest, AssociateAddressResult, DescribeAddressesRequest,
  DescribeAddressesResult, DisassociateAddressRequest, ReleaseAddressRequest,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { applyFilters } from "../filters.js";
import { dryRun, invalid, tagMap, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, notFound, RES } from "../vpc/lookup.js";
import { allocatePublicIp, releasePublicIp } from "../vpc/public-ips.js";
import { KIND, type Ec2State, type EipDoc, type EniDoc, type IgwDoc, type NatDoc } from "../vpc/store.js";
import { elasticAssociated, elasticDisassociated } from "../instances/public-address.js";
import { INSTANCE_KIND, type InstanceDoc } from "../instances/store.js";

/** AWS's default quota of Elastic IPs per region. */
const EIP_LIMIT = 5;

function addressView(d: EipDoc): Address {
  return { ...d, Tags: tagsOut(d.Tags) };
}

export const AllocateAddress = vpcHandler<AllocateAddressRequest, AllocateAddressResult>((input, s) => {
  if (input.Domain && input.Domain !== "vpc" && input.Domain !== "standard") throw invalid(`Value (${input.Domain}) for parameter domain is invalid.`);
  if (input.Address || input.PublicIpv4Pool || input.CustomerOwnedIpv4Pool || input.IpamPoolId) {
    throw invalid("Nimbus allocates Elastic IPs from its own pool only (no BYOIP or IPAM pools); see src/services/ec2/GAPS.md");
  }
  const tags = tagsOnCreate(input.TagSpecifications, "elastic-ip");
  dryRun(input);
  if (s.all(KIND.eip).length >= EIP_LIMIT) throw new AwsError("AddressLimitExceeded", "The maximum number of addresses has been reached.", 400);
  const eip: EipDoc = {
    AllocationId: newId("eipalloc"),
    PublicIp: allocatePublicIp(s, s.accountId),
    Domain: "vpc",
    PublicIpv4Pool: "amazon",
    NetworkBorderGroup: s.region,
    Tags: tags,
  };
  s.put(KIND.eip, eip.AllocationId, eip);
  return { AllocationId: eip.AllocationId, PublicIp: eip.PublicIp, Domain: "vpc", PublicIpv4Pool: "amazon", NetworkBorderGroup: s.region };
});

export const DescribeAddresses = vpcHandler<DescribeAddressesRequest, DescribeAddressesResult>((input, s) => {
  dryRun(input);
  let docs = s.all<EipDoc>(KIND.eip);
  if (input.AllocationIds?.length) {
    const missing = input.AllocationIds.filter((id) => !docs.some((d) => d.AllocationId === id));
    if (missing.length) throw notFound(RES.eip, missing);
    docs = docs.filter((d) => input.AllocationIds!.includes(d.AllocationId));
  }
  if (input.PublicIps?.length) {
    const missing = input.PublicIps.filter((ip) => !docs.some((d) => d.PublicIp === ip));
    if (missing.length) throw new AwsError("InvalidAddress.NotFound", `Address '${missing[0]}' not found.`, 400);
    docs = docs.filter((d) => input.PublicIps!.includes(d.PublicIp));
  }
  const out = applyFilters(
    docs,
    input.Filters,
    {
      "allocation-id": (d) => d.AllocationId,
      "association-id": (d) => d.AssociationId,
      domain: (d) => d.Domain,
      "instance-id": (d) => d.InstanceId,
      "network-interface-id": (d) => d.NetworkInterfaceId,
      "network-interface-owner-id": (d) => d.NetworkInterfaceOwnerId,
      "private-ip-address": (d) => d.PrivateIpAddress,
      "public-ip": (d) => d.PublicIp,
      "network-border-group": (d) => d.NetworkBorderGroup,
      "public-ipv4-pool": (d) => d.PublicIpv4Pool,
    },
    (d) => tagMap(d.Tags),
  );
  return { Addresses: out.map(addressView) };
});

function findEip(s: Ec2State, allocationId: string | undefined, publicIp: string | undefined): EipDoc {
  if (allocationId) return need<EipDoc>(s, RES.eip, allocationId, "AllocationId");
  if (publicIp) {
    const eip = s.all<EipDoc>(KIND.eip).find((d) => d.PublicIp === publicIp);
    if (!eip) throw new AwsError("InvalidAddress.NotFound", `Address '${publicIp}' not found.`, 400);
    return eip;
  }
  throw new AwsError("MissingParameter", "Either public IP or allocation id must be specified", 400);
}

/** Points an Elastic IP at one private address of an interface (AssociateAddress, NAT gateways). */
export function associate(s: Ec2State, eip: EipDoc, eni: EniDoc, privateIp: string): string {
  const AssociationId = newId("eipassoc");
  eip.NetworkInterfaceId = eni.NetworkInterfaceId;
  eip.NetworkInterfaceOwnerId = eni.OwnerId;
  eip.PrivateIpAddress = privateIp;
  eip.AssociationId = AssociationId;
  s.put(KIND.eip, eip.AllocationId, eip);
  const association = { PublicIp: eip.PublicIp, IpOwnerId: s.accountId, AllocationId: eip.AllocationId, AssociationId };
  if (privateIp === eni.PrivateIpAddress) eni.Association = association;
  eni.PrivateIpAddresses = eni.PrivateIpAddresses?.map((p) => (p.PrivateIpAddress === privateIp ? { ...p, Association: association } : p));
  s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  const inst = instanceOn(s, eni, privateIp);
  if (inst) {
    eip.InstanceId = inst.InstanceId;
    s.put(KIND.eip, eip.AllocationId, eip);
    elasticAssociated(s, inst, eip);
    s.put(INSTANCE_KIND, inst.InstanceId, inst);
  }
  return AssociationId;
}

/** The instance whose primary private address `privateIp` of `eni` is, if any. */
function instanceOn(s: Ec2State, eni: EniDoc, privateIp: string | undefined): InstanceDoc | undefined {
  const id = eni.Attachment?.InstanceId;
  if (!id || privateIp !== eni.PrivateIpAddress) return undefined;
  const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
  return d && d.State.Name !== "terminated" ? d : undefined;
}

function disassociate(s: Ec2State, eip: EipDoc): void {
  const eni = eip.NetworkInterfaceId ? s.get<EniDoc>(KIND.eni, eip.NetworkInterfaceId) : undefined;
  const inst = eni ? instanceOn(s, eni, eip.PrivateIpAddress) : undefined;
  if (eni) {
    if (eni.Association?.AllocationId === eip.AllocationId) delete eni.Association;
    eni.PrivateIpAddresses = eni.PrivateIpAddresses?.map((p) => {
      if (p.Association?.AllocationId !== eip.AllocationId) return p;
      const { Association: _a, ...rest } = p;
      return rest;
    });
    s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  }
  delete eip.NetworkInterfaceId;
  delete eip.NetworkInterfaceOwnerId;
  delete eip.PrivateIpAddress;
  delete eip.AssociationId;
  delete eip.InstanceId;
  s.put(KIND.eip, eip.AllocationId, eip);
  if (inst) {
    elasticDisassociated(s, inst);
    s.put(INSTANCE_KIND, inst.InstanceId, inst);
  }
}

export const AssociateAddress = vpcHandler<AssociateAddressRequest, AssociateAddressResult>((input, s) => {
  const eip = findEip(s, input.AllocationId, input.PublicIp);
  let eniId = input.NetworkInterfaceId;
  if (input.InstanceId) {
    // An instance: its primary interface.
    const d = s.get<InstanceDoc>(INSTANCE_KIND, input.InstanceId);
    if (!d || d.State.Name === "terminated") throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${input.InstanceId}' does not exist`, 400);
    if (d.State.Name !== "running" && d.State.Name !== "stopped") {
      throw new AwsError("IncorrectInstanceState", `The instance '${input.InstanceId}' is not in a valid state for this operation.`, 400);
    }
    eniId = d.eniId;
  }
  const eni = need<EniDoc>(s, RES.eni, eniId, "NetworkInterfaceId");
  const privateIp = input.PrivateIpAddress ?? eni.PrivateIpAddress;
  if (!eni.PrivateIpAddresses?.some((p) => p.PrivateIpAddress === privateIp)) {
    throw invalid(`The specified private IP address ${privateIp} is not associated with network interface ${eni.NetworkInterfaceId}`);
  }
  if (!s.all<IgwDoc>(KIND.igw).some((g) => g.Attachments?.some((a) => a.VpcId === eni.VpcId))) {
    throw new AwsError("Gateway.NotAttached", `Network ${eni.VpcId} is not attached to any internet gateway`, 400);
  }
  if (eip.AssociationId && !input.AllowReassociation) {
    throw new AwsError("Resource.AlreadyAssociated", `resource ${eip.AllocationId} is already associated with associate-id ${eip.AssociationId}`, 400);
  }
  const holder = s.all<EipDoc>(KIND.eip).find((d) => d.AllocationId !== eip.AllocationId && d.NetworkInterfaceId === eni.NetworkInterfaceId && d.PrivateIpAddress === privateIp);
  if (holder && !input.AllowReassociation) {
    throw new AwsError("Resource.AlreadyAssociated", `resource ${eni.NetworkInterfaceId} is already associated with associate-id ${holder.AssociationId}`, 400);
  }
  dryRun(input);
  if (holder) disassociate(s, holder);
  if (eip.AssociationId) disassociate(s, eip);
  return { AssociationId: associate(s, eip, s.get<EniDoc>(KIND.eni, eni.NetworkInterfaceId)!, privateIp) };
});

export const DisassociateAddress = vpcHandler<DisassociateAddressRequest, Record<string, never>>((input, s) => {
  let eip: EipDoc | undefined;
  if (input.AssociationId) {
    eip = s.all<EipDoc>(KIND.eip).find((d) => d.AssociationId === input.AssociationId);
    if (!eip) throw new AwsError("InvalidAssociationID.NotFound", `The association ID '${input.AssociationId}' does not exist`, 400);
  } else eip = findEip(s, undefined, input.PublicIp);
  if (!eip.AssociationId) throw new AwsError("InvalidAssociationID.NotFound", `The address '${eip.PublicIp}' is not associated`, 400);
  const eni = eip.NetworkInterfaceId ? s.get<EniDoc>(KIND.eni, eip.NetworkInterfaceId) : undefined;
  if ((eni?.InterfaceType as string) === "nat_gateway") throw new AwsError("InvalidIPAddress.InUse", `Address ${eip.PublicIp} is in use by a NAT gateway.`, 400);
  dryRun(input);
  disassociate(s, eip);
  return {};
});

export const ReleaseAddress = vpcHandler<ReleaseAddressRequest, Record<string, never>>((input, s) => {
  const eip = findEip(s, input.AllocationId, input.PublicIp);
  const nat = s.all<NatDoc>(KIND.nat).some((n) => (n.State === "available" || n.State === "pending") && n.NatGatewayAddresses?.some((a) => a.AllocationId === eip.AllocationId));
  if (eip.AssociationId || nat) throw new AwsError("InvalidIPAddress.InUse", `Address ${eip.PublicIp} is in use.`, 400);
  dryRun(input);
  s.delete(KIND.eip, eip.AllocationId);
  releasePublicIp(s, eip.PublicIp);
  return {};
});
