// What every SQS handler shares: resolving a QueueUrl to a queue, building URLs and ARNs,
// the errors AWS words the same way everywhere, and integer parameter checks.
import { AwsError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import { sqsStore, type QueueRecord, type SqsStore } from "./store.js";
import { runtimeOf, type SqsRuntime } from "./runtime.js";

export interface Sqs {
  store: SqsStore;
  rt: SqsRuntime;
  now: number;
}

/** The store, runtime and Nimbus time for a request. */
export function sqs(ctx: RequestContext): Sqs {
  return { store: sqsStore(ctx.db), rt: runtimeOf(ctx.db, ctx.clock), now: ctx.clock.now() };
}

export function queueUrl(ctx: RequestContext, q: { account: string; name: string }): string {
  return `${ctx.endpoint}/${q.account}/${q.name}`;
}

export function queueArn(q: { region: string; account: string; name: string }): string {
  return `arn:aws:sqs:${q.region}:${q.account}:${q.name}`;
}

/** Parsed queue ARNs: the queue-policy hook parses the request's queue ARN on every call. Bounded. */
const parsedArns = new Map<string, Readonly<{ region: string; account: string; name: string }>>();

/** The parts of a queue ARN (a shared object: do not change it), or undefined for anything else. */
export function parseArn(arn: string): Readonly<{ region: string; account: string; name: string }> | undefined {
  const hit = parsedArns.get(arn);
  if (hit !== undefined) return hit;
  const m = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]+(?:\.fifo)?)$/.exec(arn);
  if (!m) return undefined;
  const parsed = { region: m[1], account: m[2], name: m[3] };
  if (parsedArns.size >= PARSED_URLS_MAX) parsedArns.delete(parsedArns.keys().next().value!);
  parsedArns.set(arn, parsed);
  return parsed;
}

export function queueDoesNotExist(ctx: RequestContext): AwsError {
  // AWS words it differently on the query protocol (the message dates from the WSDL era).
  return new AwsError(
    "QueueDoesNotExist",
    ctx.protocol === "awsQuery" ? "The specified queue does not exist for this wsdl version." : "The specified queue does not exist.",
  );
}

export function invalidParameterValue(message: string): AwsError {
  return new AwsError("InvalidParameterValue", message, 400);
}

export function missingParameter(name: string): AwsError {
  return new AwsError("MissingParameter", `The request must contain the parameter ${name}.`, 400);
}

/**
 * The account and queue name a QueueUrl names: its last two path segments, so URLs handed out
 * under any host (localhost, 127.0.0.1, a container name, sqs.<region>.amazonaws.com) work.
 */
/**
 * Parsed queue URLs: every call on a queue repeats its URL, and parsing it (new URL) was the
 * costliest step of a SendMessage in JavaScript. Bounded; the oldest go first.
 */
const parsedUrls = new Map<string, { account: string; name: string }>();
const PARSED_URLS_MAX = 1024;

export function parseQueueUrl(ctx: RequestContext, url: string): { account: string; name: string } {
  const hit = parsedUrls.get(url);
  if (hit !== undefined) return { account: hit.account, name: hit.name };
  const parsed = parseQueueUrlUncached(ctx, url);
  // A bare name depends on the caller's account: only URLs naming their account are kept.
  if (parsed.named) {
    if (parsedUrls.size >= PARSED_URLS_MAX) parsedUrls.delete(parsedUrls.keys().next().value!);
    parsedUrls.set(url, { account: parsed.account, name: parsed.name });
  }
  return parsed;
}

function parseQueueUrlUncached(ctx: RequestContext, url: string): { account: string; name: string; named: boolean } {
  let path = url;
  if (url.includes("://")) {
    try {
      path = new URL(url).pathname;
    } catch {
      throw new AwsError("InvalidAddress", `The address ${url} is not valid for this endpoint.`);
    }
  }
  const segs = path.split("/").filter((s) => s.length > 0);
  if (segs.length >= 2 && /^\d{12}$/.test(segs[segs.length - 2])) {
    return { account: segs[segs.length - 2], name: safeDecode(segs[segs.length - 1]), named: true };
  }
  // A bare queue name (some tools pass one) is taken as a queue of the caller's account.
  if (segs.length === 1 && !url.includes("://")) return { account: ctx.accountId, name: segs[0], named: false };
  throw new AwsError("InvalidAddress", `The address ${url} is not valid for this endpoint.`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The queue a request's QueueUrl names, in the request's region; QueueDoesNotExist otherwise. */
export function resolveQueue(ctx: RequestContext, store: SqsStore, url: string | undefined): QueueRecord {
  if (url === undefined || url === "") throw missingParameter("QueueUrl");
  const { account, name } = parseQueueUrl(ctx, url);
  const q = store.queue(account, ctx.region, name);
  if (!q) throw queueDoesNotExist(ctx);
  return q;
}

/** resolveQueue for handlers that only read the queue record (it is shared: never change it). */
export function resolveQueueForRead(ctx: RequestContext, store: SqsStore, url: string | undefined): Readonly<QueueRecord> {
  if (url === undefined || url === "") throw missingParameter("QueueUrl");
  const { account, name } = parseQueueUrl(ctx, url);
  const q = store.queueForRead(account, ctx.region, name);
  if (!q) throw queueDoesNotExist(ctx);
  return q;
}

/** An optional integer parameter within [min, max]; AWS's "Value x for parameter y is invalid" otherwise. */
export function intParam(name: string, value: number | undefined, min: number, max: number, reason: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameterValue(`Value ${value} for parameter ${name} is invalid. Reason: ${reason}`);
  }
  return value;
}

/** Attribute values as integers (queue attributes are strings on the wire). */
export function attrInt(q: QueueRecord, name: string): number {
  return Number(q.attributes[name] ?? "0");
}

/** Opaque pagination tokens: base64 of the last name returned. */
export function encodeToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), "utf8").toString("base64");
}

export function decodeToken(token: string | undefined): string {
  if (token === undefined || token === "") return "";
  try {
    const v = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { after?: unknown };
    if (typeof v.after === "string") return v.after;
  } catch {
    // fall through
  }
  throw invalidParameterValue("Invalid NextToken value.");
}

/** Page size for ListQueues / ListDeadLetterSourceQueues (1-1000; AWS's wording). */
export function maxResults(value: number | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw invalidParameterValue(`Value ${value} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
  }
  return value;
}
