// KMS through the aws CLI (awsJson1_1): create a key and alias, encrypt a file, decrypt it back
// without naming the key, and a NotFoundException in the CLI's words.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, failed, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-kms-cli-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!AWS)("aws kms", () => {
  const clients = useClients(() => n.endpoint);
  it("encrypts and decrypts a file, with an alias and an encryption context", async () => {
    const account = freshAccount();
    const key = ok(await clients.aws(account, "kms", "create-key", "--description", "cli key")).KeyMetadata;
    expect(key.Arn).toBe(`arn:aws:kms:us-east-1:${account}:key/${key.KeyId}`);
    ok(await clients.aws(account, "kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", key.KeyId));
    const plain = join(dir, "plain.txt");
    writeFileSync(plain, "the CLI's secret\n");
    const enc = ok(await clients.aws(account, "kms", "encrypt", "--key-id", "alias/cli", "--plaintext", `fileb://${plain}`, "--encryption-context", "stage=test"));
    expect(enc.KeyId).toBe(key.Arn);
    const blobFile = join(dir, "blob.bin");
    writeFileSync(blobFile, Buffer.from(enc.CiphertextBlob, "base64"));
    const dec = ok(await clients.aws(account, "kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`, "--encryption-context", "stage=test"));
    expect(dec.KeyId).toBe(key.Arn);
    expect(Buffer.from(dec.Plaintext, "base64").toString("utf8")).toBe(readFileSync(plain, "utf8"));
    const wrong = failed(await clients.aws(account, "kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`, "--encryption-context", "stage=prod"));
    expect(wrong).toContain("InvalidCiphertextException");
    const missing = failed(await clients.aws(account, "kms", "describe-key", "--key-id", "alias/missing"));
    expect(missing).toContain(`An error occurred (NotFoundException) when calling the DescribeKey operation: Alias 'arn:aws:kms:us-east-1:${account}:alias/missing' is not found.`);
    const aliases = ok(await clients.aws(account, "kms", "list-aliases")).Aliases;
    expect(aliases.map((a: { AliasName: string }) => a.AliasName)).toEqual(["alias/cli"]);
  }, 120_000);
});
