// restXml (S3, S3 Control, Route 53): HTTP-bound members (see http-bindings.ts) plus an XML
// body, either the httpPayload member or the unbound members rooted at the input/output
// shape's xmlName (else its name), with the service's xmlNamespace on the root.
//
// Errors: with the overlay's noErrorWrapping (S3, S3 Control)
//   <Error><Code>c</Code><Message>m</Message>[fields]<RequestId>id</RequestId><HostId>id2</HostId></Error>
// otherwise (Route 53)
//   <ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code>c</Code><Message>m</Message>[fields]</Error>
//     <RequestId>id</RequestId></ErrorResponse>
// HEAD responses, 204 and 304 carry no body. Every response carries x-amz-request-id and
// x-amz-id-2 (S3's) and x-amzn-RequestId (the others').
import { Readable } from "node:stream";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import { RESPONSE_HEADERS, RESPONSE_STATUS } from "../../service.js";
import type { HttpResponse, OperationRef, Protocol, ProtocolRequest, ResponseMeta } from "../types.js";
import { resolveXmlError, xmlErrorFields } from "../shared/xml-errors.js";
import { parseXml, XmlSyntaxError, type XmlElement } from "../shared/xml-reader.js";
import { readXmlStruct, XmlValueError } from "../shared/xml-shape-reader.js";
import { xmlStructBody, xmlStructElement } from "../shared/xml-shape-writer.js";
import { escapeXmlAttr, escapeXmlText, XML_DECLARATION } from "../shared/xml-writer.js";
import { headerValue, inputPlan, outputPlan, type InputPlan } from "./http-bindings.js";

export const XML_CONTENT_TYPE = "application/xml";

function malformedXml(): AwsError {
  return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

/** Scratch bytes for extendedRequestId (a UUID request id: 43 bytes with the prefix). */
const ID2_SCRATCH = Buffer.alloc(128);
const ID2_PREFIX = "nimbus/";
ID2_SCRATCH.write(ID2_PREFIX, 0, "latin1");
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * S3's extended request id, derived from the request id so header and error body agree: the
 * base64 of "nimbus/<id>"'s UTF-8 bytes. An ASCII id (every id Nimbus makes) is written into a
 * scratch buffer behind the prefix and encoded from there: Buffer.from + toString allocated two
 * objects per response (~2.7 µs, 2.5% of a 4 KiB GetObject's CPU; this is ~0.9 µs).
 */
export function extendedRequestId(requestId: string): string {
  if (requestId.length > ID2_SCRATCH.length - ID2_PREFIX.length || !ASCII_ONLY.test(requestId)) {
    return Buffer.from(`${ID2_PREFIX}${requestId}`).toString("base64");
  }
  const n = ID2_SCRATCH.write(requestId, ID2_PREFIX.length, "latin1");
  return ID2_SCRATCH.toString("base64", 0, ID2_PREFIX.length + n);
}

function requestIdHeaders(meta: ResponseMeta, id2: string): Record<string, string> {
  return { "x-amz-request-id": meta.requestId, "x-amz-id-2": id2, "x-amzn-RequestId": meta.requestId };
}

function parseBody(body: Buffer): XmlElement {
  try {
    return parseXml(body.toString("utf8"));
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw malformedXml();
    throw e;
  }
}

function readBody<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof XmlValueError) throw malformedXml();
    throw e;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

function bindHttp(plan: InputPlan, req: ProtocolRequest, out: Record<string, unknown>): void {
  if (plan.labels.length) {
    const labels = req.labels ?? {};
    for (const l of plan.labels) {
      const v = labels[l.name];
      if (v !== undefined) out[l.name] = l.read(v);
    }
  }
  if (plan.queries.length || plan.queryParams) {
    let grouped: Map<string, string[]> | undefined;
    for (const [k, v] of req.query) {
      grouped ??= new Map();
      const list = grouped.get(k);
      if (list) list.push(v);
      else grouped.set(k, [v]);
    }
    if (grouped) {
      for (const q of plan.queries) {
        const values = grouped.get(q.key);
        if (values) out[q.name] = q.read(values);
      }
      if (plan.queryParams) {
        const map: Record<string, unknown> = {};
        let any = false;
        for (const [k, values] of grouped) {
          if (plan.boundQueryKeys.has(k) || k === "__proto__") continue;
          map[k] = plan.queryParams.lists ? values : values[0];
          any = true;
        }
        if (any) out[plan.queryParams.name] = map;
      }
    }
  }
  const byName = plan.headerByName;
  if (byName) {
    for (const name in req.headers) {
      const h = byName.get(name);
      if (h !== undefined) out[h.name] = h.read(req.headers[name]);
    }
  } else {
    for (const h of plan.headers) {
      const v = req.headers[h.header];
      if (v !== undefined) out[h.name] = h.read(v);
    }
  }
  if (plan.prefixHeaders.length) {
    for (const p of plan.prefixHeaders) {
      const map: Record<string, string> = {};
      let any = false;
      for (const name in req.headers) {
        if (name.length > p.prefix.length && name.startsWith(p.prefix)) {
          const key = name.slice(p.prefix.length);
          if (key === "__proto__") continue;
          map[key] = req.headers[name];
          any = true;
        }
      }
      if (any) out[p.name] = map;
    }
  }
}

function bindBody(service: ServiceModel, inputShape: string, plan: InputPlan, body: Buffer | undefined, req: ProtocolRequest, out: Record<string, unknown>): void {
  const p = plan.payload;
  if (p) {
    switch (p.kind) {
      case "stream":
        if (req.stream) out[p.name] = req.stream;
        else if (body && body.length) out[p.name] = Readable.from([body]);
        return;
      case "blob":
        if (body && body.length) out[p.name] = body;
        return;
      case "string":
        if (body && body.length) out[p.name] = body.toString("utf8");
        return;
      case "structure":
        if (body && body.length) {
          const root = parseBody(body);
          out[p.name] = readBody(() => readXmlStruct(service, p.shape!, root));
        }
        return;
      default:
        return;
    }
  }
  if (plan.hasUnbound && body && body.length) {
    const root = parseBody(body);
    Object.assign(out, readBody(() => readXmlStruct(service, inputShape, root, "unbound")));
  }
}

function needsBody(plan: InputPlan): boolean {
  const k = plan.payload?.kind;
  return k === "structure" || k === "blob" || k === "string" || (!plan.payload && plan.hasUnbound);
}

function noBody(op: OperationRef | undefined, status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200) || op?.model.http?.method === "HEAD";
}

export const restXml: Protocol = {
  id: "restXml",

  parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Record<string, unknown> | Promise<Record<string, unknown>> {
    const inputShape = op.model.input;
    if (!inputShape) return {};
    const plan = inputPlan(service, inputShape);
    const out: Record<string, unknown> = {};
    bindHttp(plan, req, out);
    if (!req.body && req.stream && needsBody(plan)) {
      const stream = req.stream;
      return collect(stream).then((body) => {
        bindBody(service, inputShape, plan, body, { ...req, stream: undefined }, out);
        return out;
      });
    }
    bindBody(service, inputShape, plan, req.body, req, out);
    return out;
  },

  serializeResponse(output: Record<string, unknown> | undefined, service: ServiceModel, op: OperationRef, meta: ResponseMeta): HttpResponse {
    const headers: Record<string, string | string[]> = requestIdHeaders(meta, extendedRequestId(meta.requestId));
    let status = op.model.http?.code ?? 200;
    const outputShape = op.model.output;
    if (!outputShape || !output) return { status, headers };
    const plan = outputPlan(service, outputShape);
    // The output's own keys (symbols, such as RESPONSE_STATUS, are not enumerated by for-in).
    for (const name in output) {
      const h = plan.headerByName.get(name);
      if (h === undefined) continue;
      const v = output[name];
      if (v !== undefined && v !== null) headers[h.header] = headerValue(h.write(v));
    }
    for (const p of plan.prefixHeaders) {
      const map = output[p.name] as Record<string, unknown> | undefined;
      if (!map || typeof map !== "object") continue;
      for (const k in map) if (map[k] !== undefined && map[k] !== null) headers[p.prefix + k] = headerValue(String(map[k]));
    }
    if (plan.responseCode) {
      const code = output[plan.responseCode];
      if (typeof code === "number") status = code;
    }
    const forced = (output as { [RESPONSE_STATUS]?: unknown })[RESPONSE_STATUS];
    if (typeof forced === "number" && forced >= 200 && forced < 300) status = forced;
    const extra = (output as { [RESPONSE_HEADERS]?: Record<string, string> })[RESPONSE_HEADERS];
    if (extra) for (const k in extra) headers[k] = extra[k];
    if (noBody(op, status)) return { status, headers };
    const p = plan.payload;
    if (p) {
      const v = output[p.name];
      if (v === undefined || v === null) return { status, headers };
      switch (p.kind) {
        case "structure":
          headers["Content-Type"] ??= XML_CONTENT_TYPE;
          return { status, headers, body: XML_DECLARATION + xmlStructElement(service, p.shape!, v, p.root!, p.xmlns!) };
        case "stream":
        case "blob": {
          const body =
            v instanceof Readable ? v : Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(String(v));
          if (!("Content-Type" in headers) && !("content-type" in headers)) headers["Content-Type"] = "application/octet-stream";
          return { status, headers, body };
        }
        case "string":
          if (!("Content-Type" in headers) && !("content-type" in headers)) headers["Content-Type"] = "text/plain";
          return { status, headers, body: String(v) };
        default:
          // Event streams (S3 SelectObjectContent): the handler hands over the framed messages.
          if (v instanceof Readable) {
            headers["Content-Type"] ??= "application/vnd.amazon.eventstream";
            return { status, headers, body: v };
          }
          return { status, headers };
      }
    }
    if (!plan.hasUnbound) return { status, headers };
    headers["Content-Type"] = XML_CONTENT_TYPE;
    let xml: string;
    if (plan.rootText) {
      const v = output[plan.rootText.name];
      xml = `<${plan.root}${plan.xmlns}>${v === undefined || v === null ? "" : plan.rootText.write(v)}</${plan.root}>`;
    } else {
      xml = `<${plan.root}${plan.xmlns}>${xmlStructBody(service, outputShape, output, "unbound")}</${plan.root}>`;
    }
    return { status, headers, body: XML_DECLARATION + xml };
  },

  serializeError(err: AwsError, service: ServiceModel | undefined, op: OperationRef | undefined, meta: ResponseMeta): HttpResponse {
    const info = resolveXmlError(err, service, false);
    const id2 = extendedRequestId(meta.requestId);
    const headers: Record<string, string | string[]> = { ...err.headers, ...requestIdHeaders(meta, id2) };
    if (noBody(op, info.status)) return { status: info.status, headers };
    headers["Content-Type"] = XML_CONTENT_TYPE;
    const fields = xmlErrorFields(service, info.shapeName, err.fields);
    let body: string;
    if (!service || service.protocolOptions?.noErrorWrapping) {
      body =
        `${XML_DECLARATION}<Error><Code>${escapeXmlText(info.code)}</Code><Message>${escapeXmlText(err.message)}</Message>${fields}` +
        `<RequestId>${escapeXmlText(meta.requestId)}</RequestId><HostId>${id2}</HostId></Error>`;
    } else {
      const ns = service.xmlNamespace ? ` xmlns="${escapeXmlAttr(service.xmlNamespace)}"` : "";
      body =
        `${XML_DECLARATION}<ErrorResponse${ns}><Error><Type>${info.fault}</Type><Code>${escapeXmlText(info.code)}</Code>` +
        `<Message>${escapeXmlText(err.message)}</Message>${fields}</Error><RequestId>${escapeXmlText(meta.requestId)}</RequestId></ErrorResponse>`;
    }
    return { status: info.status, headers, body };
  },
};
