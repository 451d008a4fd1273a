// The bytes of EBS: a volume is a sparse file `<dataDir>/ec2/volumes/<vol-id>.img`; a snapshot is
// a copy of it (`<dataDir>/ec2/snapshots/<snap-id>.img`, reflinked where the file system can,
// sparse otherwise), or of an instance's disk layer for a root volume (a directory). Attaching
// to a running instance makes the file a block device inside it through the execution driver
// (core/runtime/block-devices.ts); the handlers commit the intermediate states (attaching,
// detaching) and these functions commit the final ones once the driver is done.
import type { InstanceBlockDeviceMapping } from "@aws-sdk/client-ec2";
import { execFile } from "node:child_process";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, truncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { DiskSpec } from "../../../core/runtime/driver.js";
import type { Ec2State } from "../vpc/store.js";
import type { Fleet } from "../instances/fleet.js";
import { INSTANCE_KIND, type InstanceDoc } from "../instances/store.js";
import { instanceType } from "../instances/types.js";
import { VOLUME_KIND, type SnapshotDoc, type VolumeDoc } from "./store.js";

const run = promisify(execFile);
const GiB = 1024 ** 3;

export function volumeFile(fleet: Fleet, id: string): string {
  return join(fleet.dir, "volumes", `${id}.img`);
}

export function snapshotPath(fleet: Fleet, snap: Pick<SnapshotDoc, "SnapshotId" | "content">): string {
  return join(fleet.dir, "snapshots", snap.content === "layer" ? snap.SnapshotId : `${snap.SnapshotId}.img`);
}

/** fsyncs a file and its directory: a snapshot or volume is only reported ready once its bytes are down. */
function syncFile(path: string): void {
  for (const p of [path, dirname(path)]) {
    const fd = openSync(p, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Copies a volume or snapshot file: a reflink where supported, else a copy that keeps holes. */
async function copyImage(from: string, to: string): Promise<void> {
  mkdirSync(dirname(to), { recursive: true });
  const tmp = `${to}.tmp`;
  await run("cp", ["--sparse=always", "--reflink=auto", from, tmp]);
  syncFile(tmp);
  renameSync(tmp, to);
  syncFile(to);
}

/** Makes a volume's file: empty (sparse) or from a snapshot's file, grown to the volume's size. */
export async function makeVolumeFile(fleet: Fleet, v: VolumeDoc, snap: SnapshotDoc | undefined): Promise<void> {
  const file = volumeFile(fleet, v.VolumeId);
  mkdirSync(dirname(file), { recursive: true });
  if (snap?.content === "file" && existsSync(snapshotPath(fleet, snap))) await copyImage(snapshotPath(fleet, snap), file);
  else closeSync(openSync(file, "a"));
  sizeFile(file, v.Size * GiB);
  syncFile(file);
}

/**
 * Sets a volume file's size. The data dir's file system may cap a file below the largest
 * volumes (ext4: just under 16 TiB): the file then gets the largest size it accepts (GAPS.md).
 */
function sizeFile(file: string, bytes: number): void {
  let want = bytes;
  for (;;) {
    try {
      truncateSync(file, want);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EFBIG" || want <= GiB) throw e;
      want = want === bytes ? 2 ** 44 - 2 ** 20 : Math.floor(want / 2);
    }
  }
}

export async function growVolumeFile(fleet: Fleet, v: VolumeDoc): Promise<void> {
  const file = volumeFile(fleet, v.VolumeId);
  if (!existsSync(file)) return;
  sizeFile(file, v.Size * GiB);
  syncFile(file);
}

export function removeVolumeFile(fleet: Fleet, id: string): void {
  rmSync(volumeFile(fleet, id), { force: true });
}

export function removeSnapshotBytes(fleet: Fleet, snap: Pick<SnapshotDoc, "SnapshotId" | "content">): void {
  rmSync(snapshotPath(fleet, snap), { recursive: true, force: true });
}

/** Copies what a snapshot holds to a new snapshot's place (CopySnapshot). */
export async function copySnapshotBytes(fleet: Fleet, from: SnapshotDoc, to: SnapshotDoc): Promise<void> {
  if (from.content === "file") return copyImage(snapshotPath(fleet, from), snapshotPath(fleet, to));
  if (from.content === "layer") {
    mkdirSync(dirname(snapshotPath(fleet, to)), { recursive: true });
    await run("cp", ["-a", "--reflink=auto", snapshotPath(fleet, from), snapshotPath(fleet, to)]);
  }
}

/**
 * Takes a snapshot's bytes: a data volume's file (its file systems frozen inside the instance
 * while it is copied), or a root volume's disk layer (the instance's overlay upper directory).
 */
export async function takeSnapshot(fleet: Fleet, v: VolumeDoc, snap: SnapshotDoc): Promise<void> {
  const to = snapshotPath(fleet, snap);
  if (v.root) {
    const upper = join(fleet.instanceDir(v.attachment?.InstanceId ?? ""), "upper");
    mkdirSync(dirname(to), { recursive: true });
    rmSync(to, { recursive: true, force: true });
    if (v.attachment && existsSync(upper)) await run("cp", ["-a", "--reflink=auto", upper, to]);
    else mkdirSync(to);
    return;
  }
  const from = volumeFile(fleet, v.VolumeId);
  const machine = v.attachment ? fleet.machineOf(v.attachment.InstanceId) : undefined;
  if (machine && v.attachment?.node) await fleet.driver.withDiskQuiet(machine, v.attachment.node, () => copyImage(from, to));
  else await copyImage(from, to);
}

// ---------------------------------------------------------------- attachment inside instances

/** The device node a volume gets inside an instance: nvme<N>n1 on Nitro types, xvd<x> on Xen types. */
export function nodeName(d: InstanceDoc, device: string, taken: string[]): string {
  const nitro = instanceType(d.InstanceType)?.hypervisor === "nitro";
  if (!nitro) return device.slice(5).replace(/^sd/, "xvd");
  let n = 1;
  while (taken.includes(`nvme${n}n1`)) n++;
  return `nvme${n}n1`;
}

/** The driver's view of an attachment: the node, and links for the name the user gave (sdf) and its xvd form. */
export function diskSpec(fleet: Fleet, v: VolumeDoc): DiskSpec {
  const a = v.attachment!;
  const given = a.Device.slice(5);
  const links = [...new Set([given, given.replace(/^sd/, "xvd")])].filter((n) => n !== a.node);
  return { file: volumeFile(fleet, v.VolumeId), name: a.node!, links };
}

/** The data volumes attached to an instance (its block devices at boot). */
export function disksOf(fleet: Fleet, s: Ec2State, instanceId: string): DiskSpec[] {
  return s
    .all<VolumeDoc>(VOLUME_KIND)
    .filter((v) => !v.root && v.attachment?.InstanceId === instanceId && v.attachment.node && v.attachment.State !== "detaching")
    .map((v) => diskSpec(fleet, v));
}

/** The instance's BlockDeviceMappings entry for a volume (DescribeInstances). */
export function mappingOf(v: VolumeDoc): InstanceBlockDeviceMapping {
  const a = v.attachment!;
  return { DeviceName: a.Device, Ebs: { AttachTime: new Date(a.AttachTime), DeleteOnTermination: a.DeleteOnTermination, Status: a.State === "busy" ? "detaching" : a.State, VolumeId: v.VolumeId } };
}

/** Rewrites an instance's BlockDeviceMappings from the volumes attached to it (in one transaction with the change). */
export function syncMappings(s: Ec2State, instanceId: string): void {
  const d = s.get<InstanceDoc>(INSTANCE_KIND, instanceId);
  if (!d) return;
  const vols = s.all<VolumeDoc>(VOLUME_KIND).filter((v) => v.attachment?.InstanceId === instanceId);
  vols.sort((a, b) => (a.root ? -1 : b.root ? 1 : a.attachment!.AttachTime < b.attachment!.AttachTime ? -1 : a.attachment!.AttachTime > b.attachment!.AttachTime ? 1 : a.VolumeId < b.VolumeId ? -1 : 1));
  d.BlockDeviceMappings = vols.map(mappingOf);
  s.put(INSTANCE_KIND, instanceId, d);
}

/** AttachVolume's second half: the block device appears inside a running instance, then `attached`. */
export async function plugIn(fleet: Fleet, scope: string, volumeId: string): Promise<void> {
  const s = fleet.state(scope);
  const v = s.get<VolumeDoc>(VOLUME_KIND, volumeId);
  if (!v?.attachment || v.attachment.State !== "attaching") return;
  const machine = fleet.machineOf(v.attachment.InstanceId);
  let failed: string | undefined;
  if (machine) {
    try {
      await fleet.driver.attachDisk(machine, diskSpec(fleet, v));
    } catch (e) {
      failed = (e as Error).message;
    }
  }
  s.store.tx(() => {
    const cur = s.get<VolumeDoc>(VOLUME_KIND, volumeId);
    if (!cur?.attachment || cur.attachment.State !== "attaching") return;
    const instanceId = cur.attachment.InstanceId;
    if (failed) {
      cur.attachment = undefined;
      cur.State = "available";
    } else cur.attachment.State = "attached";
    s.put(VOLUME_KIND, volumeId, cur);
    syncMappings(s, instanceId);
  });
}

/** DetachVolume's second half: unmounted inside and taken away, then `available`; a busy file system retries each second. */
export async function unplug(fleet: Fleet, scope: string, volumeId: string, force: boolean): Promise<void> {
  const s = fleet.state(scope);
  const v = s.get<VolumeDoc>(VOLUME_KIND, volumeId);
  if (!v?.attachment || (v.attachment.State !== "detaching" && v.attachment.State !== "busy")) return;
  const machine = fleet.machineOf(v.attachment.InstanceId);
  const done = machine && v.attachment.node ? await fleet.driver.detachDisk(machine, v.attachment.node, force).catch(() => false) : true;
  s.store.tx(() => {
    const cur = s.get<VolumeDoc>(VOLUME_KIND, volumeId);
    if (!cur?.attachment || (cur.attachment.State !== "detaching" && cur.attachment.State !== "busy")) return;
    const instanceId = cur.attachment.InstanceId;
    if (done) {
      cur.attachment = undefined;
      cur.State = "available";
    } else cur.attachment.State = "busy";
    s.put(VOLUME_KIND, volumeId, cur);
    syncMappings(s, instanceId);
  });
  if (!done && !fleet.isClosed) {
    // AWS leaves a volume whose file system is still mounted "busy" until it is unmounted.
    setTimeout(() => void unplug(fleet, scope, volumeId, false), 1000).unref();
  }
}

/**
 * What terminating an instance does to its volumes (inside the transaction that terminates it):
 * DeleteOnTermination volumes go (their files after the commit), the others become available.
 */
export function releaseVolumes(fleet: Fleet, s: Ec2State, instanceId: string): void {
  const gone: string[] = [];
  for (const v of s.all<VolumeDoc>(VOLUME_KIND)) {
    if (v.attachment?.InstanceId !== instanceId) continue;
    if (v.attachment.DeleteOnTermination) {
      s.delete(VOLUME_KIND, v.VolumeId);
      if (!v.root) gone.push(v.VolumeId);
    } else {
      v.attachment = undefined;
      v.State = "available";
      s.put(VOLUME_KIND, v.VolumeId, v);
    }
  }
  if (gone.length) setImmediate(() => gone.forEach((id) => removeVolumeFile(fleet, id)));
}
