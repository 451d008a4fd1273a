import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.js";
import { canonicalTrailer, chunkStringToSign, createChunkVerifier, verifyTrailerSignature } from "./chunk-signature.js";
import { sdkSigner } from "./sdk-signing.test-helper.js";
import { deriveSigningKey } from "./sigv4.js";

// S3 API reference, sigv4-streaming, "Example: PUT Object": 66560 bytes of 'a' in chunks of 65536, 1024 and 0.
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE = "20130524T000000Z";
const SCOPE = "20130524/us-east-1/s3/aws4_request";
const SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK_SIGS = [
  "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
  "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
  "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const CHUNKS = [Buffer.alloc(65536, "a"), Buffer.alloc(1024, "a"), Buffer.alloc(0)];

function caught(f: () => unknown): AwsError {
  try {
    f();
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error("expected an AwsError");
}

describe("chunk signatures, AWS's published example", () => {
  const key = deriveSigningKey(SECRET, "20130524", "us-east-1", "s3");

  it("the first chunk's string to sign", () => {
    const sha = createHash("sha256").update(CHUNKS[0]).digest("hex");
    expect(chunkStringToSign(DATE, SCOPE, SEED, sha)).toBe(
      "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\n" +
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
        "bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a",
    );
  });

  it("verifies the three chunks in order, the final one empty", () => {
    const verify = createChunkVerifier(key, DATE, SCOPE, SEED);
    for (let i = 0; i < 3; i++) verify(CHUNKS[i], CHUNK_SIGS[i]);
    expect(verify.chunks).toBe(3);
    expect(verify.previousSignature).toBe(CHUNK_SIGS[2]);
  });

  it("accepts a hash computed while streaming", () => {
    const verify = createChunkVerifier(key, DATE, SCOPE, SEED);
    verify.verifyHash(createHash("sha256").update(CHUNKS[0]).digest("hex"), CHUNK_SIGS[0]);
    verify(CHUNKS[1], CHUNK_SIGS[1]);
  });

  it("refuses a changed chunk with SignatureDoesNotMatch, and chunks out of order", () => {
    const changed = Buffer.from(CHUNKS[0]);
    changed[100] = 0x62;
    const e = caught(() => createChunkVerifier(key, DATE, SCOPE, SEED, { accessKeyId: "AKIAIOSFODNN7EXAMPLE" })(changed, CHUNK_SIGS[0]));
    expect([e.code, e.status]).toEqual(["SignatureDoesNotMatch", 403]);
    expect(e.fields.AWSAccessKeyId).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(e.fields.SignatureProvided).toBe(CHUNK_SIGS[0]);
    expect(String(e.fields.StringToSign).startsWith("AWS4-HMAC-SHA256-PAYLOAD\n")).toBe(true);

    const swapped = createChunkVerifier(key, DATE, SCOPE, SEED);
    expect(caught(() => swapped(CHUNKS[1], CHUNK_SIGS[1])).code).toBe("SignatureDoesNotMatch");
    // A wrong seed breaks the whole chain.
    expect(caught(() => createChunkVerifier(key, DATE, SCOPE, CHUNK_SIGS[0])(CHUNKS[0], CHUNK_SIGS[0])).code).toBe("SignatureDoesNotMatch");
  });
});

describe("trailer signature, AWS's published example (sigv4-streaming-trailers)", () => {
  const key = deriveSigningKey(SECRET, "20130524", "us-east-1", "s3");
  const previous = "e05ab64fe1dfdbf0b5870abbaabdb063c371d4e96f2767e6934d90529c5ae850";
  const trailer = [["x-amz-checksum-crc32c", "wdBDMA=="]] as const;

  it("hashes the trailing headers as name:value lines", () => {
    expect(canonicalTrailer(trailer)).toBe("x-amz-checksum-crc32c:wdBDMA==\n");
    expect(canonicalTrailer([["X-Amz-Checksum-CRC32", " AAAA== "]])).toBe("x-amz-checksum-crc32:AAAA==\n");
    expect(canonicalTrailer([["x-b", "2"], ["x-a", "1"]])).toBe("x-a:1\nx-b:2\n");
  });

  it("verifies the trailer chunk and refuses a changed checksum", () => {
    expect(verifyTrailerSignature(key, DATE, SCOPE, previous, trailer, "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf")).toBe(
      "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf",
    );
    const e = caught(() =>
      verifyTrailerSignature(key, DATE, SCOPE, previous, [["x-amz-checksum-crc32c", "AAAAAA=="]], "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf"),
    );
    expect(e.code).toBe("SignatureDoesNotMatch");
  });

  it("accepts the canonical block as the body decoder builds it", () => {
    const sig = "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf";
    expect(verifyTrailerSignature(key, DATE, SCOPE, previous, "x-amz-checksum-crc32c:wdBDMA==\n", sig)).toBe(sig);
  });

  it("chains after the final chunk in a verifier", () => {
    const verify = createChunkVerifier(key, DATE, SCOPE, previous);
    verify.verifyTrailer(trailer, "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf");
    expect(() => verify(Buffer.alloc(0), "00")).toThrow(TypeError);
  });
});

describe("chunk signatures produced by the SDK's signer", () => {
  it("verifies a chain the SDK signed (SignatureV4 event signing is the chunk algorithm with no headers)", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "sdk-secret/+=" };
    const signingDate = new Date(Date.UTC(2026, 4, 17, 8, 30, 0));
    const signer = sdkSigner("s3", "eu-west-1", credentials);
    const seed = await signer.sign("seed-string-to-sign", { signingDate }); // any 64-hex seed
    const chunks = [Buffer.alloc(8192, 1), Buffer.from("second chunk, shorter"), Buffer.alloc(0)];
    const signatures: string[] = [];
    let prior = seed;
    for (const chunk of chunks) {
      prior = await signer.sign({ headers: new Uint8Array(0), payload: chunk }, { priorSignature: prior, signingDate });
      signatures.push(prior);
    }
    const key = deriveSigningKey(credentials.secretAccessKey, "20260517", "eu-west-1", "s3");
    const verify = createChunkVerifier(key, "20260517T083000Z", "20260517/eu-west-1/s3/aws4_request", seed);
    chunks.forEach((c, i) => verify(c, signatures[i]));
    expect(verify.chunks).toBe(3);
  });
});
