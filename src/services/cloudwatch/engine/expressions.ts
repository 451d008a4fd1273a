// Metric math for GetMetricData, pure: a parser and evaluator for the subset Nimbus supports.
//
// Supported: numbers, query ids, "strings", + - * / ^, unary minus, parentheses, array literals
// [a, b], and the functions ABS CEIL FLOOR (pointwise), SUM AVG MIN MAX STDDEV (an array gives
// a time series, a single time series gives a scalar), METRICS() / METRICS("text") (the MetricStat
// queries, optionally only those whose label contains the text), FILL(x, number), DIFF(x),
// RATE(x) (change per second), PERIOD(x) (the period in seconds, a scalar).
// Anything else is refused with an ExpressionError naming what is unsupported (GAPS.md).
//
// Binary operations between time series keep the timestamps both have; a scalar applies to
// every point; an array applies element by element. Non-finite results (x/0) are dropped.

export class ExpressionError extends Error {}

export interface Series {
  /** The query id this series came from. */
  id: string;
  label: string;
  /** Seconds. */
  period: number;
  /** Ascending timestamps (ms) and their values, same length. */
  timestamps: number[];
  values: number[];
}

export type Value = { t: "scalar"; v: number } | { t: "series"; s: Series } | { t: "array"; items: Series[] } | { t: "string"; v: string };

export interface EvalContext {
  /** The value of another query by id (a MetricStat's series, or an expression's result). */
  resolve(id: string): Value | undefined;
  /** The MetricStat queries' series, for METRICS(). */
  metrics(): Series[];
  /** Timestamps (ms) of the query window for a period, for FILL and scalar results. */
  grid(period: number): number[];
}

type Node =
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "id"; name: string }
  | { k: "neg"; e: Node }
  | { k: "bin"; op: "+" | "-" | "*" | "/" | "^"; a: Node; b: Node }
  | { k: "call"; name: string; args: Node[] }
  | { k: "list"; items: Node[] };

type Token = { t: "num"; v: number } | { t: "str"; v: string } | { t: "id"; v: string } | { t: "op"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new ExpressionError(`Unexpected character '${c}' at position ${i + 1}`);
      out.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: "id", v: m[0] });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExpressionError("Unterminated string literal");
      out.push({ t: "str", v: src.slice(i + 1, end) });
      i = end + 1;
    } else if ("+-*/^(),[]".includes(c)) {
      out.push({ t: "op", v: c });
      i++;
    } else {
      throw new ExpressionError(`Unexpected character '${c}' at position ${i + 1}`);
    }
  }
  return out;
}

export function parseExpression(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => {
    const t = peek();
    return t?.t === "op" && t.v === v;
  };
  const expect = (v: string): void => {
    if (!isOp(v)) throw new ExpressionError(`Expected '${v}'`);
    pos++;
  };
  const expr = (): Node => {
    let a = term();
    while (isOp("+") || isOp("-")) {
      const op = (tokens[pos++] as { v: "+" | "-" }).v;
      a = { k: "bin", op, a, b: term() };
    }
    return a;
  };
  const term = (): Node => {
    let a = unary();
    while (isOp("*") || isOp("/")) {
      const op = (tokens[pos++] as { v: "*" | "/" }).v;
      a = { k: "bin", op, a, b: unary() };
    }
    return a;
  };
  const unary = (): Node => {
    if (isOp("-")) {
      pos++;
      return { k: "neg", e: unary() };
    }
    if (isOp("+")) {
      pos++;
      return unary();
    }
    return power();
  };
  const power = (): Node => {
    const a = primary();
    if (isOp("^")) {
      pos++;
      return { k: "bin", op: "^", a, b: unary() };
    }
    return a;
  };
  const list = (close: string): Node[] => {
    const items: Node[] = [];
    if (isOp(close)) {
      pos++;
      return items;
    }
    for (;;) {
      items.push(expr());
      if (isOp(",")) {
        pos++;
        continue;
      }
      expect(close);
      return items;
    }
  };
  const primary = (): Node => {
    const t = tokens[pos++];
    if (!t) throw new ExpressionError("Unexpected end of expression");
    if (t.t === "num") return { k: "num", v: t.v };
    if (t.t === "str") return { k: "str", v: t.v };
    if (t.t === "id") {
      if (isOp("(")) {
        pos++;
        return { k: "call", name: t.v.toUpperCase(), args: list(")") };
      }
      return { k: "id", name: t.v };
    }
    if (t.v === "(") {
      const e = expr();
      expect(")");
      return e;
    }
    if (t.v === "[") return { k: "list", items: list("]") };
    throw new ExpressionError(`Unexpected '${t.v}'`);
  };
  const node = expr();
  if (pos < tokens.length) {
    const t = tokens[pos];
    throw new ExpressionError(`Unexpected '${t.t === "op" ? t.v : String(t.v)}'`);
  }
  return node;
}

/** Ids an expression refers to (for dependency order and unknown-id errors). */
export function referencedIds(node: Node, out = new Set<string>()): Set<string> {
  switch (node.k) {
    case "id":
      out.add(node.name);
      break;
    case "neg":
      referencedIds(node.e, out);
      break;
    case "bin":
      referencedIds(node.a, out);
      referencedIds(node.b, out);
      break;
    case "call":
    case "list":
      for (const a of node.k === "call" ? node.args : node.items) referencedIds(a, out);
      break;
  }
  return out;
}

export function usesMetricsFunction(node: Node): boolean {
  switch (node.k) {
    case "call":
      return node.name === "METRICS" || node.args.some(usesMetricsFunction);
    case "list":
      return node.items.some(usesMetricsFunction);
    case "neg":
      return usesMetricsFunction(node.e);
    case "bin":
      return usesMetricsFunction(node.a) || usesMetricsFunction(node.b);
    default:
      return false;
  }
}

const SUPPORTED = new Set(["ABS", "CEIL", "FLOOR", "SUM", "AVG", "MIN", "MAX", "STDDEV", "METRICS", "FILL", "DIFF", "RATE", "PERIOD"]);

export function evaluate(node: Node, ctx: EvalContext, selfId: string): Value {
  switch (node.k) {
    case "num":
      return { t: "scalar", v: node.v };
    case "str":
      return { t: "string", v: node.v };
    case "id": {
      const v = ctx.resolve(node.name);
      if (!v) throw new ExpressionError(`Unrecognized metric or expression id: ${node.name}`);
      return v;
    }
    case "neg":
      return map(evaluate(node.e, ctx, selfId), (x) => -x, selfId);
    case "bin":
      return binary(node.op, evaluate(node.a, ctx, selfId), evaluate(node.b, ctx, selfId), selfId);
    case "list": {
      const items: Series[] = [];
      for (const n of node.items) {
        const v = evaluate(n, ctx, selfId);
        if (v.t === "series") items.push(v.s);
        else if (v.t === "array") items.push(...v.items);
        else throw new ExpressionError("Array elements must be time series");
      }
      return { t: "array", items };
    }
    case "call":
      return call(node, ctx, selfId);
  }
}

function call(node: Extract<Node, { k: "call" }>, ctx: EvalContext, selfId: string): Value {
  if (!SUPPORTED.has(node.name)) throw new ExpressionError(`Unsupported function: ${node.name}`);
  const args = node.name === "METRICS" ? [] : node.args.map((a) => evaluate(a, ctx, selfId));
  const arity = (n: number): void => {
    if (args.length !== n) throw new ExpressionError(`Function ${node.name} expects ${n} argument${n === 1 ? "" : "s"}`);
  };
  switch (node.name) {
    case "ABS":
      arity(1);
      return map(args[0], Math.abs, selfId);
    case "CEIL":
      arity(1);
      return map(args[0], Math.ceil, selfId);
    case "FLOOR":
      arity(1);
      return map(args[0], Math.floor, selfId);
    case "SUM":
    case "AVG":
    case "MIN":
    case "MAX":
    case "STDDEV":
      return reduce(node.name, args, selfId);
    case "METRICS": {
      if (node.args.length > 1) throw new ExpressionError("Function METRICS expects at most 1 argument");
      let filter: string | undefined;
      if (node.args.length === 1) {
        const a = evaluate(node.args[0], ctx, selfId);
        if (a.t !== "string") throw new ExpressionError("Function METRICS expects a string argument");
        filter = a.v;
      }
      return { t: "array", items: ctx.metrics().filter((s) => filter === undefined || s.label.includes(filter)) };
    }
    case "FILL": {
      arity(2);
      if (args[1].t !== "scalar") throw new ExpressionError("Function FILL supports a number as its second argument");
      const fill = args[1].v;
      return perSeries(args[0], (s) => {
        const have = new Map(s.timestamps.map((t, i) => [t, s.values[i]]));
        const timestamps = ctx.grid(s.period);
        return { ...s, id: selfId, timestamps, values: timestamps.map((t) => have.get(t) ?? fill) };
      });
    }
    case "DIFF":
    case "RATE": {
      arity(1);
      const rate = node.name === "RATE";
      return perSeries(args[0], (s) => {
        const timestamps: number[] = [];
        const values: number[] = [];
        for (let i = 1; i < s.timestamps.length; i++) {
          const d = s.values[i] - s.values[i - 1];
          timestamps.push(s.timestamps[i]);
          values.push(rate ? d / ((s.timestamps[i] - s.timestamps[i - 1]) / 1000) : d);
        }
        return { ...s, id: selfId, timestamps, values };
      });
    }
    case "PERIOD": {
      arity(1);
      const a = args[0];
      if (a.t === "series") return { t: "scalar", v: a.s.period };
      if (a.t === "array" && a.items.length > 0) return { t: "scalar", v: a.items[0].period };
      throw new ExpressionError("Function PERIOD expects a time series");
    }
  }
  throw new ExpressionError(`Unsupported function: ${node.name}`);
}

function perSeries(v: Value, fn: (s: Series) => Series): Value {
  if (v.t === "series") return { t: "series", s: fn(v.s) };
  if (v.t === "array") return { t: "array", items: v.items.map(fn) };
  throw new ExpressionError("Expected a time series");
}

function map(v: Value, fn: (x: number) => number, selfId: string): Value {
  switch (v.t) {
    case "scalar":
      return { t: "scalar", v: fn(v.v) };
    case "string":
      throw new ExpressionError("Cannot use a string in arithmetic");
    default:
      return perSeries(v, (s) => clean({ ...s, id: selfId, values: s.values.map(fn) }));
  }
}

function clean(s: Series): Series {
  const timestamps: number[] = [];
  const values: number[] = [];
  s.values.forEach((v, i) => {
    if (Number.isFinite(v)) {
      timestamps.push(s.timestamps[i]);
      values.push(v);
    }
  });
  return { ...s, timestamps, values };
}

const OPS: Record<"+" | "-" | "*" | "/" | "^", (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => a ** b,
};

function binary(op: keyof typeof OPS, a: Value, b: Value, selfId: string): Value {
  const f = OPS[op];
  if (a.t === "string" || b.t === "string") throw new ExpressionError("Cannot use a string in arithmetic");
  if (a.t === "scalar" && b.t === "scalar") return { t: "scalar", v: f(a.v, b.v) };
  if (a.t === "scalar") return map(b, (x) => f(a.v, x), selfId);
  if (b.t === "scalar") return map(a, (x) => f(x, b.v), selfId);
  if (a.t === "array" || b.t === "array") {
    const left = a.t === "array" ? a.items : undefined;
    const right = b.t === "array" ? b.items : undefined;
    if (left && right && left.length !== right.length) throw new ExpressionError("Arrays of time series must have the same size");
    const n = (left ?? right)!.length;
    const items: Series[] = [];
    for (let i = 0; i < n; i++) {
      const x = left ? left[i] : (a as { s: Series }).s;
      const y = right ? right[i] : (b as { s: Series }).s;
      items.push(zip(x, y, f, left ? x : y, selfId));
    }
    return { t: "array", items };
  }
  return { t: "series", s: zip(a.s, b.s, f, { ...a.s, label: selfId }, selfId) };
}

/** Pointwise on the timestamps both series have. */
function zip(x: Series, y: Series, f: (a: number, b: number) => number, meta: Series, selfId: string): Series {
  const other = new Map(y.timestamps.map((t, i) => [t, y.values[i]]));
  const timestamps: number[] = [];
  const values: number[] = [];
  x.timestamps.forEach((t, i) => {
    const w = other.get(t);
    if (w === undefined) return;
    const v = f(x.values[i], w);
    if (!Number.isFinite(v)) return;
    timestamps.push(t);
    values.push(v);
  });
  return { id: selfId, label: meta.label, period: Math.max(x.period, y.period), timestamps, values };
}

function aggregateValues(fn: string, xs: number[]): number {
  switch (fn) {
    case "SUM":
      return xs.reduce((a, b) => a + b, 0);
    case "AVG":
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    case "MIN":
      return Math.min(...xs);
    case "MAX":
      return Math.max(...xs);
    default: {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    }
  }
}

/** SUM/AVG/MIN/MAX/STDDEV: across an array pointwise (a series), over one series (a scalar). */
function reduce(fn: string, args: Value[], selfId: string): Value {
  if (args.length === 0) throw new ExpressionError(`Function ${fn} expects an argument`);
  let arr: Series[];
  if (args.length === 1) {
    const a = args[0];
    if (a.t === "scalar") return a;
    if (a.t === "string") throw new ExpressionError(`Function ${fn} does not accept a string`);
    if (a.t === "series") {
      if (a.s.values.length === 0) return { t: "scalar", v: NaN };
      return { t: "scalar", v: aggregateValues(fn, a.s.values) };
    }
    arr = a.items;
  } else {
    arr = [];
    for (const a of args) {
      if (a.t === "series") arr.push(a.s);
      else if (a.t === "array") arr.push(...a.items);
      else throw new ExpressionError(`Function ${fn} expects time series arguments`);
    }
  }
  const byTime = new Map<number, number[]>();
  for (const s of arr) s.timestamps.forEach((t, i) => (byTime.get(t) ?? byTime.set(t, []).get(t)!).push(s.values[i]));
  const timestamps = [...byTime.keys()].sort((p, q) => p - q);
  const values = timestamps.map((t) => aggregateValues(fn, byTime.get(t)!));
  const period = arr.reduce((p, s) => Math.max(p, s.period), 0);
  return { t: "series", s: clean({ id: selfId, label: selfId, period, timestamps, values }) };
}
