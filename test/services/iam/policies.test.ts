import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { error, iamFor } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const doc = (action: string, effect = "Allow") => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: effect, Action: action, Resource: "*" }] });
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });

describe("customer-managed policies and versions", () => {
  it("creates a policy with AWS's ARN and id shapes, versions it and sets the default", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: "s3-read", Path: "/app/", PolicyDocument: doc("s3:GetObject"), Description: "read" }));
    expect(Policy).toMatchObject({
      PolicyName: "s3-read",
      Arn: `arn:aws:iam::${account}:policy/app/s3-read`,
      Path: "/app/",
      DefaultVersionId: "v1",
      AttachmentCount: 0,
      IsAttachable: true,
    });
    expect(Policy!.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
    const arn = Policy!.Arn!;

    const v2 = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc("s3:*"), SetAsDefault: true }));
    expect(v2.PolicyVersion).toMatchObject({ VersionId: "v2", IsDefaultVersion: true });
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy).toMatchObject({ DefaultVersionId: "v2", Description: "read" });

    // Documents come back URL-encoded, as AWS returns them.
    const got = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    expect(got.PolicyVersion!.IsDefaultVersion).toBe(false);
    expect(got.PolicyVersion!.Document).toBe(encodeURIComponent(doc("s3:GetObject")));
    expect(JSON.parse(decodeURIComponent(got.PolicyVersion!.Document!)).Statement[0].Action).toBe("s3:GetObject");

    expect(await error(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })))).toEqual({
      name: "DeleteConflictException",
      message: "Cannot delete the default version of a policy.",
      status: 409,
    });
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(versions.Versions!.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([["v1", true]]);
    expect(await error(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })))).toMatchObject({
      name: "NoSuchEntityException",
      message: `Policy ${arn} version v2 does not exist or is not attachable.`,
    });
  });

  it("keeps at most 5 versions", async () => {
    const iam = iamFor(n, freshAccount());
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: "p", PolicyDocument: doc("sqs:*") }))).Policy!.Arn!;
    for (let i = 0; i < 4; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(`sqs:Get${i}`) }));
    expect(await error(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc("sqs:X") })))).toEqual({
      name: "LimitExceededException",
      message: "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
      status: 409,
    });
    // Version numbers are never reused.
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v3" }));
    expect((await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc("sqs:Y") }))).PolicyVersion!.VersionId).toBe("v6");
    // A policy with versions besides the default cannot be deleted.
    expect((await error(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).message).toBe(
      "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    );
  });

  it("refuses malformed documents and duplicate names with AWS's errors", async () => {
    const iam = iamFor(n, freshAccount());
    expect(await error(iam.send(new CreatePolicyCommand({ PolicyName: "bad", PolicyDocument: "{not json" })))).toEqual({
      name: "MalformedPolicyDocumentException",
      message: "Syntax errors in policy.",
      status: 400,
    });
    // An identity policy may not name a Principal.
    const withPrincipal = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] });
    expect((await error(iam.send(new CreatePolicyCommand({ PolicyName: "bad", PolicyDocument: withPrincipal })))).name).toBe("MalformedPolicyDocumentException");
    await iam.send(new CreatePolicyCommand({ PolicyName: "dup", PolicyDocument: doc("s3:*") }));
    expect(await error(iam.send(new CreatePolicyCommand({ PolicyName: "dup", PolicyDocument: doc("s3:*") })))).toMatchObject({
      name: "EntityAlreadyExistsException",
      message: "A policy called dup already exists. Duplicate names are not allowed.",
    });
    const big = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: Array.from({ length: 500 }, (_, i) => `s3:Action${i}`), Resource: "*" }] });
    expect(await error(iam.send(new CreatePolicyCommand({ PolicyName: "big", PolicyDocument: big })))).toMatchObject({
      name: "LimitExceededException",
      message: "Cannot exceed quota for PolicySize: 6144",
    });
  });
});

describe("attachments", () => {
  it("attaches AWS-managed and customer policies to users, groups and roles, and lists the entities", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    await iam.send(new CreateUserCommand({ UserName: "ann" }));
    await iam.send(new CreateGroupCommand({ GroupName: "ops" }));
    await iam.send(new CreateRoleCommand({ RoleName: "fn", AssumeRolePolicyDocument: TRUST }));
    const s3 = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
    await iam.send(new AttachUserPolicyCommand({ UserName: "ann", PolicyArn: s3 }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "ann", PolicyArn: s3 })); // twice: no change
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: s3 }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "fn", PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" }));

    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "ann" }))).AttachedPolicies).toEqual([{ PolicyName: "AmazonS3FullAccess", PolicyArn: s3 }]);
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: s3 }));
    expect(entities.PolicyUsers!.map((u) => u.UserName)).toEqual(["ann"]);
    expect(entities.PolicyGroups!.map((g) => g.GroupName)).toEqual(["ops"]);
    expect(entities.PolicyRoles).toEqual([]);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: s3 }))).Policy).toMatchObject({ PolicyName: "AmazonS3FullAccess", AttachmentCount: 2 });

    // The AWS-managed document is the real one.
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: s3, VersionId: (await iam.send(new GetPolicyCommand({ PolicyArn: s3 }))).Policy!.DefaultVersionId }));
    expect(JSON.parse(decodeURIComponent(v.PolicyVersion!.Document!)).Statement[0].Action).toContain("s3:*");

    // Attached policies block deletion.
    expect(await error(iam.send(new DeleteUserCommand({ UserName: "ann" })))).toMatchObject({
      name: "DeleteConflictException",
      message: "Cannot delete entity, must detach all policies first.",
    });
    await iam.send(new DetachUserPolicyCommand({ UserName: "ann", PolicyArn: s3 }));
    expect(await error(iam.send(new DetachUserPolicyCommand({ UserName: "ann", PolicyArn: s3 })))).toMatchObject({
      name: "NoSuchEntityException",
      message: `Policy ${s3} was not found.`,
    });
    await iam.send(new DeleteUserCommand({ UserName: "ann" }));
  });

  it("refuses unknown policies, and a customer policy in use cannot be deleted", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    await iam.send(new CreateUserCommand({ UserName: "bo" }));
    const missing = `arn:aws:iam::${account}:policy/nope`;
    expect(await error(iam.send(new AttachUserPolicyCommand({ UserName: "bo", PolicyArn: missing })))).toMatchObject({
      name: "NoSuchEntityException",
      message: `Policy ${missing} does not exist or is not attachable.`,
    });
    expect((await error(iam.send(new AttachUserPolicyCommand({ UserName: "bo", PolicyArn: "not-an-arn" })))).name).toBe("InvalidInputException");
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: "mine", PolicyDocument: doc("sqs:*") }))).Policy!.Arn!;
    await iam.send(new AttachUserPolicyCommand({ UserName: "bo", PolicyArn: arn }));
    expect(await error(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: "DeleteConflictException",
      message: "Cannot delete a policy attached to entities.",
    });
    // The quota of 10 attached policies.
    for (let i = 0; i < 9; i++) {
      const a = (await iam.send(new CreatePolicyCommand({ PolicyName: `q${i}`, PolicyDocument: doc("sqs:*") }))).Policy!.Arn!;
      await iam.send(new AttachUserPolicyCommand({ UserName: "bo", PolicyArn: a }));
    }
    expect(await error(iam.send(new AttachUserPolicyCommand({ UserName: "bo", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })))).toMatchObject({
      name: "LimitExceededException",
      message: "Cannot exceed quota for PoliciesPerUser: 10",
    });
  });

  it("lists policies by scope, attachment and path prefix", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreatePolicyCommand({ PolicyName: "local-a", Path: "/team/", PolicyDocument: doc("s3:*") }));
    await iam.send(new CreatePolicyCommand({ PolicyName: "local-b", PolicyDocument: doc("s3:*") }));
    await iam.send(new CreateUserCommand({ UserName: "cy" }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "cy", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }));

    const local = await iam.send(new ListPoliciesCommand({ Scope: "Local" }));
    expect(local.Policies!.map((p) => p.PolicyName)).toEqual(["local-a", "local-b"]);
    const aws = await iam.send(new ListPoliciesCommand({ Scope: "AWS", MaxItems: 1000 }));
    const names = aws.Policies!.map((p) => p.PolicyName);
    for (const required of [
      "AdministratorAccess",
      "PowerUserAccess",
      "ReadOnlyAccess",
      "AmazonS3FullAccess",
      "AmazonS3ReadOnlyAccess",
      "AmazonDynamoDBFullAccess",
      "AWSLambdaBasicExecutionRole",
      "AWSLambdaRole",
      "AmazonSQSFullAccess",
      "AmazonEC2FullAccess",
      "CloudWatchFullAccess",
      "AmazonRDSFullAccess",
      "ElasticLoadBalancingFullAccess",
      "AutoScalingFullAccess",
      "AmazonRoute53FullAccess",
      "AWSCloudFormationFullAccess",
      "IAMFullAccess",
    ]) {
      expect(names).toContain(required);
    }
    expect(aws.Policies!.find((p) => p.PolicyName === "AWSLambdaBasicExecutionRole")!.Arn).toBe("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    const attached = await iam.send(new ListPoliciesCommand({ OnlyAttached: true }));
    expect(attached.Policies!.map((p) => [p.PolicyName, p.AttachmentCount])).toEqual([["AmazonSQSFullAccess", 1]]);
    expect((await iam.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/team/" }))).Policies!.map((p) => p.PolicyName)).toEqual(["local-a"]);
    const page = await iam.send(new ListPoliciesCommand({ MaxItems: 2 }));
    expect(page.Policies).toHaveLength(2);
    expect(page.IsTruncated).toBe(true);
    const next = await iam.send(new ListPoliciesCommand({ MaxItems: 2, Marker: page.Marker }));
    expect(next.Policies![0].PolicyName).not.toBe(page.Policies![1].PolicyName);
  });
});

describe("inline policies", () => {
  it("puts, gets (URL-encoded), lists and deletes inline policies on users and roles", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "di" }));
    await iam.send(new PutUserPolicyCommand({ UserName: "di", PolicyName: "b", PolicyDocument: doc("s3:GetObject") }));
    await iam.send(new PutUserPolicyCommand({ UserName: "di", PolicyName: "a", PolicyDocument: doc("s3:PutObject") }));
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: "di" }))).PolicyNames).toEqual(["a", "b"]);
    const got = await iam.send(new GetUserPolicyCommand({ UserName: "di", PolicyName: "b" }));
    expect(got).toMatchObject({ UserName: "di", PolicyName: "b", PolicyDocument: encodeURIComponent(doc("s3:GetObject")) });
    expect(await error(iam.send(new GetUserPolicyCommand({ UserName: "di", PolicyName: "zz" })))).toMatchObject({
      name: "NoSuchEntityException",
      message: "The user policy with name zz cannot be found.",
    });
    expect((await error(iam.send(new DeleteUserCommand({ UserName: "di" })))).message).toBe("Cannot delete entity, must delete policies first.");
    await iam.send(new DeleteUserPolicyCommand({ UserName: "di", PolicyName: "a" }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: "di", PolicyName: "b" }));
    await iam.send(new DeleteUserCommand({ UserName: "di" }));

    await iam.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "r", PolicyName: "p", PolicyDocument: doc("dynamodb:*") }));
    expect(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: "r", PolicyName: "p" }))).PolicyDocument!)).toBe(doc("dynamodb:*"));
    expect((await error(iam.send(new GetRolePolicyCommand({ RoleName: "r", PolicyName: "q" })))).message).toBe("The role policy with name q cannot be found.");
  });

  it("enforces the 2048-character inline quota of a user", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "ed" }));
    const big = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: Array.from({ length: 250 }, (_, i) => `s3:A${i}`), Resource: "*" }] });
    expect(await error(iam.send(new PutUserPolicyCommand({ UserName: "ed", PolicyName: "big", PolicyDocument: big })))).toMatchObject({
      name: "LimitExceededException",
      message: "Maximum policy size of 2048 bytes exceeded for user ed",
    });
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: "ed" }))).PolicyNames).toEqual([]);
  });
});
