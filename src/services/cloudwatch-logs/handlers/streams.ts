// Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams (by name or by last event
// time, ascending or descending, paginated).
import type {
  CreateLogStreamRequest,
  DeleteLogStreamRequest,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  LogStream,
} from "@aws-sdk/client-cloudwatch-logs";
import { AwsError } from "../../../core/errors.js";
import { inTransaction } from "../../../core/state/database.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { decodeToken, encodeToken, findGroup, findGroupByName, findStream, groupArn, invalidParameter, validateLimit, validateStreamName } from "../common.js";
import { statements, type GroupRow, type StreamRow } from "../store.js";

export const CreateLogStream: Handler<CreateLogStreamRequest, Record<string, never>> = (input, ctx) => {
  const name = input.logStreamName!;
  validateStreamName(name);
  const g = findGroupByName(ctx, input.logGroupName!);
  createStream(ctx, g, name);
  return {};
};

export function createStream(ctx: RequestContext, g: GroupRow, name: string): void {
  const s = statements(ctx.db);
  if (s.streamByName.get(g.id, name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log stream already exists");
  s.insertStream.run(g.id, name, ctx.clock.now());
}

export const DeleteLogStream: Handler<DeleteLogStreamRequest, Record<string, never>> = (input, ctx) => {
  const g = findGroupByName(ctx, input.logGroupName!);
  const st = findStream(ctx, g, input.logStreamName!);
  const s = statements(ctx.db);
  inTransaction(ctx.db, () => {
    s.deleteStreamEvents.run(g.id, st.id);
    s.deleteStream.run(st.id);
  });
  return {};
};

function describeStream(ctx: RequestContext, g: GroupRow, st: StreamRow): LogStream {
  return {
    logStreamName: st.name,
    creationTime: st.created_at,
    ...(st.first_ts !== null ? { firstEventTimestamp: st.first_ts, lastEventTimestamp: st.last_ts!, lastIngestionTime: st.last_ingest! } : {}),
    uploadSequenceToken: uploadSequenceToken(st),
    arn: `${groupArn(ctx, g.name)}:log-stream:${st.name}`,
    storedBytes: 0,
  };
}

/** AWS still hands out sequence tokens (and ignores them): a 56-digit number that grows with each upload. */
export function uploadSequenceToken(st: { id: number; last_ingest: number | null }): string {
  return `49${String(st.id).padStart(20, "0")}${String(st.last_ingest ?? 0).padStart(34, "0")}`;
}

export const DescribeLogStreams: Handler<DescribeLogStreamsRequest, DescribeLogStreamsResponse> = (input, ctx) => {
  const limit = validateLimit(input.limit, 50);
  const g = findGroup(ctx, input);
  const orderBy = input.orderBy ?? "LogStreamName";
  if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") {
    throw invalidParameter(`1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
  }
  const prefix = input.logStreamNamePrefix;
  if (prefix !== undefined && orderBy === "LastEventTime") throw invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
  let rows = (statements(ctx.db).streamsOfGroup.all(g.id) as StreamRow[]).filter((s) => prefix === undefined || s.name.startsWith(prefix));
  // 1. Order: by name (binary), or by the last event's timestamp (streams without events first), name breaking ties.
  const byName = (a: StreamRow, b: StreamRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  rows.sort(orderBy === "LogStreamName" ? byName : (a, b) => (a.last_ts ?? -1) - (b.last_ts ?? -1) || byName(a, b));
  if (input.descending) rows.reverse();
  // 2. Page: the token is the offset into that order (AWS's tokens are opaque too).
  const offset = input.nextToken ? decodeToken<{ o: number }>(input.nextToken).o : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidParameter("The specified nextToken is invalid.");
  rows = rows.slice(offset);
  const page = rows.slice(0, limit);
  return {
    logStreams: page.map((st) => describeStream(ctx, g, st)),
    ...(rows.length > limit ? { nextToken: encodeToken({ o: offset + limit }) } : {}),
  };
};
