// Versions: PublishVersion snapshots $LATEST (code and configuration) as an immutable numbered
// version; ListVersionsByFunction lists $LATEST then the versions in order. A version shares
// its package blob with $LATEST (and other versions) until the last reference goes.
import { randomUUID } from "node:crypto";
import type { FunctionConfiguration, ListVersionsByFunctionRequest, ListVersionsByFunctionResponse, PublishVersionRequest } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import type { DocStore } from "../../core/state/doc-store.js";
import { arnOf, invalid, loadLatest, refOf, versionKey, type StoredFunction } from "./lookup.js";

/** Fields that make two snapshots "the same version" (AWS publishes nothing new when none changed). */
function fingerprint(c: FunctionConfiguration): string {
  const { RevisionId: _r, LastModified: _l, FunctionArn: _a, Version: _v, Description: _d, State: _s, StateReason: _sr, StateReasonCode: _sc, LastUpdateStatus: _u, ...rest } = c;
  return JSON.stringify(rest);
}

/** Is a package blob still referenced by $LATEST or a version of the function? */
export function blobInUse(store: DocStore, name: string, blobId: string): boolean {
  if (store.get<StoredFunction>("function", name)?.blobId === blobId) return true;
  return store.list<StoredFunction>("version", { prefix: `${name}#` }).some((v) => v.doc.blobId === blobId);
}

/**
 * Publishes $LATEST as the next version (call inside a transaction). Answers the last version
 * unchanged when neither code nor configuration changed since it was published, as AWS does.
 */
export function publishVersion(ctx: Pick<RequestContext, "clock" | "region">, store: DocStore, name: string, opts: { description?: string; codeSha256?: string; revisionId?: string }): FunctionConfiguration {
  const latest = store.get<StoredFunction>("function", name)!;
  const c = latest.configuration;
  // 1. Preconditions.
  if (opts.revisionId !== undefined && opts.revisionId !== c.RevisionId) {
    throw new AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412, { fields: { Type: "User" } });
  }
  if (opts.codeSha256 !== undefined && opts.codeSha256 !== c.CodeSha256) {
    throw invalid(`CodeSHA256 (${opts.codeSha256}) is different from current CodeSHA256 in $LATEST (${c.CodeSha256}). Please try again with the current CodeSHA256.`);
  }
  // 2. Nothing changed since the last version: that version is the answer.
  const n = latest.lastVersion ?? 0;
  if (n > 0) {
    const last = store.get<StoredFunction>("version", versionKey(name, n));
    if (last && fingerprint(last.configuration) === fingerprint(c)) return last.configuration;
  }
  // 3. The snapshot, numbered after the highest version ever published (numbers are never reused).
  const version = String(n + 1);
  const account = c.FunctionArn!.split(":")[4];
  const configuration: FunctionConfiguration = {
    ...c,
    FunctionArn: arnOf(ctx.region, account, name, version),
    Version: version,
    Description: opts.description ?? c.Description ?? "",
    RevisionId: randomUUID(),
    State: "Active",
    LastUpdateStatus: "Successful",
  };
  store.put<StoredFunction>("version", versionKey(name, version), { configuration, codeSize: latest.codeSize, blobId: latest.blobId, shaHex: latest.shaHex, ...(latest.layers ? { layers: latest.layers } : {}) });
  store.put<StoredFunction>("function", name, { ...latest, lastVersion: n + 1 });
  return configuration;
}

export const PublishVersion: Handler<PublishVersionRequest, FunctionConfiguration> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  loadLatest(ref);
  return ref.store.tx(() => publishVersion(ctx, ref.store, ref.name, { description: input.Description, codeSha256: input.CodeSha256, revisionId: input.RevisionId }));
};

export const ListVersionsByFunction: Handler<ListVersionsByFunctionRequest, ListVersionsByFunctionResponse> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  const latest = loadLatest(ref);
  const max = input.MaxItems ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 10000) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 10000"}`, 400);
  }
  const pageSize = Math.min(max, 50);
  // The marker is the last version id answered ("" before any, "$LATEST" after the first item).
  const out: FunctionConfiguration[] = [];
  let after = input.Marker;
  if (after === undefined) {
    out.push(latest.configuration);
    after = "$LATEST";
  }
  if (after !== "$LATEST" && !/^[0-9]+$/.test(after)) throw invalid("Invalid marker.");
  const from = after === "$LATEST" ? `${ref.name}#` : versionKey(ref.name, after);
  const want = pageSize - out.length;
  const rows = ref.store.list<StoredFunction>("version", { prefix: `${ref.name}#`, after: from, limit: want + 1 });
  for (const r of rows.slice(0, want)) out.push(r.doc.configuration);
  const more = rows.length > want;
  return { Versions: out, ...(more ? { NextMarker: out[out.length - 1].Version } : {}) };
};
