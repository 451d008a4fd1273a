// What a target receives: the whole event, a constant Input, the part of the event an InputPath
// selects, or an InputTransformer's template filled from its InputPathsMap. Paths are the
// JSONPath subset EventBridge accepts: `$`, `$.a.b`, `$.a[0]`, `$['a']`. Validation errors are
// ValidationException, as PutTargets answers them.
import { validationError, type RuleDoc, type TargetDoc } from "./store.js";

const PATH = /^\$((\.[A-Za-z0-9_\-@:$]+)|(\[\d+\])|(\['[^']+'\]))*$/;

export function validatePath(path: string, member: string): void {
  if (!PATH.test(path)) throw validationError(`${member} is not valid JSONPath: ${path}`);
}

/** Validates a target's input members (at most one of Input, InputPath, InputTransformer). */
export function validateTargetInput(t: TargetDoc): void {
  const n = (t.Input !== undefined ? 1 : 0) + (t.InputPath !== undefined ? 1 : 0) + (t.InputTransformer !== undefined ? 1 : 0);
  if (n > 1) throw validationError("Only one of Input, InputPath, or InputTransformer must be provided.");
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      throw validationError("Input is not valid JSON.");
    }
  }
  if (t.InputPath !== undefined) validatePath(t.InputPath, "InputPath");
  if (t.InputTransformer) {
    const map = t.InputTransformer.InputPathsMap ?? {};
    const keys = Object.keys(map);
    if (keys.length > 100) throw validationError("InputPathsMap has more than 100 entries.");
    for (const k of keys) {
      if (!/^[A-Za-z0-9_-]+$/.test(k)) throw validationError(`InputPathsMap key ${k} is not valid.`);
      if (k.startsWith("aws.events")) throw validationError(`InputPathsMap key ${k} is reserved.`);
      validatePath(map[k], "InputPathsMap");
    }
    const tpl = t.InputTransformer.InputTemplate;
    if (tpl === undefined || tpl === "") throw validationError("InputTemplate must be specified.");
    for (const m of tpl.matchAll(/<([^<>\s]+)>/g)) {
      if (!keys.includes(m[1]) && !RESERVED.has(m[1])) throw validationError(`InputTemplate contains a placeholder <${m[1]}> that is not in InputPathsMap.`);
    }
  }
}

const RESERVED = new Set(["aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time", "aws.events.event", "aws.events.event.json"]);

/** The value at a path, or undefined. */
export function select(event: unknown, path: string): unknown {
  let cur: unknown = event;
  const re = /\.([A-Za-z0-9_\-@:$]+)|\[(\d+)\]|\['([^']+)'\]/g;
  for (const m of path.slice(1).matchAll(re)) {
    if (cur === null || typeof cur !== "object") return undefined;
    const key = m[1] ?? m[3] ?? Number(m[2]);
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** A template that is not JSON once its placeholders are filled (plain text): values go in as text. */
function isJsonTemplate(template: string): boolean {
  try {
    JSON.parse(template.replace(/<[^<>\s]+>/g, "null"));
    return true;
  } catch {
    return false;
  }
}

/**
 * Fills an InputTemplate. In a JSON template, a placeholder inside a JSON string is replaced by
 * the value's text (strings without quotes, JSON-escaped) and outside a string by the value's
 * JSON; a path that selects nothing gives null (or nothing inside a string). In a plain-text
 * template every value goes in as text (strings without quotes).
 */
export function fillTemplate(template: string, values: Record<string, unknown>): string {
  if (!isJsonTemplate(template)) {
    return template.replace(/<([^<>\s]+)>/g, (whole, name: string) => {
      if (!Object.prototype.hasOwnProperty.call(values, name)) return whole;
      const v = values[name];
      return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
    });
  }
  let out = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "<") {
      const end = template.indexOf(">", i);
      const name = end > i ? template.slice(i + 1, end) : "";
      if (name && Object.prototype.hasOwnProperty.call(values, name)) {
        const v = values[name];
        if (inString) {
          const text = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
          out += JSON.stringify(text).slice(1, -1);
        } else out += v === undefined ? "null" : JSON.stringify(v);
        i = end;
        continue;
      }
    }
    if (c === "\\" && inString) {
      out += c + (template[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  return out;
}

/** The payload a target is invoked with, for one event. */
export function targetPayload(t: TargetDoc, rule: RuleDoc, event: Record<string, unknown>, ingestedAt: string): string {
  if (t.Input !== undefined) return t.Input;
  if (t.InputPath !== undefined) {
    const v = select(event, t.InputPath);
    return v === undefined ? "" : JSON.stringify(v);
  }
  if (t.InputTransformer) {
    const values: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(t.InputTransformer.InputPathsMap ?? {})) values[k] = select(event, p);
    values["aws.events.rule-arn"] = rule.arn;
    values["aws.events.rule-name"] = rule.name;
    values["aws.events.event.ingestion-time"] = ingestedAt;
    values["aws.events.event"] = event;
    values["aws.events.event.json"] = event;
    return fillTemplate(t.InputTransformer.InputTemplate, values);
  }
  return JSON.stringify(event);
}
