// Error facts shared by the XML protocols: which modeled error shape an AwsError is, its wire
// code, HTTP status and fault, and its extra fields written as XML elements.
import type { AwsError } from "../../errors.js";
import type { ServiceModel, StructureShape } from "../../model/types.js";
import { xmlMemberWriter } from "./xml-shape-writer.js";
import { blobToBase64, escapeXmlText } from "./xml-writer.js";

export interface XmlErrorInfo {
  /** Code on the wire. */
  code: string;
  status: number;
  fault: "Sender" | "Receiver";
  /** The model's error shape, when the error is modeled. */
  shapeName: string | undefined;
}

// awsQueryError code -> shape name, per service (a handler may throw the wire code).
const queryCodes = new WeakMap<ServiceModel, Map<string, string>>();

function queryCodeIndex(service: ServiceModel): Map<string, string> {
  let idx = queryCodes.get(service);
  if (!idx) {
    idx = new Map();
    for (const name of service.errors ?? []) {
      const q = service.shapes[name]?.traits?.awsQueryError;
      if (q && !idx.has(q[0])) idx.set(q[0], name);
    }
    queryCodes.set(service, idx);
  }
  return idx;
}

/**
 * Resolves an AwsError against the model. `useAwsQueryError`: take the code and status from the
 * shape's awsQueryError trait (awsQuery and ec2Query); restXml uses the shape name.
 */
export function resolveXmlError(err: AwsError, service: ServiceModel | undefined, useAwsQueryError: boolean): XmlErrorInfo {
  let shapeName: string | undefined;
  let shape: StructureShape | undefined;
  if (service) {
    const direct = service.shapes[err.code];
    if (direct?.traits?.error) {
      shapeName = err.code;
      shape = direct;
    } else if (useAwsQueryError) {
      shapeName = queryCodeIndex(service).get(err.code);
      shape = shapeName ? service.shapes[shapeName] : undefined;
    }
  }
  const traits = shape?.traits;
  const queryError = useAwsQueryError ? traits?.awsQueryError : undefined;
  const code = queryError ? queryError[0] : err.code;
  const fault: "Sender" | "Receiver" = err.status === undefined && traits?.error === "server" ? "Receiver" : err.fault;
  const status = err.status ?? queryError?.[1] ?? traits?.httpError ?? (fault === "Receiver" ? 500 : 400);
  return { code, status, fault, shapeName };
}

const RESERVED = new Set(["Code", "Message", "message", "Type", "RequestId", "HostId"]);

/**
 * The AwsError's extra fields as XML elements, typed by the error shape's members where the
 * model has them (S3 BucketName is not modeled, Route 53 InvalidChangeBatch messages is).
 */
export function xmlErrorFields(service: ServiceModel | undefined, shapeName: string | undefined, fields: Record<string, unknown>): string {
  let s = "";
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined || v === null || RESERVED.has(key)) continue;
    const modeled = service && shapeName ? xmlMemberWriter(service, shapeName, key) : undefined;
    if (modeled) {
      s += modeled(v);
      continue;
    }
    const text =
      v instanceof Date
        ? v.toISOString()
        : Buffer.isBuffer(v) || v instanceof Uint8Array
          ? blobToBase64(v)
          : typeof v === "object"
            ? escapeXmlText(JSON.stringify(v))
            : escapeXmlText(String(v));
    s += `<${key}>${text}</${key}>`;
  }
  return s;
}
