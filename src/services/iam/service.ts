// AWS IAM: users, groups, roles, managed and inline policies, access keys, instance profiles,
// login profiles, account settings. Global: one scope per account, whatever the region.
// Access keys are also written to the registry of issued credentials (rt.credentials), which
// authentication reads, so they authenticate and survive restarts.
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { setRegistry } from "./credentials.js";
import { handlers } from "./handlers/index.js";

export const iam = defineService({
  name: "iam",
  handlers,
  start(rt: ServiceRuntime) {
    setRegistry(rt.db, rt.credentials);
  },
  reset(rt: ServiceRuntime) {
    rt.credentials.clear("iam");
  },
});
