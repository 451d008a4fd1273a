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

/** AWS-looking request id (uuid v4); randomUUID draws from a cached entropy pool, so it is cheap per request. */
export function requestId(): string {
  return randomUUID();
}

export const uuid = requestId;
