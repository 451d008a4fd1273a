// ec2Query: the awsQuery request format with EC2's key rules (every list is `Name.N`; member
// keys are ec2QueryName, else the capitalised xmlName or member name), and EC2's responses:
//
//   <OpResponse xmlns="<model.xmlNamespace>"><requestId>id</requestId>...output members...</OpResponse>
//
// where members use their xmlName traits (EC2's lower-camel names) and lists their item names.
// Errors:
//
//   <Response><Errors><Error><Code>c</Code><Message>m</Message></Error></Errors>
//     <RequestID>id</RequestID></Response>
import type { AwsError } from "../../errors.js";
import type { OperationModel, ServiceModel } from "../../model/types.js";
import type { HttpResponse, OperationRef, Protocol, ProtocolRequest, ResponseMeta } from "../types.js";
import { resolveXmlError, xmlErrorFields } from "../shared/xml-errors.js";
import { xmlStructBody } from "../shared/xml-shape-writer.js";
import { escapeXmlAttr, escapeXmlText, XML_DECLARATION } from "../shared/xml-writer.js";
import { QUERY_CONTENT_TYPE } from "./aws-query.js";
import { decodeQueryInput, paramTree, requestParams } from "./query-params.js";

const opStrings = new WeakMap<OperationModel, { open: string; close: string }>();

function stringsFor(service: ServiceModel, op: OperationRef): { open: string; close: string } {
  let s = opStrings.get(op.model);
  if (!s) {
    const ns = service.xmlNamespace;
    s = { open: `<${op.name}Response${ns ? ` xmlns="${escapeXmlAttr(ns)}"` : ""}>`, close: `</${op.name}Response>` };
    opStrings.set(op.model, s);
  }
  return s;
}

export const ec2Query: Protocol = {
  id: "ec2Query",

  parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Record<string, unknown> {
    const tree = paramTree(requestParams(req.query, req.body));
    return decodeQueryInput(service, op.model.input, tree, "ec2");
  },

  serializeResponse(output: Record<string, unknown> | undefined, service: ServiceModel, op: OperationRef, meta: ResponseMeta): HttpResponse {
    const s = stringsFor(service, op);
    const members = output && op.model.output ? xmlStructBody(service, op.model.output, output) : "";
    const body = `${XML_DECLARATION}${s.open}<requestId>${escapeXmlText(meta.requestId)}</requestId>${members}${s.close}`;
    return { status: 200, headers: { "x-amzn-RequestId": meta.requestId, "Content-Type": QUERY_CONTENT_TYPE }, body };
  },

  serializeError(err: AwsError, service: ServiceModel | undefined, _op: OperationRef | undefined, meta: ResponseMeta): HttpResponse {
    const info = resolveXmlError(err, service, true);
    const body =
      `${XML_DECLARATION}<Response><Errors><Error><Code>${escapeXmlText(info.code)}</Code><Message>${escapeXmlText(err.message)}</Message>` +
      xmlErrorFields(service, info.shapeName, err.fields) +
      `</Error></Errors><RequestID>${escapeXmlText(meta.requestId)}</RequestID></Response>`;
    return {
      status: info.status,
      headers: { ...err.headers, "x-amzn-RequestId": meta.requestId, "Content-Type": QUERY_CONTENT_TYPE },
      body,
    };
  },
};
