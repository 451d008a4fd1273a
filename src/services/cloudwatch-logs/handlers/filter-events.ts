// FilterLogEvents: events of a group (all streams, named streams or a name prefix) between
// startTime and endTime that match a filter pattern, interleaved across streams in timestamp
// order (AWS ignores `interleaved` since 2019 and always interleaves), paginated by position.
import type { FilterLogEventsRequest, FilterLogEventsResponse, FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import type { Handler } from "../../../core/service.js";
import { decodeToken, encodeToken, findGroup, invalidParameter, validateLimit } from "../common.js";
import { compilePattern } from "../filter-pattern.js";
import { groupEvents, statements, type StreamRow } from "../store.js";
import { eventId } from "./filters.js";

const RESPONSE_BYTES = 1_048_576;
/** Rows examined per call before answering with a nextToken (AWS also returns early, even with no events). */
const SCAN_BUDGET = 100_000;

export const FilterLogEvents: Handler<FilterLogEventsRequest, FilterLogEventsResponse> = (input, ctx) => {
  const limit = validateLimit(input.limit, 10_000);
  if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
    throw invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
  }
  if (input.logStreamNames !== undefined && (input.logStreamNames.length < 1 || input.logStreamNames.length > 100)) {
    throw invalidParameter(`1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length ${input.logStreamNames.length < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`);
  }
  const g = findGroup(ctx, input);
  const pattern = compilePattern(input.filterPattern);
  // 1. Which streams: all, the named ones (unknown names are simply not found), or a prefix.
  const streams = statements(ctx.db).streamsOfGroup.all(g.id) as StreamRow[];
  const names = new Map(streams.map((s) => [s.id, s.name]));
  let ids: number[] | undefined;
  if (input.logStreamNames) ids = streams.filter((s) => input.logStreamNames!.includes(s.name)).map((s) => s.id);
  else if (input.logStreamNamePrefix !== undefined) ids = streams.filter((s) => s.name.startsWith(input.logStreamNamePrefix!)).map((s) => s.id);
  if (ids && ids.length === 0) return { events: [], searchedLogStreams: [] };
  // 2. Scan in (timestamp, id) order from the token's position.
  const retentionStart = g.retention_days !== null ? ctx.clock.now() - g.retention_days * 86_400_000 : 0;
  const start = Math.max(input.startTime ?? 0, retentionStart);
  const end = input.endTime !== undefined ? input.endTime + 1 : Number.MAX_SAFE_INTEGER;
  const after: [number, number] = input.nextToken ? decodeToken<{ p: [number, number] }>(input.nextToken).p : [0, 0];
  if (!Array.isArray(after) || after.length !== 2) throw invalidParameter("The specified nextToken is invalid.");
  const events: FilteredLogEvent[] = [];
  let bytes = 0;
  let scanned = 0;
  let last: [number, number] | undefined;
  let more = false;
  for (const r of groupEvents(ctx.db, g.id, after, start, end, ids, pattern.required)) {
    if (events.length >= limit || scanned >= SCAN_BUDGET) {
      more = true;
      break;
    }
    scanned++;
    if (pattern.match(r.message)) {
      const size = Buffer.byteLength(r.message) + 26;
      if (bytes + size > RESPONSE_BYTES && events.length > 0) {
        more = true;
        break;
      }
      bytes += size;
      events.push({ logStreamName: names.get(r.stream_id), timestamp: r.ts, message: r.message, ingestionTime: r.ingest, eventId: eventId(r.ts, r.id) });
    }
    last = [r.ts, r.id];
  }
  return {
    events,
    searchedLogStreams: [],
    ...(more && last ? { nextToken: encodeToken({ p: last }) } : {}),
  };
};
