#!/usr/bin/env node
// Generates models/<service>.json from the schemas exported by the exact-pinned
// @aws-sdk/client-* packages (NormalizedSchema from @smithy/core/schema), merged with the
// hand-written models/overlay.json. Output is deterministic (sorted keys) so CI can
// regenerate and fail on any diff.
//
//   node scripts/gen-models.mjs            write models/*.json
//   node scripts/gen-models.mjs --check    exit 1 if any committed model differs
//
// Model format (see src/core/model/types.ts for the TypeScript view):
//   shape ref: "string" | "number" | "boolean" | "blob" | "timestamp" | "document" |
//              "bigInteger" | "bigDecimal"      (lower-case: simple types, inline)
//              "SomeStructure"                  (capitalised: a named entry of `shapes`)
//              { type: "list", member, traits? } | { type: "map", key, value, traits? }
//   shapes[name] = { type: "structure" | "union", members: { Name: { target, traits? } },
//                    required?: [...], traits? }
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modelsDir = join(root, "models");
const check = process.argv.includes("--check");
// Silence the SDK's Node-version banner: it is about future releases, not these pinned ones.
process.emitWarning = () => {};

const { NormalizedSchema } = require("@smithy/core/schema");
const overlay = JSON.parse(readFileSync(join(modelsDir, "overlay.json"), "utf8"));

const PROTOCOL_IDS = {
  AwsJson1_0Protocol: "awsJson1_0",
  AwsJson1_1Protocol: "awsJson1_1",
  AwsRestJsonProtocol: "restJson1",
  AwsRestXmlProtocol: "restXml",
  S3RestXmlProtocol: "restXml",
  AwsQueryProtocol: "awsQuery",
  AwsEc2QueryProtocol: "ec2Query",
  AwsSmithyRpcV2CborProtocol: "smithyRpcv2cbor",
  SmithyRpcV2CborProtocol: "smithyRpcv2cbor",
};

// Traits that only matter to a client (or to the TS code generator) are dropped so the model
// carries what a server needs and stays small.
const DROP_TRAITS = new Set(["sensitive", "documentation", "endpointDiscoveryId", "rpcv2Cbor"]);

// Keys are sorted for stable diffs, except structure members: their order is AWS's element
// order in XML responses.
function sortKeys(v, parentKey) {
  if (Array.isArray(v)) return v.map((x) => sortKeys(x));
  if (v && typeof v === "object") {
    const out = {};
    const keys = parentKey === "members" ? Object.keys(v) : Object.keys(v).sort();
    for (const k of keys) out[k] = sortKeys(v[k], k);
    return out;
  }
  return v;
}

function cleanTraits(traits) {
  const out = {};
  for (const [k, v] of Object.entries(traits ?? {})) {
    if (DROP_TRAITS.has(k) || v === undefined) continue;
    out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function shortName(ns) {
  const n = ns.getName(true) ?? ns.getName();
  return n.includes("#") ? n.split("#")[1] : n;
}

function timestampFormat(ns) {
  const raw = ns.getSchema();
  const code = typeof raw === "number" ? raw : undefined;
  if (code === 5) return "date-time";
  if (code === 6) return "http-date";
  if (code === 7) return "epoch-seconds";
  return undefined;
}

function buildService(service) {
  const pkg = `@aws-sdk/client-${service}`;
  const mod = require(pkg);
  const ClientClass = Object.entries(mod).find(
    ([k, v]) => typeof v === "function" && /^[A-Z0-9][A-Za-z0-9]*Client$/.test(k) && k !== "__Client",
  )[1];
  const client = new ClientClass({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const cfg = client.config;
  const protocolClass = typeof cfg.protocol === "function" ? cfg.protocol.name : cfg.protocol?.constructor?.name;
  const sdkProtocol = PROTOCOL_IDS[protocolClass];
  if (!sdkProtocol) throw new Error(`${pkg}: unknown protocol class ${protocolClass}`);
  const settings = cfg.protocolSettings ?? {};
  const version = readFileSync(require.resolve(`${pkg}/package.json`), "utf8").match(/"version":\s*"([^"]+)"/)[1];
  client.destroy?.();

  const shapes = {};
  const visiting = new Set();

  function ref(ns) {
    if (ns.isUnitSchema()) return undefined;
    if (ns.isStructSchema() || ns.isUnionSchema?.()) {
      const name = shortName(ns);
      if (!shapes[name] && !visiting.has(name)) {
        visiting.add(name);
        const raw = ns.getSchema();
        const members = {};
        const memberNames = [];
        for (const [memberName, ms] of ns.structIterator()) {
          memberNames.push(memberName);
          const traits = { ...(ms.getMemberTraits() ?? {}) };
          const tf = ms.isTimestampSchema() ? timestampFormat(ms) : undefined;
          if (tf && !traits.timestampFormat) traits.timestampFormat = tf;
          if (ms.isStreaming() && ms.isBlobSchema()) traits.streaming = 1;
          const m = { target: ref(ms) ?? "unit" };
          const t = cleanTraits(traits);
          if (t) m.traits = t;
          members[memberName] = m;
        }
        const requiredCount = typeof raw[6] === "number" ? raw[6] : 0;
        const shape = { type: ns.isUnionSchema?.() ? "union" : "structure", members };
        if (requiredCount) shape.required = memberNames.slice(0, requiredCount);
        const t = cleanTraits(ns.getOwnTraits ? ns.getOwnTraits() : ns.getMergedTraits());
        if (t) shape.traits = t;
        shapes[name] = shape;
        visiting.delete(name);
      }
      return name;
    }
    if (ns.isListSchema()) {
      const out = { type: "list", member: memberRef(ns.getValueSchema()) };
      const t = cleanTraits(ownTraitsOfCollection(ns));
      if (t) out.traits = t;
      return out;
    }
    if (ns.isMapSchema()) {
      const out = { type: "map", key: memberRef(ns.getKeySchema()), value: memberRef(ns.getValueSchema()) };
      const t = cleanTraits(ownTraitsOfCollection(ns));
      if (t) out.traits = t;
      return out;
    }
    if (ns.isBlobSchema()) return "blob";
    if (ns.isTimestampSchema()) return "timestamp";
    if (ns.isBooleanSchema()) return "boolean";
    if (ns.isBigIntegerSchema()) return "bigInteger";
    if (ns.isBigDecimalSchema()) return "bigDecimal";
    if (ns.isNumericSchema()) return "number";
    if (ns.isDocumentSchema()) return "document";
    if (ns.isStringSchema()) return "string";
    throw new Error(`${pkg}: cannot map schema ${ns.getName()}`);
  }

  // A list member / map value may carry its own traits (xmlName of the member element).
  function memberRef(ms) {
    const target = ref(ms) ?? "unit";
    const traits = { ...(ms.getMemberTraits?.() ?? {}) };
    const tf = ms.isTimestampSchema() ? timestampFormat(ms) : undefined;
    if (tf && !traits.timestampFormat) traits.timestampFormat = tf;
    const t = cleanTraits(traits);
    return t ? { target, traits: t } : { target };
  }

  function ownTraitsOfCollection(ns) {
    // Traits on the collection shape itself (not on the member that references it).
    const raw = ns.getSchema();
    if (Array.isArray(raw) && typeof raw[3] === "object" && raw[3]) return raw[3];
    return undefined;
  }

  const operations = {};
  const errors = {};
  for (const [exportName, value] of Object.entries(mod)) {
    if (!exportName.endsWith("$") || !Array.isArray(value)) continue;
    if (value[0] === 9) {
      const ns = NormalizedSchema.of(value);
      const name = value[2];
      const op = {};
      const inputNs = NormalizedSchema.of(value[4]());
      const outputNs = NormalizedSchema.of(value[5]());
      const input = ref(inputNs);
      const output = ref(outputNs);
      if (input) op.input = input;
      if (output) op.output = output;
      const traits = { ...(ns.getMergedTraits() ?? {}) };
      if (traits.http) {
        const [method, uri, code] = traits.http;
        op.http = { method, uri, code: code ?? 200 };
        delete traits.http;
      }
      const t = cleanTraits(traits);
      if (t) op.traits = t;
      operations[name] = op;
    } else if (value[0] === -3 && value[1] !== undefined && !String(value[1]).startsWith("smithy.ts.sdk.synthetic")) {
      const ns = NormalizedSchema.of(value);
      const name = ref(ns);
      errors[name] = true;
    }
  }

  const ov = overlay.services[service];
  if (!ov) throw new Error(`overlay.json has no entry for ${service}`);
  const model = {
    service,
    sdkId: cfg.serviceId,
    clientPackage: `${pkg}@${version}`,
    namespace: settings.defaultNamespace,
    serviceTarget: settings.serviceTarget,
    apiVersion: cfg.apiVersion,
    sdkProtocol,
    protocols: ov.protocols,
    signingName: ov.signingName,
    ...((ov.xmlNamespace ?? settings.xmlNamespace) ? { xmlNamespace: ov.xmlNamespace ?? settings.xmlNamespace } : {}),
    ...(settings.awsQueryCompatible ? { awsQueryCompatible: true } : {}),
    ...(ov.targetPrefix ? { targetPrefix: ov.targetPrefix } : {}),
    ...(ov.global ? { global: true } : {}),
    ...(ov.addressing ? { addressing: ov.addressing } : {}),
    ...(ov.protocolOptions ? { protocolOptions: ov.protocolOptions } : {}),
    errors: Object.keys(errors).sort(),
    operations,
    shapes,
  };
  if (!model.protocols.includes(sdkProtocol)) {
    throw new Error(`overlay.json: ${service} protocols ${model.protocols} lack the SDK's ${sdkProtocol}`);
  }
  return sortKeys(model);
}

mkdirSync(modelsDir, { recursive: true });
let diffs = 0;
const index = {};
for (const service of Object.keys(overlay.services)) {
  const model = buildService(service);
  const text = JSON.stringify(model) + "\n";
  const file = join(modelsDir, `${service}.json`);
  index[service] = {
    signingName: model.signingName,
    protocols: model.protocols,
    ...(model.targetPrefix || model.serviceTarget ? { targetPrefix: model.targetPrefix ?? model.serviceTarget } : {}),
    ...(model.serviceTarget ? { serviceTarget: model.serviceTarget } : {}),
    apiVersion: model.apiVersion,
    ...(model.global ? { global: true } : {}),
    ...(model.addressing ? { addressing: model.addressing } : {}),
    operations: Object.keys(model.operations).length,
  };
  if (check) {
    const old = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (old !== text) {
      diffs++;
      console.error(`models/${service}.json differs from what the pinned SDK generates`);
    }
  } else {
    writeFileSync(file, text);
    console.log(`models/${service}.json  ${Object.keys(model.operations).length} operations, ${Object.keys(model.shapes).length} shapes`);
  }
}
const indexText = JSON.stringify(sortKeys(index), null, 1) + "\n";
const indexFile = join(modelsDir, "index.json");
if (check) {
  if (!existsSync(indexFile) || readFileSync(indexFile, "utf8") !== indexText) {
    diffs++;
    console.error("models/index.json differs");
  }
  if (diffs) {
    console.error(`${diffs} model file(s) out of date: run npm run gen-models`);
    process.exit(1);
  }
  console.log("models up to date");
} else {
  writeFileSync(indexFile, indexText);
}
