// A subset of the CloudWatch Logs Insights query language ("CloudWatch Logs Insights query
// syntax", CloudWatch Logs User Guide): commands joined by `|`:
//   fields a, b, expr as c | filter <expr> | parse <field> "glob * pattern *" as x, y
//   | stats agg(expr) [as n], ... [by expr|bin(5m), ...] | sort f [asc|desc], ... | limit n | display a, b
// Expressions: literals, fields (@timestamp, @message, @logStream, @log, @ingestionTime, JSON
// fields by dotted name, Lambda's @type/@requestId/@duration/... for REPORT lines), arithmetic,
// comparisons, `like "sub"` / `like /re/` / `=~ /re/`, `in [..]`, `not`, `and`, `or`, and the
// functions ispresent, isempty, strlen, tolower, toupper, concat, abs, floor, ceil, bin.
// Aggregations: count(*), count(f), count_distinct, sum, avg, min, max.
import { AwsError } from "../../../core/errors.js";

export type Row = Record<string, unknown>;
type Expr = (r: Row) => unknown;

const malformed = (m: string) => new AwsError("MalformedQueryException", m);

// ---- lexer ----

type Tok = { t: "id" | "num" | "str" | "re" | "op" | "punct"; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const prevIsValue = () => {
    const p = out[out.length - 1];
    if (p && p.t === "id" && ["like", "and", "or", "not", "in", "filter", "parse", "by", "as"].includes(p.v.toLowerCase())) return false;
    return p && (p.t === "id" || p.t === "num" || p.t === "str" || (p.t === "punct" && (p.v === ")" || p.v === "]")));
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let m: RegExpExecArray | null;
    const rest = src.slice(i);
    if ((m = /^(?:\d+\.?\d*(?:[eE][+-]?\d+)?)/.exec(rest))) out.push({ t: "num", v: m[0] });
    else if ((m = /^`([^`]*)`/.exec(rest))) out.push({ t: "id", v: m[1] });
    else if ((m = /^@?[A-Za-z_][\w.@$-]*/.exec(rest))) out.push({ t: "id", v: m[0].replace(/[.-]+$/, "") }), (m[0] = m[0].replace(/[.-]+$/, ""));
    else if ((m = /^"((?:[^"\\]|\\.)*)"|^'((?:[^'\\]|\\.)*)'/.exec(rest))) out.push({ t: "str", v: (m[1] ?? m[2]).replace(/\\(.)/g, "$1") });
    else if (c === "/" && !prevIsValue() && (m = /^\/((?:[^/\\]|\\.)*)\/([a-z]*)/.exec(rest))) out.push({ t: "re", v: `${m[2]}\u0000${m[1]}` });
    else if ((m = /^(?:=~|!=|<=|>=|=|<|>|\+|-|\*|\/|%)/.exec(rest))) out.push({ t: "op", v: m[0] });
    else if ((m = /^[()[\],|]/.exec(rest))) out.push({ t: "punct", v: m[0] });
    else throw malformed(`unexpected symbol found ${c} at line 1 and position ${i + 1}`);
    i += m[0].length;
  }
  return out;
}

// ---- parser ----

class P {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  peek(v?: string): Tok | undefined {
    const t = this.toks[this.i];
    return v === undefined || (t && t.v.toLowerCase() === v) ? t : undefined;
  }
  eat(v: string): boolean {
    if (this.peek(v) && this.toks[this.i].t !== "str") {
      this.i++;
      return true;
    }
    return false;
  }
  expect(v: string): void {
    if (!this.eat(v)) throw malformed(`expected ${v}${this.peek() ? ` near ${this.peek()!.v}` : " at the end of the query"}`);
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  // or := and (or and)*; and := not (and not)*; not := 'not' not | cmp
  expr(): Expr {
    let l = this.and();
    while (this.eat("or")) {
      const a = l;
      const b = this.and();
      l = (r) => truthy(a(r)) || truthy(b(r));
    }
    return l;
  }
  and(): Expr {
    let l = this.not();
    while (this.eat("and")) {
      const a = l;
      const b = this.not();
      l = (r) => truthy(a(r)) && truthy(b(r));
    }
    return l;
  }
  not(): Expr {
    if (this.eat("not")) {
      const e = this.not();
      return (r) => !truthy(e(r));
    }
    return this.cmp();
  }
  cmp(): Expr {
    const l = this.sum();
    const t = this.peek();
    if (t && t.t === "op" && ["=", "!=", "<", ">", "<=", ">="].includes(t.v)) {
      this.i++;
      const rgt = this.sum();
      return (r) => compare(t.v, l(r), rgt(r));
    }
    const negated = this.peek("not") && this.toks[this.i + 1] && ["like", "in"].includes(this.toks[this.i + 1].v.toLowerCase()) ? (this.i++, true) : false;
    if (this.eat("like") || this.eat("=~")) {
      const p = this.next();
      const test = p.t === "re" ? regex(p.v) : p.t === "str" ? (s: string) => s.includes(p.v) : undefined;
      if (!test) throw malformed("like expects a string or a /regex/");
      return (r) => {
        const v = l(r);
        return (v !== undefined && test(String(v))) !== negated;
      };
    }
    if (this.eat("in")) {
      this.expect("[");
      const items: Expr[] = [];
      if (!this.eat("]")) {
        do items.push(this.sum());
        while (this.eat(","));
        this.expect("]");
      }
      return (r) => {
        const v = l(r);
        return items.some((e) => compare("=", v, e(r))) !== negated;
      };
    }
    return l;
  }
  sum(): Expr {
    let l = this.prod();
    for (let t = this.peek(); t && t.t === "op" && (t.v === "+" || t.v === "-"); t = this.peek()) {
      this.i++;
      const a = l;
      const b = this.prod();
      l = t.v === "+" ? (r) => num(a(r)) + num(b(r)) : (r) => num(a(r)) - num(b(r));
    }
    return l;
  }
  prod(): Expr {
    let l = this.atom();
    for (let t = this.peek(); t && t.t === "op" && ["*", "/", "%"].includes(t.v); t = this.peek()) {
      this.i++;
      const a = l;
      const b = this.atom();
      const op = t.v;
      l = (r) => (op === "*" ? num(a(r)) * num(b(r)) : op === "/" ? num(a(r)) / num(b(r)) : num(a(r)) % num(b(r)));
    }
    return l;
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw malformed("unexpected end of query");
    return t;
  }
  atom(): Expr {
    const t = this.next();
    if (t.t === "num") {
      const n = Number(t.v);
      return () => n;
    }
    if (t.t === "str") return () => t.v;
    if (t.t === "op" && t.v === "-") {
      const e = this.atom();
      return (r) => -num(e(r));
    }
    if (t.t === "punct" && t.v === "(") {
      const e = this.expr();
      this.expect(")");
      return e;
    }
    if (t.t === "id") {
      if (this.peek("(")) return this.call(t.v.toLowerCase());
      const name = t.v;
      return (r) => r[name];
    }
    throw malformed(`unexpected ${t.v}`);
  }
  call(fn: string): Expr {
    this.expect("(");
    if (fn === "bin") {
      // bin(5m): lexed as the number 5 and the identifier m.
      const n = Number(this.next().v);
      const u = this.peek(")") ? "s" : this.next().v;
      this.expect(")");
      const scale: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000, d: 86_400_000, w: 604_800_000 };
      if (!Number.isFinite(n) || n <= 0 || scale[u] === undefined) throw malformed("bin expects a period such as 5m or 1h");
      const ms = n * scale[u];
      return (r) => Math.floor(num(r["@timestamp"]) / ms) * ms;
    }
    const args: Expr[] = [];
    if (!this.eat(")")) {
      do args.push(this.expr());
      while (this.eat(","));
      this.expect(")");
    }
    const a = (r: Row, k: number) => args[k]?.(r);
    switch (fn) {
      case "ispresent": return (r) => a(r, 0) !== undefined;
      case "isempty": return (r) => a(r, 0) === undefined || a(r, 0) === "";
      case "isblank": return (r) => a(r, 0) === undefined || String(a(r, 0)).trim() === "";
      case "strlen": return (r) => String(a(r, 0) ?? "").length;
      case "tolower": return (r) => String(a(r, 0) ?? "").toLowerCase();
      case "toupper": return (r) => String(a(r, 0) ?? "").toUpperCase();
      case "concat": return (r) => args.map((e) => String(e(r) ?? "")).join("");
      case "abs": return (r) => Math.abs(num(a(r, 0)));
      case "floor": return (r) => Math.floor(num(a(r, 0)));
      case "ceil": return (r) => Math.ceil(num(a(r, 0)));
      default: throw malformed(`unknown function ${fn}`);
    }
  }
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== "";
}

function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

function regex(v: string): (s: string) => boolean {
  const [flags, body] = v.split("\u0000");
  const re = new RegExp(body, flags.replace(/[^gimsuy]/g, ""));
  return (s) => re.test(s);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return op === "!=" ? a !== b : false;
  const na = num(a);
  const nb = num(b);
  const numeric = !Number.isNaN(na) && !Number.isNaN(nb) && String(a).trim() !== "" && String(b).trim() !== "";
  const [x, y] = numeric ? [na, nb] : [String(a), String(b)];
  switch (op) {
    case "=": return x === y;
    case "!=": return x !== y;
    case "<": return x < y;
    case ">": return x > y;
    case "<=": return x <= y;
    case ">=": return x >= y;
  }
  return false;
}

// ---- commands ----

interface Agg {
  name: string;
  fn: string;
  arg?: Expr;
}

export type Stage =
  | { kind: "fields"; items: Array<{ name: string; e: Expr }> }
  | { kind: "display"; names: string[] }
  | { kind: "filter"; e: Expr }
  | { kind: "parse"; field: Expr; re: RegExp; names: string[] }
  | { kind: "stats"; aggs: Agg[]; by: Array<{ name: string; e: Expr }> }
  | { kind: "sort"; keys: Array<{ name: string; desc: boolean }> }
  | { kind: "limit"; n: number };

/** The source text of tokens [from, to) (names of computed fields, as AWS shows them). */
function text(toks: Tok[], from: number, to: number): string {
  return toks
    .slice(from, to)
    .map((t) => (t.t === "str" ? `"${t.v}"` : t.v))
    .join("")
    .replace(/,/g, ", ");
}

export function parseQuery(query: string): Stage[] {
  const toks = lex(query);
  const stages: Stage[] = [];
  const parts: Tok[][] = [[]];
  for (const t of toks) {
    if (t.t === "punct" && t.v === "|") parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  for (const part of parts) {
    if (part.length === 0) throw malformed("Query is empty between pipes");
    const p = new P(part);
    const cmd = p.next().v.toLowerCase();
    const named = (): { name: string; e: Expr } => {
      const from = p.i;
      const e = p.expr();
      const to = p.i;
      const name = p.eat("as") ? p.next().v : text(part, from, to);
      return { name, e };
    };
    if (cmd === "fields") {
      const items = [named()];
      while (p.eat(",")) items.push(named());
      stages.push({ kind: "fields", items });
    } else if (cmd === "display") {
      const names = [p.next().v];
      while (p.eat(",")) names.push(p.next().v);
      stages.push({ kind: "display", names });
    } else if (cmd === "filter") {
      stages.push({ kind: "filter", e: p.expr() });
    } else if (cmd === "parse") {
      const field = p.atom();
      const pat = p.next();
      let re: RegExp;
      let names: string[] = [];
      if (pat.t === "str") {
        re = new RegExp(pat.v.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("(.*?)") + (pat.v.endsWith("*") ? "$" : ""), "s");
        p.expect("as");
        names = [p.next().v];
        while (p.eat(",")) names.push(p.next().v);
      } else if (pat.t === "re") {
        const [flags, body] = pat.v.split("\u0000");
        re = new RegExp(body.replace(/\(\?<(\w+)>/g, (_m, n) => (names.push(n), "(")), flags.replace(/[^imsu]/g, ""));
      } else throw malformed("parse expects a glob string or a /regex/ with named groups");
      stages.push({ kind: "parse", field, re, names });
    } else if (cmd === "stats") {
      const aggs: Agg[] = [];
      do {
        const from = p.i;
        const fn = p.next().v.toLowerCase();
        p.expect("(");
        let arg: Expr | undefined;
        if (p.eat("*")) arg = undefined;
        else arg = p.expr();
        p.expect(")");
        if (!["count", "count_distinct", "sum", "avg", "min", "max"].includes(fn)) throw malformed(`unknown aggregation ${fn}`);
        const to = p.i;
        aggs.push({ fn, arg, name: p.eat("as") ? p.next().v : text(part, from, to) });
      } while (p.eat(","));
      const by: Array<{ name: string; e: Expr }> = [];
      if (p.eat("by")) {
        by.push(named());
        while (p.eat(",")) by.push(named());
      }
      stages.push({ kind: "stats", aggs, by });
    } else if (cmd === "sort") {
      const keys: Array<{ name: string; desc: boolean }> = [];
      do {
        const name = p.next().v;
        const desc = p.eat("desc") ? true : (p.eat("asc"), false);
        keys.push({ name, desc });
      } while (p.eat(","));
      stages.push({ kind: "sort", keys });
    } else if (cmd === "limit") {
      const n = Number(p.next().v);
      if (!Number.isInteger(n) || n < 1) throw malformed("limit expects a positive integer");
      stages.push({ kind: "limit", n });
    } else {
      throw malformed(`unexpected symbol found ${cmd} at line 1`);
    }
    if (!p.done()) throw malformed(`unexpected symbol found ${p.peek()!.v} at line 1`);
  }
  return stages;
}

/** Runs the stages over rows; returns the result rows and the field names they show, in order. */
export function runQuery(stages: Stage[], rows: Iterable<Row>, limit: number): { rows: Row[]; matched: number; scanned: number } {
  let out: Row[] = [];
  let scanned = 0;
  const firstStats = stages.findIndex((s) => s.kind === "stats");
  const before = firstStats < 0 ? stages : stages.slice(0, firstStats);
  for (const r0 of rows) {
    scanned++;
    let r: Row | undefined = r0;
    for (const s of before) {
      if (!r) break;
      if (s.kind === "filter") {
        if (!truthy(s.e(r))) r = undefined;
      } else if (s.kind === "parse") {
        const m = s.re.exec(String(s.field(r) ?? ""));
        if (m) s.names.forEach((n, k) => (r![n] = m[k + 1]));
      } else if (s.kind === "fields") {
        for (const f of s.items) r[f.name] = f.e(r);
      }
    }
    if (r) out.push(r);
  }
  const matched = out.length;
  // Without a sort, row queries answer newest first (as the Insights console shows them).
  if (firstStats < 0 && !stages.some((s) => s.kind === "sort")) out.reverse().sort((x, y) => num(y["@timestamp"]) - num(x["@timestamp"]));
  let shown: string[] | undefined;
  const after = firstStats < 0 ? stages.filter((s) => s.kind === "sort" || s.kind === "limit" || s.kind === "display") : stages.slice(firstStats);
  for (const s of after) {
    if (s.kind === "stats") {
      const groups = new Map<string, { key: Row; rows: Row[] }>();
      for (const r of out) {
        const key: Row = {};
        for (const b of s.by) key[b.name] = b.e(r);
        const k = JSON.stringify(s.by.map((b) => key[b.name]));
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { key, rows: [] }));
        g.rows.push(r);
      }
      out = [...groups.values()].map((g) => {
        const row: Row = { ...g.key };
        for (const a of s.aggs) row[a.name] = aggregate(a, g.rows);
        return row;
      });
      shown = [...s.by.map((b) => b.name), ...s.aggs.map((a) => a.name)];
    } else if (s.kind === "sort") {
      out.sort((x, y) => {
        for (const k of s.keys) {
          const a = x[k.name];
          const b = y[k.name];
          if (a === b) continue;
          if (a === undefined) return 1;
          if (b === undefined) return -1;
          const c = compare("<", a, b) ? -1 : 1;
          return k.desc ? -c : c;
        }
        return 0;
      });
    } else if (s.kind === "limit") {
      out = out.slice(0, s.n);
    } else if (s.kind === "display") {
      shown = s.names;
    } else if (s.kind === "fields") {
      for (const r of out) for (const f of s.items) r[f.name] = f.e(r);
    } else if (s.kind === "filter") {
      out = out.filter((r) => truthy(s.e(r)));
    }
  }
  if (!shown) {
    const fields = stages.flatMap((s) => (s.kind === "fields" ? s.items.map((f) => f.name) : s.kind === "parse" ? s.names : []));
    shown = fields.length > 0 ? [...new Set(fields)] : ["@timestamp", "@message", "@logStream", "@log"];
    // Row queries also carry @ptr, as AWS's do.
    shown.push("@ptr");
  }
  return {
    rows: out.slice(0, limit).map((r) => {
      const o: Row = {};
      for (const f of shown!) if (r[f] !== undefined) o[f] = r[f];
      return o;
    }),
    matched,
    scanned,
  };
}

function aggregate(a: Agg, rows: Row[]): number {
  const vals = a.arg ? rows.map((r) => a.arg!(r)).filter((v) => v !== undefined && v !== null && v !== "") : rows;
  if (a.fn === "count") return vals.length;
  if (a.fn === "count_distinct") return new Set(vals.map((v) => JSON.stringify(v))).size;
  const nums = vals.map(num).filter((n) => !Number.isNaN(n));
  if (nums.length === 0) return 0;
  switch (a.fn) {
    case "sum": return nums.reduce((s, n) => s + n, 0);
    case "avg": return nums.reduce((s, n) => s + n, 0) / nums.length;
    case "min": return Math.min(...nums);
    case "max": return Math.max(...nums);
  }
  return 0;
}
