// restJson1 (https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html): the router has
// matched the URI template (labels arrive decoded in req.labels); members bound by httpQuery,
// httpQueryParams, httpHeader, httpPrefixHeaders and httpPayload come from those places, the
// rest from a JSON body whose keys honour jsonName. Timestamps: epoch seconds in the body,
// http-date in headers, date-time in query strings and labels (a timestampFormat trait wins).
//
// Errors (what Lambda, EFS... send, and what @aws-sdk/core AwsRestJsonProtocol reads):
//   status  AwsError.status, else the shape's httpError, else 400/500
//   header  x-amzn-ErrorType: <Code>   (the SDK reads the code from here first)
//   body    {"<message|Message>": ..., <error members by jsonName>}
//           Error shapes with a `Type` member (Lambda's) get "User" for client faults and
//           "Service" for server faults when the handler leaves it unset, as Lambda sends
//           `{"Type":"User","Message":"Function not found: ..."}`.
//   Error members bound to headers (Retry-After on TooManyRequestsException) go to headers.
import { Readable } from "node:stream";
import type { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { HttpResponse, OperationRef, Protocol, ProtocolRequest, ResponseMeta } from "../types.js";
import { fillIdempotencyTokens, fixNonFinite, hasNonFiniteLiteral, isPlainObject, parseJsonDocument, readJsonBody, readValue, stringifyJson, writeValue } from "../shared/json-codec.js";
import { resolveError } from "../shared/json-errors.js";
import { structNode, type MemberNode, type StructNode } from "../shared/json-shapes.js";
import { bindingsOf, fromHttpString, splitHeaderList, toHeaderString, type Bindings } from "./http-bindings.js";

const JSON_TYPE = "application/json";

function parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Record<string, unknown> {
  const inputName = op.model.input;
  if (!inputName) return {};
  const node = structNode(service, inputName);
  const b = bindingsOf(node);
  let input: Record<string, unknown>;
  if (b.onlyBody) {
    input = readJsonBody(node, req.body, true);
  } else {
    input = {};
    if (b.body.length > 0 && req.body && req.body.length > 0) {
      const text = req.body.toString("utf8");
      readBodyMembers(b, parseJsonDocument(text), input);
      if (hasNonFiniteLiteral(text)) fixNonFinite(node, input);
    }
    bindLabels(b, req, input);
    if (b.queries.length > 0 || b.queryParams) bindQuery(b, req, input);
    if (b.headers.length > 0 || b.prefixHeaders.length > 0) bindHeaders(b, req, input);
    if (b.payload) bindPayload(b.payload, req, input);
  }
  fillIdempotencyTokens(node, input);
  return input;
}

function readBodyMembers(b: Bindings, doc: Record<string, unknown>, input: Record<string, unknown>): void {
  for (const m of b.body) {
    const v = doc[m.jsonName];
    if (v === undefined) continue;
    input[m.name] = v === null || !b.bodyNeedsWalk ? v : readValue(m.node, v, true, m.name);
  }
}

function bindLabels(b: Bindings, req: ProtocolRequest, input: Record<string, unknown>): void {
  const labels = req.labels;
  if (!labels) return;
  for (const m of b.labels) {
    const raw = labels[m.name];
    if (raw !== undefined) input[m.name] = fromHttpString(m.node, raw, m.camel, "label");
  }
}

function bindQuery(b: Bindings, req: ProtocolRequest, input: Record<string, unknown>): void {
  const all = new Map<string, string[]>();
  for (const [k, v] of req.query) {
    const list = all.get(k);
    if (list) list.push(v);
    else all.set(k, [v]);
  }
  const bound = new Set<string>();
  for (const { member: m, key } of b.queries) {
    const values = all.get(key);
    if (!values) continue;
    bound.add(key);
    if (m.node.kind === "list") {
      const inner = m.node.member;
      input[m.name] = values.map((v) => fromHttpString(inner, v, m.camel, "query"));
    } else {
      input[m.name] = fromHttpString(m.node, values[0]!, m.camel, "query");
    }
  }
  const qp = b.queryParams;
  if (qp && qp.node.kind === "map") {
    const listValued = qp.node.value.kind === "list";
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [k, values] of all) {
      if (bound.has(k)) continue;
      out[k] = listValued ? values : values[0];
      any = true;
    }
    if (any) input[qp.name] = out;
  }
}

function bindHeaders(b: Bindings, req: ProtocolRequest, input: Record<string, unknown>): void {
  const headers = req.headers;
  for (const { member: m, lower } of b.headers) {
    const raw = headers[lower];
    if (raw === undefined) continue;
    if (m.node.kind === "list") {
      const inner = m.node.member;
      input[m.name] = splitHeaderList(inner, raw).map((s) => fromHttpString(inner, s, m.camel, "header"));
    } else {
      input[m.name] = fromHttpString(m.node, raw, m.camel, "header");
    }
  }
  for (const { member: m, lower } of b.prefixHeaders) {
    const out: Record<string, string> = {};
    let any = false;
    for (const k in headers) {
      if (k.startsWith(lower)) {
        out[k.slice(lower.length)] = headers[k]!;
        any = true;
      }
    }
    if (any) input[m.name] = out;
  }
}

function bindPayload(m: MemberNode, req: ProtocolRequest, input: Record<string, unknown>): void {
  const kind = m.node.kind;
  if (kind === "blob") {
    if (req.stream) input[m.name] = req.stream;
    else if (req.body && req.body.length > 0) input[m.name] = req.body;
    return;
  }
  if (!req.body || req.body.length === 0) return;
  if (kind === "string") {
    input[m.name] = req.body.toString("utf8");
    return;
  }
  input[m.name] = m.node.kind === "structure" || m.node.kind === "union" ? readJsonBody(m.node, req.body, true) : parseJsonDocument(req.body);
}

// ---------------------------------------------------------------------------------------

function setHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const lower = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k !== name && k.toLowerCase() === lower) delete headers[k];
  headers[name] = value;
}

/** Writes header-bound and prefix-header members of `value` into `headers`. */
function writeHeaders(b: Bindings, value: Record<string, unknown>, headers: Record<string, string | string[]>): void {
  for (const { member: m, name } of b.headers) {
    const v = value[m.name];
    if (v === undefined || v === null) continue;
    setHeader(headers, name, toHeaderString(m.node, v));
  }
  for (const { member: m, prefix } of b.prefixHeaders) {
    const map = value[m.name];
    if (!isPlainObject(map)) continue;
    for (const k in map) if (map[k] != null) headers[prefix + k] = String(map[k]);
  }
}

/** The JSON body object of the body-bound members. */
function bodyObject(b: Bindings, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of b.body) {
    const v = value[m.name];
    if (v === undefined || v === null) continue;
    out[m.jsonName] = b.bodyNeedsWalk ? writeValue(m.node, v, true) : v;
  }
  return out;
}

function serializeResponse(output: Record<string, unknown> | undefined, service: ServiceModel, op: OperationRef, meta: ResponseMeta): HttpResponse {
  const headers: Record<string, string | string[]> = { "x-amzn-RequestId": meta.requestId };
  let status = op.model.http?.code ?? 200;
  const outputName = op.model.output;
  // No output structure: no body (Smithy restJson1; TagResource answers a bare 204).
  if (!outputName) return { status, headers };
  const node = structNode(service, outputName);
  const b = bindingsOf(node);
  const out = output ?? {};
  let body: string | Buffer | Readable | undefined;
  if (b.payload) {
    const m = b.payload;
    const v = out[m.name];
    if (m.node.kind === "union" && m.node.traits?.streaming) {
      // Event streams (Lambda InvokeWithResponseStream): the handler hands over the framed messages.
      if (!(v instanceof Readable)) throw new Error(`restJson1: event stream payload ${node.name}.${m.name} must be a Readable of framed messages`);
      headers["Content-Type"] = "application/vnd.amazon.eventstream";
      body = v;
    } else if (v !== undefined && v !== null) {
      if (m.node.kind === "blob") {
        headers["Content-Type"] = (m.traits.mediaType as string | undefined) ?? "application/octet-stream";
        body = v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : (v as Buffer | string | Readable);
      } else if (m.node.kind === "string") {
        headers["Content-Type"] = (m.traits.mediaType as string | undefined) ?? "text/plain";
        body = String(v);
      } else {
        headers["Content-Type"] = JSON_TYPE;
        body = stringifyJson(writeValue(m.node, v, true));
      }
    }
  } else if (b.body.length > 0) {
    headers["Content-Type"] = JSON_TYPE;
    body = stringifyJson(bodyObject(b, out));
  }
  writeHeaders(b, out, headers);
  if (b.responseCode) {
    const code = out[b.responseCode.name];
    if (typeof code === "number" && code >= 100 && code < 600) status = code;
  }
  if (status === 204 || status === 304) {
    // These statuses carry no body (RFC 9110); Lambda's DeleteFunction answers 204 this way.
    for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-type") delete headers[k];
    if (body instanceof Readable) body.destroy();
    return { status, headers };
  }
  return { status, headers, body };
}

function serializeError(err: AwsError, service: ServiceModel | undefined, _op: OperationRef | undefined, meta: ResponseMeta): HttpResponse {
  const r = resolveError(service, err);
  const headers: Record<string, string | string[]> = { ...err.headers };
  headers["Content-Type"] = JSON_TYPE;
  headers["x-amzn-RequestId"] = meta.requestId;
  headers["x-amzn-ErrorType"] = r.code;
  const doc: Record<string, unknown> = {};
  const shape: StructNode | undefined = r.shape;
  if (shape?.byName.get("Type")?.node.kind === "string" && err.fields.Type === undefined) {
    doc.Type = r.fault === "Receiver" ? "Service" : "User";
  }
  doc[r.messageKey] = err.message;
  if (shape) {
    const b = bindingsOf(shape);
    Object.assign(doc, bodyObject(b, err.fields));
    writeHeaders(b, err.fields, headers);
  } else {
    for (const k in err.fields) if (err.fields[k] !== undefined) doc[k] = err.fields[k];
  }
  return { status: r.status, headers, body: stringifyJson(doc) };
}

export const restJson1: Protocol = {
  id: "restJson1",
  parseRequest,
  serializeResponse,
  serializeError,
};
