// CreateImage, CopyImage, RegisterImage, DeregisterImage. An image cut from an instance is a copy of the
// instance's disk (its overlay upper layer) at `<dataDir>/ec2/images/<ami-id>`; an instance
// launched from it starts with that layer as its own disk (instances/fleet.ts). CreateImage
// stops the instance's processes while it copies unless NoReboot (as AWS reboots it), then boots
// it again; the image is `pending` until the copy is done, then `available`.
import type {
  CopyImageRequest, CopyImageResult, CreateImageRequest, CreateImageResult, DeregisterImageRequest, DeregisterImageResult, RegisterImageRequest, RegisterImageResult,
} from "@aws-sdk/client-ec2";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { dryRun, invalid, tagsOnCreate } from "../vpc/common.js";
import { newId, wellFormed } from "../vpc/ids.js";
import { malformed, need, notFound, RES } from "../vpc/lookup.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { stateOf, type Ec2State } from "../vpc/store.js";
import type { Fleet } from "../instances/fleet.js";
import type { ImageDoc } from "../instances/images.js";
import { fleetOf } from "../instances/registry.js";
import { INSTANCE_KIND, setState, type InstanceDoc } from "../instances/store.js";
import { needInstances } from "../instances/view.js";
import { allImages, findImage, IMAGE_KIND } from "./images.js";
import { finishSnapshot } from "./snapshots.js";
import { snapshotPath } from "../volumes/disks.js";
import { SNAPSHOT_KIND, VOLUME_KIND, type SnapshotDoc, type VolumeDoc } from "../volumes/store.js";
import type { Tag } from "@aws-sdk/client-ec2";

/** The snapshot document an image's root mapping names (its bytes follow once the image's copy is done). */
function putImageSnapshot(s: Ec2State, id: string, volumeId: string, size: number, description: string, now: number, tags: Tag[]): void {
  const snap: SnapshotDoc = {
    SnapshotId: id, VolumeId: volumeId, VolumeSize: size, State: "pending", Progress: "", OwnerId: s.accountId, Description: description, Encrypted: false,
    Tags: tags.length ? tags : undefined, startTime: new Date(now).toISOString(), content: "layer",
  };
  s.put(SNAPSHOT_KIND, id, snap);
}

const run = promisify(execFile);
const NAME = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/;

function checkName(s: Ec2State, name: string | undefined): string {
  if (!name) throw new AwsError("MissingParameter", "The request must contain the parameter name", 400);
  if (!NAME.test(name)) {
    throw new AwsError("InvalidAMIName.Malformed", `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'`, 400);
  }
  const dup = s.all<ImageDoc>(IMAGE_KIND).find((i) => i.Name === name && i.State !== "deregistered");
  if (dup) throw new AwsError("InvalidAMIName.Duplicate", `AMI name ${name} is already in use by AMI ${dup.ImageId}`, 400);
  return name;
}

/** Copies a directory tree with its owners, modes, xattrs (overlay whiteouts) and device nodes. */
async function copyTree(from: string, to: string): Promise<void> {
  mkdirSync(dirname(to), { recursive: true });
  rmSync(to, { recursive: true, force: true });
  if (!existsSync(from)) {
    mkdirSync(to, { recursive: true });
    return;
  }
  await run("cp", ["-a", "--reflink=auto", from, to]);
}

export function imageLayer(fleet: Fleet, imageId: string): string {
  return fleet.imageDir(imageId);
}

function finishImage(fleet: Fleet, scope: string, imageId: string, ok: boolean, reason?: string): void {
  const s = fleet.state(scope);
  s.store.tx(() => {
    const img = s.get<ImageDoc>(IMAGE_KIND, imageId);
    if (!img || img.State !== "pending") return;
    img.State = ok ? "available" : "failed";
    if (!ok) img.StateReason = { Code: "Server.InternalError", Message: reason ?? "copy failed" };
    s.put(IMAGE_KIND, imageId, img);
  });
}

export const CreateImage: Handler<CreateImageRequest, CreateImageResult> = async (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const { img, inst, reboot } = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const inst = needInstances(s, input.InstanceId ? [input.InstanceId] : undefined, ctx.clock.now())[0];
    if (!["running", "stopped", "stopping", "pending"].includes(inst.State.Name)) {
      throw new AwsError("IncorrectInstanceState", `The instance '${inst.InstanceId}' is not in a state from which it can be imaged.`, 400);
    }
    const name = checkName(s, input.Name);
    if (input.Description && input.Description.length > 255) throw invalid("Description must be at most 255 characters");
    const tags = tagsOnCreate(input.TagSpecifications, "image", ["snapshot"]);
    const snapTags = tagsOnCreate(input.TagSpecifications?.filter((t) => t.ResourceType === "snapshot"), "snapshot");
    dryRun(input);
    const base = findImageLoose(s, inst.ImageId);
    const rootVol = s.all<VolumeDoc>(VOLUME_KIND).find((v) => v.root && v.attachment?.InstanceId === inst.InstanceId);
    const ImageId = newId("ami");
    const img: ImageDoc = {
      ImageId,
      ImageLocation: `${s.accountId}/${name}`,
      State: "pending",
      OwnerId: s.accountId,
      CreationDate: new Date(ctx.clock.now()).toISOString(),
      Public: false,
      Architecture: inst.Architecture ?? "x86_64",
      ImageType: "machine",
      PlatformDetails: "Linux/UNIX",
      UsageOperation: "RunInstances",
      Name: name,
      Description: input.Description,
      RootDeviceType: "ebs",
      RootDeviceName: inst.RootDeviceName ?? "/dev/xvda",
      VirtualizationType: "hvm",
      Hypervisor: "xen",
      EnaSupport: true,
      SriovNetSupport: "simple",
      ImdsSupport: base?.ImdsSupport,
      SourceInstanceId: inst.InstanceId,
      BlockDeviceMappings: [{ DeviceName: inst.RootDeviceName ?? "/dev/xvda", Ebs: { DeleteOnTermination: true, SnapshotId: newId("snap"), VolumeSize: rootVol?.Size ?? 8, VolumeType: (rootVol?.VolumeType ?? "gp3") as "gp3", Encrypted: rootVol?.Encrypted ?? false, Iops: rootVol ? (["gp3", "io1", "io2"].includes(rootVol.VolumeType) ? rootVol.Iops : undefined) : 3000, Throughput: rootVol?.VolumeType === "gp3" ? rootVol.Throughput ?? 125 : undefined } }],
      Tags: tags,
      parent: inst.ImageId,
    };
    s.put(IMAGE_KIND, ImageId, img);
    const ebs = img.BlockDeviceMappings![0].Ebs!;
    putImageSnapshot(s, ebs.SnapshotId!, rootVol?.VolumeId ?? "vol-ffffffff", ebs.VolumeSize!, `Created by CreateImage(${inst.InstanceId}) for ${ImageId}`, ctx.clock.now(), snapTags);
    return { img, inst, reboot: !input.NoReboot && inst.State.Name === "running" };
  });
  // The copy runs after the answer; the image is pending until it is done.
  void (async () => {
    try {
      if (reboot) await fleet.kill(inst.InstanceId);
      await copyTree(join(fleet.instanceDir(inst.InstanceId), "upper"), imageLayer(fleet, img.ImageId));
      // The root snapshot holds the same bytes: hard links (the image layer is never written to).
      const snap = { SnapshotId: img.BlockDeviceMappings![0].Ebs!.SnapshotId!, content: "layer" as const };
      rmSync(snapshotPath(fleet, snap), { recursive: true, force: true });
      mkdirSync(dirname(snapshotPath(fleet, snap)), { recursive: true });
      await run("cp", ["-al", imageLayer(fleet, img.ImageId), snapshotPath(fleet, snap)]);
      finishSnapshot(fleet, scope, snap.SnapshotId, true);
      finishImage(fleet, scope, img.ImageId, true);
    } catch (e) {
      finishSnapshot(fleet, scope, img.BlockDeviceMappings![0].Ebs!.SnapshotId!, false, (e as Error).message);
      finishImage(fleet, scope, img.ImageId, false, (e as Error).message);
    } finally {
      if (reboot) {
        const s = fleet.state(scope);
        const again = s.store.tx(() => {
          const d = s.get<InstanceDoc>(INSTANCE_KIND, inst.InstanceId);
          if (!d || d.State.Name !== "running") return false;
          setState(d, "pending", { transition: "" });
          s.put(INSTANCE_KIND, d.InstanceId, d);
          return true;
        });
        if (again) await fleet.boot(scope, inst.InstanceId);
      }
    }
  })();
  return { ImageId: img.ImageId };
};

function findImageLoose(s: Ec2State, id: string): ImageDoc | undefined {
  return allImages(s).find((i) => i.ImageId === id);
}

export const CopyImage: Handler<CopyImageRequest, CopyImageResult> = async (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const srcRegion = input.SourceRegion;
  if (!srcRegion) throw new AwsError("MissingParameter", "The request must contain the parameter SourceRegion", 400);
  const { src, img, rootSnap } = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const from = s.other(s.accountId, srcRegion);
    if (!input.SourceImageId) throw new AwsError("MissingParameter", "The request must contain the parameter SourceImageId", 400);
    const src = findImage(from, input.SourceImageId);
    if (src.State !== "available") throw new AwsError("InvalidAMIID.Unavailable", `The image id '[${src.ImageId}]' is not available`, 400);
    const name = checkName(s, input.Name ?? src.Name);
    const tags = input.CopyImageTags ? src.Tags ?? [] : tagsOnCreate(input.TagSpecifications, "image", ["snapshot"]);
    dryRun(input);
    const ImageId = newId("ami");
    const img: ImageDoc = {
      ...src,
      ImageId,
      Name: name,
      Description: input.Description ?? src.Description,
      OwnerId: s.accountId,
      ImageOwnerAlias: undefined,
      ImageLocation: `${s.accountId}/${name}`,
      Public: false,
      State: "pending",
      CreationDate: new Date(ctx.clock.now()).toISOString(),
      SourceImageId: src.ImageId,
      SourceImageRegion: srcRegion,
      BlockDeviceMappings: (src.BlockDeviceMappings ?? []).map((b) => ({ ...b, Ebs: b.Ebs ? { ...b.Ebs, SnapshotId: newId("snap") } : undefined })),
      Tags: tags,
      parent: src.layer || src.parent ? src.ImageId : undefined,
    };
    s.put(IMAGE_KIND, ImageId, img);
    const root = img.BlockDeviceMappings?.find((b) => b.DeviceName === img.RootDeviceName)?.Ebs;
    if (root?.SnapshotId) putImageSnapshot(s, root.SnapshotId, "vol-ffffffff", root.VolumeSize ?? 8, `Copied for DestinationAmi ${ImageId} from SourceAmi ${src.ImageId}`, ctx.clock.now(), []);
    return { src, img, rootSnap: root?.SnapshotId };
  });
  void copyTree(imageLayer(fleet, src.ImageId), imageLayer(fleet, img.ImageId))
    .then(() => (rootSnap ? linkSnapshot(fleet, scope, img.ImageId, rootSnap) : undefined))
    .then(
      () => finishImage(fleet, scope, img.ImageId, true),
      (e: Error) => finishImage(fleet, scope, img.ImageId, false, e.message),
    );
  return { ImageId: img.ImageId };
};

/** An image's root snapshot gets the image layer's bytes as hard links (the layer is never written to). */
async function linkSnapshot(fleet: Fleet, scope: string, imageId: string, snapshotId: string): Promise<void> {
  const snap = { SnapshotId: snapshotId, content: "layer" as const };
  rmSync(snapshotPath(fleet, snap), { recursive: true, force: true });
  mkdirSync(dirname(snapshotPath(fleet, snap)), { recursive: true });
  await run("cp", ["-al", imageLayer(fleet, imageId), snapshotPath(fleet, snap)]);
  finishSnapshot(fleet, scope, snapshotId, true);
}

const ARCHES = ["i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac"];

/**
 * RegisterImage from an EBS snapshot. A snapshot of a root volume (or an image's root snapshot)
 * holds an instance disk layer: the image's layer is a copy of it, so instances from the image
 * start with those files over the host's userland. A snapshot of a data volume registers, but
 * its file system is not booted from (GAPS.md). S3 manifests (instance-store AMIs) are refused.
 */
export const RegisterImage: Handler<RegisterImageRequest, RegisterImageResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const { img, snap } = ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    const name = checkName(s, input.Name);
    if (input.ImageLocation && !input.BlockDeviceMappings?.length) {
      throw new AwsError("InvalidParameterValue", "Instance store-backed AMIs (ImageLocation of an S3 manifest) are not supported by Nimbus; register from an EBS snapshot.", 400);
    }
    if (input.Description && input.Description.length > 255) throw invalid("Description must be at most 255 characters");
    const arch = input.Architecture ?? "x86_64";
    if (!ARCHES.includes(arch)) throw invalid(`Value (${arch}) for parameter architecture is invalid.`);
    const virt = input.VirtualizationType ?? "paravirtual";
    if (!["hvm", "paravirtual"].includes(virt)) throw invalid(`Value (${virt}) for parameter virtualizationType is invalid.`);
    const rootDevice = input.RootDeviceName ?? "/dev/sda1";
    const mappings = input.BlockDeviceMappings ?? [];
    const rootMap = mappings.find((b) => b.DeviceName === rootDevice);
    if (!rootMap?.Ebs?.SnapshotId) {
      throw new AwsError("InvalidBlockDeviceMapping", `The root device name '${rootDevice}' must have a block device mapping with an EBS snapshot.`, 400);
    }
    const snaps = mappings.filter((b) => b.Ebs?.SnapshotId).map((b) => need<SnapshotDoc>(s, RES.snapshot, b.Ebs!.SnapshotId, "SnapshotId"));
    for (const sn of snaps) if (sn.State !== "completed") throw new AwsError("IncorrectState", `Snapshot '${sn.SnapshotId}' is not 'completed'.`, 400);
    const snap = snaps.find((x) => x.SnapshotId === rootMap.Ebs!.SnapshotId)!;
    if (rootMap.Ebs.VolumeSize !== undefined && rootMap.Ebs.VolumeSize < snap.VolumeSize) {
      throw invalid(`Volume of size ${rootMap.Ebs.VolumeSize}GB is smaller than snapshot '${snap.SnapshotId}', expect size >= ${snap.VolumeSize}GB`);
    }
    if (input.ImdsSupport && input.ImdsSupport !== "v2.0") throw invalid(`Value (${input.ImdsSupport}) for parameter ImdsSupport is invalid.`);
    const tags = tagsOnCreate(input.TagSpecifications, "image", ["snapshot"]);
    dryRun(input);
    const ImageId = newId("ami");
    const img: ImageDoc = {
      ImageId, ImageLocation: `${s.accountId}/${name}`, State: "pending", OwnerId: s.accountId, CreationDate: new Date(ctx.clock.now()).toISOString(), Public: false,
      Architecture: arch as "x86_64", ImageType: "machine", PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", Name: name, Description: input.Description,
      RootDeviceType: "ebs", RootDeviceName: rootDevice, VirtualizationType: virt as "hvm", Hypervisor: "xen", EnaSupport: input.EnaSupport, SriovNetSupport: input.SriovNetSupport,
      BootMode: input.BootMode, TpmSupport: input.TpmSupport, ImdsSupport: input.ImdsSupport as "v2.0" | undefined,
      BlockDeviceMappings: mappings.map((b) => {
        if (!b.Ebs) return b;
        const sn = b.Ebs.SnapshotId ? snaps.find((x) => x.SnapshotId === b.Ebs!.SnapshotId) : undefined;
        const type = b.Ebs.VolumeType ?? "gp2";
        return { DeviceName: b.DeviceName, Ebs: { ...b.Ebs, DeleteOnTermination: b.Ebs.DeleteOnTermination ?? true, VolumeSize: b.Ebs.VolumeSize ?? sn?.VolumeSize, VolumeType: type, Encrypted: sn?.Encrypted ?? false } };
      }),
      Tags: tags,
    };
    s.put(IMAGE_KIND, ImageId, img);
    return { img, snap };
  });
  const layer = snap.content === "layer" ? snapshotPath(fleet, snap) : join(fleet.dir, "empty-layer-" + img.ImageId);
  void (async () => {
    if (snap.content !== "layer") mkdirSync(layer, { recursive: true });
    await copyTree(layer, imageLayer(fleet, img.ImageId));
    if (snap.content !== "layer") rmSync(layer, { recursive: true, force: true });
  })().then(
    () => finishImage(fleet, scope, img.ImageId, true),
    (e: Error) => finishImage(fleet, scope, img.ImageId, false, e.message),
  );
  return { ImageId: img.ImageId };
};

export const DeregisterImage: Handler<DeregisterImageRequest, DeregisterImageResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  ctx.store.tx(() => {
    const s = stateOf(ctx);
    const id = input.ImageId;
    if (!id) throw new AwsError("MissingParameter", "The request must contain the parameter ImageId", 400);
    if (!wellFormed("ami", id)) throw malformed(RES.image, id);
    const img = s.get<ImageDoc>(IMAGE_KIND, id);
    if (!img) {
      if (allImages(s).some((i) => i.ImageId === id)) throw new AwsError("AuthFailure", `Not authorized for image:${id}`, 400);
      throw notFound(RES.image, [id]);
    }
    dryRun(input);
    s.delete(IMAGE_KIND, id);
  });
  rmSync(imageLayer(fleet, input.ImageId!), { recursive: true, force: true });
  return { Return: true } as DeregisterImageResult;
};
