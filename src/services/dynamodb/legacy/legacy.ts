// The legacy (pre-expression) parameters, translated once into the expression engine's own
// structures so that evaluation has a single implementation:
//   Expected (+ ConditionalOperator)          -> Condition   (PutItem, UpdateItem, DeleteItem)
//   QueryFilter / ScanFilter (+ Conditional.)  -> Condition   (Query, Scan)
//   KeyConditions                              -> Condition   (Query; an AND of key terms)
//   AttributesToGet                            -> Path[]      (GetItem, BatchGetItem, Query, Scan)
//   AttributeUpdates                           -> UpdateAction[] (UpdateItem)
// Validation follows AWS's checks and wording for each parameter, and AWS refuses a request
// that mixes them with expression parameters (checkExpressionParams).
import type { Condition, Operand, Path, UpdateAction } from "../engine/parser.js";
import { compareValues, normalizeValue, typeOf, validation, type AV } from "../engine/values.js";
import type { TableRecord } from "../store.js";

type Params = Record<string, unknown>;

const present = (input: Params, name: string) => input[name] !== undefined && input[name] !== null;

/**
 * AWS's first checks of a request that may carry both kinds of parameters: no mixing, and
 * ExpressionAttributeNames/Values only beside an expression. `expressions` lists the
 * operation's expression parameters, `legacy` its non-expression ones, in AWS's order.
 */
export function checkExpressionParams(input: object, expressions: readonly string[], legacy: readonly string[]): void {
  const p = input as Params;
  // Nothing to check when the request has no expression and no ExpressionAttribute* (most do
  // not): tested with a loop, not some() and a closure (this runs on every item request).
  if (!present(p, "ExpressionAttributeNames") && !present(p, "ExpressionAttributeValues")) {
    let any = false;
    for (let i = 0; i < expressions.length; i++) if (present(p, expressions[i]!)) any = true;
    if (!any) return;
  }
  const used = expressions.filter((e) => present(p, e));
  if (used.length) {
    // A Query's KeyConditions may stand beside a FilterExpression or ProjectionExpression.
    const nonExpr = legacy.filter((n) => present(p, n) && !(n === "KeyConditions" && !present(p, "KeyConditionExpression")));
    if (nonExpr.length) {
      throw validation(
        `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${nonExpr.join(", ")}} Expression parameters: {${used.join(", ")}}`,
      );
    }
  }
  if (present(p, "ExpressionAttributeNames") && !used.length) throw validation("ExpressionAttributeNames can only be specified when using expressions");
  const valueExprs = expressions.filter((e) => e !== "ProjectionExpression");
  if (valueExprs.length && present(p, "ExpressionAttributeValues") && valueExprs.every((e) => !present(p, e))) {
    throw validation(`ExpressionAttributeValues can only be specified when using expressions: ${valueExprs.join(" and ")} ${valueExprs.length > 1 ? "are" : "is"} null`);
  }
}

// ------------------------------------------------------------------ conditions

export interface LegacyCondition {
  ComparisonOperator?: string;
  AttributeValueList?: AV[];
  Value?: AV;
  Exists?: boolean;
}

const ARITY: Record<string, number | "1+"> = {
  EQ: 1,
  NE: 1,
  LE: 1,
  LT: 1,
  GE: 1,
  GT: 1,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  BEGINS_WITH: 1,
  NULL: 0,
  NOT_NULL: 0,
  IN: "1+",
  BETWEEN: 2,
};

/** The AttributeValue types each operator accepts in a filter or key condition. */
const TYPES: Record<string, string[]> = {
  EQ: ["S", "N", "B", "SS", "NS", "BS"],
  NE: ["S", "N", "B", "SS", "NS", "BS"],
  LE: ["S", "N", "B"],
  LT: ["S", "N", "B"],
  GE: ["S", "N", "B"],
  GT: ["S", "N", "B"],
  CONTAINS: ["S", "N", "B"],
  NOT_CONTAINS: ["S", "N", "B"],
  BEGINS_WITH: ["S", "B"],
  IN: ["S", "N", "B"],
  BETWEEN: ["S", "N", "B"],
};

const invalid = (m: string) => validation(`One or more parameter values were invalid: ${m}`);

function checkOperator(op: string | undefined, name: string): string {
  if (op === undefined || !(op in ARITY)) {
    throw validation(
      `1 validation error detected: Value '${op ?? "null"}' at '${name}.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]`,
    );
  }
  return op;
}

function checkArity(op: string, n: number): void {
  const want = ARITY[op];
  if (want === "1+" ? n < 1 : n !== want) throw invalid(`Invalid number of argument(s) for the ${op} ComparisonOperator`);
}

function checkBetween(op: string, values: AV[]): void {
  if (op === "BETWEEN" && (compareValues(values[0], values[1]) ?? 0) > 0) {
    throw validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound");
  }
}

function checkSameType(values: AV[]): void {
  if (values.length && values.some((v) => typeOf(v) !== typeOf(values[0]))) {
    throw invalid("AttributeValues inside AttributeValueList must be of same type");
  }
}

function normalizeAll(values: AV[] | undefined): AV[] {
  return (values ?? []).map((v) => normalizeValue(v));
}

let refCounter = 0;
const value = (v: AV): Operand => ({ type: "value", ref: `:legacy${refCounter++}`, value: v });
const path = (name: string): Path => ({ type: "path", elements: [name] });

/** One attribute's comparison as an engine condition. */
function comparison(attr: string, op: string, values: AV[]): Condition {
  const a = path(attr);
  switch (op) {
    case "EQ":
      return { type: "cmp", op: "=", a, b: value(values[0]) };
    case "NE":
      return { type: "cmp", op: "<>", a, b: value(values[0]) };
    case "LE":
      return { type: "cmp", op: "<=", a, b: value(values[0]) };
    case "LT":
      return { type: "cmp", op: "<", a, b: value(values[0]) };
    case "GE":
      return { type: "cmp", op: ">=", a, b: value(values[0]) };
    case "GT":
      return { type: "cmp", op: ">", a, b: value(values[0]) };
    case "NULL":
      return { type: "fn", name: "attribute_not_exists", args: [a] };
    case "NOT_NULL":
      return { type: "fn", name: "attribute_exists", args: [a] };
    case "CONTAINS":
      return { type: "fn", name: "contains", args: [a, value(values[0])] };
    case "NOT_CONTAINS":
      return { type: "not", a: { type: "fn", name: "contains", args: [a, value(values[0])] } };
    case "BEGINS_WITH":
      return { type: "fn", name: "begins_with", args: [a, value(values[0])] };
    case "IN":
      return { type: "in", a, list: values.map(value) };
    default:
      return { type: "between", a, lo: value(values[0]), hi: value(values[1]) };
  }
}

function combine(terms: Condition[], op: string | undefined): Condition | undefined {
  if (!terms.length) return undefined;
  const kind = op === "OR" ? "or" : "and";
  return terms.reduce((acc, c) => ({ type: kind, a: acc, b: c }));
}

function checkConditionalOperator(op: string | undefined, count: number): void {
  if (op === undefined) return;
  if (op !== "AND" && op !== "OR") {
    throw validation(`1 validation error detected: Value '${op}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]`);
  }
  if (count === 0) throw validation("ConditionalOperator cannot be used without Filter or Expected");
  if (count === 1) throw validation("ConditionalOperator can only be used when Filter or Expected has two or more elements");
}

/** Expected (PutItem, UpdateItem, DeleteItem) as a condition on the stored item. */
export function expectedCondition(expected: Record<string, LegacyCondition> | undefined, conditionalOperator: string | undefined): Condition | undefined {
  const entries = Object.entries(expected ?? {});
  checkConditionalOperator(conditionalOperator, entries.length);
  const terms: Condition[] = [];
  for (const [attr, c] of entries) {
    const has = (k: keyof LegacyCondition) => c[k] !== undefined && c[k] !== null;
    if (has("AttributeValueList") && has("Value")) throw invalid(`Value and AttributeValueList cannot be used together for Attribute: ${attr}`);
    if (has("ComparisonOperator")) {
      if (has("Exists")) throw validation(`1 validation error detected: One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: ${attr}`);
      const op = checkOperator(c.ComparisonOperator, `expected.${attr}.member`);
      if (op !== "NULL" && op !== "NOT_NULL" && !has("AttributeValueList") && !has("Value")) {
        throw invalid(`Value or AttributeValueList must be used with ComparisonOperator: ${op} for Attribute: ${attr}`);
      }
      const values = normalizeAll(c.AttributeValueList ?? (has("Value") ? [c.Value!] : []));
      checkArity(op, values.length);
      checkSameType(values);
      checkBetween(op, values);
      terms.push(comparison(attr, op, values));
    } else if (has("AttributeValueList")) {
      throw invalid(`AttributeValueList can only be used with a ComparisonOperator for Attribute: ${attr}`);
    } else {
      const exists = c.Exists ?? true;
      if (exists && !has("Value")) {
        throw validation(`1 validation error detected: One or more parameter values were invalid: Value must be provided when Exists is ${c.Exists ?? "null"} for Attribute: ${attr}`);
      }
      if (!exists && has("Value")) throw validation(`1 validation error detected: One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ${attr}`);
      terms.push(exists ? comparison(attr, "EQ", [normalizeValue(c.Value!)]) : comparison(attr, "NULL", []));
    }
  }
  return combine(terms, conditionalOperator);
}

/** One QueryFilter/ScanFilter/KeyConditions entry, validated as AWS does. */
function filterEntry(attr: string, c: LegacyCondition, name: string): { op: string; values: AV[] } {
  const op = checkOperator(c.ComparisonOperator, `${name}.${attr}.member`);
  const values = normalizeAll(c.AttributeValueList);
  checkArity(op, values.length);
  checkSameType(values);
  for (const v of values) {
    const t = typeOf(v);
    if (!TYPES[op]?.includes(t)) throw invalid(`ComparisonOperator ${op} is not valid for ${t} AttributeValue type`);
  }
  checkBetween(op, values);
  return { op, values };
}

/** QueryFilter or ScanFilter as a filter condition; a Query's filter may not name key attributes. */
export function filterCondition(
  filter: Record<string, LegacyCondition> | undefined,
  conditionalOperator: string | undefined,
  name: "QueryFilter" | "ScanFilter",
  t: TableRecord,
): Condition | undefined {
  const entries = Object.entries(filter ?? {});
  checkConditionalOperator(conditionalOperator, entries.length);
  const terms: Condition[] = [];
  for (const [attr, c] of entries) {
    const { op, values } = filterEntry(attr, c, name === "QueryFilter" ? "queryFilter" : "scanFilter");
    if (name === "QueryFilter" && (attr === t.hash.name || attr === t.range?.name)) {
      throw validation(`QueryFilter can only contain non-primary key attributes: Primary key attribute: ${attr}`);
    }
    terms.push(comparison(attr, op, values));
  }
  return combine(terms, conditionalOperator);
}

const INDEXABLE = new Set(["EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"]);

/** KeyConditions as the AND of key terms the Query planner reads (query.ts keyRange). */
export function keyConditions(kc: Record<string, LegacyCondition>, t: TableRecord): Condition {
  const entries = Object.entries(kc);
  const terms = new Map<string, { op: string; values: AV[] }>();
  for (const [attr, c] of entries) terms.set(attr, filterEntry(attr, c, "keyConditions"));
  if (entries.length !== 1 && entries.length !== 2) throw validation("Conditions can be of length 1 or 2 only");
  if (!t.range && entries.length > 1) throw validation("Query key condition not supported");
  for (const part of [t.hash, t.range]) {
    if (!part) continue;
    const term = terms.get(part.name);
    if (!term) {
      if (part === t.hash || entries.length > 1) throw validation(`Query condition missed key schema element: ${part.name}`);
      continue;
    }
    if (!INDEXABLE.has(term.op)) throw validation("Attempted conditional constraint is not an indexable operation");
    if (term.values.some((v) => typeOf(v) !== part.type)) throw invalid("Condition parameter type does not match schema type");
    if (part === t.hash && term.op !== "EQ") throw validation("Query key condition not supported");
  }
  const out = [...terms].map(([attr, { op, values }]) => comparison(attr, op, values));
  return combine(out, "AND")!;
}

// ------------------------------------------------------------------ projection and updates

/** AttributesToGet as top-level projection paths (names are taken literally, dots included). */
export function attributesToGet(names: string[] | undefined): Path[] | undefined {
  if (names === undefined || names === null) return undefined;
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw invalid(`Duplicate value in attribute name: ${n}`);
    seen.add(n);
  }
  return names.map(path);
}

export interface LegacyUpdate {
  Action?: string;
  Value?: AV;
}

const SET_TYPES = new Set(["SS", "NS", "BS"]);

/**
 * AttributeUpdates as update actions: PUT -> SET, DELETE without a value -> REMOVE, DELETE with
 * a set -> DELETE, ADD with a number or set -> ADD, ADD with a list -> append to the list (or
 * create it).
 */
export function attributeUpdates(updates: Record<string, LegacyUpdate> | undefined): UpdateAction[] {
  const actions: UpdateAction[] = [];
  for (const [attr, u] of Object.entries(updates ?? {})) {
    const action = u.Action ?? "PUT";
    if (action !== "PUT" && action !== "ADD" && action !== "DELETE") {
      throw validation(
        `1 validation error detected: Value '${action}' at 'attributeUpdates.${attr}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]`,
      );
    }
    const hasValue = u.Value !== undefined && u.Value !== null;
    if (!hasValue && action !== "DELETE") throw invalid("Only DELETE action is allowed when no attribute value is specified");
    const v = hasValue ? normalizeValue(u.Value!) : undefined;
    const p = path(attr);
    if (action === "PUT") {
      actions.push({ type: "SET", path: p, value: value(v!) });
    } else if (action === "DELETE") {
      if (!v) actions.push({ type: "REMOVE", path: p });
      else {
        if (!SET_TYPES.has(typeOf(v))) throw invalid(`DELETE action with value is not supported for the type ${typeOf(v)}`);
        actions.push({ type: "DELETE", path: p, value: value(v) });
      }
    } else {
      const t = typeOf(v!);
      if (t === "L") {
        actions.push({ type: "SET", path: p, value: { type: "list_append", a: { type: "if_not_exists", path: p, fallback: value({ L: [] }) }, b: value(v!) } });
      } else if (t === "N" || SET_TYPES.has(t)) {
        actions.push({ type: "ADD", path: p, value: value(v!) });
      } else {
        throw invalid(`ADD action is not supported for the type ${t}`);
      }
    }
  }
  return actions;
}
