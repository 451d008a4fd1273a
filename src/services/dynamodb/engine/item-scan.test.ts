// scanPutItem against the general path it stands in for: whatever it accepts, JSON.parse, the
// model check and normalizeItem must accept unchanged, with the same item, size and key values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ServiceModel } from "../../../core/model/types.js";
import { awsJson1_0 } from "../../../core/protocols/aws-json/aws-json.js";
import { validateInput } from "../../../core/protocols/shared/validate.js";
import { scanGetItem, scanPutItem } from "./item-scan.js";
import { normalizeItem, type AV, type Tally } from "./values.js";

const model = JSON.parse(readFileSync(new URL("../../../../models/dynamodb.json", import.meta.url), "utf8")) as ServiceModel;

/** The protocol's parse and the model check of an `op` body: the input, or why not. */
function parsed(op: "PutItem" | "GetItem", text: string): Record<string, unknown> | string {
  try {
    const doc = awsJson1_0.parseRequest({ method: "POST", rawPath: "/", query: [], headers: {}, body: Buffer.from(text) }, model, { name: op, model: model.operations[op]! }) as Record<string, unknown>;
    validateInput(model, op, doc, "awsJson1_0");
    return doc;
  } catch (e) {
    return `rejected: ${(e as Error).message}`;
  }
}

/** The general path's verdict on a PutItem body: the parsed, checked input and its normalized item, or why not. */
function general(text: string): { doc: Record<string, unknown>; same: boolean; tally: Tally } | string {
  const doc = parsed("PutItem", text);
  if (typeof doc === "string") return doc;
  const tally: Tally = { size: 0, binary: false };
  try {
    const item = normalizeItem(doc.Item as Record<string, AV>, tally);
    return { doc, same: item === doc.Item, tally };
  } catch (e) {
    return `normalizeItem: ${(e as Error).message}`;
  }
}

/** Asserts the scan of `text` is undefined or exactly what the general path makes of it; answers whether it was taken. */
function agree(text: string): boolean {
  const s = scanPutItem(Buffer.from(text));
  if (s === undefined) return false;
  const g = general(text);
  if (typeof g === "string") throw new Error(`scan accepted what the general path refuses (${g}): ${text}`);
  expect(Object.keys(g.doc).sort(), text).toEqual(["Item", "TableName"]);
  expect(g.same, `normalizeItem changed ${text}`).toBe(true);
  expect(g.tally.binary).toBe(false);
  expect(s.size, text).toBe(g.tally.size);
  expect(s.TableName).toBe(g.doc.TableName);
  expect(JSON.parse(s.itemText), text).toEqual(g.doc.Item);
  expect(s.Item).toEqual(g.doc.Item);
  for (const [k, v] of Object.entries(g.doc.Item as Record<string, AV>)) {
    expect(s.scalar(k), `${k} of ${text}`).toEqual(v.S !== undefined ? { S: v.S } : v.N !== undefined ? { N: v.N } : undefined);
  }
  expect(s.scalar("no such attribute")).toBeUndefined();
  return true;
}

const body = (item: string, table = '"bench"') => `{"TableName":${table},"Item":${item}}`;

describe("scanPutItem", () => {
  it("reads the common forms, as the general path does", () => {
    const taken = [
      body('{"pk":{"N":"5"},"name":{"S":"passenger 5"},"age":{"N":"29.5"},"tags":{"SS":["a","b"]},"info":{"M":{"cabin":{"S":"C85"}}}}'),
      `{"Item":{"pk":{"S":"a"}},"TableName":"bench"}`,
      ` { "TableName" : "my-table.v2_x" ,\n\t"Item" : { "pk" : { "S" : "a" } , "n" : { "N" : "-0.001" } } } `,
      body('{"pk":{"N":"0"},"l":{"L":[{"S":"x"},{"N":"12345678901234567890123456789012345678"},{"BOOL":false},{"NULL":true},{"L":[]},{"M":{}}]}}'),
      body('{"pk":{"N":"-100"},"ns":{"NS":["1","10","100","-0.5"]},"b":{"BOOL":true},"e":{"S":""},"m":{"M":{"a":{"M":{"a":{"S":"deep"}}}}}}'),
      body("{}"),
      body('{"pk":{"N":"100000000000000000000000000000000000000"}}'.replace("100000000000000000000000000000000000000", "1" + "0".repeat(37))),
    ];
    for (const t of taken) expect(agree(t), t).toBe(true);
  });

  it("declines what only the general path may judge or rewrite", () => {
    const declined = [
      body('{"pk":{"S":"a\\"b"}}'), // an escape
      body('{"pk":{"S":"é"}}'), // non-ASCII
      body('{"pk":{"S":"a\tb"}}'), // a control character (JSON.parse refuses it)
      ...["+1", "01", "1.0", "1.", ".5", "-0", "1e5", "1E5", " 1", "", "-", "0.0", "1" + "0".repeat(38), "0." + "0".repeat(37) + "1"].map((n) => body(`{"pk":{"N":"${n}"}}`)),
      body('{"pk":{"N":5}}'), // a JSON number
      body('{"pk":{"S":"a"},"pk":{"S":"b"}}'), // a repeated name (JSON.parse keeps the last)
      body('{"pk":{"M":{"a":{"S":"x"},"a":{"S":"y"}}}}'),
      body('{"pk":{"SS":[]}}'),
      body('{"pk":{"SS":["a","a"]}}'),
      body('{"pk":{"NS":["1","1"]}}'),
      body('{"pk":{"NULL":false}}'),
      body('{"pk":{"B":"YQ=="}}'),
      body('{"pk":{"BS":["YQ=="]}}'),
      body('{"pk":{"S":"a","N":"1"}}'), // two types
      body('{"pk":{}}'),
      body('{"pk":null}'),
      body('{"pk":{"S":null}}'),
      body('{"":{"S":"a"}}'),
      body('{"pk":{"X":"a"}}'),
      body('{"pk":{"S":"a"}}', '"arn:aws:dynamodb:us-east-1:000000000000:table/bench"'),
      body('{"pk":{"S":"a"}}', '"a b"'),
      body('{"pk":{"S":"a"}}', '""'),
      `{"TableName":"bench","Item":{"pk":{"S":"a"}},"ReturnValues":"NONE"}`,
      `{"TableName":"bench","TableName":"bench","Item":{"pk":{"S":"a"}}}`,
      `{"TableName":"bench","Item":{"pk":{"S":"a"}},"Item":{"pk":{"S":"a"}}}`,
      `{"TableName":"bench"}`,
      `{"Item":{"pk":{"S":"a"}}}`,
      body('{"pk":{"S":"a"}}') + "x",
      body('{"pk":{"S":"a"},}'),
      body('{"pk":{"BOOL":truex}}'),
      `[${body("{}")}]`,
      body(`{${Array.from({ length: 65 }, (_, i) => `"a${i}":{"S":"x"}`).join(",")}}`),
      body(`{"pk":${'{"L":['.repeat(17)}{"S":"x"}${"]}".repeat(17)}}`),
    ];
    for (const t of declined) expect(scanPutItem(Buffer.from(t)), t).toBeUndefined();
    // The limits themselves are still taken.
    expect(agree(body(`{${Array.from({ length: 64 }, (_, i) => `"a${i}":{"S":"x"}`).join(",")}}`))).toBe(true);
    expect(agree(body(`{"pk":${'{"L":['.repeat(16)}{"S":"x"}${"]}".repeat(16)}}`))).toBe(true);
  });

  it("counts numbers' sizes as numberSize does", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rnd() * 10))).join("");
    let taken = 0;
    for (let k = 0; k < 3000; k++) {
      const int = rnd() < 0.3 ? "0" : String(1 + Math.floor(rnd() * 9)) + digits(Math.floor(rnd() * 20)) + (rnd() < 0.3 ? "000" : "");
      const frac = rnd() < 0.4 ? "" : "." + (rnd() < 0.4 ? "000" : "") + digits(Math.floor(rnd() * 18)) + String(1 + Math.floor(rnd() * 9));
      const n = (rnd() < 0.3 ? "-" : "") + int + frac;
      const text = body(`{"pk":{"N":"${n}"},"s":{"NS":["${n}"]},"l":{"L":[{"N":"${n}"}]}}`);
      if (agree(text)) taken++;
      else expect(general(text) === undefined || typeof general(text) === "string" || n.replace("-", "").replace(".", "").length > 38 || n === "-0", n).toBe(true);
    }
    expect(taken).toBeGreaterThan(2000);
  });

  it("agrees with the general path on random bodies, well-formed and not", () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const NUMS = ["0", "1", "7", "-3", "10", "100", "29.5", "-0.25", "0.001", "123.456", "99999999999999999999999999999999999999", "1.5", "01", "1.50", "-0", "1e3", "+2", ".5", "x", ""];
    const STRS = ["", "a", "b", "C85", "passenger 1", "x y z", 'q"uote', "tab\t", "é", "back\\slash", "~!@#$%^&*()"];
    const NAMES = ["pk", "sk", "a", "b", "name", "age", "N", "S", "M", "", "Item", "TableName"];
    const ws = () => (rnd() < 0.15 ? pick([" ", "\n", "\t ", "\r\n"]) : "");
    const q = (s: string) => (rnd() < 0.9 ? JSON.stringify(s) : `"${s}"`); // sometimes unescaped
    const obj = (entries: string[]) => `{${ws()}${entries.join(`${ws()},${ws()}`)}${ws()}}`;
    const member = (k: string, v: string) => `${q(k)}${ws()}:${ws()}${v}`;
    const value = (depth: number): string => {
      const t = pick(["S", "N", "N", "SS", "NS", "M", "L", "BOOL", "NULL", "B", "bad"]);
      switch (t) {
        case "S":
          return obj([member("S", q(pick(STRS)))]);
        case "N":
          return obj([member("N", q(pick(NUMS)))]);
        case "SS":
        case "NS": {
          const n = Math.floor(rnd() * 4);
          const xs = Array.from({ length: n }, () => q(pick(t === "SS" ? STRS : NUMS)));
          return obj([member(t, `[${xs.join(",")}]`)]);
        }
        case "M":
          return depth > 3 ? obj([member("S", '"leaf"')]) : obj([member("M", map(depth + 1))]);
        case "L":
          return depth > 3 ? obj([member("N", '"1"')]) : obj([member("L", `[${Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1)).join(",")}]`)]);
        case "BOOL":
          return obj([member("BOOL", pick(["true", "false", "null", '"true"']))]);
        case "NULL":
          return obj([member("NULL", pick(["true", "true", "false"]))]);
        case "B":
          return obj([member("B", '"YQ=="')]);
        default:
          return pick(["{}", "null", '{"S":"a","N":"1"}', '"S"', "[]", '{"SS":"a"}']);
      }
    };
    const map = (depth: number) => obj(Array.from({ length: Math.floor(rnd() * 4) }, () => member(pick(NAMES), value(depth))));
    let taken = 0;
    const N = 4000;
    for (let k = 0; k < N; k++) {
      const members = [member("TableName", q(pick(["bench", "t-1.x_y", "ab", "a b"]))), member("Item", map(0))];
      if (rnd() < 0.05) members.push(member(pick(["ReturnValues", "Item", "TableName"]), '"NONE"'));
      if (rnd() < 0.5) members.reverse();
      if (agree(`${ws()}${obj(members)}${ws()}`)) taken++;
    }
    // Most random bodies break some rule; enough are taken for the comparison to mean something.
    expect(taken).toBeGreaterThan(N / 10);
  });
});

/** Asserts scanGetItem of `text` is undefined or the very input the general path makes; answers whether it was taken. */
function agreeGet(text: string): boolean {
  const s = scanGetItem(Buffer.from(text));
  if (s === undefined) return false;
  const g = parsed("GetItem", text);
  if (typeof g === "string") throw new Error(`scan accepted what the general path refuses (${g}): ${text}`);
  expect(s, text).toEqual(g);
  expect(Object.keys(s).sort(), text).toEqual(Object.keys(g).sort());
  return true;
}

describe("scanGetItem", () => {
  it("reads TableName, Key and ConsistentRead as JSON.parse does", () => {
    for (const t of [
      `{"Key":{"pk":{"N":"5"}},"TableName":"bench"}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"},"sk":{"N":"-1.5"}},"ConsistentRead":true}`,
      ` {"ConsistentRead" : false , "Key" : { "pk" : {"S":""} } , "TableName":"t.1-x_y"}\n`,
    ]) expect(agreeGet(t), t).toBe(true);
    expect(scanGetItem(Buffer.from(`{"TableName":"bench","Key":{"pk":{"S":"a"}},"ConsistentRead":true}`))).toEqual({ TableName: "bench", Key: { pk: { S: "a" } }, ConsistentRead: true });
  });

  it("declines every other form", () => {
    for (const t of [
      `{"TableName":"bench","Key":{}}`,
      `{"TableName":"bench","Key":{"a":{"S":"1"},"b":{"S":"2"},"c":{"S":"3"}}}`,
      `{"TableName":"bench","Key":{"pk":{"B":"YQ=="}}}`,
      `{"TableName":"bench","Key":{"pk":{"M":{}}}}`,
      `{"TableName":"bench","Key":{"pk":{"SS":["a"]}}}`,
      `{"TableName":"bench","Key":{"pk":{"N":"1.0"}}}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"},"pk":{"S":"b"}}}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"}},"ConsistentRead":"true"}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"}},"ConsistentRead":null}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"}},"ConsistentRead":true,"ConsistentRead":false}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"}},"ProjectionExpression":"a"}`,
      `{"TableName":"bench","Key":{"pk":{"S":"a"}},"Item":{}}`,
      `{"TableName":"bench","Item":{"pk":{"S":"a"}}}`,
      `{"TableName":"bench"}`,
      `{"Key":{"pk":{"S":"a"}}}`,
    ]) expect(scanGetItem(Buffer.from(t)), t).toBeUndefined();
    // A PutItem body is not a GetItem body, nor the other way round.
    expect(scanPutItem(Buffer.from(`{"TableName":"bench","Key":{"pk":{"S":"a"}}}`))).toBeUndefined();
  });

  it("agrees with the general path on random bodies", () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const VALUES = ['{"S":"a"}', '{"S":""}', '{"N":"1"}', '{"N":"-0.5"}', '{"N":"01"}', '{"S":"é"}', '{"B":"YQ=="}', '{"S":"a","N":"1"}', "{}", "null", '{"M":{}}', '{"NULL":true}', '{"S":"q\\"x"}'];
    let taken = 0;
    for (let k = 0; k < 3000; k++) {
      const good = ['{"S":"a"}', '{"N":"7"}'];
      const key = Array.from({ length: pick([0, 1, 1, 1, 2, 2, 3]) }, () => `"${pick(["pk", "sk", "a", ""])}":${rnd() < 0.5 ? pick(good) : pick(VALUES)}`).join(",");
      const members = [`"TableName":${pick(['"bench"', '"ab"', '"a b"', "1"])}`, `"Key":{${key}}`];
      if (rnd() < 0.4) members.push(`"ConsistentRead":${pick(["true", "false", '"yes"', "null"])}`);
      if (rnd() < 0.05) members.push(`"${pick(["Key", "TableName", "AttributesToGet"])}":${pick(['"x"', "[]", "{}"])}`);
      if (rnd() < 0.5) members.reverse();
      if (agreeGet(`{${members.join(pick([",", " , ", ",\n"]))}}`)) taken++;
    }
    expect(taken).toBeGreaterThan(300);
  });
});
