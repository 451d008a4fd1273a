// Validation of what a sender supplies (body, message attributes, system attributes, FIFO ids)
// with AWS's wording, the size a message counts against MaximumMessageSize, and the stored form
// of attributes (binary values base64).
import { AwsError } from "../../core/errors.js";
import { invalidParameterValue, missingParameter } from "./common.js";
import type { AttributeValue } from "./md5.js";
import type { StoredAttribute } from "./store.js";

/** What SendMessage and a SendMessageBatch entry have in common. */
export interface SendInput {
  MessageBody?: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, InputAttribute>;
  MessageSystemAttributes?: Record<string, InputAttribute>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

export interface InputAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array | string;
  StringListValues?: string[];
  BinaryListValues?: Array<Uint8Array | string>;
}

// XML 1.0 characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (no lone surrogates).
const VALID_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const INVALID_CHARS_MESSAGE =
  "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF";
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.\-\u00C0-\u017F]+$/;
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function toBytes(v: Uint8Array | string): Buffer {
  // Protocols hand blobs over as Buffers; a string is taken as base64 (as on the wire).
  return typeof v === "string" ? Buffer.from(v, "base64") : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function validateBody(body: string | undefined): string {
  if (body === undefined || body === "") throw missingParameter("MessageBody");
  if (!VALID_CHARS.test(body)) throw new AwsError("InvalidMessageContents", INVALID_CHARS_MESSAGE, 400);
  return body;
}

/** Validates message attributes; returns them as the MD5 and storage want them. */
export function validateMessageAttributes(attrs: Record<string, InputAttribute> | undefined): Record<string, AttributeValue> | undefined {
  if (!attrs) return undefined;
  const names = Object.keys(attrs);
  if (names.length === 0) return undefined;
  if (names.length > 10) throw invalidParameterValue(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  const out: Record<string, AttributeValue> = {};
  for (const name of names) {
    if (Buffer.byteLength(name, "utf8") >= 256) throw invalidParameterValue("Message (user) attribute names must be shorter than 256 Bytes");
    if (!ATTRIBUTE_NAME.test(name) || name.includes("..")) {
      throw invalidParameterValue(
        "Message (user) attributes name can only contain upper and lower score characters, digits, periods, hyphens and underscores. ",
      );
    }
    const lower = name.toLowerCase();
    if (lower.startsWith("aws.") || lower.startsWith("amazon.") || name.startsWith(".") || name.endsWith(".")) {
      throw invalidParameterValue(
        "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use. Additionally, they cannot start or end with '.'.",
      );
    }
    out[name] = validateAttributeValue(name, attrs[name], "user");
  }
  return out;
}

function validateAttributeValue(name: string, a: InputAttribute, kind: "user" | "system"): AttributeValue {
  const type = a.DataType;
  if (type === undefined || type === "") throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
  if (Buffer.byteLength(type, "utf8") >= 256) throw invalidParameterValue(`Message (${kind}) attribute types must be shorter than 256 Bytes`);
  const base = /^(String|Number|Binary)(\..+)?$/.exec(type)?.[1];
  if (!base) {
    throw invalidParameterValue(
      `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
    );
  }
  if (base === "Binary") {
    if (a.StringValue !== undefined) throw invalidParameterValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
    const bytes = a.BinaryValue === undefined ? undefined : toBytes(a.BinaryValue);
    if (!bytes || bytes.length === 0) throw invalidParameterValue(`Message (${kind}) attribute '${name}' must contain a non-empty value of type 'Binary'.`);
    return { DataType: type, BinaryValue: bytes };
  }
  if (a.BinaryValue !== undefined) throw invalidParameterValue(`The message attribute '${name}' with type '${base}' must use field 'String'.`);
  const s = a.StringValue;
  if (s === undefined || s === "") throw invalidParameterValue(`Message (${kind}) attribute '${name}' must contain a non-empty value of type '${base}'.`);
  if (!VALID_CHARS.test(s)) throw invalidParameterValue(INVALID_CHARS_MESSAGE);
  if (base === "Number") {
    // TODO(parity): AWS also bounds Number to 38 significant digits and 10^-128..10^+126.
    if (!NUMBER.test(s.trim())) throw invalidParameterValue(`Can't cast the value of message (${kind}) attribute '${name}' to a number.`);
  }
  return { DataType: type, StringValue: s };
}

/** MessageSystemAttributes: only AWSTraceHeader (String) exists. */
export function validateSystemAttributes(attrs: Record<string, InputAttribute> | undefined): Record<string, AttributeValue> | undefined {
  if (!attrs) return undefined;
  const names = Object.keys(attrs);
  if (names.length === 0) return undefined;
  const out: Record<string, AttributeValue> = {};
  for (const name of names) {
    if (name !== "AWSTraceHeader") throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    const v = validateAttributeValue(name, attrs[name], "system");
    if (v.DataType !== "String") throw invalidParameterValue(`Message system attribute '${name}' must be of type 'String'.`);
    out[name] = v;
  }
  return out;
}

/** Bytes a message counts against MaximumMessageSize: body plus attribute names, types and values. */
export function messageSize(body: string, attrs: Record<string, AttributeValue> | undefined): number {
  let n = Buffer.byteLength(body, "utf8");
  for (const [name, v] of Object.entries(attrs ?? {})) {
    n += Buffer.byteLength(name, "utf8") + Buffer.byteLength(v.DataType ?? "", "utf8");
    if (v.StringValue !== undefined) n += Buffer.byteLength(v.StringValue, "utf8");
    if (v.BinaryValue !== undefined) n += v.BinaryValue.length;
  }
  return n;
}

/** Raw request size of a SendMessageBatch entry (for BatchRequestTooLong), before validation. */
export function rawEntrySize(e: SendInput): number {
  let n = Buffer.byteLength(e.MessageBody ?? "", "utf8");
  for (const [name, v] of Object.entries(e.MessageAttributes ?? {})) {
    n += Buffer.byteLength(name, "utf8") + Buffer.byteLength(v.DataType ?? "", "utf8");
    if (typeof v.StringValue === "string") n += Buffer.byteLength(v.StringValue, "utf8");
    if (v.BinaryValue !== undefined) n += toBytes(v.BinaryValue).length;
  }
  return n;
}

export function validateFifoId(name: "MessageGroupId" | "MessageDeduplicationId", value: string | undefined): void {
  if (value === undefined) return;
  if (!FIFO_ID.test(value)) {
    throw invalidParameterValue(
      `Value ${value} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
}

export function storeAttributes(attrs: Record<string, AttributeValue> | undefined): string | null {
  if (!attrs) return null;
  const out: Record<string, StoredAttribute> = {};
  for (const [k, v] of Object.entries(attrs)) {
    out[k] = v.BinaryValue !== undefined ? { DataType: v.DataType ?? "Binary", BinaryValue: Buffer.from(v.BinaryValue).toString("base64") } : { DataType: v.DataType ?? "String", StringValue: v.StringValue };
  }
  return JSON.stringify(out);
}

export function loadAttributes(text: string | null): Record<string, AttributeValue> {
  if (!text) return {};
  const stored = JSON.parse(text) as Record<string, StoredAttribute>;
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(stored)) {
    out[k] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue, "base64") } : { DataType: v.DataType, StringValue: v.StringValue };
  }
  return out;
}
