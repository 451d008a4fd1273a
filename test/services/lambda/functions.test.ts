// Lambda functions that really run: created from zips built here, invoked through the SDK.
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const ROLE = (account: string) => `arn:aws:iam::${account}:role/fn-role`;
const json = (b: Uint8Array | undefined) => JSON.parse(Buffer.from(b ?? []).toString("utf8"));
const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "", status: 0 }), (e) => ({ name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }));

function client(account = freshAccount()) {
  return { account, lambda: new LambdaClient(sdkConfig(n.endpoint, { accountId: account })) };
}

const NODE_CJS = `exports.handler = async (event, context) => {
  console.log("hello from", context.functionName);
  return { echo: event, greeting: process.env.GREETING, fn: process.env.AWS_LAMBDA_FUNCTION_NAME, region: process.env.AWS_REGION, tz: process.env.TZ, arn: context.invokedFunctionArn, pid: process.pid };
};
exports.fail = async () => { throw new TypeError("bad input"); };
exports.cb = (event, context, callback) => { setTimeout(() => callback(null, { cb: event.n + 1 }), 1); };
exports.slow = () => new Promise(() => {});
`;
const NODE_ESM = `export const handler = async (event) => ({ esm: true, n: event.n * 2 });`;
const PY = `import os, json
def handler(event, context):
    print("py log line")
    return {"echo": event, "greeting": os.environ.get("GREETING"), "remaining": context.get_remaining_time_in_millis() > 0, "fn": context.function_name}
def fail(event, context):
    raise ValueError("py boom")
`;

async function create(lambda: LambdaClient, account: string, name: string, runtime: string, handler: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  return lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Role: ROLE(account), Handler: handler, Code: { ZipFile: zip(files) }, ...extra }));
}

describe("Lambda control plane", () => {
  it("creates a function from a zip: Pending on create, Active after, code hash and size", async () => {
    const { account, lambda } = client();
    const z = zip({ "index.js": NODE_CJS });
    const out = await lambda.send(new CreateFunctionCommand({ FunctionName: "f1", Runtime: "nodejs20.x", Role: ROLE(account), Handler: "index.handler", Code: { ZipFile: z }, Environment: { Variables: { GREETING: "hi" } } }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${account}:function:f1`);
    expect(out.State).toBe("Pending");
    expect(out.StateReasonCode).toBe("Creating");
    expect(out.CodeSize).toBe(z.length);
    expect(out.CodeSha256).toBe(createHash("sha256").update(z).digest("base64"));
    expect(out.Timeout).toBe(3);
    expect(out.MemorySize).toBe(128);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: out.FunctionArn }));
    expect(got.Configuration?.State).toBe("Active");
    expect(got.Configuration?.LastUpdateStatus).toBe("Successful");
    expect(got.Configuration?.Environment?.Variables).toEqual({ GREETING: "hi" });
    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "f1" }));
    expect(conf.RevisionId).toBe(got.Configuration?.RevisionId);
  });

  it("refuses duplicates, bad roles, unknown runtimes, reserved variables and bad zips, changing nothing", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "dup", "nodejs20.x", "index.handler", { "index.js": NODE_CJS });
    expect(await err(create(lambda, account, "dup", "nodejs20.x", "index.handler", { "index.js": NODE_CJS }))).toEqual({ name: "ResourceConflictException", message: "Function already exist: dup", status: 409 });
    const badRole = await err(lambda.send(new CreateFunctionCommand({ FunctionName: "r", Runtime: "nodejs20.x", Role: "not-a-role", Handler: "i.h", Code: { ZipFile: zip({ "i.js": "" }) } })));
    expect(badRole.name).toBe("ValidationException");
    expect(badRole.message).toContain("Value 'not-a-role' at 'role' failed to satisfy constraint");
    const java = await err(create(lambda, account, "j", "java17", "x::h", { "a.txt": "x" }));
    expect(java.name).toBe("InvalidParameterValueException");
    expect(java.message).toContain("java17");
    const reserved = await err(create(lambda, account, "e", "nodejs20.x", "index.handler", { "index.js": NODE_CJS }, { Environment: { Variables: { AWS_REGION: "x" } } }));
    expect(reserved.message).toBe("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION");
    const badZip = await err(lambda.send(new CreateFunctionCommand({ FunctionName: "z", Runtime: "nodejs20.x", Role: ROLE(account), Handler: "i.h", Code: { ZipFile: Buffer.from("not a zip") } })));
    expect(badZip).toEqual({ name: "InvalidParameterValueException", message: "Could not unzip uploaded file. Please check your file, then try to upload again.", status: 400 });
    const list = await lambda.send(new ListFunctionsCommand({}));
    expect(list.Functions?.map((f) => f.FunctionName)).toEqual(["dup"]);
  });

  it("creates a function from code in S3 (S3Bucket/S3Key) and names a missing object", async () => {
    const { account, lambda } = client();
    const s3 = new S3Client({ ...sdkConfig(n.endpoint, { accountId: account }), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: `code-${account}` }));
    await s3.send(new PutObjectCommand({ Bucket: `code-${account}`, Key: "fn.zip", Body: zip({ "index.mjs": NODE_ESM }) }));
    const out = await lambda.send(new CreateFunctionCommand({ FunctionName: "froms3", Runtime: "nodejs20.x", Role: ROLE(account), Handler: "index.handler", Code: { S3Bucket: `code-${account}`, S3Key: "fn.zip" } }));
    expect(out.CodeSize).toBe(zip({ "index.mjs": NODE_ESM }).length);
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "froms3", Payload: Buffer.from('{"n":5}') }))).Payload)).toEqual({ esm: true, n: 10 });
    const missing = await err(lambda.send(new CreateFunctionCommand({ FunctionName: "nos3", Runtime: "nodejs20.x", Role: ROLE(account), Handler: "index.handler", Code: { S3Bucket: `code-${account}`, S3Key: "none.zip" } })));
    expect(missing.name).toBe("InvalidParameterValueException");
    expect(missing.message).toContain("S3 Error Code: NoSuchKey");
  });

  it("answers AWS's not-found message, paginates, updates and deletes", async () => {
    const { account, lambda } = client();
    expect(await err(lambda.send(new GetFunctionCommand({ FunctionName: "nope" })))).toEqual({ name: "ResourceNotFoundException", message: `Function not found: arn:aws:lambda:us-east-1:${account}:function:nope`, status: 404 });
    for (const name of ["a", "b", "c"]) await create(lambda, account, name, "python3.12", "app.handler", { "app.py": PY });
    const p1 = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(p1.Functions?.map((f) => f.FunctionName)).toEqual(["a", "b"]);
    const p2 = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: p1.NextMarker }));
    expect(p2.Functions?.map((f) => f.FunctionName)).toEqual(["c"]);
    expect(p2.NextMarker).toBeUndefined();
    const upd = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "a", Timeout: 10, MemorySize: 256, Environment: { Variables: { GREETING: "new" } } }));
    expect(upd.LastUpdateStatus).toBe("InProgress");
    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "a" }));
    expect([conf.Timeout, conf.MemorySize, conf.Environment?.Variables, conf.LastUpdateStatus]).toEqual([10, 256, { GREETING: "new" }, "Successful"]);
    const inv = await lambda.send(new InvokeCommand({ FunctionName: "a", Payload: Buffer.from('{"k":1}') }));
    expect(json(inv.Payload).greeting).toBe("new");
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "b" }));
    expect((await err(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "b" })))).name).toBe("ResourceNotFoundException");
    expect((await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName)).toEqual(["a", "c"]);
  });
});

describe("Lambda invoke", () => {
  it("runs a node CJS function: payload round-trip, env vars, AWS variables, warm reuse, log tail", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "node", "nodejs20.x", "index.handler", { "index.js": NODE_CJS }, { Environment: { Variables: { GREETING: "hello" } } });
    const a = await lambda.send(new InvokeCommand({ FunctionName: "node", Payload: Buffer.from(JSON.stringify({ x: [1, "two"] })), LogType: "Tail" }));
    expect(a.StatusCode).toBe(200);
    expect(a.FunctionError).toBeUndefined();
    expect(a.ExecutedVersion).toBe("$LATEST");
    const body = json(a.Payload);
    expect(body).toMatchObject({ echo: { x: [1, "two"] }, greeting: "hello", fn: "node", region: "us-east-1", tz: ":UTC", arn: `arn:aws:lambda:us-east-1:${account}:function:node` });
    const log = Buffer.from(a.LogResult!, "base64").toString();
    expect(log).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/);
    expect(log).toContain("\tINFO\thello from node\n");
    expect(log).toMatch(/END RequestId: [0-9a-f-]{36}\nREPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB/);
    expect(log).toContain("Init Duration:");
    const b = await lambda.send(new InvokeCommand({ FunctionName: "node", Payload: Buffer.from("{}"), LogType: "Tail" }));
    expect(json(b.Payload).pid).toBe(body.pid);
    expect(Buffer.from(b.LogResult!, "base64").toString()).not.toContain("Init Duration:");
  });

  it("runs ESM and callback-style node handlers", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "esm", "nodejs22.x", "index.handler", { "index.mjs": NODE_ESM });
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "esm", Payload: Buffer.from('{"n":21}') }))).Payload)).toEqual({ esm: true, n: 42 });
    await create(lambda, account, "cb", "nodejs18.x", "index.cb", { "index.js": NODE_CJS });
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "cb", Payload: Buffer.from('{"n":1}') }))).Payload)).toEqual({ cb: 2 });
  });

  it("reports handler errors, missing modules and missing handlers as AWS does", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "f", "nodejs20.x", "index.fail", { "index.js": NODE_CJS });
    const a = await lambda.send(new InvokeCommand({ FunctionName: "f" }));
    expect(a.StatusCode).toBe(200);
    expect(a.FunctionError).toBe("Unhandled");
    const e = json(a.Payload);
    expect([e.errorType, e.errorMessage, e.trace[0]]).toEqual(["TypeError", "bad input", "TypeError: bad input"]);
    await create(lambda, account, "nomod", "nodejs20.x", "missing.handler", { "index.js": NODE_CJS });
    const b = json((await lambda.send(new InvokeCommand({ FunctionName: "nomod" }))).Payload);
    expect(b.errorType).toBe("Runtime.ImportModuleError");
    expect(b.errorMessage).toContain("Cannot find module 'missing'");
    await create(lambda, account, "nofn", "nodejs20.x", "index.nothere", { "index.js": NODE_CJS });
    const c = await lambda.send(new InvokeCommand({ FunctionName: "nofn" }));
    expect(c.FunctionError).toBe("Unhandled");
    expect(json(c.Payload)).toMatchObject({ errorType: "Runtime.HandlerNotFound", errorMessage: "index.nothere is undefined or not exported" });
    await create(lambda, account, "pyfail", "python3.11", "app.fail", { "app.py": PY });
    const d = await lambda.send(new InvokeCommand({ FunctionName: "pyfail" }));
    expect(d.FunctionError).toBe("Unhandled");
    expect(json(d.Payload)).toMatchObject({ errorType: "ValueError", errorMessage: "py boom" });
    await create(lambda, account, "pynomod", "python3.13", "nothing.handler", { "app.py": PY });
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "pynomod" }))).Payload)).toMatchObject({ errorType: "Runtime.ImportModuleError", errorMessage: "Unable to import module 'nothing': No module named 'nothing'" });
  });

  it("times out as AWS does and runs again on a fresh worker", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "slow", "nodejs20.x", "index.slow", { "index.js": NODE_CJS }, { Timeout: 1 });
    const a = await lambda.send(new InvokeCommand({ FunctionName: "slow", LogType: "Tail" }));
    expect(a.FunctionError).toBe("Unhandled");
    const e = json(a.Payload);
    expect(e.errorType).toBe("Sandbox.Timedout");
    expect(e.errorMessage).toMatch(/^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/);
    expect(Buffer.from(a.LogResult!, "base64").toString()).toContain("Task timed out after 1.00 seconds");
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "slow", Handler: "index.handler" }));
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "slow", Payload: Buffer.from("7") }))).Payload).echo).toBe(7);
  });

  it("runs a python function, DryRun checks only, rejects oversized payloads", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "py", "python3.12", "app.handler", { "app.py": PY }, { Environment: { Variables: { GREETING: "hej" } } });
    const a = await lambda.send(new InvokeCommand({ FunctionName: "py", Payload: Buffer.from('{"a":[1,2,{"b":null}]}'), LogType: "Tail" }));
    expect(json(a.Payload)).toEqual({ echo: { a: [1, 2, { b: null }] }, greeting: "hej", remaining: true, fn: "py" });
    expect(Buffer.from(a.LogResult!, "base64").toString()).toContain("py log line\n");
    const dry = await lambda.send(new InvokeCommand({ FunctionName: "py", InvocationType: "DryRun" }));
    expect(dry.StatusCode).toBe(204);
    const big = await err(lambda.send(new InvokeCommand({ FunctionName: "py", Payload: Buffer.from(JSON.stringify("x".repeat(6_291_456))) })));
    expect(big).toEqual({ name: "RequestEntityTooLargeException", message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation", status: 413 });
  });

  it("serves 50 concurrent invocations, every one answered with its own payload", async () => {
    const { account, lambda } = client();
    await create(lambda, account, "many", "nodejs20.x", "index.mjs-less", { "index.js": NODE_CJS });
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "many", Handler: "index.handler" }));
    const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => lambda.send(new InvokeCommand({ FunctionName: "many", Payload: Buffer.from(JSON.stringify({ i })) }))));
    expect(outs.map((o) => json(o.Payload).echo.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(outs.every((o) => o.FunctionError === undefined)).toBe(true);
  });

  it("a python function calls Nimbus's SQS through AWS_ENDPOINT_URL with its role's credentials", async () => {
    const { account, lambda } = client();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    await iam.send(new CreateRoleCommand({ RoleName: "fn-role", AssumeRolePolicyDocument: trust }));
    const allow = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: "fn-role", PolicyName: "send", PolicyDocument: allow }));
    const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: account }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "from-lambda" }));
    const code = `import boto3, os
def handler(event, context):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=event["url"], MessageBody="sent by " + context.function_name)
    return {"caller": boto3.client("sts").get_caller_identity()["Arn"], "key": os.environ["AWS_ACCESS_KEY_ID"][:4]}
`;
    await create(lambda, account, "sender", "python3.11", "app.handler", { "app.py": code }, { Timeout: 30 });
    const out = await lambda.send(new InvokeCommand({ FunctionName: "sender", Payload: Buffer.from(JSON.stringify({ url: QueueUrl })) }));
    expect([out.FunctionError, json(out.Payload)]).toEqual([undefined, { caller: `arn:aws:sts::${account}:assumed-role/fn-role/sender`, key: "ASIA" }]);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["sent by sender"]);
  });
});
