// Model-driven conversion between JSON documents (as JSON.parse returns them / as
// JSON.stringify takes them) and the SDK-v3-typed values handlers exchange.
//
// Parsing converts IN PLACE (the parsed document is ours) and only along the paths the
// compiled shape marks as needy (json-shapes.ts): epoch-seconds numbers or ISO strings become
// Date, base64 strings become Buffer, and in restJson1 mode jsonName keys are renamed to member
// names. Serializing copies only the needy objects (shallowly) and leaves every other value
// by reference, so JSON.stringify does the rest.
//
// Non-finite floats: the Smithy JSON protocols write NaN/Infinity/-Infinity as the strings
// "NaN", "Infinity", "-Infinity". Walking every number of every request to find them would
// defeat the passthrough, so: a request body is walked for them only when its text contains
// such a literal (one substring scan), and a response is re-stringified with a replacer only
// when its text contains `null` (which is what JSON.stringify makes of a non-finite number;
// handlers never put null in outputs).
//
// Known limit: bigInteger/bigDecimal travel as JS numbers (no service in models/ uses them).
import { randomUUID } from "node:crypto";
import { AwsError } from "../../errors.js";
import { formatTimestamp, parseTimestamp, type TimestampFormat } from "./timestamps.js";
import { nodeNeedsWalk, type ShapeNode, type StructNode } from "./json-shapes.js";

/**
 * Parses a JSON request body of structure `node` and converts it for handlers (Date, Buffer,
 * jsonName in restJson1 mode, "NaN"/"Infinity" in number members).
 */
export function readJsonBody(node: StructNode | undefined, body: Buffer | string | undefined, rest: boolean): Record<string, unknown> {
  if (body === undefined || body.length === 0) return {};
  const text = typeof body === "string" ? body : body.toString("utf8");
  const doc = parseJsonDocument(text);
  if (node) {
    if (rest ? node.needsRest : node.needsRpc) readStruct(node, doc, rest);
    if (hasNonFiniteLiteral(text)) fixNonFinite(node, doc);
  }
  return doc;
}

/** Whether a JSON text may hold a non-finite float ("NaN", "Infinity", "-Infinity"). */
export function hasNonFiniteLiteral(text: string): boolean {
  return text.includes('"NaN"') || text.includes('Infinity"');
}

/** JSON.stringify, writing non-finite numbers as the Smithy JSON protocols do. */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes("null") ? JSON.stringify(value, nonFiniteReplacer) : text;
}

function nonFiniteReplacer(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
}

/** Turns "NaN"/"Infinity"/"-Infinity" strings in number members of `value` into numbers, in place. */
export function fixNonFinite(node: ShapeNode, value: unknown): unknown {
  switch (node.kind) {
    case "number":
      return value === "NaN" ? NaN : value === "Infinity" ? Infinity : value === "-Infinity" ? -Infinity : value;
    case "list":
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = fixNonFinite(node.member, value[i]);
      return value;
    case "map":
      if (isPlainObject(value)) for (const k in value) value[k] = fixNonFinite(node.value, value[k]);
      return value;
    case "structure":
    case "union":
      if (isPlainObject(value)) {
        for (const m of node.members) {
          const v = value[m.name];
          if (v !== undefined && v !== null) value[m.name] = fixNonFinite(m.node, v);
        }
      }
      return value;
    default:
      return value;
  }
}

/** Parses a JSON request body; an empty body is `{}`. Throws SerializationException as AWS words it. */
export function parseJsonDocument(body: Buffer | string | undefined): Record<string, unknown> {
  if (body === undefined || body.length === 0) return {};
  const text = typeof body === "string" ? body : body.toString("utf8");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    if (text.trim() === "") return {};
    // Coral answers a body it cannot parse with SerializationException (DynamoDB often with no
    // message at all); the SDKs only read the code, so the message just says what went wrong.
    throw new AwsError("SerializationException", "Unable to parse request body as JSON.", 400);
  }
  if (doc === null) return {};
  if (typeof doc !== "object") {
    throw new AwsError("SerializationException", "Unexpected value type in payload", 400);
  }
  if (Array.isArray(doc)) throw new AwsError("SerializationException", "Start of list found where not expected", 400);
  return doc as Record<string, unknown>;
}

/**
 * The text of the top-level object member `name` of a JSON document `text` (which JSON.parse
 * accepted), when that value is an object: the exact characters the parsed value came from.
 * Undefined when the text holds a backslash (an escape could hide a quote, or spell the name),
 * when the member is absent, appears twice (JSON.parse keeps the last) or is not an object.
 * Without escapes a string ends at the next quote, so the scan jumps from quote to quote and
 * counts brackets between them.
 */
export function memberText(text: string, name: string): string | undefined {
  if (text.indexOf("\\") >= 0) return undefined;
  const n = text.length;
  let depth = 0;
  let start = -1;
  let end = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return undefined;
      // A key of the top-level object: a string at depth 1 followed by a colon.
      if (depth === 1 && close - i - 1 === name.length && text.startsWith(name, i + 1)) {
        let j = close + 1;
        while (j < n && isJsonSpace(text.charCodeAt(j))) j++;
        if (j < n && text.charCodeAt(j) === 58 /* : */) {
          if (start >= 0) return undefined; // a second member of that name
          j++;
          while (j < n && isJsonSpace(text.charCodeAt(j))) j++;
          if (text.charCodeAt(j) !== 123 /* { */) return undefined;
          start = j;
          depth++;
          i = j;
          continue;
        }
      }
      i = close;
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 1 && start >= 0 && end < 0) end = i + 1;
    }
  }
  return start >= 0 && end > start ? text.slice(start, end) : undefined;
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Converts a parsed JSON structure in place; `rest` = restJson1 (honours jsonName). */
export function readStruct(node: StructNode, obj: Record<string, unknown>, rest: boolean): Record<string, unknown> {
  const walk = rest ? node.walkRest : node.walkRpc;
  for (let i = 0; i < walk.length; i++) {
    const m = walk[i]!;
    const key = rest ? m.jsonName : m.name;
    const v = obj[key];
    if (v === undefined) continue;
    if (key !== m.name) delete obj[key];
    obj[m.name] = v === null ? v : readValue(m.node, v, rest, m.name);
  }
  return obj;
}

export function readValue(node: ShapeNode, v: unknown, rest: boolean, where: string): unknown {
  switch (node.kind) {
    case "timestamp":
      return parseTimestamp(v, where);
    case "blob":
      return toBuffer(v);
    case "list": {
      if (!Array.isArray(v) || !nodeNeedsWalk(node.member, rest)) return v;
      for (let i = 0; i < v.length; i++) if (v[i] != null) v[i] = readValue(node.member, v[i], rest, where);
      return v;
    }
    case "map": {
      if (!isPlainObject(v) || !nodeNeedsWalk(node.value, rest)) return v;
      for (const k in v) if (v[k] != null) v[k] = readValue(node.value, v[k], rest, where);
      return v;
    }
    case "structure":
    case "union":
      return isPlainObject(v) ? readStruct(node, v, rest) : v;
    default:
      return v;
  }
}

function toBuffer(v: unknown): unknown {
  if (typeof v === "string") return Buffer.from(v, "base64");
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

/** A JSON-ready copy of a structure value: only needy members are converted/renamed. */
export function writeStruct(node: StructNode, obj: Record<string, unknown>, rest: boolean): Record<string, unknown> {
  const walk = rest ? node.walkRest : node.walkRpc;
  if (walk.length === 0) return obj;
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < walk.length; i++) {
    const m = walk[i]!;
    const v = obj[m.name];
    if (v === undefined || v === null) continue;
    out ??= { ...obj };
    const w = writeValue(m.node, v, rest);
    if (rest && m.jsonName !== m.name) {
      delete out[m.name];
      out[m.jsonName] = w;
    } else {
      out[m.name] = w;
    }
  }
  return out ?? obj;
}

export function writeValue(node: ShapeNode, v: unknown, rest: boolean): unknown {
  switch (node.kind) {
    case "timestamp": {
      const format = (node.traits?.timestampFormat as TimestampFormat | undefined) ?? "epoch-seconds";
      return formatTimestamp(v instanceof Date ? v : parseTimestamp(v, "timestamp"), format);
    }
    case "blob":
      return blobToBase64(v);
    case "bigInteger":
    case "bigDecimal":
      return typeof v === "bigint" ? Number(v) : v;
    case "list": {
      if (!Array.isArray(v) || !nodeNeedsWalk(node.member, rest)) return v;
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = v[i] == null ? v[i] : writeValue(node.member, v[i], rest);
      return out;
    }
    case "map": {
      if (!isPlainObject(v) || !nodeNeedsWalk(node.value, rest)) return v;
      const out: Record<string, unknown> = {};
      for (const k in v) {
        const x = v[k];
        out[k] = x == null ? x : writeValue(node.value, x, rest);
      }
      return out;
    }
    case "structure":
    case "union":
      return isPlainObject(v) ? writeStruct(node, v, rest) : v;
    default:
      return v;
  }
}

export function blobToBase64(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString("base64");
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (typeof v === "string") return Buffer.from(v, "utf8").toString("base64");
  return v;
}

/**
 * Fills absent idempotencyToken members with a fresh UUID, as Smithy clients do (the SDKs
 * generate one when the caller omits it; curl and hand-written clients may not).
 */
export function fillIdempotencyTokens(node: StructNode, input: Record<string, unknown>): void {
  const tokens = node.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const m = tokens[i]!;
    if (input[m.name] == null) input[m.name] = randomUUID();
  }
}
