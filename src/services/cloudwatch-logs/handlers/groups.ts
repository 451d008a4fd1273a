// Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, retention, KMS key and tags
// (TagResource / UntagResource / ListTagsForResource and the older TagLogGroup family).
import type {
  CreateLogGroupRequest,
  DeleteLogGroupRequest,
  DeleteRetentionPolicyRequest,
  DescribeLogGroupsRequest,
  DescribeLogGroupsResponse,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  ListTagsLogGroupRequest,
  ListTagsLogGroupResponse,
  LogGroup,
  PutRetentionPolicyRequest,
  TagLogGroupRequest,
  TagResourceRequest,
  UntagLogGroupRequest,
  UntagResourceRequest,
  AssociateKmsKeyRequest,
  DisassociateKmsKeyRequest,
} from "@aws-sdk/client-cloudwatch-logs";
import { AwsError } from "../../../core/errors.js";
import { inTransaction } from "../../../core/state/database.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { decodeToken, encodeToken, findGroup, findGroupByName, groupArn, invalidParameter, validateGroupName, validateLimit, validateRetention } from "../common.js";
import { deleteGroupCascade, expireEvents, statements, type GroupRow } from "../store.js";

const CLASSES = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];
const MAX_TAGS = 50;

function validateTags(tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128 || k.startsWith("aws:")) throw invalidParameter(`Invalid tag key: ${k}`);
    if (v.length > 256) throw invalidParameter(`Invalid tag value for key: ${k}`);
  }
  if (Object.keys(tags).length > MAX_TAGS) throw new AwsError("TooManyTagsException", "A resource can have no more than 50 tags.", undefined, { fields: { resourceName: "" } });
}

export const CreateLogGroup: Handler<CreateLogGroupRequest, Record<string, never>> = (input, ctx) => {
  const name = input.logGroupName!;
  validateGroupName(name);
  const cls = input.logGroupClass ?? "STANDARD";
  if (!CLASSES.includes(cls)) throw invalidParameter(`1 validation error detected: Value '${cls}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [${CLASSES.join(", ")}]`);
  const tags = input.tags ?? {};
  validateTags(tags);
  const s = statements(ctx.db);
  if (s.groupByName.get(ctx.accountId, ctx.region, name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
  s.insertGroup.run(ctx.accountId, ctx.region, name, ctx.clock.now(), input.kmsKeyId ?? null, cls, JSON.stringify(tags));
  return {};
};

export const DeleteLogGroup: Handler<DeleteLogGroupRequest, Record<string, never>> = (input, ctx) => {
  const g = findGroupByName(ctx, input.logGroupName!);
  deleteGroupCascade(ctx.db, g.id);
  return {};
};

export function describeGroup(ctx: RequestContext, g: GroupRow): LogGroup {
  const s = statements(ctx.db);
  const arn = groupArn(ctx, g.name);
  return {
    logGroupName: g.name,
    creationTime: g.created_at,
    ...(g.retention_days !== null ? { retentionInDays: g.retention_days } : {}),
    metricFilterCount: (s.countFilters.get(g.id, "metric") as { n: number }).n,
    arn: `${arn}:*`,
    storedBytes: (s.storedBytes.get(g.id) as { n: number }).n,
    ...(g.kms_key_id ? { kmsKeyId: g.kms_key_id } : {}),
    logGroupClass: g.class as LogGroup["logGroupClass"],
    logGroupArn: arn,
  };
}

export const DescribeLogGroups: Handler<DescribeLogGroupsRequest, DescribeLogGroupsResponse> = (input, ctx) => {
  const limit = validateLimit(input.limit, 50);
  if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
    throw invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
  }
  const prefix = input.logGroupNamePrefix ?? "";
  if (prefix) validateGroupName(prefix, "logGroupNamePrefix");
  const pattern = input.logGroupNamePattern?.toLowerCase();
  const classFilter = input.logGroupClass;
  const after = input.nextToken ? decodeToken<{ after: string }>(input.nextToken).after : "";
  const out: LogGroup[] = [];
  let cursor = after;
  let more = false;
  // Read in chunks from the (account, region, name) index: a pattern or class filter may skip many.
  for (;;) {
    const rows = statements(ctx.db).groupsAfter.all(ctx.accountId, ctx.region, cursor, prefix, `${prefix}\uffff`, 200) as GroupRow[];
    for (const g of rows) {
      cursor = g.name;
      if (pattern !== undefined && !g.name.toLowerCase().includes(pattern)) continue;
      if (classFilter !== undefined && g.class !== classFilter) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      out.push(describeGroup(ctx, g));
    }
    if (more || rows.length < 200) break;
  }
  return { logGroups: out, ...(more ? { nextToken: encodeToken({ after: out[out.length - 1].logGroupName }) } : {}) };
};

export const PutRetentionPolicy: Handler<PutRetentionPolicyRequest, Record<string, never>> = (input, ctx) => {
  const days = validateRetention(input.retentionInDays);
  const g = findGroupByName(ctx, input.logGroupName!);
  inTransaction(ctx.db, () => {
    statements(ctx.db).setRetention.run(days, g.id);
    expireEvents(ctx.db, ctx.clock.now());
  });
  return {};
};

export const DeleteRetentionPolicy: Handler<DeleteRetentionPolicyRequest, Record<string, never>> = (input, ctx) => {
  const g = findGroupByName(ctx, input.logGroupName!);
  statements(ctx.db).setRetention.run(null, g.id);
  return {};
};

export const AssociateKmsKey: Handler<AssociateKmsKeyRequest, Record<string, never>> = (input, ctx) => {
  if (!input.logGroupName) throw invalidParameter("Should provide logGroupName.");
  const g = findGroupByName(ctx, input.logGroupName);
  statements(ctx.db).setKms.run(input.kmsKeyId, g.id);
  return {};
};

export const DisassociateKmsKey: Handler<DisassociateKmsKeyRequest, Record<string, never>> = (input, ctx) => {
  if (!input.logGroupName) throw invalidParameter("Should provide logGroupName.");
  const g = findGroupByName(ctx, input.logGroupName);
  statements(ctx.db).setKms.run(null, g.id);
  return {};
};

// ---- tags ----

function groupOfArn(ctx: RequestContext, arn: string): GroupRow {
  const m = /^arn:aws[\w-]*:logs:([^:]*):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(arn);
  if (!m) throw invalidParameter(`Invalid resource ARN: ${arn}`);
  if (m[1] !== ctx.region || m[2] !== ctx.accountId) throw new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
  return findGroup(ctx, { logGroupName: m[3] });
}

function changeTags(ctx: RequestContext, g: GroupRow, change: (tags: Record<string, string>) => void): void {
  const tags = JSON.parse(g.tags) as Record<string, string>;
  change(tags);
  validateTags(tags);
  statements(ctx.db).setTags.run(JSON.stringify(tags), g.id);
}

export const TagResource: Handler<TagResourceRequest, Record<string, never>> = (input, ctx) => {
  changeTags(ctx, groupOfArn(ctx, input.resourceArn!), (t) => Object.assign(t, input.tags));
  return {};
};

export const UntagResource: Handler<UntagResourceRequest, Record<string, never>> = (input, ctx) => {
  changeTags(ctx, groupOfArn(ctx, input.resourceArn!), (t) => {
    for (const k of input.tagKeys ?? []) delete t[k];
  });
  return {};
};

export const ListTagsForResource: Handler<ListTagsForResourceRequest, ListTagsForResourceResponse> = (input, ctx) => ({
  tags: JSON.parse(groupOfArn(ctx, input.resourceArn!).tags) as Record<string, string>,
});

export const TagLogGroup: Handler<TagLogGroupRequest, Record<string, never>> = (input, ctx) => {
  changeTags(ctx, findGroupByName(ctx, input.logGroupName!), (t) => Object.assign(t, input.tags));
  return {};
};

export const UntagLogGroup: Handler<UntagLogGroupRequest, Record<string, never>> = (input, ctx) => {
  changeTags(ctx, findGroupByName(ctx, input.logGroupName!), (t) => {
    for (const k of input.tags ?? []) delete t[k];
  });
  return {};
};

export const ListTagsLogGroup: Handler<ListTagsLogGroupRequest, ListTagsLogGroupResponse> = (input, ctx) => ({
  tags: JSON.parse(findGroupByName(ctx, input.logGroupName!).tags) as Record<string, string>,
});
