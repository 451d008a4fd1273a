// SNS state. Topics and subscriptions are documents of the shared store in the topic's scope
// ("<account>/<region>"; subscription ids are "<topic name>/<uuid>" so a topic's subscriptions
// are one prefix scan). Deliveries wait in the chassis outbox until done (delivery.ts): one row
// per message and subscription, written in the Publish transaction, so an acknowledged Publish
// is never lost and retries survive a restart. Email deliveries end in sns_outbox (GET /_sns/outbox).
import { outboxMigration } from "../../core/events/outbox.js";
import { DocStore } from "../../core/state/doc-store.js";
import { perDatabase, type Db, type Migration } from "../../core/state/database.js";
import type { MessageAttribute } from "./filter-policy.js";

export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE sns_deliveries (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        sub_arn      TEXT NOT NULL,
        payload      TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_at      INTEGER NOT NULL,
        created_at   INTEGER NOT NULL
      );
      CREATE INDEX sns_deliveries_due ON sns_deliveries (next_at, id);
      CREATE TABLE sns_outbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        sub_arn      TEXT NOT NULL,
        protocol     TEXT NOT NULL,
        endpoint     TEXT NOT NULL,
        body         TEXT NOT NULL,
        delivered_at INTEGER NOT NULL
      );
    `);
  },
  // 2. Deliveries move to the chassis outbox (nimbus_outbox, outbox 'sns'): rows a previous
  // Nimbus left are carried over in order, with their attempts and due times.
  (db) => {
    outboxMigration(db);
    db.exec(`
      INSERT INTO nimbus_outbox (outbox, lane, item, attempts, next_at, created_at)
        SELECT 'sns',
               CASE WHEN json_extract(payload, '$.fifo') IS NOT NULL THEN sub_arn END,
               json_object('subArn', sub_arn, 'delivery', json(payload)),
               attempts, next_at, created_at
        FROM sns_deliveries ORDER BY id;
      DROP TABLE sns_deliveries;
    `);
  },
];

export interface TopicDoc {
  name: string;
  arn: string;
  account: string;
  region: string;
  fifo: boolean;
  /** Settable attributes as set (DisplayName, Policy, DeliveryPolicy, ContentBasedDeduplication...). */
  attributes: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  createdAt: number;
  /** Subscriptions deleted so far (SubscriptionsDeleted). */
  deleted: number;
  /** FIFO: next sequence number; deduplication ids seen in the last 5 minutes. */
  sequence: number;
  dedup: Record<string, { at: number; messageId: string; sequence: string }>;
}

export interface SubscriptionDoc {
  arn: string;
  id: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  owner: string;
  confirmed: boolean;
  token?: string;
  attributes: Record<string, string>;
  createdAt: number;
}

/** What one delivery carries: everything needed to build the protocol's payload later. */
export interface DeliveryPayload {
  kind: "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";
  messageId: string;
  topicArn: string;
  subject?: string;
  /** The message for this protocol (MessageStructure=json already resolved). */
  message: string;
  timestamp: string;
  attributes?: Record<string, MessageAttribute>;
  token?: string;
  endpointBase: string;
  fifo?: { groupId: string; dedupId: string; sequence: string };
  /** Snapshot of the subscription's target, so a delivery survives the subscription's changes. */
  protocol: string;
  endpoint: string;
  raw: boolean;
}

export function scopeStore(db: Db, account: string, region: string): DocStore {
  return new DocStore(db, "sns", `${account}/${region}`);
}

export function topicArn(account: string, region: string, name: string): string {
  return `arn:aws:sns:${region}:${account}:${name}`;
}

/** Account, region and name of a topic ARN; with a 4th part, the subscription id. */
export function parseSnsArn(arn: string): { region: string; account: string; topic: string; sub?: string } | undefined {
  const m = /^arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)(?::([0-9a-f-]{36}))?$/.exec(arn);
  return m ? { region: m[1], account: m[2], topic: m[3], ...(m[4] ? { sub: m[4] } : {}) } : undefined;
}

function prepare(db: Db) {
  return {
    outbox: db.prepare("INSERT INTO sns_outbox (sub_arn, protocol, endpoint, body, delivered_at) VALUES (?, ?, ?, ?, ?)"),
    listOutbox: db.prepare("SELECT id, sub_arn, protocol, endpoint, body, delivered_at FROM sns_outbox WHERE id > ? ORDER BY id LIMIT 1000"),
    resetOutbox: db.prepare("DELETE FROM sns_outbox"),
  };
}

export const snsStatements = perDatabase(prepare);
