// Users, access keys and STS sessions survive a restart: the issued credentials live in the
// database, not in memory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetUserCommand, IAMClient, PutUserPolicyCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus } from "../../support/nimbus.js";

const dataDir = mkdtempSync(join(tmpdir(), "nimbus-iam-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function config(endpoint: string, c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) {
  return {
    endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) },
  };
}

describe("IAM and STS across a restart", () => {
  it("keeps users, their keys (active and inactive) and role sessions", async () => {
    const account = freshAccount();
    let n = await startNimbus({ dataDir });
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const { User } = await iam.send(new CreateUserCommand({ UserName: "keeper" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "keeper",
        PolicyName: "self",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }] }),
      }),
    );
    const active = (await iam.send(new CreateAccessKeyCommand({ UserName: "keeper" }))).AccessKey!;
    const inactive = (await iam.send(new CreateAccessKeyCommand({ UserName: "keeper" }))).AccessKey!;
    await iam.send(new UpdateAccessKeyCommand({ UserName: "keeper", AccessKeyId: inactive.AccessKeyId, Status: "Inactive" }));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: account }, Action: "sts:AssumeRole" }] });
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "kept", AssumeRolePolicyDocument: trust }));
    const session = (await new STSClient(sdkConfig(n.endpoint, { accountId: account })).send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: "before" })))
      .Credentials!;
    await n.stop({ keepData: true });

    n = await startNimbus({ dataDir });
    try {
      const asUser = await new IAMClient(config(n.endpoint, active)).send(new GetUserCommand({}));
      expect(asUser.User).toMatchObject({ UserName: "keeper", UserId: User!.UserId });
      const refused = await new STSClient(config(n.endpoint, inactive)).send(new GetCallerIdentityCommand({})).catch((e: { name: string }) => e.name);
      expect(refused).toBe("InvalidClientTokenId");
      const me = await new STSClient(config(n.endpoint, session)).send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe(`arn:aws:sts::${account}:assumed-role/kept/before`);
    } finally {
      await n.stop({ keepData: true });
    }
  });
});
