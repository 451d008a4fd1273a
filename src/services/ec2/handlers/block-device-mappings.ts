// RunInstances' BlockDeviceMappings: the root volume (the image's root mapping, overridden by a
// mapping of the same device name) and extra EBS volumes, made in RunInstances' transaction and
// attached from the start. The root volume's bytes are the instance's disk (its overlay upper
// layer); an extra volume is a sparse file made before the instance boots (volumes/disks.ts).
import type { BlockDeviceMapping } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { invalid } from "../vpc/common.js";
import { need, RES } from "../vpc/lookup.js";
import type { Ec2State } from "../vpc/store.js";
import type { ImageDoc } from "../instances/images.js";
import type { InstanceDoc } from "../instances/store.js";
import { mappingOf, nodeName } from "../volumes/disks.js";
import { checkDevice, sameDevice, TYPE_RULES, VOLUME_KIND, type SnapshotDoc, type VolumeDoc } from "../volumes/store.js";
import { newVolume } from "./volumes.js";

export interface PlannedVolume {
  device: string;
  root: boolean;
  type?: string;
  size?: number;
  iops?: number;
  throughput?: number;
  encrypted?: boolean;
  kmsKeyId?: string;
  snapshot?: SnapshotDoc;
  deleteOnTermination: boolean;
  /** The image's root snapshot id (the root volume names it). */
  snapshotId?: string;
}

/** Checks the mappings once for the whole reservation: what every instance of it gets. */
export function planVolumes(s: Ec2State, image: Pick<ImageDoc, "RootDeviceName" | "BlockDeviceMappings">, given: BlockDeviceMapping[] | undefined): PlannedVolume[] {
  const rootDevice = image.RootDeviceName ?? "/dev/xvda";
  const imageRoot = (image.BlockDeviceMappings ?? []).find((b) => b.DeviceName === rootDevice)?.Ebs;
  const plans: PlannedVolume[] = [];
  const rootOverride = (given ?? []).find((b) => b.DeviceName === rootDevice);
  const rootSize = imageRoot?.VolumeSize ?? 8;
  const rootEbs = rootOverride?.Ebs;
  if (rootEbs?.VolumeSize !== undefined && rootEbs.VolumeSize < rootSize) {
    throw invalid(`Volume of size ${rootEbs.VolumeSize}GB is smaller than snapshot '${imageRoot?.SnapshotId ?? ""}', expect size >= ${rootSize}GB`);
  }
  const rootType = rootEbs?.VolumeType ?? imageRoot?.VolumeType ?? "gp2";
  // The image's IOPS and throughput carry over only to a type that takes them.
  const takes = TYPE_RULES[rootType] ?? {};
  plans.push({
    device: rootDevice,
    root: true,
    type: rootType,
    size: rootEbs?.VolumeSize ?? rootSize,
    iops: rootEbs?.Iops ?? (takes.iops && (rootEbs?.VolumeType === undefined || rootEbs.VolumeType === imageRoot?.VolumeType) ? imageRoot?.Iops : undefined),
    throughput: rootEbs?.Throughput ?? (takes.throughput && (rootEbs?.VolumeType === undefined || rootEbs.VolumeType === imageRoot?.VolumeType) ? imageRoot?.Throughput : undefined),
    encrypted: rootEbs?.Encrypted ?? imageRoot?.Encrypted,
    kmsKeyId: rootEbs?.KmsKeyId,
    deleteOnTermination: rootEbs?.DeleteOnTermination ?? imageRoot?.DeleteOnTermination ?? true,
    snapshotId: imageRoot?.SnapshotId,
  });
  for (const b of given ?? []) {
    if (b === rootOverride || b.NoDevice !== undefined || b.VirtualName) continue;
    const device = checkDevice(b.DeviceName);
    if (plans.some((p) => sameDevice(p.device, device))) throw invalid(`The device '${device}' is used in more than one block-device mapping`);
    if (!b.Ebs) throw new AwsError("MissingParameter", `The request must contain the parameter Ebs for device ${device}`, 400);
    const snapshot = b.Ebs.SnapshotId ? need<SnapshotDoc>(s, RES.snapshot, b.Ebs.SnapshotId, "SnapshotId") : undefined;
    if (snapshot && snapshot.State !== "completed") throw new AwsError("IncorrectState", `Snapshot '${snapshot.SnapshotId}' is not 'completed'.`, 400);
    if (!snapshot && b.Ebs.VolumeSize === undefined) throw new AwsError("MissingParameter", `The request must contain the parameter size or snapshotId`, 400);
    plans.push({
      device, root: false, type: b.Ebs.VolumeType, size: b.Ebs.VolumeSize, iops: b.Ebs.Iops, throughput: b.Ebs.Throughput, encrypted: b.Ebs.Encrypted, kmsKeyId: b.Ebs.KmsKeyId, snapshot,
      deleteOnTermination: b.Ebs.DeleteOnTermination ?? true,
    });
  }
  return plans;
}

/**
 * The volumes of one instance, attached from the start, and its BlockDeviceMappings. Extra
 * volumes are `creating` until their files exist (the instance boots after that).
 */
export function makeVolumes(s: Ec2State, d: InstanceDoc, plans: PlannedVolume[], now: number, tags: VolumeDoc["Tags"]): VolumeDoc[] {
  const out: VolumeDoc[] = [];
  const nodes: string[] = [];
  for (const p of plans) {
    const v = newVolume(s, now, { az: d.Placement!.AvailabilityZone!, type: p.type, size: p.size, iops: p.iops, throughput: p.throughput, encrypted: p.encrypted, kmsKeyId: p.kmsKeyId, snapshot: p.snapshot, tags });
    const node = p.root ? undefined : nodeName(d, p.device, nodes);
    if (node) nodes.push(node);
    v.attachment = { InstanceId: d.InstanceId, Device: p.device, State: "attached", AttachTime: new Date(now).toISOString(), DeleteOnTermination: p.deleteOnTermination, node };
    if (p.root) {
      v.root = true;
      v.SnapshotId = p.snapshotId ?? "";
      v.State = "in-use";
    }
    s.put(VOLUME_KIND, v.VolumeId, v);
    out.push(v);
  }
  d.BlockDeviceMappings = out.map(mappingOf);
  return out;
}
