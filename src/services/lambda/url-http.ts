// Function URLs, data plane: HTTP requests to http://<url-id>.lambda-url.<region>.localhost:<port>/...
// (or, where such host names do not resolve, http://<nimbus>/_lambda-url/<url-id>/...) reach the
// function as AWS's payload format 2.0 event, and its answer is mapped back to HTTP:
//   1. find the URL config by its id (function-urls.ts indexes ids across accounts);
//   2. CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered from
//      the config without running the function, as AWS does;
//   3. auth: AWS_IAM needs a SigV4 signature (service "lambda") of a known principal allowed
//      lambda:InvokeFunctionUrl by its identity policies or the function's policy; NONE needs the
//      function's policy to allow lambda:InvokeFunctionUrl to everyone ("Principal": "*"), as on
//      AWS; otherwise 403 {"Message":"Forbidden"};
//   4. the event (version 2.0: rawPath, rawQueryString, cookies, headers, queryStringParameters,
//      requestContext with http and authorizer.iam, body base64 for non-text content);
//   5. the answer: an object with statusCode is taken as {statusCode, headers, body,
//      isBase64Encoded, cookies}; any other JSON answer is a 200 application/json body; a
//      function error is 502 "Internal Server Error".
import { createHash, randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { Principal, RawHttpHook, RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../core/service.js";
import { parseAuthorization } from "../../core/auth/parse-authorization.js";
import { authenticate } from "../../core/auth/authenticate.js";
import { evaluate } from "../../core/iam/evaluate.js";
import { aliasKey, arnOf, policyKey, refOf, resolveTarget, type StoredPolicy } from "./lookup.js";
import { pickVersion } from "./aliases.js";
import { ensureCode, run } from "./invoke.js";
import { urlIndex, type StoredUrlConfig, type UrlTarget } from "./function-urls.js";

const PATH_PREFIX = "/_lambda-url/";
const BODY_MAX = 6_291_456;
const TEXT = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

function json(status: number, doc: unknown, headers: Record<string, string> = {}): RawHttpResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(doc) };
}
const forbidden = () => json(403, { Message: "Forbidden" });

/** The URL id and the path the function sees, from the host name or the path form. */
function locate(req: RawHttpRequest): { urlId: string; path: string } | undefined {
  const host = (req.headers.host ?? "").toLowerCase();
  const i = host.indexOf(".lambda-url.");
  if (i > 0) return { urlId: host.slice(0, i), path: req.rawPath };
  if (!req.rawPath.startsWith(PATH_PREFIX)) return undefined;
  const rest = req.rawPath.slice(PATH_PREFIX.length);
  const slash = rest.indexOf("/");
  return { urlId: slash < 0 ? rest : rest.slice(0, slash), path: slash < 0 ? "/" : rest.slice(slash) };
}

async function readBody(body: Readable): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > BODY_MAX) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Access-Control-* headers for a request from `origin` under the config's Cors (none when the origin is not allowed). */
function corsHeaders(c: StoredUrlConfig, origin: string | undefined, preflight: boolean): Record<string, string> {
  const cors = c.Cors;
  if (!cors || !origin) return {};
  const origins = cors.AllowOrigins ?? [];
  const allowed = origins.includes("*") ? (cors.AllowCredentials ? origin : "*") : origins.find((o) => o.toLowerCase() === origin.toLowerCase());
  if (!allowed) return {};
  const h: Record<string, string> = { "access-control-allow-origin": allowed, vary: "Origin" };
  if (cors.AllowCredentials) h["access-control-allow-credentials"] = "true";
  if (preflight) {
    if (cors.AllowMethods?.length) h["access-control-allow-methods"] = cors.AllowMethods.join(",");
    if (cors.AllowHeaders?.length) h["access-control-allow-headers"] = cors.AllowHeaders.join(",");
    if (cors.MaxAge !== undefined) h["access-control-max-age"] = String(cors.MaxAge);
  } else if (cors.ExposeHeaders?.length) {
    h["access-control-expose-headers"] = cors.ExposeHeaders.join(",");
  }
  return h;
}

/** Whether the function's (or alias's) policy and the caller's identity policies allow lambda:InvokeFunctionUrl. */
function allowed(rt: RawHttpRuntime, t: UrlTarget, authType: string, principal: Principal): boolean {
  const stored = rt.store(`${t.account}/${t.region}`).get<StoredPolicy>("policy", policyKey(t.name, t.qualifier));
  // The engine's copy of the policy names the unqualified ARN (permissions.ts).
  const resource = arnOf(t.region, t.account, t.name);
  const pol = principal.type === "user" || principal.type === "assumed-role" ? rt.principalPolicies?.policiesFor(principal) : undefined;
  const decision = evaluate(
    { principal, action: "lambda:InvokeFunctionUrl", resource, resourceAccountId: t.account, context: { "lambda:FunctionUrlAuthType": authType, "aws:ResourceAccount": t.account, "aws:PrincipalAccount": principal.accountId } },
    { identity: pol?.identity ?? [], boundary: pol?.boundary, session: pol?.session, resource: stored ? { name: "resource-based policy", document: stored.engine } : undefined },
  );
  return decision.decision === "Allow";
}

export const lambdaUrlHttp: RawHttpHook = {
  claims(_method, rawPath, headers) {
    return (headers.host ?? "").toLowerCase().includes(".lambda-url.") || rawPath.startsWith(PATH_PREFIX);
  },
  async handle(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse> {
    // 1. The URL config.
    const where = locate(req);
    const target = where ? urlIndex(rt.db).get<UrlTarget>("url-id", where.urlId) : undefined;
    const store = target ? rt.store(`${target.account}/${target.region}`) : undefined;
    const config = target && store?.get<StoredUrlConfig>("url-config", aliasKey(target.name, target.qualifier ?? ""));
    if (!where || !target || !store || !config) return forbidden();
    const origin = req.headers.origin;

    // 2. CORS preflight.
    if (req.method === "OPTIONS" && origin && req.headers["access-control-request-method"] && config.Cors) {
      return { status: 200, headers: corsHeaders(config, origin, true) };
    }

    const body = await readBody(req.body);
    if (body === undefined) return json(413, { Message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation" });

    // 3. Auth.
    let iam: Record<string, unknown> | null = null;
    if (config.AuthType === "AWS_IAM") {
      const parsed = parseAuthorization(req.headers, req.rawQuery);
      if (parsed.kind === "anonymous") return forbidden();
      let principal: Principal;
      try {
        const who = authenticate({ method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers }, parsed, rt.credentials, new Date(rt.clock.now()), req.headers["x-amz-content-sha256"] ?? createHash("sha256").update(body).digest("hex"), { defaultRegion: target.region, skewNow: new Date() });
        principal = who.principal;
        iam = { accessKey: parsed.accessKeyId, accountId: who.accountId, callerId: principal.userId, cognitoIdentity: null, principalOrgId: null, userArn: principal.arn, userId: principal.userId };
      } catch {
        return forbidden();
      }
      // The function's own account may invoke without a policy saying so (as for any of its resources).
      const owner = principal.type === "root" && principal.accountId === target.account;
      if (!owner && !allowed(rt, target, "AWS_IAM", principal)) return forbidden();
    } else {
      const anyone: Principal = { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" };
      if (!allowed(rt, target, "NONE", anyone)) return forbidden();
    }

    // 4. The event.
    const q = new URLSearchParams(req.rawQuery);
    const params: Record<string, string> = {};
    for (const [k, v] of q) params[k] = params[k] === undefined ? v : `${params[k]},${v}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (k !== "cookie") headers[k] = v;
    const cookies = req.headers.cookie ? req.headers.cookie.split(/;\s*/).filter(Boolean) : undefined;
    const text = TEXT.test(req.headers["content-type"] ?? "");
    const now = rt.clock.now();
    const requestId = randomUUID();
    const domain = (req.headers.host ?? "").split(":")[0];
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: decodePath(where.path),
      rawQueryString: req.rawQuery,
      ...(cookies ? { cookies } : {}),
      headers,
      ...(req.rawQuery ? { queryStringParameters: params } : {}),
      requestContext: {
        accountId: iam ? String(iam.accountId) : "anonymous",
        apiId: where.urlId,
        ...(iam ? { authorizer: { iam } } : {}),
        domainName: domain,
        domainPrefix: where.urlId,
        http: { method: req.method, path: decodePath(where.path), protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: req.headers["user-agent"] ?? "" },
        requestId,
        routeKey: "$default",
        stage: "$default",
        time: clf(now),
        timeEpoch: now,
      },
      ...(body.length ? { body: text ? body.toString("utf8") : body.toString("base64") } : {}),
      isBase64Encoded: body.length > 0 && !text,
    };

    // 5. Run it ($LATEST or the alias's version) and map the answer.
    const ctx = { db: rt.db, blobs: rt.blobs, clock: rt.clock, client: rt.client, region: target.region, endpoint: req.endpoint };
    const ref = refOf({ db: rt.db, region: target.region, accountId: target.account, store }, target.name, target.qualifier);
    const { doc, version } = resolveTarget(ref, (a) => pickVersion(a));
    await ensureCode(ctx, doc);
    const r = await run(ctx, doc, Buffer.from(JSON.stringify(event)), version, requestId);
    const cors = corsHeaders(config, origin, false);
    if (r.functionError) return { status: 502, headers: { "content-type": "application/json", "x-amzn-requestid": requestId, ...cors }, body: JSON.stringify({ Message: "Internal Server Error" }) };
    const answer = r.streamed ? mapStreamed(r.payload) : mapAnswer(r.payload);
    return { ...answer, headers: { ...answer.headers, "x-amzn-requestid": requestId, ...cors } };
  },
};

/** AWS's response mapping for function URLs (payload format 2.0). */
function mapAnswer(payload: Buffer): RawHttpResponse {
  let out: unknown;
  try {
    out = JSON.parse(payload.toString("utf8"));
  } catch {
    return { status: 200, headers: { "content-type": "application/json" }, body: payload };
  }
  if (out && typeof out === "object" && !Array.isArray(out) && "statusCode" in out) {
    const o = out as { statusCode: number; headers?: Record<string, unknown>; body?: unknown; isBase64Encoded?: boolean; cookies?: string[] };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (o.cookies?.length) headers["set-cookie"] = o.cookies.join(", ");
    const text = o.body === undefined || o.body === null ? "" : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    return { status: Number(o.statusCode), headers, body: o.isBase64Encoded ? Buffer.from(text, "base64") : text };
  }
  return { status: 200, headers: { "content-type": "application/json" }, body: typeof out === "string" ? out : JSON.stringify(out) };
}

/**
 * A streamed answer (awslambda.streamifyResponse): HttpResponseStream.from's JSON prelude
 * (statusCode, headers, cookies) and 8 zero bytes before the body; without them, the bytes as
 * they are. (Nimbus gathers the stream before answering: see GAPS.md.)
 */
function mapStreamed(payload: Buffer): RawHttpResponse {
  const cut = payload.indexOf(Buffer.alloc(8));
  if (cut > 0) {
    try {
      const prelude = JSON.parse(payload.subarray(0, cut).toString("utf8")) as { statusCode?: number; headers?: Record<string, unknown>; cookies?: string[] };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(prelude.headers ?? {})) headers[k.toLowerCase()] = String(v);
      if (prelude.cookies?.length) headers["set-cookie"] = prelude.cookies.join(", ");
      return { status: Number(prelude.statusCode ?? 200), headers, body: payload.subarray(cut + 8) };
    } catch {
      // not a prelude: the bytes as they are
    }
  }
  return { status: 200, headers: { "content-type": "application/octet-stream" }, body: payload };
}

/** The path as the function sees it: percent-decoded, or as sent when that is malformed. */
function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** The request time in AWS's format: 12/Mar/2020:19:03:58 +0000. */
function clf(ms: number): string {
  const d = new Date(ms);
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
