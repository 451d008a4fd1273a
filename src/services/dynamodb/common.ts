// What every DynamoDB handler shares: resolving a TableName (or table ARN), AWS's errors,
// key extraction and validation, the table description, and the ExpressionAttribute* checks.
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import { dynamoStore, type DynamoStore, type TableRecord } from "./store.js";
import { Refs } from "./engine/parser.js";
import { encodeKeyString, fromStored, normalizeValue, typeOf, validation, type AV, type Item } from "./engine/values.js";
import { RAW_JSON_BODY } from "../../core/protocols/aws-json/aws-json.js";

export function ddb(ctx: RequestContext): DynamoStore {
  return dynamoStore(ctx.db);
}

export function tableNameOf(nameOrArn: string): string {
  if (!nameOrArn.startsWith("arn:")) return nameOrArn;
  const m = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]+)$/.exec(nameOrArn);
  return m ? m[1] : nameOrArn;
}

/** AWS's own checks of a table name (the model accepts ARNs, so it checks only 1-1024). */
export function validateTableName(name: string): void {
  const fail = (c: string) => validation(`1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint: ${c}`);
  if (name.length < 3) throw fail("Member must have length greater than or equal to 3");
  if (name.length > 255) throw fail("Member must have length less than or equal to 255");
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) throw fail("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

/** The table a request names; ResourceNotFoundException in AWS's words otherwise. */
export function resolveTable(ctx: RequestContext, nameOrArn: string | undefined): TableRecord {
  const name = tableNameOf(nameOrArn ?? "");
  // A table that exists has a valid name (CreateTable checked it): the name's checks, which
  // come first on AWS, are needed only when the lookup finds nothing.
  const t = ddb(ctx).table(ctx.accountId, ctx.region, name);
  if (t) return t;
  validateTableName(name);
  throw new AwsError("ResourceNotFoundException", `Requested resource not found: Table: ${name} not found`);
}

export function tableDescription(t: TableRecord, status = "ACTIVE"): Record<string, unknown> {
  const m = t.meta;
  return {
    TableName: m.name,
    TableArn: m.arn,
    TableId: m.tableId,
    TableStatus: status,
    CreationDateTime: new Date(m.createdAt),
    KeySchema: m.keySchema,
    AttributeDefinitions: m.attributeDefinitions,
    ItemCount: t.itemCount,
    TableSizeBytes: t.sizeBytes,
    BillingModeSummary: {
      BillingMode: m.billingMode,
      ...(m.billingMode === "PAY_PER_REQUEST" ? { LastUpdateToPayPerRequestDateTime: new Date(m.createdAt) } : {}),
    },
    ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: m.read, WriteCapacityUnits: m.write },
    DeletionProtectionEnabled: m.deletionProtection,
    ...(m.tableClass ? { TableClassSummary: { TableClass: m.tableClass } } : {}),
  };
}

const keyMismatch = () => validation("The provided key element does not match the schema");

export interface KeyBytes {
  hk: Buffer;
  rk: Buffer;
  key: Item;
}

/**
 * A request's key (keyOf, itemKeyOf): its encoded bytes as latin1 strings (`hs`, `rs`, what the
 * store's item cache is keyed by), and as Buffers made only when asked (SQL binds them). A
 * GetItem answered from the item cache no longer allocates a Buffer for its key, nor decodes
 * two back into strings for the cache's key.
 */
export class ItemKey implements KeyBytes {
  private h: Buffer | undefined;
  private r: Buffer | undefined;

  constructor(
    readonly hs: string,
    readonly rs: string,
    readonly key: Item,
  ) {}

  get hk(): Buffer {
    return (this.h ??= Buffer.from(this.hs, "latin1"));
  }

  get rk(): Buffer {
    return (this.r ??= this.rs === "" ? NO_BYTES : Buffer.from(this.rs, "latin1"));
  }
}

const MAX_HASH_KEY = 2048;
const MAX_RANGE_KEY = 1024;

function checkKeyValue(name: string, v: AV, range: boolean): void {
  if ((v.S !== undefined && v.S === "") || (v.B !== undefined && v.B.byteLength === 0)) {
    throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${v.S !== undefined ? "string" : "binary"} value. Key: ${name}`);
  }
  const size = v.S !== undefined ? Buffer.byteLength(v.S, "utf8") : v.B !== undefined ? v.B.byteLength : 0;
  // AWS's own wording, missing space included.
  if (!range && size > MAX_HASH_KEY) throw validation(`One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of${MAX_HASH_KEY} bytes`);
  if (range && size > MAX_RANGE_KEY) throw validation(`One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of ${MAX_RANGE_KEY} bytes`);
}

/** A Key parameter (GetItem, DeleteItem, UpdateItem, ExclusiveStartKey): exactly the key attributes. */
export function keyOf(t: TableRecord, key: Record<string, AV> | undefined): ItemKey {
  const k = key ?? {};
  // Counted with for-in and the parts visited without an array: this runs on every item request.
  let names = 0;
  for (const _ in k) names++;
  if (names !== (t.range ? 2 : 1)) throw keyMismatch();
  return assembleKey(t, k, keyPart);
}

/** The key attributes of `src` as one ItemKey, each read and checked by `part` (a module function: no closure per call). */
function assembleKey(t: TableRecord, src: Record<string, AV>, part: (p: { name: string; type: string }, src: Record<string, AV>, range: boolean) => AV): ItemKey {
  const out: Item = {};
  const hv = part(t.hash, src, false);
  out[t.hash.name] = hv;
  let rs = "";
  if (t.range) {
    const rv = part(t.range, src, true);
    out[t.range.name] = rv;
    rs = encodeKeyString(rv);
  }
  return new ItemKey(encodeKeyString(hv), rs, out);
}

function keyPart(part: { name: string; type: string }, k: Record<string, AV>, range: boolean): AV {
  const v = k[part.name];
  if (v === undefined) throw keyMismatch();
  const nv = normalizeValue(v);
  if (typeOf(nv) !== part.type) throw keyMismatch();
  checkKeyValue(part.name, nv, range);
  return nv;
}

/** The range key bytes of a hash-only table (nothing writes into it). */
const NO_BYTES: Buffer = Buffer.alloc(0);

/** The key of a whole item (PutItem): AWS's "Missing the key" / "Type mismatch" messages. */
export function itemKeyOf(t: TableRecord, item: Item): ItemKey {
  return assembleKey(t, item, itemKeyPart);
}

function itemKeyPart(part: { name: string; type: string }, item: Item, range: boolean): AV {
  const v = item[part.name];
  if (v === undefined) throw validation(`One or more parameter values were invalid: Missing the key ${part.name} in the item`);
  const actual = typeOf(v);
  if (actual !== part.type) {
    throw validation(`One or more parameter values were invalid: Type mismatch for key ${part.name} expected: ${part.type} actual: ${actual}`);
  }
  checkKeyValue(part.name, v, range);
  return v;
}

/** The key attributes of a stored item. */
export function keyAttributes(t: TableRecord, item: Item): Item {
  const out: Item = { [t.hash.name]: item[t.hash.name] };
  if (t.range) out[t.range.name] = item[t.range.name];
  return out;
}

const NO_REFS = new Refs(undefined, undefined);

/**
 * ExpressionAttributeNames/Values of a request, checked the way AWS does before any parsing:
 * present only with an expression, and not empty.
 */
export function refsOf(
  input: { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> },
  anyExpression: boolean,
): Refs {
  const names = input.ExpressionAttributeNames;
  const values = input.ExpressionAttributeValues as Record<string, AV> | undefined;
  // Most item requests carry neither: one shared, never-written Refs (name() and value() throw
  // before recording anything when there is nothing to look up).
  if (names === undefined && values === undefined) return NO_REFS;
  if (names !== undefined) {
    if (!anyExpression) throw validation("ExpressionAttributeNames can only be specified when using expressions");
    if (Object.keys(names).length === 0) throw validation("ExpressionAttributeNames must not be empty");
    for (const k of Object.keys(names)) {
      if (!/^#[A-Za-z0-9_]+$/.test(k)) throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${k}"`);
    }
  }
  let normalized: Record<string, AV> | undefined;
  if (values !== undefined) {
    if (!anyExpression) throw validation("ExpressionAttributeValues can only be specified when using expressions");
    if (Object.keys(values).length === 0) throw validation("ExpressionAttributeValues must not be empty");
    for (const k of Object.keys(values)) {
      if (!/^:[A-Za-z0-9_]+$/.test(k)) throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${k}"`);
    }
    normalized = {};
    for (const [k, v] of Object.entries(values)) {
      try {
        normalized[k] = normalizeValue(v);
      } catch (e) {
        if (e instanceof AwsError) throw validation(`ExpressionAttributeValues contains invalid value: ${e.message} for key ${k}`);
        throw e;
      }
    }
  }
  return new Refs(names, normalized);
}

/** The legacy parameters (Expected, AttributesToGet, KeyConditions...) are not served. */
export function rejectLegacy(input: object, names: string[]): void {
  for (const n of names) {
    if ((input as Record<string, unknown>)[n] !== undefined) {
      throw new AwsError("NotImplemented", `Nimbus does not implement the legacy DynamoDB parameter ${n}; use expressions (see src/services/dynamodb/GAPS.md)`, 501, {
        fault: "Receiver",
      });
    }
  }
}

/**
 * An output some of whose members are JSON texts already in wire form (stored items without
 * binaries: the stored JSON is the wire JSON). The gateway answers the assembled text as is
 * (RAW_JSON_BODY); in-process callers read the members, parsed on first access.
 */
export function rawOutput(plain: Record<string, unknown>, texts: Record<string, string>): Record<string, unknown> {
  const parts: string[] = [];
  for (const k in texts) parts.push(`${JSON.stringify(k)}:${texts[k]}`);
  for (const k in plain) if (plain[k] !== undefined) parts.push(`${JSON.stringify(k)}:${JSON.stringify(plain[k])}`);
  const out: Record<string | symbol, unknown> = { ...plain, [RAW_JSON_BODY]: `{${parts.join(",")}}` };
  for (const k in texts) {
    let v: unknown;
    Object.defineProperty(out, k, { enumerable: true, configurable: true, get: () => (v ??= fromStored(texts[k])), set: (x) => (v = x) });
  }
  return out;
}

/**
 * GetItem's answer when the stored JSON is the wire JSON: the body is spliced, `{"Item":` +
 * the stored text + `}`, and Item is parsed only if someone reads it. A class, not rawOutput's
 * object with a defined accessor: that built a closure and a dictionary-mode object per
 * request (~4% of a GetItem's CPU); here the getter lives on the prototype. For the wire only:
 * in-process callers (ctx.protocol "internal") get a plain object (spreading this one would
 * lose Item).
 */
class RawItemOutput {
  readonly [RAW_JSON_BODY]: string;
  readonly ConsumedCapacity?: unknown;
  private parsed: Item | undefined;

  constructor(
    private readonly text: string,
    cap: { ConsumedCapacity?: unknown },
  ) {
    const c = cap.ConsumedCapacity;
    this[RAW_JSON_BODY] = c === undefined ? `{"Item":${text}}` : `{"Item":${text},"ConsumedCapacity":${JSON.stringify(c)}}`;
    if (c !== undefined) this.ConsumedCapacity = c;
  }

  get Item(): Item {
    return (this.parsed ??= fromStored(this.text));
  }
}

export function rawItemOutput(text: string, cap: { ConsumedCapacity?: unknown }): RawItemOutput {
  return new RawItemOutput(text, cap);
}
