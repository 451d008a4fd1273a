// Browser POST uploads: forms signed by @aws-sdk/s3-presigned-post, sent as multipart/form-data
// by fetch and by plain curl; policy conditions, signature verification, success answers.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketPolicyCommand, DeletePublicAccessBlockCommand, type S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { curl } from "./access-helpers.js";
import { client, text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function bucketOf(s3: S3Client): Promise<string> {
  const bucket = uniq("post");
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

function formOf(fields: Record<string, string>, file: string, filename = "photo.jpg", type = "image/jpeg"): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append("file", new Blob([file], { type }), filename);
  return fd;
}

describe("S3 browser POST uploads", () => {
  it("uploads with a signed policy: ${filename}, starts-with, metadata, 204 by default and 201 with PostResponse", async () => {
    const s3 = client(n);
    const bucket = await bucketOf(s3);
    const post = await createPresignedPost(s3, {
      Bucket: bucket,
      Key: "uploads/${filename}",
      Conditions: [["starts-with", "$key", "uploads/"], ["content-length-range", 1, 1024], ["starts-with", "$Content-Type", "image/"], { "x-amz-meta-owner": "eric" }],
      Fields: { "Content-Type": "image/jpeg", "x-amz-meta-owner": "eric" },
      Expires: 300,
    });
    expect(post.url).toBe(`${n.endpoint}/${bucket}`);
    const r = await fetch(post.url, { method: "POST", body: formOf(post.fields, "jpeg bytes") });
    expect(r.status).toBe(204);
    expect(r.headers.get("etag")).toBe(`"${createHash("md5").update("jpeg bytes").digest("hex")}"`);
    expect(r.headers.get("location")).toBe(`${n.endpoint}/${bucket}/uploads/photo.jpg`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "uploads/photo.jpg" }));
    expect(await text(got.Body)).toBe("jpeg bytes");
    expect(got.ContentType).toBe("image/jpeg");
    expect(got.Metadata).toEqual({ owner: "eric" });

    const post201 = await createPresignedPost(s3, { Bucket: bucket, Key: "x/${filename}", Conditions: [["starts-with", "$key", "x/"], { success_action_status: "201" }], Fields: { success_action_status: "201" } });
    const r201 = await fetch(post201.url, { method: "POST", body: formOf(post201.fields, "hello", "a b.txt", "text/plain") });
    expect(r201.status).toBe(201);
    const xml = await r201.text();
    expect(xml).toContain(`<Bucket>${bucket}</Bucket>`);
    expect(xml).toContain("<Key>x/a b.txt</Key>");
    expect(xml).toContain(`<Location>${n.endpoint}/${bucket}/x/a%20b.txt</Location>`);
    expect(xml).toContain(`<ETag>"${createHash("md5").update("hello").digest("hex")}"</ETag>`);
  });

  it("plain curl -F works, and success_action_redirect answers 303 with bucket, key and etag", async () => {
    const s3 = client(n);
    const bucket = await bucketOf(s3);
    const post = await createPresignedPost(s3, {
      Bucket: bucket,
      Key: "curl.txt",
      Conditions: [{ success_action_redirect: "https://app.example.com/done" }],
      Fields: { success_action_redirect: "https://app.example.com/done" },
    });
    const args: string[] = [];
    // -F reads a leading "@" or "<" as a file: --form-string sends the values as they are.
    for (const [k, v] of Object.entries(post.fields)) args.push("--form-string", `${k}=${v}`);
    const r = await curl(post.url, [...args, "-F", "file=@/dev/null;filename=empty.txt"]);
    // /dev/null: a zero-byte object.
    expect(r.status).toBe(303);
    const loc = new URL(r.headers.location);
    expect(loc.origin + loc.pathname).toBe("https://app.example.com/done");
    expect(loc.searchParams.get("bucket")).toBe(bucket);
    expect(loc.searchParams.get("key")).toBe("curl.txt");
    expect(loc.searchParams.get("etag")).toBe(`"${createHash("md5").update("").digest("hex")}"`);
    // The same form posted to the virtual host of the bucket.
    const host = `${bucket}.localhost`;
    const vh = await curl(`http://${host}:${n.port}/`, ["--resolve", `${host}:${n.port}:127.0.0.1`, ...args, "-F", "file=@/dev/null;filename=e.txt"]);
    expect(vh.status).toBe(303);
    expect(new URL(vh.headers.location).searchParams.get("bucket")).toBe(bucket);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "curl.txt" }))).ContentLength).toBe(0);
  });

  it("refuses what the policy does not allow, and writes nothing", async () => {
    const s3 = client(n);
    const bucket = await bucketOf(s3);
    const post = await createPresignedPost(s3, { Bucket: bucket, Key: "u/${filename}", Conditions: [["starts-with", "$key", "u/"], ["content-length-range", 2, 5]] });
    const tooBig = await fetch(post.url, { method: "POST", body: formOf(post.fields, "0123456789") });
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain("<Code>EntityTooLarge</Code>");
    const tooSmall = await fetch(post.url, { method: "POST", body: formOf(post.fields, "0") });
    expect(tooSmall.status).toBe(400);
    expect(await tooSmall.text()).toContain("<Code>EntityTooSmall</Code>");
    const wrongKey = await fetch(post.url, { method: "POST", body: formOf({ ...post.fields, key: "elsewhere/x" }, "abc") });
    expect(wrongKey.status).toBe(403);
    expect(await wrongKey.text()).toContain('Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "u/"]');
    const extra = await fetch(post.url, { method: "POST", body: formOf({ ...post.fields, "x-amz-meta-sneaky": "1" }, "abc") });
    expect(extra.status).toBe(403);
    expect(await extra.text()).toContain("Invalid according to Policy: Extra input fields: x-amz-meta-sneaky");
    const noKey = { ...post.fields } as Record<string, string>;
    delete noKey.key;
    const missing = await fetch(post.url, { method: "POST", body: formOf(noKey, "abc") });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Bucket POST must contain a field named 'key'.");
    const list = await s3.send(new (await import("@aws-sdk/client-s3")).ListObjectsV2Command({ Bucket: bucket }));
    expect(list.KeyCount).toBe(0);
  });

  it("an expired policy is refused; anonymous POST needs a bucket that lets anyone write", async () => {
    const s3 = client(n);
    const bucket = await bucketOf(s3);
    const post = await createPresignedPost(s3, { Bucket: bucket, Key: "k", Expires: 1 });
    const policy = JSON.parse(Buffer.from(post.fields.Policy, "base64").toString("utf8")) as { expiration: string };
    // A policy whose expiration is past (the key is not one Nimbus issued, so the signature
    // over the rewritten policy is not checked; advancing this server's clock would disturb
    // the other tests).
    const expired = { ...post.fields, Policy: Buffer.from(JSON.stringify({ ...policy, expiration: "2020-01-01T00:00:00Z" })).toString("base64") };
    const r = await fetch(post.url, { method: "POST", body: formOf(expired, "x") });
    expect(r.status).toBe(403);
    expect(await r.text()).toContain("Invalid according to Policy: Policy expired.");
    const anon = await fetch(post.url, { method: "POST", body: formOf({ key: "anon.txt" }, "x") });
    expect(anon.status).toBe(403);
    expect(await anon.text()).toContain("<Code>AccessDenied</Code>");
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/drop/*` }] }),
      }),
    );
    const dropped = await fetch(post.url, { method: "POST", body: formOf({ key: "drop/${filename}" }, "anonymous bytes", "a.txt") });
    expect(dropped.status).toBe(204);
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "drop/a.txt" }))).Body)).toBe("anonymous bytes");
  });

  it("verifies the signature for a key Nimbus issued", async () => {
    const account = freshAccount();
    const accessKeyId = `AKIA${account}POST`;
    n.nimbus.credentials.add(accessKeyId, { secretAccessKey: "post-secret", principal: { type: "root", accountId: account, arn: `arn:aws:iam::${account}:root`, userId: account } });
    const { S3Client } = await import("@aws-sdk/client-s3");
    const s3 = new S3Client({ endpoint: n.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId, secretAccessKey: "post-secret" } });
    const bucket = await bucketOf(s3);
    const post = await createPresignedPost(s3, { Bucket: bucket, Key: "signed.txt" });
    expect((await fetch(post.url, { method: "POST", body: formOf(post.fields, "ok") })).status).toBe(204);
    const forged = await fetch(post.url, { method: "POST", body: formOf({ ...post.fields, "X-Amz-Signature": "0".repeat(64) }, "forged") });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "signed.txt" }))).Body)).toBe("ok");
  });
});
