import { describe, expect, it } from "vitest";
import {
  buildCanonicalRequest,
  buildStringToSign,
  canonicalHeaderValue,
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  isValidPayloadHashClaim,
  sha256Hex,
  uriEncode,
} from "./canonical-request.js";
import { deriveSigningKey, signString } from "./sigv4.js";

describe("canonical URI", () => {
  it("S3: single encoding, no normalization", () => {
    expect(canonicalUri("/b/a//b%20c/%C3%BC%2Bx%21.txt", true)).toBe("/b/a//b%20c/%C3%BC%2Bx%21.txt");
    expect(canonicalUri("/b/dir/./../x%20y", true)).toBe("/b/dir/./../x%20y");
    // Re-encoded canonically: lower-case hex, raw reserved characters, over-encoded unreserved ones.
    expect(canonicalUri("/b/%c3%bc", true)).toBe("/b/%C3%BC");
    expect(canonicalUri("/b/a+b(1)", true)).toBe("/b/a%2Bb%281%29");
    expect(canonicalUri("/b/%7Etilde", true)).toBe("/b/~tilde");
    expect(canonicalUri("/b/a%2Fb", true)).toBe("/b/a%2Fb");
    expect(canonicalUri("/b/a+b(1)", true, true)).toBe("/b/a+b(1)");
    expect(canonicalUri("", true)).toBe("/");
  });

  it("other services: normalized, then every character of the encoded path encoded again", () => {
    expect(canonicalUri("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations", false)).toBe(
      "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A000000000000%253Afunction%253Af/invocations",
    );
    expect(canonicalUri("/a//b/./c/../d/", false)).toBe("/a/b/d/");
    expect(canonicalUri("/example space/", false)).toBe("/example%20space/");
    expect(canonicalUri("/", false)).toBe("/");
    expect(canonicalUri("//", false)).toBe("/");
    expect(canonicalUri("/..", false)).toBe("/");
  });
});

describe("canonical query", () => {
  it("sorts by encoded name then value and encodes both", () => {
    expect(canonicalQuery("b=2&a=1&a=0&c", false)).toBe("a=0&a=1&b=2&c=");
    expect(canonicalQuery("Param2=value2&Param1=value1", false)).toBe("Param1=value1&Param2=value2");
    expect(canonicalQuery("prefix=a%2Fb&delimiter=%2F", false)).toBe("delimiter=%2F&prefix=a%2Fb");
    expect(canonicalQuery("k=%E1%88%B4", false)).toBe("k=%E1%88%B4");
    expect(canonicalQuery("k=a b&x=*", false)).toBe("k=a%20b&x=%2A");
    expect(canonicalQuery("uploads", false)).toBe("uploads=");
    expect(canonicalQuery("a=1&&b=2", false)).toBe("a=1&b=2");
  });

  it("orders by code point: upper case before lower case", () => {
    expect(canonicalQuery("a=1&B=2", false)).toBe("B=2&a=1");
  });

  it("leaves X-Amz-Signature out of presigned requests only", () => {
    expect(canonicalQuery("X-Amz-Signature=abc&X-Amz-Date=1", true)).toBe("X-Amz-Date=1");
    expect(canonicalQuery("X-Amz-Signature=abc&X-Amz-Date=1", false)).toBe("X-Amz-Date=1&X-Amz-Signature=abc");
  });

  it("reads '+' as a space by default, as a plus on request", () => {
    expect(canonicalQuery("q=a+b", false)).toBe("q=a%20b");
    expect(canonicalQuery("q=a+b", false, false)).toBe("q=a%2Bb");
  });
});

describe("canonical headers", () => {
  it("trims and collapses whitespace", () => {
    expect(canonicalHeaderValue("  a   b\t c  ")).toBe("a b c");
    expect(canonicalHeaderValue("plain")).toBe("plain");
  });

  it("turns any whitespace into a space, as the JS SDK's trim().replace(/\\s+/g, \" \") does", () => {
    // A lone vertical tab, form feed or no-break space is whitespace too (JavaScript's \s).
    expect(canonicalHeaderValue("a\vb")).toBe("a b");
    expect(canonicalHeaderValue("a\fb")).toBe("a b");
    expect(canonicalHeaderValue("a\u00a0b")).toBe("a b");
    expect(canonicalHeaderValue("a\tb")).toBe("a b");
    expect(canonicalHeaderValue("a b c")).toBe("a b c");
    expect(canonicalHeaderValue("")).toBe("");
    for (const v of ["a\vb", " x", "x ", "a  b", "a\u2028b", "a\r\nb", "\u00a0"]) expect(canonicalHeaderValue(v)).toBe(v.trim().replace(/\s+/g, " "));
  });

  it("a value is trimmed the same whether or not the same list saw it clean before", () => {
    // The per-list memo of the last clean value must not keep a later value that needs trimming as it is.
    const list = ["host", "user-agent", "x-amz-date"];
    const a = { host: "h", "user-agent": "ua/1 os/linux", "x-amz-date": "20260101T000000Z" };
    expect(canonicalHeaders(a, list)).toBe("host:h\nuser-agent:ua/1 os/linux\nx-amz-date:20260101T000000Z\n");
    expect(canonicalHeaders({ ...a, "user-agent": " ua/1  os/linux " }, list)).toBe("host:h\nuser-agent:ua/1 os/linux\nx-amz-date:20260101T000000Z\n");
    expect(canonicalHeaders({ ...a, "user-agent": "ua/1\tos/linux" }, list)).toBe("host:h\nuser-agent:ua/1 os/linux\nx-amz-date:20260101T000000Z\n");
    expect(canonicalHeaders({ ...a, "user-agent": "ua/1 os/linux" }, list)).toBe("host:h\nuser-agent:ua/1 os/linux\nx-amz-date:20260101T000000Z\n");
    expect(canonicalHeaders({ host: "h" }, list)).toBe("host:h\nuser-agent:\nx-amz-date:\n");
    expect(canonicalHeaders({}, [])).toBe("");
    // The same list in a whole canonical request.
    const req = { method: "GET", rawPath: "/", rawQuery: "", headers: { ...a, "user-agent": "ua/1   os/linux" } };
    expect(buildCanonicalRequest(req, list, "UNSIGNED-PAYLOAD", { s3: false, presigned: false })).toBe(
      "GET\n/\n\nhost:h\nuser-agent:ua/1 os/linux\nx-amz-date:20260101T000000Z\n\nhost;user-agent;x-amz-date\nUNSIGNED-PAYLOAD",
    );
    expect(buildCanonicalRequest({ ...req, headers: {} }, [], "UNSIGNED-PAYLOAD", { s3: false, presigned: false })).toBe("GET\n/\n\n\n\nUNSIGNED-PAYLOAD");
  });

  it("joins a header sent several times with a comma", () => {
    expect(canonicalHeaders({ "my-header1": ["value2", " value2 ", "value1"], host: "h" }, ["host", "my-header1"])).toBe(
      "host:h\nmy-header1:value2,value2,value1\n",
    );
  });

  it("uriEncode keeps unreserved characters only", () => {
    expect(uriEncode("AZaz09-._~")).toBe("AZaz09-._~");
    expect(uriEncode("a/b c!*'()")).toBe("a%2Fb%20c%21%2A%27%28%29");
    expect(uriEncode("ü")).toBe("%C3%BC");
  });
});

describe("AWS published examples", () => {
  // IAM ListUsers, from AWS "Signature Version 4 signing process" examples (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY).
  it("IAM GET ListUsers: canonical request hash and signature", () => {
    const req = {
      method: "GET",
      rawPath: "/",
      rawQuery: "Action=ListUsers&Version=2010-05-08",
      headers: {
        host: "iam.amazonaws.com",
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-amz-date": "20150830T123600Z",
      },
    };
    const canonical = buildCanonicalRequest(
      req,
      ["content-type", "host", "x-amz-date"],
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      { s3: false, presigned: false },
    );
    expect(sha256Hex(canonical)).toBe("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    const sts = buildStringToSign("AWS4-HMAC-SHA256", "20150830T123600Z", "20150830/us-east-1/iam/aws4_request", canonical);
    const key = deriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
    expect(signString(key, sts)).toBe("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  });

  // aws-c-auth v4a test suite, get-vanilla, query-canonical-request.txt / query-string-to-sign.txt.
  it("SigV4a get-vanilla presigned canonical request", () => {
    const req = {
      method: "GET",
      rawPath: "/",
      rawQuery:
        "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Region-Set=us-east-1",
      headers: { host: "example.amazonaws.com" },
    };
    const canonical = buildCanonicalRequest(req, ["host"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", {
      s3: false,
      presigned: true,
    });
    expect(canonical).toBe(
      "GET\n/\nX-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Region-Set=us-east-1&X-Amz-SignedHeaders=host\nhost:example.amazonaws.com\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(buildStringToSign("AWS4-ECDSA-P256-SHA256", "20150830T123600Z", "20150830/service/aws4_request", canonical)).toBe(
      "AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/service/aws4_request\n367f580f0138ac98f22166a3bc5286fb61ab0fba16667aadfce7054aaadf0677",
    );
  });

  // S3 API reference, sigv4-streaming, "Example: PUT Object": the seed request.
  it("S3 chunked PUT Object: seed canonical request and signature", () => {
    const req = {
      method: "PUT",
      rawPath: "/examplebucket/chunkObject.txt",
      rawQuery: "",
      headers: {
        host: "s3.amazonaws.com",
        "content-encoding": "aws-chunked",
        "content-length": "66824",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": "20130524T000000Z",
        "x-amz-decoded-content-length": "66560",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
      },
    };
    const signed = [
      "content-encoding",
      "content-length",
      "host",
      "x-amz-content-sha256",
      "x-amz-date",
      "x-amz-decoded-content-length",
      "x-amz-storage-class",
    ];
    const canonical = buildCanonicalRequest(req, signed, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", { s3: true, presigned: false });
    const sts = buildStringToSign("AWS4-HMAC-SHA256", "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical);
    expect(sts.split("\n")[3]).toBe("cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455");
    const key = deriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
    expect(signString(key, sts)).toBe("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  });
});

describe("isValidPayloadHashClaim", () => {
  it("takes the keywords and exactly 64 hex digits of either case, nothing else", () => {
    const hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    expect(isValidPayloadHashClaim(hex)).toBe(true);
    expect(isValidPayloadHashClaim(hex.toUpperCase())).toBe(true);
    expect(isValidPayloadHashClaim("UNSIGNED-PAYLOAD")).toBe(true);
    expect(isValidPayloadHashClaim("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")).toBe(true);
    expect(isValidPayloadHashClaim(hex.slice(1))).toBe(false);
    expect(isValidPayloadHashClaim(hex + "0")).toBe(false);
    // Characters that a case fold (| 0x20) would turn into digits or a-f.
    for (const c of ["\x10", "\x19", "G", "g", "@", "`", " "]) expect(isValidPayloadHashClaim(c + hex.slice(1))).toBe(false);
  });
});
