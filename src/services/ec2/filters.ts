// One filter engine for every EC2 Describe call. A Filter is {Name, Values}: an item matches
// when, for every filter, at least one value matches (AND across filters, OR within one).
// Values may use `*` (any run of characters) and `?` (one character), as on AWS.
// `tag:<key>` and `tag-key` / `tag-value` work on any item whose accessor map exposes `tags`.
import { AwsError } from "../../core/errors.js";

export interface Filter {
  Name?: string;
  Values?: string[];
}

/** Maps a filter name to the value(s) of an item it compares against. */
export type FilterAccessors<T> = Record<string, (item: T) => string | number | boolean | undefined | Array<string | number | boolean | undefined>>;

const patternCache = new Map<string, RegExp>();

function pattern(value: string): RegExp {
  let re = patternCache.get(value);
  if (!re) {
    const src = value.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${src}$`);
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(value, re);
  }
  return re;
}

export function applyFilters<T>(items: T[], filters: Filter[] | undefined, accessors: FilterAccessors<T>, tagsOf?: (item: T) => Record<string, string>): T[] {
  if (!filters || filters.length === 0) return items;
  const checks = filters.map((f) => {
    const name = f.Name ?? "";
    const values = f.Values ?? [];
    let get: (item: T) => unknown[];
    if (name.startsWith("tag:") && tagsOf) {
      const key = name.slice(4);
      get = (item) => [tagsOf(item)[key]];
    } else if (name === "tag-key" && tagsOf) {
      get = (item) => Object.keys(tagsOf(item));
    } else if (name === "tag-value" && tagsOf) {
      get = (item) => Object.values(tagsOf(item));
    } else {
      const acc = accessors[name];
      if (!acc) throw new AwsError("InvalidParameterValue", `The filter '${name}' is invalid`, 400);
      get = (item) => {
        const v = acc(item);
        return Array.isArray(v) ? v : [v];
      };
    }
    const res = values.map(pattern);
    return (item: T) => get(item).some((v) => v !== undefined && res.some((re) => re.test(String(v))));
  });
  return items.filter((item) => checks.every((c) => c(item)));
}
