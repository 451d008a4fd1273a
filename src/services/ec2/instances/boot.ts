// The boot script a machine runs as root once its root filesystem and network are up: boot
// lines on the console, then at first boot the user data as cloud-init would run it (a `#!`
// script executed as is; `#cloud-config` with write_files, packages and runcmd turned into a
// shell script), its output on the console, then the machine idles.
import { existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { release } from "node:os";
import { API_PORT, DNS_ADDRESS, LINK_LOCAL, type MachineFile } from "../../../core/runtime/driver.js";
import type { InstanceDoc } from "./store.js";
import { parseYaml, type Yaml } from "./yaml.js";

const CLOUD_INIT = "Cloud-init v. 22.2.2";

export function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** User data bytes, gunzipped when gzip-compressed (cloud-init accepts both). */
export function userDataBytes(b64: string | undefined): Buffer | undefined {
  if (!b64) return undefined;
  const raw = Buffer.from(b64, "base64");
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** A #cloud-config document as a shell script (runs as root; $ROOT prefixes nothing in a namespace). */
export function cloudConfigScript(text: string): string {
  let doc: Yaml;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return `echo ${quote(`${CLOUD_INIT}: failed to parse #cloud-config: ${(e as Error).message}`)}\n`;
  }
  const cfg = (doc && typeof doc === "object" && !Array.isArray(doc) ? doc : {}) as Record<string, Yaml>;
  const out: string[] = ["set +e"];
  const list = (v: Yaml | undefined): Yaml[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
  for (const cmd of list(cfg.bootcmd)) out.push(Array.isArray(cmd) ? cmd.map((a) => quote(String(a))).join(" ") : `sh -c ${quote(String(cmd))}`);
  for (const f of list(cfg.write_files)) {
    if (!f || typeof f !== "object" || Array.isArray(f)) continue;
    const path = String(f.path ?? "");
    if (!path) continue;
    let content = Buffer.from(String(f.content ?? ""));
    const enc = String(f.encoding ?? "");
    if (/^(b64|base64)$/.test(enc)) content = Buffer.from(String(f.content ?? ""), "base64");
    else if (/^(gz\+b64|gzip\+base64|gz\+base64|gzip\+b64)$/.test(enc)) content = gunzipSync(Buffer.from(String(f.content ?? ""), "base64"));
    const op = f.append === true ? ">>" : ">";
    out.push(`mkdir -p "$(dirname ${quote(path)})" && printf '%s' ${quote(content.toString("base64"))} | base64 -d ${op} ${quote(path)}`);
    out.push(`chmod ${quote(String(f.permissions ?? "0644"))} ${quote(path)}`);
    if (f.owner) out.push(`chown ${quote(String(f.owner))} ${quote(path)} 2>/dev/null`);
  }
  const packages = list(cfg.packages).map((p) => (Array.isArray(p) ? p.join("=") : String(p)));
  if (cfg.package_update === true || cfg.package_upgrade === true || packages.length) {
    // apt needs a route out, which only a network with outbound access has (GAPS.md).
    out.push(
      `if command -v apt-get >/dev/null && timeout 5 apt-get update -qq >/dev/null 2>&1; then` +
        (packages.length ? ` DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.map(quote).join(" ")};` : " true;") +
        ` else echo ${quote(`${CLOUD_INIT}: package installation skipped: the package repositories are not reachable (${packages.join(" ")})`)}; fi`,
    );
  }
  for (const cmd of list(cfg.runcmd)) out.push(Array.isArray(cmd) ? cmd.map((a) => quote(String(a))).join(" ") : `sh -c ${quote(String(cmd))}`);
  return out.join("\n") + "\n";
}

/** Where the instance finds sshd: the host's /usr is the instance's. */
const SSHD = "/usr/sbin/sshd";

/**
 * sshd as cloud-init and the image's own services would run it, as a background job so user data
 * does not wait for it. At first boot: the image's default user (if the image has none), the
 * key pair's public key in its ~/.ssh/authorized_keys, sudo without password, no password
 * logins, and host keys of the instance's own (the host's, seen through the lower layer, are
 * removed first): ed25519 and ECDSA, not RSA (a 3072-bit key costs seconds of CPU, which the
 * instance's cgroup takes from every other launch whatever its nice level; GAPS.md); the
 * fingerprints go to the console as cloud-init prints them. At later boots sshd starts on the
 * keys already made (or the setup runs again if the first boot's never finished).
 */
function sshdScript(d: InstanceDoc, firstBoot: boolean): { lines: string[]; files: MachineFile[] } {
  const marker = `/var/lib/cloud/instance/sshd-host-keys`;
  const setup = "/var/lib/cloud/instance/scripts/sshd-setup";
  const start = `mkdir -p /run/sshd && chmod 0755 /run/sshd && ${SSHD}`;
  // Below user data's priority (both are in the instance's cgroup, where nice applies); sshd itself at the usual one.
  const setupThenStart = `(nice -n 10 /bin/sh ${setup}; ${start}) &`;
  // A later boot starts sshd on the keys made; a first boot cut short before its setup finished
  // (the server stopped or killed meanwhile: no marker) runs the setup again, which is idempotent.
  if (!firstBoot) return { lines: [`[ -z "$ROOT" ] && if [ -f ${marker} ]; then (${start}) & elif [ -f ${setup} ]; then ${setupThenStart} fi`], files: [] };
  const user = d.loginUser ?? "ec2-user";
  const u = quote(user);
  const home = `/home/${user}`;
  const job = [
    // It edits /etc and /home as root: never where the process driver runs scripts on the host itself.
    `[ -z "\${NIMBUS_ROOT:-}" ] || exit 0`,
    `G=$(grep -oE '^(adm|sudo|wheel):' /etc/group | tr -d : | paste -sd,)`,
    `id -u ${u} >/dev/null 2>&1 || useradd -m -U -s /bin/bash -c ${quote(user)} \${G:+-G "$G"} ${u}`,
    `mkdir -p /etc/sudoers.d && printf '%s\n' ${quote(`${user} ALL=(ALL) NOPASSWD:ALL`)} > /etc/sudoers.d/90-cloud-init-users && chmod 0440 /etc/sudoers.d/90-cloud-init-users`,
    `install -d -m 0700 -o ${u} -g "$(id -g ${u})" ${quote(home + "/.ssh")}`,
    `grep -qxF -e ${quote(d.publicKey ?? "")} ${quote(home + "/.ssh/authorized_keys")} 2>/dev/null || printf '%s\n' ${quote(d.publicKey ?? "")} >> ${quote(home + "/.ssh/authorized_keys")}`,
    `chown ${u}:"$(id -g ${u})" ${quote(home + "/.ssh/authorized_keys")} && chmod 0600 ${quote(home + "/.ssh/authorized_keys")}`,
    `mkdir -p /etc/ssh/sshd_config.d && echo 'PasswordAuthentication no' > /etc/ssh/sshd_config.d/60-cloudimg-settings.conf`,
    `rm -f /etc/ssh/ssh_host_*`,
    `ssh-keygen -q -t ed25519 -N '' -C "root@$(hostname)" -f /etc/ssh/ssh_host_ed25519_key`,
    `ssh-keygen -q -t ecdsa -N '' -C "root@$(hostname)" -f /etc/ssh/ssh_host_ecdsa_key`,
    // sshd's defaults name the RSA key too: only the two made are offered.
    `printf 'HostKey /etc/ssh/ssh_host_ecdsa_key\nHostKey /etc/ssh/ssh_host_ed25519_key\n' > /etc/ssh/sshd_config.d/50-nimbus-host-keys.conf`,
    `true > ${marker}`,
    `echo "${CLOUD_INIT}: ssh host keys generated"`,
    `echo "ec2: #############################################################"`,
    `echo "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----"`,
    `for k in ecdsa ed25519; do ssh-keygen -l -f /etc/ssh/ssh_host_\${k}_key.pub | sed 's/^/ec2: /'; done`,
    `echo "ec2: -----END SSH HOST KEY FINGERPRINTS-----"`,
    `echo "ec2: #############################################################"`,
    `echo "-----BEGIN SSH HOST KEY KEYS-----"`,
    `for k in ecdsa ed25519; do cut -d' ' -f1,2 /etc/ssh/ssh_host_\${k}_key.pub; done`,
    `echo "-----END SSH HOST KEY KEYS-----"`,
  ];
  return {
    lines: [`[ -z "$ROOT" ] && ${setupThenStart}`],
    files: [{ path: setup, content: job.join("\n") + "\n", mode: 0o700 }],
  };
}

export interface BootOptions {
  firstBoot: boolean;
  region: string;
  /** Nimbus time now, for the console's timestamps. */
  now: number;
}

function stamp(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

/**
 * The boot script and the files the instance finds in place (written into its disk before it
 * boots, as cloud-init's datasource would have fetched them): identity files, the SDK
 * environment, and at first boot the user data and the script made of it.
 */
export function bootPlan(d: InstanceDoc, opts: BootOptions): { boot: string; files: MachineFile[] } {
  const host = `ip-${d.PrivateIpAddress.replace(/\./g, "-")}`;
  const env = `AWS_REGION=${opts.region} AWS_DEFAULT_REGION=${opts.region} AWS_ENDPOINT_URL=http://${LINK_LOCAL}:${API_PORT}`;
  const files: MachineFile[] = [
    { path: "/etc/hostname", content: `${host}\n` },
    { path: "/etc/hosts", content: `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n${d.PrivateIpAddress} ${d.PrivateDnsName} ${host}\n` },
    { path: "/etc/resolv.conf", content: `nameserver ${DNS_ADDRESS}\nsearch ${d.PrivateDnsName!.slice(host.length + 1)}\n` },
    { path: "/etc/profile.d/nimbus-aws.sh", content: `export ${env}\n` },
    { path: "/var/lib/cloud/data/instance-id", content: `${d.InstanceId}\n` },
    { path: "/var/lib/cloud/instance/datasource", content: "DataSourceEc2Local: DataSourceEc2Local\n" },
  ];
  const part = `"$ROOT/var/lib/cloud/instance/scripts/part-001"`;
  const lines: string[] = [
    `#!/bin/sh`,
    `ROOT="\${NIMBUS_ROOT:-}"`,
    `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8`,
    // What an SDK in the instance needs to reach Nimbus: the endpoint through the hub, the region.
    `export ${env}`,
    `echo "[    0.000000] Linux version ${release()} (Nimbus instance ${d.InstanceId}, ${d.InstanceType})"`,
    `echo "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=LABEL=/ ro console=tty0 console=ttyS0,115200n8"`,
    `echo "${CLOUD_INIT} running 'init' at ${stamp(opts.now)}. Up 0.10 seconds."`,
    `echo "ci-info: | eth0 | True | ${d.PrivateIpAddress} | ${d.mac} |"`,
    // Services the user installed start at every boot through /etc/rc.local (there is no init system).
    `[ -z "$ROOT" ] && [ -x /etc/rc.local ] && /etc/rc.local`,
  ];
  // sshd where the host has it and the instance has a key pair (or had one at its first boot).
  if (existsSync(SSHD) && (d.publicKey || !opts.firstBoot)) {
    const sshd = sshdScript(d, opts.firstBoot);
    lines.push(...sshd.lines);
    files.push(...sshd.files);
  }
  if (opts.firstBoot) {
    const data = userDataBytes(d.userData);
    const text = data?.toString("utf8") ?? "";
    if (data) files.push({ path: "/var/lib/cloud/instance/user-data.txt", content: data, mode: 0o600 });
    if (text.startsWith("#!")) {
      files.push({ path: "/var/lib/cloud/instance/scripts/part-001", content: data!, mode: 0o700 });
      lines.push(`${part}`);
      lines.push(`rc=$?; [ $rc -eq 0 ] || echo "${CLOUD_INIT}: scripts-user: part-001 failed with exit code $rc"`);
    } else if (text.startsWith("#cloud-config")) {
      files.push({ path: "/var/lib/cloud/instance/scripts/part-001", content: cloudConfigScript(text), mode: 0o700 });
      lines.push(`/bin/sh ${part}`);
    } else if (data && text.trim() !== "") {
      lines.push(`echo "${CLOUD_INIT}: Unhandled non-multipart (text/x-not-multipart) userdata"`);
    }
    // `true`, not `:`: a failed redirection on a special builtin would end the shell.
    lines.push(`true > "$ROOT/var/lib/cloud/instance/boot-finished"`);
  }
  lines.push(`echo "${CLOUD_INIT} finished at $(date -u '+%a, %d %b %Y %H:%M:%S +0000'). Datasource DataSourceEc2Local.  Up 1.00 seconds"`);
  // The machine idles here; \`exec\` keeps no shell around (PID 1 of the instance).
  lines.push(`exec sleep infinity`);
  return { boot: lines.join("\n") + "\n", files };
}
