// Route tables: Create/Describe/Delete, CreateRoute/ReplaceRoute/DeleteRoute, Associate /
// Disassociate / ReplaceRouteTableAssociation (which also moves the main association).
import type {
  AssociateRouteTableRequest, AssociateRouteTableResult, CreateRouteRequest, CreateRouteResult, CreateRouteTableRequest, CreateRouteTableResult,
  DeleteRouteRequest, DeleteRouteTableRequest, DescribeRouteTablesRequest, DescribeRouteTablesResult, DisassociateRouteTableRequest,
  ReplaceRouteRequest, ReplaceRouteTableAssociationRequest, ReplaceRouteTableAssociationResult, Route, RouteTable,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { cidrString, parseCidr } from "../vpc/cidr.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type EniDoc, type IgwDoc, type NatDoc, type PcxDoc, type RouteTableDoc, type SubnetDoc, type VpcDoc } from "../vpc/store.js";

/** A route's state as AWS shows it: blackhole once its target is gone or detached. */
function routeState(s: Ec2State, vpcId: string, r: Route): Route["State"] {
  if (r.GatewayId?.startsWith("igw-")) {
    const igw = s.get<IgwDoc>(KIND.igw, r.GatewayId);
    return igw?.Attachments?.some((a) => a.VpcId === vpcId) ? "active" : "blackhole";
  }
  if (r.NatGatewayId) return s.get<NatDoc>(KIND.nat, r.NatGatewayId)?.State === "available" ? "active" : "blackhole";
  if (r.NetworkInterfaceId) return s.get(KIND.eni, r.NetworkInterfaceId) ? "active" : "blackhole";
  if (r.VpcPeeringConnectionId) return s.get<PcxDoc>(KIND.pcx, r.VpcPeeringConnectionId)?.Status?.Code === "active" ? "active" : "blackhole";
  return "active";
}

export function routeTableView(s: Ec2State, d: RouteTableDoc): RouteTable {
  const { Tags, ...rest } = d;
  return { ...rest, Routes: d.Routes?.map((r) => ({ ...r, State: routeState(s, d.VpcId, r) })), Tags: tagsOut(Tags) };
}

export const CreateRouteTable = vpcHandler<CreateRouteTableRequest, CreateRouteTableResult>((input, s) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  const tags = tagsOnCreate(input.TagSpecifications, "route-table");
  dryRun(input);
  const rt: RouteTableDoc = {
    RouteTableId: newId("rtb"),
    VpcId: vpc.VpcId,
    OwnerId: s.accountId,
    Routes: (vpc.CidrBlockAssociationSet ?? []).map((a) => ({ DestinationCidrBlock: a.CidrBlock, GatewayId: "local", State: "active", Origin: "CreateRouteTable" })),
    Associations: [],
    PropagatingVgws: [],
    Tags: tags,
  };
  s.put(KIND.rtb, rt.RouteTableId, rt);
  return { RouteTable: routeTableView(s, rt) };
});

export const DescribeRouteTables = vpcHandler<DescribeRouteTablesRequest, DescribeRouteTablesResult>((input, s) => {
  dryRun(input);
  const routes = (d: RouteTableDoc) => d.Routes ?? [];
  const assocs = (d: RouteTableDoc) => d.Associations ?? [];
  const { items, next } = describe(s.all<RouteTableDoc>(KIND.rtb), input.RouteTableIds, input, {
    res: RES.rtb,
    idsParam: "routeTableIds",
    idOf: (d) => d.RouteTableId,
    view: (d) => routeTableView(s, d),
    min: 5,
    max: 100,
    accessors: {
      "route-table-id": (d) => d.RouteTableId,
      "vpc-id": (d) => d.VpcId,
      "owner-id": (d) => d.OwnerId,
      "association.route-table-association-id": (d) => assocs(d).map((a) => a.RouteTableAssociationId),
      "association.route-table-id": (d) => assocs(d).map((a) => a.RouteTableId),
      "association.subnet-id": (d) => assocs(d).map((a) => a.SubnetId),
      "association.gateway-id": (d) => assocs(d).map((a) => a.GatewayId),
      // A table without a main association matches main=false, as on AWS.
      "association.main": (d) => (assocs(d).some((a) => a.Main) ? true : false),
      "route.destination-cidr-block": (d) => routes(d).map((r) => r.DestinationCidrBlock),
      "route.destination-prefix-list-id": (d) => routes(d).map((r) => r.DestinationPrefixListId),
      "route.gateway-id": (d) => routes(d).map((r) => r.GatewayId),
      "route.nat-gateway-id": (d) => routes(d).map((r) => r.NatGatewayId),
      "route.vpc-peering-connection-id": (d) => routes(d).map((r) => r.VpcPeeringConnectionId),
      "route.origin": (d) => routes(d).map((r) => r.Origin),
      "route.state": (d) => routes(d).map((r) => routeState(s, d.VpcId, r)),
    },
  });
  return { RouteTables: items, NextToken: next };
});

export const DeleteRouteTable = vpcHandler<DeleteRouteTableRequest, Record<string, never>>((input, s) => {
  const rt = need<RouteTableDoc>(s, RES.rtb, input.RouteTableId, "RouteTableId");
  dryRun(input);
  if (rt.Associations?.length) throw new AwsError("DependencyViolation", `The routeTable '${rt.RouteTableId}' has dependencies and cannot be deleted.`, 400);
  s.delete(KIND.rtb, rt.RouteTableId);
  return {};
});

type RouteInput = CreateRouteRequest & ReplaceRouteRequest;

/** The destination (CIDR or prefix list) a route request names, as AWS keys routes. */
function destination(input: RouteInput): { key: keyof Route; value: string } {
  if (input.DestinationCidrBlock !== undefined) {
    const c = parseCidr(input.DestinationCidrBlock);
    if (!c) throw invalid(`Value (${input.DestinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`);
    return { key: "DestinationCidrBlock", value: cidrString(c) };
  }
  if (input.DestinationIpv6CidrBlock) return { key: "DestinationIpv6CidrBlock", value: input.DestinationIpv6CidrBlock };
  if (input.DestinationPrefixListId) return { key: "DestinationPrefixListId", value: input.DestinationPrefixListId };
  throw new AwsError("MissingParameter", "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId", 400);
}

/** The route's target, checked to exist and to belong to the table's VPC. */
function target(s: Ec2State, rt: RouteTableDoc, input: RouteInput): Route {
  const given: Route = {};
  let n = 0;
  if (input.GatewayId) {
    n++;
    if (input.GatewayId.startsWith("igw-")) {
      const igw = need<IgwDoc>(s, RES.igw, input.GatewayId);
      if (!igw.Attachments?.some((a) => a.VpcId === rt.VpcId)) {
        throw invalid(`route table ${rt.RouteTableId} and network gateway ${igw.InternetGatewayId} belong to different networks`);
      }
    } else if (input.GatewayId.startsWith("vpce-")) {
      need(s, RES.vpce, input.GatewayId);
    } else {
      throw new AwsError("InvalidGatewayID.NotFound", `The gateway ID '${input.GatewayId}' does not exist`, 400);
    }
    given.GatewayId = input.GatewayId;
  }
  if (input.NatGatewayId) {
    n++;
    const nat = need<NatDoc>(s, RES.nat, input.NatGatewayId);
    if (nat.State === "deleted") throw new AwsError(RES.nat.notFound, RES.nat.message([nat.NatGatewayId]), 400);
    given.NatGatewayId = nat.NatGatewayId;
  }
  if (input.NetworkInterfaceId) {
    n++;
    const eni = need<EniDoc>(s, RES.eni, input.NetworkInterfaceId);
    if (eni.VpcId !== rt.VpcId) throw invalid(`route table ${rt.RouteTableId} and interface ${eni.NetworkInterfaceId} belong to different networks`);
    given.NetworkInterfaceId = eni.NetworkInterfaceId;
  }
  if (input.VpcPeeringConnectionId) {
    n++;
    need(s, RES.pcx, input.VpcPeeringConnectionId);
    given.VpcPeeringConnectionId = input.VpcPeeringConnectionId;
  }
  if (input.InstanceId) {
    n++;
    throw new AwsError("InvalidInstanceID.NotFound", `The instance ID '${input.InstanceId}' does not exist`, 400);
  }
  for (const other of ["TransitGatewayId", "LocalGatewayId", "CarrierGatewayId", "EgressOnlyInternetGatewayId", "CoreNetworkArn"] as const) {
    if (input[other]) throw new AwsError("InvalidParameterValue", `Nimbus does not model ${other} route targets; see src/services/ec2/GAPS.md`, 400);
  }
  if (n !== 1) {
    throw new AwsError(n === 0 ? "InvalidParameterCombination" : "InvalidParameterCombination", "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId or instanceId", 400);
  }
  return given;
}

export const CreateRoute = vpcHandler<CreateRouteRequest, CreateRouteResult>((input, s) => {
  const rt = need<RouteTableDoc>(s, RES.rtb, input.RouteTableId, "RouteTableId");
  const dest = destination(input);
  const tgt = target(s, rt, input);
  if (rt.Routes!.some((r) => r[dest.key] === dest.value)) {
    throw new AwsError("RouteAlreadyExists", `The route identified by ${dest.value} already exists.`, 400);
  }
  dryRun(input);
  rt.Routes!.push({ [dest.key]: dest.value, ...tgt, State: "active", Origin: "CreateRoute" });
  s.put(KIND.rtb, rt.RouteTableId, rt);
  return { Return: true };
});

function findRoute(rt: RouteTableDoc, dest: { key: keyof Route; value: string }): number {
  const i = rt.Routes!.findIndex((r) => r[dest.key] === dest.value);
  const param = dest.key === "DestinationCidrBlock" ? "destination-cidr-block" : dest.key === "DestinationIpv6CidrBlock" ? "destination-ipv6-cidr-block" : "destination-prefix-list-id";
  if (i < 0) throw new AwsError("InvalidRoute.NotFound", `no route with ${param} ${dest.value} in route table ${rt.RouteTableId}`, 400);
  return i;
}

export const ReplaceRoute = vpcHandler<ReplaceRouteRequest, Record<string, never>>((input, s) => {
  const rt = need<RouteTableDoc>(s, RES.rtb, input.RouteTableId, "RouteTableId");
  const dest = destination(input);
  const i = findRoute(rt, dest);
  if (rt.Routes![i].GatewayId === "local" && !input.LocalTarget) throw invalid(`cannot replace local route ${dest.value} in route table ${rt.RouteTableId}`);
  const tgt = target(s, rt, input);
  dryRun(input);
  rt.Routes![i] = { [dest.key]: dest.value, ...tgt, State: "active", Origin: "CreateRoute" };
  s.put(KIND.rtb, rt.RouteTableId, rt);
  return {};
});

export const DeleteRoute = vpcHandler<DeleteRouteRequest, Record<string, never>>((input, s) => {
  const rt = need<RouteTableDoc>(s, RES.rtb, input.RouteTableId, "RouteTableId");
  const dest = destination(input as RouteInput);
  const i = findRoute(rt, dest);
  if (rt.Routes![i].GatewayId === "local") throw invalid(`cannot remove local route ${dest.value} in route table ${rt.RouteTableId}`);
  if (rt.Routes![i].Origin === "CreateRouteTable" || rt.Routes![i].GatewayId?.startsWith("vpce-")) {
    throw invalid(`Route ${dest.value} in route table ${rt.RouteTableId} is managed by a VPC endpoint and cannot be removed with DeleteRoute`);
  }
  dryRun(input);
  rt.Routes!.splice(i, 1);
  s.put(KIND.rtb, rt.RouteTableId, rt);
  return {};
});

export const AssociateRouteTable = vpcHandler<AssociateRouteTableRequest, AssociateRouteTableResult>((input, s) => {
  const rt = need<RouteTableDoc>(s, RES.rtb, input.RouteTableId, "RouteTableId");
  if (!input.SubnetId && !input.GatewayId) throw new AwsError("MissingParameter", "The request must contain the parameter subnetId or gatewayId", 400);
  let subnetId: string | undefined;
  let gatewayId: string | undefined;
  if (input.SubnetId) {
    const subnet = need<SubnetDoc>(s, RES.subnet, input.SubnetId, "SubnetId");
    if (subnet.VpcId !== rt.VpcId) throw invalid(`Route table ${rt.RouteTableId} and subnet ${subnet.SubnetId} belong to different networks`);
    subnetId = subnet.SubnetId;
  } else {
    const igw = need<IgwDoc>(s, RES.igw, input.GatewayId, "GatewayId");
    if (!igw.Attachments?.some((a) => a.VpcId === rt.VpcId)) throw invalid(`Route table ${rt.RouteTableId} and gateway ${igw.InternetGatewayId} belong to different networks`);
    gatewayId = igw.InternetGatewayId;
  }
  for (const other of s.all<RouteTableDoc>(KIND.rtb)) {
    if (other.Associations?.some((a) => (subnetId && a.SubnetId === subnetId) || (gatewayId && a.GatewayId === gatewayId))) {
      throw new AwsError("Resource.AlreadyAssociated", `the specified association for route table ${rt.RouteTableId} conflicts with an existing association`, 400);
    }
  }
  dryRun(input);
  const AssociationId = newId("rtbassoc");
  rt.Associations!.push({ Main: false, RouteTableAssociationId: AssociationId, RouteTableId: rt.RouteTableId, SubnetId: subnetId, GatewayId: gatewayId, AssociationState: { State: "associated" } });
  s.put(KIND.rtb, rt.RouteTableId, rt);
  return { AssociationId, AssociationState: { State: "associated" } };
});

function findAssociation(s: Ec2State, id: string | undefined): { rt: RouteTableDoc; index: number } {
  if (!id) throw new AwsError("MissingParameter", "The request must contain the parameter associationId", 400);
  for (const rt of s.all<RouteTableDoc>(KIND.rtb)) {
    const index = rt.Associations?.findIndex((a) => a.RouteTableAssociationId === id) ?? -1;
    if (index >= 0) return { rt, index };
  }
  throw new AwsError("InvalidAssociationID.NotFound", `The association ID '${id}' does not exist`, 400);
}

export const DisassociateRouteTable = vpcHandler<DisassociateRouteTableRequest, Record<string, never>>((input, s) => {
  const { rt, index } = findAssociation(s, input.AssociationId);
  if (rt.Associations![index].Main) throw invalid(`cannot disassociate the main route table association ${input.AssociationId}`);
  dryRun(input);
  rt.Associations!.splice(index, 1);
  s.put(KIND.rtb, rt.RouteTableId, rt);
  return {};
});

export const ReplaceRouteTableAssociation = vpcHandler<ReplaceRouteTableAssociationRequest, ReplaceRouteTableAssociationResult>((input, s) => {
  const { rt: from, index } = findAssociation(s, input.AssociationId);
  const to = need<RouteTableDoc>(s, RES.rtb, input.RouteTableId, "RouteTableId");
  if (to.VpcId !== from.VpcId) throw invalid(`Route table ${to.RouteTableId} and association ${input.AssociationId} belong to different networks`);
  dryRun(input);
  const old = from.Associations!.splice(index, 1)[0];
  s.put(KIND.rtb, from.RouteTableId, from);
  const fresh = s.get<RouteTableDoc>(KIND.rtb, to.RouteTableId)!;
  const AssociationId = newId("rtbassoc");
  fresh.Associations!.push({ ...old, RouteTableAssociationId: AssociationId, RouteTableId: to.RouteTableId });
  s.put(KIND.rtb, to.RouteTableId, fresh);
  return { NewAssociationId: AssociationId, AssociationState: { State: "associated" } };
});
