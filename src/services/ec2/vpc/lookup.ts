// Each resource type's id prefix, document kind and AWS's NotFound / Malformed errors.
import { AwsError } from "../../../core/errors.js";
import { wellFormed } from "./ids.js";
import { KIND, type Ec2State } from "./store.js";

export interface ResourceInfo {
  kind: string;
  prefix: string;
  notFound: string;
  malformed: string;
  /** AWS's NotFound message for these ids. */
  message(ids: string[]): string;
  /** The TagSpecifications / DescribeTags resource type. */
  tagType: string;
}

const idsWord = (noun: string) => (ids: string[]) =>
  ids.length === 1 ? `The ${noun} ID '${ids[0]}' does not exist` : `The ${noun} IDs '${ids.join(", ")}' do not exist`;

export const RES = {
  vpc: { kind: KIND.vpc, prefix: "vpc", notFound: "InvalidVpcID.NotFound", malformed: "InvalidVpcID.Malformed", message: idsWord("vpc"), tagType: "vpc" },
  subnet: { kind: KIND.subnet, prefix: "subnet", notFound: "InvalidSubnetID.NotFound", malformed: "InvalidSubnetID.Malformed", message: idsWord("subnet"), tagType: "subnet" },
  rtb: { kind: KIND.rtb, prefix: "rtb", notFound: "InvalidRouteTableID.NotFound", malformed: "InvalidRouteTableID.Malformed", message: idsWord("routeTable"), tagType: "route-table" },
  igw: { kind: KIND.igw, prefix: "igw", notFound: "InvalidInternetGatewayID.NotFound", malformed: "InvalidInternetGatewayID.Malformed", message: idsWord("internetGateway"), tagType: "internet-gateway" },
  sg: {
    kind: KIND.sg, prefix: "sg", notFound: "InvalidGroup.NotFound", malformed: "InvalidGroupId.Malformed", tagType: "security-group",
    message: (ids: string[]) => (ids.length === 1 ? `The security group '${ids[0]}' does not exist` : `The security groups '${ids.join(", ")}' do not exist`),
  },
  acl: { kind: KIND.acl, prefix: "acl", notFound: "InvalidNetworkAclID.NotFound", malformed: "InvalidNetworkAclID.Malformed", message: idsWord("networkAcl"), tagType: "network-acl" },
  eni: { kind: KIND.eni, prefix: "eni", notFound: "InvalidNetworkInterfaceID.NotFound", malformed: "InvalidNetworkInterfaceID.Malformed", message: idsWord("networkInterface"), tagType: "network-interface" },
  eip: {
    kind: KIND.eip, prefix: "eipalloc", notFound: "InvalidAllocationID.NotFound", malformed: "InvalidAllocationID.Malformed", tagType: "elastic-ip",
    message: (ids: string[]) => `The allocation ID${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist`,
  },
  nat: { kind: KIND.nat, prefix: "nat", notFound: "NatGatewayNotFound", malformed: "NatGatewayMalformed", message: (ids: string[]) => `The Nat Gateway ${ids.join(", ")} was not found`, tagType: "natgateway" },
  key: { kind: KIND.key, prefix: "key", notFound: "InvalidKeyPair.NotFound", malformed: "InvalidKeyPair.Malformed", message: (ids: string[]) => `The key pair ID${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist`, tagType: "key-pair" },
  vpce: { kind: KIND.vpce, prefix: "vpce", notFound: "InvalidVpcEndpointId.NotFound", malformed: "InvalidVpcEndpointId.Malformed", message: (ids: string[]) => `The Vpc Endpoint Id${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist`, tagType: "vpc-endpoint" },
  dopt: { kind: KIND.dopt, prefix: "dopt", notFound: "InvalidDhcpOptionID.NotFound", malformed: "InvalidDhcpOptionsId.Malformed", message: idsWord("dhcpOption"), tagType: "dhcp-options" },
  pcx: { kind: KIND.pcx, prefix: "pcx", notFound: "InvalidVpcPeeringConnectionID.NotFound", malformed: "InvalidVpcPeeringConnectionId.Malformed", message: idsWord("vpcPeeringConnection"), tagType: "vpc-peering-connection" },
  instance: { kind: "i", prefix: "i", notFound: "InvalidInstanceID.NotFound", malformed: "InvalidInstanceID.Malformed", message: idsWord("instance"), tagType: "instance" },
  image: {
    kind: "ami", prefix: "ami", notFound: "InvalidAMIID.NotFound", malformed: "InvalidAMIID.Malformed", tagType: "image",
    message: (ids: string[]) => `The image id${ids.length > 1 ? "s" : ""} '[${ids.join(", ")}]' ${ids.length > 1 ? "do" : "does"} not exist`,
  },
  volume: {
    kind: "vol", prefix: "vol", notFound: "InvalidVolume.NotFound", malformed: "InvalidVolumeID.Malformed", tagType: "volume",
    message: (ids: string[]) => `The volume${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist.`,
  },
  snapshot: {
    kind: "snap", prefix: "snap", notFound: "InvalidSnapshot.NotFound", malformed: "InvalidSnapshotID.Malformed", tagType: "snapshot",
    message: (ids: string[]) => `The snapshot${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist.`,
  },
  launchTemplate: {
    kind: "lt", prefix: "lt", notFound: "InvalidLaunchTemplateId.NotFound", malformed: "InvalidLaunchTemplateId.Malformed", tagType: "launch-template",
    message: (ids: string[]) => `The specified launch template${ids.length > 1 ? "s" : ""}, with template ID ${ids.join(", ")}, ${ids.length > 1 ? "do" : "does"} not exist.`,
  },
} satisfies Record<string, ResourceInfo>;

export function notFound(res: ResourceInfo, ids: string[]): AwsError {
  return new AwsError(res.notFound, res.message(ids), 400);
}

export function malformed(res: ResourceInfo, id: string): AwsError {
  return new AwsError(res.malformed, `Invalid id: "${id}"${["sg", "vol", "snap"].includes(res.prefix) ? ` (expecting "${res.prefix}-...")` : ""}`, 400);
}

/** The document for `id`, or AWS's Malformed / NotFound error. */
export function need<T>(s: Ec2State, res: ResourceInfo, id: string | undefined, param?: string): T {
  if (!id) throw new AwsError("MissingParameter", `The request must contain the parameter ${param ?? res.prefix + "Id"}`, 400);
  if (!wellFormed(res.prefix, id)) throw malformed(res, id);
  const doc = s.get<T>(res.kind, id);
  if (!doc) throw notFound(res, [id]);
  return doc;
}

/** The resource type of an id by its prefix (CreateTags, DeleteTags). */
export function resourceOf(id: string): ResourceInfo | undefined {
  const prefix = id.slice(0, id.lastIndexOf("-"));
  return Object.values(RES).find((r) => r.prefix === prefix);
}
