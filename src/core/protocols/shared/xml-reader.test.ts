import { describe, expect, it } from "vitest";
import { parseXml, XmlSyntaxError } from "./xml-reader.js";

describe("parseXml", () => {
  it("reads elements, attributes, text, entities, character references and CDATA", () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><Delete xmlns="http://s3/"><Object><Key>a&#x0D;&#x0A;b &amp; &lt;c&gt; &#65;&quot;&apos;</Key></Object>' +
        "<Object><Key><![CDATA[x<y&z]]></Key></Object><G xmlns:xsi='u' xsi:type=\"Group\"/><Quiet>true</Quiet></Delete>",
    );
    expect(root.name).toBe("Delete");
    expect(root.attributes).toEqual({ xmlns: "http://s3/" });
    expect(root.children.map((c) => c.name)).toEqual(["Object", "Object", "G", "Quiet"]);
    expect(root.children[0].children[0].text).toBe("a\r\nb & <c> A\"'");
    expect(root.children[1].children[0].text).toBe("x<y&z");
    expect(root.children[2].attributes).toEqual({ "xmlns:xsi": "u", "xsi:type": "Group" });
    expect(root.children[2].children).toEqual([]);
    expect(root.children[3].text).toBe("true");
  });

  it("normalizes literal line ends but keeps referenced ones, and keeps whitespace in text", () => {
    const root = parseXml("<a>x\r\ny\rz&#13;</a>");
    expect(root.text).toBe("x\ny\nz\r");
    expect(parseXml("<a>  </a>").text).toBe("  ");
  });

  it("accepts a BOM, trailing whitespace and comments", () => {
    expect(parseXml("\ufeff<a/>\n<!-- end -->\n").name).toBe("a");
  });

  it.each([
    ["<a><b></a>", "mismatched end tag"],
    ["<a>", "unclosed"],
    ["<a></a><b/>", "two roots"],
    ["text<a/>", "text before root"],
    ["<a/>junk", "text after root"],
    ["<a>&foo;</a>", "unknown entity"],
    ["<a>& b</a>", "bare ampersand"],
    ["<a b=c/>", "unquoted attribute"],
    ['<a b="1" b="2"/>', "duplicate attribute"],
    ['<a b="1"c="2"/>', "attributes not separated"],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "DTD"],
    ["", "empty"],
    ["<a><!-- x </a>", "unterminated comment"],
    ["<a><![CDATA[x</a>", "unterminated CDATA"],
    ["<a>&#xFFFFFFF;</a>", "invalid character reference"],
  ])("refuses %s (%s)", (xml) => {
    expect(() => parseXml(xml)).toThrow(XmlSyntaxError);
  });

  it("handles deep nesting without recursion", () => {
    const depth = 20000;
    const root = parseXml("<a>".repeat(depth) + "x" + "</a>".repeat(depth));
    let el = root;
    let n = 1;
    while (el.children.length) {
      el = el.children[0];
      n++;
    }
    expect(n).toBe(depth);
    expect(el.text).toBe("x");
  });
});
