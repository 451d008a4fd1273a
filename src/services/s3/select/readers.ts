// Push parsers for S3 Select input: text arrives in chunks (any split, even inside a quoted
// field or a JSON string), records leave through `emit` as soon as they are complete, so memory
// holds one record in progress, not the object.
import { AwsError } from "../../../core/errors.js";

export interface RecordReader {
  feed(text: string, emit: (rec: unknown) => void): void;
  end(emit: (rec: unknown) => void): void;
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
  // Parser state, kept across chunks.
  let fields: string[] = [];
  let field = "";
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // current field was quoted (no \r stripping)
  let atFieldStart = true;
  let atRecordStart = true;
  let inComment = false;
  let pendingRd1 = false; // saw RD0 of a two-character delimiter at a chunk's end
  let recordChars = 0;
  let pendingQuote = -1; // a quote or escape ended the previous chunk inside a quoted field

  const endField = (): void => {
    fields.push(field);
    field = "";
    wasQuoted = false;
    atFieldStart = true;
  };
  const endRecord = (emit: (rec: unknown) => void): void => {
    if (!wasQuoted && RD === "\n" && field.charCodeAt(field.length - 1) === CR) field = field.slice(0, -1);
    endField();
    // An empty line is no record.
    if (!(fields.length === 1 && fields[0] === "")) emit(fields);
    fields = [];
    atRecordStart = true;
    recordChars = 0;
  };

  return {
    feed(text, emit) {
      let i = 0;
      const n = text.length;
      if (pendingQuote >= 0 && n > 0) {
        const c = pendingQuote;
        pendingQuote = -1;
        if (c === ESC && text.charCodeAt(0) === Q) {
          field += o.quote;
          i = 1;
        } else if (c === Q) quoted = false;
        else field += String.fromCharCode(c);
      }
      if (pendingRd1) {
        pendingRd1 = false;
        if (text.charCodeAt(0) === RD1) {
          i = 1;
          if (inComment) inComment = false;
          else endRecord(emit);
        } else field += String.fromCharCode(RD0);
      }
      while (i < n) {
        if (inComment) {
          const j = text.indexOf(RD, i);
          if (j < 0) return;
          inComment = false;
          atRecordStart = true;
          i = j + RD.length;
          continue;
        }
        if (atRecordStart) {
          atRecordStart = false;
          if (text.charCodeAt(i) === COMMENT) {
            inComment = true;
            continue;
          }
        }
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
          if (j >= n) {
            i = n;
            break;
          }
          const c = text.charCodeAt(j);
          if (j + 1 >= n) {
            // The quote/escape is the chunk's last character: decide with the next chunk.
            pendingQuote = c;
            i = n;
            break;
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
        // Unquoted: scan to the next delimiter.
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
        if (j >= n) {
          i = n;
          break;
        }
        const x = text.charCodeAt(j);
        if (x === FD) {
          endField();
          i = j + 1;
        } else if (RD1 < 0) {
          endRecord(emit);
          i = j + 1;
        } else if (j + 1 >= n) {
          pendingRd1 = true;
          i = n;
        } else if (text.charCodeAt(j + 1) === RD1) {
          endRecord(emit);
          i = j + 2;
        } else {
          field += text[j];
          i = j + 1;
        }
      }
    },
    end(emit) {
      if (pendingQuote === Q) quoted = false;
      else if (pendingQuote >= 0) field += String.fromCharCode(pendingQuote);
      if (quoted) throw new AwsError("CSVParsingError", "Encountered an Error parsing the CSV file. Check the file and try again.", 400);
      if (pendingRd1) field += String.fromCharCode(RD0);
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
