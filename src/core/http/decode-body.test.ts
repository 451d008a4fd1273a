import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { getAwsChunkedEncodingStream, toBase64 } from "@smithy/core/serde";
import { Crc32, readableStreamHasher } from "@smithy/core/checksum";
import { AwsError } from "../errors.js";
import { checksumBase64, createHasher } from "./checksums.js";
import { decodeRequestBody, parsePayloadMode, readAll, type DecodeBodyOptions } from "./decode-body.js";

async function collect(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of stream) parts.push(c as Buffer);
    return { data: Buffer.concat(parts) };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

function syncError(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AwsError);
    return e as AwsError;
  }
  throw new Error("expected an AwsError");
}

/** What @aws-sdk/client-s3 sends for PutObject with a stream body and the default CRC32 checksum. */
async function sdkUpload(payload: Buffer) {
  const pieces: Buffer[] = [];
  for (let i = 0; i < payload.length; i += 65536) pieces.push(payload.subarray(i, i + 65536));
  const wire = await collect(
    getAwsChunkedEncodingStream(Readable.from(pieces), {
      base64Encoder: toBase64,
      bodyLengthChecker: (b: Buffer) => b.length,
      checksumAlgorithmFn: Crc32,
      checksumLocationName: "x-amz-checksum-crc32",
      streamHasher: readableStreamHasher,
    }),
  );
  const headers: Record<string, string> = {
    "content-encoding": "aws-chunked",
    "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "x-amz-decoded-content-length": String(payload.length),
    "x-amz-trailer": "x-amz-checksum-crc32",
    "x-amz-sdk-checksum-algorithm": "CRC32",
    "content-length": String(wire.data.length),
  };
  return { wire: wire.data, headers };
}

describe("decodeRequestBody: composition", () => {
  it("returns the request itself when nothing needs decoding or checking", () => {
    const source = Readable.from([Buffer.from("{}")]);
    for (const headers of [{}, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-type": "application/x-amz-json-1.0" }]) {
      const d = decodeRequestBody(headers, source);
      expect(d.stream).toBe(source);
      expect(d.integrity).toBeUndefined();
      expect(d.storedContentEncoding).toBeUndefined();
    }
  });

  it("decodes an SDK PutObject upload: aws-chunked, CRC32 trailer, plus S3's own MD5 and CRC64NVME", async () => {
    const payload = randomBytes(300_000);
    const { wire, headers } = await sdkUpload(payload);
    const d = decodeRequestBody({ ...headers, "content-encoding": "aws-chunked,gzip" }, Readable.from([wire]), { wantChecksums: ["MD5", "CRC64NVME"] });
    expect(d.declaredLength).toBe(payload.length);
    expect(d.storedContentEncoding).toBe("gzip"); // S3 stores the coding, does not undo it
    const r = await collect(d.stream);
    expect(r.error).toBeUndefined();
    expect(r.data.equals(payload)).toBe(true);
    expect(await d.trailers).toEqual({ "x-amz-checksum-crc32": checksumBase64("CRC32", payload) });
    const res = d.integrity!.result();
    expect(res.size).toBe(payload.length);
    expect(res.md5!.equals(createHash("md5").update(payload).digest())).toBe(true);
    expect(res.checksums.CRC64NVME).toBe(checksumBase64("CRC64NVME", payload));
    expect(res.verified).toEqual({ algorithm: "CRC32", value: checksumBase64("CRC32", payload), location: "trailer" });
  });

  it("fails a trailer checksum that does not match the data with BadDigest", async () => {
    const payload = randomBytes(20_000);
    const { wire, headers } = await sdkUpload(payload);
    const tampered = Buffer.from(wire);
    tampered[100] ^= 1;
    const d = decodeRequestBody(headers, Readable.from([tampered]));
    const r = await collect(d.stream);
    expect((r.error as AwsError).code).toBe("BadDigest");
    expect((r.error as AwsError).message).toBe("The CRC32 you specified did not match the calculated checksum.");
  });

  it("recognises streaming from x-amz-content-sha256 alone and verifies signed chunks through the callback", async () => {
    const data = randomBytes(10_000);
    const sig = (n: number) => n.toString(16).padStart(64, "0");
    const wire = Buffer.concat([
      Buffer.from(`${data.length.toString(16)};chunk-signature=${sig(1)}\r\n`),
      data,
      Buffer.from(`\r\n0;chunk-signature=${sig(2)}\r\n\r\n`),
    ]);
    const seen: string[] = [];
    const d = decodeRequestBody(
      { "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-decoded-content-length": String(data.length) },
      Readable.from([wire]),
      { verifyChunk: (_d, s) => void seen.push(s) },
    );
    const r = await collect(d.stream);
    expect(r.error).toBeUndefined();
    expect(r.data.equals(data)).toBe(true);
    expect(seen).toEqual([sig(1), sig(2)]);
    expect(d.payloadMode).toEqual({ kind: "streaming", signedChunks: true, trailer: false, sigv4a: false });
  });

  it("checks Content-MD5 and x-amz-checksum-* headers on plain bodies", async () => {
    const body = Buffer.from("<Tagging><TagSet/></Tagging>");
    const ok = decodeRequestBody(
      { "content-md5": createHash("md5").update(body).digest("base64"), "x-amz-checksum-sha256": createHash("sha256").update(body).digest("base64") },
      Readable.from([body]),
    );
    expect((await readAll(ok.stream, 1024)).equals(body)).toBe(true);
    expect(ok.integrity!.result().verified?.algorithm).toBe("SHA256");

    const bad = decodeRequestBody({ "content-md5": createHash("md5").update("x").digest("base64") }, Readable.from([body]));
    await expect(readAll(bad.stream, 1024)).rejects.toMatchObject({ code: "BadDigest" });
  });

  it("a failing body nobody reads (the gateway answered 403 first) does not crash the process", async () => {
    const d = decodeRequestBody({ "content-md5": createHash("md5").update("x").digest("base64") }, Readable.from([Buffer.from("body")]));
    await new Promise((r) => setTimeout(r, 20));
    expect(d.stream.destroyed).toBe(true);
    expect(() => d.integrity!.result()).toThrow();
  });

  it("checks a hex x-amz-content-sha256 on non-streaming bodies", async () => {
    const body = randomBytes(5000);
    const hex = createHash("sha256").update(body).digest("hex");
    const ok = decodeRequestBody({ "x-amz-content-sha256": hex }, Readable.from([body]));
    expect((await collect(ok.stream)).error).toBeUndefined();
    const bad = decodeRequestBody({ "x-amz-content-sha256": createHash("sha256").update("x").digest("hex") }, Readable.from([body]));
    const r = await collect(bad.stream);
    expect((r.error as AwsError).code).toBe("XAmzContentSHA256Mismatch");
    expect((r.error as AwsError).fields.S3ComputedContentSHA256).toBe(hex);
  });

  it("a body read whole (a Buffer) stays one only when no stage is needed, and its claims are still checked otherwise", async () => {
    const body = Buffer.from('{"TableName":"t"}');
    const hex = createHash("sha256").update(body).digest("hex");
    const wrong = createHash("sha256").update("x").digest("hex");
    // Nothing to check: the Buffer itself, its length from Content-Length.
    const plain = decodeRequestBody({ "content-length": String(body.length) }, body);
    expect(plain.buffered).toBe(body);
    expect(plain.payloadMode).toEqual({ kind: "unsigned" });
    expect(plain.declaredLength).toBe(body.length);
    expect(plain.noBody).toBe(false);
    // A hash nobody verifies is kept as the mode; one to verify is deferred, or checked by a stage.
    expect(decodeRequestBody({ "x-amz-content-sha256": wrong }, body, { verifyPayloadHash: false }).buffered).toBe(body);
    const deferred = decodeRequestBody({ "x-amz-content-sha256": hex }, body, { deferPayloadHash: true });
    expect([deferred.buffered, deferred.deferredSha256]).toEqual([body, hex]);
    const staged = decodeRequestBody({ "x-amz-content-sha256": wrong }, body);
    expect(staged.buffered).toBeUndefined();
    expect(((await collect(staged.stream)).error as AwsError).code).toBe("XAmzContentSHA256Mismatch");
    // Capitals: the same claim, in lower case.
    expect(decodeRequestBody({ "x-amz-content-sha256": hex.toUpperCase() }, body, { deferPayloadHash: true }).deferredSha256).toBe(hex);
    // A checksum header, Content-MD5 or Content-Encoding on a Buffer still goes through its stage.
    const crc = decodeRequestBody({ "x-amz-checksum-crc32": "AAAAAA==" }, body);
    expect(crc.buffered).toBeUndefined();
    expect(((await collect(crc.stream)).error as AwsError).code).toBe("BadDigest");
    expect(decodeRequestBody({ "content-md5": createHash("md5").update(body).digest("base64") }, body).integrity).toBeDefined();
    const gz = decodeRequestBody({ "content-encoding": "gzip" }, gzipSync(body), { decompress: true });
    expect((await readAll(gz.stream, 1024)).equals(body)).toBe(true);
    // And the header checks are the same: a bare x-amz-checksum- is refused.
    expect(syncError(() => decodeRequestBody({ "x-amz-checksum-": "x" }, body)).code).toBe("InvalidRequest");
    expect(decodeRequestBody({ "x-amz-checksum-algorithm": "CRC32" }, body).buffered).toBe(body);
  });

  it("gunzips only when the operation takes compressed requests", async () => {
    const json = Buffer.from(JSON.stringify({ Namespace: "App", MetricData: Array.from({ length: 500 }, (_, i) => ({ MetricName: `m${i}` })) }));
    const gz = gzipSync(json);
    const on = decodeRequestBody({ "content-encoding": "gzip", "content-length": String(gz.length) }, Readable.from([gz]), { decompress: true });
    expect((await readAll(on.stream, 1 << 20)).equals(json)).toBe(true);
    expect(on.storedContentEncoding).toBeUndefined();
    expect(on.declaredLength).toBeUndefined();

    const off = decodeRequestBody({ "content-encoding": "gzip", "content-length": String(gz.length) }, Readable.from([gz]));
    expect((await readAll(off.stream, 1 << 20)).equals(gz)).toBe(true);
    expect(off.storedContentEncoding).toBe("gzip");
    expect(off.declaredLength).toBe(gz.length);
  });

  it("checks Content-MD5 against the compressed bytes, then caps the inflated size", async () => {
    const gz = gzipSync(Buffer.alloc(5 * 1024 * 1024, "a"));
    const headers = { "content-encoding": "gzip", "content-md5": createHash("md5").update(gz).digest("base64") };
    const ok = decodeRequestBody(headers, Readable.from([gz]), { decompress: true, maxDecompressedBytes: 8 << 20 });
    expect((await readAll(ok.stream, 8 << 20)).length).toBe(5 * 1024 * 1024);
    const capped = decodeRequestBody(headers, Readable.from([gz]), { decompress: true, maxDecompressedBytes: 1 << 20 });
    await expect(readAll(capped.stream, 8 << 20)).rejects.toMatchObject({ code: "RequestEntityTooLarge", status: 413 });
  });
});

describe("decodeRequestBody: header validation (thrown before the body is read)", () => {
  const src = () => Readable.from([Buffer.alloc(0)]);
  const crc = checksumBase64("CRC32", Buffer.alloc(0));

  it("x-amz-content-sha256 must be a known mode or a sha256", () => {
    const e = syncError(() => decodeRequestBody({ "x-amz-content-sha256": "STREAMING-SOMETHING" }, src()));
    expect(e.code).toBe("InvalidArgument");
    expect(e.message).toContain("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
    expect(e.fields).toEqual({ ArgumentName: "x-amz-content-sha256", ArgumentValue: "STREAMING-SOMETHING" });
    expect(parsePayloadMode("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER")).toEqual({ kind: "streaming", signedChunks: true, trailer: true, sigv4a: true });
    expect(parsePayloadMode("A".repeat(64))).toEqual({ kind: "sha256", hex: "a".repeat(64) });
  });

  it("checksum headers: one at most, known algorithms, well-formed values, consistent with the SDK header", () => {
    expect(syncError(() => decodeRequestBody({ "x-amz-checksum-crc32": crc, "x-amz-checksum-crc32c": crc }, src())).message).toBe(
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
    expect(syncError(() => decodeRequestBody({ "x-amz-checksum-sha256a": "x" }, src())).message).toBe(
      "The algorithm type you specified in x-amz-checksum- header is invalid.",
    );
    expect(syncError(() => decodeRequestBody({ "x-amz-checksum-crc32": "zz" }, src())).message).toBe("Value for x-amz-checksum-crc32 header is invalid.");
    expect(syncError(() => decodeRequestBody({ "x-amz-checksum-crc32c": crc, "x-amz-sdk-checksum-algorithm": "crc32" }, src())).message).toBe(
      "Value for x-amz-sdk-checksum-algorithm header is invalid.",
    );
    expect(syncError(() => decodeRequestBody({ "x-amz-sdk-checksum-algorithm": "CRC32" }, src())).message).toBe(
      "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
    );
    expect(syncError(() => decodeRequestBody({ "x-amz-sdk-checksum-algorithm": "MD4", "x-amz-checksum-crc32": crc }, src())).message).toMatch(
      /^Checksum algorithm provided is unsupported/,
    );
    const xx = syncError(() => decodeRequestBody({ "x-amz-checksum-xxhash64": "AAAAAAAAAAA=" }, src()));
    expect([xx.code, xx.status]).toEqual(["NotImplemented", 501]);
    // Not checksum values: ignored.
    expect(() => decodeRequestBody({ "x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT", "x-amz-checksum-mode": "ENABLED" }, src())).not.toThrow();
    // The SDK header is case-insensitive and may name the trailer's algorithm.
    expect(() =>
      decodeRequestBody(
        { "content-encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm": "crc32", "x-amz-decoded-content-length": "0" },
        src(),
      ),
    ).not.toThrow();
  });

  it("x-amz-trailer must name a supported checksum; the decoded length must be a number", () => {
    const chunked = { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER" };
    expect(syncError(() => decodeRequestBody({ ...chunked, "x-amz-trailer": "x-amz-meta-foo" }, src())).message).toBe(
      "The value specified in the x-amz-trailer header is not supported",
    );
    const e = syncError(() => decodeRequestBody({ ...chunked, "x-amz-decoded-content-length": "abc" }, src()));
    expect([e.code, e.status]).toEqual(["MissingContentLength", 411]);
  });

  it("a malformed Content-MD5 is InvalidDigest, and the rejected request is left unread", () => {
    expect(syncError(() => decodeRequestBody({ "content-md5": "abc" }, src())).code).toBe("InvalidDigest");
    const source = new PassThrough();
    expect(syncError(() => decodeRequestBody({ "content-encoding": "aws-chunked", "content-md5": "abc" }, source)).code).toBe("InvalidDigest");
    expect(source.readableFlowing).toBe(null);
    expect(source.listenerCount("data")).toBe(0);
  });
});

describe("readAll", () => {
  it("buffers a body under the limit", async () => {
    expect((await readAll(Readable.from([Buffer.from("ab"), Buffer.from("cd")]), 4)).toString()).toBe("abcd");
  });

  it("rejects over the limit without destroying the request", async () => {
    const source = new PassThrough();
    const p = readAll(source, 10);
    source.write(Buffer.alloc(8));
    source.write(Buffer.alloc(8));
    await expect(p).rejects.toMatchObject({ code: "RequestEntityTooLarge", status: 413, message: "Request size 16 exceeded 10 bytes" });
    expect(source.destroyed).toBe(false);
    const custom = readAll(Readable.from([Buffer.alloc(20)]), 10, {
      tooLarge: () => new AwsError("MaxMessageLengthExceeded", "Your request was too big.", 400),
    });
    await expect(custom).rejects.toMatchObject({ code: "MaxMessageLengthExceeded" });
  });
});

describe("decodeRequestBody: a 200 MB upload streams in flat memory", () => {
  it("aws-chunked + CRC32 trailer + MD5 + CRC64NVME, 200 MB, RSS stays bounded", async () => {
    const TOTAL = 200 * 1024 * 1024;
    const CHUNK = 1024 * 1024;
    const block = randomBytes(CHUNK);
    // The client side: frames 1 MiB chunks lazily and computes the CRC32 trailer as it goes,
    // like the SDK does; nothing ever holds more than one chunk.
    const crc = createHasher("CRC32");
    async function* client() {
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        block[0] = sent & 0xff; // vary the data a little
        crc.update(block);
        yield Buffer.concat([Buffer.from(`${CHUNK.toString(16)}\r\n`), block, Buffer.from("\r\n")]);
      }
      yield Buffer.from(`0\r\nx-amz-checksum-crc32:${crc.digest().toString("base64")}\r\n\r\n`);
    }
    const headers = {
      "content-encoding": "aws-chunked",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "x-amz-decoded-content-length": String(TOTAL),
      "x-amz-trailer": "x-amz-checksum-crc32",
    };
    const opts: DecodeBodyOptions = { wantChecksums: ["MD5", "CRC64NVME"] };

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const started = process.hrtime.bigint();
    const d = decodeRequestBody(headers, Readable.from(client(), { objectMode: false, highWaterMark: 64 * 1024 }), opts);
    let received = 0;
    for await (const c of d.stream) {
      received += (c as Buffer).length;
      if ((received & 0xfffff) < (c as Buffer).length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(received).toBe(TOTAL);
    expect(d.integrity!.result().verified?.location).toBe("trailer");
    // 200 MB went through; memory may wobble by GC timing but must not grow with the body.
    expect(peak - before).toBeLessThan(80 * 1024 * 1024);
    console.log(`200 MB decoded+hashed (CRC32 trailer check, MD5, CRC64NVME) in ${seconds.toFixed(2)}s = ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s; RSS growth ${((peak - before) / 1e6).toFixed(1)} MB`);
  }, 120_000);
});

describe("parsePayloadMode's hex check", () => {
  it("refuses characters a case fold would turn into digits", () => {
    const hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    expect(parsePayloadMode(hex.toUpperCase())).toEqual({ kind: "sha256", hex });
    for (const c of ["\x10", "\x19", "G", "@"]) expect(() => parsePayloadMode(c + hex.slice(1))).toThrow(AwsError);
  });
});
