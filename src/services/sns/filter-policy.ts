// Subscription filter policies (SNS developer guide, "Amazon SNS message filtering"): validation
// as SetSubscriptionAttributes / Subscribe do it, and matching against a message's attributes
// (FilterPolicyScope MessageAttributes, the default) or its JSON body (MessageBody).
//
// A policy is an object of keys, AND'ed; each key holds a list of conditions, OR'ed: a string,
// a number, null (body only), or one operator object: prefix, suffix, anything-but (a value, a
// list, or {prefix}/{suffix}), numeric (one or two comparisons), exists, equals-ignore-case,
// cidr. "$or" holds a list of alternative sub-policies. In the MessageBody scope a key may hold
// a nested object (a path into the body).
import { AwsError } from "../../core/errors.js";

export type Scope = "MessageAttributes" | "MessageBody";

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array | string;
}

/** AWS's limits: 5 attribute names per policy (MessageAttributes), 150 combinations, 256 KB. */
const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;

function invalid(reason: string): AwsError {
  return new AwsError("InvalidParameterException", `Invalid parameter: FilterPolicy: ${reason}`, 400);
}

const OPERATORS = new Set(["prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "cidr"]);
const NUMERIC_OPS = new Set(["=", "<", "<=", ">", ">="]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkCondition(c: unknown): void {
  if (typeof c === "string" || typeof c === "number" || c === null) return;
  if (!isObject(c)) throw invalid("Match value must be String, number, true, false, or null");
  const keys = Object.keys(c);
  if (keys.length !== 1) throw invalid("Only one key allowed in match expression");
  const op = keys[0];
  const v = c[op];
  if (!OPERATORS.has(op)) throw invalid(`Unrecognized match type ${op}`);
  switch (op) {
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
      if (typeof v !== "string") throw invalid(`${op} match pattern must be a string`);
      return;
    case "exists":
      if (typeof v !== "boolean") throw invalid("exists match pattern must be either true or false.");
      return;
    case "cidr":
      if (typeof v !== "string" || !/^[\d.]+\/\d{1,2}$/.test(v)) throw invalid("Malformed CIDR, one '/' required");
      return;
    case "anything-but":
      if (typeof v === "string" || typeof v === "number") return;
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" || typeof x === "number")) return;
      if (isObject(v) && Object.keys(v).length === 1 && (typeof v.prefix === "string" || typeof v.suffix === "string")) return;
      throw invalid("Value of anything-but must be an array or single string/number value.");
    case "numeric": {
      if (!Array.isArray(v) || (v.length !== 2 && v.length !== 4)) throw invalid("Value of numeric must be an array.");
      for (let i = 0; i < v.length; i += 2) {
        if (typeof v[i] !== "string" || !NUMERIC_OPS.has(v[i] as string)) throw invalid(`Unrecognized numeric range operator: ${String(v[i])}`);
        if (typeof v[i + 1] !== "number") throw invalid("Value of numeric operators must be numbers");
      }
      return;
    }
  }
}

/** Counts combinations (product of condition-list lengths along each AND) and keys, validating as it goes. */
function checkNode(node: unknown, scope: Scope, depth: number): { combos: number; keys: number } {
  if (!isObject(node)) throw invalid("Filter policy must be a JSON object"); // TODO(parity): wording
  let combos = 1;
  let keys = 0;
  for (const [k, v] of Object.entries(node)) {
    if (k === "$or") {
      if (!Array.isArray(v) || v.length < 2) throw invalid("Or operator must be an array with at least two elements"); // TODO(parity): wording
      let sum = 0;
      for (const alt of v) {
        const r = checkNode(alt, scope, depth);
        sum += r.combos;
        keys = Math.max(keys, r.keys);
      }
      combos *= sum;
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) throw invalid("Empty arrays are not allowed"); // TODO(parity): wording
      for (const c of v) checkCondition(c);
      combos *= v.length;
      keys++;
    } else if (isObject(v) && scope === "MessageBody") {
      const r = checkNode(v, scope, depth + 1);
      combos *= r.combos;
      keys += r.keys;
    } else {
      throw invalid(`"${k}" must be an object or an array`);
    }
  }
  return { combos, keys };
}

/** Validates a FilterPolicy attribute value; returns the parsed policy. */
export function validateFilterPolicy(text: string, scope: Scope): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid("failed to parse JSON.");
  }
  if (Buffer.byteLength(text, "utf8") > 256 * 1024) throw invalid("Filter policy is too big");
  const { combos, keys } = checkNode(parsed, scope, 0);
  if (keys > MAX_KEYS) throw invalid(`Filter policy can not have more than ${MAX_KEYS} keys`);
  if (combos > MAX_COMBINATIONS) throw invalid("Filter policy is too complex");
  return parsed as Record<string, unknown>;
}

// ---- matching ----

type Value = string | number | boolean | null;

function ipv4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const x = Number(p);
    if (!/^\d{1,3}$/.test(p) || x > 255) return undefined;
    n = n * 256 + x;
  }
  return n;
}

function inCidr(value: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const a = ipv4(value);
  const b = ipv4(base);
  if (a === undefined || b === undefined) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(b / size);
}

function numericMatch(n: number, spec: unknown[]): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const bound = spec[i + 1] as number;
    switch (spec[i]) {
      case "=":
        if (!(n === bound)) return false;
        break;
      case "<":
        if (!(n < bound)) return false;
        break;
      case "<=":
        if (!(n <= bound)) return false;
        break;
      case ">":
        if (!(n > bound)) return false;
        break;
      case ">=":
        if (!(n >= bound)) return false;
        break;
    }
  }
  return true;
}

/** One condition against the present values of a key (any value may match). */
function conditionMatches(c: unknown, values: Value[]): boolean {
  if (c === null) return values.some((v) => v === null);
  if (typeof c === "string") return values.some((v) => v === c);
  if (typeof c === "number") return values.some((v) => typeof v === "number" && v === c);
  const [op, arg] = Object.entries(c as Record<string, unknown>)[0];
  switch (op) {
    case "prefix":
      return values.some((v) => typeof v === "string" && v.startsWith(arg as string));
    case "suffix":
      return values.some((v) => typeof v === "string" && v.endsWith(arg as string));
    case "equals-ignore-case":
      return values.some((v) => typeof v === "string" && v.toLowerCase() === (arg as string).toLowerCase());
    case "cidr":
      return values.some((v) => typeof v === "string" && inCidr(v, arg as string));
    case "numeric":
      return values.some((v) => typeof v === "number" && numericMatch(v, arg as unknown[]));
    case "anything-but": {
      if (isObject(arg)) {
        if (typeof arg.prefix === "string") return values.some((v) => typeof v === "string" && !v.startsWith(arg.prefix as string));
        return values.some((v) => typeof v === "string" && !v.endsWith(arg.suffix as string));
      }
      const banned = Array.isArray(arg) ? arg : [arg];
      return values.some((v) => !banned.some((b) => b === v));
    }
    default:
      return false;
  }
}

/** A key's conditions against its values (undefined: the key is absent). */
function keyMatches(conditions: unknown[], values: Value[] | undefined): boolean {
  for (const c of conditions) {
    if (isObject(c) && "exists" in c) {
      if ((values !== undefined) === c.exists) return true;
      continue;
    }
    if (values !== undefined && conditionMatches(c, values)) return true;
  }
  return false;
}

/** The values of a message attribute as filter policies see them; undefined for Binary (never matched). */
function attributeValues(a: MessageAttribute | undefined): Value[] | undefined {
  if (!a) return undefined;
  const type = a.DataType.split(".")[0];
  if (type === "Binary") return undefined;
  if (type === "Number") return [Number(a.StringValue)];
  if (a.DataType.startsWith("String.Array")) {
    try {
      const arr = JSON.parse(a.StringValue ?? "") as unknown;
      if (Array.isArray(arr)) return arr.filter((x): x is Value => x === null || ["string", "number", "boolean"].includes(typeof x));
    } catch {
      return undefined;
    }
    return undefined;
  }
  return [a.StringValue ?? ""];
}

function attributesMatch(node: Record<string, unknown>, attrs: Record<string, MessageAttribute>): boolean {
  for (const [k, v] of Object.entries(node)) {
    if (k === "$or") {
      if (!(v as Array<Record<string, unknown>>).some((alt) => attributesMatch(alt, attrs))) return false;
      continue;
    }
    if (!keyMatches(v as unknown[], attributeValues(attrs[k]))) return false;
  }
  return true;
}

function bodyValues(v: unknown): Value[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.filter((x): x is Value => !isObject(x) && !Array.isArray(x));
  if (isObject(v)) return undefined;
  return [v as Value];
}

function bodyMatches(node: Record<string, unknown>, body: unknown): boolean {
  const obj = isObject(body) ? body : {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$or") {
      if (!(v as Array<Record<string, unknown>>).some((alt) => bodyMatches(alt, obj))) return false;
      continue;
    }
    if (Array.isArray(v)) {
      if (!keyMatches(v, bodyValues(obj[k]))) return false;
    } else {
      const child = obj[k];
      // A nested key into an array of objects matches when any element matches.
      const candidates = Array.isArray(child) ? child : [child];
      if (!candidates.some((c) => bodyMatches(v as Record<string, unknown>, c))) return false;
    }
  }
  return true;
}

/** Whether a message passes a subscription's filter policy. */
export function filterMatches(policy: Record<string, unknown>, scope: Scope, attrs: Record<string, MessageAttribute>, message: string): boolean {
  if (scope === "MessageAttributes") return attributesMatch(policy, attrs);
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    // A body that is not JSON matches no MessageBody policy.
    return false;
  }
  return bodyMatches(policy, body);
}
