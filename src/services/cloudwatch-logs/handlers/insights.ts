// CloudWatch Logs Insights: StartQuery runs the query (insights/query.ts) over the events of its
// log groups at once; GetQueryResults, StopQuery and DescribeQueries read the stored outcome.
import type {
  DescribeQueriesRequest,
  DescribeQueriesResponse,
  GetQueryResultsRequest,
  GetQueryResultsResponse,
  QueryStatistics,
  ResultField,
  StartQueryRequest,
  StartQueryResponse,
  StopQueryRequest,
  StopQueryResponse,
} from "@aws-sdk/client-cloudwatch-logs";
import { randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { findGroup, invalidParameter } from "../common.js";
import { parseQuery, runQuery, type Row } from "../insights/query.js";
import { groupEvents, statements, type GroupRow, type StreamRow } from "../store.js";

const KIND = "query";
const MAX_RESULTS = 10_000;

interface StoredQuery {
  queryId: string;
  queryString: string;
  logGroupName: string;
  createTime: number;
  status: "Complete";
  results: ResultField[][];
  statistics: QueryStatistics;
}

/** Insights' timestamp format: "2026-11-22 09:30:00.000". */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

/** Fields Insights discovers: JSON members by dotted path; Lambda's START/END/REPORT values. */
function discover(row: Row, message: string, lambda: boolean): void {
  const s = message.trimStart();
  if (s.startsWith("{")) {
    try {
      const flat = (v: unknown, prefix: string) => {
        if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) flat(x, prefix ? `${prefix}.${k}` : k);
        else if (prefix && row[prefix] === undefined) row[prefix] = v;
      };
      flat(JSON.parse(s), "");
    } catch {
      // Not JSON after all.
    }
  }
  if (!lambda) return;
  const m = /^(START|END|REPORT) RequestId: ([0-9a-f-]{36})/.exec(message);
  if (!m) return;
  row["@type"] = m[1];
  row["@requestId"] = m[2];
  if (m[1] !== "REPORT") return;
  const field = (re: RegExp) => {
    const x = re.exec(message);
    return x ? Number(x[1]) : undefined;
  };
  row["@duration"] = field(/\tDuration: ([\d.]+) ms/);
  row["@billedDuration"] = field(/Billed Duration: ([\d.]+) ms/);
  row["@memorySize"] = (field(/Memory Size: (\d+) MB/) ?? 0) * 1_000_000;
  row["@maxMemoryUsed"] = (field(/Max Memory Used: (\d+) MB/) ?? 0) * 1_000_000;
  const init = field(/Init Duration: ([\d.]+) ms/);
  if (init !== undefined) row["@initDuration"] = init;
}

function* rowsOf(ctx: RequestContext, groups: GroupRow[], start: number, end: number): Generator<Row> {
  for (const g of groups) {
    const streams = new Map((statements(ctx.db).streamsOfGroup.all(g.id) as StreamRow[]).map((s) => [s.id, s.name]));
    const lambda = g.name.startsWith("/aws/lambda/");
    for (const e of groupEvents(ctx.db, g.id, [0, 0], start, end)) {
      const row: Row = {
        "@timestamp": e.ts,
        "@message": e.message,
        "@logStream": streams.get(e.stream_id),
        "@log": `${g.account}:${g.name}`,
        "@ingestionTime": e.ingest,
        "@ptr": Buffer.from(`${g.id}:${e.id}`).toString("base64"),
      };
      discover(row, e.message, lambda);
      yield row;
    }
  }
}

export const StartQuery: Handler<StartQueryRequest, StartQueryResponse> = (input, ctx) => {
  const given = [input.logGroupName, input.logGroupNames, input.logGroupIdentifiers].filter((x) => x !== undefined).length;
  if (given !== 1) throw invalidParameter("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.");
  const names = input.logGroupName !== undefined ? [input.logGroupName] : (input.logGroupNames ?? input.logGroupIdentifiers)!;
  if (names.length < 1 || names.length > 50) throw invalidParameter("Between 1 and 50 log groups can be queried at once.");
  const groups = names.map((n) => (input.logGroupIdentifiers ? findGroup(ctx, { logGroupIdentifier: n }) : findGroup(ctx, { logGroupName: n })));
  if (input.startTime === undefined || input.endTime === undefined) throw invalidParameter("startTime and endTime are required.");
  if (input.endTime < input.startTime) throw invalidParameter("End time should not be before the start time");
  const limit = input.limit ?? MAX_RESULTS;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS) throw invalidParameter(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_RESULTS}`);
  const stages = parseQuery(input.queryString ?? "");
  // Seconds, both ends inclusive.
  const out = runQuery(stages, rowsOf(ctx, groups, input.startTime * 1000, input.endTime * 1000 + 1000), limit);
  const results = out.rows.map((r) =>
    Object.entries(r).map(([field, v]) => ({ field, value: field === "@timestamp" || field === "@ingestionTime" || field.startsWith("bin(") ? stamp(Number(v)) : typeof v === "string" ? v : JSON.stringify(v) })),
  );
  const bytes = out.scanned * 100;
  const q: StoredQuery = {
    queryId: randomUUID(),
    queryString: input.queryString ?? "",
    logGroupName: groups[0].name,
    createTime: ctx.clock.now(),
    status: "Complete",
    results,
    statistics: { recordsMatched: out.matched, recordsScanned: out.scanned, bytesScanned: bytes },
  };
  ctx.store.put(KIND, q.queryId, q);
  return { queryId: q.queryId };
};

function load(ctx: RequestContext, id: string | undefined): StoredQuery {
  const q = id ? ctx.store.get<StoredQuery>(KIND, id) : undefined;
  if (!q) throw new AwsError("ResourceNotFoundException", "The specified query could not be found.");
  return q;
}

export const GetQueryResults: Handler<GetQueryResultsRequest, GetQueryResultsResponse> = (input, ctx) => {
  const q = load(ctx, input.queryId);
  return { queryLanguage: "CWLI", results: q.results, statistics: q.statistics, status: q.status };
};

/** Queries finish inside StartQuery, so there is never one to stop. */
export const StopQuery: Handler<StopQueryRequest, StopQueryResponse> = (input, ctx) => {
  load(ctx, input.queryId);
  return { success: false };
};

export const DescribeQueries: Handler<DescribeQueriesRequest, DescribeQueriesResponse> = (input, ctx) => {
  const max = input.maxResults ?? 1000;
  const all = ctx.store
    .list<StoredQuery>(KIND)
    .map((r) => r.doc)
    .filter((q) => (input.logGroupName === undefined || q.logGroupName === input.logGroupName) && (input.status === undefined || q.status === input.status))
    .sort((a, b) => b.createTime - a.createTime);
  return { queries: all.slice(0, max).map((q) => ({ queryLanguage: "CWLI", queryId: q.queryId, queryString: q.queryString, status: q.status, createTime: q.createTime, logGroupName: q.logGroupName })) };
};
