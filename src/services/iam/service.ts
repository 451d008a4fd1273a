// AWS IAM: users, groups, roles, managed and inline policies, access keys, instance profiles,
// login profiles, account settings. Global: one scope per account, whatever the region.
// Access keys are also written to the registry of issued credentials (rt.credentials), which
// authentication reads, so they authenticate and survive restarts. The principal-policy
// provider (principal-policies.ts) answers the authorize step with users' and sessions' policies.
import { defineService, type Handler, type ServiceRuntime } from "../../core/service.js";
import { setRegistry } from "./credentials.js";
import { handlers } from "./handlers/index.js";
import { bumpGeneration, createPrincipalPolicyProvider } from "./principal-policies.js";

/** Read-only operations; every other one may change what a principal is allowed to do. */
const READ_ONLY = /^(Get|List|Simulate)/;

/** Each writing handler drops the provider's cached answers (after it ran, and if it failed: a rolled-back write changes nothing, but is rare). */
function invalidating(all: Record<string, Handler>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(all)) {
    out[name] = READ_ONLY.test(name)
      ? h
      : async (input, ctx) => {
          try {
            return await h(input, ctx);
          } finally {
            bumpGeneration(ctx.db);
          }
        };
  }
  return out;
}

export const iam = defineService({
  name: "iam",
  handlers: invalidating(handlers),
  start(rt: ServiceRuntime) {
    setRegistry(rt.db, rt.credentials);
  },
  reset(rt: ServiceRuntime) {
    rt.credentials.clear("iam");
    bumpGeneration(rt.db);
  },
  principalPolicies: (rt: ServiceRuntime) => createPrincipalPolicyProvider(rt),
});
