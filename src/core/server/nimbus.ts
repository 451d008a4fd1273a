// One Nimbus: the config, the state (SQLite + blobs), the clock, the event bus, the
// registered services and the HTTP listener. createNimbus() prepares everything that
// must exist before the first request; listen() opens the port.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { rmSync } from "node:fs";
import { resolveConfig, type ConfigInput, type NimbusConfig } from "../../config/config.js";
import { NimbusError } from "../errors.js";
import { Clock } from "../clock/clock.js";
import { stopWorkers } from "../clock/background-worker.js";
import { EventBus } from "../events/bus.js";
import { openDatabase, migrate, migrated, getMeta, setMeta, inTransaction, type Db } from "../state/database.js";
import { DocStore } from "../state/doc-store.js";
import { BlobStore } from "../blobs/blob-store.js";
import { setCleanMark, sweepOrphanBlobs, takeCleanMark, type SweepResult } from "../blobs/sweep.js";
import { scopeOf, type Principal, type ServiceDefinition, type ServiceEntry, type ServiceRuntime } from "../service.js";
import { Gateway } from "../gateway/gateway.js";
import { InternalApi } from "../gateway/internal-api.js";
import type { GatewayRequest, GatewayResponse } from "../gateway/http-types.js";
import { HttpFront } from "./http-front.js";
import { KEEP_ALIVE_TIMEOUT_MS } from "./fast-exchange.js";
import { InProcessClient } from "../client/in-process.js";
import { PersistentCredentialRegistry } from "../auth/credentials.js";
import { Authorizer } from "../iam/authorize.js";
import type { PrincipalPolicyProvider } from "../iam/types.js";
import { SERVICES } from "../../services/index.js";

/** nimbus_meta key of the orphan sweep's clean mark (core/blobs/sweep.ts). */
const CLEAN_MARK = "blobs.clean";

export class Nimbus {
  readonly config: NimbusConfig;
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly clock = new Clock();
  readonly events = new EventBus((err, event) => this.logError(err, `event ${event}`));
  /** Every service the registry (services/index.ts) lists, loaded or not. */
  readonly registry: Readonly<Record<string, ServiceEntry>> = SERVICES;
  /** The services loaded so far (see load()); a registered service not in here has no state yet. */
  readonly services = new Map<string, ServiceDefinition>();
  private readonly loading = new Map<string, Promise<ServiceDefinition>>();
  /** Issued credentials, in the database so IAM keys and STS sessions survive a restart. */
  readonly credentials: PersistentCredentialRegistry;
  readonly client: InProcessClient;
  readonly internalApi: InternalApi;
  /**
   * Where the authorize step (gateway step 6) reads IAM principals' policies: set from the IAM
   * service's `principalPolicies` at start, or directly by a bench or test. Absent: IAM
   * principals have no identity policies (every request of theirs is denied under enforce).
   */
  principalPolicies?: PrincipalPolicyProvider;
  /** Gateway step 6: NIMBUS_IAM=enforce|audit|off (core/iam/authorize.ts). */
  readonly authorizer: Authorizer;
  port = 0;
  private server?: Server;
  /** The lean HTTP/1.1 front (http-front.ts) in front of `server`; absent under NIMBUS_HTTP=node. */
  private front?: HttpFront;
  private readonly gateway: Gateway;
  private readonly runtimes = new Map<string, ServiceRuntime>();
  private closed = false;
  /** The orphan-blob sweep started by start(), running in the background (core/blobs/sweep.ts). */
  blobSweep: Promise<SweepResult> = Promise.resolve({ skipped: true, scanned: 0, removed: 0, stopped: false });

  constructor(config: NimbusConfig) {
    this.config = config;
    // The credentials table is created with the chassis tables, in one transaction.
    let credentials: PersistentCredentialRegistry | undefined;
    // An --ephemeral data directory is removed at exit: its commits skip the fsync (database.ts).
    const durable = !config.ephemeral;
    this.db = openDatabase(config.dataDir, (db) => (credentials = new PersistentCredentialRegistry(db)), { durable });
    this.credentials = credentials!;
    this.blobs = new BlobStore(config.dataDir, this.db, { durable });
    this.blobs.sweepTemp();
    // Nimbus time survives restarts: an advanced clock stays advanced.
    const offset = Number(getMeta(this.db, "clock.offset") ?? "0");
    if (offset > 0) this.clock.setOffset(offset);
    this.clock.onAdvance((o) => setMeta(this.db, "clock.offset", String(o)));
    this.client = new InProcessClient(this);
    this.authorizer = new Authorizer(this);
    this.gateway = new Gateway(this);
    this.internalApi = new InternalApi(this);
    // A service some event must reach is loaded by the first such event (CloudWatch: metrics).
    for (const [name, entry] of Object.entries(SERVICES)) for (const event of entry.wakeOn ?? []) this.events.wakeOn(event, () => this.load(name));
  }

  /**
   * Loads the services the data directory holds state of (their workers must run again after a
   * restart: S3 lifecycle, SQS move tasks, Lambda pollers, EC2 instances...); every other
   * service waits for its first request (load()). Called once by createNimbus.
   */
  async start(): Promise<void> {
    // State of a service: its own tables (a nimbus_schema row) or documents.
    const withTables = new Set(this.db.prepare("SELECT service FROM nimbus_schema").pluck().all() as string[]);
    const hasDocs = this.db.prepare("SELECT 1 FROM nimbus_docs WHERE service = ? LIMIT 1").pluck();
    const names = Object.keys(SERVICES).filter((name) => withTables.has(name) || hasDocs.get(name) !== undefined);
    const defs = await Promise.all(names.map((name) => SERVICES[name].load()));
    // Their migrations in one transaction (each service's own becomes a savepoint): one fsynced
    // commit at start instead of one per service, with the orphan sweep's clean mark. The mark
    // is only rewritten when set: absent already means "not clean", and on a fresh data
    // directory that commit would guard nothing.
    const cleanStart = getMeta(this.db, CLEAN_MARK) === "1";
    const pending = defs.filter((def) => def.migrations && !migrated(this.db, def.name, def.migrations));
    if (cleanStart || pending.length > 0) {
      inTransaction(this.db, () => {
        for (const def of pending) migrate(this.db, def.name, def.migrations!);
        if (cleanStart) takeCleanMark(this.db);
      });
    }
    for (const def of defs) await this.started(def);
    if (!cleanStart) this.startBlobSweep();
  }

  /**
   * The service's definition, loading it on first use: module, pending migrations (one fsynced
   * commit the first time), start hook. Concurrent first requests share one load; the
   * definition is visible in `services` only once its start hook has run.
   */
  load(name: string): Promise<ServiceDefinition> {
    const def = this.services.get(name);
    if (def) return Promise.resolve(def);
    let p = this.loading.get(name);
    if (!p) {
      const entry = SERVICES[name];
      if (!entry) return Promise.reject(new Error(`no service named ${name}`));
      p = entry.load().then(async (d) => {
        for (const dep of entry.needs ?? []) await this.load(dep);
        if (this.closed) throw new NimbusError("ERR_CLOSED", `Nimbus is closing; ${name} was not started`);
        if (d.migrations) migrate(this.db, d.name, d.migrations);
        await this.started(d);
        return d;
      });
      this.loading.set(name, p);
      p.catch(() => this.loading.delete(name));
    }
    return p;
  }

  private async started(def: ServiceDefinition): Promise<void> {
    if (this.services.has(def.name)) return;
    await def.start?.(this.runtimeFor(def.name));
    if (def.principalPolicies) this.principalPolicies = def.principalPolicies(this.runtimeFor(def.name));
    this.services.set(def.name, def);
  }

  /** After a crash, remove blobs no service references; in the background, never delaying requests. */
  private startBlobSweep(): void {
    this.blobs.startTracking();
    const sources = [...this.services.values()].filter((d) => d.blobRefs).map((d) => ({ service: d.name, refs: d.blobRefs!.bind(d) }));
    this.blobSweep = new Promise<void>((r) => setImmediate(r))
      .then(() => sweepOrphanBlobs(this.blobs, this.db, sources, () => this.closed))
      .catch((err) => {
        this.logError(err, "blob sweep");
        return { skipped: false, scanned: 0, removed: 0, stopped: true };
      })
      .finally(() => this.blobs.stopTracking());
  }

  runtimeFor(service: string): ServiceRuntime {
    let rt = this.runtimes.get(service);
    if (!rt) {
      const nimbus = this;
      rt = {
        service,
        db: this.db,
        blobs: this.blobs,
        clock: this.clock,
        events: this.events,
        client: this.client,
        dataDir: this.config.dataDir,
        store: (scope: string) => new DocStore(this.db, service, scope),
        credentials: this.credentials,
        get principalPolicies() {
          return nimbus.principalPolicies;
        },
      };
      this.runtimes.set(service, rt);
    }
    return rt;
  }

  storeFor(service: string, accountId: string, region: string, global: boolean): DocStore {
    return new DocStore(this.db, service, scopeOf(accountId, region, global));
  }

  /** Drops the state of one service, or of all; used by POST /_nimbus/state/reset. A service not loaded has no state but its documents. */
  reset(service?: string): string[] {
    const names = service ? [service] : Object.keys(SERVICES);
    this.db.transaction(() => {
      for (const name of names) {
        this.db.prepare("DELETE FROM nimbus_docs WHERE service = ?").run(name);
        this.services.get(name)?.reset?.(this.runtimeFor(name));
      }
    })();
    for (const name of names) this.events.emit("state.reset", { service: name });
    return names;
  }

  async listen(): Promise<{ port: number; host: string }> {
    const handle = (req: GatewayRequest, res: GatewayResponse): void => {
      this.gateway.handle(req, res).catch((err) => {
        this.logError(err, "gateway");
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    };
    const httpServer = createServer({ keepAlive: true, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, requestTimeout: 0 }, handle);
    // SDKs keep connections alive for a long time; don't let Node cut them first.
    httpServer.headersTimeout = 70_000;
    this.server = httpServer;
    // The lean front serves the common request and hands node:http the rest; NIMBUS_HTTP=node
    // serves everything through node:http (a switch for debugging, and an A/B for benches).
    if (process.env.NIMBUS_HTTP !== "node") this.front = new HttpFront(handle, httpServer);
    const server: NetServer = this.front ? this.front.server : httpServer;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") {
          reject(new NimbusError("ERR_PORT_IN_USE", `port ${this.config.port} on ${this.config.host} is already in use; stop the other process or start with --port <free port>`));
        } else if (err.code === "EACCES") {
          reject(new NimbusError("ERR_PORT_DENIED", `not allowed to listen on port ${this.config.port}; use a port above 1023 with --port`));
        } else reject(err);
      });
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return { port: this.port, host: this.config.host };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.front) await this.front.close();
    else if (this.server) {
      const s = this.server;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    for (const def of this.services.values()) await def.stop?.(this.runtimeFor(def.name));
    // Background passes still running (a stop hook that did not wait for its workers) end
    // before the database closes under them.
    await stopWorkers(this.db);
    // A clean shutdown lets the next start skip the orphan sweep, unless this run's sweep was cut short.
    const sweep = await this.blobSweep;
    await this.blobs.drain();
    if (!sweep.stopped) setCleanMark(this.db);
    this.db.close();
    if (this.config.ephemeral) rmSync(this.config.dataDir, { recursive: true, force: true });
  }

  logError(err: unknown, where?: string): void {
    if (this.config.log === "silent") return;
    console.error(`nimbus: error in ${where ?? "request"}:`, err);
  }

  logRequest(method: string, url: string, status: number, operation: string | undefined, startedAt: bigint): void {
    if (this.config.log !== "debug") return;
    const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
    console.log(`${method} ${url} -> ${status} ${operation ?? ""} ${ms.toFixed(1)}ms`);
  }
}

export async function createNimbus(input: ConfigInput = {}): Promise<Nimbus> {
  const nimbus = new Nimbus(resolveConfig(input));
  await nimbus.start();
  return nimbus;
}

export type { Nimbus as NimbusServer };
