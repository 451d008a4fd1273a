// Instance documents (kind "i", scoped to account and region like the VPC family): AWS's
// Instance shape plus internal lower-case members the EC2 protocol never writes.
import type { Instance, InstanceState, StateReason, Tag } from "@aws-sdk/client-ec2";

export const INSTANCE_KIND = "i";

/** AWS's state codes (the low byte of InstanceState.Code). */
export const STATE = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;

export type StateName = keyof typeof STATE;

export interface InstanceDoc extends Omit<Instance, "LaunchTime" | "Tags" | "UsageOperationUpdateTime" | "State"> {
  InstanceId: string;
  ImageId: string;
  InstanceType: Instance["InstanceType"] & string;
  SubnetId: string;
  VpcId: string;
  PrivateIpAddress: string;
  State: InstanceState & { Name: StateName; Code: number };
  Tags?: Tag[];
  launchTime: string;
  reservationId: string;
  ownerId: string;
  requesterId?: string;
  /** Base64 as given. */
  userData?: string;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior: "stop" | "terminate";
  eniId: string;
  /** The primary interface's MAC address (IMDS mac, network/interfaces/macs/...). */
  mac: string;
  /** The instance gets a public IP at each start (its subnet or interface asked for one). */
  mapPublicIp?: boolean;
  /** The instance profile's role name (resolved at launch). */
  roleName?: string;
  roleArn?: string;
  /** When the instance reached terminated (ISO), to drop it from Describe after an hour. */
  terminatedAt?: string;
  /** True once user data ran (first boot). */
  booted?: boolean;
  /** Spot market options of a spot instance. */
  spot?: { requestId: string; behavior: "terminate" | "stop" | "hibernate"; type: "one-time" | "persistent"; maxPrice?: string };
  /** The spot interruption notice (IMDS spot/instance-action), once posted. */
  spotAction?: { action: string; time: string };
  /** The key pair's OpenSSH public key line at launch (installed for `loginUser`, IMDS public-keys). */
  publicKey?: string;
  /** The image's default user (ec2-user, ubuntu, admin), made at first boot when there is a key. */
  loginUser?: string;
  /** ClientToken given, for idempotency. */
  clientToken?: string;
}

export function setState(d: InstanceDoc, name: StateName, reason?: { transition?: string; code?: string; message?: string }): void {
  d.State = { Code: STATE[name], Name: name };
  if (reason?.transition !== undefined) d.StateTransitionReason = reason.transition;
  d.StateReason = reason?.code ? ({ Code: reason.code, Message: reason.message ?? reason.code } satisfies StateReason) : undefined;
}

/** AWS's StateTransitionReason for user-initiated changes: "User initiated (2026-11-22 10:00:00 GMT)". */
export function userInitiated(now: number): string {
  return `User initiated (${new Date(now).toISOString().slice(0, 19).replace("T", " ")} GMT)`;
}
