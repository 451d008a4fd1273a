// Evaluation of parsed expressions against an item: conditions (a missing attribute makes a
// comparison false, except <>, which is true since nothing equals a missing value), projections,
// and update actions (every SET value is computed from the item as it was before the update).
import type { Condition, Operand, Path, PathElement, UpdateAction } from "./parser.js";
import {
  addNumbers,
  compareBytes,
  compareValues,
  normalizeNumber,
  typeOf,
  validation,
  valuesEqual,
  type AV,
  type Item,
} from "./values.js";

export function resolvePath(item: Item, path: Path | PathElement[]): AV | undefined {
  const els = Array.isArray(path) ? path : path.elements;
  let cur: AV | undefined = { M: item };
  for (const e of els) {
    if (cur === undefined) return undefined;
    if (typeof e === "number") cur = cur.L?.[e];
    else cur = cur.M?.[e];
  }
  return cur;
}

function operandValue(item: Item, op: Operand, kind: string): AV | undefined {
  switch (op.type) {
    case "path":
      return resolvePath(item, op);
    case "value":
      return op.value;
    case "size": {
      const v = resolvePath(item, op.path);
      if (v === undefined) return undefined;
      const n = sizeOf(v);
      if (n === undefined) return undefined;
      return { N: String(n) };
    }
    default:
      throw validation(`Invalid ${kind}: The function is not allowed in a condition expression`);
  }
}

function sizeOf(v: AV): number | undefined {
  if (v.S !== undefined) return Buffer.byteLength(v.S, "utf8");
  if (v.B !== undefined) return v.B.byteLength;
  if (v.SS) return v.SS.length;
  if (v.NS) return v.NS.length;
  if (v.BS) return v.BS.length;
  if (v.L) return v.L.length;
  if (v.M) return Object.keys(v.M).length;
  return undefined;
}

function compare(op: string, a: AV | undefined, b: AV | undefined): boolean {
  if (op === "<>") return a === undefined || b === undefined || !valuesEqual(a, b);
  if (a === undefined || b === undefined) return false;
  if (op === "=") return valuesEqual(a, b);
  const c = compareValues(a, b);
  if (c === undefined) return false;
  switch (op) {
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    default:
      return c >= 0;
  }
}

const TYPE_NAMES = new Set(["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"]);

export function evaluate(c: Condition, item: Item, kind = "ConditionExpression"): boolean {
  switch (c.type) {
    case "and":
      return evaluate(c.a, item, kind) && evaluate(c.b, item, kind);
    case "or":
      return evaluate(c.a, item, kind) || evaluate(c.b, item, kind);
    case "not":
      return !evaluate(c.a, item, kind);
    case "cmp":
      return compare(c.op, operandValue(item, c.a, kind), operandValue(item, c.b, kind));
    case "between": {
      const a = operandValue(item, c.a, kind);
      const lo = operandValue(item, c.lo, kind);
      const hi = operandValue(item, c.hi, kind);
      if (lo && hi) {
        const order = compareValues(lo, hi);
        if (order !== undefined && order > 0) {
          throw validation(
            `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {${show(lo)}}, upper bound operand: AttributeValue: {${show(hi)}}`,
          );
        }
      }
      return compare(">=", a, lo) && compare("<=", a, hi);
    }
    case "in": {
      const a = operandValue(item, c.a, kind);
      if (a === undefined) return false;
      return c.list.some((o) => {
        const v = operandValue(item, o, kind);
        return v !== undefined && valuesEqual(a, v);
      });
    }
    case "fn": {
      const v = operandValue(item, c.args[0], kind);
      switch (c.name) {
        case "attribute_exists":
          return v !== undefined;
        case "attribute_not_exists":
          return v === undefined;
        case "attribute_type": {
          const t = operandValue(item, c.args[1], kind);
          if (t?.S === undefined || !TYPE_NAMES.has(t.S)) {
            throw validation(`Invalid ${kind}: Invalid attribute type name found; type: ${t?.S ?? show(t!)}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
          }
          return v !== undefined && typeOf(v) === t.S;
        }
        case "begins_with": {
          const p = operandValue(item, c.args[1], kind);
          if (v === undefined || p === undefined) return false;
          if (v.S !== undefined && p.S !== undefined) return v.S.startsWith(p.S);
          if (v.B !== undefined && p.B !== undefined) return p.B.byteLength <= v.B.byteLength && compareBytes(v.B.subarray(0, p.B.byteLength), p.B) === 0;
          return false;
        }
        case "contains": {
          const x = operandValue(item, c.args[1], kind);
          if (v === undefined || x === undefined) return false;
          if (v.S !== undefined) return x.S !== undefined && v.S.includes(x.S);
          if (v.B !== undefined) return x.B !== undefined && Buffer.from(v.B).includes(Buffer.from(x.B));
          if (v.SS) return x.S !== undefined && v.SS.includes(x.S);
          if (v.NS) return x.N !== undefined && v.NS.some((n) => valuesEqual({ N: n }, x));
          if (v.BS) return x.B !== undefined && v.BS.some((b) => compareBytes(b, x.B!) === 0);
          if (v.L) return v.L.some((e) => valuesEqual(e, x));
          return false;
        }
      }
    }
  }
}

function show(v: AV): string {
  const t = typeOf(v);
  const val = (v as Record<string, unknown>)[t];
  return `${t}:${val instanceof Uint8Array ? Buffer.from(val).toString("base64") : typeof val === "object" ? JSON.stringify(val) : String(val)}`;
}

// ---------------------------------------------------------------- projection

/** The item reduced to the given paths (list elements picked by index are compacted, as AWS does). */
export function project(item: Item, paths: Path[]): Item {
  type Node = { kind: "M"; m: Map<string, Node | AV> } | { kind: "L"; l: Map<number, Node | AV> };
  const root: Node = { kind: "M", m: new Map() };
  for (const p of paths) {
    const v = resolvePath(item, p);
    if (v === undefined) continue;
    let node: Node = root;
    const els = p.elements;
    for (let i = 0; i < els.length; i++) {
      const e = els[i];
      const last = i === els.length - 1;
      const map = (node.kind === "M" ? node.m : node.l) as Map<PathElement, Node | AV>;
      if (last) {
        map.set(e, v);
        break;
      }
      let child = map.get(e) as Node | AV | undefined;
      const wantList = typeof els[i + 1] === "number";
      if (!child || !("kind" in child)) {
        child = wantList ? { kind: "L", l: new Map() } : { kind: "M", m: new Map() };
        map.set(e, child);
      }
      node = child as Node;
    }
  }
  const build = (n: Node | AV): AV => {
    if (!("kind" in n)) return n as AV;
    const nd = n as Node;
    if (nd.kind === "M") return { M: Object.fromEntries([...nd.m].map(([k, x]) => [k, build(x)])) };
    return { L: [...nd.l].sort((a, b) => a[0] - b[0]).map(([, x]) => build(x)) };
  };
  return build(root).M!;
}

// ---------------------------------------------------------------- update

const wrongType = () => validation("An operand in the update expression has an incorrect data type");

function updateValue(item: Item, op: Operand): AV {
  switch (op.type) {
    case "value":
      return op.value;
    case "path": {
      const v = resolvePath(item, op);
      if (v === undefined) throw validation("The provided expression refers to an attribute that does not exist in the item");
      return v;
    }
    case "if_not_exists":
      return resolvePath(item, op.path) ?? updateValue(item, op.fallback);
    case "list_append": {
      const a = updateValue(item, op.a);
      const b = updateValue(item, op.b);
      if (!a.L || !b.L) throw wrongType();
      return { L: [...a.L, ...b.L] };
    }
    case "arith": {
      const a = updateValue(item, op.a);
      const b = updateValue(item, op.b);
      if (a.N === undefined || b.N === undefined) throw wrongType();
      return { N: addNumbers(a.N, b.N, op.op === "-") };
    }
    default:
      throw validation("Invalid UpdateExpression: The function is not allowed in an update expression; function: size");
  }
}

const invalidPath = () => validation("The document path provided in the update expression is invalid for update");

function clone(item: Item): Item {
  return structuredClone(item);
}

/** Sets the value at a path; the parent must exist (a list index past the end appends). */
function setAt(item: Item, els: PathElement[], v: AV): void {
  if (els.length === 1) {
    item[els[0] as string] = v;
    return;
  }
  const parent = resolvePath(item, els.slice(0, -1));
  const last = els[els.length - 1];
  if (!parent) throw invalidPath();
  if (typeof last === "number") {
    if (!parent.L) throw invalidPath();
    if (last >= parent.L.length) parent.L.push(v);
    else parent.L[last] = v;
  } else {
    if (!parent.M) throw invalidPath();
    parent.M[last] = v;
  }
}

function removeAt(item: Item, els: PathElement[]): void {
  if (els.length === 1) {
    delete item[els[0] as string];
    return;
  }
  const parent = resolvePath(item, els.slice(0, -1));
  const last = els[els.length - 1];
  if (!parent) return;
  if (typeof last === "number") {
    if (!parent.L) throw invalidPath();
    if (last < parent.L.length) parent.L.splice(last, 1);
  } else {
    if (!parent.M) throw invalidPath();
    delete parent.M[last];
  }
}

function setKey(v: AV): { t: "SS" | "NS" | "BS"; keys: string[]; vals: unknown[] } | undefined {
  if (v.SS) return { t: "SS", keys: v.SS, vals: v.SS };
  if (v.NS) return { t: "NS", keys: v.NS.map(normalizeNumber), vals: v.NS };
  if (v.BS) return { t: "BS", keys: v.BS.map((b) => Buffer.from(b).toString("base64")), vals: v.BS };
  return undefined;
}

/** Applies update actions; SET values are computed from the original item. */
export function applyUpdate(original: Item, actions: UpdateAction[]): Item {
  const item = clone(original);
  // Compute every SET value first, from the item before the update.
  const values = actions.map((a) => (a.type === "SET" ? updateValue(original, a.value) : undefined));
  actions.forEach((a, i) => {
    const els = a.path.elements;
    switch (a.type) {
      case "SET":
        setAt(item, els, values[i]!);
        break;
      case "REMOVE":
        removeAt(item, els);
        break;
      case "ADD": {
        const v = (a.value as { value: AV }).value;
        const cur = resolvePath(item, els);
        if (v.N === undefined && !setKey(v)) {
          throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeOf(v)}, typeSet: ALLOWED_FOR_ADD_OPERAND`);
        }
        if (cur === undefined) {
          setAt(item, els, v);
        } else if (v.N !== undefined && cur.N !== undefined) {
          setAt(item, els, { N: addNumbers(cur.N, v.N) });
        } else {
          const c = setKey(cur);
          const s = setKey(v);
          if (!c || !s || c.t !== s.t) throw wrongType();
          const have = new Set(c.keys);
          const merged = [...c.vals];
          s.keys.forEach((k, j) => {
            if (!have.has(k)) {
              have.add(k);
              merged.push(s.vals[j]);
            }
          });
          setAt(item, els, { [c.t]: merged } as AV);
        }
        break;
      }
      case "DELETE": {
        const v = (a.value as { value: AV }).value;
        const s = setKey(v);
        if (!s) {
          throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${typeOf(v)}, typeSet: ALLOWED_FOR_DELETE_OPERAND`);
        }
        const cur = resolvePath(item, els);
        if (cur === undefined) break;
        const c = setKey(cur);
        if (!c || c.t !== s.t) throw wrongType();
        const drop = new Set(s.keys);
        const kept = c.vals.filter((_, j) => !drop.has(c.keys[j]));
        if (kept.length === 0) removeAt(item, els);
        else setAt(item, els, { [c.t]: kept } as AV);
        break;
      }
    }
  });
  return item;
}

