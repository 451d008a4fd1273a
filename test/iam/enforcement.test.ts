// Enforcement end to end: real IAM users (CreateUser, CreateAccessKey, PutUserPolicy...) make
// requests through the SDKs; the gateway's authorize step allows or denies them with AWS's error
// per protocol. The account root (default credentials) is never in the way.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, DeleteUserPolicyCommand, AttachUserPolicyCommand, PutUserPermissionsBoundaryCommand, CreatePolicyCommand, TagUserCommand } from "@aws-sdk/client-iam";
import { SQSClient, CreateQueueCommand, ListQueuesCommand, SendMessageCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { EC2Client, DescribeRegionsCommand } from "@aws-sdk/client-ec2";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { decodeAuthorizationMessage } from "../../src/core/iam/access-denied.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

interface User {
  name: string;
  arn: string;
  account: string;
  creds: { accountId: string; secretAccessKey: string };
}

/** A fresh account (as its root) with one IAM user and an access key. */
async function newUser(name = "alice", account = freshAccount()): Promise<{ root: IAMClient; user: User }> {
  const root = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
  const u = await root.send(new CreateUserCommand({ UserName: name }));
  const k = await root.send(new CreateAccessKeyCommand({ UserName: name }));
  expect(u.User?.Arn).toBe(`arn:aws:iam::${account}:user/${name}`);
  return { root, user: { name, arn: u.User!.Arn!, account, creds: { accountId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! } } };
}

const policy = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number }; $response?: { headers: Record<string, string> } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, headers: err.$response?.headers ?? {} };
  }
  throw new Error("expected the request to be denied");
}

describe("a user with no policy", () => {
  it("is denied on SQS (query-compatible AccessDenied, 403) with AWS's message", async () => {
    const { user } = await newUser();
    const sqs = new SQSClient(sdkConfig(n.endpoint, user.creds));
    const e = await rejection(sqs.send(new CreateQueueCommand({ QueueName: "jobs" })));
    expect(e.name).toBe("AccessDenied");
    expect(e.status).toBe(403);
    expect(e.message).toBe(`User: ${user.arn} is not authorized to perform: sqs:createqueue on resource: arn:aws:sqs:us-east-1:${user.account}:jobs because no identity-based policy allows the sqs:createqueue action`);
    // Nothing was created: the root of the account lists no queue.
    const rootSqs = new SQSClient(sdkConfig(n.endpoint, { accountId: user.account }));
    expect((await rootSqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
  });

  it("is denied on S3 with AccessDenied 403 and the quoted resource", async () => {
    const { user } = await newUser();
    const rootS3 = new S3Client(sdkConfig(n.endpoint, { accountId: user.account }));
    const bucket = `enf-${user.account}`;
    await rootS3.send(new CreateBucketCommand({ Bucket: bucket }));
    const s3 = new S3Client(sdkConfig(n.endpoint, user.creds));
    const e = await rejection(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a.txt", Body: "x" })));
    expect(e.name).toBe("AccessDenied");
    expect(e.status).toBe(403);
    expect(e.message).toBe(`User: ${user.arn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${bucket}/a.txt" because no identity-based policy allows the s3:PutObject action`);
    const l = await rejection(s3.send(new ListObjectsV2Command({ Bucket: bucket })));
    expect(l.message).toContain(`perform: s3:ListBucket on resource: "arn:aws:s3:::${bucket}"`);
    // The denied PutObject stored nothing.
    expect((await rootS3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
  });

  it("is denied on DynamoDB (AccessDeniedException 400), Lambda (AccessDeniedException 403) and EC2 (UnauthorizedOperation)", async () => {
    const { user } = await newUser();
    const d = await rejection(new DynamoDBClient(sdkConfig(n.endpoint, user.creds)).send(new ListTablesCommand({})));
    expect([d.name, d.status]).toEqual(["AccessDeniedException", 400]);
    expect(d.message).toBe(`User: ${user.arn} is not authorized to perform: dynamodb:ListTables on resource: * because no identity-based policy allows the dynamodb:ListTables action`);
    const l = await rejection(new LambdaClient(sdkConfig(n.endpoint, user.creds)).send(new ListFunctionsCommand({})));
    expect([l.name, l.status]).toEqual(["AccessDeniedException", 403]);
    expect(l.message).toContain("lambda:ListFunctions");
    const ec2 = await rejection(new EC2Client(sdkConfig(n.endpoint, user.creds)).send(new DescribeRegionsCommand({})));
    expect([ec2.name, ec2.status]).toEqual(["UnauthorizedOperation", 403]);
    const m = /Encoded authorization failure message: (\S+)$/.exec(ec2.message);
    expect(m, ec2.message).not.toBeNull();
    const decoded = JSON.parse(decodeAuthorizationMessage(m![1])!);
    expect(decoded.context.action).toBe("ec2:DescribeRegions");
    expect(decoded.context.principal.arn).toBe(user.arn);
  });

  it("is denied on CloudWatch (query-compatible: AccessDenied, 403, in whatever protocol the SDK speaks)", async () => {
    const { user } = await newUser();
    const e = await rejection(new CloudWatchClient(sdkConfig(n.endpoint, user.creds)).send(new ListMetricsCommand({})));
    expect([e.name, e.status]).toEqual(["AccessDenied", 403]);
    expect(e.message).toBe(`User: ${user.arn} is not authorized to perform: cloudwatch:ListMetrics on resource: * because no identity-based policy allows the cloudwatch:ListMetrics action`);
  });

  it("may still ask who it is (sts:GetCallerIdentity needs no permission)", async () => {
    const { user } = await newUser();
    const who = await new STSClient(sdkConfig(n.endpoint, user.creds)).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(user.arn);
  });
});

describe("policies take effect on the next request", () => {
  it("an inline policy grants, a deny takes it back, deleting the deny restores it", async () => {
    const { root, user } = await newUser();
    const sqs = new SQSClient(sdkConfig(n.endpoint, user.creds));
    await root.send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "sqs", PolicyDocument: policy({ Effect: "Allow", Action: "sqs:*", Resource: "*" }) }));
    const created = await sqs.send(new CreateQueueCommand({ QueueName: "granted" }));
    expect(created.QueueUrl).toMatch(new RegExp(`/${user.account}/granted$`));
    await sqs.send(new SendMessageCommand({ QueueUrl: created.QueueUrl, MessageBody: "hi" }));

    await root.send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "no-send", PolicyDocument: policy({ Effect: "Deny", Action: "sqs:SendMessage", Resource: `arn:aws:sqs:*:${user.account}:granted` }) }));
    const e = await rejection(sqs.send(new SendMessageCommand({ QueueUrl: created.QueueUrl, MessageBody: "hi" })));
    expect(e.name).toBe("AccessDenied");
    expect(e.message).toBe(`User: ${user.arn} is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:us-east-1:${user.account}:granted with an explicit deny in an identity-based policy`);
    // Other actions are still allowed.
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: "granted" }))).QueueUrl).toBe(created.QueueUrl);

    await root.send(new DeleteUserPolicyCommand({ UserName: user.name, PolicyName: "no-send" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: created.QueueUrl, MessageBody: "again" }));
  });

  it("an attached managed policy (AmazonS3ReadOnlyAccess's statement) grants reads but not writes", async () => {
    const { root, user } = await newUser();
    const bucket = `ro-${user.account}`;
    const rootS3 = new S3Client(sdkConfig(n.endpoint, { accountId: user.account }));
    await rootS3.send(new CreateBucketCommand({ Bucket: bucket }));
    await rootS3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "data" }));
    const ro = await root.send(new CreatePolicyCommand({ PolicyName: "s3-read", PolicyDocument: policy({ Effect: "Allow", Action: ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"], Resource: "*" }) }));
    await root.send(new AttachUserPolicyCommand({ UserName: user.name, PolicyArn: ro.Policy!.Arn }));
    const s3 = new S3Client(sdkConfig(n.endpoint, user.creds));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))).Body!.transformToString()).toBe("data");
    const e = await rejection(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k2", Body: "x" })));
    expect(e.message).toContain("because no identity-based policy allows the s3:PutObject action");
  });

  it("a permissions boundary caps what the policies grant", async () => {
    const { root, user } = await newUser();
    await root.send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "all", PolicyDocument: policy({ Effect: "Allow", Action: "*", Resource: "*" }) }));
    const boundary = await root.send(new CreatePolicyCommand({ PolicyName: "only-s3", PolicyDocument: policy({ Effect: "Allow", Action: "s3:*", Resource: "*" }) }));
    await root.send(new PutUserPermissionsBoundaryCommand({ UserName: user.name, PermissionsBoundary: boundary.Policy!.Arn }));
    const e = await rejection(new SQSClient(sdkConfig(n.endpoint, user.creds)).send(new ListQueuesCommand({})));
    expect(e.message).toBe(`User: ${user.arn} is not authorized to perform: sqs:listqueues on resource: * because no permissions boundary allows the sqs:listqueues action`);
    const s3 = new S3Client(sdkConfig(n.endpoint, user.creds));
    await s3.send(new CreateBucketCommand({ Bucket: `bnd-${user.account}` }));
  });

  it("policy variables and request keys: ${aws:username} home folders, aws:SourceIp, aws:PrincipalTag", async () => {
    const { root, user } = await newUser("dana");
    const bucket = `home-${user.account}`;
    await new S3Client(sdkConfig(n.endpoint, { accountId: user.account })).send(new CreateBucketCommand({ Bucket: bucket }));
    await root.send(new TagUserCommand({ UserName: user.name, Tags: [{ Key: "team", Value: "blue" }] }));
    await root.send(
      new PutUserPolicyCommand({
        UserName: user.name,
        PolicyName: "home",
        PolicyDocument: policy(
          { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/home/\${aws:username}/*`, Condition: { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } } },
          { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/teams/\${aws:PrincipalTag/team}/*` },
          { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/far/*`, Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } },
        ),
      }),
    );
    const s3 = new S3Client(sdkConfig(n.endpoint, user.creds));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "home/dana/a.txt", Body: "mine" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "teams/blue/a.txt", Body: "team" }));
    expect((await rejection(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "home/erin/a.txt", Body: "x" })))).name).toBe("AccessDenied");
    expect((await rejection(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "teams/red/a.txt", Body: "x" })))).name).toBe("AccessDenied");
    // The request comes from 127.0.0.1, outside 203.0.113.0/24.
    expect((await rejection(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "far/a.txt", Body: "x" })))).name).toBe("AccessDenied");
  });
});

describe("the account root", () => {
  it("is never denied by identity policies (default credentials)", async () => {
    const account = freshAccount();
    const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: account }));
    expect((await sqs.send(new CreateQueueCommand({ QueueName: "root-q" }))).QueueUrl).toContain(`/${account}/root-q`);
  });
});

describe("NIMBUS_IAM", () => {
  it("audit logs the decision and lets the request through; off skips authorization", async () => {
    for (const mode of ["audit", "off"] as const) {
      const m = await startNimbus({ env: { iam: mode, log: "error" } });
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        const account = freshAccount();
        const root = new IAMClient(sdkConfig(m.endpoint, { accountId: account }));
        await root.send(new CreateUserCommand({ UserName: "u" }));
        const k = await root.send(new CreateAccessKeyCommand({ UserName: "u" }));
        const sqs = new SQSClient(sdkConfig(m.endpoint, { accountId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! }));
        expect((await sqs.send(new CreateQueueCommand({ QueueName: `q-${mode}` }))).QueueUrl).toContain(`/${account}/q-${mode}`);
        const lines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith("nimbus: iam audit"));
        if (mode === "audit") {
          expect(lines).toContain(`nimbus: iam audit DENY implicit (identity) arn:aws:iam::${account}:user/u sqs:CreateQueue arn:aws:sqs:us-east-1:${account}:q-audit`);
        } else {
          expect(lines).toEqual([]);
        }
      } finally {
        log.mockRestore();
        await m.stop();
      }
    }
  });
});
