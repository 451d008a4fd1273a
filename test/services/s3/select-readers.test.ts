// S3 Select's record readers and number parsing, fed directly: every way of splitting the input
// into chunks must give the same records (chunk boundaries fall inside quotes, delimiters,
// escapes and "\r\n"), and the fast decimal parser must give exactly the doubles Number() gives.
import { describe, expect, it } from "vitest";
import { csvFields, csvReader, jsonReader, type RecordReader } from "../../../src/services/s3/select/readers.js";
import { parseNumber } from "../../../src/services/s3/select/sql-eval.js";

function readAll(r: RecordReader, text: string, size: number): unknown[] {
  const out: unknown[] = [];
  const emit = (rec: unknown): void => {
    out.push(Array.isArray(rec) || typeof rec !== "object" || rec === null ? rec : "all" in (rec as object) ? csvFields(rec) : rec);
  };
  for (let i = 0; i < text.length; i += size) r.feed(text.slice(i, i + size), emit);
  r.end(emit);
  return out;
}

describe("S3 Select CSV reader", () => {
  const opts = { fieldDelimiter: ",", recordDelimiter: "\n", quote: '"', quoteEscape: '"', allowQuotedRecordDelimiter: true, comments: "#" };
  const text = 'a,b,c\r\n1,"x, ""quoted""",3\n#comment,line\n\n2,"multi\nline",\n3,plain,"end"';
  const expected = [["a", "b", "c"], ["1", 'x, "quoted"', "3"], ["2", "multi\nline", ""], ["3", "plain", "end"]];
  it("gives the same records for every chunk size", () => {
    for (let size = 1; size <= text.length; size++) expect(readAll(csvReader(opts), text, size)).toEqual(expected);
  });
  it("handles two-character record delimiters split across chunks", () => {
    const t = "x|y\r\n'q\r\nq'|z\r\nlast|1";
    const o = { fieldDelimiter: "|", recordDelimiter: "\r\n", quote: "'", quoteEscape: "\\", allowQuotedRecordDelimiter: true };
    for (let size = 1; size <= t.length; size++) expect(readAll(csvReader(o), t, size)).toEqual([["x", "y"], ["q\r\nq", "z"], ["last", "1"]]);
  });
  it("refuses a quoted record delimiter unless allowed", () => {
    expect(() => readAll(csvReader({ ...opts, allowQuotedRecordDelimiter: false }), 'a,"b\nc"\n', 64)).toThrow(/quoted record delimiter/);
  });
});

describe("S3 Select JSON reader", () => {
  it("finds every top-level value for every chunk size", () => {
    const text = '{"a":"}{\\"","b":[1,{"c":2}]} {"a":2}\n[3,4]\n"s" 5';
    for (let size = 1; size <= text.length; size++) expect(readAll(jsonReader(), text, size)).toEqual([{ a: '}{"', b: [1, { c: 2 }] }, { a: 2 }, [3, 4], "s", 5]);
  });
});

describe("S3 Select number parsing", () => {
  it("matches Number() exactly", () => {
    const samples = ["0", "-0", "7.25", "71.2833", "512.3292", "-12.50", "+3", "1e5", " 4 ", "12abc", "", ".5", "5.", "123456789012345", "1234567890123456789", "0.1", "0.30000000000000004"];
    for (let i = 0; i < 20000; i++) samples.push((Math.random() * 10 ** Math.floor(Math.random() * 8)).toFixed(Math.floor(Math.random() * 7)));
    for (const s of samples) {
      const n = Number(s);
      expect(parseNumber(s), s).toBe(s.trim() === "" || Number.isNaN(n) ? undefined : n);
    }
  });
});
