// Every IAM operation Nimbus implements, by AWS name.
import type { Handler } from "../../../core/service.js";
import * as account from "./account.js";
import * as accessKeys from "./access-keys.js";
import * as entityPolicies from "./entity-policies.js";
import * as groups from "./groups.js";
import * as instanceProfiles from "./instance-profiles.js";
import * as misc from "./misc.js";
import * as policies from "./policies.js";
import * as providers from "./providers.js";
import * as roles from "./roles.js";
import * as simulate from "./simulate.js";
import * as users from "./users.js";

/** Handlers are the exports whose names start with an upper-case letter (AWS operation names). */
function operations(...modules: Array<Record<string, unknown>>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const m of modules) for (const [k, v] of Object.entries(m)) if (/^[A-Z]/.test(k) && typeof v === "function") out[k] = v as Handler;
  return out;
}

export const handlers = operations(users, groups, roles, policies, entityPolicies, accessKeys, instanceProfiles, account, providers, simulate, misc);
