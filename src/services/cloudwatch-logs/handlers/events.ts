// PutLogEvents and GetLogEvents.
// PutLogEvents follows the rules AWS documents since January 2023: events need not be in
// chronological order, the sequence token is accepted and ignored, a batch holds at most
// 10,000 events and 1,048,576 bytes (each event's UTF-8 message plus 26 bytes) and spans at
// most 24 hours; events more than 2 hours in the future, older than 14 days or older than the
// group's retention are not stored but reported in rejectedLogEventsInfo.
import type {
  GetLogEventsRequest,
  GetLogEventsResponse,
  InputLogEvent,
  OutputLogEvent,
  PutLogEventsRequest,
  PutLogEventsResponse,
  RejectedLogEventsInfo,
} from "@aws-sdk/client-cloudwatch-logs";
import { inTransaction } from "../../../core/state/database.js";
import type { Handler } from "../../../core/service.js";
import { findGroup, findGroupByName, findStream, invalidParameter, validateLimit } from "../common.js";
import { statements, streamEventsBackward, streamEventsForward, type EventRow } from "../store.js";
import { uploadSequenceToken } from "./streams.js";
import { afterIngest } from "./filters.js";

const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const MAX_EVENT_BYTES = 1_048_576 - EVENT_OVERHEAD;
const DAY = 86_400_000;
const TOO_NEW_MS = 2 * 3600_000;
const TOO_OLD_MS = 14 * DAY;

export const PutLogEvents: Handler<PutLogEventsRequest, PutLogEventsResponse> = (input, ctx) => {
  const events = input.logEvents ?? [];
  // 1. Batch shape (checked before the group, as AWS validates the request first).
  if (events.length < 1) throw invalidParameter("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (events.length > MAX_EVENTS) throw invalidParameter(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${MAX_EVENTS}`);
  let bytes = 0;
  let lo = Infinity;
  let hi = -Infinity;
  events.forEach((e: InputLogEvent, i) => {
    const msg = e.message ?? "";
    if (msg.length < 1) throw invalidParameter(`1 validation error detected: Value '' at 'logEvents.${i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    const n = Buffer.byteLength(msg, "utf8");
    if (n > MAX_EVENT_BYTES) throw invalidParameter(`Log event too large: ${n} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
    bytes += n + EVENT_OVERHEAD;
    const ts = e.timestamp;
    if (typeof ts !== "number" || !Number.isInteger(ts) || ts < 0) throw invalidParameter(`1 validation error detected: Value '${ts}' at 'logEvents.${i + 1}.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    lo = Math.min(lo, ts);
    hi = Math.max(hi, ts);
  });
  if (bytes > MAX_BATCH_BYTES) throw invalidParameter(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  if (hi - lo > DAY) throw invalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
  const g = findGroupByName(ctx, input.logGroupName!);
  const st = findStream(ctx, g, input.logStreamName!);
  // 2. Events outside the accepted window are reported by index, not stored.
  const now = ctx.clock.now();
  const expiredBefore = g.retention_days !== null ? now - g.retention_days * DAY : -Infinity;
  let tooNew: number | undefined;
  let tooOld: number | undefined;
  let expired: number | undefined;
  events.forEach((e, i) => {
    const ts = e.timestamp!;
    if (ts > now + TOO_NEW_MS) tooNew = tooNew === undefined ? i : Math.min(tooNew, i);
    else if (ts < expiredBefore) expired = Math.max(expired ?? -1, i);
    else if (ts < now - TOO_OLD_MS) tooOld = Math.max(tooOld ?? -1, i);
  });
  const rejected = (i: number) => (tooNew !== undefined && i >= tooNew) || (tooOld !== undefined && i <= tooOld) || (expired !== undefined && i <= expired);
  // 3. Store the rest and the stream's first/last timestamps in one transaction.
  const s = statements(ctx.db);
  const stored: Array<{ id: number; ts: number; message: string }> = [];
  inTransaction(ctx.db, () => {
    let min = Infinity;
    let max = -Infinity;
    events.forEach((e, i) => {
      if (rejected(i)) return;
      const id = Number(s.insertEvent.run(g.id, st.id, e.timestamp, now, e.message).lastInsertRowid);
      stored.push({ id, ts: e.timestamp!, message: e.message! });
      min = Math.min(min, e.timestamp!);
      max = Math.max(max, e.timestamp!);
    });
    if (stored.length > 0) s.touchStream.run(min, min, max, max, now, st.id);
  });
  if (stored.length > 0) afterIngest(ctx, g, st.name, stored);
  const info: RejectedLogEventsInfo = {
    ...(tooNew !== undefined ? { tooNewLogEventStartIndex: tooNew } : {}),
    ...(tooOld !== undefined ? { tooOldLogEventEndIndex: tooOld } : {}),
    ...(expired !== undefined ? { expiredLogEventEndIndex: expired } : {}),
  };
  return {
    nextSequenceToken: uploadSequenceToken({ id: st.id, last_ingest: now }),
    ...(Object.keys(info).length > 0 ? { rejectedLogEventsInfo: info } : {}),
  };
};

// ---- GetLogEvents ----

type Pos = [number, number];
const START: Pos = [0, 0];
const END: Pos = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];

/** Tokens name a position (timestamp, id) and a direction: f/<56 digits>/s, b/<56 digits>/s, as AWS's look. */
function token(dir: "f" | "b", p: Pos): string {
  return `${dir}/${String(p[0]).padStart(20, "0")}${String(p[1]).padStart(36, "0")}/s`;
}

function parseToken(t: string): { dir: "f" | "b"; pos: Pos } {
  const m = /^([fb])\/(\d{20})(\d{36})\/s$/.exec(t);
  if (!m) throw invalidParameter("The specified nextToken is invalid.");
  return { dir: m[1] as "f" | "b", pos: [Number(m[2]), Number(m[3])] };
}

const RESPONSE_BYTES = 1_048_576;

/** Keeps events up to the 1 MB response limit (from the front going forward, the back going backward). */
function capBytes(rows: EventRow[], fromFront: boolean): EventRow[] {
  let n = 0;
  const ordered = fromFront ? rows : [...rows].reverse();
  let k = 0;
  for (; k < ordered.length; k++) {
    n += Buffer.byteLength(ordered[k].message) + EVENT_OVERHEAD;
    if (n > RESPONSE_BYTES && k > 0) break;
  }
  const kept = ordered.slice(0, k);
  return fromFront ? kept : kept.reverse();
}

export const GetLogEvents: Handler<GetLogEventsRequest, GetLogEventsResponse> = (input, ctx) => {
  const limit = validateLimit(input.limit, 10_000);
  const g = findGroup(ctx, input);
  const st = findStream(ctx, g, input.logStreamName!);
  const start = Math.max(input.startTime ?? 0, g.retention_days !== null ? ctx.clock.now() - g.retention_days * DAY : 0);
  const end = input.endTime ?? Number.MAX_SAFE_INTEGER;
  // 1. Where to read from: the token's position and direction, or the head / the tail.
  const from = input.nextToken !== undefined ? parseToken(input.nextToken) : input.startFromHead ? { dir: "f" as const, pos: START } : { dir: "b" as const, pos: END };
  let rows: EventRow[];
  if (from.dir === "f") rows = capBytes(streamEventsForward(ctx.db, g.id, st.id, from.pos, start, end, limit), true);
  else rows = capBytes(streamEventsBackward(ctx.db, g.id, st.id, from.pos, start, end, limit).reverse(), false);
  const events: OutputLogEvent[] = rows.map((r) => ({ timestamp: r.ts, message: r.message, ingestionTime: r.ingest }));
  // 2. Tokens: past the last / before the first event returned; at the end of the stream
  //    (nothing read) the same token comes back, so a poller can keep asking with it.
  if (rows.length === 0) {
    const same = input.nextToken !== undefined ? from.pos : START;
    return { events, nextForwardToken: token("f", same), nextBackwardToken: token("b", same) };
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  return { events, nextForwardToken: token("f", [last.ts, last.id]), nextBackwardToken: token("b", [first.ts, first.id]) };
};
