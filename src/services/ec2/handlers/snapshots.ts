// EBS snapshots: CreateSnapshot (a consistent copy of the volume's file, taken after the answer
// while the snapshot is `pending`), DescribeSnapshots (owners, filters, pagination),
// DeleteSnapshot (refused while an image names it) and CopySnapshot (from another region of the
// account too).
import type {
  CopySnapshotRequest, CopySnapshotResult, CreateSnapshotRequest, DeleteSnapshotRequest, DescribeSnapshotsRequest, DescribeSnapshotsResult, Snapshot,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import type { FilterAccessors } from "../filters.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { need, RES } from "../vpc/lookup.js";
import { stateOf, type Ec2State } from "../vpc/store.js";
import type { Fleet } from "../instances/fleet.js";
import { IMAGE_KIND, type ImageDoc } from "../instances/images.js";
import { fleetOf } from "../instances/registry.js";
import { copySnapshotBytes, removeSnapshotBytes, takeSnapshot } from "../volumes/disks.js";
import { SNAPSHOT_KIND, type SnapshotDoc, type VolumeDoc } from "../volumes/store.js";

export function snapshotView(d: SnapshotDoc): Snapshot {
  const { startTime, completionTime, content, Tags, ...rest } = d;
  void content;
  return { ...rest, StartTime: new Date(startTime), CompletionTime: completionTime ? new Date(completionTime) : undefined, Tags: tagsOut(Tags), StorageTier: "standard" } as Snapshot;
}

const SNAPSHOT_FILTERS: FilterAccessors<SnapshotDoc> = {
  "snapshot-id": (d) => d.SnapshotId,
  "volume-id": (d) => d.VolumeId,
  "volume-size": (d) => d.VolumeSize,
  status: (d) => d.State,
  progress: (d) => d.Progress,
  "owner-id": (d) => d.OwnerId,
  "owner-alias": (d) => d.OwnerAlias,
  description: (d) => d.Description,
  encrypted: (d) => d.Encrypted,
  "start-time": (d) => d.startTime,
  "storage-tier": () => "standard",
};

/** Commits the end of a snapshot's copy: completed and 100%, or error. */
export function finishSnapshot(fleet: Fleet, scope: string, id: string, ok: boolean, reason?: string): void {
  const s = fleet.state(scope);
  s.store.tx(() => {
    const cur = s.get<SnapshotDoc>(SNAPSHOT_KIND, id);
    if (!cur || cur.State !== "pending") return;
    cur.State = ok ? "completed" : "error";
    cur.Progress = ok ? "100%" : cur.Progress;
    if (!ok) cur.StateMessage = reason;
    cur.completionTime = new Date(fleet.rt.clock.now()).toISOString();
    s.put(SNAPSHOT_KIND, id, cur);
  });
}

function checkDescription(d: string | undefined): void {
  if (d && d.length > 255) throw invalid("Description must be at most 255 characters");
}

function snapTx<T>(ctx: RequestContext, fn: (s: Ec2State) => T): T {
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    return fn(s);
  });
}

export const CreateSnapshot: Handler<CreateSnapshotRequest, Snapshot> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const { snap, vol } = snapTx(ctx, (s) => {
    const vol = need<VolumeDoc>(s, RES.volume, input.VolumeId, "VolumeId");
    if (vol.State === "creating" || vol.State === "error") throw new AwsError("IncorrectState", `The volume '${vol.VolumeId}' is '${vol.State}'.`, 400);
    checkDescription(input.Description);
    const tags = tagsOnCreate(input.TagSpecifications, "snapshot");
    dryRun(input);
    const snap: SnapshotDoc = {
      SnapshotId: newId("snap"),
      VolumeId: vol.VolumeId,
      VolumeSize: vol.Size,
      State: "pending",
      Progress: "",
      OwnerId: s.accountId,
      Description: input.Description ?? "",
      Encrypted: vol.Encrypted,
      KmsKeyId: vol.KmsKeyId,
      Tags: tags,
      startTime: new Date(ctx.clock.now()).toISOString(),
      content: vol.root ? "layer" : "file",
    };
    s.put(SNAPSHOT_KIND, snap.SnapshotId, snap);
    return { snap, vol };
  });
  void takeSnapshot(fleet, vol, snap).then(
    () => finishSnapshot(fleet, scope, snap.SnapshotId, true),
    (e: Error) => finishSnapshot(fleet, scope, snap.SnapshotId, false, e.message),
  );
  return snapshotView(snap);
};

export const DescribeSnapshots: Handler<DescribeSnapshotsRequest, DescribeSnapshotsResult> = (input, ctx) => {
  fleetOf(ctx);
  return snapTx(ctx, (s) => {
    dryRun(input);
    // Every snapshot here is the account's own: "self" and the account id select them, "amazon" none.
    let docs = s.all<SnapshotDoc>(SNAPSHOT_KIND);
    if (input.OwnerIds?.length && !input.OwnerIds.some((o) => o === "self" || o === s.accountId)) docs = [];
    const { items, next } = describe(docs, input.SnapshotIds, input, {
      res: RES.snapshot, idsParam: "snapshotIds", idOf: (d) => d.SnapshotId, accessors: SNAPSHOT_FILTERS, view: snapshotView, min: 5, max: 1000,
    });
    return { Snapshots: items, NextToken: next };
  });
};

export const DeleteSnapshot: Handler<DeleteSnapshotRequest, Record<string, never>> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const snap = snapTx(ctx, (s) => {
    const snap = need<SnapshotDoc>(s, RES.snapshot, input.SnapshotId, "SnapshotId");
    const image = s.all<ImageDoc>(IMAGE_KIND).find((i) => (i.BlockDeviceMappings ?? []).some((b) => b.Ebs?.SnapshotId === snap.SnapshotId));
    if (image) throw new AwsError("InvalidSnapshot.InUse", `The snapshot ${snap.SnapshotId} is currently in use by ${image.ImageId}`, 400);
    dryRun(input);
    s.delete(SNAPSHOT_KIND, snap.SnapshotId);
    return snap;
  });
  removeSnapshotBytes(fleet, snap);
  return {};
};

export const CopySnapshot: Handler<CopySnapshotRequest, CopySnapshotResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const { src, copy } = snapTx(ctx, (s) => {
    if (!input.SourceRegion) throw new AwsError("MissingParameter", "The request must contain the parameter SourceRegion", 400);
    const from = input.SourceRegion === s.region ? s : s.other(s.accountId, input.SourceRegion);
    const src = need<SnapshotDoc>(from, RES.snapshot, input.SourceSnapshotId, "SourceSnapshotId");
    if (src.State !== "completed") throw new AwsError("IncorrectState", `Snapshot '${src.SnapshotId}' is not 'completed'.`, 400);
    checkDescription(input.Description);
    if (input.Encrypted === false && src.Encrypted) throw invalid("An encrypted snapshot cannot be copied unencrypted.");
    const tags = tagsOnCreate(input.TagSpecifications, "snapshot");
    dryRun(input);
    const encrypted = input.Encrypted || src.Encrypted;
    const copy: SnapshotDoc = {
      SnapshotId: newId("snap"),
      // AWS gives copies a placeholder volume id.
      VolumeId: "vol-ffffffff",
      VolumeSize: src.VolumeSize,
      State: "pending",
      Progress: "",
      OwnerId: s.accountId,
      Description: input.Description ?? `[Copied ${src.SnapshotId} from ${input.SourceRegion}]${src.Description ? " " + src.Description : ""}`,
      Encrypted: !!encrypted,
      KmsKeyId: encrypted ? input.KmsKeyId ?? src.KmsKeyId ?? `arn:aws:kms:${s.region}:${s.accountId}:alias/aws/ebs` : undefined,
      Tags: tags,
      startTime: new Date(ctx.clock.now()).toISOString(),
      content: src.content,
    };
    s.put(SNAPSHOT_KIND, copy.SnapshotId, copy);
    return { src, copy };
  });
  void copySnapshotBytes(fleet, src, copy).then(
    () => finishSnapshot(fleet, scope, copy.SnapshotId, true),
    (e: Error) => finishSnapshot(fleet, scope, copy.SnapshotId, false, e.message),
  );
  return { SnapshotId: copy.SnapshotId, Tags: tagsOut(copy.Tags) };
};

