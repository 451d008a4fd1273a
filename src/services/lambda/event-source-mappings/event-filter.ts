// FilterCriteria of an event source mapping: EventBridge-style patterns ("Lambda event
// filtering", Lambda developer guide) matched against each record as Lambda sees it. For SQS
// the `body` is matched as JSON when it parses as a JSON object, else as a plain string.
// Supported: exact values, prefix, suffix, anything-but, numeric ranges, exists, null/empty,
// equals-ignore-case, wildcard and $or; a record matches when any filter of the list matches.
import { AwsError } from "../../../core/errors.js";

type Pattern = Record<string, unknown>;

export function parseFilters(criteria: { Filters?: Array<{ Pattern?: string }> } | undefined): Pattern[] {
  const filters = criteria?.Filters ?? [];
  if (filters.length > 5) throw new AwsError("InvalidParameterValueException", "The number of filters exceeds the maximum of 5.", 400, { fields: { Type: "User" } });
  return filters.map((f) => {
    try {
      const p = JSON.parse(f.Pattern ?? "");
      if (p === null || typeof p !== "object" || Array.isArray(p)) throw new Error("not an object");
      return p as Pattern;
    } catch {
      throw new AwsError("InvalidParameterValueException", `Invalid filter pattern definition.`, 400, { fields: { Type: "User" } });
    }
  });
}

export function matchesAny(filters: Pattern[], record: Record<string, unknown>): boolean {
  return filters.length === 0 || filters.some((p) => matchObject(p, record));
}

function matchObject(pattern: Pattern, value: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!Array.isArray(sub) || !sub.some((alt) => matchObject(alt as Pattern, value))) return false;
      continue;
    }
    const v = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchValues(sub, v)) return false;
    } else if (sub !== null && typeof sub === "object") {
      if (v === null || typeof v !== "object" || !matchObject(sub as Pattern, v)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/** A leaf: the field's value (or any element of an array value) matches one of the rules. */
function matchValues(rules: unknown[], v: unknown): boolean {
  const values = Array.isArray(v) ? v : [v];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === "object") {
      const r = rule as Record<string, unknown>;
      if ("exists" in r) return r.exists === (v !== undefined);
      return values.some((x) => matchRule(r, x));
    }
    return values.some((x) => x === rule && x !== undefined);
  });
}

function matchRule(r: Record<string, unknown>, x: unknown): boolean {
  if ("prefix" in r) {
    const p = r.prefix as unknown;
    if (typeof p === "object" && p !== null) return typeof x === "string" && x.toLowerCase().startsWith(String((p as { "equals-ignore-case": string })["equals-ignore-case"]).toLowerCase());
    return typeof x === "string" && x.startsWith(String(p));
  }
  if ("suffix" in r) return typeof x === "string" && x.endsWith(String(r.suffix));
  if ("equals-ignore-case" in r) return typeof x === "string" && x.toLowerCase() === String(r["equals-ignore-case"]).toLowerCase();
  if ("wildcard" in r) {
    const re = new RegExp(`^${String(r.wildcard).split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
    return typeof x === "string" && re.test(x);
  }
  if ("anything-but" in r) {
    const a = r["anything-but"];
    if (Array.isArray(a)) return x !== undefined && !a.includes(x);
    if (a !== null && typeof a === "object" && "prefix" in a) return typeof x === "string" && !x.startsWith(String((a as { prefix: string }).prefix));
    return x !== undefined && x !== a;
  }
  if ("numeric" in r) {
    if (typeof x !== "number") return false;
    const ops = r.numeric as unknown[];
    for (let i = 0; i + 1 < ops.length; i += 2) {
      const n = Number(ops[i + 1]);
      switch (ops[i]) {
        case "=": if (!(x === n)) return false; break;
        case "<": if (!(x < n)) return false; break;
        case "<=": if (!(x <= n)) return false; break;
        case ">": if (!(x > n)) return false; break;
        case ">=": if (!(x >= n)) return false; break;
        default: return false;
      }
    }
    return true;
  }
  return false;
}
