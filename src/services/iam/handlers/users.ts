// Users: CreateUser, GetUser (the caller when no name is given), ListUsers, UpdateUser,
// DeleteUser (refused while anything still hangs off the user), tags, permissions boundaries.
import type {
  CreateUserRequest,
  CreateUserResponse,
  DeleteUserPermissionsBoundaryRequest,
  DeleteUserRequest,
  GetUserRequest,
  GetUserResponse,
  ListUserTagsRequest,
  ListUserTagsResponse,
  ListUsersRequest,
  ListUsersResponse,
  PutUserPermissionsBoundaryRequest,
  TagUserRequest,
  UntagUserRequest,
  UpdateUserRequest,
  User,
} from "@aws-sdk/client-iam";
import type { Handler, RequestContext } from "../../../core/service.js";
import {
  alreadyExists,
  checkName,
  checkPath,
  checkPathPrefix,
  deleteConflict,
  iamArn,
  mergeTags,
  nameKey,
  newId,
  pageFields,
  paginate,
  removeTags,
  validationError,
  nowSeconds,
  updateTags,
  tagsPage,
} from "../common.js";
import { attachablePolicy } from "../managed-policies.js";
import { reRegisterKeys } from "./access-keys.js";
import { type UserDoc, attachmentsOf, getUser, listAll, putAttachments, putUser } from "../store.js";

export function toUser(u: UserDoc, withTags: boolean): User {
  const out: User = { Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: new Date(u.CreateDate) };
  if (u.PasswordLastUsed !== undefined) out.PasswordLastUsed = new Date(u.PasswordLastUsed);
  if (u.PermissionsBoundary) out.PermissionsBoundary = { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.PermissionsBoundary };
  if (withTags && u.Tags.length) out.Tags = u.Tags;
  return out;
}

/** Records `arn` as the boundary of one more (or one fewer) entity. */
export function countBoundary(ctx: RequestContext, arn: string | undefined, delta: 1 | -1): void {
  if (!arn) return;
  const a = attachmentsOf(ctx.store, arn);
  a.boundaryOf = Math.max(0, a.boundaryOf + delta);
  putAttachments(ctx.store, arn, a);
}

export const CreateUser: Handler<CreateUserRequest, CreateUserResponse> = (input, ctx) => {
  const name = checkName(input.UserName, "userName", 64);
  const path = checkPath(input.Path);
  const tags = mergeTags([], input.Tags);
  return ctx.store.tx(() => {
    if (ctx.store.get("user", nameKey(name))) throw alreadyExists(`User with name ${name} already exists.`);
    if (input.PermissionsBoundary) attachablePolicy(ctx.store, ctx.accountId, input.PermissionsBoundary);
    const u: UserDoc = {
      UserName: name,
      UserId: newId("AIDA"),
      Arn: iamArn(ctx.accountId, "user", path, name),
      Path: path,
      CreateDate: nowSeconds(ctx),
      Tags: tags,
      PermissionsBoundary: input.PermissionsBoundary,
      inline: {},
      attached: [],
      groups: [],
      accessKeys: [],
    };
    putUser(ctx.store, u);
    countBoundary(ctx, u.PermissionsBoundary, 1);
    return { User: toUser(u, true) };
  });
};

export const GetUser: Handler<GetUserRequest, GetUserResponse> = (input, ctx) => {
  if (input.UserName !== undefined) return { User: toUser(getUser(ctx.store, checkName(input.UserName, "userName", 128)), true) };
  // No name: the caller. Root answers with its account, a user with itself.
  const p = ctx.principal;
  if (p.type === "root") {
    // The account's creation date is unknown to Nimbus: the first time IAM saw the account.
    let seen = ctx.store.get<{ at: number }>("account", "created");
    if (!seen) {
      seen = { at: nowSeconds(ctx) };
      ctx.store.put("account", "created", seen);
    }
    return { User: { UserId: p.accountId, Arn: p.arn, CreateDate: new Date(seen.at) } as User };
  }
  if (p.type === "user") {
    const name = p.arn.slice(p.arn.lastIndexOf("/") + 1);
    return { User: toUser(getUser(ctx.store, name), true) };
  }
  throw validationError(undefined, "userName", "Must specify userName when calling with non-User credentials");
};

export const ListUsers: Handler<ListUsersRequest, ListUsersResponse> = (input, ctx) => {
  const prefix = checkPathPrefix(input.PathPrefix);
  const all = listAll<UserDoc>(ctx.store, "user").filter((u) => u.Path.startsWith(prefix));
  const page = paginate(all, input);
  return { Users: page.items.map((u) => toUser(u, false)), ...pageFields(page) };
};

export const UpdateUser: Handler<UpdateUserRequest, Record<string, never>> = (input, ctx) => {
  const name = checkName(input.UserName, "userName", 128);
  const newName = input.NewUserName !== undefined ? checkName(input.NewUserName, "newUserName", 64) : undefined;
  const newPath = input.NewPath !== undefined ? checkPath(input.NewPath, "newPath") : undefined;
  ctx.store.tx(() => {
    const u = getUser(ctx.store, name);
    if (newName !== undefined && nameKey(newName) !== nameKey(u.UserName) && ctx.store.get("user", nameKey(newName))) {
      throw alreadyExists(`User with name ${newName} already exists.`);
    }
    const oldName = u.UserName;
    if (newPath !== undefined) u.Path = newPath;
    if (newName !== undefined) u.UserName = newName;
    u.Arn = iamArn(ctx.accountId, "user", u.Path, u.UserName);
    if (nameKey(oldName) !== nameKey(u.UserName)) ctx.store.delete("user", nameKey(oldName));
    putUser(ctx.store, u);
    if (oldName !== u.UserName) renameUserReferences(ctx, u, oldName);
    else if (newPath !== undefined) reRegisterKeys(ctx, u);
  });
  return {};
};

/** A renamed user keeps its groups, attachments and keys: every reference by name follows. */
function renameUserReferences(ctx: RequestContext, u: UserDoc, oldName: string): void {
  for (const g of u.groups) {
    const group = ctx.store.get<{ members: string[] }>("group", nameKey(g));
    if (group) {
      group.members = group.members.map((m) => (m === oldName ? u.UserName : m));
      ctx.store.put("group", nameKey(g), group);
    }
  }
  for (const arn of u.attached) {
    const a = attachmentsOf(ctx.store, arn);
    a.users = a.users.map((m) => (m === oldName ? u.UserName : m));
    putAttachments(ctx.store, arn, a);
  }
  for (const id of u.accessKeys) {
    const k = ctx.store.get<{ UserName: string }>("access-key", id);
    if (k) ctx.store.put("access-key", id, { ...k, UserName: u.UserName });
  }
  reRegisterKeys(ctx, u);
}

export const DeleteUser: Handler<DeleteUserRequest, Record<string, never>> = (input, ctx) => {
  const name = checkName(input.UserName, "userName", 128);
  ctx.store.tx(() => {
    const u = getUser(ctx.store, name);
    // The order IAM checks in: login profile, access keys, inline policies, managed policies, groups.
    if (u.loginProfile) throw deleteConflict("Cannot delete entity, must delete login profile first.");
    if (u.accessKeys.length) throw deleteConflict("Cannot delete entity, must delete access keys first.");
    if (Object.keys(u.inline).length) throw deleteConflict("Cannot delete entity, must delete policies first.");
    if (u.attached.length) throw deleteConflict("Cannot delete entity, must detach all policies first.");
    if (u.groups.length) throw deleteConflict("Cannot delete entity, must remove users from group first.");
    countBoundary(ctx, u.PermissionsBoundary, -1);
    ctx.store.delete("user", nameKey(u.UserName));
  });
  return {};
};

export const TagUser: Handler<TagUserRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => getUser(ctx.store, checkName(input.UserName, "userName", 128)),
    (doc) => putUser(ctx.store, doc),
    (tags) => mergeTags(tags, input.Tags),
  );

export const UntagUser: Handler<UntagUserRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => getUser(ctx.store, checkName(input.UserName, "userName", 128)),
    (doc) => putUser(ctx.store, doc),
    (tags) => removeTags(tags, input.TagKeys),
  );

export const ListUserTags: Handler<ListUserTagsRequest, ListUserTagsResponse> = (input, ctx) => tagsPage(getUser(ctx.store, checkName(input.UserName, "userName", 128)).Tags, input);

export const PutUserPermissionsBoundary: Handler<PutUserPermissionsBoundaryRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 128));
    attachablePolicy(ctx.store, ctx.accountId, input.PermissionsBoundary!);
    countBoundary(ctx, u.PermissionsBoundary, -1);
    u.PermissionsBoundary = input.PermissionsBoundary;
    countBoundary(ctx, u.PermissionsBoundary, 1);
    putUser(ctx.store, u);
  });
  return {};
};

export const DeleteUserPermissionsBoundary: Handler<DeleteUserPermissionsBoundaryRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 128));
    countBoundary(ctx, u.PermissionsBoundary, -1);
    delete u.PermissionsBoundary;
    putUser(ctx.store, u);
  });
  return {};
};
