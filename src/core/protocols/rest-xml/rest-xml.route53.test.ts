// restXml against the real @aws-sdk/client-route-53: unbound members in an XML body rooted at
// the input shape, 201 with a Location header, wrapped <ErrorResponse> errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  InvalidChangeBatch,
  ListHostedZonesCommand,
  NoSuchHostedZone,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { AwsError } from "../../errors.js";
import type { ProtocolRequest } from "../types.js";
import { loadModel, startTestServer, type Route, type TestServer } from "../shared/xml-test-server.js";
import { restXml } from "./index.js";

function route53Route(req: ProtocolRequest): Route {
  const p = req.rawPath.replace(/^\/2013-04-01/, "");
  let m: RegExpMatchArray | null;
  if (req.method === "POST" && p === "/hostedzone") return { op: "CreateHostedZone" };
  if (req.method === "GET" && p === "/hostedzone") return { op: "ListHostedZones" };
  if ((m = p.match(/^\/hostedzone\/([^/]+)\/rrset\/?$/)) && req.method === "POST") return { op: "ChangeResourceRecordSets", labels: { HostedZoneId: decodeURIComponent(m[1]) } };
  if ((m = p.match(/^\/hostedzone\/([^/]+)$/)) && req.method === "GET") return { op: "GetHostedZone", labels: { Id: decodeURIComponent(m[1]) } };
  throw new Error(`no test route for ${req.method} ${req.rawPath}`);
}

const submitted = new Date("2024-01-02T03:04:05.000Z");

describe("restXml with @aws-sdk/client-route-53", () => {
  const model = loadModel("route-53");
  let server: TestServer;
  let client: Route53Client;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: restXml,
      model,
      route: route53Route,
      handle(op, input) {
        switch (op) {
          case "CreateHostedZone":
            return {
              Location: "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1",
              HostedZone: { Id: "/hostedzone/Z1", Name: input.Name, CallerReference: input.CallerReference, Config: { Comment: "c", PrivateZone: false }, ResourceRecordSetCount: 2 },
              ChangeInfo: { Id: "/change/C1", Status: "PENDING", SubmittedAt: submitted },
              DelegationSet: { NameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"] },
            };
          case "GetHostedZone":
            if (input.Id === "ZMISSING") throw new AwsError("NoSuchHostedZone", "No hosted zone found with ID: ZMISSING");
            return { HostedZone: { Id: `/hostedzone/${input.Id as string}`, Name: "example.com.", CallerReference: "r" }, VPCs: [{ VPCRegion: "us-east-1", VPCId: "vpc-1" }] };
          case "ListHostedZones":
            return { HostedZones: [{ Id: "/hostedzone/Z1", Name: "a.com.", CallerReference: "r1" }], Marker: "", IsTruncated: false, MaxItems: input.MaxItems };
          case "ChangeResourceRecordSets": {
            const changes = (input.ChangeBatch as { Changes: Array<{ Action: string }> }).Changes;
            if (changes.some((c) => c.Action === "DELETE"))
              throw new AwsError("InvalidChangeBatch", "Invalid change batch", undefined, { fields: { messages: ["Tried to delete resource record set a.example.com. but it was not found", "second"] } });
            return { ChangeInfo: { Id: "/change/C2", Status: "INSYNC", SubmittedAt: submitted, Comment: "ok" } };
          }
        }
        throw new Error(op);
      },
    });
    client = new Route53Client({ endpoint: server.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("CreateHostedZone: body rooted at CreateHostedZoneRequest in; 201, Location header, nested body out", async () => {
    const out = await client.send(new CreateHostedZoneCommand({ Name: "example.com", CallerReference: "ref-1", HostedZoneConfig: { Comment: "c & d", PrivateZone: false } }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.Location).toBe("https://route53.amazonaws.com/2013-04-01/hostedzone/Z1");
    expect(out.HostedZone?.Id).toBe("/hostedzone/Z1");
    expect(out.HostedZone?.Name).toBe("example.com");
    expect(out.HostedZone?.Config).toEqual({ Comment: "c", PrivateZone: false });
    expect(out.HostedZone?.ResourceRecordSetCount).toBe(2);
    expect(out.ChangeInfo?.SubmittedAt?.toISOString()).toBe(submitted.toISOString());
    expect(out.DelegationSet?.NameServers).toEqual(["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]);
    expect(server.calls.at(-1)!.input).toEqual({ Name: "example.com", CallerReference: "ref-1", HostedZoneConfig: { Comment: "c & d", PrivateZone: false } });
  });

  it("ChangeResourceRecordSets: label and nested wrapped lists in the body", async () => {
    const out = await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: "Z1",
        ChangeBatch: {
          Comment: "batch",
          Changes: [
            { Action: "UPSERT", ResourceRecordSet: { Name: "a.example.com", Type: "A", TTL: 60, ResourceRecords: [{ Value: "10.0.0.1" }, { Value: "10.0.0.2" }] } },
            { Action: "CREATE", ResourceRecordSet: { Name: "w.example.com", Type: "CNAME", SetIdentifier: "x", Weight: 10, ResourceRecords: [{ Value: "a.example.com" }] } },
          ],
        },
      }),
    );
    expect(out.ChangeInfo).toEqual({ Id: "/change/C2", Status: "INSYNC", SubmittedAt: submitted, Comment: "ok" });
    expect(server.calls.at(-1)!.input).toEqual({
      HostedZoneId: "Z1",
      ChangeBatch: {
        Comment: "batch",
        Changes: [
          { Action: "UPSERT", ResourceRecordSet: { Name: "a.example.com", Type: "A", TTL: 60, ResourceRecords: [{ Value: "10.0.0.1" }, { Value: "10.0.0.2" }] } },
          { Action: "CREATE", ResourceRecordSet: { Name: "w.example.com", Type: "CNAME", SetIdentifier: "x", Weight: 10, ResourceRecords: [{ Value: "a.example.com" }] } },
        ],
      },
    });
  });

  it("ListHostedZones: typed query parameter in; wrapped list, booleans, numbers out", async () => {
    const out = await client.send(new ListHostedZonesCommand({ MaxItems: 5, Marker: "m0" }));
    expect(server.calls.at(-1)!.input).toEqual({ MaxItems: 5, Marker: "m0" });
    expect(out.HostedZones).toEqual([{ Id: "/hostedzone/Z1", Name: "a.com.", CallerReference: "r1" }]);
    expect(out.IsTruncated).toBe(false);
    expect(out.MaxItems).toBe(5);
  });

  it("GetHostedZone: label in; list of VPCs out", async () => {
    const out = await client.send(new GetHostedZoneCommand({ Id: "Z9" }));
    expect(out.HostedZone?.Id).toBe("/hostedzone/Z9");
    expect(out.VPCs).toEqual([{ VPCRegion: "us-east-1", VPCId: "vpc-1" }]);
  });

  it("NoSuchHostedZone: <ErrorResponse> wrapping, status from the model", async () => {
    const err = await client.send(new GetHostedZoneCommand({ Id: "ZMISSING" })).catch((e) => e);
    expect(err).toBeInstanceOf(NoSuchHostedZone);
    expect(err.message).toBe("No hosted zone found with ID: ZMISSING");
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$metadata.requestId).toMatch(/^req-/);
  });

  it("InvalidChangeBatch: a modeled list field of the error", async () => {
    const err = await client
      .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: "Z1", ChangeBatch: { Changes: [{ Action: "DELETE", ResourceRecordSet: { Name: "a.example.com", Type: "A" } }] } }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(InvalidChangeBatch);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.messages).toEqual(["Tried to delete resource record set a.example.com. but it was not found", "second"]);
  });
});
