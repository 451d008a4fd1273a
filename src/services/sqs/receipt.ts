// Receipt handles: opaque to callers, but they name the queue, the message and the receive
// that issued them, so a handle from another queue (or a deleted and recreated one) is
// refused, and FIFO queues can tell a current handle from an expired one.
import { randomBytes } from "node:crypto";

export interface Receipt {
  queueId: number;
  seq: number;
  nonce: string;
}

const PREFIX = "AQEB";

export function newNonce(): string {
  return randomBytes(12).toString("hex");
}

export function encodeReceipt(r: Receipt): string {
  return PREFIX + Buffer.from(`${r.queueId}:${r.seq}:${r.nonce}`, "utf8").toString("base64");
}

export function decodeReceipt(handle: string): Receipt | undefined {
  if (typeof handle !== "string" || !handle.startsWith(PREFIX)) return undefined;
  const text = Buffer.from(handle.slice(PREFIX.length), "base64").toString("utf8");
  const m = /^(\d{1,15}):(\d{1,15}):([0-9a-f]{24})$/.exec(text);
  if (!m) return undefined;
  return { queueId: Number(m[1]), seq: Number(m[2]), nonce: m[3] };
}
