// The binary event-stream framing (application/vnd.amazon.eventstream) SelectObjectContent
// answers with, which the SDKs' event-stream codecs parse:
//   prelude: total length (uint32 BE), headers length (uint32 BE), CRC32 of those 8 bytes;
//   headers: name length (uint8), name, value type (7 = string), value length (uint16 BE), value;
//   payload; CRC32 of everything before it.
import { crc32 } from "node:zlib";

function header(name: string, value: string): Buffer {
  const n = Buffer.from(name, "utf8");
  const v = Buffer.from(value, "utf8");
  const b = Buffer.allocUnsafe(1 + n.length + 1 + 2 + v.length);
  b.writeUInt8(n.length, 0);
  n.copy(b, 1);
  b.writeUInt8(7, 1 + n.length);
  b.writeUInt16BE(v.length, 2 + n.length);
  v.copy(b, 4 + n.length);
  return b;
}

export function message(headers: Array<[string, string]>, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.concat(headers.map(([k, v]) => header(k, v)));
  const total = 12 + h.length + payload.length + 4;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(h.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  h.copy(out, 12);
  payload.copy(out, 12 + h.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

export function recordsEvent(payload: Buffer): Buffer {
  return message([[":event-type", "Records"], [":content-type", "application/octet-stream"], [":message-type", "event"]], payload);
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
  return message([[":event-type", "Stats"], [":content-type", "text/xml"], [":message-type", "event"]], countsXml("Stats", c));
}

export function progressEvent(c: Counts): Buffer {
  return message([[":event-type", "Progress"], [":content-type", "text/xml"], [":message-type", "event"]], countsXml("Progress", c));
}

/** Keep-alive S3 sends while a scan finds nothing to return. */
export function contEvent(): Buffer {
  return message([[":event-type", "Cont"], [":message-type", "event"]]);
}

export function endEvent(): Buffer {
  return message([[":event-type", "End"], [":message-type", "event"]]);
}

/** An error after the response began (CastFailed on a later record...): the stream's last message. */
export function errorEvent(code: string, text: string): Buffer {
  return message([[":error-code", code], [":error-message", text], [":message-type", "error"]]);
}
