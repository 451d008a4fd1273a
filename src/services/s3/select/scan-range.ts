// ScanRange (uncompressed CSV and JSON Lines): the records that START within [start, end] are
// processed, the last one read to its end even past `end`. The stream begins one byte before
// `start` (readFrom), so a range starting right after a record delimiter keeps its first record
// and any other range skips the partial record it begins inside.
export async function* scanRangeFilter(
  bytes: AsyncIterable<Buffer>,
  r: { start: number; end: number; readFrom: number; delimiter: string },
): AsyncGenerator<Buffer> {
  const delim = Buffer.from(r.delimiter.length === 2 ? r.delimiter.slice(-1) : r.delimiter);
  let pos = r.readFrom; // absolute offset of the next byte
  // 1. Skip to the first record starting at or after `start`.
  let skipping = r.start > 0;
  for await (let chunk of bytes) {
    if (skipping) {
      // The byte at start-1 is this chunk's first byte when nothing was skipped yet.
      const from = Math.max(0, r.start - 1 - pos);
      const j = chunk.indexOf(delim, from);
      if (j < 0) {
        pos += chunk.length;
        continue;
      }
      skipping = false;
      pos += j + delim.length;
      chunk = chunk.subarray(j + delim.length);
    }
    // 2. Pass records through until one starts after `end`.
    if (pos + chunk.length - 1 > r.end) {
      // Find the end of the record that contains (or starts at) offset `end`.
      const rel = Math.max(0, r.end - pos);
      const k = chunk.indexOf(delim, rel);
      if (k >= 0) {
        yield chunk.subarray(0, k + delim.length);
        return;
      }
    }
    pos += chunk.length;
    yield chunk;
  }
}
