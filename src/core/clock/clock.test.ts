import { describe, expect, it } from "vitest";
import { requestId, uuid } from "./clock.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("requestId", () => {
  it("answers uuid v4-shaped ids, all distinct across a change of its random prefix (every 65,536 ids)", () => {
    const seen = new Set<string>();
    const prefixes = new Set<string>();
    for (let i = 0; i < 140_000; i++) {
      const id = requestId();
      if (!UUID_V4.test(id)) throw new Error(`not a uuid v4 shape: ${id}`);
      seen.add(id);
      prefixes.add(id.slice(0, 24));
    }
    expect(seen.size).toBe(140_000);
    expect(prefixes.size).toBeGreaterThanOrEqual(2);
  });

  it("does not count up in its last group (consecutive ids differ in more than their last digits)", () => {
    const a = requestId();
    const b = requestId();
    expect(a.slice(0, 24)).toBe(b.slice(0, 24));
    expect(a.slice(24, 30)).not.toBe(b.slice(24, 30));
  });
});

describe("uuid", () => {
  it("is a random uuid v4", () => {
    const a = uuid();
    expect(a).toMatch(UUID_V4);
    expect(uuid()).not.toBe(a);
  });
});
