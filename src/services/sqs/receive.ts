// One receive attempt, atomically: expire messages past retention, move messages received
// maxReceiveCount times to the dead-letter queue, pick visible messages (standard: visibility
// order; FIFO: send order, one group at a time, a group blocked while any of its earlier
// messages is in flight or delayed) and hide them for the visibility timeout - all in one
// better-sqlite3 transaction, so two concurrent receivers never get the same message.
import type { MessageRow, QueueRecord, SqsStore } from "./store.js";
import { attrInt, queueArn } from "./common.js";
import { encodeReceipt, newNonce } from "./receipt.js";
import { deadLetterQueueOf, moveMessage } from "./redrive.js";

export interface ReceivedMessage {
  row: MessageRow;
  receiptHandle: string;
}

export interface ReceiveOptions {
  max: number;
  /** Seconds the received messages stay hidden. */
  visibilityTimeout: number;
  now: number;
  /** FIFO ReceiveRequestAttemptId: a retried attempt returns the same messages and handles. */
  attemptId?: string;
}

export interface ReceiveOutcome {
  messages: ReceivedMessage[];
  /** Queues that received messages (dead-letter queues), whose waiters should wake. */
  touched: number[];
}

const ATTEMPT_WINDOW_MS = 5 * 60 * 1000;

/** Deletes what is past the queue's retention period (retroactive, as AWS applies a lowered period). */
export function expireMessages(store: SqsStore, q: QueueRecord, now: number): void {
  store.expire(q.id, now - attrInt(q, "MessageRetentionPeriod") * 1000);
}

export function receive(store: SqsStore, q: QueueRecord, opts: ReceiveOptions): ReceiveOutcome {
  return store.tx(() => {
    const { now } = opts;
    expireMessages(store, q, now);

    if (q.fifo && opts.attemptId !== undefined) {
      const prior = store.attempt(q.id, opts.attemptId, now);
      if (prior) {
        const again: ReceivedMessage[] = [];
        for (const p of prior) {
          const row = store.message(q.id, p.seq);
          if (row && row.receipt === p.receipt && row.visible_at > now) {
            again.push({ row, receiptHandle: encodeReceipt({ queueId: q.id, seq: row.seq, nonce: p.receipt }) });
          }
        }
        if (again.length > 0) return { messages: again, touched: [] };
      }
    }

    const dead = deadLetterQueueOf(store, q);
    const touched: number[] = [];
    const picked = q.fifo ? pickFifo(store, q, opts, dead, touched) : pickStandard(store, q, opts, dead, touched);

    const visibleAt = now + opts.visibilityTimeout * 1000;
    const out: ReceivedMessage[] = [];
    for (const row of picked) {
      const nonce = newNonce();
      const count = row.receive_count + 1;
      const first = row.first_receive_at ?? now;
      store.markReceived(row.seq, count, first, now, visibleAt, nonce);
      out.push({
        row: { ...row, receive_count: count, first_receive_at: first, received_at: now, visible_at: visibleAt, receipt: nonce },
        receiptHandle: encodeReceipt({ queueId: q.id, seq: row.seq, nonce }),
      });
    }
    if (q.fifo && opts.attemptId !== undefined && out.length > 0) {
      store.putAttempt(
        q.id,
        opts.attemptId,
        out.map((m) => ({ seq: m.row.seq, receipt: m.row.receipt! })),
        now + ATTEMPT_WINDOW_MS,
        now,
      );
    }
    return { messages: out, touched };
  });
}

type DeadLetter = { dlq: QueueRecord; maxReceiveCount: number } | undefined;

function toDeadLetter(store: SqsStore, q: QueueRecord, row: MessageRow, dead: NonNullable<DeadLetter>, now: number, touched: number[]): void {
  moveMessage(store, row, dead.dlq, now, { resetReceiveCount: false, deadLetterSourceArn: queueArn(q) });
  if (!touched.includes(dead.dlq.id)) touched.push(dead.dlq.id);
}

function pickStandard(store: SqsStore, q: QueueRecord, opts: ReceiveOptions, dead: DeadLetter, touched: number[]): MessageRow[] {
  const picked: MessageRow[] = [];
  let cursor = { visibleAt: -Number.MAX_SAFE_INTEGER, seq: 0 };
  while (picked.length < opts.max) {
    const page = store.visible(q.id, opts.now, cursor, Math.max(opts.max - picked.length, 10));
    if (page.length === 0) break;
    for (const row of page) {
      cursor = { visibleAt: row.visible_at, seq: row.seq };
      if (dead && row.receive_count >= dead.maxReceiveCount) {
        toDeadLetter(store, q, row, dead, opts.now, touched);
        continue;
      }
      picked.push(row);
      if (picked.length >= opts.max) break;
    }
  }
  return picked;
}

/**
 * FIFO: scan in send order; the first message met of each group is its head. A group whose head
 * is hidden (in flight or delayed) is blocked; otherwise its visible messages are taken in
 * order until one is hidden. Messages of one group are returned together, groups in order.
 */
function pickFifo(store: SqsStore, q: QueueRecord, opts: ReceiveOptions, dead: DeadLetter, touched: number[]): MessageRow[] {
  const blocked = new Set<string>();
  const toDlq: number[] = [];
  const groups = new Map<string, number[]>();
  let n = 0;
  // TODO(perf): this walks the queue's in-flight and blocked messages; a per-group head index would avoid it.
  for (const r of store.inOrder(q.id)) {
    const g = r.group_id ?? "";
    if (blocked.has(g)) continue;
    if (r.visible_at > opts.now) {
      blocked.add(g);
      continue;
    }
    if (dead && r.receive_count >= dead.maxReceiveCount) {
      toDlq.push(r.seq);
      continue;
    }
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(r.seq);
    if (++n >= opts.max) break;
  }
  if (dead) {
    for (const seq of toDlq) {
      const row = store.message(q.id, seq);
      if (row) toDeadLetter(store, q, row, dead, opts.now, touched);
    }
  }
  const picked: MessageRow[] = [];
  for (const seqs of groups.values()) {
    for (const seq of seqs) {
      const row = store.message(q.id, seq);
      if (row) picked.push(row);
    }
  }
  return picked.slice(0, opts.max);
}
