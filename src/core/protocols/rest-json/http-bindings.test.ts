// restJson1 bindings no pinned model exercises yet (jsonName, prefix headers, list headers,
// httpQueryParams, header/query timestamps, mediaType headers), on a synthetic model.
import { describe, expect, it } from "vitest";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import { restJson1 } from "./rest-json.js";
import { splitHeaderList } from "./http-bindings.js";

const svc: ServiceModel = {
  service: "synthetic",
  sdkId: "Synthetic",
  clientPackage: "none",
  namespace: "com.example",
  apiVersion: "2020-01-01",
  sdkProtocol: "restJson1",
  protocols: ["restJson1"],
  signingName: "synthetic",
  errors: ["ThingError"],
  operations: {
    PutThing: { input: "PutThingInput", output: "PutThingOutput", http: { method: "PUT", uri: "/things/{Id}", code: 200 } },
    GetDoc: { input: "GetDocInput", output: "GetDocOutput", http: { method: "GET", uri: "/docs/{Key+}", code: 200 } },
  },
  shapes: {
    PutThingInput: {
      type: "structure",
      required: ["Id"],
      members: {
        Id: { target: "number", traits: { httpLabel: 1 } },
        Since: { target: "timestamp", traits: { httpQuery: "since" } },
        Tags: { target: { type: "list", member: { target: "string" } }, traits: { httpQuery: "tag" } },
        Extra: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpQueryParams: 1 } },
        IfModified: { target: "timestamp", traits: { httpHeader: "If-Modified-Since" } },
        Flags: { target: { type: "list", member: { target: "string" } }, traits: { httpHeader: "X-Flags" } },
        Dates: { target: { type: "list", member: { target: "timestamp" } }, traits: { httpHeader: "X-Dates" } },
        Json: { target: "string", traits: { httpHeader: "X-Json", mediaType: "application/json" } },
        Meta: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpPrefixHeaders: "X-Meta-" } },
        DisplayName: { target: "string", traits: { jsonName: "display_name" } },
        Created: { target: "timestamp", traits: { jsonName: "created_at" } },
        Nested: { target: "Nested" },
      },
    },
    Nested: { type: "structure", members: { Inner: { target: "string", traits: { jsonName: "inner" } }, When: { target: "timestamp", traits: { timestampFormat: "date-time" } } } },
    PutThingOutput: {
      type: "structure",
      members: {
        ETag: { target: "string", traits: { httpHeader: "ETag" } },
        Expires: { target: "timestamp", traits: { httpHeader: "Expires" } },
        Meta: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpPrefixHeaders: "X-Meta-" } },
        Names: { target: { type: "list", member: { target: "string" } }, traits: { httpHeader: "X-Names" } },
        DisplayName: { target: "string", traits: { jsonName: "display_name" } },
        Nested: { target: "Nested" },
      },
    },
    GetDocInput: { type: "structure", required: ["Key"], members: { Key: { target: "string", traits: { httpLabel: 1 } } } },
    GetDocOutput: {
      type: "structure",
      members: { Body: { target: "Nested", traits: { httpPayload: 1 } }, Type: { target: "string", traits: { httpHeader: "Content-Type" } } },
    },
    ThingError: {
      type: "structure",
      traits: { error: "client", httpError: 409 },
      members: { message: { target: "string" }, ThingId: { target: "string", traits: { jsonName: "thing_id" } }, Retry: { target: "number", traits: { httpHeader: "Retry-After" } } },
    },
  },
};

const put = { name: "PutThing", model: svc.operations.PutThing! };

describe("restJson1 bindings", () => {
  it("parses labels, typed query, query params, headers, prefix headers and jsonName body", () => {
    const input = restJson1.parseRequest(
      {
        method: "PUT",
        rawPath: "/things/42",
        labels: { Id: "42" },
        query: [
          ["since", "2024-01-02T03:04:05Z"],
          ["tag", "a"],
          ["tag", "b,c"],
          ["free", "1"],
          ["other", "x"],
        ],
        headers: {
          "if-modified-since": "Tue, 02 Jan 2024 03:04:05 GMT",
          "x-flags": 'one, "two, three", "fo\\"ur"',
          "x-dates": "Tue, 02 Jan 2024 03:04:05 GMT, Wed, 03 Jan 2024 03:04:05 GMT",
          "x-json": Buffer.from('{"a":1}').toString("base64"),
          "x-meta-color": "red",
          "x-meta-size": "L",
        },
        body: Buffer.from(JSON.stringify({ display_name: "Thing", created_at: 1700000000, Nested: { inner: "in", When: "2024-01-02T03:04:05.250Z" } })),
      },
      svc,
      put,
    ) as any;
    expect(input.Id).toBe(42);
    expect(input.Since.toISOString()).toBe("2024-01-02T03:04:05.000Z");
    expect(input.Tags).toEqual(["a", "b,c"]);
    expect(input.Extra).toEqual({ free: "1", other: "x" });
    expect(input.IfModified.toISOString()).toBe("2024-01-02T03:04:05.000Z");
    expect(input.Flags).toEqual(["one", "two, three", 'fo"ur']);
    expect(input.Dates.map((d: Date) => d.toISOString())).toEqual(["2024-01-02T03:04:05.000Z", "2024-01-03T03:04:05.000Z"]);
    expect(input.Json).toBe('{"a":1}');
    expect(input.Meta).toEqual({ color: "red", size: "L" });
    expect(input.DisplayName).toBe("Thing");
    expect(input.Created.getTime()).toBe(1700000000000);
    expect(input.Nested.Inner).toBe("in");
    expect(input.Nested.When.getTime()).toBe(Date.parse("2024-01-02T03:04:05.250Z"));
    expect(input.display_name).toBeUndefined();
  });

  it("serializes headers, prefix headers, list headers and jsonName body", () => {
    const r = restJson1.serializeResponse(
      { ETag: '"abc"', Expires: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), Meta: { color: "red" }, Names: ["a", "b,c"], DisplayName: "Thing", Nested: { Inner: "in", When: new Date(1700000000250) } },
      svc,
      put,
      { requestId: "r1" },
    );
    expect(r.status).toBe(200);
    expect(r.headers["ETag"]).toBe('"abc"');
    expect(r.headers["Expires"]).toBe("Tue, 02 Jan 2024 03:04:05 GMT");
    expect(r.headers["X-Meta-color"]).toBe("red");
    expect(r.headers["X-Names"]).toBe('a, "b,c"');
    expect(r.headers["x-amzn-RequestId"]).toBe("r1");
    expect(r.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(r.body as string)).toEqual({ display_name: "Thing", Nested: { inner: "in", When: "2023-11-14T22:13:20.250Z" } });
  });

  it("structure payloads and a Content-Type header member", () => {
    const op = { name: "GetDoc", model: svc.operations.GetDoc! };
    const r = restJson1.serializeResponse({ Body: { Inner: "x" }, Type: "application/vnd.thing+json" }, svc, op, { requestId: "r" });
    expect(r.headers["Content-Type"]).toBe("application/vnd.thing+json");
    expect(Object.keys(r.headers).filter((k) => k.toLowerCase() === "content-type")).toHaveLength(1);
    expect(JSON.parse(r.body as string)).toEqual({ inner: "x" });
    const input = restJson1.parseRequest({ method: "GET", rawPath: "/docs/a/b", labels: { Key: "a/b" }, query: [], headers: {} }, svc, op);
    expect(input).toEqual({ Key: "a/b" });
  });

  it("errors: status from httpError, jsonName fields, header-bound members", () => {
    const r = restJson1.serializeError(new AwsError("ThingError", "conflict", undefined, { fields: { ThingId: "t1", Retry: 3 } }), svc, put, { requestId: "r" });
    expect(r.status).toBe(409);
    expect(r.headers["x-amzn-ErrorType"]).toBe("ThingError");
    expect(r.headers["Retry-After"]).toBe("3");
    expect(JSON.parse(r.body as string)).toEqual({ message: "conflict", thing_id: "t1" });
  });

  it("splits list headers", () => {
    expect(splitHeaderList({ kind: "string", traits: undefined }, 'a,b , "c,d",,"e\\\\f"')).toEqual(["a", "b", "c,d", "", "e\\f"]);
  });
});
