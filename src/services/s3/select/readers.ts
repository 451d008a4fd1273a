// Push parsers for S3 Select input: text arrives in chunks (any split, even inside a quoted
// field or a JSON string), records leave through `emit` as soon as they are complete, so memory
// holds one record in progress, not the object.
import { AwsError } from "../../../core/errors.js";

export interface RecordReader {
  feed(text: string, emit: (rec: unknown) => void): void;
  end(emit: (rec: unknown) => void): void;
  /**
   * SELECT * with nothing to filter (CSV only, see csvReader): like feed, but a stretch of
   * consecutive records that would be written back exactly as read goes to `run` as one slice
   * of the input, delimiters included; every other record goes to `emit` as with feed.
   */
  feedRuns?(text: string, run: (text: string) => void, emit: (rec: unknown) => void): void;
}

/**
 * A CSV record without quotes, as offsets into the chunk it was read from: fields are located
 * up to the highest one asked for and sliced one by one (a WHERE on one column slices one
 * string per record, not every field).
 */
export class CsvLine {
  private readonly ends: number[] = [];
  /** How many of `ends` belong to this record (the array is reused; truncating it cost more). */
  private found = 0;
  private next: number;
  constructor(
    private text: string,
    private start: number,
    private end: number,
    private readonly fd: string,
  ) {
    this.next = start;
  }
  /** Points the reader's one CsvLine at the next record (records are consumed before the next is read). */
  reset(text: string, start: number, end: number): this {
    this.text = text;
    this.start = start;
    this.end = end;
    this.next = start;
    this.found = 0;
    return this;
  }
  /** Field i (0-based), or undefined past the last. */
  get(i: number): string | undefined {
    const ends = this.ends;
    while (this.found <= i) {
      if (this.next > this.end) return undefined;
      const c = this.text.indexOf(this.fd, this.next);
      const e = c < 0 || c >= this.end ? this.end : c;
      ends[this.found++] = e;
      this.next = e + 1;
    }
    const from = i === 0 ? this.start : ends[i - 1] + 1;
    return this.text.slice(from, ends[i]);
  }
  all(): string[] {
    const out: string[] = [];
    for (let i = 0; ; i++) {
      const v = this.get(i);
      if (v === undefined) return out;
      out.push(v);
    }
  }
  /** The record's text as read (no quotes, no delimiter). */
  raw(): string {
    return this.text.slice(this.start, this.end);
  }
}

/** The fields of a record from either path. */
export function csvFields(rec: unknown): string[] {
  return rec instanceof CsvLine ? rec.all() : (rec as string[]);
}

export interface CsvOptions {
  fieldDelimiter: string;
  recordDelimiter: string;
  quote: string;
  quoteEscape: string;
  comments?: string;
  allowQuotedRecordDelimiter: boolean;
}

const MAX_RECORD_CHARS = 1024 * 1024;

function overMaxRecordSize(): AwsError {
  return new AwsError("OverMaxRecordSize", "The length of a record in the input or result is greater than maxCharsPerRecord of 1 MB.", 400);
}

/**
 * CSV as S3 Select reads it (RFC 4180 with S3's options):
 *   1. a record ends at RecordDelimiter outside quotes ("\n" also ends "\r\n" records);
 *   2. fields split at FieldDelimiter outside quotes;
 *   3. a field starting with QuoteCharacter is quoted until the next unescaped quote
 *      (QuoteEscapeCharacter before a quote, or a doubled quote, is a literal quote);
 *   4. a record delimiter inside quotes is data only with AllowQuotedRecordDelimiter;
 *   5. a line starting with the Comments character is skipped.
 * Fast path: a record without the quote character is found with indexOf and becomes a CsvLine
 * whose fields are found (indexOf) and sliced only when the query reads them; only records with
 * quotes go through the character-level state machine (slow), which keeps its state across
 * chunks and yields string arrays.
 */
export function csvReader(o: CsvOptions): RecordReader {
  const FD = o.fieldDelimiter.charCodeAt(0);
  const RD = o.recordDelimiter;
  const RD0 = RD.charCodeAt(0);
  const RD1 = RD.length > 1 ? RD.charCodeAt(1) : -1;
  const Q = o.quote === "" ? -1 : o.quote.charCodeAt(0);
  const ESC = o.quoteEscape === "" ? -1 : o.quoteEscape.charCodeAt(0);
  const COMMENT = o.comments ? o.comments.charCodeAt(0) : -1;
  const CR = 13;
  const stripCr = RD === "\n";
  // Text of an incomplete record carried to the next chunk (fast path).
  let carry = "";
  // Character-level state (slow path), kept across chunks.
  let slowMode = false;
  let fields: string[] = [];
  let field = "";
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // current field was quoted (no \r stripping)
  let atFieldStart = true;
  let pendingRd1 = false; // saw RD0 of a two-character delimiter at a chunk's end
  let pendingQuote = -1; // a quote or escape ended the previous chunk inside a quoted field
  let recordChars = 0;
  const line = new CsvLine("", 0, 0, o.fieldDelimiter);

  const endField = (): void => {
    fields.push(field);
    field = "";
    wasQuoted = false;
    atFieldStart = true;
  };
  const endRecord = (emit: (rec: unknown) => void): void => {
    if (!wasQuoted && stripCr && field.charCodeAt(field.length - 1) === CR) field = field.slice(0, -1);
    endField();
    // An empty line is no record.
    if (!(fields.length === 1 && fields[0] === "")) emit(fields);
    fields = [];
    recordChars = 0;
    slowMode = false;
  };

  /** Runs the state machine from i until one record ends (returns the index after it) or the text does (returns n). */
  const slow = (text: string, i: number, emit: (rec: unknown) => void): number => {
    const n = text.length;
    if (pendingQuote >= 0 && i < n) {
      const c = pendingQuote;
      pendingQuote = -1;
      if (c === ESC && text.charCodeAt(i) === Q) {
        field += o.quote;
        i++;
      } else if (c === Q) quoted = false;
      else field += String.fromCharCode(c);
    }
    if (pendingRd1 && i < n) {
      pendingRd1 = false;
      if (text.charCodeAt(i) === RD1) {
        endRecord(emit);
        return i + 1;
      }
      field += String.fromCharCode(RD0);
    }
    while (i < n) {
      if (quoted) {
        // 3. Up to the next quote (or escape) in one slice.
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === Q || c === ESC) break;
          if (!o.allowQuotedRecordDelimiter && c === RD0) throw new AwsError("CSVEscapingRecordDelimiter", "A quoted record delimiter was found in the file. To allow quoted record delimiters, set AllowQuotedRecordDelimiter to 'TRUE'.", 400);
          j++;
        }
        field += text.slice(i, j);
        recordChars += j - i;
        if (recordChars > MAX_RECORD_CHARS) throw overMaxRecordSize();
        if (j >= n) return n;
        const c = text.charCodeAt(j);
        if (j + 1 >= n) {
          // The quote/escape is the chunk's last character: decide with the next chunk.
          pendingQuote = c;
          return n;
        }
        const d = text.charCodeAt(j + 1);
        if (c === ESC && d === Q) {
          field += o.quote;
          i = j + 2;
        } else if (c === Q) {
          quoted = false;
          i = j + 1;
        } else {
          field += text[j];
          i = j + 1;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (atFieldStart && c === Q) {
        quoted = true;
        wasQuoted = true;
        atFieldStart = false;
        i++;
        continue;
      }
      atFieldStart = false;
      let j = i;
      while (j < n) {
        const x = text.charCodeAt(j);
        if (x === FD || x === RD0) break;
        j++;
      }
      field += text.slice(i, j);
      recordChars += j - i;
      if (recordChars > MAX_RECORD_CHARS) throw overMaxRecordSize();
      if (j >= n) return n;
      const x = text.charCodeAt(j);
      if (x === FD) {
        endField();
        i = j + 1;
      } else if (RD1 < 0) {
        endRecord(emit);
        return j + 1;
      } else if (j + 1 >= n) {
        pendingRd1 = true;
        return n;
      } else if (text.charCodeAt(j + 1) === RD1) {
        endRecord(emit);
        return j + 2;
      } else {
        field += text[j];
        i = j + 1;
      }
    }
    return n;
  };

  /**
   * Whether the record text[i, j) (no record delimiter nor carriage return in it, quote
   * characters in it, QuoteEscapeCharacter = QuoteCharacter) is exactly what the CSV writer
   * makes of its fields with the same characters (ASNEEDED): every quoted field must need its
   * quotes (it holds the field delimiter or an escaped quote, written doubled) and close right
   * before a field delimiter or the record's end; no unquoted field may hold a quote. Anything
   * else (a quote that may hide a record delimiter, needless quotes) is left to the parser.
   */
  const writtenAsRead = (text: string, i: number, j: number): boolean => {
    let pos = i;
    while (pos < j) {
      if (text.charCodeAt(pos) === Q) {
        let k = pos + 1;
        let needs = false;
        let close: number;
        for (;;) {
          close = text.indexOf(o.quote, k);
          if (close < 0 || close >= j) return false;
          if (close + 1 < j && text.charCodeAt(close + 1) === Q) {
            needs = true;
            k = close + 2;
            continue;
          }
          break;
        }
        if (!needs) {
          const d = text.indexOf(o.fieldDelimiter, pos + 1);
          if (d < 0 || d >= close) return false;
        }
        pos = close + 1;
        if (pos === j) return true;
        if (text.charCodeAt(pos) !== FD) return false;
        pos++;
      } else {
        let e = text.indexOf(o.fieldDelimiter, pos);
        if (e < 0 || e > j) e = j;
        const q = text.indexOf(o.quote, pos);
        if (q >= 0 && q < e) return false;
        if (e === j) return true;
        pos = e + 1;
      }
    }
    // The record ends with a field delimiter: its last field is empty, written as nothing.
    return true;
  };

  /**
   * The fast path of feed, and of feedRuns when `run` is given: a record is a run member when
   * it is written back as read: it is not empty, not a comment, holds no carriage return, and
   * holds no quote character (the CSV writer's pass-through test, writers.ts) or is written
   * exactly as read (writtenAsRead).
   */
  const scan = (chunk: string, emit: (rec: unknown) => void, run?: (text: string) => void): void => {
    const text = carry === "" ? chunk : carry + chunk;
    carry = "";
    const n = text.length;
    let i = 0;
    let nextQuote = Q < 0 ? -1 : text.indexOf(o.quote);
    let nextCr = run ? text.indexOf("\r") : -1;
    // Start of the run of pass-through records not handed to `run` yet (-1: none).
    let runFrom = -1;
    const endRun = (at: number): void => {
      if (runFrom >= 0 && at > runFrom) run!(text.slice(runFrom, at));
      runFrom = -1;
    };
    while (i < n) {
      if (slowMode) {
        i = slow(text, i, emit);
        continue;
      }
      const j = text.indexOf(RD, i);
      if (j < 0) {
        endRun(i);
        carry = text.slice(i);
        if (carry.length > MAX_RECORD_CHARS) throw overMaxRecordSize();
        return;
      }
      // 5.
      if (text.charCodeAt(i) === COMMENT) {
        endRun(i);
        i = j + RD.length;
        continue;
      }
      if (nextQuote >= 0 && nextQuote < i) nextQuote = text.indexOf(o.quote, i);
      const quoted = nextQuote >= 0 && nextQuote < j;
      if (run) {
        if (nextCr >= 0 && nextCr < i) nextCr = text.indexOf("\r", i);
        if (j > i && (nextCr < 0 || nextCr >= j) && (!quoted || (ESC === Q && writtenAsRead(text, i, j)))) {
          if (runFrom < 0) runFrom = i;
          i = j + RD.length;
          continue;
        }
        endRun(i);
      }
      if (quoted) {
        slowMode = true;
        atFieldStart = true;
        continue;
      }
      const end = stripCr && j > i && text.charCodeAt(j - 1) === CR ? j - 1 : j;
      if (end > i) emit(line.reset(text, i, end));
      i = j + RD.length;
    }
    endRun(i);
  };

  return {
    feed(chunk, emit) {
      scan(chunk, emit);
    },
    feedRuns(chunk, run, emit) {
      scan(chunk, emit, run);
    },
    end(emit) {
      if (carry !== "") {
        const text = carry;
        carry = "";
        if (text.charCodeAt(0) === COMMENT && !slowMode) return;
        if (!slowMode && (Q < 0 || !text.includes(o.quote))) {
          const t = stripCr && text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text;
          if (t !== "") emit(t.split(o.fieldDelimiter));
          return;
        }
        slowMode = true;
        atFieldStart = true;
        let i = 0;
        while (i < text.length && slowMode) i = slow(text, i, emit);
        if (!slowMode && i < text.length) {
          carry = text.slice(i);
          this.end(emit);
          return;
        }
      }
      if (!slowMode) return;
      if (pendingQuote === Q) quoted = false;
      else if (pendingQuote >= 0) field += String.fromCharCode(pendingQuote);
      pendingQuote = -1;
      if (quoted) throw new AwsError("CSVParsingError", "Encountered an Error parsing the CSV file. Check the file and try again.", 400);
      if (pendingRd1) field += String.fromCharCode(RD0);
      pendingRd1 = false;
      if (fields.length > 0 || field !== "" || wasQuoted) endRecord(emit);
    },
  };
}

/**
 * JSON input: LINES (one value per line) and DOCUMENT (values one after another, any layout).
 * Both are read by finding where each top-level value ends (depth back to zero outside a
 * string) and parsing that slice; a top-level scalar ends at whitespace.
 */
export function jsonReader(): RecordReader {
  let buf = "";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s);
    } catch {
      throw new AwsError("JSONParsingError", "Encountered an error parsing the JSON file. Check the file and try again.", 400);
    }
  };
  return {
    feed(text, emit) {
      buf = start >= 0 ? buf.slice(start) + text : text;
      scanned = start >= 0 ? scanned - start : 0;
      start = start >= 0 ? 0 : -1;
      let i = scanned;
      const n = buf.length;
      for (; i < n; i++) {
        const c = buf.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (start < 0) {
          if (c === 32 || c === 10 || c === 13 || c === 9 || c === 44) continue;
          start = i;
          depth = 0;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            emit(parse(buf.slice(start, i + 1)));
            start = -1;
          }
        } else if (depth === 0 && (c === 32 || c === 10 || c === 13 || c === 9)) {
          emit(parse(buf.slice(start, i)));
          start = -1;
        }
        if (start >= 0 && i - start > MAX_RECORD_CHARS) throw overMaxRecordSize();
      }
      scanned = i;
      if (start < 0) {
        buf = "";
        scanned = 0;
      }
    },
    end(emit) {
      if (start >= 0) {
        const rest = buf.slice(start).trim();
        if (rest !== "") emit(parse(rest));
      }
    },
  };
}
