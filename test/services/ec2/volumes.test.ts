// EBS volumes and snapshots through the API (no instance needed): AWS's size / IOPS /
// throughput rules, zones, Describe filters and pagination, ModifyVolume with its modification
// record and cooldown, snapshots of a volume's real file, copies, volumes from snapshots and
// the dependency errors.
import {
  CopySnapshotCommand, CreateSnapshotCommand, CreateTagsCommand, CreateVolumeCommand, DeleteSnapshotCommand, DeleteVolumeCommand, DescribeSnapshotsCommand,
  DescribeVolumesCommand, DescribeVolumesModificationsCommand, DetachVolumeCommand, EC2Client, ModifyVolumeCommand,
} from "@aws-sdk/client-ec2";
import { closeSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";
import { waitFor } from "./instance-helpers.js";
import { AWS, failed, PYTHON, useClients, type CliResult } from "../../clients/support.js";

const clients = useClients(() => n.endpoint);
function ok(r: CliResult, raw?: true): any {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return raw ? r.stdout : JSON.parse(r.stdout || "{}");
}

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});

const client = (accountId = freshAccount(), region = "us-east-1") => new EC2Client(sdkConfig(n.endpoint, { accountId, region }));
const GiB = 1024 ** 3;
const volFile = (id: string) => join(n.dataDir, "ec2", "volumes", `${id}.img`);
const snapFile = (id: string) => join(n.dataDir, "ec2", "snapshots", `${id}.img`);

async function available(ec2: EC2Client, id: string) {
  return waitFor(async () => {
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes![0];
    return v.State === "available" ? v : undefined;
  }, `${id} available`);
}

async function completed(ec2: EC2Client, id: string) {
  return waitFor(async () => {
    const s = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0];
    return s.State === "completed" ? s : undefined;
  }, `${id} completed`);
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

describe("EBS volumes", () => {
  it("creates volumes with AWS's defaults per type, as sparse files of their size", async () => {
    const ec2 = client();
    const gp2 = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 10, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: "data" }] }] }));
    expect(gp2.VolumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(gp2.State).toBe("creating");
    expect(gp2.VolumeType).toBe("gp2");
    expect(gp2.Iops).toBe(100);
    expect(gp2.Size).toBe(10);
    expect(gp2.Encrypted).toBe(false);
    expect(gp2.SnapshotId).toBe("");
    expect(gp2.Tags).toEqual([{ Key: "Name", Value: "data" }]);
    const v = await available(ec2, gp2.VolumeId!);
    expect(v.Attachments).toEqual([]);
    expect(statSync(volFile(gp2.VolumeId!)).size).toBe(10 * GiB);
    // Sparse: nothing written, (almost) nothing allocated.
    expect(statSync(volFile(gp2.VolumeId!)).blocks * 512).toBeLessThan(1024 * 1024);

    const gp3 = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", Size: 100, VolumeType: "gp3", Encrypted: true }));
    expect(gp3).toMatchObject({ VolumeType: "gp3", Iops: 3000, Throughput: 125, Encrypted: true, AvailabilityZone: "us-east-1b" });
    expect(gp3.KmsKeyId).toMatch(/^arn:aws:kms:us-east-1:\d{12}:/);
    const big = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 2000, VolumeType: "gp2" }));
    expect(big.Iops).toBe(6000);
    const io2 = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 10, VolumeType: "io2", Iops: 10000 }));
    expect(io2).toMatchObject({ VolumeType: "io2", Iops: 10000 });
    // The largest io2 volume is refused by no rule; its file is as large as the data dir allows.
    const huge = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 65536, VolumeType: "io2", Iops: 256000 }));
    expect((await available(ec2, huge.VolumeId!)).Size).toBe(65536);
    expect(statSync(volFile(huge.VolumeId!)).size).toBeGreaterThan(GiB);
  });

  it("refuses sizes, IOPS and throughput outside AWS's limits, unknown zones and types, changing nothing", async () => {
    const ec2 = client();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ Size: 0 }, "InvalidParameterValue", /too small; minimum is 1GiB/],
      [{ Size: 16385 }, "InvalidParameterValue", /too large; maximum is 16384GiB/],
      [{ Size: 100, VolumeType: "st1" }, "InvalidParameterValue", /minimum is 125GiB/],
      [{ Size: 2000, VolumeType: "standard" }, "InvalidParameterValue", /maximum is 1024GiB/],
      [{ Size: 10, VolumeType: "io1" }, "InvalidParameterCombination", /iops must be specified for io1/],
      [{ Size: 10, VolumeType: "io1", Iops: 1000 }, "InvalidParameterValue", /Iops to volume size ratio of 100\.000000 is too high; maximum is 50\.000000/],
      [{ Size: 10, VolumeType: "gp3", Iops: 6000 }, "InvalidParameterValue", /ratio of 600\.000000 is too high; maximum is 500\.000000/],
      [{ Size: 100, VolumeType: "gp3", Iops: 3000, Throughput: 1000 }, "InvalidParameterValue", /Throughput \(MiBps\) to iops ratio/],
      [{ Size: 10, VolumeType: "gp2", Iops: 300 }, "InvalidParameterCombination", /iops is not supported for gp2/],
      [{ Size: 10, VolumeType: "gp2", Throughput: 300 }, "InvalidParameterCombination", /throughput is not supported for gp2/],
      [{ Size: 10, VolumeType: "fast" }, "InvalidParameterValue", /volumeType/],
      [{}, "MissingParameter", /size or snapshotId/],
    ];
    for (const [extra, code, message] of cases) {
      const e = await fail(ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", ...extra } as never)));
      expect(e.name, JSON.stringify(extra)).toBe(code);
      expect(e.message, JSON.stringify(extra)).toMatch(message);
    }
    const zone = await fail(ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1z", Size: 1 })));
    expect(zone.name).toBe("InvalidZone.NotFound");
    expect((await ec2.send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
  });

  it("describes by id, filter and page, with AWS's errors for unknown and malformed ids", async () => {
    const ec2 = client();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: i < 4 ? "us-east-1a" : "us-east-1c", Size: i + 1, VolumeType: i % 2 ? "gp3" : "gp2" }));
      ids.push(v.VolumeId!);
    }
    await Promise.all(ids.map((id) => available(ec2, id)));
    const inC = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "availability-zone", Values: ["us-east-1c"] }, { Name: "volume-type", Values: ["gp3"] }] }));
    expect(inC.Volumes!.map((v) => v.VolumeId).sort()).toEqual([ids[5]].sort());
    const bySize = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "size", Values: ["1", "2"] }, { Name: "status", Values: ["available"] }] }));
    expect(bySize.Volumes!.map((v) => v.Size).sort()).toEqual([1, 2]);
    await ec2.send(new CreateTagsCommand({ Resources: [ids[3]], Tags: [{ Key: "team", Value: "db" }] }));
    const tagged = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:team", Values: ["db"] }] }));
    expect(tagged.Volumes!.map((v) => v.VolumeId)).toEqual([ids[3]]);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.send(new DescribeVolumesCommand({ MaxResults: 5, NextToken: token }));
      seen.push(...page.Volumes!.map((v) => v.VolumeId!));
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...ids].sort());

    const missing = await fail(ec2.send(new DescribeVolumesCommand({ VolumeIds: ["vol-0123456789abcdef0"] })));
    expect(missing.name).toBe("InvalidVolume.NotFound");
    expect(missing.message).toBe("The volume 'vol-0123456789abcdef0' does not exist.");
    const bad = await fail(ec2.send(new DescribeVolumesCommand({ VolumeIds: ["volume-1"] })));
    expect(bad.name).toBe("InvalidVolumeID.Malformed");
    const small = await fail(ec2.send(new DescribeVolumesCommand({ MaxResults: 4 })));
    expect(small.name).toBe("InvalidParameterValue");
  });

  it("modifies size, type and IOPS: the file grows, the modification is recorded, a second one waits six hours", async () => {
    const ec2 = client();
    const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 2, VolumeType: "gp2" }));
    await available(ec2, v.VolumeId!);
    const shrink = await fail(ec2.send(new ModifyVolumeCommand({ VolumeId: v.VolumeId, Size: 1 })));
    expect(shrink.name).toBe("InvalidParameterValue");
    const m = await ec2.send(new ModifyVolumeCommand({ VolumeId: v.VolumeId, Size: 10, VolumeType: "gp3", Iops: 4000 }));
    expect(m.VolumeModification).toMatchObject({ VolumeId: v.VolumeId, OriginalSize: 2, TargetSize: 10, OriginalVolumeType: "gp2", TargetVolumeType: "gp3", TargetIops: 4000, TargetThroughput: 125 });
    expect(["modifying", "optimizing"]).toContain(m.VolumeModification!.ModificationState);
    const done = await waitFor(async () => {
      const r = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [v.VolumeId!] }));
      return r.VolumesModifications![0].ModificationState === "completed" ? r.VolumesModifications![0] : undefined;
    });
    expect(done.Progress).toBe(100);
    const now = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] }))).Volumes![0];
    expect(now).toMatchObject({ Size: 10, VolumeType: "gp3", Iops: 4000, Throughput: 125 });
    expect(statSync(volFile(v.VolumeId!)).size).toBe(10 * GiB);
    const again = await fail(ec2.send(new ModifyVolumeCommand({ VolumeId: v.VolumeId, Size: 12 })));
    expect(again.name).toBe("VolumeModificationRateExceeded");
    const byState = await ec2.send(new DescribeVolumesModificationsCommand({ Filters: [{ Name: "modification-state", Values: ["completed"] }] }));
    expect(byState.VolumesModifications!.map((x) => x.VolumeId)).toEqual([v.VolumeId]);
  });

  it("snapshots copy the volume's bytes; volumes from snapshots, copies to another region, and the dependency errors", async () => {
    const account = freshAccount();
    const ec2 = client(account);
    const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }));
    await available(ec2, v.VolumeId!);
    // Bytes written into the volume's file (as an instance would through its block device).
    const marker = Buffer.from("nimbus-ebs-marker");
    const w = openSync(volFile(v.VolumeId!), "r+");
    writeSync(w, marker, 0, marker.length, 512 * 1024 * 1024);
    closeSync(w);

    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: v.VolumeId, Description: "nightly", TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "k", Value: "v" }] }] }));
    expect(snap.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    expect(snap).toMatchObject({ VolumeId: v.VolumeId, VolumeSize: 1, State: "pending", Description: "nightly", Encrypted: false, OwnerId: account, Tags: [{ Key: "k", Value: "v" }] });
    const done = await completed(ec2, snap.SnapshotId!);
    expect(done.Progress).toBe("100%");
    expect(readAt(snapFile(snap.SnapshotId!), 512 * 1024 * 1024, marker.length)).toEqual(marker);

    const mine = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name: "volume-id", Values: [v.VolumeId!] }] }));
    expect(mine.Snapshots!.map((s) => s.SnapshotId)).toEqual([snap.SnapshotId]);
    expect((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["amazon"], Filters: [{ Name: "volume-id", Values: [v.VolumeId!] }] }))).Snapshots).toEqual([]);

    // A volume from the snapshot, bigger: same bytes, the new size.
    const tooSmall = await fail(ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", SnapshotId: snap.SnapshotId, Size: 0 })));
    expect(tooSmall.name).toBe("InvalidParameterValue");
    const restored = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", SnapshotId: snap.SnapshotId, Size: 3 }));
    expect(restored).toMatchObject({ SnapshotId: snap.SnapshotId, Size: 3 });
    await available(ec2, restored.VolumeId!);
    expect(statSync(volFile(restored.VolumeId!)).size).toBe(3 * GiB);
    expect(readAt(volFile(restored.VolumeId!), 512 * 1024 * 1024, marker.length)).toEqual(marker);

    // Copy to another region of the account.
    const west = client(account, "us-west-2");
    const copy = await west.send(new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: snap.SnapshotId, Encrypted: true }));
    const copied = await completed(west, copy.SnapshotId!);
    expect(copied).toMatchObject({ VolumeSize: 1, Encrypted: true });
    expect(copied.Description).toContain(snap.SnapshotId);
    expect(readAt(snapFile(copy.SnapshotId!), 512 * 1024 * 1024, marker.length)).toEqual(marker);
    const encryptedVol = await west.send(new CreateVolumeCommand({ AvailabilityZone: "us-west-2a", SnapshotId: copy.SnapshotId }));
    expect(encryptedVol.Encrypted).toBe(true);

    // Deleting: volumes and snapshots go, with their bytes; unknown ids are refused.
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId }));
    expect(() => statSync(snapFile(snap.SnapshotId!))).toThrow();
    const gone = await fail(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] })));
    expect(gone.name).toBe("InvalidSnapshot.NotFound");
    await ec2.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId }));
    expect(() => statSync(volFile(v.VolumeId!))).toThrow();
    expect((await fail(ec2.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId })))).name).toBe("InvalidVolume.NotFound");
    const notAttached = await fail(ec2.send(new DetachVolumeCommand({ VolumeId: restored.VolumeId })));
    expect(notAttached.name).toBe("IncorrectState");
  });

  const BOTO3 = `
import sys, boto3
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1")
v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp3", Iops=4000, TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "by", "Value": "boto3"}]}])
ec2.get_waiter("volume_available").wait(VolumeIds=[v["VolumeId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
s = ec2.create_snapshot(VolumeId=v["VolumeId"], Description="b3")
ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[s["SnapshotId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
d = ec2.describe_volumes(Filters=[{"Name": "tag:by", "Values": ["boto3"]}])["Volumes"][0]
snap = ec2.describe_snapshots(OwnerIds=["self"], SnapshotIds=[s["SnapshotId"]])["Snapshots"][0]
print(d["VolumeId"] == v["VolumeId"], d["Size"], d["VolumeType"], d["Iops"], d["Throughput"], d["State"], d["Attachments"], d["MultiAttachEnabled"])
print(snap["State"], snap["Progress"], snap["VolumeSize"], snap["Description"])
try:
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="io1")
except ec2.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
`;

  it.skipIf(!PYTHON)("boto3: waiters, filters and errors", async () => {
    const out = ok(await clients.python(freshAccount(), BOTO3, n.endpoint), true);
    expect(out.split("\n").filter(Boolean)).toEqual(["True 8 gp3 4000 125 available [] False", "completed 100% 8 b3", "InvalidParameterCombination"]);
  });

  it.skipIf(!AWS)("aws CLI: create, wait, describe with a query", async () => {
    const account = freshAccount();
    const v = ok(await clients.aws(account, "ec2", "create-volume", "--availability-zone", "us-east-1b", "--size", "1", "--volume-type", "standard"));
    expect(v.VolumeType).toBe("standard");
    const waited = await clients.aws(account, "ec2", "wait", "volume-available", "--volume-ids", v.VolumeId);
    expect(waited.code).toBe(0);
    const q = await clients.aws(account, "ec2", "describe-volumes", "--volume-ids", v.VolumeId, "--query", "Volumes[0].[State,Size,AvailabilityZone]");
    expect(JSON.parse(q.stdout)).toEqual(["available", 1, "us-east-1b"]);
    const bad = failed(await clients.aws(account, "ec2", "delete-volume", "--volume-id", "vol-0123456789abcdef0"));
    expect(bad).toContain("InvalidVolume.NotFound");
  });
});
