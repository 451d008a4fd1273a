// SelectObjectContent: the object's bytes stream through decompression (gzip, bzip2), a record
// reader (CSV, JSON), the compiled query, and an output writer (CSV, JSON), and leave as
// event-stream messages (Records of up to OUT_BATCH bytes, Progress when asked, Stats, End).
// Nothing holds more than a chunk, a record and a batch, so a scan of any size runs in bounded
// memory, at the pace the client reads (the generator is pulled by the response stream).
//
// Steps (S3 API reference, SelectObjectContent):
//   1. validate the request (expression type, formats, compression, scan range) and parse the
//      SQL (errors here are ordinary 400 answers);
//   2. find the object (the read checks of GetObject: version, archived storage classes);
//   3. stream: errors from here on are an error message in the event stream, as S3 sends them.
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import type { SelectObjectContentOutput, SelectObjectContentRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { getObject, type StoredObject } from "../store.js";
import { ownBucket } from "../handlers/buckets.js";
import { checkReadable, openBlob } from "../handlers/objects.js";
import { openCipher } from "../encryption/sse.js";
import { Bunzip2 } from "./bzip2.js";
import { contEvent, endEvent, errorEvent, progressEvent, recordsEvent, statsEvent, type Counts } from "./event-stream.js";
import { csvFields, csvReader, jsonReader, type RecordReader } from "./readers.js";
import { compileQuery, type Compiled, type InputShape } from "./sql-eval.js";
import { parseQuery } from "./sql-parser.js";
import { csvWriter, jsonWriter, type RowWriter } from "./writers.js";
import { scanRangeFilter } from "./scan-range.js";

/** Bytes of output per Records message. */
const OUT_BATCH = 256 * 1024;

function invalid(code: string, message: string): AwsError {
  return new AwsError(code, message, 400);
}

function oneChar(v: string | undefined, dflt: string, name: string, allowTwo = false): string {
  if (v === undefined || v === "") return dflt;
  const unescaped = v.replace(/\\n/g, "\n").replace(/\\r/g, "\r").replace(/\\t/g, "\t");
  if (unescaped.length > (allowTwo ? 2 : 1)) throw invalid("InvalidRequestParameter", `The ${name} is invalid. Please check the service documentation and try again.`);
  return unescaped;
}

export const SelectObjectContent: Handler<SelectObjectContentRequest, SelectObjectContentOutput> = async (input, ctx) => {
  // 1.
  if (input.ExpressionType !== "SQL") throw invalid("InvalidExpressionType", "The ExpressionType is invalid. Only SQL expressions are supported.");
  const inSer = input.InputSerialization ?? {};
  const outSer = input.OutputSerialization ?? {};
  const formats = [inSer.CSV, inSer.JSON, inSer.Parquet].filter((x) => x !== undefined).length;
  if (formats !== 1) throw invalid("InvalidDataSource", "Invalid data source type. Only CSV, JSON, and Parquet are supported.");
  if (inSer.Parquet) throw new AwsError("NotImplemented", "Nimbus does not read Parquet input in S3 Select.", 501);
  if ((outSer.CSV ? 1 : 0) + (outSer.JSON ? 1 : 0) !== 1) throw invalid("InvalidRequestParameter", "The output serialization is invalid. Please check the service documentation and try again.");
  const compression = inSer.CompressionType ?? "NONE";
  if (!["NONE", "GZIP", "BZIP2"].includes(compression)) throw invalid("InvalidCompressionFormat", "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.");
  const jsonType = inSer.JSON?.Type;
  if (inSer.JSON && jsonType !== "DOCUMENT" && jsonType !== "LINES") throw invalid("InvalidJsonType", "The JsonType is invalid. Only DOCUMENT and LINES are supported.");
  const range = input.ScanRange;
  if (range) {
    if (compression !== "NONE") throw invalid("UnsupportedScanRangeInput", "Scan range queries are not supported on this type of object.");
    if (inSer.JSON && jsonType !== "LINES") throw invalid("UnsupportedScanRangeInput", "Scan range queries are not supported on this type of object.");
    if (inSer.CSV?.AllowQuotedRecordDelimiter) throw invalid("UnsupportedScanRangeInput", "Scan range queries are not supported on this type of object.");
    if ((range.Start !== undefined && range.Start < 0) || (range.End !== undefined && range.End < 0) || (range.Start !== undefined && range.End !== undefined && range.End < range.Start)) {
      throw invalid("InvalidRange", "The requested range is not valid for the request. Try another range.");
    }
  }
  const query = parseQuery(input.Expression ?? "");

  // CSV options, checked before the object is read.
  const csvIn = inSer.CSV;
  const recordDelimiter = oneChar(csvIn?.RecordDelimiter, "\n", "RecordDelimiter", true);
  const csvOpts = csvIn
    ? {
        fieldDelimiter: oneChar(csvIn.FieldDelimiter, ",", "FieldDelimiter"),
        recordDelimiter,
        quote: oneChar(csvIn.QuoteCharacter, '"', "QuoteCharacter"),
        quoteEscape: oneChar(csvIn.QuoteEscapeCharacter, '"', "QuoteEscapeCharacter"),
        comments: csvIn.Comments ? oneChar(csvIn.Comments, "#", "Comments") : undefined,
        allowQuotedRecordDelimiter: csvIn.AllowQuotedRecordDelimiter === true,
      }
    : undefined;
  const headerInfo = csvIn?.FileHeaderInfo ?? "NONE";
  if (!["USE", "IGNORE", "NONE"].includes(headerInfo)) throw invalid("InvalidFileHeaderInfo", "The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.");
  const writer: RowWriter = outSer.CSV
    ? csvWriter({
        fieldDelimiter: oneChar(outSer.CSV.FieldDelimiter, ",", "FieldDelimiter"),
        recordDelimiter: oneChar(outSer.CSV.RecordDelimiter, "\n", "RecordDelimiter", true),
        quote: oneChar(outSer.CSV.QuoteCharacter, '"', "QuoteCharacter"),
        quoteEscape: oneChar(outSer.CSV.QuoteEscapeCharacter, '"', "QuoteEscapeCharacter"),
        always: outSer.CSV.QuoteFields === "ALWAYS",
      }, csvOpts)
    : jsonWriter(oneChar(outSer.JSON!.RecordDelimiter, "\n", "RecordDelimiter", true));

  // 2.
  const bucket = ownBucket(ctx, input.Bucket!);
  const o = getObject(ctx.db, bucket.name, input.Key!);
  if (!o) throw new AwsError("NoSuchKey", "The specified key does not exist.", 404, { fields: { Key: input.Key! } });
  checkReadable(ctx, o);
  const start = range?.Start !== undefined ? Math.min(range.Start, o.size) : range?.End !== undefined ? Math.max(0, o.size - range.End) : 0;
  const end = range?.Start !== undefined && range.End !== undefined ? Math.min(range.End, o.size - 1) : o.size - 1;
  // Reading from one byte before the range tells whether the range starts a record.
  const readFrom = range ? Math.max(0, start - 1) : 0;
  const source = o.size === 0 || readFrom > o.size - 1 ? Readable.from([]) : await openBlob(ctx, o.blobId, { start: readFrom, end: o.size - 1 }, await openCipher(ctx, o, input));
  if (!source) throw new AwsError("InternalError", "We encountered an internal error. Please try again.", 500);

  const shape: InputShape = { kind: csvOpts ? "csv" : "json" };
  const reader: RecordReader = csvOpts ? csvReader(csvOpts) : jsonReader();
  const progress = input.RequestProgress?.Enabled === true;

  // 3.
  const events = run({ ctx, o, source, compression, reader, shape, headerInfo, query, writer, progress, range: range ? { start, end, readFrom, delimiter: csvOpts ? recordDelimiter : "\n" } : undefined });
  return { Payload: Readable.from(events, { objectMode: false }) as unknown as SelectObjectContentOutput["Payload"] };
};

interface Run {
  ctx: RequestContext;
  o: StoredObject;
  source: Readable;
  compression: string;
  reader: RecordReader;
  shape: InputShape;
  headerInfo: string;
  query: ReturnType<typeof parseQuery>;
  writer: RowWriter;
  progress: boolean;
  range?: { start: number; end: number; readFrom: number; delimiter: string };
}

async function* run(r: Run): AsyncGenerator<Buffer> {
  const counts: Counts = { scanned: 0, processed: 0, returned: 0 };
  let compiled: Compiled | undefined;
  let headerPending = r.shape.kind === "csv" && r.headerInfo !== "NONE";
  let out: string[] = [];
  let outLen = 0;
  let emitted = 0;
  let done = false;
  const now = (): Date => new Date(r.ctx.clock.now());
  const compile = (): Compiled => compileQuery(r.query, r.shape, now);
  if (!headerPending) compiled = compile();

  const onRecord = (rec: unknown): void => {
    if (done) return;
    if (headerPending) {
      headerPending = false;
      if (r.headerInfo === "USE") {
        const names = csvFields(rec);
        const exact = new Map<string, number>();
        const folded = new Map<string, number>();
        names.forEach((name, i) => {
          if (!exact.has(name)) exact.set(name, i);
          const f = name.toLowerCase();
          if (!folded.has(f)) folded.set(f, i);
        });
        r.shape.header = { exact, folded };
      }
      compiled = compile();
      return;
    }
    const c = compiled!;
    if (c.where && !c.where(rec)) return;
    if (c.accumulate) {
      c.accumulate(rec);
      return;
    }
    const line = c.star ? r.writer.star(rec, r.shape) : r.writer.row(c.names, c.project!(rec));
    out.push(line);
    outLen += line.length;
    emitted++;
    if (c.limit !== undefined && emitted >= c.limit) done = true;
  };

  // SELECT * with nothing to filter, count or stop at: stretches of records the writer would
  // copy verbatim are copied as one slice each (RecordReader.feedRuns), decided once the header
  // is read and the query compiled.
  let runs: boolean | undefined;
  const copyRun = (text: string): void => {
    out.push(text);
    outLen += text.length;
  };
  const feed = (text: string): void => {
    if (runs === undefined && !headerPending) {
      const c = compiled!;
      runs = c.star && !c.where && !c.accumulate && c.limit === undefined && r.writer.passesRuns && r.reader.feedRuns !== undefined;
    }
    if (runs) r.reader.feedRuns!(text, copyRun, onRecord);
    else r.reader.feed(text, onRecord);
  };

  const flush = (): Buffer | undefined => {
    if (out.length === 0) return undefined;
    const payload = Buffer.from(out.join(""), "utf8");
    out = [];
    outLen = 0;
    counts.returned += payload.length;
    return recordsEvent(payload);
  };

  try {
    if (compiled?.limit === 0) done = true;
    let bytes: AsyncIterable<Buffer> = countScanned(r.source, counts);
    if (r.compression === "GZIP") bytes = r.source.pipe(createGunzip()) as AsyncIterable<Buffer>;
    else if (r.compression === "BZIP2") bytes = r.source.pipe(new Bunzip2()) as AsyncIterable<Buffer>;
    if (r.range) bytes = scanRangeFilter(bytes, r.range);
    const decoder = new StringDecoder("utf8");
    let sinceEvent = 0;
    for await (const chunk of bytes) {
      if (r.compression !== "NONE") counts.scanned = (r.source as Readable & { bytesRead?: number }).bytesRead ?? counts.scanned;
      counts.processed += chunk.length;
      feed(decoder.write(chunk));
      if (outLen >= OUT_BATCH) {
        yield flush()!;
        if (r.progress) yield progressEvent(counts);
        sinceEvent = 0;
      } else if ((sinceEvent += chunk.length) >= 16 * 1024 * 1024) {
        // A long scan with nothing to return yet: S3 keeps the connection alive with Cont.
        yield contEvent();
        sinceEvent = 0;
      }
      if (done) break;
    }
    if (!done) r.reader.end(onRecord);
    if (compiled?.result) {
      const row = compiled.result();
      out.push(r.writer.row(compiled.names, row));
    }
    const last = flush();
    if (last) yield last;
    if (r.compression !== "NONE") counts.scanned = Math.max(counts.scanned, r.o.size);
    if (r.progress) yield progressEvent(counts);
    yield statsEvent(counts);
    yield endEvent();
  } catch (e) {
    const pending = flush();
    if (pending) yield pending;
    const err = e instanceof AwsError ? e : new AwsError("InternalError", "We encountered an internal error. Please try again.", 500);
    yield errorEvent(err.code, err.message);
  } finally {
    r.source.destroy();
  }
}

async function* countScanned(source: Readable, counts: Counts): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer>) {
    counts.scanned += chunk.length;
    yield chunk;
  }
}
