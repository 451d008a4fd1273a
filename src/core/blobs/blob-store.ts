// Blob store: object bytes live in files named by a random id under <data-dir>/blobs.
// Write-then-commit: write() streams to a temp file, fsyncs it and renames it into place
// *before* the caller commits the returned id in its metadata transaction. A crash before the
// commit leaves an orphan file (swept at start), never metadata pointing at missing bytes.
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, statSync, openSync, fsyncSync, closeSync, renameSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable, type Transform } from "node:stream";

export interface WrittenBlob {
  id: string;
  size: number;
}

export class BlobStore {
  readonly dir: string;
  private readonly tmp: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "blobs");
    this.tmp = join(this.dir, "tmp");
    mkdirSync(this.tmp, { recursive: true });
  }

  private pathOf(id: string): string {
    return join(this.dir, id.slice(0, 2), id);
  }

  /** Streams `source` (through optional transforms, e.g. hashers) into a durable file. */
  async write(source: Readable | Buffer, transforms: Transform[] = []): Promise<WrittenBlob> {
    const id = randomBytes(16).toString("hex");
    const tmpPath = join(this.tmp, id);
    let size = 0;
    const out = createWriteStream(tmpPath);
    const counter = async function* (src: AsyncIterable<Buffer>) {
      for await (const chunk of src) {
        size += chunk.length;
        yield chunk;
      }
    };
    try {
      const src = Buffer.isBuffer(source) ? Readable.from([source]) : source;
      const stages: NodeJS.ReadWriteStream[] = transforms;
      await (pipeline as (...s: unknown[]) => Promise<void>)(src, ...stages, counter, out);
      const fd = openSync(tmpPath, "r+");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const final = this.pathOf(id);
      mkdirSync(join(this.dir, id.slice(0, 2)), { recursive: true });
      renameSync(tmpPath, final);
      return { id, size };
    } catch (e) {
      rmSync(tmpPath, { force: true });
      throw e;
    }
  }

  read(id: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(id), range ? { start: range.start, end: range.end } : undefined);
  }

  size(id: string): number {
    return statSync(this.pathOf(id)).size;
  }

  /** Delete after the metadata that referenced the blob has been committed away. */
  async delete(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  /** Removes temp files left by a crash mid-write. */
  sweepTemp(): void {
    for (const f of readdirSync(this.tmp)) rmSync(join(this.tmp, f), { force: true });
  }
}
