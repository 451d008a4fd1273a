// Bucket policies with IAM principals, through the IAM engine (gateway step 6) and S3's
// resource-policy hook: a same-account user allowed by the bucket policy alone, a cross-account
// user needing both its identity policy and the bucket policy, and explicit Denies naming a user.
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { client, text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    const r = await p;
    const body = (r as { Body?: unknown }).Body;
    return body ? `allowed:${await text(body)}` : "allowed";
  } catch (e) {
    return (e as Error).name;
  }
}

async function user(account: string, name: string): Promise<{ s3: S3Client; arn: string; iam: IAMClient }> {
  const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
  const u = (await iam.send(new CreateUserCommand({ UserName: name }))).User!;
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  const s3 = new S3Client({ endpoint: n.endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
  return { s3, arn: u.Arn!, iam };
}

describe("S3 bucket policies and IAM principals", () => {
  it("same account: the bucket policy alone lets a user in; a Deny naming the user wins over its own Allow", async () => {
    const account = freshAccount();
    const owner = client(n, { accountId: account });
    const bucket = uniq("iam-same");
    await owner.send(new CreateBucketCommand({ Bucket: bucket }));
    await owner.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    const alice = await user(account, "alice");
    const bob = await user(account, "bob");
    expect(await outcome(alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" })))).toBe("AccessDenied");
    await owner.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "Alice", Effect: "Allow", Principal: { AWS: alice.arn }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
            { Sid: "NotBob", Effect: "Deny", Principal: { AWS: bob.arn }, Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] },
          ],
        }),
      }),
    );
    expect(await outcome(alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" })))).toBe("allowed:v");
    // Bob's identity policy allows all of S3; the bucket policy's Deny still wins.
    await bob.iam.send(new PutUserPolicyCommand({ UserName: "bob", PolicyName: "s3", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) }));
    expect(await outcome(bob.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" })))).toBe("AccessDenied");
  });

  it("another account's user needs its own identity policy and the bucket policy", async () => {
    const ownerAccount = freshAccount();
    const owner = client(n, { accountId: ownerAccount });
    const bucket = uniq("iam-cross");
    await owner.send(new CreateBucketCommand({ Bucket: bucket }));
    await owner.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "shared" }));
    const carol = await user(freshAccount(), "carol");
    await owner.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: carol.arn }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }),
      }),
    );
    // Bucket policy only: not enough across accounts.
    expect(await outcome(carol.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" })))).toBe("AccessDenied");
    await carol.iam.send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "read", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }) }));
    expect(await outcome(carol.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" })))).toBe("allowed:shared");
    // Identity policy only (another bucket of the same owner): denied.
    const other = uniq("iam-cross2");
    await owner.send(new CreateBucketCommand({ Bucket: other }));
    await owner.send(new PutObjectCommand({ Bucket: other, Key: "k", Body: "x" }));
    expect(await outcome(carol.s3.send(new GetObjectCommand({ Bucket: other, Key: "k" })))).toBe("AccessDenied");
  });
});
