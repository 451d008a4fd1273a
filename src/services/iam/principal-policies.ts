// The principal-policy provider (core/iam/types.ts PrincipalPolicyProvider): the identity
// policies, permissions boundary, session policies and tags of an IAM user or an assumed-role
// session, read from IAM's documents and, for sessions, from what STS recorded with the
// session's credentials.
//
// It runs on the hot path of every request an IAM principal makes, so answers are cached per
// principal and dropped whenever IAM changes anything (a generation counter every IAM write
// bumps: see service.ts); the policy texts handed over are the stored strings, which the
// engine compiles once per distinct text.
import type { Principal, ServiceRuntime } from "../../core/service.js";
import type { PolicySource, PrincipalPolicies, PrincipalPolicyProvider } from "../../core/iam/types.js";
import type { Db } from "../../core/state/database.js";
import type { DocStore } from "../../core/state/doc-store.js";
import { nameKey } from "./common.js";
import { findManagedPolicy } from "./managed-policies.js";
import type { GroupDoc, RoleDoc, UserDoc } from "./store.js";

const generations = new WeakMap<Db, number>();

/** Every IAM write calls this: cached answers of the provider are stale from then on. */
export function bumpGeneration(db: Db): void {
  generations.set(db, (generations.get(db) ?? 0) + 1);
}

/** What STS records in the issued-credential registry about a role session (IssuedCredentials.data). */
export interface SessionData {
  roleArn: string;
  /** Inline session policy (AssumeRole Policy), as sent. */
  policy?: string;
  /** Managed session policies (AssumeRole PolicyArns). */
  policyArns?: string[];
  /** Session tags (AssumeRole Tags), keys as sent. */
  tags?: Record<string, string>;
  sourceIdentity?: string;
  /** When the session was issued, ms since the epoch (aws:TokenIssueTime). */
  issuedAt?: number;
  /** Federated provider of AssumeRoleWithWebIdentity / AssumeRoleWithSAML. */
  federatedProvider?: string;
}

function managedSource(store: DocStore, accountId: string, arn: string): PolicySource | undefined {
  const p = findManagedPolicy(store, accountId, arn);
  return p && { name: arn, document: p.defaultDocument };
}

function entitySources(store: DocStore, accountId: string, kind: string, name: string, e: { inline: Record<string, string>; attached: string[] }, out: PolicySource[]): void {
  for (const [policyName, document] of Object.entries(e.inline)) out.push({ name: `${kind}/${name}/${policyName}`, document });
  for (const arn of e.attached) {
    const s = managedSource(store, accountId, arn);
    if (s) out.push(s);
  }
}

function tagMap(tags: Array<{ Key: string; Value: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.Key] = t.Value;
  return out;
}

export function createPrincipalPolicyProvider(rt: ServiceRuntime): PrincipalPolicyProvider {
  const cache = new Map<string, { gen: number; value: PrincipalPolicies | undefined }>();

  function userPolicies(p: Principal): PrincipalPolicies | undefined {
    const store = rt.store(p.accountId);
    const name = p.arn.slice(p.arn.lastIndexOf("/") + 1);
    const u = store.get<UserDoc>("user", nameKey(name));
    if (!u || u.UserId !== p.userId) return undefined;
    const identity: PolicySource[] = [];
    entitySources(store, p.accountId, "user", u.UserName, u, identity);
    for (const g of u.groups) {
      const group = store.get<GroupDoc>("group", nameKey(g));
      if (group) entitySources(store, p.accountId, "group", group.GroupName, group, identity);
    }
    const out: PrincipalPolicies = { identity, tags: tagMap(u.Tags) };
    if (u.PermissionsBoundary) out.boundary = managedSource(store, p.accountId, u.PermissionsBoundary) ?? { name: u.PermissionsBoundary, document: '{"Version":"2012-10-17","Statement":[]}' };
    return out;
  }

  function sessionPolicies(p: Principal): PrincipalPolicies | undefined {
    const issued = p.accessKeyId ? rt.credentials.issued(p.accessKeyId) : undefined;
    const data = issued?.data as SessionData | undefined;
    // arn:aws:sts::<account>:assumed-role/<role>/<session>
    const roleName = p.arn.split(":")[5]?.split("/")[1];
    if (!roleName) return undefined;
    const store = rt.store(p.accountId);
    const r = store.get<RoleDoc>("role", nameKey(roleName));
    // A role deleted (or deleted and re-created) since the session began grants nothing.
    if (!r || (data?.roleArn !== undefined && data.roleArn !== r.Arn) || !p.userId.startsWith(r.RoleId)) return undefined;
    const identity: PolicySource[] = [];
    entitySources(store, p.accountId, "role", r.RoleName, r, identity);
    const out: PrincipalPolicies = { identity, tags: { ...tagMap(r.Tags), ...(data?.tags ?? {}) } };
    if (r.PermissionsBoundary) out.boundary = managedSource(store, p.accountId, r.PermissionsBoundary) ?? { name: r.PermissionsBoundary, document: '{"Version":"2012-10-17","Statement":[]}' };
    if (data && (data.policy !== undefined || data.policyArns?.length)) {
      const session: PolicySource[] = [];
      if (data.policy !== undefined) session.push({ name: "session policy", document: data.policy });
      for (const arn of data.policyArns ?? []) {
        const s = managedSource(store, p.accountId, arn);
        if (s) session.push(s);
      }
      out.session = session;
    }
    const context: Record<string, string> = {};
    if (data?.issuedAt !== undefined) context["aws:TokenIssueTime"] = new Date(data.issuedAt).toISOString();
    if (data?.sourceIdentity !== undefined) context["aws:SourceIdentity"] = data.sourceIdentity;
    if (data?.federatedProvider !== undefined) context["aws:FederatedProvider"] = data.federatedProvider;
    out.context = context;
    return out;
  }

  // The gateway hands over the Principal object the credential registry keeps per access key:
  // remembering the answer on that object first spares building the string key per request.
  const byObject = new WeakMap<Principal, { gen: number; value: PrincipalPolicies | undefined }>();
  return {
    policiesFor(p: Principal): PrincipalPolicies | undefined {
      const gen = generations.get(rt.db) ?? 0;
      const mine = byObject.get(p);
      if (mine !== undefined && mine.gen === gen) return mine.value;
      const key = `${p.type}\u0000${p.arn}\u0000${p.userId}\u0000${p.accessKeyId ?? ""}`;
      let hit = cache.get(key);
      if (!hit || hit.gen !== gen) {
        const value = p.type === "user" ? userPolicies(p) : p.type === "assumed-role" ? sessionPolicies(p) : undefined;
        if (cache.size > 10_000) cache.clear();
        cache.set(key, (hit = { gen, value }));
      }
      byObject.set(p, hit);
      return hit.value;
    },
  };
}
