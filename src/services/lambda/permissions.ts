// Function policies: AddPermission / RemovePermission / GetPolicy build and edit the
// resource-based policy of a function, version or alias exactly as AWS writes it, and
// lambdaResourcePolicy hands it to the IAM engine (gateway step 6, and in-process calls made
// on behalf of a service principal: S3 notifications, SNS), so cross-account and service
// invocations are allowed or denied by it, as on AWS.
import { randomUUID } from "node:crypto";
import type { AddPermissionRequest, AddPermissionResponse, GetPolicyRequest, GetPolicyResponse, RemovePermissionRequest } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import type { ResourcePolicyHook } from "../../core/iam/types.js";
import { aliasKey, arnOf, parseFunctionName, isVersion, loadAlias, loadLatest, loadVersion, policyKey, refOf, versionKey, type FunctionPolicy, type FunctionRef, type StoredAlias, type StoredFunction, type StoredPolicy } from "./lookup.js";
import { checkRevision } from "./functions.js";

const POLICY_MAX = 20_480;

function validation(member: string, value: string | undefined, pattern: string): AwsError {
  return new AwsError("ValidationException", `1 validation error detected: Value '${value ?? "null"}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`, 400);
}

/** AWS's Principal element for the Principal member: "*", an account, an ARN, or a service. */
function principalOf(p: string): unknown {
  if (p === "*") return "*";
  if (/^\d{12}$/.test(p)) return { AWS: `arn:aws:iam::${p}:root` };
  if (p.startsWith("arn:")) return { AWS: p };
  return { Service: p };
}

/** The revision of what the policy belongs to: $LATEST's, a version's or an alias's RevisionId. */
interface Owner {
  revision(): string | undefined;
  /** Gives the owner a new RevisionId (a policy change is a change of the resource). */
  bump(): string;
}

function ownerOf(ref: FunctionRef): Owner {
  const latest = loadLatest(ref);
  const q = ref.qualifier;
  if (q === undefined || q === "$LATEST") {
    return {
      revision: () => latest.configuration.RevisionId,
      bump: () => {
        const RevisionId = randomUUID();
        ref.store.put<StoredFunction>("function", ref.name, { ...latest, configuration: { ...latest.configuration, RevisionId } });
        return RevisionId;
      },
    };
  }
  if (isVersion(q)) {
    const v = loadVersion(ref, q);
    return {
      revision: () => v.configuration.RevisionId,
      bump: () => {
        const RevisionId = randomUUID();
        ref.store.put<StoredFunction>("version", versionKey(ref.name, q), { ...v, configuration: { ...v.configuration, RevisionId } });
        return RevisionId;
      },
    };
  }
  const a = loadAlias(ref, q);
  return {
    revision: () => a.alias.RevisionId,
    bump: () => {
      const RevisionId = randomUUID();
      ref.store.put<StoredAlias>("alias", aliasKey(ref.name, q), { ...a, alias: { ...a.alias, RevisionId } });
      return RevisionId;
    },
  };
}

/**
 * The engine authorizes Invoke on the unqualified function ARN (models/iam-actions.json), and
 * Nimbus already picked the right policy for the qualifier, so the engine's copy names the
 * unqualified ARN where AWS's names the version or alias.
 */
function engineCopy(ref: FunctionRef, policy: FunctionPolicy): string {
  const unqualified = arnOf(ref.region, ref.account, ref.name);
  return JSON.stringify({ ...policy, Statement: policy.Statement.map((s) => ({ ...s, Resource: unqualified })) });
}

function save(ref: FunctionRef, policy: FunctionPolicy): void {
  const key = policyKey(ref.name, ref.qualifier);
  if (policy.Statement.length === 0) ref.store.delete("policy", key);
  else ref.store.put<StoredPolicy>("policy", key, { policy, engine: engineCopy(ref, policy) });
}

export const AddPermission: Handler<AddPermissionRequest, AddPermissionResponse> = (input, ctx) => {
  // 1. Validate the members.
  const sid = input.StatementId;
  if (!sid || sid.length > 100 || !/^[a-zA-Z0-9-_.]+$/.test(sid)) throw validation("statementId", sid, "([a-zA-Z0-9-_.]+)");
  if (!input.Action || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(input.Action)) throw validation("action", input.Action, "(lambda:[*]|lambda:[a-zA-Z]+|[*])");
  if (!input.Principal || /\s/.test(input.Principal)) throw validation("principal", input.Principal, "[^\\s]+");
  if (input.SourceAccount !== undefined && !/^\d{12}$/.test(input.SourceAccount)) throw validation("sourceAccount", input.SourceAccount, "\\d{12}");
  if (input.PrincipalOrgID !== undefined && !/^o-[a-z0-9]{10,32}$/.test(input.PrincipalOrgID)) throw validation("principalOrgID", input.PrincipalOrgID, "^o-[a-z0-9]{10,32}$");
  const ref = refOf(ctx, input.FunctionName, input.Qualifier);
  // 2. The statement, in AWS's member order.
  const equals: Record<string, string> = {};
  if (input.SourceAccount !== undefined) equals["AWS:SourceAccount"] = input.SourceAccount;
  if (input.PrincipalOrgID !== undefined) equals["aws:PrincipalOrgID"] = input.PrincipalOrgID;
  if (input.EventSourceToken !== undefined) equals["lambda:EventSourceToken"] = input.EventSourceToken;
  if (input.FunctionUrlAuthType !== undefined) equals["lambda:FunctionUrlAuthType"] = input.FunctionUrlAuthType;
  if (input.InvokedViaFunctionUrl === true) equals["lambda:InvokedViaFunctionUrl"] = "true";
  const condition: Record<string, Record<string, string>> = {};
  if (Object.keys(equals).length > 0) condition.StringEquals = equals;
  if (input.SourceArn !== undefined) condition.ArnLike = { "AWS:SourceArn": input.SourceArn };
  const qualified = ref.qualifier !== undefined && ref.qualifier !== "$LATEST" ? ref.qualifier : undefined;
  const statement: Record<string, unknown> = {
    Sid: sid,
    Effect: "Allow",
    Principal: principalOf(input.Principal),
    Action: input.Action,
    Resource: arnOf(ref.region, ref.account, ref.name, qualified),
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
  // 3. Add it under the owner's revision, in one transaction.
  return ref.store.tx(() => {
    const owner = ownerOf(ref);
    checkRevision(owner.revision(), input.RevisionId);
    const current = ref.store.get<StoredPolicy>("policy", policyKey(ref.name, ref.qualifier))?.policy ?? { Version: "2012-10-17", Id: "default", Statement: [] };
    if (current.Statement.some((s) => s.Sid === sid)) {
      throw new AwsError("ResourceConflictException", `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`, 409, { fields: { Type: "User" } });
    }
    const policy: FunctionPolicy = { ...current, Statement: [...current.Statement, statement] };
    const size = Buffer.byteLength(JSON.stringify(policy));
    if (size > POLICY_MAX) throw new AwsError("PolicyLengthExceededException", `The final policy size (${size}) is bigger than the limit (${POLICY_MAX}).`, 400, { fields: { Type: "User" } });
    save(ref, policy);
    owner.bump();
    return { Statement: JSON.stringify(statement) };
  });
};

export const RemovePermission: Handler<RemovePermissionRequest, Record<string, never>> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName, input.Qualifier);
  return ref.store.tx(() => {
    const owner = ownerOf(ref);
    checkRevision(owner.revision(), input.RevisionId);
    const current = ref.store.get<StoredPolicy>("policy", policyKey(ref.name, ref.qualifier))?.policy;
    if (!current) throw new AwsError("ResourceNotFoundException", "No policy is associated with the given resource.", 404, { fields: { Type: "User" } });
    if (!current.Statement.some((s) => s.Sid === input.StatementId)) {
      throw new AwsError("ResourceNotFoundException", `Statement ${input.StatementId} is not found in resource policy.`, 404, { fields: { Type: "User" } });
    }
    save(ref, { ...current, Statement: current.Statement.filter((s) => s.Sid !== input.StatementId) });
    owner.bump();
    return {};
  });
};

export const GetPolicy: Handler<GetPolicyRequest, GetPolicyResponse> = (input, ctx: RequestContext) => {
  const ref = refOf(ctx, input.FunctionName, input.Qualifier);
  const owner = ownerOf(ref);
  const stored = ref.store.get<StoredPolicy>("policy", policyKey(ref.name, ref.qualifier));
  if (!stored) throw new AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404, { fields: { Type: "User" } });
  return { Policy: JSON.stringify(stored.policy), RevisionId: owner.revision() };
};

/**
 * ServiceDefinition.resourcePolicy: the owner account and the policy of the function, version
 * or alias a request names (FunctionName's ARN suffix or Qualifier), one indexed read.
 */
export const lambdaResourcePolicy: ResourcePolicyHook = (q, rt) => {
  // arn:aws:lambda:<region>:<account>:function:<name>
  const parts = q.resource.split(":");
  if (parts.length < 7 || parts[2] !== "lambda" || parts[5] !== "function") return undefined;
  const [, , , region, account, , name] = parts;
  const parsed = typeof q.input.FunctionName === "string" ? parseFunctionName(q.input.FunctionName) : undefined;
  const qualifier = typeof q.input.Qualifier === "string" && q.input.Qualifier !== "" ? q.input.Qualifier : parsed?.qualifier;
  const stored = rt.store(`${account}/${region}`).get<StoredPolicy>("policy", policyKey(name, qualifier));
  return { ownerAccountId: account, ...(stored ? { policy: stored.engine } : {}) };
};
