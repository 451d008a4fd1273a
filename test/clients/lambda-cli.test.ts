// Lambda through the aws CLI (`aws lambda create-function` / `invoke`) and boto3: zips built
// with `python3 -m zipfile`, payloads round-tripped through the outfile and the response stream.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients } from "./support.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-lambda-cli-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});
const c = useClients(() => n.endpoint);

/** A zip made by python's zipfile module (not our test writer). */
function pyZip(name: string, files: Record<string, string>): string {
  const src = join(dir, `${name}-src`);
  execFileSync("mkdir", ["-p", src]);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(src, f), text);
  const out = join(dir, `${name}.zip`);
  execFileSync(PYTHON ?? "python3", ["-m", "zipfile", "-c", out, ...Object.keys(files).map((f) => join(src, f))]);
  return out;
}

describe.skipIf(!AWS)("Lambda through the aws CLI", () => {
  it("creates a node function and invokes it, payload in and out", async () => {
    const account = freshAccount();
    const z = pyZip("cli", { "index.js": "exports.handler = async (e) => ({ doubled: e.n * 2, name: process.env.AWS_LAMBDA_FUNCTION_NAME, mode: process.env.MODE });" });
    const created = ok(await c.aws(account, "lambda", "create-function", "--function-name", "cli-fn", "--runtime", "nodejs20.x", "--handler", "index.handler", "--role", `arn:aws:iam::${account}:role/r`, "--zip-file", `fileb://${z}`, "--environment", "Variables={MODE=cli}"));
    expect(created.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${account}:function:cli-fn`);
    expect(created.State).toBe("Pending");
    const outfile = join(dir, "out.json");
    const inv = ok(await c.aws(account, "lambda", "invoke", "--function-name", "cli-fn", "--cli-binary-format", "raw-in-base64-out", "--payload", '{"n":21}', "--log-type", "Tail", outfile));
    expect(inv.StatusCode).toBe(200);
    expect(inv.FunctionError).toBeUndefined();
    expect(Buffer.from(inv.LogResult, "base64").toString()).toContain("END RequestId:");
    expect(JSON.parse(readFileSync(outfile, "utf8"))).toEqual({ doubled: 42, name: "cli-fn", mode: "cli" });
    const missing = failed(await c.aws(account, "lambda", "get-function", "--function-name", "nope"));
    expect(missing).toContain(`ResourceNotFoundException`);
    expect(missing).toContain(`Function not found: arn:aws:lambda:us-east-1:${account}:function:nope`);
  });
});

describe.skipIf(!PYTHON)("Lambda through boto3", () => {
  it("creates a python function, invokes it, and reads an unhandled error", async () => {
    const account = freshAccount();
    const z = pyZip("boto", { "app.py": "def handler(event, context):\n    if event.get('fail'):\n        raise KeyError('k')\n    return {'got': event, 'v': context.function_version}\n" });
    const script = `
import boto3, json, sys
l = boto3.client("lambda", endpoint_url=sys.argv[1])
code = open(sys.argv[2], "rb").read()
c = l.create_function(FunctionName="py-fn", Runtime="python3.12", Role="arn:aws:iam::${account}:role/r", Handler="app.handler", Code={"ZipFile": code})
ok = l.invoke(FunctionName="py-fn", Payload=json.dumps({"a": "b"}))
bad = l.invoke(FunctionName="py-fn", Payload=json.dumps({"fail": True}))
print(json.dumps({"state": c["State"], "ok": json.loads(ok["Payload"].read()), "status": ok["StatusCode"],
  "badError": bad.get("FunctionError"), "bad": json.loads(bad["Payload"].read())}))
`;
    const out = ok(await c.python(account, script, n.endpoint, z));
    expect(out.state).toBe("Pending");
    expect(out.status).toBe(200);
    expect(out.ok).toEqual({ got: { a: "b" }, v: "$LATEST" });
    expect(out.badError).toBe("Unhandled");
    expect(out.bad.errorType).toBe("KeyError");
    expect(out.bad.errorMessage).toBe("'k'");
  });
});

describe.skipIf(!AWS || !PYTHON)("Lambda function URLs through the aws CLI and boto3", () => {
  it("the CLI makes an AWS_IAM URL; a request signed by botocore's SigV4Auth reaches the function, an unsigned one is refused", async () => {
    const account = freshAccount();
    const z = pyZip("url", { "app.py": "def handler(event, context):\n    return {'statusCode': 200, 'body': event['requestContext']['authorizer']['iam']['accountId'] + ' ' + event['rawPath']}\n" });
    ok(await c.aws(account, "lambda", "create-function", "--function-name", "url-fn", "--runtime", "python3.12", "--handler", "app.handler", "--role", `arn:aws:iam::${account}:role/r`, "--zip-file", `fileb://${z}`));
    const cfg = ok(await c.aws(account, "lambda", "create-function-url-config", "--function-name", "url-fn", "--auth-type", "AWS_IAM"));
    expect(cfg.AuthType).toBe("AWS_IAM");
    const urlId = new URL(cfg.FunctionUrl).hostname.split(".")[0];
    const listed = ok(await c.aws(account, "lambda", "list-function-url-configs", "--function-name", "url-fn"));
    expect(listed.FunctionUrlConfigs.map((x: { FunctionUrl: string }) => x.FunctionUrl)).toEqual([cfg.FunctionUrl]);
    const script = `
import boto3, json, sys, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
url = sys.argv[1] + "/_lambda-url/" + sys.argv[2] + "/hello"
def get(sign):
    req = AWSRequest(method="GET", url=url)
    if sign:
        SigV4Auth(boto3.Session().get_credentials(), "lambda", "us-east-1").add_auth(req)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers.items()))) as r:
            return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]
print(json.dumps({"signed": get(True), "unsigned": get(False)}))
`;
    const out = ok(await c.python(account, script, n.endpoint, urlId));
    expect(out.signed).toEqual([200, `${account} /hello`]);
    expect(out.unsigned[0]).toBe(403);
    expect(JSON.parse(out.unsigned[1])).toEqual({ Message: "Forbidden" });
    ok(await c.aws(account, "lambda", "delete-function-url-config", "--function-name", "url-fn"));
    expect(failed(await c.aws(account, "lambda", "get-function-url-config", "--function-name", "url-fn"))).toContain("ResourceNotFoundException");
  });
});
