// Streaming decoder for `Content-Encoding: aws-chunked` request bodies, the framing S3 clients
// use for streaming uploads (AWS docs: "Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks" and "... Including Trailing Headers").
//
//   body    = *chunk last-chunk trailer CRLF
//   chunk   = hex-size [";chunk-signature=" sig] CRLF data CRLF
//   last    = "0" [";chunk-signature=" sig] CRLF
//   trailer = *(name ":" value CRLF) [ "x-amz-trailer-signature:" sig CRLF ]
//
// Used by every x-amz-content-sha256 streaming mode:
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER             unsigned chunks, trailers (SDK v3 JS, boto3, CLI)
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD             SigV4 chunk signatures (Java v1, minio clients)
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER     ... plus a signed trailer (Java v2)
//   STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]  SigV4a chunk signatures
//
// Memory: unsigned (and unverified) chunk data is passed on as zero-copy slices of the input
// buffers, so memory is bounded by the stream high-water marks, whatever the chunk size.
// Signed chunks can be verified two ways:
//   - `verifyChunk`: the chunk is held until its signature checks out, so nothing downstream
//     ever sees unauthenticated bytes; costs one chunk of memory (SDKs use 64-128 KiB;
//     `maxSignedChunkSize` bounds what a hostile client can make us hold);
//   - `verifyChunkHash`: the chunk streams through while its SHA-256 is computed, and the
//     signature is checked at the chunk's end; no buffering, and a bad signature still fails
//     the stream before it ends (so the blob store commits nothing).
//
// Signature *computation* is the auth module's job: the verifier receives each chunk (or its
// hash) and its claimed signature, in order (the final zero-length chunk included), and keeps
// the previous signature itself; `verifyTrailer` receives the canonical trailer block.
import { createHash, type Hash } from "node:crypto";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { incompleteBody, invalidChunkSize, lengthMismatch, malformedTrailer } from "./body-errors.js";
import { link } from "./stream-link.js";

export interface AwsChunkedOptions {
  /**
   * Chunk headers must carry `;chunk-signature=<sig>` (the STREAMING-AWS4-* modes). A missing
   * or extra extension is malformed framing (IncompleteBody), as on S3.
   */
  signed?: boolean;
  /**
   * The trailer ends with `x-amz-trailer-signature:<sig>` (the signed *-PAYLOAD-TRAILER modes);
   * its absence is a MalformedTrailerError.
   */
  signedTrailer?: boolean;
  /**
   * Called once per chunk, in order, final zero-length chunk included, before the chunk's bytes
   * go downstream. Throw (or reject) with AwsError SignatureDoesNotMatch to fail the body.
   */
  verifyChunk?: (chunkData: Buffer, signature: string) => void | Promise<void>;
  /**
   * Alternative to verifyChunk that never holds a chunk: called at each chunk's end with the
   * hex SHA-256 of its bytes (already passed downstream). Ignored when verifyChunk is given.
   */
  verifyChunkHash?: (chunkSha256Hex: string, signature: string) => void | Promise<void>;
  /**
   * Called once with the trailer block in SigV4 canonical-headers form (lower-cased names,
   * trimmed values, sorted by name, each line `name:value\n`, the signature line excluded), the
   * claimed `x-amz-trailer-signature`, and the fields as [lower-cased name, value] in the order sent.
   */
  verifyTrailer?: (canonicalTrailers: string, signature: string, fields: ReadonlyArray<readonly [string, string]>) => void | Promise<void>;
  /** x-amz-decoded-content-length: the decoded size must equal it (else IncompleteBody with byte counts). */
  decodedLength?: number;
  /**
   * Lower-cased trailer names from `x-amz-trailer`. When given, the trailer names received must
   * be exactly these (S3: MalformedTrailerError otherwise, including a trailer sent undeclared).
   */
  declaredTrailers?: readonly string[];
  /** S3 rejects a non-final chunk smaller than 8192 bytes (InvalidChunkSizeError). 0 disables. */
  minChunkSize?: number;
  /** Largest chunk held in memory for signature verification. Default 64 MiB. */
  maxSignedChunkSize?: number;
}

export interface AwsChunkedDecoded {
  /** The decoded payload. Errors (framing, signature, length) arrive as a stream error. */
  stream: Readable;
  /**
   * Trailer fields by lower-cased name (the trailer signature excluded). Resolves when the body
   * has been fully decoded, before `stream` ends; rejects with the stream's error.
   */
  trailers: Promise<Record<string, string>>;
}

export const DEFAULT_MIN_CHUNK_SIZE = 8192;
const DEFAULT_MAX_SIGNED_CHUNK = 64 * 1024 * 1024;
/** A SigV4a chunk header is ~160 bytes; 4 KiB leaves room for any extension a client adds. */
const MAX_LINE = 4096;
/** S3 only ever sends a checksum or two in the trailer. */
const MAX_TRAILER_BYTES = 16 * 1024;
const TRAILER_SIGNATURE = "x-amz-trailer-signature";
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Pipes `source` through an AwsChunkedDecoder. A source error destroys the decoder; a decoding
 * error leaves the source unpiped but alive, so the caller can still answer on its socket.
 */
export function decodeAwsChunked(source: Readable, opts: AwsChunkedOptions = {}): AwsChunkedDecoded {
  const decoder = new AwsChunkedDecoder(opts);
  link(source, decoder);
  // Unconsumed, a failing body must not crash the process; readers get the error regardless.
  decoder.on("error", () => {});
  return { stream: decoder, trailers: decoder.trailers };
}

const enum State {
  Header,
  Data,
  DataCrlf,
  Trailer,
  Done,
}

export class AwsChunkedDecoder extends Transform {
  readonly trailers: Promise<Record<string, string>>;
  private resolveTrailers!: (t: Record<string, string>) => void;
  private rejectTrailers!: (e: Error) => void;
  private settled = false;

  private readonly opts: AwsChunkedOptions;
  private readonly minChunk: number;
  private readonly maxSignedChunk: number;
  /** Chunk data is held until verified only when there is a verifier to wait for. */
  private readonly holdChunks: boolean;
  private readonly hashChunks: boolean;
  /** Per-chunk SHA-256 for verifyChunkHash. */
  private chunkHash: Hash | undefined;

  private state = State.Header;
  private line = "";
  private crlfSeen = 0;
  /** Chunk headers read so far (1-based number of the current chunk). */
  private chunkNumber = 0;
  private prevChunkSize = -1;
  private remaining = 0;
  private signature = "";
  private held: Buffer[] = [];
  private decoded = 0;
  private trailerBytes = 0;
  private readonly trailerFields: Record<string, string> = {};
  private readonly trailerOrder: Array<readonly [string, string]> = [];
  private trailerSignature: string | undefined;

  constructor(opts: AwsChunkedOptions = {}) {
    super();
    this.opts = opts;
    this.minChunk = opts.minChunkSize ?? DEFAULT_MIN_CHUNK_SIZE;
    this.maxSignedChunk = opts.maxSignedChunkSize ?? DEFAULT_MAX_SIGNED_CHUNK;
    this.holdChunks = opts.signed === true && opts.verifyChunk !== undefined;
    this.hashChunks = opts.signed === true && !this.holdChunks && opts.verifyChunkHash !== undefined;
    this.trailers = new Promise((resolve, reject) => {
      this.resolveTrailers = resolve;
      this.rejectTrailers = reject;
    });
    // Nobody may ever await `trailers` (no checksum trailer wanted): a rejection must not
    // become an unhandledRejection that takes the process down. The stream error is the
    // primary signal.
    this.trailers.catch(() => {});
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let pending: Promise<void> | undefined;
    try {
      pending = this.consume(chunk, 0);
    } catch (e) {
      callback(e as Error);
      return;
    }
    // Synchronous fast path: no verifier returned a promise for this buffer.
    if (pending === undefined) callback();
    else pending.then(() => callback(), (e: Error) => callback(e));
  }

  override _flush(callback: TransformCallback): void {
    const finish = (): void => {
      this.settled = true;
      this.resolveTrailers({ ...this.trailerFields });
      callback();
    };
    if (this.state === State.Done) {
      finish();
      return;
    }
    // The SDK's own encoder (getAwsChunkedEncodingStream without a checksum) ends the body
    // right after "0\r\n", without the empty line that closes the trailer section. Accept that
    // one truncation; any other end of input is an incomplete body.
    if (this.state === State.Trailer && this.line === "" && this.trailerBytes === 0) {
      try {
        const pending = this.finishTrailer();
        if (pending) pending.then(finish, (e: Error) => callback(e));
        else finish();
      } catch (e) {
        callback(e as Error);
      }
      return;
    }
    callback(incompleteBody());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.settled) {
      this.settled = true;
      this.rejectTrailers(error ?? incompleteBody());
    }
    callback(error);
  }

  /**
   * Parses `buf` from `pos`. Returns undefined when done synchronously, or a promise when an
   * asynchronous verifier must settle before the rest of `buf` may be parsed.
   */
  private consume(buf: Buffer, pos: number): Promise<void> | undefined {
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          const end = this.readLine(buf, pos);
          if (end < 0) return undefined;
          pos = end;
          const pending = this.onChunkHeader(this.takeLine());
          if (pending) return pending.then(() => this.consume(buf, pos));
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, len - pos);
          this.onData(buf.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.DataCrlf;
          break;
        }
        case State.DataCrlf: {
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (buf[pos] !== expected) throw incompleteBody();
          pos++;
          if (++this.crlfSeen === 2) {
            this.crlfSeen = 0;
            this.state = State.Header;
            const pending = this.holdChunks ? this.releaseHeldChunk() : this.hashChunks ? this.verifyHashedChunk() : undefined;
            if (pending) return pending.then(() => this.consume(buf, pos));
          }
          break;
        }
        case State.Trailer: {
          const end = this.readLine(buf, pos);
          if (end < 0) return undefined;
          this.trailerBytes += end - pos;
          pos = end;
          if (this.trailerBytes > MAX_TRAILER_BYTES) throw malformedTrailer();
          const line = this.takeLine();
          if (line !== "") {
            this.onTrailerLine(line);
          } else {
            const pending = this.finishTrailer();
            if (pending) return pending.then(() => this.consume(buf, pos));
          }
          break;
        }
        case State.Done:
          // Bytes after the terminating empty line: the framing lied about where the body ends.
          throw incompleteBody();
      }
    }
    return undefined;
  }

  /** Accumulates up to and including LF; returns the index after LF, or -1 if the line continues. */
  private readLine(buf: Buffer, pos: number): number {
    const nl = buf.indexOf(0x0a, pos);
    const stop = nl < 0 ? buf.length : nl;
    if (this.line.length + (stop - pos) > MAX_LINE) {
      throw this.state === State.Trailer ? malformedTrailer() : incompleteBody();
    }
    this.line += buf.toString("latin1", pos, stop);
    return nl < 0 ? -1 : nl + 1;
  }

  /** The accumulated line without its CRLF; a bare LF is malformed. */
  private takeLine(): string {
    const l = this.line;
    this.line = "";
    if (!l.endsWith("\r")) throw this.state === State.Trailer ? malformedTrailer() : incompleteBody();
    return l.slice(0, -1);
  }

  private onChunkHeader(line: string): Promise<void> | undefined {
    const semi = line.indexOf(";");
    const sizeText = (semi < 0 ? line : line.slice(0, semi)).trim();
    // 13 hex digits stay within Number.MAX_SAFE_INTEGER; nobody sends a multi-petabyte chunk.
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) throw incompleteBody();
    const size = parseInt(sizeText, 16);

    this.signature = "";
    if (this.opts.signed) {
      // Exactly one extension, chunk-signature=<sig>; S3 rejects anything else as IncompleteBody.
      const ext = semi < 0 ? "" : line.slice(semi + 1);
      const m = /^chunk-signature=([0-9a-fA-F]+)$/.exec(ext);
      if (!m) throw incompleteBody();
      this.signature = m[1]!;
    }

    this.chunkNumber++;
    if (size > 0 && this.prevChunkSize >= 0 && this.prevChunkSize < this.minChunk) {
      throw invalidChunkSize(this.chunkNumber, this.prevChunkSize, this.minChunk);
    }
    this.prevChunkSize = size;

    if (size === 0) {
      this.state = State.Trailer;
      // The final chunk is signed too: its signature covers the empty payload.
      if (this.holdChunks) return asPromise(this.opts.verifyChunk!(Buffer.alloc(0), this.signature));
      if (this.hashChunks) return asPromise(this.opts.verifyChunkHash!(EMPTY_SHA256, this.signature));
      return undefined;
    }
    // Nimbus's own bound (S3 documents none): refuse to hold a chunk larger than this.
    if (this.holdChunks && size > this.maxSignedChunk) throw incompleteBody();
    this.remaining = size;
    this.state = State.Data;
    if (this.hashChunks) this.chunkHash = createHash("sha256");
    return undefined;
  }

  private onData(slice: Buffer): void {
    if (slice.length === 0) return;
    this.decoded += slice.length;
    if (this.holdChunks) {
      this.held.push(slice);
      return;
    }
    this.chunkHash?.update(slice);
    this.emitDecoded(slice);
  }

  /** Passes bytes on unless the declared decoded length has already been exceeded. */
  private emitDecoded(slice: Buffer): void {
    const limit = this.opts.decodedLength;
    if (limit !== undefined && this.decoded > limit) {
      // Keep parsing (to report S3's exact byte counts at the end) but stop feeding the
      // consumer bytes the client never declared; the body fails at the end anyway.
      const before = this.decoded - slice.length;
      if (before < limit) this.push(slice.subarray(0, limit - before));
      return;
    }
    this.push(slice);
  }

  private releaseHeldChunk(): Promise<void> | undefined {
    const parts = this.held;
    this.held = [];
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const verified = asPromise(this.opts.verifyChunk!(data, this.signature));
    // `decoded` already counts this chunk, as emitDecoded expects.
    if (verified) return verified.then(() => this.emitDecoded(data));
    this.emitDecoded(data);
    return undefined;
  }

  private verifyHashedChunk(): Promise<void> | undefined {
    const hex = this.chunkHash!.digest("hex");
    this.chunkHash = undefined;
    return asPromise(this.opts.verifyChunkHash!(hex, this.signature));
  }

  private onTrailerLine(line: string): void {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformedTrailer();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name) || value === "") throw malformedTrailer();
    if (this.opts.signedTrailer && name === TRAILER_SIGNATURE) {
      if (this.trailerSignature !== undefined) throw malformedTrailer();
      this.trailerSignature = value;
      return;
    }
    // The signature must be the last trailer line: it signs everything before it.
    if (this.trailerSignature !== undefined) throw malformedTrailer();
    if (Object.prototype.hasOwnProperty.call(this.trailerFields, name)) throw malformedTrailer();
    this.trailerFields[name] = value;
    this.trailerOrder.push([name, value]);
  }

  /** The empty line closing the trailer: check the trailer block, then the decoded length. */
  private finishTrailer(): Promise<void> | undefined {
    this.state = State.Done;
    const names = Object.keys(this.trailerFields);
    const declared = this.opts.declaredTrailers;
    if (declared !== undefined) {
      const want = new Set(declared.map((d) => d.trim().toLowerCase()).filter((d) => d !== ""));
      if (want.size !== names.length || !names.every((n) => want.has(n))) throw malformedTrailer();
    }
    const checkLength = (): void => {
      const expected = this.opts.decodedLength;
      if (expected !== undefined && expected !== this.decoded) throw lengthMismatch(expected, this.decoded);
    };
    if (this.opts.signedTrailer) {
      if (this.trailerSignature === undefined) throw malformedTrailer();
      if (this.opts.verifyTrailer) {
        const verified = asPromise(this.opts.verifyTrailer(canonicalTrailers(this.trailerFields), this.trailerSignature, this.trailerOrder));
        if (verified) return verified.then(checkLength);
      }
    }
    checkLength();
    return undefined;
  }
}

/** SigV4 canonical-headers form of the trailer fields: `name:value\n`, sorted by name. */
export function canonicalTrailers(fields: Record<string, string>): string {
  return Object.keys(fields)
    .sort()
    .map((name) => `${name}:${fields[name]!.replace(/\s+/g, " ")}\n`)
    .join("");
}

function asPromise(r: void | Promise<void>): Promise<void> | undefined {
  return r !== undefined && typeof (r as Promise<void>).then === "function" ? (r as Promise<void>) : undefined;
}
