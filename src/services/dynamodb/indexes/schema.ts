// Secondary index definitions: their stored form (IndexMeta, kept in the table's metadata), the
// checks AWS makes of LocalSecondaryIndexes and GlobalSecondaryIndexes in CreateTable and of
// GlobalSecondaryIndexUpdates in UpdateTable, in AWS's words, and the "keys used" rule for
// AttributeDefinitions (they must name exactly the attributes some key schema uses).
import { validation } from "../engine/values.js";
import type { AttributeDefinition, KeyElement } from "../store.js";

export type ProjectionType = "ALL" | "KEYS_ONLY" | "INCLUDE";

export interface IndexMeta {
  name: string;
  global: boolean;
  keySchema: KeyElement[];
  projection: { ProjectionType: ProjectionType; NonKeyAttributes?: string[] };
  /** Provisioned capacity of a GSI on a PROVISIONED table (0 on PAY_PER_REQUEST). */
  read: number;
  write: number;
  /** Nimbus time (ms) the index was created; a GSI added by UpdateTable backfills until backfilledAt. */
  createdAt: number;
  backfilledAt?: number;
}

const invalid = (detail: string) => validation(`One or more parameter values were invalid: ${detail}`);

/** AWS's per-table limits. */
export const MAX_LSIS = 5;
export const MAX_GSIS = 20;
/** NonKeyAttributes over all of a table's indexes. */
export const MAX_PROJECTED_ATTRIBUTES = 100;

interface IndexInput {
  IndexName?: string;
  KeySchema?: Array<{ AttributeName?: string; KeyType?: string }>;
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
  ProvisionedThroughput?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number };
}

function checkKeySchemaShape(ks: KeyElement[]): void {
  if (ks.length === 2 && ks[0].AttributeName === ks[1].AttributeName) {
    throw validation("Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  if (ks[0]?.KeyType !== "HASH") throw validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  if (ks.length === 2 && ks[1].KeyType !== "RANGE") throw validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
}

function checkProjection(p: IndexInput["Projection"]): IndexMeta["projection"] {
  const type = p?.ProjectionType;
  if (type === undefined) throw invalid("Unknown ProjectionType: null");
  if (p?.NonKeyAttributes !== undefined && type !== "INCLUDE") {
    throw invalid(`ProjectionType is ${type}, but NonKeyAttributes is specified`);
  }
  if (type === "INCLUDE") {
    const nk = p?.NonKeyAttributes ?? [];
    if (nk.length === 0) throw invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified");
    if (new Set(nk).size !== nk.length) throw invalid(`Duplicate NonKeyAttribute: ${nk.find((x, i) => nk.indexOf(x) !== i)}`);
    return { ProjectionType: "INCLUDE", NonKeyAttributes: [...nk] };
  }
  return { ProjectionType: type as ProjectionType };
}

function definedCheck(ks: KeyElement[], defs: AttributeDefinition[]): void {
  const names = defs.map((d) => d.AttributeName);
  if (ks.some((k) => !names.includes(k.AttributeName))) {
    throw invalid(
      `Some index key attributes are not defined in AttributeDefinitions. Keys: [${ks.map((k) => k.AttributeName).join(", ")}], AttributeDefinitions: [${names.join(", ")}]`,
    );
  }
}

/**
 * The LocalSecondaryIndexes and GlobalSecondaryIndexes of a CreateTable, validated in the order
 * AWS checks them; the table's own key schema was checked already.
 */
export function validateCreateIndexes(
  tableKeys: KeyElement[],
  defs: AttributeDefinition[],
  lsis: IndexInput[] | undefined,
  gsis: IndexInput[] | undefined,
  billingMode: string,
  now: number,
): IndexMeta[] {
  const out: IndexMeta[] = [];
  const names = new Set<string>();
  if (lsis !== undefined) {
    if (lsis.length === 0) throw invalid("List of LocalSecondaryIndexes is empty");
    if (tableKeys.length !== 2) throw invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
    for (const l of lsis) {
      const name = l.IndexName!;
      const ks = (l.KeySchema ?? []) as KeyElement[];
      definedCheck(ks, defs);
      checkKeySchemaShape(ks);
      if (ks.length !== 2) throw invalid(`Index KeySchema does not have a range key for index: ${name}`);
      if (ks[0].AttributeName !== tableKeys[0].AttributeName) {
        throw invalid(
          `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${name}. index hash key: ${ks[0].AttributeName}, table hash key: ${tableKeys[0].AttributeName}`,
        );
      }
      const projection = checkProjection(l.Projection);
      if (names.has(name)) throw invalid(`Duplicate index name: ${name}`);
      names.add(name);
      out.push({ name, global: false, keySchema: copyKeys(ks), projection, read: 0, write: 0, createdAt: now });
    }
    if (lsis.length > MAX_LSIS) throw invalid(`Number of LocalSecondaryIndexes exceeds per-table limit of ${MAX_LSIS}`);
  }
  if (gsis !== undefined) {
    if (gsis.length === 0) throw invalid("List of GlobalSecondaryIndexes is empty");
    for (const g of gsis) {
      const name = g.IndexName!;
      const ks = (g.KeySchema ?? []) as KeyElement[];
      definedCheck(ks, defs);
      checkKeySchemaShape(ks);
      const projection = checkProjection(g.Projection);
      const { read, write } = gsiThroughput(name, g.ProvisionedThroughput, billingMode);
      if (names.has(name)) throw invalid(`Duplicate index name: ${name}`);
      names.add(name);
      out.push({ name, global: true, keySchema: copyKeys(ks), projection, read, write, createdAt: now });
    }
    if (gsis.length > MAX_GSIS) throw invalid(`GlobalSecondaryIndex count exceeds the per-table limit of ${MAX_GSIS}`);
  }
  checkProjectedCount(out);
  return out;
}

export function gsiThroughput(name: string, pt: IndexInput["ProvisionedThroughput"], billingMode: string): { read: number; write: number } {
  if (billingMode === "PAY_PER_REQUEST") {
    if (pt) throw invalid(`ProvisionedThroughput should not be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`);
    return { read: 0, write: 0 };
  }
  if (!pt) throw invalid(`ProvisionedThroughput must be specified for index: ${name}`);
  return { read: pt.ReadCapacityUnits ?? 0, write: pt.WriteCapacityUnits ?? 0 };
}

/** NonKeyAttributes summed over all of a table's indexes (one attribute in two indexes counts twice). */
export function checkProjectedCount(indexes: IndexMeta[]): void {
  const total = indexes.reduce((n, i) => n + (i.projection.NonKeyAttributes?.length ?? 0), 0);
  if (total > MAX_PROJECTED_ATTRIBUTES) throw invalid(`Number of projected attributes in all indexes exceeds limit of ${MAX_PROJECTED_ATTRIBUTES}`);
}

function copyKeys(ks: KeyElement[]): KeyElement[] {
  return ks.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType }));
}

/**
 * AttributeDefinitions must define exactly the attributes some key schema (table or index)
 * uses: AWS's three messages for too many, too few and merely different definitions.
 */
export function checkDefinitionsUsed(tableKeys: KeyElement[], indexes: IndexMeta[], defs: AttributeDefinition[]): void {
  const used: string[] = [];
  for (const ks of [tableKeys, ...indexes.map((i) => i.keySchema)]) {
    for (const k of ks) if (!used.includes(k.AttributeName)) used.push(k.AttributeName);
  }
  const defined = defs.map((d) => d.AttributeName);
  const same = used.length === defined.length && used.every((u) => defined.includes(u));
  if (same) return;
  if (indexes.length === 0) {
    throw invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
  }
  if (defined.length > used.length) {
    throw invalid(`Some AttributeDefinitions are not used. AttributeDefinitions: [${defined.join(", ")}], keys used: [${used.join(", ")}]`);
  }
  throw invalid(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${used.join(", ")}], AttributeDefinitions: [${defined.join(", ")}]`);
}

/** Names an index projects (undefined: every attribute). */
export function projectedNames(tableKeys: KeyElement[], index: IndexMeta): Set<string> | undefined {
  if (index.projection.ProjectionType === "ALL") return undefined;
  const s = new Set<string>([...tableKeys, ...index.keySchema].map((k) => k.AttributeName));
  for (const a of index.projection.NonKeyAttributes ?? []) s.add(a);
  return s;
}
