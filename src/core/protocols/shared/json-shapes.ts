// A compiled, cached view of a service model's shapes for the hot path of the JSON-family
// protocols (awsJson, restJson1, rpcv2Cbor) and of validate.ts. Each structure is compiled
// once per service (on first use), with its members' nodes resolved and two facts
// precomputed by a fixpoint over the (possibly cyclic) shape graph:
//
//   needsRpc  - a timestamp, blob, or big number sits somewhere below: JSON.parse output
//               must be walked to turn epoch numbers into Date and base64 into Buffer (and
//               back on the way out). Everything else passes through untouched.
//   needsRest - the same, or a member renamed by jsonName (restJson1 honours jsonName;
//               awsJson and rpcv2Cbor ignore it, as the Smithy protocol specs say).
//
// Only the members that need work are listed in `walkRpc` / `walkRest`, so a walk touches the
// needy paths and nothing else.
import type { ListRef, MapRef, MemberRef, ServiceModel, ShapeRef, StructureShape, Traits } from "../../model/types.js";

export type SimpleKind = "string" | "number" | "boolean" | "blob" | "timestamp" | "document" | "bigInteger" | "bigDecimal" | "unit";

export interface SimpleNode {
  kind: SimpleKind;
  /** Member traits of the reference (timestampFormat, mediaType, streaming...). */
  traits: Traits | undefined;
}
export interface ListNode {
  kind: "list";
  member: ShapeNode;
  traits: Traits | undefined;
}
export interface MapNode {
  kind: "map";
  key: ShapeNode;
  value: ShapeNode;
  traits: Traits | undefined;
}
export interface StructNode {
  kind: "structure" | "union";
  name: string;
  shape: StructureShape;
  members: MemberNode[];
  byName: Map<string, MemberNode>;
  required: MemberNode[];
  traits: Traits | undefined;
  needsRpc: boolean;
  needsRest: boolean;
  /** Members whose value needs conversion in awsJson / rpcv2Cbor. */
  walkRpc: MemberNode[];
  /** Members whose value needs conversion or renaming in restJson1. */
  walkRest: MemberNode[];
  /** Members with the idempotencyToken trait (filled by the server when a client omits them). */
  tokens: MemberNode[];
}
export type ShapeNode = SimpleNode | ListNode | MapNode | StructNode;

export interface MemberNode {
  name: string;
  /** Name on the restJson1 wire (jsonName trait, else the member name). */
  jsonName: string;
  /** lowerCamel name used in AWS validation messages (`tableName`). */
  camel: string;
  node: ShapeNode;
  traits: Traits;
}

interface Compiled {
  structs: Map<string, StructNode>;
}

const cache = new WeakMap<ServiceModel, Compiled>();
const NO_TRAITS: Traits = Object.freeze({}) as Traits;

function compiled(service: ServiceModel): Compiled {
  let c = cache.get(service);
  if (!c) {
    c = { structs: new Map() };
    cache.set(service, c);
  }
  return c;
}

const SIMPLE = new Set<string>(["string", "number", "boolean", "blob", "timestamp", "document", "bigInteger", "bigDecimal", "unit"]);

/** The compiled structure `name` of `service`; throws if the model has no such shape. */
export function structNode(service: ServiceModel, name: string): StructNode {
  const c = compiled(service);
  const hit = c.structs.get(name);
  if (hit) return hit;
  const fresh: StructNode[] = [];
  const root = buildStruct(service, c, name, fresh);
  settle(fresh);
  return root;
}

function buildStruct(service: ServiceModel, c: Compiled, name: string, fresh: StructNode[]): StructNode {
  const hit = c.structs.get(name);
  if (hit) return hit;
  const shape = service.shapes[name];
  if (!shape) throw new Error(`model ${service.service}: no shape ${name}`);
  const node: StructNode = {
    kind: shape.type,
    name,
    shape,
    members: [],
    byName: new Map(),
    required: [],
    traits: shape.traits,
    needsRpc: false,
    needsRest: false,
    walkRpc: [],
    walkRest: [],
    tokens: [],
  };
  c.structs.set(name, node);
  fresh.push(node);
  for (const [memberName, ref] of Object.entries(shape.members)) {
    const traits = ref.traits ?? NO_TRAITS;
    const m: MemberNode = {
      name: memberName,
      jsonName: typeof traits.jsonName === "string" ? traits.jsonName : memberName,
      camel: memberName.charAt(0).toLowerCase() + memberName.slice(1),
      node: buildRef(service, c, ref.target, ref.traits, fresh),
      traits,
    };
    node.members.push(m);
    node.byName.set(memberName, m);
    if (traits.idempotencyToken) node.tokens.push(m);
  }
  for (const r of shape.required ?? []) {
    const m = node.byName.get(r);
    if (m) node.required.push(m);
  }
  return node;
}

function buildRef(service: ServiceModel, c: Compiled, ref: ShapeRef, traits: Traits | undefined, fresh: StructNode[]): ShapeNode {
  if (typeof ref === "string") {
    if (SIMPLE.has(ref)) return { kind: ref as SimpleKind, traits };
    return buildStruct(service, c, ref, fresh);
  }
  if (ref.type === "list") {
    const l = ref as ListRef;
    return { kind: "list", member: buildMember(service, c, l.member, fresh), traits: l.traits };
  }
  const m = ref as MapRef;
  return { kind: "map", key: buildMember(service, c, m.key, fresh), value: buildMember(service, c, m.value, fresh), traits: m.traits };
}

function buildMember(service: ServiceModel, c: Compiled, ref: MemberRef, fresh: StructNode[]): ShapeNode {
  return buildRef(service, c, ref.target, ref.traits, fresh);
}

/** Does a value of this node need conversion (given the current struct flags)? */
function needs(node: ShapeNode, rest: boolean): boolean {
  switch (node.kind) {
    case "blob":
    case "timestamp":
    case "bigInteger":
    case "bigDecimal":
      return true;
    case "list":
      return needs(node.member, rest);
    case "map":
      return needs(node.value, rest);
    case "structure":
    case "union":
      return rest ? node.needsRest : node.needsRpc;
    default:
      return false;
  }
}

/** Fixpoint over the structs compiled in this round (older ones are final already). */
function settle(fresh: StructNode[]): void {
  if (fresh.length === 0) return;
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of fresh) {
      if (!s.needsRpc && s.members.some((m) => needs(m.node, false))) {
        s.needsRpc = true;
        changed = true;
      }
      if (!s.needsRest && s.members.some((m) => m.jsonName !== m.name || needs(m.node, true))) {
        s.needsRest = true;
        changed = true;
      }
    }
  }
  for (const s of fresh) {
    s.walkRpc = s.members.filter((m) => needs(m.node, false));
    s.walkRest = s.members.filter((m) => m.jsonName !== m.name || needs(m.node, true));
  }
}

/** Whether a node needs a walk in restJson1 (`rest`) or awsJson/rpcv2Cbor mode. */
export function nodeNeedsWalk(node: ShapeNode, rest: boolean): boolean {
  return needs(node, rest);
}

