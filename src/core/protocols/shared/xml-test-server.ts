// Test support for the XML protocols' tests (not used at run time): a node:http server on
// port 0 that turns each request into a ProtocolRequest, lets the test pick the operation,
// parses the input with the protocol under test, records it, and answers with the protocol's
// serialization of whatever the test's handler returns or throws. The real SDK clients talk
// to it, so the tests prove both directions against the clients' own code.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { OperationRef, Protocol, ProtocolRequest } from "../types.js";

const modelsDir = fileURLToPath(new URL("../../../../models/", import.meta.url));

export function loadModel(service: string): ServiceModel {
  return JSON.parse(readFileSync(`${modelsDir}${service}.json`, "utf8")) as ServiceModel;
}

export interface Call {
  op: string;
  input: Record<string, unknown>;
  /** Streaming payloads are read to a Buffer here so tests can assert them. */
  streamed?: Buffer;
  req: ProtocolRequest;
}

export interface Route {
  op: string;
  labels?: Record<string, string>;
}

export interface TestServer {
  endpoint: string;
  calls: Call[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  protocol: Protocol;
  model: ServiceModel;
  /** Picks the operation (and labels, for REST) of a request. */
  route(req: ProtocolRequest): Route;
  /** The operation's handler: returns the output or throws an AwsError. */
  handle(op: string, input: Record<string, unknown>): unknown;
  /** Hand the request to the protocol as a stream (streaming payload operations). */
  streamOps?: string[];
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

function toProtocolRequest(msg: IncomingMessage): ProtocolRequest {
  const url = msg.url ?? "/";
  const q = url.indexOf("?");
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query: Array<[string, string]> = q === -1 ? [] : [...new URLSearchParams(url.slice(q + 1))];
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(msg.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
  return { method: msg.method ?? "GET", rawPath, query, headers };
}

export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const calls: Call[] = [];
  const server: Server = createServer((msg, res) => {
    void (async () => {
      const req = toProtocolRequest(msg);
      const meta = { requestId: `req-${calls.length + 1}-0123456789` };
      let op: OperationRef | undefined;
      try {
        // Query routing reads Action from the body; REST routing needs only the path.
        if (!opts.streamOps) req.body = await readAll(msg);
        const route = opts.route(req);
        const model = opts.model.operations[route.op];
        if (!model) throw new Error(`test route picked unknown operation ${route.op}`);
        op = { name: route.op, model };
        req.labels = route.labels;
        if (opts.streamOps?.includes(route.op)) req.stream = msg;
        else if (opts.streamOps) req.body = await readAll(msg);
        const input = await opts.protocol.parseRequest(req, opts.model, op);
        const call: Call = { op: route.op, input, req };
        calls.push(call);
        for (const v of Object.values(input)) if (v instanceof Readable) call.streamed = await readAll(v);
        const output = (await opts.handle(route.op, input)) as Record<string, unknown> | undefined;
        const out = opts.protocol.serializeResponse(output, opts.model, op, meta);
        res.writeHead(out.status, out.headers);
        if (out.body instanceof Readable) out.body.pipe(res);
        else res.end(out.body);
      } catch (e) {
        const err = e instanceof AwsError ? e : new AwsError("InternalError", String((e as Error)?.stack ?? e), 500);
        if (!(e instanceof AwsError)) console.error(e);
        const out = opts.protocol.serializeError(err, opts.model, op, meta);
        res.writeHead(out.status, out.headers);
        res.end(out.body as string | Buffer | undefined);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The Action of a query request (form body or URL). */
export function queryAction(req: ProtocolRequest): Route {
  const body = new URLSearchParams(req.body?.toString("utf8") ?? "");
  const action = body.get("Action") ?? req.query.find(([k]) => k === "Action")?.[1];
  if (!action) throw new AwsError("MissingAction", "no Action", 400);
  return { op: action };
}
