// What every item write does besides writing ddb_items, inside the same transaction:
// 1. secondary indexes: the item's index key (when it has one: indexes are sparse) is validated
//    against AttributeDefinitions in AWS's words, then its ddb_index_items row is moved;
// 2. TTL: the item's expiry second is kept in ddb_ttl for the sweeper (ttl.ts);
// 3. point-in-time recovery: every version of the item, for RestoreTableToPointInTime;
// 4. global tables: the write queued for the other replicas (global/replication.ts);
// 5. streams: one record (INSERT / MODIFY / REMOVE, images per StreamViewType) with the next
//    sequence number of the table's stream; a write that changes nothing writes no record, as
//    on AWS. After the transaction commits, each record is announced on the event bus.
// A table with none of these has no hooks, and its writes pay nothing.
import { randomUUID } from "node:crypto";
import { encodeKey, fromStored, itemSize, toStored, typeOf, validation, valuesEqual, type AV, type Item } from "../engine/values.js";
import type { DynamoStore, TableRecord } from "../store.js";
import type { IndexMeta } from "./schema.js";

export interface KeyPart {
  name: string;
  type: "S" | "N" | "B";
}

/** Who made a write, when it was DynamoDB itself (a TTL expiry). */
export interface WriteIdentity {
  Type: "Service";
  PrincipalId: "dynamodb.amazonaws.com";
}

export const TTL_IDENTITY: WriteIdentity = { Type: "Service", PrincipalId: "dynamodb.amazonaws.com" };

export interface IndexHook {
  name: string;
  global: boolean;
  hash: KeyPart;
  range?: KeyPart;
  meta: IndexMeta;
}

/** Sequence numbers are decimal strings of 21 digits, increasing with the record. */
export function sequenceNumber(seq: number): string {
  return (10n ** 20n + BigInt(seq)).toString();
}

function keyPart(t: TableRecord, name: string): KeyPart {
  const d = t.meta.attributeDefinitions.find((x) => x.AttributeName === name);
  return { name, type: (d?.AttributeType ?? "S") as KeyPart["type"] };
}

export function indexHooks(t: TableRecord): IndexHook[] {
  const all = [...(t.meta.globalSecondaryIndexes ?? []), ...(t.meta.localSecondaryIndexes ?? [])];
  return all.map((i) => {
    const h = i.keySchema.find((k) => k.KeyType === "HASH")!;
    const r = i.keySchema.find((k) => k.KeyType === "RANGE");
    return { name: i.name, global: i.global, hash: keyPart(t, h.AttributeName), range: r ? keyPart(t, r.AttributeName) : undefined, meta: i };
  });
}

/**
 * The index key of an item, or undefined when the item is not in the index (a key attribute is
 * absent). A present attribute of the wrong type, or an empty string/binary, is AWS's
 * ValidationException for a new item; a stored item that predates the index is just left out.
 */
export function indexKeyOf(ix: IndexHook, item: Item, strict: boolean): { hk: Buffer; rk: Buffer } | undefined {
  let hk: Buffer | undefined;
  let rk: Buffer = Buffer.alloc(0);
  let missing = false;
  // Every present key attribute is checked, even when another is absent (AWS does too).
  for (const part of [ix.hash, ix.range]) {
    if (!part) continue;
    const v = item[part.name];
    if (v === undefined) {
      missing = true;
      continue;
    }
    const actual = typeOf(v);
    if (actual !== part.type) {
      if (!strict) return undefined;
      throw validation(`One or more parameter values were invalid: Type mismatch for Index Key ${part.name} Expected: ${part.type} Actual: ${actual} IndexName: ${ix.name}`);
    }
    if ((v.S !== undefined && v.S === "") || (v.B !== undefined && v.B.byteLength === 0)) {
      if (!strict) return undefined;
      throw validation(
        `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${v.S !== undefined ? "string" : "binary"} value. IndexName: ${ix.name}, IndexKey: ${part.name}`,
      );
    }
    if (missing) continue;
    const enc = encodeKey(v);
    if (part === ix.hash) hk = enc;
    else rk = enc;
  }
  return missing ? undefined : { hk: hk!, rk };
}

/** The expiry second of an item under a TTL attribute (undefined: it never expires). */
export function expiryOf(item: Item, attr: string): number | undefined {
  const v = item[attr];
  if (v?.N === undefined) return undefined;
  const n = Number(v.N);
  return Number.isFinite(n) ? Math.floor(n) : undefined;
}

export interface TableHooks {
  indexes: IndexHook[];
  write(store: DynamoStore, hk: Buffer, rk: Buffer, oldJson: string | undefined, newJson: string | undefined, identity?: WriteIdentity): void;
}

interface Pending {
  streamId: number;
  seq: number;
  /** The record as stored (binaries as {"$b": base64}). */
  json: string;
  accountId: string;
  region: string;
  tableName: string;
  streamArn: string;
}

const pendingByStore = new WeakMap<DynamoStore, Pending[]>();

/**
 * Announces committed stream records once the writing transaction is over: a record whose row
 * is not there (rolled back) is dropped. Nothing is kept when nobody listens.
 */
function announce(store: DynamoStore, p: Pending): void {
  if (!store.events?.has("dynamodb.stream-record")) return;
  let list = pendingByStore.get(store);
  if (!list) {
    list = [];
    pendingByStore.set(store, list);
    setImmediate(() => {
      pendingByStore.delete(store);
      const check = store.prepared("SELECT record FROM ddb_stream_records WHERE stream_id = ? AND seq = ?");
      for (const x of list!) {
        const row = check.get(x.streamId, x.seq) as { record: string } | undefined;
        if (row?.record !== x.json) continue;
        const record = fromStored(x.json) as unknown as Record<string, unknown>;
        store.events!.emit("dynamodb.stream-record", {
          accountId: x.accountId,
          region: x.region,
          tableName: x.tableName,
          streamArn: x.streamArn,
          sequenceNumber: sequenceNumber(x.seq),
          record,
        });
      }
    });
  }
  list.push(p);
}

export function buildHooks(t: TableRecord): TableHooks | undefined {
  const indexes = indexHooks(t);
  const ttlAttr = t.meta.ttl?.enabled ? t.meta.ttl.attributeName : undefined;
  const stream = t.meta.stream?.enabled ? t.meta.stream : undefined;
  const pitr = t.meta.pitr?.enabled === true;
  const peers = (t.meta.replicas ?? []).map((r) => r.region).filter((r) => r !== t.region);
  if (indexes.length === 0 && !ttlAttr && !stream && !pitr && peers.length === 0) return undefined;
  const tableId = t.id;
  const keyNames = [t.hash.name, ...(t.range ? [t.range.name] : [])];
  return {
    indexes,
    write(store, hk, rk, oldJson, newJson, identity) {
      const oldItem = oldJson !== undefined ? fromStored(oldJson) : undefined;
      const newItem = newJson !== undefined ? fromStored(newJson) : undefined;
      // 1. indexes
      for (const ix of indexes) {
        const o = oldItem && indexKeyOf(ix, oldItem, false);
        const n = newItem && indexKeyOf(ix, newItem, true);
        if (o && n && o.hk.equals(n.hk) && o.rk.equals(n.rk)) continue;
        if (o) store.prepared("DELETE FROM ddb_index_items WHERE table_id = ? AND idx = ? AND hk = ? AND rk = ? AND thk = ? AND trk = ?").run(tableId, ix.name, o.hk, o.rk, hk, rk);
        if (n) store.prepared("INSERT OR REPLACE INTO ddb_index_items (table_id, idx, hk, rk, thk, trk) VALUES (?, ?, ?, ?, ?, ?)").run(tableId, ix.name, n.hk, n.rk, hk, rk);
      }
      // 2. TTL
      if (ttlAttr) {
        const o = oldItem && expiryOf(oldItem, ttlAttr);
        const n = newItem && expiryOf(newItem, ttlAttr);
        if (o !== n) {
          if (o !== undefined) store.prepared("DELETE FROM ddb_ttl WHERE table_id = ? AND expires = ? AND hk = ? AND rk = ?").run(tableId, o, hk, rk);
          if (n !== undefined) store.prepared("INSERT OR REPLACE INTO ddb_ttl (table_id, expires, hk, rk) VALUES (?, ?, ?, ?)").run(tableId, n, hk, rk);
        }
      }
      // 3. point-in-time recovery: the item's new version (NULL: deleted) at Nimbus time
      const at = store.clock?.now() ?? Date.now();
      if (pitr) store.prepared("INSERT INTO ddb_pitr_log (table_id, at, hk, rk, item) VALUES (?, ?, ?, ?, ?)").run(tableId, at, hk, rk, newJson ?? null);
      // 4. global table: queued for every other replica (global/replication.ts applies it),
      //    unless this write is itself a replicated one; the version is this region's now
      if (peers.length) {
        if (!store.replicating) {
          const q = store.prepared(
            "INSERT INTO ddb_replication (account, source_region, target_region, table_name, hk, rk, item, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          );
          for (const region of peers) q.run(t.account, t.region, region, t.meta.name, hk, rk, newJson ?? null, at);
          store
            .prepared("INSERT INTO ddb_rep_versions (table_id, hk, rk, at, region) VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_id, hk, rk) DO UPDATE SET at = excluded.at, region = excluded.region")
            .run(tableId, hk, rk, at, t.region);
          store.onReplicationQueued?.();
        }
      }
      // 5. stream
      if (!stream) return;
      if (oldJson !== undefined && (oldJson === newJson || (newItem && valuesEqual({ M: oldItem! }, { M: newItem })))) return;
      const eventName = !oldItem ? "INSERT" : !newItem ? "REMOVE" : "MODIFY";
      const base = (newItem ?? oldItem)!;
      const Keys: Item = {};
      for (const k of keyNames) Keys[k] = base[k] as AV;
      const view = stream.viewType;
      const NewImage = newItem && (view === "NEW_IMAGE" || view === "NEW_AND_OLD_IMAGES") ? newItem : undefined;
      const OldImage = oldItem && (view === "OLD_IMAGE" || view === "NEW_AND_OLD_IMAGES") ? oldItem : undefined;
      const next = store.prepared("UPDATE ddb_streams SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq").get(stream.id) as { next_seq: number } | undefined;
      if (!next) return;
      const seq = next.next_seq;
      // The service's start() hands the store the Nimbus clock; a bare store (unit tests) has none.
      const now = store.clock?.now() ?? Date.now();
      const eventID = randomUUID().replace(/-/g, "");
      const size = itemSize(Keys) + (NewImage ? itemSize(NewImage) : 0) + (OldImage ? itemSize(OldImage) : 0);
      // Built as text: the images are the stored JSON of the items already (no second stringify).
      const json =
        `{"eventID":"${eventID}","eventName":"${eventName}","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":${JSON.stringify(t.region)},` +
        `"dynamodb":{"ApproximateCreationDateTime":${Math.floor(now / 1000)},"Keys":${toStored(Keys)}` +
        (NewImage ? `,"NewImage":${newJson}` : "") +
        (OldImage ? `,"OldImage":${oldJson}` : "") +
        `,"SequenceNumber":"${sequenceNumber(seq)}","SizeBytes":${size},"StreamViewType":"${view}"}` +
        (identity ? `,"userIdentity":${JSON.stringify(identity)}` : "") +
        "}";
      store.prepared("INSERT INTO ddb_stream_records (stream_id, seq, created_at, record) VALUES (?, ?, ?, ?)").run(stream.id, seq, now, json);
      announce(store, { streamId: stream.id, seq, json, accountId: t.account, region: t.region, tableName: t.meta.name, streamArn: stream.arn });
    },
  };
}
