// MemorySize as a real limit (memory-limits.ts): a worker that allocates past it is killed by the
// kernel and the invocation fails as AWS reports it (Runtime.ExitError, "signal: killed"); the
// next invocation gets a fresh worker; REPORT's Max Memory Used is the worker's measured peak.
// Needs a writable cgroup (v2, or v1's memory controller), as the reference machine has.
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cgroups } from "../../../src/core/runtime/cgroups.js";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

const probe = new Cgroups(`nimbus-${process.pid}-probe`);
const cgroups = probe.available;
probe.close();

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

const CODE = `exports.handler = async (e) => {
  const held = Buffer.alloc(e.mb * 1024 * 1024, 1);
  return { pid: process.pid, held: held.length };
};`;

describe.skipIf(!cgroups)("Lambda memory limits", () => {
  it("kills a worker that goes over MemorySize with AWS's error, and runs the next invocation on a fresh one", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "m", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", MemorySize: 128, Code: { ZipFile: zip({ "index.js": CODE }) } }));

    const small = await lambda.send(new InvokeCommand({ FunctionName: "m", LogType: "Tail", Payload: Buffer.from('{"mb":8}') }));
    expect(small.FunctionError).toBeUndefined();
    const first = JSON.parse(Buffer.from(small.Payload!).toString());
    expect(first.held).toBe(8 * 1024 * 1024);
    const report = /Memory Size: 128 MB\tMax Memory Used: (\d+) MB/.exec(Buffer.from(small.LogResult!, "base64").toString());
    expect(report).not.toBeNull();
    expect(Number(report![1])).toBeGreaterThan(8);
    expect(Number(report![1])).toBeLessThanOrEqual(128);

    const big = await lambda.send(new InvokeCommand({ FunctionName: "m", LogType: "Tail", Payload: Buffer.from('{"mb":400}') }));
    expect(big.FunctionError).toBe("Unhandled");
    const err = JSON.parse(Buffer.from(big.Payload!).toString());
    expect(err.errorType).toBe("Runtime.ExitError");
    expect(err.errorMessage).toMatch(/^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$/);
    expect(Buffer.from(big.LogResult!, "base64").toString()).toContain("Runtime exited with error: signal: killed");

    const again = await lambda.send(new InvokeCommand({ FunctionName: "m", Payload: Buffer.from('{"mb":4}') }));
    expect(again.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(again.Payload!).toString()).pid).not.toBe(first.pid);
  });

  it("gives a larger MemorySize room for the same allocation", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "big", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", MemorySize: 1024, Code: { ZipFile: zip({ "index.js": CODE }) } }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: "big", Payload: Buffer.from('{"mb":400}') }));
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(out.Payload!).toString()).held).toBe(400 * 1024 * 1024);
  });
});
