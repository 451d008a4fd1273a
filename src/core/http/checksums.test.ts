import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
// The SDK's own implementations are the reference: what the client computes is what we must match.
import { Crc32Js } from "@smithy/core/checksum";
import { Crc32cJs, Crc64NvmeJs } from "@aws-sdk/checksums/crc";
import {
  CHECKSUM_ALGORITHMS,
  algorithmOfHeader,
  checksumBase64,
  checksumHeaderName,
  createHasher,
  createPureCrc32,
  decodeChecksumValue,
  digestLength,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type Hasher,
} from "./checksums.js";

interface SdkChecksum {
  update(data: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

async function sdkDigest(alg: "CRC32" | "CRC32C" | "CRC64NVME", parts: Uint8Array[]): Promise<Buffer> {
  const h: SdkChecksum = alg === "CRC32" ? new Crc32Js() : alg === "CRC32C" ? new Crc32cJs() : new Crc64NvmeJs();
  for (const p of parts) h.update(p);
  return Buffer.from(await h.digest());
}

function ours(h: Hasher, parts: Uint8Array[]): Buffer {
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Splits `data` at random points so state carried between update() calls is exercised. */
function randomSplit(data: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < data.length) {
    const n = Math.min(data.length - i, 1 + Math.floor(Math.random() * 37));
    parts.push(data.subarray(i, i + n));
    i += n;
  }
  return parts;
}

describe("checksums", () => {
  const check = Buffer.from("123456789");

  it("matches the published check values for '123456789'", () => {
    expect(createHasher("CRC32").digest().toString("hex")).toBe("00000000");
    expect(ours(createHasher("CRC32"), [check]).toString("hex")).toBe("cbf43926");
    expect(ours(createPureCrc32(), [check]).toString("hex")).toBe("cbf43926");
    expect(ours(createHasher("CRC32C"), [check]).toString("hex")).toBe("e3069283");
    expect(ours(createHasher("CRC64NVME"), [check]).toString("hex")).toBe("ae8b14860a799888");
  });

  it("empty input digests to zero for the CRCs", () => {
    for (const alg of ["CRC32", "CRC32C", "CRC64NVME"] as const) {
      expect(createHasher(alg).digest().equals(Buffer.alloc(digestLength(alg)))).toBe(true);
    }
  });

  for (const alg of ["CRC32", "CRC32C", "CRC64NVME"] as const) {
    it(`${alg} matches the AWS SDK's implementation for every length 0..300 and random splits`, async () => {
      const data = randomBytes(300);
      for (let len = 0; len <= 300; len++) {
        const slice = data.subarray(0, len);
        const expected = await sdkDigest(alg, [slice]);
        expect(ours(createHasher(alg), [slice]).equals(expected), `${alg} len=${len}`).toBe(true);
        expect(ours(createHasher(alg), randomSplit(slice)).equals(expected), `${alg} split len=${len}`).toBe(true);
      }
    });

    it(`${alg} matches the SDK on 1 MiB of random data fed in odd-sized pieces`, async () => {
      const data = randomBytes(1 << 20);
      const parts = randomSplit(data);
      expect(ours(createHasher(alg), parts).equals(await sdkDigest(alg, [data]))).toBe(true);
    });
  }

  it("pure-TS CRC32 agrees with zlib.crc32", () => {
    const data = randomBytes(100_003);
    const parts = randomSplit(data);
    expect(ours(createPureCrc32(), parts).equals(ours(createHasher("CRC32"), [data]))).toBe(true);
  });

  for (const [alg, node] of [
    ["SHA1", "sha1"],
    ["SHA256", "sha256"],
    ["MD5", "md5"],
    ["SHA512", "sha512"],
  ] as const) {
    it(`${alg} is node:crypto ${node}`, () => {
      const data = randomBytes(5000);
      expect(ours(createHasher(alg), randomSplit(data)).equals(createHash(node).update(data).digest())).toBe(true);
    });
  }

  it("names headers and parses algorithm names case-insensitively", () => {
    expect(checksumHeaderName("CRC32")).toBe("x-amz-checksum-crc32");
    expect(checksumHeaderName("CRC64NVME")).toBe("x-amz-checksum-crc64nvme");
    expect(parseChecksumAlgorithm("crc32c")).toBe("CRC32C");
    expect(parseChecksumAlgorithm(" Sha256 ")).toBe("SHA256");
    expect(parseChecksumAlgorithm("XXHASH64")).toBeUndefined();
    expect(parseChecksumAlgorithm("crc")).toBeUndefined();
    expect(algorithmOfHeader("X-Amz-Checksum-SHA1")).toBe("SHA1");
    expect(algorithmOfHeader("x-amz-checksum-type")).toBeUndefined();
    expect(algorithmOfHeader("content-md5")).toBeUndefined();
    for (const alg of CHECKSUM_ALGORITHMS) expect(algorithmOfHeader(checksumHeaderName(alg))).toBe(alg);
  });

  it("validates base64 checksum values by alphabet and digest size", () => {
    const crc = checksumBase64("CRC32", check); // "y/Q5Jg=="
    expect(crc).toBe(Buffer.from("cbf43926", "hex").toString("base64"));
    expect(decodeChecksumValue("CRC32", crc)?.toString("hex")).toBe("cbf43926");
    expect(decodeChecksumValue("CRC32C", crc)).toBeDefined();
    expect(decodeChecksumValue("CRC64NVME", crc)).toBeUndefined(); // wrong size
    expect(decodeChecksumValue("CRC32", "")).toBeUndefined();
    expect(decodeChecksumValue("CRC32", "y/Q5Jg")).toBeUndefined(); // unpadded
    expect(decodeChecksumValue("CRC32", "y/Q5*g==")).toBeUndefined();
    const sha = checksumBase64("SHA256", check);
    expect(decodeChecksumValue("SHA256", sha)?.length).toBe(32);
  });

  it("digest lengths cover every algorithm", () => {
    const sizes = Object.fromEntries(CHECKSUM_ALGORITHMS.map((a: ChecksumAlgorithm) => [a, createHasher(a).digest().length]));
    for (const alg of CHECKSUM_ALGORITHMS) expect(sizes[alg]).toBe(digestLength(alg));
  });
});
