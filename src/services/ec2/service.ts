// EC2: regions and zones, and the VPC family (VPCs, subnets, route tables, gateways, security
// groups, network interfaces, Elastic IPs, key pairs, endpoints, peering). Instances arrive with
// the rest of the EC2 issue.
import { defineService } from "../../core/service.js";
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

export const ec2 = defineService({
  name: "ec2",
  handlers: {
    DescribeRegions, DescribeAvailabilityZones,
    CreateVpc, CreateDefaultVpc, DescribeVpcs, DeleteVpc, DescribeVpcAttribute, ModifyVpcAttribute,
    CreateSubnet, CreateDefaultSubnet, DescribeSubnets, DeleteSubnet, ModifySubnetAttribute, DescribeDhcpOptions,
    CreateRouteTable, DescribeRouteTables, DeleteRouteTable, CreateRoute, ReplaceRoute, DeleteRoute,
    AssociateRouteTable, DisassociateRouteTable, ReplaceRouteTableAssociation,
    CreateInternetGateway, DescribeInternetGateways, DeleteInternetGateway, AttachInternetGateway, DetachInternetGateway,
    CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup, DescribeSecurityGroupRules,
    AuthorizeSecurityGroupIngress, AuthorizeSecurityGroupEgress, RevokeSecurityGroupIngress, RevokeSecurityGroupEgress,
    ModifySecurityGroupRules, UpdateSecurityGroupRuleDescriptionsIngress, UpdateSecurityGroupRuleDescriptionsEgress,
    CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair,
    CreateTags, DeleteTags, DescribeTags,
    CreateNetworkAcl, DescribeNetworkAcls, DeleteNetworkAcl, CreateNetworkAclEntry, ReplaceNetworkAclEntry, DeleteNetworkAclEntry, ReplaceNetworkAclAssociation,
    CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, ModifyNetworkInterfaceAttribute, DescribeNetworkInterfaceAttribute, AssignPrivateIpAddresses, UnassignPrivateIpAddresses,
    AllocateAddress, DescribeAddresses, AssociateAddress, DisassociateAddress, ReleaseAddress,
    CreateNatGateway, DescribeNatGateways, DeleteNatGateway,
    CreateVpcEndpoint, DescribeVpcEndpoints, ModifyVpcEndpoint, DeleteVpcEndpoints, DescribeVpcEndpointServices,
    CreateVpcPeeringConnection, DescribeVpcPeeringConnections, AcceptVpcPeeringConnection, RejectVpcPeeringConnection, DeleteVpcPeeringConnection,
  },
});
