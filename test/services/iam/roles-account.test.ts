import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateAccountAliasCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  DeleteAccountAliasCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  ListAccountAliasesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagRoleCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { error, iamFor } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

describe("roles", () => {
  it("creates a role with its trust policy, path, max session duration and tags", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: "web", Path: "/svc/", AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 7200, Description: "web tier", Tags: [{ Key: "env", Value: "dev" }] }),
    );
    expect(Role).toMatchObject({ RoleName: "web", Path: "/svc/", Arn: `arn:aws:iam::${account}:role/svc/web`, MaxSessionDuration: 7200, Description: "web tier" });
    expect(Role!.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).toBe(TRUST);

    const got = (await iam.send(new GetRoleCommand({ RoleName: "web" }))).Role!;
    expect(got.Tags).toEqual([{ Key: "env", Value: "dev" }]);
    expect(got.RoleLastUsed).toEqual({});
    await iam.send(new UpdateRoleCommand({ RoleName: "web", MaxSessionDuration: 43200 }));
    await iam.send(new TagRoleCommand({ RoleName: "web", Tags: [{ Key: "tier", Value: "front" }] }));
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: "web" }))).Tags).toEqual([
      { Key: "env", Value: "dev" },
      { Key: "tier", Value: "front" },
    ]);
    const listed = await iam.send(new ListRolesCommand({ PathPrefix: "/svc/" }));
    expect(listed.Roles!.map((r) => [r.RoleName, r.MaxSessionDuration])).toEqual([["web", 43200]]);
  });

  it("validates the trust policy and MaxSessionDuration as AWS does", async () => {
    const iam = iamFor(n, freshAccount());
    const noPrincipal = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] });
    expect((await error(iam.send(new CreateRoleCommand({ RoleName: "r1", AssumeRolePolicyDocument: noPrincipal })))).name).toBe("MalformedPolicyDocumentException");
    expect(await error(iam.send(new CreateRoleCommand({ RoleName: "r1", AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 60 })))).toEqual({
      name: "ValidationError",
      message: "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
      status: 400,
    });
    await iam.send(new CreateRoleCommand({ RoleName: "r1", AssumeRolePolicyDocument: TRUST }));
    expect(await error(iam.send(new CreateRoleCommand({ RoleName: "R1", AssumeRolePolicyDocument: TRUST })))).toMatchObject({
      name: "EntityAlreadyExistsException",
      message: "Role with name R1 already exists.",
    });
    expect((await error(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "r1", PolicyDocument: "nope" })))).name).toBe("MalformedPolicyDocumentException");
    expect(await error(iam.send(new GetRoleCommand({ RoleName: "ghost" })))).toMatchObject({
      name: "NoSuchEntityException",
      message: "The role with name ghost cannot be found.",
    });
  });

  it("refuses to delete a role with policies or instance profiles", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    const { InstanceProfile } = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
    expect(InstanceProfile!.InstanceProfileId).toMatch(/^AIPA[A-Z2-7]{17}$/);
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "app" }));
    const got = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
    expect(got.InstanceProfile!.Roles!.map((r) => r.RoleName)).toEqual(["app"]);
    expect((await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app" }))).InstanceProfiles!.map((p) => p.InstanceProfileName)).toEqual(["app-profile"]);
    await iam.send(new CreateRoleCommand({ RoleName: "second", AssumeRolePolicyDocument: TRUST }));
    expect(await error(iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "second" })))).toMatchObject({
      name: "LimitExceededException",
      message: "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    });

    expect(await error(iam.send(new DeleteRoleCommand({ RoleName: "app" })))).toMatchObject({
      name: "DeleteConflictException",
      message: "Cannot delete entity, must remove roles from instance profile first.",
    });
    expect((await error(iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "app-profile" })))).message).toBe(
      "Cannot delete entity, must remove roles from instance profile first.",
    );
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "app" }));
    expect((await error(iam.send(new DeleteRoleCommand({ RoleName: "app" })))).message).toBe("Cannot delete entity, must detach all policies first.");
  });

  it("creates service-linked roles under /aws-service-role/ and protects them", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { Role } = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "elasticloadbalancing.amazonaws.com" }));
    expect(Role).toMatchObject({
      RoleName: "AWSServiceRoleForElasticLoadBalancing",
      Path: "/aws-service-role/elasticloadbalancing.amazonaws.com/",
      Arn: `arn:aws:iam::${account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
    });
    expect(JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).Statement[0].Principal.Service).toEqual(["elasticloadbalancing.amazonaws.com"]);
    expect((await error(iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "elasticloadbalancing.amazonaws.com" })))).name).toBe("InvalidInputException");
    expect((await error(iam.send(new DeleteRoleCommand({ RoleName: "AWSServiceRoleForElasticLoadBalancing" })))).name).toBe("UnmodifiableEntityException");
  });
});

describe("permissions boundaries", () => {
  it("sets and removes a boundary, and counts its use", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "bounded" }));
    await iam.send(new CreateRoleCommand({ RoleName: "bounded-role", AssumeRolePolicyDocument: TRUST }));
    const boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: "bounded", PermissionsBoundary: boundary }));
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: "bounded-role", PermissionsBoundary: boundary }));
    expect((await iam.send(new GetRoleCommand({ RoleName: "bounded-role" }))).Role!.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: "PermissionsBoundaryPolicy",
      PermissionsBoundaryArn: boundary,
    });
    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["AWSManagedPolicy"] }));
    expect(details.Policies!.map((p) => [p.PolicyName, p.PermissionsBoundaryUsageCount])).toEqual([["AmazonS3ReadOnlyAccess", 2]]);
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "bounded-role" }));
    expect((await iam.send(new GetRoleCommand({ RoleName: "bounded-role" }))).Role!.PermissionsBoundary).toBeUndefined();
    expect((await error(iam.send(new PutUserPermissionsBoundaryCommand({ UserName: "bounded", PermissionsBoundary: "arn:aws:iam::aws:policy/Nope" })))).name).toBe(
      "NoSuchEntityException",
    );
  });
});

describe("account settings", () => {
  it("keeps one alias per account, unique across accounts", async () => {
    const a = iamFor(n, freshAccount());
    const b = iamFor(n, freshAccount());
    const alias = `acme-${Date.now().toString(36)}`;
    await a.send(new CreateAccountAliasCommand({ AccountAlias: alias }));
    expect((await a.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([alias]);
    expect((await error(b.send(new CreateAccountAliasCommand({ AccountAlias: alias })))).name).toBe("EntityAlreadyExistsException");
    expect((await error(a.send(new CreateAccountAliasCommand({ AccountAlias: "Bad_Alias" })))).name).toBe("ValidationError");
    await a.send(new DeleteAccountAliasCommand({ AccountAlias: alias }));
    expect((await a.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
    await b.send(new CreateAccountAliasCommand({ AccountAlias: alias }));
  });

  it("stores the password policy and answers NoSuchEntity without one", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    expect(await error(iam.send(new GetAccountPasswordPolicyCommand({})))).toMatchObject({
      name: "NoSuchEntityException",
      message: `The Password Policy with domain name ${account} cannot be found.`,
    });
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 14, RequireSymbols: true, MaxPasswordAge: 90 }));
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toMatchObject({
      MinimumPasswordLength: 14,
      RequireSymbols: true,
      RequireNumbers: false,
      ExpirePasswords: true,
      MaxPasswordAge: 90,
    });
  });

  it("summarizes the account and details every entity with its policies", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "u" }));
    await iam.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }));
    const summary = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect(summary).toMatchObject({ Users: 1, Roles: 1, Groups: 0, AccessKeysPerUserQuota: 2, UsersQuota: 5000 });
    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({}));
    expect(details.UserDetailList!.map((u) => u.UserName)).toEqual(["u"]);
    expect(details.RoleDetailList![0]).toMatchObject({ RoleName: "r", AttachedManagedPolicies: [{ PolicyName: "AmazonSQSFullAccess", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }] });
    expect(decodeURIComponent(details.RoleDetailList![0].AssumeRolePolicyDocument!)).toBe(TRUST);
    expect(details.Policies!.map((p) => p.PolicyName)).toEqual(["AmazonSQSFullAccess"]);
    const paged = await iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1 }));
    expect(paged.IsTruncated).toBe(true);
    expect(paged.UserDetailList!.length + paged.RoleDetailList!.length + paged.Policies!.length).toBe(1);
  });
});
