// SQS state in its own tables (migrations below): queues, messages, FIFO deduplication
// entries, ReceiveRequestAttemptId results, recently deleted queue names and message move
// tasks. Messages are indexed by (queue_id, visible_at, seq) so a receive is an index range
// scan of what is visible now, by (queue_id, seq) for FIFO order (FIFO messages only, see
// migration 2) and by (queue_id, enqueued_at) for retention. Every statement is prepared once
// per database; callers wrap multi-statement changes in db.transaction().
import { inTransaction, perDatabase, type Db, type Migration } from "../../core/state/database.js";

type Statement = import("better-sqlite3").Statement;

const MESSAGE_COLUMNS = [
  "seq", "queue_id", "message_id", "body", "md5_body", "attrs", "sys_attrs", "sender_id", "sent_at", "enqueued_at",
  "visible_at", "received_at", "receive_count", "first_receive_at", "receipt", "group_id", "dedup_id", "dlq_source_arn",
] as const;

/** sqs_messages since migration 2: seq is given by SqsStore.insertMessage (no AUTOINCREMENT). */
const MESSAGE_TABLE_BODY = `
        seq              INTEGER PRIMARY KEY,
        queue_id         INTEGER NOT NULL,
        message_id       TEXT NOT NULL,
        body             TEXT NOT NULL,
        md5_body         TEXT NOT NULL,
        attrs            TEXT,
        sys_attrs        TEXT,
        sender_id        TEXT NOT NULL,
        sent_at          INTEGER NOT NULL,
        enqueued_at      INTEGER NOT NULL,
        visible_at       INTEGER NOT NULL,
        received_at      INTEGER,
        receive_count    INTEGER NOT NULL DEFAULT 0,
        first_receive_at INTEGER,
        receipt          TEXT,
        group_id         TEXT,
        dedup_id         TEXT,
        dlq_source_arn   TEXT`;

const MESSAGE_INDEXES = `
      CREATE INDEX sqs_messages_visible ON sqs_messages (queue_id, visible_at, seq);
      CREATE INDEX sqs_messages_fifo_order ON sqs_messages (queue_id, seq) WHERE group_id IS NOT NULL;
      CREATE INDEX sqs_messages_enqueued ON sqs_messages (queue_id, enqueued_at);`;

/** Seqs reserved per write of the high-water mark (sqs_seq): one extra page every SEQ_BLOCK sends. */
const SEQ_BLOCK = 1024;

// A migration is history: migration 1 keeps the tables as version 1 made them (AUTOINCREMENT
// included) even where migration 2 rebuilds them, so that a database at any version reaches
// the same schema. Do not share text between them.
export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE sqs_queues (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        account     TEXT NOT NULL,
        region      TEXT NOT NULL,
        name        TEXT NOT NULL,
        fifo        INTEGER NOT NULL,
        attributes  TEXT NOT NULL,
        tags        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        purged_at   INTEGER,
        UNIQUE (account, region, name)
      );
      CREATE TABLE sqs_deleted_queues (
        account    TEXT NOT NULL,
        region     TEXT NOT NULL,
        name       TEXT NOT NULL,
        deleted_at INTEGER NOT NULL,
        PRIMARY KEY (account, region, name)
      ) WITHOUT ROWID;
      CREATE TABLE sqs_messages (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        queue_id         INTEGER NOT NULL,
        message_id       TEXT NOT NULL,
        body             TEXT NOT NULL,
        md5_body         TEXT NOT NULL,
        attrs            TEXT,
        sys_attrs        TEXT,
        sender_id        TEXT NOT NULL,
        sent_at          INTEGER NOT NULL,
        enqueued_at      INTEGER NOT NULL,
        visible_at       INTEGER NOT NULL,
        received_at      INTEGER,
        receive_count    INTEGER NOT NULL DEFAULT 0,
        first_receive_at INTEGER,
        receipt          TEXT,
        group_id         TEXT,
        dedup_id         TEXT,
        dlq_source_arn   TEXT
      );
      CREATE INDEX sqs_messages_visible ON sqs_messages (queue_id, visible_at, seq);
      CREATE INDEX sqs_messages_order ON sqs_messages (queue_id, seq);
      CREATE INDEX sqs_messages_enqueued ON sqs_messages (queue_id, enqueued_at);
      CREATE TABLE sqs_dedup (
        queue_id   INTEGER NOT NULL,
        dedup_key  TEXT NOT NULL,
        message_id TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (queue_id, dedup_key)
      ) WITHOUT ROWID;
      CREATE INDEX sqs_dedup_expiry ON sqs_dedup (queue_id, expires_at);
      CREATE TABLE sqs_receive_attempts (
        queue_id   INTEGER NOT NULL,
        attempt_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        result     TEXT NOT NULL,
        PRIMARY KEY (queue_id, attempt_id)
      ) WITHOUT ROWID;
      CREATE TABLE sqs_move_tasks (
        task_id         TEXT PRIMARY KEY,
        account         TEXT NOT NULL,
        region          TEXT NOT NULL,
        source_arn      TEXT NOT NULL,
        destination_arn TEXT,
        max_per_second  INTEGER,
        status          TEXT NOT NULL,
        started_at      INTEGER NOT NULL,
        to_move         INTEGER NOT NULL,
        moved           INTEGER NOT NULL,
        max_seq         INTEGER NOT NULL,
        failure_reason  TEXT
      );
      CREATE INDEX sqs_move_tasks_source ON sqs_move_tasks (account, region, source_arn, started_at);
    `);
  },
  // 2. Fewer pages per send: a standard queue's SendMessage wrote five (the row, AUTOINCREMENT's
  //    sqlite_sequence row, three index entries), each a WAL frame to write, checksum and fsync.
  //    Now three: seq is allocated by SqsStore from a high-water mark in sqs_seq, written once
  //    per SEQ_BLOCK messages instead of a sqlite_sequence update per message (seqs still never
  //    come back, even after the newest message is deleted), and the (queue_id, seq) index only
  //    holds FIFO messages (group_id is required there), the one place that reads in send order.
  //    The table is rebuilt (AUTOINCREMENT is part of its definition); rows keep their seq.
  (db) => {
    const ever = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'sqs_messages'").get() as { seq: number } | undefined)?.seq ?? 0;
    const cols = MESSAGE_COLUMNS.join(", ");
    db.exec(`
      CREATE TABLE sqs_messages_v2 (${MESSAGE_TABLE_BODY});
      INSERT INTO sqs_messages_v2 (${cols}) SELECT ${cols} FROM sqs_messages;
      DROP TABLE sqs_messages;
      ALTER TABLE sqs_messages_v2 RENAME TO sqs_messages;
      ${MESSAGE_INDEXES}
      CREATE TABLE sqs_seq (
        id  INTEGER PRIMARY KEY CHECK (id = 1),
        hwm INTEGER NOT NULL
      );
    `);
    const max = (db.prepare("SELECT coalesce(max(seq), 0) AS s FROM sqs_messages").get() as { s: number }).s;
    db.prepare("INSERT INTO sqs_seq (id, hwm) VALUES (1, ?)").run(Math.max(ever, max));
  },
];

export const TABLES = ["sqs_queues", "sqs_deleted_queues", "sqs_messages", "sqs_dedup", "sqs_receive_attempts", "sqs_move_tasks"] as const;

export interface QueueRecord {
  id: number;
  account: string;
  region: string;
  name: string;
  fifo: boolean;
  /** Settable attributes as GetQueueAttributes returns them (defaults filled in). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  purgedAt: number | null;
}

interface QueueRow {
  id: number;
  account: string;
  region: string;
  name: string;
  fifo: number;
  attributes: string;
  tags: string;
  created_at: number;
  modified_at: number;
  purged_at: number | null;
}

/** A message attribute as stored: binary values base64-encoded. */
export interface StoredAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface MessageRow {
  seq: number;
  queue_id: number;
  message_id: string;
  body: string;
  md5_body: string;
  attrs: string | null;
  sys_attrs: string | null;
  sender_id: string;
  sent_at: number;
  enqueued_at: number;
  visible_at: number;
  received_at: number | null;
  receive_count: number;
  first_receive_at: number | null;
  receipt: string | null;
  group_id: string | null;
  dedup_id: string | null;
  dlq_source_arn: string | null;
}

export type NewMessage = Omit<MessageRow, "seq" | "received_at" | "receive_count" | "first_receive_at" | "receipt"> &
  Partial<Pick<MessageRow, "receive_count" | "first_receive_at">>;

export interface MoveTaskRow {
  task_id: string;
  account: string;
  region: string;
  source_arn: string;
  destination_arn: string | null;
  max_per_second: number | null;
  status: string;
  started_at: number;
  to_move: number;
  moved: number;
  max_seq: number;
  failure_reason: string | null;
}

function toQueue(r: QueueRow): QueueRecord {
  return {
    id: r.id,
    account: r.account,
    region: r.region,
    name: r.name,
    fifo: r.fifo === 1,
    attributes: JSON.parse(r.attributes) as Record<string, string>,
    tags: JSON.parse(r.tags) as Record<string, string>,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    purgedAt: r.purged_at,
  };
}

function queueKey(account: string, region: string, name: string): string {
  return `${account}\n${region}\n${name}`;
}

function copyQueue(q: QueueRecord): QueueRecord {
  return { ...q, attributes: { ...q.attributes }, tags: { ...q.tags } };
}

function prepare(db: Db) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    queueByName: p("SELECT * FROM sqs_queues WHERE account = ? AND region = ? AND name = ?"),
    queueById: p("SELECT * FROM sqs_queues WHERE id = ?"),
    listQueues: p("SELECT * FROM sqs_queues WHERE account = ? AND region = ? AND name >= ? AND name < ? AND name > ? ORDER BY name LIMIT ?"),
    insertQueue: p(
      "INSERT INTO sqs_queues (account, region, name, fifo, attributes, tags, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    updateQueue: p("UPDATE sqs_queues SET attributes = ?, tags = ?, modified_at = ?, purged_at = ? WHERE id = ?"),
    deleteQueue: p("DELETE FROM sqs_queues WHERE id = ?"),
    deleteQueueMessages: p("DELETE FROM sqs_messages WHERE queue_id = ?"),
    deleteQueueDedup: p("DELETE FROM sqs_dedup WHERE queue_id = ?"),
    deleteQueueAttempts: p("DELETE FROM sqs_receive_attempts WHERE queue_id = ?"),
    markDeleted: p(
      "INSERT INTO sqs_deleted_queues (account, region, name, deleted_at) VALUES (?, ?, ?, ?) ON CONFLICT(account, region, name) DO UPDATE SET deleted_at = excluded.deleted_at",
    ),
    deletedAt: p("SELECT deleted_at FROM sqs_deleted_queues WHERE account = ? AND region = ? AND name = ?"),
    insertMessage: p(`INSERT INTO sqs_messages (seq, queue_id, message_id, body, md5_body, attrs, sys_attrs, sender_id, sent_at, enqueued_at,
        visible_at, receive_count, first_receive_at, group_id, dedup_id, dlq_source_arn)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    seqHwm: p("SELECT hwm FROM sqs_seq WHERE id = 1"),
    /** Raises the high-water mark only when seq is past it: a no-op (no page written) otherwise. */
    reserveSeq: p("UPDATE sqs_seq SET hwm = ? WHERE id = 1 AND hwm < ?"),
    message: p("SELECT * FROM sqs_messages WHERE seq = ? AND queue_id = ?"),
    deleteMessage: p("DELETE FROM sqs_messages WHERE seq = ?"),
    /** Visible messages in visibility order (standard queues). */
    visible: p("SELECT * FROM sqs_messages WHERE queue_id = ? AND (visible_at, seq) > (?, ?) AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?"),
    /** Every message of a FIFO queue in send order (group scan); iterated lazily. FIFO messages all have a group. */
    inOrder: p("SELECT seq, group_id, visible_at, receive_count FROM sqs_messages WHERE queue_id = ? AND group_id IS NOT NULL ORDER BY seq"),
    markReceived: p("UPDATE sqs_messages SET receive_count = ?, first_receive_at = ?, received_at = ?, visible_at = ?, receipt = ? WHERE seq = ?"),
    setVisibleAt: p("UPDATE sqs_messages SET visible_at = ? WHERE seq = ?"),
    nextVisibleAt: p("SELECT min(visible_at) AS t FROM sqs_messages WHERE queue_id = ? AND visible_at > ?"),
    countVisible: p("SELECT count(*) AS n FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?"),
    countHidden: p(
      "SELECT coalesce(sum(receive_count > 0), 0) AS inflight, coalesce(sum(receive_count = 0), 0) AS delayed FROM sqs_messages WHERE queue_id = ? AND visible_at > ?",
    ),
    expire: p("DELETE FROM sqs_messages WHERE queue_id = ? AND enqueued_at <= ?"),
    purge: p("DELETE FROM sqs_messages WHERE queue_id = ?"),
    maxSeq: p("SELECT coalesce(max(seq), 0) AS s FROM sqs_messages WHERE queue_id = ?"),
    /** A FIFO queue's movable messages in send order (the FIFO order index)... */
    movableFifo: p("SELECT * FROM sqs_messages WHERE queue_id = ? AND group_id IS NOT NULL AND seq <= ? AND visible_at <= ? ORDER BY seq LIMIT ?"),
    /** ...a standard queue's in visibility order (the index a receive uses; AWS promises no order there). */
    movableStandard: p("SELECT * FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? AND seq <= ? ORDER BY visible_at, seq LIMIT ?"),
    dedup: p("SELECT message_id, seq, expires_at FROM sqs_dedup WHERE queue_id = ? AND dedup_key = ?"),
    putDedup: p(
      "INSERT INTO sqs_dedup (queue_id, dedup_key, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(queue_id, dedup_key) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq, expires_at = excluded.expires_at",
    ),
    expireDedup: p("DELETE FROM sqs_dedup WHERE queue_id = ? AND expires_at <= ?"),
    attempt: p("SELECT result, expires_at FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ?"),
    putAttempt: p(
      "INSERT INTO sqs_receive_attempts (queue_id, attempt_id, expires_at, result) VALUES (?, ?, ?, ?) ON CONFLICT(queue_id, attempt_id) DO UPDATE SET expires_at = excluded.expires_at, result = excluded.result",
    ),
    expireAttempts: p("DELETE FROM sqs_receive_attempts WHERE queue_id = ? AND expires_at <= ?"),
    insertTask: p(`INSERT INTO sqs_move_tasks (task_id, account, region, source_arn, destination_arn, max_per_second, status, started_at, to_move, moved, max_seq)
      VALUES (@task_id, @account, @region, @source_arn, @destination_arn, @max_per_second, @status, @started_at, @to_move, @moved, @max_seq)`),
    task: p("SELECT * FROM sqs_move_tasks WHERE task_id = ?"),
    tasksOf: p("SELECT * FROM sqs_move_tasks WHERE account = ? AND region = ? AND source_arn = ? ORDER BY started_at DESC, rowid DESC LIMIT ?"),
    activeTasks: p("SELECT * FROM sqs_move_tasks WHERE status IN ('RUNNING', 'CANCELLING')"),
    updateTask: p("UPDATE sqs_move_tasks SET status = ?, moved = ?, failure_reason = ? WHERE task_id = ?"),
  };
}

type Statements = ReturnType<typeof prepare>;
/** The SQS store of a database (one per Db, statements prepared once). */
export const sqsStore = perDatabase((db) => new SqsStore(db, prepare(db)));

export class SqsStore {
  /**
   * Queue records by account/region/name. Every message operation starts by resolving its queue,
   * and a point read costs a WAL read transaction (locks, wal-index check), more than the rest
   * of SendMessage's own work. Entries are filled only outside transactions (so an uncommitted
   * row is never cached), dropped by every write to sqs_queues (so a rolled-back write just
   * costs a re-read), and handed out as copies (handlers mutate a record before saving it).
   */
  private readonly queues = new Map<string, QueueRecord>();

  /** The next seq to hand out; loaded on first use. */
  private nextSeq = 0;
  /** Seqs up to here are covered by a committed sqs_seq.hwm. */
  private reservedTo = 0;
  /** A reservation was made in the current outermost transaction (not committed yet). */
  private pendingReserve = false;

  constructor(
    readonly db: Db,
    private readonly s: Statements,
  ) {}

  /**
   * Message seqs increase and never come back (FIFO sequence numbers, move tasks' max_seq,
   * receive attempts and deduplication entries name messages by seq). Every seq handed out is
   * at most sqs_seq.hwm once its message is committed: the mark is raised in the same
   * transaction as the insert that passes it, SEQ_BLOCK ahead, so a start resumes above any
   * seq ever committed, deleted or not.
   */
  private allocSeq(): number {
    if (this.nextSeq === 0) {
      const hwm = (this.s.seqHwm.get() as { hwm: number }).hwm;
      this.nextSeq = hwm + 1;
      this.reservedTo = hwm;
    }
    return this.nextSeq++;
  }

  tx<R>(fn: () => R): R {
    if (this.db.inTransaction) return inTransaction(this.db, fn);
    // The outermost transaction: after a seq reservation inside it, take the mark as committed
    // (read back: a savepoint around the reservation may have rolled back while this committed).
    this.pendingReserve = false;
    try {
      const r = inTransaction(this.db, fn);
      if (this.pendingReserve) this.reservedTo = (this.s.seqHwm.get() as { hwm: number }).hwm;
      return r;
    } finally {
      this.pendingReserve = false;
    }
  }

  // ---- queues ----

  queue(account: string, region: string, name: string): QueueRecord | undefined {
    const key = queueKey(account, region, name);
    const hit = this.queues.get(key);
    if (hit) return copyQueue(hit);
    const r = this.s.queueByName.get(account, region, name) as QueueRow | undefined;
    if (!r) return undefined;
    const q = toQueue(r);
    if (!this.db.inTransaction) this.queues.set(key, copyQueue(q));
    return q;
  }

  /**
   * The same record for readers that change nothing (SendMessage, the queue-policy hook): the
   * cached object itself, not a copy. Copying its attributes and tags on every send cost more
   * than the lookup.
   */
  queueForRead(account: string, region: string, name: string): Readonly<QueueRecord> | undefined {
    const hit = this.queues.get(queueKey(account, region, name));
    if (hit) return hit;
    const q = this.queue(account, region, name);
    // queue() cached a copy (outside a transaction); hand that one out from now on.
    return q && (this.queues.get(queueKey(account, region, name)) ?? q);
  }

  queueById(id: number): QueueRecord | undefined {
    const r = this.s.queueById.get(id) as QueueRow | undefined;
    return r ? toQueue(r) : undefined;
  }

  /** Queues of an account and region in name order, names starting with prefix, after a name. */
  listQueues(account: string, region: string, prefix: string, after: string, limit: number): QueueRecord[] {
    const rows = this.s.listQueues.all(account, region, prefix, prefix + "\uffff", after, limit) as QueueRow[];
    return rows.map(toQueue);
  }

  createQueue(q: Omit<QueueRecord, "id" | "purgedAt">): QueueRecord {
    this.queues.delete(queueKey(q.account, q.region, q.name));
    const info = this.s.insertQueue.run(q.account, q.region, q.name, q.fifo ? 1 : 0, JSON.stringify(q.attributes), JSON.stringify(q.tags), q.createdAt, q.modifiedAt);
    return { ...q, id: Number(info.lastInsertRowid), purgedAt: null };
  }

  saveQueue(q: QueueRecord): void {
    this.queues.delete(queueKey(q.account, q.region, q.name));
    this.s.updateQueue.run(JSON.stringify(q.attributes), JSON.stringify(q.tags), q.modifiedAt, q.purgedAt, q.id);
  }

  deleteQueue(q: QueueRecord, now: number): void {
    this.queues.delete(queueKey(q.account, q.region, q.name));
    this.tx(() => {
      this.s.deleteQueueMessages.run(q.id);
      this.s.deleteQueueDedup.run(q.id);
      this.s.deleteQueueAttempts.run(q.id);
      this.s.deleteQueue.run(q.id);
      this.s.markDeleted.run(q.account, q.region, q.name, now);
    });
  }

  deletedAt(account: string, region: string, name: string): number | undefined {
    return (this.s.deletedAt.get(account, region, name) as { deleted_at: number } | undefined)?.deleted_at;
  }

  // ---- messages ----

  insertMessage(m: NewMessage): number {
    const seq = this.allocSeq();
    if (seq <= this.reservedTo) {
      this.insertRow(seq, m);
      return seq;
    }
    // Past the mark: raise it with the insert, atomically. The transaction may be a caller's
    // that still rolls back, so reservedTo moves only once the outermost tx() has committed
    // (see tx); until then each insert re-checks the mark (a no-op UPDATE writes no page).
    this.tx(() => {
      this.s.reserveSeq.run(seq + SEQ_BLOCK, seq);
      this.insertRow(seq, m);
      this.pendingReserve = true;
    });
    return seq;
  }

  private insertRow(seq: number, m: NewMessage): void {
    // Positional parameters: binding 16 named ones looks each up in an object, on every send.
    this.s.insertMessage.run(
      seq,
      m.queue_id,
      m.message_id,
      m.body,
      m.md5_body,
      m.attrs ?? null,
      m.sys_attrs ?? null,
      m.sender_id,
      m.sent_at,
      m.enqueued_at,
      m.visible_at,
      m.receive_count ?? 0,
      m.first_receive_at ?? null,
      m.group_id ?? null,
      m.dedup_id ?? null,
      m.dlq_source_arn ?? null,
    );
  }

  message(queueId: number, seq: number): MessageRow | undefined {
    return this.s.message.get(seq, queueId) as MessageRow | undefined;
  }

  deleteMessage(seq: number): void {
    this.s.deleteMessage.run(seq);
  }

  /** Visible messages in visibility order, after the (visibleAt, seq) cursor (keyset pagination). */
  visible(queueId: number, now: number, after: { visibleAt: number; seq: number }, limit: number): MessageRow[] {
    return this.s.visible.all(queueId, after.visibleAt, after.seq, now, limit) as MessageRow[];
  }

  /** Lazily iterates a queue's messages in send order (FIFO scans); do not write while iterating. */
  inOrder(queueId: number): IterableIterator<Pick<MessageRow, "seq" | "group_id" | "visible_at" | "receive_count">> {
    return this.s.inOrder.iterate(queueId) as IterableIterator<Pick<MessageRow, "seq" | "group_id" | "visible_at" | "receive_count">>;
  }

  markReceived(seq: number, receiveCount: number, firstReceiveAt: number, receivedAt: number, visibleAt: number, receipt: string): void {
    this.s.markReceived.run(receiveCount, firstReceiveAt, receivedAt, visibleAt, receipt, seq);
  }

  setVisibleAt(seq: number, visibleAt: number): void {
    this.s.setVisibleAt.run(visibleAt, seq);
  }

  /** The earliest time after now at which a hidden message of the queue becomes visible. */
  nextVisibleAt(queueId: number, now: number): number | undefined {
    const t = (this.s.nextVisibleAt.get(queueId, now) as { t: number | null }).t;
    return t ?? undefined;
  }

  counts(queueId: number, now: number): { visible: number; inflight: number; delayed: number } {
    const visible = (this.s.countVisible.get(queueId, now) as { n: number }).n;
    const hidden = this.s.countHidden.get(queueId, now) as { inflight: number; delayed: number };
    return { visible, inflight: hidden.inflight, delayed: hidden.delayed };
  }

  /** Deletes messages enqueued at or before the cutoff (retention); returns how many. */
  expire(queueId: number, cutoff: number): number {
    return this.s.expire.run(queueId, cutoff).changes;
  }

  purge(queueId: number): number {
    return this.s.purge.run(queueId).changes;
  }

  maxSeq(queueId: number): number {
    return (this.s.maxSeq.get(queueId) as { s: number }).s;
  }

  movable(queueId: number, fifo: boolean, maxSeq: number, now: number, limit: number): MessageRow[] {
    return (fifo ? this.s.movableFifo.all(queueId, maxSeq, now, limit) : this.s.movableStandard.all(queueId, now, maxSeq, limit)) as MessageRow[];
  }

  // ---- FIFO deduplication and receive attempts ----

  dedup(queueId: number, key: string, now: number): { message_id: string; seq: number } | undefined {
    const r = this.s.dedup.get(queueId, key) as { message_id: string; seq: number; expires_at: number } | undefined;
    return r && r.expires_at > now ? r : undefined;
  }

  putDedup(queueId: number, key: string, messageId: string, seq: number, expiresAt: number, now: number): void {
    this.s.expireDedup.run(queueId, now);
    this.s.putDedup.run(queueId, key, messageId, seq, expiresAt);
  }

  attempt(queueId: number, attemptId: string, now: number): Array<{ seq: number; receipt: string }> | undefined {
    const r = this.s.attempt.get(queueId, attemptId) as { result: string; expires_at: number } | undefined;
    return r && r.expires_at > now ? (JSON.parse(r.result) as Array<{ seq: number; receipt: string }>) : undefined;
  }

  putAttempt(queueId: number, attemptId: string, result: Array<{ seq: number; receipt: string }>, expiresAt: number, now: number): void {
    this.s.expireAttempts.run(queueId, now);
    this.s.putAttempt.run(queueId, attemptId, expiresAt, JSON.stringify(result));
  }

  // ---- message move tasks ----

  insertTask(t: Omit<MoveTaskRow, "failure_reason">): void {
    this.s.insertTask.run(t);
  }

  task(taskId: string): MoveTaskRow | undefined {
    return this.s.task.get(taskId) as MoveTaskRow | undefined;
  }

  tasksOf(account: string, region: string, sourceArn: string, limit: number): MoveTaskRow[] {
    return this.s.tasksOf.all(account, region, sourceArn, limit) as MoveTaskRow[];
  }

  activeTasks(): MoveTaskRow[] {
    return this.s.activeTasks.all() as MoveTaskRow[];
  }

  updateTask(taskId: string, status: string, moved: number, failureReason: string | null): void {
    this.s.updateTask.run(status, moved, failureReason, taskId);
  }

  /** Drops every SQS row (POST /_nimbus/state/reset). */
  reset(): void {
    this.queues.clear();
    this.tx(() => {
      for (const t of TABLES) this.db.exec(`DELETE FROM ${t}`);
    });
  }
}
