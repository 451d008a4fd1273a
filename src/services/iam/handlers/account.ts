// Account-wide settings and views: login profiles (checked against the password policy),
// account aliases (unique across accounts), the password policy, GetAccountSummary and
// GetAccountAuthorizationDetails.
import { createHash } from "node:crypto";
import type {
  CreateAccountAliasRequest,
  CreateLoginProfileRequest,
  CreateLoginProfileResponse,
  DeleteAccountAliasRequest,
  DeleteLoginProfileRequest,
  GetAccountAuthorizationDetailsRequest,
  GetAccountAuthorizationDetailsResponse,
  GetAccountPasswordPolicyResponse,
  GetAccountSummaryResponse,
  GetLoginProfileRequest,
  GetLoginProfileResponse,
  ListAccountAliasesRequest,
  ListAccountAliasesResponse,
  ManagedPolicyDetail,
  PasswordPolicy,
  UpdateAccountPasswordPolicyRequest,
  UpdateLoginProfileRequest,
} from "@aws-sdk/client-iam";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { DocStore } from "../../../core/state/doc-store.js";
import { AWS_MANAGED_POLICIES } from "../aws-managed/catalogue.js";
import { alreadyExists, checkName, encodePolicy, nameKey, noSuchEntity, pageFields, paginate, validationError, nowSeconds } from "../common.js";
import { findManagedPolicy } from "../managed-policies.js";
import { type GroupDoc, type InstanceProfileDoc, type PolicyDoc, type RoleDoc, type UserDoc, attachmentCount, attachmentsOf, getUser, listAll, putUser } from "../store.js";
import { toInstanceProfile } from "./instance-profiles.js";
import { policySummary } from "./policies.js";

// ---- login profiles ------------------------------------------------------------------

function passwordViolation(message: string): AwsError {
  return new AwsError("PasswordPolicyViolationException", message);
}

/** Checks a password against the account's policy (AWS's default when none is set: 8 characters). */
function checkPassword(ctx: RequestContext, password: string | undefined): string {
  if (password === undefined || password.length < 1 || password.length > 128) {
    throw validationError(password === undefined ? undefined : "***", "password", "Member must have length greater than or equal to 1");
  }
  const policy = ctx.store.get<PasswordPolicy>("account", "password-policy");
  const min = policy?.MinimumPasswordLength ?? 8;
  if (password.length < min) throw passwordViolation(`Password should have at least ${min} characters`);
  if (policy?.RequireUppercaseCharacters && !/[A-Z]/.test(password)) throw passwordViolation("Password should have at least one uppercase letter");
  if (policy?.RequireLowercaseCharacters && !/[a-z]/.test(password)) throw passwordViolation("Password should have at least one lowercase letter");
  if (policy?.RequireNumbers && !/[0-9]/.test(password)) throw passwordViolation("Password should have at least one number");
  if (policy?.RequireSymbols && !/[!@#$%^&*()_+\-=[\]{}|']/.test(password)) throw passwordViolation("Password should have at least one symbol");
  // Only a hash is kept.
  return createHash("sha256").update(password).digest("hex");
}

export const CreateLoginProfile: Handler<CreateLoginProfileRequest, CreateLoginProfileResponse> = (input, ctx) =>
  ctx.store.tx(() => {
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 64));
    if (u.loginProfile) throw alreadyExists(`Login Profile for user ${u.UserName} already exists.`);
    const hash = checkPassword(ctx, input.Password);
    u.loginProfile = { CreateDate: nowSeconds(ctx), PasswordResetRequired: input.PasswordResetRequired ?? false, password: hash };
    putUser(ctx.store, u);
    return { LoginProfile: { UserName: u.UserName, CreateDate: new Date(u.loginProfile.CreateDate), PasswordResetRequired: u.loginProfile.PasswordResetRequired } };
  });

function profileOf(u: UserDoc): NonNullable<UserDoc["loginProfile"]> {
  if (!u.loginProfile) throw noSuchEntity(`Login Profile for User ${u.UserName} cannot be found.`);
  return u.loginProfile;
}

export const GetLoginProfile: Handler<GetLoginProfileRequest, GetLoginProfileResponse> = (input, ctx) => {
  const u = getUser(ctx.store, checkName(input.UserName, "userName", 64));
  const p = profileOf(u);
  return { LoginProfile: { UserName: u.UserName, CreateDate: new Date(p.CreateDate), PasswordResetRequired: p.PasswordResetRequired } };
};

export const UpdateLoginProfile: Handler<UpdateLoginProfileRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 64));
    const p = profileOf(u);
    if (input.Password !== undefined) p.password = checkPassword(ctx, input.Password);
    if (input.PasswordResetRequired !== undefined) p.PasswordResetRequired = input.PasswordResetRequired;
    putUser(ctx.store, u);
  });
  return {};
};

export const DeleteLoginProfile: Handler<DeleteLoginProfileRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const u = getUser(ctx.store, checkName(input.UserName, "userName", 64));
    profileOf(u);
    delete u.loginProfile;
    putUser(ctx.store, u);
  });
  return {};
};

// ---- account alias -------------------------------------------------------------------

/** Aliases are unique across all accounts: an index outside any account's scope. */
function aliasIndex(ctx: RequestContext): DocStore {
  return new DocStore(ctx.db, "iam", "*");
}

export const CreateAccountAlias: Handler<CreateAccountAliasRequest, Record<string, never>> = (input, ctx) => {
  const alias = input.AccountAlias ?? "";
  if (alias.length < 3 || alias.length > 63) {
    throw validationError(alias, "accountAlias", alias.length < 3 ? "Member must have length greater than or equal to 3" : "Member must have length less than or equal to 63");
  }
  if (!/^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(alias)) {
    throw validationError(alias, "accountAlias", "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$");
  }
  ctx.store.tx(() => {
    const index = aliasIndex(ctx);
    const owner = index.get<{ accountId: string }>("alias", alias);
    if (owner && owner.accountId !== ctx.accountId) throw alreadyExists(`The account alias ${alias} already exists.`);
    // One alias per account: a new one replaces the old.
    const old = ctx.store.get<{ alias: string }>("account", "alias");
    if (old) index.delete("alias", old.alias);
    index.put("alias", alias, { accountId: ctx.accountId });
    ctx.store.put("account", "alias", { alias });
  });
  return {};
};

export const DeleteAccountAlias: Handler<DeleteAccountAliasRequest, Record<string, never>> = (input, ctx) => {
  ctx.store.tx(() => {
    const old = ctx.store.get<{ alias: string }>("account", "alias");
    if (!old || old.alias !== input.AccountAlias) throw noSuchEntity(`The account alias ${input.AccountAlias} cannot be found.`);
    aliasIndex(ctx).delete("alias", old.alias);
    ctx.store.delete("account", "alias");
  });
  return {};
};

export const ListAccountAliases: Handler<ListAccountAliasesRequest, ListAccountAliasesResponse> = (input, ctx) => {
  const a = ctx.store.get<{ alias: string }>("account", "alias");
  const page = paginate(a ? [a.alias] : [], input);
  return { AccountAliases: page.items, ...pageFields(page) };
};

// ---- password policy -----------------------------------------------------------------

export const UpdateAccountPasswordPolicy: Handler<UpdateAccountPasswordPolicyRequest, Record<string, never>> = (input, ctx) => {
  const min = input.MinimumPasswordLength ?? 6;
  if (min < 6 || min > 128) throw validationError(min, "minimumPasswordLength", min < 6 ? "Member must have value greater than or equal to 6" : "Member must have value less than or equal to 128");
  const maxAge = input.MaxPasswordAge;
  if (maxAge !== undefined && (maxAge < 1 || maxAge > 1095)) {
    throw validationError(maxAge, "maxPasswordAge", maxAge < 1 ? "Member must have value greater than or equal to 1" : "Member must have value less than or equal to 1095");
  }
  const reuse = input.PasswordReusePrevention;
  if (reuse !== undefined && (reuse < 1 || reuse > 24)) {
    throw validationError(reuse, "passwordReusePrevention", reuse < 1 ? "Member must have value greater than or equal to 1" : "Member must have value less than or equal to 24");
  }
  const policy: PasswordPolicy = {
    MinimumPasswordLength: min,
    RequireSymbols: input.RequireSymbols ?? false,
    RequireNumbers: input.RequireNumbers ?? false,
    RequireUppercaseCharacters: input.RequireUppercaseCharacters ?? false,
    RequireLowercaseCharacters: input.RequireLowercaseCharacters ?? false,
    AllowUsersToChangePassword: input.AllowUsersToChangePassword ?? false,
    ExpirePasswords: maxAge !== undefined,
    HardExpiry: input.HardExpiry ?? false,
  };
  if (maxAge !== undefined) policy.MaxPasswordAge = maxAge;
  if (reuse !== undefined) policy.PasswordReusePrevention = reuse;
  ctx.store.put("account", "password-policy", policy);
  return {};
};

export const GetAccountPasswordPolicy: Handler<Record<string, never>, GetAccountPasswordPolicyResponse> = (_input, ctx) => {
  const policy = ctx.store.get<PasswordPolicy>("account", "password-policy");
  if (!policy) throw noSuchEntity(`The Password Policy with domain name ${ctx.accountId} cannot be found.`);
  return { PasswordPolicy: policy };
};

export const DeleteAccountPasswordPolicy: Handler<Record<string, never>, Record<string, never>> = (_input, ctx) => {
  if (!ctx.store.delete("account", "password-policy")) throw noSuchEntity(`The account policy with name ${ctx.accountId} cannot be found.`);
  return {};
};

// ---- summary and authorization details -----------------------------------------------

export const GetAccountSummary: Handler<Record<string, never>, GetAccountSummaryResponse> = (_input, ctx) => {
  const policies = listAll<PolicyDoc>(ctx.store, "policy");
  return {
    SummaryMap: {
      Users: ctx.store.count("user"),
      UsersQuota: 5000,
      Groups: ctx.store.count("group"),
      GroupsQuota: 300,
      Roles: ctx.store.count("role"),
      RolesQuota: 1000,
      Policies: policies.length,
      PoliciesQuota: 1500,
      PolicyVersionsInUse: policies.reduce((n, p) => n + p.versions.length, 0),
      PolicyVersionsInUseQuota: 10000,
      InstanceProfiles: ctx.store.count("instance-profile"),
      InstanceProfilesQuota: 1000,
      AccessKeysPerUserQuota: 2,
      GroupsPerUserQuota: 10,
      AttachedPoliciesPerUserQuota: 10,
      AttachedPoliciesPerGroupQuota: 10,
      AttachedPoliciesPerRoleQuota: 10,
      UserPolicySizeQuota: 2048,
      GroupPolicySizeQuota: 5120,
      RolePolicySizeQuota: 10240,
      PolicySizeQuota: 6144,
      VersionsPerPolicyQuota: 5,
      AssumeRolePolicySizeQuota: 2048,
      ServerCertificates: 0,
      ServerCertificatesQuota: 20,
      MFADevices: 0,
      MFADevicesInUse: 0,
      AccountMFAEnabled: 0,
      AccountAccessKeysPresent: 0,
      AccountSigningCertificatesPresent: 0,
      Providers: 0,
      GlobalEndpointTokenVersion: 1,
    },
  };
};

function attachedList(ctx: RequestContext, arns: string[]) {
  return arns
    .map((arn) => findManagedPolicy(ctx.store, ctx.accountId, arn))
    .filter((p) => p !== undefined)
    .map((p) => ({ PolicyName: p!.name, PolicyArn: p!.arn }));
}

function inlineList(inline: Record<string, string>) {
  return Object.keys(inline)
    .sort()
    .map((name) => ({ PolicyName: name, PolicyDocument: encodePolicy(inline[name]) }));
}

function boundary(arn: string | undefined) {
  return arn ? { PermissionsBoundary: { PermissionsBoundaryType: "PermissionsBoundaryPolicy" as const, PermissionsBoundaryArn: arn } } : {};
}

export const GetAccountAuthorizationDetails: Handler<GetAccountAuthorizationDetailsRequest, GetAccountAuthorizationDetailsResponse> = (input, ctx) => {
  const filter = new Set(input.Filter ?? ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]);
  type Item = { kind: "user" | "group" | "role" | "policy"; value: unknown };
  const items: Item[] = [];
  if (filter.has("User")) {
    for (const u of listAll<UserDoc>(ctx.store, "user")) {
      items.push({
        kind: "user",
        value: {
          Path: u.Path,
          UserName: u.UserName,
          UserId: u.UserId,
          Arn: u.Arn,
          CreateDate: new Date(u.CreateDate),
          UserPolicyList: inlineList(u.inline),
          GroupList: [...u.groups],
          AttachedManagedPolicies: attachedList(ctx, u.attached),
          ...boundary(u.PermissionsBoundary),
          ...(u.Tags.length ? { Tags: u.Tags } : {}),
        },
      });
    }
  }
  if (filter.has("Group")) {
    for (const g of listAll<GroupDoc>(ctx.store, "group")) {
      items.push({
        kind: "group",
        value: {
          Path: g.Path,
          GroupName: g.GroupName,
          GroupId: g.GroupId,
          Arn: g.Arn,
          CreateDate: new Date(g.CreateDate),
          GroupPolicyList: inlineList(g.inline),
          AttachedManagedPolicies: attachedList(ctx, g.attached),
        },
      });
    }
  }
  if (filter.has("Role")) {
    for (const r of listAll<RoleDoc>(ctx.store, "role")) {
      const profiles = r.instanceProfiles
        .map((n) => ctx.store.get<InstanceProfileDoc>("instance-profile", nameKey(n)))
        .filter((p): p is InstanceProfileDoc => p !== undefined)
        .map((p) => toInstanceProfile(ctx, p, false));
      items.push({
        kind: "role",
        value: {
          Path: r.Path,
          RoleName: r.RoleName,
          RoleId: r.RoleId,
          Arn: r.Arn,
          CreateDate: new Date(r.CreateDate),
          AssumeRolePolicyDocument: encodePolicy(r.AssumeRolePolicyDocument),
          InstanceProfileList: profiles,
          RolePolicyList: inlineList(r.inline),
          AttachedManagedPolicies: attachedList(ctx, r.attached),
          ...boundary(r.PermissionsBoundary),
          ...(r.Tags.length ? { Tags: r.Tags } : {}),
          RoleLastUsed: r.RoleLastUsed ? { LastUsedDate: new Date(r.RoleLastUsed.LastUsedDate), Region: r.RoleLastUsed.Region } : {},
        },
      });
    }
  }
  if (filter.has("LocalManagedPolicy")) {
    for (const p of listAll<PolicyDoc>(ctx.store, "policy")) {
      const a = attachmentsOf(ctx.store, p.Arn);
      const detail: ManagedPolicyDetail = {
        ...policySummary(p, a),
        PolicyVersionList: p.versions.map((v) => ({
          Document: encodePolicy(v.Document),
          VersionId: v.VersionId,
          IsDefaultVersion: v.VersionId === p.DefaultVersionId,
          CreateDate: new Date(v.CreateDate),
        })),
      };
      if (p.Description !== undefined) detail.Description = p.Description;
      items.push({ kind: "policy", value: detail });
    }
  }
  if (filter.has("AWSManagedPolicy")) {
    // AWS-managed policies appear when something in the account uses them.
    for (const p of AWS_MANAGED_POLICIES) {
      const a = attachmentsOf(ctx.store, p.Arn);
      if (attachmentCount(a) === 0 && a.boundaryOf === 0) continue;
      items.push({
        kind: "policy",
        value: {
          ...policySummary(p, a),
          Description: p.Description,
          PolicyVersionList: [{ Document: encodePolicy(p.Document), VersionId: p.DefaultVersionId, IsDefaultVersion: true, CreateDate: new Date(p.UpdateDate) }],
        } satisfies ManagedPolicyDetail,
      });
    }
  }
  const page = paginate(items, input);
  const of = (k: Item["kind"]) => page.items.filter((i) => i.kind === k).map((i) => i.value) as never[];
  return { UserDetailList: of("user"), GroupDetailList: of("group"), RoleDetailList: of("role"), Policies: of("policy"), ...pageFields(page) };
};
