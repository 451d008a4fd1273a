// Every VPC-family handler runs through vpcHandler: one transaction (a refused request changes
// nothing), after the account's default VPC for the region exists. AWS gives every account a
// default VPC in every region; Nimbus builds it on the first VPC-family request of an
// account/region and records that it did, so a deleted default VPC stays deleted.
import type { Handler, RequestContext } from "../../../core/service.js";
import { createSubnet, createVpc, defaultSubnetCidr } from "./build.js";
import { newId } from "./ids.js";
import { KIND, stateOf, type Ec2State, type IgwDoc, type RouteTableDoc, type VpcDoc } from "./store.js";
import { regionInfo } from "../regions.js";

/** AWS reports an attached internet gateway's attachment state as "available", outside the SDK's enum. */
export const IGW_ATTACHED = "available" as "attached";

export function vpcHandler<I, O>(fn: (input: I, s: Ec2State, ctx: RequestContext) => O): Handler<I, O> {
  return (input, ctx) =>
    ctx.store.tx(() => {
      const s = stateOf(ctx);
      ensureDefaultVpc(s);
      return fn(input, s, ctx);
    });
}

export function ensureDefaultVpc(s: Ec2State): void {
  if (s.get(KIND.meta, "defaults")) return;
  buildDefaultVpc(s);
  s.put(KIND.meta, "defaults", { created: true });
}

/** The default VPC as AWS makes it: 172.31.0.0/16, a /20 per zone, an attached internet gateway. */
export function buildDefaultVpc(s: Ec2State): VpcDoc {
  const vpc = createVpc(s, "172.31.0.0/16", { isDefault: true });
  const zones = (regionInfo(s.region) ?? regionInfo("us-east-1")!).zones.map((z) => (regionInfo(s.region) ? z : s.region + z.slice(-1)));
  zones.forEach((az, i) => createSubnet(s, vpc, defaultSubnetCidr(i), az, { isDefault: true }));
  const igw: IgwDoc = { InternetGatewayId: newId("igw"), OwnerId: s.accountId, Attachments: [{ VpcId: vpc.VpcId, State: IGW_ATTACHED }], Tags: [] };
  s.put(KIND.igw, igw.InternetGatewayId, igw);
  const main = s.all<RouteTableDoc>(KIND.rtb).find((r) => r.VpcId === vpc.VpcId)!;
  main.Routes!.push({ DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGatewayId, State: "active", Origin: "CreateRoute" });
  s.put(KIND.rtb, main.RouteTableId, main);
  return vpc;
}
