// Key policies and grants decide who may use a key (issue 6): the default policy delegates to
// the account's IAM policies, a policy without that delegation shuts out even AdministratorAccess
// users (and root), explicit denies win, another account needs the key policy and its own IAM
// policy, grants add operations for their grantee, Get/PutKeyPolicy validate as AWS does.
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import { CreateGrantCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GetKeyPolicyCommand, KMSClient, ListGrantsCommand, ListKeyPoliciesCommand, PutKeyPolicyCommand, RevokeGrantCommand } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { error, iamFor } from "../iam/helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const root = (account: string) => new KMSClient(sdkConfig(n.endpoint, { accountId: account }));

async function user(iam: IAMClient, account: string, name: string): Promise<{ arn: string; kms: KMSClient }> {
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  expect(u.User?.Arn).toBe(`arn:aws:iam::${account}:user/${name}`);
  return { arn: u.User!.Arn!, kms: new KMSClient(sdkConfig(n.endpoint, { accountId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! })) };
}

describe("key policies", () => {
  it("writes AWS's default policy, which delegates to the account's IAM policies", async () => {
    const account = freshAccount();
    const kms = root(account);
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const got = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default" }));
    expect(JSON.parse(got.Policy!)).toEqual({
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }],
    });
    expect(got.Policy).toContain('"Version" : "2012-10-17"');
    expect((await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }))).PolicyNames).toEqual(["default"]);

    const iam = iamFor(n, account);
    const alice = await user(iam, account, "alice");
    const denied = await error(alice.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })));
    expect(denied).toEqual({ name: "AccessDeniedException", status: 400, message: `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${key.Arn} because no identity-based policy allows the kms:Encrypt action` });
    await iam.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: "use", PolicyDocument: doc({ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt"], Resource: key.Arn }) }));
    const blob = (await alice.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("by alice") }))).CiphertextBlob;
    // Decrypt names no key: the key is read from the ciphertext, for the policy as for the handler.
    expect(Buffer.from((await alice.kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString()).toBe("by alice");
  });

  it("without delegation to the account, only principals the key policy names may use the key", async () => {
    const account = freshAccount();
    const kms = root(account);
    const iam = iamFor(n, account);
    const admin = await user(iam, account, "admin");
    await iam.send(new AttachUserPolicyCommand({ UserName: "admin", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const bob = await user(iam, account, "bob");
    const policy = doc(
      { Sid: "admin manages", Effect: "Allow", Principal: { AWS: admin.arn }, Action: ["kms:Describe*", "kms:Get*", "kms:Put*"], Resource: "*" },
      { Sid: "bob uses", Effect: "Allow", Principal: { AWS: bob.arn }, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" },
    );
    // AWS refuses a policy that locks the caller out unless told to bypass the check; Nimbus does not check (GAPS).
    const key = (await kms.send(new CreateKeyCommand({ Policy: policy, BypassPolicyLockoutSafetyCheck: true }))).KeyMetadata!;
    // Bob has no IAM policy at all: the key policy naming him is enough.
    const blob = (await bob.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("bob") }))).CiphertextBlob;
    // The administrator may describe it, not use it.
    await admin.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    const adminDenied = await error(admin.kms.send(new DecryptCommand({ CiphertextBlob: blob })));
    expect(adminDenied.name).toBe("AccessDeniedException");
    expect(adminDenied.message).toBe(`User: ${admin.arn} is not authorized to perform: kms:Decrypt on resource: ${key.Arn} because no resource-based policy allows the kms:Decrypt action`);
    // Nor may the account's root.
    expect((await error(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("root") })))).name).toBe("AccessDeniedException");

    // An explicit Deny wins over the grant to bob.
    await admin.kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default", Policy: doc(JSON.parse(policy).Statement[0], JSON.parse(policy).Statement[1], { Sid: "no decrypt", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*" }) }));
    const bobDenied = await error(bob.kms.send(new DecryptCommand({ CiphertextBlob: blob })));
    expect(bobDenied.message).toContain("with an explicit deny in a resource-based policy");
  });

  it("validates policies as AWS does", async () => {
    const kms = root(freshAccount());
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    for (const Policy of ["nope", doc({ Effect: "Allow", Action: "kms:*", Resource: "*" }), doc({ Effect: "Allow", Principal: { AWS: "x" }, Action: "kms:*", Resource: "*" })]) {
      expect((await error(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default", Policy })))).name).toBe("MalformedPolicyDocumentException");
    }
    expect((await error(kms.send(new CreateKeyCommand({ Policy: "{}" })))).name).toBe("MalformedPolicyDocumentException");
    expect((await error(kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "other" })))).name).toBe("NotFoundException");
  });
});

describe("cross-account use and grants", () => {
  it("needs the key policy to name the other account and that account's IAM policy", async () => {
    const owner = freshAccount();
    const other = freshAccount();
    const kms = root(owner);
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const carol = await user(iamFor(n, other), other, "carol");
    await iamFor(n, other).send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "kms", PolicyDocument: doc({ Effect: "Allow", Action: "kms:*", Resource: "*" }) }));
    const denied = await error(carol.kms.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: Buffer.from("x") })));
    expect(denied.message).toBe(`User: ${carol.arn} is not authorized to perform: kms:Encrypt on resource: ${key.Arn} because no resource-based policy allows the kms:Encrypt action`);
    const current = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy!);
    current.Statement.push({ Sid: "other account", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other}:root` }, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" });
    await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: JSON.stringify(current) }));
    const blob = (await carol.kms.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: Buffer.from("cross") }))).CiphertextBlob;
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString()).toBe("cross");
  });

  it("grants let their grantee perform the granted operations, under encryption-context constraints", async () => {
    const account = freshAccount();
    const kms = root(account);
    const key = (await kms.send(new CreateKeyCommand({ Policy: doc({ Sid: "root only", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:DescribeKey", "kms:Decrypt", "kms:Encrypt"], Resource: "*", Condition: { Bool: { "aws:PrincipalIsAWSService": "false" } } }) }))).KeyMetadata!;
    const iam = iamFor(n, account);
    const dan = await user(iam, account, "dan");
    // The key policy delegates to the account, but dan has no IAM policy: denied until the grant.
    expect((await error(dan.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: { app: "a" } })))).name).toBe("AccessDeniedException");
    const g = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: dan.arn, Operations: ["Encrypt", "Decrypt"], Constraints: { EncryptionContextSubset: { app: "a" } }, Name: "dan-app-a" }));
    expect(g.GrantId).toMatch(/^[0-9a-f]{64}$/);
    expect((await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: dan.arn, Operations: ["Encrypt", "Decrypt"], Constraints: { EncryptionContextSubset: { app: "a" } }, Name: "dan-app-a" }))).GrantId).toBe(g.GrantId);
    const blob = (await dan.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("granted"), EncryptionContext: { app: "a" } }))).CiphertextBlob;
    expect((await error(dan.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: { app: "b" } })))).name).toBe("AccessDeniedException");
    const listed = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }));
    expect(listed.Grants).toEqual([expect.objectContaining({ GrantId: g.GrantId, GranteePrincipal: dan.arn, Operations: ["Encrypt", "Decrypt"], Name: "dan-app-a", IssuingAccount: `arn:aws:iam::${account}:root`, Constraints: { EncryptionContextSubset: { app: "a" } } })]);
    await kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: g.GrantId }));
    expect((await error(dan.kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { app: "a" } })))).name).toBe("AccessDeniedException");
  });
});
