// HTTP bindings of restXml inputs and outputs (labels, query, headers, prefix headers,
// payload, response code), compiled once per structure shape from the http* traits.
//
// Default timestamp formats: headers http-date, labels and query strings date-time; a
// member's timestampFormat trait wins. List-valued headers are comma-separated (items with a
// comma or quote are quoted; http-dates are not, and are re-paired when read). Header values
// that are not printable US-ASCII are sent RFC 2047 encoded, as S3 does for metadata.
import { AwsError } from "../../errors.js";
import type { MemberRef, ServiceModel, ShapeRef, StructureShape } from "../../model/types.js";
import type { TimestampFormat } from "../shared/timestamps.js";
import { scalarFromString, XmlValueError } from "../shared/xml-shape-reader.js";
import { isHttpBound } from "../shared/xml-shape-writer.js";
import { scalarStringWriter, scalarTextWriter, xmlnsAttribute, type ScalarKind } from "../shared/xml-writer.js";

type Read = (s: string) => unknown;
type ReadList = (values: string[]) => unknown;

export type PayloadKind = "structure" | "blob" | "stream" | "string" | "other";

export interface Payload {
  name: string;
  kind: PayloadKind;
  /** Structure payloads: the target shape, the root element name, its xmlns attribute(s). */
  shape?: string;
  root?: string;
  xmlns?: string;
}

export interface InputPlan {
  labels: Array<{ name: string; read: Read }>;
  queries: Array<{ name: string; key: string; read: ReadList }>;
  queryParams: { name: string; lists: boolean } | undefined;
  boundQueryKeys: Set<string>;
  headers: Array<{ name: string; header: string; read: Read }>;
  /**
   * The header members by lower-cased header name, for shapes with many (HEADER_WALK_MIN) when
   * no two share one (else undefined): the binder walks the request's headers (a dozen from an
   * SDK) rather than looking up each of the shape's (PutObject has 45 header members, most absent).
   */
  headerByName: Map<string, { name: string; header: string; read: Read }> | undefined;
  prefixHeaders: Array<{ name: string; prefix: string }>;
  payload: Payload | undefined;
  /** Members not bound to the HTTP message: read from an XML body rooted at the input shape. */
  hasUnbound: boolean;
}

export interface OutputHeader {
  name: string;
  header: string;
  write: (v: unknown) => string;
}

export interface OutputPlan {
  headers: OutputHeader[];
  /**
   * The header members by member name: the serializer walks the output's own keys (a
   * GetObject output has ~10, its shape ~45 header members, and a lookup of each absent member
   * on the handler's object was most of serializing a response).
   */
  headerByName: Map<string, OutputHeader>;
  prefixHeaders: Array<{ name: string; prefix: string }>;
  responseCode: string | undefined;
  payload: Payload | undefined;
  hasUnbound: boolean;
  /** Root element of the unbound members' document: the output shape's xmlName, else its name. */
  root: string;
  xmlns: string;
  /**
   * Set when the document root is named like its only (scalar) member: the value is then the
   * root's text (`<LocationConstraint>eu-west-1</LocationConstraint>`, S3 GetBucketLocation),
   * which is what AWS sends and the only form botocore reads; the SDK v3 reads both.
   */
  rootText: { name: string; write: (v: unknown) => string } | undefined;
}

const inputPlans = new WeakMap<StructureShape, InputPlan>();
const outputPlans = new WeakMap<StructureShape, OutputPlan>();

function kindOf(ref: ShapeRef): ScalarKind | "list" | "map" | "structure" {
  if (typeof ref === "object") return ref.type;
  return /^[A-Z]/.test(ref) ? "structure" : (ref as ScalarKind);
}

function badValue(where: string, value: string, kind: string): AwsError {
  return new AwsError("InvalidArgument", `Invalid value for ${where}: "${value.slice(0, 128)}" is not a valid ${kind}`, 400);
}

function scalarReader(ref: ShapeRef, format: TimestampFormat, where: string, mediaType?: string): Read {
  const kind = typeof ref === "string" ? ref : "string";
  return (s) => {
    try {
      if (kind === "timestamp") {
        // Lenient on format: any of the three is accepted whatever the trait says.
        return scalarFromString("timestamp", s, where);
      }
      if (kind === "string" && mediaType) return Buffer.from(s, "base64").toString("utf8");
      // S3 reads boolean headers case-insensitively: botocore before 1.29 sends "True".
      if (kind === "boolean") return scalarFromString(kind, s.toLowerCase(), where);
      return scalarFromString(kind, s, where);
    } catch (e) {
      if (e instanceof XmlValueError) throw badValue(where, s, kind);
      throw e;
    }
  };
}

/** Splits a list-valued header: comma-separated, double-quoted items may hold commas. */
export function splitHeaderList(value: string, httpDates: boolean): string[] {
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === " " || value[i] === "\t")) i++;
    if (i >= n) break;
    if (value[i] === '"') {
      let item = "";
      i++;
      while (i < n && value[i] !== '"') {
        if (value[i] === "\\" && i + 1 < n) i++;
        item += value[i++];
      }
      i++;
      out.push(item);
      while (i < n && value[i] !== ",") i++;
      i++;
    } else {
      const comma = value.indexOf(",", i);
      const end = comma === -1 ? n : comma;
      out.push(value.slice(i, end).trim());
      i = end + 1;
    }
  }
  if (!httpDates) return out;
  // "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec ..." splits into day-name and date halves.
  const dates: string[] = [];
  for (let k = 0; k < out.length; k++) {
    if (/^[A-Za-z]{3}$/.test(out[k]) && k + 1 < out.length) {
      dates.push(`${out[k]}, ${out[k + 1]}`);
      k++;
    } else dates.push(out[k]);
  }
  return dates;
}

function headerReader(member: MemberRef, where: string): Read {
  const t = member.target;
  if (typeof t === "object" && t.type === "list") {
    const itemRef = t.member.target;
    const fmt = t.member.traits?.timestampFormat ?? member.traits?.timestampFormat ?? "http-date";
    const item = scalarReader(itemRef, fmt, where);
    const dates = itemRef === "timestamp" && fmt === "http-date";
    return (s) => splitHeaderList(s, dates).map(item);
  }
  return scalarReader(t, member.traits?.timestampFormat ?? "http-date", where, member.traits?.mediaType);
}

function queryReader(member: MemberRef, where: string): ReadList {
  const t = member.target;
  if (typeof t === "object" && t.type === "list") {
    const item = scalarReader(t.member.target, t.member.traits?.timestampFormat ?? member.traits?.timestampFormat ?? "date-time", where);
    return (values) => values.map(item);
  }
  const one = scalarReader(t, member.traits?.timestampFormat ?? "date-time", where);
  return (values) => one(values[0]);
}

function payloadOf(service: ServiceModel, name: string, member: MemberRef): Payload {
  const t = member.target;
  if (t === "blob") return { name, kind: member.traits?.streaming ? "stream" : "blob" };
  if (t === "string") return { name, kind: "string" };
  if (typeof t === "string" && service.shapes[t]) {
    const shape = service.shapes[t];
    if (shape.traits?.streaming) return { name, kind: "other" }; // event streams: not XML
    return {
      name,
      kind: "structure",
      shape: t,
      root: member.traits?.xmlName ?? shape.traits?.xmlName ?? t,
      xmlns: xmlnsAttribute(shape.traits?.xmlNamespace ?? service.xmlNamespace),
    };
  }
  return { name, kind: "other" };
}

/**
 * From how many header members on the binder walks the request's headers instead: an SDK sends
 * a dozen or so, and below this the shape's own list is as short (GetObject: 11).
 */
const HEADER_WALK_MIN = 20;

export function inputPlan(service: ServiceModel, shapeName: string): InputPlan {
  const shape = service.shapes[shapeName];
  let plan = inputPlans.get(shape);
  if (plan) return plan;
  plan = { labels: [], queries: [], queryParams: undefined, boundQueryKeys: new Set(), headers: [], headerByName: undefined, prefixHeaders: [], payload: undefined, hasUnbound: false };
  for (const name of Object.keys(shape.members)) {
    const m = shape.members[name];
    const tr = m.traits ?? {};
    if (tr.httpLabel) plan.labels.push({ name, read: scalarReader(m.target, tr.timestampFormat ?? "date-time", name) });
    else if (tr.httpQuery !== undefined) {
      plan.queries.push({ name, key: tr.httpQuery, read: queryReader(m, tr.httpQuery) });
      plan.boundQueryKeys.add(tr.httpQuery);
    } else if (tr.httpQueryParams) {
      const t = m.target;
      plan.queryParams = { name, lists: typeof t === "object" && t.type === "map" && typeof t.value.target === "object" };
    } else if (tr.httpHeader !== undefined) plan.headers.push({ name, header: tr.httpHeader.toLowerCase(), read: headerReader(m, tr.httpHeader) });
    else if (tr.httpPrefixHeaders !== undefined) plan.prefixHeaders.push({ name, prefix: tr.httpPrefixHeaders.toLowerCase() });
    else if (tr.httpPayload) plan.payload = payloadOf(service, name, m);
    else if (!isHttpBound(tr)) plan.hasUnbound = true;
  }
  const byName = new Map(plan.headers.map((h) => [h.header, h]));
  if (byName.size === plan.headers.length && plan.headers.length >= HEADER_WALK_MIN) plan.headerByName = byName;
  inputPlans.set(shape, plan);
  return plan;
}

/**
 * Whether a header value is printable US-ASCII plus tab. Anything else S3 sends RFC 2047
 * encoded ("to make them mail-safe"); node:http would otherwise send Latin-1 bytes or refuse
 * the value. A loop: every response header goes through it, and for these short values it is
 * cheaper than the regex /^[\t\x20-\x7e]*$/ it replaces.
 */
function headerSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && c !== 0x09)) return false;
  }
  return true;
}

/** A header value as sent: RFC 2047 (UTF-8, base64) when it is not printable US-ASCII. */
export function headerValue(s: string): string {
  return headerSafe(s) ? s : `=?UTF-8?B?${Buffer.from(s, "utf8").toString("base64")}?=`;
}

function quoteItem(s: string): string {
  return /[",]/.test(s) ? `"${s.replace(/(["\\])/g, "\\$1")}"` : s;
}

function headerWriter(member: MemberRef): (v: unknown) => string {
  const t = member.target;
  if (typeof t === "object" && t.type === "list") {
    const itemRef = t.member.target;
    const fmt = t.member.traits?.timestampFormat ?? member.traits?.timestampFormat ?? "http-date";
    const item = scalarStringWriter(kindOf(itemRef) as ScalarKind, fmt);
    const quote = itemRef !== "timestamp";
    return (v) => (Array.isArray(v) ? v.map((x) => (quote ? quoteItem(item(x)) : item(x))).join(", ") : item(v));
  }
  const str = scalarStringWriter(kindOf(t) as ScalarKind, member.traits?.timestampFormat ?? "http-date");
  if (t === "string" && member.traits?.mediaType) return (v) => Buffer.from(str(v), "utf8").toString("base64");
  return str;
}

export function outputPlan(service: ServiceModel, shapeName: string): OutputPlan {
  const shape = service.shapes[shapeName];
  let plan = outputPlans.get(shape);
  if (plan) return plan;
  const root = shape.traits?.xmlName ?? shapeName;
  plan = {
    headers: [],
    headerByName: new Map(),
    prefixHeaders: [],
    responseCode: undefined,
    payload: undefined,
    hasUnbound: false,
    root,
    xmlns: xmlnsAttribute(shape.traits?.xmlNamespace ?? service.xmlNamespace),
    rootText: undefined,
  };
  const unbound: string[] = [];
  for (const name of Object.keys(shape.members)) {
    const m = shape.members[name];
    const tr = m.traits ?? {};
    if (tr.httpHeader !== undefined) {
      const h = { name, header: tr.httpHeader, write: headerWriter(m) };
      plan.headers.push(h);
      plan.headerByName.set(name, h);
    }
    else if (tr.httpPrefixHeaders !== undefined) plan.prefixHeaders.push({ name, prefix: tr.httpPrefixHeaders });
    else if (tr.httpResponseCode) plan.responseCode = name;
    else if (tr.httpPayload) plan.payload = payloadOf(service, name, m);
    else if (!isHttpBound(tr)) unbound.push(name);
  }
  plan.hasUnbound = unbound.length > 0;
  if (unbound.length === 1 && shape.traits?.xmlName) {
    const only = shape.members[unbound[0]];
    const k = kindOf(only.target);
    if ((only.traits?.xmlName ?? unbound[0]) === root && k !== "structure" && k !== "list" && k !== "map") {
      plan.rootText = { name: unbound[0], write: scalarTextWriter(k, only.traits?.timestampFormat ?? "date-time") };
    }
  }
  outputPlans.set(shape, plan);
  return plan;
}
