// Compiles a parsed S3 Select query (sql-parser.ts) into closures over one input record, so a
// record costs a few function calls, not a walk of the AST. Values: null, undefined (MISSING),
// boolean, number, string, Date (TIMESTAMP), and arrays/objects from JSON input.
import { AwsError } from "../../../core/errors.js";
import type { Expr, Query } from "./sql-parser.js";
import { CsvLine } from "./readers.js";

/** How paths reach into a record: CSV records are string arrays (with header names when USE), JSON records are values. */
export interface InputShape {
  kind: "csv" | "json";
  /** CSV with FileHeaderInfo USE: column name -> index (exact), and lower-cased names -> index. */
  header?: { exact: Map<string, number>; folded: Map<string, number> };
}

type Fn = (rec: unknown) => unknown;

export interface Compiled {
  where?: (rec: unknown) => boolean;
  /** Non-aggregate queries: the output row of a record (names and values). */
  project?: (rec: unknown) => unknown[];
  names: string[];
  star: boolean;
  /** Aggregate queries: accumulate a record; read the one output row at the end. */
  accumulate?: (rec: unknown) => void;
  result?: () => unknown[];
  limit?: number;
}

function evalError(code: string, message: string): AwsError {
  return new AwsError(code, message, 400);
}

const castFailed = (): AwsError => evalError("CastFailed", "Attempt to convert from one data type to another using CAST failed in the SQL expression.");
const invalidArgs = (): AwsError => evalError("EvaluatorInvalidArguments", "Incorrect number of arguments in the function call in the SQL expression.");

/** A number from a value (numeric strings of CSV input count), or undefined. */
function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") return parseNumber(v);
  if (typeof v === "boolean") return undefined;
  return undefined;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A CSV field as a number. Plain decimals ("-12.50") are read digit by digit: an integer
 * mantissa below 2^53 divided by an exact power of ten is the correctly rounded value, the
 * same double Number() gives, at a fraction of its cost; anything else goes to Number().
 */
export function parseNumber(v: string): number | undefined {
  const len = v.length;
  if (len === 0) return undefined;
  let i = 0;
  let neg = false;
  const c0 = v.charCodeAt(0);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i = 1;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < len; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else break;
  }
  if (i === len && digits > 0 && digits <= 15 && frac <= 22) {
    const x = frac > 0 ? m / POW10[frac] : m;
    return neg ? -x : x;
  }
  const n = +v;
  if (n !== n) return undefined;
  return n === 0 && v.trim() === "" ? undefined : n;
}

function isAbsent(v: unknown): boolean {
  return v === null || v === undefined;
}

function toText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object" && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Three-way comparison, or undefined when the values are not comparable. */
function compare(a: unknown, b: unknown): number | undefined {
  if (a instanceof Date || b instanceof Date) {
    const x = a instanceof Date ? a.getTime() : typeof a === "string" ? Date.parse(a) : NaN;
    const y = b instanceof Date ? b.getTime() : typeof b === "string" ? Date.parse(b) : NaN;
    if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "number" || typeof b === "number") {
    const x = num(a);
    const y = num(b);
    if (x === undefined || y === undefined) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  return undefined;
}

export function cast(v: unknown, type: string): unknown {
  if (isAbsent(v)) return v;
  switch (type) {
    case "INT":
    case "INTEGER":
    case "BIGINT":
    case "SMALLINT": {
      if (typeof v === "boolean") return v ? 1 : 0;
      const n = num(v);
      if (n === undefined) throw castFailed();
      return Math.trunc(n);
    }
    case "FLOAT":
    case "DOUBLE":
    case "REAL":
    case "DECIMAL":
    case "NUMERIC": {
      if (typeof v === "boolean") return v ? 1 : 0;
      const n = num(v);
      if (n === undefined) throw castFailed();
      return n;
    }
    case "STRING":
    case "VARCHAR":
    case "CHAR":
      return toText(v);
    case "BOOL":
    case "BOOLEAN": {
      if (typeof v === "boolean") return v;
      if (typeof v === "number") return v !== 0;
      const s = String(v).trim().toLowerCase();
      if (s === "true") return true;
      if (s === "false") return false;
      throw castFailed();
    }
    case "TIMESTAMP": {
      if (v instanceof Date) return v;
      const d = toTimestamp(String(v));
      if (!d) throw castFailed();
      return d;
    }
  }
  throw castFailed();
}

/** ISO 8601 timestamps as S3 Select accepts them (2007T, 2007-02T, 2007-02-23T, with time and zone). */
function toTimestamp(s: string): Date | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?T?$/.exec(s.trim());
  if (!m) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  const [, y, mo = "01", d = "01", h = "00", mi = "00", sec = "00", frac = "0", zone = "Z"] = m;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${frac.padEnd(3, "0").slice(0, 3)}${zone}`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function likeRegex(pattern: string, escape: string | undefined): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (escape !== undefined && c === escape && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(re + "$");
}

const DATE_PARTS = new Set(["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]);

function tsArg(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v === "string") return toTimestamp(v);
  return undefined;
}

function dateAdd(part: string, n: number, d: Date): Date {
  const x = new Date(d.getTime());
  switch (part) {
    case "YEAR":
      x.setUTCFullYear(x.getUTCFullYear() + n);
      break;
    case "MONTH":
      x.setUTCMonth(x.getUTCMonth() + n);
      break;
    case "DAY":
      x.setUTCDate(x.getUTCDate() + n);
      break;
    case "HOUR":
      x.setTime(x.getTime() + n * 3_600_000);
      break;
    case "MINUTE":
      x.setTime(x.getTime() + n * 60_000);
      break;
    case "SECOND":
      x.setTime(x.getTime() + n * 1000);
      break;
  }
  return x;
}

function dateDiff(part: string, a: Date, b: Date): number {
  switch (part) {
    case "YEAR":
      return b.getUTCFullYear() - a.getUTCFullYear();
    case "MONTH":
      return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
    case "DAY":
      return Math.trunc((b.getTime() - a.getTime()) / 86_400_000);
    case "HOUR":
      return Math.trunc((b.getTime() - a.getTime()) / 3_600_000);
    case "MINUTE":
      return Math.trunc((b.getTime() - a.getTime()) / 60_000);
    default:
      return Math.trunc((b.getTime() - a.getTime()) / 1000);
  }
}

function callFunction(name: string, args: unknown[], now: () => Date): unknown {
  const str = (i: number): string | undefined => (isAbsent(args[i]) ? undefined : toText(args[i]));
  switch (name) {
    case "LOWER":
      return str(0)?.toLowerCase() ?? args[0];
    case "UPPER":
      return str(0)?.toUpperCase() ?? args[0];
    case "CHAR_LENGTH":
    case "CHARACTER_LENGTH": {
      const s = str(0);
      return s === undefined ? args[0] : [...s].length;
    }
    case "TRIM": {
      const s = str(2);
      if (s === undefined) return args[2];
      const chars = new Set([...(str(1) ?? " ")]);
      let a = 0;
      let b = s.length;
      if (args[0] !== "TRAILING") while (a < b && chars.has(s[a])) a++;
      if (args[0] !== "LEADING") while (b > a && chars.has(s[b - 1])) b--;
      return s.slice(a, b);
    }
    case "SUBSTRING": {
      if (args.length < 2 || args.length > 3) throw invalidArgs();
      const s = str(0);
      if (s === undefined) return args[0];
      const start = num(args[1]);
      if (start === undefined) throw evalError("EvaluatorInvalidArguments", "Incorrect argument type in the SQL expression.");
      const chars = [...s];
      // SQL semantics: characters from position max(start, 1) up to start + length - 1.
      const from = Math.max(Math.trunc(start), 1);
      const to = args.length === 3 ? Math.trunc(start) + Math.trunc(num(args[2]) ?? 0) : chars.length + 1;
      return to <= from ? "" : chars.slice(from - 1, to - 1).join("");
    }
    case "COALESCE":
      for (const a of args) if (!isAbsent(a)) return a;
      return null;
    case "NULLIF":
      if (args.length !== 2) throw invalidArgs();
      return compare(args[0], args[1]) === 0 ? null : args[0];
    case "UTCNOW":
      if (args.length !== 0) throw invalidArgs();
      return now();
    case "TO_TIMESTAMP": {
      if (isAbsent(args[0])) return args[0];
      return cast(args[0], "TIMESTAMP");
    }
    case "TO_STRING": {
      const d = tsArg(args[0]);
      return d ? d.toISOString() : args[0];
    }
    case "EXTRACT": {
      const d = tsArg(args[1]);
      if (!d) return null;
      switch (args[0]) {
        case "YEAR":
          return d.getUTCFullYear();
        case "MONTH":
          return d.getUTCMonth() + 1;
        case "DAY":
          return d.getUTCDate();
        case "HOUR":
          return d.getUTCHours();
        case "MINUTE":
          return d.getUTCMinutes();
        case "SECOND":
          return d.getUTCSeconds();
        case "TIMEZONE_HOUR":
        case "TIMEZONE_MINUTE":
          return 0;
      }
      throw evalError("EvaluatorInvalidTimestampFormatPattern", "Time stamp format pattern contains an invalid symbol in the SQL expression.");
    }
    case "DATE_ADD": {
      const part = String(args[0]);
      if (!DATE_PARTS.has(part)) throw evalError("EvaluatorInvalidArguments", "Incorrect argument type in the SQL expression.");
      const n = num(args[1]);
      const d = tsArg(args[2]);
      if (n === undefined || !d) return null;
      return dateAdd(part, Math.trunc(n), d);
    }
    case "DATE_DIFF": {
      const part = String(args[0]);
      if (!DATE_PARTS.has(part)) throw evalError("EvaluatorInvalidArguments", "Incorrect argument type in the SQL expression.");
      const a = tsArg(args[1]);
      const b = tsArg(args[2]);
      if (!a || !b) return null;
      return dateDiff(part, a, b);
    }
  }
  throw evalError("UnsupportedFunction", `Encountered an unsupported SQL function.`);
}

const KNOWN_FUNCTIONS = new Set(["LOWER", "UPPER", "CHAR_LENGTH", "CHARACTER_LENGTH", "TRIM", "SUBSTRING", "COALESCE", "NULLIF", "UTCNOW", "TO_TIMESTAMP", "TO_STRING", "EXTRACT", "DATE_ADD", "DATE_DIFF"]);

interface AggState {
  name: string;
  arg: Fn | "*";
  count: number;
  sum: number;
  best: unknown;
}

class Compiler {
  readonly aggs: AggState[] = [];
  constructor(
    private readonly q: Query,
    private readonly shape: InputShape,
    private readonly now: () => Date,
  ) {}

  /** Resolves a path: the FROM alias first (if named), then CSV columns or JSON members. */
  path(steps: Extract<Expr, { k: "path" }>["steps"]): Fn {
    let rest = steps;
    const first = steps[0];
    const alias = this.q.alias;
    if ("name" in first && alias !== undefined && (first.quoted ? first.name === alias : first.name.toLowerCase() === alias.toLowerCase()) && steps.length > 1) rest = steps.slice(1);
    if (this.shape.kind === "csv") {
      const s = rest[0];
      if (!("name" in s) || rest.length > 1) throw evalError("InvalidColumnIndex", "The column index is invalid. Please check the service documentation and try again.");
      const pos = /^_(\d+)$/.exec(s.name);
      if (pos) {
        const i = Number(pos[1]) - 1;
        if (i < 0) throw evalError("InvalidColumnIndex", "The column index is invalid. Please check the service documentation and try again.");
        return csvField(i);
      }
      const h = this.shape.header;
      const idx = h ? (s.quoted ? h.exact.get(s.name) : h.folded.get(s.name.toLowerCase())) : undefined;
      if (idx === undefined) return () => undefined;
      return csvField(idx);
    }
    // JSON: member names (unquoted ones case-insensitive), indexes, wildcards are not projections here.
    return (rec) => {
      let v: unknown = rec;
      for (const s of rest) {
        if (v === null || v === undefined) return undefined;
        if ("index" in s) v = Array.isArray(v) ? v[s.index] : undefined;
        else if ("name" in s) {
          if (typeof v !== "object" || Array.isArray(v)) return undefined;
          const o = v as Record<string, unknown>;
          if (s.name in o) v = o[s.name];
          else if (!s.quoted) {
            const lower = s.name.toLowerCase();
            const k = Object.keys(o).find((x) => x.toLowerCase() === lower);
            v = k === undefined ? undefined : o[k];
          } else v = undefined;
        } else return undefined;
      }
      return v;
    };
  }

  expr(e: Expr, inAgg = false): Fn {
    switch (e.k) {
      case "lit": {
        const v = e.v;
        return () => v;
      }
      case "path":
        return this.path(e.steps);
      case "pos":
        return csvField(e.index);
      case "star":
        return (rec) => rec;
      case "un": {
        const f = this.expr(e.e, inAgg);
        if (e.op === "NOT") {
          return (r) => {
            const v = f(r);
            return isAbsent(v) ? null : !truthy(v);
          };
        }
        return (r) => {
          const v = num(f(r));
          return v === undefined ? null : -v;
        };
      }
      case "bin":
        return this.binary(e.op, this.expr(e.l, inAgg), this.expr(e.r, inAgg));
      case "like": {
        const f = this.expr(e.e, inAgg);
        const p = this.expr(e.pattern, inAgg);
        const esc = e.escape ? this.expr(e.escape, inAgg) : undefined;
        const constant = e.pattern.k === "lit" && (!e.escape || e.escape.k === "lit") ? likeRegex(String(e.pattern.v), e.escape ? String((e.escape as { v: unknown }).v) : undefined) : undefined;
        return (r) => {
          const v = f(r);
          if (isAbsent(v)) return null;
          const re = constant ?? likeRegex(String(p(r)), esc ? String(esc(r)) : undefined);
          return re.test(toText(v)) !== e.not;
        };
      }
      case "between": {
        const f = this.expr(e.e, inAgg);
        const lo = this.expr(e.lo, inAgg);
        const hi = this.expr(e.hi, inAgg);
        return (r) => {
          const v = f(r);
          const a = compare(v, lo(r));
          const b = compare(v, hi(r));
          if (a === undefined || b === undefined) return null;
          return (a >= 0 && b <= 0) !== e.not;
        };
      }
      case "in": {
        const f = this.expr(e.e, inAgg);
        const list = e.list.map((x) => this.expr(x, inAgg));
        return (r) => {
          const v = f(r);
          if (isAbsent(v)) return null;
          const found = list.some((g) => compare(v, g(r)) === 0);
          return found !== e.not;
        };
      }
      case "is": {
        const f = this.expr(e.e, inAgg);
        return (r) => {
          const v = f(r);
          const yes = e.what === "NULL" ? v === null || v === undefined : e.what === "MISSING" ? v === undefined : e.what === "TRUE" ? v === true : v === false;
          return yes !== e.not;
        };
      }
      case "cast": {
        const f = this.expr(e.e, inAgg);
        const t = e.type;
        // The common numeric casts of CSV text, without the general switch.
        if (t === "FLOAT" || t === "DOUBLE" || t === "REAL" || t === "DECIMAL" || t === "NUMERIC") {
          return (r) => {
            const v = f(r);
            if (typeof v !== "string") return cast(v, t);
            const n = parseNumber(v);
            if (n === undefined) throw castFailed();
            return n;
          };
        }
        return (r) => cast(f(r), t);
      }
      case "call": {
        if (!KNOWN_FUNCTIONS.has(e.name)) throw evalError("UnsupportedFunction", "Encountered an unsupported SQL function.");
        const args = e.args.map((a) => this.expr(a, inAgg));
        const now = this.now;
        return (r) => callFunction(e.name, args.map((g) => g(r)), now);
      }
      case "agg": {
        if (inAgg) throw evalError("ParseNestedAggregates", "Nested aggregates are not supported.");
        const state: AggState = { name: e.name, arg: e.arg === "*" ? "*" : this.expr(e.arg, true), count: 0, sum: 0, best: undefined };
        this.aggs.push(state);
        return () => aggResult(state);
      }
      case "case": {
        const operand = e.operand ? this.expr(e.operand, inAgg) : undefined;
        const whens = e.whens.map(([w, t]) => [this.expr(w, inAgg), this.expr(t, inAgg)] as const);
        const els = e.else ? this.expr(e.else, inAgg) : () => null;
        return (r) => {
          const o = operand?.(r);
          for (const [w, t] of whens) {
            const v = w(r);
            if (operand ? compare(o, v) === 0 : v === true) return t(r);
          }
          return els(r);
        };
      }
    }
  }

  private binary(op: string, l: Fn, r: Fn): Fn {
    switch (op) {
      case "AND":
        return (x) => {
          const a = l(x);
          if (a === false) return false;
          const b = r(x);
          if (b === false) return false;
          return isAbsent(a) || isAbsent(b) ? null : true;
        };
      case "OR":
        return (x) => {
          const a = l(x);
          if (a === true) return true;
          const b = r(x);
          if (b === true) return true;
          return isAbsent(a) || isAbsent(b) ? null : false;
        };
      case "||":
        return (x) => {
          const a = l(x);
          const b = r(x);
          return isAbsent(a) || isAbsent(b) ? null : toText(a) + toText(b);
        };
      case "=":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=":
        return (x) => {
          const a = l(x);
          const b = r(x);
          if (isAbsent(a) || isAbsent(b)) return null;
          const c = compare(a, b);
          if (c === undefined) return op === "!=" ? true : op === "=" ? false : null;
          switch (op) {
            case "=":
              return c === 0;
            case "!=":
              return c !== 0;
            case "<":
              return c < 0;
            case "<=":
              return c <= 0;
            case ">":
              return c > 0;
            default:
              return c >= 0;
          }
        };
      default:
        return (x) => {
          const a = num(l(x));
          const b = num(r(x));
          if (a === undefined || b === undefined) return null;
          switch (op) {
            case "+":
              return a + b;
            case "-":
              return a - b;
            case "*":
              return a * b;
            case "/":
              if (b === 0) throw evalError("DivisionByZero", "Division by zero is not allowed.");
              return Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b;
            default:
              if (b === 0) throw evalError("DivisionByZero", "Division by zero is not allowed.");
              return a % b;
          }
        };
    }
  }
}

/** Field i of a CSV record (a lazily split CsvLine, or the slow path's array). */
function csvField(i: number): Fn {
  return (rec) => (rec instanceof CsvLine ? rec.get(i) : (rec as string[])[i]);
}

function truthy(v: unknown): boolean {
  return v === true;
}

function aggResult(s: AggState): unknown {
  switch (s.name) {
    case "COUNT":
      return s.count;
    case "SUM":
      return s.count === 0 ? null : s.sum;
    case "AVG":
      return s.count === 0 ? null : s.sum / s.count;
    default:
      return s.count === 0 ? null : s.best;
  }
}

/** The per-record step of one aggregate, specialised once per query. */
function accumulator(s: AggState): (rec: unknown) => void {
  const arg = s.arg;
  if (arg === "*") return () => void s.count++;
  switch (s.name) {
    case "COUNT":
      return (rec) => {
        if (!isAbsent(arg(rec))) s.count++;
      };
    case "SUM":
    case "AVG":
      return (rec) => {
        const v = arg(rec);
        if (isAbsent(v)) return;
        const n = num(v);
        if (n === undefined) throw evalError("EvaluatorInvalidArguments", "Incorrect argument type in the SQL expression.");
        s.sum += n;
        s.count++;
      };
    default: {
      const min = s.name === "MIN";
      return (rec) => {
        const v = arg(rec);
        if (isAbsent(v)) return;
        const c = s.count === 0 ? undefined : compare(v, s.best);
        if (s.count === 0 || (c !== undefined && (min ? c < 0 : c > 0))) s.best = typeof v === "string" && num(v) !== undefined ? num(v) : v;
        s.count++;
      };
    }
  }
}

/** The name a select item gets in JSON output: its alias, its path's last name, else _N by position. */
function itemName(e: Expr, alias: string | undefined, i: number, q: Query): string {
  if (alias !== undefined) return alias;
  if (e.k === "path") {
    const last = e.steps[e.steps.length - 1];
    if ("name" in last && !(e.steps.length === 1 && q.alias !== undefined && last.name.toLowerCase() === q.alias.toLowerCase())) return last.name;
  }
  return `_${i + 1}`;
}

export function compileQuery(q: Query, shape: InputShape, now: () => Date): Compiled {
  const c = new Compiler(q, shape, now);
  const where = q.where ? c.expr(q.where) : undefined;
  if (where && c.aggs.length > 0) throw evalError("ParseInvalidContextForWildcardInSelectList", "Aggregate functions are not allowed in the WHERE clause.");
  const out: Compiled = { names: [], star: q.items === "*", limit: q.limit };
  if (where) out.where = (rec) => where(rec) === true;
  if (q.items === "*") return out;
  const fns = q.items.map((it) => c.expr(it.e));
  out.names = q.items.map((it, i) => itemName(it.e, it.alias, i, q));
  if (c.aggs.length > 0) {
    // Every item must be an aggregate (or a constant expression over them): no GROUP BY in S3 Select.
    for (const it of q.items) {
      if (!containsAgg(it.e) && containsPath(it.e)) throw evalError("ParseNonUnaryAgregateFunctionCall", "Only one argument is supported for aggregate functions in the SQL expression.");
    }
    const steps = c.aggs.map(accumulator);
    out.accumulate =
      steps.length === 1
        ? steps[0]
        : (rec) => {
            for (let i = 0; i < steps.length; i++) steps[i](rec);
          };
    out.result = () => fns.map((f) => f(undefined));
  } else {
    out.project = (rec) => fns.map((f) => f(rec));
  }
  return out;
}

function containsAgg(e: Expr): boolean {
  return walk(e, (x) => x.k === "agg");
}
function containsPath(e: Expr): boolean {
  return walk(e, (x) => x.k === "path");
}
function walk(e: Expr, test: (e: Expr) => boolean): boolean {
  if (test(e)) return true;
  switch (e.k) {
    case "un":
    case "cast":
      return walk(e.e, test);
    case "bin":
      return walk(e.l, test) || walk(e.r, test);
    case "like":
      return walk(e.e, test) || walk(e.pattern, test);
    case "between":
      return walk(e.e, test) || walk(e.lo, test) || walk(e.hi, test);
    case "in":
      return walk(e.e, test) || e.list.some((x) => walk(x, test));
    case "is":
      return walk(e.e, test);
    case "call":
      return e.args.some((x) => walk(x, test));
    case "case":
      return (e.operand ? walk(e.operand, test) : false) || e.whens.some(([a, b]) => walk(a, test) || walk(b, test)) || (e.else ? walk(e.else, test) : false);
    default:
      return false;
  }
}
