import { describe, expect, it } from "vitest";
import { ANONYMOUS_PRINCIPAL, InMemoryCredentialRegistry, accountIdForAccessKey, rootPrincipalFor } from "./credentials.js";

describe("unissued keys are the root of an account", () => {
  it("a 12-digit key names its account", () => {
    expect(rootPrincipalFor("123456789012")).toEqual({
      type: "root",
      accountId: "123456789012",
      arn: "arn:aws:iam::123456789012:root",
      userId: "123456789012",
      accessKeyId: "123456789012",
    });
  });

  it("anything else is account 000000000000", () => {
    for (const key of ["test", "AKIAIOSFODNN7EXAMPLE", "1234567890123", "12345678901a", ""]) {
      expect(accountIdForAccessKey(key)).toBe("000000000000");
    }
    expect(rootPrincipalFor("test").arn).toBe("arn:aws:iam::000000000000:root");
  });

  it("anonymous belongs to no account", () => {
    expect(ANONYMOUS_PRINCIPAL).toMatchObject({ type: "anonymous", accountId: "", arn: "*" });
    expect(Object.isFrozen(ANONYMOUS_PRINCIPAL)).toBe(true);
  });
});

describe("InMemoryCredentialRegistry", () => {
  const principal = { type: "user" as const, accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/alice", userId: "AIDAEXAMPLE" };

  it("resolves what IAM/STS added, stamping the access key on the principal", () => {
    const r = new InMemoryCredentialRegistry();
    r.add("AKIAALICE", { secretAccessKey: "s", principal });
    expect(r.resolve("AKIAALICE")).toEqual({ secretAccessKey: "s", principal: { ...principal, accessKeyId: "AKIAALICE" } });
    expect(r.resolve("AKIABOB")).toBeUndefined();
    expect(r.accessKeysOf("111122223333")).toEqual(["AKIAALICE"]);
    expect(r.remove("AKIAALICE")).toBe(true);
    expect(r.has("AKIAALICE")).toBe(false);
  });

  it("prunes expired session credentials", () => {
    const r = new InMemoryCredentialRegistry();
    r.add("ASIA1", { secretAccessKey: "s", sessionToken: "t", expiresAt: 1000, principal });
    r.add("ASIA2", { secretAccessKey: "s", sessionToken: "t", expiresAt: 5000, principal });
    r.add("AKIA3", { secretAccessKey: "s", principal });
    expect(r.pruneExpired(2000)).toBe(1);
    expect(r.size).toBe(2);
    r.clear();
    expect(r.size).toBe(0);
  });
});
