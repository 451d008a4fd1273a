// The binary event-stream framing (application/vnd.amazon.eventstream) that streaming answers use
// (S3 SelectObjectContent, Lambda InvokeWithResponseStream), which the SDKs' event-stream codecs
// parse. One message:
//   1. prelude: total length (uint32 BE), headers length (uint32 BE), CRC32 of those 8 bytes;
//   2. headers: name length (uint8), name, value type (7 = string), value length (uint16 BE), value;
//   3. payload;
//   4. CRC32 of everything before it.
import { crc32 } from "node:zlib";

function header(name: string, value: string): Buffer {
  const n = Buffer.from(name, "utf8");
  const v = Buffer.from(value, "utf8");
  const b = Buffer.allocUnsafe(4 + n.length + v.length);
  b.writeUInt8(n.length, 0);
  n.copy(b, 1);
  b.writeUInt8(7, 1 + n.length);
  b.writeUInt16BE(v.length, 2 + n.length);
  v.copy(b, 4 + n.length);
  return b;
}

/** One framed message with string headers (`:event-type`, `:message-type`...). */
export function eventStreamMessage(headers: Array<[string, string]>, payload: Buffer = Buffer.alloc(0)): Buffer {
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

/** An `event` message of the given type whose payload has the given content type. */
export function eventMessage(eventType: string, contentType: string | undefined, payload?: Buffer): Buffer {
  const headers: Array<[string, string]> = [[":event-type", eventType]];
  if (contentType) headers.push([":content-type", contentType]);
  headers.push([":message-type", "event"]);
  return eventStreamMessage(headers, payload);
}
