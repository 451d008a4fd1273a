// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) in JavaScript, for SigV4 signatures: the
// string to sign of every signed request and of every chunk of a signed stream.
//
// Why not node:crypto: a signature is a few SHA-256 blocks, and in a busy server each call
// into OpenSSL (an Hmac object or EVP context, the key copied, a Buffer made for the digest:
// node's Buffer::New takes V8's slow prototype path) cost several times the hashing (measured
// with perf on bench/iam.mjs's requests: ~13 µs per signature through crypto, a few here).
// The key is the derived SigV4 signing key, the same for every request of a day, so the SHA-256
// states after its inner and outer pad blocks are computed once per key: a signature is then
// the message's blocks plus one block for the outer hash.
//
// Verified against node:crypto in hmac-sha256.test.ts.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
const W = new Int32Array(64);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The SHA-256 compression function over `bytes` bytes (a multiple of 64) of `m`, into state `s`. */
function compress(s: Int32Array, m: Uint8Array, bytes: number): void {
  let h0 = s[0], h1 = s[1], h2 = s[2], h3 = s[3], h4 = s[4], h5 = s[5], h6 = s[6], h7 = s[7];
  const w = W;
  for (let off = 0; off < bytes; off += BLOCK) {
    for (let i = 0; i < 16; i++) {
      const j = off + (i << 2);
      w[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (((w[i - 16] + s0) | 0) + ((w[i - 7] + s1) | 0)) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (((((h + S1) | 0) + ch) | 0) + ((K[i] + w[i]) | 0)) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  s[0] = h0;
  s[1] = h1;
  s[2] = h2;
  s[3] = h3;
  s[4] = h4;
  s[5] = h5;
  s[6] = h6;
  s[7] = h7;
}

/** Message bytes and their padding are assembled here (hashing is synchronous); grown on demand. */
let scratch = Buffer.allocUnsafe(4096);

/**
 * Appends SHA-256 padding to the `len` bytes at the start of `scratch`, which follow
 * `prefixBytes` bytes already compressed into `s`, and compresses them.
 */
function finish(s: Int32Array, len: number, prefixBytes: number): void {
  let n = len;
  scratch[n++] = 0x80;
  while ((n & 63) !== 56) scratch[n++] = 0;
  const bits = (len + prefixBytes) * 8;
  scratch.writeUInt32BE(Math.floor(bits / 0x100000000), n);
  scratch.writeUInt32BE(bits >>> 0, n + 4);
  compress(s, scratch, n + 8);
}

/** A signing key ready for HMAC: the states after its inner and outer pad blocks. */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** Precomputes the pad states of an HMAC-SHA256 key (keys longer than a block are hashed first, as RFC 2104 says). */
export function hmacKey(key: Uint8Array): HmacKey {
  let k = key;
  if (k.length > BLOCK) {
    const s = IV.slice();
    ensure(k.length + 72);
    scratch.set(k, 0);
    finish(s, k.length, 0);
    k = stateBytes(s);
  }
  const pad = new Uint8Array(BLOCK);
  const inner = IV.slice();
  const outer = IV.slice();
  pad.fill(0x36);
  for (let i = 0; i < k.length; i++) pad[i] ^= k[i];
  compress(inner, pad, BLOCK);
  pad.fill(0x5c);
  for (let i = 0; i < k.length; i++) pad[i] ^= k[i];
  compress(outer, pad, BLOCK);
  return { inner, outer };
}

function ensure(bytes: number): void {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(bytes);
}

function stateBytes(s: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = s[i];
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 0xff;
    out[i * 4 + 2] = (v >>> 8) & 0xff;
    out[i * 4 + 3] = v & 0xff;
  }
  return out;
}

const state = new Int32Array(8);

/** Lower-case hex HMAC-SHA256 of a string (UTF-8) under a prepared key. */
export function hmacSha256Hex(key: HmacKey, message: string): string {
  // 1. Inner hash: H((K ^ ipad) || message), the pad block already compressed.
  ensure(message.length * 3 + 72);
  const len = scratch.write(message, 0, "utf8");
  state.set(key.inner);
  finish(state, len, BLOCK);
  // 2. Outer hash: H((K ^ opad) || inner digest), one block after the precomputed pad.
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    scratch[i * 4] = v >>> 24;
    scratch[i * 4 + 1] = (v >>> 16) & 0xff;
    scratch[i * 4 + 2] = (v >>> 8) & 0xff;
    scratch[i * 4 + 3] = v & 0xff;
  }
  state.set(key.outer);
  finish(state, 32, BLOCK);
  let out = "";
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    out += HEX[v >>> 24] + HEX[(v >>> 16) & 0xff] + HEX[(v >>> 8) & 0xff] + HEX[v & 0xff];
  }
  return out;
}
