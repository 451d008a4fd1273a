import {
  AddUserToGroupCommand,
  ChangePasswordCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  ListUserTagsCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateUserCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { error, iamFor } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

function asKey(key: { AccessKeyId?: string; SecretAccessKey?: string }) {
  return { endpoint: n.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
}

describe("IAM users", () => {
  it("creates a user with AWS's id and ARN shapes, lists and gets it", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { User } = await iam.send(new CreateUserCommand({ UserName: "alice", Path: "/eng/", Tags: [{ Key: "team", Value: "core" }] }));
    expect(User!.UserName).toBe("alice");
    expect(User!.Path).toBe("/eng/");
    expect(User!.Arn).toBe(`arn:aws:iam::${account}:user/eng/alice`);
    expect(User!.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(User!.CreateDate).toBeInstanceOf(Date);
    expect(User!.Tags).toEqual([{ Key: "team", Value: "core" }]);

    const got = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(got.User).toMatchObject({ UserName: "alice", UserId: User!.UserId, Arn: User!.Arn, Tags: [{ Key: "team", Value: "core" }] });

    const listed = await iam.send(new ListUsersCommand({}));
    expect(listed.Users!.map((u) => u.UserName)).toEqual(["alice"]);
    expect(listed.IsTruncated).toBe(false);
    expect((await iam.send(new ListUsersCommand({ PathPrefix: "/ops/" }))).Users).toEqual([]);
  });

  it("GetUser without a name answers the root user of the caller's account", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const first = (await iam.send(new GetUserCommand({}))).User!;
    expect(first).toMatchObject({ UserId: account, Arn: `arn:aws:iam::${account}:root` });
    expect(first.UserName).toBeUndefined();
    expect((await iam.send(new GetUserCommand({}))).User!.CreateDate).toEqual(first.CreateDate);
  });

  it("answers AWS's errors: NoSuchEntity, EntityAlreadyExists, ValidationError", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "bob" }));
    expect(await error(iam.send(new GetUserCommand({ UserName: "nobody" })))).toEqual({
      name: "NoSuchEntityException",
      message: "The user with name nobody cannot be found.",
      status: 404,
    });
    // Names are unique regardless of case.
    expect(await error(iam.send(new CreateUserCommand({ UserName: "BOB" })))).toMatchObject({
      name: "EntityAlreadyExistsException",
      message: "User with name BOB already exists.",
      status: 409,
    });
    const bad = await error(iam.send(new CreateUserCommand({ UserName: "bad name!" })));
    expect(bad.name).toBe("ValidationError");
    expect(bad.message).toBe(
      "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    const badPath = await error(iam.send(new CreateUserCommand({ UserName: "carol", Path: "eng" })));
    expect(badPath.name).toBe("ValidationError");
    expect(badPath.message).toContain("at 'path' failed to satisfy constraint");
    expect((await iam.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toEqual(["bob"]);
  });

  it("paginates with Marker and MaxItems in name order", async () => {
    const iam = iamFor(n, freshAccount());
    const names = ["delta", "Alpha", "charlie", "bravo", "echo"];
    for (const UserName of names) await iam.send(new CreateUserCommand({ UserName }));
    const seen: string[] = [];
    let Marker: string | undefined;
    let pages = 0;
    do {
      const page = await iam.send(new ListUsersCommand({ MaxItems: 2, Marker }));
      pages++;
      seen.push(...page.Users!.map((u) => u.UserName!));
      expect(page.IsTruncated).toBe(page.Marker !== undefined);
      Marker = page.Marker;
    } while (Marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(["Alpha", "bravo", "charlie", "delta", "echo"]);
    const badMarker = await error(iam.send(new ListUsersCommand({ Marker: "not-a-marker" })));
    expect(badMarker.name).toBe("InvalidInputException");
  });

  it("renames and moves a user; tags and untags", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    await iam.send(new CreateUserCommand({ UserName: "dave" }));
    await iam.send(new UpdateUserCommand({ UserName: "dave", NewUserName: "david", NewPath: "/ops/" }));
    expect(await error(iam.send(new GetUserCommand({ UserName: "dave" })))).toMatchObject({ name: "NoSuchEntityException" });
    const { User } = await iam.send(new GetUserCommand({ UserName: "david" }));
    expect(User!.Arn).toBe(`arn:aws:iam::${account}:user/ops/david`);
    await iam.send(new TagUserCommand({ UserName: "david", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] }));
    await iam.send(new UntagUserCommand({ UserName: "david", TagKeys: ["a"] }));
    expect((await iam.send(new ListUserTagsCommand({ UserName: "david" }))).Tags).toEqual([{ Key: "b", Value: "2" }]);
  });

  it("refuses to delete a user with keys, groups or a login profile (DeleteConflict)", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "erin" }));
    await iam.send(new CreateGroupCommand({ GroupName: "devs" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "erin" }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "erin" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "erin", Password: "correct-Horse-1" }));

    expect(await error(iam.send(new DeleteUserCommand({ UserName: "erin" })))).toEqual({
      name: "DeleteConflictException",
      message: "Cannot delete entity, must delete login profile first.",
      status: 409,
    });
    await iam.send(new DeleteLoginProfileCommand({ UserName: "erin" }));
    expect((await error(iam.send(new DeleteUserCommand({ UserName: "erin" })))).message).toBe("Cannot delete entity, must delete access keys first.");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "erin", AccessKeyId: AccessKey!.AccessKeyId }));
    expect((await error(iam.send(new DeleteUserCommand({ UserName: "erin" })))).message).toBe("Cannot delete entity, must remove users from group first.");
    expect((await error(iam.send(new DeleteGroupCommand({ GroupName: "devs" })))).message).toBe("Cannot delete entity, must remove users from group first.");
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "devs", UserName: "erin" }));
    await iam.send(new DeleteUserCommand({ UserName: "erin" }));
    await iam.send(new DeleteGroupCommand({ GroupName: "devs" }));
    expect((await iam.send(new ListUsersCommand({}))).Users).toEqual([]);
  });
});

describe("IAM groups", () => {
  it("lists a group's members and a user's groups", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "u1" }));
    await iam.send(new CreateUserCommand({ UserName: "u2" }));
    const { Group } = await iam.send(new CreateGroupCommand({ GroupName: "admins", Path: "/x/" }));
    expect(Group!.GroupId).toMatch(/^AGPA[A-Z2-7]{17}$/);
    await iam.send(new AddUserToGroupCommand({ GroupName: "admins", UserName: "u2" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "admins", UserName: "u1" }));
    const got = await iam.send(new GetGroupCommand({ GroupName: "admins" }));
    expect(got.Group!.Arn).toMatch(/:group\/x\/admins$/);
    expect(got.Users!.map((u) => u.UserName)).toEqual(["u1", "u2"]);
    expect((await iam.send(new ListGroupsForUserCommand({ UserName: "u1" }))).Groups!.map((g) => g.GroupName)).toEqual(["admins"]);
    expect(await error(iam.send(new GetGroupCommand({ GroupName: "none" })))).toMatchObject({
      name: "NoSuchEntityException",
      message: "The group with name none cannot be found.",
    });
  });
});

describe("IAM access keys", () => {
  it("creates keys that authenticate as the user (signature verified with the secret)", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { User } = await iam.send(new CreateUserCommand({ UserName: "frank" }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "frank" }));
    expect(AccessKey!.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(AccessKey!.SecretAccessKey).toHaveLength(40);
    expect(AccessKey!.Status).toBe("Active");

    const me = await new STSClient(asKey(AccessKey!)).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: account, Arn: `arn:aws:iam::${account}:user/frank`, UserId: User!.UserId });

    // A wrong secret is refused: the signature is verified.
    const wrong = await error(new STSClient(asKey({ AccessKeyId: AccessKey!.AccessKeyId, SecretAccessKey: "x".repeat(40) })).send(new GetCallerIdentityCommand({})));
    expect(wrong.name).toBe("SignatureDoesNotMatch");

    // GetUser without a name answers the caller, once a policy allows it (as on AWS).
    const asFrank = new IAMClient(asKey(AccessKey!));
    expect(await error(asFrank.send(new GetUserCommand({})))).toMatchObject({ name: "AccessDenied", status: 403 });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "frank",
        PolicyName: "self",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }] }),
      }),
    );
    const self = await asFrank.send(new GetUserCommand({}));
    expect(self.User).toMatchObject({ UserName: "frank", UserId: User!.UserId });
  });

  it("allows two keys per user, lists them, deactivates and deletes them", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "gina" }));
    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: "gina" }))).AccessKey!;
    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: "gina" }))).AccessKey!;
    expect(await error(iam.send(new CreateAccessKeyCommand({ UserName: "gina" })))).toEqual({
      name: "LimitExceededException",
      message: "Cannot exceed quota for AccessKeysPerUser: 2",
      status: 409,
    });
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: "gina" }));
    expect(listed.AccessKeyMetadata!.map((k) => [k.AccessKeyId, k.Status, k.UserName]).sort()).toEqual(
      [
        [k1.AccessKeyId, "Active", "gina"],
        [k2.AccessKeyId, "Active", "gina"],
      ].sort(),
    );
    expect((listed.AccessKeyMetadata![0] as Record<string, unknown>).SecretAccessKey).toBeUndefined();

    const sts1 = new STSClient(asKey(k1));
    await iam.send(new UpdateAccessKeyCommand({ UserName: "gina", AccessKeyId: k1.AccessKeyId, Status: "Inactive" }));
    expect(await error(sts1.send(new GetCallerIdentityCommand({})))).toMatchObject({
      name: "InvalidClientTokenId",
      message: "The security token included in the request is invalid.",
      status: 403,
    });
    await iam.send(new UpdateAccessKeyCommand({ UserName: "gina", AccessKeyId: k1.AccessKeyId, Status: "Active" }));
    expect((await sts1.send(new GetCallerIdentityCommand({}))).Arn).toMatch(/:user\/gina$/);

    await iam.send(new DeleteAccessKeyCommand({ UserName: "gina", AccessKeyId: k1.AccessKeyId }));
    // A deleted key is refused, never taken for the root of an account.
    expect((await error(sts1.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
    expect(await error(iam.send(new DeleteAccessKeyCommand({ UserName: "gina", AccessKeyId: k1.AccessKeyId })))).toMatchObject({
      name: "NoSuchEntityException",
      message: `The Access Key with id ${k1.AccessKeyId} cannot be found.`,
    });
    const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k2.AccessKeyId }));
    expect(used.UserName).toBe("gina");
    expect(used.AccessKeyLastUsed).toMatchObject({ ServiceName: "N/A", Region: "N/A" });
  });
});

describe("IAM login profiles", () => {
  it("creates, reads and checks passwords against the account's policy", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "hal" }));
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 12, RequireNumbers: true }));
    expect(await error(iam.send(new CreateLoginProfileCommand({ UserName: "hal", Password: "short1" })))).toMatchObject({
      name: "PasswordPolicyViolationException",
      message: "Password should have at least 12 characters",
    });
    expect((await error(iam.send(new CreateLoginProfileCommand({ UserName: "hal", Password: "no-numbers-here" })))).message).toBe(
      "Password should have at least one number",
    );
    await iam.send(new CreateLoginProfileCommand({ UserName: "hal", Password: "twelve-chars-1", PasswordResetRequired: true }));
    const { LoginProfile } = await iam.send(new GetLoginProfileCommand({ UserName: "hal" }));
    expect(LoginProfile).toMatchObject({ UserName: "hal", PasswordResetRequired: true });
    expect(await error(iam.send(new CreateLoginProfileCommand({ UserName: "hal", Password: "twelve-chars-2" })))).toMatchObject({
      name: "EntityAlreadyExistsException",
      message: "Login Profile for user hal already exists.",
    });
    // The user changes its own password with its access key (and a policy allowing it).
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "hal",
        PolicyName: "pw",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:ChangePassword", Resource: "*" }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "hal" }))).AccessKey!;
    const asHal = new IAMClient(asKey(key));
    expect((await error(asHal.send(new ChangePasswordCommand({ OldPassword: "wrong-password-1", NewPassword: "another-pass-12" })))).status).toBe(403);
    await asHal.send(new ChangePasswordCommand({ OldPassword: "twelve-chars-1", NewPassword: "another-pass-12" }));
    expect((await iam.send(new GetLoginProfileCommand({ UserName: "hal" }))).LoginProfile!.PasswordResetRequired).toBe(false);
    await iam.send(new DeleteLoginProfileCommand({ UserName: "hal" }));
    expect(await error(iam.send(new GetLoginProfileCommand({ UserName: "hal" })))).toMatchObject({
      name: "NoSuchEntityException",
      message: "Login Profile for User hal cannot be found.",
    });
  });
});
