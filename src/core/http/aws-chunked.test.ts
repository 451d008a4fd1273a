import { describe, expect, it } from "vitest";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { getAwsChunkedEncodingStream, toBase64 } from "@smithy/core/serde";
import { Crc32, readableStreamHasher } from "@smithy/core/checksum";
import { AwsError } from "../errors.js";
import { AwsChunkedDecoder, canonicalTrailers, decodeAwsChunked, type AwsChunkedOptions } from "./aws-chunked.js";
import { checksumBase64 } from "./checksums.js";

// ---------------------------------------------------------------------------------------------
// helpers

async function collect(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of stream) parts.push(c as Buffer);
    return { data: Buffer.concat(parts) };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

/** Three uneven pieces, so chunk data spans input buffers. */
function pieces3(b: Buffer): Buffer[] {
  return [b.subarray(0, 333), b.subarray(333, 40000), b.subarray(40000)];
}

/** Feeds `body` to a fresh decoder in the given pieces and collects the result. */
async function decodePieces(pieces: Buffer[], opts: AwsChunkedOptions) {
  const source = Readable.from(pieces, { objectMode: false });
  const { stream, trailers } = decodeAwsChunked(source, opts);
  const out = await collect(stream);
  const t = await trailers.then(
    (v) => v,
    () => undefined,
  );
  return { ...out, trailers: t };
}

function expectAwsError(e: unknown, code: string): AwsError {
  expect(e).toBeInstanceOf(AwsError);
  expect((e as AwsError).code).toBe(code);
  return e as AwsError;
}

interface EncodeOpts {
  chunkSignature?: (data: Buffer) => string;
  trailers?: Array<[string, string]>;
  trailerSignature?: (canonical: string) => string;
}

/** Hand-built aws-chunked body, for the modes the JS SDK does not produce (signed chunks). */
function encode(chunks: Buffer[], o: EncodeOpts = {}): Buffer {
  const out: Buffer[] = [];
  for (const c of [...chunks, Buffer.alloc(0)]) {
    const ext = o.chunkSignature ? `;chunk-signature=${o.chunkSignature(c)}` : "";
    out.push(Buffer.from(`${c.length.toString(16)}${ext}\r\n`));
    if (c.length > 0) out.push(c, Buffer.from("\r\n"));
  }
  const fields: Record<string, string> = {};
  for (const [n, v] of o.trailers ?? []) {
    out.push(Buffer.from(`${n}:${v}\r\n`));
    fields[n] = v;
  }
  if (o.trailerSignature) out.push(Buffer.from(`x-amz-trailer-signature:${o.trailerSignature(canonicalTrailers(fields))}\r\n`));
  out.push(Buffer.from("\r\n"));
  return Buffer.concat(out);
}

// SigV4 streaming example from the AWS docs ("Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks"): 66560 bytes of 'a' in a 64 KiB and a 1 KiB
// chunk. The signatures below are the documented ones.
const DOC = {
  secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  date: "20130524",
  amzDate: "20130524T000000Z",
  scope: "20130524/us-east-1/s3/aws4_request",
  seed: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  chunk1: "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
  chunk2: "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
  final: "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
};
const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const signingKey = ["us-east-1", "s3", "aws4_request"].reduce((k, part) => hmac(k, part), hmac(`AWS4${DOC.secret}`, DOC.date));

/** A rolling SigV4 chunk signer/verifier: what the auth module will implement. */
function rollingSigner(seed: string) {
  let prev = seed;
  const next = (kind: "PAYLOAD" | "TRAILER", hashHex: string) => {
    const parts = [`AWS4-HMAC-SHA256-${kind}`, DOC.amzDate, DOC.scope, prev];
    if (kind === "PAYLOAD") parts.push(EMPTY_SHA256);
    parts.push(hashHex);
    prev = hmac(signingKey, parts.join("\n")).toString("hex");
    return prev;
  };
  return {
    chunk: (data: Buffer) => next("PAYLOAD", createHash("sha256").update(data).digest("hex")),
    chunkFromHash: (hex: string) => next("PAYLOAD", hex),
    trailer: (canonical: string) => next("TRAILER", createHash("sha256").update(canonical).digest("hex")),
  };
}

function signatureMismatch(): AwsError {
  return new AwsError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", 403);
}

/** What the auth engineer will pass as verifyChunk/verifyTrailer, plus a log of calls. */
function verifier(seed: string) {
  const signer = rollingSigner(seed);
  const calls: Array<{ size: number; sig: string }> = [];
  let trailerCanonical: string | undefined;
  let trailerFields: ReadonlyArray<readonly [string, string]> | undefined;
  return {
    calls,
    trailerCanonical: () => trailerCanonical,
    trailerFields: () => trailerFields,
    verifyChunk: (data: Buffer, sig: string) => {
      calls.push({ size: data.length, sig });
      if (signer.chunk(data) !== sig) throw signatureMismatch();
    },
    verifyChunkHash: (hex: string, sig: string) => {
      calls.push({ size: -1, sig });
      if (signer.chunkFromHash(hex) !== sig) throw signatureMismatch();
    },
    verifyTrailer: (canonical: string, sig: string, fields: ReadonlyArray<readonly [string, string]>) => {
      trailerCanonical = canonical;
      trailerFields = fields;
      if (signer.trailer(canonical) !== sig) throw signatureMismatch();
    },
  };
}

// ---------------------------------------------------------------------------------------------

describe("aws-chunked: bodies produced by the AWS SDK's own encoder", () => {
  it("decodes an unsigned body with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", async () => {
    const payload = randomBytes(5 * 65536 + 1234);
    const pieces: Buffer[] = [];
    for (let i = 0; i < payload.length; i += 65536) pieces.push(payload.subarray(i, i + 65536));
    const sdkStream = getAwsChunkedEncodingStream(Readable.from(pieces), {
      base64Encoder: toBase64,
      bodyLengthChecker: (b: Buffer) => b.length,
      checksumAlgorithmFn: Crc32,
      checksumLocationName: "x-amz-checksum-crc32",
      streamHasher: readableStreamHasher,
    });
    const wire = (await collect(sdkStream)).data;
    expect(wire.subarray(0, 7).toString()).toBe("10000\r\n");

    const r = await decodePieces([wire], {
      decodedLength: payload.length,
      declaredTrailers: ["x-amz-checksum-crc32"],
    });
    expect(r.error).toBeUndefined();
    expect(r.data.equals(payload)).toBe(true);
    expect(r.trailers).toEqual({ "x-amz-checksum-crc32": checksumBase64("CRC32", payload) });
  });

  it("decodes an SDK body without a checksum (it ends right after the 0-chunk, no closing CRLF)", async () => {
    const payload = randomBytes(70000);
    const sdkStream = getAwsChunkedEncodingStream(Readable.from([payload]), { bodyLengthChecker: (b: Buffer) => b.length });
    const wire = (await collect(sdkStream)).data;
    const r = await decodePieces([wire], { decodedLength: payload.length, declaredTrailers: [] });
    expect(r.error).toBeUndefined();
    expect(r.data.equals(payload)).toBe(true);
    expect(r.trailers).toEqual({});
    expect(wire.subarray(-5).toString()).toBe("\r\n0\r\n");
    // ... which is only acceptable when no trailer was declared.
    const declared = await decodePieces([wire], { declaredTrailers: ["x-amz-checksum-crc32"] });
    expectAwsError(declared.error, "MalformedTrailerError");
  });
});

describe("aws-chunked: SigV4 signed chunks", () => {
  const docPayload = Buffer.alloc(66560, "a");
  const docChunks = [docPayload.subarray(0, 65536), docPayload.subarray(65536)];

  it("reproduces the AWS documentation's chunk signatures", () => {
    const s = rollingSigner(DOC.seed);
    expect(s.chunk(docChunks[0]!)).toBe(DOC.chunk1);
    expect(s.chunk(docChunks[1]!)).toBe(DOC.chunk2);
    expect(s.chunk(Buffer.alloc(0))).toBe(DOC.final);
  });

  it("verifies each chunk in order, final chunk included (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", async () => {
    const wire = encode(docChunks, { chunkSignature: rollingSigner(DOC.seed).chunk });
    // The documented Content-Length of the encoded body.
    expect(wire.length).toBe(66824);
    const v = verifier(DOC.seed);
    const r = await decodePieces([wire], { signed: true, verifyChunk: v.verifyChunk, decodedLength: 66560 });
    expect(r.error).toBeUndefined();
    expect(r.data.equals(docPayload)).toBe(true);
    expect(v.calls).toEqual([
      { size: 65536, sig: DOC.chunk1 },
      { size: 1024, sig: DOC.chunk2 },
      { size: 0, sig: DOC.final },
    ]);
  });

  it("fails on a tampered chunk and never emits its bytes", async () => {
    const wire = encode(docChunks, { chunkSignature: rollingSigner(DOC.seed).chunk });
    wire[66000] = "b".charCodeAt(0); // inside chunk 2's data
    const v = verifier(DOC.seed);
    const source = new PassThrough();
    const { stream, trailers } = decodeAwsChunked(source, { signed: true, verifyChunk: v.verifyChunk });
    source.write(wire.subarray(0, wire.length - 10)); // the client is still sending
    const r = await collect(stream);
    expectAwsError(r.error, "SignatureDoesNotMatch");
    expect(r.data.length).toBe(65536); // chunk 1 only: chunk 2 was held until verified
    await expect(trailers).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    // The request stays alive so the gateway can still write the 403 on its socket.
    expect(source.destroyed).toBe(false);
  });

  it("verifies from per-chunk SHA-256 without holding chunks (verifyChunkHash)", async () => {
    const signer = rollingSigner(DOC.seed);
    const wire = encode(docChunks, { chunkSignature: signer.chunk });
    // The verifier side re-derives each signature from the hash alone.
    let prev = DOC.seed;
    const hashes: string[] = [];
    const verifyChunkHash = (hex: string, sig: string) => {
      hashes.push(hex);
      const sts = ["AWS4-HMAC-SHA256-PAYLOAD", DOC.amzDate, DOC.scope, prev, EMPTY_SHA256, hex].join("\n");
      prev = hmac(signingKey, sts).toString("hex");
      if (prev !== sig) throw signatureMismatch();
    };
    const ok = await decodePieces(pieces3(wire), { signed: true, verifyChunkHash });
    expect(ok.error).toBeUndefined();
    expect(ok.data.equals(docPayload)).toBe(true);
    expect(hashes).toEqual([
      createHash("sha256").update(docChunks[0]!).digest("hex"),
      createHash("sha256").update(docChunks[1]!).digest("hex"),
      EMPTY_SHA256,
    ]);

    prev = DOC.seed;
    const tampered = Buffer.from(wire);
    tampered[100] ^= 1;
    const bad = await decodePieces([tampered], { signed: true, verifyChunkHash });
    expectAwsError(bad.error, "SignatureDoesNotMatch");
  });

  it("accepts asynchronous verifiers", async () => {
    const wire = encode(docChunks, { chunkSignature: rollingSigner(DOC.seed).chunk });
    const v = verifier(DOC.seed);
    const r = await decodePieces([wire.subarray(0, 1000), wire.subarray(1000)], {
      signed: true,
      verifyChunk: async (d, s) => {
        await new Promise((res) => setTimeout(res, 1));
        v.verifyChunk(d, s);
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.data.equals(docPayload)).toBe(true);
    expect(v.calls.length).toBe(3);
  });

  it("verifies a signed trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)", async () => {
    const signer = rollingSigner(DOC.seed);
    const crc32c = checksumBase64("CRC32C", docPayload);
    const wire = encode(docChunks, {
      chunkSignature: signer.chunk,
      trailers: [["x-amz-checksum-crc32c", crc32c]],
      trailerSignature: signer.trailer,
    });
    const v = verifier(DOC.seed);
    const r = await decodePieces([wire], {
      signed: true,
      signedTrailer: true,
      verifyChunk: v.verifyChunk,
      verifyTrailer: v.verifyTrailer,
      decodedLength: docPayload.length,
      declaredTrailers: ["x-amz-checksum-crc32c"],
    });
    expect(r.error).toBeUndefined();
    expect(r.trailers).toEqual({ "x-amz-checksum-crc32c": crc32c });
    expect(v.trailerCanonical()).toBe(`x-amz-checksum-crc32c:${crc32c}\n`);
    expect(v.trailerFields()).toEqual([["x-amz-checksum-crc32c", crc32c]]);
  });

  it("rejects a forged trailer signature", async () => {
    const signer = rollingSigner(DOC.seed);
    const wire = encode(docChunks, {
      chunkSignature: signer.chunk,
      trailers: [["x-amz-checksum-crc32", "AAAAAA=="]],
      trailerSignature: () => "0".repeat(64),
    });
    const v = verifier(DOC.seed);
    const r = await decodePieces([wire], { signed: true, signedTrailer: true, verifyChunk: v.verifyChunk, verifyTrailer: v.verifyTrailer });
    expectAwsError(r.error, "SignatureDoesNotMatch");
    expect(r.trailers).toBeUndefined();
  });

  it("passes SigV4a (ECDSA) signatures to the verifier verbatim", async () => {
    const sigs = [randomBytes(71).toString("hex"), randomBytes(72).toString("hex"), randomBytes(70).toString("hex")];
    let i = 0;
    const wire = encode([randomBytes(9000), randomBytes(10)], { chunkSignature: () => sigs[i++]! });
    const seen: string[] = [];
    const r = await decodePieces([wire], { signed: true, verifyChunk: (_d, s) => void seen.push(s) });
    expect(r.error).toBeUndefined();
    expect(seen).toEqual(sigs);
  });

  it("streams signed chunks without holding them when no verifier is given", async () => {
    const wire = encode(docChunks, { chunkSignature: rollingSigner(DOC.seed).chunk });
    const r = await decodePieces([wire], { signed: true });
    expect(r.data.equals(docPayload)).toBe(true);
  });
});

describe("aws-chunked: arbitrary delivery boundaries", () => {
  // Small chunks keep the every-split-point loops fast; the minimum chunk size is lowered to match.
  const payload = randomBytes(45);
  const chunks = [payload.subarray(0, 20), payload.subarray(20, 40), payload.subarray(40)];
  const crc = checksumBase64("CRC32", payload);

  const signedWire = (() => {
    const s = rollingSigner(DOC.seed);
    return encode(chunks, { chunkSignature: s.chunk, trailers: [["x-amz-checksum-crc32", crc]], trailerSignature: s.trailer });
  })();
  const signedOpts = { signed: true, signedTrailer: true, declaredTrailers: ["x-amz-checksum-crc32"] };
  const cases: Array<[string, Buffer, AwsChunkedOptions, "hold" | "hash" | undefined]> = [
    ["unsigned + trailer", encode(chunks, { trailers: [["x-amz-checksum-crc32", crc]] }), { declaredTrailers: ["x-amz-checksum-crc32"] }, undefined],
    ["signed (held until verified) + signed trailer", signedWire, signedOpts, "hold"],
    ["signed (hash-verified while streaming) + signed trailer", signedWire, signedOpts, "hash"],
  ];

  for (const [name, wire, base, mode] of cases) {
    const opts = (): AwsChunkedOptions => {
      const v = verifier(DOC.seed);
      const verify = mode === "hold" ? { verifyChunk: v.verifyChunk } : mode === "hash" ? { verifyChunkHash: v.verifyChunkHash } : {};
      return { ...base, minChunkSize: 16, decodedLength: 45, ...verify, ...(mode ? { verifyTrailer: v.verifyTrailer } : {}) };
    };

    it(`${name}: split in two at every position`, async () => {
      for (let k = 0; k <= wire.length; k++) {
        const r = await decodePieces([wire.subarray(0, k), wire.subarray(k)], opts());
        expect(r.error, `split at ${k}`).toBeUndefined();
        expect(r.data.equals(payload), `split at ${k}`).toBe(true);
        expect(r.trailers).toEqual({ "x-amz-checksum-crc32": crc });
      }
    });

    it(`${name}: one byte at a time`, async () => {
      const pieces = Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
      const r = await decodePieces(pieces, opts());
      expect(r.error).toBeUndefined();
      expect(r.data.equals(payload)).toBe(true);
      expect(r.trailers).toEqual({ "x-amz-checksum-crc32": crc });
    });
  }
});

describe("aws-chunked: malformed bodies get S3's errors", () => {
  const big = randomBytes(9000);
  const good = encode([big, Buffer.from("tail")]);

  async function fails(wire: Buffer | string, opts: AwsChunkedOptions, code: string): Promise<AwsError> {
    const r = await decodePieces([Buffer.from(wire)], opts);
    return expectAwsError(r.error, code);
  }

  it("a valid body decodes (control)", async () => {
    const r = await decodePieces([good], { decodedLength: 9004 });
    expect(r.error).toBeUndefined();
  });

  it("bad chunk size, missing CRLF, truncation, garbage after the end -> IncompleteBody", async () => {
    const msg = "The request body terminated unexpectedly";
    expect((await fails("zz\r\nhello\r\n0\r\n\r\n", {}, "IncompleteBody")).message).toBe(msg);
    await fails("5\r\nhelloXX0\r\n\r\n", {}, "IncompleteBody");
    await fails("5\nhello\r\n0\r\n\r\n", {}, "IncompleteBody");
    await fails(good.subarray(0, 5000), {}, "IncompleteBody");
    const withTrailer = encode([big], { trailers: [["x-amz-checksum-crc32", "AAAAAA=="]] });
    await fails(withTrailer.subarray(0, withTrailer.length - 2), {}, "IncompleteBody"); // no closing CRLF
    await fails(good.subarray(0, good.length - 3), {}, "IncompleteBody"); // "0\r" only
    await fails(Buffer.concat([good, Buffer.from("x")]), {}, "IncompleteBody");
    await fails("", {}, "IncompleteBody");
    await fails("1".repeat(5000), {}, "IncompleteBody"); // header line without end
  });

  it("signed mode needs exactly one chunk-signature extension", async () => {
    const sig = "a".repeat(64);
    await fails(`5\r\nhello\r\n0;chunk-signature=${sig}\r\n\r\n`, { signed: true }, "IncompleteBody");
    await fails(`5;chunk-signature=${sig};x=1\r\nhello\r\n0;chunk-signature=${sig}\r\n\r\n`, { signed: true }, "IncompleteBody");
    await fails(`5;chunk-signature=\r\nhello\r\n0;chunk-signature=${sig}\r\n\r\n`, { signed: true }, "IncompleteBody");
  });

  it("a small non-final chunk -> InvalidChunkSizeError numbered like S3 (Chunk 2, BadChunkSize 3)", async () => {
    const e = await fails("3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", {}, "InvalidChunkSizeError");
    expect(e.message).toBe("Only the last chunk is allowed to have a size less than 8192 bytes");
    expect(e.fields).toEqual({ Chunk: 2, BadChunkSize: 3 });
    const r = await decodePieces([Buffer.from("3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n")], { minChunkSize: 0 });
    expect(r.data.toString()).toBe("hello");
  });

  it("decoded length differs from x-amz-decoded-content-length -> IncompleteBody with byte counts", async () => {
    const short = await fails(good, { decodedLength: 9005 }, "IncompleteBody");
    expect(short.message).toBe("You did not provide the number of bytes specified by the Content-Length HTTP header");
    expect(short.fields).toEqual({ NumberBytesExpected: 9005, NumberBytesProvided: 9004 });
    const r = await decodePieces([good], { decodedLength: 3 });
    expectAwsError(r.error, "IncompleteBody");
    expect((r.error as AwsError).fields).toEqual({ NumberBytesExpected: 3, NumberBytesProvided: 9004 });
    expect(r.data.length).toBeLessThanOrEqual(3); // undeclared bytes are not passed on
  });

  it("trailer problems -> MalformedTrailerError", async () => {
    const withCrc = encode([big], { trailers: [["x-amz-checksum-crc32", "AAAAAA=="]] });
    const declared = { declaredTrailers: ["x-amz-checksum-crc32"] };
    // declared but missing
    const e = await fails(encode([big]), declared, "MalformedTrailerError");
    expect(e.message).toBe("The request contained trailing data that was not well-formed or did not conform to our published schema.");
    // present but undeclared
    await fails(withCrc, { declaredTrailers: [] }, "MalformedTrailerError");
    // a different checksum than declared
    await fails(withCrc, { declaredTrailers: ["x-amz-checksum-sha256"] }, "MalformedTrailerError");
    // malformed lines
    await fails("0\r\n:AAAA\r\n\r\n", {}, "MalformedTrailerError");
    await fails("0\r\nx-amz-checksum-crc32\r\n\r\n", {}, "MalformedTrailerError");
    await fails("0\r\nx-amz-checksum-crc32:\r\n\r\n", {}, "MalformedTrailerError");
    await fails("0\r\na:1\r\na:2\r\n\r\n", {}, "MalformedTrailerError");
    await fails(`0\r\nx:${"v".repeat(5000)}\r\n\r\n`, {}, "MalformedTrailerError");
    // signed trailer mode without the signature line
    await fails(`0;chunk-signature=${"a".repeat(64)}\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`, { signed: true, signedTrailer: true }, "MalformedTrailerError");
    // whitespace around the colon is accepted, names are case-insensitive
    const r = await decodePieces([Buffer.from("0\r\nX-Amz-Checksum-CRC32 : AAAAAA== \r\n\r\n")], declared);
    expect(r.error).toBeUndefined();
    expect(r.trailers).toEqual({ "x-amz-checksum-crc32": "AAAAAA==" });
  });

  it("a client reset destroys the decoder with the source's error", async () => {
    const source = new PassThrough();
    const { stream, trailers } = decodeAwsChunked(source, {});
    source.write(good.subarray(0, 100));
    setImmediate(() => source.destroy(new Error("ECONNRESET")));
    const r = await collect(stream);
    expect((r.error as Error).message).toBe("ECONNRESET");
    await expect(trailers).rejects.toThrow("ECONNRESET");
  });

  it("an unobserved trailers rejection does not become an unhandled rejection", async () => {
    const d = new AwsChunkedDecoder({});
    d.on("error", () => {});
    d.end(Buffer.from("zz\r\n"));
    await new Promise((r) => setTimeout(r, 10));
    expect(d.destroyed).toBe(true);
  });
});
