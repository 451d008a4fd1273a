// Worker limits, async invocation and shutdown. This file sets the pool limits through the
// environment before Nimbus starts (Vitest runs each file in its own worker).
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  process.env.NIMBUS_LAMBDA_MAX_WORKERS = "1";
  process.env.NIMBUS_LAMBDA_MAX_QUEUED = "0";
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-lambda-limits-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for a condition the test cannot otherwise await (a worker's side effect); no timing asserted. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error("condition never held");
}

const CODE = `const fs = require("node:fs");
exports.gate = async (e) => {
  fs.writeFileSync(e.dir + "/started", "1");
  while (!fs.existsSync(e.dir + "/go")) await new Promise((r) => setTimeout(r, 5));
  return { released: true, pid: process.pid };
};
exports.note = async (e) => { fs.writeFileSync(e.dir + "/event", JSON.stringify(e)); return null; };
`;

describe("Lambda worker limits", () => {
  it("refuses an invocation beyond the workers and the queue with TooManyRequestsException", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "gate", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.gate", Code: { ZipFile: zip({ "index.js": CODE }) }, Timeout: 60 }));
    const first = lambda.send(new InvokeCommand({ FunctionName: "gate", Payload: Buffer.from(JSON.stringify({ dir })) }));
    await until(() => existsSync(join(dir, "started")));
    const e = await lambda.send(new InvokeCommand({ FunctionName: "gate", Payload: Buffer.from(JSON.stringify({ dir })) })).catch((x) => x);
    expect(e.name).toBe("TooManyRequestsException");
    expect(e.$metadata.httpStatusCode).toBe(429);
    expect(e.Reason).toBe("ConcurrentInvocationLimitExceeded");
    writeFileSync(join(dir, "go"), "1");
    const out = await first;
    const body = JSON.parse(Buffer.from(out.Payload!).toString());
    expect(body.released).toBe(true);
    // The warm worker is free again: the next invocation succeeds on it.
    const again = await lambda.send(new InvokeCommand({ FunctionName: "gate", Payload: Buffer.from(JSON.stringify({ dir })) }));
    expect(JSON.parse(Buffer.from(again.Payload!).toString()).pid).toBe(body.pid);
  });

  it("accepts an Event invocation with 202 and runs it in the background", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "note", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.note", Code: { ZipFile: zip({ "index.js": CODE }) } }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: "note", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ dir, v: 7 })) }));
    expect(out.StatusCode).toBe(202);
    expect(out.$metadata.httpStatusCode).toBe(202);
    // The function writes the file in one writeFileSync: it can exist before its bytes do.
    await until(() => existsSync(join(dir, "event")) && readFileSync(join(dir, "event"), "utf8") !== "");
    expect(JSON.parse(readFileSync(join(dir, "event"), "utf8"))).toEqual({ dir, v: 7 });
  });

  it("keeps functions across a restart, and unpacks their code again from the blob store when the tree is gone", async () => {
    const data = mkdtempSync(join(tmpdir(), "nimbus-lambda-restart-"));
    const account = freshAccount();
    const first = await startNimbus({ dataDir: data });
    const l1 = new LambdaClient(sdkConfig(first.endpoint, { accountId: account }));
    await l1.send(new CreateFunctionCommand({ FunctionName: "kept", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.note", Code: { ZipFile: zip({ "index.js": CODE }) } }));
    await first.stop({ keepData: true });
    rmSync(join(data, "lambda", "code"), { recursive: true, force: true });
    const second = await startNimbus({ dataDir: data });
    const l2 = new LambdaClient(sdkConfig(second.endpoint, { accountId: account }));
    const sub = mkdtempSync(join(tmpdir(), "nimbus-lambda-kept-"));
    const out = await l2.send(new InvokeCommand({ FunctionName: "kept", Payload: Buffer.from(JSON.stringify({ dir: sub, v: "after restart" })) }));
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(readFileSync(join(sub, "event"), "utf8")).v).toBe("after restart");
    await second.stop();
    rmSync(data, { recursive: true, force: true });
    rmSync(sub, { recursive: true, force: true });
  });

  it("kills every worker when Nimbus closes", async () => {
    const other = await startNimbus();
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(other.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "gate", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.gate", Code: { ZipFile: zip({ "index.js": CODE }) } }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: "gate", Payload: Buffer.from(JSON.stringify({ dir })) }));
    const pid = JSON.parse(Buffer.from(out.Payload!).toString()).pid as number;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    await other.stop();
    await until(() => !alive());
    expect(alive()).toBe(false);
  });

  it("reaps a worker idle for NIMBUS_LAMBDA_IDLE_MS", async () => {
    // Lambda starts on its first request and reads its limits then.
    process.env.NIMBUS_LAMBDA_IDLE_MS = "200";
    const other = await startNimbus();
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(other.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "gate", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.gate", Code: { ZipFile: zip({ "index.js": CODE }) } }));
    delete process.env.NIMBUS_LAMBDA_IDLE_MS;
    writeFileSync(join(dir, "go"), "1");
    const out = await lambda.send(new InvokeCommand({ FunctionName: "gate", Payload: Buffer.from(JSON.stringify({ dir })) }));
    const pid = JSON.parse(Buffer.from(out.Payload!).toString()).pid as number;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(() => !alive());
    // The next invocation starts a new worker.
    const again = await lambda.send(new InvokeCommand({ FunctionName: "gate", Payload: Buffer.from(JSON.stringify({ dir })) }));
    expect(JSON.parse(Buffer.from(again.Payload!).toString()).pid).not.toBe(pid);
    await other.stop();
  });
});
