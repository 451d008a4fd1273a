// A streaming bzip2 decoder (Node has none, and Nimbus takes no dependencies), for S3 Select's
// CompressionType BZIP2. Follows the format as bzip2 1.0 writes it (Seward's reference
// decoder, decompress.c), in numbered steps per block:
//   1. block header: CRC, randomised bit (unsupported, as in every bzip2 since 0.9.5), origPtr;
//   2. the symbol map (which bytes occur), as 16 x 16 bits;
//   3. Huffman groups: their count, the selectors (MTF-coded, unary), each table's code lengths
//      (delta-coded), and the canonical decode tables;
//   4. the symbols: RUNA/RUNB runs of the front byte, other symbols move-to-front indexes, up
//      to end-of-block; groups switch every 50 symbols;
//   5. the inverse Burrows-Wheeler transform from origPtr;
//   6. the initial run-length coding undone (four equal bytes, then a count), CRC checked.
// Input is buffered until a whole block must be present (a compressed block never exceeds its
// level's block size by more than a little), so a block decodes once, never retried; memory is
// one block's input, its 4-byte-per-symbol table and a 64 KiB output chunk.
import { Transform, type TransformCallback } from "node:stream";
import { AwsError } from "../../../core/errors.js";

const NEED_MORE = Symbol("need more input");
const BLOCK_MAGIC_HI = 0x314159;
const BLOCK_MAGIC_LO = 0x265359;
const END_MAGIC_HI = 0x177245;
const END_MAGIC_LO = 0x385090;
const MAX_CODE_LEN = 23;
const GROUP_SIZE = 50;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function corrupt(): AwsError {
  return new AwsError("InvalidCompressionFormat", "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.", 400);
}

class Bits {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  private v = 0;
  private n = 0;
  save(): [number, number, number] {
    return [this.pos, this.v, this.n];
  }
  restore(s: [number, number, number]): void {
    [this.pos, this.v, this.n] = s;
  }
  read(k: number): number {
    while (this.n < k) {
      if (this.pos >= this.buf.length) throw NEED_MORE;
      this.v = ((this.v << 8) | this.buf[this.pos++]) & 0x7fffffff;
      this.n += 8;
    }
    this.n -= k;
    return (this.v >>> this.n) & ((1 << k) - 1);
  }
  bit(): number {
    return this.read(1);
  }
  /** Drops the padding to the next byte boundary and gives back whole unread bytes. */
  align(): void {
    this.pos -= this.n >> 3;
    this.n = 0;
    this.v = 0;
  }
  /** Drops consumed bytes (keeps what the registers still need). */
  compact(): void {
    if (this.pos > 0) {
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
  }
  get available(): number {
    return this.buf.length - this.pos;
  }
}

export class Bunzip2 extends Transform {
  private readonly bits = new Bits();
  private state: "header" | "blocks" | "done" = "header";
  private level = 9;
  private combined = 0;
  private tt = new Uint32Array(0);
  private out = Buffer.allocUnsafe(65536);
  private outLen = 0;

  private pending: Buffer[] = [];
  private pendingLen = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    // Chunks wait in a list until a block's worth is there: one concatenation per block, not per chunk.
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    if (this.state !== "header" && this.state !== "done" && this.bits.available + this.pendingLen < this.level * 125_000 + 16_384) return cb();
    this.takePending();
    try {
      this.run(false);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private takePending(): void {
    this.bits.buf = Buffer.concat([this.bits.buf.subarray(this.bits.pos), ...this.pending]);
    this.bits.pos = 0;
    this.pending = [];
    this.pendingLen = 0;
  }

  override _flush(cb: TransformCallback): void {
    this.takePending();
    try {
      this.run(true);
      if (this.state === "blocks") throw corrupt();
      this.flushOut();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private run(final: boolean): void {
    for (;;) {
      if (this.state === "header" || this.state === "done") {
        if (this.bits.available < 4) {
          if (final && this.bits.available > 0 && this.state === "header") throw corrupt();
          return;
        }
        const b = this.bits.buf;
        const p = this.bits.pos;
        if (b[p] !== 0x42 || b[p + 1] !== 0x5a || b[p + 2] !== 0x68 || b[p + 3] < 0x31 || b[p + 3] > 0x39) throw corrupt();
        this.level = b[p + 3] - 0x30;
        this.bits.pos += 4;
        this.combined = 0;
        this.state = "blocks";
      }
      // A whole block must be buffered (unless the input has ended).
      if (!final && this.bits.available < this.level * 125_000 + 16_384) return;
      const saved = this.bits.save();
      try {
        const hi = this.bits.read(24);
        const lo = this.bits.read(24);
        if (hi === BLOCK_MAGIC_HI && lo === BLOCK_MAGIC_LO) {
          this.block();
        } else if (hi === END_MAGIC_HI && lo === END_MAGIC_LO) {
          const crc = ((this.bits.read(16) << 16) | this.bits.read(16)) >>> 0;
          if (crc !== this.combined >>> 0) throw corrupt();
          this.bits.align();
          this.state = "done"; // another stream may follow (pbzip2 writes several)
        } else throw corrupt();
        this.bits.compact();
      } catch (e) {
        if (e !== NEED_MORE) throw e;
        this.bits.restore(saved);
        if (final) throw corrupt();
        return;
      }
    }
  }

  private block(): void {
    const br = this.bits;
    // 1.
    const blockCrc = ((br.read(16) << 16) | br.read(16)) >>> 0;
    if (br.bit()) throw corrupt(); // randomised blocks
    const origPtr = br.read(24);
    // 2.
    const used16 = br.read(16);
    const seqToUnseq: number[] = [];
    for (let i = 0; i < 16; i++) {
      if (used16 & (0x8000 >> i)) {
        const u = br.read(16);
        for (let j = 0; j < 16; j++) if (u & (0x8000 >> j)) seqToUnseq.push(i * 16 + j);
      }
    }
    if (seqToUnseq.length === 0) throw corrupt();
    const alphaSize = seqToUnseq.length + 2;
    // 3.
    const nGroups = br.read(3);
    const nSelectors = br.read(15);
    if (nGroups < 2 || nGroups > 6 || nSelectors < 1) throw corrupt();
    const selectors = new Uint8Array(nSelectors);
    const mtfGroups = [0, 1, 2, 3, 4, 5].slice(0, nGroups);
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (br.bit()) {
        j++;
        if (j >= nGroups) throw corrupt();
      }
      const v = mtfGroups[j];
      for (; j > 0; j--) mtfGroups[j] = mtfGroups[j - 1];
      mtfGroups[0] = v;
      selectors[i] = v;
    }
    const tables: Array<{ limit: Int32Array; base: Int32Array; perm: Int32Array; minLen: number }> = [];
    for (let t = 0; t < nGroups; t++) {
      const len = new Uint8Array(alphaSize);
      let curr = br.read(5);
      for (let i = 0; i < alphaSize; i++) {
        for (;;) {
          if (curr < 1 || curr > 20) throw corrupt();
          if (!br.bit()) break;
          curr += br.bit() ? -1 : 1;
        }
        len[i] = curr;
      }
      let minLen = 32;
      let maxLen = 0;
      for (const l of len) {
        if (l > maxLen) maxLen = l;
        if (l < minLen) minLen = l;
      }
      const perm = new Int32Array(258);
      const base = new Int32Array(MAX_CODE_LEN + 2);
      const limit = new Int32Array(MAX_CODE_LEN + 2).fill(0x7fffffff);
      let pp = 0;
      for (let i = minLen; i <= maxLen; i++) for (let j = 0; j < alphaSize; j++) if (len[j] === i) perm[pp++] = j;
      for (let i = 0; i < alphaSize; i++) base[len[i] + 1]++;
      for (let i = 1; i < base.length; i++) base[i] += base[i - 1];
      let vec = 0;
      for (let i = minLen; i <= maxLen; i++) {
        vec += base[i + 1] - base[i];
        limit[i] = vec - 1;
        vec <<= 1;
      }
      for (let i = minLen + 1; i <= maxLen; i++) base[i] = ((limit[i - 1] + 1) << 1) - base[i];
      tables.push({ limit, base, perm, minLen });
    }
    // 4.
    const EOB = alphaSize - 1;
    const max = this.level * 100_000;
    if (this.tt.length < max) this.tt = new Uint32Array(max);
    const tt = this.tt;
    const counts = new Int32Array(256);
    const mtf = new Uint8Array(256);
    for (let i = 0; i < 256; i++) mtf[i] = i;
    let group = -1;
    let groupLeft = 0;
    let table = tables[0];
    const next = (): number => {
      if (groupLeft === 0) {
        group++;
        if (group >= nSelectors) throw corrupt();
        table = tables[selectors[group]];
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;
      let n = table.minLen;
      let code = br.read(n);
      while (code > table.limit[n]) {
        n++;
        if (n > 20) throw corrupt();
        code = (code << 1) | br.bit();
      }
      const idx = code - table.base[n];
      if (idx < 0 || idx >= 258) throw corrupt();
      return table.perm[idx];
    };
    let nblock = 0;
    let sym = next();
    while (sym !== EOB) {
      if (sym <= 1) {
        let run = 0;
        let weight = 1;
        do {
          run += sym === 0 ? weight : 2 * weight;
          weight <<= 1;
          if (weight > 2 * 1024 * 1024) throw corrupt();
          sym = next();
        } while (sym <= 1);
        const uc = seqToUnseq[mtf[0]];
        if (nblock + run > max) throw corrupt();
        counts[uc] += run;
        tt.fill(uc, nblock, nblock + run);
        nblock += run;
      } else {
        if (nblock >= max) throw corrupt();
        const nn = sym - 1;
        const v = mtf[nn];
        for (let k = nn; k > 0; k--) mtf[k] = mtf[k - 1];
        mtf[0] = v;
        const uc = seqToUnseq[v];
        counts[uc]++;
        tt[nblock++] = uc;
        sym = next();
      }
    }
    if (origPtr >= nblock) throw corrupt();
    // 5.
    const cftab = new Int32Array(256);
    for (let i = 1; i < 256; i++) cftab[i] = cftab[i - 1] + counts[i - 1];
    for (let i = 0; i < nblock; i++) {
      const uc = tt[i] & 0xff;
      tt[cftab[uc]++] |= i << 8;
    }
    // 6.
    let crc = 0xffffffff;
    let tPos = tt[origPtr] >>> 8;
    let last = -1;
    let same = 0;
    for (let i = 0; i < nblock; i++) {
      tPos = tt[tPos];
      const b = tPos & 0xff;
      tPos >>>= 8;
      if (same === 4) {
        for (let k = 0; k < b; k++) {
          crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff]) >>> 0;
          this.put(last);
        }
        same = 0;
        last = -1;
        continue;
      }
      if (b === last) same++;
      else {
        last = b;
        same = 1;
      }
      crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
      this.put(b);
    }
    crc = ~crc >>> 0;
    if (crc !== blockCrc) throw corrupt();
    this.combined = (((this.combined << 1) | (this.combined >>> 31)) ^ crc) >>> 0;
    this.flushOut();
  }

  private put(b: number): void {
    this.out[this.outLen++] = b;
    if (this.outLen === this.out.length) {
      this.push(this.out);
      this.out = Buffer.allocUnsafe(65536);
      this.outLen = 0;
    }
  }

  private flushOut(): void {
    if (this.outLen > 0) {
      this.push(this.out.subarray(0, this.outLen));
      this.out = Buffer.allocUnsafe(65536);
      this.outLen = 0;
    }
  }
}
