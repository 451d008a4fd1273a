// restJson1 against the real @aws-sdk/client-lambda: a node:http server on port 0 matches the
// URI template (a minimal stand-in for the router), parses with parseRequest and answers with
// serializeResponse/serializeError.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  LambdaClient,
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  InvokeCommand,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  TagResourceCommand,
  ListTagsCommand,
  DeleteFunctionCommand,
} from "@aws-sdk/client-lambda";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { HttpResponse, ProtocolRequest } from "../types.js";
import { validateInput } from "../shared/validate.js";
import { restJson1 } from "./rest-json.js";

const lambda = JSON.parse(readFileSync(new URL("../../../../models/lambda.json", import.meta.url), "utf8")) as ServiceModel;

// Minimal URI-template matching (the router's job in Nimbus): most literal characters first.
const routes = Object.entries(lambda.operations)
  .filter(([, op]) => op.http)
  .map(([name, op]) => {
    const [path] = op.http!.uri.split("?");
    const labels: string[] = [];
    const re = path!.replace(/\{([^}]+?)(\+?)\}/g, (_m, label: string, greedy: string) => {
      labels.push(label);
      return greedy ? "(.+)" : "([^/]+)";
    });
    return { name, method: op.http!.method, re: new RegExp(`^${re}$`), labels, weight: path!.replace(/\{[^}]+\}/g, "").length };
  })
  .sort((a, b) => b.weight - a.weight);

function match(method: string, rawPath: string): { name: string; labels: Record<string, string> } {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.re.exec(rawPath);
    if (!m) continue;
    const labels: Record<string, string> = {};
    r.labels.forEach((l, i) => (labels[l] = decodeURIComponent(m[i + 1]!)));
    return { name: r.name, labels };
  }
  throw new Error(`no route for ${method} ${rawPath}`);
}

type Answer = { output?: Record<string, unknown>; error?: AwsError };
let answer: (op: string, input: Record<string, unknown>) => Answer = () => ({ output: {} });
let seen: { op: string; input: Record<string, unknown>; req: ProtocolRequest } | undefined;
let server: Server;
let endpoint: string;
const REQUEST_ID = "aaaaaaaa-2222-3333-4444-555555555555";

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : String(v);
      const url = new URL(req.url!, "http://x");
      const { name, labels } = match(req.method!, url.pathname);
      const op = { name, model: lambda.operations[name]! };
      const meta = { requestId: REQUEST_ID };
      const preq: ProtocolRequest = { method: req.method!, rawPath: url.pathname, query: [...url.searchParams.entries()], headers, body: Buffer.concat(chunks), labels };
      let out: HttpResponse;
      try {
        const input = restJson1.parseRequest(preq, lambda, op) as Record<string, unknown>;
        validateInput(lambda, name, input, "restJson1");
        seen = { op: name, input, req: preq };
        const a = answer(name, input);
        out = a.error ? restJson1.serializeError(a.error, lambda, op, meta) : restJson1.serializeResponse(a.output, lambda, op, meta);
      } catch (e) {
        out = restJson1.serializeError(e as AwsError, lambda, op, meta);
      }
      res.writeHead(out.status, out.headers);
      if (out.body instanceof Readable) out.body.pipe(res);
      else res.end(out.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = undefined;
});

const client = () => new LambdaClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
const FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:f1";

describe("restJson1 with Lambda", () => {
  it("GetAccountSettings: nested structures in the body", async () => {
    answer = () => ({
      output: {
        AccountLimit: { TotalCodeSize: 80530636800, CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 990 },
        AccountUsage: { TotalCodeSize: 1234, FunctionCount: 3 },
      },
    });
    const res = await client().send(new GetAccountSettingsCommand({}));
    expect(seen!.op).toBe("GetAccountSettings");
    expect(res.AccountLimit).toEqual({ TotalCodeSize: 80530636800, CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 990 });
    expect(res.AccountUsage).toEqual({ TotalCodeSize: 1234, FunctionCount: 3 });
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.$metadata.requestId).toBe(REQUEST_ID);
  });

  it("ListFunctions: typed query parameters in, a list out", async () => {
    answer = () => ({
      output: {
        Functions: [
          { FunctionName: "f1", FunctionArn: FN_ARN, Runtime: "nodejs20.x", MemorySize: 128, Timeout: 3, LastModified: "2024-01-01T00:00:00.000+0000", Environment: { Variables: { A: "1" } }, Architectures: ["x86_64"] },
          { FunctionName: "f2", MemorySize: 256 },
        ],
        NextMarker: "next page",
      },
    });
    const res = await client().send(new ListFunctionsCommand({ MaxItems: 5, Marker: "m x/y", FunctionVersion: "ALL" }));
    expect(seen!.input).toEqual({ MaxItems: 5, Marker: "m x/y", FunctionVersion: "ALL" });
    expect(res.Functions).toHaveLength(2);
    expect(res.Functions![0]!.FunctionName).toBe("f1");
    expect(res.Functions![0]!.MemorySize).toBe(128);
    expect(res.Functions![0]!.Environment!.Variables).toEqual({ A: "1" });
    expect(res.Functions![0]!.Architectures).toEqual(["x86_64"]);
    expect(res.Functions![1]!.MemorySize).toBe(256);
    expect(res.NextMarker).toBe("next page");
  });

  it("Invoke: blob payload and headers both ways, status from httpResponseCode", async () => {
    answer = () => ({
      output: {
        StatusCode: 200,
        FunctionError: "Unhandled",
        LogResult: Buffer.from("START RequestId ... END").toString("base64"),
        ExecutedVersion: "$LATEST",
        Payload: Buffer.from('{"errorMessage":"boom"}'),
      },
    });
    const res = await client().send(
      new InvokeCommand({ FunctionName: "f1", Qualifier: "$LATEST", LogType: "Tail", InvocationType: "RequestResponse", ClientContext: Buffer.from('{"custom":1}').toString("base64"), Payload: Buffer.from('{"a":1}') }),
    );
    const input = seen!.input as any;
    expect(seen!.op).toBe("Invoke");
    expect(input.FunctionName).toBe("f1");
    expect(input.Qualifier).toBe("$LATEST");
    expect(input.LogType).toBe("Tail");
    expect(input.InvocationType).toBe("RequestResponse");
    expect(Buffer.from(input.ClientContext, "base64").toString()).toBe('{"custom":1}');
    expect(Buffer.isBuffer(input.Payload) && input.Payload.toString()).toBe('{"a":1}');
    expect(res.StatusCode).toBe(200);
    expect(res.FunctionError).toBe("Unhandled");
    expect(Buffer.from(res.LogResult!, "base64").toString()).toBe("START RequestId ... END");
    expect(res.ExecutedVersion).toBe("$LATEST");
    expect(Buffer.from(res.Payload!).toString()).toBe('{"errorMessage":"boom"}');
    expect(res.$metadata.requestId).toBe(REQUEST_ID);
  });

  it("Invoke: async invocation answers 202 from the StatusCode member, payload from a stream", async () => {
    answer = () => ({ output: { StatusCode: 202, Payload: Readable.from([Buffer.from("str"), Buffer.from("eam")]) } });
    const res = await client().send(new InvokeCommand({ FunctionName: FN_ARN, InvocationType: "Event" }));
    expect((seen!.input as any).FunctionName).toBe(FN_ARN);
    expect((seen!.input as any).Payload).toBeUndefined();
    expect(res.StatusCode).toBe(202);
    expect(res.$metadata.httpStatusCode).toBe(202);
    expect(Buffer.from(res.Payload!).toString()).toBe("stream");
  });

  it("CreateFunction: blob inside the JSON body, 201 from the model", async () => {
    answer = (_op, input) => ({ output: { FunctionName: input.FunctionName, FunctionArn: FN_ARN, CodeSize: (input.Code as any).ZipFile.length, State: "Pending" } });
    const res = await client().send(
      new CreateFunctionCommand({ FunctionName: "f1", Role: "arn:aws:iam::000000000000:role/r", Runtime: "nodejs20.x", Handler: "index.handler", Code: { ZipFile: new Uint8Array([80, 75, 3, 4]) }, Tags: { team: "a" }, Environment: { Variables: { X: "y" } } }),
    );
    const input = seen!.input as any;
    expect(Buffer.isBuffer(input.Code.ZipFile) && [...input.Code.ZipFile]).toEqual([80, 75, 3, 4]);
    expect(input.Tags).toEqual({ team: "a" });
    expect(input.Environment.Variables).toEqual({ X: "y" });
    expect(res.$metadata.httpStatusCode).toBe(201);
    expect(res.CodeSize).toBe(4);
    expect(res.State).toBe("Pending");
  });

  it("UpdateFunctionCode: a label plus body members with a blob", async () => {
    answer = () => ({ output: { FunctionName: "f1", RevisionId: "r2" } });
    const res = await client().send(new UpdateFunctionCodeCommand({ FunctionName: "my function", ZipFile: new Uint8Array([1, 2]), Publish: true, Architectures: ["arm64"] }));
    const input = seen!.input as any;
    expect(input.FunctionName).toBe("my function");
    expect([...input.ZipFile]).toEqual([1, 2]);
    expect(input.Publish).toBe(true);
    expect(input.Architectures).toEqual(["arm64"]);
    expect(res.RevisionId).toBe("r2");
  });

  it("TagResource / ListTags / DeleteFunction: ARN labels and empty 204 answers", async () => {
    answer = () => ({ output: undefined });
    const t = await client().send(new TagResourceCommand({ Resource: FN_ARN, Tags: { a: "1" } }));
    expect(seen!.input).toEqual({ Resource: FN_ARN, Tags: { a: "1" } });
    expect(t.$metadata.httpStatusCode).toBe(204);
    answer = () => ({ output: { Tags: { a: "1", b: "2" } } });
    const l = await client().send(new ListTagsCommand({ Resource: FN_ARN }));
    expect(l.Tags).toEqual({ a: "1", b: "2" });
    answer = () => ({ output: { StatusCode: 204 } });
    const d = await client().send(new DeleteFunctionCommand({ FunctionName: "f1", Qualifier: "3" }));
    expect(seen!.input).toEqual({ FunctionName: "f1", Qualifier: "3" });
    expect(d.$metadata.httpStatusCode).toBe(204);
    expect(d.StatusCode).toBe(204);
  });

  it("ResourceNotFoundException: 404, Type and Message", async () => {
    const msg = `Function not found: ${FN_ARN}`;
    answer = () => ({ error: new AwsError("ResourceNotFoundException", msg) });
    const err = (await client().send(new InvokeCommand({ FunctionName: "f1" })).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("ResourceNotFoundException");
    expect(err.message).toBe(msg);
    expect(err.Type).toBe("User");
    expect(err.$fault).toBe("client");
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$metadata.requestId).toBe(REQUEST_ID);
    expect(err.$response.headers["x-amzn-errortype"]).toBe("ResourceNotFoundException");
  });

  it("TooManyRequestsException: header-bound error member and extra fields", async () => {
    answer = () => ({ error: new AwsError("TooManyRequestsException", "Rate exceeded", undefined, { fields: { retryAfterSeconds: "7", Reason: "CallerRateLimitExceeded" } }) });
    const err = (await client().send(new GetAccountSettingsCommand({})).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("TooManyRequestsException");
    expect(err.message).toBe("Rate exceeded");
    expect(err.Reason).toBe("CallerRateLimitExceeded");
    expect(err.retryAfterSeconds).toBe("7");
    expect(err.Type).toBe("User");
    expect(err.$metadata.httpStatusCode).toBe(429);
    expect(err.$response.headers["retry-after"]).toBe("7");
  });

  it("validation: a missing body member answers Lambda's ValidationException", async () => {
    const err = (await client().send(new CreateFunctionCommand({ FunctionName: "f1", Code: {} } as any)).catch((e: unknown) => e)) as any;
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe("1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it("bad typed query values answer SerializationException", async () => {
    const op = { name: "ListFunctions", model: lambda.operations.ListFunctions! };
    expect(() => restJson1.parseRequest({ method: "GET", rawPath: "/2015-03-31/functions", query: [["MaxItems", "ten"]], headers: {} }, lambda, op)).toThrowError(
      expect.objectContaining({ code: "SerializationException" }),
    );
  });
});
