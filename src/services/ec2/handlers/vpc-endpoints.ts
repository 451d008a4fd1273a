// VPC endpoints: Create/Describe/Modify/Delete, DescribeVpcEndpointServices. A gateway endpoint
// (S3, DynamoDB) adds a route to its service's prefix list in each of its route tables; an
// interface endpoint takes a requester-managed network interface in each of its subnets.
import type {
  CreateVpcEndpointRequest, CreateVpcEndpointResult, DeleteVpcEndpointsRequest, DeleteVpcEndpointsResult, DescribeVpcEndpointServicesRequest,
  DescribeVpcEndpointServicesResult, DescribeVpcEndpointsRequest, DescribeVpcEndpointsResult, ModifyVpcEndpointRequest, ModifyVpcEndpointResult,
  NetworkInterface, ServiceDetail, UnsuccessfulItem, VpcEndpoint,
} from "@aws-sdk/client-ec2";
import { createHash } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import { applyFilters } from "../filters.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId, wellFormed } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type EniDoc, type RouteTableDoc, type SgDoc, type SubnetDoc, type VpcDoc, type VpceDoc } from "../vpc/store.js";
import { createInterface, releaseInterface } from "./network-interfaces.js";

/** Services with gateway endpoints; every listed service offers interface endpoints. */
const GATEWAY_SERVICES = ["s3", "dynamodb"];
const INTERFACE_SERVICES = [
  "s3", "dynamodb", "sqs", "sns", "sts", "kms", "secretsmanager", "ssm", "ec2", "ecr.api", "ecr.dkr", "logs", "monitoring", "events", "lambda",
  "execute-api", "elasticloadbalancing", "ecs", "kinesis-streams", "states", "ssmmessages", "ec2messages",
];

const FULL_ACCESS = JSON.stringify({ Version: "2008-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] });

/** A stable prefix list id per region and service (AWS's are fixed per region too). */
export function prefixListId(region: string, service: string): string {
  return `pl-${createHash("sha256").update(`${region}/${service}`).digest("hex").slice(0, 8)}`;
}

function serviceShortName(region: string, name: string | undefined): string | undefined {
  const prefix = `com.amazonaws.${region}.`;
  return name?.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}

function vpceView(d: VpceDoc): VpcEndpoint {
  const { created, Tags, State, ...rest } = d;
  return { ...rest, State: State as VpcEndpoint["State"], CreationTimestamp: new Date(created), Tags: tagsOut(Tags) };
}

function addRoutes(s: Ec2State, vpce: VpceDoc, rtbIds: string[], pl: string): void {
  for (const id of rtbIds) {
    const rt = need<RouteTableDoc>(s, RES.rtb, id);
    if (rt.VpcId !== vpce.VpcId) throw invalid(`Route table ${id} does not belong to vpc ${vpce.VpcId}`);
    if (rt.Routes!.some((r) => r.DestinationPrefixListId === pl)) throw new AwsError("RouteAlreadyExists", `route table ${id} already has a route with destination-prefix-list-id ${pl}`, 400);
    rt.Routes!.push({ DestinationPrefixListId: pl, GatewayId: vpce.VpcEndpointId, State: "active", Origin: "CreateRoute" });
    s.put(KIND.rtb, id, rt);
  }
}

function removeRoutes(s: Ec2State, vpce: VpceDoc, rtbIds: string[]): void {
  for (const id of rtbIds) {
    const rt = s.get<RouteTableDoc>(KIND.rtb, id);
    if (!rt) continue;
    rt.Routes = rt.Routes!.filter((r) => r.GatewayId !== vpce.VpcEndpointId);
    s.put(KIND.rtb, id, rt);
  }
}

function addInterfaces(s: Ec2State, vpce: VpceDoc, subnetIds: string[], groups: string[]): void {
  for (const id of subnetIds) {
    const subnet = need<SubnetDoc>(s, RES.subnet, id);
    if (subnet.VpcId !== vpce.VpcId) throw invalid(`Subnet ${id} does not belong to vpc ${vpce.VpcId}`);
    const zoneTaken = (vpce.SubnetIds ?? []).some((sid) => s.get<SubnetDoc>(KIND.subnet, sid)?.AvailabilityZone === subnet.AvailabilityZone);
    if (zoneTaken) throw new AwsError("DuplicateSubnetsInSameZone", `Found another VPC endpoint subnet in the availability zone of ${id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`, 400);
    const eni = createInterface(s, subnet, {
      description: `VPC Endpoint Interface ${vpce.VpcEndpointId}`,
      groups,
      type: "vpc_endpoint" as NetworkInterface["InterfaceType"],
      requester: "amazon-aws",
    });
    vpce.SubnetIds = [...(vpce.SubnetIds ?? []), id];
    vpce.NetworkInterfaceIds = [...(vpce.NetworkInterfaceIds ?? []), eni.NetworkInterfaceId];
  }
}

function removeInterfaces(s: Ec2State, vpce: VpceDoc, subnetIds: string[]): void {
  for (const eniId of [...(vpce.NetworkInterfaceIds ?? [])]) {
    const eni = s.get<EniDoc>(KIND.eni, eniId);
    if (!eni || !subnetIds.includes(eni.SubnetId)) continue;
    releaseInterface(s, eni);
    vpce.NetworkInterfaceIds = vpce.NetworkInterfaceIds!.filter((x) => x !== eniId);
  }
  vpce.SubnetIds = (vpce.SubnetIds ?? []).filter((x) => !subnetIds.includes(x));
}

function checkPolicy(doc: string | undefined): void {
  if (doc === undefined) return;
  try {
    JSON.parse(doc);
  } catch {
    throw new AwsError("MalformedPolicyDocument", "Policy document is malformed", 400);
  }
}

export const CreateVpcEndpoint = vpcHandler<CreateVpcEndpointRequest, CreateVpcEndpointResult>((input, s, ctx) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  const type = input.VpcEndpointType ?? "Gateway";
  const short = serviceShortName(s.region, input.ServiceName);
  const known = type === "Gateway" ? GATEWAY_SERVICES : type === "Interface" ? INTERFACE_SERVICES : [];
  if (!input.ServiceName) throw new AwsError("MissingParameter", "The request must contain the parameter ServiceName", 400);
  if (!short || !known.includes(short)) throw new AwsError("InvalidServiceName", `The Vpc Endpoint Service '${input.ServiceName}' does not exist`, 400);
  checkPolicy(input.PolicyDocument);
  const tags = tagsOnCreate(input.TagSpecifications, "vpc-endpoint");
  const vpce: VpceDoc = {
    VpcEndpointId: newId("vpce"),
    VpcEndpointType: type,
    VpcId: vpc.VpcId,
    ServiceName: input.ServiceName,
    State: "available",
    PolicyDocument: input.PolicyDocument ?? FULL_ACCESS,
    RouteTableIds: [],
    SubnetIds: [],
    Groups: [],
    NetworkInterfaceIds: [],
    DnsEntries: [],
    PrivateDnsEnabled: type === "Interface" ? (input.PrivateDnsEnabled ?? true) : false,
    RequesterManaged: false,
    OwnerId: s.accountId,
    IpAddressType: "ipv4",
    created: new Date(ctx.clock.now()).toISOString(),
    Tags: tags,
  };
  if (type === "Gateway") {
    if (input.SubnetIds?.length || input.SecurityGroupIds?.length) throw invalid("Subnets and security groups are not supported for gateway endpoints");
    addRoutes(s, vpce, input.RouteTableIds ?? [], prefixListId(s.region, short));
    vpce.RouteTableIds = [...(input.RouteTableIds ?? [])];
  } else {
    if (input.RouteTableIds?.length) throw invalid("Route tables are not supported for interface endpoints");
    const groups = input.SecurityGroupIds?.length ? input.SecurityGroupIds : s.all<SgDoc>(KIND.sg).filter((g) => g.VpcId === vpc.VpcId && g.GroupName === "default").map((g) => g.GroupId);
    for (const g of groups) need<SgDoc>(s, RES.sg, g);
    vpce.Groups = groups.map((GroupId) => ({ GroupId, GroupName: s.get<SgDoc>(KIND.sg, GroupId)!.GroupName }));
    addInterfaces(s, vpce, input.SubnetIds ?? [], groups);
    vpce.DnsEntries = [{ DnsName: `${vpce.VpcEndpointId}-${vpce.VpcEndpointId.slice(5, 13)}.${short}.${s.region}.vpce.amazonaws.com`, HostedZoneId: "Z7HUB22UULQXV" }];
  }
  dryRun(input);
  s.put(KIND.vpce, vpce.VpcEndpointId, vpce);
  return { VpcEndpoint: vpceView(vpce), ClientToken: input.ClientToken };
});

export const DescribeVpcEndpoints = vpcHandler<DescribeVpcEndpointsRequest, DescribeVpcEndpointsResult>((input, s) => {
  dryRun(input);
  const { items, next } = describe(s.all<VpceDoc>(KIND.vpce), input.VpcEndpointIds, input, {
    res: RES.vpce,
    idsParam: "vpcEndpointIds",
    idOf: (d) => d.VpcEndpointId,
    view: vpceView,
    accessors: {
      "vpc-endpoint-id": (d) => d.VpcEndpointId,
      "vpc-id": (d) => d.VpcId,
      "service-name": (d) => d.ServiceName,
      "vpc-endpoint-state": (d) => d.State,
      "vpc-endpoint-type": (d) => d.VpcEndpointType,
    },
  });
  return { VpcEndpoints: items, NextToken: next };
});

export const ModifyVpcEndpoint = vpcHandler<ModifyVpcEndpointRequest, ModifyVpcEndpointResult>((input, s) => {
  const vpce = need<VpceDoc>(s, RES.vpce, input.VpcEndpointId, "VpcEndpointId");
  checkPolicy(input.PolicyDocument);
  const short = serviceShortName(s.region, vpce.ServiceName)!;
  if (vpce.VpcEndpointType === "Gateway") {
    if (input.AddSubnetIds?.length || input.AddSecurityGroupIds?.length) throw invalid("Subnets and security groups are not supported for gateway endpoints");
    addRoutes(s, vpce, input.AddRouteTableIds ?? [], prefixListId(s.region, short));
    vpce.RouteTableIds = [...new Set([...(vpce.RouteTableIds ?? []), ...(input.AddRouteTableIds ?? [])])];
    removeRoutes(s, vpce, input.RemoveRouteTableIds ?? []);
    vpce.RouteTableIds = vpce.RouteTableIds.filter((id) => !input.RemoveRouteTableIds?.includes(id));
  } else {
    if (input.AddRouteTableIds?.length) throw invalid("Route tables are not supported for interface endpoints");
    for (const g of input.AddSecurityGroupIds ?? []) {
      const sg = need<SgDoc>(s, RES.sg, g);
      if (!vpce.Groups!.some((x) => x.GroupId === g)) vpce.Groups!.push({ GroupId: g, GroupName: sg.GroupName });
    }
    vpce.Groups = vpce.Groups!.filter((g) => !input.RemoveSecurityGroupIds?.includes(g.GroupId!));
    removeInterfaces(s, vpce, input.RemoveSubnetIds ?? []);
    addInterfaces(s, vpce, input.AddSubnetIds ?? [], vpce.Groups.map((g) => g.GroupId!));
    if (input.PrivateDnsEnabled !== undefined) vpce.PrivateDnsEnabled = input.PrivateDnsEnabled;
  }
  if (input.ResetPolicy) vpce.PolicyDocument = FULL_ACCESS;
  else if (input.PolicyDocument !== undefined) vpce.PolicyDocument = input.PolicyDocument;
  dryRun(input);
  s.put(KIND.vpce, vpce.VpcEndpointId, vpce);
  return { Return: true };
});

/** Deletes what it can and lists the rest as Unsuccessful, as AWS does. */
export const DeleteVpcEndpoints = vpcHandler<DeleteVpcEndpointsRequest, DeleteVpcEndpointsResult>((input, s) => {
  if (!input.VpcEndpointIds?.length) throw new AwsError("MissingParameter", "The request must contain the parameter VpcEndpointId", 400);
  dryRun(input);
  const Unsuccessful: UnsuccessfulItem[] = [];
  for (const id of input.VpcEndpointIds) {
    const vpce = wellFormed("vpce", id) ? s.get<VpceDoc>(KIND.vpce, id) : undefined;
    if (!vpce) {
      Unsuccessful.push({ ResourceId: id, Error: { Code: wellFormed("vpce", id) ? RES.vpce.notFound : RES.vpce.malformed, Message: RES.vpce.message([id]) } });
      continue;
    }
    removeRoutes(s, vpce, vpce.RouteTableIds ?? []);
    removeInterfaces(s, vpce, vpce.SubnetIds ?? []);
    s.delete(KIND.vpce, id);
  }
  return { Unsuccessful };
});

export const DescribeVpcEndpointServices = vpcHandler<DescribeVpcEndpointServicesRequest, DescribeVpcEndpointServicesResult>((input, s) => {
  dryRun(input);
  const zones = s.all<SubnetDoc>(KIND.subnet).map((x) => x.AvailabilityZone!);
  const details: ServiceDetail[] = [...new Set([...GATEWAY_SERVICES, ...INTERFACE_SERVICES])].sort().flatMap((svc) => {
    const types = [...(GATEWAY_SERVICES.includes(svc) ? ["Gateway" as const] : []), ...(INTERFACE_SERVICES.includes(svc) ? ["Interface" as const] : [])];
    return types.map((t) => ({
      ServiceName: `com.amazonaws.${s.region}.${svc}`,
      ServiceId: `vpce-svc-${createHash("sha256").update(`${s.region}/${svc}/${t}`).digest("hex").slice(0, 17)}`,
      ServiceType: [{ ServiceType: t }],
      AvailabilityZones: [...new Set(zones)].sort(),
      Owner: "amazon",
      BaseEndpointDnsNames: [`${svc}.${s.region}.${t === "Gateway" ? "amazonaws.com" : "vpce.amazonaws.com"}`],
      VpcEndpointPolicySupported: true,
      AcceptanceRequired: false,
      ManagesVpcEndpoints: false,
      SupportedIpAddressTypes: ["ipv4"],
      PrivateDnsNameVerificationState: "verified",
      PrivateDnsName: t === "Interface" ? `${svc}.${s.region}.amazonaws.com` : undefined,
    }));
  });
  let selected = details;
  if (input.ServiceNames?.length) selected = selected.filter((d) => input.ServiceNames!.includes(d.ServiceName!));
  selected = applyFilters(selected, input.Filters, {
    "service-name": (d) => d.ServiceName,
    "service-type": (d) => d.ServiceType?.map((t) => t.ServiceType),
    owner: (d) => d.Owner,
  });
  return { ServiceDetails: selected, ServiceNames: [...new Set(selected.map((d) => d.ServiceName!))] };
});
