// The contract between the gateway and a wire protocol. A protocol turns an HTTP request into
// the operation's typed input and the operation's output (or an AwsError) into an HTTP
// response, driven only by the model. It knows nothing of any service.
//
// Values exchanged with handlers follow the AWS SDK v3 types: strings, numbers, booleans,
// Date for timestamps, Buffer for blobs, a Readable for streaming blobs, arrays for lists,
// plain objects for maps and structures, plain JSON for documents. Absent members are absent
// (never null).
import type { Readable } from "node:stream";
import type { AwsError } from "../errors.js";
import type { OperationModel, ProtocolId, ServiceModel } from "../model/types.js";

export interface ProtocolRequest {
  method: string;
  /** Path as sent, still percent-encoded, without the query string. */
  rawPath: string;
  /** Query parameters in order, decoded. */
  query: Array<[string, string]>;
  /** Lower-cased header names; repeated headers joined with ",". */
  headers: Record<string, string>;
  /** Whole body, for operations without a streaming member (already aws-chunked/gzip decoded). */
  body?: Buffer;
  /** Body stream, for operations whose input has a streaming blob payload. */
  stream?: Readable;
  /** REST: decoded URI label values matched by the router (`Bucket`, `Key`, `FunctionName`). */
  labels?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Buffer | string | Readable;
}

export interface ResponseMeta {
  requestId: string;
  /** Host the request used, for protocols that echo it (S3 error HostId, etc.). */
  host?: string;
}

export interface OperationRef {
  name: string;
  model: OperationModel;
}

export interface Protocol {
  readonly id: ProtocolId;
  /** Parse into the operation's input structure. Throws AwsError (SerializationException, MalformedXML...) on bad input. */
  parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Promise<Record<string, unknown>> | Record<string, unknown>;
  serializeResponse(output: Record<string, unknown> | undefined, service: ServiceModel, op: OperationRef, meta: ResponseMeta): HttpResponse;
  /** service is undefined when the request could not be routed to a service. */
  serializeError(err: AwsError, service: ServiceModel | undefined, op: OperationRef | undefined, meta: ResponseMeta): HttpResponse;
}
