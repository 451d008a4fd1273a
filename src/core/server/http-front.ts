// A lean HTTP/1.1 front on node:net for the common request, with node:http behind it for
// everything else (docs/architecture.md, "The HTTP front").
//
// Why: node:http's JavaScript (IncomingMessage/ServerResponse, header objects, stream
// plumbing) was ~40 µs of CPU per request, a third of a Nimbus request; a head parser and a
// one-write answer do the common case for a fraction of that.
//
// The fast path takes a request when all of it is plain: HTTP/1.1, a head that parses strictly
// (a token method node knows, a printable target, token header names, values without control
// characters, a Host), at most FAST_BODY_MAX bytes of Content-Length body (or none), and no
// Transfer-Encoding, Expect or Upgrade. Its body is buffered whole (the gateway takes it as a
// Buffer), the gateway runs, and the answer goes out in one write. Requests on a connection are
// answered one at a time in order (pipelined ones wait in the buffer). node:http's
// keepAliveTimeout and headersTimeout are kept by one sweep of all connections (HttpFront.sweep),
// not a socket timer each.
//
// Anything else hands the connection to the node:http server for the rest of its life
// (chunked and aws-chunked uploads with Transfer-Encoding, Expect: 100-continue, big bodies,
// HTTP/1.0, upgrades, malformed or oversized heads, which node answers 400 or 431): the socket
// is given to node's 'connection' listener and the bytes already read are replayed through
// its 'data' listener. Node's parser then reads the socket's handle directly (parser.consume),
// so nothing read afterwards passes through here.
//
// Reads land in one buffer shared by every connection (adopt, READ_BUFFER): what a connection
// keeps past its read callback is copied out first.
import { METHODS, type Server as HttpServer } from "node:http";
import { createServer, Socket, type Server as NetServer } from "node:net";
import { latin1Slice } from "../http/direct-buffer.js";
import { FastRequest, FastResponse, KEEP_ALIVE_TIMEOUT_MS, type ResponseSink } from "./fast-exchange.js";

/** Largest body the fast path buffers; a bigger one streams through node:http. */
export const FAST_BODY_MAX = 1024 * 1024;
/** node:http's default --max-http-header-size: a longer head goes to node, which answers 431. */
const HEAD_MAX = 16 * 1024;
/** As node:http's headersTimeout in Nimbus: a head still incomplete after this is answered 408. */
const HEADERS_TIMEOUT_MS = 70_000;
/** How often idle connections are looked at: one is closed 65 to 70 s after its last read or answer. */
const SWEEP_MS = 5_000;
const EMPTY = Buffer.alloc(0);
/** How many header names of a connection's previous head are remembered (Connection.lastRaw). */
const MAX_REMEMBERED_NAMES = 32;
const KNOWN_METHODS = new Set(METHODS);
/** RFC 9110 token characters (header names), by byte: 1 lower-case or other, 2 upper-case letter, 0 not a token character. */
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+.^_`|~-0123456789abcdefghijklmnopqrstuvwxyz") TOKEN_CHAR[c.charCodeAt(0)] = 1;
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_CHAR[c.charCodeAt(0)] = 2;
const TIMEOUT_408 = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";
/**
 * Where every fast connection's reads land (the socket's `onread` buffer): bytes kept past the
 * read callback (a body, a pipelined request, a partial head) are copied out of it first, so
 * one buffer serves all connections (the callback runs to its end before the next read).
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export type FrontHandler = (req: FastRequest, res: FastResponse) => void;

/** The front's timeouts (tests shorten them). */
export interface FrontTimeouts {
  /** An idle keep-alive connection (no request running, none arriving) is closed after this. */
  readonly keepAliveMs: number;
  /** A head still incomplete this long after its first byte is answered 408. */
  readonly headersMs: number;
  /** How often connections are checked: both timeouts fire up to this much late, never early. */
  readonly sweepMs: number;
}

const DEFAULT_TIMEOUTS: FrontTimeouts = { keepAliveMs: KEEP_ALIVE_TIMEOUT_MS, headersMs: HEADERS_TIMEOUT_MS, sweepMs: SWEEP_MS };

export class HttpFront {
  /** The listening server; Nimbus listens on it and maps its errors. */
  readonly server: NetServer;
  private readonly connections = new Set<Connection>();
  /**
   * One coarse timer for every connection, running while there are any, instead of a socket
   * timeout each: node re-arms a socket's timer on every read and every write (a timer-list
   * remove and insert, twice per request); here a request only sets a flag.
   */
  private sweeper: NodeJS.Timeout | undefined;

  /** `node` gets the connections the fast path does not take; it is not listening itself. */
  constructor(
    private readonly handler: FrontHandler,
    readonly node: HttpServer,
    readonly timeouts: FrontTimeouts = DEFAULT_TIMEOUTS,
  ) {
    // allowHalfOpen: a handed-off socket must be what node:http's own server makes (it decides
    // itself what a client's FIN means); the fast path ends the connection on it (onEnd).
    // pauseOnConnect: the accepted socket must not start reading; its handle is adopted by a
    // socket that reads into READ_BUFFER (adopt) before any byte arrives.
    this.server = createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, pauseOnConnect: true }, (accepted) => {
      this.connections.add(new Connection(this, accepted));
      if (this.sweeper === undefined) {
        this.sweeper = setInterval(this.sweep, this.timeouts.sweepMs);
        this.sweeper.unref();
      }
    });
    // node:http tracks its connections (closeAllConnections, headersTimeout) from its own
    // 'listening' event, which it never sees here.
    this.server.once("listening", () => this.node.emit("listening"));
  }

  run(req: FastRequest, res: FastResponse): void {
    this.handler(req, res);
  }

  forget(c: Connection): void {
    this.connections.delete(c);
    if (this.connections.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const c of this.connections) c.sweep(now);
  };

  /** Stops listening and ends every connection, fast or handed to node:http. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const c of this.connections) c.socket.destroy();
      this.connections.clear();
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      // Not listening: close() only stops node's connection checks (no callback: it would get ERR_SERVER_NOT_RUNNING).
      this.node.close();
      this.node.closeAllConnections();
    });
  }
}

/** One client connection while the fast path serves it. */
class Connection implements ResponseSink {
  /** Bytes read and not yet consumed: one contiguous Buffer... */
  private buf: Buffer = EMPTY;
  /** ...plus the chunks of a body still arriving, joined once it is all there. */
  private chunks: Buffer[] = [];
  private chunked = 0;
  /** Bytes `buf` (with `chunks`) must reach before parsing again: a parsed head's whole request. */
  private need = 0;
  /** How far `buf` was searched for the head's end, so a fragmented head is not searched again from the start. */
  private scanned = 0;
  /** When the current head's first byte arrived (0: none pending). */
  private headStart = 0;
  private current: FastResponse | null = null;
  private processing = false;
  private gone = false;
  /**
   * The previous head's header names, as sent and as keys, by line: a client sends the same
   * names in the same order on every request, and a name found again here is neither checked
   * nor sliced and lowered again, and its key is a string V8 has already internalized (a new
   * string as a property key is hashed and looked up first).
   */
  private lastRaw: string[] = [];
  private lastKeys: string[] = [];
  /**
   * The header map's maker for the names of lastKeys[0, madeFor) (headerMaker), and this
   * head's values by line: a head with the same names as the previous one gets its map from
   * an object literal (one allocation, every property in the object, one shape) instead of a
   * store per name into an empty object (a megamorphic keyed store and a shape transition
   * each, the property array grown twice).
   */
  private maker: HeaderMaker | undefined = undefined;
  private madeFor = 0;
  private readonly values: string[] = [];
  /** Set by every read and every answer; the sweep clears it, noting when it last saw it set. */
  private active = true;
  private lastActive = Date.now();

  /** `buf` is a view of READ_BUFFER: copied out before the read callback returns, and by anything keeping it. */
  private borrowed = false;
  private handedOff = false;
  readonly socket: Socket;

  constructor(
    private readonly front: HttpFront,
    accepted: Socket,
  ) {
    const socket = adopt(accepted, this.onRead);
    this.socket = socket;
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    socket.on("error", ignore);
  }

  /** `n` bytes read into `read` (READ_BUFFER): nothing of it may be kept past this call without a copy. */
  private readonly onRead = (n: number, read: Buffer): void => {
    if (this.handedOff) {
      // node:http's parser reads the handle itself; bytes come here only if it let go of it
      // (a 'data' listener added later): they go to the socket's readable side as node expects.
      this.socket.push(copyOf(read, 0, n));
      return;
    }
    this.active = true;
    if (this.need > 0 && this.buf.length + this.chunked + n < this.need) {
      this.chunks.push(copyOf(read, 0, n));
      this.chunked += n;
      return;
    }
    if (this.buf.length === 0 && this.chunked === 0) {
      this.buf = read.subarray(0, n);
      this.borrowed = true;
    } else this.buf = this.join(read.subarray(0, n));
    // A request is running: pipelined bytes wait; past a bound, stop reading until it is answered.
    if (this.current !== null) {
      if (this.buf.length > FAST_BODY_MAX + HEAD_MAX) this.socket.pause();
    } else this.process();
    if (this.borrowed) {
      this.borrowed = false;
      this.buf = this.buf.length === 0 ? EMPTY : copyOf(this.buf, 0, this.buf.length);
    }
  };

  private join(chunk: Buffer): Buffer {
    const parts = [this.buf, ...this.chunks, chunk];
    const size = this.buf.length + this.chunked + chunk.length;
    this.chunks = [];
    this.chunked = 0;
    return Buffer.concat(parts, size);
  }

  /** Parses and runs the requests in `buf`, one at a time; re-entered from responseDone. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.current === null && !this.gone && this.buf.length > 0 && this.buf.length >= this.need) {
        if (!this.next()) break;
      }
    } finally {
      this.processing = false;
    }
  }

  /** Takes one request from `buf` if it is all there; false when more bytes are needed or the connection left the fast path. */
  private next(): boolean {
    const buf = this.buf;
    // llhttp skips empty lines before a request line (RFC 9112 section 2.2).
    let start = 0;
    while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    // The head's end, searched in the bytes not searched yet, up to where a head may end, as
    // latin1 text (one byte, one character): the text is then the head, with no Buffer
    // indexOf and toString wrappers (their argument checks were ~2% of a PutItem in perf).
    const from = Math.max(start, this.scanned - 3);
    const stop = Math.min(buf.length, start + HEAD_MAX + 4);
    const text = from < stop ? latin1Slice(buf, from, stop) : "";
    const at = text.indexOf("\r\n\r\n");
    const end = at < 0 ? -1 : from + at;
    if (end < 0) {
      if (buf.length - start > HEAD_MAX) return this.handOff();
      this.scanned = buf.length;
      const now = Date.now();
      if (this.headStart === 0) this.headStart = now;
      else if (now - this.headStart > this.front.timeouts.headersMs) this.timeout408();
      return false;
    }
    if (end - start > HEAD_MAX) return this.handOff();
    const head = from === start ? text.slice(0, at) : latin1Slice(buf, start, end);

    // 1. Request line: METHOD SP request-target SP HTTP/1.1.
    const lineEnd = lineEndOf(head, 0);
    if (lineEnd < 0) return this.handOff();
    const sp1 = head.indexOf(" ");
    const sp2 = sp1 < 0 ? -1 : head.indexOf(" ", sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd || lineEnd - sp2 !== 9 || !head.startsWith("HTTP/1.1", sp2 + 1)) return this.handOff();
    const method = head.slice(0, sp1);
    const url = head.slice(sp1 + 1, sp2);
    if (!KNOWN_METHODS.has(method) || !printable(url)) return this.handOff();

    // 2. Header lines: name ":" OWS value OWS; repeats joined with "," (what the gateway
    //    made of node's rawHeaders). Anything the fast path does not serve goes to node.
    const values = this.values;
    let names = 0;
    /** Every name so far is the previous head's on the same line. */
    let same = true;
    let contentLength = -1;
    let keepAlive = true;
    let host = false;
    let pos = lineEnd + 2;
    while (pos < head.length) {
      const le = lineEndOf(head, pos);
      if (le < 0) return this.handOff();
      // The name: the previous head's name on this line followed by a colon (lastRaw), or a
      // token up to the colon, lower-cased only when it has a capital (most SDKs send
      // lower-case names). Characters are read from `buf` (head[i] is buf[start + i]):
      // indexing a Buffer costs a third of charCodeAt here.
      let i: number;
      let name: string;
      const known = this.lastRaw[names];
      if (known !== undefined && buf[start + pos + known.length] === 58 && head.startsWith(known, pos)) {
        i = pos + known.length;
        name = this.lastKeys[names];
      } else {
        same = false;
        i = pos;
        let upper = false;
        for (; i < le; i++) {
          const t = TOKEN_CHAR[buf[start + i]];
          if (t === 0) break;
          if (t === 2) upper = true;
        }
        if (i === pos || i === le || buf[start + i] !== 58 /* : */) return this.handOff();
        const raw = head.slice(pos, i);
        name = upper ? raw.toLowerCase() : raw;
        if (names < MAX_REMEMBERED_NAMES) {
          this.lastRaw[names] = raw;
          this.lastKeys[names] = name;
        }
      }
      // The value, without the OWS around it. A control character (HTAB aside) goes to node,
      // which refuses it: CR and LF were checked by lineEndOf and the request line's
      // characters above, so this is the head's one check for the others.
      let a = i + 1;
      let b = le;
      while (a < b && isOws(buf[start + a])) a++;
      while (b > a && isOws(buf[start + b - 1])) b--;
      for (let j = start + a; j < start + b; j++) {
        const c = buf[j];
        if ((c < 32 && c !== 9) || c === 127) return this.handOff();
      }
      const value = head.slice(a, b);
      switch (name) {
        case "content-length": {
          if (!decimalDigits(value)) return this.handOff();
          const n = Number(value);
          if ((contentLength >= 0 && n !== contentLength) || n > FAST_BODY_MAX) return this.handOff();
          contentLength = n;
          break;
        }
        case "transfer-encoding":
        case "expect":
        case "upgrade":
          return this.handOff();
        case "connection": {
          // What the SDKs send: no lower-casing copy or regular expressions for it.
          if (value === "keep-alive") break;
          const tokens = value.toLowerCase();
          if (tokens.includes("upgrade")) return this.handOff();
          if (/(^|[\s,])close($|[\s,])/.test(tokens)) keepAlive = false;
          break;
        }
        case "host":
          host = true;
          break;
      }
      values[names] = value;
      names++;
      pos = le + 2;
    }
    let headers: Record<string, string>;
    if (same && names === this.madeFor && this.maker !== undefined) headers = this.maker(values);
    else {
      headers = {};
      const keys = this.lastKeys;
      this.maker = undefined;
      if (names <= MAX_REMEMBERED_NAMES) {
        // Stored without looking first (a keyed load per name cost more than the count below).
        for (let k = 0; k < names; k++) headers[keys[k]] = values[k];
        // A name that came twice (or "__proto__"): the map again, repeats joined; no maker.
        if (Object.keys(headers).length !== names) headers = joinRepeats(head, lineEnd + 2);
        else {
          this.maker = headerMaker(keys, names);
          this.madeFor = names;
        }
      } else headers = joinRepeats(head, lineEnd + 2);
    }
    // Node 20 answers an HTTP/1.1 request without Host with 400 (requireHostHeader).
    if (!host) return this.handOff();

    // 3. The body: all of it must be here.
    const bodyStart = end + 4;
    const total = bodyStart + (contentLength < 0 ? 0 : contentLength);
    if (buf.length < total) {
      this.need = total;
      return false;
    }
    // The handler keeps the body past this read: out of READ_BUFFER with it.
    const body = total === bodyStart ? EMPTY : this.borrowed ? copyOf(buf, bodyStart, total) : buf.subarray(bodyStart, total);
    this.buf = total === buf.length ? EMPTY : buf.subarray(total);
    this.need = 0;
    this.scanned = 0;
    this.headStart = 0;

    // 4. Run it.
    const res = new FastResponse(this, method === "HEAD", keepAlive);
    this.current = res;
    this.front.run(new FastRequest(method, url, headers, this.socket, body), res);
    return true;
  }

  responseDone(res: FastResponse, keepAlive: boolean): void {
    if (res !== this.current) return;
    this.current = null;
    this.active = true;
    if (this.gone) return;
    if (!keepAlive) {
      this.finish();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.process();
  }

  /** Ends the connection once what was written has gone out. */
  private finish(): void {
    this.gone = true;
    this.front.forget(this);
    this.socket.end();
  }

  /**
   * The client shut its side: as node:http (httpAllowHalfOpen false) the connection ends, and a
   * request still running sees its response close unfinished (a long poll stops waiting).
   */
  private readonly onEnd = (): void => {
    if (!this.gone) this.finish();
  };

  private readonly onClose = (): void => {
    this.gone = true;
    this.front.forget(this);
    const res = this.current;
    this.current = null;
    res?.abandon();
  };

  /**
   * The front's periodic look (HttpFront.sweep): what a socket timeout re-armed by every read
   * and write would do, as node:http's keepAliveTimeout and headersTimeout.
   */
  sweep(now: number): void {
    if (this.active) {
      this.active = false;
      this.lastActive = now;
    }
    // A request still running (a long poll, a slow handler) is not timed out: node:http's requestTimeout is 0.
    if (this.current !== null || this.gone) return;
    const t = this.front.timeouts;
    if (this.headStart !== 0 && now - this.headStart > t.headersMs) return this.timeout408();
    // A body still arriving is waited for, as node:http does (no body timeout).
    if (this.need > 0 || now - this.lastActive < t.keepAliveMs) return;
    if (this.buf.length > 0) this.timeout408();
    else this.socket.destroy();
  }

  private timeout408(): void {
    this.gone = true;
    this.front.forget(this);
    this.socket.end(TIMEOUT_408, "latin1");
  }

  /**
   * Gives the connection to node:http, with the bytes read so far; returns false (nothing more
   * for the fast path). TODO(perf): the connection stays node's after its slow request (an SDK
   * socket that once sent a >1 MiB or 100-continue upload); taking it back between requests
   * needs node's parser to stop consuming the handle.
   */
  private handOff(): boolean {
    const socket = this.socket;
    this.gone = true;
    this.handedOff = true;
    this.front.forget(this);
    socket.off("end", this.onEnd);
    socket.off("close", this.onClose);
    socket.off("error", ignore);
    // node's parser may keep slices of what it is given (a body chunk): never READ_BUFFER's bytes.
    const pending = this.chunked > 0 ? this.join(EMPTY) : this.borrowed ? copyOf(this.buf, 0, this.buf.length) : this.buf;
    this.buf = EMPTY;
    this.borrowed = false;
    if (socket.isPaused()) socket.resume();
    this.front.node.emit("connection", socket);
    // Node's parser reads the handle itself from now on; what this side already read reaches
    // it through the data listener it just added.
    if (pending.length > 0) socket.emit("data", pending);
    return false;
  }
}

/**
 * A socket over the accepted connection's handle that reads into READ_BUFFER and calls
 * `onRead` (net.Socket's `onread` option, which net.Server has no way to set on the sockets it
 * accepts). Why: a socket read the usual way allocates a 64 KiB buffer per read (then shrunk),
 * wraps it in a Buffer and pushes it through the Readable machinery, 'data' event and a
 * nextTick; with `onread` the bytes land in one reused buffer and one callback runs, which
 * measured ~11-20% of the CPU a bare node:net server spends per request (bench/dynamodb
 * NET_FLOOR). net.Server counts a connection through the socket it made (`_server`, which
 * net's destroy decrements): the adopting socket takes that over and the accepted one, never
 * read, is left without a handle. Without a handle to adopt (not a TCP socket), the accepted
 * socket is read the usual way through the same callback.
 */
function adopt(accepted: Socket, onRead: (n: number, read: Buffer) => void): Socket {
  const inner = accepted as unknown as { _handle?: object | null; _server?: unknown; server?: unknown };
  const handle = inner._handle;
  if (!handle) {
    accepted.on("data", (chunk: Buffer) => onRead(chunk.length, chunk));
    accepted.resume();
    return accepted;
  }
  const socket = new Socket({ handle, allowHalfOpen: true, onread: { buffer: READ_BUFFER, callback: onRead } } as ConstructorParameters<typeof Socket>[0]);
  const adopted = socket as unknown as typeof inner;
  adopted._server = inner._server;
  adopted.server = inner.server;
  inner._server = null;
  inner._handle = null;
  return socket;
}

/** A copy of `buf[from, to)` in memory of its own (Buffer's pool for small ones). */
function copyOf(buf: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  buf.copy(out, 0, from, to);
  return out;
}

/**
 * Where the head's line starting at `pos` ends (its CRLF's CR, or the end of the head), or -1
 * when a CR or LF in it is not part of a CRLF (llhttp refuses a lone one). The head holds no
 * empty line: it ends before the first CRLFCRLF.
 */
function lineEndOf(head: string, pos: number): number {
  const lf = head.indexOf("\n", pos);
  const cr = head.indexOf("\r", pos);
  if (lf < 0) return cr < 0 ? head.length : -1;
  return cr === lf - 1 ? cr : -1;
}

/** Makes a header map from a head's values by line (Connection.values), for one list of names. */
type HeaderMaker = (values: readonly string[]) => Record<string, string>;
/** Makers by their names joined with ":" (never in a name), shared by connections: clients send the same few lists. */
const makers = new Map<string, HeaderMaker | null>();
const MAKERS_MAX = 256;

/**
 * A function returning an object literal with the names as keys, in order, and the values by
 * position: V8 builds such a literal from one template, every property in the object itself.
 * The names are lower-case token characters (checked by the head parse), none "__proto__" and
 * none repeated (the caller's Object.keys count), so each is a plain own property, as the
 * stores into an empty object made them. None where code cannot be made from strings (node
 * --disallow-code-generation-from-strings): the stores then.
 */
function headerMaker(keys: readonly string[], n: number): HeaderMaker | undefined {
  let id = "";
  for (let k = 0; k < n; k++) id += k === 0 ? keys[k] : `:${keys[k]}`;
  let maker = makers.get(id);
  if (maker === undefined) {
    let body = "return {";
    for (let k = 0; k < n; k++) body += `${k === 0 ? "" : ","}${JSON.stringify(keys[k])}:v[${k}]`;
    try {
      maker = new Function("v", `${body}};`) as HeaderMaker;
    } catch {
      maker = null;
    }
    if (makers.size >= MAKERS_MAX) makers.clear();
    makers.set(id, maker);
  }
  return maker ?? undefined;
}

/** The header map of a head already checked, a repeated name's values joined with "," (what the gateway made of node's rawHeaders). */
function joinRepeats(head: string, from: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let pos = from; pos < head.length; ) {
    const le = lineEndOf(head, pos);
    const colon = head.indexOf(":", pos);
    const name = head.slice(pos, colon).toLowerCase();
    let a = colon + 1;
    let b = le;
    while (a < b && isOws(head.charCodeAt(a))) a++;
    while (b > a && isOws(head.charCodeAt(b - 1))) b--;
    const value = head.slice(a, b);
    const prev = headers[name];
    // typeof, not undefined: a header named like an Object.prototype member ("constructor").
    headers[name] = typeof prev === "string" ? `${prev},${value}` : value;
    pos = le + 2;
  }
  return headers;
}

/** /^\d{1,16}$/ as a loop (a regular expression call per request showed in perf). */
function decimalDigits(v: string): boolean {
  if (v.length === 0 || v.length > 16) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/** A request-target of visible ASCII only (llhttp refuses controls and spaces there). */
function printable(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function ignore(): void {}
