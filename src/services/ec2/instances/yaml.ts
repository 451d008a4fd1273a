// The YAML subset #cloud-config files use: block mappings and sequences by indentation, `|` and
// `>` block scalars, flow sequences `[a, "b c"]`, quoted and plain scalars, comments. Anchors,
// tags, flow mappings and multi-document streams are not read (GAPS.md).
export type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };

interface Line {
  indent: number;
  text: string;
}

export function parseYaml(src: string): Yaml {
  const lines: Line[] = [];
  for (const raw of src.replace(/\r\n/g, "\n").split("\n")) {
    const indent = raw.length - raw.trimStart().length;
    lines.push({ indent, text: raw.slice(indent) });
  }
  let i = 0;

  const skipBlank = () => {
    while (i < lines.length && (lines[i].text === "" || lines[i].text.startsWith("#"))) i++;
  };

  function scalar(s: string): Yaml {
    s = stripComment(s).trim();
    if (s === "" || s === "~" || s === "null") return null;
    if (s.startsWith('"') && s.endsWith('"')) return JSON.parse(s.replace(/\\\n/g, "")) as string;
    if (s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
    if (s.startsWith("[") && s.endsWith("]")) return splitFlow(s.slice(1, -1)).map(scalar);
    if (s === "true" || s === "True") return true;
    if (s === "false" || s === "False") return false;
    if (/^-?\d+(\.\d+)?$/.test(s) && !/^0\d/.test(s)) return Number(s);
    return s;
  }

  function blockScalar(style: string, parentIndent: number): string {
    const out: string[] = [];
    let indent = -1;
    while (i < lines.length) {
      const l = lines[i];
      if (l.text !== "" && l.indent <= parentIndent) break;
      if (l.text !== "" && indent < 0) indent = l.indent;
      out.push(l.text === "" ? "" : " ".repeat(Math.max(0, l.indent - indent)) + l.text);
      i++;
    }
    while (out.length && out[out.length - 1] === "") out.pop();
    const keep = style.includes("+");
    const strip = style.includes("-");
    const body = style.startsWith(">") ? out.join("\n").replace(/([^\n])\n(?=[^\n ])/g, "$1 ") : out.join("\n");
    return strip ? body : body + (keep || out.length ? "\n" : "");
  }

  /** The value after `key:` or `- ` on the current line: inline, a block scalar, or a nested block. */
  function valueAfter(rest: string, indent: number): Yaml {
    const r = stripComment(rest).trim();
    if (r === "|" || r === ">" || /^[|>][+-]?$/.test(r)) return blockScalar(r, indent);
    if (r !== "") return scalar(rest);
    skipBlank();
    if (i < lines.length && (lines[i].indent > indent || (lines[i].indent === indent && lines[i].text.startsWith("- ")))) return block(lines[i].indent);
    return null;
  }

  function block(indent: number): Yaml {
    skipBlank();
    if (i >= lines.length) return null;
    if (lines[i].text === "-" || lines[i].text.startsWith("- ")) {
      const seq: Yaml[] = [];
      while (i < lines.length) {
        skipBlank();
        if (i >= lines.length) break;
        const l = lines[i];
        if (l.indent !== indent || !(l.text === "-" || l.text.startsWith("- "))) break;
        const rest = l.text.slice(1);
        const inner = rest.trimStart();
        const m = /^([^\s'"[{#][^:]*?|"[^"]*"|'[^']*'):(?:\s+|$)(.*)$/.exec(inner);
        if (m && !inner.startsWith("[")) {
          // "- key: value" starts a mapping indented at the key's column.
          const col = indent + 1 + (rest.length - inner.length);
          lines[i] = { indent: col, text: inner };
          seq.push(block(col));
        } else {
          i++;
          seq.push(valueAfter(rest, indent));
        }
      }
      return seq;
    }
    const map: { [k: string]: Yaml } = {};
    while (i < lines.length) {
      skipBlank();
      if (i >= lines.length) break;
      const l = lines[i];
      if (l.indent !== indent) break;
      const m = /^("[^"]*"|'[^']*'|[^:#]+?):(?:\s+|$)(.*)$/.exec(l.text);
      if (!m) throw new Error(`cannot parse line ${i + 1}: ${l.text}`);
      const key = String(scalar(m[1]));
      i++;
      map[key] = valueAfter(m[2], indent);
    }
    return map;
  }

  skipBlank();
  return i < lines.length ? block(lines[i].indent) : null;
}

function stripComment(s: string): string {
  let quote = "";
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (k === 0 || /\s/.test(s[k - 1]))) return s.slice(0, k);
  }
  return s;
}

function splitFlow(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = "";
  let depth = 0;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = "";
      cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === "[") {
      depth++;
      cur += c;
    } else if (c === "]") {
      depth--;
      cur += c;
    } else if (c === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur.trim() !== "") out.push(cur);
  return out;
}
