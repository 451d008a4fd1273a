// `Content-Encoding: gzip` request bodies, and the Content-Encoding header itself.
//
// Who decompresses: only operations with Smithy's @requestCompression trait (CloudWatch
// PutMetricData, Logs PutLogEvents, ...): their SDKs gzip bodies above ~10 KB. For everything
// else, above all S3 PutObject/UploadPart, Content-Encoding describes the *stored* bytes (object
// metadata) and the body must be kept exactly as sent. The gateway therefore opts in per
// operation; this module never decides on its own.
//
// aws-chunked is not a content coding but S3's streaming framing. S3 treats it as the outermost
// layer wherever it appears in the list ("aws-chunked,gzip" and "gzip,aws-chunked" alike),
// removes it first, and stores the remaining codings as the object's Content-Encoding.
import { Transform, type Readable, type TransformCallback } from "node:stream";
import * as zlib from "node:zlib";
import { AwsError } from "../errors.js";
import { requestTooLarge } from "./body-errors.js";
import { link } from "./stream-link.js";

export interface ContentEncodingPlan {
  /** The body is aws-chunked framed: decode that first. */
  awsChunked: boolean;
  /** The codings other than aws-chunked and identity, lower-cased, in header order. */
  codings: string[];
  /** The body is exactly gzip-compressed (one coding, `gzip` or its alias `x-gzip`): gunzip can undo it. */
  gzip: boolean;
  /** What S3 stores as the object's Content-Encoding: the header minus aws-chunked; undefined if nothing is left. */
  stored: string | undefined;
}

/** Parses a Content-Encoding header value (a comma-separated list, possibly repeated headers joined by ","). */
export function parseContentEncoding(header: string | undefined): ContentEncodingPlan {
  const all = (header ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  const lower = all.map((c) => c.toLowerCase());
  const awsChunked = lower.includes("aws-chunked");
  // S3 stores what the client wrote (case and all) minus the framing.
  const kept = all.filter((_c, i) => lower[i] !== "aws-chunked");
  const codings = lower.filter((c) => c !== "aws-chunked" && c !== "identity");
  return {
    awsChunked,
    codings,
    gzip: codings.length === 1 && (codings[0] === "gzip" || codings[0] === "x-gzip"),
    stored: kept.length > 0 ? kept.join(",") : undefined,
  };
}

/** Default cap on a decompressed body: AWS's largest compressible payloads (PutMetricData 1 MB, PutLogEvents 1 MiB) with margin. */
export const DEFAULT_MAX_DECOMPRESSED = 16 * 1024 * 1024;

export interface GunzipOptions {
  /** Decompressed bytes allowed; above it the body fails with 413 RequestEntityTooLarge. */
  maxBytes?: number;
}

/**
 * Streaming gunzip of `source`. The output is capped (a 1 KB gzip bomb can inflate to GBs);
 * because zlib output is flow-controlled, the cap is enforced after at most one zlib output
 * chunk (16 KiB) past the limit, never after inflating the whole thing.
 */
export function gunzipBody(source: Readable, opts: GunzipOptions = {}): Readable {
  const gunzip = zlib.createGunzip();
  const limit = new ByteLimit(opts.maxBytes ?? DEFAULT_MAX_DECOMPRESSED);
  link(source, gunzip);
  link(gunzip, limit, { mapError: gzipError, ownsUpstream: true });
  // Unconsumed, a failing body must not crash the process; readers get the error regardless.
  limit.on("error", () => {});
  return limit;
}

/** Fails the stream once more than `max` bytes have passed. */
export class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) callback(requestTooLarge(this.seen, this.max));
    else callback(null, chunk);
  }
}

/** zlib's errors (bad header, corrupt data, truncated stream) as a client error. */
export function gzipError(e: Error): Error {
  if (e instanceof AwsError) return e;
  // zlib's errors all carry a Z_* code (Z_DATA_ERROR, Z_BUF_ERROR for a truncated stream).
  const code = (e as NodeJS.ErrnoException).code ?? "";
  if (code.startsWith("Z_")) {
    // No AWS wording is documented for an undecodable compressed body; keep it a 400.
    return new AwsError("InvalidRequest", `The request body could not be decompressed (Content-Encoding: gzip): ${e.message}.`, 400);
  }
  return e;
}
