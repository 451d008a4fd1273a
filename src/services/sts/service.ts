// AWS STS: who am I (GetCallerIdentity, GetAccessKeyInfo), temporary credentials
// (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, GetSessionToken) and
// DecodeAuthorizationMessage. Roles are read from IAM through the in-process client; trust
// policies are evaluated by the policy engine (core/iam); temporary credentials go to the
// registry of issued credentials (rt.credentials), so they authenticate, expire on the Nimbus
// clock (ExpiredToken) and survive restarts.
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { AssumeRole } from "./handlers/assume-role.js";
import { AssumeRoleWithSAML, AssumeRoleWithWebIdentity } from "./handlers/federation.js";
import { DecodeAuthorizationMessage, GetAccessKeyInfo, GetCallerIdentity, GetSessionToken } from "./handlers/identity.js";
import { setRuntime } from "./sessions.js";

export const sts = defineService({
  name: "sts",
  handlers: {
    GetCallerIdentity,
    GetAccessKeyInfo,
    GetSessionToken,
    AssumeRole,
    AssumeRoleWithWebIdentity,
    AssumeRoleWithSAML,
    DecodeAuthorizationMessage,
  },
  start(rt: ServiceRuntime) {
    setRuntime(rt);
  },
  reset(rt: ServiceRuntime) {
    rt.credentials.clear("sts");
  },
});
