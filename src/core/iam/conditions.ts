// Condition operators (IAM User Guide, "IAM JSON policy elements: Condition operators") and how
// a Condition block evaluates ("Creating a condition with multiple keys or values"):
//   - every operator of the block must be true, and within an operator every key (AND);
//   - a key with several values is true when any value matches (OR); for the negated operators
//     (StringNotEquals, NotIpAddress, ArnNotLike...) when the request's value matches none;
//   - a key absent from the request: the positive operators are false, the negated ones true,
//     ...IfExists forms true, Null decides on presence itself;
//   - ForAnyValue: true when at least one of the request's values matches (false for an empty or
//     absent key); ForAllValues: true when every request value matches (true for empty/absent).
// Everything is compiled once per policy document; evaluation allocates nothing for the common
// operators.
import type { ConditionBlock, ConditionContext } from "./types.js";
import { compileArnGlob, compileGlob, type Matcher } from "./wildcard.js";
import { matchTemplateGlob, parseTemplate, resolvePlain, type TemplatePart } from "./variables.js";

export type ConditionFn = (ctx: ConditionContext) => boolean;

type BaseOp =
  | "StringEquals" | "StringNotEquals" | "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" | "StringLike" | "StringNotLike"
  | "NumericEquals" | "NumericNotEquals" | "NumericLessThan" | "NumericLessThanEquals" | "NumericGreaterThan" | "NumericGreaterThanEquals"
  | "DateEquals" | "DateNotEquals" | "DateLessThan" | "DateLessThanEquals" | "DateGreaterThan" | "DateGreaterThanEquals"
  | "Bool" | "BinaryEquals" | "IpAddress" | "NotIpAddress" | "ArnEquals" | "ArnLike" | "ArnNotEquals" | "ArnNotLike" | "Null";

const BASE_OPS = new Set<string>([
  "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
  "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
  "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
  "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
]);

const NEGATED = new Set<string>(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"]);

export interface ParsedOperator {
  set?: "ForAllValues" | "ForAnyValue";
  base: BaseOp;
  ifExists: boolean;
}

/** Splits "ForAllValues:StringLikeIfExists"; undefined for an operator IAM does not know. */
export function parseOperator(op: string): ParsedOperator | undefined {
  let rest = op;
  let set: ParsedOperator["set"];
  const colon = op.indexOf(":");
  if (colon >= 0) {
    const q = op.slice(0, colon);
    if (q !== "ForAllValues" && q !== "ForAnyValue") return undefined;
    set = q;
    rest = op.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.endsWith("IfExists")) {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!BASE_OPS.has(rest)) return undefined;
  if (rest === "Null" && (ifExists || set)) return undefined;
  return { set, base: rest as BaseOp, ifExists };
}

// --- value tests ------------------------------------------------------------------------

/** One compiled policy value: tests a single request value. */
type ValueTest = (requestValue: string, ctx: ConditionContext) => boolean;

function parseDate(s: string): number {
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000; // epoch seconds
  const t = Date.parse(s);
  return Number.isNaN(t) ? NaN : t;
}

function parseNumber(s: string): number {
  return s.trim() === "" ? NaN : Number(s);
}

/** IPv4/IPv6 address to a BigInt and its bit width; undefined when not an address. */
function parseIp(s: string): { v: bigint; bits: 32 | 128 } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    let v = 0n;
    for (const p of s.split(".")) {
      const n = Number(p);
      if (n > 255) return undefined;
      v = (v << 8n) | BigInt(n);
    }
    return { v, bits: 32 };
  }
  if (!s.includes(":")) return undefined;
  let addr = s;
  // IPv4-mapped tail (::ffff:1.2.3.4)
  const m = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(addr);
  if (m) {
    const v4 = parseIp(m[2]);
    if (!v4) return undefined;
    addr = `${m[1]}${(v4.v >> 16n).toString(16)}:${(v4.v & 0xffffn).toString(16)}`;
  }
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return { v, bits: 128 };
}

function compileCidr(value: string): ValueTest {
  const slash = value.indexOf("/");
  const ip = parseIp(slash < 0 ? value : value.slice(0, slash));
  if (!ip) return () => false;
  const prefix = slash < 0 ? ip.bits : Number(value.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > ip.bits) return () => false;
  const shift = BigInt(ip.bits - prefix);
  const net = ip.v >> shift;
  return (s) => {
    const r = parseIp(s.startsWith("::ffff:") && ip.bits === 32 ? s.slice(7) : s);
    return r !== undefined && r.bits === ip.bits && r.v >> shift === net;
  };
}

function normBase64(s: string): string {
  try {
    return Buffer.from(s, "base64").toString("base64");
  } catch {
    return s;
  }
}

/** Compiles one policy value of an operator; `vars` is whether policy variables apply (Version 2012-10-17). */
function compileValue(base: BaseOp, value: string, vars: boolean): ValueTest {
  const tpl: TemplatePart[] | undefined = vars && (base.startsWith("String") || base.startsWith("Arn")) ? parseTemplate(value) : undefined;
  switch (base) {
    case "StringEquals":
    case "StringNotEquals":
      if (tpl) return (s, ctx) => resolvePlain(tpl, ctx) === s;
      return (s) => s === value;
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase": {
      if (tpl) return (s, ctx) => resolvePlain(tpl, ctx)?.toLowerCase() === s.toLowerCase();
      const lv = value.toLowerCase();
      return (s) => s.toLowerCase() === lv;
    }
    case "StringLike":
    case "StringNotLike": {
      if (tpl) return (s, ctx) => matchTemplateGlob(tpl, ctx, s);
      const m: Matcher = compileGlob(value);
      return (s) => m(s);
    }
    case "ArnEquals":
    case "ArnLike":
    case "ArnNotEquals":
    case "ArnNotLike": {
      // Both forms take wildcards; each of the six ARN parts is matched on its own.
      if (tpl) {
        return (s, ctx) => {
          const r = resolvePlain(tpl, ctx);
          return r !== undefined && s.split(":").length >= 6 && compileArnGlob(r)(s);
        };
      }
      const m = compileArnGlob(value);
      return (s) => s.startsWith("arn:") && m(s);
    }
    case "NumericEquals":
    case "NumericNotEquals": {
      const n = parseNumber(value);
      return (s) => parseNumber(s) === n;
    }
    case "NumericLessThan": {
      const n = parseNumber(value);
      return (s) => parseNumber(s) < n;
    }
    case "NumericLessThanEquals": {
      const n = parseNumber(value);
      return (s) => parseNumber(s) <= n;
    }
    case "NumericGreaterThan": {
      const n = parseNumber(value);
      return (s) => parseNumber(s) > n;
    }
    case "NumericGreaterThanEquals": {
      const n = parseNumber(value);
      return (s) => parseNumber(s) >= n;
    }
    case "DateEquals":
    case "DateNotEquals": {
      const d = parseDate(value);
      return (s) => parseDate(s) === d;
    }
    case "DateLessThan": {
      const d = parseDate(value);
      return (s) => parseDate(s) < d;
    }
    case "DateLessThanEquals": {
      const d = parseDate(value);
      return (s) => parseDate(s) <= d;
    }
    case "DateGreaterThan": {
      const d = parseDate(value);
      return (s) => parseDate(s) > d;
    }
    case "DateGreaterThanEquals": {
      const d = parseDate(value);
      return (s) => parseDate(s) >= d;
    }
    case "Bool": {
      const b = value.toLowerCase();
      return (s) => s.toLowerCase() === b;
    }
    case "BinaryEquals": {
      const b = normBase64(value);
      return (s) => normBase64(s) === b;
    }
    case "IpAddress":
    case "NotIpAddress":
      return compileCidr(value);
    case "Null":
      return () => false; // handled by the key evaluator
  }
}

// --- keys and blocks --------------------------------------------------------------------

function compileKey(op: ParsedOperator, key: string, values: readonly string[], vars: boolean): ConditionFn {
  const k = key.toLowerCase();
  if (op.base === "Null") {
    // "true": the key must be absent; "false": present. Several values: any.
    const wantAbsent = values.map((v) => v.toLowerCase() === "true");
    return (ctx) => {
      const v = ctx[k];
      const absent = v === undefined || (Array.isArray(v) && v.length === 0);
      return wantAbsent.some((w) => w === absent);
    };
  }
  const tests = values.map((v) => compileValue(op.base, v, vars));
  const negated = NEGATED.has(op.base);
  const any = (s: string, ctx: ConditionContext): boolean => {
    for (let i = 0; i < tests.length; i++) if (tests[i](s, ctx)) return true;
    return false;
  };
  const one = (s: string, ctx: ConditionContext): boolean => (negated ? !any(s, ctx) : any(s, ctx));
  const { set, ifExists } = op;
  if (set === "ForAllValues") {
    return (ctx) => {
      const v = ctx[k];
      if (v === undefined) return true;
      if (typeof v === "string") return one(v, ctx);
      for (const s of v) if (!one(s, ctx)) return false;
      return true;
    };
  }
  if (set === "ForAnyValue") {
    return (ctx) => {
      const v = ctx[k];
      if (v === undefined || (Array.isArray(v) && v.length === 0)) return ifExists;
      if (typeof v === "string") return one(v, ctx);
      for (const s of v) if (one(s, ctx)) return true;
      return false;
    };
  }
  return (ctx) => {
    const v = ctx[k];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) return ifExists || negated;
    if (typeof v === "string") return one(v, ctx);
    // A multi-valued key under a single-valued operator: any request value against the values.
    let m = false;
    for (const s of v) if (any(s, ctx)) { m = true; break; }
    return negated ? !m : m;
  };
}

/** Compiles a whole Condition block (AND of operators and keys). */
export function compileConditions(block: ConditionBlock | undefined, vars: boolean): ConditionFn | undefined {
  if (!block) return undefined;
  const fns: ConditionFn[] = [];
  for (const [opName, keys] of Object.entries(block)) {
    const op = parseOperator(opName);
    if (!op) {
      fns.push(() => false); // validated documents never get here
      continue;
    }
    for (const [key, values] of Object.entries(keys)) fns.push(compileKey(op, key, values, vars));
  }
  if (fns.length === 0) return undefined;
  if (fns.length === 1) return fns[0];
  return (ctx) => {
    for (let i = 0; i < fns.length; i++) if (!fns[i](ctx)) return false;
    return true;
  };
}

/**
 * The condition keys a Condition block reads, lower-cased: its keys, and the keys of the
 * policy variables in its String* / Arn* values (Version 2012-10-17). Evaluation plans
 * (principal-plan.ts) decide once per principal a block that reads only keys the principal
 * fixes.
 */
export function conditionKeys(block: ConditionBlock | undefined, vars: boolean): string[] {
  const out = new Set<string>();
  if (!block) return [];
  for (const [opName, keys] of Object.entries(block)) {
    const op = parseOperator(opName);
    if (!op) continue; // compiles to a constant false: reads nothing
    const templated = vars && (op.base.startsWith("String") || op.base.startsWith("Arn"));
    for (const [key, values] of Object.entries(keys)) {
      out.add(key.toLowerCase());
      if (!templated) continue;
      for (const v of values) for (const part of parseTemplate(v) ?? []) if (part.kind === "var") out.add(part.key);
    }
  }
  return [...out];
}
