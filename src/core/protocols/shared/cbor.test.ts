import { describe, expect, it } from "vitest";
import { cbor as smithy, tag } from "@smithy/core/cbor";
import { CborError, decodeCbor, encodeCbor } from "./cbor.js";

// Deterministic PRNG so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ["", "a", "QueueUrl", "héllo wörld", "日本語テキスト", "emoji 😀 pair", "x".repeat(23), "y".repeat(24), "z".repeat(300), "ä".repeat(70)];

function randomScalar(r: () => number): unknown {
  switch (Math.floor(r() * 12)) {
    case 0:
      return Math.floor(r() * 24);
    case 1:
      return Math.floor(r() * 70000) - 35000;
    case 2:
      return Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1);
    case 3:
      return (r() - 0.5) * 1e6;
    case 4:
      return Math.fround(r() * 100);
    case 5:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 6:
      return r() < 0.5;
    case 7:
      return null;
    case 8:
      return Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)));
    case 9:
      return new Date(Math.floor(r() * 2e12));
    case 10:
      return Number.MAX_SAFE_INTEGER - Math.floor(r() * 10);
    default:
      return `s${Math.floor(r() * 1e9)}`;
  }
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth > 3 || pick < 0.5) return randomScalar(r);
  if (pick < 0.75) return Array.from({ length: Math.floor(r() * 6) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) o[`k${Math.floor(r() * 30)}${STRINGS[i % STRINGS.length]}`] = randomValue(r, depth + 1);
  return o;
}

/** Our value model -> the smithy codec's (Dates become tag 1 objects). */
function toSmithy(v: unknown): unknown {
  if (v instanceof Date) return tag({ tag: 1, value: v.getTime() / 1000 });
  if (Array.isArray(v)) return v.map(toSmithy);
  if (v instanceof Uint8Array || v === null || typeof v !== "object") return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = toSmithy(x);
  return o;
}

/** The smithy codec's decoded value -> ours (tag 1 objects become Dates, bytes Buffers). */
function fromSmithy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromSmithy);
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v === null || typeof v !== "object") return v;
  const t = v as { tag?: number; value?: unknown };
  if (t.tag === 1 && typeof t.value === "number") return new Date(Math.round(t.value * 1000));
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = fromSmithy(x);
  return o;
}

function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("hex") };
  if (v instanceof Date) return { date: v.getTime() };
  if (Array.isArray(v)) return v.map(normalize);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
}

describe("cbor codec", () => {
  it("round-trips random values through itself", () => {
    const r = rng(1);
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(r, 0);
      expect(normalize(decodeCbor(encodeCbor(v)))).toEqual(normalize(v));
    }
  });

  it("encodes what @smithy/core/cbor decodes identically", () => {
    const r = rng(2);
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(r, 0);
      const decoded = fromSmithy(smithy.deserialize(encodeCbor(v)));
      expect(normalize(decoded)).toEqual(normalize(v));
    }
  });

  it("decodes what @smithy/core/cbor encodes", () => {
    const r = rng(3);
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(r, 0);
      const bytes = smithy.serialize(toSmithy(v));
      expect(normalize(decodeCbor(bytes))).toEqual(normalize(v));
    }
  });

  it("decodes indefinite-length strings, arrays and maps", () => {
    // {_ "a": [_ 1, 2], "b": (_ "he", "llo"), "c": (_ h'01', h'0203')}
    const bytes = Buffer.from("bf6161 9f0102ff 6162 7f626865636c6c6fff 6163 5f41014202 03ff ff".replace(/ /g, ""), "hex");
    const v = decodeCbor(bytes) as Record<string, unknown>;
    expect(v.a).toEqual([1, 2]);
    expect(v.b).toBe("hello");
    expect(Buffer.from(v.c as Uint8Array).toString("hex")).toBe("010203");
  });

  it("decodes half, single and double floats", () => {
    expect(decodeCbor(Buffer.from("f93c00", "hex"))).toBe(1);
    expect(decodeCbor(Buffer.from("f9c400", "hex"))).toBe(-4);
    expect(decodeCbor(Buffer.from("f97bff", "hex"))).toBe(65504);
    expect(decodeCbor(Buffer.from("f90001", "hex"))).toBe(5.960464477539063e-8);
    expect(decodeCbor(Buffer.from("f97c00", "hex"))).toBe(Infinity);
    expect(decodeCbor(Buffer.from("f97e00", "hex"))).toBeNaN();
    expect(decodeCbor(Buffer.from("fa47c35000", "hex"))).toBe(100000);
    expect(decodeCbor(Buffer.from("fb3ff199999999999a", "hex"))).toBe(1.1);
  });

  it("handles 64-bit integers and bignums as bigint", () => {
    expect(decodeCbor(Buffer.from("1bffffffffffffffff", "hex"))).toBe(18446744073709551615n);
    expect(decodeCbor(Buffer.from("3bffffffffffffffff", "hex"))).toBe(-18446744073709551616n);
    expect(decodeCbor(Buffer.from("1b001fffffffffffff", "hex"))).toBe(9007199254740991);
    expect(decodeCbor(Buffer.from("c249010000000000000000", "hex"))).toBe(18446744073709551616n);
    for (const b of [2n ** 64n - 1n, -(2n ** 64n), 2n ** 70n + 5n, -(2n ** 80n)]) {
      expect(decodeCbor(encodeCbor(b))).toBe(b);
      expect(smithy.deserialize(encodeCbor(b))).toBe(b);
    }
  });

  it("encodes timestamps as tag 1 and decodes tag 0/1", () => {
    expect(encodeCbor(new Date(1700000000000)).toString("hex")).toBe("c11a6553f100");
    const frac = encodeCbor(new Date(1700000000500));
    expect(frac[0]).toBe(0xc1);
    expect((decodeCbor(frac) as Date).getTime()).toBe(1700000000500);
    expect((decodeCbor(Buffer.from("c074323031332d30332d32315432303a30343a30305a", "hex")) as Date).toISOString()).toBe("2013-03-21T20:04:00.000Z");
  });

  it("skips undefined map values and keeps __proto__ as data", () => {
    expect(decodeCbor(encodeCbor({ a: 1, b: undefined }))).toEqual({ a: 1 });
    const v = decodeCbor(Buffer.from("a1695f5f70726f746f5f5f01", "hex")) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
  });

  it("rejects truncated, trailing and malformed input", () => {
    expect(() => decodeCbor(Buffer.from("a2616101", "hex"))).toThrow(CborError);
    expect(() => decodeCbor(Buffer.from("0101", "hex"))).toThrow(CborError);
    expect(() => decodeCbor(Buffer.from("5a ffffffff".replace(/ /g, ""), "hex"))).toThrow(CborError);
    expect(() => decodeCbor(Buffer.from("ff", "hex"))).toThrow(CborError);
    expect(() => decodeCbor(Buffer.from("9f01", "hex"))).toThrow(CborError);
    expect(() => decodeCbor(Buffer.from("81".repeat(1000) + "01", "hex"))).toThrow(/too deep/);
  });

  it("encodes large values growing its buffer", () => {
    const big = { blob: Buffer.alloc(3 << 20, 7), list: Array.from({ length: 10000 }, (_, i) => `item-${i}`) };
    const back = decodeCbor(encodeCbor(big)) as typeof big;
    expect(back.blob.length).toBe(3 << 20);
    expect(back.list[9999]).toBe("item-9999");
    expect(decodeCbor(encodeCbor({ a: "small" }))).toEqual({ a: "small" });
  });
});
