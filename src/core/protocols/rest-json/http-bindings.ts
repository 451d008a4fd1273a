// HTTP bindings of a restJson1 structure (https://smithy.io/2.0/spec/http-bindings.html),
// compiled once per structure: which members travel in the URI labels, the query string,
// headers, prefixed headers, the status code, the payload, or the JSON body. Plus the
// string <-> typed value conversions those locations use.
import { AwsError } from "../../errors.js";
import { formatTimestamp, parseTimestamp, type TimestampFormat } from "../shared/timestamps.js";
import { nodeNeedsWalk, type MemberNode, type ShapeNode, type StructNode } from "../shared/json-shapes.js";

export interface HeaderBinding {
  member: MemberNode;
  /** Header name as the model spells it (X-Amz-Function-Error). */
  name: string;
  lower: string;
}

export interface Bindings {
  labels: MemberNode[];
  queries: Array<{ member: MemberNode; key: string }>;
  queryParams: MemberNode | undefined;
  headers: HeaderBinding[];
  prefixHeaders: Array<{ member: MemberNode; prefix: string; lower: string }>;
  payload: MemberNode | undefined;
  responseCode: MemberNode | undefined;
  /** Members carried in the JSON body (no binding trait). */
  body: MemberNode[];
  /** Some body member needs conversion/renaming. */
  bodyNeedsWalk: boolean;
  /** Nothing but body members: the parsed document can be used as the input itself. */
  onlyBody: boolean;
}

const cache = new WeakMap<StructNode, Bindings>();

export function bindingsOf(node: StructNode): Bindings {
  let b = cache.get(node);
  if (b) return b;
  b = { labels: [], queries: [], queryParams: undefined, headers: [], prefixHeaders: [], payload: undefined, responseCode: undefined, body: [], bodyNeedsWalk: false, onlyBody: true };
  for (const m of node.members) {
    const t = m.traits;
    if (t.httpLabel) b.labels.push(m);
    else if (typeof t.httpQuery === "string") b.queries.push({ member: m, key: t.httpQuery });
    else if (t.httpQueryParams) b.queryParams = m;
    else if (typeof t.httpHeader === "string") b.headers.push({ member: m, name: t.httpHeader, lower: t.httpHeader.toLowerCase() });
    else if (typeof t.httpPrefixHeaders === "string") b.prefixHeaders.push({ member: m, prefix: t.httpPrefixHeaders, lower: t.httpPrefixHeaders.toLowerCase() });
    else if (t.httpPayload) b.payload = m;
    else if (t.httpResponseCode) b.responseCode = m;
    else {
      b.body.push(m);
      if (m.jsonName !== m.name || nodeNeedsWalk(m.node, true)) b.bodyNeedsWalk = true;
      continue;
    }
    b.onlyBody = false;
  }
  cache.set(node, b);
  return b;
}

function bad(message: string): AwsError {
  return new AwsError("SerializationException", message, 400);
}

/** A label, query or header string converted to the member's type (lists handled by callers). */
export function fromHttpString(node: ShapeNode, raw: string, where: string, location: "header" | "query" | "label"): unknown {
  switch (node.kind) {
    case "string":
      // Smithy: a string with a mediaType bound to a header is base64 encoded.
      return location === "header" && node.traits?.mediaType ? Buffer.from(raw, "base64").toString("utf8") : raw;
    case "number":
    case "bigInteger":
    case "bigDecimal": {
      const t = raw.trim();
      if (t === "NaN") return NaN;
      if (t === "Infinity") return Infinity;
      if (t === "-Infinity") return -Infinity;
      const n = Number(t);
      if (t === "" || Number.isNaN(n)) throw bad(`STRING_VALUE can not be converted to a Number at '${where}'`);
      return n;
    }
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw bad(`STRING_VALUE can not be converted to a Boolean at '${where}'`);
    case "timestamp":
      return parseTimestamp(raw, where);
    case "blob":
      return Buffer.from(raw, "base64");
    case "document":
      return JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
    default:
      return raw;
  }
}

/** A typed value as a header string. */
export function toHeaderString(node: ShapeNode, v: unknown): string {
  switch (node.kind) {
    case "string":
      return node.traits?.mediaType ? Buffer.from(String(v), "utf8").toString("base64") : String(v);
    case "timestamp": {
      const fmt = (node.traits?.timestampFormat as TimestampFormat | undefined) ?? "http-date";
      return String(formatTimestamp(v instanceof Date ? v : parseTimestamp(v, "header"), fmt));
    }
    case "blob":
      return Buffer.isBuffer(v) ? v.toString("base64") : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : Buffer.from(String(v)).toString("base64");
    case "list": {
      if (!Array.isArray(v)) return String(v);
      const member = node.member;
      return v
        .map((x) => {
          const s = toHeaderString(member, x);
          return member.kind === "string" && /[",]/.test(s) ? `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : s;
        })
        .join(", ");
    }
    default:
      return String(v);
  }
}

/** A typed value as a query string / label value. */
export function toQueryString(node: ShapeNode, v: unknown): string {
  if (node.kind === "timestamp") {
    const fmt = (node.traits?.timestampFormat as TimestampFormat | undefined) ?? "date-time";
    return String(formatTimestamp(v instanceof Date ? v : parseTimestamp(v, "query"), fmt));
  }
  if (node.kind === "blob") return toHeaderString(node, v);
  return String(v);
}

/** Splits a list-valued header (`a, "b,c", d`); http-date timestamps keep their inner comma. */
export function splitHeaderList(node: ShapeNode, raw: string): string[] {
  if (node.kind === "timestamp" && ((node.traits?.timestampFormat as string | undefined) ?? "http-date") === "http-date") {
    const parts = raw.split(",");
    const out: string[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) out.push(`${parts[i]!.trim()}, ${parts[i + 1]!.trim()}`);
    return out;
  }
  const out: string[] = [];
  let i = 0;
  const n = raw.length;
  while (i < n) {
    while (i < n && (raw[i] === " " || raw[i] === "\t")) i++;
    if (i >= n) break;
    if (raw[i] === '"') {
      let s = "";
      i++;
      while (i < n && raw[i] !== '"') {
        if (raw[i] === "\\" && i + 1 < n) i++;
        s += raw[i];
        i++;
      }
      i++;
      while (i < n && raw[i] !== ",") i++;
      out.push(s);
    } else {
      const start = i;
      while (i < n && raw[i] !== ",") i++;
      out.push(raw.slice(start, i).trim());
    }
    i++;
  }
  return out;
}
