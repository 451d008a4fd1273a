import { describe, expect, it } from "vitest";
import { formatTimestamp } from "./timestamps.js";

// http-date is kept for the last second written: every answer must still be the date's own.
describe("formatTimestamp http-date", () => {
  it("answers each date's own second, before and after a repeat", () => {
    const cases = [1767225600000, 1767225600999, 1767225601000, 1767225600500, -1500, -1000, 0, 253402300799000];
    for (const ms of [...cases, ...cases.reverse()]) expect(formatTimestamp(new Date(ms), "http-date")).toBe(new Date(ms).toUTCString());
  });

  it("never answers an invalid date with the last valid one", () => {
    formatTimestamp(new Date(0), "http-date");
    expect(formatTimestamp(new Date(NaN), "http-date")).toBe("Invalid Date");
    expect(formatTimestamp(new Date(NaN), "http-date")).toBe("Invalid Date");
    expect(formatTimestamp(new Date(0), "http-date")).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
  });
});
