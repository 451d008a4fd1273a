// The gateway's one entry point for request bodies (DESIGN.md section 3, step 3).
//
// From the headers alone it decides which stages the body needs, validates the headers S3
// validates before reading a byte (throwing AwsError synchronously), and composes:
//
//   request --> [aws-chunked decoder] --> [integrity] --> [gunzip + size cap] --> stream
//
//   1. aws-chunked when Content-Encoding lists it or x-amz-content-sha256 is a STREAMING-*
//      mode (minio-go and some Java clients announce streaming only through the latter);
//   2. integrity when anything must be checked (Content-MD5, x-amz-checksum-*, a checksum
//      trailer, a hex x-amz-content-sha256) or computed (`wantChecksums`);
//   3. gunzip only when the caller says the operation takes compressed requests
//      (`decompress`, from Smithy's @requestCompression) and the body is gzip.
//
// With none of them (the common case for JSON/query APIs) the request itself is returned:
// zero copies, zero transforms. A body the HTTP front already read whole comes as a Buffer:
// without stages it stays one (`buffered`), and only a stage or a streaming consumer makes it
// a stream.
import type { Readable, Writable } from "node:stream";
import * as zlib from "node:zlib";
import { hash } from "node:crypto";
import { AwsError } from "../errors.js";
import { AwsChunkedDecoder, type AwsChunkedOptions } from "./aws-chunked.js";
import { algorithmOfHeader, parseChecksumAlgorithm, type ChecksumAlgorithm } from "./checksums.js";
import { contentSha256Mismatch, requestTooLarge } from "./body-errors.js";
import { ByteLimit, DEFAULT_MAX_DECOMPRESSED, gzipError, parseContentEncoding } from "./gzip.js";
import { IntegrityStream, type IntegrityOptions } from "./integrity.js";
import { link } from "./stream-link.js";
import { isSha256Hex } from "./hex.js";
import { BufferReadable } from "./buffer-readable.js";

/** How the payload is signed, from x-amz-content-sha256. */
export type PayloadMode =
  | { kind: "unsigned" } // header absent (presigned URL, anonymous, non-S3 SigV4) or UNSIGNED-PAYLOAD
  | { kind: "sha256"; hex: string }
  | { kind: "streaming"; signedChunks: boolean; trailer: boolean; sigv4a: boolean };

const STREAMING_MODES: Record<string, Extract<PayloadMode, { kind: "streaming" }>> = {
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER": { kind: "streaming", signedChunks: false, trailer: true, sigv4a: false },
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": { kind: "streaming", signedChunks: true, trailer: false, sigv4a: false },
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": { kind: "streaming", signedChunks: true, trailer: true, sigv4a: false },
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD": { kind: "streaming", signedChunks: true, trailer: false, sigv4a: true },
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER": { kind: "streaming", signedChunks: true, trailer: true, sigv4a: true },
};

/** Parses x-amz-content-sha256; anything unknown is S3's InvalidArgument. Exported for the auth module. */
export function parsePayloadMode(value: string | undefined): PayloadMode {
  if (value === undefined || value === "UNSIGNED-PAYLOAD") return { kind: "unsigned" };
  const streaming = STREAMING_MODES[value];
  if (streaming) return streaming;
  if (isSha256Hex(value)) return { kind: "sha256", hex: value.toLowerCase() };
  throw new AwsError(
    "InvalidArgument",
    `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, ${Object.keys(STREAMING_MODES).sort().join(", ")} or a valid sha256 value.`,
    400,
    { fields: { ArgumentName: "x-amz-content-sha256", ArgumentValue: value } },
  );
}


export interface DecodeBodyOptions {
  /** Per-chunk signature check for the signed STREAMING-* modes (see AwsChunkedOptions.verifyChunk). */
  verifyChunk?: AwsChunkedOptions["verifyChunk"];
  /** The streaming alternative: verify each chunk from its SHA-256 without holding it (see AwsChunkedOptions.verifyChunkHash). */
  verifyChunkHash?: AwsChunkedOptions["verifyChunkHash"];
  /** Trailer signature check for the signed *-TRAILER modes (see AwsChunkedOptions.verifyTrailer). */
  verifyTrailer?: AwsChunkedOptions["verifyTrailer"];
  /** Digests to compute whatever the client sent (S3 wants MD5 for the ETag and CRC64NVME by default). */
  wantChecksums?: readonly ChecksumAlgorithm[];
  /** The operation accepts compressed requests (Smithy @requestCompression): undo Content-Encoding: gzip. */
  decompress?: boolean;
  /** Cap on the decompressed size (default 16 MiB); above it, 413 RequestEntityTooLarge. */
  maxDecompressedBytes?: number;
  /** aws-chunked minimum non-final chunk size, 8192 as on S3; 0 disables the check. */
  minChunkSize?: number;
  /**
   * Check a hex x-amz-content-sha256 against the body (default true). S3 always checks it;
   * elsewhere it only matters as part of a verified signature, so the gateway skips the hash
   * for keys whose signature it does not verify.
   */
  verifyPayloadHash?: boolean;
  /**
   * The caller reads the whole body into one buffer (any operation without a streaming
   * payload): when the hex x-amz-content-sha256 is the only thing to check, no stream stage is
   * built and `DecodedBody.deferredSha256` carries the claim for `checkDeferredSha256(body)`.
   * A Transform per request costs more than hashing the buffer once.
   */
  deferPayloadHash?: boolean;
}

export interface DecodedBody {
  /** The payload. Every failure (framing, signature, digest, size) arrives as a stream error. */
  readonly stream: Readable;
  /**
   * The payload as a Buffer when the source was one and no stage was needed: read it instead
   * of `stream` (which is then made on first use). Use `bufferedBody()` for the size check.
   */
  readonly buffered: Buffer | undefined;
  /** aws-chunked trailers (lower-cased names); `{}` when the body is not chunked. */
  trailers: Promise<Record<string, string>>;
  /** Present when the body is hashed; its result() is valid once `stream` has ended. */
  integrity: IntegrityStream | undefined;
  payloadMode: PayloadMode;
  /** Payload size announced up front (x-amz-decoded-content-length, or Content-Length when not chunked or decompressed). */
  declaredLength: number | undefined;
  /** Content-Encoding S3 stores with the object: the header minus aws-chunked (and minus gzip when decompressed). */
  storedContentEncoding: string | undefined;
  /** With `deferPayloadHash`: the hex x-amz-content-sha256 the buffered body must hash to. */
  deferredSha256?: string;
  /**
   * The request has no body (no Content-Length or 0, no Transfer-Encoding, not chunked) and no
   * stage was built: `stream` is the request itself and would only end. A reader may take an
   * empty buffer instead of waiting for its end (node:http drains it when the answer is sent).
   */
  noBody: boolean;
}

/** Shared by every body that is not aws-chunked (most requests): one promise, made once. */
const NO_TRAILERS: Promise<Record<string, string>> = Promise.resolve(Object.freeze({}) as Record<string, string>);
/** Zero bytes, shared: a bodiless request's buffered body (nothing can be written into it). */
const NO_BYTES = Buffer.alloc(0);
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** Headers that start with x-amz-checksum- but are not checksum values. */
const NOT_CHECKSUM_VALUES = new Set(["x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode"]);
/** In S3's model but not implemented by Nimbus yet. */
const UNIMPLEMENTED_ALGORITHMS = new Set(["XXHASH64", "XXHASH3", "XXHASH128"]);
const SUPPORTED_LIST = "[CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]";

/**
 * @param headers lower-cased names (node:http's req.headers joined to strings).
 * @throws AwsError for headers S3 rejects before reading the body.
 */
export function decodeRequestBody(headers: Record<string, string | undefined>, source: Readable | Buffer, opts: DecodeBodyOptions = NO_OPTIONS): DecodedBody {
  // A whole body with no stage possible (the JSON and query APIs' common case) is answered
  // straight away: the general path built a dozen arrays, objects and strings to find nothing
  // to do. It is a function of its own: V8 tiers a function up to optimized code after
  // executing bytecode in proportion to its size, and a large function that returns from its
  // first lines stayed in baseline code for the whole socket bench (perf: ^decodeRequestBody),
  // its callees not inlined.
  if (Buffer.isBuffer(source)) {
    const plain = plainBuffered(headers, source, opts);
    if (plain !== undefined) return plain;
  }
  return decodeWithStages(headers, source, opts);
}

function decodeWithStages(headers: Record<string, string | undefined>, source: Readable | Buffer, opts: DecodeBodyOptions): DecodedBody {
  const payloadMode = parsePayloadMode(headers["x-amz-content-sha256"]);
  const encoding = parseContentEncoding(headers["content-encoding"]);
  const chunked = encoding.awsChunked || payloadMode.kind === "streaming";
  const gunzip = opts.decompress === true && encoding.gzip;

  // 1. Lengths.
  let decodedLength: number | undefined;
  if (chunked && headers["x-amz-decoded-content-length"] !== undefined) {
    decodedLength = parseLength(headers["x-amz-decoded-content-length"]);
    if (decodedLength === undefined) throw new AwsError("MissingContentLength", "You must provide the Content-Length HTTP header.", 411);
  }
  const declaredLength = chunked ? decodedLength : gunzip ? undefined : parseLength(headers["content-length"]);

  // 2. Checksum claims: at most one x-amz-checksum-* header or checksum trailer.
  const trailerNames = chunked ? parseTrailerHeader(headers["x-amz-trailer"]) : [];
  const trailerAlgorithms = trailerNames.map((name) => {
    const alg = algorithmOfHeader(name);
    if (!alg) {
      rejectUnimplemented(name.slice("x-amz-checksum-".length));
      throw new AwsError("InvalidRequest", "The value specified in the x-amz-trailer header is not supported", 400);
    }
    return alg;
  });
  const headerChecksums: Array<{ algorithm: ChecksumAlgorithm; value: string }> = [];
  // for-in, not Object.entries: this runs on every request, and most have no checksum header.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !name.startsWith("x-amz-checksum-") || NOT_CHECKSUM_VALUES.has(name)) continue;
    const algorithm = algorithmOfHeader(name);
    if (!algorithm) {
      rejectUnimplemented(name.slice("x-amz-checksum-".length));
      throw new AwsError("InvalidRequest", "The algorithm type you specified in x-amz-checksum- header is invalid.", 400);
    }
    headerChecksums.push({ algorithm, value });
  }
  if (headerChecksums.length + trailerAlgorithms.length > 1) {
    throw new AwsError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.", 400);
  }
  const claimed = headerChecksums[0]?.algorithm ?? trailerAlgorithms[0];
  const sdkAlgorithm = headers["x-amz-sdk-checksum-algorithm"];
  if (sdkAlgorithm !== undefined) {
    const alg = parseChecksumAlgorithm(sdkAlgorithm);
    if (!alg) {
      rejectUnimplemented(sdkAlgorithm);
      throw new AwsError("InvalidRequest", `Checksum algorithm provided is unsupported. Please try again with any of the valid types: ${SUPPORTED_LIST}`, 400);
    }
    if (claimed === undefined) {
      throw new AwsError("InvalidRequest", "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.", 400);
    }
    if (claimed !== alg) throw new AwsError("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.", 400);
  }

  // 3. Build the stages. Constructing them starts nothing, so a claim rejected here (a
  //    malformed Content-MD5 or checksum header) leaves the request untouched.
  let decoder: AwsChunkedDecoder | undefined;
  if (chunked) {
    const signed = payloadMode.kind === "streaming" && payloadMode.signedChunks;
    decoder = new AwsChunkedDecoder({
      signed,
      signedTrailer: signed && payloadMode.kind === "streaming" && payloadMode.trailer,
      ...(opts.verifyChunk ? { verifyChunk: opts.verifyChunk } : {}),
      ...(opts.verifyChunkHash ? { verifyChunkHash: opts.verifyChunkHash } : {}),
      ...(opts.verifyTrailer ? { verifyTrailer: opts.verifyTrailer } : {}),
      ...(decodedLength !== undefined ? { decodedLength } : {}),
      ...(opts.minChunkSize !== undefined ? { minChunkSize: opts.minChunkSize } : {}),
      declaredTrailers: trailerNames,
    });
  }

  // `claims` counts integrityOpts' members (Object.keys on every request was measurable).
  const integrityOpts: IntegrityOptions = {};
  let claims = 0;
  if (opts.wantChecksums && opts.wantChecksums.length > 0) (integrityOpts.compute = opts.wantChecksums), claims++;
  if (headers["content-md5"] !== undefined) (integrityOpts.contentMd5 = headers["content-md5"]), claims++;
  if (headerChecksums[0]) (integrityOpts.headerChecksum = headerChecksums[0]), claims++;
  if (trailerAlgorithms[0] && decoder) (integrityOpts.trailerChecksum = { algorithm: trailerAlgorithms[0], trailers: decoder.trailers }), claims++;
  // A hex payload hash covers the bytes on the wire; for a (non-standard) chunked body with a
  // hex hash those are the framed bytes, which the decoded stream no longer has: not checked.
  // Kept aside until the two cases below have had their say: a `delete` on integrityOpts (as
  // before) turned it into a dictionary-mode object on every GET.
  let sha256Claim = payloadMode.kind === "sha256" && !chunked && opts.verifyPayloadHash !== false ? payloadMode.hex : undefined;
  // A request without a body (GET, HEAD, DELETE) whose only claim is the empty payload's hash
  // needs no hashing stage: the claim holds by construction. Any other claim on an empty body
  // still goes through IntegrityStream, which reports the mismatch in S3's words.
  const bodiless = !chunked && !gunzip && (headers["content-length"] === "0" || (headers["content-length"] === undefined && headers["transfer-encoding"] === undefined));
  if (bodiless && sha256Claim === EMPTY_SHA256 && claims === 0) sha256Claim = undefined;
  let deferredSha256: string | undefined;
  if (opts.deferPayloadHash && !chunked && !gunzip && sha256Claim !== undefined && claims === 0) {
    deferredSha256 = sha256Claim.toLowerCase();
    sha256Claim = undefined;
  }
  if (sha256Claim !== undefined) (integrityOpts.contentSha256 = sha256Claim), claims++;
  const integrity = claims > 0 ? new IntegrityStream(integrityOpts) : undefined;

  const trailers = decoder ? decoder.trailers : NO_TRAILERS;
  // A whole body with no stage to go through stays a Buffer.
  if (Buffer.isBuffer(source) && !decoder && !integrity && !gunzip) {
    return new Decoded(undefined, source, trailers, integrity, payloadMode, declaredLength, encoding.stored, deferredSha256, source.length === 0);
  }

  // 4. Link them, so that errors travel forward to `stream` (see stream-link.ts).
  const input: Readable = Buffer.isBuffer(source) ? new BufferReadable(source) : source;
  let out: Readable = input;
  let ownsOut = false;
  const append = (stage: Writable & Readable, mapError?: (e: Error) => Error): void => {
    link(out, stage, { ownsUpstream: ownsOut, ...(mapError ? { mapError } : {}) });
    out = stage;
    ownsOut = true;
  };
  if (decoder) append(decoder);
  if (integrity) append(integrity);
  let storedContentEncoding = encoding.stored;
  if (gunzip) {
    append(zlib.createGunzip());
    append(new ByteLimit(opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED), gzipError);
    storedContentEncoding = undefined;
  }

  // The gateway may answer before reading the body (auth fails first); a body error with no
  // listener would then be an uncaught exception. Consumers (pipeline, for await) attach their
  // own listeners and still receive every error.
  if (out !== input) out.on("error", ignore);
  return new Decoded(out, undefined, trailers, integrity, payloadMode, declaredLength, storedContentEncoding, deferredSha256, bodiless && out === input);
}

const NO_OPTIONS: DecodeBodyOptions = Object.freeze({});
const UNSIGNED: PayloadMode = Object.freeze({ kind: "unsigned" });

/**
 * decodeRequestBody's answer for a Buffer that needs no stage: no Content-Encoding (so neither
 * aws-chunked nor gzip), no Content-MD5 or checksum header, no checksum to compute, and an
 * x-amz-content-sha256 that is absent, UNSIGNED-PAYLOAD or a hex hash that is either not
 * checked or deferred (with one in lower case already). The same answer the general path gives
 * for these headers; undefined when it must run (anything else, errors included).
 */
function plainBuffered(headers: Record<string, string | undefined>, source: Buffer, opts: DecodeBodyOptions): Decoded | undefined {
  if (headers["content-encoding"] !== undefined || headers["content-md5"] !== undefined || headers["x-amz-sdk-checksum-algorithm"] !== undefined) return undefined;
  if (opts.wantChecksums !== undefined && opts.wantChecksums.length > 0) return undefined;
  for (const name in headers) {
    if (name.length >= 15 && name.charCodeAt(14) === 0x2d && name.startsWith("x-amz-checksum-") && headers[name] !== undefined && !NOT_CHECKSUM_VALUES.has(name)) return undefined;
  }
  const sha = headers["x-amz-content-sha256"];
  let payloadMode = UNSIGNED;
  let deferredSha256: string | undefined;
  if (sha !== undefined && sha !== "UNSIGNED-PAYLOAD") {
    if (!isLowerSha256Hex(sha)) return undefined;
    payloadMode = { kind: "sha256", hex: sha };
    if (opts.verifyPayloadHash !== false) {
      const cl = headers["content-length"];
      const bodiless = cl === "0" || (cl === undefined && headers["transfer-encoding"] === undefined);
      if (!(bodiless && sha === EMPTY_SHA256)) {
        if (!opts.deferPayloadHash) return undefined;
        deferredSha256 = sha;
      }
    }
  }
  return new Decoded(undefined, source, NO_TRAILERS, undefined, payloadMode, parseLength(headers["content-length"]), undefined, deferredSha256, source.length === 0);
}

/** 64 hex digits in lower case (what the SDKs send); a hash with capitals goes the general way. */
function isLowerSha256Hex(v: string): boolean {
  if (v.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x30 || c > 0x39) && (c < 0x61 || c > 0x66)) return false;
  }
  return true;
}

/**
 * One shape for every answer (deferredSha256 undefined when nothing was deferred: a spread of
 * an optional member cost a copy per request); a class so that `stream` can be a getter that
 * wraps a buffered body only when someone asks for a stream.
 */
class Decoded implements DecodedBody {
  constructor(
    private made: Readable | undefined,
    readonly buffered: Buffer | undefined,
    readonly trailers: Promise<Record<string, string>>,
    readonly integrity: IntegrityStream | undefined,
    readonly payloadMode: PayloadMode,
    readonly declaredLength: number | undefined,
    readonly storedContentEncoding: string | undefined,
    readonly deferredSha256: string | undefined,
    readonly noBody: boolean,
  ) {}

  get stream(): Readable {
    return (this.made ??= new BufferReadable(this.buffered!));
  }
}

/** A buffered body (see DecodedBody.buffered) checked against the same limit readAll applies; undefined when the body is a stream. */
export function bufferedBody(decoded: DecodedBody, limit: number, opts: ReadAllOptions = {}): Buffer | undefined {
  const b = decoded.buffered;
  if (b !== undefined && b.length > limit) throw (opts.tooLarge ?? requestTooLarge)(b.length, limit);
  return b;
}

/** The check `deferPayloadHash` left to the caller: the buffered body against x-amz-content-sha256 (same error as the stream stage). */
export function checkDeferredSha256(decoded: DecodedBody, body: Buffer): void {
  const claim = decoded.deferredSha256;
  if (claim === undefined) return;
  const computed = body.length === 0 ? EMPTY_SHA256 : hash("sha256", body, "hex");
  if (computed !== claim) throw contentSha256Mismatch(claim, computed);
}

export interface ReadAllOptions {
  /** The error for a body over the limit; default 413 RequestEntityTooLarge "Request size N exceeded L bytes". */
  tooLarge?: (size: number, limit: number) => AwsError;
}

/**
 * Buffers a non-streaming body (XML, JSON, query, CBOR documents) up to `limit` bytes. Over the
 * limit it rejects without reading further (the stream is left paused for the gateway to drain
 * or close). Stream errors (BadDigest, IncompleteBody, ...) reject with that error.
 */
export function readAll(stream: Readable, limit: number, opts: ReadAllOptions = {}): Promise<Buffer> {
  // Plain listeners rather than `for await`: leaving a for-await loop early destroys the
  // stream, and destroying a half-read request kills the socket the 413 must be written to.
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) {
        cleanup();
        stream.pause();
        // Keep a listener: a later error with none would be an uncaught exception.
        stream.on("error", () => {});
        reject((opts.tooLarge ?? requestTooLarge)(size, limit));
        return;
      }
      parts.push(buf);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(parts.length === 1 ? parts[0]! : parts.length === 0 ? NO_BYTES : Buffer.concat(parts, size));
    };
    const onError = (e: Error): void => {
      cleanup();
      stream.on("error", () => {});
      reject(e);
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
  });
}

function ignore(): void {}

function parseLength(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  // Plain digits (every client's Content-Length) without the regex and the two trims.
  const n = v.length;
  if (n > 0 && n <= 15) {
    let i = 0;
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    if (i === n) return Number(v);
  }
  if (!/^\d{1,16}$/.test(v.trim())) return undefined;
  const x = Number(v.trim());
  return Number.isSafeInteger(x) ? x : undefined;
}

function parseTrailerHeader(v: string | undefined): string[] {
  if (v === undefined) return [];
  return v
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
}

function rejectUnimplemented(algorithm: string): void {
  const upper = algorithm.trim().toUpperCase();
  if (UNIMPLEMENTED_ALGORITHMS.has(upper)) {
    throw new AwsError("NotImplemented", `Nimbus does not implement the ${upper} checksum algorithm yet; use CRC32, CRC32C, CRC64NVME, SHA1, SHA256 or MD5.`, 501, {
      fault: "Receiver",
    });
  }
}
