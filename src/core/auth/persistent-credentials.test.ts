import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../state/database.js";
import { PersistentCredentialRegistry } from "./credentials.js";

const principal = { type: "user" as const, accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/alice", userId: "AIDAEXAMPLE" };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), "nimbus-creds-"));
  if (!dir) dirs.push(d);
  const db = openDatabase(d);
  return { dir: d, db, registry: new PersistentCredentialRegistry(db) };
}

describe("PersistentCredentialRegistry", () => {
  it("resolves what was added, and a miss stays a miss until the key is added", () => {
    const { registry, db } = open();
    expect(registry.resolve("AKIAALICE")).toBeUndefined();
    // The miss is cached; adding the key must drop it.
    registry.add("AKIAALICE", { secretAccessKey: "s", principal, source: "iam" });
    expect(registry.resolve("AKIAALICE")).toEqual({ secretAccessKey: "s", principal: { ...principal, accessKeyId: "AKIAALICE" } });
    expect(registry.accessKeysOf("111122223333")).toEqual(["AKIAALICE"]);
    expect(registry.remove("AKIAALICE")).toBe(true);
    expect(registry.resolve("AKIAALICE")).toBeUndefined();
    db.close();
  });

  it("keeps keys across a reopen of the database (a restart)", () => {
    const first = open();
    first.registry.add("ASIASESSION", { secretAccessKey: "s", sessionToken: "tok", expiresAt: 5000, principal, source: "sts", data: { roleArn: "r" } });
    first.db.close();
    const second = open(first.dir);
    expect(second.registry.resolve("ASIASESSION")).toMatchObject({ secretAccessKey: "s", sessionToken: "tok", expiresAt: 5000 });
    expect(second.registry.issued("ASIASESSION")?.data).toEqual({ roleArn: "r" });
    second.db.close();
  });

  it("a disabled key resolves with a session token no request can carry (refused as InvalidClientTokenId)", () => {
    const { registry, db } = open();
    registry.add("AKIAOFF", { secretAccessKey: "s", principal, disabled: true });
    const r = registry.resolve("AKIAOFF")!;
    expect(r.sessionToken).toBeDefined();
    expect(r.sessionToken).toMatch(/^\u0000/);
    expect(registry.has("AKIAOFF")).toBe(true);
    db.close();
  });

  it("clears by source and prunes expired keys", () => {
    const { registry, db } = open();
    registry.add("AKIA1", { secretAccessKey: "s", principal, source: "iam" });
    registry.add("ASIA1", { secretAccessKey: "s", sessionToken: "t", expiresAt: 1000, principal, source: "sts" });
    registry.add("ASIA2", { secretAccessKey: "s", sessionToken: "t", expiresAt: 9000, principal, source: "sts" });
    expect(registry.pruneExpired(2000)).toBe(1);
    expect(registry.size).toBe(2);
    registry.clear("sts");
    expect(registry.resolve("ASIA2")).toBeUndefined();
    expect(registry.resolve("AKIA1")).toBeDefined();
    registry.clear();
    expect(registry.size).toBe(0);
    db.close();
  });
});
