import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { LambdaClient, GetFunctionCommand, InvokeCommand } from "@aws-sdk/client-lambda";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.js";
import { createHash, createHmac } from "node:crypto";
import { type AuthRequest, buildStringToSign, canonicalUri, claimedPayloadHash, sha256Hex } from "./canonical-request.js";
import { parseAuthorization } from "./parse-authorization.js";
import { bodyBytes, capture, captureConfig, sdkSigner, toAuthRequest, withCapture, type WireRequest } from "./sdk-signing.test-helper.js";
import { clearSigningKeyCache, deriveSigningKey, hmacHex, signCanonicalHash, signingKeyFor, verifySigV4, type SignedRequest } from "./sigv4.js";

const CREDS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

function signed(r: AuthRequest, payloadHash?: string): SignedRequest {
  const parsed = parseAuthorization(r.headers, r.rawQuery);
  const hash = payloadHash ?? claimedPayloadHash(r.headers, parsed.presigned, parsed.queryContentSha256);
  if (hash === undefined) throw new Error("no payload hash");
  return { ...r, payloadHash: hash };
}

function verify(r: AuthRequest, secret = CREDS.secretAccessKey, now = new Date(), payloadHash?: string, opts = {}) {
  const parsed = parseAuthorization(r.headers, r.rawQuery);
  return verifySigV4(signed(r, payloadHash), parsed, secret, now, opts);
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

async function s3Request(command: unknown, systemClockOffset = 0): Promise<WireRequest> {
  const { captured, config } = captureConfig(CREDS, "us-east-1", systemClockOffset);
  const client = withCapture(new S3Client({ ...config, forcePathStyle: true }), captured);
  return capture(client, command);
}

describe("SigV4 header auth, requests signed by the SDK clients", () => {
  it("JSON protocol POST (SQS SendMessage)", async () => {
    const { captured, config } = captureConfig(CREDS);
    const sqs = withCapture(new SQSClient(config), captured);
    const wire = await capture(sqs, new SendMessageCommand({ QueueUrl: "http://localhost:4566/000000000000/q", MessageBody: "héllo" }));
    const req = toAuthRequest(wire);
    expect(req.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
    const v = verify(req);
    expect(v.seedSignature).toBe(parseAuthorization(req.headers, "").signature);
    // The gateway may equally pass the body's own hash: the SDK sends x-amz-content-sha256 = sha256(body).
    expect(sha256Hex(bodyBytes(wire.body))).toBe(req.headers["x-amz-content-sha256"]);
  });

  it("REST-JSON GET and POST with an encoded ':' in the path (Lambda): double encoding", async () => {
    const { captured, config } = captureConfig(CREDS);
    const lambda = withCapture(new LambdaClient(config), captured);
    const get = toAuthRequest(await capture(lambda, new GetFunctionCommand({ FunctionName: "arn:aws:lambda:us-east-1:000000000000:function:f" })));
    expect(get.method).toBe("GET");
    expect(get.rawPath).toContain("%3A");
    verify(get);
    const post = toAuthRequest(await capture(lambda, new InvokeCommand({ FunctionName: "f:live", Payload: Buffer.from('{"a":1}') })));
    expect(post.method).toBe("POST");
    verify(post);
  });

  it("query protocol form POST without x-amz-content-sha256 (as boto3 / aws CLI sign it): SHA-256 of the body", async () => {
    const body = "Action=GetCallerIdentity&Version=2011-06-15";
    const signer = sdkSigner("sts", "eu-central-1", CREDS, { applyChecksum: false });
    const out = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: "localhost",
      port: 4566,
      path: "/",
      query: {},
      headers: { host: "localhost:4566", "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
    } as never);
    const req = toAuthRequest(out as unknown as WireRequest);
    expect(req.headers["x-amz-content-sha256"]).toBeUndefined();
    verify(req, CREDS.secretAccessKey, new Date(), sha256Hex(body));
    const e = caught(() => verify(req, CREDS.secretAccessKey, new Date(), sha256Hex("Action=Other")));
    expect(e.code).toBe("SignatureDoesNotMatch");
  });

  it("S3 PutObject and GetObject with keys that must not be normalized", async () => {
    for (const key of ["a//b c/ü+x!.txt", "dir/./../x y", "  lead/trail  ", "q?&=#%.txt", "日本語/😀"]) {
      const put = toAuthRequest(await s3Request(new PutObjectCommand({ Bucket: "bucket", Key: key, Body: Buffer.from("data") })));
      verify(put);
      const get = toAuthRequest(await s3Request(new GetObjectCommand({ Bucket: "bucket", Key: key, Range: "bytes=0-1" })));
      verify(get);
    }
  });

  it("other services normalize and double-encode the path: SDK signer (uriEscapePath) over an unnormalized path", async () => {
    const signer = sdkSigner("lambda", "us-east-1", CREDS);
    const out = await signer.sign({
      method: "GET",
      protocol: "http:",
      hostname: "localhost",
      port: 4566,
      path: "/2015-03-31//functions/./x/../my%3Afn%20v/configuration",
      query: { Qualifier: "a b+c", marker: "" },
      headers: { host: "localhost:4566", "x-amz-content-sha256": sha256Hex("") },
    } as never);
    const req = toAuthRequest(out as unknown as WireRequest);
    verify(req);
    // S3's rules would sign another path.
    expect(canonicalUri(req.rawPath, false)).toBe("/2015-03-31/functions/my%253Afn%2520v/configuration");
    expect(canonicalUri(req.rawPath, true)).toBe(req.rawPath);
  });

  it("clients that sign the S3 path as sent, or send a raw '+' in the query, still verify", async () => {
    const signer = sdkSigner("s3", "us-east-1", CREDS);
    const out = await signer.sign({
      method: "GET",
      protocol: "http:",
      hostname: "localhost",
      path: "/bucket/report(1)!.txt",
      query: { "response-content-disposition": "a+b" },
      headers: { host: "localhost", "x-amz-content-sha256": sha256Hex("") },
    } as never);
    const req = toAuthRequest(out as unknown as WireRequest);
    expect(req.rawPath).toBe("/bucket/report(1)!.txt");
    verify(req);
    verify({ ...req, rawQuery: req.rawQuery.replace("%2B", "+") });
  });

  it("a wrong secret: S3's SignatureDoesNotMatch with its diagnostic members", async () => {
    const put = toAuthRequest(await s3Request(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" })));
    const e = caught(() => verify(put, "wrong-secret"));
    expect(e.code).toBe("SignatureDoesNotMatch");
    expect(e.status).toBe(403);
    expect(e.message).toBe("The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    expect(Object.keys(e.fields)).toEqual([
      "AWSAccessKeyId",
      "StringToSign",
      "SignatureProvided",
      "StringToSignBytes",
      "CanonicalRequest",
      "CanonicalRequestBytes",
    ]);
    expect(e.fields.AWSAccessKeyId).toBe(CREDS.accessKeyId);
    expect(String(e.fields.StringToSign).startsWith("AWS4-HMAC-SHA256\n")).toBe(true);
    expect(String(e.fields.StringToSignBytes).startsWith("41 57 53 34 2d 48 4d 41 43")).toBe(true);
    expect(String(e.fields.CanonicalRequest).startsWith("PUT\n/b/k\nx-id=PutObject\n")).toBe(true);
  });

  it("a wrong secret elsewhere: the family's code and the canonical string in the message", async () => {
    const { captured, config } = captureConfig(CREDS);
    const sqs = withCapture(new SQSClient(config), captured);
    const req = toAuthRequest(await capture(sqs, new SendMessageCommand({ QueueUrl: "http://localhost:4566/000000000000/q", MessageBody: "x" })));
    const json = caught(() => verify(req, "nope", new Date(), undefined, { dialect: "json" }));
    expect(json.code).toBe("InvalidSignatureException");
    expect(json.status).toBe(400);
    expect(json.message).toMatch(
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\nThe Canonical String for this request should have been\n'POST\n\/\n\n/,
    );
    expect(json.message).toContain("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n");
    const query = caught(() => verify(req, "nope", new Date(), undefined, { dialect: "query" }));
    expect([query.code, query.status]).toEqual(["SignatureDoesNotMatch", 403]);
    const ec2 = caught(() => verify(req, "nope", new Date(), undefined, { dialect: "ec2" }));
    expect([ec2.code, ec2.status]).toEqual(["AuthFailure", 401]);
  });

  it("a tampered header or body hash fails", async () => {
    const put = toAuthRequest(await s3Request(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x", ContentType: "text/plain" })));
    const tampered = { ...put, headers: { ...put.headers, "content-type": "text/html" } };
    expect(caught(() => verify(tampered)).code).toBe("SignatureDoesNotMatch");
    expect(caught(() => verify(put, CREDS.secretAccessKey, new Date(), sha256Hex("y"))).code).toBe("SignatureDoesNotMatch");
  });

  it("clock skew beyond 15 minutes: S3 RequestTimeTooSkewed, others 'Signature expired'", async () => {
    const put = toAuthRequest(await s3Request(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" })));
    const requestTime = put.headers["x-amz-date"]!;
    const later = new Date(Date.now() + 16 * 60 * 1000);
    const e = caught(() => verify(put, CREDS.secretAccessKey, later));
    expect(e.code).toBe("RequestTimeTooSkewed");
    expect(e.status).toBe(403);
    expect(e.message).toBe("The difference between the request time and the current time is too large.");
    expect(e.fields).toEqual({ RequestTime: requestTime, ServerTime: later.toISOString().replace(/\.\d{3}Z$/, "Z"), MaxAllowedSkewMilliseconds: "900000" });
    // 14 minutes is fine.
    verify(put, CREDS.secretAccessKey, new Date(Date.now() + 14 * 60 * 1000));

    const { captured, config } = captureConfig(CREDS);
    const sqs = withCapture(new SQSClient(config), captured);
    const req = toAuthRequest(await capture(sqs, new SendMessageCommand({ QueueUrl: "http://localhost:4566/000000000000/q", MessageBody: "x" })));
    const expired = caught(() => verify(req, CREDS.secretAccessKey, new Date(Date.parse("2030-01-01T00:30:00Z"))));
    expect(expired.code).toBe("SignatureDoesNotMatch");
    expect(expired.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than 20300101T001500Z \(20300101T003000Z - 15 min\.\)$/);
    const future = caught(() => verify(req, CREDS.secretAccessKey, new Date(Date.parse("2020-01-01T00:00:00Z")), undefined, { dialect: "json" }));
    expect(future.code).toBe("InvalidSignatureException");
    expect(future.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than 20200101T001500Z \(20200101T000000Z \+ 15 min\.\)$/);
  });

  it("skewNow: the skew window follows wall-clock time while `now` is Nimbus time", async () => {
    const put = toAuthRequest(await s3Request(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" })));
    const nimbusTime = new Date(Date.now() + 30 * 24 * 3600 * 1000);
    verify(put, CREDS.secretAccessKey, nimbusTime, undefined, { skewNow: new Date() });
  });

  it("header faults are reported in the family's words", () => {
    const base = { method: "GET", rawPath: "/", rawQuery: "", headers: { host: "localhost", "x-amz-date": "20260101T000000Z" } };
    const now = new Date(Date.UTC(2026, 0, 1));
    const missing = { ...base, headers: { ...base.headers, authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request" } };
    const e1 = caught(() => verifySigV4({ ...missing, payloadHash: "x" }, parseAuthorization(missing.headers, ""), "s", now));
    expect(e1.code).toBe("IncompleteSignature");
    expect(e1.status).toBe(400);
    expect(e1.message).toBe(
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request",
    );
    const s3missing = { ...missing, headers: { ...missing.headers, authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } };
    const e2 = caught(() => verifySigV4({ ...s3missing, payloadHash: "x" }, parseAuthorization(s3missing.headers, ""), "s", now));
    expect([e2.code, e2.status]).toEqual(["AuthorizationHeaderMalformed", 400]);
    expect(e2.message).toBe(
      "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.",
    );

    const badDate = { ...base, headers: { ...base.headers, authorization: "AWS4-HMAC-SHA256 Credential=AKID/20251231/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00" } };
    const e3 = caught(() => verifySigV4({ ...badDate, payloadHash: "x" }, parseAuthorization(badDate.headers, ""), "s", now));
    expect(e3.code).toBe("SignatureDoesNotMatch");
    expect(e3.message).toBe(
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T000000Z'.",
    );

    const noHost = { ...base, headers: { ...base.headers, authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=00" } };
    const e4 = caught(() => verifySigV4({ ...noHost, payloadHash: "x" }, parseAuthorization(noHost.headers, ""), "s", now));
    expect([e4.code, e4.message]).toEqual(["IncompleteSignature", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."]);

    const badTerminal = { ...base, headers: { ...base.headers, authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_reques, SignedHeaders=host, Signature=00" } };
    const e5 = caught(() => verifySigV4({ ...badTerminal, payloadHash: "x" }, parseAuthorization(badTerminal.headers, ""), "s", now));
    expect(e5.message).toBe("Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reques'.");

    const noDate = { ...base, headers: { host: "h", authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00" } };
    const e6 = caught(() => verifySigV4({ ...noDate, payloadHash: "x" }, parseAuthorization(noDate.headers, ""), "s", now, { dialect: "json" }));
    expect(e6.code).toBe("IncompleteSignatureException");
    expect(e6.message).toMatch(/^Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header\. Authorization=/);
  });

  it("S3 header faults: payload hash header, unsigned x-amz-* headers, date", async () => {
    const put = toAuthRequest(await s3Request(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" })));
    const { "x-amz-content-sha256": _, ...noHash } = put.headers;
    const e1 = caught(() => verify({ ...put, headers: noHash }, CREDS.secretAccessKey, new Date(), "UNSIGNED-PAYLOAD"));
    expect([e1.code, e1.status, e1.message]).toEqual(["InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"]);
    const e2 = caught(() => verify({ ...put, headers: { ...put.headers, "x-amz-content-sha256": "abc" } }));
    expect([e2.code, e2.fields.ArgumentName, e2.fields.ArgumentValue]).toEqual(["InvalidArgument", "x-amz-content-sha256", "abc"]);
    const e3 = caught(() => verify({ ...put, headers: { ...put.headers, "x-amz-meta-added": "1", "x-amz-acl": "private" } }));
    expect([e3.code, e3.status, e3.message]).toEqual(["AccessDenied", 403, "There were headers present in the request which were not signed"]);
    expect(e3.fields).toEqual({ HeadersNotSigned: "x-amz-acl, x-amz-meta-added" });
    const { "x-amz-date": __, ...noDate } = put.headers;
    const e4 = caught(() => verify({ ...put, headers: noDate }));
    expect([e4.code, e4.status, e4.message]).toEqual(["AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"]);
  });

  it("caches the signing key per secret, date, region and service", () => {
    clearSigningKeyCache();
    const a = deriveSigningKey("secret", "20260101", "us-east-1", "s3");
    expect(deriveSigningKey("secret", "20260101", "us-east-1", "s3")).toBe(a);
    expect(deriveSigningKey("secret", "20260102", "us-east-1", "s3")).not.toBe(a);
  });

  it("the string to sign written into the HMAC buffer signs what createHmac signs, as its date, algorithm and scope change", () => {
    clearSigningKeyCache();
    const scope = "20260101/us-east-1/sqs/aws4_request";
    const k = signingKeyFor("secret", scope, "20260101", "us-east-1", "sqs");
    const cases: Array<[string, string, string, string]> = [
      ["AWS4-HMAC-SHA256", "20260101T000000Z", scope, "POST\n/\n\nhost:a\n\nhost\nUNSIGNED-PAYLOAD"],
      ["AWS4-HMAC-SHA256", "20260101T000000Z", scope, "GET\n/\n\nhost:b\n\nhost\nUNSIGNED-PAYLOAD"],
      ["AWS4-HMAC-SHA256", "20260101T000001Z", scope, "GET\n/\n\nhost:b\n\nhost\nUNSIGNED-PAYLOAD"],
      ["aws4-hmac-sha256", "20260101T000001Z", scope, "GET\n/\n\nhost:b\n\nhost\nUNSIGNED-PAYLOAD"],
      ["AWS4-HMAC-SHA256", "20260101T000001Z", "20260101/us-east-1/sqs/aws4_request/x", "GET\n/\n\nhost:\u00e9\n\nhost\nUNSIGNED-PAYLOAD"],
    ];
    for (const [algorithm, date, sc, canonical] of cases) {
      const expected = createHmac("sha256", k.key).update(buildStringToSign(algorithm, date, sc, canonical), "utf8").digest("hex");
      expect(buildStringToSign(algorithm, date, sc, canonical)).toBe(`${algorithm}\n${date}\n${sc}\n${createHash("sha256").update(canonical, "utf8").digest("hex")}`);
      expect(signCanonicalHash(k, algorithm, date, sha256Hex(canonical), sc)).toBe(expected);
      // Same date again (the first lines kept in the buffer), then after another message (a chunk's) overwrote them.
      expect(signCanonicalHash(k, algorithm, date, sha256Hex(canonical), sc)).toBe(expected);
      expect(hmacHex(k, "AWS4-HMAC-SHA256-PAYLOAD\nsomething else entirely")).toBe(createHmac("sha256", k.key).update("AWS4-HMAC-SHA256-PAYLOAD\nsomething else entirely").digest("hex"));
      expect(signCanonicalHash(k, algorithm, date, sha256Hex(canonical), sc)).toBe(expected);
    }
    // A canonical request longer than the scratch buffer takes crypto.hash's own path.
    const long = "x".repeat(20_000) + "\u00e9";
    expect(sha256Hex(long)).toBe(createHash("sha256").update(long, "utf8").digest("hex"));
  });
});

describe("SigV4 presigned URLs (S3), presigned by the SDK signer", () => {
  async function presign(method: "GET" | "PUT", key: string, expiresIn: number, signingDate = new Date()) {
    const template = await s3Request(method === "GET" ? new GetObjectCommand({ Bucket: "bucket", Key: key }) : new PutObjectCommand({ Bucket: "bucket", Key: key, Body: "" }));
    const signer = sdkSigner("s3", "us-east-1", CREDS);
    // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD, hoisted into the query.
    const out = await signer.presign(
      {
        method,
        protocol: "http:",
        hostname: "localhost",
        port: 4566,
        path: template.path,
        query: { ...(template.query as Record<string, string>) },
        headers: { host: "localhost:4566", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      } as never,
      { expiresIn, signingDate },
    );
    return toAuthRequest(out as unknown as WireRequest);
  }

  it("GET and PUT verify, the payload line being UNSIGNED-PAYLOAD", async () => {
    for (const key of ["plain.txt", "a//b c/ü+x!.txt"]) {
      const get = await presign("GET", key, 3600);
      expect(get.rawQuery).toContain("X-Amz-Signature=");
      expect(get.headers["x-amz-content-sha256"]).toBeUndefined();
      verify(get);
      const put = await presign("PUT", key, 60);
      const parsed = parseAuthorization(put.headers, put.rawQuery);
      expect(parsed.kind).toBe("presigned-sigv4");
      expect(parsed.expires).toBe(60);
      verify(put);
    }
  });

  it("valid until X-Amz-Date + X-Amz-Expires, beyond the 15-minute skew window", async () => {
    const get = await presign("GET", "k", 7200);
    verify(get, CREDS.secretAccessKey, new Date(Date.now() + 3600 * 1000));
  });

  it("expired: AccessDenied 'Request has expired' with X-Amz-Expires, Expires, ServerTime", async () => {
    const signingDate = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
    const get = await presign("GET", "k", 60, signingDate);
    const now = new Date(Date.UTC(2026, 0, 1, 0, 1, 1));
    const e = caught(() => verify(get, CREDS.secretAccessKey, now));
    expect([e.code, e.status, e.message]).toEqual(["AccessDenied", 403, "Request has expired"]);
    expect(e.fields).toEqual({ "X-Amz-Expires": "60", Expires: "2026-01-01T00:01:00Z", ServerTime: "2026-01-01T00:01:01Z" });
    verify(get, CREDS.secretAccessKey, new Date(Date.UTC(2026, 0, 1, 0, 1, 0)));
  });

  it("not yet valid when dated more than 15 minutes ahead", async () => {
    const get = await presign("GET", "k", 60, new Date(Date.UTC(2026, 0, 1, 1, 0, 0)));
    const e = caught(() => verify(get, CREDS.secretAccessKey, new Date(Date.UTC(2026, 0, 1, 0, 0, 0))));
    expect([e.code, e.message]).toEqual(["AccessDenied", "Request is not yet valid"]);
  });

  it("X-Amz-Expires above a week, negative or not a number: AuthorizationQueryParametersError", async () => {
    const get = await presign("GET", "k", 3600);
    const withExpires = (v: string) => ({ ...get, rawQuery: get.rawQuery.replace("X-Amz-Expires=3600", `X-Amz-Expires=${v}`) });
    const week = caught(() => verify(withExpires("604801")));
    expect([week.code, week.status, week.message]).toEqual([
      "AuthorizationQueryParametersError",
      400,
      "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    ]);
    expect(caught(() => verify(withExpires("-1"))).message).toBe("X-Amz-Expires must be non-negative");
    expect(caught(() => verify(withExpires("1h"))).message).toBe("X-Amz-Expires should be a number");
    // Exactly a week is accepted (the signature then fails, the expiry having been edited).
    expect(caught(() => verify(withExpires("604800"))).code).toBe("SignatureDoesNotMatch");
  });

  it("a tampered query or wrong secret fails with SignatureDoesNotMatch", async () => {
    const get = await presign("GET", "k", 3600);
    expect(caught(() => verify(get, "wrong")).code).toBe("SignatureDoesNotMatch");
    expect(caught(() => verify({ ...get, rawPath: get.rawPath + "2" })).code).toBe("SignatureDoesNotMatch");
  });

  it("missing parameters and a bad algorithm are refused before the signature", async () => {
    const get = await presign("GET", "k", 3600);
    const e1 = caught(() => verify({ ...get, rawQuery: get.rawQuery.replace(/&?X-Amz-SignedHeaders=[^&]*/, "") }));
    expect(e1.message).toBe(
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    );
    const e2 = caught(() => verify({ ...get, rawQuery: get.rawQuery.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512") }));
    expect([e2.code, e2.message]).toEqual(["AuthorizationQueryParametersError", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"']);
  });

  it("non-S3 presigned requests keep the ±15 minute window and ignore X-Amz-Expires", async () => {
    const signer = sdkSigner("sts", "us-east-1", CREDS);
    const signingDate = new Date(Date.UTC(2026, 0, 1));
    const out = await signer.presign(
      { method: "GET", protocol: "http:", hostname: "localhost", port: 4566, path: "/", query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, headers: { host: "localhost:4566" } } as never,
      { expiresIn: 60, signingDate },
    );
    const req = toAuthRequest(out as unknown as WireRequest);
    const hash = sha256Hex("");
    verify(req, CREDS.secretAccessKey, new Date(signingDate.getTime() + 10 * 60 * 1000), hash);
    const e = caught(() => verify(req, CREDS.secretAccessKey, new Date(signingDate.getTime() + 16 * 60 * 1000), hash));
    expect(e.message).toMatch(/^Signature expired: 20260101T000000Z is now earlier than/);
  });
});
