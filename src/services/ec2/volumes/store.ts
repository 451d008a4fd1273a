// EBS documents (kinds "vol" and "snap", scoped to account and region like the VPC family) and
// AWS's rules for volume types: sizes, IOPS and throughput, with AWS's error wording.
import type { Snapshot, Tag, Volume, VolumeModification } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { invalid } from "../vpc/common.js";

export const VOLUME_KIND = "vol";
export const SNAPSHOT_KIND = "snap";

export interface VolumeAttachmentDoc {
  InstanceId: string;
  Device: string;
  /** attaching, attached, detaching, busy. */
  State: "attaching" | "attached" | "detaching" | "busy";
  AttachTime: string;
  DeleteOnTermination: boolean;
  /** The device node's name inside the instance (xvdf, nvme1n1), fixed when attached. */
  node?: string;
}

export interface VolumeDoc extends Omit<Volume, "CreateTime" | "Attachments" | "Tags" | "State" | "VolumeType"> {
  VolumeId: string;
  Size: number;
  AvailabilityZone: string;
  VolumeType: string;
  State: "creating" | "available" | "in-use" | "deleting" | "error";
  Encrypted: boolean;
  SnapshotId: string;
  Tags?: Tag[];
  createTime: string;
  attachment?: VolumeAttachmentDoc;
  /** The root volume of an instance: its bytes are the instance's disk (overlay upper layer), not a file. */
  root?: boolean;
  /** The latest ModifyVolume, with when it started (the six-hour cooldown). */
  modification?: Omit<VolumeModification, "StartTime" | "EndTime"> & { startTime: string; endTime?: string };
}

export interface SnapshotDoc extends Omit<Snapshot, "StartTime" | "Tags" | "State" | "CompletionTime"> {
  SnapshotId: string;
  VolumeId: string;
  VolumeSize: number;
  State: "pending" | "completed" | "error";
  OwnerId: string;
  Encrypted: boolean;
  Tags?: Tag[];
  startTime: string;
  completionTime?: string;
  /** What holds the bytes: a volume file (`file`), an instance disk layer (`layer`), or nothing (a snapshot named by an image, `none`). */
  content: "file" | "layer" | "none";
}

export const VOLUME_TYPES = ["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"] as const;

interface TypeRule {
  min: number;
  max: number;
  /** IOPS: [min, max, max per GiB], when the type takes Iops. */
  iops?: [number, number, number];
  /** Iops must be given (io1, io2). */
  iopsRequired?: boolean;
  throughput?: [number, number];
}

export const TYPE_RULES: Record<string, TypeRule> = {
  standard: { min: 1, max: 1024 },
  gp2: { min: 1, max: 16384 },
  gp3: { min: 1, max: 16384, iops: [3000, 16000, 500], throughput: [125, 1000] },
  io1: { min: 4, max: 16384, iops: [100, 64000, 50], iopsRequired: true },
  io2: { min: 4, max: 65536, iops: [100, 256000, 1000], iopsRequired: true },
  st1: { min: 125, max: 16384 },
  sc1: { min: 125, max: 16384 },
};

/** The volume's size, IOPS and throughput after AWS's defaults, or AWS's refusal. */
export function checkVolumeSpec(type: string, size: number, iops: number | undefined, throughput: number | undefined): { iops?: number; throughput?: number } {
  const rule = TYPE_RULES[type];
  if (!rule) throw invalid(`Value (${type}) for parameter volumeType is invalid. Valid values: ${VOLUME_TYPES.join(", ")}`);
  if (!Number.isInteger(size) || size < rule.min) throw invalid(`Volume of size ${size}GiB is too small; minimum is ${rule.min}GiB`);
  if (size > rule.max) throw invalid(`Volume of size ${size}GiB is too large; maximum is ${rule.max}GiB`);
  if (throughput !== undefined && !rule.throughput) throw new AwsError("InvalidParameterCombination", `The parameter throughput is not supported for ${type} volumes.`, 400);
  if (iops !== undefined && !rule.iops) throw new AwsError("InvalidParameterCombination", `The parameter iops is not supported for ${type} volumes.`, 400);
  if (rule.iopsRequired && iops === undefined) throw new AwsError("InvalidParameterCombination", `The parameter iops must be specified for ${type} volumes.`, 400);
  const out: { iops?: number; throughput?: number } = {};
  if (rule.iops) {
    const [lo, hi, perGiB] = rule.iops;
    const v = iops ?? lo;
    if (v < lo || v > hi) throw invalid(`Volume iops of ${v} is ${v < lo ? "too low; minimum is " + lo : "too high; maximum is " + hi}.`);
    if (iops !== undefined && v / size > perGiB) throw invalid(`Iops to volume size ratio of ${(v / size).toFixed(6)} is too high; maximum is ${perGiB.toFixed(6)}`);
    out.iops = v;
  } else if (type === "gp2") {
    // gp2: 3 IOPS per GiB, at least 100, at most 16,000 (not settable).
    out.iops = Math.min(16000, Math.max(100, size * 3));
  }
  if (rule.throughput) {
    const [lo, hi] = rule.throughput;
    const v = throughput ?? lo;
    if (v < lo || v > hi) throw invalid(`Throughput (MiBps) of ${v} is ${v < lo ? "too low; minimum is " + lo : "too high; maximum is " + hi}.`);
    if (throughput !== undefined && v / out.iops! > 0.25) throw invalid(`Throughput (MiBps) to iops ratio of ${(v / out.iops!).toFixed(6)} is too high; maximum is 0.250000 MiBps per iops.`);
    out.throughput = v;
  }
  return out;
}

/** AWS's names for EBS device names on Linux instances: /dev/sd[b-z], /dev/xvd[b-z] and two-letter forms. */
const DEVICE = /^\/dev\/(sd|xvd)[a-z]{1,2}[0-9]{0,2}$/;

export function checkDevice(device: string | undefined): string {
  if (!device) throw new AwsError("MissingParameter", "The request must contain the parameter device", 400);
  if (!DEVICE.test(device)) throw invalid(`Value (${device}) for parameter device is invalid. ${device} is not a valid EBS device name.`);
  return device;
}

/** Two device names that name the same attachment point (/dev/sdf and /dev/xvdf). */
export function sameDevice(a: string, b: string): boolean {
  const norm = (d: string) => d.replace(/^\/dev\/(sd|xvd)/, "/dev/x");
  return norm(a) === norm(b);
}

/** The default EBS KMS key's ARN of an account and region (alias/aws/ebs), as Encrypted volumes name it. */
export function defaultEbsKey(region: string, accountId: string): string {
  return `arn:aws:kms:${region}:${accountId}:alias/aws/ebs`;
}
