import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.js";
import { authenticate } from "./authenticate.js";
import { sha256Hex, type AuthRequest } from "./canonical-request.js";
import { InMemoryCredentialRegistry } from "./credentials.js";
import { parseAuthorization } from "./parse-authorization.js";
import { bodyBytes, capture, captureConfig, sdkSigner, toAuthRequest, withCapture, type WireRequest } from "./sdk-signing.test-helper.js";

const ALICE = { type: "user" as const, accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/alice", userId: "AIDAALICE" };
const ROLE = {
  type: "assumed-role" as const,
  accountId: "111122223333",
  arn: "arn:aws:sts::111122223333:assumed-role/app/session-1",
  userId: "AROAAPP:session-1",
};

function registry() {
  const r = new InMemoryCredentialRegistry();
  r.add("AKIAALICE00000000000", { secretAccessKey: "alice-secret", principal: ALICE });
  r.add("ASIAROLE000000000000", { secretAccessKey: "role-secret", sessionToken: "session-token/+=", expiresAt: Date.now() + 3600_000, principal: ROLE });
  return r;
}

function caught(f: () => unknown): AwsError {
  try {
    f();
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error("expected an AwsError");
}

function auth(req: AuthRequest, r = registry(), now = new Date(), payloadHash?: string, opts = {}) {
  return authenticate(req, parseAuthorization(req.headers, req.rawQuery), r, now, payloadHash, opts);
}

async function stsRequest(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = "eu-west-1") {
  const { captured, config } = captureConfig(creds, region);
  return toAuthRequest(await capture(withCapture(new STSClient(config), captured), new GetCallerIdentityCommand({})));
}

describe("authenticate", () => {
  it("anonymous: the anonymous principal, the default region", () => {
    const out = auth({ method: "GET", rawPath: "/bucket/key", rawQuery: "", headers: { host: "localhost" } }, registry(), new Date(), undefined, {
      defaultRegion: "eu-north-1",
    });
    expect(out).toMatchObject({ principal: { type: "anonymous" }, accountId: "", region: "eu-north-1", verified: false });
  });

  it("an unissued key is the root of its account, its signature unchecked", async () => {
    const req = await stsRequest({ accessKeyId: "test", secretAccessKey: "test" });
    const out = auth(req);
    expect(out).toMatchObject({
      principal: { type: "root", accountId: "000000000000", arn: "arn:aws:iam::000000000000:root", userId: "000000000000" },
      accountId: "000000000000",
      region: "eu-west-1",
      verified: false,
      accessKeyId: "test",
    });
    // Any secret was fine: a corrupted signature is still accepted.
    const corrupted = { ...req, headers: { ...req.headers, authorization: (req.headers.authorization as string).replace(/Signature=\w+/, "Signature=00") } };
    expect(auth(corrupted).verified).toBe(false);
    const twelve = await stsRequest({ accessKeyId: "444455556666", secretAccessKey: "x" });
    expect(auth(twelve)).toMatchObject({ accountId: "444455556666", principal: { arn: "arn:aws:iam::444455556666:root" } });
  });

  it("an unissued key still gets its time and shape checked", async () => {
    const req = await stsRequest({ accessKeyId: "test", secretAccessKey: "test" });
    const e = caught(() => auth(req, registry(), new Date(Date.now() + 3600_000), undefined, { dialect: "query" }));
    expect(e.code).toBe("SignatureDoesNotMatch");
    expect(e.message).toMatch(/^Signature expired/);
  });

  it("an issued key: verified with its secret, its principal", async () => {
    const out = auth(await stsRequest({ accessKeyId: "AKIAALICE00000000000", secretAccessKey: "alice-secret" }));
    expect(out).toMatchObject({ principal: { ...ALICE, accessKeyId: "AKIAALICE00000000000" }, accountId: "111122223333", verified: true });
    expect(out.signingKey).toBeInstanceOf(Buffer);
    expect(out.chunkVerifier).toBeUndefined();
  });

  it("an issued key with the wrong secret is refused in the family's words", async () => {
    const req = await stsRequest({ accessKeyId: "AKIAALICE00000000000", secretAccessKey: "not-alice" });
    const e = caught(() => auth(req, registry(), new Date(), undefined, { dialect: "query" }));
    expect([e.code, e.status]).toEqual(["SignatureDoesNotMatch", 403]);
  });

  it("session credentials: the token must match and be current", async () => {
    const good = await stsRequest({ accessKeyId: "ASIAROLE000000000000", secretAccessKey: "role-secret", sessionToken: "session-token/+=" });
    expect(auth(good)).toMatchObject({ principal: { type: "assumed-role" }, sessionToken: "session-token/+=", verified: true });

    const wrong = await stsRequest({ accessKeyId: "ASIAROLE000000000000", secretAccessKey: "role-secret", sessionToken: "other" });
    const e1 = caught(() => auth(wrong, registry(), new Date(), undefined, { dialect: "query" }));
    expect([e1.code, e1.status, e1.message]).toEqual(["InvalidClientTokenId", 403, "The security token included in the request is invalid."]);
    const e1json = caught(() => auth(wrong, registry(), new Date(), undefined, { dialect: "json" }));
    expect(e1json.code).toBe("UnrecognizedClientException");

    const none = await stsRequest({ accessKeyId: "ASIAROLE000000000000", secretAccessKey: "role-secret" });
    expect(caught(() => auth(none, registry(), new Date(), undefined, { dialect: "query" })).code).toBe("InvalidClientTokenId");
    expect(caught(() => auth(none, registry(), new Date(), undefined, { dialect: "s3" })).code).toBe("InvalidAccessKeyId");
    const s3wrong = caught(() => auth(wrong, registry(), new Date(), undefined, { dialect: "s3" }));
    expect([s3wrong.code, s3wrong.status, s3wrong.fields]).toEqual(["InvalidToken", 400, { "Token-0": "other" }]);

    const expired = new InMemoryCredentialRegistry();
    expired.add("ASIAROLE000000000000", { secretAccessKey: "role-secret", sessionToken: "session-token/+=", expiresAt: Date.now() - 1, principal: ROLE });
    const e2 = caught(() => auth(good, expired, new Date(), undefined, { dialect: "query" }));
    expect([e2.code, e2.message]).toEqual(["ExpiredToken", "The security token included in the request is expired"]);
  });

  it("a body hash the gateway computed: form bodies without x-amz-content-sha256", async () => {
    const body = "Action=GetCallerIdentity&Version=2011-06-15";
    const signer = sdkSigner("sts", "us-east-1", { accessKeyId: "AKIAALICE00000000000", secretAccessKey: "alice-secret" }, { applyChecksum: false });
    const out = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: "localhost",
      path: "/",
      query: {},
      headers: { host: "localhost", "content-type": "application/x-www-form-urlencoded" },
      body,
    } as never);
    const req = toAuthRequest(out as unknown as WireRequest);
    expect(() => auth(req)).toThrow(TypeError);
    expect(auth(req, registry(), new Date(), sha256Hex(body)).verified).toBe(true);
  });

  it("signed streaming upload: chunk signatures the SDK signer produced, verified through chunkVerifier", async () => {
    const creds = { accessKeyId: "AKIAALICE00000000000", secretAccessKey: "alice-secret" };
    const signingDate = new Date();
    const signer = sdkSigner("s3", "us-east-1", creds);
    const data = [Buffer.alloc(65536, "x"), Buffer.from("tail"), Buffer.alloc(0)];
    const decoded = data.reduce((n, c) => n + c.length, 0);
    const signedRequest = (await signer.sign(
      {
        method: "PUT",
        protocol: "http:",
        hostname: "localhost",
        port: 4566,
        path: "/bucket/streamed%20object",
        query: { "x-id": "PutObject" },
        headers: {
          host: "localhost:4566",
          "content-encoding": "aws-chunked",
          "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
          "x-amz-decoded-content-length": String(decoded),
        },
      } as never,
      { signingDate },
    )) as unknown as WireRequest;
    const req = toAuthRequest(signedRequest);
    const seed = parseAuthorization(req.headers, req.rawQuery).signature;
    const chunkSignatures: string[] = [];
    let prior = seed;
    for (const chunk of data) {
      prior = await signer.sign({ headers: new Uint8Array(0), payload: chunk }, { priorSignature: prior, signingDate });
      chunkSignatures.push(prior);
    }

    const out = auth(req);
    expect(out.verified).toBe(true);
    expect(out.seedSignature).toBe(seed);
    const verifier = out.chunkVerifier!;
    expect(verifier).toBeDefined();
    data.forEach((chunk, i) => verifier(chunk, chunkSignatures[i]));
    expect(verifier.chunks).toBe(3);

    // The same stream with a changed chunk is refused.
    const again = auth(req).chunkVerifier!;
    const e = caught(() => again(Buffer.alloc(65536, "y"), chunkSignatures[0]));
    expect([e.code, e.status]).toEqual(["SignatureDoesNotMatch", 403]);
  });

  it("S3 PutObject from the SDK client for an issued key", async () => {
    const { captured, config } = captureConfig({ accessKeyId: "AKIAALICE00000000000", secretAccessKey: "alice-secret" });
    const s3 = withCapture(new S3Client({ ...config, forcePathStyle: true }), captured);
    const wire = await capture(s3, new PutObjectCommand({ Bucket: "b", Key: "dir//a b+c.txt", Body: "hello" }));
    const req = toAuthRequest(wire);
    expect(sha256Hex(bodyBytes(wire.body))).toBe(req.headers["x-amz-content-sha256"]);
    expect(auth(req, registry(), new Date(), undefined, { dialect: "s3" })).toMatchObject({ verified: true, accountId: "111122223333", region: "us-east-1" });
  });

  it("SigV2 reports its key, unverified; S3 refuses an expired SigV2 query", () => {
    const v2 = auth({ method: "GET", rawPath: "/b", rawQuery: "", headers: { host: "h", authorization: "AWS AKIAALICE00000000000:c2lnbmF0dXJl" } });
    expect(v2).toMatchObject({ principal: { arn: ALICE.arn }, verified: false, region: "us-east-1" });
    const root = auth({ method: "GET", rawPath: "/b", rawQuery: "", headers: { host: "h", authorization: "AWS 123456789012:sig" } });
    expect(root.accountId).toBe("123456789012");
    const e = caught(() =>
      auth({ method: "GET", rawPath: "/b/k", rawQuery: "AWSAccessKeyId=test&Expires=1000&Signature=x", headers: { host: "h" } }, registry(), new Date(), undefined, {
        dialect: "s3",
      }),
    );
    expect([e.code, e.message, e.fields.Expires]).toEqual(["AccessDenied", "Request has expired", "1970-01-01T00:16:40Z"]);
  });

  it("an unknown algorithm is refused in the family's words", () => {
    const req = { method: "GET", rawPath: "/", rawQuery: "", headers: { host: "h", authorization: "Bearer abc" } };
    const s3 = caught(() => auth(req, registry(), new Date(), undefined, { dialect: "s3" }));
    expect([s3.code, s3.message, s3.fields]).toEqual(["InvalidArgument", "Unsupported Authorization Type", { ArgumentName: "Authorization", ArgumentValue: "Bearer abc" }]);
    const q = caught(() => auth(req, registry(), new Date(), undefined, { dialect: "query" }));
    expect([q.code, q.message]).toEqual(["IncompleteSignature", "Unsupported AWS 'algorithm': 'Bearer'"]);
  });

  it("S3 refuses an Authorization header beside a presigned query", async () => {
    const req = await stsRequest({ accessKeyId: "test", secretAccessKey: "test" });
    const both = { ...req, rawQuery: "X-Amz-Algorithm=AWS4-HMAC-SHA256" };
    const e = caught(() => auth(both, registry(), new Date(), undefined, { dialect: "s3" }));
    expect(e.code).toBe("InvalidArgument");
    expect(e.message).toMatch(/^Only one auth mechanism allowed/);
  });
});
