// A small zip reader for deployment packages: the central directory names every entry, each
// entry is stored (method 0) or deflated (method 8, node:zlib inflateRawSync). Enough for what
// `zip`, python's zipfile and the SDK tooling produce; no zip64, no encryption.
import { inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix mode bits from the external attributes, when the archive was made on unix. */
  mode?: number;
}

export class ZipError extends Error {}

/** Reads every file entry (directories are skipped); throws ZipError on anything malformed. */
export function readZip(buf: Buffer, maxUnzipped: number): ZipEntry[] {
  // 1. Find the end-of-central-directory record (signature 0x06054b50) from the back.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("not a zip archive (no end of central directory)");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  let total = 0;
  // 2. Walk the central directory; each record points at its local header.
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipError("corrupt central directory");
    const madeBy = buf.readUInt16LE(p + 4) >> 8;
    const method = buf.readUInt16LE(p + 10);
    const compSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const attrs = buf.readUInt32LE(p + 38);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/")) continue;
    // 3. Entries must stay inside the task root.
    if (name.startsWith("/") || name.split(/[\\/]/).includes("..")) throw new ZipError(`unsafe entry name ${name}`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw new ZipError("corrupt local header");
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compSize);
    total += size;
    if (total > maxUnzipped) throw new ZipError("unzipped size exceeds the limit");
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
    else throw new ZipError(`unsupported compression method ${method}`);
    if (data.length !== size) throw new ZipError(`size mismatch for ${name}`);
    out.push({ name, data, ...(madeBy === 3 && attrs >>> 16 ? { mode: (attrs >>> 16) & 0o777 } : {}) });
  }
  return out;
}
