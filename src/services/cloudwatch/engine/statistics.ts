// CloudWatch statistics, pure: parse a statistic name (Sum, p99.9, tm90, TM(10%:90%), PR(:300),
// IQM ...), aggregate stored samples into period buckets, compute a statistic over a bucket.
//
// Percentiles follow AWS's own model rather than textbook nearest-rank: CloudWatch keeps each
// period's values in a log-scale histogram (bins [1.1^i, 1.1^(i+1)), clipped to the period's
// minimum and maximum, plus one bin for zeros) and answers pN by walking the bins to rank
// N/100 * SampleCount and interpolating geometrically inside the bin it lands in. That is why
// AWS answers p99 = 5.977... for integer data whose maximum is 6, where nearest-rank would say
// 6. p0 is the minimum, p100 the maximum, and a period whose values are all equal answers that
// value exactly. Percentiles are unavailable when the period holds a negative value or a
// statistic set that is not reducible to raw values (SampleCount 1, or Minimum = Maximum).
// See GAPS.md ("Percentiles") for where the model comes from and its known limits.
//
// Trimmed statistics (TM, WM, TC, TS, PR, IQM) are computed exactly over the raw weighted values
// (see GAPS.md: AWS derives them from the same histogram, so they can differ in the last digits).

export const BASIC_STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
export type BasicStatistic = (typeof BASIC_STATISTICS)[number];

export type StatSpec =
  | { kind: "basic"; name: string; stat: BasicStatistic }
  | { kind: "p"; name: string; p: number }
  /** Trimmed mean/sum/count and winsorized mean. percent: bounds are ranks in %, else values. */
  | { kind: "TM" | "TS" | "TC" | "WM"; name: string; percent: boolean; low?: number; high?: number }
  | { kind: "PR"; name: string; low?: number; high?: number };

const NUM = "(\\d+(?:\\.\\d{1,10})?)";
const P_RE = new RegExp(`^p${NUM}$`);
const SHORT_RE = new RegExp(`^(tm|wm|tc|ts)${NUM}$`);
const RANGE_RE = /^(tm|wm|tc|ts|pr)\(([^:()]*):([^:()]*)\)$/i;
const BOUND_RE = /^(-?\d+(?:\.\d{1,10})?)(%?)$/;

export function isBasicStatistic(name: string): name is BasicStatistic {
  return (BASIC_STATISTICS as readonly string[]).includes(name);
}

/** Parses any statistic CloudWatch accepts in MetricStat.Stat / ExtendedStatistics; undefined if invalid. */
export function parseStat(name: string): StatSpec | undefined {
  if (isBasicStatistic(name)) return { kind: "basic", name, stat: name };
  if (name === "IQM") return { kind: "TM", name, percent: true, low: 25, high: 75 };
  let m = P_RE.exec(name);
  if (m) {
    const p = Number(m[1]);
    return p <= 100 ? { kind: "p", name, p } : undefined;
  }
  m = SHORT_RE.exec(name);
  if (m) {
    const high = Number(m[2]);
    if (high <= 0 || high > 100) return undefined;
    return { kind: m[1].toUpperCase() as "TM" | "WM" | "TC" | "TS", name, percent: true, high };
  }
  m = RANGE_RE.exec(name);
  if (!m) return undefined;
  const kind = m[1].toUpperCase() as "TM" | "WM" | "TC" | "TS" | "PR";
  const sides = [m[2].trim(), m[3].trim()];
  if (sides[0] === "" && sides[1] === "") return undefined;
  const bounds: Array<{ v: number; pct: boolean } | undefined> = [];
  for (const s of sides) {
    if (s === "") {
      bounds.push(undefined);
      continue;
    }
    const b = BOUND_RE.exec(s);
    if (!b) return undefined;
    bounds.push({ v: Number(b[1]), pct: b[2] === "%" });
  }
  const present = bounds.filter((b): b is { v: number; pct: boolean } => b !== undefined);
  const percent = present[0].pct;
  if (present.some((b) => b.pct !== percent)) return undefined;
  if (percent && (kind === "PR" || present.some((b) => b.v < 0 || b.v > 100))) return undefined;
  const low = bounds[0]?.v;
  const high = bounds[1]?.v;
  if (low !== undefined && high !== undefined && low > high) return undefined;
  if (kind === "PR") return { kind, name, low, high };
  return { kind, name, percent, low, high };
}

/** One stored datapoint as the engine sees it (a PutMetricData datum or a service metric event). */
export interface Sample {
  /** Milliseconds since the epoch. */
  ts: number;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Raw values with weights, when known (Value, Values+Counts); undefined for a statistic set. */
  dist?: ReadonlyArray<readonly [number, number]>;
}

export interface Bucket {
  /** Bucket start, milliseconds since the epoch. */
  start: number;
  /** The unit of the bucket's data (only set when aggregating by unit). */
  unit?: string;
  units: Set<string>;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Raw weighted values of the bucket. */
  values: Array<[number, number]>;
  /** A statistic set that cannot be reduced to raw values took part: no percentiles. */
  incomplete: boolean;
}

/** The raw values a sample stands for, or undefined when only its summary is known. */
export function rawValues(s: Sample): ReadonlyArray<readonly [number, number]> | undefined {
  if (s.dist) return s.dist;
  if (s.count === 1 && s.sum >= s.min && s.sum <= s.max) return [[s.sum, 1]];
  if (s.min === s.max && s.sum === s.min * s.count) return [[s.min, s.count]];
  return undefined;
}

export interface AggregateOptions {
  /** Aligned start of the first bucket (ms). */
  start: number;
  /** Exclusive end (ms). */
  end: number;
  periodMs: number;
  /** One bucket per (period, unit) as GetMetricStatistics answers without Unit; else units merge. */
  byUnit: boolean;
}

/** Groups samples into period buckets aligned on `start`; buckets come out in ascending time (then unit) order. */
export function aggregate(samples: Iterable<Sample>, opts: AggregateOptions): Bucket[] {
  const buckets = new Map<string, Bucket>();
  for (const s of samples) {
    if (s.ts < opts.start || s.ts >= opts.end) continue;
    const start = opts.start + Math.floor((s.ts - opts.start) / opts.periodMs) * opts.periodMs;
    const key = opts.byUnit ? `${start}\u0000${s.unit}` : String(start);
    let b = buckets.get(key);
    if (!b) {
      b = { start, units: new Set(), count: 0, sum: 0, min: Infinity, max: -Infinity, values: [], incomplete: false };
      if (opts.byUnit) b.unit = s.unit;
      buckets.set(key, b);
    }
    addSample(b, s);
  }
  return [...buckets.values()].sort((a, b) => a.start - b.start || (a.unit ?? "").localeCompare(b.unit ?? ""));
}

export function addSample(b: Bucket, s: Sample): void {
  b.units.add(s.unit);
  b.count += s.count;
  b.sum += s.sum;
  if (s.min < b.min) b.min = s.min;
  if (s.max > b.max) b.max = s.max;
  const raw = rawValues(s);
  if (raw) for (const [v, w] of raw) b.values.push([v, w]);
  else b.incomplete = true;
}

/** The statistic's value over a bucket, or undefined when CloudWatch would not answer it. */
export function computeStat(b: Bucket, spec: StatSpec): number | undefined {
  if (b.count <= 0) return undefined;
  switch (spec.kind) {
    case "basic":
      switch (spec.stat) {
        case "SampleCount":
          return b.count;
        case "Sum":
          return b.sum;
        case "Minimum":
          return b.min;
        case "Maximum":
          return b.max;
        case "Average":
          return b.sum / b.count;
      }
      return undefined;
    case "p":
      return percentile(b, spec.p);
    case "PR":
      return percentileRank(b, spec.low, spec.high);
    default:
      return spec.percent ? trimmedByRank(b, spec.kind, spec.low ?? 0, spec.high ?? 100) : trimmedByValue(b, spec.kind, spec.low, spec.high);
  }
}

// ---- percentiles (AWS histogram model) ----

const LOG_BASE = Math.log(1.1);
const ZERO_BIN = -(2 ** 31);
const MIN_BIN = -7000;

export function histogramIndex(v: number): number {
  if (v === 0) return ZERO_BIN;
  return Math.max(MIN_BIN, Math.floor(Math.log(v) / LOG_BASE));
}

interface Bin {
  low: number;
  high: number;
  count: number;
}

/** The period's log-scale histogram, bins clipped to [min, max], sorted ascending. */
export function histogram(b: Pick<Bucket, "values" | "min" | "max">): Bin[] {
  const weights = new Map<number, number>();
  for (const [v, w] of b.values) {
    if (w <= 0 || v < 0) continue;
    const i = histogramIndex(v);
    weights.set(i, (weights.get(i) ?? 0) + w);
  }
  const bins: Bin[] = [];
  for (const [i, count] of weights) {
    if (i === ZERO_BIN) bins.push({ low: 0, high: 0, count });
    else bins.push({ low: Math.max(b.min, 1.1 ** i), high: Math.min(b.max, 1.1 ** (i + 1)), count });
  }
  return bins.sort((x, y) => x.low - y.low);
}

export function percentile(b: Bucket, p: number): number | undefined {
  if (p === 0) return b.min;
  if (p === 100) return b.max;
  if (b.min < 0) return undefined;
  if (b.min === b.max) return b.min;
  if (b.incomplete) return undefined;
  const target = (p / 100) * b.count;
  let prior = 0;
  for (const bin of histogram(b)) {
    if (target <= prior + bin.count) {
      if (bin.low === bin.high) return bin.low;
      const v = Math.exp(Math.log(bin.low) + Math.log(bin.high / bin.low) * ((target - prior) / bin.count));
      return Math.max(b.min, Math.min(b.max, v));
    }
    prior += bin.count;
  }
  return undefined;
}

// ---- trimmed statistics (exact over raw values) ----

function sortedValues(b: Bucket): Array<[number, number]> {
  return b.values.filter(([, w]) => w > 0).sort((x, y) => x[0] - y[0]);
}

/** TM/TS/TC/WM with bounds given as ranks in percent: keeps the mass between the two ranks. */
function trimmedByRank(b: Bucket, kind: "TM" | "TS" | "TC" | "WM", lowPct: number, highPct: number): number | undefined {
  if (b.min < 0 || b.incomplete) return undefined;
  const values = sortedValues(b);
  const n = values.reduce((a, [, w]) => a + w, 0);
  if (n <= 0) return undefined;
  const lo = (lowPct / 100) * n;
  const hi = (highPct / 100) * n;
  let cum = 0;
  let keptMass = 0;
  let keptSum = 0;
  let first: number | undefined;
  let last: number | undefined;
  for (const [v, w] of values) {
    const from = Math.max(cum, lo);
    const to = Math.min(cum + w, hi);
    if (to > from) {
      keptMass += to - from;
      keptSum += v * (to - from);
      first ??= v;
      last = v;
    }
    cum += w;
  }
  switch (kind) {
    case "TC":
      return keptMass;
    case "TS":
      return keptSum;
    case "TM":
      return keptMass > 0 ? keptSum / keptMass : undefined;
    case "WM":
      if (first === undefined || last === undefined) return undefined;
      return (keptSum + lo * first + (n - hi) * last) / n;
  }
}

/** TM/TS/TC/WM with bounds given as values: keeps low < v <= high (an omitted bound is open). */
function trimmedByValue(b: Bucket, kind: "TM" | "TS" | "TC" | "WM", low?: number, high?: number): number | undefined {
  if (b.incomplete) return undefined;
  const values = sortedValues(b);
  const n = values.reduce((a, [, w]) => a + w, 0);
  if (n <= 0) return undefined;
  let keptMass = 0;
  let keptSum = 0;
  let winsorSum = 0;
  for (const [v, w] of values) {
    const inside = (low === undefined || v > low) && (high === undefined || v <= high);
    if (inside) {
      keptMass += w;
      keptSum += v * w;
    }
    const clamped = low !== undefined && v < low ? low : high !== undefined && v > high ? high : v;
    winsorSum += clamped * w;
  }
  switch (kind) {
    case "TC":
      return keptMass;
    case "TS":
      return keptSum;
    case "TM":
      return keptMass > 0 ? keptSum / keptMass : undefined;
    case "WM":
      return winsorSum / n;
  }
}

/** PR(low:high): the percentage of values with low < v <= high. */
function percentileRank(b: Bucket, low?: number, high?: number): number | undefined {
  if (b.incomplete) return undefined;
  let n = 0;
  let inside = 0;
  for (const [v, w] of b.values) {
    if (w <= 0) continue;
    n += w;
    if ((low === undefined || v > low) && (high === undefined || v <= high)) inside += w;
  }
  return n > 0 ? (inside / n) * 100 : undefined;
}

// ---- time alignment ----

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Where CloudWatch starts the first bucket for a query: StartTime rounded down to the minute
 * (less than 15 days old), 5 minutes (15 to 63 days) or the hour (older); for periods under
 * a minute on recent data, to a multiple of the period.
 * `available` is false when the period is finer than the data's age allows (AWS answers no
 * datapoints): under a minute beyond 3 hours, not a multiple of 5 minutes beyond 15 days,
 * not a multiple of an hour beyond 63 days.
 */
export function alignStart(startMs: number, nowMs: number, periodSec: number): { start: number; available: boolean } {
  const age = nowMs - startMs;
  let rounding = MINUTE;
  let available = true;
  if (age > 63 * DAY) {
    rounding = 60 * MINUTE;
    available = periodSec % 3600 === 0;
  } else if (age > 15 * DAY) {
    rounding = 5 * MINUTE;
    available = periodSec % 300 === 0;
  } else if (age > 3 * 60 * MINUTE) {
    available = periodSec % 60 === 0;
  } else if (periodSec < 60) {
    rounding = periodSec * 1000;
  }
  return { start: Math.floor(startMs / rounding) * rounding, available };
}

/** Valid Period values: 1, 5, 10, 20, 30 or a multiple of 60. */
export function isValidPeriod(periodSec: number): boolean {
  return Number.isInteger(periodSec) && (periodSec === 1 || periodSec === 5 || periodSec === 10 || periodSec === 20 || periodSec === 30 || (periodSec >= 60 && periodSec % 60 === 0));
}
