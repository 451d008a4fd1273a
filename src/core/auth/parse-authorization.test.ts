import { describe, expect, it } from "vitest";
import { amzDateToMs, normalizeAmzDate, parseAuthorization } from "./parse-authorization.js";

describe("parseAuthorization", () => {
  it("reads a SigV4 Authorization header", () => {
    const a = parseAuthorization(
      {
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-3/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123",
        "x-amz-date": "20260101T101010Z",
        "x-amz-security-token": "tok",
      },
      "",
    );
    expect(a).toMatchObject({
      kind: "sigv4",
      algorithm: "AWS4-HMAC-SHA256",
      accessKeyId: "AKIDEXAMPLE",
      credential: "AKIDEXAMPLE/20260101/eu-west-3/sqs/aws4_request",
      scope: "20260101/eu-west-3/sqs/aws4_request",
      scopeParts: 5,
      scopeDate: "20260101",
      region: "eu-west-3",
      service: "sqs",
      terminal: "aws4_request",
      date: "20260101T101010Z",
      rawDate: "20260101T101010Z",
      signedHeaders: ["host", "x-amz-date"],
      signature: "abc123",
      securityToken: "tok",
      presigned: false,
    });
    expect(a.malformed).toBeUndefined();
  });

  it("accepts components separated by a bare comma (minio, some hand-written signers)", () => {
    const a = parseAuthorization(
      { authorization: "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=ff", "x-amz-date": "20260101T000000Z" },
      "",
    );
    expect(a.signedHeaders).toEqual(["host"]);
    expect(a.signature).toBe("ff");
    expect(a.service).toBe("s3");
  });

  it("reads SigV4a: region-less scope, regions from X-Amz-Region-Set", () => {
    const a = parseAuthorization(
      {
        authorization: "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045",
        "x-amz-date": "20260101T000000Z",
        "x-amz-region-set": "us-*, eu-west-1",
      },
      "",
    );
    expect(a).toMatchObject({ kind: "sigv4a", service: "s3", scopeParts: 4, terminal: "aws4_request", regionSet: ["us-*", "eu-west-1"], region: "eu-west-1" });
    const wildcard = parseAuthorization(
      { authorization: "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host, Signature=30", "x-amz-region-set": "*" },
      "",
    );
    expect(wildcard.region).toBe("");
    expect(wildcard.regionSet).toEqual(["*"]);
  });

  it("reads a presigned SigV4 query, decoding its values", () => {
    const q =
      "x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD" +
      "&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z" +
      "&X-Amz-Expires=900&X-Amz-Security-Token=a%2Bb%3D&X-Amz-Signature=deadbeef&X-Amz-SignedHeaders=host%3Bx-amz-meta-a";
    const a = parseAuthorization({ host: "localhost" }, q);
    expect(a).toMatchObject({
      kind: "presigned-sigv4",
      presigned: true,
      accessKeyId: "AKID",
      region: "us-east-1",
      service: "s3",
      date: "20260101T000000Z",
      expires: 900,
      rawExpires: "900",
      securityToken: "a+b=",
      signature: "deadbeef",
      signedHeaders: ["host", "x-amz-meta-a"],
    });
    expect(a.malformed).toBeUndefined();
  });

  it("accepts the query already decoded into a map", () => {
    const q = new Map([
      ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
      ["X-Amz-Credential", "AKID/20260101/us-east-1/s3/aws4_request"],
      ["X-Amz-Date", "20260101T000000Z"],
      ["X-Amz-Expires", "60"],
      ["X-Amz-SignedHeaders", "host"],
      ["X-Amz-Signature", "ab"],
      ["x-id", "GetObject"],
    ]);
    expect(parseAuthorization({}, q)).toMatchObject({ kind: "presigned-sigv4", accessKeyId: "AKID", expires: 60, signature: "ab" });
    expect(parseAuthorization({}, new Map()).kind).toBe("anonymous");
  });

  it("reads a presigned SigV4a query", () => {
    const q =
      "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z" +
      "&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Region-Set=us-east-1&X-Amz-Signature=30";
    expect(parseAuthorization({}, q)).toMatchObject({ kind: "presigned-sigv4a", service: "service", region: "us-east-1", regionSet: ["us-east-1"] });
  });

  it("records missing presigned parameters", () => {
    const a = parseAuthorization({}, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z");
    expect(a.malformed).toEqual({
      reason: "missing-query-parameters",
      missing: ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Expires"],
    });
  });

  it("reports the key of legacy SigV2, header and query", () => {
    expect(parseAuthorization({ authorization: "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=" }, "")).toMatchObject({
      kind: "sigv2",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      signature: "frJIUN8DYpKDtOLCwo//yllqDzg=",
    });
    expect(parseAuthorization({}, "AWSAccessKeyId=123456789012&Expires=1700000000&Signature=abc%3D")).toMatchObject({
      kind: "presigned-sigv2",
      accessKeyId: "123456789012",
      expires: 1700000000,
      signature: "abc=",
    });
    expect(parseAuthorization({ authorization: "AWS nocolon" }, "").malformed).toEqual({ reason: "sigv2-format" });
  });

  it("is anonymous without credentials, whatever else the query holds", () => {
    expect(parseAuthorization({ host: "x" }, "").kind).toBe("anonymous");
    expect(parseAuthorization({ host: "x" }, "list-type=2&prefix=a").kind).toBe("anonymous");
    // An X-Amz-Signature without X-Amz-Algorithm is not a presigned request (S3 reads it as unsigned).
    expect(parseAuthorization({}, "X-Amz-Signature=abc").kind).toBe("anonymous");
  });

  it("records malformed headers instead of throwing", () => {
    expect(parseAuthorization({ authorization: "Bearer xyz" }, "")).toMatchObject({ kind: "invalid", algorithm: "Bearer", malformed: { reason: "unsupported-algorithm" } });
    expect(parseAuthorization({ authorization: "AWS4-HMAC-SHA256" }, "").malformed).toEqual({ reason: "no-space" });
    const partial = parseAuthorization({ authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request" }, "");
    expect(partial.malformed).toEqual({ reason: "missing-components", missing: ["Signature", "SignedHeaders"] });
    // Routing still gets service and region.
    expect(partial.service).toBe("sts");
    expect(partial.region).toBe("us-east-1");
  });

  it("flags a header and a presigned query together", () => {
    const a = parseAuthorization(
      { authorization: "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=aa" },
      "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    );
    expect(a.kind).toBe("sigv4");
    expect(a.conflictingMechanisms).toBe(true);
  });

  it("falls back to the Date header and normalizes it", () => {
    const a = parseAuthorization(
      { authorization: "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/iam/aws4_request, SignedHeaders=date;host, Signature=aa", date: "Sun, 30 Aug 2015 12:36:00 GMT" },
      "",
    );
    expect(a.date).toBe("20150830T123600Z");
    expect(a.rawDate).toBe("Sun, 30 Aug 2015 12:36:00 GMT");
  });
});

describe("dates", () => {
  it("parses and validates ISO-8601 basic times", () => {
    expect(amzDateToMs("20260101T000000Z")).toBe(Date.UTC(2026, 0, 1));
    expect(amzDateToMs("20260231T000000Z")).toBeNaN();
    expect(amzDateToMs("2026-01-01T00:00:00Z")).toBeNaN();
    expect(normalizeAmzDate("garbage")).toBe("");
    expect(normalizeAmzDate("20260101T000000Z")).toBe("20260101T000000Z");
  });

  describe("the parse shared between headers with the same text up to Signature=", () => {
    const prefix = "AWS4-HMAC-SHA256 Credential=AKIDCACHE/20260101/eu-west-3/sqs/aws4_request, SignedHeaders=host;x-amz-date, ";

    it("gives each request its own signature, date and token", () => {
      const a = parseAuthorization({ authorization: prefix + "Signature=aaa", "x-amz-date": "20260101T101010Z" }, "");
      const b = parseAuthorization({ authorization: prefix + "Signature=bbb  ", "x-amz-date": "20260101T101011Z", "x-amz-security-token": "t2" }, "");
      expect(a).toMatchObject({ kind: "sigv4", accessKeyId: "AKIDCACHE", region: "eu-west-3", service: "sqs", signature: "aaa", date: "20260101T101010Z", signedHeaders: ["host", "x-amz-date"] });
      expect(a.securityToken).toBeUndefined();
      expect(b).toMatchObject({ kind: "sigv4", accessKeyId: "AKIDCACHE", region: "eu-west-3", service: "sqs", signature: "bbb", date: "20260101T101011Z", securityToken: "t2" });
      expect(b.authorization).toBe(prefix + "Signature=bbb  ");
      expect(a.malformed).toBeUndefined();
      expect(b.malformed).toBeUndefined();
    });

    it("keeps the first Signature when the text before the last one names one too", () => {
      const h = "AWS4-HMAC-SHA256 Signature=first, Credential=K/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=second";
      for (let i = 0; i < 2; i++) expect(parseAuthorization({ authorization: h }, "").signature).toBe("first");
    });

    it("reports a blank signature after a cached prefix as missing", () => {
      parseAuthorization({ authorization: prefix + "Signature=abc" }, "");
      const a = parseAuthorization({ authorization: prefix + "Signature=  " }, "");
      expect(a.malformed).toEqual({ reason: "missing-components", missing: ["Signature"] });
    });

    it("reads a signature followed by another component as the full parse does", () => {
      parseAuthorization({ authorization: prefix + "Signature=abc" }, "");
      const a = parseAuthorization({ authorization: prefix + "Signature=abc, Extra=1" }, "");
      expect(a.signature).toBe("abc");
      expect(a.malformed).toBeUndefined();
    });

    it("takes a SigV4a region set from each request, not from the first", () => {
      const h = "AWS4-ECDSA-P256-SHA256 Credential=K/20260101/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045";
      const a = parseAuthorization({ authorization: h, "x-amz-region-set": "eu-west-1" }, "");
      const b = parseAuthorization({ authorization: h, "x-amz-region-set": "*" }, "");
      const c = parseAuthorization({ authorization: h }, "");
      expect(a).toMatchObject({ kind: "sigv4a", region: "eu-west-1", regionSet: ["eu-west-1"], service: "s3" });
      expect(b).toMatchObject({ kind: "sigv4a", region: "", regionSet: ["*"] });
      expect(c.region).toBe("");
      expect(c.regionSet).toBeUndefined();
    });

    it("never answers one client's prefix for another's (the last prefix is compared whole)", () => {
      // Same length, one character apart (the access key), alternating, then past the cache's size.
      const of = (k: string, region: string) => `AWS4-HMAC-SHA256 Credential=${k}/20260101/${region}/sqs/aws4_request, SignedHeaders=host;x-amz-date, `;
      for (let round = 0; round < 3; round++) {
        for (const [k, region] of [["AKIDLAST1", "eu-west-1"], ["AKIDLAST2", "eu-west-1"], ["AKIDLAST2", "eu-west-2"], ["AKIDLAST1", "eu-west-1"]]) {
          const a = parseAuthorization({ authorization: of(k, region) + `Signature=${k}${round}`, "x-amz-date": "20260101T101010Z" }, "");
          expect(a).toMatchObject({ kind: "sigv4", accessKeyId: k, region, signature: `${k}${round}` });
        }
      }
      for (let i = 0; i < 300; i++) {
        const k = `AKIDMANY${String(i).padStart(3, "0")}`;
        for (let j = 0; j < 2; j++) expect(parseAuthorization({ authorization: of(k, "us-east-1") + "Signature=ab" }, "").accessKeyId).toBe(k);
      }
      expect(parseAuthorization({ authorization: of("AKIDLAST1", "eu-west-1") + "Signature=cd" }, "")).toMatchObject({ accessKeyId: "AKIDLAST1", region: "eu-west-1", signature: "cd" });
    });

    it("does not cache a prefix naming an unknown algorithm or lacking SignedHeaders", () => {
      const bad = "AWS4-HMAC-SHA512 Credential=K/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab";
      for (let i = 0; i < 2; i++) expect(parseAuthorization({ authorization: bad }, "").malformed).toEqual({ reason: "unsupported-algorithm" });
      const noSigned = "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/s3/aws4_request, Signature=ab";
      for (let i = 0; i < 2; i++) expect(parseAuthorization({ authorization: noSigned }, "").malformed).toEqual({ reason: "missing-components", missing: ["SignedHeaders"] });
    });
  });
});
