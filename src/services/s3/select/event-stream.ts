// The events SelectObjectContent answers with (Records, Stats, Progress, Cont, End, and an error
// after the response began), framed by core/protocols/event-stream.ts.
import { eventMessage, eventStreamMessage } from "../../../core/protocols/event-stream.js";

export function recordsEvent(payload: Buffer): Buffer {
  return eventMessage("Records", "application/octet-stream", payload);
}

export interface Counts {
  scanned: number;
  processed: number;
  returned: number;
}

function countsXml(root: string, c: Counts): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><${root}><BytesScanned>${c.scanned}</BytesScanned><BytesProcessed>${c.processed}</BytesProcessed><BytesReturned>${c.returned}</BytesReturned></${root}>`);
}

export function statsEvent(c: Counts): Buffer {
  return eventMessage("Stats", "text/xml", countsXml("Stats", c));
}

export function progressEvent(c: Counts): Buffer {
  return eventMessage("Progress", "text/xml", countsXml("Progress", c));
}

/** Keep-alive S3 sends while a scan finds nothing to return. */
export function contEvent(): Buffer {
  return eventMessage("Cont", undefined);
}

export function endEvent(): Buffer {
  return eventMessage("End", undefined);
}

/** An error after the response began (CastFailed on a later record...): the stream's last message. */
export function errorEvent(code: string, text: string): Buffer {
  return eventStreamMessage([[":error-code", code], [":error-message", text], [":message-type", "error"]]);
}
