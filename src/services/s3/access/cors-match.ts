// CORS rule matching as S3 does it (user guide, "How does Amazon S3 evaluate the CORS
// configuration on a bucket?"): the first rule whose AllowedOrigins match the Origin, whose
// AllowedMethods hold the method, and (preflight) whose AllowedHeaders match every requested
// header, decides; its settings become the Access-Control-* response headers.
import type { CorsRule } from "./config.js";
import { wildcard } from "./policy.js";

export const CORS_METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);

function anyMatch(patterns: readonly string[] | undefined, value: string, caseInsensitive: boolean): string | undefined {
  for (const p of patterns ?? []) if (p === value || wildcard(p, caseInsensitive).test(value)) return p;
  return undefined;
}

/**
 * The response headers for a request from `origin` with `method` (and, for a preflight, the
 * requested headers), or undefined when no rule matches.
 */
export function corsHeadersFor(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: string[] | undefined): Record<string, string> | undefined {
  for (const r of rules) {
    const o = anyMatch(r.AllowedOrigins, origin, false);
    if (o === undefined || !r.AllowedMethods.includes(method)) continue;
    if (requestHeaders && !requestHeaders.every((h) => anyMatch(r.AllowedHeaders, h, true) !== undefined)) continue;
    const out: Record<string, string> = {
      "Access-Control-Allow-Origin": o === "*" ? "*" : origin,
      "Access-Control-Allow-Methods": r.AllowedMethods.join(", "),
      Vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    };
    if (o !== "*") out["Access-Control-Allow-Credentials"] = "true";
    if (requestHeaders && requestHeaders.length > 0) out["Access-Control-Allow-Headers"] = requestHeaders.join(", ");
    if (r.ExposeHeaders && r.ExposeHeaders.length > 0) out["Access-Control-Expose-Headers"] = r.ExposeHeaders.join(", ");
    if (r.MaxAgeSeconds !== undefined) out["Access-Control-Max-Age"] = String(r.MaxAgeSeconds);
    return out;
  }
  return undefined;
}
