// Model validation of a parsed input, run by the gateway after the protocol parsed the request
// and before the handler (and by the in-process client). It checks, anywhere in the input tree:
//   - types: a value of the wrong JSON/JS kind for its shape (reported first, and alone, as
//     AWS's deserializers stop at the first one);
//   - required members: absent or null.
// It also normalizes: explicit nulls in structures are removed (handlers never see null; AWS
// treats a JSON null member as absent).
//
// The wording depends on the protocol family and on the service, chosen from the model:
//
// "coral" - awsJson1_0/1_1, restJson1, rpcv2Cbor services (DynamoDB, Logs, KMS, Lambda...):
//   ValidationException "1 validation error detected: Value null at 'tableName' failed to
//   satisfy constraint: Member must not be null"; several: "2 validation errors detected:
//   ...; ...". Paths are lowerCamel member names, list elements `keySchema.1.member.attributeName`
//   (1-based; seen in real answers such as IAM's 'tags.6.member.value' and DynamoDB's
//   'tableName', e.g. github.com/AllocZero/EfficientDynamoDb/issues/164). Map values add the key
//   (`item.<key>.m`), which is our best guess: no real answer for a null inside a map was found.
// "coral-query" - awsQuery services (IAM, STS, ELBv2, Auto Scaling, CloudFormation, RDS...):
//   the same text with code ValidationError, as IAM answers (github.com/SWO-GS/auto-tag#90:
//   ValidationError "... at 'tags.6.member.value' failed to satisfy constraint ...").
// "parameter-required" - services that model an error whose awsQueryError code is
//   MissingParameter (CloudWatch's MissingRequiredParameterException): that error, message
//   "The parameter Namespace is required." one line per missing member, query-style paths
//   ("The parameter MetricData.member.16.Dimensions.member.3.Value is required."; real answers
//   quoted in github.com/JuliaCloud/AWSSDK.jl/issues/2 and noxdafox/rabbitmq-cloudwatch-exporter#14).
// "must-contain" - other awsQueryCompatible services (SQS, in query and JSON alike):
//   MissingParameter "The request must contain the parameter MessageBody." - the first missing
//   member only, as SQS answers one at a time (SQS's query wording, as ElasticMQ's and other
//   emulators' tests record it). For SQS-JSON no captured real answer was found; keeping the
//   query code means x-amzn-query-error carries "MissingParameter;Sender", which is what a
//   query-compatible service's JSON answer maps back to.
// "malformed-xml" - S3 (restXml, bare <Error>): a required member missing from the request is a
//   body element left out (labels and required headers choose the operation when routing), and
//   S3 refuses such a body as MalformedXML "The XML you provided was not well-formed or did not
//   validate against our published schema", the same answer as for any schema violation.
// "ec2" - ec2Query: MissingParameter "The request must contain the parameter ImageId" (no
//   final period; EC2's wording, e.g. terraform/fog error texts "The request must contain the
//   parameter SpotInstanceRequestId").
//
// Type errors: JSON-family protocols answer SerializationException in Coral's words
// ("NUMBER_VALUE cannot be converted to String", as DynamoDB answers a number where a string
// belongs - github.com/localstack/localstack/issues/9412; "STRING_VALUE can not be converted
// to a Number/Boolean", "Start of list found where not expected"). The model's "number" does
// not say Integer/Long/Double, so the target is named "Number" where Coral names the Java
// type. Query-family protocols (whose parsers already turned strings into numbers) answer
// InvalidParameterValue; that text is ours, not a captured AWS answer.
import { AwsError } from "../../errors.js";
import type { ProtocolId, ServiceModel } from "../../model/types.js";
import { isPlainObject } from "./json-codec.js";
import { structNode, type MemberNode, type ShapeNode, type StructNode } from "./json-shapes.js";

export type ValidationWording = "coral" | "coral-query" | "parameter-required" | "must-contain" | "ec2" | "malformed-xml";

interface Missing {
  camel: string;
  query: string;
}

/**
 * A path step: a struct member or a 1-based list position (a positive number). A map entry is
 * two steps, its key (a string) then its 1-based position negated: no object per entry (an
 * item of a DynamoDB PutItem is a map, and its M values are maps too).
 */
type Step = MemberNode | number | string;

interface Ctx {
  missing: Missing[];
  typeError: AwsError | undefined;
  json: boolean;
  /** The path from the input root to the value being checked; strings are built only on error. */
  path: Step[];
}

const wordingCache = new WeakMap<ServiceModel, { missingParameterShape: string | undefined }>();

function missingParameterShape(service: ServiceModel): string | undefined {
  let c = wordingCache.get(service);
  if (!c) {
    let found: string | undefined;
    for (const name of service.errors) {
      const q = service.shapes[name]?.traits?.awsQueryError;
      if (Array.isArray(q) && q[0] === "MissingParameter") {
        found = name;
        break;
      }
    }
    c = { missingParameterShape: found };
    wordingCache.set(service, c);
  }
  return c.missingParameterShape;
}

/** Which wording a service answers validation failures with, for a request in `protocol`. */
export function validationWordingFor(service: ServiceModel, protocol: ProtocolId): ValidationWording {
  if (protocol === "ec2Query") return "ec2";
  if (protocol === "restXml" && service.service === "s3") return "malformed-xml";
  if (missingParameterShape(service)) return "parameter-required";
  if (service.awsQueryCompatible) return "must-contain";
  if (protocol === "awsQuery") return "coral-query";
  return "coral";
}

/**
 * Validates (and null-normalizes) `input` against the input shape of `opName`; throws the
 * AwsError the service would answer. A no-op for operations without input.
 */
export function validateInput(service: ServiceModel, opName: string, input: Record<string, unknown>, protocol: ProtocolId): void {
  const inputName = service.operations[opName]?.input;
  if (!inputName) return;
  const node = structNode(service, inputName);
  // One context for every call (the walk is synchronous and calls nothing outside this file):
  // its arrays keep their backing stores, which a fresh pair grew again on every request.
  const ctx = sharedCtx;
  ctx.missing.length = 0;
  ctx.path.length = 0;
  ctx.typeError = undefined;
  ctx.json = protocol !== "awsQuery" && protocol !== "ec2Query";
  checkStruct(node, input, ctx);
  const typeError = ctx.typeError;
  if (typeError) {
    ctx.typeError = undefined;
    throw typeError;
  }
  if (ctx.missing.length === 0) return;
  const missing = ctx.missing.slice();
  ctx.missing.length = 0;
  throw missingError(service, validationWordingFor(service, protocol), missing);
}
const sharedCtx: Ctx = { missing: [], typeError: undefined, json: true, path: [] };

function missingError(service: ServiceModel, wording: ValidationWording, missing: Missing[]): AwsError {
  switch (wording) {
    case "ec2":
      return new AwsError("MissingParameter", `The request must contain the parameter ${missing[0]!.query}`, 400);
    case "malformed-xml":
      return new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
    case "must-contain":
      return new AwsError("MissingParameter", `The request must contain the parameter ${missing[0]!.query}.`, 400);
    case "parameter-required":
      return new AwsError(
        missingParameterShape(service)!,
        missing.map((m) => `The parameter ${m.query} is required.`).join("\n"),
        400,
      );
    default: {
      const n = missing.length;
      const list = missing.map((m) => `Value null at '${m.camel}' failed to satisfy constraint: Member must not be null`).join("; ");
      const text = `${n} validation error${n === 1 ? "" : "s"} detected: ${list}`;
      return new AwsError(wording === "coral-query" ? "ValidationError" : "ValidationException", text, 400);
    }
  }
}

/** lowerCamel path (`transactItems.1.member.put.tableName`) and query path (`MetricData.member.1.Value`). */
function paths(steps: Step[], last?: MemberNode): Missing {
  let camel = "";
  let query = "";
  const all = last ? [...steps, last] : steps;
  for (const s of all) {
    if (typeof s === "number") {
      if (s > 0) {
        camel += `.${s}.member`;
        query += `.member.${s}`;
      } else query += `.entry.${-s}.value`;
    } else if (typeof s === "string") {
      camel += `.${s}`;
    } else {
      camel += camel ? `.${s.camel}` : s.camel;
      query += query ? `.${s.name}` : s.name;
    }
  }
  return { camel, query };
}

function checkStruct(node: StructNode, obj: Record<string, unknown>, ctx: Ctx): void {
  // A union value holding one key (as a valid one does: a DynamoDB AttributeValue, ten
  // members) is checked through that key, not by reading every member: same checks, same
  // order (there is one value), a tenth of the property reads.
  if (node.kind === "union" && node.required.length === 0) {
    let only: string | undefined;
    let n = 0;
    for (const k in obj) {
      only = k;
      if (++n > 1) break;
    }
    if (n === 1) {
      const m = node.byName.get(only!);
      if (m !== undefined) checkMember(m, obj, ctx);
      return;
    }
  }
  const req = node.required;
  for (let i = 0; i < req.length; i++) {
    const m = req[i]!;
    if (obj[m.name] == null) ctx.missing.push(paths(ctx.path, m));
  }
  const members = node.members;
  const path = ctx.path;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    const v = obj[m.name];
    if (v === undefined) continue;
    if (v === null) {
      delete obj[m.name];
      continue;
    }
    path.push(m);
    checkValue(m.node, v, ctx);
    path.pop();
    if (ctx.typeError) return;
  }
}

/** checkStruct's step for one member of `obj`. */
function checkMember(m: MemberNode, obj: Record<string, unknown>, ctx: Ctx): void {
  const v = obj[m.name];
  if (v === undefined) return;
  if (v === null) {
    delete obj[m.name];
    return;
  }
  ctx.path.push(m);
  checkValue(m.node, v, ctx);
  ctx.path.pop();
}

function checkValue(node: ShapeNode, v: unknown, ctx: Ctx): void {
  switch (node.kind) {
    case "string":
      if (typeof v !== "string") typeError(ctx, v, "String");
      return;
    case "number":
    case "bigInteger":
    case "bigDecimal":
      if (typeof v !== "number" && typeof v !== "bigint") typeError(ctx, v, "Number");
      return;
    case "boolean":
      if (typeof v !== "boolean") typeError(ctx, v, "Boolean");
      return;
    case "timestamp":
      if (!(v instanceof Date) || Number.isNaN(v.getTime())) typeError(ctx, v, "Timestamp");
      return;
    case "blob":
      if (!(v instanceof Uint8Array) && typeof (v as { pipe?: unknown }).pipe !== "function") typeError(ctx, v, "Blob");
      return;
    case "document":
    case "unit":
      return;
    case "list": {
      if (!Array.isArray(v)) {
        typeError(ctx, v, "List");
        return;
      }
      const member = node.member;
      const path = ctx.path;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x == null) continue;
        path.push(i + 1);
        checkValue(member, x, ctx);
        path.pop();
        if (ctx.typeError) return;
      }
      return;
    }
    case "map": {
      if (!isPlainObject(v)) {
        typeError(ctx, v, "Map");
        return;
      }
      const value = node.value;
      const path = ctx.path;
      let n = 0;
      for (const key in v) {
        n++;
        const x = v[key];
        if (x == null) continue;
        path.push(key, -n);
        checkValue(value, x, ctx);
        path.pop();
        path.pop();
        if (ctx.typeError) return;
      }
      return;
    }
    case "structure":
    case "union":
      if (!isPlainObject(v)) {
        typeError(ctx, v, "Structure");
        return;
      }
      checkStruct(node, v, ctx);
      return;
  }
}

function jsonKind(v: unknown): string {
  if (typeof v === "string") return "STRING_VALUE";
  if (typeof v === "number" || typeof v === "bigint") return "NUMBER_VALUE";
  if (typeof v === "boolean") return "BOOLEAN_VALUE";
  return "VALUE";
}

function typeError(ctx: Ctx, v: unknown, expected: string): void {
  if (!ctx.json) {
    const query = paths(ctx.path).query;
    const shown = typeof v === "object" ? JSON.stringify(v) : String(v);
    ctx.typeError = new AwsError("InvalidParameterValue", `Value (${shown.slice(0, 256)}) for parameter ${query} is invalid. Expected: ${expected}.`, 400);
    return;
  }
  let message: string;
  if (Array.isArray(v)) message = "Start of list found where not expected";
  else if (isPlainObject(v)) message = "Start of structure or map found where not expected.";
  else if (expected === "String") message = `${jsonKind(v)} cannot be converted to String`;
  else if (expected === "Number" || expected === "Boolean") message = `${jsonKind(v)} can not be converted to a ${expected}`;
  else message = "Unexpected value type in payload";
  ctx.typeError = new AwsError("SerializationException", message, 400);
}
