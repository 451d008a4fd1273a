// Low-level XML writing shared by the XML protocols (awsQuery, ec2Query, restXml): escaping
// and the scalar text forms. Everything is plain string building; the common case (nothing
// to escape) costs one regex test and returns the input unchanged.
//
// Escaping follows what AWS sends and what the SDKs' XML builders write: in text, & < > and
// the double quote (S3 writes ETags as &quot;...&quot;), plus CR, LF, NEL and LINE SEPARATOR
// as character references so they survive XML end-of-line normalization; C0 control
// characters other than tab, which XML 1.0 cannot carry literally, also become character
// references (what S3 does for such keys). Attributes escape & < > " and TAB/CR/LF
// (attribute-value normalization would otherwise turn them into spaces).
import { formatTimestamp, parseTimestamp, type TimestampFormat } from "./timestamps.js";

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

const TEXT_TEST = /[&<>"\u0000-\u0008\u000a-\u001f\u0085\u2028]/;
const ATTR_TEST = /[&<>"\u0000-\u001f]/;

const HEX = "0123456789ABCDEF";

// The reference for one character that needs escaping in text (attr: in an attribute), or
// undefined when it can stay literal. A plain loop: String#replace with a callback costs
// about a microsecond per call.
function textRef(c: number, attr: boolean): string | undefined {
  switch (c) {
    case 38:
      return "&amp;";
    case 60:
      return "&lt;";
    case 62:
      return "&gt;";
    case 34:
      return "&quot;";
    case 9:
      return attr ? "&#x09;" : undefined;
    case 0x85:
      return attr ? undefined : "&#x85;";
    case 0x2028:
      return attr ? undefined : "&#x2028;";
  }
  return c < 32 ? `&#x${HEX[c >> 4]}${HEX[c & 15]};` : undefined;
}

function escapeWith(s: string, attr: boolean): string {
  let out = "";
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const ref = textRef(s.charCodeAt(i), attr);
    if (ref === undefined) continue;
    out += s.slice(last, i) + ref;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** Escapes character data (element text). */
export function escapeXmlText(s: string): string {
  return TEXT_TEST.test(s) ? escapeWith(s, false) : s;
}

/** Escapes an attribute value (to be written between double quotes). */
export function escapeXmlAttr(s: string): string {
  return ATTR_TEST.test(s) ? escapeWith(s, true) : s;
}

/** ` xmlns="uri"` / ` xmlns:prefix="uri"` from an xmlNamespace trait value ([prefix, uri], {uri, prefix} or "uri"). */
export function xmlnsAttribute(ns: unknown): string {
  if (ns === undefined || ns === null) return "";
  let prefix: string | undefined;
  let uri: string | undefined;
  if (typeof ns === "string") uri = ns;
  else if (Array.isArray(ns)) {
    // The SDK schemas carry [prefix, uri]; an empty/absent prefix is the default namespace.
    prefix = ns[0] ? String(ns[0]) : undefined;
    uri = ns[1] !== undefined ? String(ns[1]) : undefined;
  } else if (typeof ns === "object") {
    const o = ns as { uri?: unknown; prefix?: unknown };
    uri = o.uri !== undefined ? String(o.uri) : undefined;
    prefix = o.prefix ? String(o.prefix) : undefined;
  }
  if (!uri) return "";
  return prefix ? ` xmlns:${prefix}="${escapeXmlAttr(uri)}"` : ` xmlns="${escapeXmlAttr(uri)}"`;
}

/** A self-contained element with already-escaped content. */
export function element(name: string, escapedContent: string): string {
  return `<${name}>${escapedContent}</${name}>`;
}

/** Base64 of a blob value as handlers give it (Buffer, Uint8Array, or a string taken as UTF-8). */
export function blobToBase64(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString("base64");
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  return Buffer.from(String(v), "utf8").toString("base64");
}

/** Text of a timestamp value in the given format (a Date, or anything parseTimestamp accepts). */
export function timestampText(v: unknown, format: TimestampFormat): string {
  const d = v instanceof Date ? v : parseTimestamp(v, "timestamp");
  return format === "date-time" ? d.toISOString() : String(formatTimestamp(d, format));
}

export type ScalarKind = "string" | "number" | "boolean" | "blob" | "timestamp" | "document" | "bigInteger" | "bigDecimal" | "unit";

/** A function turning a scalar value into its unescaped string form (headers, attributes, query strings). */
export function scalarStringWriter(kind: ScalarKind, tsFormat: TimestampFormat = "date-time"): (v: unknown) => string {
  switch (kind) {
    case "string":
    case "number":
    case "bigInteger":
    case "bigDecimal":
      return (v) => (typeof v === "string" ? v : String(v));
    case "boolean":
      return (v) => (v === true || v === "true" ? "true" : "false");
    case "timestamp":
      return (v) => timestampText(v, tsFormat);
    case "blob":
      return blobToBase64;
    case "document":
      return (v) => (typeof v === "string" ? v : JSON.stringify(v));
    case "unit":
      return () => "";
  }
}

/**
 * A function turning a scalar value into its escaped XML text, for one (kind, timestamp
 * format) pair. Handlers are trusted to pass SDK types; a mismatched primitive (a number
 * given as a string) is written as its string form rather than rejected.
 */
export function scalarTextWriter(kind: ScalarKind, tsFormat: TimestampFormat = "date-time"): (v: unknown) => string {
  switch (kind) {
    case "string":
      return (v) => escapeXmlText(typeof v === "string" ? v : String(v));
    case "number":
    case "bigInteger":
    case "bigDecimal":
      return (v) => (typeof v === "number" ? String(v) : escapeXmlText(String(v)));
    case "boolean":
      return (v) => (v === true || v === "true" ? "true" : "false");
    case "timestamp":
      return (v) => timestampText(v, tsFormat);
    case "blob":
      return blobToBase64;
    case "document":
      return (v) => escapeXmlText(typeof v === "string" ? v : JSON.stringify(v));
    case "unit":
      return () => "";
  }
}
