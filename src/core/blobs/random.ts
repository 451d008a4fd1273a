// Random bytes for ids and IVs, taken from a pool refilled 4 KiB at a time: a randomBytes() call
// per blob id or IV costs more than the rest of a small write's id work (bench/s3.mjs), as
// Node's own randomUUID() found. Every byte comes from the CSPRNG and is handed out once.
import { randomFillSync } from "node:crypto";

const pool = Buffer.alloc(4096);
let used = pool.length;

function reserve(n: number): number {
  if (n > pool.length) throw new RangeError(`random pool: ${n} bytes asked, at most ${pool.length}`);
  if (used + n > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += n;
  return at;
}

/** n random bytes in a buffer of their own. */
export function randomPooled(n: number): Buffer {
  const at = reserve(n);
  return Buffer.from(pool.subarray(at, at + n));
}

/** n random bytes as 2n hex digits. */
export function randomHexPooled(n: number): string {
  const at = reserve(n);
  return pool.toString("hex", at, at + n);
}
