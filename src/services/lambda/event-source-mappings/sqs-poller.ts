// An SQS event source mapping's pollers ("Using Lambda with Amazon SQS", Lambda developer guide):
// 1. receive (long polling, every attribute) until BatchSize messages or the batching window
//    has passed (no window: what one receive returns);
// 2. messages the FilterCriteria rejects are deleted, as AWS does;
// 3. invoke the function synchronously with {"Records": [...]} in AWS's event shape;
// 4. success deletes the batch; with ReportBatchItemFailures only the messages not named in
//    batchItemFailures; a function error (or an invalid failure list) deletes nothing, so the
//    messages come back after the visibility timeout and SQS's redrive policy moves them to the
//    dead-letter queue after maxReceiveCount receives.
// One receive loop per mapping; up to min(MaximumConcurrency, 10) batches are processed at once.
import { setTimeout as sleep } from "node:timers/promises";
import type { StoredMapping } from "./handlers.js";
import type { MappingRunner, Poller } from "./runner.js";
import { matchesAny, parseFilters } from "./event-filter.js";

const PAYLOAD_MAX = 6_291_456;
/** Concurrent invocations per mapping without a ScalingConfig (a function's workers max out at 10 by default). */
const MAX_CONCURRENCY = 10;

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array; StringListValues?: string[]; BinaryListValues?: Uint8Array[] }>;
}

export class SqsPoller implements Poller {
  private stopped = false;
  private release = false;
  private readonly queueUrl: string;
  readonly account: string;
  readonly region: string;

  constructor(
    private readonly runner: MappingRunner,
    private readonly doc: StoredMapping,
  ) {
    const [, , , region, account, name] = doc.config.EventSourceArn!.split(":");
    this.account = account;
    this.region = region;
    this.queueUrl = `http://sqs.${region}.localhost/${account}/${name}`;
    this.concurrency = Math.min(doc.config.ScalingConfig?.MaximumConcurrency ?? MAX_CONCURRENCY, MAX_CONCURRENCY);
    void this.loop();
  }
  private readonly concurrency: number;
  private inflight = 0;
  private slotFree?: () => void;

  /** Stops polling; `release` makes messages received meanwhile visible again (mapping disabled or deleted). */
  stop(release: boolean): void {
    this.stopped = true;
    this.release = release;
    this.slotFree?.();
  }

  private call<O>(service: string, op: string, input: Record<string, unknown>, account = this.account): Promise<O> {
    return this.runner.rt.client.call<O>(service, op, input, { accountId: account, region: this.region });
  }

  /** One receive loop gathers batches; up to `concurrency` of them are being processed at once. */
  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.inflight >= this.concurrency) {
          await new Promise<void>((ok) => (this.slotFree = ok));
          continue;
        }
        const batch = await this.collect();
        if (this.stopped) {
          if (this.release && batch.length > 0) await this.changeVisibility(batch, 0);
          return;
        }
        if (batch.length > 0) {
          this.inflight++;
          void this.process(batch)
            .catch(() => undefined)
            .finally(() => {
              this.inflight--;
              const wake = this.slotFree;
              this.slotFree = undefined;
              wake?.();
            });
        }
      } catch {
        // The queue or the function is gone, or Nimbus is closing: back off, look again.
        if (!this.stopped) await sleep(1000, undefined, { ref: false });
      }
    }
  }

  /** 1. Receives up to BatchSize messages within the batching window. */
  private async collect(): Promise<SqsMessage[]> {
    const c = this.doc.config;
    const size = c.BatchSize ?? 10;
    const windowMs = (c.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    // The window opens with the first message received.
    let started = 0;
    const out: SqsMessage[] = [];
    let bytes = 0;
    for (;;) {
      const left = windowMs - (performance.now() - started);
      // Before the first message: a full long poll; after it, wait at most the rest of the window.
      const wait = out.length === 0 ? 20 : Math.max(0, Math.min(20, Math.ceil(left / 1000)));
      const t0 = performance.now();
      const r = await this.call<{ Messages?: SqsMessage[] }>("sqs", "ReceiveMessage", {
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(10, size - out.length),
        WaitTimeSeconds: wait,
        AttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      });
      const got = r.Messages ?? [];
      if (out.length === 0 && got.length > 0) started = performance.now();
      for (const m of got) {
        out.push(m);
        bytes += Buffer.byteLength(m.Body) + 1024;
      }
      if (this.stopped) return out;
      // A receive that came back at once with nothing (SQS shutting down, queue gone) must not spin.
      if (got.length === 0 && out.length === 0 && wait > 0 && performance.now() - t0 < 50) await sleep(1000, undefined, { ref: false });
      if (windowMs === 0) return out;
      if (out.length > 0 && (out.length >= size || bytes > PAYLOAD_MAX / 2 || performance.now() - started >= windowMs)) return out;
    }
  }

  /** The record Lambda hands the function for one message (AWS's field names and value forms). */
  private record(m: SqsMessage): Record<string, unknown> {
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
      attrs[k] = {
        ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString("base64") } : {}),
        stringListValues: v.StringListValues ?? [],
        binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
        dataType: v.DataType,
      };
    }
    return {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes: m.Attributes ?? {},
      messageAttributes: attrs,
      md5OfBody: m.MD5OfBody,
      ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
      eventSource: "aws:sqs",
      eventSourceARN: this.doc.config.EventSourceArn,
      awsRegion: this.region,
    };
  }

  private async process(batch: SqsMessage[]): Promise<void> {
    const c = this.doc.config;
    // 2. Filtering: a message no filter matches is deleted without invoking.
    const filters = parseFilters(c.FilterCriteria);
    const records = batch.map((m) => this.record(m));
    const kept: Array<{ m: SqsMessage; r: Record<string, unknown> }> = [];
    const dropped: SqsMessage[] = [];
    batch.forEach((m, i) => {
      const r = records[i];
      let body: unknown = m.Body;
      try {
        const parsed = JSON.parse(m.Body);
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed;
      } catch {
        // A plain-string body is matched as a string.
      }
      if (matchesAny(filters, { ...r, body })) kept.push({ m, r });
      else dropped.push(m);
    });
    if (dropped.length > 0) await this.delete(dropped);
    if (kept.length === 0) return;
    // 3. Invoke synchronously, as the function's account.
    let failed: Set<string> | "all";
    try {
      const out = await this.call<{ Payload?: Uint8Array; FunctionError?: string }>("lambda", "Invoke", {
        FunctionName: c.FunctionArn,
        InvocationType: "RequestResponse",
        Payload: Buffer.from(JSON.stringify({ Records: kept.map((k) => k.r) })),
      });
      failed = out.FunctionError ? "all" : this.failures(out.Payload, kept.map((k) => k.m.MessageId));
    } catch {
      failed = "all";
    }
    // 4. Delete what succeeded; failures come back after the visibility timeout.
    if (failed === "all") return;
    await this.delete(kept.filter((k) => !failed.has(k.m.MessageId)).map((k) => k.m));
  }

  /** The messages a ReportBatchItemFailures response names; "all" for an invalid response, as AWS treats it. */
  private failures(payload: Uint8Array | undefined, ids: string[]): Set<string> | "all" {
    if (!(this.doc.config.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures")) return new Set();
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(payload ?? []).toString("utf8") || "null");
    } catch {
      return new Set();
    }
    const list = doc !== null && typeof doc === "object" ? (doc as { batchItemFailures?: unknown }).batchItemFailures : undefined;
    if (list === undefined || list === null) return new Set();
    if (!Array.isArray(list)) return "all";
    const out = new Set<string>();
    for (const f of list) {
      const id = f !== null && typeof f === "object" ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
      if (typeof id !== "string" || !ids.includes(id)) return "all";
      out.add(id);
    }
    return out;
  }

  private async delete(ms: SqsMessage[]): Promise<void> {
    for (let i = 0; i < ms.length; i += 10) {
      const entries = ms.slice(i, i + 10).map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle }));
      await this.call("sqs", "DeleteMessageBatch", { QueueUrl: this.queueUrl, Entries: entries });
    }
  }

  private async changeVisibility(ms: SqsMessage[], seconds: number): Promise<void> {
    for (let i = 0; i < ms.length; i += 10) {
      const entries = ms.slice(i, i + 10).map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: seconds }));
      await this.call("sqs", "ChangeMessageVisibilityBatch", { QueueUrl: this.queueUrl, Entries: entries }).catch(() => undefined);
    }
  }
}
