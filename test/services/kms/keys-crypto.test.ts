// KMS through the SDK: key lifecycle (create, describe, list, enable/disable, deletion on the
// Nimbus clock), aliases, real AES-256-GCM encryption with encryption context, data keys,
// rotation, RSA/ECC signing and AWS's error codes.
import { createCipheriv, createDecipheriv, createPublicKey, createVerify, randomBytes } from "node:crypto";
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdateAliasCommand,
  VerifyCommand,
  GenerateMacCommand,
  VerifyMacCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

function kmsFor(account = freshAccount()): { kms: KMSClient; account: string } {
  return { kms: new KMSClient(sdkConfig(n.endpoint, { accountId: account })), account };
}

async function fail(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}

const advance = (duration: string) => advanceClock(n, duration);

const text = (b?: Uint8Array) => Buffer.from(b ?? []).toString("utf8");

describe("keys", () => {
  it("creates a symmetric key with AWS's metadata, describes it by id, ARN and alias, lists it", async () => {
    const { kms, account } = kmsFor();
    const created = await kms.send(new CreateKeyCommand({ Description: "orders", Tags: [{ TagKey: "team", TagValue: "a" }] }));
    const md = created.KeyMetadata!;
    expect(md.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(md).toMatchObject({
      AWSAccountId: account,
      Arn: `arn:aws:kms:us-east-1:${account}:key/${md.KeyId}`,
      Description: "orders",
      Enabled: true,
      KeyState: "Enabled",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeySpec: "SYMMETRIC_DEFAULT",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      KeyManager: "CUSTOMER",
      Origin: "AWS_KMS",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    });
    expect(md.CreationDate).toBeInstanceOf(Date);
    await kms.send(new CreateAliasCommand({ AliasName: "alias/orders", TargetKeyId: md.KeyId }));
    for (const id of [md.KeyId, md.Arn, "alias/orders", `arn:aws:kms:us-east-1:${account}:alias/orders`]) {
      expect((await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.KeyId).toBe(md.KeyId);
    }
    expect((await kms.send(new ListKeysCommand({}))).Keys).toEqual([{ KeyId: md.KeyId, KeyArn: md.Arn }]);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: md.KeyId }))).Tags).toEqual([{ TagKey: "team", TagValue: "a" }]);
    await kms.send(new TagResourceCommand({ KeyId: md.KeyId, Tags: [{ TagKey: "env", TagValue: "dev" }, { TagKey: "team", TagValue: "b" }] }));
    await kms.send(new UntagResourceCommand({ KeyId: md.KeyId, TagKeys: ["env"] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: md.KeyId }))).Tags).toEqual([{ TagKey: "team", TagValue: "b" }]);
    expect(await fail(kms.send(new TagResourceCommand({ KeyId: md.KeyId, Tags: [{ TagKey: "aws:x", TagValue: "y" }] })))).toMatchObject({ name: "TagException" });

    const missing = `arn:aws:kms:us-east-1:${account}:key/11111111-2222-3333-4444-555555555555`;
    expect(await fail(kms.send(new DescribeKeyCommand({ KeyId: missing })))).toEqual({ name: "NotFoundException", message: `Key '${missing}' does not exist`, status: 400 });
    expect(await fail(kms.send(new DescribeKeyCommand({ KeyId: "alias/nope" })))).toEqual({ name: "NotFoundException", message: `Alias 'arn:aws:kms:us-east-1:${account}:alias/nope' is not found.`, status: 400 });
  });

  it("paginates ListKeys and ListAliases", async () => {
    const { kms } = kmsFor();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      ids.push(id);
      await kms.send(new CreateAliasCommand({ AliasName: `alias/k${i}`, TargetKeyId: id }));
    }
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
      expect(page.Keys!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Keys!.map((k) => k.KeyId!));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    expect(seen.sort()).toEqual([...ids].sort());
    const a1 = await kms.send(new ListAliasesCommand({ Limit: 3 }));
    expect(a1.Aliases!.map((a) => a.AliasName)).toEqual(["alias/k0", "alias/k1", "alias/k2"]);
    expect(a1.Truncated).toBe(true);
    const a2 = await kms.send(new ListAliasesCommand({ Limit: 3, Marker: a1.NextMarker }));
    expect(a2.Aliases!.map((a) => a.AliasName)).toEqual(["alias/k3", "alias/k4"]);
    expect(a2.Truncated).toBe(false);
    expect((await kms.send(new ListAliasesCommand({ KeyId: ids[3] }))).Aliases!.map((a) => [a.AliasName, a.TargetKeyId])).toEqual([["alias/k3", ids[3]]]);
    await kms.send(new UpdateAliasCommand({ AliasName: "alias/k3", TargetKeyId: ids[0] }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: "alias/k3" }))).KeyMetadata!.KeyId).toBe(ids[0]);
    await kms.send(new DeleteAliasCommand({ AliasName: "alias/k3" }));
    expect((await fail(kms.send(new DeleteAliasCommand({ AliasName: "alias/k3" })))).name).toBe("NotFoundException");
    expect((await fail(kms.send(new CreateAliasCommand({ AliasName: "alias/k0", TargetKeyId: ids[1] })))).name).toBe("AlreadyExistsException");
  });

  it("disables, schedules deletion on the Nimbus clock, cancels, and deletes for good after the window", async () => {
    const { kms, account } = kmsFor();
    const md = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const arn = md.Arn!;
    const blob = (await kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("x") }))).CiphertextBlob!;
    await kms.send(new DisableKeyCommand({ KeyId: md.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId }))).KeyMetadata).toMatchObject({ Enabled: false, KeyState: "Disabled" });
    expect(await fail(kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("x") })))).toEqual({ name: "DisabledException", message: `${arn} is disabled.`, status: 400 });
    expect((await fail(kms.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe("DisabledException");
    await kms.send(new EnableKeyCommand({ KeyId: md.KeyId }));

    expect((await fail(kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId, PendingWindowInDays: 6 })))).name).toBe("ValidationException");
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyId: arn, KeyState: "PendingDeletion", PendingWindowInDays: 7 });
    const described = (await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId }))).KeyMetadata!;
    expect(described.DeletionDate!.getTime()).toBe(scheduled.DeletionDate!.getTime());
    expect(described.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(await fail(kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("x") })))).toEqual({ name: "KMSInvalidStateException", message: `${arn} is pending deletion.`, status: 400 });
    expect((await fail(kms.send(new EnableKeyCommand({ KeyId: md.KeyId })))).name).toBe("KMSInvalidStateException");
    expect((await kms.send(new CancelKeyDeletionCommand({ KeyId: md.KeyId }))).KeyId).toBe(arn);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId }))).KeyMetadata!.KeyState).toBe("Disabled");
    expect((await fail(kms.send(new CancelKeyDeletionCommand({ KeyId: md.KeyId })))).name).toBe("KMSInvalidStateException");

    await kms.send(new CreateAliasCommand({ AliasName: "alias/doomed", TargetKeyId: md.KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId, PendingWindowInDays: 7 }));
    await advance("P6D");
    expect((await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId }))).KeyMetadata!.KeyState).toBe("PendingDeletion");
    await advance("P1DT1M");
    expect(await fail(kms.send(new DescribeKeyCommand({ KeyId: md.KeyId })))).toMatchObject({ name: "NotFoundException", message: `Key '${arn}' does not exist` });
    expect((await kms.send(new ListKeysCommand({}))).Keys).toEqual([]);
    expect((await kms.send(new ListAliasesCommand({}))).Aliases).toEqual([]);
    expect(account).toBe(md.AWSAccountId);
  });
});

describe("encryption", () => {
  it("encrypts and decrypts for real (no KeyId needed), checking the encryption context", async () => {
    const { kms } = kmsFor();
    const md = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const ctx = { tenant: "acme", purpose: "test" };
    const enc = await kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("secret ☃"), EncryptionContext: ctx }));
    expect(enc).toMatchObject({ KeyId: md.Arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
    expect(Buffer.from(enc.CiphertextBlob!).includes(Buffer.from("secret"))).toBe(false);
    // Same plaintext, another ciphertext (random IV).
    const again = await kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("secret ☃"), EncryptionContext: ctx }));
    expect(Buffer.compare(Buffer.from(again.CiphertextBlob!), Buffer.from(enc.CiphertextBlob!))).not.toBe(0);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: "test", tenant: "acme" } }));
    expect(text(dec.Plaintext)).toBe("secret ☃");
    expect(dec).toMatchObject({ KeyId: md.Arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
    expect((await fail(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })))).name).toBe("InvalidCiphertextException");
    expect((await fail(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { tenant: "other", purpose: "test" } })))).name).toBe("InvalidCiphertextException");
    const tampered = Buffer.from(enc.CiphertextBlob!);
    tampered[tampered.length - 1] ^= 1;
    expect((await fail(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: ctx })))).name).toBe("InvalidCiphertextException");
    expect((await fail(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from("garbage") })))).name).toBe("InvalidCiphertextException");
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    expect(await fail(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx, KeyId: other.KeyId })))).toEqual({
      name: "IncorrectKeyException",
      message: "The key ID in the request does not identify a CMK that can perform this operation.",
      status: 400,
    });
    const re = await kms.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: other.KeyId }));
    expect(re).toMatchObject({ SourceKeyId: md.Arn, KeyId: other.Arn, SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT", DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
    expect(text((await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob }))).Plaintext)).toBe("secret ☃");
  });

  it("generates data keys usable for envelope encryption, and random bytes", async () => {
    const { kms } = kmsFor();
    const md = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/envelope", TargetKeyId: md.KeyId }));
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: "alias/envelope", KeySpec: "AES_256", EncryptionContext: { file: "a.txt" } }));
    expect(dk.KeyId).toBe(md.Arn);
    expect(dk.Plaintext!.length).toBe(32);
    // Envelope: encrypt locally with the plaintext data key, keep only the encrypted data key.
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", dk.Plaintext!, iv);
    const sealed = Buffer.concat([c.update("payload"), c.final()]);
    const tag = c.getAuthTag();
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { file: "a.txt" } }));
    const d = createDecipheriv("aes-256-gcm", back.Plaintext!, iv);
    d.setAuthTag(tag);
    expect(Buffer.concat([d.update(sealed), d.final()]).toString()).toBe("payload");

    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId, NumberOfBytes: 64 }))).Plaintext!.length).toBe(64);
    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId, KeySpec: "AES_128" }))).Plaintext!.length).toBe(16);
    const noPlain = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: md.KeyId, KeySpec: "AES_256" }));
    expect((noPlain as { Plaintext?: unknown }).Plaintext).toBeUndefined();
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: noPlain.CiphertextBlob }))).Plaintext!.length).toBe(32);
    expect(await fail(kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId })))).toMatchObject({ name: "ValidationException", message: "Please specify either number of bytes or key spec." });
    const r1 = (await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }))).Plaintext!;
    const r2 = (await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }))).Plaintext!;
    expect(r1.length).toBe(32);
    expect(Buffer.compare(Buffer.from(r1), Buffer.from(r2))).not.toBe(0);
  });

  it("creates alias/aws/s3 on first use as an AWS managed key", async () => {
    const { kms, account } = kmsFor();
    expect((await kms.send(new ListAliasesCommand({}))).Aliases).toEqual([]);
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }))).KeyMetadata!;
    expect(md).toMatchObject({ KeyManager: "AWS", KeyState: "Enabled", AWSAccountId: account });
    expect((await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => [a.AliasName, a.TargetKeyId])).toEqual([["alias/aws/s3", md.KeyId]]);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId }))).KeyRotationEnabled).toBe(true);
    // Its key policy lets the account read metadata and use it through S3 only.
    expect((await fail(kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId })))).name).toBe("AccessDeniedException");
    expect((await fail(kms.send(new EncryptCommand({ KeyId: "alias/aws/s3", Plaintext: Buffer.from("direct") })))).name).toBe("AccessDeniedException");
    const viaS3 = await n.nimbus.client.call<{ CiphertextBlob: Uint8Array; Plaintext: Uint8Array }>("kms", "GenerateDataKey", { KeyId: "alias/aws/s3", KeySpec: "AES_256", EncryptionContext: { "aws:s3:arn": "arn:aws:s3:::b/k" } }, {
      principal: { type: "root", accountId: account, arn: `arn:aws:iam::${account}:root`, userId: account },
      authorize: true,
      viaService: "s3.us-east-1.amazonaws.com",
    });
    expect(viaS3.Plaintext.length).toBe(32);
  });

  it("rotates on the Nimbus clock and still decrypts what older material encrypted", async () => {
    const { kms } = kmsFor();
    const md = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const old = (await kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("before") }))).CiphertextBlob!;
    await kms.send(new EnableKeyRotationCommand({ KeyId: md.KeyId, RotationPeriodInDays: 90 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90, KeyId: md.Arn });
    await advance("P91D");
    const next = (await kms.send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId }))).NextRotationDate!;
    expect(next.getTime()).toBe(status.NextRotationDate!.getTime() + 90 * 86_400_000);
    const after = (await kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("after") }))).CiphertextBlob!;
    expect(text((await kms.send(new DecryptCommand({ CiphertextBlob: old }))).Plaintext)).toBe("before");
    expect(text((await kms.send(new DecryptCommand({ CiphertextBlob: after }))).Plaintext)).toBe("after");
    expect((await fail(kms.send(new EnableKeyRotationCommand({ KeyId: md.KeyId, RotationPeriodInDays: 30 })))).name).toBe("ValidationException");
  });
});

describe("asymmetric and HMAC keys", () => {
  it("signs with RSA and ECC keys; the public key verifies outside KMS; Verify rejects a bad signature", async () => {
    const { kms } = kmsFor();
    for (const [KeySpec, SigningAlgorithm, hash] of [
      ["RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "sha256"],
      ["ECC_NIST_P256", "ECDSA_SHA_256", "sha256"],
    ] as const) {
      const md = (await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: "SIGN_VERIFY" }))).KeyMetadata!;
      expect(md.SigningAlgorithms).toContain(SigningAlgorithm);
      const message = Buffer.from(`message for ${KeySpec}`);
      const sig = await kms.send(new SignCommand({ KeyId: md.KeyId, Message: message, SigningAlgorithm, MessageType: "RAW" }));
      expect(sig.KeyId).toBe(md.Arn);
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: md.KeyId }));
      expect(pub).toMatchObject({ KeySpec, KeyUsage: "SIGN_VERIFY" });
      const key = createPublicKey({ key: Buffer.from(pub.PublicKey!), format: "der", type: "spki" });
      expect(createVerify(hash).update(message).verify(key, Buffer.from(sig.Signature!))).toBe(true);
      expect((await kms.send(new VerifyCommand({ KeyId: md.KeyId, Message: message, Signature: sig.Signature, SigningAlgorithm }))).SignatureValid).toBe(true);
      expect((await fail(kms.send(new VerifyCommand({ KeyId: md.KeyId, Message: Buffer.from("tampered"), Signature: sig.Signature, SigningAlgorithm })))).name).toBe("KMSInvalidSignatureException");
      expect((await fail(kms.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: Buffer.from("x") })))).name).toBe("InvalidKeyUsageException");
    }
    expect((await fail(kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "ENCRYPT_DECRYPT" })))).name).toBe("ValidationException");
  });

  it("encrypts with RSA OAEP and computes HMACs", async () => {
    const { kms } = kmsFor();
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }))).KeyMetadata!;
    const enc = await kms.send(new EncryptCommand({ KeyId: rsa.KeyId, Plaintext: Buffer.from("rsa secret"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));
    expect(text((await kms.send(new DecryptCommand({ KeyId: rsa.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))).Plaintext)).toBe("rsa secret");
    const mac = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata!;
    const m = await kms.send(new GenerateMacCommand({ KeyId: mac.KeyId, Message: Buffer.from("hello"), MacAlgorithm: "HMAC_SHA_256" }));
    expect(m.Mac!.length).toBe(32);
    expect((await kms.send(new VerifyMacCommand({ KeyId: mac.KeyId, Message: Buffer.from("hello"), Mac: m.Mac, MacAlgorithm: "HMAC_SHA_256" }))).MacValid).toBe(true);
    expect((await fail(kms.send(new VerifyMacCommand({ KeyId: mac.KeyId, Message: Buffer.from("hellO"), Mac: m.Mac, MacAlgorithm: "HMAC_SHA_256" })))).name).toBe("KMSInvalidMacException");
  });
});

describe("durability", () => {
  it("keeps keys, aliases, material and policies across a restart", async () => {
    const t = await startNimbus();
    const account = freshAccount();
    let kms = new KMSClient(sdkConfig(t.endpoint, { accountId: account }));
    const md = (await kms.send(new CreateKeyCommand({ Description: "durable" }))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/durable", TargetKeyId: md.KeyId }));
    const blob = (await kms.send(new EncryptCommand({ KeyId: "alias/durable", Plaintext: Buffer.from("kept"), EncryptionContext: { a: "b" } }))).CiphertextBlob;
    await t.stop({ keepData: true });
    const again = await startNimbus({ dataDir: t.dataDir });
    try {
      kms = new KMSClient(sdkConfig(again.endpoint, { accountId: account }));
      expect((await kms.send(new DescribeKeyCommand({ KeyId: "alias/durable" }))).KeyMetadata).toMatchObject({ KeyId: md.KeyId, Description: "durable" });
      expect(text((await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { a: "b" } }))).Plaintext)).toBe("kept");
    } finally {
      await again.stop();
    }
  });
});
