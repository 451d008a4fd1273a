// Output serialization of S3 Select rows: CSV (QuoteFields ALWAYS / ASNEEDED, delimiters, quote
// and escape characters) or JSON (one object per record, RecordDelimiter after each).
import type { InputShape } from "./sql-eval.js";
import { CsvLine, csvFields } from "./readers.js";

export interface RowWriter {
  /** A projected row: names for JSON, values in select-list order. */
  row(names: string[], values: unknown[]): string;
  /** SELECT *: the record as read. */
  star(rec: unknown, shape: InputShape): string;
  /**
   * Whether star() of a CSV record without carriage returns is the record's text followed by
   * "\n", exactly as the input holds it with its delimiter, when the record holds no quote
   * character or quotes exactly as this writer does (same delimiters, quote and escape), so a
   * stretch of such records may be copied (RecordReader.feedRuns).
   */
  passesRuns: boolean;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function csvWriter(o: { fieldDelimiter: string; recordDelimiter: string; quote: string; quoteEscape: string; always: boolean }, input?: { fieldDelimiter: string; quote: string; quoteEscape: string; recordDelimiter: string }): RowWriter {
  // SELECT * of a quote-free CSV record with the same delimiter: the record's text is already
  // what ASNEEDED quoting writes, unless it holds the output's quote character.
  const passthrough = input !== undefined && !o.always && input.fieldDelimiter === o.fieldDelimiter && o.recordDelimiter.length > 0;
  const needs = new RegExp(`[${[o.fieldDelimiter, o.quote, "\r", "\n", ...o.recordDelimiter].map((c) => c.replace(/[\\\]^-]/g, "\\$&")).join("")}]`);
  const quoteRe = new RegExp(o.quote.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g");
  const field = (v: unknown): string => {
    const s = text(v);
    if (!o.always && !needs.test(s)) return s;
    return o.quote + s.replace(quoteRe, o.quoteEscape + o.quote) + o.quote;
  };
  const line = (values: unknown[]): string => {
    let s = "";
    for (let i = 0; i < values.length; i++) s += (i === 0 ? "" : o.fieldDelimiter) + field(values[i]);
    return s + o.recordDelimiter;
  };
  return {
    passesRuns: passthrough && input!.quote === o.quote && input!.quoteEscape === o.quote && o.quoteEscape === o.quote && input!.recordDelimiter === "\n" && o.recordDelimiter === "\n",
    row: (_names, values) => line(values),
    star: (rec) => {
      if (rec instanceof CsvLine) {
        if (passthrough) {
          const raw = rec.raw();
          if (!raw.includes(o.quote) && !raw.includes("\r") && !raw.includes("\n") && (o.recordDelimiter === "\n" || !raw.includes(o.recordDelimiter[0]))) return raw + o.recordDelimiter;
        }
        return line(rec.all());
      }
      if (Array.isArray(rec)) return line(rec);
      if (rec !== null && typeof rec === "object") return line(Object.values(rec));
      return line([rec]);
    },
  };
}

function jsonValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

export function jsonWriter(recordDelimiter: string): RowWriter {
  return {
    passesRuns: false,
    row(names, values) {
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) if (values[i] !== undefined) obj[names[i]] = jsonValue(values[i]);
      return JSON.stringify(obj) + recordDelimiter;
    },
    star(rec, shape) {
      if (shape.kind === "csv") {
        const fields = csvFields(rec);
        const obj: Record<string, unknown> = {};
        const names = shape.header ? [...shape.header.exact.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k) : [];
        for (let i = 0; i < fields.length; i++) obj[names[i] ?? `_${i + 1}`] = fields[i];
        return JSON.stringify(obj) + recordDelimiter;
      }
      return JSON.stringify(rec) + recordDelimiter;
    },
  };
}
