// Policies on users, groups and roles: inline (Put/Get/Delete/List*Policy) and managed
// (Attach/Detach/ListAttached*Policies). The three entity kinds behave alike; what differs
// (names, the inline size quota) is in ENTITIES.
import type { Handler, RequestContext } from "../../../core/service.js";
import { checkName, checkPathPrefix, encodePolicy, decodePolicyInput, limitExceeded, noSuchEntity, pageFields, paginate } from "../common.js";
import { attachablePolicy, findManagedPolicy } from "../managed-policies.js";
import { policySize, validatePolicy } from "../policy-validate.js";
import { attachmentsOf, getGroup, getRole, getUser, putAttachments, putGroup, putRole, putUser, type InlinePolicies } from "../store.js";

type Kind = "user" | "group" | "role";

interface Entity {
  inline: InlinePolicies;
  attached: string[];
}

interface EntitySpec {
  /** The request member naming the entity (UserName) and its wire name in validation messages (userName). */
  member: "UserName" | "GroupName" | "RoleName";
  wire: string;
  maxName: number;
  get(ctx: RequestContext, name: string): Entity & Record<string, unknown>;
  put(ctx: RequestContext, e: Entity): void;
  /** Aggregate size of inline policies, counted without whitespace. */
  inlineQuota: number;
  /** The quota name in "Cannot exceed quota for PoliciesPerUser: 10". */
  attachedQuota: string;
  list: "users" | "groups" | "roles";
}

const ENTITIES: Record<Kind, EntitySpec> = {
  user: {
    member: "UserName",
    wire: "userName",
    maxName: 128,
    get: (ctx, n) => getUser(ctx.store, n) as never,
    put: (ctx, e) => putUser(ctx.store, e as never),
    inlineQuota: 2048,
    attachedQuota: "PoliciesPerUser",
    list: "users",
  },
  group: {
    member: "GroupName",
    wire: "groupName",
    maxName: 128,
    get: (ctx, n) => getGroup(ctx.store, n) as never,
    put: (ctx, e) => putGroup(ctx.store, e as never),
    inlineQuota: 5120,
    attachedQuota: "PoliciesPerGroup",
    list: "groups",
  },
  role: {
    member: "RoleName",
    wire: "roleName",
    maxName: 64,
    get: (ctx, n) => getRole(ctx.store, n) as never,
    put: (ctx, e) => putRole(ctx.store, e as never),
    inlineQuota: 10240,
    attachedQuota: "PoliciesPerRole",
    list: "roles",
  },
};

/** AWS's default quota of managed policies attached to one entity. */
const MAX_ATTACHED = 10;

function nameOf(spec: EntitySpec, input: Record<string, unknown>): string {
  return checkName(input[spec.member] as string | undefined, spec.wire, spec.maxName);
}

function putPolicy(kind: Kind): Handler<Record<string, string>, Record<string, never>> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    const name = nameOf(spec, input);
    const policyName = checkName(input.PolicyName, "policyName", 128);
    const doc = decodePolicyInput(input.PolicyDocument ?? "");
    validatePolicy(doc, "identity");
    ctx.store.tx(() => {
      const e = spec.get(ctx, name);
      const others = Object.entries(e.inline).filter(([n]) => n !== policyName);
      const total = others.reduce((s, [, d]) => s + policySize(d), 0) + policySize(doc);
      if (total > spec.inlineQuota) throw limitExceeded(`Maximum policy size of ${spec.inlineQuota} bytes exceeded for ${kind} ${e[spec.member]}`);
      e.inline = { ...Object.fromEntries(others), [policyName]: doc };
      spec.put(ctx, e);
    });
    return {};
  };
}

function getPolicy(kind: Kind): Handler<Record<string, string>, Record<string, string>> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    const e = spec.get(ctx, nameOf(spec, input));
    const policyName = checkName(input.PolicyName, "policyName", 128);
    const doc = e.inline[policyName];
    if (doc === undefined) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
    return { [spec.member]: e[spec.member] as string, PolicyName: policyName, PolicyDocument: encodePolicy(doc) };
  };
}

function deletePolicy(kind: Kind): Handler<Record<string, string>, Record<string, never>> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    ctx.store.tx(() => {
      const e = spec.get(ctx, nameOf(spec, input));
      const policyName = checkName(input.PolicyName, "policyName", 128);
      if (e.inline[policyName] === undefined) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
      delete e.inline[policyName];
      spec.put(ctx, e);
    });
    return {};
  };
}

function listPolicies(kind: Kind): Handler<Record<string, never>, { PolicyNames: string[]; IsTruncated: boolean; Marker?: string }> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    const e = spec.get(ctx, nameOf(spec, input));
    const names = Object.keys(e.inline).sort();
    const page = paginate(names, input);
    return { PolicyNames: page.items, ...pageFields(page) };
  };
}

function attachPolicy(kind: Kind): Handler<Record<string, string>, Record<string, never>> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    const name = nameOf(spec, input);
    ctx.store.tx(() => {
      const e = spec.get(ctx, name);
      const p = attachablePolicy(ctx.store, ctx.accountId, input.PolicyArn);
      if (e.attached.includes(p.arn)) return; // attaching twice changes nothing, as on AWS
      if (e.attached.length >= MAX_ATTACHED) throw limitExceeded(`Cannot exceed quota for ${spec.attachedQuota}: ${MAX_ATTACHED}`);
      e.attached.push(p.arn);
      spec.put(ctx, e);
      const a = attachmentsOf(ctx.store, p.arn);
      a[spec.list].push(e[spec.member] as string);
      putAttachments(ctx.store, p.arn, a);
    });
    return {};
  };
}

function detachPolicy(kind: Kind): Handler<Record<string, string>, Record<string, never>> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    const name = nameOf(spec, input);
    ctx.store.tx(() => {
      const e = spec.get(ctx, name);
      const arn = input.PolicyArn;
      if (!e.attached.includes(arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
      e.attached = e.attached.filter((x) => x !== arn);
      spec.put(ctx, e);
      const a = attachmentsOf(ctx.store, arn);
      const own = e[spec.member] as string;
      a[spec.list] = a[spec.list].filter((x) => x !== own);
      putAttachments(ctx.store, arn, a);
    });
    return {};
  };
}

function listAttached(kind: Kind): Handler<Record<string, string>, Record<string, unknown>> {
  const spec = ENTITIES[kind];
  return (input, ctx) => {
    const e = spec.get(ctx, nameOf(spec, input));
    const prefix = checkPathPrefix(input.PathPrefix);
    const attached = e.attached
      .map((arn) => findManagedPolicy(ctx.store, ctx.accountId, arn))
      .filter((p) => p !== undefined && p.path.startsWith(prefix))
      .map((p) => ({ PolicyName: p!.name, PolicyArn: p!.arn }))
      .sort((a, b) => (a.PolicyName.toLowerCase() < b.PolicyName.toLowerCase() ? -1 : 1));
    const page = paginate(attached, input as { Marker?: string; MaxItems?: number });
    return { AttachedPolicies: page.items, ...pageFields(page) };
  };
}

export const PutUserPolicy = putPolicy("user");
export const PutGroupPolicy = putPolicy("group");
export const PutRolePolicy = putPolicy("role");
export const GetUserPolicy = getPolicy("user");
export const GetGroupPolicy = getPolicy("group");
export const GetRolePolicy = getPolicy("role");
export const DeleteUserPolicy = deletePolicy("user");
export const DeleteGroupPolicy = deletePolicy("group");
export const DeleteRolePolicy = deletePolicy("role");
export const ListUserPolicies = listPolicies("user");
export const ListGroupPolicies = listPolicies("group");
export const ListRolePolicies = listPolicies("role");
export const AttachUserPolicy = attachPolicy("user");
export const AttachGroupPolicy = attachPolicy("group");
export const AttachRolePolicy = attachPolicy("role");
export const DetachUserPolicy = detachPolicy("user");
export const DetachGroupPolicy = detachPolicy("group");
export const DetachRolePolicy = detachPolicy("role");
export const ListAttachedUserPolicies = listAttached("user");
export const ListAttachedGroupPolicies = listAttached("group");
export const ListAttachedRolePolicies = listAttached("role");
