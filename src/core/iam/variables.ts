// Policy variables (IAM User Guide, "IAM policy elements: Variables and tags"):
//   ${aws:username}                 the value of a condition key of the request
//   ${aws:PrincipalTag/team, 'x'}   with a default when the key is absent
//   ${*} ${?} ${$}                  a literal *, ? or $ (so a wildcard character can be matched as itself)
// Only in policies with "Version": "2012-10-17" (older policies take the text literally), only
// in Resource and in the values of String* and Arn* conditions. A variable whose key is absent
// (and has no default) or is multi-valued makes that one Resource/value not match.
import type { ConditionContext } from "./types.js";
import { globSource } from "./wildcard.js";

export type TemplatePart =
  | { kind: "text"; text: string }
  /** ${*}, ${?}, ${$}: a character taken literally, never as a wildcard. */
  | { kind: "literal"; text: string }
  | { kind: "var"; key: string; fallback?: string };

const VAR_RE = /\$\{([^}]*)\}/g;

/** Parts of a value with variables, or undefined when it has none. */
export function parseTemplate(value: string): TemplatePart[] | undefined {
  if (!value.includes("${")) return undefined;
  const parts: TemplatePart[] = [];
  let last = 0;
  let found = false;
  for (const m of value.matchAll(VAR_RE)) {
    const idx = m.index ?? 0;
    const body = m[1].trim();
    let part: TemplatePart | undefined;
    if (body === "*" || body === "?" || body === "$") part = { kind: "literal", text: body };
    else {
      const comma = body.indexOf(",");
      if (comma < 0) part = /^[\w:./-]+$/.test(body) ? { kind: "var", key: body.toLowerCase() } : undefined;
      else {
        const key = body.slice(0, comma).trim();
        const def = body.slice(comma + 1).trim();
        const dm = /^'([^']*)'$/.exec(def);
        if (dm && /^[\w:./-]+$/.test(key)) part = { kind: "var", key: key.toLowerCase(), fallback: dm[1] };
      }
    }
    if (!part) continue; // not a variable: stays text
    found = true;
    if (idx > last) parts.push({ kind: "text", text: value.slice(last, idx) });
    parts.push(part);
    last = idx + m[0].length;
  }
  if (!found) return undefined;
  if (last < value.length) parts.push({ kind: "text", text: value.slice(last) });
  return parts;
}

/** Lower-cased-key view of a context (keys are case-insensitive). */
export function lookup(ctx: ConditionContext, lowerKey: string): string | string[] | undefined {
  return ctx[lowerKey];
}

function resolveVar(part: { key: string; fallback?: string }, ctx: ConditionContext): string | undefined {
  const v = lookup(ctx, part.key);
  if (typeof v === "string") return v;
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return part.fallback;
  return undefined; // multi-valued keys cannot be substituted
}

/** The plain string a template resolves to (for equality operators); undefined = unresolvable. */
export function resolvePlain(parts: readonly TemplatePart[], ctx: ConditionContext): string | undefined {
  let out = "";
  for (const p of parts) {
    if (p.kind === "var") {
      const v = resolveVar(p, ctx);
      if (v === undefined) return undefined;
      out += v;
    } else out += p.text;
  }
  return out;
}

/**
 * The RegExp source of a template used as a glob: text keeps its wildcards, substituted values
 * and ${*}/${?}/${$} are literal. undefined = unresolvable.
 */
export function resolveGlobSource(parts: readonly TemplatePart[], ctx: ConditionContext): string | undefined {
  let out = "";
  for (const p of parts) {
    if (p.kind === "text") out += globSource(p.text);
    else {
      const v = p.kind === "literal" ? p.text : resolveVar(p, ctx);
      if (v === undefined) return undefined;
      out += v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return out;
}

const reCache = new Map<string, RegExp>();

/** Tests `s` against a template used as a glob; compiled regexps are cached (bounded). */
export function matchTemplateGlob(parts: readonly TemplatePart[], ctx: ConditionContext, s: string, ignoreCase = false): boolean {
  const src = resolveGlobSource(parts, ctx);
  if (src === undefined) return false;
  const key = ignoreCase ? `i${src}` : `c${src}`;
  let re = reCache.get(key);
  if (!re) {
    if (reCache.size > 1024) reCache.clear();
    re = new RegExp(`^${src}$`, ignoreCase ? "i" : "");
    reCache.set(key, re);
  }
  return re.test(s);
}
