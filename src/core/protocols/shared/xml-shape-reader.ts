// Model-driven reading of a parsed XML element into SDK v3 values, the inverse of
// xml-shape-writer.ts with the same trait rules (xmlName, xmlFlattened, xmlAttribute). Plans
// (element name -> member) are compiled once per structure shape and cached.
//
// Lenient where clients differ and nothing is ambiguous: list items are taken from every
// child element of a wrapped list whatever their name, map entries from every `entry`
// child, and unknown elements are ignored (as AWS does).
import type { MemberRef, ServiceModel, ShapeRef, StructureShape, Traits } from "../../model/types.js";
import { parseTimestamp } from "./timestamps.js";
import type { XmlElement } from "./xml-reader.js";
import { isHttpBound, type MemberFilter } from "./xml-shape-writer.js";

/** A value that does not fit its member's type; the caller turns it into the protocol's error. */
export class XmlValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlValueError";
  }
}

type Reader = (el: XmlElement) => unknown;

interface MemberPlan {
  name: string;
  kind: "value" | "flatList" | "list" | "flatMap" | "map";
  read: Reader;
  /** For maps: reads one entry element into [key, value]. */
  entry?: (el: XmlElement) => [string, unknown] | undefined;
}

interface StructPlan {
  byElement: Map<string, MemberPlan>;
  attributes: Array<{ name: string; attr: string; read: (text: string) => unknown }>;
}

const plans = { all: new WeakMap<StructureShape, StructPlan>(), unbound: new WeakMap<StructureShape, StructPlan>() };

/** Converts scalar text to its SDK value, for a simple type (timestamps: any of the three formats). */
export function scalarFromString(kind: string, text: string, where: string): unknown {
  switch (kind) {
    case "string":
      return text;
    case "number":
    case "bigDecimal": {
      const t = text.trim();
      const v = t === "NaN" ? NaN : t === "Infinity" ? Infinity : t === "-Infinity" ? -Infinity : t === "" ? NaN : Number(t);
      if (Number.isNaN(v) && t !== "NaN") throw new XmlValueError(`${where}: "${text.slice(0, 64)}" is not a number`);
      return v;
    }
    case "bigInteger":
      try {
        return BigInt(text.trim());
      } catch {
        throw new XmlValueError(`${where}: "${text.slice(0, 64)}" is not an integer`);
      }
    case "boolean": {
      const t = text.trim();
      if (t === "true") return true;
      if (t === "false") return false;
      throw new XmlValueError(`${where}: "${text.slice(0, 64)}" is not a boolean`);
    }
    case "timestamp":
      try {
        return parseTimestamp(text, where);
      } catch {
        throw new XmlValueError(`${where}: "${text.slice(0, 64)}" is not a timestamp`);
      }
    case "blob":
      return Buffer.from(text.trim(), "base64");
    case "document":
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return undefined;
  }
}

function structPlan(model: ServiceModel, shape: StructureShape, filter: MemberFilter): StructPlan {
  const cache = plans[filter];
  let plan = cache.get(shape);
  if (plan) return plan;
  plan = { byElement: new Map(), attributes: [] };
  cache.set(shape, plan);
  for (const memberName of Object.keys(shape.members)) {
    const member = shape.members[memberName];
    if (filter === "unbound" && isHttpBound(member.traits)) continue;
    if (member.traits?.xmlAttribute) {
      const kind = typeof member.target === "string" ? member.target : "string";
      plan.attributes.push({ name: memberName, attr: member.traits.xmlName ?? memberName, read: (t) => scalarFromString(kind, t, memberName) });
      continue;
    }
    const { elementName, plan: mp } = memberPlan(model, member, memberName);
    plan.byElement.set(elementName, mp);
  }
  return plan;
}

function merged(member: MemberRef): Traits {
  const t = member.target;
  if (typeof t === "object" && t.traits) return { ...t.traits, ...member.traits };
  return member.traits ?? {};
}

function memberPlan(model: ServiceModel, member: MemberRef, memberName: string): { elementName: string; plan: MemberPlan } {
  const target = member.target;
  if (typeof target === "object" && target.type === "list") {
    const traits = merged(member);
    const elementName = traits.xmlName ?? memberName;
    const item = valueReader(model, target.member.target, memberName);
    if (traits.xmlFlattened) return { elementName, plan: { name: memberName, kind: "flatList", read: item } };
    return { elementName, plan: { name: memberName, kind: "list", read: (el) => el.children.map(item) } };
  }
  if (typeof target === "object" && target.type === "map") {
    const traits = merged(member);
    const elementName = traits.xmlName ?? memberName;
    const entry = entryReader(model, target.key, target.value, memberName);
    if (traits.xmlFlattened) return { elementName, plan: { name: memberName, kind: "flatMap", read: () => undefined, entry } };
    return { elementName, plan: { name: memberName, kind: "map", read: (el) => readEntries(el, entry) } };
  }
  return { elementName: member.traits?.xmlName ?? memberName, plan: { name: memberName, kind: "value", read: valueReader(model, target, memberName) } };
}

function entryReader(model: ServiceModel, key: MemberRef, value: MemberRef, where: string): (el: XmlElement) => [string, unknown] | undefined {
  const keyName = key.traits?.xmlName ?? "key";
  const valueName = value.traits?.xmlName ?? "value";
  const readValue = valueReader(model, value.target, where);
  return (el) => {
    let k: string | undefined;
    let v: unknown;
    for (const c of el.children) {
      if (c.name === keyName) k = c.text;
      else if (c.name === valueName) v = readValue(c);
    }
    return k === undefined ? undefined : [k, v];
  };
}

function readEntries(el: XmlElement, entry: (el: XmlElement) => [string, unknown] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    if (c.name !== "entry") continue;
    const kv = entry(c);
    if (kv && kv[0] !== "__proto__") out[kv[0]] = kv[1];
  }
  return out;
}

function valueReader(model: ServiceModel, ref: ShapeRef, where: string): Reader {
  if (typeof ref === "string") {
    const shape = model.shapes[ref];
    if (!shape) return (el) => scalarFromString(ref, el.text, where);
    let plan: StructPlan | undefined;
    return (el) => readStructWith((plan ??= structPlan(model, shape, "all")), el);
  }
  if (ref.type === "list") {
    const item = valueReader(model, ref.member.target, where);
    return (el) => el.children.map(item);
  }
  const entry = entryReader(model, ref.key, ref.value, where);
  if (ref.traits?.xmlFlattened) {
    return (el) => {
      const out: Record<string, unknown> = {};
      const kv = entry(el);
      if (kv) out[kv[0]] = kv[1];
      return out;
    };
  }
  return (el) => readEntries(el, entry);
}

function readStructWith(plan: StructPlan, el: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (plan.attributes.length && el.attributes) {
    for (const a of plan.attributes) {
      const t = el.attributes[a.attr];
      if (t !== undefined) out[a.name] = a.read(t);
    }
  }
  for (const child of el.children) {
    const m = plan.byElement.get(child.name);
    if (!m) continue;
    switch (m.kind) {
      case "value":
      case "list":
      case "map":
        out[m.name] = m.read(child);
        break;
      case "flatList": {
        const list = out[m.name] as unknown[] | undefined;
        if (list) list.push(m.read(child));
        else out[m.name] = [m.read(child)];
        break;
      }
      case "flatMap": {
        const kv = m.entry!(child);
        if (kv && kv[0] !== "__proto__") ((out[m.name] ??= {}) as Record<string, unknown>)[kv[0]] = kv[1];
        break;
      }
    }
  }
  return out;
}

/** Reads an element as the named structure (the element's own name is not checked). */
export function readXmlStruct(model: ServiceModel, shapeName: string, el: XmlElement, filter: MemberFilter = "all"): Record<string, unknown> {
  const shape = model.shapes[shapeName];
  if (!shape) throw new Error(`model ${model.service}: no shape ${shapeName}`);
  return readStructWith(structPlan(model, shape, filter), el);
}

/** Reads an element as any shape ref (structure, list, map or scalar). */
export function readXmlValue(model: ServiceModel, ref: ShapeRef, el: XmlElement, where = "value"): unknown {
  return valueReader(model, ref, where)(el);
}
