// Query and Scan. A Query turns its KeyConditionExpression into one partition (the hash key's
// bytes) and a range of sort-key encodings, read as a primary-key range scan in either
// direction; a Scan walks the primary key. Both stop at Limit evaluated items or 1 MB read,
// apply the FilterExpression after that (as AWS does: Limit counts items read, not matched),
// and return LastEvaluatedKey when they stopped early.
import type { QueryInput, QueryOutput, ScanInput, ScanOutput } from "@aws-sdk/client-dynamodb";
import type { RequestContext } from "../../../core/service.js";
import { ddb, keyAttributes, keyOf, rawOutput, refsOf, resolveTable, type KeyBytes } from "../common.js";
import { consumed, readUnits } from "../engine/capacity.js";
import { checkEnums, checkMin } from "../engine/params.js";
import { attributesToGet, checkExpressionParams, filterCondition, keyConditions, type LegacyCondition } from "../legacy/legacy.js";
import { evaluate, project } from "../engine/evaluate.js";
import { parseCondition, parseProjection, type Condition, type Operand, type Path } from "../engine/parser.js";
import { compareBytes, compareValues, encodeKey, fromStored, typeOf, validation, type AV, type Item } from "../engine/values.js";
import type { PageRow, TableRecord } from "../store.js";
import { indexRead, type IndexRead } from "../indexes/read.js";

const MAX_PAGE_BYTES = 1024 * 1024;

interface Bound {
  v: Buffer;
  incl: boolean;
}

const unsupported = () => validation("Query key condition not supported");

function flattenAnd(c: Condition, out: Condition[] = []): Condition[] {
  if (c.type === "and") {
    flattenAnd(c.a, out);
    flattenAnd(c.b, out);
  } else if (c.type === "or" || c.type === "not") {
    throw validation(`Invalid operator used in KeyConditionExpression: ${c.type.toUpperCase()}`);
  } else {
    out.push(c);
  }
  return out;
}

function keyName(o: Operand): string | undefined {
  return o.type === "path" && o.elements.length === 1 && typeof o.elements[0] === "string" ? o.elements[0] : undefined;
}

function valueOf(o: Operand): AV {
  if (o.type !== "value") throw unsupported();
  return o.value;
}

const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=" };

/** The partition and sort-key range a key condition selects. */
function keyRange(t: TableRecord, kc: Condition): { hk: Buffer; hashValue: AV; lo?: Bound; hi?: Bound } {
  const terms = flattenAnd(kc);
  let hashValue: AV | undefined;
  let lo: Bound | undefined;
  let hi: Bound | undefined;
  const seen = new Set<string>();
  const checkType = (v: AV, want: string) => {
    if (typeOf(v) !== want) throw validation("One or more parameter values were invalid: Condition parameter type does not match schema type");
  };
  for (const term of terms) {
    let attr: string | undefined;
    if (term.type === "cmp") {
      let { a, b } = term;
      let op: string = term.op;
      if (keyName(a) === undefined && keyName(b) !== undefined) {
        [a, b] = [b, a];
        op = FLIP[op] ?? op;
      }
      attr = keyName(a);
      if (attr === undefined) throw unsupported();
      if (seen.has(attr)) throw validation("KeyConditionExpressions must only contain one condition per key");
      seen.add(attr);
      const v = valueOf(b);
      if (attr === t.hash.name) {
        if (op !== "=") throw unsupported();
        checkType(v, t.hash.type);
        hashValue = v;
        continue;
      }
      if (attr !== t.range?.name || op === "<>") throw unsupported();
      checkType(v, t.range.type);
      const enc = encodeKey(v);
      if (op === "=") {
        lo = { v: enc, incl: true };
        hi = { v: enc, incl: true };
      } else if (op === "<" || op === "<=") hi = { v: enc, incl: op === "<=" };
      else lo = { v: enc, incl: op === ">=" };
    } else if (term.type === "between") {
      attr = keyName(term.a);
      if (attr === undefined || attr !== t.range?.name) throw unsupported();
      if (seen.has(attr)) throw validation("KeyConditionExpressions must only contain one condition per key");
      seen.add(attr);
      const l = valueOf(term.lo);
      const h = valueOf(term.hi);
      checkType(l, t.range.type);
      checkType(h, t.range.type);
      if ((compareValues(l, h) ?? 0) > 0) {
        const show = (v: AV) => `${typeOf(v)}:${v.S ?? v.N ?? Buffer.from(v.B!).toString("base64")}`;
        throw validation(
          `Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {${show(l)}}, upper bound operand: AttributeValue: {${show(h)}}`,
        );
      }
      lo = { v: encodeKey(l), incl: true };
      hi = { v: encodeKey(h), incl: true };
    } else if (term.type === "fn" && term.name === "begins_with") {
      attr = keyName(term.args[0]);
      if (attr === undefined || attr !== t.range?.name) throw unsupported();
      if (seen.has(attr)) throw validation("KeyConditionExpressions must only contain one condition per key");
      seen.add(attr);
      const v = valueOf(term.args[1]);
      if (t.range.type === "N" || typeOf(v) === "N") {
        throw validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
      }
      checkType(v, t.range.type);
      const prefix = encodeKey(v);
      lo = { v: prefix, incl: true };
      const succ = successor(prefix);
      if (succ) hi = { v: succ, incl: false };
    } else if (term.type === "fn") {
      throw validation(`Invalid KeyConditionExpression: The function is not allowed to be used this way in an expression; function: ${term.name}`);
    } else {
      throw unsupported();
    }
  }
  if (!hashValue) throw validation(`Query condition missed key schema element: ${t.hash.name}`);
  return { hk: encodeKey(hashValue), hashValue, lo, hi };
}

/** The smallest byte string greater than every string with this prefix (undefined: none). */
function successor(prefix: Buffer): Buffer | undefined {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      b[i]++;
      return b.subarray(0, i + 1);
    }
  }
  return undefined;
}

interface PageInput {
  Limit?: number;
  Select?: string;
  ProjectionExpression?: string;
  FilterExpression?: string;
  IndexName?: string;
  AttributesToGet?: string[];
  ReturnConsumedCapacity?: string;
  ConsistentRead?: boolean;
}

function checkSelect(input: PageInput, paths: Path[] | undefined): void {
  if (input.Select === "ALL_PROJECTED_ATTRIBUTES" && input.IndexName === undefined) throw validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  if (input.Select === "SPECIFIC_ATTRIBUTES" && !paths) {
    throw validation("Select type SPECIFIC_ATTRIBUTES requires either AttributesToGet or ProjectionExpression to be specified");
  }
  if (paths && input.Select !== undefined && input.Select !== "SPECIFIC_ATTRIBUTES") {
    const what = input.AttributesToGet !== undefined ? "AttributesToGet" : "ProjectionExpression";
    throw validation(`Cannot specify the ${what} when choosing to get ${input.Select}`);
  }
}

/** Reads rows until Limit or 1 MB, filters and projects them. */
function parseAll(texts: string[]): Item[] {
  if (texts.length < 2 || texts.some((x) => x.includes('"$b"'))) return texts.map(fromStored);
  return JSON.parse(`[${texts.join(",")}]`) as Item[];
}

function page(
  t: TableRecord,
  rows: Iterable<PageRow>,
  input: PageInput,
  filter: Condition | undefined,
  paths: Path[] | undefined,
  skip?: (r: PageRow) => boolean,
  view?: IndexRead,
) {
  const limit = input.Limit;
  const items: Item[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: Item | undefined;
  let more = false;
  // 1. Read rows until Limit or 1 MB (only their JSON text and size).
  const texts: string[] = [];
  for (const row of rows) {
    if (skip?.(row)) continue;
    if ((limit !== undefined && scanned >= limit) || bytes >= MAX_PAGE_BYTES) {
      more = true;
      break;
    }
    scanned++;
    bytes += row.size;
    texts.push(row.item);
  }
  // 2. Without a filter or projection (the table's or the index's), and without binaries, the
  // stored texts are the wire answer: only the last item is parsed (for LastEvaluatedKey).
  if ((!view || view.whole) && !filter && !paths && input.Select !== "COUNT" && !texts.some((x) => x.includes('"$b"'))) {
    if (!more && limit !== undefined && scanned >= limit) more = true;
    const plain: Record<string, unknown> = { Count: texts.length, ScannedCount: scanned };
    if (more && texts.length) {
      const lastItem = fromStored(texts[texts.length - 1]);
      plain.LastEvaluatedKey = view ? view.lastKey(lastItem) : keyAttributes(t, lastItem);
    }
    const cap = consumed(input.ReturnConsumedCapacity, t.meta.name, readUnits(bytes, input.ConsistentRead), "read");
    if (cap) plain.ConsumedCapacity = cap;
    return rawOutput(plain, { Items: `[${texts.join(",")}]` });
  }
  // 3. Otherwise parse them (one JSON.parse for the page is much cheaper than one per item),
  // then filter and project.
  for (const stored of parseAll(texts)) {
    const item = view ? view.present(stored) : stored;
    last = stored;
    if (filter && !evaluate(filter, item, "FilterExpression")) continue;
    items.push(paths ? project(item, paths) : item);
  }
  // AWS also answers LastEvaluatedKey when Limit was reached exactly at the end of the data.
  if (!more && limit !== undefined && scanned >= limit) more = true;
  const out: Record<string, unknown> = { Count: items.length, ScannedCount: scanned };
  if (input.Select !== "COUNT") out.Items = items;
  if (more && last) out.LastEvaluatedKey = view ? view.lastKey(last) : keyAttributes(t, last);
  // Query and Scan are charged on the total size read, not per item.
  const cap = consumed(input.ReturnConsumedCapacity, t.meta.name, readUnits(bytes, input.ConsistentRead), "read");
  if (cap) out.ConsumedCapacity = cap;
  return out;
}

function startKey(t: TableRecord, esk: Record<string, unknown> | undefined): KeyBytes | undefined {
  if (!esk) return undefined;
  try {
    return keyOf(t, esk as Record<string, AV>);
  } catch (e) {
    throw validation(`The provided starting key is invalid: ${(e as Error).message}`);
  }
}

function operandPaths(o: Operand): Path[] {
  switch (o.type) {
    case "path":
      return [o];
    case "size":
      return [o.path];
    default:
      return [];
  }
}

function conditionPaths(c: Condition): Path[] {
  switch (c.type) {
    case "and":
    case "or":
      return [...conditionPaths(c.a), ...conditionPaths(c.b)];
    case "not":
      return conditionPaths(c.a);
    case "cmp":
      return [...operandPaths(c.a), ...operandPaths(c.b)];
    case "between":
      return [c.a, c.lo, c.hi].flatMap(operandPaths);
    case "in":
      return [c.a, ...c.list].flatMap(operandPaths);
    case "fn":
      return c.args.flatMap(operandPaths);
  }
}

/** A Query's FilterExpression may not name the table's key attributes (they belong in the key condition). */
function checkFilterKeys(t: TableRecord, filter: Condition): void {
  for (const p of conditionPaths(filter)) {
    const top = p.elements[0];
    if (top === t.hash.name || top === t.range?.name) {
      throw validation(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${top}`);
    }
  }
}

export function Query(input: QueryInput, ctx: RequestContext): QueryOutput {
  checkEnums(input, ["Select", "ReturnConsumedCapacity", "ConditionalOperator"]);
  checkMin(input, "Limit", "limit", 1);
  checkExpressionParams(input, ["ProjectionExpression", "FilterExpression", "KeyConditionExpression"], ["AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"]);
  if (input.KeyConditionExpression === undefined && input.KeyConditions === undefined) {
    throw validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
  }
  const table = resolveTable(ctx, input.TableName);
  const refs = refsOf(input, input.KeyConditionExpression !== undefined || input.FilterExpression !== undefined || input.ProjectionExpression !== undefined);
  // On an index, the key condition and the starting key are the index's (indexes/read.ts).
  const view =
    input.IndexName !== undefined
      ? indexRead(table, input, input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, refs) : attributesToGet(input.AttributesToGet), ctx.clock.now())
      : undefined;
  const t = view ? view.keys : table;
  const kc =
    input.KeyConditionExpression !== undefined
      ? parseCondition(input.KeyConditionExpression, "KeyConditionExpression", refs)
      : keyConditions(input.KeyConditions as Record<string, LegacyCondition>, t);
  const filter =
    input.FilterExpression !== undefined
      ? parseCondition(input.FilterExpression, "FilterExpression", refs)
      : filterCondition(input.QueryFilter as Record<string, LegacyCondition> | undefined, input.ConditionalOperator, "QueryFilter", t);
  const paths = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, refs) : attributesToGet(input.AttributesToGet);
  refs.checkUnused();
  checkSelect(input, paths);
  if (filter && input.FilterExpression !== undefined) checkFilterKeys(t, filter);
  const range = keyRange(t, kc);
  const forward = input.ScanIndexForward !== false;
  let { lo, hi } = range;
  const esk = view ? view.startKey(input.ExclusiveStartKey) : startKey(t, input.ExclusiveStartKey as Record<string, unknown> | undefined);
  if (esk) {
    const outside = () => validation("The provided starting key is outside query boundaries based on provided conditions");
    if (compareBytes(esk.hk, range.hk) !== 0) throw outside();
    if (lo && compareBytes(esk.rk, lo.v) < 0) throw outside();
    if (hi && (compareBytes(esk.rk, hi.v) > 0 || (!hi.incl && compareBytes(esk.rk, hi.v) === 0))) throw outside();
    if (!view && forward && (!lo || compareBytes(esk.rk, lo.v) >= 0)) lo = { v: esk.rk, incl: false };
    if (!view && !forward && (!hi || compareBytes(esk.rk, hi.v) <= 0)) hi = { v: esk.rk, incl: false };
  }
  const rows = view
    ? view.query(ddb(ctx), range.hk, { lo, hi }, forward, esk as Parameters<IndexRead["query"]>[4])
    : ddb(ctx).queryItems(t.id, range.hk, { lo, hi }, forward, input.Limit !== undefined ? input.Limit + 1 : undefined);
  try {
    return page(table, rows, input, filter, paths, undefined, view) as QueryOutput;
  } finally {
    (rows as { return?: () => void }).return?.();
  }
}

function fnv(b: Buffer): number {
  let h = 0x811c9dc5;
  for (const x of b) {
    h ^= x;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function Scan(input: ScanInput, ctx: RequestContext): ScanOutput {
  checkEnums(input, ["Select", "ReturnConsumedCapacity", "ConditionalOperator"]);
  checkMin(input, "Limit", "limit", 1);
  checkMin(input, "TotalSegments", "totalSegments", 1);
  checkMin(input, "Segment", "segment", 0);
  checkExpressionParams(input, ["ProjectionExpression", "FilterExpression"], ["AttributesToGet", "ScanFilter", "ConditionalOperator"]);
  const t = resolveTable(ctx, input.TableName);
  const seg = input.Segment;
  const total = input.TotalSegments;
  if (seg !== undefined && total === undefined) {
    throw validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present");
  }
  if (total !== undefined && seg === undefined) {
    throw validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present");
  }
  if (seg !== undefined && total !== undefined && seg >= total) {
    throw validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${seg} is not less than TotalSegments: ${total}`);
  }
  const refs = refsOf(input, input.FilterExpression !== undefined || input.ProjectionExpression !== undefined);
  const filter =
    input.FilterExpression !== undefined
      ? parseCondition(input.FilterExpression, "FilterExpression", refs)
      : filterCondition(input.ScanFilter as Record<string, LegacyCondition> | undefined, input.ConditionalOperator, "ScanFilter", t);
  const paths = input.ProjectionExpression !== undefined ? parseProjection(input.ProjectionExpression, refs) : attributesToGet(input.AttributesToGet);
  refs.checkUnused();
  checkSelect(input, paths);
  const view = input.IndexName !== undefined ? indexRead(t, input, paths, ctx.clock.now()) : undefined;
  const esk = view ? view.startKey(input.ExclusiveStartKey) : startKey(t, input.ExclusiveStartKey as Record<string, unknown> | undefined);
  const segmented = total !== undefined && total > 1;
  const rows = view
    ? view.scan(ddb(ctx), esk as Parameters<IndexRead["scan"]>[1])
    : ddb(ctx).scanRows(t.id, esk as KeyBytes | undefined, segmented, input.Limit !== undefined ? input.Limit + 1 : undefined);
  // A segment is the set of partitions whose hash key hashes to it, as on AWS.
  const skip = segmented ? (r: PageRow) => fnv(r.hk!) % total !== seg : undefined;
  try {
    return page(t, rows, input, filter, paths, skip, view) as ScanOutput;
  } finally {
    (rows as { return?: () => void }).return?.();
  }
}
