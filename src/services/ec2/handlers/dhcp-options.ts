// DescribeDhcpOptions: the default options set each account has per region (the one every VPC
// names). Creating other sets is not implemented (GAPS.md).
import type { DescribeDhcpOptionsRequest, DescribeDhcpOptionsResult } from "@aws-sdk/client-ec2";
import { describe, dryRun, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { RES } from "../vpc/lookup.js";
import { KIND, type DoptDoc } from "../vpc/store.js";

export const DescribeDhcpOptions = vpcHandler<DescribeDhcpOptionsRequest, DescribeDhcpOptionsResult>((input, s) => {
  dryRun(input);
  const { items, next } = describe(s.all<DoptDoc>(KIND.dopt), input.DhcpOptionsIds, input, {
    res: RES.dopt,
    idsParam: "dhcpOptionsIds",
    idOf: (d) => d.DhcpOptionsId,
    view: (d) => ({ ...d, Tags: tagsOut(d.Tags) ?? [] }),
    accessors: {
      "dhcp-options-id": (d) => d.DhcpOptionsId,
      key: (d) => d.DhcpConfigurations.map((c) => c.Key),
      value: (d) => d.DhcpConfigurations.flatMap((c) => c.Values.map((v) => v.Value)),
      "owner-id": (d) => d.OwnerId,
    },
  });
  return { DhcpOptions: items, NextToken: next };
});
