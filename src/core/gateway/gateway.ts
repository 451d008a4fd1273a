// The request pipeline, written out in order (DESIGN.md section 3). Every AWS request goes
// through handle(); the numbered steps below are the whole story.
import { Readable } from "node:stream";
import { AwsError, internalError, isAwsError, notImplemented } from "../errors.js";
import { requestId as newRequestId } from "../clock/clock.js";
import { loadModel } from "../model/load.js";
import type { ProtocolId, ServiceModel } from "../model/types.js";
import type { HttpResponse, Protocol, ProtocolRequest } from "../protocols/types.js";
import { route, routeQuery, type RouteResult } from "../routing/route.js";
import { parseAuthorization, type ParsedAuth } from "../auth/parse-authorization.js";
import { authenticate, type AuthenticateOptions, type AuthResult } from "../auth/authenticate.js";
import { type AuthRequest, payloadSha256 } from "../auth/canonical-request.js";
import { authDialectFor, missingAuthenticationToken } from "../auth/auth-errors.js";
import { bufferedBody, checkDeferredSha256, decodeRequestBody, readAll, type DecodedBody } from "../http/decode-body.js";
import { asReadable } from "../http/buffer-readable.js";
import { requestBodySource, type GatewayRequest, type GatewayResponse } from "./http-types.js";
import { loadedBytes } from "../blobs/blob-store.js";
import { validateInput } from "../protocols/shared/validate.js";
import { PROTOCOLS } from "../protocols/registry.js";
import type { Nimbus } from "../server/nimbus.js";
import type { Principal, RawHttpHook, RawHttpRuntime, RequestContext, ServiceDefinition, ServiceEntry } from "../service.js";
import type { Clock } from "../clock/clock.js";
import type { EventBus } from "../events/bus.js";
import type { Db } from "../state/database.js";
import type { DocStore } from "../state/doc-store.js";
import type { BlobStore } from "../blobs/blob-store.js";
import type { InProcessClient } from "../client/in-process.js";
import type { AuthorizeInfo } from "../iam/authorize.js";

const EMPTY = Buffer.alloc(0);
const NO_QUERY = new Map<string, string>();

type RawClaim = { service: string; hook: RawHttpHook };

/** Operations AWS serves without a signature (S3 decides per bucket policy and ACL instead). */
const ANONYMOUS_ALLOWED = new Set(["sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]);

export class Gateway {
  private rawHooks?: Array<{ service: string; mayClaim: NonNullable<ServiceEntry["mayClaimHttp"]> }>;
  private readonly rawRuntimes = new Map<string, RawHttpRuntime>();

  constructor(private readonly nimbus: Nimbus) {}

  /** The raw HTTP hook claiming a request, if any; a promise only when a service must be loaded first to ask it. */
  private rawHookFor(method: string, rawPath: string, headers: Record<string, string>): RawClaim | undefined | Promise<RawClaim | undefined> {
    this.rawHooks ??= Object.entries(this.nimbus.registry)
      .filter(([, e]) => e.mayClaimHttp)
      .map(([service, e]) => ({ service, mayClaim: e.mayClaimHttp! }));
    const domains = this.nimbus.config.baseDomains;
    for (let i = 0; i < this.rawHooks.length; i++) {
      const h = this.rawHooks[i];
      const def = this.nimbus.services.get(h.service);
      if (def) {
        if (def.http?.claims(method, rawPath, headers, domains)) return { service: h.service, hook: def.http };
      } else if (h.mayClaim(method, rawPath, headers)) {
        // Not loaded yet, and its registry entry's cheap test says it may claim this: load, then ask again.
        return this.nimbus.load(h.service).then(() => this.rawHookFor(method, rawPath, headers));
      }
    }
    return undefined;
  }

  private rawRuntime(service: string): RawHttpRuntime {
    let rt = this.rawRuntimes.get(service);
    if (!rt) {
      const credentials = this.nimbus.credentials;
      rt = {
        ...this.nimbus.runtimeFor(service),
        baseDomains: this.nimbus.config.baseDomains,
        defaultRegion: this.nimbus.config.defaultRegion,
        resolveCredentials: (id: string) => credentials.resolve(id),
      };
      this.rawRuntimes.set(service, rt);
    }
    return rt;
  }

  /**
   * One request: node:http's pair, or the HTTP front's (core/server/http-front.ts), through the
   * narrow types of http-types.ts. Not an async function: the steps below run synchronously
   * until one of them meets a promise (a service to load, a body still arriving, an
   * asynchronous parser or handler), and only then does resume() continue them with awaits. An
   * async handle() allocated its frame (~70 registers, ~700 bytes) on every request, also those
   * that never wait: most awsJson requests.
   */
  handle(req: GatewayRequest, res: GatewayResponse): Promise<void> {
    let st: PipelineState;
    try {
      st = new PipelineState(req, res, process.hrtime.bigint(), newRequestId());
    } catch (err) {
      // Before the steps, as before the try of an async handle(): a rejection, not an answer.
      return Promise.reject(err);
    }
    try {
      for (let i = 0; i < STEPS; i++) {
        const r = this.step(i, st);
        if (r === undefined) continue;
        if (r === STOP) break;
        return this.resume(st, r, i + 1);
      }
    } catch (err) {
      try {
        this.fail(st, err);
      } catch (again) {
        this.finish(st);
        return Promise.reject(again);
      }
    }
    this.finish(st);
    return DONE;
  }

  /** The steps after one answered a promise, as handle() runs them. */
  private async resume(st: PipelineState, pending: Promise<Step>, next: number): Promise<void> {
    try {
      let r = await pending;
      for (let i = next; r !== STOP && i < STEPS; i++) {
        const s = this.step(i, st);
        r = s instanceof Promise ? await s : s;
      }
    } catch (err) {
      this.fail(st, err);
    } finally {
      this.finish(st);
    }
  }

  private step(i: number, st: PipelineState): Step | Promise<Step> {
    switch (i) {
      case 0:
        return this.front(st);
      case 1:
        return this.prepare(st);
      case 2:
        return this.operation(st);
      case 3:
        return this.authenticateAndParse(st);
      case 4:
        return this.service(st);
      default:
        return this.invoke(st);
    }
  }

  /** Nimbus's own API, and HTTP a service serves outside its model. */
  private front(st: PipelineState): Step | Promise<Step> {
    const { req, res, rawPath, rawQuery, headers } = st;
    // Nimbus's own API lives beside AWS's on the same port.
    if (rawPath.startsWith("/_nimbus/")) return this.nimbus.internalApi.handle(req, res, rawPath, rawQuery).then(stop);
    // HTTP a service serves outside its model (S3 website endpoints, POST uploads, CORS preflight).
    const raw = this.rawHookFor(req.method ?? "GET", rawPath, headers);
    if (raw instanceof Promise) return raw.then((r) => (r ? this.serveRaw(st, r) : undefined));
    return raw ? this.serveRaw(st, raw) : undefined;
  }

  private async serveRaw(st: PipelineState, raw: RawClaim): Promise<Step> {
    const { req, res, requestId, rawPath, rawQuery, headers } = st;
    const endpoint = `http://${headers.host ?? `${this.nimbus.config.host}:${this.nimbus.port}`}`;
    const r = await raw.hook.handle({ requestId, method: req.method ?? "GET", rawPath, rawQuery, headers, body: asReadable(requestBodySource(req)), endpoint }, this.rawRuntime(raw.service));
    st.opName = raw.service;
    send(res, { status: r.status, headers: { ...r.headers, "x-amz-request-id": requestId }, body: r.body }, req.method === "HEAD");
    if (!req.readableEnded) req.resume();
    return STOP;
  }

  private prepare(st: PipelineState): Step | Promise<Step> {
    const { req, rawPath, rawQuery, headers } = st;
    const query = parseQuery(rawQuery);
    st.query = query;
    // Most requests outside S3 have no query string: one shared empty map (nothing writes to it).
    const queryMap = query.length === 0 ? NO_QUERY : toMap(query);

    // 2. Routing: which service, protocol and operation. Cheap auth parse first: the SigV4
    //    scope names the service for query and REST requests.
    const auth: ParsedAuth = parseAuthorization(headers, queryMap);
    st.auth = auth;
    const routed = route({ method: req.method ?? "GET", rawPath, query: queryMap, headers, signingName: auth.service, baseDomains: this.nimbus.config.baseDomains });
    st.routed = routed;

    // 3a. Authentication, first pass (DESIGN.md's step 4, moved forward where it can be):
    //     keys Nimbus did not issue need no secret, and a request that states its payload
    //     hash (S3, presigned URLs) is verified before its body is read, so a signed chunk
    //     stream can be checked chunk by chunk against the seed signature. Signature age is
    //     checked against wall time (clients sign with their own clock), expiry of
    //     Nimbus-issued credentials against Nimbus time.
    // The pipeline state is the AuthRequest (method, rawPath, rawQuery, headers): no object for it per request.
    const authReq: AuthRequest = st;
    // Nimbus time is wall time unless the clock was moved: then one Date serves as both.
    const nimbusNow = this.nimbus.clock.date();
    const authOpts = {
      defaultRegion: this.nimbus.config.defaultRegion,
      skewNow: this.nimbus.clock.offset() === 0 ? nimbusNow : new Date(),
      dialect: authDialectFor(auth.service, routed.protocol),
    };
    st.authOpts = authOpts;
    const needsBodyHash =
      headers["x-amz-content-sha256"] === undefined && !auth.presigned && auth.accessKeyId !== "" && this.nimbus.credentials.resolve(auth.accessKeyId) !== undefined;
    const who = needsBodyHash ? undefined : authenticate(authReq, auth, this.nimbus.credentials, nimbusNow, undefined, authOpts);
    st.who = who;

    // 3b. Body decoding: aws-chunked framing (chunk signatures verified), checksums, gzip.
    //    S3 stores Content-Encoding: gzip as metadata; every other service takes it as
    //    compression of the request. Query requests name the operation in the form body.
    const chunks = who?.chunkVerifier;
    // The routed operation's model, looked up once (not yet `model`: an error before step 4 is answered without it).
    let routedModel: ServiceModel | undefined;
    let routedOp: ServiceModel["operations"][string] | undefined;
    if (routed.kind !== "query") {
      routedModel = loadModel(routed.service);
      routedOp = routedModel.operations[routed.operation];
    }
    st.routedModel = routedModel;
    const decoded = decodeRequestBody(headers, requestBodySource(req), {
      // Always the same members (undefined when unused): a conditional spread cost a copy per request.
      verifyChunkHash: chunks ? (h: string, sig: string) => chunks.verifyHash(h, sig) : undefined,
      verifyTrailer: chunks ? (t: string, sig: string) => chunks.verifyTrailer(t, sig) : undefined,
      decompress: routed.kind === "query" || routed.service !== "s3",
      verifyPayloadHash: (routed.kind === "operation" && routed.service === "s3") || who === undefined || who.verified,
      // A body read whole is hashed once as a buffer, not through a stream stage.
      deferPayloadHash: routedOp === undefined || !hasStreamingInput(routedModel!, routedOp),
    });
    st.decoded = decoded;
    if (routed.kind === "query") {
      const formBody = wholeBody(decoded, this.nimbus.config.maxBodyBytes);
      return formBody instanceof Promise ? formBody.then((b) => this.form(st, b)) : this.form(st, formBody);
    }
    return undefined;
  }

  /** A query request's operation, from its form body (or its query string). */
  private form(st: PipelineState, formBody: Buffer): Step {
    const routed = st.routed!;
    if (routed.kind !== "query") return undefined;
    checkDeferredSha256(st.decoded!, formBody);
    st.body = formBody;
    const form = new URLSearchParams(formBody.length ? formBody.toString("utf8") : st.rawQuery);
    const action = form.get("Action");
    const service = action ? routeQuery(routed.candidates, action, form.get("Version") ?? undefined) : undefined;
    if (!action || !service) {
      st.protocol = PROTOCOLS[routed.protocol];
      throw new AwsError("InvalidAction", `The action ${action ?? "(none)"} is not valid for this web service.`, 400);
    }
    st.routed = { kind: "operation", service, protocol: loadModel(service).protocols.includes("ec2Query") ? "ec2Query" : "awsQuery", operation: action, rawPath: st.rawPath };
    return undefined;
  }

  private operation(st: PipelineState): Step | Promise<Step> {
    const routed = st.routed!;
    if (routed.kind === "query") throw new TypeError("unreachable: a query request without its operation");
    const model = st.routedModel ?? loadModel(routed.service);
    st.model = model;
    const protocolId: ProtocolId = routed.protocol;
    st.protocolId = protocolId;
    st.protocol = PROTOCOLS[protocolId];
    const opName = routed.operation;
    st.opName = opName;
    const opModel = model.operations[opName];
    if (!opModel) throw new AwsError(protocolId.startsWith("aws") ? "InvalidAction" : "UnknownOperationException", `The action ${opName} is not valid for this web service.`, 400);
    st.opModel = opModel;
    if (st.body === undefined) {
      const decoded = st.decoded!;
      if (hasStreamingInput(model, opModel)) st.stream = decoded.stream;
      else {
        const whole = wholeBody(decoded, this.nimbus.config.maxBodyBytes);
        if (whole instanceof Promise) return whole.then((b) => bodyRead(st, b));
        return bodyRead(st, whole);
      }
    }
    return undefined;
  }

  private authenticateAndParse(st: PipelineState): Step | Promise<Step> {
    const { req, headers, body, stream } = st;
    const model = st.model!;
    const opName = st.opName!;
    const protocolId = st.protocolId!;
    const routed = st.routed as Extract<RouteResult, { kind: "operation" }>;
    // 4. Authentication, second pass: an issued key on a request that signs the SHA-256 of
    //     its body without saying so in a header (every SDK outside S3).
    const who = (st.who ??= authenticate(st, st.auth!, this.nimbus.credentials, this.nimbus.clock.date(), payloadSha256(body ?? EMPTY), st.authOpts));
    st.region = model.global ? "us-east-1" : who.region || this.nimbus.config.defaultRegion;
    if (who.principal.type === "anonymous" && !ANONYMOUS_ALLOWED.has(`${model.service}:${opName}`) && model.service !== "s3") {
      throw missingAuthenticationToken(authDialectFor(model.signingName, protocolId));
    }

    // 5. Parse into typed input, then validate it against the model with AWS's wording.
    const op = opRefFor(opName, st.opModel!);
    st.op = op;
    // 5a. A loaded service's reader of this operation's common JSON body (ServiceDefinition
    //     fastInputs): its input needs neither the parse nor the model check (service()).
    if (body !== undefined && (protocolId === "awsJson1_0" || protocolId === "awsJson1_1")) {
      const fast = this.nimbus.services.get(model.service)?.fastInputs?.[opName];
      const input = fast === undefined ? undefined : fast(body);
      if (input !== undefined) {
        st.input = input as Record<string, unknown>;
        st.checked = true;
        return undefined;
      }
    }
    const preq: ProtocolRequest = { method: req.method ?? "GET", rawPath: routed.rawPath, query: st.query!, headers, body: body ?? (stream ? undefined : EMPTY), stream, labels: routed.labels };
    // Awaited only when it is a promise: most parsers and handlers answer synchronously, and
    // each await suspends and resumes the pipeline through a microtask.
    const parsed = st.protocol!.parseRequest(preq, model, op);
    if (parsed instanceof Promise) return parsed.then((input) => void (st.input = input));
    st.input = parsed;
    return undefined;
  }

  private service(st: PipelineState): Step | Promise<Step> {
    const model = st.model!;
    if (!st.checked) validateInput(model, st.opName!, st.input!, st.protocolId!);
    // A service's module, tables and workers are set up on its first request (Nimbus.load).
    const service = this.nimbus.services.get(model.service);
    st.service = service;
    if (service === undefined && this.nimbus.registry[model.service] !== undefined) return this.nimbus.load(model.service).then((s) => void (st.service = s));
    return undefined;
  }

  private invoke(st: PipelineState): Step | Promise<Step> {
    const { req, res, headers } = st;
    const model = st.model!;
    const opName = st.opName!;
    const protocolId = st.protocolId!;
    const who = st.who!;
    const region = st.region!;
    const input = st.input!;
    // 6. Authorize (core/iam/authorize.ts): IAM principals against their policies and the
    //    resource's policy; roots only where a resource policy could deny them.
    this.nimbus.authorizer.authorize(who.principal, model, opName, input, new GatewayAuthorizeInfo(region, protocolId, headers, req));

    // 7. The handler.
    const handler = st.service?.handlers[opName];
    if (!handler) throw notImplemented(model.service, opName);
    const ctx = new GatewayContext(st.requestId, st.startedAt, this.nimbus, model.service, opName, protocolId, region, who.principal, model.global === true, headers, res);
    const result = handler(input, ctx);
    if (result instanceof Promise) return result.then((output) => respond(st, output));
    return respond(st, result);
  }

  /** The error answer, in the protocol of the request (or the one it most looks like). */
  private fail(st: PipelineState, err: unknown): void {
    const { req, res, model, opName } = st;
    const awsErr = isAwsError(err) ? err : (this.nimbus.logError(err, opName), internalError());
    const p = st.protocol ?? guessProtocol(st.headers, st.rawPath);
    send(res, p.serializeError(awsErr, model, opName && model ? { name: opName, model: model.operations[opName] } : undefined, st.meta), req.method === "HEAD");
    // Drain what the client still sends so the connection can be reused.
    if (!req.readableEnded) req.resume();
  }

  /** 9. Finalizers: request log. */
  private finish(st: PipelineState): void {
    this.nimbus.logRequest(st.req.method ?? "GET", st.url, st.res.statusCode, st.opName, st.startedAt);
  }
}

/** A step's answer: go on (undefined), or the request is answered (STOP). */
type Step = undefined | typeof STOP;
const STOP = Symbol("answered");
const STEPS = 6;
const DONE = Promise.resolve();
const stop = (): Step => STOP;

function bodyRead(st: PipelineState, body: Buffer): Step {
  st.body = body;
  checkDeferredSha256(st.decoded!, body);
  return undefined;
}

/** 8. Serialize in the protocol of the request. */
function respond(st: PipelineState, output: unknown): Step {
  send(st.res, st.protocol!.serializeResponse((output ?? undefined) as never, st.model!, st.op!, st.meta), st.req.method === "HEAD");
  return STOP;
}

/** What the steps of one request share (one object of one shape, where an async handle() kept locals in its frame). */
class PipelineState implements AuthRequest {
  // 1. Request context basics.
  readonly method: string;
  readonly url: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Record<string, string>;
  readonly meta: { requestId: string; host: string | undefined };
  protocol: Protocol | undefined = undefined;
  model: ServiceModel | undefined = undefined;
  opName: string | undefined = undefined;
  query: Array<[string, string]> | undefined = undefined;
  auth: ParsedAuth | undefined = undefined;
  routed: RouteResult | undefined = undefined;
  authOpts: AuthenticateOptions | undefined = undefined;
  who: AuthResult | undefined = undefined;
  routedModel: ServiceModel | undefined = undefined;
  decoded: DecodedBody | undefined = undefined;
  body: Buffer | undefined = undefined;
  stream: Readable | undefined = undefined;
  protocolId: ProtocolId | undefined = undefined;
  opModel: ServiceModel["operations"][string] | undefined = undefined;
  region: string | undefined = undefined;
  op: { name: string; model: ServiceModel["operations"][string] } | undefined = undefined;
  input: Record<string, unknown> | undefined = undefined;
  /** The input came from a service's fast reader, which answers only model-valid inputs. */
  checked = false;
  service: ServiceDefinition | undefined = undefined;

  constructor(
    readonly req: GatewayRequest,
    readonly res: GatewayResponse,
    readonly startedAt: bigint,
    readonly requestId: string,
  ) {
    this.method = req.method ?? "GET";
    const url = req.url ?? "/";
    this.url = url;
    const q = url.indexOf("?");
    this.rawPath = q < 0 ? url : url.slice(0, q);
    this.rawQuery = q < 0 ? "" : url.slice(q + 1);
    const headers = lowerHeaders(req);
    this.headers = headers;
    this.meta = { requestId, host: headers.host };
  }
}

/**
 * What the authorize step is told about a request. A class, not an object literal: a literal
 * with a getter is built through the runtime on every request (V8 has no fast path for
 * accessors in literals), a class keeps the getter on its prototype.
 */
class GatewayAuthorizeInfo implements AuthorizeInfo {
  constructor(
    readonly region: string,
    readonly protocol: ProtocolId,
    readonly headers: Record<string, string>,
    private readonly req: GatewayRequest,
  ) {}

  /** Read only by a policy condition on aws:SourceIp; asking the socket costs a getpeername call. */
  get sourceIp(): string | undefined {
    return this.req.socket.remoteAddress;
  }
}

/** A handler's RequestContext; a class for the same reason as GatewayAuthorizeInfo (its `signal` is a getter). */
class GatewayContext implements RequestContext {
  readonly clock: Clock;
  readonly accountId: string;
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly events: EventBus;
  readonly client: InProcessClient;
  private readonly nimbus: Nimbus;
  private docStore: DocStore | undefined;

  constructor(
    readonly requestId: string,
    readonly startedAt: bigint,
    nimbus: Nimbus,
    readonly service: string,
    readonly operation: string,
    readonly protocol: ProtocolId,
    readonly region: string,
    readonly principal: Principal,
    private readonly global: boolean,
    readonly headers: Record<string, string>,
    private readonly res: GatewayResponse,
  ) {
    this.nimbus = nimbus;
    this.clock = nimbus.clock;
    this.accountId = principal.accountId;
    this.db = nimbus.db;
    this.blobs = nimbus.blobs;
    this.events = nimbus.events;
    this.client = nimbus.client;
  }

  /** Made on first use, as endpoint: many handlers (DynamoDB's, SQS's) never read it. */
  get store(): DocStore {
    return (this.docStore ??= this.nimbus.storeFor(this.service, this.accountId, this.region, this.global));
  }

  /** Made on first use: few handlers read it, and a string per request is not free. */
  get endpoint(): string {
    return `http://${this.headers.host ?? `${this.nimbus.config.host}:${this.nimbus.port}`}`;
  }

  /** Made on first use: only long polls need it, and an AbortController per request is not free. */
  get signal(): AbortSignal {
    return abortOnClose(this.res);
  }
}

/** Aborted when the client goes away before the answer (a long poll must not hide a message for nobody). */
const signals = new WeakMap<GatewayResponse, AbortSignal>();
function abortOnClose(res: GatewayResponse): AbortSignal {
  let signal = signals.get(res);
  if (!signal) {
    const ac = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) ac.abort();
    });
    signal = ac.signal;
    signals.set(res, signal);
  }
  return signal;
}

function lowerHeaders(req: GatewayRequest): Record<string, string> {
  // The HTTP front builds Nimbus's map itself.
  if (req.joinedHeaders === true) return req.headers as Record<string, string>;
  // node:http has built req.headers already (its server reads req.headers.expect on every
  // request), with lower-cased names. It differs from what Nimbus needs only where a name
  // repeats (node drops some repeats and joins others with ", ", SigV4 joins with ",") and
  // for set-cookie (always an array): without those it is used as it is, not copied.
  const nodeHeaders = req.headers;
  let names = 0;
  for (const _ in nodeHeaders) names++;
  if (names * 2 === req.rawHeaders.length && nodeHeaders["set-cookie"] === undefined) return nodeHeaders as Record<string, string>;
  // rawHeaders keeps duplicates; join repeated headers with "," as HTTP allows.
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    out[k] = out[k] === undefined ? raw[i + 1] : `${out[k]},${raw[i + 1]}`;
  }
  return out;
}

const NO_PAIRS = Object.freeze([]) as unknown as Array<[string, string]>;
/**
 * Small functions in front of larger ones (here and in hasStreamingInput): V8 tiers a
 * function up after executing bytecode in proportion to its size, and a large function
 * returning from its first lines on most requests stayed in baseline code in the socket bench.
 */
function parseQuery(rawQuery: string): Array<[string, string]> {
  return rawQuery ? parseQueryPairs(rawQuery) : NO_PAIRS;
}

function parseQueryPairs(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? "" : part.slice(eq + 1);
    out.push([decodeQueryComponent(k), decodeQueryComponent(v)]);
  }
  return out;
}

/** new Map(pairs) goes through the iterator protocol; set() in a loop is cheaper (a repeated key keeps its last value, as there). */
function toMap(pairs: Array<[string, string]>): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < pairs.length; i++) m.set(pairs[i][0], pairs[i][1]);
  return m;
}

function decodeQueryComponent(s: string): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, "%20"));
  } catch {
    return s;
  }
}

/** The { name, model } pair parse and serialize take, made once per operation model (neither writes to it). */
const opRefs = new WeakMap<object, { name: string; model: ServiceModel["operations"][string] }>();
function opRefFor(name: string, model: ServiceModel["operations"][string]): { name: string; model: ServiceModel["operations"][string] } {
  let ref = opRefs.get(model);
  if (ref === undefined || ref.name !== name) opRefs.set(model, (ref = { name, model }));
  return ref;
}

/** Whether the operation's input has a streaming payload; computed once per operation model. */
const streamingInput = new WeakMap<object, boolean>();
function hasStreamingInput(model: ServiceModel, op: ServiceModel["operations"][string]): boolean {
  return streamingInput.get(op) ?? findStreamingInput(model, op);
}

function findStreamingInput(model: ServiceModel, op: ServiceModel["operations"][string]): boolean {
  const shape = op.input ? model.shapes[op.input] : undefined;
  const v = shape ? Object.values(shape.members).some((m) => m.traits?.streaming === 1 && m.traits.httpPayload === 1) : false;
  streamingInput.set(op, v);
  return v;
}

/** Unroutable requests still get an AWS-shaped error in the protocol they most look like. */
function guessProtocol(headers: Record<string, string>, rawPath: string): Protocol {
  if (headers["smithy-protocol"] === "rpc-v2-cbor") return PROTOCOLS.smithyRpcv2cbor;
  if (headers["x-amz-target"]) return PROTOCOLS[(headers["content-type"] ?? "").includes("1.1") ? "awsJson1_1" : "awsJson1_0"];
  if ((headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return PROTOCOLS.awsQuery;
  return rawPath.startsWith("/20") ? PROTOCOLS.restJson1 : PROTOCOLS.restXml;
}

/**
 * A request's whole body. A body the HTTP front read whole is taken as it is; a request without
 * a body (GET, HEAD, DELETE) is not waited on: its end only comes through another turn of the
 * event loop, and node:http drains it when we answer.
 */
function wholeBody(decoded: DecodedBody, limit: number): Buffer | Promise<Buffer> {
  return bufferedBody(decoded, limit) ?? (decoded.noBody ? EMPTY : readAll(decoded.stream, limit));
}

function send(res: GatewayResponse, r: HttpResponse, head: boolean): void {
  const body = r.body;
  const headers = r.headers;
  if (body === undefined || head) {
    if (headers["content-length"] === undefined && !head) headers["content-length"] = "0";
    res.writeHead(r.status, headers);
    res.end();
    if (head && body instanceof Readable) body.destroy();
    return;
  }
  if (body instanceof Readable) {
    res.writeHead(r.status, headers);
    // A small blob already in memory goes out in one write, without a pipe.
    const bytes = loadedBytes(body);
    if (bytes) {
      res.end(bytes);
      return;
    }
    body.on("error", (e) => res.destroy(e));
    // A client gone mid-answer: the body (a blob's file) is closed now, not when collected.
    res.once("close", () => {
      if (!res.writableFinished) body.destroy();
    });
    body.pipe(res);
    return;
  }
  // A string body goes out as a string: node:http then writes the head and the body in one
  // write() (a Buffer goes out as a writev of two), and no Buffer is made for it.
  headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.length);
  res.writeHead(r.status, headers);
  res.end(body);
}
