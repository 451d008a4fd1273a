// CreateTags, DeleteTags, DescribeTags over every taggable resource of the VPC family.
import type { CreateTagsRequest, DeleteTagsRequest, DescribeTagsRequest, DescribeTagsResult, Tag, TagDescription } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { applyFilters } from "../filters.js";
import { dryRun, mergeTags, paginate, validateTags } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { malformed, need, RES, resourceOf, type ResourceInfo } from "../vpc/lookup.js";
import { KIND, type Ec2State, type SgDoc } from "../vpc/store.js";
import { wellFormed } from "../vpc/ids.js";

interface Target {
  tags: Tag[];
  save(tags: Tag[]): void;
}

/** The tags of one resource by id, and how to write them back. */
function target(s: Ec2State, id: string): Target {
  if (id.startsWith("sgr-")) {
    const sg = s.all<SgDoc>(KIND.sg).find((g) => g.rules.some((r) => r.id === id));
    if (!sg) throw new AwsError("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`, 400);
    const rule = sg.rules.find((r) => r.id === id)!;
    return { tags: rule.tags ?? [], save: (t) => ((rule.tags = t), s.put(KIND.sg, sg.GroupId, sg)) };
  }
  const res = resourceOf(id);
  if (!res) throw new AwsError("InvalidID", `The ID '${id}' is not valid`, 400);
  if (!wellFormed(res.prefix, id)) throw malformed(res, id);
  const doc = need<{ Tags?: Tag[] }>(s, res, id);
  return { tags: doc.Tags ?? [], save: (t) => ((doc.Tags = t), s.put(res.kind, id, doc)) };
}

export const CreateTags = vpcHandler<CreateTagsRequest, Record<string, never>>((input, s) => {
  if (!input.Resources?.length) throw new AwsError("MissingParameter", "The request must contain the parameter resourceIdSet", 400);
  if (!input.Tags?.length) throw new AwsError("MissingParameter", "The request must contain the parameter tagSet", 400);
  const tags = validateTags(input.Tags);
  const targets = input.Resources.map((id) => target(s, id));
  const merged = targets.map((t) => mergeTags(t.tags, tags));
  dryRun(input);
  targets.forEach((t, i) => t.save(merged[i]));
  return {};
});

export const DeleteTags = vpcHandler<DeleteTagsRequest, Record<string, never>>((input, s) => {
  if (!input.Resources?.length) throw new AwsError("MissingParameter", "The request must contain the parameter resourceIdSet", 400);
  const targets = input.Resources.map((id) => target(s, id));
  dryRun(input);
  for (const t of targets) {
    // No tags named: all go. A tag with a value goes only when the value matches.
    const kept = input.Tags?.length
      ? t.tags.filter((have) => !input.Tags!.some((del) => del.Key === have.Key && (del.Value === undefined || del.Value === have.Value)))
      : [];
    if (kept.length !== t.tags.length) t.save(kept);
  }
  return {};
});

const TAGGED: ResourceInfo[] = Object.values(RES);

export const DescribeTags = vpcHandler<DescribeTagsRequest, DescribeTagsResult>((input, s) => {
  dryRun(input);
  const all: TagDescription[] = [];
  for (const res of TAGGED) {
    for (const doc of s.all<{ Tags?: Tag[] } & Record<string, unknown>>(res.kind)) {
      const id = idOf(res, doc);
      for (const t of doc.Tags ?? []) all.push({ ResourceId: id, ResourceType: res.tagType as TagDescription["ResourceType"], Key: t.Key, Value: t.Value });
    }
  }
  for (const sg of s.all<SgDoc>(KIND.sg)) {
    for (const r of sg.rules) for (const t of r.tags ?? []) all.push({ ResourceId: r.id, ResourceType: "security-group-rule", Key: t.Key, Value: t.Value });
  }
  const key = (t: TagDescription) => `${t.ResourceId}\u0000${t.Key}`;
  all.sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const filtered = applyFilters(all, input.Filters, {
    key: (t) => t.Key,
    value: (t) => t.Value,
    "resource-id": (t) => t.ResourceId,
    "resource-type": (t) => t.ResourceType,
  });
  const { page, next } = paginate(filtered, key, input, 5, 1000);
  return { Tags: page, NextToken: next };
});

const ID_MEMBER: Record<string, string> = {
  vpc: "VpcId", subnet: "SubnetId", rtb: "RouteTableId", igw: "InternetGatewayId", sg: "GroupId", acl: "NetworkAclId", eni: "NetworkInterfaceId",
  eipalloc: "AllocationId", nat: "NatGatewayId", key: "KeyPairId", vpce: "VpcEndpointId", pcx: "VpcPeeringConnectionId", dopt: "DhcpOptionsId",
  i: "InstanceId", ami: "ImageId",
};

function idOf(res: ResourceInfo, doc: Record<string, unknown>): string {
  return doc[ID_MEMBER[res.prefix]] as string;
}
