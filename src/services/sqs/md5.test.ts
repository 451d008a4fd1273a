// Known vectors: digests AWS returned for these inputs (recorded against real SQS).
import { describe, expect, it } from "vitest";
import { md5Hex, md5OfAttributes } from "./md5.js";

const str = (StringValue: string) => ({ DataType: "String", StringValue });

describe("sqs md5", () => {
  it("MD5OfMessageBody is the MD5 of the UTF-8 body", () => {
    expect(md5Hex("msg")).toBe("6e2baaf3b97dbeef01c0043275f9a0e7");
    expect(md5Hex("test")).toBe("098f6bcd4621d373cade4e832627b4f6");
    expect(md5Hex("hello")).toBe("5d41402abc4b2a76b9719d911017c592");
    expect(md5Hex("a")).toBe("0cc175b9c0f1b6a831c399e269772661");
    // multi-byte characters are hashed as UTF-8
    expect(md5Hex("\u00e9")).toBe("66ddcd97cfdeabb2f6fb8a999b4bc76f");
  });

  it("MD5OfMessageAttributes for string attributes, sorted by name", () => {
    expect(md5OfAttributes({ Foo: str("Bar") })).toBe("ae7155c6026991b6d54b11589678bf9c");
    expect(md5OfAttributes({ Hello: str("There") })).toBe("a311262e065454b75da111d535b8dacd");
    expect(md5OfAttributes({ "Help.Me": str("Me"), Hello: str("There") })).toBe("83fee93c1bcd8b9a5a923ffacdc636c7");
    expect(md5OfAttributes({ Hello: str("There"), General: str("Kenobi") })).toBe("fca026605781cb4126a1e9044df24232");
    expect(md5OfAttributes({ Hello: str("There"), "Help.Me": str("Me"), General: str("Kenobi") })).toBe(
      "4c360f3fdafd970e05fae2f149d997f5",
    );
  });

  it("MD5OfMessageAttributes for a binary attribute", () => {
    const value = Buffer.from("traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01", "latin1");
    expect(md5OfAttributes({ attr1: { DataType: "Binary", BinaryValue: value } })).toBe("8cbe4db156db8a94db8b801b7addb984");
  });

  it("no attributes, no digest", () => {
    expect(md5OfAttributes(undefined)).toBeUndefined();
    expect(md5OfAttributes({})).toBeUndefined();
  });

  it("transport type distinguishes a string from the same bytes as binary", () => {
    const a = md5OfAttributes({ x: { DataType: "String", StringValue: "v" } });
    const b = md5OfAttributes({ x: { DataType: "String", BinaryValue: Buffer.from("v") } });
    expect(a).not.toBe(b);
  });
});
