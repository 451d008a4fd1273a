// Moving messages between queues: to a dead-letter queue when a message has been received
// maxReceiveCount times, and back (or elsewhere) by a message move task. A moved message keeps
// its MessageId, body, attributes and SentTimestamp; it is visible in its new queue at once.
import type { MessageRow, QueueRecord, SqsStore } from "./store.js";
import { parseArn, queueArn } from "./common.js";

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function redrivePolicyOf(q: QueueRecord): RedrivePolicy | undefined {
  const text = q.attributes.RedrivePolicy;
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as RedrivePolicy;
    return typeof p.deadLetterTargetArn === "string" && Number.isInteger(p.maxReceiveCount) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the dead-letter queue's RedriveAllowPolicy lets sourceArn use it. */
export function redriveAllowed(dlq: QueueRecord, sourceArn: string): boolean {
  const text = dlq.attributes.RedriveAllowPolicy;
  if (!text) return true;
  try {
    const p = JSON.parse(text) as { redrivePermission?: string; sourceQueueArns?: string[] };
    if (p.redrivePermission === "denyAll") return false;
    if (p.redrivePermission === "byQueue") return (p.sourceQueueArns ?? []).includes(sourceArn);
    return true;
  } catch {
    return true;
  }
}

/** The dead-letter queue messages of q move to, if it has one that exists and accepts q. */
export function deadLetterQueueOf(store: SqsStore, q: QueueRecord): { dlq: QueueRecord; maxReceiveCount: number } | undefined {
  const policy = redrivePolicyOf(q);
  if (!policy) return undefined;
  const target = parseArn(policy.deadLetterTargetArn);
  if (!target) return undefined;
  const dlq = store.queue(target.account, target.region, target.name);
  if (!dlq || dlq.id === q.id || dlq.fifo !== q.fifo || !redriveAllowed(dlq, queueArn(q))) return undefined;
  return { dlq, maxReceiveCount: policy.maxReceiveCount };
}

/**
 * Moves one message row into target (same transaction as the caller's). Retention keeps
 * counting from the original enqueue time on standard queues and restarts on FIFO queues, as
 * AWS documents for dead-letter queues.
 */
export function moveMessage(
  store: SqsStore,
  m: MessageRow,
  target: QueueRecord,
  now: number,
  opts: { resetReceiveCount: boolean; deadLetterSourceArn: string | null },
): void {
  store.insertMessage({
    queue_id: target.id,
    message_id: m.message_id,
    body: m.body,
    md5_body: m.md5_body,
    attrs: m.attrs,
    sys_attrs: m.sys_attrs,
    sender_id: m.sender_id,
    sent_at: m.sent_at,
    enqueued_at: target.fifo ? now : m.enqueued_at,
    visible_at: now,
    receive_count: opts.resetReceiveCount ? 0 : m.receive_count,
    first_receive_at: opts.resetReceiveCount ? null : m.first_receive_at,
    group_id: m.group_id,
    dedup_id: m.dedup_id,
    dlq_source_arn: opts.deadLetterSourceArn,
  });
  store.deleteMessage(m.seq);
}
