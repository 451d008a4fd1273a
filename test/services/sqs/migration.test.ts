// Migration 2 of the SQS tables (no AUTOINCREMENT, FIFO-only order index) carries a database
// written by the previous schema over: its messages (with their seqs, so receipt handles issued
// before stay valid), and seqs above any ever handed out, also when the newest message was
// deleted before the upgrade. Then the seq high-water mark holds across a restart.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { openDatabase } from "../../../src/core/state/database.js";
import { migrations } from "../../../src/services/sqs/store.js";
import { defaultAttributes } from "../../../src/services/sqs/handlers/attributes.js";
import { encodeReceipt } from "../../../src/services/sqs/receipt.js";
import { freshAccount, startNimbus } from "../../support/nimbus.js";
import { client, counts } from "./helpers.js";

const dataDir = mkdtempSync(join(tmpdir(), "nimbus-sqs-migrate-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A data directory as the schema before migration 2 left it: version 1, AUTOINCREMENT seqs. */
function writeVersion1(account: string): { everHandedOut: number; inflightReceipt: string; fifoSeq: number } {
  const db = openDatabase(dataDir);
  try {
    db.transaction(() => {
      migrations[0](db);
      db.prepare("INSERT INTO nimbus_schema (service, version) VALUES ('sqs', 1)").run();
      const now = Date.now();
      const queue = db.prepare(
        "INSERT INTO sqs_queues (account, region, name, fifo, attributes, tags, created_at, modified_at) VALUES (?, 'us-east-1', ?, ?, ?, '{}', ?, ?)",
      );
      const std = Number(queue.run(account, "old", 0, JSON.stringify(defaultAttributes(false)), now, now).lastInsertRowid);
      const fifo = Number(queue.run(account, "old.fifo", 1, JSON.stringify({ ...defaultAttributes(true), FifoQueue: "true" }), now, now).lastInsertRowid);
      const msg = db.prepare(
        `INSERT INTO sqs_messages (queue_id, message_id, body, md5_body, sender_id, sent_at, enqueued_at, visible_at, receive_count, received_at, first_receive_at, receipt, group_id, dedup_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const row = (queueId: number, messageId: string, body: string, ...rest: unknown[]) =>
        msg.run(queueId, messageId, body, createHash("md5").update(body).digest("hex"), account, now, now, ...rest);
      row(std, "m-kept", "kept", now, 0, null, null, null, null, null);
      row(std, "m-inflight", "in flight", now + 600_000, 1, now, now, "0123456789abcdef01234567", null, null);
      row(fifo, "m-fifo", "fifo", now, 0, null, null, null, "g", "d1");
      // The newest message is gone: AUTOINCREMENT remembers its seq, max(seq) no longer does.
      const newest = Number(row(std, "m-deleted", "deleted", now, 0, null, null, null, null, null).lastInsertRowid);
      db.prepare("DELETE FROM sqs_messages WHERE seq = ?").run(newest);
    })();
    const seqOf = (id: string) => (db.prepare("SELECT seq, queue_id FROM sqs_messages WHERE message_id = ?").get(id) as { seq: number; queue_id: number });
    const inflight = seqOf("m-inflight");
    const deleted = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'sqs_messages'").get() as { seq: number }).seq;
    return {
      everHandedOut: deleted,
      inflightReceipt: encodeReceipt({ queueId: inflight.queue_id, seq: inflight.seq, nonce: "0123456789abcdef01234567" }),
      fifoSeq: seqOf("m-fifo").seq,
    };
  } finally {
    db.close();
  }
}

const sequence = (seq: number) => (10n ** 19n + BigInt(seq)).toString();

describe("SQS schema migration 2", () => {
  it("keeps messages and receipts, and never hands out a seq used before", async () => {
    const id = freshAccount();
    const before = writeVersion1(id);
    const everHandedOut = before.everHandedOut;

    const first = await startNimbus({ dataDir });
    let c = client(first, id);
    let fifoSeqs: bigint[] = [];
    try {
      const url = (await c.send(new GetQueueUrlCommand({ QueueName: "old" }))).QueueUrl!;
      const fifo = (await c.send(new GetQueueUrlCommand({ QueueName: "old.fifo" }))).QueueUrl!;
      expect(await counts(c, url)).toEqual({ visible: 1, inflight: 1, delayed: 0 });
      const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      expect(got.Messages!.map((m) => [m.MessageId, m.Body])).toEqual([["m-kept", "kept"]]);
      // A receipt handle issued before the upgrade still deletes its message.
      await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: before.inflightReceipt }));
      expect(await counts(c, url)).toEqual({ visible: 0, inflight: 1, delayed: 0 });

      // FIFO order across the upgrade: the old message first, new ones after it, with larger
      // sequence numbers than any seq the old schema handed out (the deleted one included).
      const sent = [];
      for (const body of ["n1", "n2"]) sent.push(await c.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: body, MessageGroupId: "g", MessageDeduplicationId: body })));
      fifoSeqs = sent.map((r) => BigInt(r.SequenceNumber!));
      expect(fifoSeqs[0]).toBeGreaterThan(BigInt(sequence(everHandedOut)));
      expect(fifoSeqs[1]).toBeGreaterThan(fifoSeqs[0]);
      const fifoGot = await c.send(new ReceiveMessageCommand({ QueueUrl: fifo, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["SequenceNumber"] }));
      expect(fifoGot.Messages!.map((m) => m.Body)).toEqual(["fifo", "n1", "n2"]);
      expect(fifoGot.Messages![0].Attributes!.SequenceNumber).toBe(sequence(before.fifoSeq));
      // A duplicate still answers the original's sequence number.
      const dup = await c.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: "n2", MessageGroupId: "g", MessageDeduplicationId: "n2" }));
      expect(dup.SequenceNumber).toBe(sent[1].SequenceNumber);
      // Delete them all, the newest included: nothing in the table remembers its seq.
      for (const m of fifoGot.Messages!) await c.send(new DeleteMessageCommand({ QueueUrl: fifo, ReceiptHandle: m.ReceiptHandle }));
      expect(await counts(c, fifo)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    } finally {
      c.destroy();
      await first.stop({ keepData: true });
    }

    // After a restart, seqs keep increasing past the deleted newest message's.
    const second = await startNimbus({ dataDir });
    c = client(second, id);
    try {
      const fifo = (await c.send(new GetQueueUrlCommand({ QueueName: "old.fifo" }))).QueueUrl!;
      const again = await c.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: "n3", MessageGroupId: "g", MessageDeduplicationId: "n3" }));
      expect(BigInt(again.SequenceNumber!)).toBeGreaterThan(fifoSeqs[1]);
    } finally {
      c.destroy();
      await second.stop({ keepData: true });
    }
  });
});
