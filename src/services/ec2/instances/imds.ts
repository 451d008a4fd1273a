// The instance metadata service as an instance sees it at http://169.254.169.254 (the hub
// passes each connection's socket to the server, tagged with the instance's private address):
// IMDSv2 session tokens (PUT /latest/api/token with a TTL, then X-aws-ec2-metadata-token), IMDSv1
// unless HttpTokens is required (401 then), and the usual tree of meta-data, user-data and the
// instance identity document. Credentials under iam/security-credentials/<role> are the
// instance profile role's, from STS AssumeRole as ec2.amazonaws.com, refreshed before expiry.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type { Principal } from "../../../core/service.js";
import type { Fleet } from "./fleet.js";
import { userDataBytes } from "./boot.js";
import { INSTANCE_KIND, type InstanceDoc } from "./store.js";
import { KIND, type SgDoc } from "../vpc/store.js";

export type ImdsTokens = Map<string, { instanceId: string; expires: number }>;

const EC2_PRINCIPAL = (accountId: string): Principal => ({ type: "anonymous", accountId, arn: "ec2.amazonaws.com", userId: "ec2.amazonaws.com" });

interface Creds {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  Expiration: string;
  LastUpdated: string;
}

const servers = new WeakMap<Fleet, Server>();
const credCache = new Map<string, Creds>();

export function serveImds(fleet: Fleet, scope: string, instanceId: string, socket: Socket): void {
  let srv = servers.get(fleet);
  if (!srv) {
    srv = createServer((req, res) => {
      const tag = (req.socket as Socket & { nimbus?: { scope: string; id: string } }).nimbus!;
      handle(fleet, tag.scope, tag.id, req, res).catch((e) => send(res, 500, `Internal error: ${(e as Error).message}`));
    });
    servers.set(fleet, srv);
  }
  (socket as Socket & { nimbus?: { scope: string; id: string } }).nimbus = { scope, id: instanceId };
  srv.emit("connection", socket);
  socket.resume();
}

function send(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), Server: "EC2ws" });
  res.end(body);
}

const NOT_FOUND = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
	"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>
`;

async function handle(fleet: Fleet, scope: string, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const s = fleet.state(scope);
  const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
  if (!d) return send(res, 404, NOT_FOUND, "text/html");
  const opts = d.MetadataOptions ?? {};
  if (opts.HttpEndpoint === "disabled") return send(res, 403, "Forbidden");
  const now = fleet.rt.clock.now();
  const path = (req.url ?? "/").split("?")[0];

  // 1. IMDSv2 session tokens.
  if (path === "/latest/api/token") {
    if (req.method !== "PUT") return send(res, 405, "Method Not Allowed");
    if (req.headers["x-forwarded-for"]) return send(res, 403, "Forbidden");
    const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(res, 400, "Bad Request");
    const token = randomBytes(40).toString("base64");
    fleet.tokens.set(token, { instanceId: id, expires: now + ttl * 1000 });
    res.setHeader("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", String(ttl));
    return send(res, 200, token);
  }
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "Method Not Allowed");
  const given = req.headers["x-aws-ec2-metadata-token"];
  if (given !== undefined) {
    const t = fleet.tokens.get(String(given));
    if (!t || t.instanceId !== id || t.expires < now) return send(res, 401, "Unauthorized");
  } else if (opts.HttpTokens === "required") return send(res, 401, "Unauthorized");

  // 2. The tree.
  const value = await lookup(fleet, s.region, d, path.replace(/\/+$/, ""), () => s.all<SgDoc>(KIND.sg));
  if (value === undefined) return send(res, 404, NOT_FOUND, "text/html");
  return send(res, 200, value, value.startsWith("{") ? "application/json" : "text/plain");
}

function dir(entries: Array<string | undefined>): string {
  return entries.filter((e): e is string => !!e).join("\n");
}

async function lookup(fleet: Fleet, region: string, d: InstanceDoc, path: string, groups: () => SgDoc[]): Promise<string | undefined> {
  const az = d.Placement?.AvailabilityZone ?? `${region}a`;
  const mac = d.mac ?? "";
  const hostname = d.PrivateDnsName ?? "";
  const tagsOn = d.MetadataOptions?.InstanceMetadataTags === "enabled";
  const role = d.roleName;
  if (path === "/" || path === "") return dir(["latest"]);
  if (path === "/latest" || path === "/latest/") return dir(["dynamic", "meta-data", "user-data"]);
  if (path === "/latest/user-data") {
    const data = userDataBytes(d.userData);
    return data ? data.toString("utf8") : undefined;
  }
  if (path === "/latest/dynamic" || path === "/latest/dynamic/") return dir(["instance-identity/"]);
  if (path === "/latest/dynamic/instance-identity" || path === "/latest/dynamic/instance-identity/") return dir(["document", "pkcs7", "signature"]);
  if (path === "/latest/dynamic/instance-identity/document") {
    return JSON.stringify(
      {
        accountId: d.ownerId,
        architecture: d.Architecture ?? "x86_64",
        availabilityZone: az,
        billingProducts: null,
        devpayProductCodes: null,
        marketplaceProductCodes: null,
        imageId: d.ImageId,
        instanceId: d.InstanceId,
        instanceType: d.InstanceType,
        kernelId: null,
        pendingTime: d.launchTime.replace(/\.\d+Z$/, "Z"),
        privateIp: d.PrivateIpAddress,
        ramdiskId: null,
        region,
        version: "2017-09-30",
      },
      null,
      2,
    );
  }
  const base = "/latest/meta-data";
  if (!path.startsWith(base)) return undefined;
  const p = path.slice(base.length).replace(/^\//, "");
  const sgNames = (d.SecurityGroups ?? []).map((g) => g.GroupName!);
  const flat: Record<string, string | undefined> = {
    "ami-id": d.ImageId,
    "ami-launch-index": String(d.AmiLaunchIndex ?? 0),
    "ami-manifest-path": "(unknown)",
    hostname,
    "instance-action": "none",
    "instance-id": d.InstanceId,
    "instance-life-cycle": d.InstanceLifecycle === "spot" ? "spot" : "on-demand",
    "instance-type": d.InstanceType,
    "local-hostname": hostname,
    "local-ipv4": d.PrivateIpAddress,
    mac,
    "public-hostname": d.PublicIpAddress ? d.PublicDnsName : undefined,
    "public-ipv4": d.PublicIpAddress,
    "public-keys/0/openssh-key": d.publicKey ? `${d.publicKey}\n` : undefined,
    "reservation-id": d.reservationId,
    "security-groups": sgNames.join("\n"),
    "placement/availability-zone": az,
    "placement/availability-zone-id": d.Placement?.AvailabilityZoneId ?? undefined,
    "placement/region": region,
    "services/domain": "amazonaws.com",
    "services/partition": "aws",
  };
  if (p === "") {
    return dir([
      "ami-id", "ami-launch-index", "ami-manifest-path", "block-device-mapping/", "events/", "hostname", role ? "iam/" : undefined, "instance-action", "instance-id",
      "instance-life-cycle", "instance-type", "local-hostname", "local-ipv4", "mac", "metrics/", "network/", "placement/", d.PublicIpAddress ? "public-hostname" : undefined,
      d.PublicIpAddress ? "public-ipv4" : undefined, d.publicKey ? "public-keys/" : undefined, "reservation-id", "security-groups", "services/", d.spotAction ? "spot/" : undefined, tagsOn ? "tags/" : undefined,
    ]);
  }
  if (p in flat) return flat[p];
  if (p === "placement") return dir(["availability-zone", "availability-zone-id", "region"]);
  if (d.publicKey && p === "public-keys") return `0=${d.KeyName ?? ""}`;
  if (d.publicKey && p === "public-keys/0") return dir(["openssh-key"]);
  if (p === "services") return dir(["domain", "partition"]);
  if (p === "block-device-mapping") return dir(["ami", "root"]);
  if (p === "block-device-mapping/ami") return d.RootDeviceName?.replace("/dev/", "") ?? "xvda";
  if (p === "block-device-mapping/root") return d.RootDeviceName ?? "/dev/xvda";
  if (p === "events") return dir(["maintenance/"]);
  if (p === "events/maintenance") return dir(["history", "scheduled"]);
  if (p === "events/maintenance/history" || p === "events/maintenance/scheduled") return "[]";
  // Network interfaces by MAC.
  const macBase = `network/interfaces/macs/${mac}`;
  if (p === "network") return dir(["interfaces/"]);
  if (p === "network/interfaces") return dir(["macs/"]);
  if (p === "network/interfaces/macs") return dir([`${mac}/`]);
  if (p.startsWith(macBase)) {
    const sub = p.slice(macBase.length).replace(/^\//, "");
    const subnetCidr = undefined;
    const m: Record<string, string | undefined> = {
      "device-number": "0",
      "interface-id": d.eniId,
      "local-hostname": hostname,
      "local-ipv4s": d.PrivateIpAddress,
      mac,
      "owner-id": d.ownerId,
      "public-hostname": d.PublicIpAddress ? d.PublicDnsName : undefined,
      "public-ipv4s": d.PublicIpAddress,
      "security-group-ids": (d.SecurityGroups ?? []).map((g) => g.GroupId!).join("\n"),
      "security-groups": sgNames.join("\n"),
      "subnet-id": d.SubnetId,
      "subnet-ipv4-cidr-block": subnetCidr,
      "vpc-id": d.VpcId,
    };
    if (sub === "") return dir(Object.keys(m).filter((k) => m[k] !== undefined));
    return m[sub];
  }
  // Tags, when the instance allows them in metadata.
  if (p === "tags" && tagsOn) return dir(["instance"]);
  if (p === "tags/instance" && tagsOn) return dir((d.Tags ?? []).map((t) => t.Key!));
  if (p.startsWith("tags/instance/") && tagsOn) return d.Tags?.find((t) => t.Key === p.slice("tags/instance/".length))?.Value;
  // Spot interruption notice.
  if (p === "spot" && d.spotAction) return dir(["instance-action", "termination-time"]);
  if (p === "spot/instance-action" && d.spotAction) return JSON.stringify(d.spotAction);
  if (p === "spot/termination-time" && d.spotAction) return d.spotAction.time;
  // IAM.
  if (role) {
    if (p === "iam") return dir(["info", "security-credentials/"]);
    if (p === "iam/security-credentials") return role;
    if (p === "iam/info") {
      return JSON.stringify(
        { Code: "Success", LastUpdated: new Date(fleet.rt.clock.now()).toISOString().replace(/\.\d+Z$/, "Z"), InstanceProfileArn: d.IamInstanceProfile?.Arn, InstanceProfileId: d.IamInstanceProfile?.Id },
        null,
        2,
      );
    }
    if (p === `iam/security-credentials/${role}`) {
      const c = await credentials(fleet, region, d);
      if (!c) return undefined;
      return JSON.stringify({ Code: "Success", LastUpdated: c.LastUpdated, Type: "AWS-HMAC", AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, Token: c.Token, Expiration: c.Expiration }, null, 2);
    }
  }
  void groups;
  return undefined;
}

async function credentials(fleet: Fleet, region: string, d: InstanceDoc): Promise<Creds | undefined> {
  const now = fleet.rt.clock.now();
  const cached = credCache.get(d.InstanceId);
  // AWS refreshes at least five minutes before expiry.
  if (cached && Date.parse(cached.Expiration) - now > 5 * 60_000) return cached;
  const out = await fleet.rt.client.call<{ Credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date | string } }>(
    "sts",
    "AssumeRole",
    { RoleArn: d.roleArn, RoleSessionName: d.InstanceId, DurationSeconds: 3600 },
    { accountId: d.ownerId, region, principal: EC2_PRINCIPAL(d.ownerId) },
  );
  if (!out.Credentials) return undefined;
  const iso = (t: Date | string) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
  const c: Creds = {
    AccessKeyId: out.Credentials.AccessKeyId,
    SecretAccessKey: out.Credentials.SecretAccessKey,
    Token: out.Credentials.SessionToken,
    Expiration: iso(out.Credentials.Expiration),
    LastUpdated: iso(new Date(now)),
  };
  credCache.set(d.InstanceId, c);
  return c;
}
