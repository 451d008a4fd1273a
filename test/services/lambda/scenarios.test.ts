// The proof scenarios: the permission lab through boto3 (a Python function writing a log
// file to S3 is denied until AmazonS3FullAccess is attached to its role), and a Node function
// invoked 1,000 times with payload round trips, then 50 at once across scaled-out workers.
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { PYTHON, ok, useClients } from "../../clients/support.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-lambda-scenarios-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});
const c = useClients(() => n.endpoint);

// The lab's function, as a student writes it: boto3 with no endpoint or keys of its own.
const LAB_FUNCTION = `import boto3, datetime

def handler(event, context):
    s3 = boto3.client("s3")
    body = "log line at %s from %s\\n" % (datetime.datetime.utcnow().isoformat(), context.aws_request_id)
    s3.put_object(Bucket=event["bucket"], Key="logs/" + context.aws_request_id + ".log", Body=body.encode())
    return {"written": "logs/" + context.aws_request_id + ".log"}
`;

describe.skipIf(!PYTHON)("Scenario: the permission lab (boto3)", () => {
  it("fails with AccessDenied until AmazonS3FullAccess is attached to the role, then writes the log file", async () => {
    const account = freshAccount();
    const src = join(dir, "lab.py");
    writeFileSync(src, LAB_FUNCTION);
    const script = `
import boto3, io, json, sys, time, zipfile
from botocore.config import Config
ep = sys.argv[1]
cfg = Config(s3={"addressing_style": "path"})
iam = boto3.client("iam", endpoint_url=ep)
s3 = boto3.client("s3", endpoint_url=ep, config=cfg)
lam = boto3.client("lambda", endpoint_url=ep)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="lab-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
s3.create_bucket(Bucket="lab-logs-${account}")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.write(sys.argv[2], "lambda_function.py")
lam.create_function(FunctionName="lab", Runtime="python3.12", Role=role, Handler="lambda_function.handler", Code={"ZipFile": buf.getvalue()}, Timeout=30)
event = json.dumps({"bucket": "lab-logs-${account}"})
first = lam.invoke(FunctionName="lab", Payload=event)
first_body = json.loads(first["Payload"].read())
iam.attach_role_policy(RoleName="lab-role", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
second = lam.invoke(FunctionName="lab", Payload=event)
second_body = json.loads(second["Payload"].read())
objects = s3.list_objects_v2(Bucket="lab-logs-${account}").get("Contents", [])
text = s3.get_object(Bucket="lab-logs-${account}", Key=second_body["written"])["Body"].read().decode() if "written" in second_body else ""
print(json.dumps({"first_error": first.get("FunctionError"), "first": first_body, "second_error": second.get("FunctionError"), "second": second_body, "keys": [o["Key"] for o in objects], "text": text}))
`;
    const out = ok(await c.python(account, script, n.endpoint, src));
    expect(out.first_error).toBe("Unhandled");
    // botocore names the exception after the code when its model has it (newer versions), else ClientError.
    expect(["AccessDenied", "ClientError"]).toContain(out.first.errorType);
    expect(out.first.errorMessage).toContain("An error occurred (AccessDenied) when calling the PutObject operation");
    expect(out.first.errorMessage).toContain(`arn:aws:sts::${account}:assumed-role/lab-role/lab is not authorized to perform: s3:PutObject`);
    expect(out.second_error).toBeNull();
    expect(out.second.written).toMatch(/^logs\/[0-9a-f-]{36}\.log$/);
    expect(out.keys).toEqual([out.second.written]);
    expect(out.text).toMatch(/^log line at \d{4}-\d\d-\d\dT.* from [0-9a-f-]{36}\n$/);
  });
});

describe("Scenario: a Node function under load", () => {
  it("round-trips 1,000 payloads, then runs 50 concurrent invocations on several workers", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    const code = `exports.handler = async (e) => {
  if (e.hold) await new Promise((r) => setTimeout(r, e.hold));
  return { i: e.i, text: e.text.split("").reverse().join(""), nested: e.nested, pid: process.pid };
};`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: "load", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": code }) } }));
    const call = async (event: Record<string, unknown>) => {
      const r = await lambda.send(new InvokeCommand({ FunctionName: "load", Payload: Buffer.from(JSON.stringify(event)) }));
      expect(r.StatusCode).toBe(200);
      expect(r.FunctionError).toBeUndefined();
      return JSON.parse(Buffer.from(r.Payload!).toString("utf8"));
    };
    // 1. 1,000 sequential invocations, each with its own payload.
    for (let i = 0; i < 1000; i++) {
      const text = `payload ${i} ${"é✓".repeat(i % 7)}`;
      const out = await call({ i, text, nested: { list: [i, i * 2], flag: i % 2 === 0 } });
      expect(out.i).toBe(i);
      expect(out.text).toBe(text.split("").reverse().join(""));
      expect(out.nested).toEqual({ list: [i, i * 2], flag: i % 2 === 0 });
    }
    // 2. 50 at once: each holds its worker a moment, so the pool scales out, and all succeed.
    const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => call({ i, text: `c${i}`, nested: null, hold: 200 })));
    expect(outs.map((o) => o.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(outs.map((o) => o.text)).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`.split("").reverse().join("")));
    const pids = new Set(outs.map((o) => o.pid));
    expect(pids.size).toBeGreaterThan(1);
    expect(pids.size).toBeLessThanOrEqual(Number(process.env.NIMBUS_LAMBDA_MAX_WORKERS ?? 10));
  }, 180_000);
});
