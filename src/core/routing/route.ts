// Which service, which protocol, which operation (DESIGN.md section 3, step 2), without
// reading the body where it can:
//   1. RPC v2 CBOR: POST /service/<ServiceShape>/operation/<Op> + `smithy-protocol: rpc-v2-cbor`
//   2. awsJson: `X-Amz-Target: <prefix>.<Op>`
//   3. awsQuery / ec2Query: form body `Action` (+ `Version`), service from the SigV4 scope,
//      else from `Version` (the body is needed here: the caller passes it in via `form`)
//   4. REST: service from the SigV4 scope (+ S3 Control's /v20180820 prefix), S3 when
//      unsigned; then the operation from the model's URI templates. S3 buckets come from a
//      virtual host (`<bucket>.localhost`, `<bucket>.s3.<base-domain>`) or the first path segment.
import type { ProtocolId, ServiceModel } from "../model/types.js";
import { loadIndex, loadModel, type ServiceIndexEntry } from "../model/load.js";
import { RestMatcher } from "./rest-matcher.js";
import { AwsError } from "../errors.js";

export interface RouteInput {
  method: string;
  rawPath: string;
  query: Map<string, string>;
  headers: Record<string, string>;
  /** Signing name from the SigV4 scope, when signed. */
  signingName?: string;
  /** Host names (without port) that are Nimbus itself; a longer host ending in one is an S3 virtual host. */
  baseDomains: readonly string[];
}

export type RouteResult =
  | { kind: "operation"; service: string; protocol: ProtocolId; operation: string; labels?: Record<string, string>; rawPath: string }
  /** A query-protocol request: the operation is in the form body, which must be read first. */
  | { kind: "query"; protocol: "awsQuery" | "ec2Query"; candidates: string[] };

interface Lookups {
  byTarget: Map<string, string>;
  bySigning: Map<string, string[]>;
  byCborTarget: Map<string, string>;
  queryByVersion: Map<string, string>;
  entries: Record<string, ServiceIndexEntry>;
}

let lookups: Lookups | undefined;

function getLookups(): Lookups {
  if (lookups) return lookups;
  const entries = loadIndex();
  const l: Lookups = { byTarget: new Map(), bySigning: new Map(), byCborTarget: new Map(), queryByVersion: new Map(), entries };
  for (const [service, e] of Object.entries(entries)) {
    if (e.targetPrefix && e.protocols.some((p) => p === "awsJson1_0" || p === "awsJson1_1")) l.byTarget.set(e.targetPrefix, service);
    if (e.serviceTarget && e.protocols.includes("smithyRpcv2cbor")) l.byCborTarget.set(e.serviceTarget, service);
    if (e.protocols.includes("awsQuery") || e.protocols.includes("ec2Query")) l.queryByVersion.set(e.apiVersion, service);
    const list = l.bySigning.get(e.signingName) ?? [];
    list.push(service);
    l.bySigning.set(e.signingName, list);
  }
  lookups = l;
  return l;
}

export function serviceIndex(): Record<string, ServiceIndexEntry> {
  return getLookups().entries;
}

const matchers = new Map<string, RestMatcher>();
function matcherFor(model: ServiceModel): RestMatcher {
  let m = matchers.get(model.service);
  if (!m) matchers.set(model.service, (m = new RestMatcher(model)));
  return m;
}

function unknownOperation(): AwsError {
  return new AwsError("UnknownOperationException", "The requested operation is not recognized by any Nimbus service.", 400);
}

/** The last awsJson answer of route(), with what it was computed from. */
let lastJson: { target: string; contentType: string | undefined; rawPath: string; lookups: object; result: RouteResult } | undefined;

export function route(r: RouteInput): RouteResult {
  // An awsJson client repeats its target, content type and path: step 2's last answer is
  // given again here (it depends on nothing else; nobody writes to a RouteResult), not two
  // slices, a Map lookup hashing a fresh string and a result per request. Here, in a small
  // function V8 optimizes and inlines: the whole of routeAny, entered for its first lines,
  // stayed in baseline code.
  const h = r.headers;
  const last = lastJson;
  if (last !== undefined && h["smithy-protocol"] === undefined) {
    const target = h["x-amz-target"];
    if (target !== undefined && last.target === target && last.contentType === h["content-type"] && last.rawPath === r.rawPath && last.lookups === lookups) return last.result;
  }
  return routeAny(r);
}

function routeAny(r: RouteInput): RouteResult {
  const l = getLookups();
  const h = r.headers;

  // 1. RPC v2 CBOR
  if (h["smithy-protocol"] === "rpc-v2-cbor" && r.rawPath.startsWith("/service/")) {
    const m = /^\/service\/([^/]+)\/operation\/([^/]+)$/.exec(r.rawPath);
    const service = m && l.byCborTarget.get(m[1]);
    if (!m || !service) throw unknownOperation();
    return { kind: "operation", service, protocol: "smithyRpcv2cbor", operation: m[2], rawPath: r.rawPath };
  }

  // 2. awsJson
  const target = h["x-amz-target"];
  if (target) {
    // (A repeat of the last answer was given by route(); this one is remembered for the next.)
    const dot = target.lastIndexOf(".");
    const service = dot > 0 ? l.byTarget.get(target.slice(0, dot)) : undefined;
    if (!service) throw unknownOperation();
    const protocols = l.entries[service].protocols;
    const ct = h["content-type"] ?? "";
    const protocol: ProtocolId = ct.includes("1.1") ? "awsJson1_1" : ct.includes("1.0") ? "awsJson1_0" : (protocols.find((p) => p.startsWith("awsJson")) as ProtocolId);
    const result: RouteResult = { kind: "operation", service, protocol, operation: target.slice(dot + 1), rawPath: r.rawPath };
    lastJson = { target, contentType: h["content-type"], rawPath: r.rawPath, lookups: l, result };
    return result;
  }

  // 3. Query: a form POST, or a GET carrying Action in the query string.
  const ct = h["content-type"] ?? "";
  const signed = r.signingName ? l.bySigning.get(r.signingName) : undefined;
  const isForm = r.method === "POST" && ct.startsWith("application/x-www-form-urlencoded");
  if (isForm || (r.method === "GET" && r.query.has("Action") && (!signed || signed.some((s) => l.entries[s].protocols.some(isQuery))))) {
    const candidates = (signed ?? [...l.queryByVersion.values()]).filter((s) => l.entries[s].protocols.some(isQuery));
    if (candidates.length > 0) {
      const protocol = candidates.length === 1 && l.entries[candidates[0]].protocols.includes("ec2Query") ? "ec2Query" : "awsQuery";
      return { kind: "query", protocol, candidates };
    }
  }

  // 4. REST
  let service: string | undefined;
  if (signed) {
    service = signed.length === 1 ? signed[0] : pickRest(signed, r);
  } else {
    service = "s3";
  }
  if (!service) throw unknownOperation();
  const entry = l.entries[service];
  const protocol = entry.protocols.find((p) => p === "restXml" || p === "restJson1");
  if (!protocol) throw unknownOperation();
  const model = loadModel(service);
  let rawPath = r.rawPath;
  if (model.addressing?.bucket === "virtual-host-or-path") {
    const bucket = cachedVirtualHostBucket(h.host ?? "", r.baseDomains);
    if (bucket) rawPath = "/" + bucket + (rawPath === "/" ? "" : rawPath);
  }
  const m = matcherFor(model).match(r.method, rawPath, r.query, h);
  if (!m) throw methodNotAllowed(service, r.method);
  return { kind: "operation", service, protocol, operation: m.operation, labels: m.labels, rawPath };
}

function isQuery(p: ProtocolId): boolean {
  return p === "awsQuery" || p === "ec2Query";
}

/** Several REST services share a signing name (s3 / s3-control). */
function pickRest(services: string[], r: RouteInput): string | undefined {
  for (const s of services) {
    const prefix = getLookups().entries[s].addressing?.pathPrefix;
    if (typeof prefix === "string" && r.rawPath.startsWith(prefix)) return s;
  }
  return services.find((s) => !getLookups().entries[s].addressing?.pathPrefix && getLookups().entries[s].protocols.some((p) => p.startsWith("rest")));
}

function methodNotAllowed(service: string, method: string): AwsError {
  if (service === "s3") return new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, { fields: { Method: method, ResourceType: "SERVICE" } });
  return new AwsError("UnknownOperationException", `No ${service} operation matches ${method} on this path.`, 404);
}

/**
 * virtualHostBucket's answers by Host header, for the base domains they were computed with
 * (a request's Host is one of a few values: two regexes and a lower-casing per request were
 * ~1% of a GetObject). Bounded: Host headers come from clients.
 */
const hostBuckets = new Map<string, string | null>();
let hostBucketsFor: readonly string[] | undefined;
const HOST_BUCKETS_MAX = 1024;

function cachedVirtualHostBucket(hostHeader: string, baseDomains: readonly string[]): string | undefined {
  if (hostBucketsFor !== baseDomains) {
    hostBuckets.clear();
    hostBucketsFor = baseDomains;
  }
  let b = hostBuckets.get(hostHeader);
  if (b === undefined) {
    b = virtualHostBucket(hostHeader, baseDomains) ?? null;
    if (hostBuckets.size >= HOST_BUCKETS_MAX) hostBuckets.clear();
    hostBuckets.set(hostHeader, b);
  }
  return b ?? undefined;
}

/** `mybucket.localhost`, `mybucket.s3.localhost`, `my.bucket.s3.us-east-1.example.test` -> bucket name. */
export function virtualHostBucket(hostHeader: string, baseDomains: readonly string[]): string | undefined {
  const host = hostHeader.replace(/:\d+$/, "").toLowerCase();
  for (const base of baseDomains) {
    if (host === base || !host.endsWith("." + base)) continue;
    let sub = host.slice(0, -base.length - 1);
    // Strip the service/region labels of AWS-style hosts: <bucket>.s3.<region>.<base> or <bucket>.s3.<base>
    sub = sub.replace(/\.s3(?:[.-](?:[a-z]{2}(?:-gov)?-[a-z]+-\d)|\.dualstack\.[a-z0-9-]+)?$/, "");
    if (sub === "s3" || /^s3[.-]/.test(sub)) return undefined;
    return sub || undefined;
  }
  return undefined;
}

/** After the form body is read: find the query service that models this Action. */
export function routeQuery(candidates: string[], action: string, version: string | undefined): string | undefined {
  const l = getLookups();
  if (version) {
    const byVersion = l.queryByVersion.get(version);
    if (byVersion && candidates.includes(byVersion)) return byVersion;
  }
  for (const s of candidates) if (loadModel(s).operations[action]) return s;
  return undefined;
}
