// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. An alias names one key of its
// account and region; "alias/aws/" is reserved for AWS managed keys (created on first use).
import type { CreateAliasRequest, DeleteAliasRequest, ListAliasesRequest, UpdateAliasRequest } from "@aws-sdk/client-kms";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { aliasArn, assertNotPendingDeletion, decodeMarker, encodeMarker, limitOf, notFound, parseKeyRef, resolveKey, type AliasDoc, type KeyDoc } from "../store.js";

const ALIAS = /^alias\/[a-zA-Z0-9/_-]+$/;

function checkName(name: string | undefined): string {
  if (!name || !name.startsWith("alias/")) throw new AwsError("ValidationException", `Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`, 400);
  if (!ALIAS.test(name) || name.length > 256) throw new AwsError("ValidationException", `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`, 400);
  if (name.startsWith("alias/aws/")) throw new AwsError("NotAuthorizedException", "Cannot create, update or delete an alias with the reserved prefix alias/aws/.", 400); // TODO(parity): wording
  return name;
}

/** The customer managed key an alias may point to (a key id or key ARN, not another alias). */
function target(ctx: RequestContext, keyId: string | undefined): KeyDoc {
  if (keyId?.startsWith("alias/") || /:alias\//.test(keyId ?? "")) throw new AwsError("ValidationException", "Aliases must refer to keys. Not aliases", 400);
  const { key } = resolveKey(ctx, keyId);
  if (key.account !== ctx.accountId || key.region !== ctx.region) throw notFound(`Key '${key.arn}' does not exist`);
  if (key.keyManager === "AWS") throw new AwsError("NotAuthorizedException", `${key.arn} is an AWS managed key.`, 400); // TODO(parity): wording
  assertNotPendingDeletion(key);
  return key;
}

export function CreateAlias(input: CreateAliasRequest, ctx: RequestContext): Record<string, never> {
  const name = checkName(input.AliasName);
  const key = target(ctx, input.TargetKeyId);
  ctx.store.tx(() => {
    if (ctx.store.get<AliasDoc>("alias", name)) throw new AwsError("AlreadyExistsException", `An alias with the name ${aliasArn(ctx.accountId, ctx.region, name)} already exists`, 400);
    const now = ctx.clock.now();
    ctx.store.put<AliasDoc>("alias", name, { name, targetKeyId: key.keyId, createdAt: now, updatedAt: now });
  });
  return {};
}

function existing(ctx: RequestContext, name: string): AliasDoc {
  const alias = ctx.store.get<AliasDoc>("alias", name);
  if (!alias) throw notFound(`Alias ${aliasArn(ctx.accountId, ctx.region, name)} is not found.`);
  return alias;
}

export function UpdateAlias(input: UpdateAliasRequest, ctx: RequestContext): Record<string, never> {
  const name = checkName(input.AliasName);
  const key = target(ctx, input.TargetKeyId);
  ctx.store.tx(() => {
    const alias = existing(ctx, name);
    const current = ctx.store.get<KeyDoc>("key", alias.targetKeyId);
    // The new key must be of the same type and usage as the current one.
    if (current && (current.keyUsage !== key.keyUsage || (current.keySpec === "SYMMETRIC_DEFAULT") !== (key.keySpec === "SYMMETRIC_DEFAULT"))) {
      throw new AwsError("ValidationException", `${key.arn} key usage or key spec differs from the key ${current.arn} the alias points to.`, 400); // TODO(parity): wording
    }
    alias.targetKeyId = key.keyId;
    alias.updatedAt = ctx.clock.now();
    ctx.store.put("alias", name, alias);
  });
  return {};
}

export function DeleteAlias(input: DeleteAliasRequest, ctx: RequestContext): Record<string, never> {
  const name = checkName(input.AliasName);
  ctx.store.tx(() => {
    existing(ctx, name);
    ctx.store.delete("alias", name);
  });
  return {};
}

export function ListAliases(input: ListAliasesRequest, ctx: RequestContext) {
  const limit = limitOf(input.Limit, 1000);
  let keyId: string | undefined;
  if (input.KeyId !== undefined) {
    const ref = parseKeyRef(input.KeyId, ctx.accountId, ctx.region);
    if (ref.alias) throw new AwsError("InvalidArnException", `Invalid keyId ${input.KeyId}`, 400); // TODO(parity): wording
    keyId = resolveKey(ctx, input.KeyId).key.keyId;
  }
  const after = decodeMarker(input.Marker);
  const out: AliasDoc[] = [];
  let cursor = after;
  let more = false;
  // Filtering by key may skip rows: read in pages until the page is full.
  for (;;) {
    const rows = ctx.store.list<AliasDoc>("alias", { after: cursor, limit: 200 });
    for (const r of rows) {
      if (keyId !== undefined && r.doc.targetKeyId !== keyId) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      out.push(r.doc);
    }
    if (more || rows.length < 200) break;
    cursor = rows[rows.length - 1].id;
  }
  return {
    Aliases: out.map((a) => ({ AliasName: a.name, AliasArn: aliasArn(ctx.accountId, ctx.region, a.name), TargetKeyId: a.targetKeyId, CreationDate: new Date(a.createdAt), LastUpdatedDate: new Date(a.updatedAt) })),
    Truncated: more,
    ...(more ? { NextMarker: encodeMarker(out[out.length - 1].name) } : {}),
  };
}
