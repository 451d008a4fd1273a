// Timestamp formats of the AWS protocols. The member's timestampFormat trait wins; otherwise
// each protocol/location has a default: JSON bodies epoch-seconds, XML/query bodies
// date-time, HTTP headers http-date, query strings and labels date-time.
import { AwsError } from "../../errors.js";

export type TimestampFormat = "date-time" | "http-date" | "epoch-seconds";

export function formatTimestamp(d: Date, format: TimestampFormat): string | number {
  switch (format) {
    case "epoch-seconds":
      return d.getTime() / 1000;
    case "http-date":
      return httpDate(d);
    case "date-time":
      // AWS writes milliseconds only when they are non-zero in most services; the SDKs
      // accept both, so keep full precision.
      return d.toISOString();
  }
}

/**
 * The last http-date written, by whole second: an HTTP date has no finer unit, and a busy
 * object's Last-Modified (or a burst of answers' dates) repeats it. toUTCString cost ~1.5% of a
 * 4 KiB GetObject.
 */
let lastHttpSecond = NaN;
let lastHttpDate = "";
function httpDate(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastHttpSecond) {
    lastHttpDate = d.toUTCString();
    // NaN (an invalid Date) never equals itself, so "Invalid Date" is never served from here.
    lastHttpSecond = second;
  }
  return lastHttpDate;
}

/** Parses any of the three formats (clients are lenient, so are we), else throws a SerializationException-ish error via `onError`. */
export function parseTimestamp(value: unknown, where: string): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value * 1000);
  if (typeof value === "string") {
    const t = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(t)) return new Date(Number(t) * 1000);
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new AwsError("SerializationException", `Invalid timestamp for ${where}: ${String(value).slice(0, 64)}`, 400);
}
