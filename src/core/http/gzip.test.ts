import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { AwsError } from "../errors.js";
import { gunzipBody, parseContentEncoding } from "./gzip.js";

async function collect(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of stream) parts.push(c as Buffer);
    return { data: Buffer.concat(parts) };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

function pieces(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

describe("parseContentEncoding", () => {
  it("treats aws-chunked as outer framing wherever it appears and keeps the rest for storage", () => {
    expect(parseContentEncoding(undefined)).toEqual({ awsChunked: false, codings: [], gzip: false, stored: undefined });
    expect(parseContentEncoding("gzip")).toEqual({ awsChunked: false, codings: ["gzip"], gzip: true, stored: "gzip" });
    expect(parseContentEncoding("aws-chunked")).toEqual({ awsChunked: true, codings: [], gzip: false, stored: undefined });
    expect(parseContentEncoding("aws-chunked,gzip")).toEqual({ awsChunked: true, codings: ["gzip"], gzip: true, stored: "gzip" });
    expect(parseContentEncoding("GZIP , aws-chunked")).toEqual({ awsChunked: true, codings: ["gzip"], gzip: true, stored: "GZIP" });
    expect(parseContentEncoding("x-gzip").gzip).toBe(true);
    expect(parseContentEncoding("identity")).toEqual({ awsChunked: false, codings: [], gzip: false, stored: "identity" });
    expect(parseContentEncoding("gzip, br")).toEqual({ awsChunked: false, codings: ["gzip", "br"], gzip: false, stored: "gzip,br" });
    expect(parseContentEncoding("br").gzip).toBe(false);
  });
});

describe("gunzipBody", () => {
  it("inflates a body delivered in small pieces", async () => {
    const json = Buffer.from(JSON.stringify({ MetricData: Array.from({ length: 2000 }, (_, i) => ({ MetricName: `m${i}`, Value: i })) }));
    const gz = gzipSync(json);
    const r = await collect(gunzipBody(Readable.from(pieces(gz, 7))));
    expect(r.error).toBeUndefined();
    expect(r.data.equals(json)).toBe(true);
  });

  it("stops a gzip bomb at the limit with 413 RequestEntityTooLarge, without inflating it all", async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024)); // ~200 KB on the wire
    const before = process.memoryUsage().rss;
    const r = await collect(gunzipBody(Readable.from([bomb]), { maxBytes: 1024 * 1024 }));
    const e = r.error as AwsError;
    expect(e).toBeInstanceOf(AwsError);
    expect(e.code).toBe("RequestEntityTooLarge");
    expect(e.status).toBe(413);
    expect(e.message).toMatch(/^Request size \d+ exceeded 1048576 bytes$/);
    expect(r.data.length).toBeLessThanOrEqual(1024 * 1024);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("answers corrupt or truncated gzip with a 400, not a crash", async () => {
    const gz = gzipSync(randomBytes(10000));
    for (const bad of [Buffer.from("not gzip at all"), gz.subarray(0, gz.length - 20), Buffer.concat([gz.subarray(0, 100), Buffer.alloc(100, 7)])]) {
      const r = await collect(gunzipBody(Readable.from([bad])));
      expect(r.error).toBeInstanceOf(AwsError);
      expect((r.error as AwsError).code).toBe("InvalidRequest");
      expect((r.error as AwsError).status).toBe(400);
    }
  });

  it("leaves the request alive when decoding fails, so the error can still be answered", async () => {
    const source = new PassThrough();
    const out = gunzipBody(source, { maxBytes: 10 });
    source.write(gzipSync(Buffer.alloc(1000, 1)));
    const r = await collect(out);
    expect((r.error as AwsError).code).toBe("RequestEntityTooLarge");
    expect(source.destroyed).toBe(false);
  });
});
