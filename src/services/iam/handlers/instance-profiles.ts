// Instance profiles: Create/Get/Delete/List, AddRoleToInstanceProfile (one role each, as on
// AWS), RemoveRoleFromInstanceProfile, ListInstanceProfilesForRole, tags.
import type {
  AddRoleToInstanceProfileRequest,
  CreateInstanceProfileRequest,
  CreateInstanceProfileResponse,
  DeleteInstanceProfileRequest,
  GetInstanceProfileRequest,
  GetInstanceProfileResponse,
  InstanceProfile,
  ListInstanceProfileTagsRequest,
  ListInstanceProfileTagsResponse,
  ListInstanceProfilesForRoleRequest,
  ListInstanceProfilesForRoleResponse,
  ListInstanceProfilesRequest,
  ListInstanceProfilesResponse,
  RemoveRoleFromInstanceProfileRequest,
  TagInstanceProfileRequest,
  UntagInstanceProfileRequest,
} from "@aws-sdk/client-iam";
import type { Handler, RequestContext } from "../../../core/service.js";
import { alreadyExists, checkName, checkPath, checkPathPrefix, deleteConflict, iamArn, limitExceeded, mergeTags, nameKey, newId, noSuchEntity, pageFields, paginate, removeTags, nowSeconds, updateTags, tagsPage } from "../common.js";
import { type InstanceProfileDoc, type RoleDoc, getInstanceProfile, getRole, listAll, putInstanceProfile, putRole } from "../store.js";
import { toRole } from "./roles.js";

export function toInstanceProfile(ctx: RequestContext, p: InstanceProfileDoc, withTags: boolean): InstanceProfile {
  const roles = p.roles
    .map((n) => ctx.store.get<RoleDoc>("role", nameKey(n)))
    .filter((r): r is RoleDoc => r !== undefined)
    .map((r) => toRole(r, false));
  const out: InstanceProfile = {
    Path: p.Path,
    InstanceProfileName: p.InstanceProfileName,
    InstanceProfileId: p.InstanceProfileId,
    Arn: p.Arn,
    CreateDate: new Date(p.CreateDate),
    Roles: roles,
  };
  if (withTags && p.Tags.length) out.Tags = p.Tags;
  return out;
}

export const CreateInstanceProfile: Handler<CreateInstanceProfileRequest, CreateInstanceProfileResponse> = (input, ctx) => {
  const name = checkName(input.InstanceProfileName, "instanceProfileName", 128);
  const path = checkPath(input.Path);
  const tags = mergeTags([], input.Tags);
  return ctx.store.tx(() => {
    if (ctx.store.get("instance-profile", nameKey(name))) throw alreadyExists(`Instance Profile ${name} already exists.`);
    const p: InstanceProfileDoc = {
      InstanceProfileName: name,
      InstanceProfileId: newId("AIPA"),
      Arn: iamArn(ctx.accountId, "instance-profile", path, name),
      Path: path,
      CreateDate: nowSeconds(ctx),
      Tags: tags,
      roles: [],
    };
    putInstanceProfile(ctx.store, p);
    return { InstanceProfile: toInstanceProfile(ctx, p, true) };
  });
};

export const GetInstanceProfile: Handler<GetInstanceProfileRequest, GetInstanceProfileResponse> = (input, ctx) => ({
  InstanceProfile: toInstanceProfile(ctx, getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128)), true),
});

export const ListInstanceProfiles: Handler<ListInstanceProfilesRequest, ListInstanceProfilesResponse> = (input, ctx) => {
  const prefix = checkPathPrefix(input.PathPrefix);
  const page = paginate(listAll<InstanceProfileDoc>(ctx.store, "instance-profile").filter((p) => p.Path.startsWith(prefix)), input);
  return { InstanceProfiles: page.items.map((p) => toInstanceProfile(ctx, p, false)), ...pageFields(page) };
};

export const ListInstanceProfilesForRole: Handler<ListInstanceProfilesForRoleRequest, ListInstanceProfilesForRoleResponse> = (input, ctx) => {
  const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
  const profiles = r.instanceProfiles
    .map((n) => ctx.store.get<InstanceProfileDoc>("instance-profile", nameKey(n)))
    .filter((p): p is InstanceProfileDoc => p !== undefined)
    .sort((a, b) => (nameKey(a.InstanceProfileName) < nameKey(b.InstanceProfileName) ? -1 : 1));
  const page = paginate(profiles, input);
  return { InstanceProfiles: page.items.map((p) => toInstanceProfile(ctx, p, false)), ...pageFields(page) };
};

export const DeleteInstanceProfile: Handler<DeleteInstanceProfileRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const p = getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128));
    if (p.roles.length) throw deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
    ctx.store.delete("instance-profile", nameKey(p.InstanceProfileName));
  });
  return {};
};

export const AddRoleToInstanceProfile: Handler<AddRoleToInstanceProfileRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const p = getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128));
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    // An instance profile holds one role; adding a second is over the quota, as on AWS.
    if (p.roles.length >= 1) throw limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
    p.roles.push(r.RoleName);
    r.instanceProfiles.push(p.InstanceProfileName);
    putInstanceProfile(ctx.store, p);
    putRole(ctx.store, r);
  });
  return {};
};

export const RemoveRoleFromInstanceProfile: Handler<RemoveRoleFromInstanceProfileRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const p = getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128));
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    if (!p.roles.includes(r.RoleName)) throw noSuchEntity(`The role with name ${r.RoleName} cannot be found.`);
    p.roles = p.roles.filter((x) => x !== r.RoleName);
    r.instanceProfiles = r.instanceProfiles.filter((x) => x !== p.InstanceProfileName);
    putInstanceProfile(ctx.store, p);
    putRole(ctx.store, r);
  });
  return {};
};

export const TagInstanceProfile: Handler<TagInstanceProfileRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128)),
    (doc) => putInstanceProfile(ctx.store, doc),
    (tags) => mergeTags(tags, input.Tags),
  );

export const UntagInstanceProfile: Handler<UntagInstanceProfileRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128)),
    (doc) => putInstanceProfile(ctx.store, doc),
    (tags) => removeTags(tags, input.TagKeys),
  );

export const ListInstanceProfileTags: Handler<ListInstanceProfileTagsRequest, ListInstanceProfileTagsResponse> = (input, ctx) => tagsPage(getInstanceProfile(ctx.store, checkName(input.InstanceProfileName, "instanceProfileName", 128)).Tags, input);
