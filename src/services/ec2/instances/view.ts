// Instance documents as AWS answers them, the DescribeInstances filters, and the lookups the
// instance handlers share.
import type { Instance, Reservation } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { FilterAccessors } from "../filters.js";
import { tagsOut } from "../vpc/common.js";
import { wellFormed } from "../vpc/ids.js";
import { malformed, notFound, RES } from "../vpc/lookup.js";
import type { Ec2State } from "../vpc/store.js";
import { INSTANCE_KIND, type InstanceDoc } from "./store.js";

/** Terminated instances stay visible for an hour, as on AWS. */
export const TERMINATED_VISIBLE_MS = 60 * 60_000;

export function instanceView(d: InstanceDoc): Instance {
  const {
    launchTime, reservationId, ownerId, requesterId, userData, disableApiTermination, disableApiStop, shutdownBehavior, eniId, mac, mapPublicIp, roleName, roleArn,
    terminatedAt, booted, spotAction, spot, clientToken, Tags, ...rest
  } = d;
  void [reservationId, ownerId, requesterId, userData, disableApiTermination, disableApiStop, shutdownBehavior, eniId, mac, mapPublicIp, mac, mapPublicIp, roleName, roleArn, terminatedAt, booted, spotAction, spot, clientToken];
  const gone = d.State.Name === "terminated";
  return {
    ...rest,
    LaunchTime: new Date(launchTime),
    UsageOperationUpdateTime: new Date(launchTime),
    Tags: tagsOut(Tags),
    ClientToken: clientToken ?? "",
    // A terminated instance has no addresses, interfaces or groups left to show.
    ...(gone ? { PrivateIpAddress: undefined, PrivateDnsName: "", PublicDnsName: "", NetworkInterfaces: [], SubnetId: undefined, VpcId: undefined } : {}),
  } as Instance;
}

export function reservationsOf(docs: InstanceDoc[]): Reservation[] {
  const byRes = new Map<string, Reservation>();
  for (const d of docs) {
    let r = byRes.get(d.reservationId);
    if (!r) {
      r = { ReservationId: d.reservationId, OwnerId: d.ownerId, RequesterId: d.requesterId, Groups: [], Instances: [] };
      byRes.set(d.reservationId, r);
    }
    r.Instances!.push(instanceView(d));
  }
  return [...byRes.values()];
}

/** Live instances of the scope; terminated ones older than an hour are dropped here. */
export function liveInstances(s: Ec2State, now: number): InstanceDoc[] {
  const out: InstanceDoc[] = [];
  for (const d of s.all<InstanceDoc>(INSTANCE_KIND)) {
    if (d.terminatedAt && now - Date.parse(d.terminatedAt) > TERMINATED_VISIBLE_MS) {
      s.delete(INSTANCE_KIND, d.InstanceId);
      continue;
    }
    out.push(d);
  }
  return out;
}

/** The documents for `ids` (all must exist), in the order given. */
export function needInstances(s: Ec2State, ids: string[] | undefined, now: number): InstanceDoc[] {
  if (!ids?.length) throw new AwsError("MissingParameter", "The request must contain the parameter InstanceId", 400);
  for (const id of ids) if (!wellFormed("i", id)) throw malformed(RES.instance, id);
  const live = new Map(liveInstances(s, now).map((d) => [d.InstanceId, d]));
  const missing = [...new Set(ids)].filter((id) => !live.has(id));
  if (missing.length) throw notFound(RES.instance, missing);
  return [...new Set(ids)].map((id) => live.get(id)!);
}

export const INSTANCE_FILTERS: FilterAccessors<InstanceDoc> = {
  "instance-id": (d) => d.InstanceId,
  "instance-state-name": (d) => d.State.Name,
  "instance-state-code": (d) => d.State.Code,
  "instance-type": (d) => d.InstanceType,
  "image-id": (d) => d.ImageId,
  "vpc-id": (d) => d.VpcId,
  "subnet-id": (d) => d.SubnetId,
  "private-ip-address": (d) => d.PrivateIpAddress,
  "network-interface.addresses.private-ip-address": (d) => d.PrivateIpAddress,
  "ip-address": (d) => d.PublicIpAddress,
  "dns-name": (d) => d.PublicDnsName,
  "private-dns-name": (d) => d.PrivateDnsName,
  "key-name": (d) => d.KeyName,
  "availability-zone": (d) => d.Placement?.AvailabilityZone,
  "reservation-id": (d) => d.reservationId,
  "owner-id": (d) => d.ownerId,
  "instance.group-id": (d) => (d.SecurityGroups ?? []).map((g) => g.GroupId),
  "instance.group-name": (d) => (d.SecurityGroups ?? []).map((g) => g.GroupName),
  "group-id": (d) => (d.SecurityGroups ?? []).map((g) => g.GroupId),
  "group-name": (d) => (d.SecurityGroups ?? []).map((g) => g.GroupName),
  "iam-instance-profile.arn": (d) => d.IamInstanceProfile?.Arn,
  "launch-index": (d) => d.AmiLaunchIndex,
  architecture: (d) => d.Architecture,
  "client-token": (d) => d.clientToken,
  "instance-lifecycle": (d) => d.InstanceLifecycle,
  "metadata-options.http-tokens": (d) => d.MetadataOptions?.HttpTokens,
  "metadata-options.http-endpoint": (d) => d.MetadataOptions?.HttpEndpoint,
  "metadata-options.instance-metadata-tags": (d) => d.MetadataOptions?.InstanceMetadataTags,
  "network-interface.network-interface-id": (d) => d.eniId,
  "root-device-type": (d) => d.RootDeviceType,
  "root-device-name": (d) => d.RootDeviceName,
  "tenancy": (d) => d.Placement?.Tenancy,
  "platform-details": (d) => d.PlatformDetails,
  "state-reason-code": (d) => d.StateReason?.Code,
  "launch-time": (d) => d.launchTime,
  "virtualization-type": (d) => d.VirtualizationType,
  hypervisor: (d) => d.Hypervisor,
};
