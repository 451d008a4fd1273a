// HMAC-SHA256 as RFC 2104 defines it, SHA-256(K^opad || SHA-256(K^ipad || m)), for callers that
// make many HMACs with one key: the padded key blocks are made once, and each HMAC is then two
// one-shot native hashes over buffers, without an Hmac object and a KeyObject per message
// (SigV4 signatures in sigv4.ts, SSE-S3 data keys in services/s3/encryption/cipher.ts).
const BLOCK = 64;

export interface HmacPads {
  /** K^ipad (64 bytes), then `innerRoom` bytes for the message. */
  inner: Buffer;
  /** K^opad (64 bytes), then 32 bytes for the inner digest. */
  outer: Buffer;
}

/** The pads of `key` (at most 64 bytes: longer keys are hashed first by RFC 2104, which no caller needs). */
export function hmacPads(key: Buffer, innerRoom: number): HmacPads {
  if (key.length > BLOCK) throw new Error("hmacPads: keys longer than the SHA-256 block are not supported");
  // One allocation for both pads.
  const slab = Buffer.allocUnsafeSlow(BLOCK + innerRoom + BLOCK + 32);
  const inner = slab.subarray(0, BLOCK + innerRoom);
  const outer = slab.subarray(BLOCK + innerRoom);
  inner.fill(0x36, 0, BLOCK);
  outer.fill(0x5c, 0, BLOCK);
  for (let i = 0; i < key.length; i++) {
    inner[i] ^= key[i];
    outer[i] ^= key[i];
  }
  return { inner, outer };
}
