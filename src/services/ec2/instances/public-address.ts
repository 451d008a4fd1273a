// An instance's public IPv4 address, as AWS keeps it: either an address from Amazon's pool
// (given at launch or start when its subnet or interface asks for one, released at stop) or an
// Elastic IP associated with its primary private address (kept across stop and start, taken off
// at terminate, and replacing the pool address while associated). Both are host loopback
// addresses from one registry (vpc/public-ips.ts).
import { allocatePublicIp, releasePublicIp } from "../vpc/public-ips.js";
import { KIND, type Ec2State, type EipDoc, type EniDoc } from "../vpc/store.js";
import { publicDns } from "../handlers/run-instances.js";
import type { InstanceDoc } from "./store.js";

/** The Elastic IP on the instance's primary private address, if any. */
export function elasticOf(s: Ec2State, d: InstanceDoc): EipDoc | undefined {
  if (!d.eniId) return undefined;
  return s.all<EipDoc>(KIND.eip).find((e) => e.NetworkInterfaceId === d.eniId && e.PrivateIpAddress === d.PrivateIpAddress);
}

/** Writes the instance's public address (or none) into its document, its interface copy and its interface. */
export function setPublicAddress(s: Ec2State, d: InstanceDoc, ip: string | undefined, eip?: EipDoc): void {
  d.PublicIpAddress = ip;
  d.PublicDnsName = ip ? publicDns(s.region, ip) : "";
  const assoc = ip
    ? eip
      ? { IpOwnerId: s.accountId, PublicIp: ip, PublicDnsName: d.PublicDnsName, AllocationId: eip.AllocationId, AssociationId: eip.AssociationId }
      : { IpOwnerId: "amazon", PublicIp: ip, PublicDnsName: d.PublicDnsName }
    : undefined;
  const eni = d.eniId ? s.get<EniDoc>(KIND.eni, d.eniId) : undefined;
  if (eni && !eip) {
    // An Elastic IP's association on the interface is written by AssociateAddress itself.
    eni.Association = assoc;
    s.put(KIND.eni, eni.NetworkInterfaceId, eni);
  }
  const nic = d.NetworkInterfaces?.[0];
  if (nic) {
    nic.Association = assoc;
    if (nic.PrivateIpAddresses?.[0]) nic.PrivateIpAddresses[0].Association = assoc;
  }
}

/** Gives back a pool address (not an Elastic IP, which stays associated) and clears it. */
export function releasePoolAddress(s: Ec2State, d: InstanceDoc): void {
  if (!d.PublicIpAddress || elasticOf(s, d)) return;
  releasePublicIp(s, d.PublicIpAddress);
  setPublicAddress(s, d, undefined);
}

/** An Elastic IP now on the instance's primary address: it replaces a pool address. */
export function elasticAssociated(s: Ec2State, d: InstanceDoc, eip: EipDoc): void {
  if (d.PublicIpAddress && d.PublicIpAddress !== eip.PublicIp && !s.all<EipDoc>(KIND.eip).some((e) => e.PublicIp === d.PublicIpAddress)) releasePublicIp(s, d.PublicIpAddress);
  setPublicAddress(s, d, eip.PublicIp, eip);
}

/** The Elastic IP taken off: a running instance whose interface asks for a public address gets a pool one again. */
export function elasticDisassociated(s: Ec2State, d: InstanceDoc): void {
  const again = d.mapPublicIp && (d.State.Name === "running" || d.State.Name === "pending");
  setPublicAddress(s, d, again ? allocatePublicIp(s, d.InstanceId) : undefined);
}
