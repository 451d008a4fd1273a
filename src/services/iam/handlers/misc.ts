// The rest of what tools call on the way: ChangePassword, the (always empty) lists of MFA
// devices, SSH keys, signing and server certificates and service-specific credentials Nimbus
// does not issue, and GetContextKeysFor*Policy (the condition keys a policy uses).
import { createHash } from "node:crypto";
import type {
  ChangePasswordRequest,
  GetContextKeysForCustomPolicyRequest,
  GetContextKeysForPolicyResponse,
  GetContextKeysForPrincipalPolicyRequest,
  ListMFADevicesRequest,
  ListMFADevicesResponse,
  ListSSHPublicKeysRequest,
  ListSSHPublicKeysResponse,
  ListServerCertificatesResponse,
  ListServiceSpecificCredentialsRequest,
  ListServiceSpecificCredentialsResponse,
  ListSigningCertificatesRequest,
  ListSigningCertificatesResponse,
  ListVirtualMFADevicesResponse,
} from "@aws-sdk/client-iam";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { checkName, decodePolicyInput, nameKey, validationError } from "../common.js";
import { findManagedPolicy } from "../managed-policies.js";
import { validatePolicy } from "../policy-validate.js";
import { type GroupDoc, type RoleDoc, type UserDoc, getUser } from "../store.js";
import { UpdateLoginProfile } from "./account.js";

/** ChangePassword: an IAM user changes its own console password. */
export const ChangePassword: Handler<ChangePasswordRequest, Record<string, never>> = async (input, ctx) => {
  const p = ctx.principal;
  if (p.type !== "user") throw new AwsError("InvalidUserTypeException", "Only IAM users can change their own password.");
  const name = p.arn.slice(p.arn.lastIndexOf("/") + 1);
  const u = getUser(ctx.store, name);
  const hash = createHash("sha256").update(input.OldPassword ?? "").digest("hex");
  // TODO(parity): AWS's code and wording for a wrong old password are unverified.
  if (!u.loginProfile || u.loginProfile.password !== hash) throw new AwsError("InvalidAuthenticationCodeException", "The old password was incorrect.", 403);
  await UpdateLoginProfile({ UserName: u.UserName, Password: input.NewPassword, PasswordResetRequired: false }, ctx);
  return {};
};

/** A user named in the request must exist even when the answer is an empty list. */
function userIfNamed(ctx: RequestContext, name: string | undefined): void {
  if (name !== undefined) getUser(ctx.store, checkName(name, "userName", 128));
}

export const ListMFADevices: Handler<ListMFADevicesRequest, ListMFADevicesResponse> = (input, ctx) => {
  userIfNamed(ctx, input.UserName);
  return { MFADevices: [], IsTruncated: false };
};

export const ListVirtualMFADevices: Handler<Record<string, never>, ListVirtualMFADevicesResponse> = () => ({ VirtualMFADevices: [], IsTruncated: false });

export const ListSSHPublicKeys: Handler<ListSSHPublicKeysRequest, ListSSHPublicKeysResponse> = (input, ctx) => {
  userIfNamed(ctx, input.UserName);
  return { SSHPublicKeys: [], IsTruncated: false };
};

export const ListSigningCertificates: Handler<ListSigningCertificatesRequest, ListSigningCertificatesResponse> = (input, ctx) => {
  userIfNamed(ctx, input.UserName);
  return { Certificates: [], IsTruncated: false };
};

export const ListServiceSpecificCredentials: Handler<ListServiceSpecificCredentialsRequest, ListServiceSpecificCredentialsResponse> = (input, ctx) => {
  userIfNamed(ctx, input.UserName);
  return { ServiceSpecificCredentials: [] };
};

export const ListServerCertificates: Handler<Record<string, never>, ListServerCertificatesResponse> = () => ({ ServerCertificateMetadataList: [], IsTruncated: false });

/** The condition keys a policy document uses, in first-seen order. */
function contextKeys(doc: string, into: Set<string>): void {
  const parsed = JSON.parse(doc) as { Statement?: unknown };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  for (const st of statements) {
    const cond = (st as { Condition?: Record<string, Record<string, unknown>> } | undefined)?.Condition;
    if (!cond) continue;
    for (const block of Object.values(cond)) for (const key of Object.keys(block)) into.add(key);
  }
}

export const GetContextKeysForCustomPolicy: Handler<GetContextKeysForCustomPolicyRequest, GetContextKeysForPolicyResponse> = (input) => {
  if (!input.PolicyInputList?.length) throw validationError(undefined, "policyInputList", "Member must not be null");
  const keys = new Set<string>();
  for (const raw of input.PolicyInputList) {
    const doc = decodePolicyInput(raw);
    validatePolicy(doc, "identity");
    contextKeys(doc, keys);
  }
  return { ContextKeyNames: [...keys] };
};

export const GetContextKeysForPrincipalPolicy: Handler<GetContextKeysForPrincipalPolicyRequest, GetContextKeysForPolicyResponse> = (input, ctx) => {
  const m = /^arn:aws:iam::(\d{12}):(user|group|role)\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]+)$/.exec(input.PolicySourceArn ?? "");
  if (!m || m[1] !== ctx.accountId) throw new AwsError("InvalidInputException", `Invalid ARN: ${input.PolicySourceArn}`);
  const entity = ctx.store.get<UserDoc | GroupDoc | RoleDoc>(m[2], nameKey(m[3]));
  if (!entity) throw new AwsError("NoSuchEntityException", `The ${m[2]} with name ${m[3]} cannot be found.`);
  const docs = [...Object.values(entity.inline)];
  const attached = [...entity.attached];
  if (m[2] === "user") {
    for (const g of (entity as UserDoc).groups) {
      const group = ctx.store.get<GroupDoc>("group", nameKey(g));
      if (group) {
        docs.push(...Object.values(group.inline));
        attached.push(...group.attached);
      }
    }
  }
  for (const arn of attached) {
    const p = findManagedPolicy(ctx.store, ctx.accountId, arn);
    if (p) docs.push(p.defaultDocument);
  }
  for (const raw of input.PolicyInputList ?? []) docs.push(decodePolicyInput(raw));
  const keys = new Set<string>();
  for (const d of docs) contextKeys(d, keys);
  return { ContextKeyNames: [...keys] };
};
