// Buffer methods node defines on every Buffer and its typings leave out: what toString() and
// write() call after parsing their encoding and checking their arguments. The request path
// calls them directly where that dispatch showed in perf (the front's head, the answer's bytes,
// the canonical request's encoding).

/** A Buffer with node's unchecked latin1/UTF-8 readers and writers. */
export type DirectBuffer = Buffer & {
  latin1Write(s: string, offset: number): number;
  utf8Write(s: string, offset: number): number;
  latin1Slice(from: number, to: number): string;
};

/** Whether this node has them (every supported one does; checked where a fallback is cheap). */
export const HAS_DIRECT_METHODS = typeof (Buffer.prototype as Partial<DirectBuffer>).utf8Write === "function";

/** `buf[from, to)` as latin1 text: toString("latin1", from, to) without its argument checks. */
export function latin1Slice(buf: Buffer, from: number, to: number): string {
  return (buf as DirectBuffer).latin1Slice(from, to);
}
