// Static website hosting: configuration through the SDK, the website endpoint through plain curl
// (host form <bucket>.s3-website.localhost via --resolve, and the path form /_website/<bucket>/).
import {
  DeleteBucketWebsiteCommand,
  DeletePublicAccessBlockCommand,
  GetBucketWebsiteCommand,
  PutBucketPolicyCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { curl, err } from "./access-helpers.js";
import { withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

/** GET through the host form: <bucket>.s3-website.localhost resolved to 127.0.0.1 by curl itself. */
function site(bucket: string, path: string, extra: string[] = []) {
  const host = `${bucket}.s3-website.localhost`;
  return curl(`http://${host}:${n.port}${path}`, ["--resolve", `${host}:${n.port}:127.0.0.1`, ...extra]);
}

async function publicSite(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      // s3:ListBucket too: without it a missing page is 403 AccessDenied rather than 404, as on S3.
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
          { Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` },
        ],
      }),
    }),
  );
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType: "text/html" }));
  await put("index.html", "<h1>home</h1>");
  await put("docs/index.html", "<h1>docs</h1>");
  await put("docs/page.html", "<h1>page</h1>");
  await put("404.html", "<h1>not here</h1>");
}

describe("S3 website hosting", () => {
  it("stores and validates the configuration", async () => {
    const { s3, bucket } = await withBucket(n, "webcfg");
    expect(await err(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchWebsiteConfiguration", status: 404 });
    const cfg = {
      IndexDocument: { Suffix: "index.html" },
      ErrorDocument: { Key: "404.html" },
      RoutingRules: [{ Condition: { KeyPrefixEquals: "old/" }, Redirect: { ReplaceKeyPrefixWith: "new/", HttpRedirectCode: "302" } }],
    };
    await s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: cfg }));
    expect(await s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }))).toMatchObject(cfg);
    expect(await err(s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { ErrorDocument: { Key: "e.html" } } })))).toMatchObject({
      name: "InvalidArgument",
      message: "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
    });
    expect(await err(s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: "a/index.html" } } })))).toMatchObject({
      name: "InvalidArgument",
      message: "The IndexDocument Suffix is not well formed",
    });
    await s3.send(new DeleteBucketWebsiteCommand({ Bucket: bucket }));
    expect(await err(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchWebsiteConfiguration" });
  });

  it("serves index documents, the error document with 404, and redirects directories", async () => {
    const { s3, bucket } = await withBucket(n, "site");
    await publicSite(s3, bucket);
    // No website configuration yet.
    const none = await site(bucket, "/");
    expect(none.status).toBe(404);
    expect(none.body).toContain("<li>Code: NoSuchWebsiteConfiguration</li>");
    await s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: "index.html" }, ErrorDocument: { Key: "404.html" } } }));
    const home = await site(bucket, "/");
    expect(home).toMatchObject({ status: 200, body: "<h1>home</h1>" });
    expect(home.headers["content-type"]).toBe("text/html");
    expect(home.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await site(bucket, "/docs/")).toMatchObject({ status: 200, body: "<h1>docs</h1>" });
    expect(await site(bucket, "/docs/page.html")).toMatchObject({ status: 200, body: "<h1>page</h1>" });
    const dir = await site(bucket, "/docs");
    expect(dir.status).toBe(302);
    expect(dir.headers.location).toBe("/docs/");
    const missing = await site(bucket, "/nope.html");
    expect(missing).toMatchObject({ status: 404, body: "<h1>not here</h1>" });
    // HEAD
    const head = await site(bucket, "/", ["-I"]);
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String("<h1>home</h1>".length));
    // The path form serves the same site.
    expect(await curl(`${n.endpoint}/_website/${bucket}/docs/page.html`)).toMatchObject({ status: 200, body: "<h1>page</h1>" });
    const pathDir = await curl(`${n.endpoint}/_website/${bucket}/docs`);
    expect(pathDir.status).toBe(302);
    expect(pathDir.headers.location).toBe(`/_website/${bucket}/docs/`);
  });

  it("serves only public content: a private object answers 403 with the error document", async () => {
    const { s3, bucket } = await withBucket(n, "priv");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "index.html", Body: "secret", ContentType: "text/html" }));
    await s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: "index.html" } } }));
    const r = await site(bucket, "/");
    expect(r.status).toBe(403);
    expect(r.body).toContain("<h1>403 Forbidden</h1>");
    expect(r.body).toContain("<li>Code: AccessDenied</li>");
    expect(r.body).not.toContain("secret");
  });

  it("redirects: redirect-all, routing rules by prefix and by error code, object redirect locations", async () => {
    const { s3, bucket } = await withBucket(n, "redir");
    await publicSite(s3, bucket);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "moved.html", Body: "", WebsiteRedirectLocation: "/docs/page.html" }));
    await s3.send(
      new PutBucketWebsiteCommand({
        Bucket: bucket,
        WebsiteConfiguration: {
          IndexDocument: { Suffix: "index.html" },
          RoutingRules: [
            { Condition: { KeyPrefixEquals: "old/" }, Redirect: { ReplaceKeyPrefixWith: "docs/", HttpRedirectCode: "302" } },
            { Condition: { HttpErrorCodeReturnedEquals: "404" }, Redirect: { HostName: "fallback.example.com", ReplaceKeyWith: "missing.html" } },
          ],
        },
      }),
    );
    const byPrefix = await site(bucket, "/old/page.html");
    expect(byPrefix.status).toBe(302);
    expect(byPrefix.headers.location).toBe(`http://${bucket}.s3-website.localhost:${n.port}/docs/page.html`);
    const byError = await site(bucket, "/gone.html");
    expect(byError.status).toBe(301);
    expect(byError.headers.location).toBe("http://fallback.example.com/missing.html");
    const moved = await site(bucket, "/moved.html");
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe("/docs/page.html");
    await s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { RedirectAllRequestsTo: { HostName: "www.example.com", Protocol: "https" } } }));
    const all = await site(bucket, "/a/b.html");
    expect(all.status).toBe(301);
    expect(all.headers.location).toBe("https://www.example.com/a/b.html");
  });
});
