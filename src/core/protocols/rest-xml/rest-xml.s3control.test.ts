// restXml against the real @aws-sdk/client-s3-control: the account-id header, unbound members
// in a body rooted at the input shape, a payload structure, and bare <Error> errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessPointCommand,
  GetAccessPointCommand,
  GetPublicAccessBlockCommand,
  NoSuchPublicAccessBlockConfiguration,
  PutPublicAccessBlockCommand,
  S3ControlClient,
} from "@aws-sdk/client-s3-control";
import { AwsError } from "../../errors.js";
import type { ProtocolRequest } from "../types.js";
import { loadModel, startTestServer, type Route, type TestServer } from "../shared/xml-test-server.js";
import { restXml } from "./index.js";

function route(req: ProtocolRequest): Route {
  const m = req.rawPath.match(/^\/v20180820\/accesspoint\/([^/]+)$/);
  if (m) return { op: req.method === "PUT" ? "CreateAccessPoint" : "GetAccessPoint", labels: { Name: decodeURIComponent(m[1]) } };
  if (req.rawPath === "/v20180820/configuration/publicAccessBlock") return { op: req.method === "PUT" ? "PutPublicAccessBlock" : "GetPublicAccessBlock" };
  throw new Error(`no test route for ${req.method} ${req.rawPath}`);
}

describe("restXml with @aws-sdk/client-s3-control", () => {
  const model = loadModel("s3-control");
  let server: TestServer;
  let client: S3ControlClient;
  let stored: unknown;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: restXml,
      model,
      route,
      handle(op, input) {
        switch (op) {
          case "CreateAccessPoint":
            return { AccessPointArn: `arn:aws:s3:us-east-1:${input.AccountId as string}:accesspoint/${input.Name as string}`, Alias: "ap-alias-s3alias" };
          case "GetAccessPoint":
            return {
              Name: input.Name,
              Bucket: "b",
              NetworkOrigin: "Internet",
              CreationDate: new Date("2024-01-01T00:00:00Z"),
              Endpoints: { ipv4: "ap.s3-accesspoint.us-east-1.amazonaws.com" },
              PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: false },
            };
          case "PutPublicAccessBlock":
            stored = input.PublicAccessBlockConfiguration;
            return undefined;
          case "GetPublicAccessBlock":
            if (!stored) throw new AwsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found");
            return { PublicAccessBlockConfiguration: stored };
        }
        throw new Error(op);
      },
    });
    client = new S3ControlClient({
      // The endpoint rules put the account id in front of the host name; the gateway accepts
      // that on a configured base domain, the test server just needs the loopback address.
      endpointProvider: () => ({ url: new URL(server.endpoint) }),
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
      disableHostPrefix: true,
    });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("bare <Error> for a modeled error, then a payload structure both ways", async () => {
    const err = await client.send(new GetPublicAccessBlockCommand({ AccountId: "123456789012" })).catch((e) => e);
    expect(err).toBeInstanceOf(NoSuchPublicAccessBlockConfiguration);
    expect(err.message).toBe("The public access block configuration was not found");
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$metadata.requestId).toMatch(/^req-/);

    await client.send(
      new PutPublicAccessBlockCommand({ AccountId: "123456789012", PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: false } }),
    );
    expect(server.calls.at(-1)!.input).toEqual({ AccountId: "123456789012", PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: false } });
    const out = await client.send(new GetPublicAccessBlockCommand({ AccountId: "123456789012" }));
    expect(out.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, RestrictPublicBuckets: false });
  });

  it("CreateAccessPoint / GetAccessPoint: header, label and body members in; map and timestamp out", async () => {
    const created = await client.send(
      new CreateAccessPointCommand({ AccountId: "123456789012", Name: "ap1", Bucket: "b", VpcConfiguration: { VpcId: "vpc-1" }, Tags: [{ Key: "k", Value: "v" }] }),
    );
    expect(created.AccessPointArn).toBe("arn:aws:s3:us-east-1:123456789012:accesspoint/ap1");
    expect(created.Alias).toBe("ap-alias-s3alias");
    expect(server.calls.at(-1)!.input).toEqual({ AccountId: "123456789012", Name: "ap1", Bucket: "b", VpcConfiguration: { VpcId: "vpc-1" }, Tags: [{ Key: "k", Value: "v" }] });
    const got = await client.send(new GetAccessPointCommand({ AccountId: "123456789012", Name: "ap1" }));
    expect(got.Name).toBe("ap1");
    expect(got.CreationDate?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(got.Endpoints).toEqual({ ipv4: "ap.s3-accesspoint.us-east-1.amazonaws.com" });
    expect(got.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: false });
  });
});
