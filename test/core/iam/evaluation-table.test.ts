// The evaluation table: cases taken from the IAM User Guide's examples and its evaluation-logic
// flowcharts (policy evaluation logic, single-account and cross-account evaluation, condition
// operators, multi-key/multi-value conditions, set operators, policy variables, Principal and
// NotPrincipal, NotAction/NotResource, permissions boundaries, session policies). Each row is
// one request against one set of policies and the decision AWS documents for it.
import { describe, expect, it } from "vitest";
import { evaluate } from "../../../src/core/iam/evaluate.js";
import type { AuthzRequest, Decision, PolicySet } from "../../../src/core/iam/types.js";
import type { Principal } from "../../../src/core/service.js";
import { A, B, P, P2008, allow, alice, anon, bSession, bob, carol, deny, rootA, rootB, session } from "./support.js";

interface Row {
  id?: string[];
  boundary?: string;
  session?: string[];
  resourcePolicy?: string;
  principal?: Principal;
  action?: string;
  resource?: string;
  account?: string;
  ctx?: Record<string, string | string[]>;
  as?: AuthzRequest["as"];
}
type Case = [name: string, expected: Decision["decision"], row: Row, by?: Decision["by"]];

const OBJ = "arn:aws:s3:::bucket/key";
const BUCKET = "arn:aws:s3:::bucket";
const Q = `arn:aws:sqs:us-east-1:${A}:queue1`;
const R = (principal: unknown, effect: "Allow" | "Deny" = "Allow", action: unknown = "s3:GetObject", resource: unknown = OBJ, extra = {}) => ({ Effect: effect, Principal: principal, Action: action, Resource: resource, ...extra });
const NOW = "2026-11-22T08:00:00Z";

const cases: Case[] = [
  // 1. The flowchart: implicit deny, explicit allow, explicit deny overrides.
  ["no policy at all: implicit deny", "ImplicitDeny", {}, "identity"],
  ["an identity policy allows", "Allow", { id: [P(allow("s3:GetObject"))] }, "identity"],
  ["allow and deny in one policy: deny wins", "ExplicitDeny", { id: [P(allow("s3:GetObject"), deny("s3:GetObject"))] }, "identity"],
  ["deny first, allow second: order does not matter", "ExplicitDeny", { id: [P(deny("s3:*"), allow("*"))] }, "identity"],
  ["deny in a second policy overrides the first's allow", "ExplicitDeny", { id: [P(allow("*")), P(deny("s3:GetObject", OBJ))] }, "identity"],
  ["allow of another action: implicit deny", "ImplicitDeny", { id: [P(allow("s3:PutObject"))] }, "identity"],
  ["allow on another resource: implicit deny", "ImplicitDeny", { id: [P(allow("s3:GetObject", "arn:aws:s3:::other/*"))] }, "identity"],
  ["a deny of an unrelated action leaves the allow", "Allow", { id: [P(allow("s3:*"), deny("s3:DeleteObject"))] }],
  ["a deny whose condition is false does not apply", "Allow", { id: [P(allow("s3:*"), deny("s3:*", "*", { Condition: { StringEquals: { "aws:username": "mallory" } } }))] }],
  ["Action * Resource * allows anything", "Allow", { id: [P(allow("*"))], action: "dynamodb:PutItem", resource: `arn:aws:dynamodb:us-east-1:${A}:table/T` }],
  ["one matching statement among several suffices", "Allow", { id: [P(allow("sqs:*"), allow("ec2:*"), allow("s3:GetObject", OBJ))] }],
  ["one allowing policy among several suffices", "Allow", { id: [P(allow("sqs:*")), P(allow("s3:Get*"))] }],
  ["empty identity list with a boundary that allows: still implicit deny", "ImplicitDeny", { id: [], boundary: P(allow("*")) }, "identity"],
  ["Statement as a single object (not a list)", "Allow", { id: [JSON.stringify({ Version: "2012-10-17", Statement: allow("s3:GetObject") })] }],
  ["root of the resource's account: allowed without policies", "Allow", { principal: rootA }],
  ["root of the resource's account: a resource-policy deny binds it", "ExplicitDeny", { principal: rootA, resourcePolicy: P(R("*", "Deny")) }, "resource"],
  ["root: a resource policy allowing someone else does not stop it", "Allow", { principal: rootA, resourcePolicy: P(R({ AWS: bob.arn })) }],
  ["root: identity policies are not consulted", "Allow", { principal: rootA, id: [P(deny("*"))] }],
  ["anonymous with no resource policy: denied", "ImplicitDeny", { principal: anon }, "resource"],
  ["anonymous, resource policy Principal \"*\": allowed", "Allow", { principal: anon, resourcePolicy: P(R("*")) }, "resource"],
  ["anonymous, resource policy Principal {AWS:\"*\"}: allowed", "Allow", { principal: anon, resourcePolicy: P(R({ AWS: "*" })) }],
  ["anonymous, resource policy naming an account: denied", "ImplicitDeny", { principal: anon, resourcePolicy: P(R({ AWS: A })) }, "resource"],
  ["anonymous, public allow plus a deny for everyone: deny", "ExplicitDeny", { principal: anon, resourcePolicy: P(R("*"), R("*", "Deny")) }, "resource"],
  ["anonymous, public read does not grant write", "ImplicitDeny", { principal: anon, resourcePolicy: P(R("*")), action: "s3:PutObject" }],
  ["anonymous, public read with a SourceIp condition that holds", "Allow", { principal: anon, resourcePolicy: P(R("*", "Allow", "s3:GetObject", OBJ, { Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } } })), ctx: { "aws:SourceIp": "192.0.2.7" } }],

  // 2. Action matching: case-insensitive, * and ? wildcards, vendor prefixes.
  ["s3:* covers s3:GetObject", "Allow", { id: [P(allow("s3:*"))] }],
  ["s3:Get* covers s3:GetObject", "Allow", { id: [P(allow("s3:Get*"))] }],
  ["s3:Get* does not cover s3:PutObject", "ImplicitDeny", { id: [P(allow("s3:Get*"))], action: "s3:PutObject" }],
  ["actions are case-insensitive: S3:GETOBJECT", "Allow", { id: [P(allow("S3:GETOBJECT"))] }],
  ["actions are case-insensitive: s3:getobject", "Allow", { id: [P(allow("s3:getobject"))] }],
  ["the request's action case does not matter either", "Allow", { id: [P(allow("s3:GetObject"))], action: "S3:getObject" }],
  ["? matches one character: s3:?etObject", "Allow", { id: [P(allow("s3:?etObject"))] }],
  ["? matches exactly one: s3:G?Object does not", "ImplicitDeny", { id: [P(allow("s3:G?Object"))] }],
  ["several wildcards: s3:G*t*", "Allow", { id: [P(allow("s3:G*t*"))] }],
  ["s3:*Object covers s3:PutObject", "Allow", { id: [P(allow("s3:*Object"))], action: "s3:PutObject" }],
  ["s3:*Object does not cover s3:ListBucket", "ImplicitDeny", { id: [P(allow("s3:*Object"))], action: "s3:ListBucket", resource: BUCKET }],
  ["sqs:* does not cover s3 actions", "ImplicitDeny", { id: [P(allow("sqs:*"))] }],
  ["*:GetObject: a wildcard vendor", "Allow", { id: [P(allow("*:GetObject"))] }],
  ["s3:GetObject* covers s3:GetObjectVersion", "Allow", { id: [P(allow("s3:GetObject*"))], action: "s3:GetObjectVersion" }],
  ["s3:GetObject does not cover s3:GetObjectVersion", "ImplicitDeny", { id: [P(allow("s3:GetObject"))], action: "s3:GetObjectVersion" }],
  ["s3:Get without a wildcard is not a prefix", "ImplicitDeny", { id: [P(allow("s3:Get"))] }],
  ["a list of actions: any one matches", "Allow", { id: [P(allow(["sqs:SendMessage", "s3:GetObject"]))] }],
  ["a list of actions: none matches", "ImplicitDeny", { id: [P(allow(["sqs:SendMessage", "s3:PutObject"]))] }],
  ["sqs:Send* covers SendMessage", "Allow", { id: [P(allow("sqs:Send*", Q))], action: "sqs:SendMessage", resource: Q }],
  ["iam:*AccessKey* covers iam:CreateAccessKey", "Allow", { id: [P(allow("iam:*AccessKey*"))], action: "iam:CreateAccessKey", resource: `arn:aws:iam::${A}:user/alice` }],
  ["a vendor is not a prefix of another: s3* vendor", "Allow", { id: [P(allow("s3*:GetObject"))] }],
  ["deny s3:Delete* blocks DeleteObject under Allow *", "ExplicitDeny", { id: [P(allow("*"), deny("s3:Delete*"))], action: "s3:DeleteObject" }],

  // 3. NotAction.
  ["Allow NotAction iam:*: s3 allowed", "Allow", { id: [P({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })] }],
  ["Allow NotAction iam:*: iam not allowed", "ImplicitDeny", { id: [P({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })], action: "iam:CreateUser", resource: `arn:aws:iam::${A}:user/x` }],
  ["Allow NotAction s3:*: s3:GetObject not allowed", "ImplicitDeny", { id: [P({ Effect: "Allow", NotAction: "s3:*", Resource: "*" })] }],
  ["NotAction is case-insensitive too", "ImplicitDeny", { id: [P({ Effect: "Allow", NotAction: "S3:*", Resource: "*" })] }],
  ["Deny NotAction iam:*: s3 denied even under Allow *", "ExplicitDeny", { id: [P(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*" })] }],
  ["Deny NotAction iam:*: iam still allowed", "Allow", { id: [P(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*" })], action: "iam:ListUsers" }],
  ["Deny NotAction list: a listed action escapes", "Allow", { id: [P(allow("*"), { Effect: "Deny", NotAction: ["iam:*", "sts:GetSessionToken"], Resource: "*" })], action: "sts:GetSessionToken" }],
  ["the docs' MFA example: deny everything but IAM without MFA (key false)", "ExplicitDeny", { id: [P(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } })], ctx: { "aws:MultiFactorAuthPresent": "false" } }],
  ["the MFA example: key absent (long-term keys) also denied", "ExplicitDeny", { id: [P(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } })] }],
  ["the MFA example: with MFA the deny does not apply", "Allow", { id: [P(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } })], ctx: { "aws:MultiFactorAuthPresent": "true" } }],
  ["NotAction with NotResource: outside both", "Allow", { id: [P({ Effect: "Allow", NotAction: "iam:*", NotResource: "arn:aws:s3:::secret/*" })] }],
  ["NotAction with NotResource: the excluded resource", "ImplicitDeny", { id: [P({ Effect: "Allow", NotAction: "iam:*", NotResource: "arn:aws:s3:::bucket/*" })] }],

  // 4. Resource matching: case-sensitive, wildcards.
  ["bucket/* covers an object", "Allow", { id: [P(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] }],
  ["bucket/* covers nested keys", "Allow", { id: [P(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))], resource: "arn:aws:s3:::bucket/a/b/c.txt" }],
  ["bucket/* does not cover the bucket itself", "ImplicitDeny", { id: [P(allow("s3:ListBucket", "arn:aws:s3:::bucket/*"))], action: "s3:ListBucket", resource: BUCKET }],
  ["the bucket ARN covers the bucket", "Allow", { id: [P(allow("s3:ListBucket", BUCKET))], action: "s3:ListBucket", resource: BUCKET }],
  ["the bucket ARN does not cover its objects", "ImplicitDeny", { id: [P(allow("s3:GetObject", BUCKET))] }],
  ["resources are case-sensitive: Bucket/* vs bucket/key", "ImplicitDeny", { id: [P(allow("s3:GetObject", "arn:aws:s3:::Bucket/*"))] }],
  ["resources are case-sensitive: key vs KEY", "ImplicitDeny", { id: [P(allow("s3:GetObject", "arn:aws:s3:::bucket/KEY"))] }],
  ["? in a resource matches one character", "Allow", { id: [P(allow("s3:GetObject", "arn:aws:s3:::bucket/k?y"))] }],
  ["arn:aws:s3:::* covers every object", "Allow", { id: [P(allow("s3:GetObject", "arn:aws:s3:::*"))] }],
  ["a wildcard in the resource part crosses /", "Allow", { id: [P(allow("s3:GetObject", "arn:aws:s3:::buck*"))] }],
  ["region wildcard for a queue", "Allow", { id: [P(allow("sqs:*", `arn:aws:sqs:*:${A}:queue1`))], action: "sqs:SendMessage", resource: Q }],
  ["region and account wildcards, queue prefix", "Allow", { id: [P(allow("sqs:*", "arn:aws:sqs:us-*:*:queue*"))], action: "sqs:SendMessage", resource: Q }],
  ["account part does not match another account", "ImplicitDeny", { id: [P(allow("sqs:*", `arn:aws:sqs:*:${A}:*`))], action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-1:${B}:q`, account: B }],
  ["a table ARN does not cover its indexes", "ImplicitDeny", { id: [P(allow("dynamodb:Query", `arn:aws:dynamodb:us-east-1:${A}:table/Books`))], action: "dynamodb:Query", resource: `arn:aws:dynamodb:us-east-1:${A}:table/Books/index/ByAuthor` }],
  ["table/Books* covers its indexes", "Allow", { id: [P(allow("dynamodb:Query", `arn:aws:dynamodb:us-east-1:${A}:table/Books*`))], action: "dynamodb:Query", resource: `arn:aws:dynamodb:us-east-1:${A}:table/Books/index/ByAuthor` }],
  ["a list of resources: one matches", "Allow", { id: [P(allow("s3:GetObject", ["arn:aws:s3:::x/*", "arn:aws:s3:::bucket/*"]))] }],
  ["Resource * covers any ARN", "Allow", { id: [P(allow("s3:GetObject", "*"))] }],
  ["user/* covers users with paths", "Allow", { id: [P(allow("iam:GetUser", `arn:aws:iam::${A}:user/*`))], action: "iam:GetUser", resource: `arn:aws:iam::${A}:user/division/carol` }],
  ["a deny on one prefix only", "ExplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/*"), deny("s3:*", "arn:aws:s3:::bucket/private/*"))], resource: "arn:aws:s3:::bucket/private/x" }],
  ["the deny on a prefix leaves the rest", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/*"), deny("s3:*", "arn:aws:s3:::bucket/private/*"))], resource: "arn:aws:s3:::bucket/public/x" }],
  ["a Lambda function ARN exactly", "Allow", { id: [P(allow("lambda:InvokeFunction", `arn:aws:lambda:us-east-1:${A}:function:fn`))], action: "lambda:InvokeFunction", resource: `arn:aws:lambda:us-east-1:${A}:function:fn` }],
  ["a Lambda function ARN does not cover another function", "ImplicitDeny", { id: [P(allow("lambda:InvokeFunction", `arn:aws:lambda:us-east-1:${A}:function:fn`))], action: "lambda:InvokeFunction", resource: `arn:aws:lambda:us-east-1:${A}:function:fn2` }],

  // 5. NotResource.
  ["Allow s3:* NotResource secret bucket: other objects allowed", "Allow", { id: [P({ Effect: "Allow", Action: "s3:*", NotResource: ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"] })] }],
  ["Allow s3:* NotResource secret bucket: the secret is not", "ImplicitDeny", { id: [P({ Effect: "Allow", Action: "s3:*", NotResource: ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"] })], resource: "arn:aws:s3:::secret/k" }],
  ["Deny NotResource: everything but the listed resource is denied", "ExplicitDeny", { id: [P(allow("s3:*"), { Effect: "Deny", Action: "s3:*", NotResource: "arn:aws:s3:::allowed/*" })] }],
  ["Deny NotResource: the listed resource escapes the deny", "Allow", { id: [P(allow("s3:*"), { Effect: "Deny", Action: "s3:*", NotResource: "arn:aws:s3:::bucket/*" })] }],
  ["NotResource is case-sensitive", "Allow", { id: [P({ Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::BUCKET/*" })] }],
  ["NotResource * excludes everything", "ImplicitDeny", { id: [P({ Effect: "Allow", Action: "s3:*", NotResource: "*" })] }],
  ["Deny NotResource with a region wildcard", "ExplicitDeny", { id: [P(allow("*"), { Effect: "Deny", Action: "sqs:*", NotResource: "arn:aws:sqs:eu-*:*:*" })], action: "sqs:SendMessage", resource: Q }],

  // 6. String condition operators.
  ["StringEquals aws:username matches", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice" } } }))], ctx: { "aws:username": "alice" } }],
  ["StringEquals aws:username other user", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice" } } }))], ctx: { "aws:username": "bob" } }],
  ["StringEquals is case-sensitive", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "Alice" } } }))], ctx: { "aws:username": "alice" } }],
  ["StringEquals: several values are OR", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": ["bob", "alice"] } } }))], ctx: { "aws:username": "alice" } }],
  ["StringEquals: key absent is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:PrincipalTag/team": "x" } } }))] }],
  ["StringEqualsIfExists: key absent is true", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEqualsIfExists: { "ec2:InstanceType": "t3.micro" } } }))] }],
  ["StringEqualsIfExists: key present must match", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEqualsIfExists: { "ec2:InstanceType": "t3.micro" } } }))], ctx: { "ec2:InstanceType": "m5.large" } }],
  ["StringEqualsIgnoreCase", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEqualsIgnoreCase: { "aws:username": "ALICE" } } }))], ctx: { "aws:username": "alice" } }],
  ["StringNotEquals: value not listed", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringNotEquals: { "aws:username": ["bob", "carol"] } } }))], ctx: { "aws:username": "alice" } }],
  ["StringNotEquals: value listed", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringNotEquals: { "aws:username": ["bob", "alice"] } } }))], ctx: { "aws:username": "alice" } }],
  ["StringNotEquals: key absent is true", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringNotEquals: { "aws:PrincipalTag/team": "x" } } }))] }],
  ["StringNotEqualsIgnoreCase", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringNotEqualsIgnoreCase: { "aws:username": "ALICE" } } }))], ctx: { "aws:username": "alice" } }],
  ["StringLike s3:prefix home/*", "Allow", { id: [P(allow("s3:ListBucket", BUCKET, { Condition: { StringLike: { "s3:prefix": "home/*" } } }))], action: "s3:ListBucket", resource: BUCKET, ctx: { "s3:prefix": "home/alice/" } }],
  ["StringLike s3:prefix outside", "ImplicitDeny", { id: [P(allow("s3:ListBucket", BUCKET, { Condition: { StringLike: { "s3:prefix": "home/*" } } }))], action: "s3:ListBucket", resource: BUCKET, ctx: { "s3:prefix": "public/" } }],
  ["StringLike with ?", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringLike: { "aws:username": "al?ce" } } }))], ctx: { "aws:username": "alice" } }],
  ["StringLike is case-sensitive", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringLike: { "aws:username": "AL*" } } }))], ctx: { "aws:username": "alice" } }],
  ["StringNotLike: no value matches", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringNotLike: { "s3:prefix": ["private/*", "secret/*"] } } }))], ctx: { "s3:prefix": "public/" } }],
  ["StringNotLike: a value matches", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringNotLike: { "s3:prefix": ["private/*", "secret/*"] } } }))], ctx: { "s3:prefix": "secret/x" } }],
  ["StringEquals with StringLike's wildcard is literal", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "al*" } } }))], ctx: { "aws:username": "alice" } }],
  ["condition keys are case-insensitive", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "AWS:UserName": "alice" } } }))], ctx: { "aws:username": "alice" } }],
  ["request keys in any case", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice" } } }))], ctx: { "AWS:USERNAME": "alice" } }],
  ["two keys under one operator: both must hold", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice", "aws:PrincipalTag/team": "blue" } } }))], ctx: { "aws:username": "alice", "aws:PrincipalTag/team": "blue" } }],
  ["two keys under one operator: one fails", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice", "aws:PrincipalTag/team": "blue" } } }))], ctx: { "aws:username": "alice", "aws:PrincipalTag/team": "red" } }],
  ["two operators: both must hold", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice" }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }))], ctx: { "aws:username": "alice", "aws:SourceIp": "10.1.2.3" } }],
  ["two operators: one fails", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:username": "alice" }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }))], ctx: { "aws:username": "alice", "aws:SourceIp": "192.168.1.1" } }],
  ["a number written in the policy compares as text", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "s3:max-keys": 10 } } }))], ctx: { "s3:max-keys": "10" } }],
  ["aws:PrincipalTag equality (ABAC)", "Allow", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:ResourceTag/project": "${aws:PrincipalTag/project}" } } }))], ctx: { "aws:PrincipalTag/project": "apollo", "aws:ResourceTag/project": "apollo" } }],
  ["ABAC: tags differ", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:ResourceTag/project": "${aws:PrincipalTag/project}" } } }))], ctx: { "aws:PrincipalTag/project": "apollo", "aws:ResourceTag/project": "gemini" } }],
  ["ABAC: principal has no tag", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { StringEquals: { "aws:ResourceTag/project": "${aws:PrincipalTag/project}" } } }))], ctx: { "aws:ResourceTag/project": "apollo" } }],
  ["aws:RequestTag on create", "Allow", { id: [P(allow("sqs:CreateQueue", "*", { Condition: { StringEquals: { "aws:RequestTag/env": "dev" } } }))], action: "sqs:CreateQueue", resource: Q, ctx: { "aws:RequestTag/env": "dev" } }],
  ["deny on aws:RequestedRegion outside a list", "ExplicitDeny", { id: [P(allow("*"), deny("*", "*", { Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } } }))], ctx: { "aws:RequestedRegion": "us-east-1" } }],
  ["deny on aws:RequestedRegion: inside the list", "Allow", { id: [P(allow("*"), deny("*", "*", { Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } } }))], ctx: { "aws:RequestedRegion": "eu-west-1" } }],

  // 7. Numeric operators.
  ["NumericLessThanEquals s3:max-keys 10 with 5", "Allow", { id: [P(allow("s3:ListBucket", "*", { Condition: { NumericLessThanEquals: { "s3:max-keys": "10" } } }))], action: "s3:ListBucket", ctx: { "s3:max-keys": "5" } }],
  ["NumericLessThanEquals with 10", "Allow", { id: [P(allow("s3:ListBucket", "*", { Condition: { NumericLessThanEquals: { "s3:max-keys": "10" } } }))], action: "s3:ListBucket", ctx: { "s3:max-keys": "10" } }],
  ["NumericLessThanEquals with 20", "ImplicitDeny", { id: [P(allow("s3:ListBucket", "*", { Condition: { NumericLessThanEquals: { "s3:max-keys": "10" } } }))], action: "s3:ListBucket", ctx: { "s3:max-keys": "20" } }],
  ["NumericLessThan is strict", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { NumericLessThan: { "s3:max-keys": "10" } } }))], ctx: { "s3:max-keys": "10" } }],
  ["NumericGreaterThan", "Allow", { id: [P(allow("s3:*", "*", { Condition: { NumericGreaterThan: { "s3:max-keys": "10" } } }))], ctx: { "s3:max-keys": "11" } }],
  ["NumericGreaterThanEquals", "Allow", { id: [P(allow("s3:*", "*", { Condition: { NumericGreaterThanEquals: { "s3:max-keys": 10 } } }))], ctx: { "s3:max-keys": "10" } }],
  ["NumericEquals", "Allow", { id: [P(allow("s3:*", "*", { Condition: { NumericEquals: { "s3:max-keys": "10" } } }))], ctx: { "s3:max-keys": "10.0" } }],
  ["NumericNotEquals", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { NumericNotEquals: { "s3:max-keys": "10" } } }))], ctx: { "s3:max-keys": "10" } }],
  ["Numeric with a non-number request value is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { NumericLessThan: { "s3:max-keys": "10" } } }))], ctx: { "s3:max-keys": "ten" } }],
  ["Numeric with the key absent is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { NumericLessThan: { "s3:max-keys": "10" } } }))] }],
  ["NumericLessThanIfExists with the key absent is true", "Allow", { id: [P(allow("s3:*", "*", { Condition: { NumericLessThanIfExists: { "s3:max-keys": "10" } } }))] }],

  // 8. Date operators.
  ["DateGreaterThan aws:CurrentTime after", "Allow", { id: [P(allow("s3:*", "*", { Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["DateLessThan aws:CurrentTime expired", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { DateLessThan: { "aws:CurrentTime": "2020-06-30T00:00:00Z" } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["a date window (the docs' example)", "Allow", { id: [P(allow("s3:*", "*", { Condition: { DateGreaterThan: { "aws:CurrentTime": "2026-01-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "2026-12-31T23:59:59Z" } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["a date window already closed", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { DateGreaterThan: { "aws:CurrentTime": "2025-01-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "2025-12-31T23:59:59Z" } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["dates as epoch seconds in the policy", "Allow", { id: [P(allow("s3:*", "*", { Condition: { DateGreaterThan: { "aws:CurrentTime": "1577836800" } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["aws:EpochTime against an ISO date", "Allow", { id: [P(allow("s3:*", "*", { Condition: { DateGreaterThanEquals: { "aws:EpochTime": "2026-11-22T00:00:00Z" } } }))], ctx: { "aws:EpochTime": String(Date.parse(NOW) / 1000) } }],
  ["DateEquals: same instant in two notations", "Allow", { id: [P(allow("s3:*", "*", { Condition: { DateEquals: { "aws:TokenIssueTime": "2026-11-22T08:00:00Z" } } }))], ctx: { "aws:TokenIssueTime": "2026-11-22T08:00:00.000Z" } }],
  ["DateNotEquals", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { DateNotEquals: { "aws:CurrentTime": NOW } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["DateLessThanEquals at the boundary", "Allow", { id: [P(allow("s3:*", "*", { Condition: { DateLessThanEquals: { "aws:CurrentTime": NOW } } }))], ctx: { "aws:CurrentTime": NOW } }],
  ["Date with the key absent is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { DateGreaterThan: { "aws:TokenIssueTime": "2020-01-01T00:00:00Z" } } }))] }],
  ["deny credentials issued before a date (revoke older sessions)", "ExplicitDeny", { principal: session, id: [P(allow("*"), deny("*", "*", { Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-22T07:00:00Z" } } }))], ctx: { "aws:TokenIssueTime": "2026-11-22T06:00:00Z" } }],

  // 9. Bool and Binary.
  ["deny aws:SecureTransport false: plain HTTP denied", "ExplicitDeny", { id: [P(allow("*"), deny("s3:*", "*", { Condition: { Bool: { "aws:SecureTransport": "false" } } }))], ctx: { "aws:SecureTransport": "false" } }],
  ["deny aws:SecureTransport false: HTTPS allowed", "Allow", { id: [P(allow("*"), deny("s3:*", "*", { Condition: { Bool: { "aws:SecureTransport": "false" } } }))], ctx: { "aws:SecureTransport": "true" } }],
  ["Bool value as a JSON boolean", "Allow", { id: [P(allow("s3:*", "*", { Condition: { Bool: { "aws:SecureTransport": true } } }))], ctx: { "aws:SecureTransport": "true" } }],
  ["Bool: key absent is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }))] }],
  ["Bool is case-insensitive on the value", "Allow", { id: [P(allow("s3:*", "*", { Condition: { Bool: { "aws:MultiFactorAuthPresent": "TRUE" } } }))], ctx: { "aws:MultiFactorAuthPresent": "true" } }],
  ["BinaryEquals matches base64", "Allow", { id: [P(allow("s3:*", "*", { Condition: { BinaryEquals: { "x:blob": "QmluYXJ5VmFsdWU=" } } }))], ctx: { "x:blob": "QmluYXJ5VmFsdWU=" } }],
  ["BinaryEquals differs", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { BinaryEquals: { "x:blob": "QmluYXJ5VmFsdWU=" } } }))], ctx: { "x:blob": "T3RoZXI=" } }],

  // 10. IP address operators.
  ["IpAddress inside the CIDR", "Allow", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }))], ctx: { "aws:SourceIp": "203.0.113.77" } }],
  ["IpAddress outside the CIDR", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }))], ctx: { "aws:SourceIp": "203.0.114.1" } }],
  ["IpAddress: one of several ranges", "Allow", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] } } }))], ctx: { "aws:SourceIp": "192.0.2.1" } }],
  ["IpAddress: a single address without a mask", "Allow", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "198.51.100.7" } } }))], ctx: { "aws:SourceIp": "198.51.100.7" } }],
  ["IpAddress /32 excludes the neighbour", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "198.51.100.7/32" } } }))], ctx: { "aws:SourceIp": "198.51.100.8" } }],
  ["IpAddress IPv6 range", "Allow", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "2001:DB8:1234:5678::/64" } } }))], ctx: { "aws:SourceIp": "2001:db8:1234:5678::abcd" } }],
  ["IpAddress IPv6 outside", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "2001:DB8:1234:5678::/64" } } }))], ctx: { "aws:SourceIp": "2001:db8:1234:5679::1" } }],
  ["IpAddress: IPv4 request against an IPv6 range", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "2001:DB8::/32" } } }))], ctx: { "aws:SourceIp": "10.0.0.1" } }],
  ["NotIpAddress deny outside the office", "ExplicitDeny", { id: [P(allow("*"), deny("*", "*", { Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] } } }))], ctx: { "aws:SourceIp": "198.51.100.1" } }],
  ["NotIpAddress deny: inside the office", "Allow", { id: [P(allow("*"), deny("*", "*", { Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] } } }))], ctx: { "aws:SourceIp": "203.0.113.9" } }],
  ["IpAddress with the key absent is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } }))] }],
  ["0.0.0.0/0 covers every IPv4 address", "Allow", { id: [P(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } }))], ctx: { "aws:SourceIp": "127.0.0.1" } }],

  // 11. ARN operators.
  ["ArnLike aws:SourceArn with wildcards", "Allow", { id: [P(allow("sqs:SendMessage", "*", { Condition: { ArnLike: { "aws:SourceArn": `arn:aws:sns:*:${A}:topic*` } } }))], action: "sqs:SendMessage", resource: Q, ctx: { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic-1` } }],
  ["ArnLike: another account", "ImplicitDeny", { id: [P(allow("sqs:SendMessage", "*", { Condition: { ArnLike: { "aws:SourceArn": `arn:aws:sns:*:${A}:topic*` } } }))], action: "sqs:SendMessage", resource: Q, ctx: { "aws:SourceArn": `arn:aws:sns:us-east-1:${B}:topic-1` } }],
  ["ArnEquals exact", "Allow", { id: [P(allow("s3:*", "*", { Condition: { ArnEquals: { "aws:PrincipalArn": alice.arn } } }))], ctx: { "aws:PrincipalArn": alice.arn } }],
  ["ArnEquals differs", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { ArnEquals: { "aws:PrincipalArn": alice.arn } } }))], ctx: { "aws:PrincipalArn": carol.arn } }],
  ["ArnNotEquals deny everyone but one role (the boundary page's advice)", "ExplicitDeny", { id: [P(allow("*"), deny("*", "*", { Condition: { ArnNotEquals: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/Admin` } } }))], ctx: { "aws:PrincipalArn": alice.arn } }],
  ["ArnNotLike: the excepted role", "Allow", { id: [P(allow("*"), deny("*", "*", { Condition: { ArnNotLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/Admin*` } } }))], ctx: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/AdminTeam` } }],
  ["ArnLike: a * in the region part does not swallow the account", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { ArnLike: { "aws:SourceArn": "arn:aws:sns:*:topic" } } }))], ctx: { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` } }],
  ["ArnLike against a value that is not an ARN is false", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { ArnLike: { "aws:SourceArn": "*" } } }))], ctx: { "aws:SourceArn": "not-an-arn" } }],
  ["ArnLikeIfExists with the key absent", "Allow", { id: [P(allow("s3:*", "*", { Condition: { ArnLikeIfExists: { "aws:SourceArn": `arn:aws:sns:*:${A}:*` } } }))] }],

  // 12. Null.
  ["Null true: key absent", "Allow", { id: [P(allow("s3:*", "*", { Condition: { Null: { "aws:TokenIssueTime": "true" } } }))] }],
  ["Null true: key present", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { Null: { "aws:TokenIssueTime": "true" } } }))], ctx: { "aws:TokenIssueTime": NOW } }],
  ["Null false: key present", "Allow", { id: [P(allow("s3:*", "*", { Condition: { Null: { "aws:TokenIssueTime": "false" } } }))], ctx: { "aws:TokenIssueTime": NOW } }],
  ["Null false: key absent", "ImplicitDeny", { id: [P(allow("s3:*", "*", { Condition: { Null: { "aws:TokenIssueTime": "false" } } }))] }],
  ["deny creation without a tag (Null aws:RequestTag true)", "ExplicitDeny", { id: [P(allow("*"), deny("sqs:CreateQueue", "*", { Condition: { Null: { "aws:RequestTag/cost-center": "true" } } }))], action: "sqs:CreateQueue", resource: Q }],
  ["the same request with the tag", "Allow", { id: [P(allow("*"), deny("sqs:CreateQueue", "*", { Condition: { Null: { "aws:RequestTag/cost-center": "true" } } }))], action: "sqs:CreateQueue", resource: Q, ctx: { "aws:RequestTag/cost-center": "42" } }],

  // 13. Set operators on multivalued keys.
  ["ForAllValues:StringEquals: every tag key allowed", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } } }))], ctx: { "aws:TagKeys": ["env"] } }],
  ["ForAllValues:StringEquals: one tag key not allowed", "ImplicitDeny", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } } }))], ctx: { "aws:TagKeys": ["env", "owner"] } }],
  ["ForAllValues: key absent is true (the docs' caution)", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["env"] } } }))] }],
  ["ForAllValues: empty set is true", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["env"] } } }))], ctx: { "aws:TagKeys": [] } }],
  ["ForAnyValue:StringEquals: one value listed", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["env"] } } }))], ctx: { "aws:TagKeys": ["team", "env"] } }],
  ["ForAnyValue:StringEquals: none listed", "ImplicitDeny", { id: [P(allow("*", "*", { Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["env"] } } }))], ctx: { "aws:TagKeys": ["team"] } }],
  ["ForAnyValue: key absent is false", "ImplicitDeny", { id: [P(allow("*", "*", { Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["env"] } } }))] }],
  ["ForAnyValue:StringLike", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAnyValue:StringLike": { "aws:TagKeys": ["cost-*"] } } }))], ctx: { "aws:TagKeys": ["team", "cost-center"] } }],
  ["ForAllValues:StringLike", "ImplicitDeny", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringLike": { "aws:TagKeys": ["cost-*"] } } }))], ctx: { "aws:TagKeys": ["team", "cost-center"] } }],
  ["ForAnyValue:StringNotEquals: some value outside", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["env"] } } }))], ctx: { "aws:TagKeys": ["env", "team"] } }],
  ["ForAllValues:StringNotEquals: deny protected keys (one present)", "ExplicitDeny", { id: [P(allow("*"), deny("*", "*", { Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["protected"] } } }))], ctx: { "aws:TagKeys": ["a", "protected"] } }],
  ["ForAllValues:StringNotEquals: none of the protected keys", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringNotEquals": { "aws:TagKeys": ["protected"] } } }))], ctx: { "aws:TagKeys": ["a", "b"] } }],
  ["ForAllValues with a Null guard (the docs' pattern)", "ImplicitDeny", { id: [P(allow("*", "*", { Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["env"] }, Null: { "aws:TagKeys": "false" } } }))] }],
  ["ForAnyValue:StringEqualsIgnoreCase", "Allow", { id: [P(allow("*", "*", { Condition: { "ForAnyValue:StringEqualsIgnoreCase": { "aws:TagKeys": ["ENV"] } } }))], ctx: { "aws:TagKeys": ["env"] } }],
  ["a multivalued key under a single-valued operator: any value", "Allow", { id: [P(allow("*", "*", { Condition: { StringEquals: { "aws:TagKeys": "env" } } }))], ctx: { "aws:TagKeys": ["team", "env"] } }],

  // 14. Policy variables.
  ["${aws:username} in Resource: own home", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/home/${aws:username}/*"))], resource: "arn:aws:s3:::bucket/home/alice/notes.txt", ctx: { "aws:username": "alice" } }],
  ["${aws:username} in Resource: someone else's home", "ImplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/home/${aws:username}/*"))], resource: "arn:aws:s3:::bucket/home/bob/notes.txt", ctx: { "aws:username": "alice" } }],
  ["${aws:userid} in Resource", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:userid}/*"))], resource: `arn:aws:s3:::bucket/${alice.userId}/x`, ctx: { "aws:userid": alice.userId } }],
  ["${aws:PrincipalTag/team} in Resource", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"))], resource: "arn:aws:s3:::bucket/blue/x", ctx: { "aws:PrincipalTag/team": "blue" } }],
  ["a variable with no value and no default: no match", "ImplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"))], resource: "arn:aws:s3:::bucket/blue/x" }],
  ["a variable's default value", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"))], resource: "arn:aws:s3:::bucket/shared/x" }],
  ["a variable's value wins over its default", "ImplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"))], resource: "arn:aws:s3:::bucket/shared/x", ctx: { "aws:PrincipalTag/team": "blue" } }],
  ["Version 2008-10-17 takes ${...} literally", "ImplicitDeny", { id: [P2008(allow("s3:*", "arn:aws:s3:::bucket/home/${aws:username}/*"))], resource: "arn:aws:s3:::bucket/home/alice/x", ctx: { "aws:username": "alice" } }],
  ["${*} is a literal asterisk, not a wildcard", "ImplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${*}"))], resource: "arn:aws:s3:::bucket/anything" }],
  ["${*} matches an asterisk", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${*}"))], resource: "arn:aws:s3:::bucket/*" }],
  ["${?} matches a question mark only", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/what${?}"))], resource: "arn:aws:s3:::bucket/what?" }],
  ["${$} matches a dollar", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${$}price"))], resource: "arn:aws:s3:::bucket/$price" }],
  ["a variable in a StringLike condition (the docs' home-folder listing)", "Allow", { id: [P(allow("s3:ListBucket", BUCKET, { Condition: { StringLike: { "s3:prefix": ["", "home/", "home/${aws:username}/*"] } } }))], action: "s3:ListBucket", resource: BUCKET, ctx: { "s3:prefix": "home/alice/docs/", "aws:username": "alice" } }],
  ["the home-folder listing: another user's folder", "ImplicitDeny", { id: [P(allow("s3:ListBucket", BUCKET, { Condition: { StringLike: { "s3:prefix": ["", "home/", "home/${aws:username}/*"] } } }))], action: "s3:ListBucket", resource: BUCKET, ctx: { "s3:prefix": "home/bob/", "aws:username": "alice" } }],
  ["a substituted value is literal: a username with * matches only itself", "ImplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:username}"))], resource: "arn:aws:s3:::bucket/anything", ctx: { "aws:username": "*" } }],
  ["a multivalued key cannot be a variable", "ImplicitDeny", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:TagKeys}"))], resource: "arn:aws:s3:::bucket/env", ctx: { "aws:TagKeys": ["env"] } }],
  ["variable names are case-insensitive", "Allow", { id: [P(allow("s3:*", "arn:aws:s3:::bucket/${AWS:UserName}/*"))], resource: "arn:aws:s3:::bucket/alice/x", ctx: { "aws:username": "alice" } }],
  ["a variable in StringEquals", "Allow", { id: [P(allow("iam:ChangePassword", "*", { Condition: { StringEquals: { "x:owner": "${aws:username}" } } }))], action: "iam:ChangePassword", ctx: { "x:owner": "alice", "aws:username": "alice" } }],
  ["a variable in ArnEquals", "Allow", { id: [P(allow("s3:*", "*", { Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/alice" } } }))], ctx: { "aws:PrincipalArn": alice.arn, "aws:PrincipalAccount": A } }],
  ["an IAM user manages only their own keys (iam user/${aws:username})", "Allow", { id: [P(allow("iam:*AccessKey*", "arn:aws:iam::*:user/${aws:username}"))], action: "iam:CreateAccessKey", resource: `arn:aws:iam::${A}:user/alice`, ctx: { "aws:username": "alice" } }],

  // 15. Principal in resource-based policies, same account.
  ["bucket policy naming the user: allowed without an identity policy", "Allow", { resourcePolicy: P(R({ AWS: alice.arn })) }, "resource"],
  ["bucket policy naming another user: implicit deny", "ImplicitDeny", { resourcePolicy: P(R({ AWS: carol.arn })) }, "identity"],
  ["bucket policy naming the account only: identity policy still needed", "ImplicitDeny", { resourcePolicy: P(R({ AWS: `arn:aws:iam::${A}:root` })) }, "identity"],
  ["bucket policy naming the account (bare id) plus an identity allow", "Allow", { resourcePolicy: P(R({ AWS: A })), id: [P(allow("s3:GetObject"))] }],
  ["bucket policy Principal * grants users of the account", "Allow", { resourcePolicy: P(R("*")) }, "resource"],
  ["a resource policy allow on another action grants nothing", "ImplicitDeny", { resourcePolicy: P(R({ AWS: alice.arn }, "Allow", "s3:PutObject")) }],
  ["a resource policy allow on another resource grants nothing", "ImplicitDeny", { resourcePolicy: P(R({ AWS: alice.arn }, "Allow", "s3:GetObject", "arn:aws:s3:::other/*")) }],
  ["the user's unique id in Principal", "Allow", { resourcePolicy: P(R({ AWS: alice.userId })) }],
  ["a list of principals", "Allow", { resourcePolicy: P(R({ AWS: [carol.arn, alice.arn] })) }],
  ["an identity allow is enough when the resource policy is silent", "Allow", { resourcePolicy: P(R({ AWS: carol.arn })), id: [P(allow("s3:GetObject"))] }, "identity"],
  ["an identity deny beats a resource allow", "ExplicitDeny", { resourcePolicy: P(R({ AWS: alice.arn })), id: [P(deny("s3:*"))] }, "identity"],
  ["a resource deny beats an identity allow", "ExplicitDeny", { resourcePolicy: P(R({ AWS: alice.arn }, "Deny")), id: [P(allow("*"))] }, "resource"],
  ["a resource deny for everyone", "ExplicitDeny", { resourcePolicy: P(R("*", "Deny", "s3:*", "arn:aws:s3:::bucket/*")), id: [P(allow("*"))] }, "resource"],
  ["role session: resource policy naming the session ARN", "Allow", { principal: session, resourcePolicy: P(R({ AWS: session.arn })) }, "resource"],
  ["role session: resource policy naming the role ARN", "Allow", { principal: session, resourcePolicy: P(R({ AWS: `arn:aws:iam::${A}:role/Dev` })) }, "resource"],
  ["role session: resource policy naming another role", "ImplicitDeny", { principal: session, resourcePolicy: P(R({ AWS: `arn:aws:iam::${A}:role/Ops` })) }, "identity"],
  ["role session: the role's unique id in Principal", "Allow", { principal: session, resourcePolicy: P(R({ AWS: "AROADEVEXAMPLE0000001" })) }],
  ["a service principal (as.service)", "Allow", { principal: anon, as: { service: "sns.amazonaws.com" }, resourcePolicy: P(R({ Service: "sns.amazonaws.com" }, "Allow", "sqs:SendMessage", Q)), action: "sqs:SendMessage", resource: Q }],
  ["another service principal is not it", "ImplicitDeny", { principal: anon, as: { service: "events.amazonaws.com" }, resourcePolicy: P(R({ Service: "sns.amazonaws.com" }, "Allow", "sqs:SendMessage", Q)), action: "sqs:SendMessage", resource: Q }],
  ["a federated principal in a trust policy", "Allow", { principal: anon, as: { federated: "cognito-identity.amazonaws.com" }, resourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" }, Action: "sts:AssumeRoleWithWebIdentity" }] }), action: "sts:AssumeRoleWithWebIdentity", resource: `arn:aws:iam::${A}:role/Web` }],
  ["a trust policy naming the account: the user's identity policy decides (allow)", "Allow", { resourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "sts:AssumeRole" }] }), id: [P(allow("sts:AssumeRole", `arn:aws:iam::${A}:role/Dev`))], action: "sts:AssumeRole", resource: `arn:aws:iam::${A}:role/Dev` }],
  ["a trust policy naming the account: without an identity policy", "ImplicitDeny", { resourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "sts:AssumeRole" }] }), action: "sts:AssumeRole", resource: `arn:aws:iam::${A}:role/Dev` }, "identity"],
  ["a trust policy with an ExternalId condition that holds", "Allow", { principal: bob, account: A, resourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: B }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": "xyz" } } }] }), id: [P(allow("sts:AssumeRole"))], action: "sts:AssumeRole", resource: `arn:aws:iam::${A}:role/Partner`, ctx: { "sts:ExternalId": "xyz" } }],
  ["a trust policy with a wrong ExternalId", "ImplicitDeny", { principal: bob, account: A, resourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: B }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": "xyz" } } }] }), id: [P(allow("sts:AssumeRole"))], action: "sts:AssumeRole", resource: `arn:aws:iam::${A}:role/Partner`, ctx: { "sts:ExternalId": "abc" } }, "resource"],

  // 16. NotPrincipal.
  ["Deny NotPrincipal [user, account]: that user escapes", "Allow", { resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: [alice.arn, `arn:aws:iam::${A}:root`] }, Action: "s3:*", Resource: "*" }), id: [P(allow("s3:*"))] }],
  ["Deny NotPrincipal [user, account]: another user is denied", "ExplicitDeny", { principal: carol, resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: [alice.arn, `arn:aws:iam::${A}:root`] }, Action: "s3:*", Resource: "*" }), id: [P(allow("s3:*"))] }, "resource"],
  ["Deny NotPrincipal with the user but not the account: the user is denied too", "ExplicitDeny", { resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: [alice.arn] }, Action: "s3:*", Resource: "*" }), id: [P(allow("s3:*"))] }, "resource"],
  ["Deny NotPrincipal for a session: session, role and account listed", "Allow", { principal: session, resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: [session.arn, `arn:aws:iam::${A}:role/Dev`, A] }, Action: "s3:*", Resource: "*" }), id: [P(allow("s3:*"))] }],
  ["Deny NotPrincipal for a session: the role alone is not enough", "ExplicitDeny", { principal: session, resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: [`arn:aws:iam::${A}:role/Dev`, A] }, Action: "s3:*", Resource: "*" }), id: [P(allow("s3:*"))] }, "resource"],
  ["Deny NotPrincipal always denies a principal with a permissions boundary", "ExplicitDeny", { resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: [alice.arn, A] }, Action: "s3:*", Resource: "*" }), id: [P(allow("s3:*"))], boundary: P(allow("s3:*")) }, "resource"],
  ["Deny NotPrincipal: the account's root escapes when listed", "Allow", { principal: rootA, resourcePolicy: P({ Effect: "Deny", NotPrincipal: { AWS: A }, Action: "s3:*", Resource: "*" }) }],
  ["Deny NotPrincipal: anonymous callers are denied", "ExplicitDeny", { principal: anon, resourcePolicy: P(R("*"), { Effect: "Deny", NotPrincipal: { AWS: A }, Action: "s3:*", Resource: "*" }) }, "resource"],

  // 17. Cross-account: both sides must allow.
  ["cross-account: resource policy names the user, identity allows", "Allow", { principal: bob, resourcePolicy: P(R({ AWS: bob.arn })), id: [P(allow("s3:GetObject"))] }],
  ["cross-account: resource policy names the user, no identity policy", "ImplicitDeny", { principal: bob, resourcePolicy: P(R({ AWS: bob.arn })) }, "identity"],
  ["cross-account: identity allows, no resource policy", "ImplicitDeny", { principal: bob, id: [P(allow("s3:*"))] }, "resource"],
  ["cross-account: identity allows, resource policy names someone else", "ImplicitDeny", { principal: bob, id: [P(allow("s3:*"))], resourcePolicy: P(R({ AWS: carol.arn })) }, "resource"],
  ["cross-account: resource policy names the account, identity allows", "Allow", { principal: bob, resourcePolicy: P(R({ AWS: B })), id: [P(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] }],
  ["cross-account: resource policy names the account, identity silent", "ImplicitDeny", { principal: bob, resourcePolicy: P(R({ AWS: `arn:aws:iam::${B}:root` })) }, "identity"],
  ["cross-account: resource policy denies the user", "ExplicitDeny", { principal: bob, resourcePolicy: P(R({ AWS: B }), R({ AWS: bob.arn }, "Deny")), id: [P(allow("*"))] }, "resource"],
  ["cross-account: identity denies", "ExplicitDeny", { principal: bob, resourcePolicy: P(R({ AWS: B })), id: [P(allow("*"), deny("s3:GetObject"))] }, "identity"],
  ["cross-account root: resource policy names its account", "Allow", { principal: rootB, resourcePolicy: P(R({ AWS: B })) }],
  ["cross-account root: no resource policy", "ImplicitDeny", { principal: rootB }, "resource"],
  ["cross-account session: resource policy names the role", "Allow", { principal: bSession, resourcePolicy: P(R({ AWS: `arn:aws:iam::${B}:role/Ops` })), id: [P(allow("s3:*"))] }],
  ["cross-account session: role named, no identity policy", "ImplicitDeny", { principal: bSession, resourcePolicy: P(R({ AWS: `arn:aws:iam::${B}:role/Ops` })) }, "identity"],
  ["cross-account: Principal * plus identity allow", "Allow", { principal: bob, resourcePolicy: P(R("*")), id: [P(allow("s3:*"))] }],
  ["cross-account: Principal * without identity allow", "ImplicitDeny", { principal: bob, resourcePolicy: P(R("*")) }, "identity"],
  ["cross-account: a boundary that does not allow", "ImplicitDeny", { principal: bob, resourcePolicy: P(R({ AWS: bob.arn })), id: [P(allow("s3:*"))], boundary: P(allow("sqs:*")) }, "boundary"],
  ["cross-account: condition on aws:PrincipalAccount in the bucket policy", "Allow", { principal: bob, resourcePolicy: P(R("*", "Allow", "s3:GetObject", OBJ, { Condition: { StringEquals: { "aws:PrincipalAccount": B } } })), id: [P(allow("s3:*"))], ctx: { "aws:PrincipalAccount": B } }],
  ["cross-account: aws:PrincipalOrgID-style condition fails", "ImplicitDeny", { principal: bob, resourcePolicy: P(R("*", "Allow", "s3:GetObject", OBJ, { Condition: { StringEquals: { "aws:PrincipalAccount": A } } })), id: [P(allow("s3:*"))], ctx: { "aws:PrincipalAccount": B } }, "resource"],

  // 18. Permissions boundaries.
  ["boundary and identity both allow", "Allow", { id: [P(allow("s3:*"))], boundary: P(allow("s3:GetObject")) }],
  ["identity allows, boundary does not", "ImplicitDeny", { id: [P(allow("*"))], boundary: P(allow("sqs:*")) }, "boundary"],
  ["boundary allows, identity does not", "ImplicitDeny", { id: [P(allow("sqs:*"))], boundary: P(allow("*")) }, "identity"],
  ["a deny in the boundary", "ExplicitDeny", { id: [P(allow("*"))], boundary: P(allow("*"), deny("s3:GetObject")) }, "boundary"],
  ["the docs' example: boundary s3/cloudwatch/ec2, identity iam:CreateUser", "ImplicitDeny", { id: [P(allow("iam:CreateUser"))], boundary: P(allow(["s3:*", "cloudwatch:*", "ec2:*"])), action: "iam:CreateUser", resource: `arn:aws:iam::${A}:user/x` }, "boundary"],
  ["the docs' example: intersection allows s3", "Allow", { id: [P(allow("*"))], boundary: P(allow(["s3:*", "cloudwatch:*", "ec2:*"])) }],
  ["a boundary limits role sessions too", "ImplicitDeny", { principal: session, id: [P(allow("*"))], boundary: P(allow("sqs:*")) }, "boundary"],
  ["a resource policy naming the user is not limited by the boundary", "Allow", { resourcePolicy: P(R({ AWS: alice.arn })), boundary: P(allow("sqs:*")) }, "resource"],
  ["a resource policy naming the role is limited by the boundary", "ImplicitDeny", { principal: session, resourcePolicy: P(R({ AWS: `arn:aws:iam::${A}:role/Dev` })), boundary: P(allow("sqs:*")) }, "boundary"],
  ["a resource policy naming the session is not limited by the boundary", "Allow", { principal: session, resourcePolicy: P(R({ AWS: session.arn })), boundary: P(allow("sqs:*")) }, "resource"],
  ["a resource policy naming the role, boundary allows: allowed without identity", "Allow", { principal: session, resourcePolicy: P(R({ AWS: `arn:aws:iam::${A}:role/Dev` })), boundary: P(allow("s3:*")) }, "resource"],
  ["boundary with conditions", "ImplicitDeny", { id: [P(allow("*"))], boundary: P(allow("*", "*", { Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } })), ctx: { "aws:RequestedRegion": "us-east-1" } }, "boundary"],
  ["boundary NotAction iam:*: s3 allowed", "Allow", { id: [P(allow("*"))], boundary: P({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }],

  // 19. Session policies.
  ["session policy narrows the role: allowed action", "Allow", { principal: session, id: [P(allow("s3:*"))], session: [P(allow("s3:GetObject"))] }],
  ["session policy narrows the role: other action", "ImplicitDeny", { principal: session, id: [P(allow("s3:*"))], session: [P(allow("s3:GetObject"))], action: "s3:PutObject" }, "session"],
  ["session policy cannot grant more than the role", "ImplicitDeny", { principal: session, id: [P(allow("sqs:*"))], session: [P(allow("*"))] }, "identity"],
  ["a deny in a session policy", "ExplicitDeny", { principal: session, id: [P(allow("*"))], session: [P(allow("*"), deny("s3:GetObject"))] }, "session"],
  ["several session policies: any one allows", "Allow", { principal: session, id: [P(allow("*"))], session: [P(allow("sqs:*")), P(allow("s3:Get*"))] }],
  ["an empty list of session policies does not restrict", "Allow", { principal: session, id: [P(allow("s3:*"))], session: [] }],
  ["resource policy naming the session is not limited by session policies", "Allow", { principal: session, resourcePolicy: P(R({ AWS: session.arn })), session: [P(allow("sqs:*"))] }, "resource"],
  ["resource policy naming the role is limited by session policies", "ImplicitDeny", { principal: session, resourcePolicy: P(R({ AWS: `arn:aws:iam::${A}:role/Dev` })), session: [P(allow("sqs:*"))] }, "session"],
  ["session + boundary + identity all allow", "Allow", { principal: session, id: [P(allow("*"))], boundary: P(allow("s3:*")), session: [P(allow("s3:GetObject"))] }],
  ["session tags as aws:PrincipalTag in the role's policy", "Allow", { principal: session, id: [P(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/project}/*"))], resource: "arn:aws:s3:::bucket/apollo/x", ctx: { "aws:PrincipalTag/project": "apollo" } }],
  ["aws:PrincipalArn of a session is the role ARN", "Allow", { principal: session, id: [P(allow("s3:*", "*", { Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/Dev` } } }))], ctx: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/Dev` } }],
];

function run(row: Row): Decision {
  const principal = row.principal ?? alice;
  const request: AuthzRequest = {
    principal,
    action: row.action ?? "s3:GetObject",
    resource: row.resource ?? OBJ,
    resourceAccountId: row.account ?? A,
    context: row.ctx ?? {},
    ...(row.as ? { as: row.as } : {}),
  };
  const policies: PolicySet = {
    identity: (row.id ?? []).map((document, i) => ({ name: `p${i}`, document })),
    ...(row.boundary ? { boundary: { document: row.boundary } } : {}),
    ...(row.session ? { session: row.session.map((document) => ({ document })) } : {}),
    ...(row.resourcePolicy ? { resource: { document: row.resourcePolicy } } : {}),
  };
  return evaluate(request, policies);
}

describe("IAM evaluation table (IAM User Guide examples and flowcharts)", () => {
  it("has at least 200 cases with unique names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c[0])).size).toBe(cases.length);
  });

  it.each(cases)("%s -> %s", (_name, expected, row, by) => {
    const d = run(row);
    expect(d.decision).toBe(expected);
    if (by) expect(d.by).toBe(by);
  });
});

describe("many distinct resources (the candidate cache overflows)", () => {
  it("decides the same before and after the engine stops caching candidates", () => {
    const doc = P(allow("s3:GetObject", "arn:aws:s3:::bucket/public/*"), deny("s3:GetObject", "arn:aws:s3:::bucket/public/secret-*"), allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*"));
    const decide = (key: string) => run({ id: [doc], resource: `arn:aws:s3:::bucket/${key}`, ctx: { "aws:username": "alice" } }).decision;
    for (let i = 0; i < 2000; i++) {
      expect(decide(`public/${i}`)).toBe("Allow");
      if (i % 100 === 0) {
        expect(decide(`public/secret-${i}`)).toBe("ExplicitDeny");
        expect(decide(`home/alice/${i}`)).toBe("Allow");
        expect(decide(`home/bob/${i}`)).toBe("ImplicitDeny");
        expect(decide(`private/${i}`)).toBe("ImplicitDeny");
      }
    }
  });
});
