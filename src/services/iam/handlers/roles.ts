// Roles: CreateRole (trust policy validated, MaxSessionDuration 1-12 h), GetRole, ListRoles,
// UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy, DeleteRole, tags, permissions
// boundaries, and service-linked roles (CreateServiceLinkedRole / DeleteServiceLinkedRole).
import type {
  CreateRoleRequest,
  CreateRoleResponse,
  CreateServiceLinkedRoleRequest,
  CreateServiceLinkedRoleResponse,
  DeleteRolePermissionsBoundaryRequest,
  DeleteRoleRequest,
  DeleteServiceLinkedRoleRequest,
  DeleteServiceLinkedRoleResponse,
  GetRoleRequest,
  GetRoleResponse,
  GetServiceLinkedRoleDeletionStatusRequest,
  GetServiceLinkedRoleDeletionStatusResponse,
  ListRoleTagsRequest,
  ListRoleTagsResponse,
  ListRolesRequest,
  ListRolesResponse,
  PutRolePermissionsBoundaryRequest,
  Role,
  TagRoleRequest,
  UntagRoleRequest,
  UpdateAssumeRolePolicyRequest,
  UpdateRoleDescriptionRequest,
  UpdateRoleDescriptionResponse,
  UpdateRoleRequest,
} from "@aws-sdk/client-iam";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import {
  alreadyExists,
  checkName,
  checkPath,
  checkPathPrefix,
  decodePolicyInput,
  deleteConflict,
  encodePolicy,
  iamArn,
  invalidInput,
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
import { attachablePolicy } from "../managed-policies.js";
import { checkSize, validatePolicy } from "../policy-validate.js";
import { type RoleDoc, getRole, listAll, putRole } from "../store.js";
import { countBoundary } from "./users.js";

const TRUST_POLICY_SIZE = 2048;

export function toRole(r: RoleDoc, full: boolean): Role {
  const out: Role = {
    Path: r.Path,
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    CreateDate: new Date(r.CreateDate),
    AssumeRolePolicyDocument: encodePolicy(r.AssumeRolePolicyDocument),
    MaxSessionDuration: r.MaxSessionDuration,
  };
  if (r.Description !== undefined) out.Description = r.Description;
  if (full) {
    if (r.PermissionsBoundary) out.PermissionsBoundary = { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.PermissionsBoundary };
    if (r.Tags.length) out.Tags = r.Tags;
    out.RoleLastUsed = r.RoleLastUsed ? { LastUsedDate: new Date(r.RoleLastUsed.LastUsedDate), Region: r.RoleLastUsed.Region } : {};
  }
  return out;
}

function checkTrustPolicy(raw: string | undefined): string {
  const doc = decodePolicyInput(raw ?? "");
  validatePolicy(doc, "trust");
  checkSize(doc, TRUST_POLICY_SIZE, `Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_SIZE}`);
  return doc;
}

function checkMaxSessionDuration(v: number | undefined): number {
  if (v === undefined) return 3600;
  if (v < 3600) throw validationError(v, "maxSessionDuration", "Member must have value greater than or equal to 3600");
  if (v > 43200) throw validationError(v, "maxSessionDuration", "Member must have value less than or equal to 43200");
  return v;
}

function checkDescription(d: string | undefined): string | undefined {
  if (d !== undefined && d.length > 1000) throw validationError(d, "description", "Member must have length less than or equal to 1000");
  return d;
}

/** Service-linked roles are changed only by their service. */
function refuseServiceLinked(r: RoleDoc): void {
  if (r.serviceLinked) {
    throw new AwsError("UnmodifiableEntityException", `Cannot perform the operation on the protected role '${r.RoleName}' - this role is only modifiable by AWS`);
  }
}

function newRole(ctx: RequestContext, name: string, path: string, trust: string, extra: Partial<RoleDoc>): RoleDoc {
  if (ctx.store.get("role", nameKey(name))) throw alreadyExists(`Role with name ${name} already exists.`);
  const r: RoleDoc = {
    RoleName: name,
    RoleId: newId("AROA"),
    Arn: iamArn(ctx.accountId, "role", path, name),
    Path: path,
    CreateDate: nowSeconds(ctx),
    AssumeRolePolicyDocument: trust,
    MaxSessionDuration: 3600,
    Tags: [],
    inline: {},
    attached: [],
    instanceProfiles: [],
    ...extra,
  };
  putRole(ctx.store, r);
  countBoundary(ctx, r.PermissionsBoundary, 1);
  return r;
}

export const CreateRole: Handler<CreateRoleRequest, CreateRoleResponse> = (input, ctx) => {
  const name = checkName(input.RoleName, "roleName", 64);
  const path = checkPath(input.Path);
  const trust = checkTrustPolicy(input.AssumeRolePolicyDocument);
  const max = checkMaxSessionDuration(input.MaxSessionDuration);
  const description = checkDescription(input.Description);
  const tags = mergeTags([], input.Tags);
  return ctx.store.tx(() => {
    if (input.PermissionsBoundary) attachablePolicy(ctx.store, ctx.accountId, input.PermissionsBoundary);
    const r = newRole(ctx, name, path, trust, { MaxSessionDuration: max, Description: description, Tags: tags, PermissionsBoundary: input.PermissionsBoundary });
    const out = toRole(r, true);
    delete out.RoleLastUsed;
    return { Role: out };
  });
};

export const GetRole: Handler<GetRoleRequest, GetRoleResponse> = (input, ctx) => ({
  Role: toRole(getRole(ctx.store, checkName(input.RoleName, "roleName", 64)), true),
});

export const ListRoles: Handler<ListRolesRequest, ListRolesResponse> = (input, ctx) => {
  const prefix = checkPathPrefix(input.PathPrefix);
  const page = paginate(listAll<RoleDoc>(ctx.store, "role").filter((r) => r.Path.startsWith(prefix)), input);
  return { Roles: page.items.map((r) => toRole(r, false)), ...pageFields(page) };
};

export const UpdateRole: Handler<UpdateRoleRequest, Record<string, never>> = (input, ctx) => {
  const max = input.MaxSessionDuration !== undefined ? checkMaxSessionDuration(input.MaxSessionDuration) : undefined;
  const description = checkDescription(input.Description);
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    refuseServiceLinked(r);
    if (max !== undefined) r.MaxSessionDuration = max;
    if (description !== undefined) r.Description = description;
    putRole(ctx.store, r);
  });
  return {};
};

export const UpdateRoleDescription: Handler<UpdateRoleDescriptionRequest, UpdateRoleDescriptionResponse> = (input, ctx) =>
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    r.Description = checkDescription(input.Description);
    putRole(ctx.store, r);
    return { Role: toRole(r, true) };
  });

export const UpdateAssumeRolePolicy: Handler<UpdateAssumeRolePolicyRequest, Record<string, never>> = (input, ctx) => {
  const trust = checkTrustPolicy(input.PolicyDocument);
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    refuseServiceLinked(r);
    r.AssumeRolePolicyDocument = trust;
    putRole(ctx.store, r);
  });
  return {};
};

export const DeleteRole: Handler<DeleteRoleRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    refuseServiceLinked(r);
    deleteRoleChecked(ctx, r);
  });
  return {};
};

function deleteRoleChecked(ctx: RequestContext, r: RoleDoc): void {
  if (r.instanceProfiles.length) throw deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
  if (Object.keys(r.inline).length) throw deleteConflict("Cannot delete entity, must delete policies first.");
  if (r.attached.length) throw deleteConflict("Cannot delete entity, must detach all policies first.");
  countBoundary(ctx, r.PermissionsBoundary, -1);
  ctx.store.delete("role", nameKey(r.RoleName));
}

export const TagRole: Handler<TagRoleRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => getRole(ctx.store, checkName(input.RoleName, "roleName", 64)),
    (doc) => putRole(ctx.store, doc),
    (tags) => mergeTags(tags, input.Tags),
  );

export const UntagRole: Handler<UntagRoleRequest, Record<string, never>> = (input, ctx) =>
  updateTags(
    ctx,
    () => getRole(ctx.store, checkName(input.RoleName, "roleName", 64)),
    (doc) => putRole(ctx.store, doc),
    (tags) => removeTags(tags, input.TagKeys),
  );

export const ListRoleTags: Handler<ListRoleTagsRequest, ListRoleTagsResponse> = (input, ctx) => tagsPage(getRole(ctx.store, checkName(input.RoleName, "roleName", 64)).Tags, input);

export const PutRolePermissionsBoundary: Handler<PutRolePermissionsBoundaryRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    refuseServiceLinked(r);
    attachablePolicy(ctx.store, ctx.accountId, input.PermissionsBoundary!);
    countBoundary(ctx, r.PermissionsBoundary, -1);
    r.PermissionsBoundary = input.PermissionsBoundary;
    countBoundary(ctx, r.PermissionsBoundary, 1);
    putRole(ctx.store, r);
  });
  return {};
};

export const DeleteRolePermissionsBoundary: Handler<DeleteRolePermissionsBoundaryRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    refuseServiceLinked(r);
    countBoundary(ctx, r.PermissionsBoundary, -1);
    delete r.PermissionsBoundary;
    putRole(ctx.store, r);
  });
  return {};
};

/** The role names AWS gives the service-linked roles of the services Nimbus covers. */
const SERVICE_LINKED_NAMES: Record<string, string> = {
  "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
  "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
  "ecs.amazonaws.com": "AWSServiceRoleForECS",
  "rds.amazonaws.com": "AWSServiceRoleForRDS",
  "elasticache.amazonaws.com": "AWSServiceRoleForElastiCache",
  "redshift.amazonaws.com": "AWSServiceRoleForRedshift",
  "spot.amazonaws.com": "AWSServiceRoleForEC2Spot",
  "replication.dynamodb.amazonaws.com": "AWSServiceRoleForDynamoDBReplication",
  "elasticfilesystem.amazonaws.com": "AWSServiceRoleForAmazonElasticFileSystem",
  "ssm.amazonaws.com": "AWSServiceRoleForAmazonSSM",
  "events.amazonaws.com": "AWSServiceRoleForCloudWatchEvents",
  "replication.ecr.amazonaws.com": "AWSServiceRoleForECRReplication",
  "ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService",
  "dynamodb.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
};

function serviceLinkedName(service: string): string {
  const known = SERVICE_LINKED_NAMES[service];
  if (known) return known;
  const label = service.split(".")[0];
  return `AWSServiceRoleFor${label.charAt(0).toUpperCase()}${label.slice(1)}`;
}

export const CreateServiceLinkedRole: Handler<CreateServiceLinkedRoleRequest, CreateServiceLinkedRoleResponse> = (input, ctx) => {
  const service = input.AWSServiceName ?? "";
  if (!/^[\w+=,.@-]+\.amazonaws\.com(\.cn)?$/.test(service)) throw invalidInput(`Invalid service principal: ${service}`);
  const description = checkDescription(input.Description);
  let name = serviceLinkedName(service);
  if (input.CustomSuffix !== undefined) name = `${name}_${checkName(input.CustomSuffix, "customSuffix", 64)}`;
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: [service] }, Action: ["sts:AssumeRole"] }],
  });
  return ctx.store.tx(() => {
    if (ctx.store.get("role", nameKey(name))) {
      throw invalidInput(`Service role name ${name} has been taken in this account, please try a different suffix.`);
    }
    const r = newRole(ctx, name, `/aws-service-role/${service}/`, trust, { Description: description, serviceLinked: true });
    const out = toRole(r, false);
    return { Role: out };
  });
};

export const DeleteServiceLinkedRole: Handler<DeleteServiceLinkedRoleRequest, DeleteServiceLinkedRoleResponse> = (input, ctx) =>
  ctx.store.tx(() => {
    const r = getRole(ctx.store, checkName(input.RoleName, "roleName", 64));
    if (!r.serviceLinked) throw invalidInput(`Role ${r.RoleName} is not a service-linked role.`);
    // Deletion happens at once; the task id answers GetServiceLinkedRoleDeletionStatus.
    r.inline = {};
    const taskId = `task/aws-service-role/${r.Path.split("/")[2]}/${r.RoleName}/${newId("AROA").slice(4)}`;
    for (const arn of r.attached) {
      const a = ctx.store.get<{ roles: string[] }>("attachments", arn);
      if (a) ctx.store.put("attachments", arn, { ...a, roles: a.roles.filter((x) => x !== r.RoleName) });
    }
    r.attached = [];
    deleteRoleChecked(ctx, r);
    ctx.store.put("deletion-task", taskId, { Status: "SUCCEEDED" });
    return { DeletionTaskId: taskId };
  });

export const GetServiceLinkedRoleDeletionStatus: Handler<GetServiceLinkedRoleDeletionStatusRequest, GetServiceLinkedRoleDeletionStatusResponse> = (
  input,
  ctx,
) => {
  const t = ctx.store.get<{ Status: "SUCCEEDED" }>("deletion-task", input.DeletionTaskId ?? "");
  if (!t) throw noSuchEntity(`Deletion task ${input.DeletionTaskId} cannot be found.`);
  return { Status: t.Status };
};
