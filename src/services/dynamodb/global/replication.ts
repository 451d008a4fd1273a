// The asynchronous half of global tables: writes queued in ddb_replication (by the source
// region's write, in its transaction, so an acknowledged write is never lost to its replicas)
// are applied to the replica tables after the source's commit, in batches, each in its own
// transaction. Conflicts resolve as AWS's 2019.11.21 version does, last writer wins: a queued
// version is applied only when it is newer (Nimbus time, then region name on a tie) than the
// version the replica holds (ddb_rep_versions). A replicated write goes through the store like
// any other (indexes, PITR and the replica's own stream follow) but is not queued again.
import type { ServiceRuntime } from "../../../core/service.js";
import { fromStored, itemSize } from "../engine/values.js";
import { dynamoStore, type DynamoStore, type TableRecord } from "../store.js";

const BATCH = 500;

interface Queued {
  seq: number;
  account: string;
  source_region: string;
  target_region: string;
  table_name: string;
  hk: Buffer;
  rk: Buffer;
  item: string | null;
  at: number;
}

/** Applies up to BATCH queued writes in one transaction; returns how many were taken off the queue. */
export function drainOnce(store: DynamoStore): number {
  return store.tx(() => {
    const rows = store.prepared("SELECT * FROM ddb_replication ORDER BY seq LIMIT ?").all(BATCH) as Queued[];
    const tables = new Map<string, TableRecord | undefined>();
    const version = store.prepared("SELECT at, region FROM ddb_rep_versions WHERE table_id = ? AND hk = ? AND rk = ?");
    const setVersion = store.prepared(
      "INSERT INTO ddb_rep_versions (table_id, hk, rk, at, region) VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_id, hk, rk) DO UPDATE SET at = excluded.at, region = excluded.region",
    );
    for (const r of rows) {
      const k = `${r.account}\0${r.target_region}\0${r.table_name}`;
      if (!tables.has(k)) tables.set(k, store.table(r.account, r.target_region, r.table_name));
      const t = tables.get(k);
      // A replica deleted (or a group left) since: the write has nowhere to go.
      if (t && t.meta.replicas?.some((x) => x.region === r.source_region)) {
        const v = version.get(t.id, r.hk, r.rk) as { at: number; region: string } | undefined;
        if (!v || r.at > v.at || (r.at === v.at && r.source_region > v.region)) {
          store.replicating = true;
          try {
            const old = store.getItem(t.id, r.hk, r.rk);
            if (r.item !== null) store.putItem(t.id, r.hk, r.rk, r.item, itemSize(fromStored(r.item)), old);
            else if (old) store.deleteItem(t.id, r.hk, r.rk, old);
          } finally {
            store.replicating = false;
          }
          setVersion.run(t.id, r.hk, r.rk, r.at, r.source_region);
        }
      }
      store.prepared("DELETE FROM ddb_replication WHERE seq = ?").run(r.seq);
    }
    return rows.length;
  });
}

/** Starts the replicator of one Nimbus: after every write that queued something, and at start. */
export function startReplicator(rt: ServiceRuntime): () => void {
  const store = dynamoStore(rt.db);
  let scheduled = false;
  let stopped = false;
  const run = () => {
    scheduled = false;
    if (stopped) return;
    try {
      // Batches until the queue is empty, yielding to requests between them.
      if (drainOnce(store) === BATCH) schedule();
    } catch (e) {
      if (!/database connection is not open/.test(String(e))) console.error("dynamodb replication:", e);
    }
  };
  // After the writing transaction has committed (the hook runs inside it).
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(run);
  };
  store.onReplicationQueued = schedule;
  schedule();
  return () => {
    stopped = true;
    store.onReplicationQueued = undefined;
  };
}
