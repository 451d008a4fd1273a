import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateOpenIDConnectProviderCommand,
  CreateSAMLProviderCommand,
  CreateUserCommand,
  DeleteOpenIDConnectProviderCommand,
  GetContextKeysForCustomPolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetSAMLProviderCommand,
  ListMFADevicesCommand,
  ListOpenIDConnectProvidersCommand,
  ListSSHPublicKeysCommand,
  ListSigningCertificatesCommand,
  ListSAMLProvidersCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { error, iamFor } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const doc = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("identity providers", () => {
  it("OIDC: create, get, list, delete; one provider per URL", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { OpenIDConnectProviderArn } = await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: "https://oidc.example.com/issuer", ClientIDList: ["app-1"], ThumbprintList: ["a".repeat(40)] }),
    );
    expect(OpenIDConnectProviderArn).toBe(`arn:aws:iam::${account}:oidc-provider/oidc.example.com/issuer`);
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn }));
    expect(got).toMatchObject({ Url: "oidc.example.com/issuer", ClientIDList: ["app-1"], ThumbprintList: ["a".repeat(40)] });
    expect((await error(iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://oidc.example.com/issuer", ThumbprintList: [] })))).name).toBe(
      "EntityAlreadyExistsException",
    );
    expect((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList).toEqual([{ Arn: OpenIDConnectProviderArn }]);
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn }));
    expect((await error(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn })))).name).toBe("NoSuchEntityException");
  });

  it("SAML: create from metadata, get, list", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const metadata = `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com" validUntil="2030-01-01T00:00:00Z"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${"<!-- padding -->".repeat(70)}</md:IDPSSODescriptor></md:EntityDescriptor>`;
    const { SAMLProviderArn } = await iam.send(new CreateSAMLProviderCommand({ Name: "corp-idp", SAMLMetadataDocument: metadata }));
    expect(SAMLProviderArn).toBe(`arn:aws:iam::${account}:saml-provider/corp-idp`);
    const got = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn }));
    expect(got.SAMLMetadataDocument).toBe(metadata);
    expect(got.ValidUntil!.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect((await iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList!.map((p) => p.Arn)).toEqual([SAMLProviderArn]);
  });
});

describe("policy simulation", () => {
  it("SimulatePrincipalPolicy evaluates a user's own, group and boundary policies", async () => {
    const account = freshAccount();
    const iam = iamFor(n, account);
    const { User } = await iam.send(new CreateUserCommand({ UserName: "sim" }));
    await iam.send(new PutUserPolicyCommand({ UserName: "sim", PolicyName: "own", PolicyDocument: doc([{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" }]) }));
    await iam.send(new CreateGroupCommand({ GroupName: "g" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "g", UserName: "sim" }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "g", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }));
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: User!.Arn,
        ActionNames: ["s3:GetObject", "s3:PutObject", "sqs:SendMessage"],
        ResourceArns: ["arn:aws:s3:::data/file.txt"],
      }),
    );
    expect(out.EvaluationResults!.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ["s3:GetObject", "allowed"],
      ["s3:PutObject", "implicitDeny"],
      ["sqs:SendMessage", "allowed"],
    ]);
    expect(out.EvaluationResults![2].MatchedStatements![0]).toMatchObject({ SourcePolicyId: "arn:aws:iam::aws:policy/AmazonSQSFullAccess", SourcePolicyType: "aws-managed" });

    // A boundary that allows only S3 caps the group's SQS grant.
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: "sim", PermissionsBoundary: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const bounded = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: User!.Arn, ActionNames: ["sqs:SendMessage"] }));
    expect(bounded.EvaluationResults![0]).toMatchObject({ EvalDecision: "implicitDeny", PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: false } });
    expect((await error(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account}:user/ghost`, ActionNames: ["s3:GetObject"] })))).name).toBe(
      "NoSuchEntityException",
    );
  });

  it("SimulateCustomPolicy evaluates the policies passed in, with context keys", async () => {
    const iam = iamFor(n, freshAccount());
    const policy = doc([
      { Effect: "Allow", Action: "ec2:*", Resource: "*" },
      { Sid: "NoTerminate", Effect: "Deny", Action: "ec2:TerminateInstances", Resource: "*", Condition: { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } } },
    ]);
    const out = await iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [policy],
        ActionNames: ["ec2:RunInstances", "ec2:TerminateInstances"],
        ContextEntries: [{ ContextKeyName: "aws:RequestedRegion", ContextKeyValues: ["us-east-1"], ContextKeyType: "string" }],
      }),
    );
    expect(out.EvaluationResults!.map((r) => r.EvalDecision)).toEqual(["allowed", "explicitDeny"]);
    expect((await error(iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: ["{bad"], ActionNames: ["s3:GetObject"] })))).name).toBe(
      "MalformedPolicyDocumentException",
    );
    const keys = await iam.send(new GetContextKeysForCustomPolicyCommand({ PolicyInputList: [policy] }));
    expect(keys.ContextKeyNames).toEqual(["aws:RequestedRegion"]);
  });

  it("answers the empty lists of credentials Nimbus does not issue, for an existing user", async () => {
    const iam = iamFor(n, freshAccount());
    await iam.send(new CreateUserCommand({ UserName: "plain" }));
    expect((await iam.send(new ListMFADevicesCommand({ UserName: "plain" }))).MFADevices).toEqual([]);
    expect((await iam.send(new ListSigningCertificatesCommand({ UserName: "plain" }))).Certificates).toEqual([]);
    expect((await iam.send(new ListSSHPublicKeysCommand({ UserName: "plain" }))).SSHPublicKeys).toEqual([]);
    expect((await error(iam.send(new ListMFADevicesCommand({ UserName: "nobody" })))).name).toBe("NoSuchEntityException");
  });
});
