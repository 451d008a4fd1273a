// restXml bindings on a synthetic model: the traits real S3/Route 53 calls in the client tests
// do not reach (httpQueryParams, httpResponseCode, list and timestamp headers, mediaType,
// string/blob payloads), and the error paths.
import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { ProtocolRequest } from "../types.js";
import { headerValue, inputPlan, splitHeaderList } from "./http-bindings.js";
import { restXml } from "./index.js";
import { extendedRequestId } from "./rest-xml.js";

const model: ServiceModel = {
  service: "test",
  sdkId: "Test",
  clientPackage: "none",
  namespace: "test",
  apiVersion: "2020-01-01",
  sdkProtocol: "restXml",
  protocols: ["restXml"],
  signingName: "test",
  xmlNamespace: "http://test/doc/",
  errors: ["Conflict"],
  operations: {
    Bindings: { input: "BindingsInput", output: "BindingsOutput", http: { method: "POST", uri: "/{Id}/{Count}", code: 200 } },
    Text: { input: "TextInput", output: "TextOutput", http: { method: "PUT", uri: "/text", code: 200 } },
    Blob: { input: "BlobInput", output: "BlobOutput", http: { method: "PUT", uri: "/blob", code: 200 } },
    Struct: { input: "StructInput", output: "StructOutput", http: { method: "PUT", uri: "/struct", code: 200 } },
    Head: { input: "TextInput", output: "BindingsOutput", http: { method: "HEAD", uri: "/h", code: 200 } },
  },
  shapes: {
    BindingsInput: {
      type: "structure",
      members: {
        Id: { target: "string", traits: { httpLabel: 1 } },
        Count: { target: "number", traits: { httpLabel: 1 } },
        Tags: { target: { type: "list", member: { target: "string" } }, traits: { httpQuery: "tag" } },
        Since: { target: "timestamp", traits: { httpQuery: "since" } },
        Flag: { target: "boolean", traits: { httpQuery: "flag" } },
        Rest: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpQueryParams: 1 } },
        Names: { target: { type: "list", member: { target: "string" } }, traits: { httpHeader: "x-names" } },
        Dates: { target: { type: "list", member: { target: "timestamp" } }, traits: { httpHeader: "x-dates" } },
        When: { target: "timestamp", traits: { httpHeader: "x-when" } },
        Size: { target: "number", traits: { httpHeader: "x-size" } },
        Json: { target: "string", traits: { httpHeader: "x-json", mediaType: "application/json" } },
        Meta: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpPrefixHeaders: "x-meta-" } },
        Note: { target: "string" },
        Items: { target: { type: "list", member: { target: "number", traits: { xmlName: "N" } } } },
      },
    },
    BindingsOutput: {
      type: "structure",
      members: {
        Status: { target: "number", traits: { httpResponseCode: 1 } },
        Names: { target: { type: "list", member: { target: "string" } }, traits: { httpHeader: "x-names" } },
        Dates: { target: { type: "list", member: { target: "timestamp" } }, traits: { httpHeader: "x-dates" } },
        When: { target: "timestamp", traits: { httpHeader: "x-when" } },
        Ok: { target: "boolean", traits: { httpHeader: "x-ok" } },
        Json: { target: "string", traits: { httpHeader: "x-json", mediaType: "application/json" } },
        Meta: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpPrefixHeaders: "x-meta-" } },
        Note: { target: "string" },
      },
    },
    TextInput: { type: "structure", members: { Text: { target: "string", traits: { httpPayload: 1 } } } },
    TextOutput: { type: "structure", members: { Text: { target: "string", traits: { httpPayload: 1 } }, Type: { target: "string", traits: { httpHeader: "Content-Type" } } } },
    BlobInput: { type: "structure", members: { Data: { target: "blob", traits: { httpPayload: 1 } } } },
    BlobOutput: { type: "structure", members: { Data: { target: "blob", traits: { httpPayload: 1 } } } },
    StructInput: { type: "structure", members: { Doc: { target: "Doc", traits: { httpPayload: 1 } } } },
    StructOutput: { type: "structure", members: { Doc: { target: "Doc", traits: { httpPayload: 1 } } } },
    Doc: { type: "structure", traits: { xmlName: "Document" }, members: { A: { target: "string" }, N: { target: "number" } } },
    Conflict: { type: "structure", traits: { error: "client", httpError: 409 }, members: { Message: { target: "string" }, Resource: { target: "string" } } },
  },
};

const op = (name: string) => ({ name, model: model.operations[name] });
const meta = { requestId: "rid-1" };
const req = (r: Partial<ProtocolRequest>): ProtocolRequest => ({ method: "POST", rawPath: "/", query: [], headers: {}, ...r });

describe("restXml request bindings", () => {
  it("reads labels, typed query values, remaining query params, headers, prefix headers and the body", async () => {
    const input = await restXml.parseRequest(
      req({
        labels: { Id: "a/b c", Count: "42" },
        query: [
          ["tag", "x"],
          ["tag", "y,z"],
          ["since", "2024-01-02T03:04:05Z"],
          ["flag", "true"],
          ["other", "1"],
          ["empty", ""],
        ],
        headers: {
          "x-names": 'a, "b,c", "d\\"e"',
          "x-dates": "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT",
          "x-when": "Wed, 01 May 2024 10:00:00 GMT",
          "x-size": "1024",
          "x-json": Buffer.from('{"a":1}').toString("base64"),
          "x-meta-color": "blue",
          "x-meta-": "ignored (no key)",
        },
        body: Buffer.from('<?xml version="1.0"?><BindingsInput xmlns="http://test/doc/"><Note>n &amp; m</Note><Items><N>1</N><N>2.5</N></Items><Id>nope</Id></BindingsInput>'),
      }),
      model,
      op("Bindings"),
    );
    expect(input).toEqual({
      Id: "a/b c",
      Count: 42,
      Tags: ["x", "y,z"],
      Since: new Date("2024-01-02T03:04:05Z"),
      Flag: true,
      Rest: { other: "1", empty: "" },
      Names: ["a", "b,c", 'd"e'],
      Dates: [new Date("2019-12-16T23:48:18Z"), new Date("2019-12-17T23:48:18Z")],
      When: new Date("2024-05-01T10:00:00Z"),
      Size: 1024,
      Json: '{"a":1}',
      Meta: { color: "blue" },
      Note: "n & m",
      Items: [1, 2.5],
    });
  });

  it("malformed XML and mistyped XML values are MalformedXML", () => {
    for (const body of ["<BindingsInput><Note>x</BindingsInput>", "<BindingsInput><Items><N>one</N></Items></BindingsInput>", "not xml"]) {
      let err: unknown;
      try {
        restXml.parseRequest(req({ body: Buffer.from(body) }), model, op("Bindings"));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AwsError);
      expect((err as AwsError).code).toBe("MalformedXML");
      expect((err as AwsError).message).toBe("The XML you provided was not well-formed or did not validate against our published schema");
      expect((err as AwsError).status).toBe(400);
    }
  });

  it("mistyped header/label values are InvalidArgument", () => {
    expect(() => restXml.parseRequest(req({ headers: { "x-size": "big" } }), model, op("Bindings"))).toThrow(/x-size/);
    expect(() => restXml.parseRequest(req({ labels: { Count: "x" } }), model, op("Bindings"))).toThrow(AwsError);
  });

  it("payloads: string, blob, structure (root name not checked); empty body is absent", async () => {
    expect(await restXml.parseRequest(req({ body: Buffer.from("héllo") }), model, op("Text"))).toEqual({ Text: "héllo" });
    expect(await restXml.parseRequest(req({ body: Buffer.from([0, 1]) }), model, op("Blob"))).toEqual({ Data: Buffer.from([0, 1]) });
    expect(await restXml.parseRequest(req({ body: Buffer.from("<Document><A>a</A><N>3</N></Document>") }), model, op("Struct"))).toEqual({ Doc: { A: "a", N: 3 } });
    expect(await restXml.parseRequest(req({ body: Buffer.alloc(0) }), model, op("Struct"))).toEqual({});
    expect(await restXml.parseRequest(req({}), model, op("Blob"))).toEqual({});
  });

  it("reads a body given as a stream when the operation needs it whole", async () => {
    const input = await restXml.parseRequest(req({ stream: Readable.from([Buffer.from("<Document><A>"), Buffer.from("streamed</A></Document>")]) }), model, op("Struct"));
    expect(input).toEqual({ Doc: { A: "streamed" } });
  });
});

describe("restXml response bindings", () => {
  it("writes httpResponseCode, list/timestamp/boolean/mediaType headers, prefix headers and the unbound body", () => {
    const out = restXml.serializeResponse(
      {
        Status: 202,
        Names: ["a", "b,c", 'd"e'],
        Dates: [new Date("2019-12-16T23:48:18Z"), new Date("2019-12-17T23:48:18Z")],
        When: new Date("2024-05-01T10:00:00Z"),
        Ok: true,
        Json: '{"a":1}',
        Meta: { color: "blue", city: "Zürich" },
        Note: "n",
      },
      model,
      op("Bindings"),
      meta,
    );
    expect(out.status).toBe(202);
    expect(out.headers).toEqual({
      "x-amz-request-id": "rid-1",
      "x-amz-id-2": expect.any(String),
      "x-amzn-RequestId": "rid-1",
      "x-names": 'a, "b,c", "d\\"e"',
      "x-dates": "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT",
      "x-when": "Wed, 01 May 2024 10:00:00 GMT",
      "x-ok": "true",
      "x-json": Buffer.from('{"a":1}').toString("base64"),
      "x-meta-color": "blue",
      "x-meta-city": `=?UTF-8?B?${Buffer.from("Zürich").toString("base64")}?=`,
      "Content-Type": "application/xml",
    });
    expect(out.body).toBe('<?xml version="1.0" encoding="UTF-8"?><BindingsOutput xmlns="http://test/doc/"><Note>n</Note></BindingsOutput>');
  });

  it("header lists round-trip through the splitter", () => {
    expect(splitHeaderList('a, "b,c", "d\\"e"', false)).toEqual(["a", "b,c", 'd"e']);
    expect(headerValue("plain")).toBe("plain");
  });

  it("payloads: structure rooted at the target's xmlName with the namespace; string; blob; absent", () => {
    expect(restXml.serializeResponse({ Doc: { A: "a<", N: 1 } }, model, op("Struct"), meta).body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="http://test/doc/"><A>a&lt;</A><N>1</N></Document>',
    );
    const text = restXml.serializeResponse({ Text: "hi", Type: "application/json" }, model, op("Text"), meta);
    expect(text.body).toBe("hi");
    expect(text.headers["Content-Type"]).toBe("application/json");
    const blob = restXml.serializeResponse({ Data: new Uint8Array([1, 2]) }, model, op("Blob"), meta);
    expect(blob.body).toEqual(Buffer.from([1, 2]));
    expect(blob.headers["Content-Type"]).toBe("application/octet-stream");
    expect(restXml.serializeResponse({}, model, op("Blob"), meta).body).toBeUndefined();
  });

  it("HEAD responses have headers and no body", () => {
    const out = restXml.serializeResponse({ Note: "x", Ok: false }, model, op("Head"), meta);
    expect(out.body).toBeUndefined();
    expect(out.headers["x-ok"]).toBe("false");
  });
});

describe("restXml errors", () => {
  it("wraps in ErrorResponse without noErrorWrapping, typed modeled fields, status from httpError", () => {
    const out = restXml.serializeError(new AwsError("Conflict", "busy", undefined, { fields: { Resource: "r1" }, headers: { "Retry-After": "3" } }), model, op("Text"), meta);
    expect(out.status).toBe(409);
    expect(out.headers["Retry-After"]).toBe("3");
    expect(out.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="http://test/doc/"><Error><Type>Sender</Type><Code>Conflict</Code><Message>busy</Message>' +
        "<Resource>r1</Resource></Error><RequestId>rid-1</RequestId></ErrorResponse>",
    );
  });

  it("bare <Error> with noErrorWrapping; no body for HEAD and 304", () => {
    const s3ish = { ...model, protocolOptions: { noErrorWrapping: true } };
    const out = restXml.serializeError(new AwsError("InternalError", "oops", 500, { fault: "Receiver" }), s3ish, op("Text"), meta);
    expect(out.status).toBe(500);
    expect(out.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>InternalError<\/Code><Message>oops<\/Message><RequestId>rid-1<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
    expect(restXml.serializeError(new AwsError("NoSuchKey", "x", 404), s3ish, op("Head"), meta).body).toBeUndefined();
    const nm = restXml.serializeError(new AwsError("NotModified", "Not Modified", 304, { headers: { ETag: '"e"' } }), s3ish, op("Text"), meta);
    expect(nm.status).toBe(304);
    expect(nm.body).toBeUndefined();
    expect(nm.headers.ETag).toBe('"e"');
  });
});

// Shapes with many header members (PutObject has 45) are bound by walking the request's
// headers against a name map; the others by looking each member up. Both must bind the same.
describe("restXml header binding paths", () => {
  const names = Array.from({ length: 24 }, (_, i) => `H${i}`);
  const wide: ServiceModel = {
    ...model,
    operations: { Wide: { input: "WideInput", output: "WideOutput", http: { method: "PUT", uri: "/w", code: 200 } } },
    shapes: {
      WideInput: {
        type: "structure",
        members: {
          ...Object.fromEntries(names.map((n, i) => [n, { target: i % 2 ? "number" : "string", traits: { httpHeader: `X-Wide-${n}` } }])),
          Meta: { target: { type: "map", key: { target: "string" }, value: { target: "string" } }, traits: { httpPrefixHeaders: "x-meta-" } },
        },
      },
      WideOutput: {
        type: "structure",
        members: Object.fromEntries(names.map((n, i) => [n, { target: i % 2 ? "number" : "string", traits: { httpHeader: `X-Wide-${n}` } }])),
      },
    },
  } as ServiceModel;
  const wideOp = { name: "Wide", model: wide.operations.Wide };

  it("walks the request's headers for a wide shape and binds what the member walk would", () => {
    expect(inputPlan(wide, "WideInput").headerByName).toBeDefined();
    expect(inputPlan(model, "BindingsInput").headerByName).toBeUndefined();
    const headers: Record<string, string> = { host: "h", "x-wide-h0": "zero", "x-wide-h3": "3", "x-wide-h23": "23", "x-meta-a": "b", "x-unknown": "u" };
    expect(restXml.parseRequest(req({ method: "PUT", rawPath: "/w", headers }), wide, wideOp)).toEqual({ H0: "zero", H3: 3, H23: 23, Meta: { a: "b" } });
    expect(() => restXml.parseRequest(req({ method: "PUT", rawPath: "/w", headers: { "x-wide-h1": "one" } }), wide, wideOp)).toThrow(AwsError);
  });

  it("writes the output's own header members, whatever else the output holds", () => {
    const out = restXml.serializeResponse({ H2: "two", H5: 5, Unmodeled: "x", H7: undefined, H9: null, [Symbol("s")]: "s" } as Record<string, unknown>, wide, { name: "Wide", model: { ...wide.operations.Wide, input: undefined } }, meta);
    expect(out.headers).toEqual({ "x-amz-request-id": "rid-1", "x-amz-id-2": extendedRequestId("rid-1"), "x-amzn-RequestId": "rid-1", "X-Wide-H2": "two", "X-Wide-H5": "5" });
  });

  it("x-amz-id-2 is the base64 of nimbus/<id> for any id; header values outside printable ASCII are RFC 2047", () => {
    for (const id of ["rid-1", "8e9f2c1e-1111-2222-3333-444455556666", "é-ü", "x".repeat(300), ""]) {
      expect(extendedRequestId(id)).toBe(Buffer.from(`nimbus/${id}`).toString("base64"));
    }
    expect(headerValue("a\tb ~")).toBe("a\tb ~");
    for (const v of ["a\x7fb", "a\nb", "\x00", "ü"]) expect(headerValue(v)).toBe(`=?UTF-8?B?${Buffer.from(v, "utf8").toString("base64")}?=`);
  });
});
