import { describe, expect, it } from "vitest";
import { addNumbers, compareNumbers, encodeKey, encodeKeyString, fromStored, itemSize, normalizeItem, normalizeNumber, normalizeValue, parseNumber, toStored, valuesEqual, type Tally } from "./values.js";

describe("numbers", () => {
  it("normalizes to plain decimal", () => {
    expect(normalizeNumber("1.50")).toBe("1.5");
    expect(normalizeNumber("0001")).toBe("1");
    expect(normalizeNumber("1e2")).toBe("100");
    expect(normalizeNumber("-0.0")).toBe("0");
    expect(normalizeNumber("1.23E-3")).toBe("0.00123");
    expect(normalizeNumber(".5")).toBe("0.5");
  });

  it("keeps 38 digits exactly and refuses more", () => {
    const big = "12345678901234567890123456789012345678";
    expect(normalizeNumber(big)).toBe(big);
    expect(() => normalizeNumber(big + "9")).toThrow("Attempting to store more than 38 significant digits in a Number");
    expect(() => normalizeNumber("1e126")).toThrow(/Number overflow/);
    expect(() => normalizeNumber("1e-131")).toThrow(/Number underflow/);
    expect(() => normalizeNumber("abc")).toThrow("A value provided cannot be converted into a number");
  });

  it("parses plain notation exactly as the general parser does (the same text with an exponent)", () => {
    const cases = ["0", "-0", "+0", "00", "0.0", ".5", "5.", "-.5", "+7", "1", "10", "100", "1.5", "01.50", "-12.50", "0.05", "0.000123", "-0.001", "100.001", "123456789012345678901234567890.12345678"];
    for (let i = 0; i < 300; i++) {
      const int = String(Math.floor(Math.random() * 10 ** Math.floor(Math.random() * 12))).padStart(Math.floor(Math.random() * 4), "0");
      const frac = Math.random() < 0.5 ? "" : "." + String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
      cases.push((Math.random() < 0.3 ? "-" : "") + int + frac);
    }
    for (const c of cases) expect(parseNumber(c), c).toEqual(parseNumber(`${c}e0`));
    // Limits and errors are the general parser's, in AWS's words.
    expect(() => parseNumber("1234567890123456789012345678901234567890")).toThrow("Attempting to store more than 38 significant digits in a Number");
    expect(() => parseNumber("1" + "0".repeat(126))).toThrow(/Number overflow/);
    expect(parseNumber("0." + "0".repeat(129) + "1")).toEqual({ sign: 1, digits: "1", exp: -129 });
    expect(() => parseNumber("0." + "0".repeat(130) + "1")).toThrow(/Number underflow/);
    for (const bad of ["", ".", "-", "1.2.3", "1-2", "0x10"]) expect(() => parseNumber(bad), bad).toThrow("A value provided cannot be converted into a number");
  });

  it("compares as decimals, not doubles", () => {
    expect(compareNumbers("12345678901234567890123456789012345678", "12345678901234567890123456789012345679")).toBe(-1);
    expect(compareNumbers("-5", "3")).toBe(-1);
    expect(compareNumbers("-5", "-30")).toBe(1);
    expect(compareNumbers("0.1", "0.10")).toBe(0);
    expect(compareNumbers("100", "99.999")).toBe(1);
  });

  it("adds exactly", () => {
    expect(addNumbers("0.1", "0.2")).toBe("0.3");
    expect(addNumbers("12345678901234567890123456789012345677", "1")).toBe("12345678901234567890123456789012345678");
    expect(addNumbers("5", "7.5", true)).toBe("-2.5");
    expect(addNumbers("1", "-1")).toBe("0");
  });
});

describe("key encoding", () => {
  it("orders numbers by value under byte comparison", () => {
    const ns = ["-1000", "-10.5", "-10", "-9.99", "-1", "-0.5", "-0.05", "0", "0.001", "0.5", "1", "1.5", "9", "10", "10.01", "100", "1e20"];
    const sorted = [...ns].sort((a, b) => Buffer.compare(encodeKey({ N: a }), encodeKey({ N: b })));
    expect(sorted).toEqual(ns);
  });

  it("orders strings by UTF-8 bytes", () => {
    const ss = ["A", "B", "a", "aa", "b", "\u00e9", "\u{1F600}", "\uFF21"];
    const byBytes = [...ss].sort((a, b) => Buffer.compare(encodeKey({ S: a }), encodeKey({ S: b })));
    // U+1F600 (F0 9F...) sorts after U+FF21 (EF BC A1) in UTF-8, unlike in UTF-16.
    expect(byBytes).toEqual(["A", "B", "a", "aa", "b", "\u00e9", "\uFF21", "\u{1F600}"]);
  });
});

describe("values", () => {
  it("refuses documents nested deeper than 32 levels", () => {
    let v: Record<string, unknown> = { S: "leaf" };
    for (let i = 0; i < 32; i++) v = { L: [v] };
    expect(() => normalizeValue(v)).not.toThrow();
    expect(() => normalizeValue({ M: { x: v } } as never)).toThrow("Nesting Levels have exceeded supported limits");
  });

  it("refuses empty and duplicate sets", () => {
    expect(() => normalizeValue({ SS: [] })).toThrow("One or more parameter values were invalid: An string set  may not be empty");
    expect(() => normalizeValue({ NS: ["1", "1.0"] })).toThrow(/contains duplicates/);
  });

  it("compares sets regardless of order and numbers by value", () => {
    expect(valuesEqual({ NS: ["1", "2"] }, { NS: ["2.0", "1"] })).toBe(true);
    expect(valuesEqual({ M: { a: { L: [{ S: "x" }] } } }, { M: { a: { L: [{ S: "x" }] } } })).toBe(true);
    expect(valuesEqual({ S: "1" }, { N: "1" })).toBe(false);
  });

  it("round-trips binaries through the stored form", () => {
    const item = { b: { B: Buffer.from([0, 1, 255]) }, bs: { BS: [Buffer.from("x"), new Uint8Array([7])] }, s: { S: "B" } };
    const back = fromStored(toStored(item));
    expect(Buffer.from(back.b.B!)).toEqual(Buffer.from([0, 1, 255]));
    expect(back.bs.BS!.map((x) => Buffer.from(x).toString("hex"))).toEqual(["78", "07"]);
    expect(back.s).toEqual({ S: "B" });
  });

  it("stores attributes and map keys named B and BS", () => {
    const item = { B: { S: "x" }, BS: { M: { B: { B: Buffer.from([9]) }, BS: { L: [] } } } };
    const back = fromStored(toStored(item));
    expect(back.B).toEqual({ S: "x" });
    expect(Buffer.from(back.BS.M!.B.B!)).toEqual(Buffer.from([9]));
    expect(back.BS.M!.BS).toEqual({ L: [] });
  });

  it("sizes items by names and values", () => {
    expect(itemSize({ id: { S: "abc" } })).toBe(5);
    expect(itemSize({ n: { N: "123" } })).toBe(1 + 3);
  });
});

describe("normalizeItem's tally", () => {
  it("counts itemSize of the normalized item and finds binaries at any depth", () => {
    const item = {
      pk: { S: "héllo" },
      n: { N: "001.50" },
      neg: { N: "-12e3" },
      ns: { NS: ["1", "10.0", "-3"] },
      ss: { SS: ["a", "bé"] },
      t: { BOOL: true },
      z: { NULL: true },
      l: { L: [{ S: "x" }, { N: "0" }, { M: { deep: { L: [] } } }] },
      m: { M: { "ké": { S: "v" }, inner: { M: {} } } },
    };
    const tally: Tally = { size: 0, binary: false };
    const normalized = normalizeItem(item, tally);
    expect(normalized.n).toEqual({ N: "1.5" });
    expect(tally.size).toBe(itemSize(normalized));
    expect(tally.binary).toBe(false);
    const bin: Tally = { size: 0, binary: false };
    const withBytes = normalizeItem({ pk: { S: "a" }, m: { M: { l: { L: [{ B: new Uint8Array([1, 2, 3]) }] } } } }, bin);
    expect(bin).toEqual({ size: itemSize(withBytes), binary: true });
    const set: Tally = { size: 0, binary: false };
    normalizeItem({ bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] } }, set);
    expect(set).toEqual({ size: 2 + 3, binary: true });
  });
});

describe("encodeKeyString", () => {
  it("is encodeKey's bytes as latin1, for S (ASCII and not), N of every sign and B", () => {
    const vals = [
      { S: "abc" },
      { S: "é😀x" },
      { S: "\u007f\u0080" },
      { N: "0" },
      { N: "-0.00" },
      { N: "12.5" },
      { N: "-12.5" },
      { N: "1e-100" },
      { N: "-9.99e125" },
      { N: "123456789012345678901234567890" },
      { B: new Uint8Array([0, 255, 1]) },
    ];
    for (const v of vals) expect(encodeKeyString(v)).toBe(encodeKey(v).toString("latin1"));
  });
});
