// awsJson1_0 and awsJson1_1 (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html):
// POST / with X-Amz-Target `<serviceTarget>.<Operation>` and a JSON body of the input
// structure; the answer is a JSON body of the output structure.
//
// Wire rules, all from the model:
// - member names are the JSON keys (jsonName is ignored by these protocols); timestamps are
//   epoch seconds (a member's timestampFormat wins); blobs are base64; documents as-is.
// - errors (what AWS sends, and what the SDKs read; see @aws-sdk/core AwsJsonRpcProtocol):
//     body   {"__type": ..., "<message|Message>": ..., <error members>}
//            awsJson1_0 services send the shape id (`com.amazonaws.sqs#QueueDoesNotExist`,
//            documented in the SQS developer guide "Interpreting Amazon SQS JSON API
//            responses"; DynamoDB the same); awsJson1_1 services (KMS, Logs, ECS, SSM,
//            Secrets Manager, EventBridge...) send the bare name (`NotFoundException`).
//     header x-amzn-ErrorType: <Code>
//     header x-amzn-query-error: <awsQueryError code>;<Sender|Receiver> for
//            awsQueryCompatible services (SQS, CloudWatch). SDK v3 takes the error's Code from
//            it and finds the modeled class by that code, so QueueDoesNotExist surfaces with
//            name "QueueDoesNotExist" and Code "AWS.SimpleQueueService.NonExistentQueue".
import type { AwsError } from "../../errors.js";
import type { ProtocolId, ServiceModel } from "../../model/types.js";
import type { HttpResponse, OperationRef, Protocol, ProtocolRequest, ResponseMeta } from "../types.js";
import {
  fillIdempotencyTokens,
  fixNonFinite,
  hasNonFiniteLiteral,
  parseJsonDocument,
  readJsonBody,
  readStruct,
  stringifyJson,
  writeStruct,
} from "../shared/json-codec.js";
import { errorShapeId, queryErrorHeader, resolveError } from "../shared/json-errors.js";
import { structNode, type ShapeNode, type StructNode } from "../shared/json-shapes.js";

/**
 * The quoted member names (`"B"`) under which an input structure's parsed JSON can hold a
 * value the walk converts (blob, timestamp), whatever the nesting: a body whose text holds
 * none of them has nothing to convert, and its walk is skipped. DynamoDB's items are maps of
 * AttributeValue unions whose B and BS are blobs: every PutItem and GetItem walked each value
 * of its item to find none (most items hold no binaries).
 */
const leafKeys = new WeakMap<StructNode, string[]>();

function convertibleKeys(root: StructNode): string[] {
  let keys = leafKeys.get(root);
  if (keys) return keys;
  const found = new Set<string>();
  const seen = new Set<StructNode>();
  const visit = (s: StructNode): void => {
    if (seen.has(s)) return;
    seen.add(s);
    for (const m of s.walkRpc) {
      let n: ShapeNode = m.node;
      while (n.kind === "list" || n.kind === "map") n = n.kind === "list" ? n.member : n.value;
      if (n.kind === "structure" || n.kind === "union") visit(n);
      else found.add(JSON.stringify(m.name));
    }
  };
  visit(root);
  keys = [...found];
  leafKeys.set(root, keys);
  return keys;
}

/** Whether the walk may convert something in `text` (a \u escape could spell a key: walked). */
function mayConvert(root: StructNode, text: string): boolean {
  if (text.includes("\\u")) return true;
  const keys = convertibleKeys(root);
  for (let i = 0; i < keys.length; i++) if (text.includes(keys[i]!)) return true;
  return false;
}

/**
 * What parsing an operation's input needs, found once per operation model: the input's node,
 * and one pattern that matches wherever mayConvert or hasNonFiniteLiteral could say yes (a
 * `\u` escape, a quoted convertible key, `"NaN"`, `Infinity"`). Most bodies match nothing: one
 * regular expression test instead of a substring scan per key and literal (five for DynamoDB:
 * 1.1-1.7 µs against 0.2-0.3 µs on a PutItem's text).
 */
interface InputPlan {
  node: StructNode;
  mayNeedWork: RegExp;
}
const inputPlans = new WeakMap<object, InputPlan>();

function inputPlan(service: ServiceModel, op: OperationRef, inputName: string): InputPlan {
  // The lookup alone, small enough for V8 to optimize and inline; the making apart.
  return inputPlans.get(op.model) ?? makeInputPlan(service, op, inputName);
}

function makeInputPlan(service: ServiceModel, op: OperationRef, inputName: string): InputPlan {
  const node = structNode(service, inputName);
  const literals = ["\\u", ...convertibleKeys(node), '"NaN"', 'Infinity"'];
  const plan = { node, mayNeedWork: new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")) };
  inputPlans.set(op.model, plan);
  return plan;
}

/**
 * An output carrying this symbol with a string is answered with that string as its JSON body,
 * as is: a service whose stored records are already wire JSON (DynamoDB items) skips the parse,
 * walk and stringify of values it never looks at. The output's ordinary members must hold the
 * same values, for in-process callers (core/client) that never see the wire.
 */
export const RAW_JSON_BODY = Symbol.for("nimbus.rawJsonBody");

// The inverse for inputs: the text the last request document was parsed from, so that a
// service storing part of its input as JSON (DynamoDB's PutItem, the item) can take that part
// of the text (json-codec.ts memberText) instead of JSON.stringify of what was just parsed from
// it. One document, not a map: a handler asks for its own input while it runs, synchronously
// after the parse (a later request's parse answers undefined, and the caller stringifies).
let lastDoc: object | undefined;
let lastText: string | undefined;

/** The JSON text `doc` was parsed from, when it is the last awsJson request document parsed. */
export function requestJsonText(doc: object): string | undefined {
  return doc === lastDoc ? lastText : undefined;
}

function makeAwsJson(id: "awsJson1_0" | "awsJson1_1", version: "1.0" | "1.1"): Protocol {
  const contentType = `application/x-amz-json-${version}`;
  const namespacedType = version === "1.0";
  return {
    id: id as ProtocolId,

    parseRequest(req: ProtocolRequest, service: ServiceModel, op: OperationRef): Record<string, unknown> {
      const inputName = op.model.input;
      if (!inputName) return readJsonBody(undefined, req.body, false);
      const plan = inputPlan(service, op, inputName);
      const node = plan.node;
      // readJsonBody's steps, with the walk skipped when the text has nothing it converts.
      const body = req.body;
      if (body === undefined || body.length === 0) {
        const empty = {};
        fillIdempotencyTokens(node, empty);
        return empty;
      }
      // toString() without arguments is Buffer's direct UTF-8 path (an encoding argument is dispatched).
      const text = typeof body === "string" ? body : body.toString();
      const doc = parseJsonDocument(text);
      if (plan.mayNeedWork.test(text)) {
        if (node.needsRpc && mayConvert(node, text)) readStruct(node, doc, false);
        if (hasNonFiniteLiteral(text)) fixNonFinite(node, doc);
      }
      if (node.tokens.length > 0) fillIdempotencyTokens(node, doc);
      lastDoc = doc;
      lastText = text;
      return doc;
    },

    serializeResponse(output, service, op, meta): HttpResponse {
      let body = "{}";
      const outputName = op.model.output;
      const raw = output ? (output as Record<symbol, unknown>)[RAW_JSON_BODY] : undefined;
      if (typeof raw === "string") body = raw;
      else if (output && isEmptyObject(output)) {
        // Nothing to write (a PutItem without ReturnValues or capacity): no walk, no stringify.
      } else if (output && outputName) {
        const node = structNode(service, outputName);
        body = stringifyJson(node.needsRpc ? writeStruct(node, output, false) : output);
      } else if (output) {
        body = stringifyJson(output);
      }
      return {
        status: 200,
        headers: { "Content-Type": contentType, "x-amzn-RequestId": meta.requestId },
        body,
      };
    },

    serializeError(err: AwsError, service, _op, meta: ResponseMeta): HttpResponse {
      const r = resolveError(service, err);
      const doc: Record<string, unknown> = {
        __type: namespacedType ? errorShapeId(service, r) : r.code,
        [r.messageKey]: err.message,
      };
      const fields = r.shape ? writeStruct(r.shape, err.fields, false) : err.fields;
      for (const k in fields) if (fields[k] !== undefined) doc[k] = fields[k];
      const headers: Record<string, string> = {
        ...err.headers,
        "Content-Type": contentType,
        "x-amzn-RequestId": meta.requestId,
        "x-amzn-ErrorType": r.code,
      };
      if (service?.awsQueryCompatible) headers["x-amzn-query-error"] = queryErrorHeader(r);
      return { status: r.status, headers, body: stringifyJson(doc) };
    },
  };
}

function isEmptyObject(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

export const awsJson1_0: Protocol = makeAwsJson("awsJson1_0", "1.0");
export const awsJson1_1: Protocol = makeAwsJson("awsJson1_1", "1.1");
