// What the CloudWatch handlers share: AWS's unit list, error constructors with AWS's wording,
// and a collector that joins several validation messages the way AWS does (one per line).
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { MetricStore } from "../store.js";

/** StandardUnit, in the order AWS lists it in its error messages. */
export const UNITS = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
] as const;

const UNIT_SET = new Set<string>(UNITS);

export function isUnit(u: string): boolean {
  return UNIT_SET.has(u);
}

export function unitSetMessage(param: string): string {
  return `The parameter ${param} must be a value in the set [ ${UNITS.join(", ")} ].`;
}

/** Model error shape names; protocols map them to the query codes (InvalidParameterValue ...). */
export const E = {
  invalidValue: (msg: string) => new AwsError("InvalidParameterValueException", msg),
  invalidCombination: (msg: string) => new AwsError("InvalidParameterCombinationException", msg),
  missing: (msg: string) => new AwsError("MissingRequiredParameterException", msg),
  validation: (msg: string) => new AwsError("ValidationException", msg),
  invalidNextToken: (msg: string) => new AwsError("InvalidNextToken", msg),
};

type ErrorCode = "InvalidParameterValueException" | "InvalidParameterCombinationException" | "MissingRequiredParameterException" | "ValidationException";

/**
 * Collects validation failures; AWS reports every failure of the first kind it meets, one per
 * line ("The parameter MetricData.member.1.Unit must be ...\nThe parameter MetricData.member.2.Unit ...").
 */
export class Problems {
  private readonly items: Array<{ code: ErrorCode; message: string }> = [];

  add(code: ErrorCode, message: string): void {
    this.items.push({ code, message });
  }
  invalid(message: string): void {
    this.add("InvalidParameterValueException", message);
  }
  get size(): number {
    return this.items.length;
  }
  throwIfAny(): void {
    if (this.items.length === 0) return;
    const code = this.items[0].code;
    throw new AwsError(code, this.items.filter((i) => i.code === code).map((i) => i.message).join("\n"));
  }
}

export function metricStore(ctx: RequestContext): MetricStore {
  return new MetricStore(ctx.db, ctx.accountId, ctx.region);
}

/** AWS writes doubles the Java way in its messages: NaN, Infinity, -Infinity. */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return String(v);
}

/** Accepts numbers as the protocols hand them over (number; a "NaN"/"Infinity" string from JSON). */
export function toNumber(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    const n = Number(v);
    return Number.isNaN(n) ? NaN : n;
  }
  return NaN;
}

export function toMillis(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number") return v * 1000;
  if (typeof v === "string") {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Opaque pagination tokens: base64url JSON, tied to the request they continue. */
export function encodeToken(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

export function decodeToken<T>(token: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    return undefined;
  }
}
