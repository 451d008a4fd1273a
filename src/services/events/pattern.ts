// EventBridge event patterns: validation with AWS's InvalidEventPatternException reasons, and
// matching an event (the whole envelope: source, detail-type, detail...) against a compiled
// pattern. The semantics are those of AWS's event-ruler as EventBridge documents them
// ("Event patterns", "Content filtering"):
//
//   1. A pattern is a JSON object; every key must be an object (nested fields) or a non-empty
//      array of match values (`$or` is an array of at least two objects, each an alternative).
//   2. The event is seen as leaf values per path: arrays are flattened at every level, so a
//      value inside an array of the event matches as if it were the field's value, and a
//      nested object inside an array contributes its leaves under the same path.
//   3. A field matches when any of its leaf values matches any element of the pattern's array
//      (arrays are OR); all fields of an object must match (AND); one `$or` branch must match.
//   4. Element kinds: a string / number / true / false / null is an exact match (numbers also
//      compare numerically); objects are match expressions: prefix, suffix (both with
//      equals-ignore-case), anything-but (values, prefix, suffix, equals-ignore-case,
//      wildcard), numeric ranges, exists true/false, equals-ignore-case, wildcard, cidr.
//   5. exists:false matches when the path has no leaf value; every other element needs one.
import { AwsError } from "../../core/errors.js";

type Leaf = string | number | boolean | null;

/** One compiled element of a field's match array. */
type Matcher =
  | { k: "exact"; v: Leaf }
  | { k: "prefix"; v: string; ci: boolean }
  | { k: "suffix"; v: string; ci: boolean }
  | { k: "eqic"; v: string }
  | { k: "wildcard"; re: RegExp }
  | { k: "numeric"; tests: Array<[string, number]> }
  | { k: "exists"; v: boolean }
  | { k: "cidr"; test: (ip: string) => boolean }
  | { k: "but-values"; strings: Set<string>; numbers: number[] }
  | { k: "but-prefix"; v: string[] }
  | { k: "but-suffix"; v: string[] }
  | { k: "but-eqic"; v: string[] }
  | { k: "but-wildcard"; re: RegExp[] };

/** A compiled pattern: fields by name (nested objects as sub-patterns) and $or alternatives. */
export interface CompiledPattern {
  fields: Array<{ name: string; sub?: CompiledPattern; match?: Matcher[] }>;
  or: CompiledPattern[][];
}

export function invalidPattern(reason: string): AwsError {
  return new AwsError("InvalidEventPatternException", `Event pattern is not valid. Reason: ${reason}`);
}

/** Parses and validates a pattern string; throws InvalidEventPatternException. */
export function compilePattern(text: string): CompiledPattern {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidPattern(`${(e as Error).message}`);
  }
  if (!isObject(json)) throw invalidPattern("Filter is not an object");
  return compileObject(json, false);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function compileObject(obj: Record<string, unknown>, insideOr: boolean): CompiledPattern {
  const out: CompiledPattern = { fields: [], or: [] };
  const keys = Object.keys(obj);
  if (keys.length === 0) throw invalidPattern("Empty objects are not allowed");
  for (const name of keys) {
    const v = obj[name];
    if (name === "$or") {
      if (!Array.isArray(v)) throw invalidPattern("It must be an Array followed with $or.");
      const branches: CompiledPattern[] = [];
      for (const b of v) {
        if (!isObject(b)) throw invalidPattern("Only JSON object is allowed in array of $or relationship.");
        branches.push(compileObject(b, true));
      }
      if (branches.length < 2) throw invalidPattern("There must have at least 2 Objects in $or relationship.");
      out.or.push(branches);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(name)) throw invalidPattern(`${name} is Ruler reserved fieldName which cannot be used inside $or.`);
    if (isObject(v)) out.fields.push({ name, sub: compileObject(v, insideOr) });
    else if (Array.isArray(v)) out.fields.push({ name, match: compileArray(v) });
    else throw invalidPattern(`"${name}" must be an object or an array`);
  }
  return out;
}

/** Field names Ruler reserves for match expressions; not usable as field names inside $or. */
const RESERVED_IN_OR = new Set(["anything-but", "numeric", "prefix", "suffix", "exists", "cidr", "equals-ignore-case", "wildcard"]);

function compileArray(values: unknown[]): Matcher[] {
  const out: Matcher[] = [];
  for (const v of values) {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out.push({ k: "exact", v });
    else if (isObject(v)) out.push(compileExpression(v));
    else throw invalidPattern("Match value must be String, number, true, false, or null");
  }
  if (out.length === 0) throw invalidPattern("Empty arrays are not allowed");
  return out;
}

function onlyKey(expr: Record<string, unknown>): [string, unknown] {
  const keys = Object.keys(expr);
  if (keys.length === 0) throw invalidPattern("Match expression name not found");
  if (keys.length > 1) throw invalidPattern(keys[0] === "numeric" || keys[0] === "anything-but" ? "Too many elements in numeric expression" : "Only one key allowed in match expression");
  return [keys[0], expr[keys[0]]];
}

function compileExpression(expr: Record<string, unknown>): Matcher {
  const [op, arg] = onlyKey(expr);
  switch (op) {
    case "prefix":
    case "suffix": {
      if (isObject(arg)) {
        const [sub, val] = onlyKey(arg);
        if (sub !== "equals-ignore-case") throw invalidPattern(`Unsupported ${op} pattern: ${sub}`);
        if (typeof val !== "string") throw invalidPattern("equals-ignore-case match pattern must be a string");
        return { k: op, v: val.toLowerCase(), ci: true };
      }
      if (typeof arg !== "string") throw invalidPattern(`${op} match pattern must be a string`);
      return { k: op, v: arg, ci: false };
    }
    case "equals-ignore-case":
      if (typeof arg !== "string") throw invalidPattern("equals-ignore-case match pattern must be a string");
      return { k: "eqic", v: arg.toLowerCase() };
    case "wildcard":
      if (typeof arg !== "string") throw invalidPattern("wildcard match pattern must be a string");
      return { k: "wildcard", re: wildcardRegExp(arg) };
    case "exists":
      if (typeof arg !== "boolean") throw invalidPattern("exists match pattern must be either true or false.");
      return { k: "exists", v: arg };
    case "cidr":
      if (typeof arg !== "string") throw invalidPattern("prefix match pattern must be a string");
      return { k: "cidr", test: cidrTest(arg) };
    case "numeric":
      if (!Array.isArray(arg)) throw invalidPattern("Value of numeric must be an array.");
      return { k: "numeric", tests: numericTests(arg) };
    case "anything-but":
      return anythingBut(arg);
    default:
      throw invalidPattern(`Unrecognized match type ${op}`);
  }
}

function anythingBut(arg: unknown): Matcher {
  if (isObject(arg)) {
    const [sub, val] = onlyKey(arg);
    if (!["equals-ignore-case", "prefix", "suffix", "wildcard"].includes(sub)) throw invalidPattern(`Unsupported anything-but pattern: ${sub}`);
    const list = Array.isArray(val) ? val : [val];
    if (!Array.isArray(val) && typeof val !== "string" && typeof val !== "number") throw invalidPattern("Value of anything-but must be an array or single string/number value.");
    const strings: string[] = [];
    for (const s of list) {
      if (typeof s !== "string") {
        if (sub === "equals-ignore-case") throw invalidPattern("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
        throw invalidPattern(sub === "wildcard" ? "wildcard match pattern must be a string" : "prefix/suffix match pattern must be a string");
      }
      if ((sub === "prefix" || sub === "suffix") && s === "") throw invalidPattern("Null prefix/suffix not allowed");
      strings.push(s);
    }
    if (sub === "equals-ignore-case") return { k: "but-eqic", v: strings.map((s) => s.toLowerCase()) };
    if (sub === "prefix") return { k: "but-prefix", v: strings };
    if (sub === "suffix") return { k: "but-suffix", v: strings };
    return { k: "but-wildcard", re: strings.map(wildcardRegExp) };
  }
  const list = Array.isArray(arg) ? arg : [arg];
  if (!Array.isArray(arg) && typeof arg !== "string" && typeof arg !== "number") throw invalidPattern("Value of anything-but must be an array or single string/number value.");
  const strings = new Set<string>();
  const numbers: number[] = [];
  for (const v of list) {
    if (typeof v === "string") strings.add(v);
    else if (typeof v === "number") numbers.push(v);
    else throw invalidPattern(Array.isArray(arg) ? "Inside anything but list, start|null|boolean is not supported." : "Inside anything-but list, start|null|boolean is not supported.");
  }
  if ((strings.size > 0) === (numbers.length > 0)) throw invalidPattern("Inside anything but list, either all values are number or string, mixed type is not supported");
  return { k: "but-values", strings, numbers };
}

/** ["=", 5] | [">", 0, "<=", 10] ...: each pair an operator and a number. */
function numericTests(arr: unknown[]): Array<[string, number]> {
  const tests: Array<[string, number]> = [];
  const op1 = arr[0];
  if (typeof op1 !== "string") throw invalidPattern(`Invalid member in numeric match: ${JSON.stringify(op1)}`);
  const ops = ["=", ">", ">=", "<", "<="];
  if (!ops.includes(op1)) throw invalidPattern(`Unrecognized numeric range operator: ${op1}`);
  if (typeof arr[1] !== "number") throw invalidPattern(`Value of ${op1 === "=" ? "equals" : op1} must be numeric`);
  tests.push([op1, arr[1]]);
  if (arr.length === 2) return tests;
  if (op1 === "=" || op1 === "<" || op1 === "<=") throw invalidPattern("Too many elements in numeric expression");
  const op2 = arr[2];
  if (typeof op2 !== "string") throw invalidPattern(`Bad value in numeric range: ${JSON.stringify(op2)}`);
  if (op2 !== "<" && op2 !== "<=") throw invalidPattern(`Bad numeric range operator: ${op2}`);
  if (typeof arr[3] !== "number") throw invalidPattern(`Value of ${op2} must be numeric`);
  if (arr.length > 4) throw invalidPattern("Too many terms in numeric range expression");
  if (arr[3] <= arr[1]) throw invalidPattern("Bottom must be less than top");
  tests.push([op2, arr[3]]);
  return tests;
}

/** A wildcard pattern: `*` is any run of characters, `\*` and `\\` are literal. */
function wildcardRegExp(p: string): RegExp {
  let re = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      const n = p[i + 1];
      if (n !== "*" && n !== "\\") throw invalidPattern(`Invalid escape character at pos ${i}`);
      re += "\\" + n;
      i++;
    } else if (c === "*") {
      if (p[i + 1] === "*") throw invalidPattern(`Consecutive wildcard characters at pos ${i + 1}`);
      re += "[\\s\\S]*";
    } else re += c.replace(/[.+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

// --- CIDR ------------------------------------------------------------------------------

function ipv4ToBigInt(ip: string): bigint | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function ipv6ToBigInt(ip: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(ip) || ip.split("::").length > 2) return undefined;
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const groups = [...h, ...Array(fill).fill("0"), ...t];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

function cidrTest(cidr: string): (ip: string) => boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const bad = () => invalidPattern(`Nonsensical CIDR: ${cidr}`);
  if (!m) throw bad();
  const v4 = ipv4ToBigInt(m[1]);
  const v6 = v4 === undefined ? ipv6ToBigInt(m[1]) : undefined;
  const bits = v4 !== undefined ? 32 : 128;
  const base = v4 ?? v6;
  const len = Number(m[2]);
  if (base === undefined || len > bits) throw bad();
  const shift = BigInt(bits - len);
  const net = base >> shift;
  return (ip) => {
    const x = bits === 32 ? ipv4ToBigInt(ip) : ipv6ToBigInt(ip);
    return x !== undefined && x >> shift === net;
  };
}

// --- matching ---------------------------------------------------------------------------

/** Leaf values of `name` under each of `nodes` (arrays flattened at every level). */
function leavesOf(nodes: unknown[], name: string): unknown[] {
  const out: unknown[] = [];
  const push = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) push(x);
    else if (v !== undefined) out.push(v);
  };
  for (const n of nodes) if (isObject(n) && Object.prototype.hasOwnProperty.call(n, name)) push(n[name]);
  return out;
}

function matchesValue(m: Matcher, v: unknown): boolean {
  switch (m.k) {
    case "exact":
      return v === m.v || (typeof m.v === "number" && typeof v === "number" && Number(v) === m.v);
    case "prefix":
      return typeof v === "string" && (m.ci ? v.toLowerCase().startsWith(m.v) : v.startsWith(m.v));
    case "suffix":
      return typeof v === "string" && (m.ci ? v.toLowerCase().endsWith(m.v) : v.endsWith(m.v));
    case "eqic":
      return typeof v === "string" && v.toLowerCase() === m.v;
    case "wildcard":
      return typeof v === "string" && m.re.test(v);
    case "numeric":
      return typeof v === "number" && m.tests.every(([op, n]) => (op === "=" ? v === n : op === ">" ? v > n : op === ">=" ? v >= n : op === "<" ? v < n : v <= n));
    case "exists":
      return m.v;
    case "cidr":
      return typeof v === "string" && m.test(v);
    case "but-values":
      if (typeof v === "string") return !m.strings.has(v);
      if (typeof v === "number") return !m.numbers.includes(v);
      return true;
    case "but-prefix":
      return typeof v === "string" && !m.v.some((p) => v.startsWith(p));
    case "but-suffix":
      return typeof v === "string" && !m.v.some((p) => v.endsWith(p));
    case "but-eqic":
      return typeof v === "string" && !m.v.includes(v.toLowerCase());
    case "but-wildcard":
      return typeof v === "string" && !m.re.some((r) => r.test(v));
  }
}

function matchesAt(p: CompiledPattern, nodes: unknown[]): boolean {
  for (const f of p.fields) {
    const leaves = leavesOf(nodes, f.name);
    if (f.sub) {
      // Only objects carry nested fields; primitives at this path cannot match a sub-pattern,
      // but an exists:false below may still hold.
      if (!matchesAt(f.sub, leaves)) return false;
      continue;
    }
    const ms = f.match!;
    let ok = false;
    for (const m of ms) {
      if (m.k === "exists") {
        const present = leaves.some((l) => !isObject(l));
        if (present === m.v) {
          ok = true;
          break;
        }
        continue;
      }
      for (const l of leaves) {
        if (!isObject(l) && matchesValue(m, l)) {
          ok = true;
          break;
        }
      }
      if (ok) break;
    }
    if (!ok) return false;
  }
  for (const branches of p.or) if (!branches.some((b) => matchesAt(b, nodes))) return false;
  return true;
}

/** Whether `event` (a parsed event envelope) matches the compiled pattern. */
export function matchesPattern(p: CompiledPattern, event: unknown): boolean {
  return matchesAt(p, [event]);
}
