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

/** Per method, the routes whose query keys a request's query has, by its set of keys (bounded: keys come from clients). */
const CANDIDATES_MAX = 256;

export class RestMatcher {
  private readonly byMethod = new Map<string, CompiledRoute[]>();
  private readonly candidates = new Map<string, Map<string, CompiledRoute[]>>();

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
    const routes = this.candidatesFor(method, query);
    if (!routes) return undefined;
    const parts = splitPath(rawPath);
    const xId = query.get("x-id");
    outer: for (let i = 0; i < routes.length; i++) {
      const r = routes[i];
      if (xId !== undefined && r.xId !== undefined && r.xId !== xId) continue;
      // Every key is present (candidatesFor); the literal values still have to agree.
      for (let j = 0; j < r.queryLiterals.length; j++) {
        const v = r.queryLiterals[j][1];
        if (v !== undefined && query.get(r.queryLiterals[j][0]) !== v) continue outer;
      }
      for (let j = 0; j < r.requiredHeaders.length; j++) if (headers[r.requiredHeaders[j]] === undefined) continue outer;
      const labels = matchSegments(r.segments, parts);
      if (labels) return { operation: r.name, labels };
    }
    return undefined;
  }

  /**
   * The method's routes, in order, less those needing a query key the request lacks: S3 has ~50
   * GET templates, most of them `?acl`-style, and a GetObject walked through all of them.
   * Computed once per distinct set of query keys.
   */
  private candidatesFor(method: string, query: Map<string, string>): CompiledRoute[] | undefined {
    const routes = this.byMethod.get(method);
    if (!routes) return undefined;
    // Length-prefixed names: no two key sets share a text, whatever the keys hold.
    let key = "";
    for (const k of query.keys()) key += `${k.length}:${k}`;
    let byKeys = this.candidates.get(method);
    if (!byKeys) this.candidates.set(method, (byKeys = new Map()));
    let list = byKeys.get(key);
    if (list === undefined) {
      list = routes.filter((r) => r.queryLiterals.every(([k]) => query.has(k)) && r.requiredQuery.every((k) => query.has(k)));
      if (byKeys.size >= CANDIDATES_MAX) byKeys.clear();
      byKeys.set(key, list);
    }
    return list;
  }
}

function decode(s: string): string {
  // Most labels hold no escape: nothing to decode (decodeURIComponent and its try cost more).
  if (s.indexOf("%") === -1) return s;
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
