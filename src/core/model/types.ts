// The TypeScript view of models/<service>.json, written by scripts/gen-models.mjs from the
// schemas of the pinned @aws-sdk/client-* packages. Never edit the JSON by hand.

export type ProtocolId =
  | "restXml"
  | "restJson1"
  | "awsJson1_0"
  | "awsJson1_1"
  | "awsQuery"
  | "ec2Query"
  | "smithyRpcv2cbor";

/** Simple types are inline lower-case names; capitalised names refer to `shapes`. */
export type SimpleType =
  | "string"
  | "number"
  | "boolean"
  | "blob"
  | "timestamp"
  | "document"
  | "bigInteger"
  | "bigDecimal"
  | "unit";

export interface Traits {
  httpLabel?: 1;
  httpQuery?: string;
  httpQueryParams?: 1;
  httpHeader?: string;
  httpPrefixHeaders?: string;
  httpPayload?: 1;
  httpResponseCode?: 1;
  xmlName?: string;
  xmlFlattened?: 1;
  xmlAttribute?: 1;
  xmlNamespace?: unknown;
  jsonName?: string;
  timestampFormat?: "date-time" | "http-date" | "epoch-seconds";
  streaming?: 1;
  eventStream?: 1;
  idempotencyToken?: 1;
  hostLabel?: 1;
  mediaType?: string;
  /** "client" | "server" on error structures */
  error?: "client" | "server";
  httpError?: number;
  /** [code, httpStatus] for query-compatible services */
  awsQueryError?: [string, number];
  [trait: string]: unknown;
}

export interface ListRef {
  type: "list";
  member: MemberRef;
  traits?: Traits;
}
export interface MapRef {
  type: "map";
  key: MemberRef;
  value: MemberRef;
  traits?: Traits;
}
export type ShapeRef = SimpleType | string | ListRef | MapRef;

export interface MemberRef {
  target: ShapeRef;
  traits?: Traits;
}

export interface StructureShape {
  type: "structure" | "union";
  members: Record<string, MemberRef>;
  required?: string[];
  traits?: Traits;
}

export interface OperationModel {
  input?: string;
  output?: string;
  /** REST bindings; absent for RPC protocols. uri may hold `{Label}`, `{Greedy+}` and `?literal` query keys. */
  http?: { method: string; uri: string; code: number };
  traits?: Traits & { endpoint?: { hostPrefix: string }; httpChecksum?: unknown };
}

export interface ServiceModel {
  /** Nimbus service id: the @aws-sdk/client-<id> package suffix (sqs, s3, cloudwatch-logs). */
  service: string;
  sdkId: string;
  clientPackage: string;
  namespace: string;
  /** awsJson X-Amz-Target prefix / smithy service shape name (AmazonSQS, GraniteServiceVersion20100801). */
  serviceTarget?: string;
  apiVersion: string;
  /** The protocol the pinned JS SDK speaks. */
  sdkProtocol: ProtocolId;
  /** Every protocol live clients use; the server answers in whichever the request used. */
  protocols: ProtocolId[];
  signingName: string;
  xmlNamespace?: string;
  awsQueryCompatible?: boolean;
  global?: boolean;
  addressing?: Record<string, unknown>;
  /** Protocol trait settings from the overlay: restXml `noErrorWrapping` (S3 errors are a bare <Error>). */
  protocolOptions?: { noErrorWrapping?: boolean };
  errors: string[];
  operations: Record<string, OperationModel>;
  shapes: Record<string, StructureShape>;
}

const SIMPLE = new Set<string>([
  "string",
  "number",
  "boolean",
  "blob",
  "timestamp",
  "document",
  "bigInteger",
  "bigDecimal",
  "unit",
]);

export function isSimple(ref: ShapeRef): ref is SimpleType {
  return typeof ref === "string" && SIMPLE.has(ref);
}

/** Resolves a ref to its kind, following a name into `shapes`. */
export function resolve(
  model: ServiceModel,
  ref: ShapeRef,
): { kind: SimpleType } | { kind: "list"; shape: ListRef } | { kind: "map"; shape: MapRef } | { kind: "structure" | "union"; name: string; shape: StructureShape } {
  if (typeof ref === "string") {
    if (SIMPLE.has(ref)) return { kind: ref as SimpleType };
    const shape = model.shapes[ref];
    if (!shape) throw new Error(`model ${model.service}: no shape ${ref}`);
    return { kind: shape.type, name: ref, shape };
  }
  if (ref.type === "list") return { kind: "list", shape: ref };
  return { kind: "map", shape: ref };
}
