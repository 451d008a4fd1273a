// The bytes of an encrypted object: AES-256-CTR over the whole stream, so a range read decrypts
// from the 16-byte block holding its first byte (the counter is the IV plus the block number)
// and nothing before it is read. The cipher runs as a blob-store observer on the way in (the
// hashers before it see the plaintext, the store gets the ciphertext) and as a Transform on the
// way out.
import { createCipheriv, createHash, createHmac, hash, randomBytes, type Cipher as NodeCipher } from "node:crypto";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import type { DocStore } from "../../../core/state/doc-store.js";
import { randomPooled } from "../../../core/blobs/random.js";
import { perDatabase, type Db } from "../../../core/state/database.js";
import { hmacPads, type HmacPads } from "../../../core/auth/hmac-pads.js";

/** A key and the IV of byte 0 of the stream. */
export interface ObjectCipher {
  key: Buffer;
  iv: Buffer;
}

const BLOCK = 16;

/** The counter block for byte offset `offset`: the IV as a 128-bit big-endian number plus offset / 16. */
function counterAt(iv: Buffer, offset: number): Buffer {
  if (offset < BLOCK) return iv;
  const out = Buffer.from(iv);
  let carry = BigInt(Math.floor(offset / BLOCK));
  for (let i = BLOCK - 1; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(out[i]) + (carry & 0xffn);
    out[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return out;
}

/** Encrypts (or decrypts: CTR is symmetric) a stream, starting at byte `offset` of the object; drops the first `skip` output bytes. */
export class CtrTransform extends Transform {
  private readonly cipher: NodeCipher;
  private skip: number;
  constructor(c: ObjectCipher, offset = 0, skip = 0) {
    super();
    this.cipher = createCipheriv("aes-256-ctr", c.key, counterAt(c.iv, offset));
    this.skip = skip;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let out = this.cipher.update(chunk);
    if (this.skip > 0) {
      const n = Math.min(this.skip, out.length);
      out = out.subarray(n);
      this.skip -= n;
    }
    cb(null, out);
  }
}

/**
 * CtrTransform for BlobStore.write's observers (a ChunkObserver, not a stream): the cipher is
 * all a write needs, and a Transform's stream state cost more than enciphering 4 KiB.
 */
export class CtrObserver {
  private readonly cipher: NodeCipher;
  constructor(c: ObjectCipher) {
    this.cipher = createCipheriv("aes-256-ctr", c.key, c.iv);
  }
  process(chunk: Buffer): Buffer {
    return this.cipher.update(chunk);
  }
}

/** The aligned blob range to read for a plaintext range, and how many leading bytes to drop. */
export function alignedRange(range: { start: number; end: number } | undefined): { range?: { start: number; end: number }; offset: number; skip: number } {
  if (!range) return { offset: 0, skip: 0 };
  const offset = range.start - (range.start % BLOCK);
  return { range: { start: offset, end: range.end }, offset, skip: range.start - offset };
}

/**
 * The plaintext of ciphertext `bytes` that start at plaintext offset `offset`, without the first
 * `skip` bytes: a small blob already in memory is deciphered in one call, not through a stream.
 */
export function decryptBytes(bytes: Buffer, c: ObjectCipher, offset: number, skip: number): Buffer {
  // CTR is a stream cipher: update() returns every byte and final() none.
  const out = createCipheriv("aes-256-ctr", c.key, counterAt(c.iv, offset)).update(bytes);
  return skip > 0 ? out.subarray(skip) : out;
}

/** Decrypting view of a raw blob stream (already open), from plaintext offset `offset`, dropping `skip`. */
export function decrypting(raw: Readable, c: ObjectCipher, offset: number, skip: number): Readable {
  const t = new CtrTransform(c, offset, skip);
  raw.on("error", (e) => t.destroy(e));
  return raw.pipe(t);
}

/** A part of a multipart upload is encrypted under its own IV (never the object's: CTR must not reuse a counter). */
export function partCipher(c: ObjectCipher, partNumber: number): ObjectCipher {
  return { key: c.key, iv: createHash("sha256").update(c.iv).update(String(partNumber)).digest().subarray(0, BLOCK) };
}

export function newIv(): Buffer {
  return randomPooled(BLOCK);
}

// ---- SSE-S3 keys ----
// One 256-bit master key per Nimbus data directory (a document of the S3 service), and one data
// key per object derived from it and the object's random IV (HMAC-SHA256), so a row stores only
// its IV. AWS wraps a per-object data key under a regularly rotated root key (envelope
// encryption, AES-GCM); see GAPS.md.
// Data keys are cached by IV (base64, as rows store it): deriving one (HMAC) and decoding the IV
// cost more than deciphering a 4 KiB object (bench/s3.mjs).
const masterKeys = perDatabase((db: Db) => ({ key: undefined as Buffer | undefined, db, ciphers: new Map<string, ObjectCipher>() }));
/** Data keys kept per database; the oldest go first beyond it. */
const CIPHERS_MAX = 4096;

export function masterKey(store: DocStore): Buffer {
  const m = masterKeys(store.db);
  if (m.key) return m.key;
  const global = store.withScope("global");
  let doc = global.get<{ key: string }>("sse-master", "v1");
  if (!doc) {
    doc = { key: randomBytes(32).toString("base64") };
    global.put("sse-master", "v1", doc);
  }
  m.key = Buffer.from(doc.key, "base64");
  return m.key;
}

/** After a reset dropped the key's document: the next write makes (and stores) a new one. */
export function forgetMasterKey(db: Db): void {
  const m = masterKeys(db);
  m.key = undefined;
  m.ciphers.clear();
}

/** HMAC-SHA256's padded keys for the master key (RFC 2104), made once per key. */
const pads = new WeakMap<Buffer, HmacPads>();

/**
 * HMAC-SHA256(master key, iv), computed as RFC 2104 defines it with two one-shot hashes over the
 * key's precomputed pads: the same bytes as createHmac, without building an Hmac and a KeyObject
 * per object (a tenth of a small PutObject's S3 work).
 */
function dataKey(master: Buffer, iv: Buffer): Buffer {
  let p = pads.get(master);
  if (!p) {
    p = hmacPads(master, BLOCK);
    pads.set(master, p);
  }
  if (iv.length !== BLOCK) return createHmac("sha256", master).update(iv).digest(); // IVs are 16 bytes; any other length the slow way
  iv.copy(p.inner, 64);
  hash("sha256", p.inner, "buffer").copy(p.outer, 64);
  return hash("sha256", p.outer, "buffer");
}

export function s3ManagedCipher(store: DocStore, iv: Buffer): ObjectCipher {
  return { key: dataKey(masterKey(store), iv), iv };
}

/** s3ManagedCipher for the base64 IV a row stores, cached. Callers must not mutate the buffers. */
export function s3ManagedCipherOf(store: DocStore, ivBase64: string): ObjectCipher {
  const m = masterKeys(store.db);
  let c = m.ciphers.get(ivBase64);
  if (!c) {
    c = s3ManagedCipher(store, Buffer.from(ivBase64, "base64"));
    if (m.ciphers.size >= CIPHERS_MAX) m.ciphers.delete(m.ciphers.keys().next().value!);
    m.ciphers.set(ivBase64, c);
  }
  return c;
}
