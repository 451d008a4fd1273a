// Access keys: CreateAccessKey (at most 2 per user), ListAccessKeys, UpdateAccessKey (Active /
// Inactive), DeleteAccessKey, GetAccessKeyLastUsed. Each key is also written to the registry of
// issued credentials, which is what authentication reads.
import type {
  AccessKeyMetadata,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  DeleteAccessKeyRequest,
  GetAccessKeyLastUsedRequest,
  GetAccessKeyLastUsedResponse,
  ListAccessKeysRequest,
  ListAccessKeysResponse,
  UpdateAccessKeyRequest,
} from "@aws-sdk/client-iam";
import type { Handler, RequestContext } from "../../../core/service.js";
import { checkName, limitExceeded, newAccessKeyId, newSecretAccessKey, noSuchEntity, pageFields, paginate, validationError, nowSeconds } from "../common.js";
import { registerKey, registryOf } from "../credentials.js";
import { type AccessKeyDoc, type UserDoc, getUser, putUser } from "../store.js";

const MAX_KEYS_PER_USER = 2;

/** The user an operation without UserName acts on: the calling IAM user. */
function userOf(ctx: RequestContext, userName: string | undefined): UserDoc {
  if (userName !== undefined) return getUser(ctx.store, checkName(userName, "userName", 128));
  const p = ctx.principal;
  if (p.type === "user") return getUser(ctx.store, p.arn.slice(p.arn.lastIndexOf("/") + 1));
  // TODO(parity): root access keys (CreateAccessKey as root without UserName).
  throw validationError(undefined, "userName", "Must specify userName when calling with non-User credentials");
}

function keyOf(ctx: RequestContext, u: UserDoc, id: string | undefined): AccessKeyDoc {
  const k = id === undefined ? undefined : ctx.store.get<AccessKeyDoc>("access-key", id);
  if (!k || k.UserName !== u.UserName) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
  return k;
}

export const CreateAccessKey: Handler<CreateAccessKeyRequest, CreateAccessKeyResponse> = (input, ctx) =>
  ctx.store.tx(() => {
    const u = userOf(ctx, input.UserName);
    if (u.accessKeys.length >= MAX_KEYS_PER_USER) throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
    const k: AccessKeyDoc = { UserName: u.UserName, AccessKeyId: newAccessKeyId("AKIA"), Status: "Active", CreateDate: nowSeconds(ctx) };
    const secret = newSecretAccessKey();
    ctx.store.put("access-key", k.AccessKeyId, k);
    u.accessKeys.push(k.AccessKeyId);
    putUser(ctx.store, u);
    registerKey(ctx.db, ctx.accountId, u, k.AccessKeyId, secret, "Active");
    return {
      AccessKey: { UserName: u.UserName, AccessKeyId: k.AccessKeyId, Status: k.Status, SecretAccessKey: secret, CreateDate: new Date(k.CreateDate) },
    };
  });

export const ListAccessKeys: Handler<ListAccessKeysRequest, ListAccessKeysResponse> = (input, ctx) => {
  const u = userOf(ctx, input.UserName);
  const keys = u.accessKeys
    .map((id) => ctx.store.get<AccessKeyDoc>("access-key", id))
    .filter((k): k is AccessKeyDoc => k !== undefined)
    .map((k): AccessKeyMetadata => ({ UserName: u.UserName, AccessKeyId: k.AccessKeyId, Status: k.Status, CreateDate: new Date(k.CreateDate) }));
  const page = paginate(keys, input);
  return { AccessKeyMetadata: page.items, ...pageFields(page) };
};

export const UpdateAccessKey: Handler<UpdateAccessKeyRequest, Record<string, never>> = (input, ctx) => {
  if (input.Status !== "Active" && input.Status !== "Inactive") {
    throw validationError(input.Status, "status", "Member must satisfy enum value set: [Active, Inactive, Expired]");
  }
  ctx.store.tx(() => {
    const u = userOf(ctx, input.UserName);
    const k = keyOf(ctx, u, input.AccessKeyId);
    k.Status = input.Status as "Active" | "Inactive";
    ctx.store.put("access-key", k.AccessKeyId, k);
    const secret = registryOf(ctx.db).issued(k.AccessKeyId)?.secretAccessKey ?? newSecretAccessKey();
    registerKey(ctx.db, ctx.accountId, u, k.AccessKeyId, secret, k.Status);
  });
  return {};
};

export const DeleteAccessKey: Handler<DeleteAccessKeyRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const u = userOf(ctx, input.UserName);
    const k = keyOf(ctx, u, input.AccessKeyId);
    ctx.store.delete("access-key", k.AccessKeyId);
    u.accessKeys = u.accessKeys.filter((id) => id !== k.AccessKeyId);
    putUser(ctx.store, u);
    // A deleted key stays known to the registry, refused: never the root of an account.
    const secret = registryOf(ctx.db).issued(k.AccessKeyId)?.secretAccessKey ?? newSecretAccessKey();
    registerKey(ctx.db, ctx.accountId, u, k.AccessKeyId, secret, "Deleted");
  });
  return {};
};

export const GetAccessKeyLastUsed: Handler<GetAccessKeyLastUsedRequest, GetAccessKeyLastUsedResponse> = (input, ctx) => {
  const k = input.AccessKeyId === undefined ? undefined : ctx.store.get<AccessKeyDoc>("access-key", input.AccessKeyId);
  if (!k) throw noSuchEntity(`The Access Key with id ${input.AccessKeyId} cannot be found.`);
  // TODO(parity): last use is not recorded (it would cost a write per request); never used is answered.
  return {
    UserName: k.UserName,
    AccessKeyLastUsed: k.lastUsed
      ? { LastUsedDate: new Date(k.lastUsed.LastUsedDate), ServiceName: k.lastUsed.ServiceName, Region: k.lastUsed.Region }
      : ({ ServiceName: "N/A", Region: "N/A" } as GetAccessKeyLastUsedResponse["AccessKeyLastUsed"]),
  };
};

/** After a user is renamed or moved, its keys act as the new ARN. */
export function reRegisterKeys(ctx: RequestContext, u: UserDoc): void {
  for (const id of u.accessKeys) {
    const k = ctx.store.get<AccessKeyDoc>("access-key", id);
    const issued = registryOf(ctx.db).issued(id);
    if (k && issued) registerKey(ctx.db, ctx.accountId, u, id, issued.secretAccessKey, k.Status);
  }
}
