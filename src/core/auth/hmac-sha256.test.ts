import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmacKey, hmacSha256Hex } from "./hmac-sha256.js";

const nodeHmac = (key: Uint8Array, msg: string) => createHmac("sha256", key).update(msg, "utf8").digest("hex");

describe("hmacSha256Hex (JavaScript HMAC-SHA256 for SigV4)", () => {
  it("matches RFC 4231 test case 2", () => {
    expect(hmacSha256Hex(hmacKey(Buffer.from("Jefe")), "what do ya want for nothing?")).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  it("matches RFC 4231 test case 6 (a key longer than the block is hashed first)", () => {
    const key = Buffer.alloc(131, 0xaa);
    expect(hmacSha256Hex(hmacKey(key), "Test Using Larger Than Block-Size Key - Hash Key First")).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
  });

  it("matches node:crypto for every message length across several blocks, and UTF-8 text", () => {
    for (let len = 0; len < 300; len++) {
      const key = randomBytes(32);
      const msg = randomBytes(len).toString("latin1");
      expect(hmacSha256Hex(hmacKey(key), msg)).toBe(nodeHmac(key, msg));
    }
    const key = randomBytes(32);
    for (const msg of ["AWS4-HMAC-SHA256\n20261122T120000Z\n20261122/eu-west-1/s3/aws4_request\n" + "ab".repeat(32), "é€😀".repeat(50), "x".repeat(10_000)]) {
      expect(hmacSha256Hex(hmacKey(key), msg)).toBe(nodeHmac(key, msg));
    }
  });

  it("gives the same answer when a prepared key is reused (its states are not modified)", () => {
    const raw = randomBytes(32);
    const key = hmacKey(raw);
    const first = hmacSha256Hex(key, "one");
    hmacSha256Hex(key, "two".repeat(100));
    expect(hmacSha256Hex(key, "one")).toBe(first);
    expect(first).toBe(nodeHmac(raw, "one"));
  });
});
