// Every invocation's logs go to CloudWatch Logs, as the Lambda service writes them: START,
// the function's own lines (node's console lines already carry "time\trequestId\tLEVEL\t";
// python's prints are raw), END and REPORT, into the log group /aws/lambda/<name> and the
// worker's stream YYYY/MM/DD/[version]<32 hex>. The group and stream are created on first
// write (AWS does that when the role allows logs:CreateLogGroup; Nimbus always does).
// Writes are batched per stream and made off the invocation's path: an invocation only
// appends to a buffer.
import { randomUUID } from "node:crypto";
import type { FunctionConfiguration } from "@aws-sdk/client-lambda";
import type { InProcessClient } from "../../core/service.js";
import type { Clock } from "../../core/clock/clock.js";
import type { InvokeResult } from "./workers.js";

interface LogEvent {
  timestamp: number;
  message: string;
}

interface Buffered {
  account: string;
  region: string;
  group: string;
  stream: string;
  events: LogEvent[];
  flushing: boolean;
}

/** AWS truncates a log line at 256 KB. */
const MAX_LINE = 262_144;
/**
 * How long lines wait to be written together: one commit (one fsync, which blocks the event loop
 * for milliseconds on this VM's disk) per stream per interval. CloudWatch Logs shows Lambda's
 * lines seconds after they are written; a second here keeps busy functions off the fsync path.
 */
const FLUSH_DELAY_MS = 1000;
/** A buffer this full is written at once. */
const FLUSH_EVENTS = 5000;
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_000_000;
const NODE_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\t/;

/** One log writer per in-process client (a Nimbus instance); several may share a process (tests). */
const writers = new WeakMap<InProcessClient, LogWriter>();

class LogWriter {
  private readonly buffers = new Map<string, Buffered>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly client: InProcessClient) {}

  add(account: string, region: string, group: string, stream: string, events: LogEvent[]): void {
    const key = `${account}\0${region}\0${group}\0${stream}`;
    let b = this.buffers.get(key);
    if (!b) this.buffers.set(key, (b = { account, region, group, stream, events: [], flushing: false }));
    b.events.push(...events);
    if (b.events.length >= FLUSH_EVENTS) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  private flush(): void {
    this.timer = undefined;
    for (const [key, b] of this.buffers) {
      if (b.flushing) continue;
      if (b.events.length === 0) {
        this.buffers.delete(key);
        continue;
      }
      b.flushing = true;
      void this.write(b).finally(() => {
        b.flushing = false;
        if (b.events.length > 0) this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
      });
    }
  }

  /** Writes a stream's buffered events in PutLogEvents-sized batches, creating group and stream when missing. */
  private async write(b: Buffered): Promise<void> {
    const as = { accountId: b.account, region: b.region };
    while (b.events.length > 0) {
      let n = 0;
      let bytes = 0;
      const first = b.events[0].timestamp;
      while (n < b.events.length && n < MAX_BATCH_EVENTS) {
        const e = b.events[n];
        const size = Buffer.byteLength(e.message) + 26;
        if ((bytes + size > MAX_BATCH_BYTES || Math.abs(e.timestamp - first) > 86_000_000) && n > 0) break;
        bytes += size;
        n++;
      }
      const batch = b.events.splice(0, n);
      const put = () => this.client.call("cloudwatch-logs", "PutLogEvents", { logGroupName: b.group, logStreamName: b.stream, logEvents: batch }, as);
      try {
        await put();
      } catch (e) {
        if ((e as { code?: string }).code !== "ResourceNotFoundException") continue;
        await this.client.call("cloudwatch-logs", "CreateLogGroup", { logGroupName: b.group }, as).catch(() => undefined);
        await this.client.call("cloudwatch-logs", "CreateLogStream", { logGroupName: b.group, logStreamName: b.stream }, as).catch(() => undefined);
        await put().catch(() => undefined);
      }
    }
  }
}

function writerFor(client: InProcessClient): LogWriter {
  let w = writers.get(client);
  if (!w) writers.set(client, (w = new LogWriter(client)));
  return w;
}

/** A stream name of AWS's shape, for an invocation whose worker never started. */
export function logStreamName(now: number, version: string): string {
  return `${new Date(now).toISOString().slice(0, 10).replace(/-/g, "/")}/[${version}]${randomUUID().replace(/-/g, "")}`;
}

/** Queues one invocation's log lines for /aws/lambda/<name>. */
export function writeFunctionLogs(
  ctx: { client: InProcessClient; clock: Clock },
  c: FunctionConfiguration,
  version: string,
  requestId: string,
  r: InvokeResult & { logStream?: string },
): void {
  // NIMBUS_LAMBDA_LOGS=off skips CloudWatch Logs (bench/logs.mjs measures what writing them costs).
  if (process.env.NIMBUS_LAMBDA_LOGS === "off") return;
  const [, , , region, account] = c.FunctionArn!.split(":");
  const end = ctx.clock.now();
  const events = invocationLogEvents(c, version, requestId, r, end);
  writerFor(ctx.client).add(account, region, `/aws/lambda/${c.FunctionName}`, r.logStream ?? logStreamName(end, version), events);
}

/** One invocation's events: START, the function's lines, END and REPORT; `end` is the Nimbus time it ended. */
export function invocationLogEvents(c: FunctionConfiguration, version: string, requestId: string, r: InvokeResult, end: number): LogEvent[] {
  const start = Math.round(end - r.durationMs);
  const memory = c.MemorySize ?? 128;
  const ms = (x: number) => x.toFixed(2);
  const events: LogEvent[] = [{ timestamp: start, message: `START RequestId: ${requestId} Version: ${version}\n` }];
  // The function's own output: one event per line; node's lines carry their own time, and a
  // multi-line message (newlines sent as \r by the runtime, as AWS's does) stays one event.
  // Their wall times move onto the Nimbus clock by one offset, taken once: read per line, a
  // millisecond ticking between two lines gave the later line the earlier time, and lines
  // printed in the same millisecond came back out of order.
  const offset = end - Date.now();
  for (const line of r.logs.split("\n")) {
    if (line === "") continue;
    const m = NODE_LINE.exec(line);
    const ts = m ? Date.parse(m[1]) + offset : start;
    const text = line.replace(/\r/g, "\n");
    events.push({ timestamp: Number.isFinite(ts) ? Math.round(ts) : start, message: `${text.length > MAX_LINE ? text.slice(0, MAX_LINE) : text}\n` });
  }
  events.push({ timestamp: end, message: `END RequestId: ${requestId}\n` });
  events.push({
    timestamp: end,
    message: `REPORT RequestId: ${requestId}\tDuration: ${ms(r.durationMs)} ms\tBilled Duration: ${Math.max(1, Math.ceil(r.durationMs))} ms\tMemory Size: ${memory} MB\tMax Memory Used: ${r.maxMemoryMb ?? memory} MB\t${r.initMs !== undefined ? `Init Duration: ${ms(r.initMs)} ms\t` : ""}\n`,
  });
  return events;
}
