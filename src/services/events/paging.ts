// NextToken / Limit for the List* operations: the token is the last listed document id,
// base64url-encoded (opaque to clients, stable across restarts).
import { validationError } from "./store.js";

export function pageLimit(limit: number | undefined, max = 100): number {
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw validationError(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? "greater than or equal to 1" : `less than or equal to ${max}`}`);
  }
  return limit;
}

export function encodeToken(lastId: string): string {
  return Buffer.from(lastId, "utf8").toString("base64url");
}

export function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const id = Buffer.from(token, "base64url").toString("utf8");
  if (!token || Buffer.from(id, "utf8").toString("base64url") !== token) throw validationError("The NextToken provided is invalid.");
  return id;
}
