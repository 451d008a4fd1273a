// What of the host's own files a machine must never see through its overlay (its lower layer is
// the host's /): one template upper layer per server process, holding
// - an empty opaque directory (overlayfs's trusted.overlay.opaque: the lower layer's entries are
//   not looked up) for each private tree: /root, /home, /var/tmp, /var/backups (shadow.bak),
//   /var/mail, /var/spool/cron, /var/log, /etc/ssl/private and every /var/lib entry that is not
//   the package system's state (services' databases, systemd's credential secret, cloud-init's
//   user data of the host...), with the host's mode and owner;
// - a whiteout (a 0:0 character device) for each private file: /etc/shadow-, /etc/gshadow-,
//   /etc/security/opasswd, debconf's passwords, the host's ssh host keys, and the Nimbus data
//   dir itself (every account's state, IAM secrets, the machines' own disks);
// - /etc/shadow and /etc/gshadow of the machine's own: the host's entries with every password
//   locked (`*` / `!`), so tools that read them (useradd, su) still find every user of /etc/passwd.
// Each boot copies it into the machine's upper layer with `cp -an` (one spawn): what the machine
// made of its own (its default user's home, its own host keys, its shadow) is never replaced,
// and cp sets the opaque attribute on an existing directory too, so a disk made before still
// stops showing the host's trees. Opaque directories are made the only way overlayfs makes them
// without setfattr: a whiteout in the upper layer, then mkdir of that name through a mount of
// the overlay (in a mount namespace of its own, so nothing stays mounted).
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** /var/lib entries that are package-system state, not secrets: apt installs inside need them. */
const VAR_LIB_KEEP = new Set(["apt", "dpkg", "ucf", "misc", "pam", "python", "sgml-base", "xml-core", "man-db", "vim", "shells.state", "dbus", "dictionaries-common", "emacsen-common", "locales", "usrmerge", "update-rc.d", "libuuid", "initramfs-tools", "os-prober", "texmf", "aspell", "ispell", "polkit-1"]);

/** Host trees every machine sees as empty directories of its own. */
export const PRIVATE_DIRS = ["/root", "/home", "/var/tmp", "/var/backups", "/var/mail", "/var/spool/cron", "/var/log", "/etc/ssl/private"];
const PRIVATE_FILES = ["/etc/shadow-", "/etc/gshadow-", "/etc/security/opasswd", "/var/cache/debconf/passwords.dat"];

const MAKE = String.raw`set -e
for p in $WH; do mknod "$T$p" c 0 0; done
unshare --mount --propagation private /bin/sh -c 'set -e
mount -t overlay overlay -o "lowerdir=/,upperdir=$T,workdir=$TW" "$TR"
for p in $OP; do mkdir "$TR$p"; done
for p in $SUB; do mkdir "$TR$p"; done'
`;

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : dir + "/");

function kind(p: string): "dir" | "file" | undefined {
  try {
    const s = lstatSync(p);
    return s.isDirectory() ? "dir" : "file";
  } catch {
    return undefined;
  }
}

/** Copies the host's mode and owner of `host` onto `copy`. */
function likeHost(host: string, copy: string): void {
  const s = statSync(host);
  chownSync(copy, s.uid, s.gid);
  chmodSync(copy, s.mode & 0o7777);
}

/** /etc/shadow or /etc/gshadow with every password field replaced (only names the machine's passwd/group lists). */
function locked(path: string, names: string, lock: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const known = new Set(readFileSync(names, "utf8").split("\n").map((l) => l.split(":")[0]).filter(Boolean));
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 2 || !known.has(f[0])) continue;
    f[1] = lock;
    out.push(f.join(":"));
  }
  return out.join("\n") + "\n";
}

/**
 * Makes (again) the template upper layer under `dir` hiding the host's private files and the
 * given extra paths (e.g. the server's data dir); returns its path. Throws when it cannot be made:
 * a machine must not boot showing the host's secrets.
 */
export async function makePrivateTemplate(dir: string, extra: string[]): Promise<string> {
  const T = join(dir, "tpl"), TW = join(dir, "tpl-work"), TR = join(dir, "tpl-root");
  rmSync(dir, { recursive: true, force: true });
  for (const d of [T, TW, TR]) mkdirSync(d, { recursive: true });
  const opaque: string[] = [], whiteouts: string[] = [], sub: string[] = [];
  for (const p of PRIVATE_DIRS) if (kind(p) === "dir") opaque.push(p);
  try {
    for (const e of readdirSync("/var/lib")) if (!VAR_LIB_KEEP.has(e) && !e.startsWith("ca-certificates")) (kind(`/var/lib/${e}`) === "dir" ? opaque : whiteouts).push(`/var/lib/${e}`);
  } catch {
    /* no /var/lib */
  }
  for (const p of PRIVATE_FILES) if (kind(p)) whiteouts.push(p);
  try {
    for (const f of readdirSync("/etc/ssh")) if (f.startsWith("ssh_host_")) whiteouts.push(`/etc/ssh/${f}`);
  } catch {
    /* no /etc/ssh */
  }
  // The data dir (and anything else asked), unless a hidden tree holds it already.
  for (const p of extra.map((e) => resolve(e))) {
    if (p === "/" || !kind(p) || [...opaque, ...whiteouts].some((h) => isUnder(p, h))) continue;
    whiteouts.push(p);
  }
  // /var/log's subdirectories come back empty (apt and dpkg write into theirs).
  if (opaque.includes("/var/log")) for (const e of readdirSync("/var/log")) if (kind(`/var/log/${e}`) === "dir") sub.push(`/var/log/${e}`);
  // The parents of every entry exist in the template with the host's mode and owner (a
  // directory in the upper layer gives the merged one its attributes).
  for (const p of [...opaque, ...whiteouts, "/etc/shadow"]) {
    const parts = dirname(p).split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const h = "/" + parts.slice(0, i).join("/");
      if (!existsSync(T + h)) {
        mkdirSync(T + h);
        likeHost(h, T + h);
      }
    }
  }
  const bad = [...opaque, ...whiteouts, ...sub].find((p) => /\s/.test(p));
  if (bad) throw new Error(`cannot hide ${JSON.stringify(bad)}: white space in the name`);
  // Off the event loop: a few dozen spawns (a mknod each), once per server.
  await new Promise<void>((res, rej) =>
    execFile("/bin/sh", ["-c", MAKE], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", T, TW, TR, WH: [...opaque, ...whiteouts].join(" "), OP: opaque.join(" "), SUB: sub.join(" ") } }, (e, _out, err) =>
      e ? rej(new Error(`cannot hide the host's private files: ${err || e.message}`)) : res(),
    ),
  );
  for (const p of [...opaque, ...sub]) likeHost(p, T + p);
  // The machine's own shadow files: the host's users, no password of theirs.
  for (const [file, names, lock] of [["/etc/shadow", "/etc/passwd", "*"], ["/etc/gshadow", "/etc/group", "!"]] as const) {
    const text = locked(file, names, lock);
    if (text === undefined) continue;
    writeFileSync(T + file, text);
    likeHost(file, T + file);
  }
  rmSync(TW, { recursive: true, force: true });
  rmSync(TR, { recursive: true, force: true });
  return T;
}
