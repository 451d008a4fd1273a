// A small, fast CBOR (RFC 8949) encoder/decoder for the Smithy RPC v2 CBOR protocol.
//
// Decode: all major types 0-7; definite and indefinite-length byte/text strings, arrays and
// maps; half/single/double floats. Integers beyond 2^53 come back as bigint. Tags: 1 (epoch
// timestamp) -> Date, 0 (RFC 3339 string) -> Date, 2/3 (bignum) -> bigint, 4 (decimal
// fraction) -> number; other tags yield their content. Byte strings are Buffer views of the
// input (no copy). `undefined` (simple 23) decodes to undefined, null to null.
//
// Encode: string, number (integers as major 0/1, others as float32 when exact, else float64),
// bigint (64-bit or tag 2/3 bignum), boolean, null, undefined (skipped as a map value; null
// elsewhere), Date (tag 1 + integer or float64 seconds), Uint8Array/Buffer (byte string),
// arrays, plain objects and Maps (definite lengths, keys as text strings).
//
// Both directions use module-level state (no allocation per call beyond the result); they
// never call out to user code, so they are not re-entered.

export class CborError extends Error {
  override name = "CborError";
}

const MAX_DEPTH = 256;

// ---------------------------------------------------------------------------------- decode

let src: Buffer = Buffer.alloc(0);
let view = new DataView(src.buffer, src.byteOffset, 0);
let pos = 0;
let end = 0;

export function decodeCbor(data: Uint8Array): unknown {
  src = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  pos = 0;
  end = src.length;
  try {
    const v = item(0);
    if (pos !== end) throw new CborError(`unexpected data after the CBOR item at offset ${pos}`);
    return v;
  } finally {
    src = EMPTY;
  }
}
const EMPTY = Buffer.alloc(0);

function need(n: number): void {
  if (pos + n > end) throw new CborError("unexpected end of CBOR data");
}

/** The argument of an initial byte (minor < 31). */
function arg(minor: number): number | bigint {
  if (minor < 24) return minor;
  switch (minor) {
    case 24:
      need(1);
      return src[pos++]!;
    case 25: {
      need(2);
      const v = (src[pos]! << 8) | src[pos + 1]!;
      pos += 2;
      return v;
    }
    case 26: {
      need(4);
      const v = view.getUint32(pos);
      pos += 4;
      return v;
    }
    case 27: {
      need(8);
      const hi = view.getUint32(pos);
      const lo = view.getUint32(pos + 4);
      pos += 8;
      if (hi < 0x200000) return hi * 4294967296 + lo;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    default:
      throw new CborError(`invalid CBOR additional information ${minor}`);
  }
}

function length(minor: number): number {
  const n = arg(minor);
  if (typeof n === "bigint" || n > end - pos) throw new CborError("CBOR length exceeds the data");
  return n;
}

function item(depth: number): unknown {
  if (depth > MAX_DEPTH) throw new CborError("CBOR nesting too deep");
  need(1);
  const ib = src[pos++]!;
  const major = ib >> 5;
  const minor = ib & 31;
  switch (major) {
    case 0:
      return arg(minor);
    case 1: {
      const a = arg(minor);
      return typeof a === "bigint" ? -1n - a : -1 - a;
    }
    case 2: {
      if (minor === 31) return Buffer.concat(chunks(2));
      const n = length(minor);
      const v = src.subarray(pos, pos + n);
      pos += n;
      return v;
    }
    case 3: {
      if (minor === 31) return Buffer.concat(chunks(3)).toString("utf8");
      const n = length(minor);
      const v = src.toString("utf8", pos, pos + n);
      pos += n;
      return v;
    }
    case 4: {
      if (minor === 31) {
        const out: unknown[] = [];
        while (true) {
          need(1);
          if (src[pos] === 0xff) {
            pos++;
            return out;
          }
          out.push(item(depth + 1));
        }
      }
      const n = length(minor);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = item(depth + 1);
      return out;
    }
    case 5: {
      const out: Record<string, unknown> = {};
      if (minor === 31) {
        while (true) {
          need(1);
          if (src[pos] === 0xff) {
            pos++;
            return out;
          }
          entry(out, depth);
        }
      }
      const n = length(minor);
      for (let i = 0; i < n; i++) entry(out, depth);
      return out;
    }
    case 6: {
      const t = arg(minor);
      const v = item(depth + 1);
      return tagged(t, v);
    }
    default:
      return simple(minor);
  }
}

function entry(out: Record<string, unknown>, depth: number): void {
  const k = item(depth + 1);
  const key = typeof k === "string" ? k : Buffer.isBuffer(k) ? k.toString("utf8") : String(k);
  const v = item(depth + 1);
  if (key === "__proto__") Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  else out[key] = v;
}

function chunks(major: number): Buffer[] {
  const parts: Buffer[] = [];
  while (true) {
    need(1);
    const ib = src[pos++]!;
    if (ib === 0xff) return parts;
    if (ib >> 5 !== major || (ib & 31) === 31) throw new CborError("invalid chunk in an indefinite-length CBOR string");
    const n = length(ib & 31);
    parts.push(src.subarray(pos, pos + n));
    pos += n;
  }
}

function tagged(t: number | bigint, v: unknown): unknown {
  switch (t) {
    case 1:
      if (typeof v === "number") return new Date(Math.round(v * 1000));
      if (typeof v === "bigint") return new Date(Number(v) * 1000);
      throw new CborError("CBOR tag 1 needs a number");
    case 0:
      if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return new Date(v);
      throw new CborError("CBOR tag 0 needs an RFC 3339 string");
    case 2:
    case 3: {
      if (!Buffer.isBuffer(v)) throw new CborError("CBOR bignum needs a byte string");
      let n = 0n;
      for (let i = 0; i < v.length; i++) n = (n << 8n) | BigInt(v[i]!);
      if (t === 3) n = -1n - n;
      const asNumber = Number(n);
      return Number.isSafeInteger(asNumber) ? asNumber : n;
    }
    case 4: {
      if (!Array.isArray(v) || v.length !== 2) throw new CborError("CBOR decimal fraction needs [exponent, mantissa]");
      return Number(`${String(v[1])}e${String(v[0])}`);
    }
    default:
      return v;
  }
}

function simple(minor: number): unknown {
  switch (minor) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 23:
      return undefined;
    case 25: {
      need(2);
      const v = half((src[pos]! << 8) | src[pos + 1]!);
      pos += 2;
      return v;
    }
    case 26: {
      need(4);
      const v = view.getFloat32(pos);
      pos += 4;
      return v;
    }
    case 27: {
      need(8);
      const v = view.getFloat64(pos);
      pos += 8;
      return v;
    }
    case 31:
      throw new CborError("unexpected CBOR break");
    default:
      throw new CborError(`unsupported CBOR simple value ${minor}`);
  }
}

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// ---------------------------------------------------------------------------------- encode

const INITIAL = 8192;
let out = Buffer.allocUnsafe(INITIAL);
let outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
let o = 0;

export function encodeCbor(value: unknown): Buffer {
  o = 0;
  try {
    write(value, 0);
    return Buffer.from(out.subarray(0, o));
  } finally {
    if (out.length > 1 << 20) {
      out = Buffer.allocUnsafe(INITIAL);
      outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    }
  }
}

function ensure(n: number): void {
  if (o + n <= out.length) return;
  let size = out.length * 2;
  while (size < o + n) size *= 2;
  const next = Buffer.allocUnsafe(size);
  out.copy(next, 0, 0, o);
  out = next;
  outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
}

function head(major: number, n: number): void {
  ensure(9);
  const m = major << 5;
  if (n < 24) out[o++] = m | n;
  else if (n < 0x100) {
    out[o++] = m | 24;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = m | 25;
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  } else if (n < 0x100000000) {
    out[o++] = m | 26;
    outView.setUint32(o, n);
    o += 4;
  } else {
    out[o++] = m | 27;
    outView.setUint32(o, Math.floor(n / 4294967296));
    outView.setUint32(o + 4, n >>> 0);
    o += 8;
  }
}

function writeString(s: string): void {
  const len = s.length;
  if (len < 64) {
    // ASCII fast path: one byte per char, header known up front.
    ensure(len + 2);
    const start = o;
    head(3, len);
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      out[o++] = c;
    }
    if (i === len) return;
    o = start;
  }
  const n = Buffer.byteLength(s, "utf8");
  head(3, n);
  ensure(n);
  o += out.write(s, o, "utf8");
}

function writeNumber(v: number): void {
  if (Number.isInteger(v) && v >= -9007199254740991 && v <= 9007199254740991 && !(v === 0 && 1 / v < 0)) {
    if (v >= 0) head(0, v);
    else head(1, -1 - v);
    return;
  }
  ensure(9);
  if (Math.fround(v) === v) {
    out[o++] = 0xfa;
    outView.setFloat32(o, v);
    o += 4;
  } else {
    out[o++] = 0xfb;
    outView.setFloat64(o, v);
    o += 8;
  }
}

const TWO_64 = 1n << 64n;

function writeBigInt(v: bigint): void {
  const neg = v < 0n;
  const mag = neg ? -1n - v : v;
  if (mag < TWO_64) {
    if (mag <= 9007199254740991n) {
      head(neg ? 1 : 0, Number(mag));
      return;
    }
    ensure(9);
    out[o++] = ((neg ? 1 : 0) << 5) | 27;
    outView.setBigUint64(o, mag);
    o += 8;
    return;
  }
  const bytes: number[] = [];
  for (let x = mag; x > 0n; x >>= 8n) bytes.unshift(Number(x & 0xffn));
  head(6, neg ? 3 : 2);
  head(2, bytes.length);
  ensure(bytes.length);
  for (const b of bytes) out[o++] = b;
}

function writeBytes(v: Uint8Array): void {
  head(2, v.byteLength);
  ensure(v.byteLength);
  out.set(v, o);
  o += v.byteLength;
}

function write(v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new CborError("value nested too deep to encode as CBOR");
  switch (typeof v) {
    case "string":
      writeString(v);
      return;
    case "number":
      writeNumber(v);
      return;
    case "boolean":
      ensure(1);
      out[o++] = v ? 0xf5 : 0xf4;
      return;
    case "bigint":
      writeBigInt(v);
      return;
    case "undefined":
      ensure(1);
      out[o++] = 0xf6;
      return;
    case "object":
      break;
    default:
      throw new CborError(`cannot encode a ${typeof v} as CBOR`);
  }
  if (v === null) {
    ensure(1);
    out[o++] = 0xf6;
    return;
  }
  if (Array.isArray(v)) {
    head(4, v.length);
    for (let i = 0; i < v.length; i++) write(v[i], depth + 1);
    return;
  }
  if (v instanceof Uint8Array) {
    writeBytes(v);
    return;
  }
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new CborError("cannot encode an invalid Date");
    ensure(1);
    out[o++] = 0xc1;
    if (ms % 1000 === 0) writeNumber(ms / 1000);
    else {
      ensure(9);
      out[o++] = 0xfb;
      outView.setFloat64(o, ms / 1000);
      o += 8;
    }
    return;
  }
  if (v instanceof Map) {
    let n = 0;
    for (const x of v.values()) if (x !== undefined) n++;
    head(5, n);
    for (const [k, x] of v) {
      if (x === undefined) continue;
      writeString(String(k));
      write(x, depth + 1);
    }
    return;
  }
  if (typeof (v as { pipe?: unknown }).pipe === "function") throw new CborError("cannot encode a stream as CBOR");
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  let n = 0;
  for (let i = 0; i < keys.length; i++) if (obj[keys[i]!] !== undefined) n++;
  head(5, n);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = obj[k];
    if (x === undefined) continue;
    writeString(k);
    write(x, depth + 1);
  }
}
