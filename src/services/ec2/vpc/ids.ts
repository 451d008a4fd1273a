// AWS-shaped resource ids: a prefix and 17 lower-case hex digits (the long ids AWS has used
// since 2018). Older 8-digit ids are still accepted as well-formed, as AWS accepts them.
import { randomBytes } from "node:crypto";

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString("hex").slice(0, 17)}`;
}

const shapes = new Map<string, RegExp>();

/** True when `id` looks like an id of this prefix (8 or 17 hex digits). */
export function wellFormed(prefix: string, id: string): boolean {
  let re = shapes.get(prefix);
  if (!re) {
    re = new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);
    shapes.set(prefix, re);
  }
  return re.test(id);
}

/** A locally administered unicast MAC address, as EC2 gives network interfaces. */
export function newMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0] & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
