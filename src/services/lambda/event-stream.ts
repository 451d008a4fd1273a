// The binary event-stream framing (application/vnd.amazon.eventstream) of InvokeWithResponseStream,
// which the SDKs' event-stream codecs parse:
//   prelude: total length (uint32 BE), headers length (uint32 BE), CRC32 of those 8 bytes;
//   headers: name length (uint8), name, value type (7 = string), value length (uint16 BE), value;
//   payload; CRC32 of everything before it.
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

function message(headers: Array<[string, string]>, payload: Buffer): Buffer {
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

/** A PayloadChunk event: bytes of the response as the function wrote them. */
export function payloadChunk(bytes: Buffer): Buffer {
  return message([[":event-type", "PayloadChunk"], [":content-type", "application/octet-stream"], [":message-type", "event"]], bytes);
}

/** The InvokeComplete event ending the stream (ErrorCode/ErrorDetails when the function failed, LogResult with LogType Tail). */
export function invokeComplete(doc: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string }): Buffer {
  return message([[":event-type", "InvokeComplete"], [":content-type", "application/json"], [":message-type", "event"]], Buffer.from(JSON.stringify(doc)));
}
