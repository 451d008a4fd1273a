// Wildcard matching as IAM does it: `*` matches any run of characters (including none), `?`
// exactly one. Patterns are compiled once per policy document (see compile.ts), to the
// cheapest matcher that does the job: a constant, an equality, a prefix, or a RegExp.
//
// Case: actions match case-insensitively (callers lower-case both sides once); resources and
// condition values case-sensitively unless the operator says IgnoreCase.

export type Matcher = (s: string) => boolean;

const ALWAYS: Matcher = () => true;

/**
 * s.startsWith(p), comparing from the end of the prefix: ARN patterns share their beginning
 * ("arn:aws:sqs:us-east-1:123456789012:") and differ at the end, and V8's startsWith costs
 * hundreds of nanoseconds per call here, which over 200 statements is the whole budget.
 */
export function hasPrefix(s: string, p: string): boolean {
  if (s.length < p.length) return false;
  for (let i = p.length - 1; i >= 0; i--) if (s.charCodeAt(i) !== p.charCodeAt(i)) return false;
  return true;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Regular-expression source for a glob (anchors excluded). */
export function globSource(pattern: string): string {
  let out = "";
  let lit = "";
  for (const ch of pattern) {
    if (ch === "*" || ch === "?") {
      if (lit) out += escapeRegExp(lit);
      lit = "";
      out += ch === "*" ? "[\\s\\S]*" : "[\\s\\S]";
    } else lit += ch;
  }
  if (lit) out += escapeRegExp(lit);
  return out;
}

/** A matcher for one glob; `ignoreCase` lower-cases the pattern (callers lower-case the input). */
export function compileGlob(pattern: string, ignoreCase = false): Matcher {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === "*") return ALWAYS;
  const star = p.indexOf("*");
  const hasQ = p.includes("?");
  if (star < 0 && !hasQ) return (s) => s === p;
  if (!hasQ && star === p.length - 1) {
    const prefix = p.slice(0, -1);
    return (s) => hasPrefix(s, prefix);
  }
  const re = new RegExp(`^${globSource(p)}$`);
  return (s) => re.test(s);
}

/** A matcher that is true when any of the globs match; one RegExp for many patterns. */
export function compileGlobs(patterns: readonly string[], ignoreCase = false): Matcher {
  if (patterns.length === 1) return compileGlob(patterns[0], ignoreCase);
  const ps = ignoreCase ? patterns.map((p) => p.toLowerCase()) : patterns;
  if (ps.includes("*")) return ALWAYS;
  if (ps.every((p) => !p.includes("*") && !p.includes("?"))) {
    const set = new Set(ps);
    return (s) => set.has(s);
  }
  // Exact names and "prefix*" patterns (the common shapes) without a RegExp.
  if (ps.every((p) => !p.includes("?") && (p.indexOf("*") < 0 || p.indexOf("*") === p.length - 1))) {
    const exact = new Set(ps.filter((p) => !p.endsWith("*")));
    const prefixes = ps.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
    return (s) => {
      if (exact.has(s)) return true;
      for (let i = 0; i < prefixes.length; i++) if (hasPrefix(s, prefixes[i])) return true;
      return false;
    };
  }
  const re = new RegExp(`^(?:${ps.map(globSource).join("|")})$`);
  return (s) => re.test(s);
}

/**
 * ArnLike: each of the six colon-separated parts of the ARN is matched on its own (a `*` in the
 * region part cannot swallow the account); the sixth part (the resource) is the rest of the
 * string, colons included. A pattern with fewer than six parts matches nothing.
 */
export function compileArnGlob(pattern: string): Matcher {
  if (pattern === "*") return ALWAYS;
  const parts = splitArn(pattern);
  if (!parts) return () => false; // fewer than six parts never matches a six-part ARN
  const ms = parts.map((p) => compileGlob(p));
  return (s) => {
    const v = splitArn(s);
    if (!v) return false;
    for (let i = 0; i < 6; i++) if (!ms[i](v[i])) return false;
    return true;
  };
}

/** ["arn", partition, service, region, account, resource] or undefined when not six parts. */
export function splitArn(s: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const c = s.indexOf(":", start);
    if (c < 0) return undefined;
    out.push(s.slice(start, c));
    start = c + 1;
  }
  out.push(s.slice(start));
  return out;
}
