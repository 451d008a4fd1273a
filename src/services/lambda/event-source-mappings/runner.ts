// The pollers of event source mappings, one runner per Nimbus (keyed by its database): started
// for every enabled mapping at start (so mappings survive restarts), changed by sync() when a
// mapping is created, updated or deleted. No mapping, no poller, no cost: SQS pollers park in
// SQS's own long poll, DynamoDB pollers sleep until a stream record event wakes them.
import type { Db } from "../../../core/state/database.js";
import type { ServiceRuntime, RequestContext } from "../../../core/service.js";
import { SqsPoller } from "./sqs-poller.js";
import { StreamPoller } from "./stream-poller.js";
import type { StoredMapping } from "./handlers.js";

const KIND = "event-source-mapping";

export interface Poller {
  readonly account: string;
  readonly region: string;
  /** Resolves once a pass that was running has ended. */
  stop(release: boolean): void | Promise<void>;
  wake?(): void;
}

export class MappingRunner {
  private readonly pollers = new Map<string, Poller>();
  private readonly streams = new Map<string, Set<StreamPoller>>();
  private unsubscribe?: () => void;
  private closed = false;

  private readonly offReset: () => void;

  constructor(readonly rt: ServiceRuntime) {
    // POST /_nimbus/state/reset drops the mapping documents: their pollers stop with them.
    this.offReset = rt.events.on("state.reset", (e) => {
      if (e.service !== undefined && e.service !== "lambda") return;
      for (const [uuid, p] of [...this.pollers]) this.sync(p.account, p.region, uuid);
    });
  }

  /** Starts a poller for every enabled mapping in the database. */
  start(): void {
    const rows = this.rt.db.prepare("SELECT scope, id FROM nimbus_docs WHERE service = 'lambda' AND kind = ?").all(KIND) as Array<{ scope: string; id: string }>;
    for (const r of rows) {
      const [account, region] = r.scope.split("/");
      this.sync(account, region, r.id);
    }
  }

  load(account: string, region: string, uuid: string): StoredMapping | undefined {
    return this.rt.store(`${account}/${region}`).get<StoredMapping>(KIND, uuid);
  }

  /** Updates only the poller-owned fields of a mapping (read and written in one synchronous step). */
  save(account: string, region: string, uuid: string, change: (doc: StoredMapping) => void): void {
    const store = this.rt.store(`${account}/${region}`);
    const doc = store.get<StoredMapping>(KIND, uuid);
    if (!doc) return;
    change(doc);
    store.put(KIND, uuid, doc);
  }

  /** Brings the poller of one mapping in line with its document (started, restarted or stopped). */
  sync(account: string, region: string, uuid: string): void {
    const old = this.pollers.get(uuid);
    if (old) {
      old.stop(true);
      this.pollers.delete(uuid);
      if (old instanceof StreamPoller) this.streams.get(old.streamArn)?.delete(old);
    }
    const doc = this.load(account, region, uuid);
    if (this.closed || !doc || doc.config.State !== "Enabled") return this.subscription();
    if (doc.source === "sqs") {
      this.pollers.set(uuid, new SqsPoller(this, doc));
    } else {
      const p = new StreamPoller(this, doc);
      this.pollers.set(uuid, p);
      let set = this.streams.get(p.streamArn);
      if (!set) this.streams.set(p.streamArn, (set = new Set()));
      set.add(p);
      // Its worker's first pass (on the next tick) reads what the stream holds already.
    }
    this.subscription();
  }

  /** Listens to DynamoDB stream records only while a stream mapping exists (DynamoDB skips the event otherwise). */
  private subscription(): void {
    const any = [...this.streams.values()].some((s) => s.size > 0);
    if (any && !this.unsubscribe) {
      this.unsubscribe = this.rt.events.on("dynamodb.stream-record", (e) => {
        for (const p of this.streams.get(e.streamArn) ?? []) p.wake();
      });
    } else if (!any && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
  }

  /** Where a stream ends now, per shard (the LATEST starting position). */
  async streamEnd(ctx: RequestContext, streamArn: string): Promise<Record<string, string>> {
    return StreamPoller.ends(ctx.client, streamArn);
  }

  /** Stops every poller; resolves once their running passes have ended. */
  close(): Promise<void> {
    this.closed = true;
    this.offReset();
    const waits = [...this.pollers.values()].map((p) => p.stop(false));
    this.pollers.clear();
    this.streams.clear();
    this.subscription();
    return Promise.all(waits).then(() => undefined);
  }
}

const runners = new Map<Db, MappingRunner>();

export function startMappings(rt: ServiceRuntime): void {
  void runners.get(rt.db)?.close();
  const r = new MappingRunner(rt);
  runners.set(rt.db, r);
  r.start();
}

/** Stops the runners (of `db`, or all); resolves once their pollers' passes have ended. */
export function stopMappings(db?: Db): Promise<void> {
  const waits: Array<Promise<void>> = [];
  for (const [key, r] of runners) if (!db || key === db) {
    waits.push(r.close());
    runners.delete(key);
  }
  return Promise.all(waits).then(() => undefined);
}

export function runnerFor(db: Db): MappingRunner {
  const r = runners.get(db);
  if (!r) throw new Error("lambda event source mappings not started");
  return r;
}
