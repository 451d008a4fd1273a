// Enumerated request parameters checked the way AWS's request validation words it (the model
// check in core does not look at enums): "1 validation error detected: Value 'X' at
// 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [...]";
// several failures are counted and joined with "; ", as Coral does.
import { validation } from "./values.js";

const ENUMS: Record<string, { path: string; values: string[] }> = {
  ReturnValues: { path: "returnValues", values: ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"] },
  ReturnConsumedCapacity: { path: "returnConsumedCapacity", values: ["INDEXES", "TOTAL", "NONE"] },
  ReturnItemCollectionMetrics: { path: "returnItemCollectionMetrics", values: ["SIZE", "NONE"] },
  ReturnValuesOnConditionCheckFailure: { path: "returnValuesOnConditionCheckFailure", values: ["ALL_OLD", "NONE"] },
  ConditionalOperator: { path: "conditionalOperator", values: ["OR", "AND"] },
  Select: { path: "select", values: ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"] },
};

/** Checks the named enum members of an input (those absent pass). */
export function checkEnums(input: object, names: readonly string[], prefix = ""): void {
  // The list of failures is made only when there is one (this runs on every item request).
  let errors: string[] | undefined;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    const v = (input as Record<string, unknown>)[n];
    if (v === undefined || v === null) continue;
    const e = ENUMS[n];
    if (!e) continue;
    if (!e.values.includes(v as string)) {
      (errors ??= []).push(`Value '${String(v)}' at '${prefix}${e.path}' failed to satisfy constraint: Member must satisfy enum value set: [${e.values.join(", ")}]`);
    }
  }
  if (errors) throw validation(`${errors.length} validation error${errors.length > 1 ? "s" : ""} detected: ${errors.join("; ")}`);
}

/** Limit and similar integer members that must be at least 1 (or 0 for Segment). */
export function checkMin(input: object, name: string, path: string, min: number): void {
  const v = (input as Record<string, unknown>)[name];
  if (typeof v === "number" && v < min) {
    throw validation(`1 validation error detected: Value '${v}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  }
}
