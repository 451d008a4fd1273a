// EBS volumes inside running instances (namespace driver with loop devices, as root): scenario 3
// of issue 8 (a volume formatted, mounted and written in one instance, detached, attached to
// another where the data is read back), RunInstances block device mappings (root and extra
// volumes, DeleteOnTermination), and attachment errors.
import {
  AttachVolumeCommand, CreateSnapshotCommand, CreateVolumeCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, DetachVolumeCommand, EC2Client,
  RunInstancesCommand, TerminateInstancesCommand, DeleteVolumeCommand, StopInstancesCommand, StartInstancesCommand, RegisterImageCommand, DescribeImagesCommand,
  DeleteSnapshotCommand, DeregisterImageCommand,
} from "@aws-sdk/client-ec2";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeDriver } from "../../../src/core/runtime/select.js";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";
import { canRunInstances, consoleText, describeOne, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const skip = canRunInstances() ?? (probeDriver().loop ? undefined : "no loop devices (losetup, /dev/loop-control)");

let n: TestNimbus;
beforeAll(async () => {
  if (!skip) n = await startNimbus();
});
afterAll(async () => {
  if (n) await n.stop();
});

const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function volumeState(ec2: EC2Client, id: string, state: string, attachment?: string) {
  return waitFor(async () => {
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes![0];
    if (v.State !== state) return undefined;
    if (attachment && v.Attachments?.[0]?.State !== attachment) return undefined;
    return v;
  }, `${id} ${state} ${attachment ?? ""}`);
}

const consoleHas = (ec2: EC2Client, id: string, text: string) =>
  waitFor(async () => {
    const out = await consoleText(ec2, id);
    return out.includes(text) ? out : undefined;
  }, `console of ${id} to show ${text}`);

/** Loop devices the host has bound to files under this Nimbus's data dir. */
function hostLoops(): string[] {
  const out = spawnSync("losetup", ["-l", "-n", "-O", "NAME,BACK-FILE"], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((l) => l.includes(n.dataDir));
}

describe.skipIf(!!skip)(`EBS volumes in instances${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("3 (SDK): a volume formatted, mounted and written in one instance is detached, attached to another and read back", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    // The first instance waits for its device, formats it, mounts it and writes a file.
    const writer = `#!/bin/sh
while [ ! -b /dev/xvdf ]; do sleep 0.05; done
mkfs.ext4 -q /dev/xvdf && mkdir -p /data && mount /dev/xvdf /data && echo "hello from $(hostname)" > /data/hello.txt && sync && echo FORMATTED-AND-WRITTEN
`;
    const a = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: b64(writer), Placement: { AvailabilityZone: "us-east-1a" } }))).Instances![0];
    await waitState(ec2, a.InstanceId!, "running");
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, VolumeType: "gp3" }));
    await volumeState(ec2, vol.VolumeId!, "available");

    // Attach errors first: device names, zones, unknown instances.
    expect((await fail(ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: a.InstanceId, Device: "/dev/foo" })))).name).toBe("InvalidParameterValue");
    const root = await fail(ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: a.InstanceId, Device: a.RootDeviceName })));
    expect(root.message).toMatch(/already in use/);
    const other = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", Size: 1 }));
    await volumeState(ec2, other.VolumeId!, "available");
    expect((await fail(ec2.send(new AttachVolumeCommand({ VolumeId: other.VolumeId, InstanceId: a.InstanceId, Device: "/dev/sdg" })))).name).toBe("InvalidVolume.ZoneMismatch");

    const att = await ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: a.InstanceId, Device: "/dev/xvdf" }));
    expect(att).toMatchObject({ VolumeId: vol.VolumeId, InstanceId: a.InstanceId, Device: "/dev/xvdf", State: "attaching" });
    const inUse = await volumeState(ec2, vol.VolumeId!, "in-use", "attached");
    expect(inUse.Attachments![0]).toMatchObject({ InstanceId: a.InstanceId, Device: "/dev/xvdf", DeleteOnTermination: false });
    const twice = await fail(ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: a.InstanceId, Device: "/dev/sdh" })));
    expect(twice.name).toBe("VolumeInUse");
    expect((await fail(ec2.send(new DeleteVolumeCommand({ VolumeId: vol.VolumeId })))).name).toBe("VolumeInUse");
    await consoleHas(ec2, a.InstanceId!, "FORMATTED-AND-WRITTEN");
    const mapped = await describeOne(ec2, a.InstanceId!);
    expect(mapped.BlockDeviceMappings!.map((m) => [m.DeviceName, m.Ebs?.Status])).toEqual([[a.RootDeviceName, "attached"], ["/dev/xvdf", "attached"]]);
    // t3 is a Nitro type: the device is an NVMe name with the requested name linked to it.
    const lsA = spawnSync("ls", ["-l", `${n.dataDir}/ec2/instances/${a.InstanceId}/dev/`], { encoding: "utf8" }).stdout;
    expect(lsA).toMatch(/xvdf -> nvme1n1/);

    // A snapshot while it is mounted: consistent (the file system is frozen while it is copied).
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
    await waitFor(async () => ((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0].State === "completed" ? true : undefined));

    // Detach while still mounted inside: Nimbus unmounts it cleanly first.
    const det = await ec2.send(new DetachVolumeCommand({ VolumeId: vol.VolumeId }));
    expect(det.State).toBe("detaching");
    const free = await volumeState(ec2, vol.VolumeId!, "available");
    expect(free.Attachments).toEqual([]);
    expect((await describeOne(ec2, a.InstanceId!)).BlockDeviceMappings!.map((m) => m.DeviceName)).toEqual([a.RootDeviceName]);

    // The second instance (a Xen type: /dev/xvdf itself) mounts it and reads the file back.
    const reader = `#!/bin/sh
while [ ! -b /dev/xvdf ]; do sleep 0.05; done
mkdir -p /data && mount /dev/xvdf /data && echo "READ: $(cat /data/hello.txt)"
`;
    const b = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, UserData: b64(reader), Placement: { AvailabilityZone: "us-east-1a" } }))).Instances![0];
    await waitState(ec2, b.InstanceId!, "running");
    await ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: b.InstanceId, Device: "/dev/xvdf" }));
    const out = await consoleHas(ec2, b.InstanceId!, "READ:");
    expect(out).toContain(`READ: hello from ip-${a.PrivateIpAddress!.replace(/\./g, "-")}`);

    // The snapshot restores to a volume with the same file system and file.
    const restored = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: snap.SnapshotId }));
    await volumeState(ec2, restored.VolumeId!, "available");
    const dump = spawnSync("debugfs", ["-R", "cat /hello.txt", `${n.dataDir}/ec2/volumes/${restored.VolumeId}.img`], { encoding: "utf8" });
    if (spawnSync("/bin/sh", ["-c", "command -v debugfs"]).status === 0) expect(dump.stdout).toContain("hello from");

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.InstanceId!, b.InstanceId!] }));
    await waitState(ec2, b.InstanceId!, "terminated");
    // A volume attached by AttachVolume survives its instance (DeleteOnTermination false).
    const after = await volumeState(ec2, vol.VolumeId!, "available");
    expect(after.Attachments).toEqual([]);
    await waitFor(() => (hostLoops().length === 0 ? true : undefined), "loop devices freed");
  });

  it("RunInstances block device mappings: a root volume and extra volumes usable at first boot, deleted on termination", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const userData = `#!/bin/sh
mkfs.ext4 -q /dev/sdf && mkdir -p /mnt/f && mount /dev/sdf /mnt/f && echo "SIZE=$(df -k /mnt/f | awk 'NR==2{print $2}')" && echo READY
`;
    const r = await ec2.send(new RunInstancesCommand({
      ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, UserData: b64(userData),
      BlockDeviceMappings: [
        { DeviceName: "/dev/sda1", Ebs: { VolumeSize: 20, VolumeType: "gp3" } },
        { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 2, VolumeType: "gp2" } },
        { DeviceName: "/dev/sdg", Ebs: { VolumeSize: 1, DeleteOnTermination: false } },
      ],
      TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "app", Value: "web" }] }],
    }));
    const inst = r.Instances![0];
    expect(inst.BlockDeviceMappings!.map((m) => m.DeviceName)).toEqual(["/dev/sda1", "/dev/sdf", "/dev/sdg"]);
    await waitState(ec2, inst.InstanceId!, "running");
    const out = await consoleHas(ec2, inst.InstanceId!, "READY");
    const size = Number(/SIZE=(\d+)/.exec(out)![1]);
    expect(size).toBeGreaterThan(1_800_000);
    expect(size).toBeLessThan(2_100_000);

    const vols = (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [inst.InstanceId!] }] }))).Volumes!;
    const byDevice = Object.fromEntries(vols.map((v) => [v.Attachments![0].Device, v]));
    expect(byDevice["/dev/sda1"]).toMatchObject({ Size: 20, VolumeType: "gp3", Iops: 3000, State: "in-use", Tags: [{ Key: "app", Value: "web" }] });
    expect(byDevice["/dev/sda1"].Attachments![0].DeleteOnTermination).toBe(true);
    expect(byDevice["/dev/sdf"]).toMatchObject({ Size: 2, VolumeType: "gp2", State: "in-use" });
    expect(byDevice["/dev/sdg"].Attachments![0].DeleteOnTermination).toBe(false);
    const rootDetach = await fail(ec2.send(new DetachVolumeCommand({ VolumeId: byDevice["/dev/sda1"].VolumeId })));
    expect(rootDetach.name).toBe("IncorrectState");

    // Stop and start: the volumes stay attached and the data volume is back as a device.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "stopped");
    await ec2.send(new StartInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "running");
    expect(spawnSync("ls", [`${n.dataDir}/ec2/instances/${inst.InstanceId}/dev/`], { encoding: "utf8" }).stdout.split("\n")).toEqual(expect.arrayContaining(["xvdf", "sdf", "xvdg"]));

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    await waitState(ec2, inst.InstanceId!, "terminated");
    const left = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: undefined, Filters: [{ Name: "volume-id", Values: vols.map((v) => v.VolumeId!) }] }))).Volumes!;
    expect(left.map((v) => [v.VolumeId, v.State])).toEqual([[byDevice["/dev/sdg"].VolumeId, "available"]]);
  });

  it("a volume's data survives a Nimbus restart: the instance boots again with its block device", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nimbus-ebs-restart-"));
    let m = await startNimbus({ dataDir });
    try {
      const ec2 = new EC2Client(sdkConfig(m.endpoint, { accountId: freshAccount() }));
      const ami = await ubuntu(ec2);
      // rc.local runs at every boot: mount the volume if it has a file system, and show the file.
      const userData = `#!/bin/sh
printf '#!/bin/sh\nmkdir -p /v && mount /dev/xvdf /v && echo "BOOT-READ: $(cat /v/f.txt)"\n' > /etc/rc.local && chmod +x /etc/rc.local
mkfs.ext4 -q /dev/xvdf && mkdir -p /v && mount /dev/xvdf /v && echo persisted-bytes > /v/f.txt && sync && echo WROTE
`;
      const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, UserData: b64(userData), BlockDeviceMappings: [{ DeviceName: "/dev/xvdf", Ebs: { VolumeSize: 1 } }] }));
      const id = r.Instances![0].InstanceId!;
      await waitFor(async () => ((await consoleText(ec2, id)).includes("WROTE") ? true : undefined), "WROTE");
      await m.stop({ keepData: true });
      expect(spawnSync("losetup", ["-l", "-n"], { encoding: "utf8" }).stdout).not.toContain(dataDir);
      m = await startNimbus({ dataDir });
      const again = new EC2Client(sdkConfig(m.endpoint, { accountId: (await ec2.config.credentials()).accessKeyId }));
      await waitFor(async () => ((await consoleText(again, id)).includes("BOOT-READ: persisted-bytes") ? true : undefined), "BOOT-READ after restart");
      await again.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      await waitState(again, id, "terminated");
    } finally {
      await m.stop({ keepData: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("RegisterImage from a root volume's snapshot: an instance from the image has the files; the snapshot is in use until the image goes", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const a = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, UserData: b64("#!/bin/sh\necho from-root-snapshot > /root/registered.txt && sync && echo DONE\n") }))).Instances![0];
    await consoleHas(ec2, a.InstanceId!, "DONE");
    const root = (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [a.InstanceId!] }, { Name: "attachment.device", Values: [a.RootDeviceName!] }] }))).Volumes![0];
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: root.VolumeId, Description: "root" }));
    await waitFor(async () => ((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0].State === "completed" ? true : undefined));

    const noRoot = await fail(ec2.send(new RegisterImageCommand({ Name: "no-root", RootDeviceName: "/dev/sda1", BlockDeviceMappings: [{ DeviceName: "/dev/sdb", Ebs: { SnapshotId: snap.SnapshotId } }] })));
    expect(noRoot.name).toBe("InvalidBlockDeviceMapping");
    const reg = await ec2.send(new RegisterImageCommand({
      Name: "from-snapshot", RootDeviceName: "/dev/sda1", Architecture: "x86_64", VirtualizationType: "hvm", EnaSupport: true,
      BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { SnapshotId: snap.SnapshotId, VolumeType: "gp3" } }],
    }));
    expect(reg.ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const image = await waitFor(async () => {
      const i = (await ec2.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] }))).Images![0];
      return i.State === "available" ? i : undefined;
    });
    expect(image).toMatchObject({ Name: "from-snapshot", RootDeviceName: "/dev/sda1", VirtualizationType: "hvm", Architecture: "x86_64", RootDeviceType: "ebs" });
    expect(image.BlockDeviceMappings![0].Ebs).toMatchObject({ SnapshotId: snap.SnapshotId, VolumeSize: root.Size, VolumeType: "gp3", DeleteOnTermination: true });
    const inUse = await fail(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId })));
    expect(inUse.name).toBe("InvalidSnapshot.InUse");
    expect(inUse.message).toContain(reg.ImageId);

    const b = (await ec2.send(new RunInstancesCommand({ ImageId: reg.ImageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, UserData: b64("#!/bin/sh\necho \"GOT: $(cat /root/registered.txt)\"\n") }))).Instances![0];
    const out = await consoleHas(ec2, b.InstanceId!, "GOT:");
    expect(out).toContain("GOT: from-root-snapshot");

    await ec2.send(new DeregisterImageCommand({ ImageId: reg.ImageId }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.InstanceId!, b.InstanceId!] }));
    await waitState(ec2, b.InstanceId!, "terminated");
  });
});
