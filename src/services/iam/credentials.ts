// The registry of issued credentials (core/auth, reached through the service runtime): IAM
// writes its users' access keys there so requests signed with them authenticate, and so they
// survive a restart. Handlers find it by their database (one Nimbus, one database).
import type { Db } from "../../core/state/database.js";
import type { Principal, ServiceRuntime } from "../../core/service.js";
import type { UserDoc } from "./store.js";

export type CredentialRegistry = ServiceRuntime["credentials"];

const registries = new WeakMap<Db, CredentialRegistry>();

export function setRegistry(db: Db, registry: CredentialRegistry): void {
  registries.set(db, registry);
}

export function registryOf(db: Db): CredentialRegistry {
  const r = registries.get(db);
  if (!r) throw new Error("iam: the credential registry is not installed (the service was not started)");
  return r;
}

export function userPrincipal(accountId: string, u: UserDoc): Principal {
  return { type: "user", accountId, arn: u.Arn, userId: u.UserId };
}

/**
 * Writes an access key to the registry: active keys authenticate as the user, inactive and
 * deleted ones stay known so they are refused (InvalidClientTokenId) instead of being taken for
 * an account root.
 */
export function registerKey(db: Db, accountId: string, u: UserDoc, keyId: string, secret: string, state: "Active" | "Inactive" | "Deleted"): void {
  registryOf(db).add(keyId, {
    secretAccessKey: secret,
    principal: userPrincipal(accountId, u),
    source: "iam",
    disabled: state !== "Active",
    data: { userName: u.UserName, state },
  });
}
