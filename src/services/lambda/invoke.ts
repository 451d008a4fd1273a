// Invoke: RequestResponse (run and answer), DryRun (checks only), Event (accepted, run in the
// background). Logs come back with LogType=Tail as AWS does: the last 4 KB, base64, with the
// runtime's START / END / REPORT lines around the function's own output.
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { InvocationRequest, InvocationResponse } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, Principal, RequestContext } from "../../core/service.js";
import { poolPrefix, type StoredFunction } from "./functions.js";
import { pickVersion } from "./aliases.js";
import { refOf, resolveTarget } from "./lookup.js";
import { enqueue } from "./async-invoke.js";
import { runtimeSpec } from "./runtimes.js";
import { runtimeFor } from "./runtime.js";
import type { InvokeResult } from "./workers.js";
import { writeFunctionLogs } from "./function-logs.js";
import { baseEnv } from "./standby.js";

/** The principal Lambda acts as when it assumes a function's execution role. */
const LAMBDA_SERVICE_PRINCIPAL = (accountId: string): Principal => ({
  type: "anonymous",
  accountId,
  arn: "lambda.amazonaws.com",
  userId: "lambda.amazonaws.com",
});
import { readZip } from "./zip.js";

const PAYLOAD_MAX = 6_291_456;
const TAIL = 4096;

export async function readPayload(v: Uint8Array | Readable | undefined): Promise<Buffer> {
  if (v === undefined) return Buffer.alloc(0);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of v) {
    n += (c as Buffer).length;
    if (n > PAYLOAD_MAX) break;
    chunks.push(c as Buffer);
  }
  return n > PAYLOAD_MAX ? Buffer.alloc(PAYLOAD_MAX + 1) : Buffer.concat(chunks);
}

/** What running a function needs of a request's context (a background invocation builds one). */
export type ExecContext = Pick<RequestContext, "db" | "blobs" | "clock" | "client" | "region" | "endpoint">;

/** The account and name of a configuration (its FunctionArn, maybe qualified). */
function identity(doc: StoredFunction): { account: string; name: string; region: string } {
  const p = doc.configuration.FunctionArn!.split(":");
  return { region: p[3], account: p[4], name: p[6] };
}

/** The worker environment: AWS's variables, the user's, and the role's session credentials. */
async function environment(ctx: ExecContext, doc: StoredFunction, root: string, version = "$LATEST"): Promise<Record<string, string>> {
  const c = doc.configuration;
  const { account } = identity(doc);
  const env: Record<string, string> = {
    ...baseEnv(),
    ...(c.Environment?.Variables ?? {}),
    LAMBDA_TASK_ROOT: root,
    LAMBDA_RUNTIME_DIR: root,
    _HANDLER: c.Handler ?? "",
    AWS_REGION: ctx.region,
    AWS_DEFAULT_REGION: ctx.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${c.Runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: c.FunctionName!,
    AWS_LAMBDA_FUNCTION_VERSION: version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.MemorySize ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${c.FunctionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${new Date(ctx.clock.now()).toISOString().slice(0, 10).replace(/-/g, "/")}/[${version}]${randomUUID().replace(/-/g, "")}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_ENDPOINT_URL: ctx.endpoint,
  };
  if (doc.layers?.length) {
    const p = layerPaths(ctx, doc);
    env.PATH = [...p.bin, env.PATH].join(":");
    env.NODE_PATH = p.node.join(":");
    env.PYTHONPATH = p.python.join(":");
  }
  // The execution role's temporary credentials, as Lambda hands them to its runtime.
  try {
    const out = await ctx.client.call<{ Credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }>(
      "sts",
      "AssumeRole",
      { RoleArn: c.Role, RoleSessionName: c.FunctionName!.slice(0, 64), DurationSeconds: 43200 > 3600 ? 3600 : 43200 },
      // As the Lambda service principal, as on AWS: the role's trust policy must name
      // lambda.amazonaws.com (STS accepts that principal only from in-process calls).
      { accountId: account, region: ctx.region, principal: LAMBDA_SERVICE_PRINCIPAL(account) },
    );
    if (out.Credentials) {
      env.AWS_ACCESS_KEY_ID = out.Credentials.AccessKeyId;
      env.AWS_SECRET_ACCESS_KEY = out.Credentials.SecretAccessKey;
      env.AWS_SESSION_TOKEN = out.Credentials.SessionToken;
    }
  } catch {
    // TODO(parity): AWS refuses CreateFunction when Lambda cannot assume the role; we run without credentials.
  }
  return env;
}

export function tail(id: string, r: InvokeResult, memoryMb: number, version = "$LATEST"): string {
  const ms = (x: number) => x.toFixed(2);
  const lines =
    `START RequestId: ${id} Version: ${version}\n` +
    r.logs +
    (r.logs && !r.logs.endsWith("\n") ? "\n" : "") +
    `END RequestId: ${id}\n` +
    `REPORT RequestId: ${id}\tDuration: ${ms(r.durationMs)} ms\tBilled Duration: ${Math.max(1, Math.ceil(r.durationMs))} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${r.maxMemoryMb ?? memoryMb} MB\t${r.initMs !== undefined ? `Init Duration: ${ms(r.initMs)} ms\t` : ""}\n`;
  const buf = Buffer.from(lines, "utf8");
  return (buf.length > TAIL ? buf.subarray(buf.length - TAIL) : buf).toString("base64");
}

/** Unpacks the code again from its blob when the tree under the data dir is gone (the blob is the record). */
export async function ensureCode(ctx: ExecContext, doc: StoredFunction): Promise<void> {
  const rt = runtimeFor(ctx.db);
  // The function's package and its layers' (content-addressed, unpacked once each).
  for (const { shaHex, blobId } of [doc, ...(doc.layers ?? [])]) {
    if (existsSync(rt.taskRoot(shaHex))) continue;
    const chunks: Buffer[] = [];
    for await (const c of ctx.blobs.read(blobId)) chunks.push(c as Buffer);
    rt.unpack(shaHex, readZip(Buffer.concat(chunks), 262_144_000));
  }
}

/**
 * Where AWS puts layer content on the paths (/opt/nodejs/node_modules, /opt/python, /opt/bin...),
 * for layers unpacked each in its own directory; a later layer comes first, as a later layer's
 * files win in AWS's merged /opt.
 */
function layerPaths(ctx: ExecContext, doc: StoredFunction): { node: string[]; python: string[]; bin: string[] } {
  const rt = runtimeFor(ctx.db);
  const out = { node: [] as string[], python: [] as string[], bin: [] as string[] };
  for (const l of [...(doc.layers ?? [])].reverse()) {
    const dir = rt.taskRoot(l.shaHex);
    out.node.push(join(dir, "nodejs", "node_modules"), join(dir, "nodejs", `node${process.versions.node.split(".")[0]}`, "node_modules"));
    out.python.push(join(dir, "python"));
    try {
      for (const v of readdirSync(join(dir, "python", "lib"))) out.python.push(join(dir, "python", "lib", v, "site-packages"));
    } catch {
      // no python/lib in this layer
    }
    out.bin.push(join(dir, "bin"));
  }
  return out;
}

/** Runs one invocation on the pool of the configuration (a version's, or $LATEST's) and waits for its result. */
export function run(ctx: ExecContext, doc: StoredFunction, payload: Buffer, version = "$LATEST", id: string = randomUUID(), onChunk?: (c: Buffer) => void): Promise<InvokeResult & { id: string }> {
  const c = doc.configuration;
  const fn = identity(doc);
  const spec = runtimeSpec(c.Runtime);
  if (!spec) throw new AwsError("InvalidRuntimeException", `The runtime parameter of ${c.Runtime} is not supported by this Nimbus: no interpreter on this machine runs it.`, 502, { fields: { Type: "User" } });
  const rt = runtimeFor(ctx.db);
  const root = rt.taskRoot(doc.shaHex);
  const pool = rt.pool({
    key: `${poolPrefix(fn, fn.name, version)}${c.RevisionId}`,
    runtime: spec,
    bootstrapFile: spec.family === "node" ? rt.bootstraps.node : spec.family === "python" ? rt.bootstraps.python : join(root, "bootstrap"),
    cwd: root,
    memoryMb: c.MemorySize ?? 128,
    env: () => environment(ctx, doc, root, version),
  });
  // A custom runtime without its bootstrap fails as AWS reports it.
  if (spec.family === "provided" && !existsSync(join(root, "bootstrap"))) {
    const message = `RequestId: ${id} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]`;
    return Promise.resolve({ id, payload: Buffer.from(JSON.stringify({ errorType: "Runtime.InvalidEntrypoint", errorMessage: message })), functionError: "Unhandled", logs: `${message}\nRuntime.InvalidEntrypoint\n`, durationMs: 0 });
  }
  return new Promise((resolve) => {
    pool.submit({ id, payload, arn: c.FunctionArn!, timeoutSec: c.Timeout ?? 3, memoryMb: c.MemorySize ?? 128, ...(onChunk ? { onChunk } : {}), resolve: (r) => {
        writeFunctionLogs(ctx, c, version, id, r);
        resolve({ ...r, id });
      } });
  });
}

export const Invoke: Handler<InvocationRequest, InvocationResponse> = async (input, ctx) => {
  // 1. What runs: $LATEST, a version, or an alias's version (weighted when it routes to two).
  const ref = refOf(ctx, input.FunctionName, input.Qualifier);
  const { doc, version } = resolveTarget(ref, (a) => pickVersion(a));
  const type = input.InvocationType ?? "RequestResponse";
  const payload = await readPayload(input.Payload as Uint8Array | Readable | undefined);
  const limit = type === "Event" ? 262_144 : PAYLOAD_MAX;
  if (payload.length > limit) {
    throw new AwsError("RequestEntityTooLargeException", `${type === "Event" ? "Request" : "Request must be smaller than 6291456 bytes for the InvokeFunction operation"}${type === "Event" ? " must be smaller than 262144 bytes for the InvokeAsync operation" : ""}`, 413, { fields: { Type: "User" } });
  }
  if (payload.length > 0) {
    try {
      JSON.parse(payload.toString("utf8"));
    } catch {
      throw new AwsError("InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value", 400, { fields: { Type: "User" } });
    }
  }
  if (type === "DryRun") {
    if (!runtimeSpec(doc.configuration.Runtime)) throw new AwsError("InvalidRuntimeException", `The runtime parameter of ${doc.configuration.Runtime} is not supported by this Nimbus.`, 502);
    return { StatusCode: 204 };
  }
  const body = payload.length > 0 ? payload : Buffer.from("{}");
  // 2. Event: queued durably (async-invoke.ts runs it with retries and destinations).
  if (type === "Event") {
    enqueue(ctx, ref, body);
    return { StatusCode: 202 };
  }
  await ensureCode(ctx, doc);
  const r = await run(ctx, doc, body, version);
  let out = r.payload;
  let functionError = r.functionError;
  if (out.length > PAYLOAD_MAX) {
    out = Buffer.from(JSON.stringify({ errorMessage: `Response payload size (${out.length} bytes) exceeded maximum allowed payload size (${PAYLOAD_MAX} bytes).`, errorType: "Function.ResponseSizeTooLarge" }));
    functionError = "Unhandled";
  }
  return {
    StatusCode: 200,
    ExecutedVersion: version,
    Payload: out,
    ...(functionError ? { FunctionError: functionError } : {}),
    ...(input.LogType === "Tail" ? { LogResult: tail(r.id, r, doc.configuration.MemorySize ?? 128, version) } : {}),
  };
};
