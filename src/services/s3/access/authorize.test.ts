// The resource-policy hook's ARN parse is by hand (it runs on every S3 request): it must
// split exactly the ARNs the regex it replaced accepted, the same way.
import { describe, expect, it } from "vitest";
import { parseS3Arn } from "./authorize.js";

const REGEX = /^arn:[\w-]+:s3:::([^/]+)(?:\/(.*))?$/s;

describe("parseS3Arn", () => {
  it("agrees with /^arn:[\\w-]+:s3:::([^/]+)(?:\\/(.*))?$/s", () => {
    const arns = [
      "arn:aws:s3:::bucket",
      "arn:aws:s3:::bucket/",
      "arn:aws:s3:::bucket/key",
      "arn:aws:s3:::bucket/a/b//c",
      "arn:aws:s3:::bucket/line\nbreak",
      "arn:aws-cn:s3:::b/k",
      "arn:aws-us-gov:s3:::b/ü/😀",
      "arn:a_b-9:s3:::b",
      "arn:aws:s3:::",
      "arn:aws:s3:::/key",
      "arn::s3:::b",
      "arn:aw.s:s3:::b",
      "arn:aws:s3::123:b",
      "arn:aws:s3-object-lambda:::b",
      "arn:aws:sqs:us-east-1:123:q",
      "ARN:aws:s3:::b",
      "arn:aws:s3:::b\u0000/k",
      "xarn:aws:s3:::b",
      "arn:aws",
      "",
    ];
    for (const arn of arns) {
      const m = REGEX.exec(arn);
      const p = parseS3Arn(arn);
      expect(p === undefined ? undefined : [p[1], p[2]], arn).toEqual(m ? [m[1], m[2]] : undefined);
    }
  });
});
