// The HTTP front's request/response pair (http-front.ts): the gateway's narrow types
// (core/gateway/http-types.ts) over a socket, without node:http's IncomingMessage and
// ServerResponse machinery. The answer's head is the bytes node:http sends for the same
// writeHead() (names as given, then Date, Connection, Keep-Alive, then Content-Length or
// Transfer-Encoding as node adds them), so a client sees no difference.
import { EventEmitter } from "node:events";
import { STATUS_CODES, type OutgoingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type { BufferedRequest, GatewayResponse } from "../gateway/http-types.js";
import type { DirectBuffer } from "../http/direct-buffer.js";

const NO_RAW_HEADERS: readonly string[] = Object.freeze([]);

/** A request whose head and body the front has read whole. */
export class FastRequest implements BufferedRequest {
  readonly rawHeaders = NO_RAW_HEADERS;
  readonly joinedHeaders = true;
  readonly readableEnded = true;

  constructor(
    readonly method: string,
    readonly url: string,
    /** Lower-cased names, repeats joined with "," (Nimbus's map). */
    readonly headers: Record<string, string>,
    readonly socket: Socket,
    readonly bufferedBody: Buffer,
  ) {}

  /** Nothing left to drain: the body was read before the request ran. */
  resume(): this {
    return this;
  }
}

/** What a response needs of its connection (http-front.ts's Connection). */
export interface ResponseSink {
  readonly socket: Socket;
  /** The response is written (or abandoned): answer the next request, or close. */
  responseDone(res: FastResponse, keepAlive: boolean): void;
}

/** How long an idle keep-alive connection is kept (node:http's keepAliveTimeout as Nimbus sets it). */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Node sends `Keep-Alive: timeout=<keepAliveTimeout in s>` on every keep-alive answer. */
const KEEP_ALIVE_LINE = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(KEEP_ALIVE_TIMEOUT_MS / 1000)}\r\n`;
const CLOSE_LINE = "Connection: close\r\n";

/** Up to this size a Buffer body is copied behind the head (one write); above, head and body go out as a writev. */
const COPY_BELOW = 16 * 1024;
const LAST_CHUNK = "0\r\n\r\n";

let dateLine: string | undefined;
function resetDate(): void {
  dateLine = undefined;
}
/**
 * `Date: <IMF-fixdate>\r\n`, formatted when first needed in a second and forgotten when the
 * second ends, as node:http's utcDate() does: no clock read per answer.
 */
function dateHeaderLine(): string {
  if (dateLine === undefined) {
    const d = new Date();
    dateLine = `Date: ${d.toUTCString()}\r\n`;
    setTimeout(resetDate, 1000 - d.getMilliseconds()).unref();
  }
  return dateLine;
}

/**
 * An EventEmitter (the gateway listens for "close", a piped body for "drain" and more) that
 * skips EventEmitter's constructor: its listener map is made by the first on()/once(), which
 * most answers never call (EventEmitter's methods all take a missing map as an empty one).
 */
export interface FastResponse extends EventEmitter {}
export class FastResponse implements GatewayResponse {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  writable = true;
  writableNeedDrain = false;
  /** The head, built by writeHead and sent with the first body bytes. */
  private head: string | undefined;
  private chunked = false;
  private hasBody: boolean;
  private keepAlive: boolean;
  private closed = false;

  constructor(
    private readonly sink: ResponseSink,
    headRequest: boolean,
    keepAlive: boolean,
  ) {
    this.hasBody = !headRequest;
    this.keepAlive = keepAlive;
  }

  /** Builds the head as node:http's _storeHeader does; `knownLength` is end(data)'s length when writeHead was not called. */
  writeHead(status: number, headers?: OutgoingHttpHeaders, knownLength?: number): this {
    if (this.head !== undefined) throw Object.assign(new Error("Cannot write headers after they are sent to the client"), { code: "ERR_HTTP_HEADERS_SENT" });
    this.statusCode = status;
    if (status === 204 || status === 304 || (status >= 100 && status <= 199)) this.hasBody = false;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "unknown"}\r\n`;
    let contentLength = false;
    let date = false;
    let connection = false;
    let te = false;
    if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) continue;
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) head += headerLine(name, String(value[i]));
        } else head += headerLine(name, typeof value === "string" ? value : String(value));
        // The headers node:http looks for (matchHeader): lengths, dates and connection handling.
        if (name.length === 14 && name.toLowerCase() === "content-length") contentLength = true;
        else if (name.length === 4 && name.toLowerCase() === "date") date = true;
        else if (name.length === 10 && name.toLowerCase() === "connection") {
          connection = true;
          if (/\bclose\b/i.test(String(value))) this.keepAlive = false;
        } else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
          te = true;
          this.chunked = /\bchunked\b/i.test(String(value));
        }
      }
    }
    if (!date) head += dateHeaderLine();
    if (!connection) head += this.keepAlive ? KEEP_ALIVE_LINE : CLOSE_LINE;
    if (!contentLength && !te && this.hasBody) {
      if (knownLength !== undefined) head += `Content-Length: ${knownLength}\r\n`;
      else {
        head += "Transfer-Encoding: chunked\r\n";
        this.chunked = true;
      }
    }
    this.head = head + "\r\n";
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    if (this.head === undefined) this.writeHead(this.statusCode);
    const done = typeof encoding === "function" ? encoding : cb;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8") : chunk;
    const socket = this.sink.socket;
    let ok: boolean;
    if (this.closed || socket.destroyed) ok = false;
    else {
      const head = this.takeHead();
      socket.cork();
      if (head !== "") socket.write(head, "latin1");
      if (!this.hasBody || bytes.length === 0) ok = true;
      else if (this.chunked) {
        socket.write(`${bytes.length.toString(16)}\r\n`, "latin1");
        socket.write(bytes);
        ok = socket.write("\r\n", "latin1");
      } else ok = socket.write(bytes);
      socket.uncork();
    }
    if (done) process.nextTick(done);
    if (!ok && !this.writableNeedDrain && !this.closed) {
      this.writableNeedDrain = true;
      socket.once("drain", () => {
        this.writableNeedDrain = false;
        this.emit("drain");
      });
    }
    return ok;
  }

  end(data?: string | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void), cb?: () => void): this {
    if (this.writableFinished || this.closed) return this;
    const done = typeof data === "function" ? data : typeof encoding === "function" ? encoding : cb;
    const body = typeof data === "function" ? undefined : data;
    const socket = this.sink.socket;
    if (this.head === undefined) {
      // Implicit head, as node:http's end(data) without writeHead: the length is known.
      const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body, typeof encoding === "string" ? encoding : "utf8") : body.length;
      this.writeHead(this.statusCode, undefined, length);
    }
    const head = this.takeHead();
    if (!socket.destroyed) {
      if (!this.hasBody || body === undefined || body.length === 0) {
        // Nothing left but the head (when no write() sent it) and a chunked body's last chunk.
        const rest = this.chunked && this.hasBody ? head + LAST_CHUNK : head;
        if (rest !== "") socket.write(rest, "latin1");
      }
      else if (this.chunked) {
        const bytes = typeof body === "string" ? Buffer.from(body, typeof encoding === "string" ? encoding : "utf8") : body;
        socket.cork();
        socket.write(`${head}${bytes.length.toString(16)}\r\n`, "latin1");
        socket.write(bytes);
        socket.write(`\r\n${LAST_CHUNK}`, "latin1");
        socket.uncork();
      } else if (typeof body === "string") {
        // Head and body in one buffer, one write: the head is latin1 (as node writes it), the body utf8.
        const headLength = head.length;
        const utf8 = typeof encoding !== "string" || encoding === "utf8";
        const out = Buffer.allocUnsafe(headLength + (utf8 ? Buffer.byteLength(body) : Buffer.byteLength(body, encoding)));
        // Buffer's own latin1Write/utf8Write: write() dispatches on its encoding argument first
        // (JS:*write ~1% of a PutItem in perf).
        (out as DirectBuffer).latin1Write(head, 0);
        if (utf8) (out as DirectBuffer).utf8Write(body, headLength);
        else out.write(body, headLength, encoding);
        socket.write(out);
      } else if (body.length < COPY_BELOW) {
        const out = Buffer.allocUnsafe(head.length + body.length);
        (out as DirectBuffer).latin1Write(head, 0);
        out.set(body, head.length);
        socket.write(out);
      } else {
        socket.cork();
        if (head !== "") socket.write(head, "latin1");
        socket.write(body);
        socket.uncork();
      }
    }
    this.writableFinished = true;
    this.writable = false;
    if (done) process.nextTick(done);
    this.emit("finish");
    this.finishClose();
    this.sink.responseDone(this, this.keepAlive);
    return this;
  }

  destroy(error?: Error): this {
    this.sink.socket.destroy(error);
    return this;
  }

  /** The socket closed before the answer was written (client gone): the abort signal's cue. */
  abandon(): void {
    if (this.closed) return;
    this.writable = false;
    this.finishClose();
  }

  private finishClose(): void {
    this.closed = true;
    this.emit("close");
  }

  /** The head not written yet ("" once it was). */
  private takeHead(): string {
    const h = this.head ?? "";
    this.head = "";
    return h;
  }
}

Object.setPrototypeOf(FastResponse.prototype, EventEmitter.prototype);

function headerLine(name: string, value: string): string {
  if (!validHeaderValue(value)) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: "ERR_INVALID_CHAR" });
  return `${name}: ${value}\r\n`;
}

/**
 * Node's check on header values (_http_common checkInvalidHeaderChar, /[^\t\x20-\x7e\x80-\xff]/):
 * a CR or LF would split the head. A loop: the regular expression's call was ~1% of a
 * PutItem's CPU in the socket bench (perf), for the three or four short values of an answer.
 */
function validHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 ? c !== 9 : c === 0x7f || c > 0xff) return false;
  }
  return true;
}
