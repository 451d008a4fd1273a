import { describe, expect, it } from "vitest";
import { loadModel } from "../model/load.js";
import { RestMatcher } from "./rest-matcher.js";

// The candidate routes are computed once per method and set of query keys: the same keys with
// other values, or other keys, must still reach the template the full walk would.
describe("RestMatcher over S3's templates", () => {
  const m = new RestMatcher(loadModel("s3"));
  const op = (method: string, path: string, query: Array<[string, string]> = [], headers: Record<string, string> = {}) =>
    m.match(method, path, new Map(query), headers)?.operation;

  it("picks by query keys, their values and required headers, whatever came before", () => {
    for (let i = 0; i < 2; i++) {
      expect(op("GET", "/b/k", [["x-id", "GetObject"]])).toBe("GetObject");
      expect(op("GET", "/b/k")).toBe("GetObject");
      expect(op("GET", "/b/k", [["tagging", ""]])).toBe("GetObjectTagging");
      expect(op("GET", "/b/k", [["uploadId", "u"]])).toBe("ListParts");
      expect(op("GET", "/b", [["list-type", "2"]])).toBe("ListObjectsV2");
      // Same key set, a value no template has as a literal: the plain listing.
      expect(op("GET", "/b", [["list-type", "1"]])).toBe("ListObjects");
      expect(op("PUT", "/b/k")).toBe("PutObject");
      expect(op("PUT", "/b/k", [], { "x-amz-copy-source": "/a/b" })).toBe("CopyObject");
      expect(op("PUT", "/b/k", [["partNumber", "1"], ["uploadId", "u"]])).toBe("UploadPart");
      // One of UploadPart's two required keys only: not UploadPart.
      expect(op("PUT", "/b/k", [["partNumber", "1"]])).toBe("PutObject");
    }
  });

  it("decodes labels and keeps the key's slashes", () => {
    expect(m.match("GET", "/b/a%20b/c", new Map(), {})).toEqual({ operation: "GetObject", labels: { Bucket: "b", Key: "a b/c" } });
    // Without an escape the label is the text itself; a malformed escape is kept as sent.
    expect(m.match("GET", "/b/a+b/c", new Map(), {})).toEqual({ operation: "GetObject", labels: { Bucket: "b", Key: "a+b/c" } });
    expect(m.match("GET", "/b/100%zz/%C3%BC", new Map(), {})).toEqual({ operation: "GetObject", labels: { Bucket: "b", Key: "100%zz/%C3%BC" } });
    expect(m.match("GET", "/b/%C3%BC", new Map(), {})).toEqual({ operation: "GetObject", labels: { Bucket: "b", Key: "ü" } });
  });
});
