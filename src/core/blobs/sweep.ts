// The orphan sweep: removes blob files that no service references. They exist only after a
// crash: bytes written but never committed (killed between write() and the commit), or
// replaced / deleted in a commit whose unlink never ran. The blob store is shared, so the sweep
// asks every service for its references (ServiceDefinition.blobRefs); a service that keeps
// blobs MUST declare them, or the sweep takes its files.
//
// Algorithm (runs in the background after start, never delaying the ready line):
//   1. Skip when the previous run shut down cleanly (nimbus_meta "blobs.clean" = "1", written
//      by close() after its deletions drained): only a crash leaves orphans. Otherwise mark
//      the directory unclean before serving, so a crash during this run is seen next time.
//   2. Before the first request, the blob store starts remembering the ids this process
//      writes: they may be in flight (written, not yet committed) and are never candidates.
//   3. List the blob files, a subdirectory at a time (async readdir): candidates.
//   4. Add the blobs kept in the database (nimbus_small_blobs, nimbus_blobs) to the candidates,
//      a page of rows at a time by key, yielding to the event loop between pages (requests go
//      on). Then, for each service, read all its references in one synchronous pass (no yield
//      inside it), yielding between services, and strike them.
//   5. Unlink what is left.
// Why this is safe without a snapshot: nimbus.db has one connection (locking_mode=EXCLUSIVE,
// core/state/database.ts), so a read cannot run beside writes, and a statement being iterated
// keeps every other statement of the connection out: the sweep cannot yield in the middle of
// one. A candidate is an old blob (on disk or in a row when its page was read, not written by
// this process). If it is referenced when its service's pass runs, that pass sees it: the pass
// is one synchronous read, so a reference moving between the service's tables (S3: a current
// object becoming an older version) cannot slip past it. If it is not, nothing can reference it
// later: only its (lost) writer ever knew the id, and a service's references never move to
// another service. A reference dropped after its pass only leaves a blob its own handler
// deletes anyway (deleting a missing blob is a no-op).
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Db } from "../state/database.js";
import { BlobStore } from "./blob-store.js";

export interface BlobReferences {
  service: string;
  /** Every blob id the service's committed state references, read from `db` in one synchronous pass. */
  refs(db: Db): Iterable<string>;
}

export interface SweepResult {
  /** True when the previous shutdown was clean and nothing had to be looked at. */
  skipped: boolean;
  /** Blob files looked at (not written by this process). */
  scanned: number;
  removed: number;
  /** True when close() stopped the sweep before it finished (it runs again next start). */
  stopped: boolean;
}

const CLEAN_KEY = "blobs.clean";
/** Rows of the blob tables read per page (step 4), between two turns of the event loop. */
const ROWS_PER_PAGE = 5000;

/** Step 1: was the last shutdown clean? Marks this run unclean either way (a commit, before serving). */
export function takeCleanMark(db: Db): boolean {
  const row = db.prepare("SELECT value FROM nimbus_meta WHERE key = ?").get(CLEAN_KEY) as { value: string } | undefined;
  db.prepare("INSERT INTO nimbus_meta (key, value) VALUES (?, '0') ON CONFLICT(key) DO UPDATE SET value = '0'").run(CLEAN_KEY);
  return row?.value === "1";
}

/** Recorded by close() once nothing is in flight: the next start may skip the sweep. */
export function setCleanMark(db: Db): void {
  db.prepare("INSERT INTO nimbus_meta (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = '1'").run(CLEAN_KEY);
}

/** Steps 3-5 on `db`, the blob store's database. The caller did steps 1-2 (blobs.startTracking()) before serving. */
export async function sweepOrphanBlobs(blobs: BlobStore, db: Db, sources: readonly BlobReferences[], shouldStop: () => boolean): Promise<SweepResult> {
  const result: SweepResult = { skipped: false, scanned: 0, removed: 0, stopped: false };
  // 3.
  const candidates = new Set<string>();
  for await (const ids of blobs.listFileIds()) {
    if (shouldStop()) return { ...result, stopped: true };
    for (const id of ids) if (!blobs.isFresh(id)) candidates.add(id);
  }
  // 4.
  const small = db.prepare("SELECT n FROM nimbus_small_blobs WHERE n > ? ORDER BY n LIMIT ?").pluck();
  for (let after = 0; ; ) {
    const page = small.all(after, ROWS_PER_PAGE) as number[];
    for (const n of page) {
      const id = `i${n}`;
      if (!blobs.isFresh(id)) candidates.add(id);
    }
    if (page.length < ROWS_PER_PAGE) break;
    after = page[page.length - 1];
    await yieldToLoop();
    if (shouldStop()) return { ...result, stopped: true };
  }
  // Rows of data directories from before nimbus_small_blobs (this process never writes there).
  const old = db.prepare("SELECT id FROM nimbus_blobs WHERE id > ? ORDER BY id LIMIT ?").pluck();
  for (let after = ""; ; ) {
    const page = old.all(after, ROWS_PER_PAGE) as string[];
    for (const id of page) candidates.add(id);
    if (page.length < ROWS_PER_PAGE) break;
    after = page[page.length - 1];
    await yieldToLoop();
    if (shouldStop()) return { ...result, stopped: true };
  }
  result.scanned = candidates.size;
  for (const source of sources) {
    await yieldToLoop();
    if (shouldStop()) return { ...result, stopped: true };
    if (candidates.size === 0) break;
    for (const id of source.refs(db)) candidates.delete(id);
  }
  // 5.
  for (const id of candidates) {
    if (shouldStop()) return { ...result, stopped: true };
    await blobs.delete(id);
    result.removed++;
  }
  return result;
}
