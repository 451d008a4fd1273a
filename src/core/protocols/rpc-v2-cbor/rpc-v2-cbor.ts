// Smithy RPC v2 CBOR (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html):
// POST /service/<ServiceShapeName>/operation/<Operation> with `smithy-protocol: rpc-v2-cbor`
// and a CBOR map of the input (an empty body means no input). Responses carry the same
// header, `Content-Type: application/cbor` and a CBOR map of the output; an operation without
// output answers an empty body and no Content-Type (the protocol's "no_output" test).
//
// Values: timestamps are tag 1 epoch seconds (the codec turns them into Date and back), blobs
// are byte strings (Buffer), member names are the keys (jsonName does not apply), undefined
// members are left out.
//
// Errors: a CBOR map {"__type": "<namespace>#<Code>", "<message|Message>": ..., members...}
// with the error's status; awsQueryCompatible services (CloudWatch) add
// `x-amzn-query-error: <awsQueryError code>;<Sender|Receiver>`, which
// @aws-sdk/core AwsSmithyRpcV2CborProtocol reads exactly as the awsJson clients do.
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { HttpResponse, OperationRef, Protocol, ProtocolRequest, ResponseMeta } from "../types.js";
import { CborError, decodeCbor, encodeCbor } from "../shared/cbor.js";
import { fillIdempotencyTokens, isPlainObject, readStruct } from "../shared/json-codec.js";
import { errorShapeId, queryErrorHeader, resolveError } from "../shared/json-errors.js";
import { structNode } from "../shared/json-shapes.js";

const CBOR_TYPE = "application/cbor";

function parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Record<string, unknown> {
  let doc: Record<string, unknown> = {};
  if (req.body && req.body.length > 0) {
    let v: unknown;
    try {
      v = decodeCbor(req.body);
    } catch (e) {
      if (e instanceof CborError) throw new AwsError("SerializationException", `Unable to parse request body as CBOR: ${e.message}`, 400);
      throw e;
    }
    if (v === null || v === undefined) v = {};
    if (!isPlainObject(v)) throw new AwsError("SerializationException", "Expected a CBOR map as the request body", 400);
    doc = v;
  }
  const inputName = op.model.input;
  if (!inputName) return doc;
  const node = structNode(service, inputName);
  // Tag-1 timestamps and byte strings are already Date/Buffer; the walk only coerces clients
  // that send plain numbers for timestamps or text for blobs.
  if (node.needsRpc) readStruct(node, doc, false);
  fillIdempotencyTokens(node, doc);
  return doc;
}

function serializeResponse(output: Record<string, unknown> | undefined, _service: ServiceModel, op: OperationRef, meta: ResponseMeta): HttpResponse {
  const headers: Record<string, string> = { "smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": meta.requestId };
  if (!op.model.output) return { status: 200, headers };
  headers["Content-Type"] = CBOR_TYPE;
  return { status: 200, headers, body: encodeCbor(output ?? {}) };
}

function serializeError(err: AwsError, service: ServiceModel | undefined, _op: OperationRef | undefined, meta: ResponseMeta): HttpResponse {
  const r = resolveError(service, err);
  const doc: Record<string, unknown> = { __type: errorShapeId(service, r), [r.messageKey]: err.message };
  for (const k in err.fields) if (err.fields[k] !== undefined) doc[k] = err.fields[k];
  const headers: Record<string, string> = {
    ...err.headers,
    "smithy-protocol": "rpc-v2-cbor",
    "Content-Type": CBOR_TYPE,
    "x-amzn-RequestId": meta.requestId,
  };
  if (service?.awsQueryCompatible) headers["x-amzn-query-error"] = queryErrorHeader(r);
  return { status: r.status, headers, body: encodeCbor(doc) };
}

export const rpcV2Cbor: Protocol = {
  id: "smithyRpcv2cbor",
  parseRequest,
  serializeResponse,
  serializeError,
};
