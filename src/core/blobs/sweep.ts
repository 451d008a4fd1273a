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
//   4. On a separate read-only connection (one WAL snapshot, so writers go on), add the blobs
//      kept in the database (nimbus_blobs) to the candidates, enumerate every service's
//      references, yielding to the event loop every few thousand rows, and strike them. A reference dropped after the snapshot only makes a
//      blob that its own handler unlinks anyway; an unreferenced old blob cannot become
//      referenced, since only its (lost) writer ever knew the id.
//   5. Unlink what is left.
import Database from "better-sqlite3";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Db } from "../state/database.js";
import { BlobStore } from "./blob-store.js";

export interface BlobReferences {
  service: string;
  /** Every blob id the service's committed state references, read from `db`. */
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
const ROWS_PER_TURN = 5000;

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

/** Steps 3-5. The caller did steps 1-2 (blobs.startTracking()) before serving. */
export async function sweepOrphanBlobs(blobs: BlobStore, dataDir: string, sources: readonly BlobReferences[], shouldStop: () => boolean): Promise<SweepResult> {
  const result: SweepResult = { skipped: false, scanned: 0, removed: 0, stopped: false };
  // 3.
  const candidates = new Set<string>();
  for await (const ids of blobs.listFileIds()) {
    if (shouldStop()) return { ...result, stopped: true };
    for (const id of ids) if (!blobs.isFresh(id)) candidates.add(id);
  }
  // 4.
  const db = new Database(join(dataDir, "nimbus.db"), { readonly: true, fileMustExist: true });
  try {
    db.exec("BEGIN");
    let n = 0;
    // Blobs kept in the database are candidates too, read from the same snapshot as the references.
    for (const id of BlobStore.inlineIds(db)) {
      if (!blobs.isFresh(id)) candidates.add(id);
      if (++n % ROWS_PER_TURN === 0) {
        await yieldToLoop();
        if (shouldStop()) return { ...result, stopped: true };
      }
    }
    result.scanned = candidates.size;
    for (const source of sources) {
      for (const id of source.refs(db)) {
        candidates.delete(id);
        if (++n % ROWS_PER_TURN === 0) {
          await yieldToLoop();
          if (shouldStop()) return { ...result, stopped: true };
        }
      }
    }
    db.exec("COMMIT");
  } finally {
    db.close();
  }
  // 5.
  for (const id of candidates) {
    if (shouldStop()) return { ...result, stopped: true };
    await blobs.delete(id);
    result.removed++;
  }
  return result;
}
