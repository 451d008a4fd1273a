// The VPC family's state: JSON documents in the shared document store, one kind per resource
// type, scoped to account and region (see GAPS.md "By design" for why not tables). Documents
// keep AWS's own output shapes so Describe answers them as they are, plus a few internal
// members (lower-case, never serialized: the EC2 protocol writes only model members).
import type {
  Address, InternetGateway, KeyPairInfo, NatGateway, NetworkAcl, NetworkInterface, RouteTable, Subnet, Tag, Vpc, VpcEndpoint, VpcPeeringConnection,
} from "@aws-sdk/client-ec2";
import type { RequestContext } from "../../../core/service.js";
import type { DocStore } from "../../../core/state/doc-store.js";

export interface VpcDoc extends Vpc {
  VpcId: string;
  CidrBlock: string;
  dnsSupport: boolean;
  dnsHostnames: boolean;
  networkAddressUsageMetrics?: boolean;
}

export interface SubnetDoc extends Subnet {
  SubnetId: string;
  VpcId: string;
  CidrBlock: string;
}

export interface RouteTableDoc extends RouteTable {
  RouteTableId: string;
  VpcId: string;
}

export interface IgwDoc extends InternetGateway {
  InternetGatewayId: string;
}

/** One security group rule: one protocol/port range and one peer. */
export interface SgRule {
  id: string;
  egress: boolean;
  /** "-1", "tcp", "udp", "icmp", "icmpv6" or a protocol number. */
  proto: string;
  from?: number;
  to?: number;
  cidr4?: string;
  cidr6?: string;
  prefixList?: string;
  group?: { GroupId: string; UserId: string; VpcId?: string };
  description?: string;
  tags?: Tag[];
}

export interface SgDoc {
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  OwnerId: string;
  Tags?: Tag[];
  rules: SgRule[];
}

export interface AclDoc extends NetworkAcl {
  NetworkAclId: string;
  VpcId: string;
}

export interface EniDoc extends NetworkInterface {
  NetworkInterfaceId: string;
  /** Kept as Tags like every other document; answered as TagSet, the interface's member name. */
  Tags?: Tag[];
  SubnetId: string;
  VpcId: string;
  PrivateIpAddress: string;
}

export interface EipDoc extends Omit<Address, "Tags"> {
  AllocationId: string;
  PublicIp: string;
  Tags?: Tag[];
}

export interface NatDoc extends Omit<NatGateway, "CreateTime" | "DeleteTime"> {
  NatGatewayId: string;
  createTime: string;
  deleteTime?: string;
}

export interface KeyDoc extends Omit<KeyPairInfo, "CreateTime"> {
  KeyPairId: string;
  KeyName: string;
  publicKey: string;
  createTime: string;
}

export interface VpceDoc extends Omit<VpcEndpoint, "CreationTimestamp" | "State"> {
  /** AWS answers lower-case states (available, deleted) where the SDK enum is capitalised. */
  State: string;
  VpcEndpointId: string;
  VpcId: string;
  created: string;
}

export interface DoptDoc {
  DhcpOptionsId: string;
  OwnerId: string;
  DhcpConfigurations: Array<{ Key: string; Values: Array<{ Value: string }> }>;
  Tags?: Tag[];
}

export interface PcxDoc extends Omit<VpcPeeringConnection, "ExpirationTime"> {
  VpcPeeringConnectionId: string;
  expires?: string;
}

/** The document kinds, named by id prefix. */
export const KIND = {
  vpc: "vpc",
  subnet: "subnet",
  rtb: "rtb",
  igw: "igw",
  sg: "sg",
  acl: "acl",
  eni: "eni",
  eip: "eipalloc",
  nat: "nat",
  key: "key",
  vpce: "vpce",
  pcx: "pcx",
  dopt: "dopt",
  meta: "vpc-meta",
} as const;

export class Ec2State {
  constructor(
    readonly store: DocStore,
    readonly accountId: string,
    readonly region: string,
  ) {}

  get<T>(kind: string, id: string): T | undefined {
    return this.store.get<T>(kind, id);
  }

  put<T>(kind: string, id: string, doc: T): void {
    this.store.put(kind, id, doc);
  }

  delete(kind: string, id: string): void {
    this.store.delete(kind, id);
  }

  all<T>(kind: string): T[] {
    return this.store.list<T>(kind).map((r) => r.doc);
  }

  /** The same account's state in another region, or another account's (peering). */
  other(accountId: string, region: string): Ec2State {
    return new Ec2State(this.store.withScope(`${accountId}/${region}`), accountId, region);
  }
}

export function stateOf(ctx: RequestContext): Ec2State {
  return new Ec2State(ctx.store, ctx.accountId, ctx.region);
}
