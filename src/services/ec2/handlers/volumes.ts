// EBS volumes: CreateVolume (types, sizes, IOPS and throughput as AWS limits them, from a
// snapshot, encrypted flag, tags), DescribeVolumes, DeleteVolume, ModifyVolume and
// DescribeVolumesModifications. Each handler commits in one transaction; the file work (a
// sparse file, a copy of a snapshot, growing) runs after the answer, as AWS's `creating` and
// `modifying` states say (volumes/disks.ts).
import type {
  CreateVolumeRequest, DeleteVolumeRequest, DescribeVolumesModificationsRequest, DescribeVolumesModificationsResult, DescribeVolumesRequest,
  DescribeVolumesResult, ModifyVolumeRequest, ModifyVolumeResult, Volume, VolumeModification,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import type { FilterAccessors } from "../filters.js";
import { applyFilters } from "../filters.js";
import { describe, dryRun, invalid, paginate, tagMap, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { stateOf, type Ec2State } from "../vpc/store.js";
import { regionInfo, zoneId } from "../regions.js";
import type { Fleet } from "../instances/fleet.js";
import { fleetOf } from "../instances/registry.js";
import { growVolumeFile, makeVolumeFile, removeVolumeFile, syncMappings, takeSnapshot } from "../volumes/disks.js";
import { finishSnapshot } from "./snapshots.js";
import { checkVolumeSpec, defaultEbsKey, SNAPSHOT_KIND, VOLUME_KIND, type SnapshotDoc, type VolumeDoc } from "../volumes/store.js";

/** AWS's cooldown between two modifications of a volume. */
const MODIFY_COOLDOWN_MS = 6 * 3600_000;

export function volumeView(v: VolumeDoc): Volume {
  const { createTime, attachment, root, modification, Tags, ...rest } = v;
  void [root, modification];
  return {
    ...rest,
    CreateTime: new Date(createTime),
    Attachments: attachment
      ? [{ AttachTime: new Date(attachment.AttachTime), Device: attachment.Device, InstanceId: attachment.InstanceId, State: attachment.State, VolumeId: v.VolumeId, DeleteOnTermination: attachment.DeleteOnTermination }]
      : [],
    Tags: tagsOut(Tags),
    MultiAttachEnabled: false,
  } as Volume;
}

const VOLUME_FILTERS: FilterAccessors<VolumeDoc> = {
  "volume-id": (v) => v.VolumeId,
  "volume-type": (v) => v.VolumeType,
  status: (v) => v.State,
  size: (v) => v.Size,
  "availability-zone": (v) => v.AvailabilityZone,
  "snapshot-id": (v) => v.SnapshotId,
  encrypted: (v) => v.Encrypted,
  "create-time": (v) => v.createTime,
  "multi-attach-enabled": () => false,
  "fast-restored": () => false,
  "attachment.instance-id": (v) => v.attachment?.InstanceId,
  "attachment.device": (v) => v.attachment?.Device,
  "attachment.status": (v) => (v.attachment?.State === "busy" ? "detaching" : v.attachment?.State),
  "attachment.attach-time": (v) => v.attachment?.AttachTime,
  "attachment.delete-on-termination": (v) => v.attachment?.DeleteOnTermination,
};

function checkZone(s: Ec2State, az: string | undefined): string {
  if (!az) throw new AwsError("MissingParameter", "The request must contain the parameter AvailabilityZone", 400);
  const zones = regionInfo(s.region)?.zones ?? [];
  if (!zones.includes(az)) throw new AwsError("InvalidZone.NotFound", `The zone '${az}' does not exist.`, 400);
  return az;
}

/** A volume document as CreateVolume and RunInstances' block device mappings make it. */
export function newVolume(
  s: Ec2State,
  now: number,
  opts: { az: string; type?: string; size?: number; iops?: number; throughput?: number; encrypted?: boolean; kmsKeyId?: string; snapshot?: SnapshotDoc; tags?: VolumeDoc["Tags"] },
): VolumeDoc {
  const type = opts.type ?? "gp2";
  const snap = opts.snapshot;
  if (opts.size === undefined && !snap) throw new AwsError("MissingParameter", "The request must contain the parameter size or snapshotId", 400);
  const size = opts.size ?? snap!.VolumeSize;
  if (snap && size < snap.VolumeSize) throw invalid(`Volume of ${size}GiB is too small for snapshot '${snap.SnapshotId}'; minimum is ${snap.VolumeSize}GiB.`);
  const perf = checkVolumeSpec(type, size, opts.iops, opts.throughput);
  if (opts.encrypted === false && snap?.Encrypted) throw new AwsError("InvalidParameterDependency", "The snapshot is encrypted, so the volume must be encrypted too.", 400);
  const encrypted = opts.encrypted ?? snap?.Encrypted ?? false;
  if (opts.kmsKeyId && !encrypted) throw new AwsError("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.", 400);
  return {
    VolumeId: newId("vol"),
    Size: size,
    AvailabilityZone: opts.az,
    VolumeType: type,
    State: "creating",
    Encrypted: encrypted,
    KmsKeyId: encrypted ? opts.kmsKeyId ?? snap?.KmsKeyId ?? defaultEbsKey(s.region, s.accountId) : undefined,
    SnapshotId: snap?.SnapshotId ?? "",
    Iops: perf.iops,
    Throughput: perf.throughput,
    Tags: opts.tags,
    createTime: new Date(now).toISOString(),
  };
}

/** Makes a created volume's file after the commit, then `available` (or `error`). */
export function materialize(fleet: Fleet, scope: string, v: VolumeDoc, snap: SnapshotDoc | undefined, then: "available" | "in-use" = "available"): Promise<void> {
  const s = fleet.state(scope);
  return makeVolumeFile(fleet, v, snap).then(
    () => finishVolume(s, v.VolumeId, then),
    () => finishVolume(s, v.VolumeId, "error"),
  );
}

function finishVolume(s: Ec2State, id: string, state: VolumeDoc["State"]): void {
  s.store.tx(() => {
    const cur = s.get<VolumeDoc>(VOLUME_KIND, id);
    if (!cur || cur.State !== "creating") return;
    cur.State = state === "available" && cur.attachment ? "in-use" : state;
    s.put(VOLUME_KIND, id, cur);
  });
}

function volumeTx<T>(ctx: RequestContext, fn: (s: Ec2State) => T): T {
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    return fn(s);
  });
}

export const CreateVolume: Handler<CreateVolumeRequest, Volume> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const { v, snap, prior } = volumeTx(ctx, (s) => {
    if (input.ClientToken) {
      const prior = s.all<VolumeDoc & { clientToken?: string }>(VOLUME_KIND).find((x) => x.clientToken === input.ClientToken);
      if (prior) return { v: prior, snap: undefined, prior: true };
    }
    const byId = input.AvailabilityZoneId ? regionInfo(s.region)?.zones.find((z) => zoneId(z) === input.AvailabilityZoneId) ?? input.AvailabilityZoneId : undefined;
    const az = checkZone(s, input.AvailabilityZone ?? byId);
    const snap = input.SnapshotId ? need<SnapshotDoc>(s, RES.snapshot, input.SnapshotId, "SnapshotId") : undefined;
    if (snap && snap.State !== "completed") throw new AwsError("IncorrectState", `Snapshot '${snap.SnapshotId}' is not 'completed'.`, 400);
    if (input.MultiAttachEnabled) throw invalid("Multi-Attach is not supported by Nimbus.");
    const tags = tagsOnCreate(input.TagSpecifications, "volume");
    const v = newVolume(s, ctx.clock.now(), { az, type: input.VolumeType, size: input.Size, iops: input.Iops, throughput: input.Throughput, encrypted: input.Encrypted, kmsKeyId: input.KmsKeyId, snapshot: snap, tags });
    dryRun(input);
    if (input.ClientToken) (v as VolumeDoc & { clientToken?: string }).clientToken = input.ClientToken;
    s.put(VOLUME_KIND, v.VolumeId, v);
    return { v, snap, prior: false };
  });
  if (!prior) void materialize(fleet, `${ctx.accountId}/${ctx.region}`, v, snap);
  const { clientToken, ...rest } = v as VolumeDoc & { clientToken?: string };
  void clientToken;
  return volumeView(rest);
};

export const DescribeVolumes: Handler<DescribeVolumesRequest, DescribeVolumesResult> = (input, ctx) => {
  fleetOf(ctx);
  return volumeTx(ctx, (s) => {
    dryRun(input);
    const { items, next } = describe(s.all<VolumeDoc>(VOLUME_KIND), input.VolumeIds, input, {
      res: RES.volume, idsParam: "volumeIds", idOf: (v) => v.VolumeId, accessors: VOLUME_FILTERS, view: volumeView, min: 5, max: 500,
    });
    return { Volumes: items, NextToken: next };
  });
};

export const DeleteVolume: Handler<DeleteVolumeRequest, Record<string, never>> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const id = volumeTx(ctx, (s) => {
    const v = need<VolumeDoc>(s, RES.volume, input.VolumeId, "VolumeId");
    if (v.attachment) throw new AwsError("VolumeInUse", `Volume ${v.VolumeId} is currently attached to ${v.attachment.InstanceId}`, 400);
    if (v.State !== "available" && v.State !== "error") throw new AwsError("IncorrectState", `The volume '${v.VolumeId}' is '${v.State}'.`, 400);
    dryRun(input);
    s.delete(VOLUME_KIND, v.VolumeId);
    return v.VolumeId;
  });
  removeVolumeFile(fleet, id);
  return {};
};

function modificationView(v: VolumeDoc): VolumeModification {
  const { startTime, endTime, ...m } = v.modification!;
  return { ...m, StartTime: new Date(startTime), EndTime: endTime ? new Date(endTime) : undefined };
}

export const ModifyVolume: Handler<ModifyVolumeRequest, ModifyVolumeResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const { v, grew } = volumeTx(ctx, (s) => {
    const v = need<VolumeDoc>(s, RES.volume, input.VolumeId, "VolumeId");
    if (v.State !== "available" && v.State !== "in-use") throw new AwsError("IncorrectState", `The volume '${v.VolumeId}' is '${v.State}'.`, 400);
    const now = ctx.clock.now();
    if (v.modification && now - Date.parse(v.modification.startTime) < MODIFY_COOLDOWN_MS) {
      throw new AwsError("VolumeModificationRateExceeded", `You've reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.`, 400);
    }
    if (input.MultiAttachEnabled) throw invalid("Multi-Attach is not supported by Nimbus.");
    const type = input.VolumeType ?? v.VolumeType;
    const size = input.Size ?? v.Size;
    if (size < v.Size) throw invalid(`New size cannot be smaller than existing size`);
    if (input.Size === undefined && input.VolumeType === undefined && input.Iops === undefined && input.Throughput === undefined) {
      throw new AwsError("MissingParameter", "At least one of the following parameters must be specified: size, volumeType, iops, throughput.", 400);
    }
    if (v.root && type !== v.VolumeType && ["st1", "sc1"].includes(type)) throw invalid(`${type} is not supported as a boot volume.`);
    // Iops and throughput carry over when the new type takes them, else its defaults apply.
    const keepIops = input.Iops ?? (type === v.VolumeType && TYPE_KEEPS_IOPS.has(type) ? v.Iops : undefined);
    const keepTp = input.Throughput ?? (type === v.VolumeType && type === "gp3" ? v.Throughput : undefined);
    const perf = checkVolumeSpec(type, size, TYPE_KEEPS_IOPS.has(type) ? keepIops : input.Iops, type === "gp3" ? keepTp : input.Throughput);
    dryRun(input);
    v.modification = {
      VolumeId: v.VolumeId,
      ModificationState: "optimizing",
      Progress: 0,
      OriginalSize: v.Size, OriginalVolumeType: v.VolumeType as "gp2", OriginalIops: v.Iops, OriginalThroughput: v.Throughput, OriginalMultiAttachEnabled: false,
      TargetSize: size, TargetVolumeType: type as "gp2", TargetIops: perf.iops, TargetThroughput: perf.throughput, TargetMultiAttachEnabled: false,
      startTime: new Date(now).toISOString(),
    };
    const grew = size > v.Size;
    v.Size = size;
    v.VolumeType = type;
    v.Iops = perf.iops;
    v.Throughput = perf.throughput;
    s.put(VOLUME_KIND, v.VolumeId, v);
    return { v, grew };
  });
  // The new size takes effect once the volume is optimizing (at once here); then completed.
  void (async () => {
    if (grew && !v.root) {
      await growVolumeFile(fleet, v).catch(() => undefined);
      const machine = v.attachment ? fleet.machineOf(v.attachment.InstanceId) : undefined;
      if (machine && v.attachment?.node) await fleet.driver.resizeDisk(machine, v.attachment.node).catch(() => undefined);
    }
    const s = fleet.state(scope);
    s.store.tx(() => {
      const cur = s.get<VolumeDoc>(VOLUME_KIND, v.VolumeId);
      if (!cur?.modification || cur.modification.ModificationState !== "optimizing") return;
      cur.modification.ModificationState = "completed";
      cur.modification.Progress = 100;
      cur.modification.endTime = new Date(ctx.clock.now()).toISOString();
      s.put(VOLUME_KIND, cur.VolumeId, cur);
    });
  })();
  return { VolumeModification: modificationView(v) };
};

const TYPE_KEEPS_IOPS = new Set(["gp3", "io1", "io2"]);

export const DescribeVolumesModifications: Handler<DescribeVolumesModificationsRequest, DescribeVolumesModificationsResult> = (input, ctx) => {
  fleetOf(ctx);
  return volumeTx(ctx, (s) => {
    dryRun(input);
    let vols = s.all<VolumeDoc>(VOLUME_KIND);
    if (input.VolumeIds?.length) vols = input.VolumeIds.map((id) => need<VolumeDoc>(s, RES.volume, id, "VolumeId"));
    vols = vols.filter((v) => v.modification);
    vols = applyFilters(vols, input.Filters, {
      "volume-id": (v) => v.VolumeId,
      "modification-state": (v) => v.modification!.ModificationState,
      "target-size": (v) => v.modification!.TargetSize,
      "target-iops": (v) => v.modification!.TargetIops,
      "target-volume-type": (v) => v.modification!.TargetVolumeType,
      "original-size": (v) => v.modification!.OriginalSize,
      "original-iops": (v) => v.modification!.OriginalIops,
      "original-volume-type": (v) => v.modification!.OriginalVolumeType,
      "start-time": (v) => v.modification!.startTime,
    }, (v) => tagMap(v.Tags));
    const { page, next } = paginate(vols, (v) => v.VolumeId, input, 1, 500);
    return { VolumesModifications: page.map(modificationView), NextToken: next };
  });
};

/**
 * After a restart, before instances boot again: unfinished attachments complete (attaching ->
 * attached, detaching -> detached: no machine holds them any more), volumes still `creating`
 * get their files again, snapshots still `pending` are taken again.
 */
export function recoverVolumes(fleet: Fleet): void {
  fleet.sweepVolumes();
  const store = fleet.rt.store("_");
  for (const scope of new Set([...store.scopes(VOLUME_KIND), ...store.scopes(SNAPSHOT_KIND)])) {
    const s = fleet.state(scope);
    const redo: VolumeDoc[] = [];
    const retake: SnapshotDoc[] = [];
    s.store.tx(() => {
      for (const v of s.all<VolumeDoc>(VOLUME_KIND)) {
        const a = v.attachment;
        if (v.State === "creating") redo.push(v);
        if (!a || a.State === "attached") continue;
        if (a.State === "attaching") a.State = "attached";
        else {
          v.attachment = undefined;
          v.State = "available";
        }
        s.put(VOLUME_KIND, v.VolumeId, v);
        syncMappings(s, a.InstanceId);
      }
      for (const snap of s.all<SnapshotDoc>(SNAPSHOT_KIND)) if (snap.State === "pending") retake.push(snap);
    });
    for (const v of redo) void materialize(fleet, scope, v, v.SnapshotId ? s.get<SnapshotDoc>(SNAPSHOT_KIND, v.SnapshotId) : undefined);
    for (const snap of retake) {
      const v = s.get<VolumeDoc>(VOLUME_KIND, snap.VolumeId);
      if (!v) continue;
      void takeSnapshot(fleet, v, snap).then(
        () => finishSnapshot(fleet, scope, snap.SnapshotId, true),
        (e: Error) => finishSnapshot(fleet, scope, snap.SnapshotId, false, e.message),
      );
    }
  }
}
