// Matches a REST request (method, path, query, headers) to an operation by the model's URI
// templates. Compiled once per service, on its first REST request.
//
// Specificity (most specific first), as AWS's front ends resolve overlapping templates:
//   1. more literal path segments;  2. more literal query keys (`?uploads`, `?list-type=2`);
//   3. more required query members (UploadPart needs partNumber+uploadId);
//   4. more required header members (CopyObject needs x-amz-copy-source);
//   5. no greedy label before a greedy label; 6. shorter operation name (ListBuckets before
//   ListDirectoryBuckets, which real S3 serves on another endpoint).
// `x-id` is the SDK's hint, not a condition: when present it must agree, when absent it is ignored.
import type { OperationModel, ServiceModel } from "../model/types.js";

interface Segment {
  literal?: string;
  label?: string;
  greedy?: boolean;
}

interface CompiledRoute {
  name: string;
  method: string;
  segments: Segment[];
  queryLiterals: Array<[string, string | undefined]>;
  xId?: string;
  requiredQuery: string[];
  requiredHeaders: string[];
  score: number[];
}

export interface RestMatch {
  operation: string;
  labels: Record<string, string>;
}

function splitPath(path: string): string[] {
  const p = path.startsWith("/") ? path.slice(1) : path;
  return p === "" ? [] : p.split("/");
}

function compileRoute(model: ServiceModel, name: string, op: OperationModel, prefixBucket: boolean): CompiledRoute | undefined {
  if (!op.http) return undefined;
  let [path, query = ""] = op.http.uri.split("?", 2) as [string, string?];
  const input = op.input ? model.shapes[op.input] : undefined;
  if (prefixBucket && input?.members.Bucket?.traits?.httpLabel) path = "/{Bucket}" + (path === "/" ? "" : path);
  const segments: Segment[] = splitPath(path).map((s) => {
    const m = /^\{([^}+]+)(\+)?\}$/.exec(s);
    return m ? { label: m[1], greedy: m[2] === "+" } : { literal: s };
  });
  const queryLiterals: Array<[string, string | undefined]> = [];
  let xId: string | undefined;
  for (const part of query.split("&")) {
    if (!part) continue;
    const [k, v] = part.split("=", 2) as [string, string?];
    if (k === "x-id") xId = v;
    else queryLiterals.push([k, v]);
  }
  const requiredQuery: string[] = [];
  const requiredHeaders: string[] = [];
  for (const member of input?.required ?? []) {
    const t = input!.members[member]?.traits;
    if (t?.httpQuery) requiredQuery.push(t.httpQuery);
    if (t?.httpHeader) requiredHeaders.push(t.httpHeader.toLowerCase());
  }
  const literals = segments.filter((s) => s.literal !== undefined).length;
  const greedy = segments.some((s) => s.greedy) ? 1 : 0;
  return {
    name,
    method: op.http.method,
    segments,
    queryLiterals,
    xId,
    requiredQuery,
    requiredHeaders,
    score: [literals, queryLiterals.length, requiredQuery.length, requiredHeaders.length, -greedy, -name.length],
  };
}

function compare(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i] - a.score[i];
  return a.name < b.name ? -1 : 1;
}

export class RestMatcher {
  private readonly byMethod = new Map<string, CompiledRoute[]>();

  constructor(model: ServiceModel) {
    const prefixBucket = model.addressing?.stripBucketFromUri === true;
    for (const [name, op] of Object.entries(model.operations)) {
      const r = compileRoute(model, name, op, prefixBucket);
      if (!r) continue;
      let list = this.byMethod.get(r.method);
      if (!list) this.byMethod.set(r.method, (list = []));
      list.push(r);
    }
    for (const list of this.byMethod.values()) list.sort(compare);
  }

  /** rawPath is percent-encoded; labels come back decoded. */
  match(method: string, rawPath: string, query: Map<string, string>, headers: Record<string, string>): RestMatch | undefined {
    const routes = this.byMethod.get(method);
    if (!routes) return undefined;
    const parts = splitPath(rawPath);
    const xId = query.get("x-id");
    outer: for (const r of routes) {
      if (xId !== undefined && r.xId !== undefined && r.xId !== xId) continue;
      for (const [k, v] of r.queryLiterals) {
        const got = query.get(k);
        if (got === undefined || (v !== undefined && got !== v)) continue outer;
      }
      for (const k of r.requiredQuery) if (!query.has(k)) continue outer;
      for (const h of r.requiredHeaders) if (headers[h] === undefined) continue outer;
      const labels = matchSegments(r.segments, parts);
      if (labels) return { operation: r.name, labels };
    }
    return undefined;
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let i = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    if (seg.greedy) {
      // A greedy label takes everything up to the remaining literal suffix (S3 keys may hold '/').
      const rest = segments.length - s - 1;
      const take = parts.length - i - rest;
      if (take < 1) return undefined;
      labels[seg.label!] = decode(parts.slice(i, i + take).join("/"));
      i += take;
      continue;
    }
    if (i >= parts.length) return undefined;
    if (seg.literal !== undefined) {
      if (parts[i] !== seg.literal) return undefined;
    } else {
      if (parts[i] === "") return undefined;
      labels[seg.label!] = decode(parts[i]);
    }
    i++;
  }
  // A trailing slash after a full match is tolerated only on an empty remainder.
  if (i < parts.length && !(i === parts.length - 1 && parts[i] === "")) return undefined;
  return labels;
}
