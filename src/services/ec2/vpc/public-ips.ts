// Public IPv4 addresses Nimbus hands out (Elastic IPs now, instances' public IPs later): host
// loopback addresses in 127.64.0.0/10, unique across every account and region of this Nimbus,
// because the host reaches an instance's public IP on that loopback address (DESIGN.md 6).
import { randomInt } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import { ipString, parseIp } from "./cidr.js";
import type { Ec2State } from "./store.js";

const SCOPE = "_public-ips";
const KIND = "public-ip";
const FIRST = parseIp("127.64.0.1")!;
const LAST = parseIp("127.127.255.254")!;

export function allocatePublicIp(s: Ec2State, owner: string): string {
  const registry = s.store.withScope(SCOPE);
  for (let attempt = 0; attempt < 64; attempt++) {
    const ip = ipString(randomInt(FIRST, LAST + 1));
    if (ip.endsWith(".0") || ip.endsWith(".255") || registry.get(KIND, ip)) continue;
    registry.put(KIND, ip, { owner, region: s.region });
    return ip;
  }
  throw new AwsError("InsufficientAddressCapacity", "There are not enough public addresses available.", 500);
}

export function releasePublicIp(s: Ec2State, ip: string): void {
  s.store.withScope(SCOPE).delete(KIND, ip);
}
