// AttachVolume and DetachVolume. The handler checks as AWS does (same zone, device name free,
// instance running or stopped, volume available) and commits `attaching` / `detaching`; the
// block device then appears in (or leaves) the running instance and the final state is committed
// by volumes/disks.ts. A volume attached to a stopped instance becomes its block device at boot.
import type { AttachVolumeRequest, DetachVolumeRequest, VolumeAttachment } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { dryRun, invalid } from "../vpc/common.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { need, RES } from "../vpc/lookup.js";
import { stateOf } from "../vpc/store.js";
import { fleetOf } from "../instances/registry.js";
import type { InstanceDoc } from "../instances/store.js";
import { needInstances } from "../instances/view.js";
import { nodeName, plugIn, syncMappings, unplug } from "../volumes/disks.js";
import { checkDevice, sameDevice, VOLUME_KIND, type VolumeDoc } from "../volumes/store.js";

function attachmentView(v: VolumeDoc): VolumeAttachment {
  const a = v.attachment!;
  return { AttachTime: new Date(a.AttachTime), Device: a.Device, InstanceId: a.InstanceId, State: a.State, VolumeId: v.VolumeId, DeleteOnTermination: a.DeleteOnTermination };
}

/** The device names and node names in use on an instance (its root device counts). */
export function devicesInUse(vols: VolumeDoc[], d: InstanceDoc): { devices: string[]; nodes: string[] } {
  const mine = vols.filter((v) => v.attachment?.InstanceId === d.InstanceId);
  return {
    devices: [...mine.map((v) => v.attachment!.Device), ...(d.RootDeviceName ? [d.RootDeviceName] : [])],
    nodes: mine.map((v) => v.attachment!.node ?? ""),
  };
}

export const AttachVolume: Handler<AttachVolumeRequest, VolumeAttachment> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const out = ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    const device = checkDevice(input.Device);
    const v = need<VolumeDoc>(s, RES.volume, input.VolumeId, "VolumeId");
    const d = needInstances(s, input.InstanceId ? [input.InstanceId] : undefined, ctx.clock.now())[0];
    if (v.attachment) throw new AwsError("VolumeInUse", `${v.VolumeId} is already attached to an instance`, 400);
    if (v.State !== "available") throw new AwsError("IncorrectState", `${v.VolumeId} is not 'available'.`, 400);
    if (d.State.Name !== "running" && d.State.Name !== "stopped") throw new AwsError("IncorrectInstanceState", `Instance '${d.InstanceId}' is not 'running'.`, 400);
    if (d.Placement?.AvailabilityZone !== v.AvailabilityZone) {
      throw new AwsError("InvalidVolume.ZoneMismatch", `The volume '${v.VolumeId}' is not in the same availability zone as instance '${d.InstanceId}'`, 400);
    }
    const all = s.all<VolumeDoc>(VOLUME_KIND);
    const used = devicesInUse(all, d);
    if (used.devices.some((x) => sameDevice(x, device))) throw invalid(`Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`);
    dryRun(input);
    v.attachment = { InstanceId: d.InstanceId, Device: device, State: "attaching", AttachTime: new Date(ctx.clock.now()).toISOString(), DeleteOnTermination: false, node: nodeName(d, device, used.nodes) };
    v.State = "in-use";
    s.put(VOLUME_KIND, v.VolumeId, v);
    syncMappings(s, d.InstanceId);
    return attachmentView(v);
  });
  void plugIn(fleet, `${ctx.accountId}/${ctx.region}`, out.VolumeId!);
  return out;
};

export const DetachVolume: Handler<DetachVolumeRequest, VolumeAttachment> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const out = ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    const v = need<VolumeDoc>(s, RES.volume, input.VolumeId, "VolumeId");
    const a = v.attachment;
    if (!a) throw new AwsError("IncorrectState", `Volume '${v.VolumeId}' is in the '${v.State}' state.`, 400);
    if ((input.InstanceId && input.InstanceId !== a.InstanceId) || (input.Device && !sameDevice(input.Device, a.Device))) {
      throw new AwsError("InvalidAttachment.NotFound", `Volume '${v.VolumeId}' is not attached to instance '${input.InstanceId ?? a.InstanceId}' as device '${input.Device ?? a.Device}'.`, 400);
    }
    if (v.root) throw new AwsError("IncorrectState", `Unable to detach root volume '${v.VolumeId}' from instance '${a.InstanceId}'`, 400);
    if (a.State === "attaching") throw new AwsError("IncorrectState", `Volume '${v.VolumeId}' is in the 'attaching' state.`, 400);
    dryRun(input);
    if (a.State === "attached") a.State = "detaching";
    s.put(VOLUME_KIND, v.VolumeId, v);
    syncMappings(s, a.InstanceId);
    return attachmentView(v);
  });
  void unplug(fleet, `${ctx.accountId}/${ctx.region}`, out.VolumeId!, input.Force === true);
  return out;
};
