// Request bodies end to end, over raw HTTP against a running Nimbus: a SigV4-signed aws-chunked
// stream verified chunk by chunk, Expect: 100-continue, Content-MD5 / x-amz-checksum-* /
// x-amz-content-sha256 integrity, and the cap on a buffered body. S3 CreateBucket is the
// operation: it takes an XML body (CreateBucketConfiguration) whose effect is observable
// (the bucket and its region), so "the body was refused" can be checked as "no bucket exists".
import { createHash, createHmac, randomBytes, randomInt } from "node:crypto";
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { crc32 } from "node:zlib";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { ListQueuesCommand, SendMessageCommand, CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
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

const REGION = "eu-west-1";
const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");
const STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const md5b64 = (b: Buffer | string) => createHash("md5").update(b).digest("base64");

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

/** An access key Nimbus issued (an IAM user's): its signatures, chunk signatures included, are verified. */
function issueKey(server: TestNimbus = n): Key {
  const accountId = freshAccount();
  const accessKeyId = "AKIA" + randomBytes(8).toString("hex").toUpperCase();
  const secretAccessKey = randomBytes(30).toString("base64");
  server.nimbus.credentials.add(accessKeyId, {
    secretAccessKey,
    principal: { type: "user", accountId, arn: `arn:aws:iam::${accountId}:user/bob-${randomInt(1e6)}`, userId: "AIDA" + randomBytes(8).toString("hex").toUpperCase() },
  });
  return { accessKeyId, secretAccessKey, accountId };
}

const bucketName = (p: string) => `${p}-${randomBytes(5).toString("hex")}`;

function locationXml(region: string, pad = 0): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      " ".repeat(pad) +
      `<LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`,
  );
}


function s3Signer(key: Key, region = REGION): SignatureV4 {
  // As @aws-sdk/client-s3 configures it: S3 paths are not double-escaped.
  return new SignatureV4({ service: "s3", region, credentials: key, sha256: Sha256, uriEscapePath: false, applyChecksum: true });
}

/**
 * Signs PUT /<bucket> (or any S3 request) with the SDK's SignatureV4. Every header given is
 * signed (S3 wants Content-MD5 and x-amz-* signed); x-amz-content-sha256 defaults to the body's hash.
 */
async function signS3(
  server: TestNimbus,
  key: Key,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
  opts: { region?: string; signingDate?: Date } = {},
): Promise<Record<string, string>> {
  const signed = await s3Signer(key, opts.region).sign(
    { method, protocol: "http:", hostname: "127.0.0.1", port: server.port, path, query: {}, headers: { host: `127.0.0.1:${server.port}`, ...headers }, ...(body ? { body } : {}) },
    { signingDate: opts.signingDate ?? new Date() },
  );
  return signed.headers;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
}

/** One HTTP request with node:http, body written as given (no framing added). */
function send(
  server: TestNimbus,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  body?: Buffer,
  opts: { agent?: Agent | false } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, method, path, headers, agent: opts.agent ?? false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString("utf8"), reusedSocket: req.reusedSocket }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The text of an element of an S3 XML document, entities decoded. */
function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return m[1]
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function s3Client(key: Key, server: TestNimbus = n, region = REGION): S3Client {
  return new S3Client({ ...sdkConfig(server.endpoint, { accountId: key.accessKeyId, secretAccessKey: key.secretAccessKey, region }), forcePathStyle: true });
}

/** HeadBucket through the SDK: the bucket's region, or "missing" when it does not exist. */
async function bucketRegion(key: Key, bucket: string, server: TestNimbus = n): Promise<string> {
  try {
    const out = await s3Client(key, server).send(new HeadBucketCommand({ Bucket: bucket }));
    return out.BucketRegion!;
  } catch (e) {
    const err = e as { name: string; $metadata: { httpStatusCode?: number } };
    if (err.name === "NotFound" && err.$metadata.httpStatusCode === 404) return "missing";
    throw e;
  }
}

// ---- 6. Signed aws-chunked ----------------------------------------------------------------------

/** A signed aws-chunked PUT /<bucket>, built per the SigV4 streaming spec with the SDK's signer. */
async function chunkedCreateBucket(
  key: Key,
  bucket: string,
  chunks: Buffer[],
  tamper: { badSignatureAt?: number; replaceDataAt?: { index: number; data: Buffer } } = {},
) {
  const signingDate = new Date();
  const decodedLength = chunks.reduce((s, c) => s + c.length, 0);
  const all = [...chunks, Buffer.alloc(0)]; // the final zero-length chunk is signed too
  // Signatures are always 64 hex characters: the framed length is known before signing.
  const framedLength = all.reduce((s, c) => s + c.length.toString(16).length + ";chunk-signature=".length + 64 + 2 + c.length + 2, 0);
  const headers = await signS3(
    n,
    key,
    "PUT",
    `/${bucket}`,
    {
      "content-encoding": "aws-chunked",
      "content-type": "application/xml",
      "content-length": String(framedLength),
      "x-amz-content-sha256": STREAMING,
      "x-amz-decoded-content-length": String(decodedLength),
    },
    undefined,
    { signingDate },
  );
  const seed = /Signature=([0-9a-f]{64})$/.exec(headers.authorization)![1];
  const signer = s3Signer(key);
  const signatures: string[] = [];
  const frames: Buffer[] = [];
  let prior = seed;
  for (let i = 0; i < all.length; i++) {
    // A chunk's string to sign is the event-signing one with empty "headers":
    // AWS4-HMAC-SHA256-PAYLOAD \n date \n scope \n prior \n sha256("") \n sha256(chunk).
    let sig = await signer.sign({ headers: new Uint8Array(0), payload: all[i] }, { signingDate, priorSignature: prior });
    signatures.push(sig);
    prior = sig;
    if (tamper.badSignatureAt === i) sig = sig.slice(0, -4) + (sig.endsWith("0000") ? "ffff" : "0000");
    const data = tamper.replaceDataAt?.index === i ? tamper.replaceDataAt.data : all[i];
    expect(data.length).toBe(all[i].length);
    frames.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from("\r\n"));
  }
  const body = Buffer.concat(frames);
  expect(body.length).toBe(framedLength);
  const res = await send(n, "PUT", `/${bucket}`, headers, body);
  return { res, seed, signatures, signingDate, amzDate: headers["x-amz-date"] };
}

describe("signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", () => {
  // Padded past 8 KiB so it can be sent as a full 8192-byte chunk, a short last data chunk, and the final chunk.
  const xml = locationXml(REGION, 9000);
  const parts = () => [xml.subarray(0, 8192), xml.subarray(8192)];

  it("the SDK signer's chunk signature is the spec's HMAC chain (sanity check of the test itself)", async () => {
    const key = issueKey();
    const signingDate = new Date("2026-01-02T03:04:05Z");
    const chunk = Buffer.from("hello chunk");
    const prior = "a".repeat(64);
    const sdk = await s3Signer(key).sign({ headers: new Uint8Array(0), payload: chunk }, { signingDate, priorSignature: prior });
    const hmac = (k: Buffer | string, s: string) => createHmac("sha256", k).update(s).digest();
    const kSigning = hmac(hmac(hmac(hmac("AWS4" + key.secretAccessKey, "20260102"), REGION), "s3"), "aws4_request");
    const stringToSign = ["AWS4-HMAC-SHA256-PAYLOAD", "20260102T030405Z", `20260102/${REGION}/s3/aws4_request`, prior, EMPTY_SHA256, sha256(chunk)].join("\n");
    expect(sdk).toBe(createHmac("sha256", kSigning).update(stringToSign).digest("hex"));
  });

  it("correct chunk signatures: 200 and the bucket exists in the signed region", async () => {
    const key = issueKey();
    const bucket = bucketName("chunked");
    expect(xml.length).toBeGreaterThan(8192);
    const { res } = await chunkedCreateBucket(key, bucket, parts());
    expect(res.body).toBe("");
    expect(res.status).toBe(200);
    expect(res.headers.location).toBe(`http://127.0.0.1:${n.port}/${bucket}/`);
    expect(await bucketRegion(key, bucket)).toBe(REGION);
  });

  it("a single short data chunk and the final chunk are accepted too", async () => {
    const key = issueKey();
    const bucket = bucketName("onechunk");
    const { res } = await chunkedCreateBucket(key, bucket, [locationXml(REGION)]);
    expect(res.status).toBe(200);
    expect(await bucketRegion(key, bucket)).toBe(REGION);
  });

  it("a wrong signature on the second chunk: 403 SignatureDoesNotMatch naming that chunk's string to sign, and no bucket", async () => {
    const key = issueKey();
    const bucket = bucketName("badchunk");
    const p = parts();
    const { res, signatures, amzDate } = await chunkedCreateBucket(key, bucket, p, { badSignatureAt: 1 });
    expect(res.status).toBe(403);
    expect(xmlText(res.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(res.body, "Message")).toBe("The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    expect(xmlText(res.body, "AWSAccessKeyId")).toBe(key.accessKeyId);
    // The first chunk verified: the second's string to sign chains from its signature.
    const expected = ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`, signatures[0], EMPTY_SHA256, sha256(p[1])].join("\n");
    expect(xmlText(res.body, "StringToSign")).toBe(expected);
    expect(xmlText(res.body, "SignatureProvided")).not.toBe(signatures[1]);
    expect(xmlText(res.body, "SignatureProvided")).toMatch(/^[0-9a-f]{64}$/);
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });

  it("a wrong signature on the first chunk (chained from the seed) is refused, and no bucket", async () => {
    const key = issueKey();
    const bucket = bucketName("badfirst");
    const p = parts();
    const { res, seed, amzDate } = await chunkedCreateBucket(key, bucket, p, { badSignatureAt: 0 });
    expect(res.status).toBe(403);
    expect(xmlText(res.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(res.body, "StringToSign")).toBe(
      ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`, seed, EMPTY_SHA256, sha256(p[0])].join("\n"),
    );
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });

  it("a wrong signature on the final zero-length chunk still refuses the whole body", async () => {
    const key = issueKey();
    const bucket = bucketName("badfinal");
    const { res, signatures, amzDate } = await chunkedCreateBucket(key, bucket, parts(), { badSignatureAt: 2 });
    expect(res.status).toBe(403);
    expect(xmlText(res.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(res.body, "StringToSign")).toBe(
      ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`, signatures[1], EMPTY_SHA256, EMPTY_SHA256].join("\n"),
    );
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });

  it("chunk data changed after signing (same length, valid XML) is refused, and no bucket", async () => {
    const key = issueKey();
    const bucket = bucketName("tampered");
    const p = parts();
    // Same length, still a valid configuration (for us-west-1), so only the chunk signature can catch it.
    const forged = Buffer.from(p[1].toString("utf8").replace(REGION, "us-west-1"));
    const { res } = await chunkedCreateBucket(key, bucket, p, { replaceDataAt: { index: 1, data: forged } });
    expect(res.status).toBe(403);
    expect(xmlText(res.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(res.body, "StringToSign")!.endsWith(`\n${sha256(forged)}`)).toBe(true);
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });

  it("a wrong request (seed) signature is refused before the body matters", async () => {
    const key = issueKey();
    const bucket = bucketName("badseed");
    const signingDate = new Date();
    const body = locationXml(REGION);
    const headers = await signS3(
      n,
      { ...key, secretAccessKey: "wrong-secret" },
      "PUT",
      `/${bucket}`,
      { "content-encoding": "aws-chunked", "x-amz-content-sha256": STREAMING, "x-amz-decoded-content-length": String(body.length) },
      undefined,
      { signingDate },
    );
    const framed = Buffer.concat([Buffer.from(`${body.length.toString(16)};chunk-signature=${"0".repeat(64)}\r\n`), body, Buffer.from(`\r\n0;chunk-signature=${"0".repeat(64)}\r\n\r\n`)]);
    const res = await send(n, "PUT", `/${bucket}`, headers, framed);
    expect(res.status).toBe(403);
    expect(xmlText(res.body, "Code")).toBe("SignatureDoesNotMatch");
    expect(xmlText(res.body, "CanonicalRequest")!.endsWith(`\n${STREAMING}`)).toBe(true);
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });
});

// ---- 7. Expect: 100-continue --------------------------------------------------------------------

describe("Expect: 100-continue", () => {
  it("the server answers 100 Continue before the body is sent, then 200 for the request", async () => {
    const key = issueKey();
    const bucket = bucketName("continue");
    const body = locationXml(REGION);
    const headers = await signS3(n, key, "PUT", `/${bucket}`, { "content-type": "application/xml", "content-length": String(body.length) }, body);
    const events: string[] = [];
    const result = await new Promise<{ status: number; text: string; informational: number[] }>((resolve, reject) => {
      const informational: number[] = [];
      const req = request(
        { host: "127.0.0.1", port: n.port, method: "PUT", path: `/${bucket}`, headers: { ...headers, expect: "100-continue" }, agent: false },
        (res) => {
          events.push(`response ${res.statusCode}`);
          const parts: Buffer[] = [];
          res.on("data", (c: Buffer) => parts.push(c));
          res.on("end", () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString(), informational }));
        },
      );
      req.on("information", (info) => informational.push(info.statusCode));
      req.on("continue", () => {
        events.push("continue");
        // Only now does the body go out.
        req.end(body, () => events.push("body sent"));
      });
      req.on("error", reject);
      req.flushHeaders();
      events.push("headers sent");
    });
    expect(result.informational).toEqual([100]);
    expect(events.slice(0, 2)).toEqual(["headers sent", "continue"]);
    expect(events.indexOf("body sent")).toBeGreaterThan(events.indexOf("continue"));
    expect(events).toContain("response 200");
    expect(result.status).toBe(200);
    expect(await bucketRegion(key, bucket)).toBe(REGION);
  });
});

// ---- 8. Content-MD5, x-amz-checksum-*, x-amz-content-sha256 --------------------------------------

describe("body integrity headers", () => {
  async function createWith(key: Key, bucket: string, extra: Record<string, string>, body = locationXml(REGION)) {
    const headers = await signS3(n, key, "PUT", `/${bucket}`, { "content-type": "application/xml", ...extra }, body);
    return send(n, "PUT", `/${bucket}`, headers, body);
  }

  it("Content-MD5 that does not match the body: 400 BadDigest, no bucket", async () => {
    const key = issueKey();
    const bucket = bucketName("badmd5");
    const res = await createWith(key, bucket, { "content-md5": md5b64("something else") });
    expect(res.status).toBe(400);
    expect(xmlText(res.body, "Code")).toBe("BadDigest");
    expect(xmlText(res.body, "Message")).toBe("The Content-MD5 you specified did not match what we received.");
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });

  it("malformed Content-MD5 (not base64 of 16 bytes): 400 InvalidDigest, no bucket", async () => {
    const key = issueKey();
    for (const bad of ["not-an-md5!", Buffer.alloc(15, 1).toString("base64")]) {
      const bucket = bucketName("invmd5");
      const res = await createWith(key, bucket, { "content-md5": bad });
      expect(res.status).toBe(400);
      expect(xmlText(res.body, "Code")).toBe("InvalidDigest");
      expect(xmlText(res.body, "Message")).toBe("The Content-MD5 you specified was invalid.");
      expect(await bucketRegion(key, bucket)).toBe("missing");
    }
  });

  it("correct Content-MD5: 200", async () => {
    const key = issueKey();
    const bucket = bucketName("goodmd5");
    const body = locationXml(REGION);
    const res = await createWith(key, bucket, { "content-md5": md5b64(body) }, body);
    expect(res.status).toBe(200);
    expect(await bucketRegion(key, bucket)).toBe(REGION);
  });

  it("x-amz-checksum-crc32 that does not match: 400 BadDigest naming CRC32; malformed: InvalidRequest; correct: 200", async () => {
    const key = issueKey();
    const body = locationXml(REGION);
    const crc = (b: Buffer) => {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(crc32(b));
      return v.toString("base64");
    };
    const wrong = crc(Buffer.from("other bytes"));
    expect(wrong).not.toBe(crc(body));

    const b1 = bucketName("badcrc");
    const r1 = await createWith(key, b1, { "x-amz-checksum-crc32": wrong }, body);
    expect(r1.status).toBe(400);
    expect(xmlText(r1.body, "Code")).toBe("BadDigest");
    expect(xmlText(r1.body, "Message")).toBe("The CRC32 you specified did not match the calculated checksum.");
    expect(await bucketRegion(key, b1)).toBe("missing");

    const b2 = bucketName("invcrc");
    const r2 = await createWith(key, b2, { "x-amz-checksum-crc32": "abc" }, body);
    expect(r2.status).toBe(400);
    expect(xmlText(r2.body, "Code")).toBe("InvalidRequest");
    expect(xmlText(r2.body, "Message")).toBe("Value for x-amz-checksum-crc32 header is invalid.");
    expect(await bucketRegion(key, b2)).toBe("missing");

    const b3 = bucketName("goodcrc");
    const r3 = await createWith(key, b3, { "x-amz-checksum-crc32": crc(body) }, body);
    expect(r3.status).toBe(200);
    expect(await bucketRegion(key, b3)).toBe(REGION);
  });

  it("a signed x-amz-content-sha256 that is not the body's hash: 400 XAmzContentSHA256Mismatch with both hashes", async () => {
    const key = issueKey();
    const bucket = bucketName("badsha");
    const body = locationXml(REGION);
    const claimed = sha256("a different body");
    const res = await createWith(key, bucket, { "x-amz-content-sha256": claimed }, body);
    expect(res.status).toBe(400);
    expect(xmlText(res.body, "Code")).toBe("XAmzContentSHA256Mismatch");
    expect(xmlText(res.body, "Message")).toBe("The provided 'x-amz-content-sha256' header does not match what was computed.");
    expect(xmlText(res.body, "ClientComputedContentSHA256")).toBe(claimed);
    expect(xmlText(res.body, "S3ComputedContentSHA256")).toBe(sha256(body));
    expect(await bucketRegion(key, bucket)).toBe("missing");
  });
});

// ---- 9. The cap on buffered bodies -----------------------------------------------------------------

describe("maxBodyBytes", () => {
  let small: TestNimbus;
  beforeAll(async () => {
    small = await startNimbus({ env: { maxBodyBytes: "4096", iam: "off" } });
  });
  afterAll(() => small.stop());

  it("is read from the config the server was started with", () => {
    expect(small.nimbus.config.maxBodyBytes).toBe(4096);
  });

  it("S3: a body over the limit is 413 RequestEntityTooLarge; the same connection and the server keep serving", async () => {
    const key = issueKey(small);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const bucket = bucketName("toolarge");
      const body = locationXml(REGION, 8192);
      const headers = await signS3(small, key, "PUT", `/${bucket}`, { "content-type": "application/xml", "content-length": String(body.length) }, body);
      const res = await send(small, "PUT", `/${bucket}`, headers, body, { agent });
      expect(res.status).toBe(413);
      expect(res.headers["content-type"]).toBe("application/xml");
      expect(xmlText(res.body, "Code")).toBe("RequestEntityTooLarge");
      const m = /^Request size (\d+) exceeded 4096 bytes$/.exec(xmlText(res.body, "Message")!);
      expect(m, res.body).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(4096);
      expect(Number(m![1])).toBeLessThanOrEqual(body.length);
      expect(await bucketRegion(key, bucket, small)).toBe("missing");

      // The rest of the refused body was drained: the next request rides the same connection.
      const ok = bucketName("fits");
      const okBody = locationXml(REGION);
      const okHeaders = await signS3(small, key, "PUT", `/${ok}`, { "content-type": "application/xml", "content-length": String(okBody.length) }, okBody);
      const res2 = await send(small, "PUT", `/${ok}`, okHeaders, okBody, { agent });
      expect(res2.status).toBe(200);
      expect(res2.reusedSocket).toBe(true);
      expect(await bucketRegion(key, ok, small)).toBe(REGION);
    } finally {
      agent.destroy();
    }
  });

  it("SQS JSON through the SDK: RequestEntityTooLarge (413), then the client keeps working", async () => {
    const client = new SQSClient(sdkConfig(small.endpoint, { accountId: freshAccount() }));
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: "big" }));
    const e = (await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(5000) })).catch((err) => err)) as {
      name: string;
      message: string;
      $metadata: { httpStatusCode?: number };
    };
    expect(e.name).toBe("RequestEntityTooLarge");
    expect(e.$metadata.httpStatusCode).toBe(413);
    expect(e.message).toMatch(/^Request size \d+ exceeded 4096 bytes$/);
    const list = await client.send(new ListQueuesCommand({}));
    expect(list.QueueUrls).toEqual([QueueUrl]);
  });
});
