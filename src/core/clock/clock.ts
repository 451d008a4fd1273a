// The only source of time in Nimbus. Real time plus an offset the user can advance
// (POST /_nimbus/clock {"advance":"P30D"}), so lifecycle rules, alarm periods, TTLs and
// visibility timeouts can be tested in seconds. Never read Date.now() elsewhere.
import { randomUUID } from "node:crypto";

export type ClockListener = (offsetMs: number) => void;

export class Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<ClockListener>();

  /** Milliseconds since the epoch, Nimbus time. */
  now(): number {
    return Date.now() + this.offsetMs;
  }
  date(): Date {
    return new Date(this.now());
  }
  offset(): number {
    return this.offsetMs;
  }
  /** Moves Nimbus time forward; time never goes back. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("the clock only moves forward");
    this.offsetMs += ms;
    for (const l of this.listeners) l(this.offsetMs);
  }
  /** Restores an offset recorded earlier (state import / restart). */
  setOffset(ms: number): void {
    this.offsetMs = ms;
  }
  /** Called after every advance, so background workers can run what became due. */
  onAdvance(listener: ClockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO-8601 duration (P30D, PT1H30M, P1W) to milliseconds; months and years are refused as ambiguous. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m || text === "P" || text.endsWith("T")) throw new RangeError(`not an ISO-8601 duration of weeks/days/hours/minutes/seconds: ${text}`);
  const [w, d, h, min, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/**
 * AWS-looking request id (uuid v4 shape: version nibble 4, variant 8-b), unique per process and
 * unpredictable across processes. randomUUID builds its 36 characters from 20 concatenations
 * (~580 bytes per id amortized, counted by heap sampling of the GetItem replay); here the first
 * 24 characters are a random uuid's, drawn once per 65,536 ids, and the last 12 hex digits are
 * a 16-bit and a 32-bit group: the 32-bit group is base + n * K modulo 2^32 for
 * n = 0..65535 (K odd, so all distinct within a prefix), the 16-bit one moves with n too. The
 * groups are integer arithmetic written as character codes into the id's 36 codes, made into
 * one flat string by one String.fromCharCode: a 48-bit double's toString(16) (V8's radix
 * conversion of a double) cost ~1 µs per id, and concatenated pieces are a chain of cons
 * strings that a header write flattens again. Not for secrets or tokens: `uuid` stays randomUUID.
 */
const ID_BATCH = 0x10000;
const ID_STEP = 0x9e3779b1 | 0;
const ID_STEP_HI = 0x85eb;
const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
/** The id's character codes: the batch's prefix, then the 12 digits written per id. */
const idCodes: number[] = new Array<number>(36).fill(0x30);
let idHi = 0;
let idLo = 0;
let idN = ID_BATCH;
export function requestId(): string {
  if (idN === ID_BATCH) {
    const fresh = randomUUID();
    for (let i = 0; i < 24; i++) idCodes[i] = fresh.charCodeAt(i);
    idHi = parseInt(fresh.slice(24, 28), 16);
    idLo = parseInt(fresh.slice(28), 16);
    idN = 0;
  }
  const n = idN++;
  const hi = (idHi + Math.imul(n, ID_STEP_HI)) & 0xffff;
  const lo = (idLo + Math.imul(n, ID_STEP)) >>> 0;
  for (let i = 0; i < 4; i++) idCodes[24 + i] = HEX_CODES[(hi >>> (12 - 4 * i)) & 15]!;
  for (let i = 0; i < 8; i++) idCodes[28 + i] = HEX_CODES[(lo >>> (28 - 4 * i)) & 15]!;
  return String.fromCharCode.apply(null, idCodes);
}

/** A random uuid v4 (identifiers and tokens that must not be guessable from another). */
export function uuid(): string {
  return randomUUID();
}
