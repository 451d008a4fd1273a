import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateOpenIDConnectProviderCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import {
  AssumeRoleCommand,
  AssumeRoleWithSAMLCommand,
  AssumeRoleWithWebIdentityCommand,
  DecodeAuthorizationMessageCommand,
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

type Creds = { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };

function config(c: Creds) {
  return {
    endpoint: n.endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    forcePathStyle: true,
    credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) },
  };
}

async function error(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error("expected the request to fail");
}

function trust(principal: Record<string, unknown> | string, extra: Record<string, unknown> = {}, action: string | string[] = "sts:AssumeRole") {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: action, ...extra }] });
}

describe("AssumeRole", () => {
  it("hands out temporary credentials that act as the role session", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "deployer", Path: "/ci/", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${account}:root` }) }));
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "build-42" }));
    expect(out.AssumedRoleUser).toEqual({ Arn: `arn:aws:sts::${account}:assumed-role/deployer/build-42`, AssumedRoleId: `${Role!.RoleId}:build-42` });
    expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials!.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials!.SessionToken!.length).toBeGreaterThan(100);
    // One hour by default, on the Nimbus clock.
    const clock = (await (await fetch(`${n.endpoint}/_nimbus/clock`)).json()) as { now: string };
    const nowMs = Date.parse(clock.now);
    expect(out.Credentials!.Expiration!.getTime() - nowMs).toBeGreaterThan(3590_000);
    expect(out.Credentials!.Expiration!.getTime() - nowMs).toBeLessThanOrEqual(3600_000);

    const me = await new STSClient(config(out.Credentials!)).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/deployer/build-42`, UserId: `${Role!.RoleId}:build-42` });
    // The session token is required with the temporary key.
    const noToken = await error(new STSClient(config({ ...out.Credentials!, SessionToken: undefined })).send(new GetCallerIdentityCommand({})));
    expect(noToken.name).toBe("InvalidClientTokenId");
  });

  it("is refused when the trust policy does not allow the caller, or the role does not exist", async () => {
    const account = freshAccount();
    const other = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "lambda-only", AssumeRolePolicyDocument: trust({ Service: "lambda.amazonaws.com" }) }));
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    expect(await error(sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "s1" })))).toEqual({
      name: "AccessDenied",
      message: `User: arn:aws:iam::${account}:root is not authorized to perform: sts:AssumeRole on resource: ${Role!.Arn}`,
      status: 403,
    });
    const missing = `arn:aws:iam::${account}:role/none`;
    expect((await error(sts.send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: "s1" })))).message).toBe(
      `User: arn:aws:iam::${account}:root is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
    );
    // Another account's root is refused by a trust policy naming only this account.
    const { Role: own } = await iam.send(new CreateRoleCommand({ RoleName: "own", AssumeRolePolicyDocument: trust({ AWS: account }) }));
    const stsOther = new STSClient(sdkConfig(n.endpoint, { accountId: other }));
    expect((await error(stsOther.send(new AssumeRoleCommand({ RoleArn: own!.Arn, RoleSessionName: "x1" })))).name).toBe("AccessDenied");
    // ... and allowed by one naming it (cross-account).
    const { Role: shared } = await iam.send(new CreateRoleCommand({ RoleName: "shared", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${other}:root` }) }));
    const cross = await stsOther.send(new AssumeRoleCommand({ RoleArn: shared!.Arn, RoleSessionName: "x2" }));
    expect(cross.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${account}:assumed-role/shared/x2`);
  });

  it("evaluates an IAM user's own policies as well as the trust policy", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { User } = await iam.send(new CreateUserCommand({ UserName: "dev" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "dev" }))).AccessKey!;
    const asDev = new STSClient(config(key));
    // A trust policy naming the user itself suffices within the account.
    const { Role: direct } = await iam.send(new CreateRoleCommand({ RoleName: "direct", AssumeRolePolicyDocument: trust({ AWS: User!.Arn }) }));
    expect((await asDev.send(new AssumeRoleCommand({ RoleArn: direct!.Arn, RoleSessionName: "dd" }))).AssumedRoleUser!.Arn).toMatch(/assumed-role\/direct\/dd$/);
    // One naming the account delegates to the user's identity policies.
    const { Role: delegated } = await iam.send(new CreateRoleCommand({ RoleName: "delegated", AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${account}:root` }) }));
    expect(await error(asDev.send(new AssumeRoleCommand({ RoleArn: delegated!.Arn, RoleSessionName: "dd" })))).toMatchObject({
      name: "AccessDenied",
      message: `User: ${User!.Arn} is not authorized to perform: sts:AssumeRole on resource: ${delegated!.Arn}`,
    });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "dev",
        PolicyName: "assume",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: delegated!.Arn }] }),
      }),
    );
    expect((await asDev.send(new AssumeRoleCommand({ RoleArn: delegated!.Arn, RoleSessionName: "d2" }))).AssumedRoleUser!.Arn).toMatch(/delegated\/d2$/);
  });

  it("checks ExternalId through the trust policy's condition", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: "vendor", AssumeRolePolicyDocument: trust({ AWS: account }, { Condition: { StringEquals: { "sts:ExternalId": "s3cr3t-id" } } }) }),
    );
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    expect((await error(sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "vv" })))).name).toBe("AccessDenied");
    expect((await error(sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "vv", ExternalId: "wrong-id" })))).name).toBe("AccessDenied");
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "vv", ExternalId: "s3cr3t-id" }));
    expect(ok.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${account}:assumed-role/vendor/vv`);
  });

  it("limits DurationSeconds to the role's MaxSessionDuration and role chaining to an hour", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "long", MaxSessionDuration: 7200, AssumeRolePolicyDocument: trust({ AWS: account }) }));
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    expect(await error(sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "ll", DurationSeconds: 7201 })))).toEqual({
      name: "ValidationError",
      message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      status: 400,
    });
    expect((await error(sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "ll", DurationSeconds: 600 })))).message).toContain(
      "Member must have value greater than or equal to 900",
    );
    const two = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "ll", DurationSeconds: 7200 }));
    // Chaining: the session assumes the role again (its trust policy allows the account and the
    // role has a policy allowing sts:AssumeRole).
    await iam.send(new AttachRolePolicyCommand({ RoleName: "long", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const chained = new STSClient(config(two.Credentials!));
    expect((await error(chained.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "cc", DurationSeconds: 3601 })))).message).toBe(
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    expect((await chained.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "cc" }))).AssumedRoleUser!.Arn).toMatch(/long\/cc$/);
  });

  it("applies session policies: the session may do only what both the role and the session policy allow", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "admin", AssumeRolePolicyDocument: trust({ AWS: account }) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "admin", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    const full = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "full" }));
    expect((await new S3Client(config(full.Credentials!)).send(new ListBucketsCommand({}))).Buckets).toEqual([]);

    const scoped = await sts.send(
      new AssumeRoleCommand({
        RoleArn: Role!.Arn,
        RoleSessionName: "scoped",
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:ListQueues", Resource: "*" }] }),
      }),
    );
    expect(scoped.PackedPolicySize).toBeGreaterThan(0);
    expect((await new SQSClient(config(scoped.Credentials!)).send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    const denied = await error(new S3Client(config(scoped.Credentials!)).send(new ListBucketsCommand({})));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.status).toBe(403);

    // A managed policy as the session policy.
    const viaArn = await sts.send(
      new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "ro", PolicyArns: [{ arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }] }),
    );
    expect((await new S3Client(config(viaArn.Credentials!)).send(new ListBucketsCommand({}))).Buckets).toEqual([]);
    expect((await error(new SQSClient(config(viaArn.Credentials!)).send(new ListQueuesCommand({})))).status).toBe(403);

    expect(
      await error(sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "bad", Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}' }))),
    ).toMatchObject({ name: "MalformedPolicyDocumentException", status: 400 });
  });

  it("needs sts:TagSession in the trust policy to pass session tags", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role: plain } = await iam.send(new CreateRoleCommand({ RoleName: "plain", AssumeRolePolicyDocument: trust({ AWS: account }) }));
    const { Role: tagging } = await iam.send(new CreateRoleCommand({ RoleName: "tagging", AssumeRolePolicyDocument: trust({ AWS: account }, {}, ["sts:AssumeRole", "sts:TagSession"]) }));
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    const tags = [{ Key: "team", Value: "blue" }];
    expect((await error(sts.send(new AssumeRoleCommand({ RoleArn: plain!.Arn, RoleSessionName: "tt", Tags: tags })))).message).toBe(
      `User: arn:aws:iam::${account}:root is not authorized to perform: sts:TagSession on resource: ${plain!.Arn}`,
    );
    expect((await sts.send(new AssumeRoleCommand({ RoleArn: tagging!.Arn, RoleSessionName: "tt", Tags: tags }))).AssumedRoleUser!.Arn).toMatch(/tagging\/tt$/);
  });
});

describe("service principals", () => {
  it("a Nimbus service calling in-process as lambda.amazonaws.com assumes a role that trusts Lambda", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "fn-role", AssumeRolePolicyDocument: trust({ Service: "lambda.amazonaws.com" }) }));
    const { Role: ec2Only } = await iam.send(new CreateRoleCommand({ RoleName: "ec2-role", AssumeRolePolicyDocument: trust({ Service: "ec2.amazonaws.com" }) }));
    const lambda = { type: "anonymous" as const, accountId: account, arn: "lambda.amazonaws.com", userId: "lambda.amazonaws.com" };
    const out = await n.nimbus.client.call<{ AssumedRoleUser: { Arn: string } }>("sts", "AssumeRole", { RoleArn: Role!.Arn, RoleSessionName: "my-fn" }, { principal: lambda });
    expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${account}:assumed-role/fn-role/my-fn`);
    const refused = await n.nimbus.client.call("sts", "AssumeRole", { RoleArn: ec2Only!.Arn, RoleSessionName: "my-fn" }, { principal: lambda }).catch((e: Error) => e);
    expect((refused as { code?: string }).code).toBe("AccessDenied");
  });
});

describe("other STS operations", () => {
  it("GetSessionToken gives a user temporary credentials acting as the user", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { User } = await iam.send(new CreateUserCommand({ UserName: "tok" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "tok",
        PolicyName: "sts",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:GetSessionToken", Resource: "*" }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "tok" }))).AccessKey!;
    const out = await new STSClient(config(key)).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA/);
    const me = await new STSClient(config(out.Credentials!)).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Arn: User!.Arn, UserId: User!.UserId, Account: account });
    expect((await error(new STSClient(config(key)).send(new GetSessionTokenCommand({ DurationSeconds: 100 })))).name).toBe("ValidationError");
  });

  it("GetAccessKeyInfo names the account of issued and unissued keys", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    await iam.send(new CreateUserCommand({ UserName: "k" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "k" }))).AccessKey!;
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    expect((await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: key.AccessKeyId }))).Account).toBe(account);
    expect((await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: "AKIAIOSFODNN7EXAMPLE" }))).Account).toBe("000000000000");
  });

  it("DecodeAuthorizationMessage refuses a message Nimbus did not encode", async () => {
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    expect(await error(sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: "not-a-message" })))).toMatchObject({
      name: "InvalidAuthorizationMessageException",
      message: "The encoded authorization message is invalid.",
    });
    const msg = Buffer.from(JSON.stringify({ allowed: false, explicitDeny: false })).toString("base64");
    expect(JSON.parse((await sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: msg }))).DecodedMessage!)).toEqual({ allowed: false, explicitDeny: false });
  });

  it("AssumeRoleWithWebIdentity: unsigned, the trust policy names the provider and checks the token's claims", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const provider = `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: "gha",
        AssumeRolePolicyDocument: trust({ Federated: provider }, { Condition: { StringEquals: { "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main" } } }, "sts:AssumeRoleWithWebIdentity"),
      }),
    );
    const anonEarly = new STSClient({ endpoint: n.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const token0 = [Buffer.from('{"alg":"RS256"}').toString("base64url"), Buffer.from(JSON.stringify({ iss: "https://token.actions.githubusercontent.com", sub: "repo:acme/app:ref:refs/heads/main", aud: "sts.amazonaws.com" })).toString("base64url"), "sig"].join(".");
    // The issuer must be registered in the account first.
    expect(await error(anonEarly.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: Role!.Arn, RoleSessionName: "gh-run", WebIdentityToken: token0 })))).toMatchObject({
      name: "InvalidIdentityTokenException",
      message: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com",
    });
    const created = await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: "https://token.actions.githubusercontent.com", ClientIDList: ["sts.amazonaws.com"], ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"] }),
    );
    expect(created.OpenIDConnectProviderArn).toBe(provider);
    const jwt = (claims: Record<string, unknown>) =>
      [Buffer.from('{"alg":"RS256"}').toString("base64url"), Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");
    const anon = new STSClient({ endpoint: n.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const out = await anon.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: Role!.Arn,
        RoleSessionName: "gh-run",
        WebIdentityToken: jwt({ iss: "https://token.actions.githubusercontent.com", sub: "repo:acme/app:ref:refs/heads/main", aud: "sts.amazonaws.com" }),
      }),
    );
    expect(out).toMatchObject({
      SubjectFromWebIdentityToken: "repo:acme/app:ref:refs/heads/main",
      Audience: "sts.amazonaws.com",
      Provider: provider,
      AssumedRoleUser: { Arn: `arn:aws:sts::${account}:assumed-role/gha/gh-run` },
    });
    const me = await new STSClient(config(out.Credentials!)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${account}:assumed-role/gha/gh-run`);
    const wrongSub = await error(
      anon.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: Role!.Arn,
          RoleSessionName: "gh-run",
          WebIdentityToken: jwt({ iss: "https://token.actions.githubusercontent.com", sub: "repo:evil/app:ref:refs/heads/main", aud: "sts.amazonaws.com" }),
        }),
      ),
    );
    expect(wrongSub).toMatchObject({ name: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity", status: 403 });
    expect((await error(anon.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: Role!.Arn, RoleSessionName: "x1", WebIdentityToken: "garbage" })))).name).toBe(
      "InvalidIdentityTokenException",
    );
  });
});

describe("AssumeRoleWithSAML", () => {
  it("accepts an unsigned assertion when the trust policy names the SAML provider and its audience", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const providerArn = `arn:aws:iam::${account}:saml-provider/corp`;
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: "sso-admin",
        AssumeRolePolicyDocument: trust({ Federated: providerArn }, { Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } } }, "sts:AssumeRoleWithSAML"),
      }),
    );
    const assertion = (audience: string) =>
      Buffer.from(
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
          `<saml:Assertion><saml:Issuer>https://idp.example.com</saml:Issuer>` +
          `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">jane@example.com</saml:NameID></saml:Subject>` +
          `<saml:Conditions><saml:AudienceRestriction><saml:Audience>${audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
          `<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>jane</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
          `</saml:Assertion></samlp:Response>`,
      ).toString("base64");
    const anon = new STSClient({ endpoint: n.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const out = await anon.send(new AssumeRoleWithSAMLCommand({ RoleArn: Role!.Arn, PrincipalArn: providerArn, SAMLAssertion: assertion("https://signin.aws.amazon.com/saml") }));
    expect(out).toMatchObject({
      Subject: "jane@example.com",
      SubjectType: "persistent",
      Issuer: "https://idp.example.com",
      Audience: "https://signin.aws.amazon.com/saml",
      AssumedRoleUser: { Arn: `arn:aws:sts::${account}:assumed-role/sso-admin/jane` },
    });
    expect(out.NameQualifier).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect((await new STSClient(config(out.Credentials!)).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:sts::${account}:assumed-role/sso-admin/jane`);
    const wrongAudience = await error(anon.send(new AssumeRoleWithSAMLCommand({ RoleArn: Role!.Arn, PrincipalArn: providerArn, SAMLAssertion: assertion("https://elsewhere") })));
    expect(wrongAudience).toMatchObject({ name: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithSAML" });
    expect((await error(anon.send(new AssumeRoleWithSAMLCommand({ RoleArn: Role!.Arn, PrincipalArn: providerArn, SAMLAssertion: "bm90IHhtbA==" })))).name).toBe(
      "InvalidIdentityTokenException",
    );
  });
});

describe("expiry on the Nimbus clock", () => {
  it("temporary credentials stop working when Nimbus time passes their expiration (ExpiredToken)", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "short", AssumeRolePolicyDocument: trust({ AWS: account }) }));
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "ss", DurationSeconds: 900 }));
    const session = new STSClient(config(out.Credentials!));
    expect((await session.send(new GetCallerIdentityCommand({}))).Arn).toMatch(/short\/ss$/);
    await advanceClock(n, "PT16M");
    expect(await error(session.send(new GetCallerIdentityCommand({})))).toMatchObject({
      name: "ExpiredToken",
      message: "The security token included in the request is expired",
      status: 403,
    });
  });
});
