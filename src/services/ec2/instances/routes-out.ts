// Which destinations an instance may reach outside its VPC, as AWS routes them: the route table
// of its subnet (its explicit association, else the VPC's main table) is searched by longest
// prefix; the destination leaves the VPC when the winning route targets
// - an internet gateway attached to the VPC, and the instance has a public IPv4 address (its
//   own, or an Elastic IP on its interface), or
// - a NAT gateway that is `available`, public, and sits in a public subnet (one whose route
//   table has a route to an attached internet gateway).
// Every other target (local, peering, endpoints, blackholes) keeps the packet from the route out.
import type { Route } from "@aws-sdk/client-ec2";
import { parseCidr } from "../vpc/cidr.js";
import { KIND, type Ec2State, type EniDoc, type IgwDoc, type NatDoc, type RouteTableDoc } from "../vpc/store.js";
import type { InstanceDoc } from "./store.js";

/** One route of the instance's table as the firewall applies it, most specific first. */
export interface RouteOut {
  cidr: string;
  prefix: number;
  /** True: the destination leaves through the route out; false: it does not. */
  out: boolean;
}

/** The route table that applies to a subnet: its explicit association, else the VPC's main table. */
export function tableOf(tables: RouteTableDoc[], vpcId: string, subnetId: string): RouteTableDoc | undefined {
  const mine = tables.filter((t) => t.VpcId === vpcId);
  return mine.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId)) ?? mine.find((t) => t.Associations?.some((a) => a.Main));
}

/** What the routes-out decision needs of a scope, read once per resync. */
export class RouteView {
  private readonly tables: RouteTableDoc[];
  private readonly attached = new Set<string>();
  private readonly nats: Map<string, NatDoc>;

  constructor(private readonly s: Ec2State) {
    this.tables = s.all<RouteTableDoc>(KIND.rtb);
    for (const g of s.all<IgwDoc>(KIND.igw)) {
      for (const a of g.Attachments ?? []) if (a.VpcId && (a.State as string) === "available") this.attached.add(`${g.InternetGatewayId} ${a.VpcId}`);
    }
    this.nats = new Map(s.all<NatDoc>(KIND.nat).map((n) => [n.NatGatewayId, n]));
  }

  /**
   * The IPv4 destinations of every route of the VPC's tables but the default route: the route
   * out's own network (egress.ts) must not hide any of them.
   */
  destinations(vpcId: string): string[] {
    const out = new Set<string>();
    for (const t of this.tables) {
      if (t.VpcId !== vpcId) continue;
      for (const r of t.Routes ?? []) {
        const c = r.DestinationCidrBlock ? parseCidr(r.DestinationCidrBlock) : undefined;
        if (c && c.prefix > 0) out.add(r.DestinationCidrBlock!);
      }
    }
    return [...out];
  }

  /** Whether a subnet is public: its table routes somewhere to an internet gateway attached to its VPC. */
  isPublic(vpcId: string, subnetId: string): boolean {
    const t = tableOf(this.tables, vpcId, subnetId);
    return !!t?.Routes?.some((r) => this.toIgw(r, vpcId));
  }

  private toIgw(r: Route, vpcId: string): boolean {
    return !!r.GatewayId?.startsWith("igw-") && this.attached.has(`${r.GatewayId} ${vpcId}`);
  }

  private natUsable(id: string, vpcId: string): boolean {
    const n = this.nats.get(id);
    return !!n && n.State === "available" && n.ConnectivityType !== "private" && n.VpcId === vpcId && !!n.SubnetId && this.isPublic(vpcId, n.SubnetId);
  }

  /** The instance's routes with their verdict, most specific first; empty when nothing leaves. */
  routesOut(d: InstanceDoc): RouteOut[] {
    const t = tableOf(this.tables, d.VpcId, d.SubnetId);
    const eni = d.eniId ? this.s.get<EniDoc>(KIND.eni, d.eniId) : undefined;
    const isPublic = !!d.PublicIpAddress || !!eni?.Association?.PublicIp;
    const out: RouteOut[] = [];
    for (const r of t?.Routes ?? []) {
      const c = r.DestinationCidrBlock ? parseCidr(r.DestinationCidrBlock) : undefined;
      if (!c) continue; // IPv6 and prefix-list destinations: IPv4 only inside networks
      const leaves = (this.toIgw(r, d.VpcId) && isPublic) || (!!r.NatGatewayId && this.natUsable(r.NatGatewayId, d.VpcId));
      out.push({ cidr: r.DestinationCidrBlock!, prefix: c.prefix, out: leaves });
    }
    out.sort((a, b) => b.prefix - a.prefix);
    return out.some((r) => r.out) ? out : [];
  }
}
