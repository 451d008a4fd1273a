// What every CloudWatch Logs handler shares: AWS's error wording, name rules, finding a log
// group (by name or identifier) and stream, ARNs and page tokens.
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import { statements, type GroupRow, type StreamRow } from "./store.js";

export const invalidParameter = (m: string) => new AwsError("InvalidParameterException", m);
export const groupNotFound = () => new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
export const streamNotFound = () => new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");

function constraint(value: unknown, field: string, what: string): AwsError {
  return invalidParameter(`1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${what}`);
}

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME = /^[^:*]*$/;

export function validateGroupName(name: string, field = "logGroupName"): void {
  if (name.length < 1) throw constraint(name, field, "Member must have length greater than or equal to 1");
  if (name.length > 512) throw constraint(name, field, "Member must have length less than or equal to 512");
  if (!GROUP_NAME.test(name)) throw constraint(name, field, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
}

export function validateStreamName(name: string): void {
  if (name.length < 1) throw constraint(name, "logStreamName", "Member must have length greater than or equal to 1");
  if (name.length > 512) throw constraint(name, "logStreamName", "Member must have length less than or equal to 512");
  if (!STREAM_NAME.test(name)) throw constraint(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*");
}

export function validateLimit(limit: number | undefined, max: number, field = "limit"): number {
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1) throw constraint(limit, field, "Member must have value greater than or equal to 1");
  if (limit > max) throw constraint(limit, field, `Member must have value less than or equal to ${max}`);
  return limit;
}

export function groupArn(ctx: { region: string; accountId: string }, name: string): string {
  return `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;
}

/** The group a request names by logGroupName or logGroupIdentifier (a name or an ARN). */
export function findGroup(ctx: RequestContext, input: { logGroupName?: string; logGroupIdentifier?: string }, required = true): GroupRow {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    throw invalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  }
  let name = input.logGroupName;
  let account = ctx.accountId;
  if (input.logGroupIdentifier !== undefined) {
    const m = /^arn:aws[\w-]*:logs:[^:]*:(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(input.logGroupIdentifier);
    if (m) [account, name] = [m[1], m[2]];
    else name = input.logGroupIdentifier;
  }
  if (name === undefined) {
    if (!required) throw groupNotFound();
    throw invalidParameter("Should provide either logGroupName or logGroupIdentifier.");
  }
  const row = statements(ctx.db).groupByName.get(account, ctx.region, name) as GroupRow | undefined;
  if (!row) throw groupNotFound();
  return row;
}

export function findGroupByName(ctx: RequestContext, name: string): GroupRow {
  const row = statements(ctx.db).groupByName.get(ctx.accountId, ctx.region, name) as GroupRow | undefined;
  if (!row) throw groupNotFound();
  return row;
}

export function findStream(ctx: RequestContext, group: GroupRow, name: string): StreamRow {
  const row = statements(ctx.db).streamByName.get(group.id, name) as StreamRow | undefined;
  if (!row) throw streamNotFound();
  return row;
}

export function encodeToken(doc: unknown): string {
  return Buffer.from(JSON.stringify(doc)).toString("base64url");
}

export function decodeToken<T>(token: string): T {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    throw invalidParameter("The specified nextToken is invalid.");
  }
}

/** AWS's retention values (PutRetentionPolicy). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function validateRetention(days: number | undefined): number {
  if (days === undefined || !RETENTION_DAYS.includes(days)) {
    throw constraint(days, "retentionInDays", `Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`);
  }
  return days;
}
