// IAM's state: JSON documents in the shared document store, one scope per account (IAM is
// global). Kinds and ids:
//   user/<lower name>, group/<lower name>, role/<lower name>, policy/<lower name> (customer
//   managed), instance-profile/<lower name>, access-key/<key id>, attachments/<policy arn>
//   (who a managed policy is attached to, for AttachmentCount, ListEntitiesForPolicy and
//   DeleteConflict), account/alias, account/password-policy.
// Ids are listed in binary order of the lower-cased name, which is the order IAM lists in.
import type { DocStore } from "../../core/state/doc-store.js";
import type { Tag } from "./common.js";
import { nameKey, noSuchEntity } from "./common.js";

export interface InlinePolicies {
  /** Policy name -> document, as sent. */
  [name: string]: string;
}

export interface UserDoc {
  UserName: string;
  UserId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  PasswordLastUsed?: number;
  Tags: Tag[];
  PermissionsBoundary?: string;
  inline: InlinePolicies;
  attached: string[];
  groups: string[];
  accessKeys: string[];
  loginProfile?: { CreateDate: number; PasswordResetRequired: boolean; password: string };
}

export interface GroupDoc {
  GroupName: string;
  GroupId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  inline: InlinePolicies;
  attached: string[];
  /** Member user names. */
  members: string[];
}

export interface RoleDoc {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  Tags: Tag[];
  PermissionsBoundary?: string;
  RoleLastUsed?: { LastUsedDate: number; Region: string };
  inline: InlinePolicies;
  attached: string[];
  instanceProfiles: string[];
  /** Set on service-linked roles (CreateServiceLinkedRole): they cannot be edited like others. */
  serviceLinked?: boolean;
}

export interface PolicyVersionDoc {
  VersionId: string;
  Document: string;
  CreateDate: number;
}

export interface PolicyDoc {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  Description?: string;
  CreateDate: number;
  UpdateDate: number;
  DefaultVersionId: string;
  Tags: Tag[];
  versions: PolicyVersionDoc[];
  /** The number the next version gets (v1, v2, ...; numbers are never reused). */
  nextVersion: number;
}

export interface AttachmentsDoc {
  users: string[];
  groups: string[];
  roles: string[];
  /** Entities using the policy as their permissions boundary. */
  boundaryOf: number;
}

export interface InstanceProfileDoc {
  InstanceProfileName: string;
  InstanceProfileId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  Tags: Tag[];
  roles: string[];
}

export interface AccessKeyDoc {
  UserName: string;
  AccessKeyId: string;
  Status: "Active" | "Inactive";
  CreateDate: number;
  lastUsed?: { LastUsedDate: number; ServiceName: string; Region: string };
}

export function getUser(store: DocStore, name: string): UserDoc {
  const u = store.get<UserDoc>("user", nameKey(name));
  if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return u;
}

export function getGroup(store: DocStore, name: string): GroupDoc {
  const g = store.get<GroupDoc>("group", nameKey(name));
  if (!g) throw noSuchEntity(`The group with name ${name} cannot be found.`);
  return g;
}

export function getRole(store: DocStore, name: string): RoleDoc {
  const r = store.get<RoleDoc>("role", nameKey(name));
  if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return r;
}

export function getInstanceProfile(store: DocStore, name: string): InstanceProfileDoc {
  const p = store.get<InstanceProfileDoc>("instance-profile", nameKey(name));
  if (!p) throw noSuchEntity(`Instance Profile ${name} cannot be found.`);
  return p;
}

export function putUser(store: DocStore, u: UserDoc): void {
  store.put("user", nameKey(u.UserName), u);
}

export function putGroup(store: DocStore, g: GroupDoc): void {
  store.put("group", nameKey(g.GroupName), g);
}

export function putRole(store: DocStore, r: RoleDoc): void {
  store.put("role", nameKey(r.RoleName), r);
}

export function putInstanceProfile(store: DocStore, p: InstanceProfileDoc): void {
  store.put("instance-profile", nameKey(p.InstanceProfileName), p);
}

export function listAll<T>(store: DocStore, kind: string): T[] {
  return store.list<T>(kind).map((r) => r.doc);
}

export function attachmentsOf(store: DocStore, policyArn: string): AttachmentsDoc {
  return store.get<AttachmentsDoc>("attachments", policyArn) ?? { users: [], groups: [], roles: [], boundaryOf: 0 };
}

export function putAttachments(store: DocStore, policyArn: string, a: AttachmentsDoc): void {
  if (a.users.length + a.groups.length + a.roles.length === 0 && a.boundaryOf === 0) store.delete("attachments", policyArn);
  else store.put("attachments", policyArn, a);
}

export function attachmentCount(a: AttachmentsDoc): number {
  return a.users.length + a.groups.length + a.roles.length;
}
