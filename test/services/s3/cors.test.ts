// CORS: Put/Get/DeleteBucketCors through the SDK, preflight OPTIONS and actual requests through
// curl (as a browser would send them), answered as S3 does.
import { DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { curl, err } from "./access-helpers.js";
import { withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const preflight = (url: string, origin: string | undefined, method: string | undefined, headers?: string) =>
  curl(url, ["-X", "OPTIONS", ...(origin ? ["-H", `Origin: ${origin}`] : []), ...(method ? ["-H", `Access-Control-Request-Method: ${method}`] : []), ...(headers ? ["-H", `Access-Control-Request-Headers: ${headers}`] : [])]);

describe("S3 CORS", () => {
  it("stores rules, validates them, and answers NoSuchCORSConfiguration when none", async () => {
    const { s3, bucket } = await withBucket(n, "cors");
    expect(await err(s3.send(new GetBucketCorsCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchCORSConfiguration", message: "The CORS configuration does not exist", status: 404 });
    const rules = [
      { ID: "app", AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["content-type", "x-amz-*"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 600 },
      { AllowedOrigins: ["*"], AllowedMethods: ["GET"] },
    ];
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }));
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules).toEqual(rules);
    expect(await err(s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["*"], AllowedMethods: ["PATCH"] }] } })))).toMatchObject({
      name: "InvalidRequest",
      message: "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
    });
    expect(await err(s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["https://*.*.com"], AllowedMethods: ["GET"] }] } })))).toMatchObject({
      name: "InvalidRequest",
      message: 'AllowedOrigin "https://*.*.com" can not have more than one wildcard.',
    });
    // The failed puts changed nothing.
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules).toHaveLength(2);
    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    expect(await err(s3.send(new GetBucketCorsCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchCORSConfiguration" });
  });

  it("answers preflight requests from the first matching rule, 403 when none matches", async () => {
    const { s3, bucket } = await withBucket(n, "pre");
    const url = `${n.endpoint}/${bucket}/uploads/a.png`;
    const noCors = await preflight(url, "https://app.example.com", "PUT");
    expect(noCors.status).toBe(403);
    expect(noCors.body).toContain("<Message>CORSResponse: CORS is not enabled for this bucket.</Message>");
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: ["https://*.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["content-type", "x-amz-*"], ExposeHeaders: ["ETag", "x-amz-request-id"], MaxAgeSeconds: 600 },
            { AllowedOrigins: ["*"], AllowedMethods: ["GET"] },
          ],
        },
      }),
    );
    const ok = await preflight(url, "https://app.example.com", "PUT", "Content-Type, X-Amz-Date");
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("");
    expect(ok.headers).toMatchObject({
      "access-control-allow-origin": "https://app.example.com",
      "access-control-allow-methods": "GET, PUT",
      "access-control-allow-headers": "content-type, x-amz-date",
      "access-control-expose-headers": "ETag, x-amz-request-id",
      "access-control-max-age": "600",
      "access-control-allow-credentials": "true",
    });
    // Any origin may GET (second rule): "*" comes back, without credentials.
    const any = await preflight(url, "https://elsewhere.org", "GET");
    expect(any.status).toBe(200);
    expect(any.headers["access-control-allow-origin"]).toBe("*");
    expect(any.headers["access-control-allow-credentials"]).toBeUndefined();
    // No rule allows DELETE, nor PUT from elsewhere, nor an unlisted header.
    for (const [origin, method, hdrs] of [
      ["https://app.example.com", "DELETE", undefined],
      ["https://elsewhere.org", "PUT", undefined],
      ["https://app.example.com", "PUT", "authorization-extra"],
    ] as const) {
      const r = await preflight(url, origin, method, hdrs);
      expect(r.status).toBe(403);
      expect(r.body).toContain("<Code>AccessForbidden</Code>");
      expect(r.body).toContain(
        "<Message>CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource&apos;s CORS spec.</Message>".replace("&apos;", "'"),
      );
      expect(r.body).toContain(`<Method>${method}</Method>`);
      expect(r.body).toContain("<ResourceType>OBJECT</ResourceType>");
    }
    // Virtual-host addressing: the bucket from the host name.
    const host = `${bucket}.localhost`;
    const vh = await curl(`http://${host}:${n.port}/uploads/a.png`, ["--resolve", `${host}:${n.port}:127.0.0.1`, "-X", "OPTIONS", "-H", "Origin: https://app.example.com", "-H", "Access-Control-Request-Method: GET"]);
    expect(vh.status).toBe(200);
    expect(vh.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect((await preflight(url, undefined, "GET")).status).toBe(400);
    expect((await preflight(url, "https://app.example.com", "PATCH")).body).toContain("Invalid Access-Control-Request-Method: PATCH");
  });

  it("adds CORS headers to actual requests with a matching Origin", async () => {
    const { s3, bucket } = await withBucket(n, "actual");
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET", "PUT"], ExposeHeaders: ["ETag"] }] } }));
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    expect(put.ETag).toBeDefined();
    // A presigned-free check: the owner's SDK request carrying an Origin header.
    const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "k" }), { expiresIn: 60 });
    const withOrigin = await curl(url, ["-H", "Origin: https://app.example.com"]);
    expect(withOrigin.status).toBe(200);
    expect(withOrigin.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(withOrigin.headers["access-control-expose-headers"]).toBe("ETag");
    expect(withOrigin.headers.vary).toContain("Origin");
    const otherOrigin = await curl(url, ["-H", "Origin: https://evil.example.org"]);
    expect(otherOrigin.status).toBe(200);
    expect(otherOrigin.headers["access-control-allow-origin"]).toBeUndefined();
    // Errors carry the headers too (a browser must be able to read the error).
    const missing = await curl(url.replace("/k?", "/missing?"), ["-H", "Origin: https://app.example.com"]);
    expect(missing.status).toBe(404);
    expect(missing.headers["access-control-allow-origin"]).toBe("https://app.example.com");
  });
});
