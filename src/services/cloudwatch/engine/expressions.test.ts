import { describe, expect, it } from "vitest";
import { ExpressionError, evaluate, parseExpression, referencedIds, type EvalContext, type Series, type Value } from "./expressions.js";

const s = (id: string, points: Array<[number, number]>, label = id): Series => ({
  id,
  label,
  period: 60,
  timestamps: points.map(([t]) => t * 60_000),
  values: points.map(([, v]) => v),
});

const m1 = s("m1", [[0, 1], [1, 2], [2, 3]], "Errors");
const m2 = s("m2", [[0, 10], [2, 30], [3, 40]], "Requests");

const ctx: EvalContext = {
  resolve: (id) => ({ m1: { t: "series", s: m1 } as Value, m2: { t: "series", s: m2 } as Value })[id],
  metrics: () => [m1, m2],
  grid: () => [0, 60_000, 120_000, 180_000],
};

const run = (src: string): Value => evaluate(parseExpression(src), ctx, "e1");
const pts = (v: Value): Array<[number, number]> => {
  if (v.t !== "series") throw new Error(`not a series: ${v.t}`);
  return v.s.timestamps.map((t, i) => [t / 60_000, v.s.values[i]]);
};

describe("metric math", () => {
  it("does arithmetic between series on the timestamps both have, with precedence", () => {
    expect(pts(run("m1 + m2"))).toEqual([
      [0, 11],
      [2, 33],
    ]);
    expect(pts(run("m2 - m1 * 2"))).toEqual([
      [0, 8],
      [2, 24],
    ]);
    expect(pts(run("(m1 + 1) * 10 / 2"))).toEqual([
      [0, 10],
      [1, 15],
      [2, 20],
    ]);
    expect(pts(run("-m1 ^ 2"))).toEqual([
      [0, -1],
      [1, -4],
      [2, -9],
    ]);
    expect(pts(run("100 * m1 / m2"))).toEqual([
      [0, 10],
      [2, 10],
    ]);
  });
  it("drops non-finite points", () => {
    expect(pts(run("m1 / 0"))).toEqual([]);
  });
  it("reduces an array pointwise and a single series to a scalar", () => {
    expect(pts(run("SUM(METRICS())"))).toEqual([
      [0, 11],
      [1, 2],
      [2, 33],
      [3, 40],
    ]);
    expect(pts(run("AVG([m1, m2])"))).toEqual([
      [0, 5.5],
      [1, 2],
      [2, 16.5],
      [3, 40],
    ]);
    expect(pts(run("MAX(METRICS())"))).toEqual([
      [0, 10],
      [1, 2],
      [2, 30],
      [3, 40],
    ]);
    expect(run("SUM(m1)")).toEqual({ t: "scalar", v: 6 });
    expect(run("MIN(m2) + 1")).toEqual({ t: "scalar", v: 11 });
    expect(run("STDDEV(m1)")).toEqual({ t: "scalar", v: Math.sqrt(2 / 3) });
  });
  it("filters METRICS() by label and maps arrays", () => {
    const v = run('METRICS("Err") * 2');
    expect(v.t).toBe("array");
    if (v.t === "array") {
      expect(v.items.map((x) => x.label)).toEqual(["Errors"]);
      expect(v.items[0].values).toEqual([2, 4, 6]);
    }
  });
  it("fills, diffs and rates", () => {
    expect(pts(run("FILL(m1, 0)"))).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 0],
    ]);
    expect(pts(run("DIFF(m2)"))).toEqual([
      [2, 20],
      [3, 10],
    ]);
    expect(pts(run("RATE(m2)"))).toEqual([
      [2, 20 / 120],
      [3, 10 / 60],
    ]);
    expect(run("PERIOD(m1)")).toEqual({ t: "scalar", v: 60 });
    expect(pts(run("ABS(m1 - 2)"))).toEqual([
      [0, 1],
      [1, 0],
      [2, 1],
    ]);
  });
  it("refuses unsupported functions and bad syntax", () => {
    expect(() => run("ANOMALY_DETECTION_BAND(m1, 2)")).toThrow(new ExpressionError("Unsupported function: ANOMALY_DETECTION_BAND"));
    expect(() => parseExpression("m1 +")).toThrow(ExpressionError);
    expect(() => parseExpression("(m1")).toThrow(ExpressionError);
    expect(() => parseExpression("m1 $ 2")).toThrow(ExpressionError);
    expect(() => run("m9 + 1")).toThrow(/Unrecognized metric or expression id: m9/);
  });
  it("lists the ids an expression refers to", () => {
    expect([...referencedIds(parseExpression("SUM([m1, e2]) / m3 + 4"))]).toEqual(["m1", "e2", "m3"]);
  });
});
