// PutItem's and GetItem's common requests read straight from their bytes:
// `{"TableName": ..., "Item": {...}}` and `{"TableName": ..., "Key": {...}}` (with at most
// ConsistentRead), every value in the form the general path keeps as sent. One pass over the
// body checks the item as the model check (core/protocols/validate.ts) and normalizeItem would,
// counts its size as AWS does (values.ts itemSize) and notes where its top-level strings and
// numbers are (a key is one of them), without JSON.parse building the item's objects.
//
// Why: a socket PutItem spent ~5% of its server CPU in JSON.parse of the body, and as much
// again in the model check, normalizeItem and memberText walking what it built; and on this
// machine every microsecond before the answer is written costs about 1.3 µs of server CPU (the
// client has gone idle by then, and waking it takes an IPI: docs/architecture.md, "latency is
// CPU here"). The gateway skips its model check for an input a fast reader answered
// (core/service.ts, FastInput), so the scan must accept only what the general path would
// accept and keep as sent:
//
//   1. The body is one object with exactly the members TableName and Item (GetItem: TableName
//      and Key, and ConsistentRead true or false), once each, in any order, with JSON
//      whitespace anywhere.
//   2. Every string is ASCII without a backslash or a control character: a string then ends at
//      the next quote, is its own UTF-8 bytes, and JSON.parse gives exactly its characters.
//   3. TableName is 1-255 of [A-Za-z0-9_.-] (a name the model's 1-1024 accepts; an ARN is
//      left to the general path).
//   4. Every attribute value is an object with exactly one member, one of S, N, SS, NS, M, L,
//      BOOL, NULL (B and BS are left to the general path: they are base64 and stored as {$b}).
//      A Key holds one or two attributes, each an S or N.
//   5. Numbers are canonical, as normalizeNumber keeps them: no "+", no leading or trailing
//      zero, no exponent, not "-0", at most 38 digits (so within AWS's range as well).
//   6. Sets are not empty and hold no repeats (canonical numbers repeat exactly when their
//      bytes do); names within one map or item do not repeat (JSON.parse would keep the last).
//   7. NULL is true; nesting is at most 16 deep (normalizeValue allows 32); names are 1-65535
//      bytes; a map, set or the item has at most 64 members (larger ones take the general path).
//
// Anything else answers undefined, and the gateway parses and checks the body as usual: the
// errors, their order and their wording all stay the general path's.

/** What a scan found: the input PutItem reads (TableName, Item) and what the write needs. */
export class ScannedPut {
  private parsed: Record<string, unknown> | undefined = undefined;
  constructor(
    readonly TableName: string,
    /** The item's JSON exactly as sent: what is stored. */
    readonly itemText: string,
    /** itemSize of the item. */
    readonly size: number,
    private readonly body: Buffer,
    /** Per top-level S or N attribute: name start, name end, 0 (S) or 1 (N), value start, value end. */
    private readonly scalars: number[],
  ) {}

  /** The item as JSON.parse gives it, for anything that reads the input as objects (made once). */
  get Item(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.itemText) as Record<string, unknown>);
  }

  /** The top-level attribute `name` when it is an S or N value, else undefined. */
  scalar(name: string): { S: string } | { N: string } | undefined {
    const s = this.scalars;
    const b = this.body;
    for (let k = 0; k < s.length; k += 5) if (sameText(b, s[k]!, s[k + 1]!, name)) return scalarValue(b, s, k);
    return undefined;
  }
}

const MAX_NESTING = 16;
const MAX_MEMBERS = 64;
const MAX_NAMES = (MAX_NESTING + 2) * MAX_MEMBERS;
/** The model's AttributeName length limit (names of the item and of M maps). */
const MAX_NAME = 65535;

// The scan's state, module-wide: one scan runs at a time and never yields (no object per scan
// for it, and V8 keeps these in registers across the small functions below).
let b: Buffer = Buffer.alloc(0);
let n = 0;
let i = 0;
/** Name (and set member) ranges of the maps and sets being scanned: a stack of start/end pairs. */
const names = new Int32Array(2 * MAX_NAMES);
let top = 0;
/** The last value() read: 0 S, 1 N, 2 anything else; the S or N content's range. */
let lastType = 2;
let lastFrom = 0;
let lastTo = 0;

/** A PutItem body read without JSON.parse, or undefined for anything outside the rules above. */
export function scanPutItem(body: Buffer): ScannedPut | undefined {
  const scalars: number[] = [];
  if (!scan(body, PUT, scalars)) return undefined;
  return new ScannedPut(table!, body.toString("latin1", mapFrom, mapTo), mapSize, body, scalars);
}

/**
 * A GetItem body read without JSON.parse: `{"TableName", "Key"}` and at most `ConsistentRead`
 * (true or false), the key one or two S or N attributes under the same rules. Answers the
 * input JSON.parse would (the same members and values), or undefined. GetItem's handler takes
 * it as any other input; the gain is the parse and the model check skipped.
 */
export function scanGetItem(body: Buffer): Record<string, unknown> | undefined {
  const scalars: number[] = [];
  if (!scan(body, GET, scalars)) return undefined;
  // Every key attribute a string or number (top counts the key's names): anything else, and a
  // third attribute, is the general path's to word (keyOf's "The provided key element does not
  // match the schema").
  const count = scalars.length / 5;
  if (count === 0 || count > 2 || top !== 2 * count) return undefined;
  // The names come from recent(): the same string objects request after request, so the
  // literals' computed-key stores stay monomorphic and nothing is looked up in the string table.
  const first = scalarValue(body, scalars, 0);
  const name = recent(body, scalars[0]!, scalars[1]!);
  const key = count === 1 ? { [name]: first } : { [name]: first, [recent(body, scalars[5]!, scalars[6]!)]: scalarValue(body, scalars, 5) };
  return consistent === 2 ? { TableName: table, Key: key } : { TableName: table, Key: key, ConsistentRead: consistent === 1 };
}

const PUT = 0;
const GET = 1;

/** The S or N value noted at scalars[k..k+4]. */
function scalarValue(body: Buffer, scalars: number[], k: number): { S: string } | { N: string } {
  const text = body.toString("latin1", scalars[k + 3]!, scalars[k + 4]!);
  return scalars[k + 2] === 0 ? { S: text } : { N: text };
}

// Table and key attribute names repeat from request to request: the last few are kept and
// answered again for the same bytes (no new string to allocate, hash and look up).
const RECENT = 8;
const recentNames: string[] = [];
let recentNext = 0;

/** The string of the ASCII bytes [from, to) of `body`, the same object as last time when it was seen lately. */
function recent(body: Buffer, from: number, to: number): string {
  for (let k = 0; k < recentNames.length; k++) if (sameText(body, from, to, recentNames[k]!)) return recentNames[k]!;
  const made = body.toString("latin1", from, to);
  recentNames[recentNext] = made;
  recentNext = (recentNext + 1) % RECENT;
  return made;
}
const EMPTY = Buffer.alloc(0);
// What scan() found: the table name, the Item's or Key's range and size, ConsistentRead (0
// false, 1 true, 2 absent).
let table: string | undefined;
let mapFrom = -1;
let mapTo = -1;
let mapSize = 0;
let consistent = 2;

/**
 * The body's top-level members as `op` takes them (PUT: TableName and Item; GET: TableName, Key
 * and ConsistentRead), each at most once, the map's top-level S and N attributes noted in
 * `scalars`. False for anything else.
 */
function scan(body: Buffer, op: number, scalars: number[]): boolean {
  b = body;
  n = body.length;
  i = 0;
  top = 0;
  table = undefined;
  mapFrom = -1;
  consistent = 2;
  try {
    return members(op, scalars) && table !== undefined && mapFrom >= 0;
  } finally {
    b = EMPTY;
  }
}

function members(op: number, scalars: number[]): boolean {
  ws();
  if (b[i] !== 123 /* { */) return false;
  i++;
  ws();
  for (;;) {
    const ks = i + 1;
    const ke = str();
    if (ke < 0 || !colon()) return false;
    if (same(ks, ke, "TableName")) {
      if (table !== undefined) return false;
      const vs = i + 1;
      const ve = str();
      if (ve < 0 || !tableName(vs, ve)) return false;
      table = recent(b, vs, ve);
    } else if (op === PUT ? same(ks, ke, "Item") : same(ks, ke, "Key")) {
      if (mapFrom >= 0) return false;
      mapFrom = i;
      mapSize = item(scalars);
      if (mapSize < 0) return false;
      mapTo = i;
    } else if (op === GET && same(ks, ke, "ConsistentRead")) {
      if (consistent !== 2) return false;
      if (literal("true")) consistent = 1;
      else if (literal("false")) consistent = 0;
      else return false;
    } else return false;
    const sep = separator(125 /* } */);
    if (sep === 1) continue;
    if (sep < 0) return false;
    ws();
    return i === n;
  }
}

function ws(): void {
  while (i < n) {
    const c = b[i]!;
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
    i++;
  }
}

/** After a member or element: 1 past a comma (another follows), 0 past `close`, -1 for anything else. */
function separator(close: number): number {
  ws();
  if (b[i] === 44 /* , */) {
    i++;
    ws();
    return 1;
  }
  if (b[i] !== close) return -1;
  i++;
  return 0;
}

/** Whitespace, a colon, whitespace. */
function colon(): boolean {
  ws();
  if (b[i] !== 58 /* : */) return false;
  i++;
  ws();
  return true;
}

/**
 * A string at i: the end of its content (exclusive; it starts at i + 1), with i moved past the
 * closing quote. -1 for rule 2's exclusions.
 */
function str(): number {
  if (b[i] !== 34 /* " */) return -1;
  for (let j = i + 1; j < n; j++) {
    const c = b[j]!;
    if (c === 34) {
      i = j + 1;
      return j;
    }
    if (c < 0x20 || c === 92 /* \ */ || c >= 0x80) return -1;
  }
  return -1;
}

/** Whether bytes [from, to) of the body being scanned are the ASCII string `s`. */
function same(from: number, to: number, s: string): boolean {
  return sameText(b, from, to, s);
}

/** Whether bytes [from, to) of `buf` are the ASCII string `s`. */
function sameText(buf: Buffer, from: number, to: number, s: string): boolean {
  if (to - from !== s.length) return false;
  for (let j = 0; j < s.length; j++) if (buf[from + j] !== s.charCodeAt(j)) return false;
  return true;
}

function tableName(from: number, to: number): boolean {
  if (to - from < 1 || to - from > 255) return false;
  for (let j = from; j < to; j++) {
    const c = b[j]!;
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/**
 * Pushes the range [from, to) on the name stack unless it repeats one at or above `base`, or
 * the map or set already has MAX_MEMBERS (the check is quadratic: larger ones take the general
 * path).
 */
function pushUnique(base: number, from: number, to: number): boolean {
  const len = to - from;
  if (top - base >= 2 * MAX_MEMBERS) return false;
  for (let k = base; k < top; k += 2) {
    const s = names[k]!;
    if (names[k + 1]! - s !== len) continue;
    let j = 0;
    while (j < len && b[s + j] === b[from + j]) j++;
    if (j === len) return false;
  }
  if (top + 2 > names.length) return false;
  names[top++] = from;
  names[top++] = to;
  return true;
}

/** The item (or Key) object at i: its itemSize, with its top-level S and N attributes noted in `scalars`; -1 when outside the rules. */
function item(scalars: number[]): number {
  return attributes(0, 0, scalars);
}

/** An attribute value object at i: its valueSize, or -1. Sets lastType (and the S/N range). */
function value(depth: number): number {
  if (b[i] !== 123 /* { */) return -1;
  i++;
  ws();
  const ks = i + 1;
  const ke = str();
  if (ke < 0 || !colon()) return -1;
  let size = -1;
  let type = 2;
  const len = ke - ks;
  const c0 = b[ks];
  if (len === 1) {
    if (c0 === 83 /* S */ || c0 === 78 /* N */) {
      const vs = i + 1;
      const ve = str();
      if (ve >= 0) {
        size = c0 === 83 ? ve - vs : numberSize(vs, ve);
        type = c0 === 83 ? 0 : 1;
        lastFrom = vs;
        lastTo = ve;
      }
    } else if (c0 === 77 /* M */) size = map(depth + 1);
    else if (c0 === 76 /* L */) size = list(depth + 1);
  } else if (len === 2 && b[ks + 1] === 83 /* S */) {
    if (c0 === 83 || c0 === 78) size = set(c0 === 78);
  } else if (same(ks, ke, "BOOL")) {
    size = literal("true") || literal("false") ? 1 : -1;
  } else if (same(ks, ke, "NULL")) {
    size = literal("true") ? 1 : -1;
  }
  if (size < 0) return -1;
  ws();
  if (b[i] !== 125 /* } */) return -1;
  i++;
  lastType = type;
  return size;
}

function literal(word: string): boolean {
  if (i + word.length > n) return false;
  for (let j = 0; j < word.length; j++) if (b[i + j] !== word.charCodeAt(j)) return false;
  i += word.length;
  return true;
}

/** An M value's map at i: 3, and per entry its name's bytes, 1 and the value's size. */
function map(depth: number): number {
  const size = attributes(depth, 1, undefined);
  return size < 0 ? -1 : 3 + size;
}

/**
 * The attribute map at i (the item or Key at nesting 0, an M value's map below it): the sum
 * over its entries of the name's bytes, `perEntry` and the value's size; -1 when outside the
 * rules. With `scalars` (the top) its S and N attributes are noted and its names stay on the
 * stack (scanGetItem counts them); an M map's names are dropped when it ends.
 */
function attributes(depth: number, perEntry: number, scalars: number[] | undefined): number {
  if (depth > MAX_NESTING || b[i] !== 123 /* { */) return -1;
  i++;
  ws();
  if (b[i] === 125 /* } */) {
    i++;
    return 0;
  }
  const base = top;
  let size = 0;
  for (;;) {
    const ks = i + 1;
    const ke = str();
    if (ke <= ks || ke - ks > MAX_NAME || !pushUnique(base, ks, ke) || !colon()) return -1;
    const v = value(depth);
    if (v < 0) return -1;
    size += ke - ks + perEntry + v;
    if (scalars !== undefined && lastType !== 2) scalars.push(ks, ke, lastType, lastFrom, lastTo);
    const sep = separator(125 /* } */);
    if (sep === 1) continue;
    if (sep < 0) return -1;
    if (scalars === undefined) top = base;
    return size;
  }
}

/** An L value's list at i: 3, and per element 1 and its size. */
function list(depth: number): number {
  if (depth > MAX_NESTING || b[i] !== 91 /* [ */) return -1;
  i++;
  ws();
  let size = 3;
  if (b[i] === 93 /* ] */) {
    i++;
    return size;
  }
  for (;;) {
    const v = value(depth);
    if (v < 0) return -1;
    size += 1 + v;
    const sep = separator(93 /* ] */);
    if (sep === 1) continue;
    if (sep < 0) return -1;
    return size;
  }
}

/** An SS or NS array at i: the members' sizes summed; -1 when empty, repeating or not canonical. */
function set(numeric: boolean): number {
  if (b[i] !== 91 /* [ */) return -1;
  i++;
  ws();
  const base = top;
  let size = 0;
  for (;;) {
    const vs = i + 1;
    const ve = str();
    if (ve < 0 || !pushUnique(base, vs, ve)) return -1;
    const s = numeric ? numberSize(vs, ve) : ve - vs;
    if (s < 0) return -1;
    size += s;
    const sep = separator(93 /* ] */);
    if (sep === 1) continue;
    if (sep < 0) return -1;
    top = base;
    return size;
  }
}

/**
 * The size AWS counts for a canonical number in bytes [from, to) (values.ts numberSize: 1, a
 * byte per two significant digits, one for a half-filled pair when the digit count and the
 * exponent are both even, one for a minus), or -1 when the number is not canonical (rule 5).
 */
function numberSize(from: number, to: number): number {
  let j = from;
  const negative = b[j] === 45; /* - */
  if (negative) j++;
  const intFrom = j;
  const c = b[j];
  if (c === 48 /* 0 */) j++;
  else if (c !== undefined && c >= 49 && c <= 57) while (j < to && b[j]! >= 48 && b[j]! <= 57) j++;
  else return -1;
  const intTo = j;
  let fracFrom = j;
  if (j < to) {
    if (b[j] !== 46 /* . */) return -1;
    j++;
    fracFrom = j;
    while (j < to && b[j]! >= 48 && b[j]! <= 57) j++;
    if (j !== to || j === fracFrom || b[to - 1] === 48) return -1;
  }
  const intDigits = intTo - intFrom;
  const fracDigits = to - fracFrom;
  if (intDigits + fracDigits > 38) return -1;
  const intIsZero = b[intFrom] === 48;
  if (intIsZero && fracDigits === 0) return negative ? -1 : 1; // "0" (and "-0", not canonical)
  // value = 0.DIGITS x 10^exp, DIGITS without leading or trailing zeros.
  let digits: number;
  let exp: number;
  if (intIsZero) {
    let z = fracFrom;
    while (b[z] === 48) z++;
    digits = to - z;
    exp = -(z - fracFrom);
  } else {
    exp = intDigits;
    if (fracDigits > 0) digits = intDigits + fracDigits;
    else {
      let e = intTo;
      while (b[e - 1] === 48) e--;
      digits = e - intFrom;
    }
  }
  const e = exp - 1;
  return 1 + Math.ceil(digits / 2) + (digits % 2 !== 0 || e % 2 !== 0 ? 0 : 1) + (negative ? 1 : 0);
}
