// Bucket policies through the real SDK and plain curl: validation in S3's words, Block Public
// Access's BlockPublicPolicy and RestrictPublicBuckets, anonymous and cross-account access.
import { curl, err } from "./access-helpers.js";
import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { client, text, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const publicRead = (bucket: string, extra: object = {}) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*`, ...extra }] });

async function openBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
}

describe("S3 bucket policies", () => {
  it("stores the policy as sent and answers NoSuchBucketPolicy once deleted", async () => {
    const { s3, bucket } = await withBucket(n, "pol");
    expect((await err(s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))))).toMatchObject({ name: "NoSuchBucketPolicy", status: 404 });
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: { AWS: "111122223333" }, Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }] });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(policy);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(false);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect((await err(s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))))).toMatchObject({ name: "NoSuchBucketPolicy" });
  });

  it("refuses malformed policies with S3's messages and keeps the old one", async () => {
    const { s3, bucket } = await withBucket(n, "bad");
    const cases: Array<[string, string]> = [
      ["not json", "Policies must be valid JSON and the first byte must be '{'"],
      ["{ nope", "This policy contains invalid Json"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::other-bucket/*" }] }), "Policy has invalid resource"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] }), "Policy has invalid resource"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "invalid_action", Resource: `arn:aws:s3:::${bucket}/*` }] }), "Policy has invalid action"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }), "Missing required field Principal"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "user" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }), "Invalid principal in policy"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "111122223333" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}` }] }), "Action does not apply to any resource(s) in statement"],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Maybe", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }), "Invalid effect: Maybe"],
    ];
    for (const [policy, message] of cases) {
      expect(await err(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy })))).toMatchObject({ name: "MalformedPolicy", message, status: 400 });
    }
    // 20 KB limit.
    const big = JSON.stringify({
      Version: "2012-10-17",
      Statement: Array.from({ length: 200 }, (_, i) => ({ Sid: `S${i}`, Effect: "Deny", Principal: { AWS: "111122223333" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/some/fairly/long/prefix/${i}/*` })),
    });
    expect(Buffer.byteLength(big)).toBeGreaterThan(20 * 1024);
    expect((await err(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: big })))).name).toBe("MalformedPolicy");
    expect((await err(s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))))).toMatchObject({ name: "NoSuchBucketPolicy" });
  });

  it("Block Public Access (on by default) refuses a public policy; without it, an anonymous curl reads the object", async () => {
    const { s3, bucket } = await withBucket(n, "pub");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "docs/hello.txt", Body: "hello world", ContentType: "text/plain" }));
    const url = `${n.endpoint}/${bucket}/docs/hello.txt`;
    // Private by default.
    const denied = await curl(url);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("<Code>AccessDenied</Code>");
    const refused = await err(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) })));
    expect(refused).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(refused.message).toContain("because public policies are blocked by the BlockPublicPolicy block public access setting");
    await openBucket(s3, bucket);
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(true);
    const ok = await curl(url);
    expect(ok).toMatchObject({ status: 200, body: "hello world" });
    // The policy grants GetObject only: listing and writing stay denied.
    expect((await curl(`${n.endpoint}/${bucket}?list-type=2`)).status).toBe(403);
    expect((await curl(`${n.endpoint}/${bucket}/x.txt`, ["-X", "PUT", "--data-binary", "x"])).status).toBe(403);
    // RestrictPublicBuckets turns the public policy off for everyone outside the account.
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    expect((await curl(url)).status).toBe(403);
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { RestrictPublicBuckets: false } }));
    expect((await curl(url)).status).toBe(200);
    // A missing key: NoSuchKey only for a caller who may list the bucket, AccessDenied otherwise.
    const probe = await curl(`${n.endpoint}/${bucket}/docs/missing.txt`);
    expect(probe.status).toBe(403);
    expect(probe.body).toContain("<Code>AccessDenied</Code>");
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: "*", Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
        }),
      }),
    );
    const listed = await curl(`${n.endpoint}/${bucket}/docs/missing.txt`);
    expect(listed.status).toBe(404);
    expect(listed.body).toContain("<Code>NoSuchKey</Code>");
    // A bucket that does not exist is NoSuchBucket to anyone.
    const nobucket = await curl(`${n.endpoint}/no-such-bucket-${Date.now()}/k`);
    expect(nobucket.status).toBe(404);
    expect(nobucket.body).toContain("<Code>NoSuchBucket</Code>");
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect((await curl(url)).status).toBe(403);
  });

  it("a policy condition narrows the grant (aws:Referer), a public policy with a fixed source account is not public", async () => {
    const { s3, bucket } = await withBucket(n, "cond");
    await openBucket(s3, bucket);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a.txt", Body: "A" }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket, { Condition: { StringLike: { "aws:Referer": "https://example.com/*" } } }) }));
    expect((await curl(`${n.endpoint}/${bucket}/a.txt`)).status).toBe(403);
    expect(await curl(`${n.endpoint}/${bucket}/a.txt`, ["-H", "Referer: https://example.com/page"])).toMatchObject({ status: 200, body: "A" });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket, { Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } } }) }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(false);
  });

  it("grants another account access, and an explicit Deny binds the owner too", async () => {
    const { s3, bucket } = await withBucket(n, "xacct");
    const otherAccount = String(100_000_000_000 + Math.floor(Math.random() * 899_999_999_999));
    const other = client(n, { accountId: otherAccount });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "shared/a.txt", Body: "shared" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "secret/b.txt", Body: "secret" }));
    expect((await err(other.send(new GetObjectCommand({ Bucket: bucket, Key: "shared/a.txt" }))))).toMatchObject({ name: "AccessDenied", status: 403 });
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "Read", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${otherAccount}:root` }, Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/shared/*`] },
            { Sid: "NoSecretsEvenForOwner", Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/secret/*` },
          ],
        }),
      }),
    );
    expect(await text((await other.send(new GetObjectCommand({ Bucket: bucket, Key: "shared/a.txt" }))).Body)).toBe("shared");
    const listed = await other.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["secret/b.txt", "shared/a.txt"]);
    expect((await err(other.send(new PutObjectCommand({ Bucket: bucket, Key: "shared/c.txt", Body: "c" }))))).toMatchObject({ name: "AccessDenied" });
    expect((await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "secret/b.txt" }))))).toMatchObject({ name: "AccessDenied", status: 403 });
    // Another account may not read the policy; the owner can still replace it under a Deny-all.
    expect((await err(other.send(new GetBucketPolicyCommand({ Bucket: bucket }))))).toMatchObject({ name: "AccessDenied", status: 403 });
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }] }),
      }),
    );
    expect((await err(s3.send(new ListObjectsV2Command({ Bucket: bucket }))))).toMatchObject({ name: "AccessDenied" });
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(2);
  });

  it("the policy survives a restart", async () => {
    const m = await startNimbus();
    const { s3, bucket } = await withBucket(m, "durable");
    await openBucket(s3, bucket);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) }));
    await m.stop({ keepData: true });
    const again = await startNimbus({ dataDir: m.dataDir });
    try {
      expect(await curl(`${again.endpoint}/${bucket}/k`)).toMatchObject({ status: 200, body: "v" });
    } finally {
      await again.stop();
    }
  });
});
