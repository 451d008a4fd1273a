// Layers: publish numbered versions, list and read them, grant GetLayerVersion, and run
// functions whose code imports modules from their layers (nodejs/node_modules, python/).
import {
  AddLayerVersionPermissionCommand,
  CreateFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionCommand,
  InvokeCommand,
  LambdaClient,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const json = (b: Uint8Array | undefined) => JSON.parse(Buffer.from(b ?? []).toString("utf8"));
const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "" }), (e) => ({ name: e.name, message: e.message }));

function client() {
  const account = freshAccount();
  return { account, lambda: new LambdaClient(sdkConfig(n.endpoint, { accountId: account })) };
}

describe("Lambda layers", () => {
  it("publishes numbered versions and lists, reads, grants and deletes them", async () => {
    const { account, lambda } = client();
    const z = zip({ "nodejs/node_modules/greet/index.js": "module.exports = () => 'v1';" });
    const v1 = await lambda.send(new PublishLayerVersionCommand({ LayerName: "tools", Description: "first", Content: { ZipFile: z }, CompatibleRuntimes: ["nodejs20.x"], LicenseInfo: "MIT" }));
    expect(v1.$metadata.httpStatusCode).toBe(201);
    expect(v1).toMatchObject({ LayerArn: `arn:aws:lambda:us-east-1:${account}:layer:tools`, LayerVersionArn: `arn:aws:lambda:us-east-1:${account}:layer:tools:1`, Version: 1, Description: "first", CompatibleRuntimes: ["nodejs20.x"], LicenseInfo: "MIT" });
    expect(v1.Content).toMatchObject({ CodeSha256: createHash("sha256").update(z).digest("base64"), CodeSize: z.length });
    const v2 = await lambda.send(new PublishLayerVersionCommand({ LayerName: "tools", Content: { ZipFile: zip({ "nodejs/node_modules/greet/index.js": "module.exports = () => 'v2';" }) }, CompatibleRuntimes: ["python3.12"] }));
    expect(v2.Version).toBe(2);
    expect((await lambda.send(new GetLayerVersionCommand({ LayerName: "tools", VersionNumber: 1 }))).Description).toBe("first");
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: "tools" }))).LayerVersions?.map((v) => v.Version)).toEqual([2, 1]);
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: "tools", CompatibleRuntime: "nodejs20.x" }))).LayerVersions?.map((v) => v.Version)).toEqual([1]);
    const layers = await lambda.send(new ListLayersCommand({}));
    expect(layers.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version])).toEqual([["tools", 2]]);
    const grant = await lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "tools", VersionNumber: 1, StatementId: "all", Action: "lambda:GetLayerVersion", Principal: "*" }));
    expect(JSON.parse(grant.Statement!)).toEqual({ Sid: "all", Effect: "Allow", Principal: "*", Action: "lambda:GetLayerVersion", Resource: v1.LayerVersionArn });
    expect((await err(lambda.send(new AddLayerVersionPermissionCommand({ LayerName: "tools", VersionNumber: 1, StatementId: "all", Action: "lambda:GetLayerVersion", Principal: "*" })))).name).toBe("ResourceConflictException");
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: "tools", VersionNumber: 2 }));
    expect((await err(lambda.send(new GetLayerVersionCommand({ LayerName: "tools", VersionNumber: 2 })))).name).toBe("ResourceNotFoundException");
    // Numbers are not reused.
    expect((await lambda.send(new PublishLayerVersionCommand({ LayerName: "tools", Content: { ZipFile: z } }))).Version).toBe(3);
  });

  it("puts layer modules on the node and python paths, later layers first", async () => {
    const { account, lambda } = client();
    const base = await lambda.send(new PublishLayerVersionCommand({ LayerName: "base", Content: { ZipFile: zip({ "nodejs/node_modules/greet/index.js": "module.exports = (n) => 'hello ' + n + ' from base';", "nodejs/node_modules/only-base/index.js": "module.exports = 'base-only';", "python/greet.py": "def greet(n):\n    return 'hi ' + n + ' from base'\n" }) } }));
    const over = await lambda.send(new PublishLayerVersionCommand({ LayerName: "override", Content: { ZipFile: zip({ "nodejs/node_modules/greet/index.js": "module.exports = (n) => 'hello ' + n + ' from override';" }) } }));
    const node = await lambda.send(new CreateFunctionCommand({ FunctionName: "n", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Layers: [base.LayerVersionArn!, over.LayerVersionArn!], Code: { ZipFile: zip({ "index.js": "const greet = require('greet'); const b = require('only-base'); exports.handler = async (e) => ({ msg: greet(e.name), b });" }) } }));
    expect(node.Layers).toEqual([{ Arn: base.LayerVersionArn, CodeSize: base.Content?.CodeSize }, { Arn: over.LayerVersionArn, CodeSize: over.Content?.CodeSize }]);
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "n", Payload: Buffer.from('{"name":"ann"}') }))).Payload)).toEqual({ msg: "hello ann from override", b: "base-only" });
    await lambda.send(new CreateFunctionCommand({ FunctionName: "p", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Layers: [base.LayerVersionArn!], Code: { ZipFile: zip({ "app.py": "from greet import greet\ndef handler(e, c):\n    return {'msg': greet(e['name'])}\n" }) } }));
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "p", Payload: Buffer.from('{"name":"bo"}') }))).Payload)).toEqual({ msg: "hi bo from base" });
    // Layers can be changed, and a deleted layer version keeps working for functions using it.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "n", Layers: [base.LayerVersionArn!] }));
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: "base", VersionNumber: 1 }));
    expect(json((await lambda.send(new InvokeCommand({ FunctionName: "n", Payload: Buffer.from('{"name":"cy"}') }))).Payload).msg).toBe("hello cy from base");
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "n" }))).Layers?.map((l) => l.Arn)).toEqual([base.LayerVersionArn]);
    const missing = await err(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "n", Layers: [`arn:aws:lambda:us-east-1:${account}:layer:base:9`] })));
    expect(missing).toEqual({ name: "InvalidParameterValueException", message: `Layer version arn:aws:lambda:us-east-1:${account}:layer:base:9 does not exist.` });
  });
});
