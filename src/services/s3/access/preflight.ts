// CORS preflight: OPTIONS on a bucket or object, answered from the bucket's CORS rules
// (access/cors-match.ts) as S3 does: 200 with the Access-Control-* headers of the first
// matching rule, 403 AccessForbidden when no rule matches or the bucket has no CORS.
import type { RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../../core/service.js";
import type { AccessBucket } from "./config.js";
import { CORS_METHODS, corsHeadersFor } from "./cors-match.js";
import { bucketAndKey } from "./raw-http.js";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An S3 error document (no wrapping element), as the REST API sends them. */
export function xmlError(status: number, code: string, message: string, requestId: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): RawHttpResponse {
  let extra = "";
  for (const [k, v] of Object.entries(fields)) extra += `<${k}>${esc(v)}</${k}>`;
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>${Buffer.from(requestId).toString("base64")}</HostId></Error>`;
  return { status, headers: { "content-type": "application/xml", ...headers }, body };
}

export function preflight(req: RawHttpRequest, rt: RawHttpRuntime): RawHttpResponse {
  const origin = req.headers.origin;
  const method = req.headers["access-control-request-method"];
  const { bucket, key } = bucketAndKey(req.rawPath, req.headers.host ?? "", rt.baseDomains);
  if (!bucket) return xmlError(400, "BadRequest", "Insufficient information. Origin request header needed.", req.requestId);
  const b = rt.store("global").get<AccessBucket>("bucket", bucket);
  if (!b) return xmlError(404, "NoSuchBucket", "The specified bucket does not exist", req.requestId, { BucketName: bucket });
  if (!origin) return xmlError(400, "BadRequest", "Insufficient information. Origin request header needed.", req.requestId);
  if (!method || !CORS_METHODS.has(method)) return xmlError(400, "BadRequest", `Invalid Access-Control-Request-Method: ${method ?? ""}`, req.requestId);
  const resourceType = key !== undefined ? "OBJECT" : "BUCKET";
  if (!b.cors) return xmlError(403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", req.requestId, { Method: method, ResourceType: resourceType });
  const requested = (req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  const headers = corsHeadersFor(b.cors, origin, method, requested);
  if (!headers) {
    return xmlError(
      403,
      "AccessForbidden",
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      req.requestId,
      { Method: method, ResourceType: resourceType },
    );
  }
  return { status: 200, headers: { ...headers, "content-length": "0" } };
}
