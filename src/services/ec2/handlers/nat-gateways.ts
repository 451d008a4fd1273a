// NAT gateways: Create/Describe/Delete. A public gateway takes an Elastic IP onto a
// requester-managed interface in its subnet; a deleted gateway stays visible as "deleted".
import type {
  CreateNatGatewayRequest, CreateNatGatewayResult, DeleteNatGatewayRequest, DeleteNatGatewayResult, DescribeNatGatewaysRequest,
  DescribeNatGatewaysResult, NatGateway, NetworkInterface,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type EipDoc, type EniDoc, type IgwDoc, type NatDoc, type SubnetDoc } from "../vpc/store.js";
import { associate } from "./addresses.js";
import { createInterface, releaseInterface } from "./network-interfaces.js";

function natView(d: NatDoc): NatGateway {
  const { createTime, deleteTime, Tags, ...rest } = d;
  return { ...rest, CreateTime: new Date(createTime), DeleteTime: deleteTime ? new Date(deleteTime) : undefined, Tags: tagsOut(Tags) };
}

export const CreateNatGateway = vpcHandler<CreateNatGatewayRequest, CreateNatGatewayResult>((input, s, ctx) => {
  const subnet = need<SubnetDoc>(s, RES.subnet, input.SubnetId, "SubnetId");
  const type = input.ConnectivityType ?? "public";
  if (type !== "public" && type !== "private") throw invalid(`Value (${type}) for parameter connectivityType is invalid.`);
  let eip: EipDoc | undefined;
  if (type === "public") {
    if (!input.AllocationId) throw new AwsError("MissingParameter", "The request must contain the parameter AllocationId", 400);
    eip = need<EipDoc>(s, RES.eip, input.AllocationId, "AllocationId");
    const natUse = s.all<NatDoc>(KIND.nat).some((n) => (n.State === "available" || n.State === "pending") && n.NatGatewayAddresses?.some((a) => a.AllocationId === eip!.AllocationId));
    if (eip.AssociationId || natUse) throw new AwsError("Resource.AlreadyAssociated", `Elastic IP address [${eip.AllocationId}] is already associated`, 400);
  } else if (input.AllocationId) {
    throw invalid("Private NAT gateways cannot have an Elastic IP address");
  }
  const tags = tagsOnCreate(input.TagSpecifications, "natgateway");
  dryRun(input);
  const NatGatewayId = newId("nat");
  const eni = createInterface(s, subnet, {
    description: `Interface for NAT Gateway ${NatGatewayId}`,
    privateIp: input.PrivateIpAddress,
    type: "nat_gateway" as NetworkInterface["InterfaceType"],
    requester: "amazon-elb",
  });
  const hasIgw = s.all<IgwDoc>(KIND.igw).some((g) => g.Attachments?.some((a) => a.VpcId === subnet.VpcId));
  const nat: NatDoc = {
    NatGatewayId,
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    ConnectivityType: type,
    State: "available",
    createTime: new Date(ctx.clock.now()).toISOString(),
    NatGatewayAddresses: [{ NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIp: eni.PrivateIpAddress, IsPrimary: true, Status: "succeeded" }],
    Tags: tags,
  };
  if (eip) {
    // AWS creates the gateway and then fails it when the VPC has no internet gateway.
    if (!hasIgw) {
      nat.State = "failed";
      nat.FailureCode = "Gateway.NotAttached";
      nat.FailureMessage = `Network ${subnet.VpcId} has no Internet gateway attached`;
      nat.NatGatewayAddresses = [{ AllocationId: eip.AllocationId, IsPrimary: true, Status: "failed" }];
      releaseInterface(s, eni);
    } else {
      const AssociationId = associate(s, eip, s.get<EniDoc>(KIND.eni, eni.NetworkInterfaceId)!, eni.PrivateIpAddress);
      nat.NatGatewayAddresses![0] = { ...nat.NatGatewayAddresses![0], AllocationId: eip.AllocationId, PublicIp: eip.PublicIp, AssociationId };
    }
  }
  s.put(KIND.nat, NatGatewayId, nat);
  return { NatGateway: natView(nat), ClientToken: input.ClientToken };
});

export const DescribeNatGateways = vpcHandler<DescribeNatGatewaysRequest, DescribeNatGatewaysResult>((input, s) => {
  dryRun(input);
  const { items, next } = describe(s.all<NatDoc>(KIND.nat), input.NatGatewayIds, { Filters: input.Filter, MaxResults: input.MaxResults, NextToken: input.NextToken }, {
    res: RES.nat,
    idsParam: "natGatewayIds",
    idOf: (d) => d.NatGatewayId,
    view: natView,
    accessors: {
      "nat-gateway-id": (d) => d.NatGatewayId,
      state: (d) => d.State,
      "subnet-id": (d) => d.SubnetId,
      "vpc-id": (d) => d.VpcId,
    },
  });
  return { NatGateways: items, NextToken: next };
});

export const DeleteNatGateway = vpcHandler<DeleteNatGatewayRequest, DeleteNatGatewayResult>((input, s, ctx) => {
  const nat = need<NatDoc>(s, RES.nat, input.NatGatewayId, "NatGatewayId");
  if (nat.State === "deleted") throw new AwsError("InvalidParameterValue", `NAT gateway ${nat.NatGatewayId} is already deleted`, 400);
  dryRun(input);
  for (const a of nat.NatGatewayAddresses ?? []) {
    const eni = a.NetworkInterfaceId ? s.get<EniDoc>(KIND.eni, a.NetworkInterfaceId) : undefined;
    if (eni) releaseInterface(s, eni);
  }
  nat.State = "deleted";
  nat.deleteTime = new Date(ctx.clock.now()).toISOString();
  s.put(KIND.nat, nat.NatGatewayId, nat);
  return { NatGatewayId: nat.NatGatewayId };
});
