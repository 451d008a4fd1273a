// A body already in memory as a stream, for the consumers that want one (a decoding stage, a
// streaming operation, a raw hook): the HTTP front hands the gateway whole bodies as Buffers.
import { Readable } from "node:stream";

/** A stream of one Buffer: pushes it on the first read and ends. */
export class BufferReadable extends Readable {
  private bytes: Buffer | undefined;

  constructor(bytes: Buffer) {
    super();
    this.bytes = bytes;
  }

  override _read(): void {
    const b = this.bytes;
    this.bytes = undefined;
    if (b !== undefined && b.length > 0) this.push(b);
    this.push(null);
  }
}

/** `source` as a Readable (a Buffer wrapped in a BufferReadable). */
export function asReadable(source: Readable | Buffer): Readable {
  return Buffer.isBuffer(source) ? new BufferReadable(source) : source;
}
