// EC2: regions and zones, the VPC family (VPCs, subnets, route tables, gateways, security
// groups, network interfaces, Elastic IPs, key pairs, endpoints, peering), instances that
// really run (instances/fleet.ts over the execution drivers of core/runtime), and EBS volumes
// and snapshots whose bytes are real (volumes/).
import { defineService, type Handler } from "../../core/service.js";
import { DescribeImages, DescribeInstanceTypes, DescribeSpotPriceHistory } from "./handlers/images.js";
import { interrupt } from "./instances/spot.js";
import { CopyImage, CreateImage, DeregisterImage, RegisterImage } from "./handlers/create-image.js";
import { DescribeInstanceAttribute, DescribeInstanceStatus, GetConsoleOutput, ModifyInstanceAttribute, ModifyInstanceMetadataOptions } from "./handlers/instance-attributes.js";
import { DescribeInstances, RebootInstances, StartInstances, StopInstances, TerminateInstances } from "./handlers/instances.js";
import { RunInstances } from "./handlers/run-instances.js";
import { CreateVolume, DeleteVolume, DescribeVolumes, DescribeVolumesModifications, ModifyVolume, recoverVolumes } from "./handlers/volumes.js";
import { AttachVolume, DetachVolume } from "./handlers/volume-attachments.js";
import { CancelSpotInstanceRequests, DescribeSpotInstanceRequests, RequestSpotInstances } from "./handlers/spot-requests.js";
import { CopySnapshot, CreateSnapshot, DeleteSnapshot, DescribeSnapshots } from "./handlers/snapshots.js";
import {
  CreateLaunchTemplate, CreateLaunchTemplateVersion, DeleteLaunchTemplate, DeleteLaunchTemplateVersions, DescribeLaunchTemplates, DescribeLaunchTemplateVersions,
  ModifyLaunchTemplate,
} from "./handlers/launch-templates.js";
import { Fleet } from "./instances/fleet.js";
import { peekFleet, registerFleet, unregisterFleet } from "./instances/registry.js";
import { DescribeAvailabilityZones, DescribeRegions } from "./handlers/regions.js";
import { AttachInternetGateway, CreateInternetGateway, DeleteInternetGateway, DescribeInternetGateways, DetachInternetGateway } from "./handlers/internet-gateways.js";
import { AllocateAddress, AssociateAddress, DescribeAddresses, DisassociateAddress, ReleaseAddress } from "./handlers/addresses.js";
import { CreateNatGateway, DeleteNatGateway, DescribeNatGateways } from "./handlers/nat-gateways.js";
import {
  CreateNetworkAcl, CreateNetworkAclEntry, DeleteNetworkAcl, DeleteNetworkAclEntry, DescribeNetworkAcls, ReplaceNetworkAclAssociation, ReplaceNetworkAclEntry,
} from "./handlers/network-acls.js";
import {
  AssignPrivateIpAddresses, CreateNetworkInterface, DeleteNetworkInterface, DescribeNetworkInterfaceAttribute, DescribeNetworkInterfaces, ModifyNetworkInterfaceAttribute,
  UnassignPrivateIpAddresses,
} from "./handlers/network-interfaces.js";
import { CreateVpcEndpoint, DeleteVpcEndpoints, DescribeVpcEndpointServices, DescribeVpcEndpoints, ModifyVpcEndpoint } from "./handlers/vpc-endpoints.js";
import {
  AcceptVpcPeeringConnection, CreateVpcPeeringConnection, DeleteVpcPeeringConnection, DescribeVpcPeeringConnections, RejectVpcPeeringConnection,
} from "./handlers/vpc-peering.js";
import { CreateKeyPair, DeleteKeyPair, DescribeKeyPairs, ImportKeyPair } from "./handlers/key-pairs.js";
import {
  AssociateRouteTable, CreateRoute, CreateRouteTable, DeleteRoute, DeleteRouteTable, DescribeRouteTables, DisassociateRouteTable, ReplaceRoute,
  ReplaceRouteTableAssociation,
} from "./handlers/route-tables.js";
import {
  AuthorizeSecurityGroupEgress, AuthorizeSecurityGroupIngress, CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroupRules,
  DescribeSecurityGroups, RevokeSecurityGroupEgress, RevokeSecurityGroupIngress,
} from "./handlers/security-groups.js";
import { DescribeDhcpOptions } from "./handlers/dhcp-options.js";
import { ModifySecurityGroupRules, UpdateSecurityGroupRuleDescriptionsEgress, UpdateSecurityGroupRuleDescriptionsIngress } from "./handlers/security-group-rules.js";
import { CreateDefaultSubnet, CreateSubnet, DeleteSubnet, DescribeSubnets, ModifySubnetAttribute } from "./handlers/subnets.js";
import { CreateTags, DeleteTags, DescribeTags } from "./handlers/tags.js";
import { CreateDefaultVpc, CreateVpc, DeleteVpc, DescribeVpcAttribute, DescribeVpcs, ModifyVpcAttribute } from "./handlers/vpcs.js";

/**
 * Security group, route table, gateway and address changes take effect at once on running
 * instances (host listeners, nftables, the VPC's route out).
 */
function resyncAfter<I, O>(h: Handler<I, O>): Handler<I, O> {
  return async (input, ctx) => {
    const out = await h(input, ctx);
    await peekFleet(ctx.db)?.resync(`${ctx.accountId}/${ctx.region}`);
    return out;
  };
}

export const ec2 = defineService({
  name: "ec2",
  start(rt) {
    const fleet = new Fleet(rt);
    registerFleet(rt.db, fleet);
    recoverVolumes(fleet);
    fleet.recover();
  },
  async stop(rt) {
    await unregisterFleet(rt.db)?.close();
  },
  reset(rt) {
    // Every instance goes with the documents; a fresh fleet takes over.
    const old = unregisterFleet(rt.db);
    registerFleet(rt.db, new Fleet(rt));
    void old?.close();
  },
  health(db) {
    return peekFleet(db)?.summary();
  },
  chaos(db, req) {
    // {"service":"ec2","action":"interrupt-spot","instanceId":"i-..."}: the two-minute notice, then the interruption.
    const fleet = peekFleet(db);
    if (!fleet) throw new Error("EC2 is not running");
    if (req.action !== "interrupt-spot") throw new Error(`unknown EC2 chaos action "${String(req.action)}"; known: interrupt-spot`);
    return interrupt(fleet, String(req.instanceId ?? ""));
  },
  handlers: {
    DescribeRegions, DescribeAvailabilityZones,
    CreateVpc, CreateDefaultVpc, DescribeVpcs, DeleteVpc, DescribeVpcAttribute, ModifyVpcAttribute,
    CreateSubnet, CreateDefaultSubnet, DescribeSubnets, DeleteSubnet, ModifySubnetAttribute, DescribeDhcpOptions,
    CreateRouteTable, DescribeRouteTables, DeleteRouteTable,
    CreateRoute: resyncAfter(CreateRoute),
    ReplaceRoute: resyncAfter(ReplaceRoute),
    DeleteRoute: resyncAfter(DeleteRoute),
    AssociateRouteTable: resyncAfter(AssociateRouteTable),
    DisassociateRouteTable: resyncAfter(DisassociateRouteTable),
    ReplaceRouteTableAssociation: resyncAfter(ReplaceRouteTableAssociation),
    CreateInternetGateway, DescribeInternetGateways, DeleteInternetGateway,
    AttachInternetGateway: resyncAfter(AttachInternetGateway),
    DetachInternetGateway: resyncAfter(DetachInternetGateway),
    CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup, DescribeSecurityGroupRules,
    AuthorizeSecurityGroupIngress: resyncAfter(AuthorizeSecurityGroupIngress),
    AuthorizeSecurityGroupEgress: resyncAfter(AuthorizeSecurityGroupEgress),
    RevokeSecurityGroupIngress: resyncAfter(RevokeSecurityGroupIngress),
    RevokeSecurityGroupEgress: resyncAfter(RevokeSecurityGroupEgress),
    ModifySecurityGroupRules: resyncAfter(ModifySecurityGroupRules),
    UpdateSecurityGroupRuleDescriptionsIngress, UpdateSecurityGroupRuleDescriptionsEgress,
    CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair,
    CreateTags, DeleteTags, DescribeTags,
    CreateNetworkAcl, DescribeNetworkAcls, DeleteNetworkAcl, CreateNetworkAclEntry, ReplaceNetworkAclEntry, DeleteNetworkAclEntry, ReplaceNetworkAclAssociation,
    CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, ModifyNetworkInterfaceAttribute, DescribeNetworkInterfaceAttribute, AssignPrivateIpAddresses, UnassignPrivateIpAddresses,
    AllocateAddress, DescribeAddresses, ReleaseAddress,
    AssociateAddress: resyncAfter(AssociateAddress),
    DisassociateAddress: resyncAfter(DisassociateAddress),
    CreateNatGateway: resyncAfter(CreateNatGateway),
    DescribeNatGateways,
    DeleteNatGateway: resyncAfter(DeleteNatGateway),
    CreateVpcEndpoint, DescribeVpcEndpoints, ModifyVpcEndpoint, DeleteVpcEndpoints, DescribeVpcEndpointServices,
    CreateVpcPeeringConnection, DescribeVpcPeeringConnections, AcceptVpcPeeringConnection, RejectVpcPeeringConnection, DeleteVpcPeeringConnection,
    RunInstances, DescribeInstances, StartInstances, StopInstances, RebootInstances, TerminateInstances,
    DescribeInstanceStatus, GetConsoleOutput, DescribeInstanceAttribute, ModifyInstanceAttribute, ModifyInstanceMetadataOptions,
    DescribeImages, DescribeInstanceTypes, CreateImage, CopyImage, RegisterImage, DeregisterImage, DescribeSpotPriceHistory,
    CreateVolume, DescribeVolumes, DeleteVolume, ModifyVolume, DescribeVolumesModifications, AttachVolume, DetachVolume,
    CreateSnapshot, DescribeSnapshots, DeleteSnapshot, CopySnapshot,
    CreateLaunchTemplate, CreateLaunchTemplateVersion, DescribeLaunchTemplates, DescribeLaunchTemplateVersions, ModifyLaunchTemplate, DeleteLaunchTemplate,
    DeleteLaunchTemplateVersions,
    RequestSpotInstances, DescribeSpotInstanceRequests, CancelSpotInstanceRequests,
  },
});
