// IAM and STS through the clients that speak the query protocol: the aws CLI and boto3. Both
// decode the URL-encoded policy documents IAM returns, paginate with Marker, and use the
// credentials Nimbus issues (access keys, role sessions) like any others.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients, type CliResult } from "./support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);
const aws = async (account: string, ...args: string[]) => ok(await clients.aws(account, ...args));

/** The aws CLI with other credentials than an account root's (an issued key, a session). */
function awsAs(creds: { AccessKeyId: string; SecretAccessKey: string; SessionToken?: string }, ...args: string[]): Promise<CliResult> {
  const env = { ...clients.env("000000000000"), AWS_ACCESS_KEY_ID: creds.AccessKeyId, AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey };
  if (creds.SessionToken) (env as Record<string, string>).AWS_SESSION_TOKEN = creds.SessionToken;
  return new Promise((resolve) => {
    execFile(AWS!, ["--endpoint-url", n.endpoint, "--output", "json", ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sqs:ListQueues", "iam:GetUser"], Resource: "*" }] });

describe.skipIf(!AWS)("aws CLI: iam and sts", () => {
  it("create-user, create-access-key, put-user-policy, attach-user-policy, and the key acts as the user", async () => {
    const account = freshAccount();
    const user = (await aws(account, "iam", "create-user", "--user-name", "cli-user", "--path", "/cli/")).User;
    expect(user).toMatchObject({ UserName: "cli-user", Path: "/cli/", Arn: `arn:aws:iam::${account}:user/cli/cli-user` });
    const key = (await aws(account, "iam", "create-access-key", "--user-name", "cli-user")).AccessKey;
    expect(key.AccessKeyId).toMatch(/^AKIA/);
    await aws(account, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "q", "--policy-document", POLICY);
    // The CLI decodes the URL-encoded document into JSON.
    const inline = await aws(account, "iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "q");
    expect(inline.PolicyDocument).toEqual(JSON.parse(POLICY));
    await aws(account, "iam", "attach-user-policy", "--user-name", "cli-user", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess");
    const attached = await aws(account, "iam", "list-attached-user-policies", "--user-name", "cli-user");
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }]);

    const me = ok(await awsAs(key, "sts", "get-caller-identity"));
    expect(me).toEqual({ UserId: user.UserId, Account: account, Arn: user.Arn });
    const self = ok(await awsAs(key, "iam", "get-user"));
    expect(self.User.UserName).toBe("cli-user");

    const missing = failed(await clients.aws(account, "iam", "get-user", "--user-name", "nobody"));
    expect(missing).toContain("NoSuchEntity");
    expect(missing).toContain("The user with name nobody cannot be found.");
  }, 180_000);

  it("paginates list-users across pages (Marker) and returns every user", async () => {
    const account = freshAccount();
    for (let i = 0; i < 5; i++) await aws(account, "iam", "create-user", "--user-name", `page-${i}`);
    // --page-size makes the CLI fetch 2 per request and follow the Marker.
    const all = await aws(account, "iam", "list-users", "--page-size", "2");
    expect(all.Users.map((u: { UserName: string }) => u.UserName)).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);
    const first = await aws(account, "iam", "list-users", "--max-items", "2");
    expect(first.Users).toHaveLength(2);
    expect(first.NextToken).toBeTruthy();
  }, 180_000);

  it("sts assume-role, then the session's credentials; a trust policy that does not allow is refused", async () => {
    const account = freshAccount();
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }] });
    const role = (await aws(account, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trust)).Role;
    // The CLI decodes the trust policy too.
    expect(role.AssumeRolePolicyDocument).toEqual(JSON.parse(trust));
    const out = await aws(account, "sts", "assume-role", "--role-arn", role.Arn, "--role-session-name", "cli-session", "--duration-seconds", "900");
    expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${account}:assumed-role/cli-role/cli-session`);
    const me = ok(await awsAs(out.Credentials, "sts", "get-caller-identity"));
    expect(me.Arn).toBe(`arn:aws:sts::${account}:assumed-role/cli-role/cli-session`);
    expect(me.UserId).toBe(`${role.RoleId}:cli-session`);

    const lambdaOnly = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const other = (await aws(account, "iam", "create-role", "--role-name", "cli-lambda", "--assume-role-policy-document", lambdaOnly)).Role;
    const denied = failed(await clients.aws(account, "sts", "assume-role", "--role-arn", other.Arn, "--role-session-name", "nope"));
    expect(denied).toContain("AccessDenied");
    expect(denied).toContain(`is not authorized to perform: sts:AssumeRole on resource: ${other.Arn}`);
  }, 180_000);
});

describe.skipIf(!PYTHON)("boto3: iam and sts", () => {
  it("users, policies (documents decoded by botocore), paginators, assume_role and errors", async () => {
    const account = freshAccount();
    const script = `
import json, sys, boto3, botocore
endpoint = sys.argv[1]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
out = {}
for i in range(3):
    iam.create_user(UserName="py-%d" % i)
pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}))
out["pages"] = len(pages)
out["users"] = [u["UserName"] for p in pages for u in p["Users"]]
arn = iam.create_policy(PolicyName="py-policy", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))["Policy"]["Arn"]
v = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
out["document"] = v["Document"]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": sys.argv[2]}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="py-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
out["trust"] = role["AssumeRolePolicyDocument"]
creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="py-session")["Credentials"]
session = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
out["me"] = session.get_caller_identity()["Arn"]
try:
    iam.get_role(RoleName="missing")
except botocore.exceptions.ClientError as e:
    out["error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(out))
`;
    const r = await clients.python(account, script, n.endpoint, account);
    const out = ok(r);
    expect(out.pages).toBe(2);
    expect(out.users).toEqual(["py-0", "py-1", "py-2"]);
    expect(out.document).toEqual({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] });
    expect(out.trust.Statement[0].Principal).toEqual({ AWS: account });
    expect(out.me).toBe(`arn:aws:sts::${account}:assumed-role/py-role/py-session`);
    expect(out.error).toEqual(["NoSuchEntity", "The role with name missing cannot be found.", 404]);
  }, 120_000);
});
