// InvokeWithResponseStream through the SDK's event-stream parser: a node handler wrapped in
// awslambda.streamifyResponse streams chunks that reach the caller before the handler finishes;
// a plain handler's answer is one PayloadChunk; InvokeComplete carries errors and the log tail.
import { CreateFunctionCommand, InvokeWithResponseStreamCommand, LambdaClient, type InvokeWithResponseStreamResponseEvent } from "@aws-sdk/client-lambda";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-lambda-stream-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const STREAMING = `const fs = require("node:fs");
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType("text/plain");
  responseStream.write("first:" + context.awsRequestId.length + ";");
  // Waits until the caller has seen the first chunk: proof that it was not buffered.
  while (event.gate && !fs.existsSync(event.gate)) await new Promise((r) => setTimeout(r, 5));
  responseStream.write("second;");
  if (event.fail) throw new TypeError("broke mid-stream");
  console.log("streamed for", event.who);
  responseStream.end("third");
});`;

async function collect(events: AsyncIterable<InvokeWithResponseStreamResponseEvent>, onChunk?: (text: string) => void) {
  const chunks: string[] = [];
  let complete: InvokeWithResponseStreamResponseEvent["InvokeComplete"];
  for await (const e of events) {
    if (e.PayloadChunk?.Payload) {
      const t = Buffer.from(e.PayloadChunk.Payload).toString();
      chunks.push(t);
      onChunk?.(t);
    }
    if (e.InvokeComplete) complete = e.InvokeComplete;
  }
  return { text: chunks.join(""), chunks, complete };
}

describe("InvokeWithResponseStream", () => {
  it("streams a streamifyResponse handler's chunks as they are written, then InvokeComplete with the log tail", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "s", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": STREAMING }) } }));
    const gate = join(dir, "gate-1");
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "s", LogType: "Tail", Payload: Buffer.from(JSON.stringify({ gate, who: "me" })) }));
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe("$LATEST");
    const got = await collect(out.EventStream!, (t) => {
      // The handler is still waiting on the gate: the first chunk came while it ran.
      if (t.startsWith("first:")) {
        expect(existsSync(gate)).toBe(false);
        writeFileSync(gate, "1");
      }
    });
    expect(got.text).toBe("first:36;second;third");
    expect(got.chunks[0]).toBe("first:36;");
    expect(got.complete?.ErrorCode).toBeUndefined();
    const log = Buffer.from(got.complete!.LogResult!, "base64").toString();
    expect(log).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/);
    expect(log).toContain("streamed for me");
    expect(log).toMatch(/REPORT RequestId: /);
  });

  it("reports an error thrown after the first bytes in InvokeComplete", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "s", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": STREAMING }) } }));
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "s", Payload: Buffer.from(JSON.stringify({ fail: true })) }));
    const got = await collect(out.EventStream!);
    expect(got.text).toBe("first:36;second;");
    expect(got.complete?.ErrorCode).toBe("TypeError");
    expect(JSON.parse(got.complete!.ErrorDetails!)).toMatchObject({ errorType: "TypeError", errorMessage: "broke mid-stream" });
  });

  it("answers a plain handler (node and python) as one PayloadChunk", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "p", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": "def handler(e, c):\n    if e.get('fail'):\n        raise ValueError('nope')\n    return {'got': e}\n" }) } }));
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "p", Payload: Buffer.from('{"k":1}') }));
    const got = await collect(out.EventStream!);
    expect(got.chunks).toHaveLength(1);
    expect(JSON.parse(got.text)).toEqual({ got: { k: 1 } });
    expect(got.complete).toEqual({});
    const failed = await collect((await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "p", Payload: Buffer.from('{"fail":true}') }))).EventStream!);
    expect(failed.text).toBe("");
    expect(failed.complete?.ErrorCode).toBe("ValueError");
    await expect(lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "missing" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
