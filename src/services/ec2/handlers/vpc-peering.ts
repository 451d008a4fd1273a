// VPC peering: Create / Accept / Reject / Delete / Describe. A connection between accounts or
// regions is one document written in both sides' scopes, so each side sees it (and tags its
// own copy, as tags are per account on AWS).
import type {
  AcceptVpcPeeringConnectionRequest, AcceptVpcPeeringConnectionResult, CreateVpcPeeringConnectionRequest, CreateVpcPeeringConnectionResult,
  DeleteVpcPeeringConnectionRequest, DeleteVpcPeeringConnectionResult, DescribeVpcPeeringConnectionsRequest, DescribeVpcPeeringConnectionsResult,
  RejectVpcPeeringConnectionRequest, RejectVpcPeeringConnectionResult, VpcPeeringConnection, VpcPeeringConnectionStateReasonCode,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { overlaps, parseCidr } from "../vpc/cidr.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { ensureDefaultVpc, vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, notFound, RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type PcxDoc, type VpcDoc } from "../vpc/store.js";
import { regionInfo } from "../regions.js";

/** How long a request waits for acceptance (AWS: 7 days). */
const PENDING_MS = 7 * 24 * 3600 * 1000;

function pcxView(d: PcxDoc): VpcPeeringConnection {
  const { expires, Tags, ...rest } = d;
  return { ...rest, ExpirationTime: expires ? new Date(expires) : undefined, Tags: tagsOut(Tags) ?? [] };
}

/** Both sides' states (one when both VPCs are in the same account and region). */
function sides(s: Ec2State, d: PcxDoc): Ec2State[] {
  const req = s.other(d.RequesterVpcInfo!.OwnerId!, d.RequesterVpcInfo!.Region!);
  const acc = s.other(d.AccepterVpcInfo!.OwnerId!, d.AccepterVpcInfo!.Region!);
  return req.store.scope === acc.store.scope ? [req] : [req, acc];
}

/** Writes the connection's shared state to both sides, keeping each side's own tags. */
function save(s: Ec2State, d: PcxDoc): void {
  for (const side of sides(s, d)) {
    const mine = side.get<PcxDoc>(KIND.pcx, d.VpcPeeringConnectionId);
    side.put(KIND.pcx, d.VpcPeeringConnectionId, { ...d, Tags: side.store.scope === s.store.scope ? d.Tags : (mine?.Tags ?? []) });
  }
}

function status(d: PcxDoc, code: VpcPeeringConnectionStateReasonCode, message: string): void {
  d.Status = { Code: code, Message: message };
}

export const CreateVpcPeeringConnection = vpcHandler<CreateVpcPeeringConnectionRequest, CreateVpcPeeringConnectionResult>((input, s, ctx) => {
  const vpc = need<VpcDoc>(s, RES.vpc, input.VpcId, "VpcId");
  if (!input.PeerVpcId) throw new AwsError("MissingParameter", "The request must contain the parameter PeerVpcId", 400);
  const peerOwner = input.PeerOwnerId ?? s.accountId;
  const peerRegion = input.PeerRegion ?? s.region;
  if (!/^\d{12}$/.test(peerOwner)) throw invalid(`Value (${peerOwner}) for parameter peerOwnerId is invalid.`);
  if (!regionInfo(peerRegion)) throw invalid(`Value (${peerRegion}) for parameter peerRegion is invalid.`);
  const peerState = s.other(peerOwner, peerRegion);
  ensureDefaultVpc(peerState);
  const peer = peerState.get<VpcDoc>(KIND.vpc, input.PeerVpcId);
  const local = peerOwner === s.accountId && peerRegion === s.region;
  if (!peer && local) throw notFound(RES.vpc, [input.PeerVpcId]);
  if (peer?.VpcId === vpc.VpcId) throw invalid("A VPC peering connection cannot be created between a VPC and itself");
  const tags = tagsOnCreate(input.TagSpecifications, "vpc-peering-connection");
  dryRun(input);
  const now = ctx.clock.now();
  const d: PcxDoc = {
    VpcPeeringConnectionId: newId("pcx"),
    RequesterVpcInfo: {
      CidrBlock: vpc.CidrBlock,
      CidrBlockSet: (vpc.CidrBlockAssociationSet ?? []).map((a) => ({ CidrBlock: a.CidrBlock })),
      OwnerId: s.accountId,
      VpcId: vpc.VpcId,
      Region: s.region,
      PeeringOptions: { AllowDnsResolutionFromRemoteVpc: false, AllowEgressFromLocalClassicLinkToRemoteVpc: false, AllowEgressFromLocalVpcToRemoteClassicLink: false },
    },
    AccepterVpcInfo: { OwnerId: peerOwner, VpcId: input.PeerVpcId, Region: peerRegion },
    Tags: tags,
  };
  if (!peer) status(d, "failed", `The VPC ${input.PeerVpcId} does not exist in account ${peerOwner} in ${peerRegion}`);
  else if ((vpc.CidrBlockAssociationSet ?? []).some((a) => (peer.CidrBlockAssociationSet ?? []).some((b) => overlaps(parseCidr(a.CidrBlock)!, parseCidr(b.CidrBlock)!)))) {
    status(d, "failed", "Overlapping CIDR range");
  } else {
    status(d, "pending-acceptance", `Pending Acceptance by ${peerOwner}`);
    d.expires = new Date(now + PENDING_MS).toISOString();
  }
  save(s, d);
  // The create call answers the first state of every connection, as AWS does.
  return { VpcPeeringConnection: { ...pcxView(d), Status: { Code: "initiating-request", Message: `Initiating Request to ${peerOwner}` } } };
});

export const DescribeVpcPeeringConnections = vpcHandler<DescribeVpcPeeringConnectionsRequest, DescribeVpcPeeringConnectionsResult>((input, s, ctx) => {
  dryRun(input);
  const now = ctx.clock.now();
  const docs = s.all<PcxDoc>(KIND.pcx).map((d) => {
    // A request nobody answered expires after a week.
    if (d.Status?.Code === "pending-acceptance" && d.expires && Date.parse(d.expires) <= now) {
      status(d, "expired", "Expired");
      delete d.expires;
      save(s, d);
    }
    return d;
  });
  const { items, next } = describe(docs, input.VpcPeeringConnectionIds, input, {
    res: RES.pcx,
    idsParam: "vpcPeeringConnectionIds",
    idOf: (d) => d.VpcPeeringConnectionId,
    view: pcxView,
    accessors: {
      "vpc-peering-connection-id": (d) => d.VpcPeeringConnectionId,
      "status-code": (d) => d.Status?.Code,
      "status-message": (d) => d.Status?.Message,
      "expiration-time": (d) => d.expires,
      "requester-vpc-info.vpc-id": (d) => d.RequesterVpcInfo?.VpcId,
      "requester-vpc-info.owner-id": (d) => d.RequesterVpcInfo?.OwnerId,
      "requester-vpc-info.cidr-block": (d) => d.RequesterVpcInfo?.CidrBlock,
      "accepter-vpc-info.vpc-id": (d) => d.AccepterVpcInfo?.VpcId,
      "accepter-vpc-info.owner-id": (d) => d.AccepterVpcInfo?.OwnerId,
      "accepter-vpc-info.cidr-block": (d) => d.AccepterVpcInfo?.CidrBlock,
    },
  });
  return { VpcPeeringConnections: items, NextToken: next };
});

function transitionError(d: PcxDoc, to: string): AwsError {
  return new AwsError("InvalidStateTransition", `Invalid state transition for ${d.VpcPeeringConnectionId}, attempted to transition from ${d.Status?.Code} to ${to}`, 400);
}

/** Only the accepter's account, in the accepter's region, may accept or reject. */
function asAccepter(s: Ec2State, d: PcxDoc, op: string): void {
  if (d.AccepterVpcInfo?.OwnerId !== s.accountId || d.AccepterVpcInfo?.Region !== s.region) {
    throw new AwsError("OperationNotPermitted", `User ${s.accountId} cannot ${op} peering ${d.VpcPeeringConnectionId}`, 400);
  }
}

export const AcceptVpcPeeringConnection = vpcHandler<AcceptVpcPeeringConnectionRequest, AcceptVpcPeeringConnectionResult>((input, s) => {
  const d = need<PcxDoc>(s, RES.pcx, input.VpcPeeringConnectionId, "VpcPeeringConnectionId");
  asAccepter(s, d, "accept");
  if (d.Status?.Code !== "pending-acceptance") throw transitionError(d, "active");
  dryRun(input);
  const vpc = s.get<VpcDoc>(KIND.vpc, d.AccepterVpcInfo!.VpcId!)!;
  d.AccepterVpcInfo = {
    ...d.AccepterVpcInfo,
    CidrBlock: vpc.CidrBlock,
    CidrBlockSet: (vpc.CidrBlockAssociationSet ?? []).map((a) => ({ CidrBlock: a.CidrBlock })),
    PeeringOptions: { AllowDnsResolutionFromRemoteVpc: false, AllowEgressFromLocalClassicLinkToRemoteVpc: false, AllowEgressFromLocalVpcToRemoteClassicLink: false },
  };
  status(d, "active", "Active");
  delete d.expires;
  save(s, d);
  return { VpcPeeringConnection: pcxView(d) };
});

export const RejectVpcPeeringConnection = vpcHandler<RejectVpcPeeringConnectionRequest, RejectVpcPeeringConnectionResult>((input, s) => {
  const d = need<PcxDoc>(s, RES.pcx, input.VpcPeeringConnectionId, "VpcPeeringConnectionId");
  asAccepter(s, d, "reject");
  if (d.Status?.Code !== "pending-acceptance") throw transitionError(d, "rejected");
  dryRun(input);
  status(d, "rejected", `Rejected by ${s.accountId}`);
  delete d.expires;
  save(s, d);
  return { Return: true };
});

export const DeleteVpcPeeringConnection = vpcHandler<DeleteVpcPeeringConnectionRequest, DeleteVpcPeeringConnectionResult>((input, s) => {
  const d = need<PcxDoc>(s, RES.pcx, input.VpcPeeringConnectionId, "VpcPeeringConnectionId");
  const code = d.Status?.Code;
  const requester = d.RequesterVpcInfo?.OwnerId === s.accountId && d.RequesterVpcInfo?.Region === s.region;
  // Either side may delete an active connection; a pending one only its requester (the accepter rejects).
  if (!(code === "active" || (code === "pending-acceptance" && requester))) throw transitionError(d, "deleted");
  dryRun(input);
  status(d, "deleted", `Deleted by ${s.accountId}`);
  delete d.expires;
  save(s, d);
  return { Return: true };
});
