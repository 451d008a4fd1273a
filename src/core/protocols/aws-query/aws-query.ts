// awsQuery: form-encoded parameters in (see query-params.ts), XML out.
//
//   <OpResponse xmlns="<model.xmlNamespace>">
//     <OpResult>...output members...</OpResult>        (absent when the operation has no output)
//     <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata>
//   </OpResponse>
//
//   <ErrorResponse xmlns="..."><Error><Type>Sender|Receiver</Type><Code>c</Code>
//     <Message>m</Message>[fields]</Error><RequestId>id</RequestId></ErrorResponse>
//
// A modeled error's Code and status come from its awsQueryError trait when it has one (SQS
// QueueDoesNotExist is AWS.SimpleQueueService.NonExistentQueue), else the shape name.
import type { AwsError } from "../../errors.js";
import type { OperationModel, ServiceModel } from "../../model/types.js";
import type { HttpResponse, OperationRef, Protocol, ProtocolRequest, ResponseMeta } from "../types.js";
import { resolveXmlError, xmlErrorFields } from "../shared/xml-errors.js";
import { xmlStructBody } from "../shared/xml-shape-writer.js";
import { escapeXmlText, escapeXmlAttr } from "../shared/xml-writer.js";
import { decodeQueryInput, paramTree, requestParams } from "./query-params.js";

export const QUERY_CONTENT_TYPE = "text/xml";

/**
 * The namespace of query responses. The model carries it for every awsQuery service whose SDK
 * speaks query; for a service the pinned SDK speaks in JSON (SQS, CloudWatch) the generator
 * may have had none, so fall back to the conventional `http://<signingName>.amazonaws.com/doc/<apiVersion>/`.
 * Clients do not check it.
 */
export function queryNamespace(service: ServiceModel | undefined): string | undefined {
  if (!service) return undefined;
  return service.xmlNamespace ?? `http://${service.signingName}.amazonaws.com/doc/${service.apiVersion}/`;
}

interface OpStrings {
  open: string;
  close: string;
  hasResult: boolean;
}

const opStrings = new WeakMap<OperationModel, OpStrings>();

function stringsFor(service: ServiceModel, op: OperationRef): OpStrings {
  let s = opStrings.get(op.model);
  if (!s) {
    const ns = queryNamespace(service);
    s = {
      open: `<${op.name}Response${ns ? ` xmlns="${escapeXmlAttr(ns)}"` : ""}>`,
      close: `</${op.name}Response>`,
      hasResult: op.model.output !== undefined,
    };
    opStrings.set(op.model, s);
  }
  return s;
}

export const awsQuery: Protocol = {
  id: "awsQuery",

  parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Record<string, unknown> {
    const tree = paramTree(requestParams(req.query, req.body));
    return decodeQueryInput(service, op.model.input, tree, "query");
  },

  serializeResponse(output: Record<string, unknown> | undefined, service: ServiceModel, op: OperationRef, meta: ResponseMeta): HttpResponse {
    const s = stringsFor(service, op);
    let body = s.open;
    if (s.hasResult) {
      const result = output && op.model.output ? xmlStructBody(service, op.model.output, output) : "";
      body += result ? `<${op.name}Result>${result}</${op.name}Result>` : `<${op.name}Result/>`;
    }
    body += `<ResponseMetadata><RequestId>${escapeXmlText(meta.requestId)}</RequestId></ResponseMetadata>${s.close}`;
    return { status: 200, headers: { "x-amzn-RequestId": meta.requestId, "Content-Type": QUERY_CONTENT_TYPE }, body };
  },

  serializeError(err: AwsError, service: ServiceModel | undefined, _op: OperationRef | undefined, meta: ResponseMeta): HttpResponse {
    const info = resolveXmlError(err, service, true);
    const ns = queryNamespace(service);
    const body =
      `<ErrorResponse${ns ? ` xmlns="${escapeXmlAttr(ns)}"` : ""}><Error><Type>${info.fault}</Type>` +
      `<Code>${escapeXmlText(info.code)}</Code><Message>${escapeXmlText(err.message)}</Message>` +
      xmlErrorFields(service, info.shapeName, err.fields) +
      `</Error><RequestId>${escapeXmlText(meta.requestId)}</RequestId></ErrorResponse>`;
    return {
      status: info.status,
      headers: { ...err.headers, "x-amzn-RequestId": meta.requestId, "Content-Type": QUERY_CONTENT_TYPE },
      body,
    };
  },
};
