// CloudWatch Logs filter pattern syntax ("Filter pattern syntax for metric filters, subscription
// filters, filter log events", CloudWatch Logs User Guide), compiled once per pattern:
// 1. empty pattern: every event matches;
// 2. terms: `ERROR`, `"quoted phrase"`, `-exclude`, `?either ?or` (case-sensitive substrings);
// 3. JSON: `{ $.level = "ERROR" && ($.latency > 100 || $.user.id NOT EXISTS) }`;
// 4. space-delimited: `[ip, user, ..., status = 4*, bytes > 1000]`.
// A match also yields what a metric filter's metricValue / dimensions may name (`$.field` for
// JSON, `$name` for space-delimited).
import { AwsError } from "../../core/errors.js";

export interface Match {
  json?: unknown;
  fields?: Record<string, string>;
}

export interface Pattern {
  kind: "all" | "terms" | "json" | "delimited";
  match(message: string): Match | undefined;
  /** Substrings every matching message contains (case-sensitive): a store may filter on them first. */
  required?: string[];
}

const invalid = () => new AwsError("InvalidParameterException", "Invalid filter pattern");

export function compilePattern(text: string | undefined): Pattern {
  const t = (text ?? "").trim();
  if (t === "" || t === '""') return { kind: "all", match: () => ({}) };
  if (t.startsWith("{")) return jsonPattern(t);
  if (t.startsWith("[")) return delimitedPattern(t);
  return termPattern(t);
}

// ---- 2. terms ----

function termPattern(text: string): Pattern {
  const all: string[] = [];
  const none: string[] = [];
  const any: string[] = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
    (m[1] === "-" ? none : m[1] === "?" ? any : all).push(term);
  }
  return {
    kind: "terms",
    required: all,
    match(msg) {
      for (const t of all) if (!msg.includes(t)) return undefined;
      for (const t of none) if (msg.includes(t)) return undefined;
      if (any.length > 0 && !any.some((t) => msg.includes(t))) return undefined;
      return {};
    },
  };
}

// ---- shared: tokens and comparisons ----

type Tok = { t: "op" | "str" | "num" | "word" | "sel" | "(" | ")" | "," | "&&" | "||" | "..."; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith("&&", i) || src.startsWith("||", i)) {
      out.push({ t: src.slice(i, i + 2) as "&&", v: src.slice(i, i + 2) });
      i += 2;
    } else if (src.startsWith("...", i)) {
      out.push({ t: "...", v: "..." });
      i += 3;
    } else if (/[!<>=]/.test(c)) {
      const m = /^(!=|<=|>=|=|<|>)/.exec(src.slice(i));
      if (!m) throw invalid();
      out.push({ t: "op", v: m[1] });
      i += m[1].length;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\" && j + 1 < src.length) j++;
        s += src[j++];
      }
      if (j >= src.length) throw invalid();
      out.push({ t: "str", v: s });
      i = j + 1;
    } else if (c === "$") {
      const m = /^\$(?:(?:\.[A-Za-z0-9_\-@*]+|\[\d+\]|\[\*\])+|[A-Za-z0-9_]*)/.exec(src.slice(i))!;
      out.push({ t: "sel", v: m[0] });
      i += m[0].length;
    } else {
      const m = /^[^\s()!<>=,&|"]+/.exec(src.slice(i));
      if (!m) throw invalid();
      out.push({ t: /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(m[0]) ? "num" : "word", v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

function wildcard(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
  return re.test(value);
}

type Value = { kind: "num"; n: number } | { kind: "str"; s: string };

/** A comparison of one value; undefined values (missing fields) never match but `!=`. */
function compare(op: string, actual: unknown, v: Value): boolean {
  if (actual === undefined) return false;
  if (v.kind === "num") {
    const n = typeof actual === "number" ? actual : typeof actual === "string" && actual.trim() !== "" ? Number(actual) : NaN;
    if (Number.isNaN(n)) return op === "!=";
    switch (op) {
      case "=": return n === v.n;
      case "!=": return n !== v.n;
      case "<": return n < v.n;
      case ">": return n > v.n;
      case "<=": return n <= v.n;
      case ">=": return n >= v.n;
    }
    return false;
  }
  if (typeof actual === "object" && actual !== null) return false;
  const s = String(actual);
  if (op === "=") return wildcard(v.s, s);
  if (op === "!=") return !wildcard(v.s, s);
  throw invalid();
}

class Parser {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw invalid();
    return t;
  }
  value(): Value {
    const t = this.next();
    if (t.t === "num") return { kind: "num", n: Number(t.v) };
    if (t.t === "str" || t.t === "word") return { kind: "str", s: t.v };
    throw invalid();
  }
  /** or := and ('||' and)*; and := unary ('&&' unary)*; unary := '(' or ')' | leaf */
  or<T>(leaf: () => (x: T) => boolean): (x: T) => boolean {
    const parts = [this.and(leaf)];
    while (this.peek()?.t === "||") {
      this.i++;
      parts.push(this.and(leaf));
    }
    return parts.length === 1 ? parts[0] : (x) => parts.some((p) => p(x));
  }
  and<T>(leaf: () => (x: T) => boolean): (x: T) => boolean {
    const parts = [this.unary(leaf)];
    while (this.peek()?.t === "&&") {
      this.i++;
      parts.push(this.unary(leaf));
    }
    return parts.length === 1 ? parts[0] : (x) => parts.every((p) => p(x));
  }
  unary<T>(leaf: () => (x: T) => boolean): (x: T) => boolean {
    if (this.peek()?.t === "(") {
      this.i++;
      const inner = this.or(leaf);
      if (this.next().t !== ")") throw invalid();
      return inner;
    }
    return leaf();
  }
}

// ---- 3. JSON ----

const MISSING = Symbol("missing");

/** Reads `$.a.b[0]` from a parsed document. */
export function select(doc: unknown, selector: string): unknown {
  const steps = selector.slice(1).match(/\.[^.[]+|\[\d+\]|\[\*\]/g) ?? [];
  let cur: unknown = doc;
  for (const s of steps) {
    if (cur === null || typeof cur !== "object") return MISSING;
    const key = s.startsWith("[") ? s.slice(1, -1) : s.slice(1);
    if (key === "*") return MISSING;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return MISSING;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function jsonPattern(text: string): Pattern {
  if (!text.endsWith("}")) throw invalid();
  const p = new Parser(tokenize(text.slice(1, -1)));
  const test = p.or<unknown>(() => {
    const sel = p.next();
    if (sel.t !== "sel" || !sel.v.startsWith("$.") && !sel.v.startsWith("$[")) throw invalid();
    const op = p.next();
    if (op.t === "word" && op.v.toUpperCase() === "IS") {
      const what = p.next().v.toUpperCase();
      if (what === "NULL") return (doc) => select(doc, sel.v) === null;
      if (what === "TRUE") return (doc) => select(doc, sel.v) === true;
      if (what === "FALSE") return (doc) => select(doc, sel.v) === false;
      throw invalid();
    }
    if (op.t === "word" && op.v.toUpperCase() === "NOT") {
      if (p.next().v.toUpperCase() !== "EXISTS") throw invalid();
      return (doc) => select(doc, sel.v) === MISSING;
    }
    if (op.t !== "op") throw invalid();
    const v = p.value();
    return (doc) => {
      const actual = select(doc, sel.v);
      return actual === MISSING ? false : compare(op.v, actual, v);
    };
  });
  if (p.peek()) throw invalid();
  return {
    kind: "json",
    match(msg) {
      const s = msg.trimStart();
      if (!s.startsWith("{") && !s.startsWith("[")) return undefined;
      let doc: unknown;
      try {
        doc = JSON.parse(s);
      } catch {
        return undefined;
      }
      return test(doc) ? { json: doc } : undefined;
    },
  };
}

// ---- 4. space-delimited ----

/** Splits a message into fields: whitespace separates; "..." and [...] are one field each. */
export function splitFields(msg: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|\[([^\]]*)\]|(\S+)/g;
  for (let m = re.exec(msg); m; m = re.exec(msg)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function delimitedPattern(text: string): Pattern {
  if (!text.endsWith("]")) throw invalid();
  const toks = tokenize(text.slice(1, -1));
  // 1. Field list: names (or `...`), each optionally followed by conditions up to the next comma.
  const names: string[] = [];
  const conditions: Array<(f: Record<string, string>) => boolean> = [];
  let i = 0;
  let n = 0;
  while (i < toks.length) {
    const start = i;
    let depth = 0;
    while (i < toks.length && !(toks[i].t === "," && depth === 0)) {
      if (toks[i].t === "(") depth++;
      if (toks[i].t === ")") depth--;
      i++;
    }
    const part = toks.slice(start, i);
    i++; // the comma
    if (part.length === 0) throw invalid();
    if (part[0].t === "...") {
      names.push("...");
      continue;
    }
    n++;
    const name = part[0].t === "word" ? part[0].v : `$${n}`;
    names.push(name);
    if (part.length > 1 || part[0].t === "sel") {
      // `name = value`, `name = v1 || name = v2`, or a bare condition starting with `$n`.
      const p = new Parser(part);
      const test = p.or<Record<string, string>>(() => {
        const f = p.next();
        if (f.t !== "word" && f.t !== "sel") throw invalid();
        const key = f.t === "sel" ? f.v.slice(1) : f.v;
        const op = p.next();
        if (op.t !== "op") throw invalid();
        const v = p.value();
        return (fields) => compare(op.v, fields[key], v);
      });
      if (p.peek()) throw invalid();
      conditions.push(test);
    }
  }
  const ellipsis = names.indexOf("...");
  return {
    kind: "delimited",
    match(msg) {
      const values = splitFields(msg);
      const fields: Record<string, string> = {};
      if (ellipsis < 0) {
        if (values.length !== names.length) return undefined;
        names.forEach((name, k) => (fields[name] = values[k]));
      } else {
        const before = names.slice(0, ellipsis).filter((x) => x !== "...");
        const after = names.slice(ellipsis + 1).filter((x) => x !== "...");
        if (values.length < before.length + after.length) return undefined;
        before.forEach((name, k) => (fields[name] = values[k]));
        after.forEach((name, k) => (fields[name] = values[values.length - after.length + k]));
      }
      let k = 0;
      for (const name of names) if (name !== "...") fields[`${++k}`] = fields[name];
      for (const c of conditions) if (!c(fields)) return undefined;
      return { fields };
    },
  };
}

/** A metric filter's metricValue or dimension value for one matching event: `$.x`, `$name`, or a literal. */
export function extract(expr: string, m: Match): string | undefined {
  if (!expr.startsWith("$")) return expr;
  if (m.json !== undefined && (expr.startsWith("$.") || expr.startsWith("$["))) {
    const v = select(m.json, expr);
    return v === MISSING || v === null || typeof v === "object" ? undefined : String(v);
  }
  return m.fields?.[expr.slice(1)];
}
