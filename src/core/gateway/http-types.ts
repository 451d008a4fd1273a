// What the gateway needs of an HTTP exchange: a narrow request/response pair that both
// node:http's IncomingMessage/ServerResponse and the lean HTTP front's own pair
// (core/server/fast-exchange.ts) satisfy. The front hands a body it already holds as a
// Buffer, so a request that needs no decoding stage never becomes a stream.
import type { OutgoingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

/** The request line, headers and socket facts the pipeline reads. */
export interface GatewayRequestHead {
  readonly method?: string;
  readonly url?: string;
  /**
   * Lower-cased names. node:http's map drops or merges repeated headers its own way (see
   * rawHeaders); the front's is already Nimbus's map (`joinedHeaders`).
   */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Names and values as sent, in pairs; read only when `headers` may have lost a repeat. */
  readonly rawHeaders: readonly string[];
  /** True when `headers` is final: lower-cased names, every value a string, repeats joined with ",". */
  readonly joinedHeaders?: boolean;
  readonly socket: { readonly remoteAddress?: string | undefined };
  /** Whether every byte of the body was read (the gateway drains the rest after an early answer). */
  readonly readableEnded: boolean;
  resume(): unknown;
}

/** A body the front read whole before the request ran. */
export interface BufferedRequest extends GatewayRequestHead {
  readonly bufferedBody: Buffer;
}

/** A body still arriving: the request is its own stream (node:http's IncomingMessage). */
export type StreamedRequest = GatewayRequestHead & Readable & { readonly bufferedBody?: undefined };

export type GatewayRequest = BufferedRequest | StreamedRequest;

/** The answer side: what the gateway, the internal API and a piped body use. */
export interface GatewayResponse extends NodeJS.WritableStream {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  destroy(error?: Error): this;
}

/** The body of a request as a stream (raw hooks, streaming operations): a buffered one is wrapped once. */
export function requestBodySource(req: GatewayRequest): Readable | Buffer {
  return req.bufferedBody !== undefined ? req.bufferedBody : req;
}
