// Capacity-unit arithmetic as AWS documents it, for ReturnConsumedCapacity:
// - a write unit is 1 KB of item (rounded up per item); a write that replaces an item costs the
//   larger of the old and new sizes; a delete costs the deleted item's size; at least 1 unit;
// - a read unit is 4 KB (rounded up per item for GetItem/BatchGetItem, over the total of all
//   items read for Query/Scan); eventually consistent reads cost half; at least 1 unit (0.5);
// - transactional reads and writes cost twice as much.
// Sizes are AWS's item sizes (values.ts itemSize), stored with each row.

export type CapacityMode = "TOTAL" | "INDEXES" | "NONE" | undefined;

export function writeUnits(a?: number, b?: number): number {
  // Two arguments, not a rest array mapped and spread: this runs on every write.
  const size = Math.max(0, a ?? 0, b ?? 0);
  return Math.max(1, Math.ceil(size / 1024));
}

export function readUnits(size: number | undefined, consistent: boolean | undefined): number {
  const units = Math.max(1, Math.ceil((size ?? 0) / 4096));
  return consistent ? units : units / 2;
}

export interface ConsumedCapacity {
  TableName: string;
  CapacityUnits: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
}

/** The ConsumedCapacity member for one table, or undefined when it was not asked for. */
// AWS's documented answers carry TableName and CapacityUnits (plus Table for INDEXES), not the
// Read/WriteCapacityUnits split.
export function consumed(mode: CapacityMode | string, table: string, units: number, _kind: "read" | "write"): ConsumedCapacity | undefined {
  if (mode !== "TOTAL" && mode !== "INDEXES") return undefined;
  const out: ConsumedCapacity = { TableName: table, CapacityUnits: units };
  if (mode === "INDEXES") out.Table = { CapacityUnits: units };
  return out;
}

/** Accumulates units per table for the batch and transaction operations (a list, in first-use order). */
export class CapacityTally {
  private readonly units = new Map<string, { read: number; write: number }>();
  constructor(private readonly mode: CapacityMode | string) {}

  get wanted(): boolean {
    return this.mode === "TOTAL" || this.mode === "INDEXES";
  }

  add(table: string, kind: "read" | "write", units: number): void {
    let u = this.units.get(table);
    if (!u) {
      u = { read: 0, write: 0 };
      this.units.set(table, u);
    }
    u[kind] += units;
  }

  list(): ConsumedCapacity[] | undefined {
    if (!this.wanted) return undefined;
    return [...this.units].map(([TableName, u]) => {
      const out: ConsumedCapacity = { TableName, CapacityUnits: u.read + u.write };
      if (this.mode === "INDEXES") out.Table = { CapacityUnits: u.read + u.write };
      return out;
    });
  }
}
