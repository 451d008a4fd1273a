// The website endpoint (S3 user guide, "Hosting a static website"): plain GET/HEAD, no
// signature, answered from the bucket's website configuration:
//   1. RedirectAllRequestsTo: 301 to the other host, same path;
//   2. a routing rule whose KeyPrefixEquals matches (and names no error code): its redirect;
//   3. the key: the path without its leading "/", plus the index document suffix for "" and
//      for paths ending in "/";
//   4. the object, read as the anonymous caller (so only public content is served: bucket
//      policy or ACL, with Block Public Access applied), through S3's own GetObject;
//   5. a key without its trailing "/" whose "<key>/<index>" exists: 302 to "<key>/";
//   6. an object with x-amz-website-redirect-location: 301 there;
//   7. errors (404 NoSuchKey, 403 AccessDenied): a routing rule naming the error code redirects,
//      else the error document (itself read anonymously) with the error's status, else S3's
//      HTML error page.
// Hosts: "<bucket>.s3-website.<base>", "<bucket>.s3-website-<region>.<base>" and
// "<bucket>.s3-website.<region>.<base>" on any base domain; path form "/_website/<bucket>/<key>"
// for systems where those names do not resolve.
import type { Readable } from "node:stream";
import type { Principal, RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../../core/service.js";
import { isAwsError } from "../../../core/errors.js";
import type { AccessBucket, WebsiteConfig } from "./config.js";

const ANONYMOUS: Principal = { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" };
const PATH_PREFIX = "/_website/";
const WEBSITE_LABEL = /^(.+)\.s3-website(?:[.-][a-z]{2}(?:-gov)?-[a-z]+-\d)?$/;

function websiteHostBucket(hostHeader: string, baseDomains: readonly string[]): string | undefined {
  const host = hostHeader.replace(/:\d+$/, "").toLowerCase();
  for (const base of baseDomains) {
    if (!host.endsWith("." + base)) continue;
    const m = WEBSITE_LABEL.exec(host.slice(0, -base.length - 1));
    if (m) return m[1];
  }
  return undefined;
}

export function isWebsiteRequest(rawPath: string, host: string, baseDomains: readonly string[]): boolean {
  return rawPath.startsWith(PATH_PREFIX) || (host.includes(".s3-website") && websiteHostBucket(host, baseDomains) !== undefined);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const REASONS: Record<number, string> = { 403: "Forbidden", 404: "Not Found", 400: "Bad Request", 405: "Method Not Allowed", 500: "Internal Server Error" };

function htmlError(status: number, code: string, message: string, requestId: string, extra: Record<string, string> = {}): RawHttpResponse {
  const title = `${status} ${REASONS[status] ?? ""}`.trim();
  const items = [`<li>Code: ${esc(code)}</li>`, `<li>Message: ${esc(message)}</li>`, ...Object.entries(extra).map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`), `<li>RequestId: ${requestId}</li>`, `<li>HostId: ${Buffer.from(requestId).toString("base64")}</li>`];
  const body = `<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<ul>\n${items.join("\n")}\n</ul>\n<hr/>\n</body>\n</html>\n`;
  return { status, headers: { "content-type": "text/html; charset=utf-8" }, body };
}

function redirect(status: number, location: string): RawHttpResponse {
  return { status, headers: { location, "content-length": "0" } };
}

interface Fetched {
  status: number;
  code?: string;
  message?: string;
  out?: Record<string, unknown>;
}

/** Step 4: S3's own GetObject/HeadObject as the anonymous caller. */
async function fetchObject(rt: RawHttpRuntime, bucket: string, key: string, head: boolean): Promise<Fetched> {
  try {
    const out = await rt.client.call<Record<string, unknown>>("s3", head ? "HeadObject" : "GetObject", { Bucket: bucket, Key: key }, { principal: ANONYMOUS });
    return { status: 200, out };
  } catch (e) {
    if (!isAwsError(e)) throw e;
    return { status: e.status ?? (e.code === "NoSuchKey" || e.code === "NoSuchBucket" ? 404 : e.code === "AccessDenied" ? 403 : 400), code: e.code, message: e.message };
  }
}

function objectResponse(out: Record<string, unknown>, status: number): RawHttpResponse {
  const headers: Record<string, string> = {};
  const set = (h: string, v: unknown) => {
    if (v !== undefined && v !== null) headers[h] = v instanceof Date ? v.toUTCString() : String(v);
  };
  set("content-type", out.ContentType);
  set("content-length", out.ContentLength);
  set("etag", out.ETag);
  set("last-modified", out.LastModified);
  set("cache-control", out.CacheControl);
  set("content-encoding", out.ContentEncoding);
  set("content-language", out.ContentLanguage);
  set("content-disposition", out.ContentDisposition);
  set("expires", out.Expires);
  const meta = out.Metadata as Record<string, string> | undefined;
  if (meta) for (const k in meta) headers[`x-amz-meta-${k}`] = meta[k];
  return { status, headers, ...(out.Body ? { body: out.Body as Readable } : {}) };
}

function ruleRedirect(cfg: WebsiteConfig, key: string, errorCode: number | undefined, req: RawHttpRequest, basePath: string): RawHttpResponse | undefined {
  for (const rule of cfg.RoutingRules ?? []) {
    const c = rule.Condition;
    if (c?.KeyPrefixEquals !== undefined && !key.startsWith(c.KeyPrefixEquals)) continue;
    if (c?.HttpErrorCodeReturnedEquals !== undefined ? String(errorCode) !== c.HttpErrorCodeReturnedEquals : errorCode !== undefined) continue;
    const r = rule.Redirect;
    let newKey = key;
    if (r.ReplaceKeyWith !== undefined) newKey = r.ReplaceKeyWith;
    else if (r.ReplaceKeyPrefixWith !== undefined) newKey = r.ReplaceKeyPrefixWith + key.slice(c?.KeyPrefixEquals?.length ?? 0);
    const host = r.HostName ?? req.headers.host ?? "";
    const proto = r.Protocol ?? "http";
    const path = (r.HostName ? "/" : basePath) + newKey.split("/").map(encodeURIComponent).join("/");
    return redirect(Number(r.HttpRedirectCode ?? "301"), `${proto}://${host}${path}`);
  }
  return undefined;
}

export async function serveWebsite(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse> {
  const head = req.method === "HEAD";
  // Which bucket, which path, and the path prefix to keep in redirects of the path form.
  let bucket: string | undefined;
  let path: string;
  let basePath = "/";
  if (req.rawPath.startsWith(PATH_PREFIX)) {
    const rest = req.rawPath.slice(PATH_PREFIX.length);
    const slash = rest.indexOf("/");
    bucket = decode(slash < 0 ? rest : rest.slice(0, slash));
    path = slash < 0 ? "" : rest.slice(slash + 1);
    basePath = `${PATH_PREFIX}${bucket}/`;
    if (slash < 0) return redirect(302, `${basePath}`);
  } else {
    bucket = websiteHostBucket(req.headers.host ?? "", rt.baseDomains);
    path = req.rawPath.slice(1);
  }
  if (!bucket) return htmlError(404, "NoSuchBucket", "The specified bucket does not exist", req.requestId);
  const b = rt.store("global").get<AccessBucket>("bucket", bucket);
  if (!b) return htmlError(404, "NoSuchBucket", "The specified bucket does not exist", req.requestId, { BucketName: bucket });
  const cfg = b.website;
  if (!cfg) return htmlError(404, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", req.requestId, { BucketName: bucket });
  const key = decode(path);

  // 1.
  if (cfg.RedirectAllRequestsTo) {
    const r = cfg.RedirectAllRequestsTo;
    return redirect(301, `${r.Protocol ?? "http"}://${r.HostName}/${path}`);
  }
  // 2.
  const early = ruleRedirect(cfg, key, undefined, req, basePath);
  if (early) return early;
  // 3.
  const suffix = cfg.IndexDocument!.Suffix;
  const objectKey = key === "" || key.endsWith("/") ? key + suffix : key;
  // 4.
  const got = await fetchObject(rt, bucket, objectKey, head);
  if (got.status === 200 && got.out) {
    // 6.
    const to = got.out.WebsiteRedirectLocation;
    if (typeof to === "string" && to) {
      (got.out.Body as Readable | undefined)?.destroy();
      return redirect(301, to);
    }
    return objectResponse(got.out, 200);
  }
  // 5.
  // (403 too: without s3:ListBucket a missing key answers AccessDenied, as on S3.)
  if ((got.status === 404 || got.status === 403) && objectKey === key) {
    const dir = await fetchObject(rt, bucket, `${key}/${suffix}`, true);
    if (dir.status === 200) return redirect(302, `${basePath}${path}/`);
  }
  // 7.
  const status = got.status === 404 || got.status === 403 ? got.status : 500;
  const byRule = ruleRedirect(cfg, key, status, req, basePath);
  if (byRule) return byRule;
  if (cfg.ErrorDocument && (status === 404 || status === 403)) {
    const doc = await fetchObject(rt, bucket, cfg.ErrorDocument.Key, head);
    if (doc.status === 200 && doc.out) return objectResponse(doc.out, status);
    return htmlError(status, got.code ?? "InternalError", got.message ?? "", req.requestId, {
      ...(status === 404 ? { Key: objectKey } : {}),
      // S3 reports the failed error document as well.
      "An Error Occurred While Attempting to Retrieve a Custom Error Document": `${doc.code ?? ""}`,
    });
  }
  return htmlError(status, got.code ?? "InternalError", got.message ?? "We encountered an internal error. Please try again.", req.requestId, status === 404 ? { Key: objectKey } : {});
}
