// Enforcement through the aws CLI and boto3: an IAM user's key is denied with AWS's error in the
// protocols these clients speak (SQS query XML, S3 REST-XML, DynamoDB JSON, EC2 query), and a
// policy attached with the CLI lets it through.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { AWS, PYTHON, failed, ok, useClients, type CliResult } from "../clients/support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());
const clients = useClients(() => n.endpoint);

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A user with an access key, made with the aws CLI as the account's root; env for acting as it. */
async function cliUser(account: string, name: string): Promise<{ arn: string; env: NodeJS.ProcessEnv }> {
  const u = ok(await clients.aws(account, "iam", "create-user", "--user-name", name));
  const k = ok(await clients.aws(account, "iam", "create-access-key", "--user-name", name));
  return { arn: u.User.Arn, env: { ...clients.env(account), AWS_ACCESS_KEY_ID: k.AccessKey.AccessKeyId, AWS_SECRET_ACCESS_KEY: k.AccessKey.SecretAccessKey } };
}

describe.skipIf(!AWS)("aws CLI", () => {
  it("a user is denied until put-user-policy grants, in the CLI's error format", async () => {
    const account = freshAccount();
    const user = await cliUser(account, "cli-user");
    const asUser = (...args: string[]) => run(AWS!, ["--endpoint-url", n.endpoint, "--output", "json", ...args], user.env);

    const err = failed(await asUser("sqs", "create-queue", "--queue-name", "cliq"));
    expect(err).toContain(
      `An error occurred (AccessDenied) when calling the CreateQueue operation: User: ${user.arn} is not authorized to perform: sqs:createqueue on resource: arn:aws:sqs:us-east-1:${account}:cliq because no identity-based policy allows the sqs:createqueue action`,
    );
    const bucket = `cli-enf-${account}`;
    ok(await clients.aws(account, "s3api", "create-bucket", "--bucket", bucket));
    const s3err = failed(await asUser("s3api", "put-object", "--bucket", bucket, "--key", "k"));
    expect(s3err).toContain(`An error occurred (AccessDenied) when calling the PutObject operation: User: ${user.arn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${bucket}/k"`);

    ok(
      await clients.aws(account, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "sqs", "--policy-document",
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:*", Resource: `arn:aws:sqs:*:${account}:cli*` }] })),
    );
    const q = ok(await asUser("sqs", "create-queue", "--queue-name", "cliq"));
    expect(q.QueueUrl).toMatch(new RegExp(`/${account}/cliq$`));
    // The policy names cli* queues only.
    expect(failed(await asUser("sqs", "create-queue", "--queue-name", "other"))).toContain("(AccessDenied)");
  }, 120_000);
});

describe.skipIf(!PYTHON)("boto3", () => {
  it("denials in S3, DynamoDB, EC2 and SQS answer AWS's codes, then a policy lets S3 through", async () => {
    const account = freshAccount();
    const root = (s: string) => clients.python(account, s, n.endpoint);
    const made = ok(
      await root(`
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1])
iam.create_user(UserName="py-user")
k = iam.create_access_key(UserName="py-user")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
s3.create_bucket(Bucket="py-enf-${account}")
print(json.dumps({"id": k["AccessKeyId"], "secret": k["SecretAccessKey"]}))
`),
    );
    const script = `
import boto3, json, sys
from botocore.exceptions import ClientError
from botocore.config import Config
kw = dict(endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name="us-east-1", config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
out = {}
def attempt(name, f):
    try:
        f()
        out[name] = "ok"
    except ClientError as e:
        out[name] = [e.response["Error"]["Code"], e.response["Error"].get("Message", ""), e.response["ResponseMetadata"]["HTTPStatusCode"]]
attempt("s3", lambda: boto3.client("s3", **kw).put_object(Bucket="py-enf-${account}", Key="k", Body=b"x"))
attempt("ddb", lambda: boto3.client("dynamodb", **kw).list_tables())
attempt("ec2", lambda: boto3.client("ec2", **kw).describe_regions())
attempt("sqs", lambda: boto3.client("sqs", **kw).list_queues())
print(json.dumps(out))
`;
    const asUser = () => clients.python(account, script, n.endpoint, made.id, made.secret);
    const before = ok(await asUser());
    const arn = `arn:aws:iam::${account}:user/py-user`;
    expect(before.s3).toEqual(["AccessDenied", `User: ${arn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::py-enf-${account}/k" because no identity-based policy allows the s3:PutObject action`, 403]);
    expect(before.ddb).toEqual(["AccessDeniedException", `User: ${arn} is not authorized to perform: dynamodb:ListTables on resource: * because no identity-based policy allows the dynamodb:ListTables action`, 400]);
    expect(before.ec2[0]).toBe("UnauthorizedOperation");
    expect(before.ec2[2]).toBe(403);
    expect(before.ec2[1]).toMatch(/^You are not authorized to perform this operation\. User: .* ec2:DescribeRegions .*Encoded authorization failure message: \S+$/);
    expect(before.sqs[0]).toBe("AccessDenied");
    expect(before.sqs[2]).toBe(403);

    ok(
      await root(`
import boto3, json, sys
boto3.client("iam", endpoint_url=sys.argv[1]).put_user_policy(UserName="py-user", PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::py-enf-${account}/*"}]}))
print("{}")
`),
    );
    const after = ok(await asUser());
    expect(after.s3).toBe("ok");
    expect(after.ddb[0]).toBe("AccessDeniedException");
  }, 120_000);
});
