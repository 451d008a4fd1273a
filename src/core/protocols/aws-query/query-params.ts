// Reading awsQuery / ec2Query parameters into the operation's input, driven by the model.
//
// The flat parameter list (`Tags.member.1.Key=a&Tags.member.1.Value=b`) is first folded into
// a tree on the dots, then the input shape walks the tree:
//
//   structure member   key = xmlName ?? memberName           (ec2: ec2QueryName ?? Cap(xmlName ?? memberName))
//   list               Name.<item>.N, item = list member's xmlName ?? "member";
//                      xmlFlattened (and always in ec2Query): Name.N
//                      an empty list is `Name=` (the key alone)
//   map                Name.entry.N.<K>, Name.entry.N.<V>, K/V = key/value xmlName ?? "key"/"value";
//                      xmlFlattened: Name.N.<K>, Name.N.<V>
//   scalars            strings as sent, numbers, "true"/"false", timestamps (ISO 8601, or epoch
//                      seconds, or http-date), blobs base64
//
// Readers are lenient about wrapped vs flattened lists (a client that flattens a wrapped
// list, or the reverse, is still understood); unknown keys are ignored.
import { AwsError } from "../../errors.js";
import type { MemberRef, ServiceModel, ShapeRef, StructureShape, Traits } from "../../model/types.js";
import { scalarFromString, XmlValueError } from "../shared/xml-shape-reader.js";

export type QueryVariant = "query" | "ec2";

/** A node of the parameter tree: its own value (the key was sent) and its children by segment. */
export interface ParamNode {
  v?: string;
  c?: Map<string, ParamNode>;
}

/** Folds decoded parameters into the tree. Later values win over earlier ones. */
export function paramTree(params: Iterable<[string, string]>): ParamNode {
  const root: ParamNode = {};
  for (const [key, value] of params) {
    let node = root;
    let start = 0;
    for (;;) {
      const dot = key.indexOf(".", start);
      const seg = dot === -1 ? key.slice(start) : key.slice(start, dot);
      const c = (node.c ??= new Map());
      let next = c.get(seg);
      if (!next) c.set(seg, (next = {}));
      node = next;
      if (dot === -1) break;
      start = dot + 1;
    }
    node.v = value;
  }
  return root;
}

/** Parameters of a query request: the URL query string, then the form body (which wins). */
export function requestParams(query: Array<[string, string]>, body: Buffer | undefined): Array<[string, string]> {
  if (!body || body.length === 0) return query;
  const out = query.slice();
  for (const kv of new URLSearchParams(body.toString("utf8"))) out.push(kv);
  return out;
}

type Decoder = (node: ParamNode, path: string) => unknown;

interface StructPlan {
  /**
   * Members by key. Usually one; a few models give two members the same key (SQS
   * ReceiveMessage AttributeNames and MessageSystemAttributeNames are both `AttributeName`):
   * the value is then given to each, so a handler reading either sees what was sent.
   */
  byKey: Map<string, Array<{ name: string; decode: Decoder }>>;
}

const plans: Record<QueryVariant, WeakMap<StructureShape, StructPlan>> = { query: new WeakMap(), ec2: new WeakMap() };

function capitalize(s: string): string {
  return s.length && s.charCodeAt(0) >= 97 && s.charCodeAt(0) <= 122 ? s[0].toUpperCase() + s.slice(1) : s;
}

function merged(member: MemberRef): Traits {
  const t = member.target;
  if (typeof t === "object" && t.traits) return { ...t.traits, ...member.traits };
  return member.traits ?? {};
}

/** The parameter key segment of a structure member. */
export function memberKey(variant: QueryVariant, memberName: string, traits: Traits): string {
  if (variant === "ec2") {
    const q = traits.ec2QueryName;
    return typeof q === "string" ? q : capitalize(traits.xmlName ?? memberName);
  }
  return traits.xmlName ?? memberName;
}

function structPlan(model: ServiceModel, shape: StructureShape, variant: QueryVariant): StructPlan {
  const cache = plans[variant];
  let plan = cache.get(shape);
  if (plan) return plan;
  plan = { byKey: new Map() };
  cache.set(shape, plan);
  for (const memberName of Object.keys(shape.members)) {
    const member = shape.members[memberName];
    const traits = merged(member);
    const key = memberKey(variant, memberName, traits);
    const entry = { name: memberName, decode: decoder(model, member.target, traits, variant) };
    const same = plan.byKey.get(key);
    if (same) same.push(entry);
    else plan.byKey.set(key, [entry]);
  }
  return plan;
}

function invalid(path: string, value: string, why: string): AwsError {
  return new AwsError("InvalidParameterValue", `Value (${value.slice(0, 256)}) for parameter ${path} is invalid. ${why}`, 400);
}

/** Numbered children (`1`, `2`, ...) in index order. */
function indexed(node: ParamNode | undefined): ParamNode[] {
  if (!node?.c) return [];
  const items: Array<[number, ParamNode]> = [];
  for (const [seg, child] of node.c) {
    const n = Number(seg);
    if (Number.isInteger(n) && n >= 0 && seg.length > 0) items.push([n, child]);
  }
  items.sort((a, b) => a[0] - b[0]);
  return items.map((x) => x[1]);
}

function decoder(model: ServiceModel, ref: ShapeRef, traits: Traits, variant: QueryVariant): Decoder {
  if (typeof ref === "string") {
    const shape = model.shapes[ref];
    if (shape) {
      let plan: StructPlan | undefined;
      return (node, path) => decodeStruct((plan ??= structPlan(model, shape, variant)), node, path);
    }
    const kind = ref;
    return (node, path) => {
      const v = node.v;
      if (v === undefined) return undefined;
      try {
        return scalarFromString(kind, v, path);
      } catch (e) {
        if (e instanceof XmlValueError) throw invalid(path, v, `Expected a ${kind}.`);
        throw e;
      }
    };
  }
  if (ref.type === "list") {
    const item = ref.member;
    const decodeItem = decoder(model, item.target, item.traits ?? {}, variant);
    const flat = variant === "ec2" || !!traits.xmlFlattened;
    const itemSeg = item.traits?.xmlName ?? "member";
    return (node, path) => {
      // Wrapped lists hold their items under the item segment; accept either form.
      const container = flat ? (node.c?.get("member") && !node.c.has("1") ? node.c.get("member") : node) : (node.c?.get(itemSeg) ?? node);
      const out: unknown[] = [];
      for (const child of indexed(container)) {
        const v = decodeItem(child, path);
        if (v !== undefined) out.push(v);
      }
      return out;
    };
  }
  const keySeg = ref.key.traits?.xmlName ?? "key";
  const valueSeg = ref.value.traits?.xmlName ?? "value";
  const decodeKey = decoder(model, ref.key.target, ref.key.traits ?? {}, variant);
  const decodeValue = decoder(model, ref.value.target, ref.value.traits ?? {}, variant);
  const flat = !!traits.xmlFlattened;
  return (node, path) => {
    const container = flat ? node : (node.c?.get("entry") ?? node);
    const out: Record<string, unknown> = {};
    for (const entry of indexed(container)) {
      const k = entry.c?.get(keySeg);
      if (!k) continue;
      const key = decodeKey(k, path);
      if (typeof key !== "string" || key === "__proto__") continue;
      const vn = entry.c?.get(valueSeg);
      out[key] = vn ? decodeValue(vn, `${path}.${key}`) : undefined;
    }
    return out;
  };
}

function decodeStruct(plan: StructPlan, node: ParamNode, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!node.c) return out;
  for (const [seg, child] of node.c) {
    const members = plan.byKey.get(seg);
    if (!members) continue;
    for (const m of members) {
      const v = m.decode(child, path ? `${path}.${seg}` : seg);
      if (v !== undefined) out[m.name] = v;
    }
  }
  return out;
}

/** Decodes the whole parameter tree as the operation's input structure. */
export function decodeQueryInput(model: ServiceModel, inputShape: string | undefined, root: ParamNode, variant: QueryVariant): Record<string, unknown> {
  if (!inputShape) return {};
  const shape = model.shapes[inputShape];
  if (!shape) throw new Error(`model ${model.service}: no shape ${inputShape}`);
  return decodeStruct(structPlan(model, shape, variant), root, "");
}
