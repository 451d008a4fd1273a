import { describe, expect, it } from "vitest";
import { aggregate, alignStart, computeStat, histogramIndex, isValidPeriod, parseStat, type Bucket, type Sample, type StatSpec } from "./statistics.js";

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

function value(v: number, ts = T0, unit = "None"): Sample {
  return { ts, unit, count: 1, sum: v, min: v, max: v, dist: [[v, 1]] };
}

function bucketOf(samples: Sample[]): Bucket {
  const [b] = aggregate(samples, { start: T0, end: T0 + 60_000, periodMs: 60_000, byUnit: false });
  return b;
}

function stat(b: Bucket, name: string): number | undefined {
  const spec = parseStat(name) as StatSpec;
  expect(spec, name).toBeDefined();
  return computeStat(b, spec);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("parseStat", () => {
  it("accepts the statistics CloudWatch accepts", () => {
    for (const s of ["SampleCount", "Average", "Sum", "Minimum", "Maximum", "p0", "p50", "p99.9", "p99.99", "p100", "p0.0", "tm99", "tm90.5", "wm98", "tc90", "ts90", "IQM", "TM(10%:90%)", "TM(:95%)", "TM(150:1000)", "tm(5%:)", "WM(10%:90%)", "TC(:0.5)", "TS(1:2)", "PR(:300)", "PR(100:2000)"]) {
      expect(parseStat(s), s).toBeDefined();
    }
  });
  it("refuses what it does not", () => {
    for (const s of ["average", "sum", "p", "p101", "p-1", "P99", "p99.12345678901", "tm0", "tm101", "TM(90%:10%)", "TM(:)", "TM(10%:900)", "PR(10%:20%)", "TM(5:2)", "XYZ", "p 99", ""]) {
      expect(parseStat(s), s).toBeUndefined();
    }
  });
  it("reads short forms as upper bounds from zero", () => {
    expect(parseStat("tm90")).toEqual({ kind: "TM", name: "tm90", percent: true, high: 90 });
    expect(parseStat("IQM")).toEqual({ kind: "TM", name: "IQM", percent: true, low: 25, high: 75 });
    expect(parseStat("PR(:300)")).toEqual({ kind: "PR", name: "PR(:300)", low: undefined, high: 300 });
  });
});

describe("aggregate (period bucketing)", () => {
  it("buckets from the aligned start, end exclusive, ascending", () => {
    const samples = [value(1, T0 + 5_000), value(2, T0 + 59_999), value(3, T0 + 60_000), value(4, T0 + 179_000), value(9, T0 + 180_000), value(7, T0 - 1)];
    const buckets = aggregate(samples, { start: T0, end: T0 + 180_000, periodMs: 60_000, byUnit: false });
    expect(buckets.map((b) => [b.start - T0, b.count, b.sum])).toEqual([
      [0, 2, 3],
      [60_000, 1, 3],
      [120_000, 1, 4],
    ]);
  });
  it("separates units when asked, merges them otherwise", () => {
    const samples = [value(1, T0, "Count"), value(2, T0 + 1_000, "Seconds"), value(3, T0 + 2_000, "Count")];
    const byUnit = aggregate(samples, { start: T0, end: T0 + 60_000, periodMs: 60_000, byUnit: true });
    expect(byUnit.map((b) => [b.unit, b.sum])).toEqual([
      ["Count", 4],
      ["Seconds", 2],
    ]);
    const merged = aggregate(samples, { start: T0, end: T0 + 60_000, periodMs: 60_000, byUnit: false });
    expect(merged.map((b) => [b.unit, b.sum, b.count])).toEqual([[undefined, 6, 3]]);
  });
});

describe("basic statistics", () => {
  it("sums, counts, averages values and statistic sets together", () => {
    const b = bucketOf([value(10), value(20), { ts: T0, unit: "None", count: 4, sum: 100, min: 5, max: 40 }]);
    expect(stat(b, "SampleCount")).toBe(6);
    expect(stat(b, "Sum")).toBe(130);
    expect(stat(b, "Average")).toBeCloseTo(130 / 6, 12);
    expect(stat(b, "Minimum")).toBe(5);
    expect(stat(b, "Maximum")).toBe(40);
  });
});

describe("percentiles (AWS log-1.1 histogram model)", () => {
  it("answers the exact value when every value is equal", () => {
    const b = bucketOf([value(7), value(7), value(7)]);
    expect(stat(b, "p50")).toBe(7);
    expect(stat(b, "p99.9")).toBe(7);
  });
  it("p0 is the minimum and p100 the maximum", () => {
    const b = bucketOf(range(1, 100).map((v) => value(v)));
    expect(stat(b, "p0")).toBe(1);
    expect(stat(b, "p100")).toBe(100);
  });
  it("interpolates geometrically inside the bin the rank falls in", () => {
    // 1..100: values below 1.1^41 (= 49.79) are 1..49; bin 41 = [49.79, 54.76) holds 50..54.
    // p50: rank 50 is the 1st of 5 in bin 41 -> 1.1^41 * 1.1^(1/5).
    const b = bucketOf(range(1, 100).map((v) => value(v)));
    expect(histogramIndex(50)).toBe(41);
    expect(stat(b, "p50")).toBeCloseTo(1.1 ** 41 * 1.1 ** 0.2, 9);
    // p99: rank 99; bin 48 = [97.02, 106.7) clipped to [97.02, 100] holds 98, 99, 100 after 97 values.
    const low = 1.1 ** 48;
    expect(stat(b, "p99")).toBeCloseTo(Math.exp(Math.log(low) + Math.log(100 / low) * (2 / 3)), 9);
    // p99.9: rank 99.9 -> 2.9/3 of the way through the same clipped bin.
    expect(stat(b, "p99.9")).toBeCloseTo(Math.exp(Math.log(low) + Math.log(100 / low) * (2.9 / 3)), 9);
  });
  it("uses Values+Counts weights, and clips the first bin to the minimum", () => {
    // 10 x3, 20 x1: rank 2 of 4 lies in bin 24 = [9.85, 10.83) clipped to [10, 10.83), 2/3 through.
    const b = bucketOf([{ ts: T0, unit: "None", count: 4, sum: 50, min: 10, max: 20, dist: [[10, 3], [20, 1]] }]);
    expect(stat(b, "p50")).toBeCloseTo(Math.exp(Math.log(10) + Math.log(1.1 ** 25 / 10) * (2 / 3)), 9);
    // p90: rank 3.6 lies in the bin of 20 (bin 31 = [19.19, 21.11) clipped to [19.19, 20]).
    const low = 1.1 ** 31;
    expect(stat(b, "p90")).toBeCloseTo(Math.exp(Math.log(low) + Math.log(20 / low) * 0.6), 9);
  });
  it("counts zeros in their own bin", () => {
    const b = bucketOf([value(0), value(0), value(0), value(5)]);
    expect(stat(b, "p50")).toBe(0);
    expect(stat(b, "p75")).toBe(0);
  });
  it("is unavailable with negative values (except p0/p100)", () => {
    const b = bucketOf([value(-1), value(5)]);
    expect(stat(b, "p50")).toBeUndefined();
    expect(stat(b, "p0")).toBe(-1);
    expect(stat(b, "p100")).toBe(5);
    expect(stat(b, "tm90")).toBeUndefined();
  });
  it("is unavailable for statistic sets unless SampleCount is 1 or Minimum = Maximum", () => {
    const set = (count: number, sum: number, min: number, max: number): Sample => ({ ts: T0, unit: "None", count, sum, min, max });
    expect(stat(bucketOf([set(10, 100, 1, 20)]), "p50")).toBeUndefined();
    expect(stat(bucketOf([set(10, 100, 1, 20), value(3)]), "p50")).toBeUndefined();
    expect(stat(bucketOf([set(1, 4, 4, 4), value(4)]), "p50")).toBe(4);
    // [4 x3, 8]: rank 2 of 4 in bin 14 = [3.80, 4.18) clipped to [4, 4.18), 2/3 through.
    expect(stat(bucketOf([set(3, 12, 4, 4), value(8)]), "p50")).toBeCloseTo(Math.exp(Math.log(4) + Math.log(1.1 ** 15 / 4) * (2 / 3)), 9);
  });
});

describe("trimmed statistics (exact)", () => {
  const b = bucketOf(range(1, 10).map((v) => value(v)));
  it("trimmed mean, sum and count by rank", () => {
    expect(stat(b, "tm90")).toBe(5); // 1..9
    expect(stat(b, "TM(10%:90%)")).toBe(5.5); // 2..9
    expect(stat(b, "ts90")).toBe(45);
    expect(stat(b, "tc90")).toBe(9);
    expect(stat(b, "TC(10%:90%)")).toBe(8);
  });
  it("winsorized mean replaces the tails by the edge values", () => {
    expect(stat(b, "WM(10%:90%)")).toBe((44 + 2 + 9) / 10);
    expect(stat(b, "wm90")).toBe((45 + 9) / 10);
  });
  it("bounds by value keep low < v <= high", () => {
    expect(stat(b, "TM(2:8)")).toBe(5.5); // 3..8
    expect(stat(b, "TC(2:8)")).toBe(6);
    expect(stat(b, "TS(:3)")).toBe(6);
    expect(stat(b, "WM(2:8)")).toBe((2 + 2 + 33 + 8 + 8) / 10);
  });
  it("percentile rank and interquartile mean", () => {
    expect(stat(b, "PR(:5)")).toBe(50);
    expect(stat(b, "PR(3:7)")).toBe(40);
    expect(stat(bucketOf(range(1, 8).map((v) => value(v))), "IQM")).toBe(4.5);
  });
});

describe("time alignment and periods", () => {
  const now = T0 + 3_600_000;
  it("rounds recent start times to the minute, or to the period under a minute", () => {
    expect(alignStart(T0 + 45_123, now, 60)).toEqual({ start: T0, available: true });
    expect(alignStart(T0 + 45_123, now, 10)).toEqual({ start: T0 + 40_000, available: true });
    expect(alignStart(T0 + 45_123, now, 300)).toEqual({ start: T0, available: true });
  });
  it("rounds older start times coarser and refuses too-fine periods", () => {
    const fourHours = now - 4 * 3_600_000 - 17_000;
    expect(alignStart(fourHours, now, 1).available).toBe(false);
    expect(alignStart(fourHours, now, 60).available).toBe(true);
    const twentyDays = now - 20 * 86_400_000 - 123_000;
    expect(alignStart(twentyDays, now, 60).available).toBe(false);
    expect(alignStart(twentyDays, now, 300)).toEqual({ start: Math.floor(twentyDays / 300_000) * 300_000, available: true });
    const hundredDays = now - 100 * 86_400_000 - 1_000;
    expect(alignStart(hundredDays, now, 3600)).toEqual({ start: Math.floor(hundredDays / 3_600_000) * 3_600_000, available: true });
  });
  it("knows the valid periods", () => {
    for (const p of [1, 5, 10, 20, 30, 60, 120, 300, 86400]) expect(isValidPeriod(p), String(p)).toBe(true);
    for (const p of [0, 2, 15, 45, 59, 61, 90, 1.5]) expect(isValidPeriod(p), String(p)).toBe(false);
  });
});
