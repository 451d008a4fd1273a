import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { accountOfArn, authorizationsFor, resolveResources, serviceAuthz } from "./action-map.js";
import { accessDeniedError, decodeAuthorizationMessage, denialMessage } from "./access-denied.js";
import type { Principal } from "../service.js";

const A = "111122223333";
const op = (service: string, name: string) => {
  const o = serviceAuthz(service)?.operations[name];
  if (!o) throw new Error(`${service}.${name} missing`);
  return o;
};
const resolved = (service: string, name: string, input: Record<string, unknown>, region = "us-east-1") =>
  authorizationsFor(op(service, name), input).map((s) => ({ action: s.action, resources: resolveResources(s.resource, input, region, A) }));

describe("models/iam-actions.json", () => {
  it("is what scripts/gen-iam-actions.mjs generates", () => {
    execFileSync("node", ["scripts/gen-iam-actions.mjs", "--check"], { stdio: "pipe" });
  });

  it("maps every operation of every modeled service", () => {
    for (const s of ["s3", "sqs", "dynamodb", "lambda", "ec2", "iam", "sts", "kms", "sns", "cloudwatch"]) expect(Object.keys(serviceAuthz(s)!.operations).length, s).toBeGreaterThan(3);
    expect(serviceAuthz("ec2")!.operations.RunInstances.authorize[0].action).toBe("ec2:RunInstances");
    expect(serviceAuthz("cloudwatch")!.prefix).toBe("cloudwatch");
    expect(serviceAuthz("efs")!.prefix).toBe("elasticfilesystem");
  });

  it("S3: the Service Authorization Reference's exceptions", () => {
    expect(resolved("s3", "ListObjectsV2", { Bucket: "b" })).toEqual([{ action: "s3:ListBucket", resources: ["arn:aws:s3:::b"] }]);
    expect(resolved("s3", "HeadBucket", { Bucket: "b" })).toEqual([{ action: "s3:ListBucket", resources: ["arn:aws:s3:::b"] }]);
    expect(resolved("s3", "HeadObject", { Bucket: "b", Key: "k" })).toEqual([{ action: "s3:GetObject", resources: ["arn:aws:s3:::b/k"] }]);
    expect(resolved("s3", "GetObject", { Bucket: "b", Key: "a/b.txt" })).toEqual([{ action: "s3:GetObject", resources: ["arn:aws:s3:::b/a/b.txt"] }]);
    expect(resolved("s3", "GetObject", { Bucket: "b", Key: "k", VersionId: "v1" })).toEqual([{ action: "s3:GetObjectVersion", resources: ["arn:aws:s3:::b/k"] }]);
    expect(resolved("s3", "DeleteObject", { Bucket: "b", Key: "k", VersionId: "v1" })[0].action).toBe("s3:DeleteObjectVersion");
    expect(resolved("s3", "ListBuckets", {})).toEqual([{ action: "s3:ListAllMyBuckets", resources: ["*"] }]);
    expect(resolved("s3", "CopyObject", { Bucket: "dst", Key: "to", CopySource: "src/from%20here?versionId=3" })).toEqual([
      { action: "s3:GetObject", resources: ["arn:aws:s3:::src/from here"] },
      { action: "s3:PutObject", resources: ["arn:aws:s3:::dst/to"] },
    ]);
    expect(resolved("s3", "CreateMultipartUpload", { Bucket: "b", Key: "k" })[0].action).toBe("s3:PutObject");
    expect(op("s3", "ListObjectsV2").authorize[0].context).toMatchObject({ "s3:prefix": "Prefix", "s3:delimiter": "Delimiter", "s3:max-keys": "MaxKeys" });
    expect(op("s3", "PutObject").authorize[0].requestTags).toBe("Tagging");
  });

  it("SQS: the queue ARN from the QueueUrl; batches authorize the single action", () => {
    const url = `http://127.0.0.1:4566/${A}/jobs`;
    expect(resolved("sqs", "SendMessage", { QueueUrl: url }, "eu-west-1")).toEqual([{ action: "sqs:SendMessage", resources: [`arn:aws:sqs:eu-west-1:${A}:jobs`] }]);
    expect(resolved("sqs", "SendMessageBatch", { QueueUrl: "https://sqs.us-east-1.amazonaws.com/444455556666/q" })).toEqual([{ action: "sqs:SendMessage", resources: ["arn:aws:sqs:us-east-1:444455556666:q"] }]);
    expect(resolved("sqs", "CreateQueue", { QueueName: "new" })).toEqual([{ action: "sqs:CreateQueue", resources: [`arn:aws:sqs:us-east-1:${A}:new`] }]);
    expect(resolved("sqs", "ListQueues", {})).toEqual([{ action: "sqs:ListQueues", resources: ["*"] }]);
    // A URL without an account segment is the caller's queue; a trailing slash is ignored.
    expect(resolved("sqs", "PurgeQueue", { QueueUrl: "http://localhost:4566/q1" })[0].resources).toEqual([`arn:aws:sqs:us-east-1:${A}:q1`]);
    expect(resolved("sqs", "PurgeQueue", { QueueUrl: `http://localhost:4566/${A}/q2/` })[0].resources).toEqual([`arn:aws:sqs:us-east-1:${A}:q2`]);
    expect(resolved("sqs", "GetQueueUrl", { QueueName: "q", QueueOwnerAWSAccountId: "444455556666" })[0].resources).toEqual(["arn:aws:sqs:us-east-1:444455556666:q"]);
  });

  it("DynamoDB and Lambda: tables and functions from names, ARNs and batches", () => {
    expect(resolved("dynamodb", "PutItem", { TableName: "T" })).toEqual([{ action: "dynamodb:PutItem", resources: [`arn:aws:dynamodb:us-east-1:${A}:table/T`] }]);
    expect(resolved("dynamodb", "BatchGetItem", { RequestItems: { T1: {}, T2: {} } })[0].resources).toEqual([`arn:aws:dynamodb:us-east-1:${A}:table/T1`, `arn:aws:dynamodb:us-east-1:${A}:table/T2`]);
    expect(resolved("lambda", "Invoke", { FunctionName: "fn" })).toEqual([{ action: "lambda:InvokeFunction", resources: [`arn:aws:lambda:us-east-1:${A}:function:fn`] }]);
    expect(resolved("lambda", "Invoke", { FunctionName: `arn:aws:lambda:us-east-1:444455556666:function:fn:prod` })[0].resources).toEqual(["arn:aws:lambda:us-east-1:444455556666:function:fn"]);
    expect(resolved("lambda", "GetFunction", { FunctionName: `${A}:function:fn` })[0].resources).toEqual([`arn:aws:lambda:us-east-1:${A}:function:fn`]);
  });

  it("STS: GetCallerIdentity needs no permission; AssumeRole is the handler's", () => {
    expect(op("sts", "GetCallerIdentity").skip).toBe("none");
    expect(op("sts", "AssumeRole").skip).toBe("handler");
  });

  it("accountOfArn", () => {
    expect(accountOfArn(`arn:aws:sqs:us-east-1:${A}:q`)).toBe(A);
    expect(accountOfArn("arn:aws:s3:::b/k")).toBeUndefined();
    expect(accountOfArn("*")).toBeUndefined();
  });
});

describe("access-denied errors", () => {
  const user: Principal = { type: "user", accountId: A, arn: `arn:aws:iam::${A}:user/bob`, userId: "AIDAX" };
  const implicit = { decision: "ImplicitDeny", by: "identity" } as const;

  it("AWS's message, S3 quoting the resource", () => {
    expect(denialMessage(user, "s3:PutObject", "arn:aws:s3:::b/k", implicit, true)).toBe(
      `User: arn:aws:iam::${A}:user/bob is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action`,
    );
    expect(denialMessage(user, "dynamodb:GetItem", "arn:t", { decision: "ExplicitDeny", by: "resource" })).toBe(
      `User: arn:aws:iam::${A}:user/bob is not authorized to perform: dynamodb:GetItem on resource: arn:t with an explicit deny in a resource-based policy`,
    );
    expect(denialMessage(user, "s3:GetObject", "x", { decision: "ImplicitDeny", by: "boundary" })).toMatch(/because no permissions boundary allows the s3:GetObject action$/);
    expect(denialMessage(user, "s3:GetObject", "x", { decision: "ExplicitDeny", by: "session" })).toMatch(/with an explicit deny in a session policy$/);
    expect(denialMessage(user, "s3:GetObject", "x", { decision: "ExplicitDeny", by: "identity" })).toMatch(/with an explicit deny in an identity-based policy$/);
  });

  it("codes and statuses per protocol", () => {
    const base = { principal: user, action: "x:Y", resource: "r", decision: implicit, context: {}, queryCompatible: false };
    const s3 = accessDeniedError({ ...base, service: "s3", protocol: "restXml" });
    expect([s3.code, s3.status]).toEqual(["AccessDenied", 403]);
    const ddb = accessDeniedError({ ...base, service: "dynamodb", protocol: "awsJson1_0" });
    expect([ddb.code, ddb.status]).toEqual(["AccessDeniedException", 400]);
    const lambda = accessDeniedError({ ...base, service: "lambda", protocol: "restJson1" });
    expect([lambda.code, lambda.status]).toEqual(["AccessDeniedException", 403]);
    const iam = accessDeniedError({ ...base, service: "iam", protocol: "awsQuery" });
    expect([iam.code, iam.status]).toEqual(["AccessDenied", 403]);
    const sqs = accessDeniedError({ ...base, action: "sqs:SendMessage", service: "sqs", protocol: "awsJson1_0", queryCompatible: true });
    expect([sqs.code, sqs.status]).toEqual(["AccessDenied", 403]);
    expect(sqs.message).toContain("sqs:sendmessage");
    const ec2 = accessDeniedError({ ...base, action: "ec2:RunInstances", service: "ec2", protocol: "ec2Query", context: { "aws:sourceip": "127.0.0.1" } });
    expect([ec2.code, ec2.status]).toEqual(["UnauthorizedOperation", 403]);
    const m = /^You are not authorized to perform this operation\. User: .* because no identity-based policy allows the ec2:RunInstances action\. Encoded authorization failure message: (\S+)$/.exec(ec2.message);
    expect(m).not.toBeNull();
    const decoded = JSON.parse(decodeAuthorizationMessage(m![1])!);
    expect(decoded).toMatchObject({ allowed: false, explicitDeny: false, context: { action: "ec2:RunInstances", resource: "r", principal: { arn: user.arn } } });
    expect(decoded.context.conditions.items).toEqual([{ key: "aws:sourceip", values: { items: [{ value: "127.0.0.1" }] } }]);
    expect(decodeAuthorizationMessage("garbage")).toBeUndefined();
  });

  it("anonymous S3 callers get the bare Access Denied", () => {
    const anon: Principal = { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" };
    const e = accessDeniedError({ principal: anon, action: "s3:GetObject", resource: "r", decision: { decision: "ImplicitDeny", by: "resource" }, context: {}, queryCompatible: false, service: "s3", protocol: "restXml" });
    expect(e.message).toBe("Access Denied");
  });
});
