// Presigned GET and PUT URLs end to end: signed by @aws-sdk/s3-request-presigner and by
// `aws s3 presign`, used by plain curl (no SDK, no credentials), and refused once expired
// (expiry follows Nimbus time, advanced through /_nimbus/clock).
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, useClients } from "../../clients/support.js";
import { curl } from "./access-helpers.js";
import { client, text, uniq } from "./helpers.js";
import { CreateBucketCommand } from "@aws-sdk/client-s3";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());
const clients = useClients(() => n.endpoint);

describe("S3 presigned URLs", () => {
  it("a presigned PUT uploads through curl, a presigned GET downloads it; the bucket stays private", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("presign");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: "up/file.txt", ContentType: "text/plain" }), { expiresIn: 300 });
    expect(putUrl).toContain("X-Amz-Signature=");
    const put = await curl(putUrl, ["-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", "uploaded by curl"]);
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe('"' + (await import("node:crypto")).createHash("md5").update("uploaded by curl").digest("hex") + '"');
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "up/file.txt" }));
    expect(await text(got.Body)).toBe("uploaded by curl");
    expect(got.ContentType).toBe("text/plain");

    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "up/file.txt", ResponseContentDisposition: "attachment; filename=x.txt" }), { expiresIn: 60 });
    const dl = await curl(getUrl);
    expect(dl).toMatchObject({ status: 200, body: "uploaded by curl" });
    expect(dl.headers["content-disposition"]).toBe("attachment; filename=x.txt");
    // The same URL without its signature is an anonymous request to a private bucket.
    expect((await curl(`${n.endpoint}/${bucket}/up/file.txt`)).status).toBe(403);
  });

  it("with a key Nimbus issued, the signature is verified: a tampered URL is refused", async () => {
    const account = freshAccount();
    const accessKeyId = `AKIA${account}PRE`;
    n.nimbus.credentials.add(accessKeyId, { secretAccessKey: "s3cr3t-presign", principal: { type: "root", accountId: account, arn: `arn:aws:iam::${account}:root`, userId: account } });
    const { S3Client } = await import("@aws-sdk/client-s3");
    const s3 = new S3Client({ endpoint: n.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId, secretAccessKey: "s3cr3t-presign" } });
    const bucket = uniq("verified");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "k" }), { expiresIn: 60 });
    expect(await curl(url)).toMatchObject({ status: 200, body: "v" });
    const longer = await curl(url.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=3600"));
    expect(longer.status).toBe(403);
    expect(longer.body).toContain("<Code>SignatureDoesNotMatch</Code>");
    const otherKey = await curl(url.replace("/k?", "/other?"));
    expect(otherKey.status).toBe(403);
  });

  it.skipIf(!AWS)("`aws s3 presign` makes a URL curl can use", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const bucket = uniq("cli-presign");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "report.csv", Body: "a,b\n1,2\n" }));
    const r = await clients.aws(account, "s3", "presign", `s3://${bucket}/report.csv`, "--expires-in", "120");
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    // aws CLI v2 (and Debian's awscli) presigns with SigV4; a pip-installed CLI v1 (1.45 here)
    // still presigns S3 with SigV2's AWSAccessKeyId/Signature/Expires (an absolute epoch time).
    const v2Expires = /[?&]Expires=(\d+)/.exec(url);
    if (v2Expires) {
      expect(url).toContain("AWSAccessKeyId=");
      expect(Number(v2Expires[1]) - Date.now() / 1000).toBeGreaterThan(100);
      expect(Number(v2Expires[1]) - Date.now() / 1000).toBeLessThanOrEqual(121);
    } else expect(url).toMatch(/X-Amz-Expires=120/);
    expect(await curl(url)).toMatchObject({ status: 200, body: "a,b\n1,2\n" });
  });

  it("an expired presigned URL answers AccessDenied \"Request has expired\"", async () => {
    // Its own server: advancing the clock must not disturb the other tests.
    const m = await startNimbus();
    try {
      const s3 = client(m);
      const bucket = uniq("expiry");
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "k" }), { expiresIn: 60 });
      const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: "k2" }), { expiresIn: 60 });
      expect((await curl(url)).status).toBe(200);
      const adv = await fetch(`${m.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "PT2M" }) });
      expect(adv.status).toBe(200);
      const expired = await curl(url);
      expect(expired.status).toBe(403);
      expect(expired.body).toContain("<Code>AccessDenied</Code>");
      expect(expired.body).toContain("<Message>Request has expired</Message>");
      expect(expired.body).toContain("<X-Amz-Expires>60</X-Amz-Expires>");
      const expiredPut = await curl(putUrl, ["-X", "PUT", "--data-binary", "late"]);
      expect(expiredPut.status).toBe(403);
      expect(expiredPut.body).toContain("Request has expired");
    } finally {
      await m.stop();
    }
  });
});
