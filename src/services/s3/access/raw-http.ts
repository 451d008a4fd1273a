// S3's HTTP outside its model (ServiceDefinition.http): CORS preflight (OPTIONS), website
// endpoints (<bucket>.s3-website.<base domain>, or the path form /_website/<bucket>/...), and
// browser POST uploads (multipart/form-data POST to a bucket).
import type { RawHttpHook, RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../../core/service.js";
import { virtualHostBucket } from "../../../core/routing/route.js";
import { preflight } from "./preflight.js";
import { isWebsiteRequest, serveWebsite } from "./website-serve.js";
import { postObject } from "./post-object.js";

/** The bucket and key of a REST request: virtual host first, else the first path segment. */
export function bucketAndKey(rawPath: string, host: string, baseDomains: readonly string[]): { bucket?: string; key?: string } {
  const vh = virtualHostBucket(host, baseDomains);
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (vh) return { bucket: vh, ...(path ? { key: dec(path) } : {}) };
  if (!path) return {};
  const slash = path.indexOf("/");
  if (slash < 0) return { bucket: dec(path) };
  const key = path.slice(slash + 1);
  return { bucket: dec(path.slice(0, slash)), ...(key ? { key: dec(key) } : {}) };
}

export const s3Http: RawHttpHook = {
  claims(method, rawPath, headers, baseDomains) {
    if (method === "OPTIONS") return headers["x-amz-target"] === undefined && !(headers.authorization ?? "").length;
    if (method === "POST") return (headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data");
    return (method === "GET" || method === "HEAD") && isWebsiteRequest(rawPath, headers.host ?? "", baseDomains);
  },
  async handle(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse> {
    if (req.method === "OPTIONS") return preflight(req, rt);
    if (req.method === "POST") return postObject(req, rt);
    return serveWebsite(req, rt);
  },
};
