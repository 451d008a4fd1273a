// A DynamoDB stream event source mapping's poller ("Using Lambda with DynamoDB", Lambda
// developer guide). It reads each shard in order through DynamoDB Streams' own API
// (GetShardIterator / GetRecords) from a checkpoint kept in the mapping's document, so a
// restart resumes where it stopped, and it sleeps until a "dynamodb.stream-record" event wakes it.
// Per batch:
// 1. read up to BatchSize records after the checkpoint (waiting up to the batching window for more);
// 2. drop the records no FilterCriteria filter matches;
// 3. invoke the function synchronously with {"Records": [...]} in AWS's event shape;
// 4. on a function error retry (with backoff) until success, MaximumRetryAttempts or
//    MaximumRecordAgeInSeconds; with BisectBatchOnFunctionError split the batch in two and
//    retry each half; a batch given up on goes to the OnFailure destination (SQS or SNS) as
//    AWS's invocation record, and the shard moves on;
// 5. advance the checkpoint past the batch.
// An error that is not the function's (the stream read failing, the invoke refused before the
// function ran: throttled, function missing or not ready) is not a function error: as AWS
// documents ("before invocation"), it counts toward no retry quota and never bisects; the pass
// ends with the checkpoint where it was and the worker's next pass (after a backoff) reads the
// same records again, in order. Only MaximumRecordAgeInSeconds can give such records up.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { startWorker, type BackgroundWorker } from "../../../core/clock/background-worker.js";
import type { InProcessClient } from "../../../core/service.js";
import type { StoredMapping } from "./handlers.js";
import type { MappingRunner, Poller } from "./runner.js";
import { matchesAny, parseFilters } from "./event-filter.js";

type StreamRecord = Record<string, unknown> & { dynamodb?: Record<string, unknown> & { SequenceNumber?: string; ApproximateCreationDateTime?: unknown } };

const READ_LIMIT = 1000;
/** Backoff of the passes after a transient error: doubling from 100 ms, at most 5 s. */
const RETRY_MAX_MS = 5_000;

/** An error before the function ran (or reading the stream): retried on the next pass. */
class TransientError extends Error {}

function seconds(v: unknown): number {
  if (v instanceof Date) return v.getTime() / 1000;
  if (typeof v === "number") return v;
  return Date.parse(String(v)) / 1000;
}

/** The record as Lambda delivers it: AWS's JSON (binary values base64, creation time in epoch seconds) plus eventSourceARN. */
function toEvent(r: StreamRecord, streamArn: string): Record<string, unknown> {
  const json = JSON.stringify(r, (_k, v) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
    if (v && typeof v === "object" && (v as { type?: string }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString("base64");
    return v;
  });
  const out = JSON.parse(json) as StreamRecord;
  if (out.dynamodb && r.dynamodb?.ApproximateCreationDateTime !== undefined) out.dynamodb.ApproximateCreationDateTime = Math.floor(seconds(r.dynamodb.ApproximateCreationDateTime));
  return { ...out, eventSourceARN: streamArn };
}

export class StreamPoller implements Poller {
  readonly streamArn: string;
  readonly account: string;
  readonly region: string;
  /**
   * The chassis background worker runs the passes (drain): one at a time, one more after a wake
   * during a pass, and a first one at once (records written while the mapping was off or Nimbus
   * was stopped). A clock advance also runs one; it finds nothing new unless a wake was missed.
   */
  private readonly worker: BackgroundWorker;
  /** Transient errors in a row, for the next pass's backoff. */
  private failures = 0;

  constructor(
    private readonly runner: MappingRunner,
    private readonly doc: StoredMapping,
  ) {
    this.streamArn = doc.config.EventSourceArn!;
    [, , , this.region, this.account] = this.streamArn.split(":");
    this.worker = startWorker(runner.rt, { name: `lambda stream mapping ${doc.config.UUID}`, run: () => this.drain() });
  }

  private get stopped(): boolean {
    return this.worker.stopped;
  }

  /** Per shard, the sequence number of the stream's last record now (LATEST). */
  static async ends(client: InProcessClient, streamArn: string): Promise<Record<string, string>> {
    const [, , , region, accountId] = streamArn.split(":");
    const as = { accountId, region };
    const d = await client.call<{ StreamDescription?: { Shards?: Array<{ ShardId: string }> } }>("dynamodb-streams", "DescribeStream", { StreamArn: streamArn }, as);
    const out: Record<string, string> = {};
    for (const s of d.StreamDescription?.Shards ?? []) {
      let it = (await client.call<{ ShardIterator?: string }>("dynamodb-streams", "GetShardIterator", { StreamArn: streamArn, ShardId: s.ShardId, ShardIteratorType: "TRIM_HORIZON" }, as)).ShardIterator;
      while (it) {
        const r = await client.call<{ Records?: StreamRecord[]; NextShardIterator?: string }>("dynamodb-streams", "GetRecords", { ShardIterator: it, Limit: READ_LIMIT }, as);
        const recs = r.Records ?? [];
        if (recs.length === 0) break;
        out[s.ShardId] = recs[recs.length - 1].dynamodb!.SequenceNumber!;
        it = r.NextShardIterator;
      }
    }
    return out;
  }

  /** Resolves once a running pass has ended (bounded, see the background worker). */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Runs the poller soon, or once more after the current pass. */
  wake(): void {
    this.worker.kick();
  }

  private call<O>(service: string, op: string, input: Record<string, unknown>): Promise<O> {
    return this.runner.rt.client.call<O>(service, op, input, { accountId: this.account, region: this.region });
  }

  /**
   * One pass: every shard read up to its end. Nothing is due later (a record event wakes it)
   * unless something failed that was not the function's: then the next pass is due after a
   * backoff and starts again from the checkpoints, so nothing is skipped or reordered.
   */
  private async drain(): Promise<number | undefined> {
    try {
      const d = await this.call<{ StreamDescription?: { Shards?: Array<{ ShardId: string }> } }>("dynamodb-streams", "DescribeStream", { StreamArn: this.streamArn });
      for (const s of d.StreamDescription?.Shards ?? []) while (!this.stopped && (await this.step(s.ShardId)));
      this.failures = 0;
      return undefined;
    } catch {
      // The stream unreadable for now, an invoke refused, or Nimbus closing (no more passes then).
      if (this.stopped) return undefined;
      this.failures++;
      return this.runner.rt.clock.now() + Math.min(100 * 2 ** this.failures, RETRY_MAX_MS);
    }
  }

  /** Moves a shard's checkpoint to `seq` (records up to it are done with). */
  private advance(shardId: string, seq: string, result: string): void {
    this.runner.save(this.doc.account, this.doc.region, this.doc.config.UUID!, (doc) => {
      doc.checkpoints = { ...doc.checkpoints, [shardId]: seq };
      doc.config.LastProcessingResult = result;
    });
  }

  private checkpoint(shardId: string): string | undefined {
    return this.runner.load(this.doc.account, this.doc.region, this.doc.config.UUID!)?.checkpoints?.[shardId];
  }

  /** One batch of one shard; false when the shard has nothing new. */
  private async step(shardId: string): Promise<boolean> {
    const c = this.doc.config;
    const size = c.BatchSize ?? 100;
    let records = await this.read(shardId, size);
    if (records.length === 0) return false;
    // 1. The batching window: wait for more records, once, when the batch is not full.
    const windowMs = (c.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    if (windowMs > 0 && records.length < size) {
      await sleep(windowMs, undefined, { ref: false });
      if (this.stopped) return false;
      records = await this.read(shardId, size);
    }
    const last = records[records.length - 1].dynamodb!.SequenceNumber!;
    // 2. Filtering.
    const filters = parseFilters(c.FilterCriteria);
    const events = records.map((r) => toEvent(r, this.streamArn)).filter((e) => matchesAny(filters, e));
    // 3.-4. Invoke, retry, bisect, give up to the destination.
    let result = "OK";
    if (events.length > 0) result = (await this.deliver(events, shardId)) ? "OK" : "PROBLEM: Function call failed";
    if (this.stopped) return false;
    // 5. Advance the checkpoint.
    this.advance(shardId, last, result);
    return true;
  }

  private async read(shardId: string, size: number): Promise<StreamRecord[]> {
    const after = this.checkpoint(shardId);
    let it: string | undefined;
    try {
      it = (await this.call<{ ShardIterator?: string }>("dynamodb-streams", "GetShardIterator", after ? { StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after } : { StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" })).ShardIterator;
    } catch (e) {
      // The checkpoint's record was trimmed (24 hours): continue from the oldest record kept.
      if ((e as { code?: string }).code !== "TrimmedDataAccessException") throw e;
      it = (await this.call<{ ShardIterator?: string }>("dynamodb-streams", "GetShardIterator", { StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" })).ShardIterator;
    }
    const out: StreamRecord[] = [];
    while (it && out.length < size) {
      const r = await this.call<{ Records?: StreamRecord[]; NextShardIterator?: string }>("dynamodb-streams", "GetRecords", { ShardIterator: it, Limit: Math.min(READ_LIMIT, size - out.length) });
      const recs = r.Records ?? [];
      if (recs.length === 0) break;
      out.push(...recs);
      it = r.NextShardIterator;
    }
    return out;
  }

  /** Invokes until success or the retry policy gives up; true when every record was processed. */
  private async deliver(events: Array<Record<string, unknown>>, shardId: string): Promise<boolean> {
    const c = this.doc.config;
    const maxRetries = c.MaximumRetryAttempts ?? -1;
    const maxAgeMs = (c.MaximumRecordAgeInSeconds ?? -1) * 1000;
    let attempts = 0;
    for (;;) {
      attempts++;
      let error: string | undefined;
      const oldest = Math.min(...events.map((e) => (e.dynamodb as { ApproximateCreationDateTime: number }).ApproximateCreationDateTime * 1000));
      const tooOld = (): boolean => maxAgeMs > 0 && this.runner.rt.clock.now() - oldest > maxAgeMs;
      try {
        const out = await this.call<{ FunctionError?: string }>("lambda", "Invoke", { FunctionName: c.FunctionArn, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify({ Records: events })) });
        error = out.FunctionError;
      } catch (e) {
        // Refused before the function ran: not a function error (see the top of the file).
        if (this.stopped) return false;
        const code = (e as { code?: string }).code ?? "ServiceException";
        if (tooOld()) {
          await this.onFailure(events, shardId, "RecordAgeExceeded", attempts - 1, code);
          return false;
        }
        this.runner.save(this.doc.account, this.doc.region, c.UUID!, (doc) => (doc.config.LastProcessingResult = "PROBLEM: Function call failed"));
        throw new TransientError(code);
      }
      if (error === undefined) return true;
      if (this.stopped) return false;
      if (c.BisectBatchOnFunctionError && events.length > 1) {
        const mid = Math.ceil(events.length / 2);
        const first = events.slice(0, mid);
        const a = await this.deliver(first, shardId);
        if (this.stopped) return false;
        // The first half is done with (processed or given up on): a transient error in the
        // second makes the next pass start after it rather than deliver it again.
        this.advance(shardId, (first[first.length - 1].dynamodb as { SequenceNumber: string }).SequenceNumber, a ? "OK" : "PROBLEM: Function call failed");
        const b = await this.deliver(events.slice(mid), shardId);
        return a && b;
      }
      const old = tooOld();
      if (old || (maxRetries !== -1 && attempts > maxRetries)) {
        await this.onFailure(events, shardId, old ? "RecordAgeExceeded" : "RetryAttemptsExhausted", attempts, error);
        return false;
      }
      await sleep(Math.min(100 * 2 ** attempts, 10_000), undefined, { ref: false });
    }
  }

  /** Sends AWS's invocation record for a batch given up on to the OnFailure destination. */
  private async onFailure(events: Array<Record<string, unknown>>, shardId: string, condition: string, attempts: number, error: string): Promise<void> {
    const dest = this.doc.config.DestinationConfig?.OnFailure?.Destination;
    if (!dest) return;
    const seq = (e: Record<string, unknown>) => (e.dynamodb as { SequenceNumber: string }).SequenceNumber;
    const at = (e: Record<string, unknown>) => new Date((e.dynamodb as { ApproximateCreationDateTime: number }).ApproximateCreationDateTime * 1000).toISOString();
    const record = {
      requestContext: { requestId: randomUUID(), functionArn: this.doc.config.FunctionArn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: error },
      version: "1.0",
      timestamp: new Date(this.runner.rt.clock.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: seq(events[0]),
        endSequenceNumber: seq(events[events.length - 1]),
        approximateArrivalOfFirstRecord: at(events[0]),
        approximateArrivalOfLastRecord: at(events[events.length - 1]),
        batchSize: events.length,
        streamArn: this.streamArn,
      },
    };
    const [, , service, region, account, name] = dest.split(":");
    const as = { accountId: account, region };
    const body = JSON.stringify(record);
    try {
      if (service === "sqs") await this.runner.rt.client.call("sqs", "SendMessage", { QueueUrl: `http://sqs.${region}.localhost/${account}/${name}`, MessageBody: body }, as);
      else await this.runner.rt.client.call("sns", "Publish", { TopicArn: dest, Message: body }, as);
    } catch {
      // TODO(parity): AWS keeps retrying a failing destination; the record is dropped here.
    }
  }
}
