// Error facts shared by the JSON-family protocols (awsJson1_0/1_1, restJson1, rpcv2Cbor):
// which modeled error shape an AwsError is, its HTTP status, its fault, its awsQuery code
// (x-amzn-query-error), and the key its message goes under - all from the model.
//
// - AwsError.code is normally the error shape name (QueueDoesNotExist). A handler shared with
//   the query protocol may throw the awsQueryError code instead
//   (AWS.SimpleQueueService.NonExistentQueue); both resolve to the same shape.
// - status: AwsError.status, else the shape's httpError, else its awsQueryError status, else
//   500 for server faults and 400 for client faults.
// - message key: the error shape's own member (`message` for SQS/DynamoDB, `Message` for
//   Secrets Manager and Lambda). Unmodeled errors use the key most of the service's modeled
//   errors use, so a service answers consistently.
import type { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import { structNode, type StructNode } from "./json-shapes.js";

export interface ResolvedError {
  /** Wire code: the error shape name when modeled, else AwsError.code. */
  code: string;
  shape: StructNode | undefined;
  status: number;
  fault: "Sender" | "Receiver";
  /** Code for x-amzn-query-error: the shape's awsQueryError code, else `code`. */
  queryCode: string;
  /** Body key of the message: "message" or "Message". */
  messageKey: string;
}

interface ErrorIndex {
  byQueryCode: Map<string, string>;
  defaultMessageKey: string;
}

const indexes = new WeakMap<ServiceModel, ErrorIndex>();

function errorIndex(service: ServiceModel): ErrorIndex {
  let idx = indexes.get(service);
  if (idx) return idx;
  const byQueryCode = new Map<string, string>();
  let upper = 0;
  let lower = 0;
  for (const name of service.errors) {
    const shape = service.shapes[name];
    if (!shape) continue;
    const q = shape.traits?.awsQueryError;
    if (Array.isArray(q) && typeof q[0] === "string" && !byQueryCode.has(q[0])) byQueryCode.set(q[0], name);
    if ("Message" in shape.members) upper++;
    else if ("message" in shape.members) lower++;
  }
  idx = { byQueryCode, defaultMessageKey: upper > lower ? "Message" : "message" };
  indexes.set(service, idx);
  return idx;
}

export function resolveError(service: ServiceModel | undefined, err: AwsError): ResolvedError {
  let shapeName: string | undefined;
  if (service) {
    const direct = service.shapes[err.code];
    if (direct?.traits?.error) shapeName = err.code;
    else shapeName = errorIndex(service).byQueryCode.get(err.code);
  }
  const shape = service && shapeName ? structNode(service, shapeName) : undefined;
  const traits = shape?.traits;
  const fault: "Sender" | "Receiver" = traits?.error === "server" ? "Receiver" : traits?.error === "client" ? "Sender" : err.fault;
  const q = traits?.awsQueryError;
  const status =
    err.status ??
    (typeof traits?.httpError === "number" ? traits.httpError : undefined) ??
    (Array.isArray(q) && typeof q[1] === "number" ? q[1] : undefined) ??
    (fault === "Receiver" ? 500 : 400);
  let messageKey = service ? errorIndex(service).defaultMessageKey : "message";
  if (shape) {
    if (shape.byName.has("message")) messageKey = "message";
    else if (shape.byName.has("Message")) messageKey = "Message";
  }
  return {
    code: shapeName ?? err.code,
    shape,
    status,
    fault,
    queryCode: Array.isArray(q) && typeof q[0] === "string" ? q[0] : err.code,
    messageKey,
  };
}

/** The x-amzn-query-error value for awsQueryCompatible services: `<code>;<Sender|Receiver>`. */
export function queryErrorHeader(r: ResolvedError): string {
  return `${r.queryCode};${r.fault}`;
}

// Codes Coral itself raises before a service sees the request. Real awsJson1_0 services name
// them with these namespaces (e.g. DynamoDB's `com.amazon.coral.validate#ValidationException`);
// clients strip everything up to '#', so this only matters for byte-for-byte fidelity.
const CORAL_NAMESPACES: Record<string, string> = {
  ValidationException: "com.amazon.coral.validate",
  SerializationException: "com.amazon.coral.service",
  UnknownOperationException: "com.amazon.coral.service",
  AccessDeniedException: "com.amazon.coral.service",
  UnrecognizedClientException: "com.amazon.coral.service",
  IncompleteSignatureException: "com.amazon.coral.service",
  InvalidSignatureException: "com.amazon.coral.service",
  MissingAuthenticationTokenException: "com.amazon.coral.service",
  ExpiredTokenException: "com.amazon.coral.service",
  ThrottlingException: "com.amazon.coral.availability",
  InternalFailure: "com.amazon.coral.service",
  ServiceUnavailableException: "com.amazon.coral.service",
  RequestExpired: "com.amazon.coral.service",
};

/** A shape id for `__type`: `<namespace>#<code>` (Coral's namespace for unmodeled platform codes). */
export function errorShapeId(service: ServiceModel | undefined, r: ResolvedError): string {
  if (!r.shape) {
    const coral = CORAL_NAMESPACES[r.code];
    if (coral) return `${coral}#${r.code}`;
  }
  return service?.namespace ? `${service.namespace}#${r.code}` : r.code;
}
