// STS: who am I. AssumeRole and friends arrive with the IAM issue.
import type { GetCallerIdentityRequest, GetCallerIdentityResponse } from "@aws-sdk/client-sts";
import { defineService, type Handler } from "../../core/service.js";

const GetCallerIdentity: Handler<GetCallerIdentityRequest, GetCallerIdentityResponse> = (_input, ctx) => ({
  UserId: ctx.principal.userId,
  Account: ctx.principal.accountId,
  Arn: ctx.principal.arn,
});

export const sts = defineService({
  name: "sts",
  handlers: { GetCallerIdentity },
});
