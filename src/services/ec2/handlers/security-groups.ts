// Security groups: Create/Describe/Delete, Authorize/Revoke Ingress/Egress (by CIDR, IPv6
// CIDR, prefix list or referenced group), DescribeSecurityGroupRules. Rules are kept one per
// (protocol, port range, peer), each with its sgr- id, and regrouped into IpPermissions for
// DescribeSecurityGroups as AWS does. Recorded only: nothing enforces them yet (GAPS.md).
import type {
  AuthorizeSecurityGroupEgressRequest, AuthorizeSecurityGroupEgressResult, AuthorizeSecurityGroupIngressRequest, AuthorizeSecurityGroupIngressResult,
  CreateSecurityGroupRequest, CreateSecurityGroupResult, DeleteSecurityGroupRequest, DeleteSecurityGroupResult, DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupRulesResult, DescribeSecurityGroupsRequest, DescribeSecurityGroupsResult, IpPermission, RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupEgressResult, RevokeSecurityGroupIngressRequest, RevokeSecurityGroupIngressResult, SecurityGroup, SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { arn } from "../vpc/build.js";
import { cidrString, parseCidr } from "../vpc/cidr.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId, wellFormed } from "../vpc/ids.js";
import { malformed, need, notFound, RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type EniDoc, type SgDoc, type SgRule, type VpcDoc } from "../vpc/store.js";

/** AWS's default quota of inbound (and, separately, outbound) rules per group. */
const RULES_PER_DIRECTION = 60;

// ---------------------------------------------------------------- views

function permissionKey(r: SgRule): string {
  return `${r.proto}|${r.from ?? ""}|${r.to ?? ""}`;
}

/** Rules regrouped as AWS's IpPermissions: one entry per protocol and port range, peers listed. */
function permissions(rules: SgRule[]): IpPermission[] {
  const out = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = permissionKey(r);
    let p = out.get(key);
    if (!p) {
      p = { IpProtocol: r.proto, FromPort: r.from, ToPort: r.to, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      out.set(key, p);
    }
    if (r.cidr4) p.IpRanges!.push({ CidrIp: r.cidr4, Description: r.description });
    if (r.cidr6) p.Ipv6Ranges!.push({ CidrIpv6: r.cidr6, Description: r.description });
    if (r.prefixList) p.PrefixListIds!.push({ PrefixListId: r.prefixList, Description: r.description });
    if (r.group) p.UserIdGroupPairs!.push({ GroupId: r.group.GroupId, UserId: r.group.UserId, Description: r.description });
  }
  return [...out.values()];
}

export function sgView(s: Ec2State, d: SgDoc): SecurityGroup {
  return {
    GroupId: d.GroupId,
    GroupName: d.GroupName,
    Description: d.Description,
    VpcId: d.VpcId,
    OwnerId: d.OwnerId,
    SecurityGroupArn: arn(s, "security-group", d.GroupId),
    IpPermissions: permissions(d.rules.filter((r) => !r.egress)),
    IpPermissionsEgress: permissions(d.rules.filter((r) => r.egress)),
    Tags: tagsOut(d.Tags),
  };
}

export function ruleView(s: Ec2State, g: SgDoc, r: SgRule): SecurityGroupRule {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: g.GroupId,
    GroupOwnerId: g.OwnerId,
    IsEgress: r.egress,
    IpProtocol: r.proto,
    FromPort: r.from ?? -1,
    ToPort: r.to ?? -1,
    CidrIpv4: r.cidr4,
    CidrIpv6: r.cidr6,
    PrefixListId: r.prefixList,
    ReferencedGroupInfo: r.group ? { GroupId: r.group.GroupId, UserId: r.group.UserId } : undefined,
    Description: r.description,
    Tags: tagsOut(r.tags),
    SecurityGroupRuleArn: arn(s, "security-group-rule", r.id),
  };
}

// ---------------------------------------------------------------- create / describe / delete

const DESCRIPTION_CHARS = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

function defaultVpc(s: Ec2State): VpcDoc {
  const vpc = s.all<VpcDoc>(KIND.vpc).find((v) => v.IsDefault);
  if (!vpc) throw new AwsError("VPCIdNotSpecified", "No default VPC for this user", 400);
  return vpc;
}

export const CreateSecurityGroup = vpcHandler<CreateSecurityGroupRequest, CreateSecurityGroupResult>((input, s) => {
  if (!input.GroupName) throw new AwsError("MissingParameter", "The request must contain the parameter groupName", 400);
  if (input.Description === undefined || input.Description === "") throw new AwsError("MissingParameter", "The request must contain the parameter groupDescription", 400);
  if (input.GroupName.length > 255) throw invalid(`Value (${input.GroupName}) for parameter groupName is invalid. Group name cannot be longer than 255 characters`);
  if (input.GroupName.startsWith("sg-")) throw invalid("Group names may not be in the format sg-*");
  if (input.GroupName === "default") throw invalid("Cannot use reserved security group name: default");
  if (input.Description.length > 255 || !DESCRIPTION_CHARS.test(input.Description)) {
    throw invalid(`Value (${input.Description}) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported.`);
  }
  const vpc = input.VpcId ? need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId") : defaultVpc(s);
  if (s.all<SgDoc>(KIND.sg).some((g) => g.VpcId === vpc.VpcId && g.GroupName === input.GroupName)) {
    throw new AwsError("InvalidGroup.Duplicate", `The security group '${input.GroupName}' already exists for VPC '${vpc.VpcId}'`, 400);
  }
  const tags = tagsOnCreate(input.TagSpecifications, "security-group");
  dryRun(input);
  const sg: SgDoc = {
    GroupId: newId("sg"),
    GroupName: input.GroupName,
    Description: input.Description,
    VpcId: vpc.VpcId,
    OwnerId: s.accountId,
    Tags: tags,
    // Every new group may send anything anywhere until told otherwise.
    rules: [{ id: newId("sgr"), egress: true, proto: "-1", cidr4: "0.0.0.0/0" }],
  };
  s.put(KIND.sg, sg.GroupId, sg);
  return { GroupId: sg.GroupId, Tags: tagsOut(tags), SecurityGroupArn: arn(s, "security-group", sg.GroupId) };
});

function ruleAccessors(egress: boolean, s: Ec2State) {
  const pick = (d: SgDoc) => d.rules.filter((r) => r.egress === egress);
  const p = egress ? "egress.ip-permission." : "ip-permission.";
  return {
    [`${p}cidr`]: (d: SgDoc) => pick(d).map((r) => r.cidr4),
    [`${p}ipv6-cidr`]: (d: SgDoc) => pick(d).map((r) => r.cidr6),
    [`${p}prefix-list-id`]: (d: SgDoc) => pick(d).map((r) => r.prefixList),
    [`${p}from-port`]: (d: SgDoc) => pick(d).map((r) => r.from ?? -1),
    [`${p}to-port`]: (d: SgDoc) => pick(d).map((r) => r.to ?? -1),
    [`${p}protocol`]: (d: SgDoc) => pick(d).map((r) => r.proto),
    [`${p}group-id`]: (d: SgDoc) => pick(d).map((r) => r.group?.GroupId),
    [`${p}group-name`]: (d: SgDoc) => pick(d).map((r) => (r.group ? s.get<SgDoc>(KIND.sg, r.group.GroupId)?.GroupName : undefined)),
    [`${p}user-id`]: (d: SgDoc) => pick(d).map((r) => r.group?.UserId),
  };
}

export const DescribeSecurityGroups = vpcHandler<DescribeSecurityGroupsRequest, DescribeSecurityGroupsResult>((input, s) => {
  dryRun(input);
  let docs = s.all<SgDoc>(KIND.sg);
  if (input.GroupNames?.length) {
    // Names address groups of the default VPC only, as on AWS.
    const vpc = s.all<VpcDoc>(KIND.vpc).find((v) => v.IsDefault);
    for (const name of input.GroupNames) {
      if (!docs.some((g) => g.VpcId === vpc?.VpcId && g.GroupName === name)) {
        throw new AwsError("InvalidGroup.NotFound", vpc ? `The security group '${name}' does not exist in default VPC '${vpc.VpcId}'` : `The security group '${name}' does not exist`, 400);
      }
    }
    docs = docs.filter((g) => g.VpcId === vpc?.VpcId && input.GroupNames!.includes(g.GroupName));
  }
  const { items, next } = describe(docs, input.GroupIds, input, {
    res: RES.sg,
    idsParam: "groupIds",
    idOf: (d) => d.GroupId,
    view: (d) => sgView(s, d),
    accessors: {
      "group-id": (d) => d.GroupId,
      "group-name": (d) => d.GroupName,
      description: (d) => d.Description,
      "owner-id": (d) => d.OwnerId,
      "vpc-id": (d) => d.VpcId,
      ...ruleAccessors(false, s),
      ...ruleAccessors(true, s),
    },
  });
  return { SecurityGroups: items, NextToken: next };
});

export const DescribeSecurityGroupRules = vpcHandler<DescribeSecurityGroupRulesRequest, DescribeSecurityGroupRulesResult>((input, s) => {
  dryRun(input);
  const pairs = s.all<SgDoc>(KIND.sg).flatMap((g) => g.rules.map((r) => ({ g, r, SecurityGroupRuleId: r.id, Tags: r.tags })));
  pairs.sort((a, b) => (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
  const { items, next } = describe(pairs, input.SecurityGroupRuleIds, input, {
    res: { ...RES.sg, prefix: "sgr", notFound: "InvalidSecurityGroupRuleId.NotFound", malformed: "InvalidSecurityGroupRuleId.Malformed", message: (ids) => `The security group rule ID${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist` },
    idsParam: "securityGroupRuleIds",
    idOf: (p) => p.r.id,
    view: (p) => ruleView(s, p.g, p.r),
    accessors: {
      "group-id": (p) => p.g.GroupId,
      "security-group-rule-id": (p) => p.r.id,
    },
  });
  return { SecurityGroupRules: items, NextToken: next };
});

/** True when another group's rule or a network interface refers to this group. */
function groupInUse(s: Ec2State, groupId: string): boolean {
  return (
    s.all<SgDoc>(KIND.sg).some((g) => g.GroupId !== groupId && g.rules.some((r) => r.group?.GroupId === groupId)) ||
    s.all<EniDoc>(KIND.eni).some((e) => e.Groups?.some((g) => g.GroupId === groupId))
  );
}

export const DeleteSecurityGroup = vpcHandler<DeleteSecurityGroupRequest, DeleteSecurityGroupResult>((input, s) => {
  let sg: SgDoc;
  if (input.GroupId) sg = need<SgDoc>(s, RES.sg, input.GroupId, "GroupId");
  else if (input.GroupName) {
    const vpc = defaultVpc(s);
    const found = s.all<SgDoc>(KIND.sg).find((g) => g.VpcId === vpc.VpcId && g.GroupName === input.GroupName);
    if (!found) throw new AwsError("InvalidGroup.NotFound", `The security group '${input.GroupName}' does not exist in default VPC '${vpc.VpcId}'`, 400);
    sg = found;
  } else throw new AwsError("MissingParameter", "The request must contain the parameter groupName or groupId", 400);
  if (sg.GroupName === "default") throw new AwsError("CannotDelete", `the specified group: "${sg.GroupId}" name: "default" cannot be deleted by a user`, 400);
  if (groupInUse(s, sg.GroupId)) throw new AwsError("DependencyViolation", `resource ${sg.GroupId} has a dependent object`, 400);
  dryRun(input);
  s.delete(KIND.sg, sg.GroupId);
  return { Return: true, GroupId: sg.GroupId };
});

// ---------------------------------------------------------------- rules

export type RuleInput = AuthorizeSecurityGroupIngressRequest & AuthorizeSecurityGroupEgressRequest;

const PROTOCOL_NAMES: Record<string, string> = { "-1": "-1", all: "-1", tcp: "tcp", "6": "tcp", udp: "udp", "17": "udp", icmp: "icmp", "1": "icmp", icmpv6: "icmpv6", "58": "icmpv6" };

export function protocol(p: string | undefined): string {
  if (p === undefined || p === "") throw new AwsError("MissingParameter", "The request must contain the parameter ipProtocol", 400);
  const lower = p.toLowerCase();
  if (PROTOCOL_NAMES[lower]) return PROTOCOL_NAMES[lower];
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255) return String(Number(p));
  throw invalid(`Invalid value '${p}' for IP protocol. Unknown protocol.`);
}

export function ports(proto: string, from: number | undefined, to: number | undefined): { from?: number; to?: number } {
  if (proto === "tcp" || proto === "udp") {
    if (from === undefined || to === undefined) throw invalid(`Invalid value 'null' for portRange. Must specify both from and to ports with TCP/UDP.`);
    if (from < 0 || from > 65535 || to < 0 || to > 65535 || from > to) throw invalid(`Invalid value '${from}-${to}' for portRange. Valid ports are 0-65535 with from <= to.`);
    return { from, to };
  }
  if (proto === "icmp" || proto === "icmpv6") {
    const f = from ?? -1;
    const t = to ?? -1;
    if (f < -1 || f > 255 || t < -1 || t > 255) throw invalid(`Invalid value '${f}' for ICMP type or '${t}' for ICMP code.`);
    return { from: f, to: t };
  }
  return {};
}

/** The request's rules, one per peer, before they are checked against the group. */
export function requestedRules(s: Ec2State, sg: SgDoc, input: RuleInput, egress: boolean): SgRule[] {
  let perms: IpPermission[] = input.IpPermissions ?? [];
  if (perms.length === 0) {
    // The older flat form: one protocol, ports and a CIDR or a source group.
    if (input.IpProtocol === undefined && input.CidrIp === undefined && input.SourceSecurityGroupName === undefined) {
      throw new AwsError("MissingParameter", "The request must contain the parameter ipPermissions", 400);
    }
    perms = [{
      IpProtocol: input.IpProtocol ?? "-1",
      FromPort: input.FromPort,
      ToPort: input.ToPort,
      IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : undefined,
      UserIdGroupPairs: input.SourceSecurityGroupName ? [{ GroupName: input.SourceSecurityGroupName, UserId: input.SourceSecurityGroupOwnerId }] : undefined,
    }];
  }
  const rules: SgRule[] = [];
  for (const p of perms) {
    const proto = protocol(p.IpProtocol);
    const range = ports(proto, p.FromPort, p.ToPort);
    const base = { egress, proto, ...range };
    for (const r of p.IpRanges ?? []) {
      const c = parseCidr(r.CidrIp);
      if (!c) throw invalid(`CIDR block ${r.CidrIp} is malformed`);
      rules.push({ id: "", ...base, cidr4: cidrString(c), description: r.Description });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      if (!r.CidrIpv6 || !/^[0-9a-fA-F:]+\/\d{1,3}$/.test(r.CidrIpv6)) throw invalid(`CIDR block ${r.CidrIpv6} is malformed`);
      rules.push({ id: "", ...base, cidr6: r.CidrIpv6.toLowerCase(), description: r.Description });
    }
    for (const r of p.PrefixListIds ?? []) {
      if (!r.PrefixListId || !/^pl-[0-9a-f]+$/.test(r.PrefixListId)) throw new AwsError("InvalidPrefixListId.Malformed", `Invalid id: "${r.PrefixListId}"`, 400);
      rules.push({ id: "", ...base, prefixList: r.PrefixListId, description: r.Description });
    }
    for (const pair of p.UserIdGroupPairs ?? []) {
      let ref: SgDoc | undefined;
      if (pair.GroupId) {
        if (!wellFormed("sg", pair.GroupId)) throw malformed(RES.sg, pair.GroupId);
        ref = s.get<SgDoc>(KIND.sg, pair.GroupId);
        // A group of another account is named with its owner's id (peered VPCs); it is recorded as given.
        if (!ref && pair.UserId && pair.UserId !== s.accountId) {
          rules.push({ id: "", ...base, group: { GroupId: pair.GroupId, UserId: pair.UserId }, description: pair.Description });
          continue;
        }
        if (!ref) throw notFound(RES.sg, [pair.GroupId]);
      } else if (pair.GroupName) {
        ref = s.all<SgDoc>(KIND.sg).find((g) => g.VpcId === sg.VpcId && g.GroupName === pair.GroupName);
        if (!ref) throw new AwsError("InvalidGroup.NotFound", `The security group '${pair.GroupName}' does not exist in VPC '${sg.VpcId}'`, 400);
      } else throw new AwsError("MissingParameter", "The request must contain the parameter groupId or groupName", 400);
      if (ref.VpcId !== sg.VpcId) {
        throw invalid(`You have specified two resources that belong to different networks.`);
      }
      rules.push({ id: "", ...base, group: { GroupId: ref.GroupId, UserId: ref.OwnerId }, description: pair.Description });
    }
    if (!p.IpRanges?.length && !p.Ipv6Ranges?.length && !p.PrefixListIds?.length && !p.UserIdGroupPairs?.length) {
      throw new AwsError("MissingParameter", "The request must contain at least one of ipRanges, ipv6Ranges, prefixListIds or groups", 400);
    }
  }
  return rules;
}

export function samePeer(a: SgRule, b: SgRule): boolean {
  return a.egress === b.egress && a.proto === b.proto && a.from === b.from && a.to === b.to && a.cidr4 === b.cidr4 && a.cidr6 === b.cidr6 && a.prefixList === b.prefixList && a.group?.GroupId === b.group?.GroupId;
}

/** AWS's wording of a rule in InvalidPermission.Duplicate. */
export function describeRule(r: SgRule): string {
  const peer = r.cidr4 ?? r.cidr6 ?? r.prefixList ?? r.group?.GroupId;
  const proto = r.proto === "-1" ? "ALL" : r.proto.toUpperCase();
  const range = r.proto === "tcp" || r.proto === "udp" ? `, from port: ${r.from}, to port: ${r.to}` : r.proto.startsWith("icmp") ? `, type: ${r.from}, code: ${r.to}` : "";
  return `peer: ${peer}, ${proto}${range}, ALLOW`;
}

/** The group an Authorize/Revoke call names: by GroupId, or (ingress only) by GroupName in the default VPC. */
function targetGroup(s: Ec2State, input: { GroupId?: string; GroupName?: string }, egress: boolean): SgDoc {
  if (input.GroupId) return need<SgDoc>(s, RES.sg, input.GroupId, "GroupId");
  if (input.GroupName && !egress) {
    const vpc = defaultVpc(s);
    const found = s.all<SgDoc>(KIND.sg).find((g) => g.VpcId === vpc.VpcId && g.GroupName === input.GroupName);
    if (!found) throw new AwsError("InvalidGroup.NotFound", `The security group '${input.GroupName}' does not exist in default VPC '${vpc.VpcId}'`, 400);
    return found;
  }
  throw new AwsError("MissingParameter", "The request must contain the parameter groupId", 400);
}

function authorize(s: Ec2State, input: RuleInput, egress: boolean): AuthorizeSecurityGroupIngressResult {
  const sg = targetGroup(s, input, egress);
  const tags = tagsOnCreate(input.TagSpecifications, "security-group-rule");
  const rules = requestedRules(s, sg, input, egress);
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (sg.rules.some((x) => samePeer(x, r)) || rules.slice(0, i).some((x) => samePeer(x, r))) {
      throw new AwsError("InvalidPermission.Duplicate", `the specified rule "${describeRule(r)}" already exists`, 400);
    }
  }
  if (sg.rules.filter((r) => r.egress === egress).length + rules.length > RULES_PER_DIRECTION) {
    throw new AwsError("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.", 400);
  }
  dryRun(input);
  for (const r of rules) {
    r.id = newId("sgr");
    if (tags.length) r.tags = tags;
    if (r.description === undefined) delete r.description;
  }
  sg.rules.push(...rules);
  s.put(KIND.sg, sg.GroupId, sg);
  return { Return: true, SecurityGroupRules: rules.map((r) => ruleView(s, sg, r)) };
}

type RevokeInput = RevokeSecurityGroupIngressRequest & RevokeSecurityGroupEgressRequest;

function revoke(s: Ec2State, input: RevokeInput, egress: boolean): RevokeSecurityGroupIngressResult {
  const sg = targetGroup(s, input, egress);
  const drop = new Set<string>();
  const unknown: SgRule[] = [];
  if (input.SecurityGroupRuleIds?.length) {
    for (const id of input.SecurityGroupRuleIds) {
      const rule = sg.rules.find((r) => r.id === id && r.egress === egress);
      if (!rule) throw new AwsError("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`, 400);
      drop.add(rule.id);
    }
  } else {
    for (const want of requestedRules(s, sg, input as RuleInput, egress)) {
      const rule = sg.rules.find((r) => samePeer(r, want));
      if (rule) drop.add(rule.id);
      else unknown.push(want);
    }
  }
  // Nothing of the request matched: AWS's error. Some matched: those go, the rest are listed.
  if (drop.size === 0) throw new AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.", 400);
  dryRun(input);
  sg.rules = sg.rules.filter((r) => !drop.has(r.id));
  s.put(KIND.sg, sg.GroupId, sg);
  return { Return: true, UnknownIpPermissions: unknown.length ? permissions(unknown) : undefined };
}

export const AuthorizeSecurityGroupIngress = vpcHandler<AuthorizeSecurityGroupIngressRequest, AuthorizeSecurityGroupIngressResult>((input, s) => authorize(s, input as RuleInput, false));
export const AuthorizeSecurityGroupEgress = vpcHandler<AuthorizeSecurityGroupEgressRequest, AuthorizeSecurityGroupEgressResult>((input, s) => authorize(s, input as RuleInput, true));
export const RevokeSecurityGroupIngress = vpcHandler<RevokeSecurityGroupIngressRequest, RevokeSecurityGroupIngressResult>((input, s) => revoke(s, input as RevokeInput, false));
export const RevokeSecurityGroupEgress = vpcHandler<RevokeSecurityGroupEgressRequest, RevokeSecurityGroupEgressResult>((input, s) => revoke(s, input as RevokeInput, true));
