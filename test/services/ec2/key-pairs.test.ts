// Key pairs through @aws-sdk/client-ec2: real RSA (PEM) and ED25519 (OpenSSH) keys, AWS's
// fingerprints, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair. Where ssh-keygen is installed
// it reads the private keys back, so the material is what OpenSSH accepts.
import {
  CreateKeyPairCommand, DeleteKeyPairCommand, DescribeKeyPairsCommand, EC2Client, ImportKeyPairCommand,
} from "@aws-sdk/client-ec2";
import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";

let n: TestNimbus;
let dir: string;
beforeAll(async () => {
  n = await startNimbus();
  dir = mkdtempSync(join(tmpdir(), "nimbus-keys-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  return n.stop();
});

const SSH_KEYGEN = spawnSync("ssh-keygen", ["-?"], { encoding: "utf8" }).error ? undefined : "ssh-keygen";
const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));

/** The public key ssh-keygen derives from a private key file. */
function sshPublicOf(material: string): string {
  const file = join(dir, `k${Math.random().toString(16).slice(2)}`);
  writeFileSync(file, material + "\n", { mode: 0o600 });
  const out = spawnSync(SSH_KEYGEN!, ["-y", "-f", file], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout.trim().split(" ").slice(0, 2).join(" ");
}

describe("key pairs", () => {
  it("creates an RSA key in PEM with AWS's SHA-1 fingerprint of the private key", async () => {
    const ec2 = client();
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "deploy", TagSpecifications: [{ ResourceType: "key-pair", Tags: [{ Key: "team", Value: "ops" }] }] }));
    expect(key.KeyPairId).toMatch(/^key-[0-9a-f]{17}$/);
    expect(key.KeyMaterial).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----$/);
    const priv = createPrivateKey(key.KeyMaterial!);
    expect(priv.asymmetricKeyType).toBe("rsa");
    expect(priv.asymmetricKeyDetails!.modulusLength).toBe(2048);
    const sha1 = createHash("sha1").update(priv.export({ type: "pkcs8", format: "der" })).digest("hex").match(/../g)!.join(":");
    expect(key.KeyFingerprint).toBe(sha1);
    expect(key.Tags).toEqual([{ Key: "team", Value: "ops" }]);

    const described = (await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["deploy"], IncludePublicKey: true }))).KeyPairs!;
    expect(described).toHaveLength(1);
    expect(described[0]).toMatchObject({ KeyName: "deploy", KeyPairId: key.KeyPairId, KeyFingerprint: sha1, KeyType: "rsa", Tags: [{ Key: "team", Value: "ops" }] });
    expect(described[0].CreateTime).toBeInstanceOf(Date);
    if (SSH_KEYGEN) expect(described[0].PublicKey!.startsWith(sshPublicOf(key.KeyMaterial!))).toBe(true);

    const dup = await fail(ec2.send(new CreateKeyPairCommand({ KeyName: "deploy" })));
    expect([dup.name, dup.message]).toEqual(["InvalidKeyPair.Duplicate", "The keypair 'deploy' already exists."]);
  });

  it("creates an ED25519 key in OpenSSH format with a SHA-256 fingerprint", async () => {
    const ec2 = client();
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "ed", KeyType: "ed25519" }));
    expect(key.KeyMaterial).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----$/);
    const info = (await ec2.send(new DescribeKeyPairsCommand({ KeyPairIds: [key.KeyPairId!], IncludePublicKey: true }))).KeyPairs![0];
    expect(info.KeyType).toBe("ed25519");
    const [type, b64] = info.PublicKey!.split(" ");
    expect(type).toBe("ssh-ed25519");
    expect(key.KeyFingerprint).toBe(createHash("sha256").update(Buffer.from(b64, "base64")).digest("base64").replace(/=+$/, ""));
    if (SSH_KEYGEN) expect(sshPublicOf(key.KeyMaterial!)).toBe(`ssh-ed25519 ${b64}`);
  });

  it("imports OpenSSH public keys with AWS's fingerprints and refuses what is not a key", async () => {
    const ec2 = client();
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 255, b.length & 255]), b]);
    const mp = (b: Buffer) => str(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
    const blob = Buffer.concat([str(Buffer.from("ssh-rsa")), mp(Buffer.from(jwk.e, "base64url")), mp(Buffer.from(jwk.n, "base64url"))]);
    const line = `ssh-rsa ${blob.toString("base64")} me@laptop`;
    const imported = await ec2.send(new ImportKeyPairCommand({ KeyName: "laptop", PublicKeyMaterial: Buffer.from(line) }));
    const md5 = createHash("md5").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").match(/../g)!.join(":");
    expect(imported.KeyFingerprint).toBe(md5);
    expect(imported.KeyPairId).toMatch(/^key-[0-9a-f]{17}$/);

    const ed = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }) as { x: string };
    const edBlob = Buffer.concat([str(Buffer.from("ssh-ed25519")), str(Buffer.from(ed.x, "base64url"))]);
    const edKey = await ec2.send(new ImportKeyPairCommand({ KeyName: "ed-laptop", PublicKeyMaterial: Buffer.from(`ssh-ed25519 ${edBlob.toString("base64")}`) }));
    expect(edKey.KeyFingerprint).toBe(createHash("sha256").update(edBlob).digest("base64").replace(/=+$/, ""));

    const junk = await fail(ec2.send(new ImportKeyPairCommand({ KeyName: "junk", PublicKeyMaterial: Buffer.from("not a key") })));
    expect([junk.name, junk.message]).toEqual(["InvalidKey.Format", "Key is not in valid OpenSSH public key format"]);

    const filtered = (await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: "key-type", Values: ["ed25519"] }] }))).KeyPairs!;
    expect(filtered.map((k) => k.KeyName)).toEqual(["ed-laptop"]);
    const missing = await fail(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["nope"] })));
    expect([missing.name, missing.message]).toEqual(["InvalidKeyPair.NotFound", "The key pair 'nope' does not exist"]);

    // Deleting a name that does not exist succeeds, as on AWS; the key is gone after a delete.
    expect((await ec2.send(new DeleteKeyPairCommand({ KeyName: "nope" }))).Return).toBe(true);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: "laptop" }));
    expect((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs!.map((k) => k.KeyName)).toEqual(["ed-laptop"]);
    const dry = await fail(ec2.send(new CreateKeyPairCommand({ KeyName: "dry", DryRun: true })));
    expect(dry.name).toBe("DryRunOperation");
    expect((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs).toHaveLength(1);
  });
});
