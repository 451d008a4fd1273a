// AttributeValues: the type, DynamoDB numbers as exact decimals, comparison, equality, item
// size, the sort-key byte encoding, and the JSON form items are stored in.
//
// Numbers: DynamoDB numbers are decimals of up to 38 significant digits with magnitudes from
// 1E-130 to 9.99...E+125. A JS double cannot hold them, so a number is parsed into a sign, a
// digit string without leading/trailing zeros, and an exponent (value = 0.DIGITS x 10^exp),
// compared on that form, added with BigInt, and written back in plain decimal notation (the
// canonical form AWS returns: "1.50" -> "1.5", "1e2" -> "100").
import { AwsError } from "../../../core/errors.js";

export interface AV {
  S?: string;
  N?: string;
  B?: Uint8Array;
  SS?: string[];
  NS?: string[];
  BS?: Uint8Array[];
  M?: Record<string, AV>;
  L?: AV[];
  NULL?: boolean;
  BOOL?: boolean;
}
export type Item = Record<string, AV>;
export type AVType = "S" | "N" | "B" | "SS" | "NS" | "BS" | "M" | "L" | "NULL" | "BOOL";

export const TYPES: readonly AVType[] = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

export function validation(message: string): AwsError {
  return new AwsError("ValidationException", message);
}

export function typeOf(v: AV): AVType {
  const t = firstType(v);
  if (t === undefined) throw validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  return t;
}

// Named property reads, not v[TYPES[i]]: a keyed read with ten different keys goes megamorphic
// in V8 and was the largest builtin in a PutItem's profile (every attribute of every item).
function firstType(v: AV): AVType | undefined {
  if (v.S !== undefined) return "S";
  if (v.N !== undefined) return "N";
  if (v.B !== undefined) return "B";
  if (v.SS !== undefined) return "SS";
  if (v.NS !== undefined) return "NS";
  if (v.BS !== undefined) return "BS";
  if (v.M !== undefined) return "M";
  if (v.L !== undefined) return "L";
  if (v.NULL !== undefined) return "NULL";
  if (v.BOOL !== undefined) return "BOOL";
  return undefined;
}

/** How many of the ten type members a value sets (exactly one is valid). */
function typeCount(v: AV): number {
  return (
    (v.S !== undefined ? 1 : 0) +
    (v.N !== undefined ? 1 : 0) +
    (v.B !== undefined ? 1 : 0) +
    (v.SS !== undefined ? 1 : 0) +
    (v.NS !== undefined ? 1 : 0) +
    (v.BS !== undefined ? 1 : 0) +
    (v.M !== undefined ? 1 : 0) +
    (v.L !== undefined ? 1 : 0) +
    (v.NULL !== undefined ? 1 : 0) +
    (v.BOOL !== undefined ? 1 : 0)
  );
}

// ---------------------------------------------------------------- numbers

export interface Dec {
  /** -1, 0 or 1 */
  sign: number;
  /** Significant digits, no leading or trailing zeros ("" for zero). */
  digits: string;
  /** value = sign * 0.digits * 10^exp */
  exp: number;
}

const NUMBER = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** Parses a DynamoDB number, enforcing AWS's precision and range with its messages. */
export function parseNumber(s: string): Dec {
  return parsePlain(s) ?? parseGeneral(s);
}

/**
 * The common form ("-12.50", "7", ".5"; no exponent, no blanks) in one scan without a regex or
 * intermediate strings: an item's numbers are parsed for its size and its key's encoding on
 * every write. Anything else (undefined) goes to the general parser, which also words the errors.
 */
function parsePlain(s: string): Dec | undefined {
  const n = s.length;
  let i = 0;
  let sign = 1;
  const c0 = s.charCodeAt(0);
  if (c0 === 45 /* - */) {
    sign = -1;
    i = 1;
  } else if (c0 === 43 /* + */) i = 1;
  let dot = -1;
  let first = -1; // first non-zero digit
  let last = -1; // last non-zero digit
  let digits = 0;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === 46 /* . */) {
      if (dot >= 0) return undefined;
      dot = j;
    } else if (c >= 48 && c <= 57) {
      digits++;
      if (c !== 48) {
        if (first < 0) first = j;
        last = j;
      }
    } else return undefined;
  }
  if (digits === 0) return undefined;
  if (first < 0) return { sign: 0, digits: "", exp: 0 };
  if (dot < 0) dot = n;
  // value = 0.DIGITS x 10^exp
  const exp = first < dot ? dot - first : dot + 1 - first;
  return checkParsed({ sign, digits: first < dot && last > dot ? s.slice(first, dot) + s.slice(dot + 1, last + 1) : s.slice(first, last + 1), exp });
}

function parseGeneral(s: string): Dec {
  const m = NUMBER.exec(s);
  if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) {
    throw validation("A value provided cannot be converted into a number");
  }
  const intPart = m[2];
  const frac = m[3] ?? "";
  let all = intPart + frac;
  let exp = intPart.length + (m[4] ? parseInt(m[4], 10) : 0);
  const lead = all.length - all.replace(/^0+/, "").length;
  all = all.slice(lead);
  exp -= lead;
  all = all.replace(/0+$/, "");
  if (all === "") return { sign: 0, digits: "", exp: 0 };
  return checkParsed({ sign: m[1] === "-" ? -1 : 1, digits: all, exp });
}

/** AWS's precision and range limits of a parsed (non-zero) number, in its words. */
function checkParsed(d: Dec): Dec {
  if (d.digits.length > 38) throw validation("Attempting to store more than 38 significant digits in a Number");
  if (d.exp > 126) throw validation("Number overflow. Attempting to store a number with magnitude larger than supported range");
  if (d.exp < -129) throw validation("Number underflow. Attempting to store a number with magnitude smaller than supported range");
  return d;
}

/** Plain decimal notation of a parsed number. */
export function formatNumber(d: Dec): string {
  if (d.sign === 0) return "0";
  let s: string;
  if (d.exp <= 0) s = "0." + "0".repeat(-d.exp) + d.digits;
  else if (d.exp >= d.digits.length) s = d.digits + "0".repeat(d.exp - d.digits.length);
  else s = d.digits.slice(0, d.exp) + "." + d.digits.slice(d.exp);
  return d.sign < 0 ? "-" + s : s;
}

/** Already canonical: no sign but "-", no leading or trailing zeros, no exponent, not "-0". */
const CANONICAL = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

export function normalizeNumber(s: string): string {
  // Most numbers arrive canonical: at most 38 digits in all keeps them within precision and
  // range, so they are their own normal form.
  if (s.length <= 40 && CANONICAL.test(s) && s !== "-0" && s.length - (s[0] === "-" ? 1 : 0) - (s.includes(".") ? 1 : 0) <= 38) return s;
  return formatNumber(parseNumber(s));
}

export function compareNumbers(a: string, b: string): number {
  return compareDec(parseNumber(a), parseNumber(b));
}

export function compareDec(x: Dec, y: Dec): number {
  if (x.sign !== y.sign) return x.sign < y.sign ? -1 : 1;
  if (x.sign === 0) return 0;
  let c: number;
  if (x.exp !== y.exp) c = x.exp < y.exp ? -1 : 1;
  else c = x.digits < y.digits ? -1 : x.digits > y.digits ? 1 : 0;
  return x.sign * c;
}

function toScaled(d: Dec): { m: bigint; scale: number } {
  // value = m * 10^-scale
  if (d.sign === 0) return { m: 0n, scale: 0 };
  const scale = d.digits.length - d.exp;
  return { m: BigInt(d.sign) * BigInt(d.digits), scale };
}

/** a + b (or a - b) as exact decimals, with AWS's range and precision checks on the result. */
export function addNumbers(a: string, b: string, subtract = false): string {
  const x = toScaled(parseNumber(a));
  const y = toScaled(parseNumber(b));
  const scale = Math.max(x.scale, y.scale);
  const xm = x.m * 10n ** BigInt(scale - x.scale);
  let ym = y.m * 10n ** BigInt(scale - y.scale);
  if (subtract) ym = -ym;
  const sum = xm + ym;
  if (sum === 0n) return "0";
  const neg = sum < 0n;
  const digits = (neg ? -sum : sum).toString();
  const exp = digits.length - scale;
  const trimmed = digits.replace(/0+$/, "");
  return formatNumber(checkDec({ sign: neg ? -1 : 1, digits: trimmed, exp }));
}

function checkDec(d: Dec): Dec {
  if (d.digits.length > 38) throw validation("Number overflow. Attempting to store a number with magnitude larger than supported range");
  if (d.exp > 126) throw validation("Number overflow. Attempting to store a number with magnitude larger than supported range");
  if (d.exp < -129) throw validation("Number underflow. Attempting to store a number with magnitude smaller than supported range");
  return d;
}

// ---------------------------------------------------------------- comparison

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Strings compare by their UTF-8 bytes, as DynamoDB orders them (not by UTF-16 code units). */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Order of two scalars of the same type (S, N, B); undefined when they are not comparable. */
export function compareValues(a: AV, b: AV): number | undefined {
  if (a.S !== undefined && b.S !== undefined) return compareStrings(a.S, b.S);
  if (a.N !== undefined && b.N !== undefined) return compareNumbers(a.N, b.N);
  if (a.B !== undefined && b.B !== undefined) return compareBytes(a.B, b.B);
  return undefined;
}

function setEquals<T>(a: T[], b: T[], key: (v: T) => string): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(key));
  return b.every((v) => s.has(key(v)));
}

const b64 = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");

export function valuesEqual(a: AV, b: AV): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  switch (t) {
    case "S":
      return a.S === b.S;
    case "N":
      return compareNumbers(a.N!, b.N!) === 0;
    case "B":
      return compareBytes(a.B!, b.B!) === 0;
    case "BOOL":
      return a.BOOL === b.BOOL;
    case "NULL":
      return true;
    case "SS":
      return setEquals(a.SS!, b.SS!, (s) => s);
    case "NS":
      return setEquals(a.NS!, b.NS!, normalizeNumber);
    case "BS":
      return setEquals(a.BS!, b.BS!, b64);
    case "L":
      return a.L!.length === b.L!.length && a.L!.every((v, i) => valuesEqual(v, b.L![i]));
    case "M": {
      const ka = Object.keys(a.M!);
      if (ka.length !== Object.keys(b.M!).length) return false;
      return ka.every((k) => b.M![k] !== undefined && valuesEqual(a.M![k], b.M![k]));
    }
  }
}

// ---------------------------------------------------------------- validation and normalization

const SET_NAMES: Record<string, string> = { SS: "string set ", NS: "number set ", BS: "binary set " };

/** AWS nests documents (lists and maps) at most 32 levels deep. */
const MAX_DEPTH = 32;

/**
 * What normalizeItem can count in the same walk: the item's size as AWS counts it (itemSize)
 * and whether it holds a binary (toStored then needs its replacer). A PutItem walked its item
 * three times for these (normalize, size, binary check).
 */
export interface Tally {
  size: number;
  binary: boolean;
}

/** Validates a value from a request and returns it normalized (numbers canonical); adds its valueSize to `tally`. */
export function normalizeValue(v: AV, depth = 0, tally?: Tally): AV {
  if (depth > MAX_DEPTH) throw validation("Nesting Levels have exceeded supported limits");
  if (v === null || typeof v !== "object") throw validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  const t = firstType(v);
  const count = t === undefined ? 0 : typeCount(v);
  if (count !== 1) {
    throw validation(
      count === 0
        ? "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        : "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    );
  }
  switch (t!) {
    case "S":
      if (tally) tally.size += Buffer.byteLength(v.S!, "utf8");
      return v;
    case "B":
      if (tally) {
        tally.size += v.B!.byteLength;
        tally.binary = true;
      }
      return v;
    case "BOOL":
      if (tally) tally.size += 1;
      return v;
    case "NULL":
      if (v.NULL !== true) throw validation("One or more parameter values were invalid: Null attribute value types must have the value of true");
      if (tally) tally.size += 1;
      return v;
    case "N": {
      // Kept as sent when already canonical (most are), as S, B and BOOL values are.
      const n = normalizeNumber(v.N!);
      if (tally) tally.size += numberSize(n);
      return n === v.N ? v : { N: n };
    }
    case "SS":
    case "NS":
    case "BS": {
      const arr = (v as Record<string, unknown[]>)[t];
      if (arr.length === 0) throw validation(`One or more parameter values were invalid: An ${SET_NAMES[t]} may not be empty`);
      let vals = arr;
      if (t === "NS") {
        const ns = (arr as string[]).map(normalizeNumber);
        for (let i = 0; i < ns.length; i++) if (ns[i] !== arr[i]) vals = ns;
      }
      const keys = t === "BS" ? vals.map((x) => b64(x as Uint8Array)) : (vals as string[]);
      if (hasDuplicate(keys)) {
        const shown = t === "BS" ? keys : (arr as string[]);
        throw validation(`One or more parameter values were invalid: Input collection [${shown.join(", ")}] contains duplicates.`);
      }
      // The value itself when nothing changed and it holds nothing else (see `only`).
      const out = vals === arr && only(v) ? v : ({ [t]: vals } as AV);
      if (tally) {
        tally.size += valueSize(out);
        if (t === "BS") tally.binary = true;
      }
      return out;
    }
    case "L": {
      // 3 bytes, and 1 per element besides the element's own size (valueSize).
      const l = v.L!;
      if (tally) tally.size += 3 + l.length;
      const out = new Array<AV>(l.length);
      let same = true;
      for (let i = 0; i < l.length; i++) if ((out[i] = normalizeValue(l[i], depth + 1, tally)) !== l[i]) same = false;
      return same && only(v) ? v : { L: out };
    }
    case "M": {
      // 3 bytes, and per entry its name's bytes and 1 besides the value's own size.
      if (tally) tally.size += 3;
      const m = v.M!;
      const out: Record<string, AV> = {};
      let same = true;
      for (const k in m) {
        if (tally) tally.size += Buffer.byteLength(k, "utf8") + 1;
        const x = m[k];
        if ((out[k] = normalizeValue(x, depth + 1, tally)) !== x) same = false;
      }
      return same && only(v) ? v : { M: out };
    }
  }
}

/**
 * Whether a value holds nothing but its one type member: a set, list or map whose members came
 * through unchanged is then kept as sent, not copied (JSON.stringify of the request's own
 * objects, as JSON.parse built them, is also faster than of copies built key by key). A value
 * with other members is copied, which drops them, as before.
 */
function only(v: AV): boolean {
  let n = 0;
  for (const _ in v) n++;
  return n === 1;
}

/** Whether a set's members repeat (a nested loop for the small sets most items hold, no Set). */
function hasDuplicate(keys: readonly string[]): boolean {
  const n = keys.length;
  if (n > 16) return new Set(keys).size !== n;
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (keys[i] === keys[j]) return true;
  return false;
}

/**
 * Validates and normalizes an item; with a tally, also counts its itemSize and binaries. The
 * item itself is answered when every value came through unchanged (the common case): callers
 * own the request's objects and do not write into either.
 */
export function normalizeItem(item: Record<string, AV>, tally?: Tally): Item {
  const out: Item = {};
  let same = true;
  for (const k in item) {
    if (tally) tally.size += Buffer.byteLength(k, "utf8");
    const v = item[k];
    if ((out[k] = normalizeValue(v, 0, tally)) !== v) same = false;
  }
  return same ? item : out;
}

// ---------------------------------------------------------------- size

function numberSize(n: string): number {
  // AWS documents "1 byte per two significant digits, plus 1"; measured against the 400 KB
  // limit, the encoding also spends a byte when the digit count and the exponent are both even
  // (a half-filled pair), and one for a negative sign. Zero is 1 byte.
  const d = parseNumber(n);
  if (d.sign === 0) return 1;
  const len = d.digits.length;
  const e = d.exp - 1; // scientific exponent: value = d.ddd x 10^e
  return 1 + Math.ceil(len / 2) + (len % 2 !== 0 || e % 2 !== 0 ? 0 : 1) + (d.sign < 0 ? 1 : 0);
}

export function valueSize(v: AV): number {
  switch (typeOf(v)) {
    case "S":
      return Buffer.byteLength(v.S!, "utf8");
    case "N":
      return numberSize(v.N!);
    case "B":
      return v.B!.byteLength;
    case "BOOL":
    case "NULL":
      return 1;
    case "SS":
      return v.SS!.reduce((a, s) => a + Buffer.byteLength(s, "utf8"), 0);
    case "NS":
      return v.NS!.reduce((a, s) => a + numberSize(s), 0);
    case "BS":
      return v.BS!.reduce((a, b) => a + b.byteLength, 0);
    case "L":
      return 3 + v.L!.reduce((a, x) => a + 1 + valueSize(x), 0);
    case "M":
      return 3 + Object.entries(v.M!).reduce((a, [k, x]) => a + Buffer.byteLength(k, "utf8") + 1 + valueSize(x), 0);
  }
}

/** Item size as AWS counts it: attribute name bytes plus value bytes. */
export function itemSize(item: Item): number {
  let n = 0;
  for (const k in item) n += Buffer.byteLength(k, "utf8") + valueSize(item[k]);
  return n;
}

export const MAX_ITEM_SIZE = 400 * 1024;

// ---------------------------------------------------------------- key encoding

/**
 * Bytes whose memcmp order equals DynamoDB's order of key values of one type:
 * S -> UTF-8 bytes; B -> the bytes; N -> an order-preserving decimal encoding:
 *   negative: 0x00, (255 - (exp + 129)), each digit as ('9' - d) + 0x30, then 0xFF
 *   zero:     0x01
 *   positive: 0x02, (exp + 129), each digit as its ASCII byte
 * (exp is in [-129, 126], so exp + 129 fits a byte; a positive number that is a digit-prefix of
 * another is the smaller, which memcmp gives; for negatives the 0xFF terminator reverses it).
 */
export function encodeKey(v: AV): Buffer {
  if (v.S !== undefined) return Buffer.from(v.S, "utf8");
  if (v.B !== undefined) return Buffer.from(v.B.buffer, v.B.byteOffset, v.B.byteLength);
  if (v.N !== undefined) {
    const d = parseNumber(v.N);
    if (d.sign === 0) return Buffer.from([0x01]);
    const e = d.exp + 129;
    const n = d.digits.length;
    // One buffer written in place (a key is encoded on every item request).
    if (d.sign > 0) {
      const out = Buffer.allocUnsafe(2 + n);
      out[0] = 0x02;
      out[1] = e;
      out.write(d.digits, 2, "latin1");
      return out;
    }
    const out = Buffer.allocUnsafe(3 + n);
    out[0] = 0x00;
    out[1] = 255 - e;
    for (let i = 0; i < n; i++) out[2 + i] = 0x39 - d.digits.charCodeAt(i) + 0x30;
    out[2 + n] = 0xff;
    return out;
  }
  throw validation("The provided key element does not match the schema");
}

/**
 * encodeKey's bytes as a latin1 string (one char per byte), without a Buffer: what the item
 * cache is keyed by. A string of ASCII characters is its own UTF-8 bytes.
 */
export function encodeKeyString(v: AV): string {
  const s = v.S;
  if (s !== undefined) {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, "utf8").toString("latin1");
    return s;
  }
  if (v.N !== undefined) {
    const d = parseNumber(v.N);
    if (d.sign === 0) return "\x01";
    const e = d.exp + 129;
    if (d.sign > 0) return "\x02" + String.fromCharCode(e) + d.digits;
    let out = "\x00" + String.fromCharCode(255 - e);
    for (let i = 0; i < d.digits.length; i++) out += String.fromCharCode(0x39 - d.digits.charCodeAt(i) + 0x30);
    return out + "\xff";
  }
  return encodeKey(v).toString("latin1");
}

// ---------------------------------------------------------------- stored JSON form

/** JSON for storage: binaries become base64 strings under their B/BS keys (`binary`: whether the item holds any, when known). */
export function toStored(item: Item, binary?: boolean): string {
  // A replacer makes JSON.stringify several times slower: only items holding binaries need one.
  if (!(binary ?? hasBinary(item))) return JSON.stringify(item);
  // An attribute or map key may itself be named "B" or "BS": only byte values are converted.
  return JSON.stringify(item, (k, v) => {
    if (k === "B" && isBytes(v)) return { $b: bytesToB64(v) };
    if (k === "BS" && Array.isArray(v) && v.every(isBytes)) return v.map((x) => ({ $b: bytesToB64(x) }));
    return v;
  });
}

function hasBinary(item: Item): boolean {
  for (const k in item) if (valueHasBinary(item[k])) return true;
  return false;
}

function valueHasBinary(v: AV): boolean {
  if (v.B !== undefined || v.BS !== undefined) return true;
  if (v.M !== undefined) return hasBinary(v.M);
  if (v.L !== undefined) return v.L.some(valueHasBinary);
  return false;
}

function isBytes(v: unknown): boolean {
  if (v instanceof Uint8Array) return true;
  const o = v as { type?: unknown; data?: unknown } | null;
  return !!o && typeof o === "object" && o.type === "Buffer" && Array.isArray(o.data) && Object.keys(o).length === 2;
}

function bytesToB64(v: unknown): string {
  if (v instanceof Uint8Array) return b64(v);
  // JSON.stringify already turned a Buffer into {type:"Buffer",data:[...]} before the replacer saw it.
  const o = v as { type?: string; data?: number[] };
  if (o.type === "Buffer" && Array.isArray(o.data)) return Buffer.from(o.data).toString("base64");
  throw new Error("not bytes");
}

export function fromStored(json: string): Item {
  // A reviver makes JSON.parse several times slower: only items holding binaries need one.
  if (!json.includes('"$b"')) return JSON.parse(json) as Item;
  return JSON.parse(json, (_k, v) => {
    if (v && typeof v === "object" && typeof v.$b === "string" && Object.keys(v).length === 1) return Buffer.from(v.$b, "base64");
    return v;
  }) as Item;
}
