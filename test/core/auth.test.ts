// Request authentication end to end, through the real SDK clients against a running Nimbus:
// keys Nimbus issued (registered in `nimbus.credentials`) are verified with their secret and
// act as their principal; session tokens, presigned S3 URLs, clock skew and unsigned requests
// get the errors AWS answers with, in each protocol family's wording (src/core/auth/auth-errors.ts).
import { createHash, randomBytes, randomInt } from "node:crypto";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { ListQueuesCommand, SQSClient, CreateQueueCommand } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";
import { NodeSha256 as Sha256 } from "../../src/core/auth/sdk-signing.test-helper.js";

let n: TestNimbus;
beforeAll(async () => {
  // Authentication only: the issued keys here belong to no IAM user, so IAM enforcement
  // (which would deny them) is off; test/iam covers authorization.
  n = await startNimbus({ env: { iam: "off" } });
});
afterAll(() => n.stop());

const MISMATCH_AWS =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const MISMATCH_S3 = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

interface Issued {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  arn: string;
  userId: string;
}

/** Registers an IAM user's access key (optionally temporary, with a session token) in the running Nimbus. */
function issueKey(opts: { sessionToken?: string; expiresAt?: number; name?: string } = {}): Issued {
  const accountId = freshAccount();
  const name = opts.name ?? `alice-${randomInt(1e9)}`;
  const accessKeyId = (opts.sessionToken ? "ASIA" : "AKIA") + randomBytes(8).toString("hex").toUpperCase();
  const secretAccessKey = randomBytes(30).toString("base64");
  const userId = "AIDA" + randomBytes(8).toString("hex").toUpperCase();
  const arn = `arn:aws:iam::${accountId}:user/${name}`;
  n.nimbus.credentials.add(accessKeyId, {
    secretAccessKey,
    ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    ...(opts.expiresAt !== undefined ? { expiresAt: opts.expiresAt } : {}),
    principal: { type: "user", accountId, arn, userId },
  });
  return { accessKeyId, secretAccessKey, ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}), accountId, arn, userId };
}

interface ClientOpts {
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  systemClockOffset?: number;
}

function config(key: { accessKeyId: string; secretAccessKey: string }, o: ClientOpts = {}) {
  return {
    ...sdkConfig(n.endpoint, {
      accountId: key.accessKeyId,
      secretAccessKey: o.secretAccessKey ?? key.secretAccessKey,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
      ...(o.region ? { region: o.region } : {}),
    }),
    ...(o.systemClockOffset !== undefined ? { systemClockOffset: o.systemClockOffset } : {}),
  };
}
const sts = (k: Issued | { accessKeyId: string; secretAccessKey: string }, o?: ClientOpts) => new STSClient(config(k, o));
const sqs = (k: Issued | { accessKeyId: string; secretAccessKey: string }, o?: ClientOpts) => new SQSClient(config(k, o));
const s3 = (k: Issued | { accessKeyId: string; secretAccessKey: string }, o?: ClientOpts) => new S3Client({ ...config(k, o), forcePathStyle: true });
const lambda = (k: Issued | { accessKeyId: string; secretAccessKey: string }, o?: ClientOpts) => new LambdaClient(config(k, o));

/** The rejection of a promise that must fail (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the request to fail, it succeeded");
}

const bucketName = (p: string) => `${p}-${randomBytes(5).toString("hex")}`;

/** The text of a top-level element of an S3 XML error or result. */
function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m
    ? m[1]
        .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
        .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
        .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&") : undefined;
}


async function nimbusNow(): Promise<number> {
  const r = await fetch(`${n.endpoint}/_nimbus/clock`);
  return ((await r.json()) as { epochMillis: number }).epochMillis;
}

describe("keys Nimbus issued are verified with their secret", () => {
  it("STS GetCallerIdentity (query): the right secret is the IAM user, a wrong one SignatureDoesNotMatch", async () => {
    const key = issueKey({ name: "alice" });
    const out = await sts(key).send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe(key.arn);
    expect(out.Arn).toMatch(/^arn:aws:iam::\d{12}:user\/alice$/);
    expect(out.UserId).toBe(key.userId);
    expect(out.Account).toBe(key.accountId);
    expect(out.$metadata.httpStatusCode).toBe(200);

    const e = await rejection(sts(key, { secretAccessKey: "wrong-secret" }).send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe("SignatureDoesNotMatch");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.$fault).toBe("client");
    // AWS's query-family message: the fixed sentence, then the canonical request and string to sign it expected.
    expect(e.message.startsWith(`${MISMATCH_AWS}\n\nThe Canonical String for this request should have been\n'POST\n/\n\n`)).toBe(true);
    expect(e.message).toContain(`host:127.0.0.1:${n.port}\n`);
    const sts2s = /The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n(\d{8})T\d{6}Z\n(\d{8})\/us-east-1\/sts\/aws4_request\n([0-9a-f]{64})'\n$/.exec(e.message);
    expect(sts2s, e.message).not.toBeNull();
    expect(sts2s![2]).toBe(sts2s![1]);
    // The string to sign carries the hash of the canonical request the message shows.
    const canonical = /should have been\n'([\s\S]*?)'\n\nThe String-to-Sign/.exec(e.message)![1];
    expect(sts2s![3]).toBe(createHash("sha256").update(canonical).digest("hex"));
    // The correct secret still works after a refusal (nothing cached per key).
    expect((await sts(key).send(new GetCallerIdentityCommand({}))).Arn).toBe(key.arn);
  });

  it("SQS ListQueues (JSON): the right secret acts in the user's account, a wrong one InvalidSignatureException (400)", async () => {
    const key = issueKey();
    const client = sqs(key);
    await client.send(new CreateQueueCommand({ QueueName: "issued-q" }));
    const out = await client.send(new ListQueuesCommand({}));
    expect(out.QueueUrls).toHaveLength(1);
    expect(out.QueueUrls![0]).toMatch(new RegExp(`/${key.accountId}/issued-q$`));
    // The root of the same account (unissued 12-digit key) sees the user's queue: same account.
    const root = await sqs({ accessKeyId: key.accountId, secretAccessKey: "anything" }).send(new ListQueuesCommand({}));
    expect(root.QueueUrls).toEqual(out.QueueUrls);

    const e = await rejection(sqs(key, { secretAccessKey: "wrong-secret" }).send(new ListQueuesCommand({})));
    expect(e.name).toBe("InvalidSignatureException");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message.startsWith(`${MISMATCH_AWS}\n\nThe Canonical String for this request should have been\n'POST\n/\n\n`)).toBe(true);
    expect(e.message).toContain("x-amz-target:AmazonSQS.ListQueues\n");
    expect(e.message).toMatch(/\/us-east-1\/sqs\/aws4_request\n[0-9a-f]{64}'\n$/);
    expect(e.$response.headers["x-amzn-errortype"]).toBe("InvalidSignatureException");
  });

  it("S3 CreateBucket / ListBuckets: the right secret owns the bucket, a wrong one SignatureDoesNotMatch with S3's diagnostic fields", async () => {
    const key = issueKey();
    const client = s3(key);
    const bucket = bucketName("issued");
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const list = await client.send(new ListBucketsCommand({}));
    expect(list.Buckets!.map((b) => b.Name)).toEqual([bucket]);

    const bad = s3(key, { secretAccessKey: "wrong-secret" });
    const other = bucketName("refused");
    const e = await rejection(bad.send(new CreateBucketCommand({ Bucket: other })));
    expect(e.name).toBe("SignatureDoesNotMatch");
    expect(e.Code).toBe("SignatureDoesNotMatch");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe(MISMATCH_S3);
    expect(e.AWSAccessKeyId).toBe(key.accessKeyId);
    // The SDK sends path-style CreateBucket as PUT /<bucket>/.
    expect(e.CanonicalRequest).toMatch(new RegExp(`^PUT\\n/${other}/?\\n\\n`));
    expect(e.CanonicalRequest).toContain(`host:127.0.0.1:${n.port}\n`);
    expect(e.StringToSign).toMatch(/^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
    // The string to sign hashes the canonical request Nimbus built.
    expect(e.StringToSign.split("\n")[3]).toBe(createHash("sha256").update(e.CanonicalRequest).digest("hex"));
    expect(e.SignatureProvided).toMatch(/^[0-9a-f]{64}$/);
    expect(e.StringToSignBytes).toBe(Buffer.from(e.StringToSign).toString("hex").match(/../g)!.join(" "));
    expect(e.CanonicalRequestBytes).toBe(Buffer.from(e.CanonicalRequest).toString("hex").match(/../g)!.join(" "));

    const e2 = await rejection(bad.send(new ListBucketsCommand({})));
    expect(e2.name).toBe("SignatureDoesNotMatch");
    expect(e2.CanonicalRequest).toMatch(/^GET\n\/\n/);
    // Nothing was created by the refused request.
    expect((await client.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toEqual([bucket]);
  });

  it("Lambda ListFunctions (rest-json): a wrong secret is InvalidSignatureException with status 403", async () => {
    const key = issueKey();
    const ok = await lambda(key).send(new ListFunctionsCommand({}));
    expect(ok.Functions).toEqual([]);
    const e = await rejection(lambda(key, { secretAccessKey: "wrong-secret" }).send(new ListFunctionsCommand({})));
    expect(e.name).toBe("InvalidSignatureException");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message.startsWith(`${MISMATCH_AWS}\n\nThe Canonical String for this request should have been\n'GET\n/2015-03-31/functions\n`)).toBe(true);
    expect(e.message).toMatch(/\/us-east-1\/lambda\/aws4_request\n[0-9a-f]{64}'\n$/);
    expect(e.$response.headers["x-amzn-errortype"]).toBe("InvalidSignatureException");
  });
});

describe("session tokens", () => {
  it("STS: no token or a wrong one is InvalidClientTokenId (403); the right one is the principal", async () => {
    const token = "FwoGZXIvYXdzE" + randomBytes(24).toString("base64");
    const key = issueKey({ sessionToken: token });
    for (const sessionToken of [undefined, token + "x"]) {
      const e = await rejection(sts(key, sessionToken ? { sessionToken } : {}).send(new GetCallerIdentityCommand({})));
      expect(e.name).toBe("InvalidClientTokenId");
      expect(e.$metadata.httpStatusCode).toBe(403);
      expect(e.message).toBe("The security token included in the request is invalid.");
    }
    const out = await sts(key, { sessionToken: token }).send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe(key.arn);
    expect(out.UserId).toBe(key.userId);
  });

  it("SQS (JSON): a wrong token is UnrecognizedClientException (400); the right one works", async () => {
    const token = "tok-" + randomBytes(16).toString("hex");
    const key = issueKey({ sessionToken: token });
    const e = await rejection(sqs(key, { sessionToken: "tok-wrong" }).send(new ListQueuesCommand({})));
    expect(e.name).toBe("UnrecognizedClientException");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toBe("The security token included in the request is invalid.");
    const ok = await sqs(key, { sessionToken: token }).send(new ListQueuesCommand({}));
    expect(ok.$metadata.httpStatusCode).toBe(200);
  });

  it("Lambda (rest-json): a wrong token is UnrecognizedClientException with status 403; the right one works", async () => {
    const token = "tok-" + randomBytes(16).toString("hex");
    const key = issueKey({ sessionToken: token });
    const e = await rejection(lambda(key, { sessionToken: "tok-wrong" }).send(new ListFunctionsCommand({})));
    expect(e.name).toBe("UnrecognizedClientException");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe("The security token included in the request is invalid.");
    expect((await lambda(key, { sessionToken: token }).send(new ListFunctionsCommand({}))).Functions).toEqual([]);
  });

  it("S3: no token is InvalidAccessKeyId (403), a wrong one InvalidToken (400) naming it; the right one works", async () => {
    const token = "tok-" + randomBytes(16).toString("hex");
    const key = issueKey({ sessionToken: token });
    const e1 = await rejection(s3(key).send(new ListBucketsCommand({})));
    expect(e1.name).toBe("InvalidAccessKeyId");
    expect(e1.$metadata.httpStatusCode).toBe(403);
    expect(e1.message).toBe("The AWS Access Key Id you provided does not exist in our records.");
    expect(e1.AWSAccessKeyId).toBe(key.accessKeyId);

    const e2 = await rejection(s3(key, { sessionToken: "tok-wrong" }).send(new ListBucketsCommand({})));
    expect(e2.name).toBe("InvalidToken");
    expect(e2.$metadata.httpStatusCode).toBe(400);
    expect(e2.message).toBe("The provided token is malformed or otherwise invalid.");
    expect(e2["Token-0"]).toBe("tok-wrong");

    const bucket = bucketName("session");
    await s3(key, { sessionToken: token }).send(new CreateBucketCommand({ Bucket: bucket }));
    const list = await s3(key, { sessionToken: token }).send(new ListBucketsCommand({}));
    expect(list.Buckets!.map((b) => b.Name)).toEqual([bucket]);
  });

  it("a temporary key past its expiration (Nimbus time) is ExpiredToken", async () => {
    const token = "tok-" + randomBytes(16).toString("hex");
    const key = issueKey({ sessionToken: token, expiresAt: (await nimbusNow()) - 1000 });
    const e = await rejection(sts(key, { sessionToken: token }).send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe("ExpiredToken");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe("The security token included in the request is expired");
  });
});

describe("presigned S3 URLs", () => {
  /** A presigned GET / (ListBuckets) the way @aws-sdk/s3-request-presigner builds it: UNSIGNED-PAYLOAD hoisted into the query. */
  async function presignListBuckets(key: Issued, opts: { signingDate?: Date; expiresIn?: number } = {}): Promise<string> {
    const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: key, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const host = `127.0.0.1:${n.port}`;
    const signed = await signer.presign(
      { method: "GET", protocol: "http:", hostname: "127.0.0.1", port: n.port, path: "/", query: {}, headers: { host, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" } },
      { signingDate: opts.signingDate ?? new Date(await nimbusNow()), expiresIn: opts.expiresIn ?? 900 },
    );
    const qs = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    return `${n.endpoint}/?${qs}`;
  }

  it("a presigned ListBuckets fetched with plain fetch lists the key's buckets", async () => {
    const key = issueKey();
    const bucket = bucketName("presign");
    await s3(key).send(new CreateBucketCommand({ Bucket: bucket }));
    const url = await presignListBuckets(key);
    expect(url).toContain("X-Amz-Content-Sha256=UNSIGNED-PAYLOAD");
    expect(url).toContain(`X-Amz-Credential=${key.accessKeyId}%2F`);
    const res = await fetch(url);
    const xml = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/xml");
    expect(xml).toContain("<ListAllMyBucketsResult");
    expect(xml).toContain(`<Name>${bucket}</Name>`);
    expect(xml.match(/<Bucket>/g)).toHaveLength(1);
  });

  it("an expired presigned URL is 403 AccessDenied 'Request has expired' with X-Amz-Expires, Expires and ServerTime", async () => {
    const key = issueKey();
    const signedAt = (await nimbusNow()) - 2 * 3600_000;
    const signingDate = new Date(Math.floor(signedAt / 1000) * 1000);
    const url = await presignListBuckets(key, { signingDate, expiresIn: 3600 });
    const res = await fetch(url);
    const xml = await res.text();
    expect(res.status).toBe(403);
    expect(xmlText(xml, "Code")).toBe("AccessDenied");
    expect(xmlText(xml, "Message")).toBe("Request has expired");
    expect(xmlText(xml, "X-Amz-Expires")).toBe("3600");
    expect(xmlText(xml, "Expires")).toBe(new Date(signingDate.getTime() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"));
    const serverTime = Date.parse(xmlText(xml, "ServerTime")!);
    expect(Math.abs(serverTime - (await nimbusNow()))).toBeLessThan(10_000);
    expect(xmlText(xml, "RequestId")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a tampered signature on an issued key's presigned URL is 403 SignatureDoesNotMatch", async () => {
    const key = issueKey();
    const url = await presignListBuckets(key);
    const sig = /X-Amz-Signature=([0-9a-f]{64})/.exec(url)![1];
    const tampered = url.replace(sig, sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0"));
    const res = await fetch(tampered);
    const xml = await res.text();
    expect(res.status).toBe(403);
    expect(xmlText(xml, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(xml, "Message")).toBe(MISMATCH_S3);
    expect(xmlText(xml, "AWSAccessKeyId")).toBe(key.accessKeyId);
    expect(xmlText(xml, "SignatureProvided")).not.toBe(sig);
    const canonical = xmlText(xml, "CanonicalRequest")!;
    // Presigned: the query (minus the signature) is canonicalized, the payload is UNSIGNED-PAYLOAD.
    expect(canonical).toMatch(/^GET\n\/\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=/);
    expect(canonical).not.toContain("X-Amz-Signature");
    expect(canonical.endsWith("\nhost\nUNSIGNED-PAYLOAD")).toBe(true);
    // The untampered URL still works.
    expect((await fetch(url)).status).toBe(200);
  });
});

describe("clock skew", () => {
  it("S3: signed 20 minutes in the past is RequestTimeTooSkewed (403) with RequestTime, ServerTime and the allowed skew; the SDK corrects itself", async () => {
    const key = issueKey();
    const client = s3(key, { systemClockOffset: -20 * 60_000 });
    const before = Date.now();
    const e = await rejection(client.send(new ListBucketsCommand({})));
    expect(e.name).toBe("RequestTimeTooSkewed");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe("The difference between the request time and the current time is too large.");
    expect(e.MaxAllowedSkewMilliseconds).toBe("900000");
    expect(e.RequestTime).toMatch(/^\d{8}T\d{6}Z$/);
    const requestMs = Date.parse(e.RequestTime.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
    expect(Math.abs(requestMs - (before - 20 * 60_000))).toBeLessThan(5_000);
    // ServerTime is wall-clock time, which is what lets the SDK correct its offset from it.
    expect(Math.abs(Date.parse(e.ServerTime) - Date.now())).toBeLessThan(5_000);
    const retry = await client.send(new ListBucketsCommand({}));
    expect(retry.$metadata.httpStatusCode).toBe(200);
  });

  it("STS: signed 20 minutes in the past is SignatureDoesNotMatch 'Signature expired: ...' (403)", async () => {
    for (const key of [issueKey(), { accessKeyId: freshAccount(), secretAccessKey: "x" }]) {
      const client = sts(key, { systemClockOffset: -20 * 60_000 });
      const before = Date.now();
      const e = await rejection(client.send(new GetCallerIdentityCommand({})));
      const after = Date.now();
      expect(e.name).toBe("SignatureDoesNotMatch");
      expect(e.$metadata.httpStatusCode).toBe(403);
      const m = /^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 15 min\.\)$/.exec(e.message);
      expect(m, e.message).not.toBeNull();
      const ms = (s: string) => Date.parse(s.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
      const [, signed, limit, server] = m!;
      expect(Math.abs(ms(signed) - (before - 20 * 60_000))).toBeLessThan(5_000);
      expect(ms(server)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(ms(server)).toBeLessThanOrEqual(after + 1000);
      expect(ms(limit)).toBe(ms(server) - 15 * 60_000);
      // The SDK took the server's Date header: the next call from the same client is signed on time.
      expect((await client.send(new GetCallerIdentityCommand({}))).Account).toMatch(/^\d{12}$/);
    }
  });

  it("SQS (JSON): signed 20 minutes in the past is InvalidSignatureException 'Signature expired' (400)", async () => {
    const e = await rejection(sqs(issueKey(), { systemClockOffset: -20 * 60_000 }).send(new ListQueuesCommand({})));
    expect(e.name).toBe("InvalidSignatureException");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  });

  it("Lambda (rest-json): signed 20 minutes in the past is InvalidSignatureException 'Signature expired' (403)", async () => {
    const e = await rejection(lambda(issueKey(), { systemClockOffset: -20 * 60_000 }).send(new ListFunctionsCommand({})));
    expect(e.name).toBe("InvalidSignatureException");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  });

  it("advancing the Nimbus clock by a day does not break normally signed requests; presigned URLs follow Nimbus time", async () => {
    const key = issueKey();
    const bucket = bucketName("clock");
    const stsClient = sts(key);
    const sqsClient = sqs(key);
    const s3Client = s3(key);
    await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
    // A URL presigned now (wall time), valid for an hour.
    const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: key, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const presigned = await signer.presign(
      { method: "GET", protocol: "http:", hostname: "127.0.0.1", port: n.port, path: "/", query: {}, headers: { host: `127.0.0.1:${n.port}`, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" } },
      { signingDate: new Date(), expiresIn: 3600 },
    );
    const url = `${n.endpoint}/?${new URLSearchParams(presigned.query as Record<string, string>).toString()}`;
    expect((await fetch(url)).status).toBe(200);

    const wallBefore = Date.now();
    const adv = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance: "P1D" }) });
    expect(adv.status).toBe(200);
    const clock = (await adv.json()) as { epochMillis: number; offsetMillis: number };
    expect(clock.offsetMillis).toBeGreaterThanOrEqual(86_400_000);
    expect(clock.epochMillis - wallBefore).toBeGreaterThanOrEqual(86_400_000);

    // Twice each: the SDK samples the response Date header after every call, so it must stay wall time.
    for (let i = 0; i < 2; i++) {
      expect((await stsClient.send(new GetCallerIdentityCommand({}))).Arn).toBe(key.arn);
      expect((await sqsClient.send(new ListQueuesCommand({}))).$metadata.httpStatusCode).toBe(200);
      expect((await s3Client.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toEqual([bucket]);
    }
    // Unissued keys too, with fresh clients.
    const account = freshAccount();
    expect((await sts({ accessKeyId: account, secretAccessKey: "x" }).send(new GetCallerIdentityCommand({}))).Account).toBe(account);

    // Presigned URL expiry is measured in Nimbus time (src/core/auth/GAPS.md): a day later it has expired.
    const res = await fetch(url);
    const xml = await res.text();
    expect(res.status).toBe(403);
    expect(xmlText(xml, "Code")).toBe("AccessDenied");
    expect(xmlText(xml, "Message")).toBe("Request has expired");
    expect(Date.parse(xmlText(xml, "ServerTime")!) - Date.now()).toBeGreaterThan(86_000_000);
  });
});

describe("unsigned requests outside S3", () => {
  it("SQS JSON: MissingAuthenticationTokenException, status 400", async () => {
    const res = await fetch(`${n.endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.0");
    expect(res.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toMatch(/(^|#)MissingAuthenticationTokenException$/);
    expect(body.message).toBe("Request is missing Authentication Token");
  });

  it("SQS JSON through the SDK with its signature stripped: the same error, by name", async () => {
    const client = new SQSClient(sdkConfig(n.endpoint));
    // After signing (finalizeRequest), before sending: drop every trace of SigV4.
    client.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        for (const h of Object.keys(headers)) if (/^(authorization|x-amz-date|x-amz-security-token|x-amz-content-sha256)$/i.test(h)) delete headers[h];
        return next(args);
      },
      { step: "deserialize", priority: "high", name: "stripSignature" },
    );
    const e = await rejection(client.send(new ListQueuesCommand({})));
    expect(e.name).toBe("MissingAuthenticationTokenException");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toBe("Request is missing Authentication Token");
  });

  it("SQS query protocol: MissingAuthenticationToken, status 403", async () => {
    const res = await fetch(`${n.endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=ListQueues&Version=2012-11-05",
    });
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xmlText(xml, "Code")).toBe("MissingAuthenticationToken");
    expect(xmlText(xml, "Message")).toBe("Request is missing Authentication Token");
  });

  // AWS answers an unsigned Lambda call 403 MissingAuthenticationTokenException "Missing Authentication
  // Token" (auth-errors.ts, rest-json). Nimbus cannot tell it is Lambda: an unsigned REST request has no
  // SigV4 scope to name the service, so the router sends it to S3 (GET /2015-03-31/functions/ is an
  // anonymous S3 GetObject of bucket "2015-03-31"). The rest-json dialect is covered above with signed
  // requests (wrong secret, token, skew: all status 403).
  it.todo("Lambda (rest-json) unsigned: MissingAuthenticationTokenException 403 (unreachable on one endpoint: routed to S3)");
});
