// Managed policies: CreatePolicy, GetPolicy, DeletePolicy, ListPolicies (Scope, OnlyAttached,
// PathPrefix, PolicyUsageFilter), versions (Create/Get/List/Delete, SetDefault; at most 5),
// ListEntitiesForPolicy, tags. AWS-managed policies answer from the catalogue and refuse change.
import type {
  CreatePolicyRequest,
  CreatePolicyResponse,
  CreatePolicyVersionRequest,
  CreatePolicyVersionResponse,
  DeletePolicyRequest,
  DeletePolicyVersionRequest,
  GetPolicyRequest,
  GetPolicyResponse,
  GetPolicyVersionRequest,
  GetPolicyVersionResponse,
  ListEntitiesForPolicyRequest,
  ListEntitiesForPolicyResponse,
  ListPoliciesRequest,
  ListPoliciesResponse,
  ListPolicyTagsRequest,
  ListPolicyTagsResponse,
  ListPolicyVersionsRequest,
  ListPolicyVersionsResponse,
  Policy,
  PolicyVersion,
  SetDefaultPolicyVersionRequest,
  TagPolicyRequest,
  UntagPolicyRequest,
} from "@aws-sdk/client-iam";
import type { Handler, RequestContext } from "../../../core/service.js";
import { AWS_MANAGED_POLICIES, type AwsManagedPolicy } from "../aws-managed/catalogue.js";
import {
  alreadyExists,
  checkName,
  checkPath,
  checkPathPrefix,
  decodePolicyInput,
  deleteConflict,
  encodePolicy,
  iamArn,
  limitExceeded,
  mergeTags,
  nameKey,
  newId,
  noSuchEntity,
  pageFields,
  paginate,
  removeTags,
  validationError,
  nowSeconds,
  updateTags,
  tagsPage,
} from "../common.js";
import { customerPolicy, existingPolicy } from "../managed-policies.js";
import { checkSize, validatePolicy } from "../policy-validate.js";
import { type GroupDoc, type PolicyDoc, type RoleDoc, type UserDoc, attachmentCount, attachmentsOf, listAll } from "../store.js";

const MAX_VERSIONS = 5;
const POLICY_SIZE = 6144;

function checkDocument(raw: string | undefined): string {
  const doc = decodePolicyInput(raw ?? "");
  validatePolicy(doc, "identity");
  checkSize(doc, POLICY_SIZE, `Cannot exceed quota for PolicySize: ${POLICY_SIZE}`);
  return doc;
}

function checkVersionId(v: string | undefined): string {
  if (v === undefined || !/^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/.test(v)) {
    throw validationError(v, "versionId", "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?");
  }
  return v;
}

/** The fields a managed policy's Policy and ManagedPolicyDetail shapes share, customer- or AWS-managed, with this account's usage counts (a). */
export function policySummary(p: PolicyDoc | AwsManagedPolicy, a: ReturnType<typeof attachmentsOf>): Policy {
  return {
    PolicyName: p.PolicyName,
    PolicyId: p.PolicyId,
    Arn: p.Arn,
    Path: p.Path,
    DefaultVersionId: p.DefaultVersionId,
    AttachmentCount: attachmentCount(a),
    PermissionsBoundaryUsageCount: a.boundaryOf,
    IsAttachable: true,
    CreateDate: new Date(p.CreateDate),
    UpdateDate: new Date(p.UpdateDate),
  };
}

/** The Policy shape of a customer-managed policy. */
function toPolicy(ctx: RequestContext, p: PolicyDoc, full: boolean): Policy {
  const out = policySummary(p, attachmentsOf(ctx.store, p.Arn));
  if (full && p.Description !== undefined) out.Description = p.Description;
  if (full && p.Tags.length) out.Tags = p.Tags;
  return out;
}

/** Every managed policy this account sees, as Policy shapes, with the usage counts of this account. */
function allPolicies(ctx: RequestContext, scope: string): Policy[] {
  const out: Policy[] = [];
  if (scope !== "Local") {
    for (const p of AWS_MANAGED_POLICIES) out.push(policySummary(p, attachmentsOf(ctx.store, p.Arn)));
  }
  if (scope !== "AWS") for (const p of listAll<PolicyDoc>(ctx.store, "policy")) out.push(toPolicy(ctx, p, false));
  return out.sort((a, b) => (a.PolicyName!.toLowerCase() < b.PolicyName!.toLowerCase() ? -1 : 1));
}

export const CreatePolicy: Handler<CreatePolicyRequest, CreatePolicyResponse> = (input, ctx) => {
  const name = checkName(input.PolicyName, "policyName", 128);
  const path = checkPath(input.Path);
  if (input.Description !== undefined && input.Description.length > 1000) {
    throw validationError(input.Description, "description", "Member must have length less than or equal to 1000");
  }
  const doc = checkDocument(input.PolicyDocument);
  const tags = mergeTags([], input.Tags);
  return ctx.store.tx(() => {
    if (ctx.store.get("policy", nameKey(name))) throw alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
    const t = nowSeconds(ctx);
    const p: PolicyDoc = {
      PolicyName: name,
      PolicyId: newId("ANPA"),
      Arn: iamArn(ctx.accountId, "policy", path, name),
      Path: path,
      Description: input.Description,
      CreateDate: t,
      UpdateDate: t,
      DefaultVersionId: "v1",
      Tags: tags,
      versions: [{ VersionId: "v1", Document: doc, CreateDate: t }],
      nextVersion: 2,
    };
    ctx.store.put("policy", nameKey(name), p);
    const out = toPolicy(ctx, p, false);
    if (tags.length) out.Tags = tags;
    return { Policy: out };
  });
};

export const GetPolicy: Handler<GetPolicyRequest, GetPolicyResponse> = (input, ctx) => {
  const ref = existingPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
  if (ref.doc) return { Policy: toPolicy(ctx, ref.doc, true) };
  const p = AWS_MANAGED_POLICIES.find((x) => x.Arn === ref.arn)!;
  const a = attachmentsOf(ctx.store, p.Arn);
  return {
    Policy: {
      ...policySummary(p, a),
      Description: p.Description,
    },
  };
};

export const DeletePolicy: Handler<DeletePolicyRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const p = customerPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
    const a = attachmentsOf(ctx.store, p.Arn);
    if (attachmentCount(a) > 0 || a.boundaryOf > 0) throw deleteConflict("Cannot delete a policy attached to entities.");
    if (p.versions.length > 1) {
      throw deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
    }
    ctx.store.delete("policy", nameKey(p.PolicyName));
  });
  return {};
};

export const ListPolicies: Handler<ListPoliciesRequest, ListPoliciesResponse> = (input, ctx) => {
  const scope = input.Scope ?? "All";
  if (!["All", "AWS", "Local"].includes(scope)) throw validationError(scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]");
  const prefix = checkPathPrefix(input.PathPrefix);
  let all = allPolicies(ctx, scope).filter((p) => p.Path!.startsWith(prefix));
  if (input.OnlyAttached) all = all.filter((p) => (p.AttachmentCount ?? 0) > 0 || (p.PermissionsBoundaryUsageCount ?? 0) > 0);
  if (input.PolicyUsageFilter === "PermissionsPolicy") all = all.filter((p) => !input.OnlyAttached || (p.AttachmentCount ?? 0) > 0);
  if (input.PolicyUsageFilter === "PermissionsBoundary") all = all.filter((p) => !input.OnlyAttached || (p.PermissionsBoundaryUsageCount ?? 0) > 0);
  const page = paginate(all, input);
  return { Policies: page.items, ...pageFields(page) };
};

export const CreatePolicyVersion: Handler<CreatePolicyVersionRequest, CreatePolicyVersionResponse> = (input, ctx) => {
  const doc = checkDocument(input.PolicyDocument);
  return ctx.store.tx(() => {
    const p = customerPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
    if (p.versions.length >= MAX_VERSIONS) {
      throw limitExceeded("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.");
    }
    const t = nowSeconds(ctx);
    const v = { VersionId: `v${p.nextVersion}`, Document: doc, CreateDate: t };
    p.nextVersion++;
    p.versions.push(v);
    if (input.SetAsDefault) p.DefaultVersionId = v.VersionId;
    p.UpdateDate = t;
    ctx.store.put("policy", nameKey(p.PolicyName), p);
    return { PolicyVersion: { VersionId: v.VersionId, IsDefaultVersion: p.DefaultVersionId === v.VersionId, CreateDate: new Date(t) } };
  });
};

function versionOf(p: PolicyDoc, versionId: string) {
  const v = p.versions.find((x) => x.VersionId === versionId);
  if (!v) throw noSuchEntity(`Policy ${p.Arn} version ${versionId} does not exist or is not attachable.`);
  return v;
}

export const GetPolicyVersion: Handler<GetPolicyVersionRequest, GetPolicyVersionResponse> = (input, ctx) => {
  const versionId = checkVersionId(input.VersionId);
  const ref = existingPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
  if (!ref.doc) {
    const p = AWS_MANAGED_POLICIES.find((x) => x.Arn === ref.arn)!;
    // Only the default version of an AWS-managed policy is in the catalogue.
    if (versionId !== p.DefaultVersionId) throw noSuchEntity(`Policy ${p.Arn} version ${versionId} does not exist or is not attachable.`);
    return { PolicyVersion: { Document: encodePolicy(p.Document), VersionId: versionId, IsDefaultVersion: true, CreateDate: new Date(p.UpdateDate) } };
  }
  const v = versionOf(ref.doc, versionId);
  return {
    PolicyVersion: { Document: encodePolicy(v.Document), VersionId: v.VersionId, IsDefaultVersion: ref.doc.DefaultVersionId === v.VersionId, CreateDate: new Date(v.CreateDate) },
  };
};

export const ListPolicyVersions: Handler<ListPolicyVersionsRequest, ListPolicyVersionsResponse> = (input, ctx) => {
  const ref = existingPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
  let versions: PolicyVersion[];
  if (ref.doc) {
    const p = ref.doc;
    // Newest first, as IAM lists them.
    versions = [...p.versions]
      .sort((a, b) => b.CreateDate - a.CreateDate || Number(b.VersionId.slice(1)) - Number(a.VersionId.slice(1)))
      .map((v) => ({ VersionId: v.VersionId, IsDefaultVersion: v.VersionId === p.DefaultVersionId, CreateDate: new Date(v.CreateDate) }));
  } else {
    const p = AWS_MANAGED_POLICIES.find((x) => x.Arn === ref.arn)!;
    versions = [{ VersionId: p.DefaultVersionId, IsDefaultVersion: true, CreateDate: new Date(p.UpdateDate) }];
  }
  const page = paginate(versions, input);
  return { Versions: page.items, ...pageFields(page) };
};

export const DeletePolicyVersion: Handler<DeletePolicyVersionRequest, Record<string, never>> = (input, ctx) => {
  const versionId = checkVersionId(input.VersionId);
  ctx.store.tx(() => {
    const p = customerPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
    versionOf(p, versionId);
    if (p.DefaultVersionId === versionId) throw deleteConflict("Cannot delete the default version of a policy.");
    p.versions = p.versions.filter((v) => v.VersionId !== versionId);
    ctx.store.put("policy", nameKey(p.PolicyName), p);
  });
  return {};
};

export const SetDefaultPolicyVersion: Handler<SetDefaultPolicyVersionRequest, Record<string, never>> = (input, ctx) => {
  const versionId = checkVersionId(input.VersionId);
  ctx.store.tx(() => {
    const p = customerPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
    versionOf(p, versionId);
    p.DefaultVersionId = versionId;
    p.UpdateDate = nowSeconds(ctx);
    ctx.store.put("policy", nameKey(p.PolicyName), p);
  });
  return {};
};

export const ListEntitiesForPolicy: Handler<ListEntitiesForPolicyRequest, ListEntitiesForPolicyResponse> = (input, ctx) => {
  const ref = existingPolicy(ctx.store, ctx.accountId, input.PolicyArn!);
  const prefix = checkPathPrefix(input.PathPrefix);
  const filter = input.EntityFilter;
  const a = attachmentsOf(ctx.store, ref.arn);
  type Row = { kind: "user" | "group" | "role"; name: string; id: string };
  const rows: Row[] = [];
  if (input.PolicyUsageFilter !== "PermissionsBoundary") {
    if (!filter || filter === "User") {
      for (const n of a.users) {
        const u = ctx.store.get<UserDoc>("user", nameKey(n));
        if (u && u.Path.startsWith(prefix)) rows.push({ kind: "user", name: u.UserName, id: u.UserId });
      }
    }
    if (!filter || filter === "Group") {
      for (const n of a.groups) {
        const g = ctx.store.get<GroupDoc>("group", nameKey(n));
        if (g && g.Path.startsWith(prefix)) rows.push({ kind: "group", name: g.GroupName, id: g.GroupId });
      }
    }
    if (!filter || filter === "Role") {
      for (const n of a.roles) {
        const r = ctx.store.get<RoleDoc>("role", nameKey(n));
        if (r && r.Path.startsWith(prefix)) rows.push({ kind: "role", name: r.RoleName, id: r.RoleId });
      }
    }
  }
  const page = paginate(rows, input);
  return {
    PolicyGroups: page.items.filter((r) => r.kind === "group").map((r) => ({ GroupName: r.name, GroupId: r.id })),
    PolicyUsers: page.items.filter((r) => r.kind === "user").map((r) => ({ UserName: r.name, UserId: r.id })),
    PolicyRoles: page.items.filter((r) => r.kind === "role").map((r) => ({ RoleName: r.name, RoleId: r.id })),
    ...pageFields(page),
  };
};

export const TagPolicy: Handler<TagPolicyRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => customerPolicy(ctx.store, ctx.accountId, input.PolicyArn!),
    (doc) => ctx.store.put("policy", nameKey(doc.PolicyName), doc),
    (tags) => mergeTags(tags, input.Tags),
  );

export const UntagPolicy: Handler<UntagPolicyRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => customerPolicy(ctx.store, ctx.accountId, input.PolicyArn!),
    (doc) => ctx.store.put("policy", nameKey(doc.PolicyName), doc),
    (tags) => removeTags(tags, input.TagKeys),
  );

export const ListPolicyTags: Handler<ListPolicyTagsRequest, ListPolicyTagsResponse> = (input, ctx) => tagsPage(existingPolicy(ctx.store, ctx.accountId, input.PolicyArn!).doc?.Tags ?? [], input);
