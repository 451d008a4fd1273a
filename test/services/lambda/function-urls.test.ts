// Function URLs: the control plane through the SDK, and HTTP requests on the URL (host form and
// /_lambda-url/ path form) reaching the function as the payload format 2.0 event, with AuthType
// NONE (the function policy must allow lambda:InvokeFunctionUrl to "*", as on AWS), AWS_IAM
// (SigV4 and the function policy for other accounts) and CORS.
import { AddPermissionCommand, CreateAliasCommand, CreateFunctionCommand, CreateFunctionUrlConfigCommand, DeleteFunctionUrlConfigCommand, GetFunctionUrlConfigCommand, LambdaClient, ListFunctionUrlConfigsCommand, PublishVersionCommand, UpdateFunctionUrlConfigCommand } from "@aws-sdk/client-lambda";
import { SignatureV4 } from "@smithy/signature-v4";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeSha256 as Sha256 } from "../../../src/core/auth/sdk-signing.test-helper.js";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

const ECHO = `exports.handler = async (event) => {
  if (event.rawPath === "/fail") throw new Error("boom");
  if (event.rawPath === "/plain") return { hello: "world" };
  return { statusCode: 201, headers: { "x-echo": "yes", "content-type": "application/json" }, cookies: ["a=1"], body: JSON.stringify(event) };
};`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to Nimbus's port with the given Host header (*.localhost need not resolve here). */
function send(method: string, host: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port: n.port, method, path, headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    r.on("error", reject);
    r.end(body);
  });
}

async function setup(authType: "NONE" | "AWS_IAM") {
  const account = freshAccount();
  const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
  await lambda.send(new CreateFunctionCommand({ FunctionName: "web", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": ECHO }) } }));
  const url = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "web", AuthType: authType, Cors: { AllowOrigins: ["https://app.example"], AllowMethods: ["GET", "POST"], AllowHeaders: ["x-custom"], ExposeHeaders: ["x-echo"], MaxAge: 300 } }));
  const u = new URL(url.FunctionUrl!);
  return { account, lambda, url: url.FunctionUrl!, host: u.host, urlId: u.hostname.split(".")[0] };
}

describe("Function URL configs", () => {
  it("creates, reads, updates, lists and deletes URL configs, with AWS's errors", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "f", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": ECHO }) } }));
    const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "f", AuthType: "NONE" }));
    expect(created.FunctionUrl).toMatch(new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:${n.port}/$`));
    expect(created).toMatchObject({ FunctionArn: `arn:aws:lambda:us-east-1:${account}:function:f`, AuthType: "NONE", InvokeMode: "BUFFERED" });
    expect(created.CreationTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect(lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "f", AuthType: "NONE" }))).rejects.toMatchObject({ name: "ResourceConflictException", message: expect.stringContaining("FunctionUrlConfig exists for this Lambda function") });
    await expect(lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "f", AuthType: "OPEN" as never }))).rejects.toMatchObject({ name: "ValidationException" });

    const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: "f" }));
    expect(got).toMatchObject({ FunctionUrl: created.FunctionUrl, AuthType: "NONE", CreationTime: created.CreationTime });
    expect(got.LastModifiedTime).toBeDefined();

    const updated = await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: "f", AuthType: "AWS_IAM", Cors: { AllowOrigins: ["*"], MaxAge: 60 } }));
    expect(updated).toMatchObject({ FunctionUrl: created.FunctionUrl, AuthType: "AWS_IAM", Cors: { AllowOrigins: ["*"], MaxAge: 60 } });

    // An alias carries its own URL; a version number cannot.
    const v = await lambda.send(new PublishVersionCommand({ FunctionName: "f" }));
    await lambda.send(new CreateAliasCommand({ FunctionName: "f", Name: "live", FunctionVersion: v.Version }));
    const live = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "f", Qualifier: "live", AuthType: "NONE" }));
    expect(live.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${account}:function:f:live`);
    expect(live.FunctionUrl).not.toBe(created.FunctionUrl);
    await expect(lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "f", Qualifier: "1", AuthType: "NONE" }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "f", Qualifier: "nope", AuthType: "NONE" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });

    const list = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: "f" }));
    expect(list.FunctionUrlConfigs!.map((c) => c.FunctionArn).sort()).toEqual([`arn:aws:lambda:us-east-1:${account}:function:f`, `arn:aws:lambda:us-east-1:${account}:function:f:live`]);
    const page = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: "f", MaxItems: 1 }));
    expect(page.FunctionUrlConfigs).toHaveLength(1);
    const rest = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: "f", Marker: page.NextMarker }));
    expect(rest.FunctionUrlConfigs).toHaveLength(1);
    expect(rest.NextMarker).toBeUndefined();

    await lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: "f" }));
    await expect(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: "f" }))).rejects.toMatchObject({ name: "ResourceNotFoundException", message: "The resource you requested does not exist." });
    await expect(lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: "f" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    // The deleted URL no longer leads anywhere.
    expect((await send("GET", new URL(created.FunctionUrl!).host, "/")).status).toBe(403);
  });
});

describe("Function URL requests", () => {
  it("AuthType NONE: forbidden until the function policy allows everyone, then the 2.0 event in and the answer out", async () => {
    const { lambda, host, urlId } = await setup("NONE");
    const denied = await send("GET", host, "/");
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toEqual({ Message: "Forbidden" });
    await lambda.send(new AddPermissionCommand({ FunctionName: "web", StatementId: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));

    const r = await send("POST", host, "/a/b?x=1&x=2&y=z", { "content-type": "application/json", cookie: "c1=v1; c2=v2", "user-agent": "ua-test" }, '{"hello":1}');
    expect(r.status).toBe(201);
    expect(r.headers["x-echo"]).toBe("yes");
    expect(r.headers["set-cookie"]).toEqual(["a=1"]);
    const event = JSON.parse(r.body);
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "$default",
      rawPath: "/a/b",
      rawQueryString: "x=1&x=2&y=z",
      queryStringParameters: { x: "1,2", y: "z" },
      cookies: ["c1=v1", "c2=v2"],
      body: '{"hello":1}',
      isBase64Encoded: false,
      requestContext: { apiId: urlId, domainPrefix: urlId, routeKey: "$default", stage: "$default", http: { method: "POST", path: "/a/b", protocol: "HTTP/1.1", userAgent: "ua-test" } },
    });
    expect(event.headers["content-type"]).toBe("application/json");
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.authorizer).toBeUndefined();

    // The path form reaches the same function; binary bodies arrive base64-encoded.
    const viaPath = await fetch(`${n.endpoint}/_lambda-url/${urlId}/p?q=1`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: Buffer.from([0, 1, 2, 255]) });
    expect(viaPath.status).toBe(201);
    const e2 = await viaPath.json();
    expect(e2).toMatchObject({ rawPath: "/p", rawQueryString: "q=1", isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString("base64") });

    // An answer without statusCode is a 200 JSON body; a function error is a 502.
    const plain = await send("GET", host, "/plain");
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(plain.body)).toEqual({ hello: "world" });
    const failed = await send("GET", host, "/fail");
    expect(failed.status).toBe(502);
    expect(JSON.parse(failed.body)).toEqual({ Message: "Internal Server Error" });
  });

  it("maps a streamed answer (HttpResponseStream.from's prelude) of a RESPONSE_STREAM URL", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    const code = `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 202, headers: { "content-type": "text/plain", "x-kind": "stream" } });
  stream.write("part1 ");
  stream.end("part2 " + event.rawPath);
});`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: "st", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": code }) } }));
    const url = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "st", AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" }));
    expect(url.InvokeMode).toBe("RESPONSE_STREAM");
    await lambda.send(new AddPermissionCommand({ FunctionName: "st", StatementId: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    const r = await send("GET", new URL(url.FunctionUrl!).host, "/s");
    expect(r.status).toBe(202);
    expect(r.headers["content-type"]).toBe("text/plain");
    expect(r.headers["x-kind"]).toBe("stream");
    expect(r.body).toBe("part1 part2 /s");
  });

  it("answers CORS preflights from the config and adds CORS headers for allowed origins", async () => {
    const { lambda, host } = await setup("NONE");
    await lambda.send(new AddPermissionCommand({ FunctionName: "web", StatementId: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    const pre = await send("OPTIONS", host, "/x", { origin: "https://app.example", "access-control-request-method": "POST" });
    expect(pre.status).toBe(200);
    expect(pre.headers).toMatchObject({ "access-control-allow-origin": "https://app.example", "access-control-allow-methods": "GET,POST", "access-control-allow-headers": "x-custom", "access-control-max-age": "300" });
    const other = await send("OPTIONS", host, "/x", { origin: "https://evil.example", "access-control-request-method": "POST" });
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    const get = await send("GET", host, "/x", { origin: "https://app.example" });
    expect(get.status).toBe(201);
    expect(get.headers).toMatchObject({ "access-control-allow-origin": "https://app.example", "access-control-expose-headers": "x-echo" });
  });

  it("AuthType AWS_IAM: needs a SigV4 signature; the owner may call, another account once the function policy names it", async () => {
    const { account, lambda, url, host } = await setup("AWS_IAM");
    expect((await send("GET", host, "/")).status).toBe(403);

    const signed = async (accessKeyId: string) => {
      const u = new URL(url);
      const signer = new SignatureV4({ service: "lambda", region: "us-east-1", credentials: { accessKeyId, secretAccessKey: "test" }, sha256: Sha256 });
      const req = await signer.sign({ method: "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: "/who", query: {}, headers: { host: u.host } });
      return send("GET", host, "/who", req.headers as Record<string, string>);
    };
    const mine = await signed(account);
    expect(mine.status).toBe(201);
    expect(JSON.parse(mine.body).requestContext.authorizer.iam).toMatchObject({ accountId: account, accessKey: account });

    const stranger = freshAccount();
    expect((await signed(stranger)).status).toBe(403);
    await lambda.send(new AddPermissionCommand({ FunctionName: "web", StatementId: "friend", Action: "lambda:InvokeFunctionUrl", Principal: stranger, FunctionUrlAuthType: "AWS_IAM" }));
    const friend = await signed(stranger);
    expect(friend.status).toBe(201);
    expect(JSON.parse(friend.body).requestContext.authorizer.iam.accountId).toBe(stranger);
  });
});
