import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import { SignatureV4, getCanonicalHeaders } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.js";
import { EMPTY_SHA256 } from "./canonical-request.js";
import { parseAuthorization } from "./parse-authorization.js";
import { NodeSha256, toAuthRequest, type WireRequest } from "./sdk-signing.test-helper.js";
import { deriveSigV4aKeyPair, deriveSigV4aPrivateScalar, verifySigV4a, verifySigV4aWithPublicKey } from "./sigv4a.js";

function caught(f: () => unknown): AwsError {
  try {
    f();
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error("expected an AwsError");
}

describe("SigV4a key derivation", () => {
  // aws-c-auth tests/credentials_tests.c, credentials_derive_ecc_key_fixed ("values derived in
  // synchronicity with Golang and IAM implementations").
  it("matches AWS's published derived key", () => {
    const pair = deriveSigV4aKeyPair("AKISORANDOMAASORANDOM", "q+jcrXGc+0zWN6uzclKVhvMmUsIfRPa4rlRandom");
    expect(pair.d.toString("hex")).toBe("7fd3bd010c0d9c292141c2b77bfbde1042c92e6836fff749d1269ec890fca1bd");
    const jwk = pair.publicKey.export({ format: "jwk" });
    expect(Buffer.from(jwk.x!, "base64url").toString("hex")).toBe("15d242ceebf8d8169fd6a8b5a746c41140414c3b07579038da06af89190fffcb");
    expect(Buffer.from(jwk.y!, "base64url").toString("hex")).toBe("0515242cedd82e94799482e4c0514b505afccf2c0c98d6a553bf539f424c5ec0");
  });

  it("derives a long access key too, and caches per key", () => {
    const long = "AKISORANDOMAASORANDOM" + "F".repeat(300);
    expect(deriveSigV4aPrivateScalar(long, "q+jcrXGc+0zWN6uzclKVhvMmUsIfRPa4rlRandom")).toHaveLength(32);
    expect(deriveSigV4aKeyPair("AKIDEXAMPLE", "s")).toBe(deriveSigV4aKeyPair("AKIDEXAMPLE", "s"));
    expect(deriveSigV4aKeyPair("AKIDEXAMPLE", "s")).not.toBe(deriveSigV4aKeyPair("AKIDEXAMPLE", "t"));
  });
});

// aws-c-auth tests/aws-signing-test-suite/v4a/get-vanilla: header-signed-request.txt as published in
// two generations of the suite, each signed with the fixed key.pem of its generation (the suite
// signs with given keys, not keys derived from its context.json credentials).
describe("SigV4a, AWS's published test suite signatures", () => {
  const now = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));
  const vectors = [
    {
      key: "MHcCAQEEIEpgk4tfoSDrH6Zu6YGw+RA9iSSyvhcKhFMw4hZusc+RoAoGCCqGSM49AwEHoUQDQgAETocXz6mE1RBs13EKHF1CcsG6MFDYSsj27XUTiAgRs6nblrR/ggwZuDbHx95j6J2b+rKCjMQR89vTMeuNoMjr3Q==",
      signature:
        "3046022100b07514301e0357f368e4648c855d8323882ebbe6d699dbf90b747490b1b0fa4a022100f552192df0fde4711e93bc25a84a3b5d2d47d22abd29d79a98f7bc95694e2ebe",
    },
    {
      key: "MHcCAQEEIIm7LQIWSBKju98BVYGTLtEC419gHG4EB0Dqqxa1JuHSoAoGCCqGSM49AwEHoUQDQgAEFGiWO1MjQ5w61e9aQGW1bCT1zpTdgQxUuVW+vbmJ6NIvclSY4rkJDmUwyNNdKgrkC3Lq4eRydZRgbu1yCKcAlQ==",
      signature:
        "3045022100f4c37457a8978d07fa07044d5724237f8c30f8529c4c4cd1f30a4c0e6486303f02207968f80296f1ac3808e3cb45ae1f31c479d071dcad4f0621084cd6d1b6a912bd",
    },
  ];
  const publicKeyOf = (b64: string) =>
    createPublicKey(createPrivateKey({ key: `-----BEGIN EC PRIVATE KEY-----\n${b64}\n-----END EC PRIVATE KEY-----\n`, format: "pem" }));

  for (const [i, v] of vectors.entries()) {
    it(`get-vanilla, generation ${i + 1}`, () => {
      const headers = {
        host: "example.amazonaws.com",
        "x-amz-content-sha256": EMPTY_SHA256,
        authorization: `AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=${v.signature}`,
        "x-amz-date": "20150830T123600Z",
        "x-amz-region-set": "us-east-1",
      };
      const req = { method: "GET", rawPath: "/", rawQuery: "", headers, payloadHash: EMPTY_SHA256 };
      const parsed = parseAuthorization(headers, "");
      expect(parsed.kind).toBe("sigv4a");
      const out = verifySigV4aWithPublicKey(req, parsed, publicKeyOf(v.key), now);
      expect(out.seedSignature).toBe(v.signature);
      // Another key, or another request, does not verify.
      expect(caught(() => verifySigV4aWithPublicKey(req, parsed, publicKeyOf(vectors[1 - i].key), now)).code).toBe("SignatureDoesNotMatch");
      expect(caught(() => verifySigV4aWithPublicKey({ ...req, rawPath: "/x" }, parsed, publicKeyOf(v.key), now)).code).toBe("SignatureDoesNotMatch");
    });
  }
});

/**
 * A SigV4a signer for the tests, built on the SDK's own canonicalization (SignatureV4Base
 * createCanonicalRequest / getCanonicalHeaders / createStringToSign, which @smithy/signature-v4a
 * extends), with the ECDSA step done by node:crypto over the key derived from the secret. No JS
 * SigV4a signer is installed (@smithy/signature-v4a and aws-crt are absent).
 */
async function signV4a(
  wire: WireRequest,
  creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  service: string,
  regionSet: string,
  date: Date,
  presignExpires?: number,
): Promise<WireRequest> {
  const base = new SignatureV4({ service, region: regionSet, credentials: creds, sha256: NodeSha256, uriEscapePath: service !== "s3" });
  const longDate = date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  const scope = `${longDate.slice(0, 8)}/${service}/aws4_request`;
  const req: WireRequest = { ...wire, headers: { ...wire.headers }, query: { ...(wire.query ?? {}) } };
  const payloadHash = req.headers["x-amz-content-sha256"] ?? "UNSIGNED-PAYLOAD";
  if (presignExpires === undefined) {
    req.headers["x-amz-date"] = longDate;
    req.headers["x-amz-region-set"] = regionSet;
    if (creds.sessionToken) req.headers["x-amz-security-token"] = creds.sessionToken;
  } else {
    const q = req.query!;
    q["X-Amz-Algorithm"] = "AWS4-ECDSA-P256-SHA256";
    q["X-Amz-Credential"] = `${creds.accessKeyId}/${scope}`;
    q["X-Amz-Date"] = longDate;
    q["X-Amz-Expires"] = String(presignExpires);
    q["X-Amz-Region-Set"] = regionSet;
    if (creds.sessionToken) q["X-Amz-Security-Token"] = creds.sessionToken;
  }
  const canonicalHeaders = getCanonicalHeaders(req as never);
  const signedHeaders = Object.keys(canonicalHeaders).sort().join(";");
  if (presignExpires !== undefined) req.query!["X-Amz-SignedHeaders"] = signedHeaders;
  const canonicalRequest = (
    base as unknown as { createCanonicalRequest(r: unknown, h: Record<string, string>, p: string): string }
  ).createCanonicalRequest(req, canonicalHeaders, payloadHash);
  const stringToSign = await (
    base as unknown as { createStringToSign(d: string, s: string, c: string, a: string): Promise<string> }
  ).createStringToSign(longDate, scope, canonicalRequest, "AWS4-ECDSA-P256-SHA256");
  const { privateKey } = deriveSigV4aKeyPair(creds.accessKeyId, creds.secretAccessKey);
  const signature = sign("sha256", Buffer.from(stringToSign), { key: privateKey, dsaEncoding: "der" }).toString("hex");
  if (presignExpires === undefined) {
    req.headers.authorization = `AWS4-ECDSA-P256-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  } else {
    req.query!["X-Amz-Signature"] = signature;
  }
  return req;
}

describe("SigV4a verification with keys derived from the secret", () => {
  const creds = { accessKeyId: "AKIAV4AEXAMPLE", secretAccessKey: "v4a/secret+KEY" };
  const date = new Date(Date.UTC(2026, 2, 3, 4, 5, 6));
  const s3Put: WireRequest = {
    method: "PUT",
    hostname: "mrap.accesspoint.s3-global.amazonaws.com",
    path: "/a//b%20c/%C3%BC%2Bx.txt",
    query: { "x-id": "PutObject" },
    headers: { host: "mrap.accesspoint.s3-global.amazonaws.com", "content-type": "text/plain", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
  };

  it("header-signed S3 request, region set '*'", async () => {
    const wire = await signV4a(s3Put, creds, "s3", "*", date);
    const req = toAuthRequest(wire);
    const parsed = parseAuthorization(req.headers, req.rawQuery);
    expect(parsed).toMatchObject({ kind: "sigv4a", service: "s3", regionSet: ["*"], region: "" });
    const out = verifySigV4a({ ...req, payloadHash: "UNSIGNED-PAYLOAD" }, parsed, creds.secretAccessKey, date);
    expect(out.seedSignature).toBe(parsed.signature);
  });

  it("presigned S3 GET with a session token", async () => {
    const session = { ...creds, sessionToken: "FwoGZXIvYXdzEXAMPLE//+token=" };
    const wire = await signV4a({ ...s3Put, method: "GET", query: { "x-id": "GetObject" }, headers: { host: s3Put.hostname } }, session, "s3", "us-east-1,eu-west-1", date, 300);
    const req = toAuthRequest(wire);
    const parsed = parseAuthorization(req.headers, req.rawQuery);
    expect(parsed).toMatchObject({ kind: "presigned-sigv4a", securityToken: session.sessionToken, region: "us-east-1", expires: 300 });
    verifySigV4a({ ...req, payloadHash: "UNSIGNED-PAYLOAD" }, parsed, creds.secretAccessKey, new Date(date.getTime() + 200_000));
    const expired = caught(() => verifySigV4a({ ...req, payloadHash: "UNSIGNED-PAYLOAD" }, parsed, creds.secretAccessKey, new Date(date.getTime() + 301_000)));
    expect([expired.code, expired.message]).toEqual(["AccessDenied", "Request has expired"]);
  });

  it("a non-S3 service normalizes the path as SigV4 does", async () => {
    const wire = await signV4a(
      { method: "POST", hostname: "localhost", path: "/a/./b//c", query: {}, headers: { host: "localhost", "x-amz-content-sha256": EMPTY_SHA256 } },
      creds,
      "events",
      "*",
      date,
    );
    const req = toAuthRequest(wire);
    verifySigV4a({ ...req, payloadHash: EMPTY_SHA256 }, parseAuthorization(req.headers, ""), creds.secretAccessKey, date);
  });

  it("a wrong secret, a tampered request or a garbage signature: SignatureDoesNotMatch", async () => {
    const req = toAuthRequest(await signV4a(s3Put, creds, "s3", "*", date));
    const parsed = parseAuthorization(req.headers, req.rawQuery);
    const signed = { ...req, payloadHash: "UNSIGNED-PAYLOAD" };
    const e = caught(() => verifySigV4a(signed, parsed, "wrong", date));
    expect([e.code, e.status]).toEqual(["SignatureDoesNotMatch", 403]);
    expect(String(e.fields.StringToSign).startsWith("AWS4-ECDSA-P256-SHA256\n20260303T040506Z\n20260303/s3/aws4_request\n")).toBe(true);
    expect(caught(() => verifySigV4a({ ...signed, headers: { ...signed.headers, "content-type": "text/html" } }, parsed, creds.secretAccessKey, date)).code).toBe(
      "SignatureDoesNotMatch",
    );
    expect(caught(() => verifySigV4a(signed, { ...parsed, signature: "zz" }, creds.secretAccessKey, date)).code).toBe("SignatureDoesNotMatch");
  });

  it("requires the region set and a four-part scope", async () => {
    const req = toAuthRequest(await signV4a(s3Put, creds, "s3", "*", date));
    const { "x-amz-region-set": _, ...headers } = req.headers;
    const parsed = parseAuthorization(headers, req.rawQuery);
    const e = caught(() => verifySigV4a({ ...req, headers, payloadHash: "UNSIGNED-PAYLOAD" }, parsed, creds.secretAccessKey, date));
    expect([e.code, e.message]).toEqual(["InvalidRequest", "Missing required header for this request: x-amz-region-set"]);
    const fiveParts = parseAuthorization(
      { ...req.headers, authorization: (req.headers.authorization as string).replace("/s3/aws4_request", "/us-east-1/s3/aws4_request") },
      req.rawQuery,
    );
    // A five-part scope reads as service "us-east-1"; the gateway, which routed the request, names the dialect.
    const e2 = caught(() => verifySigV4a({ ...req, payloadHash: "UNSIGNED-PAYLOAD" }, fiveParts, creds.secretAccessKey, date, { dialect: "s3" }));
    expect(e2.message).toBe(
      'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request".',
    );
  });
});
