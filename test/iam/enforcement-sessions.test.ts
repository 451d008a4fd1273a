// Enforcement for role sessions (the role's policies, session policies, the role's boundary) and
// across accounts (a bucket policy naming another account's user: both sides must allow).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, CreateRoleCommand, PutRolePolicyCommand, CreatePolicyCommand, PutRolePermissionsBoundaryCommand } from "@aws-sdk/client-iam";
import { STSClient, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, PutBucketPolicyCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SQSClient, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const policy = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error("expected the request to be denied");
}

async function userIn(account: string, name: string, ...statements: object[]) {
  const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  if (statements.length) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: policy(...statements) }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { arn: u.User!.Arn!, creds: { accountId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! } };
}

describe("role sessions", () => {
  it("act with the role's policies, narrowed by session policies and the role's boundary", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const bucket = `sess-${account}`;
    const rootS3 = new S3Client(sdkConfig(n.endpoint, { accountId: account }));
    await rootS3.send(new CreateBucketCommand({ Bucket: bucket }));
    await rootS3.send(new PutObjectCommand({ Bucket: bucket, Key: "doc.txt", Body: "hello" }));
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: "Reader", AssumeRolePolicyDocument: policy({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }) }),
    );
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "Reader", PolicyName: "read", PolicyDocument: policy({ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket", "sqs:ListQueues"], Resource: "*" }) }),
    );
    const user = await userIn(account, "assumer", { Effect: "Allow", Action: "sts:AssumeRole", Resource: role.Role!.Arn });
    const sts = new STSClient(sdkConfig(n.endpoint, user.creds));

    const plain = await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: "s1" }));
    const c = plain.Credentials!;
    const s3 = new S3Client(sdkConfig(n.endpoint, { accountId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doc.txt" }))).Body!.transformToString()).toBe("hello");
    const put = await rejection(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "x" })));
    expect(put.name).toBe("AccessDenied");
    expect(put.message).toBe(`User: arn:aws:sts::${account}:assumed-role/Reader/s1 is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${bucket}/x" because no identity-based policy allows the s3:PutObject action`);

    // A session policy that allows only listing: GetObject is now refused by it.
    const narrow = await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: "s2", Policy: policy({ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }) }));
    const nc = narrow.Credentials!;
    const s3n = new S3Client(sdkConfig(n.endpoint, { accountId: nc.AccessKeyId!, secretAccessKey: nc.SecretAccessKey!, sessionToken: nc.SessionToken! }));
    expect((await s3n.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(1);
    const get = await rejection(s3n.send(new GetObjectCommand({ Bucket: bucket, Key: "doc.txt" })));
    expect(get.message).toBe(`User: arn:aws:sts::${account}:assumed-role/Reader/s2 is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/doc.txt" because no session policy allows the s3:GetObject action`);

    // A boundary on the role limits its existing sessions from the next request on.
    const b = await iam.send(new CreatePolicyCommand({ PolicyName: "only-sqs", PolicyDocument: policy({ Effect: "Allow", Action: "sqs:*", Resource: "*" }) }));
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: "Reader", PermissionsBoundary: b.Policy!.Arn }));
    const bounded = await rejection(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doc.txt" })));
    expect(bounded.message).toContain("because no permissions boundary allows the s3:GetObject action");
    const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }));
    await sqs.send(new ListQueuesCommand({}));
  });
});

describe("cross-account access through a bucket policy", () => {
  it("needs the bucket policy and the caller's identity policy; a Deny in the bucket policy wins", async () => {
    const owner = freshAccount();
    const other = freshAccount();
    const bucket = `xacct-${owner}`;
    const ownerS3 = new S3Client(sdkConfig(n.endpoint, { accountId: owner }));
    await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
    await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: "shared/a.txt", Body: "shared" }));
    await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: "private/b.txt", Body: "private" }));

    const withIdentity = await userIn(other, "reader", { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` });
    const withoutIdentity = await userIn(other, "nobody");
    const s3 = new S3Client(sdkConfig(n.endpoint, withIdentity.creds));
    const s3none = new S3Client(sdkConfig(n.endpoint, withoutIdentity.creds));

    // No bucket policy yet: the owner's account has not allowed anything.
    expect((await rejection(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "shared/a.txt" })))).name).toBe("AccessDenied");

    await ownerS3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy(
          { Sid: "OtherAccountReads", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other}:root` }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
          { Sid: "NoPrivate", Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/private/*` },
        ),
      }),
    );
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "shared/a.txt" }))).Body!.transformToString()).toBe("shared");
    const noIdentity = await rejection(s3none.send(new GetObjectCommand({ Bucket: bucket, Key: "shared/a.txt" })));
    expect(noIdentity.name).toBe("AccessDenied");
    expect(noIdentity.message).toBe(`User: ${withoutIdentity.arn} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/shared/a.txt" because no identity-based policy allows the s3:GetObject action`);
    const denied = await rejection(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "private/b.txt" })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.status).toBe(403);
    expect(denied.message).toBe(`User: ${withIdentity.arn} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/private/b.txt" with an explicit deny in a resource-based policy`);
  });
});
