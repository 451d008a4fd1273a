import { afterEach, describe, expect, it, vi } from "vitest";
import { invocationLogEvents } from "./function-logs.js";

describe("invocationLogEvents", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps the function's lines in order when the wall clock ticks while they are read", () => {
    // Two lines printed in the same millisecond; every Date.now() from here on is a ms later.
    let now = Date.parse("2026-11-23T07:09:13.190Z");
    vi.spyOn(Date, "now").mockImplementation(() => now++);
    const logs = "2026-11-23T07:09:13.185Z\tid\tINFO\thello first\n2026-11-23T07:09:13.185Z\tid\tERROR\tmulti\rline\n2026-11-23T07:09:13.186Z\tid\tINFO\tlast\n";
    const end = Date.parse("2026-11-23T08:00:00.000Z"); // the Nimbus clock, moved ahead
    const events = invocationLogEvents({ MemorySize: 128 }, "$LATEST", "id", { payload: Buffer.alloc(0), logs, durationMs: 12 }, end);
    expect(events.map((e) => (/^\d/.test(e.message) ? e.message.split("\t")[2] : e.message.split(" ")[0]))).toEqual(["START", "INFO", "ERROR", "INFO", "END", "REPORT"]);
    const [, a, b, c] = events.map((e) => e.timestamp);
    // One offset for all lines: the same millisecond stays the same, the next one is one later.
    expect(b).toBe(a);
    expect(c).toBe(a + 1);
    expect(a).toBe(end - (Date.parse("2026-11-23T07:09:13.190Z") - Date.parse("2026-11-23T07:09:13.185Z")));
    expect(events[2].message).toBe("2026-11-23T07:09:13.185Z\tid\tERROR\tmulti\nline\n");
  });
});
