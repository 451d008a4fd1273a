import { describe, expect, it } from "vitest";
import { PolicyDocumentError, isValidPolicyDocument, parsePolicyDocument } from "./policy-document.js";
import type { PolicyKind } from "./types.js";

const doc = (statement: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ Version: "2012-10-17", Statement: statement, ...extra });
const allowS3 = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" };

function message(json: string, kind: PolicyKind): string {
  try {
    parsePolicyDocument(json, kind);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyDocumentError);
    return (e as Error).message;
  }
  throw new Error("expected the document to be refused");
}

describe("parsePolicyDocument: valid documents", () => {
  it("normalises strings to lists and keeps Version and Id", () => {
    const p = parsePolicyDocument(doc(allowS3, { Id: "x" }), "identity");
    expect(p).toEqual({ Version: "2012-10-17", Id: "x", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] }] });
  });

  it("normalises Principal forms and condition values", () => {
    const p = parsePolicyDocument(
      doc([{ Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: "*", Condition: { Bool: { "aws:SecureTransport": false }, NumericLessThan: { "s3:max-keys": [10, "20"] } } }]),
      "resource",
    );
    expect(p.Statement[0].Principal).toEqual({ star: true, AWS: ["*"] });
    expect(p.Statement[0].Condition).toEqual({ Bool: { "aws:SecureTransport": ["false"] }, NumericLessThan: { "s3:max-keys": ["10", "20"] } });
  });

  it("accepts a trust policy without Resource, with Service and Federated principals", () => {
    const p = parsePolicyDocument(doc([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com", Federated: "cognito-identity.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"] }]), "trust");
    expect(p.Statement[0].Principal).toEqual({ star: false, Service: ["lambda.amazonaws.com"], Federated: ["cognito-identity.amazonaws.com"] });
  });

  it("accepts account ids, root, user, role and assumed-role ARNs as AWS principals", () => {
    const principals = ["123456789012", "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/a/b", "arn:aws:iam::123456789012:role/R", "arn:aws:sts::123456789012:assumed-role/R/s"];
    expect(isValidPolicyDocument(doc([{ ...allowS3, Principal: { AWS: principals } }]), "resource")).toBe(true);
  });

  it("accepts Version 2008-10-17 and a missing Version", () => {
    expect(isValidPolicyDocument(doc(allowS3, { Version: "2008-10-17" }), "identity")).toBe(true);
    expect(isValidPolicyDocument(JSON.stringify({ Statement: [allowS3] }), "identity")).toBe(true);
  });

  it("every condition operator, with IfExists and set forms", () => {
    const ops = ["StringEquals", "StringNotEqualsIgnoreCase", "StringLikeIfExists", "NumericGreaterThanEquals", "DateLessThanIfExists", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnLike", "ArnNotEquals", "Null", "ForAllValues:StringEquals", "ForAnyValue:StringLikeIfExists"];
    for (const op of ops) expect(isValidPolicyDocument(doc([{ ...allowS3, Condition: { [op]: { "aws:username": "x" } } }]), "identity"), op).toBe(true);
  });
});

describe("parsePolicyDocument: IAM's MalformedPolicyDocument messages", () => {
  it.each([
    ["not JSON", "{", "identity", "Syntax errors in policy."],
    ["not an object", "[]", "identity", "Syntax errors in policy."],
    ["an unknown top-level field", doc(allowS3, { Foo: 1 }), "identity", "Syntax errors in policy."],
    ["an unknown version", doc(allowS3, { Version: "2012-10-18" }), "identity", "The policy failed legacy parsing"],
    ["no Statement", JSON.stringify({ Version: "2012-10-17" }), "identity", "Missing required field Statement"],
    ["an empty Statement list", doc([]), "identity", "Syntax errors in policy."],
    ["no Effect", doc([{ Action: "s3:*", Resource: "*" }]), "identity", "Missing required field Effect"],
    ["a wrong Effect", doc([{ ...allowS3, Effect: "Allows" }]), "identity", "Invalid effect: Allows"],
    ["no Action", doc([{ Effect: "Allow", Resource: "*" }]), "identity", "Policy statement must contain actions."],
    ["no Resource in an identity policy", doc([{ Effect: "Allow", Action: "s3:*" }]), "identity", "Policy statement must contain resources."],
    ["a Principal in an identity policy", doc([{ ...allowS3, Principal: "*" }]), "identity", "Policy document should not specify a principal."],
    ["a Principal in a boundary", doc([{ ...allowS3, Principal: "*" }]), "boundary", "Has prohibited field Principal"],
    ["no Principal in a resource policy", doc([allowS3]), "resource", "Missing required field Principal"],
    ["no Principal in a trust policy", doc([{ Effect: "Allow", Action: "sts:AssumeRole" }]), "trust", "Missing required field Principal"],
    ["a Resource in a trust policy", doc([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Resource: "*" }]), "trust", "Has prohibited field Resource"],
    ["an action without a vendor", doc([{ ...allowS3, Action: "GetObject" }]), "identity", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
    ["a resource that is not an ARN", doc([{ ...allowS3, Resource: "bucket/*" }]), "identity", 'Resource bucket/* must be in ARN format or "*".'],
    ["a resource with a wildcard vendor", doc([{ ...allowS3, Resource: "arn:aws:*:::b" }]), "identity", "Resource vendor must be fully qualified and cannot contain regexes."],
    ["duplicate Sids", doc([{ ...allowS3, Sid: "A" }, { ...allowS3, Sid: "A" }]), "identity", "Statement IDs (SID) in a single policy must be unique."],
    ["a Sid with punctuation", doc([{ ...allowS3, Sid: "a-b" }]), "identity", "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"],
    ["an unknown condition operator", doc([{ ...allowS3, Condition: { StringEqualz: { "aws:username": "a" } } }]), "identity", "Invalid Condition type : StringEqualz"],
    ["a condition key without a vendor", doc([{ ...allowS3, Condition: { StringEquals: { username: "a" } } }]), "identity", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
    ["an invalid AWS principal", doc([{ ...allowS3, Principal: { AWS: "alice" } }]), "resource", 'Invalid principal in policy: "AWS":"alice"'],
    ["Action and NotAction together", doc([{ ...allowS3, NotAction: "s3:PutObject" }]), "identity", "Syntax errors in policy."],
    ["an unknown statement field", doc([{ ...allowS3, Actions: "s3:*" }]), "identity", "Syntax errors in policy."],
  ] as const)("%s", (_n, json, kind, msg) => {
    expect(message(json, kind)).toBe(msg);
  });

  it("resource policies (S3, SQS) accept any Sid text", () => {
    expect(isValidPolicyDocument(doc([{ ...allowS3, Sid: "Public read-only access", Principal: "*" }]), "resource")).toBe(true);
  });
});
