// Editing existing security group rules: ModifySecurityGroupRules (by rule id) and
// UpdateSecurityGroupRuleDescriptionsIngress/Egress (by rule id or by matching permission).
import type {
  ModifySecurityGroupRulesRequest, ModifySecurityGroupRulesResult, UpdateSecurityGroupRuleDescriptionsEgressRequest,
  UpdateSecurityGroupRuleDescriptionsEgressResult, UpdateSecurityGroupRuleDescriptionsIngressRequest, UpdateSecurityGroupRuleDescriptionsIngressResult,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { cidrString, parseCidr } from "../vpc/cidr.js";
import { dryRun, invalid } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { need, notFound, RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type SgDoc, type SgRule } from "../vpc/store.js";
import { describeRule, ports, protocol, requestedRules, samePeer, type RuleInput } from "./security-groups.js";

function ruleNotFound(id: string): AwsError {
  return new AwsError("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`, 400);
}

export const ModifySecurityGroupRules = vpcHandler<ModifySecurityGroupRulesRequest, ModifySecurityGroupRulesResult>((input, s) => {
  const sg = need<SgDoc>(s, RES.sg, input.GroupId, "GroupId");
  if (!input.SecurityGroupRules?.length) throw new AwsError("MissingParameter", "The request must contain the parameter SecurityGroupRule", 400);
  const next = sg.rules.map((r) => ({ ...r }));
  for (const update of input.SecurityGroupRules) {
    const i = next.findIndex((r) => r.id === update.SecurityGroupRuleId);
    if (i < 0) throw ruleNotFound(update.SecurityGroupRuleId ?? "");
    const req = update.SecurityGroupRule ?? {};
    const proto = protocol(req.IpProtocol);
    const peers = [req.CidrIpv4, req.CidrIpv6, req.PrefixListId, req.ReferencedGroupId].filter((p) => p !== undefined);
    if (peers.length !== 1) throw invalid("Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified");
    const rule: SgRule = { id: next[i].id, egress: next[i].egress, proto, ...ports(proto, req.FromPort, req.ToPort), tags: next[i].tags };
    if (req.CidrIpv4 !== undefined) {
      const c = parseCidr(req.CidrIpv4);
      if (!c) throw invalid(`CIDR block ${req.CidrIpv4} is malformed`);
      rule.cidr4 = cidrString(c);
    } else if (req.CidrIpv6 !== undefined) rule.cidr6 = req.CidrIpv6.toLowerCase();
    else if (req.PrefixListId !== undefined) rule.prefixList = req.PrefixListId;
    else {
      const ref = s.get<SgDoc>(KIND.sg, req.ReferencedGroupId!);
      if (!ref) throw notFound(RES.sg, [req.ReferencedGroupId!]);
      rule.group = { GroupId: ref.GroupId, UserId: ref.OwnerId };
    }
    if (req.Description !== undefined) rule.description = req.Description;
    if (next.some((r, j) => j !== i && samePeer(r, rule))) throw new AwsError("InvalidPermission.Duplicate", `the specified rule "${describeRule(rule)}" already exists`, 400);
    next[i] = rule;
  }
  dryRun(input);
  sg.rules = next;
  s.put(KIND.sg, sg.GroupId, sg);
  return { Return: true };
});

function updateDescriptions(s: Ec2State, input: UpdateSecurityGroupRuleDescriptionsIngressRequest, egress: boolean): { Return: boolean } {
  const sg = need<SgDoc>(s, RES.sg, input.GroupId, "GroupId");
  const changes: Array<[SgRule, string | undefined]> = [];
  if (input.SecurityGroupRuleDescriptions?.length) {
    for (const d of input.SecurityGroupRuleDescriptions) {
      const rule = sg.rules.find((r) => r.id === d.SecurityGroupRuleId && r.egress === egress);
      if (!rule) throw ruleNotFound(d.SecurityGroupRuleId ?? "");
      changes.push([rule, d.Description]);
    }
  } else {
    for (const want of requestedRules(s, sg, input as RuleInput, egress)) {
      const rule = sg.rules.find((r) => samePeer(r, want));
      if (!rule) throw new AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.", 400);
      changes.push([rule, want.description]);
    }
  }
  dryRun(input);
  for (const [rule, description] of changes) {
    if (description === undefined || description === "") delete rule.description;
    else rule.description = description;
  }
  s.put(KIND.sg, sg.GroupId, sg);
  return { Return: true };
}

export const UpdateSecurityGroupRuleDescriptionsIngress = vpcHandler<UpdateSecurityGroupRuleDescriptionsIngressRequest, UpdateSecurityGroupRuleDescriptionsIngressResult>(
  (input, s) => updateDescriptions(s, input, false),
);
export const UpdateSecurityGroupRuleDescriptionsEgress = vpcHandler<UpdateSecurityGroupRuleDescriptionsEgressRequest, UpdateSecurityGroupRuleDescriptionsEgressResult>(
  (input, s) => updateDescriptions(s, input, true),
);
