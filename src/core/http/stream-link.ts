// Links one body-decoding stage to the next (request -> aws-chunked -> integrity -> gunzip).
//
// Why not stream.pipeline(): pipeline destroys *every* stream on error, including the first.
// The first is the node:http IncomingMessage, and destroying an incompletely read request
// destroys its socket, so the client would see a connection reset instead of S3's XML error
// (a mid-body SignatureDoesNotMatch, InvalidChunkSizeError, ...). So errors flow forward only:
//   1. an upstream error destroys the downstream stage with it (optionally translated, e.g. a
//      zlib error into an AwsError), so the consumer of the last stage sees every failure;
//   2. an upstream that closes without ending (aborted request) is an incomplete body;
//   3. a downstream that closes (finished, failed, or abandoned by its consumer) unpipes the
//      upstream, and destroys it only when the upstream is one of our own stages
//      (`ownsUpstream`). The raw request is left paused and alive: the gateway, which owns the
//      socket, answers and then drains or closes it.
import type { Readable, Writable } from "node:stream";
import { incompleteBody } from "./body-errors.js";

export interface LinkOptions {
  /** Translate upstream errors before they reach downstream (and so the consumer). */
  mapError?: (e: Error) => Error;
  /** The upstream is an internal stage, destroyed when downstream closes early. */
  ownsUpstream?: boolean;
}

export function link(up: Readable, down: Writable, opts: LinkOptions = {}): void {
  const onError = (err: Error): void => {
    if (!down.destroyed) down.destroy(opts.mapError ? opts.mapError(err) : err);
  };
  const onClose = (): void => {
    if (!up.readableEnded && !down.destroyed) down.destroy(incompleteBody());
  };
  const onDownClose = (): void => {
    up.unpipe(down);
    // The error listener stays (it is a no-op once `down` is destroyed): a late upstream error
    // with no listener at all would be thrown as an uncaught exception.
    if (opts.ownsUpstream && !up.destroyed) up.destroy();
  };
  up.on("error", onError);
  up.on("close", onClose);
  down.on("close", onDownClose);
  up.pipe(down);
}
