// The shape-driven XML writer and reader on a synthetic model covering every XML trait
// combination, plus the escaper. (Real models and SDK clients are exercised in the
// protocols' own tests.)
import { describe, expect, it } from "vitest";
import type { ServiceModel } from "../../model/types.js";
import { parseXml } from "./xml-reader.js";
import { readXmlStruct } from "./xml-shape-reader.js";
import { xmlStructBody, xmlStructElement } from "./xml-shape-writer.js";
import { escapeXmlAttr, escapeXmlText, xmlnsAttribute } from "./xml-writer.js";

const model: ServiceModel = {
  service: "test",
  sdkId: "Test",
  clientPackage: "none",
  namespace: "test",
  apiVersion: "2020-01-01",
  sdkProtocol: "restXml",
  protocols: ["restXml"],
  signingName: "test",
  xmlNamespace: "http://test/",
  errors: [],
  operations: {},
  shapes: {
    Root: {
      type: "structure",
      traits: { xmlName: "RootResult" },
      members: {
        Str: { target: "string" },
        Renamed: { target: "string", traits: { xmlName: "other" } },
        Num: { target: "number" },
        Bool: { target: "boolean" },
        When: { target: "timestamp" },
        WhenEpoch: { target: "timestamp", traits: { timestampFormat: "epoch-seconds" } },
        WhenHttp: { target: "timestamp", traits: { timestampFormat: "http-date" } },
        Bytes: { target: "blob" },
        Wrapped: { target: { type: "list", member: { target: "string" } } },
        WrappedNamed: { target: { type: "list", member: { target: "string", traits: { xmlName: "item" } } }, traits: { xmlName: "items" } },
        Flat: { target: { type: "list", member: { target: "Child" } }, traits: { xmlFlattened: 1, xmlName: "F" } },
        Nested: { target: { type: "list", member: { target: { type: "list", member: { target: "number" } } } } },
        Map: { target: { type: "map", key: { target: "string" }, value: { target: "string" } } },
        MapNamed: { target: { type: "map", key: { target: "string", traits: { xmlName: "K" } }, value: { target: "Child", traits: { xmlName: "V" } } } },
        FlatMap: { target: { type: "map", key: { target: "string", traits: { xmlName: "Name" } }, value: { target: "string", traits: { xmlName: "Value" } } }, traits: { xmlFlattened: 1, xmlName: "Attr" } },
        Child: { target: "Child", traits: { xmlNamespace: ["xsi", "http://www.w3.org/2001/XMLSchema-instance"] } },
        Self: { target: "Root" },
        Header: { target: "string", traits: { httpHeader: "x-h" } },
      },
    },
    Child: {
      type: "structure",
      members: {
        Kind: { target: "string", traits: { xmlAttribute: 1, xmlName: "xsi:type" } },
        Id: { target: "string" },
      },
    },
  },
};

const value = {
  Str: 'a<b>&"c"\r\n\u2028',
  Renamed: "r",
  Num: 1.5,
  Bool: false,
  When: new Date("2024-01-02T03:04:05.678Z"),
  WhenEpoch: new Date("2024-01-02T03:04:05.500Z"),
  WhenHttp: new Date("2024-01-02T03:04:05Z"),
  Bytes: Buffer.from([1, 2, 3]),
  Wrapped: ["x", "y"],
  WrappedNamed: [],
  Flat: [{ Id: "1" }, { Id: "2", Kind: "K&" }],
  Nested: [[1, 2], [3]],
  Map: { a: "1", b: "2" },
  MapNamed: { k: { Id: "c" } },
  FlatMap: { n1: "v1", n2: "v2" },
  Child: { Kind: "Group", Id: "g" },
  Self: { Str: "inner", Self: { Num: 2 } },
  Header: "not in the body",
};

describe("xml shape writer", () => {
  it("writes every trait combination the way the SDKs read them, in model member order", () => {
    const xml = xmlStructElement(model, "Root", value, "RootResult", xmlnsAttribute(model.xmlNamespace), "unbound");
    expect(xml).toBe(
      '<RootResult xmlns="http://test/">' +
        "<Str>a&lt;b&gt;&amp;&quot;c&quot;&#x0D;&#x0A;&#x2028;</Str><other>r</other><Num>1.5</Num><Bool>false</Bool>" +
        "<When>2024-01-02T03:04:05.678Z</When><WhenEpoch>1704164645.5</WhenEpoch><WhenHttp>Tue, 02 Jan 2024 03:04:05 GMT</WhenHttp>" +
        "<Bytes>AQID</Bytes><Wrapped><member>x</member><member>y</member></Wrapped><items/>" +
        '<F><Id>1</Id></F><F xsi:type="K&amp;"><Id>2</Id></F>' +
        "<Nested><member><member>1</member><member>2</member></member><member><member>3</member></member></Nested>" +
        "<Map><entry><key>a</key><value>1</value></entry><entry><key>b</key><value>2</value></entry></Map>" +
        "<MapNamed><entry><K>k</K><V><Id>c</Id></V></entry></MapNamed>" +
        "<Attr><Name>n1</Name><Value>v1</Value></Attr><Attr><Name>n2</Name><Value>v2</Value></Attr>" +
        '<Child xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><Id>g</Id></Child>' +
        "<Self><Str>inner</Str><Self><Num>2</Num></Self></Self>" +
        "</RootResult>",
    );
  });

  it("writes http-bound members when asked for all members", () => {
    expect(xmlStructBody(model, "Root", { Header: "h" }, "all")).toBe("<Header>h</Header>");
    expect(xmlStructBody(model, "Root", { Header: "h" }, "unbound")).toBe("");
  });

  it("reads back what it writes", () => {
    const xml = xmlStructElement(model, "Root", value, "RootResult", "", "unbound");
    const back = readXmlStruct(model, "Root", parseXml(xml), "unbound");
    const { Header: _h, ...expected } = value;
    expect(back).toEqual({ ...expected, Bytes: Buffer.from([1, 2, 3]), WhenEpoch: new Date("2024-01-02T03:04:05.500Z") });
  });
});

describe("escaping", () => {
  it("leaves plain strings alone (same instance) and escapes what AWS escapes", () => {
    const s = "plain text, no specials: ' / = ?";
    expect(escapeXmlText(s)).toBe(s);
    expect(escapeXmlText("<&>\"\r\n\t\u0000\u0085")).toBe("&lt;&amp;&gt;&quot;&#x0D;&#x0A;\t&#x00;&#x85;");
    expect(escapeXmlAttr('a"b<&>\n\t')).toBe("a&quot;b&lt;&amp;&gt;&#x0A;&#x09;");
  });
});
