// Block devices for machines (EBS volumes for EC2): a volume is a sparse file on the host; while
// it is attached to a running machine of the namespace driver it is bound to a loop device, and
// a device node of that loop device (with the name the user asked for, e.g. xvdf, and links
// such as sdf or nvme1n1) is made in the machine's own /dev, a per-machine directory bound over
// the machine's /dev. `mkfs` and `mount` inside the machine then work on the real file, and what
// is written survives detach, attach elsewhere and restarts. Loop devices of a crashed server are
// found by their backing files and freed at the next start (sweepLoops).
import { execFile } from "node:child_process";
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface DiskSpec {
  /** The volume's backing file on the host. */
  file: string;
  /** The device node's name in the machine's /dev (xvdf, nvme1n1...). */
  name: string;
  /** Other names in /dev that link to it (sdf...). */
  links?: string[];
}

export interface LoopDisk extends DiskSpec {
  /** The host's loop device (/dev/loop3). */
  loop: string;
  /** major:minor, as /proc/<pid>/mountinfo writes it. */
  devno: string;
}

// 1. bind the file to a free loop device, 2. make a node of the same numbers in the machine's
// /dev (the links are made by Node), 3. answer the loop device and its numbers. One spawn.
const ATTACH = String.raw`set -e
L=$(losetup -f --show "$F")
set -- $(stat -c '%t %T' "$L")
rm -f "$N"
mknod -m 660 "$N" b $((0x$1)) $((0x$2))
echo "$L $((0x$1)):$((0x$2))"
`;

/** Makes a machine's /dev from the shared template: hard links of its nodes (no spawn), its links and directories. */
export function prepareDev(template: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const e of readdirSync(template, { withFileTypes: true })) {
    const from = join(template, e.name);
    const to = join(target, e.name);
    if (e.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (e.isDirectory()) mkdirSync(to);
    else linkSync(from, to);
  }
}

export async function attachLoop(devDir: string, disk: DiskSpec): Promise<LoopDisk> {
  const { stdout } = await run("/bin/sh", ["-c", ATTACH], { env: { PATH, F: disk.file, N: join(devDir, disk.name) } });
  const [loop, devno] = stdout.trim().split(" ");
  for (const l of disk.links ?? []) {
    if (l === disk.name) continue;
    rmSync(join(devDir, l), { force: true });
    symlinkSync(disk.name, join(devDir, l));
  }
  return { ...disk, loop, devno };
}

/** Frees the loop device (deferred by the kernel while something still holds it) and the machine's nodes. */
export async function releaseLoop(devDir: string | undefined, d: LoopDisk): Promise<void> {
  if (devDir) {
    for (const n of [d.name, ...(d.links ?? [])]) {
      try {
        if (lstatSync(join(devDir, n))) rmSync(join(devDir, n), { force: true });
      } catch {
        /* gone */
      }
    }
  }
  await run("losetup", ["-d", d.loop], { env: { PATH } }).catch(() => undefined);
}

/** The mount points (in the machine's mount namespace, deepest first) of a device. */
export function mountsOf(pid: number, devno: string): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
  } catch {
    return [];
  }
  const points: string[] = [];
  for (const line of text.split("\n")) {
    const cols = line.split(" ");
    if (cols[2] === devno) points.push(cols[4].replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return points.sort((a, b) => b.length - a.length);
}

/** Unmounts a device inside a machine; false when it is busy (and `lazy` is not set). */
export async function unmountIn(pid: number, devno: string, lazy: boolean): Promise<boolean> {
  for (const p of mountsOf(pid, devno)) {
    try {
      await run("nsenter", ["-t", String(pid), "-m", "umount", ...(lazy ? ["-l"] : []), p], { env: { PATH } });
    } catch {
      return false;
    }
  }
  return true;
}

/** Freezes the file systems on a device inside a machine (fsfreeze) so a copy of its file is consistent; returns the thaw. */
export async function freezeIn(pid: number | undefined, d: LoopDisk): Promise<() => Promise<void>> {
  const frozen: string[] = [];
  if (pid) {
    for (const p of mountsOf(pid, d.devno)) {
      try {
        await run("nsenter", ["-t", String(pid), "-m", "fsfreeze", "-f", p], { env: { PATH } });
        frozen.push(p);
      } catch {
        /* not freezable (read-only, or gone): copied as it is */
      }
    }
  }
  await run("blockdev", ["--flushbufs", d.loop], { env: { PATH } }).catch(() => undefined);
  return async () => {
    for (const p of frozen) await run("nsenter", ["-t", String(pid), "-m", "fsfreeze", "-u", p], { env: { PATH } }).catch(() => undefined);
  };
}

/** Tells the loop device its file grew (ModifyVolume). */
export async function refreshLoop(d: LoopDisk): Promise<void> {
  await run("losetup", ["-c", d.loop], { env: { PATH } }).catch(() => undefined);
}

/** Frees loop devices left bound to files under `dir` by a server that died. */
export async function sweepLoops(dir: string): Promise<void> {
  let list: { loopdevices?: Array<{ name: string; "back-file"?: string }> };
  try {
    list = JSON.parse((await run("losetup", ["-J", "-l"], { env: { PATH } })).stdout || "{}");
  } catch {
    return;
  }
  const prefix = dir.endsWith("/") ? dir : dir + "/";
  await Promise.all(
    (list.loopdevices ?? []).filter((l) => (l["back-file"] ?? "").replace(/ \(deleted\)$/, "").startsWith(prefix)).map((l) => run("losetup", ["-d", l.name], { env: { PATH } }).catch(() => undefined)),
  );
}
