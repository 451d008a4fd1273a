// The one small plugin interface. A service is a name, a map of handlers by AWS operation
// name, its migrations, and optional lifecycle hooks. Handlers take typed input and return
// typed output (types from the pinned @aws-sdk/client-* packages, `import type` only) or
// throw an AwsError; they never see HTTP.
import type { Clock } from "./clock/clock.js";
import type { EventBus } from "./events/bus.js";
import type { Db, Migration } from "./state/database.js";
import type { DocStore } from "./state/doc-store.js";
import type { BlobStore } from "./blobs/blob-store.js";
import type { ProtocolId } from "./model/types.js";

export interface Principal {
  /** root | user | assumed-role | anonymous */
  type: "root" | "user" | "assumed-role" | "anonymous";
  accountId: string;
  arn: string;
  /** The UserId GetCallerIdentity reports (account id for root, AIDA.../AROA...:session otherwise). */
  userId: string;
  accessKeyId?: string;
}

/** What an in-process call looks like: the same handlers, no HTTP. */
export interface InProcessClient {
  call<O = Record<string, unknown>>(service: string, operation: string, input: Record<string, unknown>, as?: { accountId?: string; region?: string; principal?: Principal }): Promise<O>;
}

export interface RequestContext {
  requestId: string;
  /** process.hrtime.bigint() at arrival. */
  startedAt: bigint;
  clock: Clock;
  service: string;
  operation: string;
  protocol: ProtocolId | "internal";
  region: string;
  accountId: string;
  principal: Principal;
  /** This service's documents, scoped to the caller's account and region (or account for global services). */
  store: DocStore;
  db: Db;
  blobs: BlobStore;
  events: EventBus;
  client: InProcessClient;
  /** Base URL the caller used (scheme://host[:port]), for URLs handlers hand out (SQS QueueUrl). */
  endpoint: string;
  /** Request headers, lower-cased, for the few operations whose behaviour depends on them beyond the model. */
  headers: Record<string, string>;
  /** Aborted when the client disconnects before the answer; absent for in-process calls. */
  signal?: AbortSignal;
}

/**
 * The one HTTP detail a handler may set, as a symbol-keyed member of its output: a 2xx status
 * the model cannot express (S3 answers a range GET with 206 Partial Content, and its model has
 * no httpResponseCode member for it). restXml honours it; members keyed by symbols are never
 * serialized.
 */
export const RESPONSE_STATUS: unique symbol = Symbol.for("nimbus.responseStatus");

export type Handler<I = any, O = any> = (input: I, ctx: RequestContext) => O | Promise<O>;

/** What a service's lifecycle hooks receive: everything but the per-request parts. */
export interface ServiceRuntime {
  service: string;
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  events: EventBus;
  client: InProcessClient;
  dataDir: string;
  /** Documents of this service in a scope ("<account>/<region>" or "<account>"). */
  store(scope: string): DocStore;
}

export interface ServiceDefinition {
  /** The @aws-sdk/client-<name> suffix; also the models/<name>.json file. */
  name: string;
  handlers: Record<string, Handler>;
  /** Numbered migrations for the service's own tables (beyond the shared document store). */
  migrations?: readonly Migration[];
  /** Started after migrations, before the listener accepts requests; must be quick. */
  start?(rt: ServiceRuntime): void | Promise<void>;
  /** Called at shutdown with the same runtime start() got (several Nimbus instances may share a process). */
  stop?(rt: ServiceRuntime): void | Promise<void>;
  /** Drop all of this service's state (its own tables; the shared document rows are cleared by the chassis). */
  reset?(rt: ServiceRuntime): void;
}

export function defineService(def: ServiceDefinition): ServiceDefinition {
  return def;
}

/** Scope string of a request: global services keep one scope per account. */
export function scopeOf(accountId: string, region: string, global: boolean): string {
  return global ? accountId : `${accountId}/${region}`;
}
