// Asynchronous invocation (InvocationType Event): the event is committed to the lambda_async
// table before the 202, then run by a dispatcher as on AWS (developer guide, "Asynchronous
// invocation"):
//  1. the event runs on the function's pool (the version resolved when it runs);
//  2. on a function error it is retried up to MaximumRetryAttempts (default 2) times, one
//     minute then two minutes after the failed attempt started (Nimbus clock); a throttle is retried a second later;
//  3. an event older than MaximumEventAgeInSeconds (default 6 hours) is discarded;
//  4. the outcome goes to the OnSuccess / OnFailure destination (SQS, SNS, Lambda) as AWS's
//     invocation record, and a discarded event to the function's DeadLetterConfig (SQS, SNS)
//     with AWS's RequestID / ErrorCode / ErrorMessage attributes;
//  5. the row is deleted once all of that is done (at least once, as on AWS: a restart
//     resumes every row still in the table).
import { workerPerDatabase, type BackgroundWorker } from "../../core/clock/background-worker.js";
import { perDatabase, type Db, type Migration } from "../../core/state/database.js";
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import { AwsError } from "../../core/errors.js";
import { resolveTarget, storeOf, type FunctionRef, type StoredFunction } from "./lookup.js";
import { pickVersion } from "./aliases.js";
import { ensureCode, run, type ExecContext } from "./invoke.js";
import { eventConfigKey, type StoredEventInvokeConfig } from "./event-invoke-config.js";

export const asyncMigrations: Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE lambda_async (
        id         TEXT PRIMARY KEY,
        account    TEXT NOT NULL,
        region     TEXT NOT NULL,
        name       TEXT NOT NULL,
        qualifier  TEXT,
        payload    BLOB NOT NULL,
        endpoint   TEXT NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        first_at   INTEGER NOT NULL,
        next_at    INTEGER NOT NULL
      );
      CREATE INDEX lambda_async_due ON lambda_async (next_at);
    `);
  },
];

interface Row {
  id: string;
  account: string;
  region: string;
  name: string;
  qualifier: string | null;
  payload: Buffer;
  endpoint: string;
  attempts: number;
  first_at: number;
  next_at: number;
}

const RETRY_DELAYS_MS = [60_000, 120_000];
const THROTTLE_DELAY_MS = 1000;
const DEFAULT_RETRIES = 2;
const DEFAULT_AGE_S = 21_600;

/** The dispatcher's statements, and the events running now (a pass starts each due event once). */
const state = perDatabase((db: Db) => ({
  inFlight: new Set<string>(),
  insert: db.prepare("INSERT INTO lambda_async (id, account, region, name, qualifier, payload, endpoint, attempts, first_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"),
  due: db.prepare("SELECT * FROM lambda_async WHERE next_at <= ? ORDER BY next_at LIMIT 200"),
  next: db.prepare("SELECT min(next_at) AS t FROM lambda_async WHERE next_at > ?"),
  retry: db.prepare("UPDATE lambda_async SET attempts = ?, next_at = ? WHERE id = ?"),
  delete: db.prepare("DELETE FROM lambda_async WHERE id = ?"),
}));

/**
 * The dispatcher, on the chassis background worker: a pass starts every due event not already
 * running and answers when the next one is due. The events run concurrently, outside the pass
 * (an invocation can take minutes; a pass that awaited them would hold back newer events), and
 * each one kicks the worker when it ends, so a retry it scheduled or a row it freed is seen.
 * A retry is a minute or two away and the clock is wall time plus the advanced offset, so the
 * worker may sleep up to a minute; a clock advance wakes it at once.
 */
const dispatcher = workerPerDatabase<ServiceRuntime>({
  name: "lambda async invoke",
  maxSleepMs: 60_000,
  run(rt, worker) {
    const st = state(rt.db);
    const now = rt.clock.now();
    for (const row of st.due.all(now) as Row[]) {
      if (st.inFlight.has(row.id)) continue;
      st.inFlight.add(row.id);
      void runEvent(rt, row, worker)
        .catch(() => undefined)
        .finally(() => {
          st.inFlight.delete(row.id);
          worker.kick();
        });
    }
    return (st.next.get(now) as { t: number | null }).t ?? undefined;
  },
});

function ctxFor(rt: ServiceRuntime, row: Row): ExecContext & { accountId: string; store: RequestContext["store"] } {
  return { db: rt.db, blobs: rt.blobs, clock: rt.clock, client: rt.client, region: row.region, endpoint: row.endpoint, accountId: row.account, store: rt.store(`${row.account}/${row.region}`) };
}

async function runEvent(rt: ServiceRuntime, row: Row, worker: BackgroundWorker): Promise<void> {
  const st = state(rt.db);
  const ctx = ctxFor(rt, row);
  const ref: FunctionRef = { account: row.account, region: row.region, name: row.name, ...(row.qualifier !== null ? { qualifier: row.qualifier } : {}), store: storeOf(ctx, row.account) };
  // 1. The function (or its version/alias) may be gone: the event goes with it.
  let target: { doc: StoredFunction; version: string };
  try {
    target = resolveTarget(ref, (a) => pickVersion(a));
  } catch {
    st.delete.run(row.id);
    return;
  }
  const config = ref.store.get<StoredEventInvokeConfig>("event-invoke-config", eventConfigKey(ref.name, ref.qualifier ?? "$LATEST"));
  const maxRetries = config?.MaximumRetryAttempts ?? DEFAULT_RETRIES;
  const maxAgeMs = (config?.MaximumEventAgeInSeconds ?? DEFAULT_AGE_S) * 1000;
  const now = rt.clock.now();
  // 3. Too old: discarded.
  if (now - row.first_at > maxAgeMs) {
    await outcome(rt, ctx, row, target, config, { condition: "EventAgeExceeded" });
    return;
  }
  // 1. Run it.
  let result: Awaited<ReturnType<typeof run>>;
  try {
    await ensureCode(ctx, target.doc);
    result = await run(ctx, target.doc, row.payload, target.version, row.id);
  } catch (e) {
    // Nimbus stopping killed the attempt: not the function's failure; the row stays as it was
    // and the event runs again at the next start (at least once).
    if (worker.stopped) return;
    // A throttle (every worker busy, queue full) or a system error: try again shortly.
    if (!(e instanceof AwsError) || e.code === "TooManyRequestsException") {
      st.retry.run(row.attempts, rt.clock.now() + THROTTLE_DELAY_MS, row.id);
      return;
    }
    await outcome(rt, ctx, row, target, config, { condition: "RetriesExhausted", error: e.message, errorType: e.code });
    return;
  }
  // Nimbus stopping killed the function's worker mid-run (Runtime.ExitError, signal: killed):
  // as above, not an attempt. A result the function gave before it was killed still counts.
  if (worker.stopped && result.functionError && killedRun(result.payload)) return;
  const attempts = row.attempts + 1;
  if (!result.functionError) {
    await outcome(rt, ctx, row, target, config, { condition: "Success", attempts, response: result.payload });
    return;
  }
  // 2. A function error: retry after the backoff (counted from the attempt's start), or give up.
  if (attempts <= maxRetries) {
    st.retry.run(attempts, now + RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)], row.id);
    return;
  }
  await outcome(rt, ctx, row, target, config, { condition: "RetriesExhausted", attempts, response: result.payload, functionError: result.functionError });
}

/** 4 and 5: the destination record, or the dead-letter message, then the row goes. */
async function outcome(rt: ServiceRuntime, ctx: ExecContext, row: Row, target: { doc: StoredFunction; version: string }, config: StoredEventInvokeConfig | undefined, o: { condition: "Success" | "RetriesExhausted" | "EventAgeExceeded"; attempts?: number; response?: Buffer; functionError?: string; error?: string; errorType?: string }): Promise<void> {
  const success = o.condition === "Success";
  const destination = success ? config?.DestinationConfig?.OnSuccess?.Destination : config?.DestinationConfig?.OnFailure?.Destination;
  const c = target.doc.configuration;
  const unqualified = c.FunctionArn!.split(":").slice(0, 7).join(":");
  try {
    if (destination) {
      const record = {
        version: "1.0",
        timestamp: new Date(rt.clock.now()).toISOString(),
        requestContext: { requestId: row.id, functionArn: `${unqualified}:${row.qualifier ?? "$LATEST"}`, condition: o.condition, approximateInvokeCount: o.attempts ?? row.attempts },
        requestPayload: parseJson(row.payload),
        ...(o.response !== undefined ? { responseContext: { statusCode: 200, executedVersion: target.version, ...(o.functionError ? { functionError: o.functionError } : {}) }, responsePayload: parseJson(o.response) } : {}),
      };
      await deliver(ctx, row, destination, JSON.stringify(record));
    } else if (!success && c.DeadLetterConfig?.TargetArn) {
      const error = o.response ? (parseJson(o.response) as { errorMessage?: string } | null)?.errorMessage : o.error;
      await deadLetter(ctx, row, c.DeadLetterConfig.TargetArn, error ?? o.condition);
    }
  } catch {
    // TODO(parity): AWS retries a failing destination delivery; the record is dropped here.
  }
  state(rt.db).delete.run(row.id);
}

/** Whether a function error is the runtime's answer for a worker killed mid-invocation. */
function killedRun(payload: Buffer): boolean {
  const e = parseJson(payload) as { errorType?: string; errorMessage?: string } | null;
  return e?.errorType === "Runtime.ExitError" && !!e.errorMessage?.endsWith("signal: killed");
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString("utf8"));
  } catch {
    return b.toString("utf8");
  }
}

function queueUrl(endpoint: string, arn: string): string {
  const [, , , , account, name] = arn.split(":");
  return `${endpoint}/${account}/${name}`;
}

/** Sends a destination record where its ARN points, in the function's account. */
async function deliver(ctx: ExecContext, row: Row, arn: string, body: string): Promise<void> {
  const as = { accountId: row.account, region: arn.split(":")[3] || row.region };
  const service = arn.split(":")[2];
  if (service === "sqs") await ctx.client.call("sqs", "SendMessage", { QueueUrl: queueUrl(row.endpoint, arn), MessageBody: body }, as);
  else if (service === "sns") await ctx.client.call("sns", "Publish", { TopicArn: arn, Message: body }, as);
  else if (service === "lambda") await ctx.client.call("lambda", "Invoke", { FunctionName: arn, InvocationType: "Event", Payload: Buffer.from(body) }, as);
  else if (service === "events") await ctx.client.call("eventbridge", "PutEvents", { Entries: [{ Source: "lambda", DetailType: "Lambda Function Invocation Result", Detail: body, EventBusName: arn }] }, as);
}

/** The original event to the dead-letter queue or topic, with AWS's three attributes. */
async function deadLetter(ctx: ExecContext, row: Row, arn: string, message: string): Promise<void> {
  const as = { accountId: row.account, region: arn.split(":")[3] || row.region };
  const attrs = {
    RequestID: { DataType: "String", StringValue: row.id },
    ErrorCode: { DataType: "Number", StringValue: "200" },
    ErrorMessage: { DataType: "String", StringValue: message.slice(0, 1024) },
  };
  if (arn.split(":")[2] === "sqs") await ctx.client.call("sqs", "SendMessage", { QueueUrl: queueUrl(row.endpoint, arn), MessageBody: row.payload.toString("utf8"), MessageAttributes: attrs }, as);
  else await ctx.client.call("sns", "Publish", { TopicArn: arn, Message: row.payload.toString("utf8"), MessageAttributes: attrs }, as);
}

/** Starts the dispatcher: its first pass runs the events a previous run left. */
export function openAsync(rt: ServiceRuntime): void {
  dispatcher.start(rt);
}

export function closeAsync(db?: Db): void {
  dispatcher.stop(db);
}

/** Commits an Event invocation (the caller answers 202 after this returns). */
export function enqueue(ctx: RequestContext, ref: FunctionRef, payload: Buffer): void {
  const w = dispatcher.get(ctx.db);
  if (!w || w.stopped) throw new Error("lambda async dispatcher not started");
  const now = ctx.clock.now();
  state(ctx.db).insert.run(ctx.requestId, ref.account, ref.region, ref.name, ref.qualifier ?? null, payload, ctx.endpoint, now, now);
  // The pass runs on a later tick, after the request's transaction (if any) has committed.
  w.kick();
}
