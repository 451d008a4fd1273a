// The MD5 digests SQS returns beside every message: MD5OfMessageBody (MD5 of the UTF-8 body)
// and MD5OfMessageAttributes / MD5OfMessageSystemAttributes, which use AWS's binary encoding:
// attributes sorted by name (UTF-16 code unit order, as Java's String.compareTo), each encoded
// as length-prefixed name, length-prefixed DataType, one transport byte (1 string, 2 binary,
// 3 string list, 4 binary list) and the length-prefixed value(s); lengths are 4-byte big-endian.
// The SDKs verify these digests and fail the call on a mismatch, so they must be exact.
import { createHash, hash, type Hash } from "node:crypto";

export interface AttributeValue {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
  StringListValues?: string[];
  BinaryListValues?: Uint8Array[];
}

/** Hex MD5 of a string's UTF-8 bytes; one-shot crypto.hash, with no Hash object per message. */
export function md5Hex(text: string): string {
  return hash("md5", text, "hex");
}

function lengthPrefixed(hash: Hash, bytes: Uint8Array): void {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length, 0);
  hash.update(len);
  hash.update(bytes);
}

const STRING = Buffer.from([1]);
const BINARY = Buffer.from([2]);
const STRING_LIST = Buffer.from([3]);
const BINARY_LIST = Buffer.from([4]);

/** MD5 of a message (or system) attribute map with AWS's encoding; undefined for an empty map. */
export function md5OfAttributes(attributes: Record<string, AttributeValue> | undefined): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes);
  if (names.length === 0) return undefined;
  names.sort();
  const hash = createHash("md5");
  for (const name of names) {
    const v = attributes[name];
    lengthPrefixed(hash, Buffer.from(name, "utf8"));
    lengthPrefixed(hash, Buffer.from(v.DataType ?? "", "utf8"));
    if (v.StringValue !== undefined) {
      hash.update(STRING);
      lengthPrefixed(hash, Buffer.from(v.StringValue, "utf8"));
    } else if (v.BinaryValue !== undefined) {
      hash.update(BINARY);
      lengthPrefixed(hash, v.BinaryValue);
    } else if (v.StringListValues && v.StringListValues.length > 0) {
      hash.update(STRING_LIST);
      for (const s of v.StringListValues) lengthPrefixed(hash, Buffer.from(s, "utf8"));
    } else if (v.BinaryListValues && v.BinaryListValues.length > 0) {
      hash.update(BINARY_LIST);
      for (const b of v.BinaryListValues) lengthPrefixed(hash, b);
    }
  }
  return hash.digest("hex");
}
