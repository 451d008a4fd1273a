// Nimbus's runtime client for nodejs*.x functions, written to the data dir at start and run as
// `node <file>` in each worker. It speaks the Lambda Runtime API like AWS's own
// (aws-lambda-nodejs-runtime-interface-client): ESM and CJS handlers, async and callback style,
// errors as {errorType, errorMessage, trace}, console lines prefixed with time and request id.
export const NODE_BOOTSTRAP = String.raw`
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import http from "node:http";
import net from "node:net";
import { Writable } from "node:stream";

// A standby worker (standby.ts) waits here for its function: the environment and the task
// root arrive as one JSON line on stdin; then it runs exactly as a freshly spawned worker.
if (process.argv[2] === "--standby") {
  process.argv.splice(2);
  // Node loads much of its HTTP client/server and its CommonJS-from-ESM loader on first use
  // (~40 ms here): pay that now, while waiting, with one request to ourselves and one import.
  await new Promise((resolve) => {
    const server = http.createServer((req, res) => req.on("data", () => {}).on("end", () => res.end("{}")));
    server.listen(0, "127.0.0.1", () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const req = http.request({ host: "127.0.0.1", port: server.address().port, method: "POST", agent, headers: { "content-type": "application/json", "content-length": 2 } }, (res) => {
        res.on("data", () => {});
        res.on("end", () => {
          agent.destroy();
          server.close(resolve);
        });
      });
      req.on("error", resolve);
      req.setNoDelay(true);
      req.end("{}");
    });
  });
  await import(new URL("./warm.cjs", import.meta.url).href).catch(() => {});
  const line = await new Promise((resolve) => {
    let buf = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("end", () => process.exit(0));
    process.stdin.on("data", (c) => {
      buf += c;
      const i = buf.indexOf("\n");
      if (i >= 0) resolve(buf.slice(0, i));
    });
  });
  process.stdin.removeAllListeners();
  process.stdin.destroy();
  // ps (and /proc/<pid>/cmdline) show a worker now, as for a fresh one.
  process.title = process.execPath + " " + process.argv[1];
  const assignment = JSON.parse(line);
  Object.assign(process.env, assignment.env);
  process.chdir(assignment.cwd);
  // NODE_PATH (layers) is read once at start; re-read it as a fresh process would have.
  if (process.env.NODE_PATH) (await import("node:module")).default._initPaths();
}

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const BASE = "/2018-06-01/runtime";
let requestId = undefined;

// A minimal HTTP/1.1 client on one kept-alive socket: the Runtime API is one request at a time,
// answered with a Content-Length, and node:http's client costs several times more per request.
// The open socket also keeps the process alive while a handler awaits a promise nothing holds.
let socket;
let pending;
let input = Buffer.alloc(0);
function fail(e) {
  const p = pending;
  pending = undefined;
  socket = undefined;
  if (p) p.reject(e);
}
function onData(c) {
  input = input.length ? Buffer.concat([input, c]) : c;
  const end = input.indexOf("\r\n\r\n");
  if (end < 0 || !pending) return;
  const lines = input.toString("latin1", 0, end).split("\r\n");
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const k = lines[i].indexOf(":");
    headers[lines[i].slice(0, k).trim().toLowerCase()] = lines[i].slice(k + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  if (input.length < end + 4 + length) return;
  const body = input.subarray(end + 4, end + 4 + length);
  input = input.subarray(end + 4 + length);
  const p = pending;
  pending = undefined;
  p.resolve({ status: Number(lines[0].split(" ")[1]), headers, body });
}
function connect() {
  if (socket) return;
  socket = net.connect({ host, port: Number(port), noDelay: true });
  socket.on("data", onData);
  socket.on("error", fail);
  socket.on("close", () => fail(new Error("Runtime API connection closed")));
}
function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    connect();
    pending = { resolve, reject };
    const data = body === undefined ? undefined : Buffer.from(body);
    let head = method + " " + BASE + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n";
    if (data) head += "Content-Type: application/json\r\nContent-Length: " + data.length + "\r\n";
    for (const [k, v] of Object.entries(headers)) head += k + ": " + v + "\r\n";
    socket.write(data ? Buffer.concat([Buffer.from(head + "\r\n", "latin1"), data]) : head + "\r\n");
  });
}

// Response streaming (InvokeWithResponseStream): the answer goes out as a chunked POST while the
// handler writes; an error after the first byte travels in the trailers, as AWS's runtime sends it.
function openStream(path, contentType) {
  connect();
  socket.write("POST " + BASE + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: " + contentType + "\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n");
  return {
    chunk(b) {
      if (b.length === 0) return;
      socket.write(b.length.toString(16) + "\r\n");
      socket.write(b);
      socket.write("\r\n");
    },
    end(errorType, errorBody) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(errorType ? "0\r\nLambda-Runtime-Function-Error-Type: " + errorType + "\r\nLambda-Runtime-Function-Error-Body: " + Buffer.from(errorBody).toString("base64") + "\r\n\r\n" : "0\r\n\r\n");
      });
    },
  };
}
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
globalThis.awslambda = {
  streamifyResponse(fn) {
    fn[STREAMING] = "response";
    return fn;
  },
  HttpResponseStream: {
    // Function URL answers: a JSON prelude (statusCode, headers, cookies), 8 zero bytes, then the body.
    from(stream, prelude) {
      stream.setContentType("application/vnd.awslambda.http-integration-response");
      stream.write(JSON.stringify(prelude ?? {}));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};

async function invokeStreaming(event, context) {
  let contentType = "application/octet-stream";
  let post;
  const open = () => (post ??= openStream("/invocation/" + requestId + "/response", contentType));
  const done = new Promise((resolve) => {
    const rs = new Writable({
      write(chunk, _enc, cb) {
        open().chunk(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        cb();
      },
      final(cb) {
        cb();
        resolve();
      },
    });
    rs.setContentType = (t) => {
      contentType = t;
    };
    context.responseStream = rs;
  });
  const rs = context.responseStream;
  delete context.responseStream;
  let error;
  try {
    await handler(event, rs, context);
    if (!rs.writableEnded) rs.end();
    await done;
  } catch (e) {
    error = e;
  }
  open();
  if (error) console.error("Invoke Error \t" + errorBody(error));
  process.stdout.write("\x1eNIMBUS-FLUSH\x1e\n");
  await post.end(error ? (error?.name ?? "Error") : undefined, error ? errorBody(error) : undefined);
}

for (const [name, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"]]) {
  console[name] = (...args) => process.stdout.write(new Date().toISOString() + "\t" + (requestId ?? "undefined") + "\t" + level + "\t" + format(...args).replace(/\n/g, "\r") + "\n");
}

function errorBody(e) {
  const err = e instanceof Error ? e : new Error(typeof e === "string" ? e : JSON.stringify(e));
  return JSON.stringify({ errorType: err.name ?? "Error", errorMessage: err.message ?? "", trace: String(err.stack ?? "").split("\n") });
}

async function initError(errorType, errorMessage) {
  const body = JSON.stringify({ errorType, errorMessage, trace: [] });
  console.error(new Date().toISOString() + "\tundefined\tERROR\tUncaught Exception \t" + body);
  await call("POST", "/init/error", body, { "lambda-runtime-function-error-type": errorType });
  process.exit(129);
}

async function load() {
  const spec = process.env._HANDLER ?? "";
  const dot = spec.lastIndexOf(".");
  const modPath = dot > 0 ? spec.slice(0, dot) : spec;
  const fnName = dot > 0 ? spec.slice(dot + 1) : "";
  const root = process.env.LAMBDA_TASK_ROOT;
  const file = [".js", ".mjs", ".cjs"].map((ext) => root + "/" + modPath + ext).find((f) => existsSync(f));
  if (!file) return initError("Runtime.ImportModuleError", "Error: Cannot find module '" + modPath + "'\nRequire stack:\n- /var/runtime/index.mjs");
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) return initError("Runtime.UserCodeSyntaxError", e.name + ": " + e.message);
    if (e && (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "MODULE_NOT_FOUND")) return initError("Runtime.ImportModuleError", "Error: " + e.message);
    return initError(e?.name ?? "Error", e?.message ?? String(e));
  }
  const fn = mod[fnName] ?? mod.default?.[fnName];
  if (typeof fn !== "function") return initError("Runtime.HandlerNotFound", modPath + "." + fnName + " is undefined or not exported");
  return fn;
}

const handler = await load();
for (;;) {
  const next = await call("GET", "/invocation/next");
  requestId = next.headers["lambda-runtime-aws-request-id"];
  const deadline = Number(next.headers["lambda-runtime-deadline-ms"]);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  if (handler[STREAMING] === "response") {
    await invokeStreaming(next.body.length ? JSON.parse(next.body.toString("utf8")) : null, context);
    continue;
  }
  let out;
  try {
    const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
    const result = await new Promise((resolve, reject) => {
      context.done = (err, val) => (err ? reject(err) : resolve(val));
      context.succeed = (val) => resolve(val);
      context.fail = (err) => reject(err);
      const ret = handler.length >= 3 ? handler(event, context, context.done) : handler(event, context);
      if (handler.length < 3 || (ret && typeof ret.then === "function")) Promise.resolve(ret).then(resolve, reject);
    });
    out = { path: "/invocation/" + requestId + "/response", body: result === undefined ? "null" : JSON.stringify(result) };
  } catch (e) {
    const body = errorBody(e);
    console.error("Invoke Error \t" + body);
    out = { path: "/invocation/" + requestId + "/error", body, headers: { "lambda-runtime-function-error-type": "Unhandled" } };
  }
  process.stdout.write("\x1eNIMBUS-FLUSH\x1e\n");
  await call("POST", out.path, out.body, out.headers);
}
`;
