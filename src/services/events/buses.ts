// Event buses: the default bus of every account and region (made on first use), custom buses
// (CreateEventBus / DescribeEventBus / ListEventBuses / DeleteEventBus), and their resource
// policies (PutPermission / RemovePermission), which decide who else may PutEvents on them:
// the IAM engine reads them through eventsResourcePolicy.
import type {
  CreateEventBusRequest,
  CreateEventBusResponse,
  DeleteEventBusRequest,
  DescribeEventBusRequest,
  DescribeEventBusResponse,
  ListEventBusesRequest,
  ListEventBusesResponse,
  PutPermissionRequest,
  RemovePermissionRequest,
  UpdateEventBusRequest,
  UpdateEventBusResponse,
} from "@aws-sdk/client-eventbridge";
import { AwsError } from "../../core/errors.js";
import { parsePolicyDocument } from "../../core/iam/policy-document.js";
import type { ResourcePolicyHook } from "../../core/iam/types.js";
import type { Handler } from "../../core/service.js";
import { statements } from "./store.js";
import { busArn, getBus, invalidateRules, requireBus, resolveBus, storeOf, validationError, type BusDoc, type RuleDoc } from "./store.js";
import { decodeToken, encodeToken, pageLimit } from "./paging.js";

const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const MAX_BUSES = 100;

export const CreateEventBus: Handler<CreateEventBusRequest, CreateEventBusResponse> = (input, ctx) => {
  const name = input.Name!;
  if (!BUS_NAME.test(name)) {
    throw validationError(`1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+`);
  }
  if (name.includes("/") && !input.EventSourceName) throw validationError("Event bus name must not contain '/'.");
  if (input.EventSourceName) throw new AwsError("ResourceNotFoundException", `Event source ${input.EventSourceName} does not exist.`);
  const store = storeOf(ctx.db, ctx.accountId, ctx.region);
  const now = ctx.clock.now();
  getBus(ctx.db, ctx.accountId, ctx.region, "default", now);
  if (store.get("bus", name)) throw new AwsError("ResourceAlreadyExistsException", `Event bus ${name} already exists.`);
  if (store.count("bus") >= MAX_BUSES) throw new AwsError("LimitExceededException", "The requested resource exceeds the maximum number allowed.");
  if (input.DeadLetterConfig?.Arn !== undefined && !/^arn:aws[\w-]*:sqs:/.test(input.DeadLetterConfig.Arn)) throw validationError("Parameter DeadLetterConfig.Arn is not valid.");
  const bus: BusDoc = {
    name,
    arn: busArn(ctx.accountId, ctx.region, name),
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    ...(input.KmsKeyIdentifier !== undefined ? { kmsKeyIdentifier: input.KmsKeyIdentifier } : {}),
    ...(input.DeadLetterConfig ? { deadLetterConfig: input.DeadLetterConfig } : {}),
    tags: (input.Tags ?? []).map((t) => ({ Key: t.Key!, Value: t.Value ?? "" })),
    createdAt: now,
    modifiedAt: now,
  };
  store.put("bus", name, bus);
  return { EventBusArn: bus.arn, ...(bus.description !== undefined ? { Description: bus.description } : {}), ...(bus.kmsKeyIdentifier ? { KmsKeyIdentifier: bus.kmsKeyIdentifier } : {}), ...(bus.deadLetterConfig ? { DeadLetterConfig: bus.deadLetterConfig } : {}) };
};

export const DescribeEventBus: Handler<DescribeEventBusRequest, DescribeEventBusResponse> = (input, ctx) => {
  const bus = requireBus(ctx, input.Name);
  return {
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description !== undefined ? { Description: bus.description } : {}),
    ...(bus.kmsKeyIdentifier ? { KmsKeyIdentifier: bus.kmsKeyIdentifier } : {}),
    ...(bus.deadLetterConfig ? { DeadLetterConfig: bus.deadLetterConfig } : {}),
    ...(bus.policy ? { Policy: bus.policy } : {}),
    CreationTime: new Date(bus.createdAt),
    LastModifiedTime: new Date(bus.modifiedAt),
  };
};

export const ListEventBuses: Handler<ListEventBusesRequest, ListEventBusesResponse> = (input, ctx) => {
  getBus(ctx.db, ctx.accountId, ctx.region, "default", ctx.clock.now());
  const limit = pageLimit(input.Limit);
  const after = decodeToken(input.NextToken);
  const rows = storeOf(ctx.db, ctx.accountId, ctx.region).list<BusDoc>("bus", { prefix: input.NamePrefix ?? "", after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  return {
    EventBuses: page.map(({ doc }) => ({
      Name: doc.name,
      Arn: doc.arn,
      ...(doc.description !== undefined ? { Description: doc.description } : {}),
      ...(doc.policy ? { Policy: doc.policy } : {}),
      CreationTime: new Date(doc.createdAt),
      LastModifiedTime: new Date(doc.modifiedAt),
    })),
    ...(rows.length > limit ? { NextToken: encodeToken(page[page.length - 1].id) } : {}),
  };
};

/** UpdateEventBus: Description, KmsKeyIdentifier and DeadLetterConfig (stored; a member left out is kept). */
export const UpdateEventBus: Handler<UpdateEventBusRequest, UpdateEventBusResponse> = (input, ctx) => {
  const bus = requireBus(ctx, input.Name);
  if (input.DeadLetterConfig?.Arn !== undefined && !/^arn:aws[\w-]*:sqs:/.test(input.DeadLetterConfig.Arn)) throw validationError("Parameter DeadLetterConfig.Arn is not valid.");
  const { account: _a, region: _r, ...doc } = bus;
  if (input.Description !== undefined) doc.description = input.Description;
  if (input.KmsKeyIdentifier !== undefined) doc.kmsKeyIdentifier = input.KmsKeyIdentifier;
  if (input.DeadLetterConfig !== undefined) doc.deadLetterConfig = input.DeadLetterConfig;
  doc.modifiedAt = ctx.clock.now();
  storeOf(ctx.db, bus.account, bus.region).put("bus", bus.name, doc);
  return {
    Arn: doc.arn,
    Name: doc.name,
    ...(doc.description !== undefined ? { Description: doc.description } : {}),
    ...(doc.kmsKeyIdentifier ? { KmsKeyIdentifier: doc.kmsKeyIdentifier } : {}),
    ...(doc.deadLetterConfig ? { DeadLetterConfig: doc.deadLetterConfig } : {}),
  };
};

/** Deleting a bus deletes its rules (and their schedules and targets) with it. */
export const DeleteEventBus: Handler<DeleteEventBusRequest, Record<string, never>> = (input, ctx) => {
  const name = input.Name!;
  if (name === "default") throw validationError("Cannot delete event bus default.");
  const store = storeOf(ctx.db, ctx.accountId, ctx.region);
  store.tx(() => {
    if (!store.delete("bus", name)) return;
    for (const { id, doc } of store.list<RuleDoc>("rule", { prefix: `${name}:` })) {
      store.delete("rule", id);
      statements(ctx.db).scheduleDelete.run(doc.arn);
    }
  });
  invalidateRules(ctx.db, ctx.accountId, ctx.region, name);
  return {};
};

interface PolicyDoc {
  Version: string;
  Statement: Array<Record<string, unknown>>;
}

/** PutPermission: a whole Policy, or one statement (Action events:PutEvents, a Principal account or "*", an optional Condition). */
export const PutPermission: Handler<PutPermissionRequest, Record<string, never>> = (input, ctx) => {
  const bus = requireBus(ctx, input.EventBusName);
  let policy: string;
  if (input.Policy !== undefined) {
    if (input.Action !== undefined || input.Principal !== undefined || input.StatementId !== undefined || input.Condition !== undefined) {
      throw validationError("Policy cannot be specified together with Action, Principal, StatementId or Condition.");
    }
    try {
      parsePolicyDocument(input.Policy, "resource");
    } catch (e) {
      throw validationError(`Policy is not valid: ${(e as Error).message}`);
    }
    policy = input.Policy;
  } else {
    if (!input.Action || !input.Principal || !input.StatementId) throw validationError("Parameter(s) Action, Principal and StatementId must be specified.");
    if (input.Action !== "events:PutEvents") throw validationError(`Provided value in parameter 'action' is not supported.`);
    if (input.Principal !== "*" && !/^\d{12}$/.test(input.Principal)) throw validationError("Parameter Principal is not valid.");
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(input.StatementId)) throw validationError("Parameter StatementId is not valid.");
    const doc: PolicyDoc = bus.policy ? (JSON.parse(bus.policy) as PolicyDoc) : { Version: "2012-10-17", Statement: [] };
    if (doc.Statement.some((s) => s.Sid === input.StatementId)) throw new AwsError("ResourceAlreadyExistsException", "Statement with the provided id already exists.");
    const stmt: Record<string, unknown> = {
      Sid: input.StatementId,
      Effect: "Allow",
      Principal: input.Principal === "*" ? "*" : { AWS: `arn:aws:iam::${input.Principal}:root` },
      Action: "events:PutEvents",
      Resource: bus.arn,
    };
    if (input.Condition) {
      if (input.Condition.Type !== "StringEquals" || input.Condition.Key !== "aws:PrincipalOrgID") throw validationError("Parameter Condition is not valid.");
      stmt.Condition = { StringEquals: { "aws:PrincipalOrgID": input.Condition.Value } };
    }
    doc.Statement.push(stmt);
    policy = JSON.stringify(doc);
  }
  if (Buffer.byteLength(policy) > 10_240) throw new AwsError("PolicyLengthExceededException", "The event bus policy is too long.");
  const store = storeOf(ctx.db, bus.account, bus.region);
  const { account: _a, region: _r, ...doc } = bus;
  store.put("bus", bus.name, { ...doc, policy, modifiedAt: ctx.clock.now() });
  return {};
};

export const RemovePermission: Handler<RemovePermissionRequest, Record<string, never>> = (input, ctx) => {
  const bus = requireBus(ctx, input.EventBusName);
  const store = storeOf(ctx.db, bus.account, bus.region);
  const { account: _a, region: _r, ...doc } = bus;
  if (input.RemoveAllPermissions) {
    if (input.StatementId) throw validationError("StatementId cannot be specified together with RemoveAllPermissions.");
    delete doc.policy;
  } else {
    if (!input.StatementId) throw validationError("Parameter StatementId must be specified.");
    const policy: PolicyDoc | undefined = bus.policy ? (JSON.parse(bus.policy) as PolicyDoc) : undefined;
    if (!policy) throw new AwsError("ResourceNotFoundException", "EventBus does not have a policy.");
    const kept = policy.Statement.filter((s) => s.Sid !== input.StatementId);
    if (kept.length === policy.Statement.length) throw new AwsError("ResourceNotFoundException", "Statement with the provided id does not exist.");
    if (kept.length === 0) delete doc.policy;
    else doc.policy = JSON.stringify({ ...policy, Statement: kept });
  }
  store.put("bus", bus.name, { ...doc, modifiedAt: ctx.clock.now() });
  return {};
};

/**
 * The IAM engine's view of an event bus: PutEvents naming another account's bus (an ARN) is
 * decided by that bus's policy, as are deliveries from a rule to a bus in another account.
 * Everything else is the caller's own account (no resource policy to consult).
 */
export const eventsResourcePolicy: ResourcePolicyHook = (q, rt) => {
  if (q.operation !== "PutEvents") return undefined;
  const entries = (q.input.Entries as Array<{ EventBusName?: string }> | undefined) ?? [];
  const own = q.principal.accountId;
  const named = entries.map((e) => e.EventBusName).find((n) => n?.startsWith("arn:") && n.split(":")[4] !== own) ?? entries[0]?.EventBusName;
  if (!named) return undefined;
  let b: { account: string; region: string; name: string };
  try {
    b = resolveBus({ accountId: own || "000000000000", region: q.region }, named);
  } catch {
    return undefined;
  }
  const bus = storeOf(rt.db, b.account, b.region).get<BusDoc>("bus", b.name);
  if (!bus) return b.account === own ? undefined : { ownerAccountId: b.account, resource: busArn(b.account, b.region, b.name) };
  return { ownerAccountId: b.account, resource: bus.arn, ...(bus.policy ? { policy: bus.policy } : {}), ...(bus.tags.length ? { tags: Object.fromEntries(bus.tags.map((t) => [t.Key, t.Value])) } : {}) };
};
