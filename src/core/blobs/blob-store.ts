// Blob store: object bytes live in files named by a random id under <data-dir>/blobs/<id[0..2]>/.
// Write-then-commit: write() streams to a temp file, fsyncs it, renames it into place and
// fsyncs the directory *before* the caller commits the returned id in its metadata
// transaction. A crash before the commit leaves an orphan file, never metadata pointing at
// missing bytes; orphans are removed by the sweep (sweep.ts) on the next start.
//
// Every fsync runs on libuv's thread pool (fs.promises / the write stream's flush), never on
// the event loop: a 1 GiB fsync must not stall every other request.
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync, createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable, type Transform } from "node:stream";

export interface WrittenBlob {
  id: string;
  size: number;
}

const ID = /^[0-9a-f]{32}$/;
const SUBDIR = /^[0-9a-f]{2}$/;

export class BlobStore {
  readonly dir: string;
  private readonly tmp: string;
  /** Subdirectories known to exist (mkdir once, not per write). */
  private readonly subdirs = new Set<string>();
  /** Deletions under way, so close() can wait for them (see drain). */
  private readonly deleting = new Set<Promise<void>>();
  /** While a sweep runs: ids written by this process, which the sweep must never take. */
  private fresh: Set<string> | undefined;

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
    this.fresh?.add(id);
    const tmpPath = join(this.tmp, id);
    let size = 0;
    // flush: the stream fsyncs the file (on the thread pool) before closing it.
    const out = createWriteStream(tmpPath, { flush: true });
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
      const sub = id.slice(0, 2);
      const subPath = join(this.dir, sub);
      if (!this.subdirs.has(sub)) {
        await mkdir(subPath, { recursive: true });
        this.subdirs.add(sub);
      }
      await rename(tmpPath, this.pathOf(id));
      // The rename is durable only once its directory is: fsync it before the caller commits.
      const d = await open(subPath, "r");
      try {
        await d.sync();
      } finally {
        await d.close();
      }
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
  delete(id: string): Promise<void> {
    const p = rm(this.pathOf(id), { force: true }).finally(() => this.deleting.delete(p));
    this.deleting.add(p);
    return p;
  }

  /** Waits for deletions under way (close() calls it before recording a clean shutdown). */
  async drain(): Promise<void> {
    while (this.deleting.size > 0) await Promise.allSettled([...this.deleting]);
  }

  /** Removes temp files left by a crash mid-write. */
  sweepTemp(): void {
    for (const f of readdirSync(this.tmp)) rmSync(join(this.tmp, f), { force: true });
  }

  /** From now until stopTracking(), remember the ids this process writes (they are never orphans). */
  startTracking(): void {
    this.fresh = new Set();
  }

  stopTracking(): void {
    this.fresh = undefined;
  }

  /** Whether this process wrote `id` since startTracking(). */
  isFresh(id: string): boolean {
    return this.fresh?.has(id) ?? false;
  }

  /** Every blob id on disk, one subdirectory at a time (async: a million files must not stall requests). */
  async *listIds(): AsyncGenerator<string[]> {
    const subs = (await readdir(this.dir)).filter((s) => SUBDIR.test(s)).sort();
    for (const s of subs) {
      const ids = (await readdir(join(this.dir, s))).filter((f) => ID.test(f));
      if (ids.length) yield ids;
    }
  }
}
