// Network ACLs: Create/Describe/Delete, Create/Replace/DeleteNetworkAclEntry,
// ReplaceNetworkAclAssociation. Recorded only, like security groups (GAPS.md).
import type {
  CreateNetworkAclEntryRequest, CreateNetworkAclRequest, CreateNetworkAclResult, DeleteNetworkAclEntryRequest, DeleteNetworkAclRequest,
  DescribeNetworkAclsRequest, DescribeNetworkAclsResult, NetworkAcl, NetworkAclEntry, ReplaceNetworkAclAssociationRequest,
  ReplaceNetworkAclAssociationResult, ReplaceNetworkAclEntryRequest,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { cidrString, parseCidr } from "../vpc/cidr.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { KIND, type AclDoc, type Ec2State, type VpcDoc } from "../vpc/store.js";

function aclView(d: AclDoc): NetworkAcl {
  const entries = [...(d.Entries ?? [])].sort((a, b) => Number(a.Egress) - Number(b.Egress) || a.RuleNumber! - b.RuleNumber!);
  return { ...d, Entries: entries, Tags: tagsOut(d.Tags) ?? [] };
}

export const CreateNetworkAcl = vpcHandler<CreateNetworkAclRequest, CreateNetworkAclResult>((input, s) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  const tags = tagsOnCreate(input.TagSpecifications, "network-acl");
  dryRun(input);
  const acl: AclDoc = {
    NetworkAclId: newId("acl"),
    VpcId: vpc.VpcId,
    IsDefault: false,
    OwnerId: s.accountId,
    Associations: [],
    // A new ACL denies everything until entries are added.
    Entries: [true, false].map((Egress) => ({ RuleNumber: 32767, Protocol: "-1", RuleAction: "deny" as const, Egress, CidrBlock: "0.0.0.0/0" })),
    Tags: tags,
  };
  s.put(KIND.acl, acl.NetworkAclId, acl);
  return { NetworkAcl: aclView(acl), ClientToken: input.ClientToken };
});

export const DescribeNetworkAcls = vpcHandler<DescribeNetworkAclsRequest, DescribeNetworkAclsResult>((input, s) => {
  dryRun(input);
  const entries = (d: AclDoc) => d.Entries ?? [];
  const { items, next } = describe(s.all<AclDoc>(KIND.acl), input.NetworkAclIds, input, {
    res: RES.acl,
    idsParam: "networkAclIds",
    idOf: (d) => d.NetworkAclId,
    view: aclView,
    min: 5,
    max: 100,
    accessors: {
      "network-acl-id": (d) => d.NetworkAclId,
      "vpc-id": (d) => d.VpcId,
      default: (d) => d.IsDefault,
      "owner-id": (d) => d.OwnerId,
      "association.association-id": (d) => d.Associations?.map((a) => a.NetworkAclAssociationId),
      "association.network-acl-id": (d) => d.Associations?.map((a) => a.NetworkAclId),
      "association.subnet-id": (d) => d.Associations?.map((a) => a.SubnetId),
      "entry.cidr": (d) => entries(d).map((e) => e.CidrBlock),
      "entry.egress": (d) => entries(d).map((e) => e.Egress),
      "entry.protocol": (d) => entries(d).map((e) => e.Protocol),
      "entry.rule-action": (d) => entries(d).map((e) => e.RuleAction),
      "entry.rule-number": (d) => entries(d).map((e) => e.RuleNumber),
    },
  });
  return { NetworkAcls: items, NextToken: next };
});

export const DeleteNetworkAcl = vpcHandler<DeleteNetworkAclRequest, Record<string, never>>((input, s) => {
  const acl = need<AclDoc>(s, RES.acl, input.NetworkAclId, "NetworkAclId");
  if (acl.IsDefault) throw new AwsError("InvalidParameterValue", `cannot delete default network ACL ${acl.NetworkAclId}`, 400);
  if (acl.Associations?.length) throw new AwsError("DependencyViolation", `The networkAcl '${acl.NetworkAclId}' has dependencies and cannot be deleted.`, 400);
  dryRun(input);
  s.delete(KIND.acl, acl.NetworkAclId);
  return {};
});

type EntryInput = CreateNetworkAclEntryRequest & ReplaceNetworkAclEntryRequest;

function entryOf(input: EntryInput): NetworkAclEntry {
  const n = input.RuleNumber;
  if (n === undefined || n < 1 || n > 32766) throw invalid(`Value (${n}) for parameter ruleNumber is invalid. Must be between 1 and 32766.`);
  if (input.RuleAction !== "allow" && input.RuleAction !== "deny") throw invalid(`Value (${input.RuleAction}) for parameter ruleAction is invalid.`);
  const proto = input.Protocol ?? "";
  if (!/^(-1|\d{1,3})$/.test(proto) || Number(proto) > 255) throw invalid(`Value (${proto}) for parameter protocol is invalid.`);
  let cidr: string | undefined;
  if (input.CidrBlock !== undefined) {
    const c = parseCidr(input.CidrBlock);
    if (!c) throw invalid(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    cidr = cidrString(c);
  } else if (!input.Ipv6CidrBlock) throw new AwsError("MissingParameter", "The request must contain the parameter cidrBlock or ipv6CidrBlock", 400);
  const e: NetworkAclEntry = { RuleNumber: n, Protocol: proto, RuleAction: input.RuleAction, Egress: !!input.Egress, CidrBlock: cidr, Ipv6CidrBlock: input.Ipv6CidrBlock };
  if (proto === "6" || proto === "17") {
    if (!input.PortRange || input.PortRange.From === undefined || input.PortRange.To === undefined) throw new AwsError("MissingParameter", "The request must contain the parameter portRange", 400);
    e.PortRange = { From: input.PortRange.From, To: input.PortRange.To };
  }
  if (proto === "1") e.IcmpTypeCode = { Type: input.IcmpTypeCode?.Type ?? -1, Code: input.IcmpTypeCode?.Code ?? -1 };
  return e;
}

function editEntries(s: Ec2State, input: EntryInput, replace: boolean): void {
  const acl = need<AclDoc>(s, RES.acl, input.NetworkAclId, "NetworkAclId");
  const e = entryOf(input);
  const i = acl.Entries!.findIndex((x) => x.RuleNumber === e.RuleNumber && x.Egress === e.Egress);
  if (replace && i < 0) throw new AwsError("InvalidNetworkAclEntry.NotFound", `The network acl entry identified by ${e.RuleNumber} does not exist.`, 400);
  if (!replace && i >= 0) throw new AwsError("NetworkAclEntryAlreadyExists", `The network acl entry identified by ${e.RuleNumber} already exists.`, 400);
  dryRun(input);
  if (replace) acl.Entries![i] = e;
  else acl.Entries!.push(e);
  s.put(KIND.acl, acl.NetworkAclId, acl);
}

export const CreateNetworkAclEntry = vpcHandler<CreateNetworkAclEntryRequest, Record<string, never>>((input, s) => (editEntries(s, input as EntryInput, false), {}));
export const ReplaceNetworkAclEntry = vpcHandler<ReplaceNetworkAclEntryRequest, Record<string, never>>((input, s) => (editEntries(s, input as EntryInput, true), {}));

export const DeleteNetworkAclEntry = vpcHandler<DeleteNetworkAclEntryRequest, Record<string, never>>((input, s) => {
  const acl = need<AclDoc>(s, RES.acl, input.NetworkAclId, "NetworkAclId");
  const i = acl.Entries!.findIndex((x) => x.RuleNumber === input.RuleNumber && x.Egress === !!input.Egress);
  if (i < 0 || input.RuleNumber === 32767) throw new AwsError("InvalidNetworkAclEntry.NotFound", `The network acl entry identified by ${input.RuleNumber} does not exist.`, 400);
  dryRun(input);
  acl.Entries!.splice(i, 1);
  s.put(KIND.acl, acl.NetworkAclId, acl);
  return {};
});

export const ReplaceNetworkAclAssociation = vpcHandler<ReplaceNetworkAclAssociationRequest, ReplaceNetworkAclAssociationResult>((input, s) => {
  const to = need<AclDoc>(s, RES.acl, input.NetworkAclId, "NetworkAclId");
  const from = s.all<AclDoc>(KIND.acl).find((a) => a.Associations?.some((x) => x.NetworkAclAssociationId === input.AssociationId));
  if (!from) throw new AwsError("InvalidAssociationID.NotFound", `The association ID '${input.AssociationId}' does not exist`, 400);
  if (from.VpcId !== to.VpcId) throw invalid(`Network ACL ${to.NetworkAclId} and association ${input.AssociationId} belong to different networks`);
  dryRun(input);
  const old = from.Associations!.find((x) => x.NetworkAclAssociationId === input.AssociationId)!;
  from.Associations = from.Associations!.filter((x) => x !== old);
  s.put(KIND.acl, from.NetworkAclId, from);
  const fresh = s.get<AclDoc>(KIND.acl, to.NetworkAclId)!;
  const NewAssociationId = newId("aclassoc");
  fresh.Associations!.push({ NetworkAclAssociationId: NewAssociationId, NetworkAclId: fresh.NetworkAclId, SubnetId: old.SubnetId });
  s.put(KIND.acl, fresh.NetworkAclId, fresh);
  return { NewAssociationId };
});
