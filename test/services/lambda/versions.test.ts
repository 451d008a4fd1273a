// Versions and aliases: PublishVersion snapshots, qualified ARNs and Qualifier everywhere,
// weighted alias routing reported through ExecutedVersion.
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const json = (b: Uint8Array | undefined) => JSON.parse(Buffer.from(b ?? []).toString("utf8"));
const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "", status: 0 }), (e) => ({ name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }));
const code = (tag: string) => zip({ "index.js": `exports.handler = async (e) => ({ tag: ${JSON.stringify(tag)}, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, arn: arguments[1]?.invokedFunctionArn });\nexports.h2 = async (e, c) => ({ tag: ${JSON.stringify(tag)}, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, arn: c.invokedFunctionArn });` });

async function setup() {
  const account = freshAccount();
  const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
  await lambda.send(new CreateFunctionCommand({ FunctionName: "v", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.h2", Code: { ZipFile: code("one") }, Description: "first" }));
  return { account, lambda };
}

describe("Lambda versions", () => {
  it("publishes numbered snapshots, skips unchanged ones, checks CodeSha256 and RevisionId, lists them in order", async () => {
    const { account, lambda } = await setup();
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: "v", Description: "release 1" }));
    expect(v1.$metadata.httpStatusCode).toBe(201);
    expect(v1.Version).toBe("1");
    expect(v1.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${account}:function:v:1`);
    expect(v1.Description).toBe("release 1");
    // Nothing changed: the same version again.
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: "v" }));
    expect(again.Version).toBe("1");
    expect(again.RevisionId).toBe(v1.RevisionId);
    const latest = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "v", ZipFile: code("two") }));
    expect(await err(lambda.send(new PublishVersionCommand({ FunctionName: "v", CodeSha256: v1.CodeSha256 })))).toEqual({
      name: "InvalidParameterValueException",
      message: `CodeSHA256 (${v1.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.CodeSha256}). Please try again with the current CodeSHA256.`,
      status: 400,
    });
    expect((await err(lambda.send(new PublishVersionCommand({ FunctionName: "v", RevisionId: "stale" })))).name).toBe("PreconditionFailedException");
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: "v", CodeSha256: latest.CodeSha256 }));
    expect(v2.Version).toBe("2");
    expect(v2.CodeSha256).toBe(latest.CodeSha256);
    const list = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "v" }));
    expect(list.Versions?.map((v) => v.Version)).toEqual(["$LATEST", "1", "2"]);
    const p1 = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "v", MaxItems: 2 }));
    expect(p1.Versions?.map((v) => v.Version)).toEqual(["$LATEST", "1"]);
    const p2 = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "v", MaxItems: 2, Marker: p1.NextMarker }));
    expect(p2.Versions?.map((v) => v.Version)).toEqual(["2"]);
    expect(p2.NextMarker).toBeUndefined();
  });

  it("runs each version's own code and configuration, by Qualifier or qualified ARN", async () => {
    const { account, lambda } = await setup();
    await lambda.send(new PublishVersionCommand({ FunctionName: "v" }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "v", ZipFile: code("two"), Publish: true }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "v", Timeout: 9 }));
    const r1 = await lambda.send(new InvokeCommand({ FunctionName: "v", Qualifier: "1" }));
    expect(r1.ExecutedVersion).toBe("1");
    expect(json(r1.Payload)).toEqual({ tag: "one", version: "1", arn: `arn:aws:lambda:us-east-1:${account}:function:v:1` });
    const r2 = await lambda.send(new InvokeCommand({ FunctionName: `arn:aws:lambda:us-east-1:${account}:function:v:2` }));
    expect(r2.ExecutedVersion).toBe("2");
    expect(json(r2.Payload).tag).toBe("two");
    const latest = await lambda.send(new InvokeCommand({ FunctionName: "v" }));
    expect(latest.ExecutedVersion).toBe("$LATEST");
    expect(json(latest.Payload)).toMatchObject({ tag: "two", version: "$LATEST" });
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "v", Qualifier: "1" }))).Timeout).toBe(3);
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "v" }))).Timeout).toBe(9);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: "v:2" }))).Configuration?.Version).toBe("2");
    expect(await err(lambda.send(new InvokeCommand({ FunctionName: "v", Qualifier: "7" })))).toEqual({ name: "ResourceNotFoundException", message: `Function not found: arn:aws:lambda:us-east-1:${account}:function:v:7`, status: 404 });
    expect((await err(lambda.send(new InvokeCommand({ FunctionName: "v:1", Qualifier: "2" })))).name).toBe("InvalidParameterValueException");
  });

  it("deletes one version, never $LATEST alone nor a version an alias uses; an unqualified delete removes everything", async () => {
    const { account, lambda } = await setup();
    await lambda.send(new PublishVersionCommand({ FunctionName: "v" }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "v", ZipFile: code("two"), Publish: true }));
    await lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "live", FunctionVersion: "2" }));
    expect((await err(lambda.send(new DeleteFunctionCommand({ FunctionName: "v", Qualifier: "$LATEST" })))).name).toBe("InvalidParameterValueException");
    expect(await err(lambda.send(new DeleteFunctionCommand({ FunctionName: "v", Qualifier: "2" })))).toEqual({ name: "ResourceConflictException", message: "Unable to delete version because the following aliases reference it: [live]", status: 409 });
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "v", Qualifier: "1" }));
    expect((await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "v" }))).Versions?.map((v) => v.Version)).toEqual(["$LATEST", "2"]);
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "v", Qualifier: "live" }))).Payload).tag).toBe("two");
    // Version numbers are never reused.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "v", MemorySize: 256 }));
    expect((await lambda.send(new PublishVersionCommand({ FunctionName: "v" }))).Version).toBe("3");
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "v" }));
    expect((await err(lambda.send(new GetFunctionCommand({ FunctionName: "v", Qualifier: "2" })))).name).toBe("ResourceNotFoundException");
    await lambda.send(new CreateFunctionCommand({ FunctionName: "v", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.h2", Code: { ZipFile: code("again") }, Publish: true }));
    expect((await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "v" }))).Versions?.map((v) => v.Version)).toEqual(["$LATEST", "1"]);
    expect((await lambda.send(new ListAliasesCommand({ FunctionName: "v" }))).Aliases).toEqual([]);
  });
});

describe("Lambda aliases", () => {
  it("creates, reads, updates, lists and deletes aliases with AWS's errors", async () => {
    const { account, lambda } = await setup();
    await lambda.send(new PublishVersionCommand({ FunctionName: "v" }));
    const a = await lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "prod", FunctionVersion: "1", Description: "p" }));
    expect(a.$metadata.httpStatusCode).toBe(201);
    expect(a).toMatchObject({ AliasArn: `arn:aws:lambda:us-east-1:${account}:function:v:prod`, Name: "prod", FunctionVersion: "1", Description: "p" });
    expect(a.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await err(lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "prod", FunctionVersion: "1" })))).toEqual({ name: "ResourceConflictException", message: `Alias already exists: arn:aws:lambda:us-east-1:${account}:function:v:prod`, status: 409 });
    expect((await err(lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "x", FunctionVersion: "9" })))).name).toBe("ResourceNotFoundException");
    expect((await err(lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "123", FunctionVersion: "1" })))).name).toBe("ValidationException");
    await lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "dev", FunctionVersion: "$LATEST" }));
    const list = await lambda.send(new ListAliasesCommand({ FunctionName: "v" }));
    expect(list.Aliases?.map((x) => x.Name)).toEqual(["dev", "prod"]);
    expect((await lambda.send(new ListAliasesCommand({ FunctionName: "v", FunctionVersion: "1" }))).Aliases?.map((x) => x.Name)).toEqual(["prod"]);
    const page = await lambda.send(new ListAliasesCommand({ FunctionName: "v", MaxItems: 1 }));
    expect(page.Aliases?.map((x) => x.Name)).toEqual(["dev"]);
    expect((await lambda.send(new ListAliasesCommand({ FunctionName: "v", Marker: page.NextMarker }))).Aliases?.map((x) => x.Name)).toEqual(["prod"]);
    expect((await err(lambda.send(new UpdateAliasCommand({ FunctionName: "v", Name: "prod", Description: "q", RevisionId: "stale" })))).name).toBe("PreconditionFailedException");
    const u = await lambda.send(new UpdateAliasCommand({ FunctionName: "v", Name: "prod", Description: "q", RevisionId: a.RevisionId }));
    expect(u).toMatchObject({ FunctionVersion: "1", Description: "q" });
    expect(u.RevisionId).not.toBe(a.RevisionId);
    expect((await lambda.send(new GetAliasCommand({ FunctionName: "v", Name: "prod" }))).Description).toBe("q");
    const dev = await lambda.send(new InvokeCommand({ FunctionName: `arn:aws:lambda:us-east-1:${account}:function:v:dev` }));
    expect(dev.ExecutedVersion).toBe("$LATEST");
    expect(json(dev.Payload).arn).toBe(`arn:aws:lambda:us-east-1:${account}:function:v`);
    await lambda.send(new DeleteAliasCommand({ FunctionName: "v", Name: "dev" }));
    expect(await err(lambda.send(new GetAliasCommand({ FunctionName: "v", Name: "dev" })))).toEqual({ name: "ResourceNotFoundException", message: `Cannot find alias arn: arn:aws:lambda:us-east-1:${account}:function:v:dev`, status: 404 });
  });

  it("routes by AdditionalVersionWeights and reports the version that ran", async () => {
    const { lambda } = await setup();
    await lambda.send(new PublishVersionCommand({ FunctionName: "v" }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "v", ZipFile: code("two"), Publish: true }));
    expect((await err(lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "bad", FunctionVersion: "$LATEST", RoutingConfig: { AdditionalVersionWeights: { "1": 0.5 } } })))).name).toBe("InvalidParameterValueException");
    const a = await lambda.send(new CreateAliasCommand({ FunctionName: "v", Name: "canary", FunctionVersion: "1", RoutingConfig: { AdditionalVersionWeights: { "2": 0.5 } } }));
    expect(a.RoutingConfig).toEqual({ AdditionalVersionWeights: { "2": 0.5 } });
    const seen: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const r = await lambda.send(new InvokeCommand({ FunctionName: "v:canary" }));
      const body = json(r.Payload);
      expect(body.tag).toBe(r.ExecutedVersion === "1" ? "one" : "two");
      expect(body.version).toBe(r.ExecutedVersion);
      seen[r.ExecutedVersion!] = (seen[r.ExecutedVersion!] ?? 0) + 1;
    }
    // 40 draws at 50%: both versions run (all on one side has probability 2^-39).
    expect(Object.keys(seen).sort()).toEqual(["1", "2"]);
    // Weight 1 sends everything to the additional version; an empty RoutingConfig removes it.
    await lambda.send(new UpdateAliasCommand({ FunctionName: "v", Name: "canary", RoutingConfig: { AdditionalVersionWeights: { "2": 1 } } }));
    for (let i = 0; i < 5; i++) expect((await lambda.send(new InvokeCommand({ FunctionName: "v", Qualifier: "canary" }))).ExecutedVersion).toBe("2");
    const cleared = await lambda.send(new UpdateAliasCommand({ FunctionName: "v", Name: "canary", RoutingConfig: {} }));
    expect(cleared.RoutingConfig).toBeUndefined();
    expect((await lambda.send(new InvokeCommand({ FunctionName: "v", Qualifier: "canary" }))).ExecutedVersion).toBe("1");
  });
});

describe("Lambda custom runtimes (provided.al2023, provided.al2)", () => {
  // The AWS tutorial's shell bootstrap: poll /next with curl, answer /response.
  const BOOTSTRAP = `#!/bin/sh
set -eu
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  echo "handling $REQUEST_ID"
  curl -sS -o /dev/null -X POST "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "{\\"handler\\":\\"$_HANDLER\\",\\"event\\":$EVENT,\\"root\\":\\"$LAMBDA_TASK_ROOT\\"}"
done
`;

  it("runs the function's own bootstrap against the Runtime API, warm across invocations", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    for (const runtime of ["provided.al2023", "provided.al2"]) {
      const name = runtime.replace(".", "-");
      await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Role: `arn:aws:iam::${account}:role/r`, Handler: "function.handler", Code: { ZipFile: zip({ bootstrap: BOOTSTRAP }, { bootstrap: 0o755 }) } }));
      for (const i of [1, 2]) {
        const r = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ i })), LogType: "Tail" }));
        expect(r.FunctionError).toBeUndefined();
        const body = json(r.Payload);
        expect(body.handler).toBe("function.handler");
        expect(body.event).toEqual({ i });
        expect(Buffer.from(r.LogResult!, "base64").toString()).toMatch(/handling [0-9a-f-]{36}/);
      }
    }
  });

  it("reports a package without a bootstrap as Runtime.InvalidEntrypoint", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "nob", Runtime: "provided.al2023", Role: `arn:aws:iam::${account}:role/r`, Handler: "x", Code: { ZipFile: zip({ "main.sh": "echo" }) } }));
    const r = await lambda.send(new InvokeCommand({ FunctionName: "nob" }));
    expect(r.FunctionError).toBe("Unhandled");
    expect(json(r.Payload)).toEqual({ errorType: "Runtime.InvalidEntrypoint", errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Couldn't find valid bootstrap\(s\): \[\/var\/task\/bootstrap \/opt\/bootstrap\]$/) });
  });
});
