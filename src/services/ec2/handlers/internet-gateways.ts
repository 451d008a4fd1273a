// Internet gateways: Create/Describe/Delete, Attach/Detach.
import type {
  AttachInternetGatewayRequest, CreateInternetGatewayRequest, CreateInternetGatewayResult, DeleteInternetGatewayRequest,
  DescribeInternetGatewaysRequest, DescribeInternetGatewaysResult, DetachInternetGatewayRequest, InternetGateway,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { describe, dryRun, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { IGW_ATTACHED, vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type EipDoc, type EniDoc, type IgwDoc, type VpcDoc } from "../vpc/store.js";
import { INSTANCE_KIND, type InstanceDoc } from "../instances/store.js";

function igwView(d: IgwDoc): InternetGateway {
  return { ...d, Tags: tagsOut(d.Tags) };
}

export const CreateInternetGateway = vpcHandler<CreateInternetGatewayRequest, CreateInternetGatewayResult>((input, s) => {
  const tags = tagsOnCreate(input.TagSpecifications, "internet-gateway");
  dryRun(input);
  const igw: IgwDoc = { InternetGatewayId: newId("igw"), OwnerId: s.accountId, Attachments: [], Tags: tags };
  s.put(KIND.igw, igw.InternetGatewayId, igw);
  return { InternetGateway: igwView(igw) };
});

export const DescribeInternetGateways = vpcHandler<DescribeInternetGatewaysRequest, DescribeInternetGatewaysResult>((input, s) => {
  dryRun(input);
  const { items, next } = describe(s.all<IgwDoc>(KIND.igw), input.InternetGatewayIds, input, {
    res: RES.igw,
    idsParam: "internetGatewayIds",
    idOf: (d) => d.InternetGatewayId,
    view: igwView,
    accessors: {
      "internet-gateway-id": (d) => d.InternetGatewayId,
      "owner-id": (d) => d.OwnerId,
      "attachment.state": (d) => d.Attachments?.map((a) => a.State),
      "attachment.vpc-id": (d) => d.Attachments?.map((a) => a.VpcId),
    },
  });
  return { InternetGateways: items, NextToken: next };
});

export const DeleteInternetGateway = vpcHandler<DeleteInternetGatewayRequest, Record<string, never>>((input, s) => {
  const igw = need<IgwDoc>(s, RES.igw, input.InternetGatewayId, "InternetGatewayId");
  dryRun(input);
  if (igw.Attachments?.length) throw new AwsError("DependencyViolation", `The internetGateway '${igw.InternetGatewayId}' has dependencies and cannot be deleted.`, 400);
  s.delete(KIND.igw, igw.InternetGatewayId);
  return {};
});

export const AttachInternetGateway = vpcHandler<AttachInternetGatewayRequest, Record<string, never>>((input, s) => {
  const igw = need<IgwDoc>(s, RES.igw, input.InternetGatewayId, "InternetGatewayId");
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  if (igw.Attachments?.length) {
    throw new AwsError("Resource.AlreadyAssociated", `resource ${igw.InternetGatewayId} is already attached to network ${igw.Attachments[0].VpcId}`, 400);
  }
  const other = s.all<IgwDoc>(KIND.igw).find((g) => g.Attachments?.some((a) => a.VpcId === vpc.VpcId));
  if (other) throw new AwsError("Resource.AlreadyAssociated", `Network ${vpc.VpcId} already has an internet gateway attached`, 400);
  dryRun(input);
  igw.Attachments = [{ VpcId: vpc.VpcId, State: IGW_ATTACHED }];
  s.put(KIND.igw, igw.InternetGatewayId, igw);
  return {};
});

export const DetachInternetGateway = vpcHandler<DetachInternetGatewayRequest, Record<string, never>>((input, s) => {
  const igw = need<IgwDoc>(s, RES.igw, input.InternetGatewayId, "InternetGatewayId");
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  if (!igw.Attachments?.some((a) => a.VpcId === vpc.VpcId)) {
    throw new AwsError("Gateway.NotAttached", `resource ${igw.InternetGatewayId} is not attached to network ${vpc.VpcId}`, 400);
  }
  // AWS refuses while Elastic IPs are mapped to interfaces of the VPC, or running instances of
  // it have public IPv4 addresses (the API reference: "The VPC must not contain any running
  // instances with Elastic IP addresses or public IPv4 addresses").
  const enis = new Set(s.all<EniDoc>(KIND.eni).filter((e) => e.VpcId === vpc.VpcId).map((e) => e.NetworkInterfaceId));
  const publicInstance = s.all<InstanceDoc>(INSTANCE_KIND).some((d) => d.VpcId === vpc.VpcId && !!d.PublicIpAddress && (d.State.Name === "running" || d.State.Name === "pending"));
  if (publicInstance || s.all<EipDoc>(KIND.eip).some((a) => a.NetworkInterfaceId && enis.has(a.NetworkInterfaceId))) {
    throw new AwsError("DependencyViolation", `Network ${vpc.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`, 400);
  }
  dryRun(input);
  igw.Attachments = [];
  s.put(KIND.igw, igw.InternetGatewayId, igw);
  return {};
});
