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
import type { PrincipalPolicyProvider, ResourcePolicyHook } from "./iam/types.js";
import type { PersistentCredentialRegistry } from "./auth/credentials.js";

export interface Principal {
  /** root | user | assumed-role | anonymous */
  type: "root" | "user" | "assumed-role" | "anonymous";
  accountId: string;
  arn: string;
  /** The UserId GetCallerIdentity reports (account id for root, AIDA.../AROA...:session otherwise). */
  userId: string;
  accessKeyId?: string;
  /** Set for an AWS service principal ("sns.amazonaws.com", see servicePrincipal): type is "anonymous" then. */
  service?: string;
}

/**
 * An AWS service principal a call is made as (S3 notifications -> SQS, SNS -> SQS / Lambda...).
 * On AWS such deliveries are authorized by the target's resource policy alone (queue policy,
 * topic policy, function policy, key policy), usually with conditions on aws:SourceArn /
 * aws:SourceAccount.
 */
export interface OnBehalfOf {
  /** The service principal: "s3.amazonaws.com", "sns.amazonaws.com". */
  service: string;
  /** aws:SourceArn: the resource the service acts for (the bucket, the topic). */
  sourceArn?: string;
  /** aws:SourceAccount: the account owning that resource. */
  sourceAccount?: string;
}

/** Who an in-process call runs as; see InProcessClient.call. */
export interface CallAs {
  /** The account the call runs in (ctx.accountId); with onBehalfOf, the target resource's account. */
  accountId?: string;
  region?: string;
  /** A trusted principal (default: the account's root). Ignored with onBehalfOf. */
  principal?: Principal;
  /**
   * Run the authorize step (NIMBUS_IAM) as this service principal, with aws:SourceArn,
   * aws:SourceAccount and aws:PrincipalServiceName set: allowed only when the target's resource
   * policy (ServiceDefinition.resourcePolicy) allows it, AccessDenied otherwise.
   */
  onBehalfOf?: OnBehalfOf;
  /**
   * Authorize the call as `principal` (identity and resource policies, NIMBUS_IAM) instead of
   * trusting it: a service acting with its caller's permissions (S3 SSE-KMS calling KMS
   * GenerateDataKey / Decrypt for the uploader).
   */
  authorize?: boolean;
  /** With authorize: the service making the call ("s3.us-east-1.amazonaws.com"): kms:ViaService, aws:ViaAWSService. */
  viaService?: string;
}

/** What an in-process call looks like: the same handlers, no HTTP. */
export interface InProcessClient {
  call<O = Record<string, unknown>>(service: string, operation: string, input: Record<string, unknown>, as?: CallAs): Promise<O>;
}

/** The principal a call made on behalf of an AWS service runs as: no account, no identity policies. */
export function servicePrincipal(service: string): Principal {
  return { type: "anonymous", accountId: "", arn: service, userId: service, service };
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
  /** For in-process calls made on behalf of an AWS service: who and for which resource. */
  onBehalfOf?: OnBehalfOf;
}

/**
 * The one HTTP detail a handler may set, as a symbol-keyed member of its output: a 2xx status
 * the model cannot express (S3 answers a range GET with 206 Partial Content, and its model has
 * no httpResponseCode member for it). restXml honours it; members keyed by symbols are never
 * serialized.
 */
export const RESPONSE_STATUS: unique symbol = Symbol.for("nimbus.responseStatus");

/**
 * Extra response headers a handler may set, as a symbol-keyed member of its output, for headers
 * the model does not declare (S3 CORS: Access-Control-Allow-Origin on an actual request). restXml
 * honours it.
 */
export const RESPONSE_HEADERS: unique symbol = Symbol.for("nimbus.responseHeaders");

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
  /** The credentials Nimbus issued (IAM access keys, STS sessions): IAM and STS write here, auth reads. */
  credentials: PersistentCredentialRegistry;
  /** The principal-policy provider the IAM service installed (STS evaluates AssumeRole callers' policies with it). */
  readonly principalPolicies?: PrincipalPolicyProvider;
}

/** A request a service serves outside its model (see ServiceDefinition.http). */
export interface RawHttpRequest {
  requestId: string;
  method: string;
  /** Path as sent, still percent-encoded, without the query string. */
  rawPath: string;
  rawQuery: string;
  /** Lower-cased header names; repeated headers joined with ",". */
  headers: Record<string, string>;
  /** The request body, unread. */
  body: import("node:stream").Readable;
  /** Base URL the caller used (scheme://host[:port]). */
  endpoint: string;
}

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string | import("node:stream").Readable;
}

/** What a raw HTTP hook may use beyond the service runtime. */
export interface RawHttpRuntime extends ServiceRuntime {
  /** Host names that are Nimbus itself (S3 virtual hosts end in one). */
  baseDomains: readonly string[];
  defaultRegion: string;
  /** The secret and principal of an access key Nimbus issued; undefined for any other key (the root of an account). */
  resolveCredentials(accessKeyId: string): { secretAccessKey: string; sessionToken?: string; expiresAt?: number; principal: Principal } | undefined;
}

/**
 * HTTP a service serves outside its model, before routing: S3's website endpoints, browser POST
 * uploads (multipart/form-data, signed in the form) and CORS preflight (OPTIONS). `claims` runs
 * for every request and must be cheap; the hook authenticates by itself.
 */
export interface RawHttpHook {
  claims(method: string, rawPath: string, headers: Record<string, string>, baseDomains: readonly string[]): boolean;
  handle(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse>;
}

/**
 * An awsJson operation's input read from the request body's bytes without JSON.parse, for the
 * forms it knows; undefined for anything else, and the gateway parses and checks the body as
 * usual. What it answers must be an input the model check (validateInput) accepts as it
 * stands, as the general parse would have given it: the gateway skips both for it. Errors are
 * never its business: a body it cannot vouch for is simply not its to read.
 */
export type FastInput = (body: Buffer) => object | undefined;

export interface ServiceDefinition {
  /** The @aws-sdk/client-<name> suffix; also the models/<name>.json file. */
  name: string;
  handlers: Record<string, Handler>;
  /** Readers of an operation's common request straight from its JSON body bytes (see FastInput). */
  fastInputs?: Record<string, FastInput>;
  /** Numbered migrations for the service's own tables (beyond the shared document store). */
  migrations?: readonly Migration[];
  /** Started after migrations, before the listener accepts requests; must be quick. */
  start?(rt: ServiceRuntime): void | Promise<void>;
  /** Called at shutdown with the same runtime start() got (several Nimbus instances may share a process). */
  stop?(rt: ServiceRuntime): void | Promise<void>;
  /** Requests outside the model the service answers over raw HTTP (S3 website, POST uploads, CORS preflight). */
  http?: RawHttpHook;
  /** What /_nimbus/health reports for this service beyond "running" (EC2: the execution driver, whether security groups are enforced). */
  health?(db: Db): Record<string, unknown> | undefined;
  /** POST /_nimbus/chaos with {"service": this, ...}: a fault injected on request (EC2: spot interruptions). Throws to answer 400. */
  chaos?(db: Db, request: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Drop all of this service's state (its own tables; the shared document rows are cleared by the chassis). */
  reset?(rt: ServiceRuntime): void;
  /**
   * Every blob id this service's committed state references, read from `db` in one
   * synchronous pass (the sweep does not yield while iterating it, so the pass sees one state).
   * Required of any service that writes to the blob store: after a crash the orphan sweep
   * (core/blobs/sweep.ts) removes every blob no service lists.
   */
  blobRefs?(db: Db): Iterable<string>;
  /**
   * Services with resource-based policies (S3 bucket policies, SQS queue policies, Lambda
   * permissions, KMS key policies): the owner account, policy and tags of the resource a
   * request targets. The gateway's authorize step (core/iam/authorize.ts) calls it for IAM
   * principals, for cross-account and anonymous callers, and for the resource account's root
   * (an explicit Deny in a resource policy binds even root, as on AWS). See core/iam/types.ts.
   */
  resourcePolicy?: ResourcePolicyHook;
  /**
   * IAM only: the provider of principals' identity policies, boundaries and session policies,
   * read by the authorize step. Called once after start(); the result is kept on the Nimbus
   * instance (`nimbus.principalPolicies`).
   */
  principalPolicies?(rt: ServiceRuntime): PrincipalPolicyProvider;
}

export function defineService(def: ServiceDefinition): ServiceDefinition {
  return def;
}

/** Scope string of a request: global services keep one scope per account. */
export function scopeOf(accountId: string, region: string, global: boolean): string {
  return global ? accountId : `${accountId}/${region}`;
}

/**
 * A service as the registry (services/index.ts) lists it: how to load it, and what must wake it
 * before its first request. Nimbus loads a service (its module, migrations and start hook) on
 * the first request or in-process call to it, at start when the data directory holds state of
 * it, and on the cues below; so start-up costs the same with 1 or 30 services.
 */
export interface ServiceEntry {
  load(): Promise<ServiceDefinition>;
  /** Services loaded first because this one reads their tables (DynamoDB Streams reads DynamoDB's stream records). */
  needs?: readonly string[];
  /** Events the service must receive even before anything else loaded it (CloudWatch: "metric" datapoints from Logs metric filters, EC2). */
  wakeOn?: readonly (keyof import("./events/bus.js").NimbusEvents)[];
  /**
   * For a service with a raw HTTP hook (ServiceDefinition.http): a cheap test that is true at
   * least for every request the hook claims, so such a request loads the service first.
   */
  mayClaimHttp?(method: string, rawPath: string, headers: Record<string, string>): boolean;
  /** The service has a health() hook: GET /_nimbus/health loads it. */
  health?: true;
  /** The service has a chaos() hook. */
  chaos?: true;
}
