// Groups and membership: CreateGroup, GetGroup (with its users), ListGroups, UpdateGroup,
// DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.
import type {
  AddUserToGroupRequest,
  CreateGroupRequest,
  CreateGroupResponse,
  DeleteGroupRequest,
  GetGroupRequest,
  GetGroupResponse,
  Group,
  ListGroupsForUserRequest,
  ListGroupsForUserResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  RemoveUserFromGroupRequest,
  UpdateGroupRequest,
} from "@aws-sdk/client-iam";
import type { Handler } from "../../../core/service.js";
import { alreadyExists, checkName, checkPath, checkPathPrefix, deleteConflict, iamArn, limitExceeded, nameKey, newId, noSuchEntity, pageFields, paginate, nowSeconds } from "../common.js";
import { type GroupDoc, attachmentsOf, getGroup, getUser, listAll, putAttachments, putGroup, putUser } from "../store.js";
import { toUser } from "./users.js";

const MAX_GROUPS_PER_USER = 10;

export function toGroup(g: GroupDoc): Group {
  return { Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupId, Arn: g.Arn, CreateDate: new Date(g.CreateDate) };
}

export const CreateGroup: Handler<CreateGroupRequest, CreateGroupResponse> = (input, ctx) => {
  const name = checkName(input.GroupName, "groupName", 128);
  const path = checkPath(input.Path);
  return ctx.store.tx(() => {
    if (ctx.store.get("group", nameKey(name))) throw alreadyExists(`Group with name ${name} already exists.`);
    const g: GroupDoc = {
      GroupName: name,
      GroupId: newId("AGPA"),
      Arn: iamArn(ctx.accountId, "group", path, name),
      Path: path,
      CreateDate: nowSeconds(ctx),
      inline: {},
      attached: [],
      members: [],
    };
    putGroup(ctx.store, g);
    return { Group: toGroup(g) };
  });
};

export const GetGroup: Handler<GetGroupRequest, GetGroupResponse> = (input, ctx) => {
  const g = getGroup(ctx.store, checkName(input.GroupName, "groupName", 128));
  const users = g.members
    .map((m) => ctx.store.get<Parameters<typeof toUser>[0]>("user", nameKey(m)))
    .filter((u) => u !== undefined)
    .sort((a, b) => (nameKey(a!.UserName) < nameKey(b!.UserName) ? -1 : 1))
    .map((u) => toUser(u!, false));
  const page = paginate(users, input);
  return { Group: toGroup(g), Users: page.items, ...pageFields(page) };
};

export const ListGroups: Handler<ListGroupsRequest, ListGroupsResponse> = (input, ctx) => {
  const prefix = checkPathPrefix(input.PathPrefix);
  const page = paginate(listAll<GroupDoc>(ctx.store, "group").filter((g) => g.Path.startsWith(prefix)), input);
  return { Groups: page.items.map(toGroup), ...pageFields(page) };
};

export const ListGroupsForUser: Handler<ListGroupsForUserRequest, ListGroupsForUserResponse> = (input, ctx) => {
  const u = getUser(ctx.store, checkName(input.UserName, "userName", 128));
  const groups = u.groups
    .map((n) => ctx.store.get<GroupDoc>("group", nameKey(n)))
    .filter((g): g is GroupDoc => g !== undefined)
    .sort((a, b) => (nameKey(a.GroupName) < nameKey(b.GroupName) ? -1 : 1));
  const page = paginate(groups, input);
  return { Groups: page.items.map(toGroup), ...pageFields(page) };
};

export const UpdateGroup: Handler<UpdateGroupRequest, Record<string, never>> = (input, ctx) => {
  const name = checkName(input.GroupName, "groupName", 128);
  const newName = input.NewGroupName !== undefined ? checkName(input.NewGroupName, "newGroupName", 128) : undefined;
  const newPath = input.NewPath !== undefined ? checkPath(input.NewPath, "newPath") : undefined;
  ctx.store.tx(() => {
    const g = getGroup(ctx.store, name);
    if (newName !== undefined && nameKey(newName) !== nameKey(g.GroupName) && ctx.store.get("group", nameKey(newName))) {
      throw alreadyExists(`Group with name ${newName} already exists.`);
    }
    const oldName = g.GroupName;
    if (newPath !== undefined) g.Path = newPath;
    if (newName !== undefined) g.GroupName = newName;
    g.Arn = iamArn(ctx.accountId, "group", g.Path, g.GroupName);
    if (nameKey(oldName) !== nameKey(g.GroupName)) ctx.store.delete("group", nameKey(oldName));
    putGroup(ctx.store, g);
    if (oldName === g.GroupName) return;
    for (const m of g.members) {
      const u = ctx.store.get<{ groups: string[] }>("user", nameKey(m));
      if (u) ctx.store.put("user", nameKey(m), { ...u, groups: u.groups.map((x) => (x === oldName ? g.GroupName : x)) });
    }
    for (const arn of g.attached) {
      const a = attachmentsOf(ctx.store, arn);
      a.groups = a.groups.map((x) => (x === oldName ? g.GroupName : x));
      putAttachments(ctx.store, arn, a);
    }
  });
  return {};
};

export const DeleteGroup: Handler<DeleteGroupRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const g = getGroup(ctx.store, checkName(input.GroupName, "groupName", 128));
    if (g.members.length) throw deleteConflict("Cannot delete entity, must remove users from group first.");
    if (Object.keys(g.inline).length) throw deleteConflict("Cannot delete entity, must delete policies first.");
    if (g.attached.length) throw deleteConflict("Cannot delete entity, must detach all policies first.");
    ctx.store.delete("group", nameKey(g.GroupName));
  });
  return {};
};

export const AddUserToGroup: Handler<AddUserToGroupRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const g = getGroup(ctx.store, checkName(input.GroupName, "groupName", 128));
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 128));
    if (u.groups.includes(g.GroupName)) return;
    if (u.groups.length >= MAX_GROUPS_PER_USER) throw limitExceeded(`Cannot exceed quota for GroupsPerUser: ${MAX_GROUPS_PER_USER}`);
    u.groups.push(g.GroupName);
    g.members.push(u.UserName);
    putUser(ctx.store, u);
    putGroup(ctx.store, g);
  });
  return {};
};

export const RemoveUserFromGroup: Handler<RemoveUserFromGroupRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const g = getGroup(ctx.store, checkName(input.GroupName, "groupName", 128));
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 128));
    if (!u.groups.includes(g.GroupName)) throw noSuchEntity(`The user with name ${u.UserName} cannot be found.`);
    u.groups = u.groups.filter((x) => x !== g.GroupName);
    g.members = g.members.filter((x) => x !== u.UserName);
    putUser(ctx.store, u);
    putGroup(ctx.store, g);
  });
  return {};
};
