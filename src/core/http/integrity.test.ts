import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AwsError } from "../errors.js";
import { checksumBase64 } from "./checksums.js";
import { IntegrityStream, type IntegrityOptions } from "./integrity.js";

const body = randomBytes(100_000);
const md5 = createHash("md5").update(body).digest("base64");
const sha256hex = createHash("sha256").update(body).digest("hex");
const crc32 = checksumBase64("CRC32", body);

/** Runs `body` through an IntegrityStream into a sink, as the blob store does. */
async function run(opts: IntegrityOptions, data: Buffer = body) {
  const integrity = new IntegrityStream(opts);
  let written = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      written += chunk.length;
      cb();
    },
  });
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += 8192) pieces.push(data.subarray(i, i + 8192));
  try {
    await pipeline(Readable.from(pieces), integrity, sink);
    return { integrity, written, error: undefined };
  } catch (error) {
    return { integrity, written, error };
  }
}

function expectCode(e: unknown, code: string, message?: string): AwsError {
  expect(e).toBeInstanceOf(AwsError);
  expect((e as AwsError).code).toBe(code);
  expect((e as AwsError).status).toBe(400);
  if (message) expect((e as AwsError).message).toBe(message);
  return e as AwsError;
}

describe("IntegrityStream", () => {
  it("passes bytes through and exposes size, MD5 and every requested checksum", async () => {
    const r = await run({ compute: ["MD5", "CRC64NVME", "SHA1"] });
    expect(r.error).toBeUndefined();
    expect(r.written).toBe(body.length);
    const res = r.integrity.result();
    expect(res.size).toBe(body.length);
    expect(res.md5!.toString("base64")).toBe(md5);
    expect(res.checksums).toEqual({
      MD5: md5,
      CRC64NVME: checksumBase64("CRC64NVME", body),
      SHA1: createHash("sha1").update(body).digest("base64"),
    });
    expect(res.verified).toBeUndefined();
  });

  it("checks Content-MD5", async () => {
    expect((await run({ contentMd5: md5 })).error).toBeUndefined();
    const bad = await run({ contentMd5: createHash("md5").update("other").digest("base64") });
    expectCode(bad.error, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    expect(() => bad.integrity.result()).toThrow();
  });

  it("rejects a malformed Content-MD5 before reading the body", () => {
    for (const v of ["", "abc", "not base64!!", Buffer.alloc(15).toString("base64")]) {
      try {
        new IntegrityStream({ contentMd5: v });
        expect.unreachable();
      } catch (e) {
        expectCode(e, "InvalidDigest", "The Content-MD5 you specified was invalid.");
      }
    }
  });

  it("checks an x-amz-checksum-* header", async () => {
    const ok = await run({ headerChecksum: { algorithm: "CRC32", value: crc32 } });
    expect(ok.error).toBeUndefined();
    expect(ok.integrity.result().verified).toEqual({ algorithm: "CRC32", value: crc32, location: "header" });
    const bad = await run({ headerChecksum: { algorithm: "CRC32", value: checksumBase64("CRC32", Buffer.from("x")) } });
    expectCode(bad.error, "BadDigest", "The CRC32 you specified did not match the calculated checksum.");
    const badSha = await run({ headerChecksum: { algorithm: "SHA256", value: createHash("sha256").update("x").digest("base64") } });
    expectCode(badSha.error, "BadDigest", "The SHA256 you specified did not match the calculated checksum.");
    expect(() => new IntegrityStream({ headerChecksum: { algorithm: "CRC32C", value: "AAAA" } })).toThrow(
      expect.objectContaining({ code: "InvalidRequest", message: "Value for x-amz-checksum-crc32c header is invalid." }),
    );
  });

  it("checks a checksum delivered in the trailer", async () => {
    const trailer = (v: Record<string, string>) => ({ algorithm: "CRC32" as const, trailers: Promise.resolve(v) });
    const ok = await run({ trailerChecksum: trailer({ "x-amz-checksum-crc32": crc32 }) });
    expect(ok.error).toBeUndefined();
    expect(ok.integrity.result().verified).toEqual({ algorithm: "CRC32", value: crc32, location: "trailer" });
    expectCode((await run({ trailerChecksum: trailer({ "x-amz-checksum-crc32": "AAAAAA==" }) })).error, "BadDigest");
    expectCode(
      (await run({ trailerChecksum: trailer({ "x-amz-checksum-crc32": "nope" }) })).error,
      "InvalidRequest",
      "Value for x-amz-checksum-crc32 trailing header is invalid.",
    );
    expectCode((await run({ trailerChecksum: trailer({}) })).error, "MalformedTrailerError");
  });

  it("checks a hex x-amz-content-sha256 and reports both hashes", async () => {
    expect((await run({ contentSha256: sha256hex.toUpperCase() })).error).toBeUndefined();
    const wrong = "0".repeat(64);
    const e = expectCode((await run({ contentSha256: wrong })).error, "XAmzContentSHA256Mismatch");
    expect(e.message).toBe("The provided 'x-amz-content-sha256' header does not match what was computed.");
    expect(e.fields).toEqual({ ClientComputedContentSHA256: wrong, S3ComputedContentSHA256: sha256hex });
  });

  it("a failure rejects the whole pipeline, so the sink never sees a clean end", async () => {
    let finished = false;
    const integrity = new IntegrityStream({ contentMd5: createHash("md5").update("x").digest("base64") });
    const sink = new Writable({
      write(_c, _e, cb) {
        cb();
      },
      final(cb) {
        finished = true;
        cb();
      },
    });
    await expect(pipeline(Readable.from([body]), integrity, sink)).rejects.toMatchObject({ code: "BadDigest" });
    expect(finished).toBe(false);
  });
});
