// Model-driven XML serialization shared by awsQuery, ec2Query and restXml. The element names,
// flattening, attributes and namespaces come only from the model's traits, with the rules
// the Smithy XML traits define (and the SDK v3 XmlShapeSerializer/Deserializer implement):
//
//   structure member     <xmlName ?? memberName>...</>
//   list member          <Name><item-name>v</item-name>...</Name>, item-name = list member's
//                        xmlName ?? "member"; xmlFlattened: <Name>v</Name><Name>v</Name>
//   map member           <Name><entry><K>k</K><V>v</V></entry>...</Name>, K/V = key/value
//                        xmlName ?? "key"/"value"; xmlFlattened: <Name><K>k</K><V>v</V></Name>...
//   xmlAttribute member  written as name="value" on the enclosing element
//   xmlNamespace         xmlns[:prefix]="uri" on the element it is applied to
//
// Each structure is compiled once into a plan of member writers (closures with their tags
// precomputed) and cached per shape object, so serializing a response is string
// concatenation only.
import type { MemberRef, ServiceModel, ShapeRef, StructureShape, Traits } from "../../model/types.js";
import { escapeXmlAttr, scalarStringWriter, scalarTextWriter, xmlnsAttribute, type ScalarKind } from "./xml-writer.js";

type Writer = (v: unknown) => string;

interface StructPlan {
  /** Writers of the element members, in model order. */
  elements: Array<{ name: string; write: Writer }>;
  /** Writers of xmlAttribute members: each returns ` name="value"`. */
  attributes: Array<{ name: string; write: Writer }>;
}

/** Which members of a structure a plan covers: all, or only those with no HTTP binding (restXml top level). */
export type MemberFilter = "all" | "unbound";

const HTTP_BINDINGS = ["httpLabel", "httpQuery", "httpQueryParams", "httpHeader", "httpPrefixHeaders", "httpPayload", "httpResponseCode"] as const;

/** True when a member is bound to a part of the HTTP message other than the body. */
export function isHttpBound(traits: Traits | undefined): boolean {
  if (!traits) return false;
  for (const t of HTTP_BINDINGS) if (traits[t] !== undefined) return true;
  return false;
}

const plans = { all: new WeakMap<StructureShape, StructPlan>(), unbound: new WeakMap<StructureShape, StructPlan>() };

function structShape(model: ServiceModel, name: string): StructureShape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model ${model.service}: no shape ${name}`);
  return shape;
}

function structPlan(model: ServiceModel, shape: StructureShape, filter: MemberFilter): StructPlan {
  const cache = plans[filter];
  let plan = cache.get(shape);
  if (plan) return plan;
  plan = { elements: [], attributes: [] };
  // Register before compiling members: recursive shapes compile lazily through the cache.
  cache.set(shape, plan);
  for (const memberName of Object.keys(shape.members)) {
    const member = shape.members[memberName];
    if (filter === "unbound" && isHttpBound(member.traits)) continue;
    if (member.traits?.xmlAttribute) {
      const attrName = member.traits.xmlName ?? memberName;
      const str = scalarStringWriter(scalarKind(member.target), tsFormat(member.traits));
      plan.attributes.push({ name: memberName, write: (v) => ` ${attrName}="${escapeXmlAttr(str(v))}"` });
      continue;
    }
    plan.elements.push({ name: memberName, write: memberWriter(model, member, memberName) });
  }
  return plan;
}

function scalarKind(ref: ShapeRef): ScalarKind {
  return (typeof ref === "string" ? ref : "string") as ScalarKind;
}

function tsFormat(traits: Traits | undefined) {
  return traits?.timestampFormat ?? "date-time";
}

function mergedCollectionTraits(member: MemberRef): Traits {
  const t = member.target;
  if (typeof t === "object" && t.traits) return { ...t.traits, ...member.traits };
  return member.traits ?? {};
}

/** Writer of a structure member: one element, or several for flattened lists/maps, or "" for empty flattened ones. */
function memberWriter(model: ServiceModel, member: MemberRef, memberName: string): Writer {
  const target = member.target;
  if (typeof target === "object" && target.type === "list") {
    const traits = mergedCollectionTraits(member);
    const name = traits.xmlName ?? memberName;
    const ns = xmlnsAttribute(traits.xmlNamespace);
    const item = target.member;
    if (traits.xmlFlattened) {
      const w = valueWriter(model, item.target, item.traits, name);
      return (v) => {
        if (!Array.isArray(v)) return "";
        let s = "";
        for (let i = 0; i < v.length; i++) if (v[i] !== undefined && v[i] !== null) s += w(v[i]);
        return s;
      };
    }
    const w = valueWriter(model, item.target, item.traits, item.traits?.xmlName ?? "member");
    const open = `<${name}${ns}>`;
    const close = `</${name}>`;
    const empty = `<${name}${ns}/>`;
    return (v) => {
      if (!Array.isArray(v) || v.length === 0) return empty;
      let s = open;
      for (let i = 0; i < v.length; i++) if (v[i] !== undefined && v[i] !== null) s += w(v[i]);
      return s + close;
    };
  }
  if (typeof target === "object" && target.type === "map") {
    const traits = mergedCollectionTraits(member);
    const name = traits.xmlName ?? memberName;
    const ns = xmlnsAttribute(traits.xmlNamespace);
    const entry = entryWriter(model, target.key, target.value);
    if (traits.xmlFlattened) {
      const open = `<${name}${ns}>`;
      const close = `</${name}>`;
      return (v) => {
        if (!v || typeof v !== "object") return "";
        let s = "";
        for (const k in v as Record<string, unknown>) {
          const x = (v as Record<string, unknown>)[k];
          if (x !== undefined && x !== null) s += open + entry(k, x) + close;
        }
        return s;
      };
    }
    const open = `<${name}${ns}>`;
    const close = `</${name}>`;
    return (v) => {
      if (!v || typeof v !== "object") return `<${name}${ns}/>`;
      let s = open;
      for (const k in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined && x !== null) s += "<entry>" + entry(k, x) + "</entry>";
      }
      return s + close;
    };
  }
  return valueWriter(model, target, member.traits, member.traits?.xmlName ?? memberName);
}

function entryWriter(model: ServiceModel, key: MemberRef, value: MemberRef): (k: string, v: unknown) => string {
  const keyName = key.traits?.xmlName ?? "key";
  const keyText = scalarTextWriter("string");
  const keyOpen = `<${keyName}${xmlnsAttribute(key.traits?.xmlNamespace)}>`;
  const keyClose = `</${keyName}>`;
  const val = valueWriter(model, value.target, value.traits, value.traits?.xmlName ?? "value");
  return (k, v) => keyOpen + keyText(k) + keyClose + val(v);
}

/** Writer of one value as a complete element named `name` (list items, map values, plain members). */
function valueWriter(model: ServiceModel, ref: ShapeRef, traits: Traits | undefined, name: string): Writer {
  const ns = xmlnsAttribute(traits?.xmlNamespace);
  const open = `<${name}${ns}>`;
  const close = `</${name}>`;
  if (typeof ref === "string") {
    const shape = model.shapes[ref];
    if (!shape) {
      const text = scalarTextWriter(scalarKind(ref), tsFormat(traits));
      return (v) => open + text(v) + close;
    }
    let plan: StructPlan | undefined;
    const openStart = `<${name}${ns}`;
    return (v) => {
      plan ??= structPlan(model, shape, "all");
      if (plan.attributes.length === 0) return open + writeMembers(plan, v) + close;
      return openStart + writeAttributes(plan, v) + ">" + writeMembers(plan, v) + close;
    };
  }
  if (ref.type === "list") {
    // A list nested directly in a list or map: the items go inside this element.
    const item = ref.member;
    const w = valueWriter(model, item.target, item.traits, item.traits?.xmlName ?? "member");
    return (v) => {
      let s = open;
      if (Array.isArray(v)) for (const x of v) if (x !== undefined && x !== null) s += w(x);
      return s + close;
    };
  }
  const entry = entryWriter(model, ref.key, ref.value);
  const flat = !!ref.traits?.xmlFlattened;
  return (v) => {
    let s = open;
    if (v && typeof v === "object") {
      for (const k in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined || x === null) continue;
        s += flat ? entry(k, x) : "<entry>" + entry(k, x) + "</entry>";
      }
    }
    return s + close;
  };
}

function writeMembers(plan: StructPlan, v: unknown): string {
  if (!v || typeof v !== "object") return "";
  const o = v as Record<string, unknown>;
  let s = "";
  const els = plan.elements;
  for (let i = 0; i < els.length; i++) {
    const x = o[els[i].name];
    if (x !== undefined && x !== null) s += els[i].write(x);
  }
  return s;
}

function writeAttributes(plan: StructPlan, v: unknown): string {
  if (!v || typeof v !== "object") return "";
  const o = v as Record<string, unknown>;
  let s = "";
  for (const a of plan.attributes) {
    const x = o[a.name];
    if (x !== undefined && x !== null) s += a.write(x);
  }
  return s;
}

/** The member elements of a structure value (no enclosing element). */
export function xmlStructBody(model: ServiceModel, shapeName: string, value: unknown, filter: MemberFilter = "all"): string {
  return writeMembers(structPlan(model, structShape(model, shapeName), filter), value);
}

/** ` name="value"` attributes of a structure value's xmlAttribute members. */
export function xmlStructAttributes(model: ServiceModel, shapeName: string, value: unknown, filter: MemberFilter = "all"): string {
  const plan = structPlan(model, structShape(model, shapeName), filter);
  return plan.attributes.length ? writeAttributes(plan, value) : "";
}

/** True when the plan for this structure writes at least one element or attribute. */
export function xmlStructHasBody(model: ServiceModel, shapeName: string, filter: MemberFilter = "all"): boolean {
  const plan = structPlan(model, structShape(model, shapeName), filter);
  return plan.elements.length > 0 || plan.attributes.length > 0;
}

/**
 * A structure as a whole element: `<root xmlns...>members</root>`. `xmlns` is the already
 * formatted namespace attribute(s) for the root (see xmlnsAttribute).
 */
export function xmlStructElement(model: ServiceModel, shapeName: string, value: unknown, root: string, xmlns: string, filter: MemberFilter = "all"): string {
  const plan = structPlan(model, structShape(model, shapeName), filter);
  const attrs = plan.attributes.length ? writeAttributes(plan, value) : "";
  return `<${root}${xmlns}${attrs}>${writeMembers(plan, value)}</${root}>`;
}

/** Writer for one member of a structure, by name, e.g. a modeled field of an error (undefined when not modeled). */
export function xmlMemberWriter(model: ServiceModel, shapeName: string, memberName: string): Writer | undefined {
  const shape = model.shapes[shapeName];
  if (!shape) return undefined;
  const plan = structPlan(model, shape, "all");
  return plan.elements.find((e) => e.name === memberName)?.write;
}
