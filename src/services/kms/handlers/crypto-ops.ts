// Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
// GenerateRandom, and for asymmetric and HMAC keys Sign, Verify, GetPublicKey, GenerateMac,
// VerifyMac. Other services (S3 SSE-KMS) call GenerateDataKey and Decrypt in process.
import { randomBytes } from "node:crypto";
import type {
  DecryptRequest,
  EncryptRequest,
  GenerateDataKeyRequest,
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateMacRequest,
  GenerateRandomRequest,
  GetPublicKeyRequest,
  ReEncryptRequest,
  SignRequest,
  VerifyMacRequest,
  VerifyRequest,
} from "@aws-sdk/client-kms";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { KEY_SPECS, decryptSymmetric, encryptSymmetric, hmac, invalidCiphertext, parseCiphertext, rsaDecrypt, rsaEncrypt, sameBytes, signMessage, verifyMessage } from "../crypto.js";
import { assertUsable, resolveKey, type KeyDoc } from "../store.js";
import { ensureManagedKey } from "./keys.js";

function validation(message: string): AwsError {
  return new AwsError("ValidationException", message, 400);
}

// TODO(parity): AWS's wording of InvalidKeyUsageException.
function wrongUsage(key: KeyDoc, op: string): AwsError {
  return new AwsError("InvalidKeyUsageException", `${key.arn} key usage is ${key.keyUsage} which is not valid for ${op}.`, 400);
}

function usableFor(ctx: RequestContext, keyId: string | undefined, usage: KeyDoc["keyUsage"], op: string): KeyDoc {
  const { key } = resolveKey(ctx, keyId, ensureManagedKey);
  assertUsable(key);
  if (key.keyUsage !== usage) throw wrongUsage(key, op);
  return key;
}

function encryptionAlgorithm(key: KeyDoc, requested: string | undefined, op: string): string {
  const algs = KEY_SPECS[key.keySpec].encryption ?? [];
  const alg = requested ?? (key.keySpec === "SYMMETRIC_DEFAULT" ? "SYMMETRIC_DEFAULT" : undefined);
  if (!alg) throw validation(`EncryptionAlgorithm is required for ${op} with an asymmetric KMS key.`); // TODO(parity): wording
  if (!algs.includes(alg)) throw new AwsError("InvalidKeyUsageException", `Algorithm ${alg} is incompatible with key spec ${key.keySpec}.`, 400); // TODO(parity): wording
  return alg;
}

function seal(key: KeyDoc, alg: string, plaintext: Uint8Array, context: Record<string, string> | undefined): Buffer {
  if (alg === "SYMMETRIC_DEFAULT") {
    const version = key.material.length - 1;
    return encryptSymmetric(key.arn, version, Buffer.from(key.material[version], "base64"), plaintext, context);
  }
  return rsaEncrypt(key.publicKey!, alg, plaintext);
}

export function Encrypt(input: EncryptRequest, ctx: RequestContext) {
  const key = usableFor(ctx, input.KeyId, "ENCRYPT_DECRYPT", "Encrypt");
  const alg = encryptionAlgorithm(key, input.EncryptionAlgorithm, "Encrypt");
  const plaintext = input.Plaintext ?? new Uint8Array();
  return { CiphertextBlob: seal(key, alg, plaintext, input.EncryptionContext), KeyId: key.arn, EncryptionAlgorithm: alg };
}

/** Opens a ciphertext: the key it names (or KeyId for RSA), checked against KeyId when given. */
function open(ctx: RequestContext, blob: Uint8Array | undefined, keyId: string | undefined, algorithm: string | undefined, context: Record<string, string> | undefined): { key: KeyDoc; plaintext: Buffer; alg: string } {
  if (!blob || blob.length === 0) throw invalidCiphertext();
  const named = parseCiphertext(blob);
  const alg = algorithm ?? "SYMMETRIC_DEFAULT";
  if (alg === "SYMMETRIC_DEFAULT") {
    if (!named) throw invalidCiphertext();
    const { key } = resolveKey(ctx, named.keyArn);
    if (keyId !== undefined) {
      const requested = resolveKey(ctx, keyId, ensureManagedKey).key;
      if (requested.arn !== key.arn) throw new AwsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.", 400);
    }
    assertUsable(key);
    if (key.keySpec !== "SYMMETRIC_DEFAULT") throw invalidCiphertext();
    const material = key.material[named.version];
    if (material === undefined) throw invalidCiphertext();
    return { key, plaintext: decryptSymmetric(blob, Buffer.from(material, "base64"), context), alg };
  }
  if (keyId === undefined) throw validation("KeyId is required to decrypt with an asymmetric KMS key."); // TODO(parity): wording
  const key = usableFor(ctx, keyId, "ENCRYPT_DECRYPT", "Decrypt");
  encryptionAlgorithm(key, alg, "Decrypt");
  return { key, plaintext: rsaDecrypt(key.privateKey!, alg, blob), alg };
}

export function Decrypt(input: DecryptRequest, ctx: RequestContext) {
  if (input.Recipient) throw new AwsError("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported by Nimbus.", 400);
  const { key, plaintext, alg } = open(ctx, input.CiphertextBlob, input.KeyId, input.EncryptionAlgorithm, input.EncryptionContext);
  return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: alg };
}

export function ReEncrypt(input: ReEncryptRequest, ctx: RequestContext) {
  const source = open(ctx, input.CiphertextBlob, input.SourceKeyId, input.SourceEncryptionAlgorithm, input.SourceEncryptionContext);
  const dest = usableFor(ctx, input.DestinationKeyId, "ENCRYPT_DECRYPT", "ReEncrypt");
  const alg = encryptionAlgorithm(dest, input.DestinationEncryptionAlgorithm, "ReEncrypt");
  return {
    CiphertextBlob: seal(dest, alg, source.plaintext, input.DestinationEncryptionContext),
    SourceKeyId: source.key.arn,
    KeyId: dest.arn,
    SourceEncryptionAlgorithm: source.alg,
    DestinationEncryptionAlgorithm: alg,
  };
}

function dataKeyLength(input: { KeySpec?: string; NumberOfBytes?: number }): number {
  if (input.KeySpec !== undefined && input.NumberOfBytes !== undefined) throw validation("Please specify either number of bytes or key spec.");
  if (input.KeySpec === "AES_256") return 32;
  if (input.KeySpec === "AES_128") return 16;
  if (input.KeySpec !== undefined) throw validation(`1 validation error detected: Value '${input.KeySpec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`);
  if (input.NumberOfBytes === undefined) throw validation("Please specify either number of bytes or key spec.");
  if (!Number.isInteger(input.NumberOfBytes) || input.NumberOfBytes < 1 || input.NumberOfBytes > 1024) {
    throw validation(`1 validation error detected: Value '${input.NumberOfBytes}' at 'numberOfBytes' failed to satisfy constraint: Member must have value ${input.NumberOfBytes < 1 ? "greater than or equal to 1" : "less than or equal to 1024"}`);
  }
  return input.NumberOfBytes;
}

function dataKey(input: GenerateDataKeyRequest, ctx: RequestContext, op: string) {
  const key = usableFor(ctx, input.KeyId, "ENCRYPT_DECRYPT", op);
  if (key.keySpec !== "SYMMETRIC_DEFAULT") throw wrongUsage(key, op);
  const plaintext = randomBytes(dataKeyLength(input));
  return { key, plaintext, blob: seal(key, "SYMMETRIC_DEFAULT", plaintext, input.EncryptionContext) };
}

export function GenerateDataKey(input: GenerateDataKeyRequest, ctx: RequestContext) {
  if (input.Recipient) throw new AwsError("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported by Nimbus.", 400);
  const { key, plaintext, blob } = dataKey(input, ctx, "GenerateDataKey");
  return { CiphertextBlob: blob, Plaintext: plaintext, KeyId: key.arn };
}

export function GenerateDataKeyWithoutPlaintext(input: GenerateDataKeyWithoutPlaintextRequest, ctx: RequestContext) {
  const { key, blob } = dataKey(input, ctx, "GenerateDataKeyWithoutPlaintext");
  return { CiphertextBlob: blob, KeyId: key.arn };
}

export function GenerateRandom(input: GenerateRandomRequest): { Plaintext: Buffer } {
  if (input.CustomKeyStoreId) throw new AwsError("UnsupportedOperationException", "Custom key stores are not supported by Nimbus.", 400);
  const n = input.NumberOfBytes;
  if (n === undefined) throw validation("Please specify number of bytes."); // TODO(parity): wording
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw validation(`1 validation error detected: Value '${n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value ${n < 1 ? "greater than or equal to 1" : "less than or equal to 1024"}`);
  }
  return { Plaintext: randomBytes(n) };
}

function signingKey(ctx: RequestContext, keyId: string | undefined, alg: string | undefined, messageType: string | undefined, op: string): KeyDoc {
  const key = usableFor(ctx, keyId, "SIGN_VERIFY", op);
  if (!alg || !(KEY_SPECS[key.keySpec].signing ?? []).includes(alg)) throw new AwsError("InvalidKeyUsageException", `Algorithm ${alg} is incompatible with key spec ${key.keySpec}.`, 400); // TODO(parity): wording
  if (messageType !== undefined && messageType !== "RAW") throw new AwsError("UnsupportedOperationException", `MessageType ${messageType} is not supported by Nimbus; sign the RAW message.`, 400);
  return key;
}

export function Sign(input: SignRequest, ctx: RequestContext) {
  const key = signingKey(ctx, input.KeyId, input.SigningAlgorithm, input.MessageType, "Sign");
  return { KeyId: key.arn, Signature: signMessage(key.privateKey!, input.SigningAlgorithm!, input.Message ?? new Uint8Array()), SigningAlgorithm: input.SigningAlgorithm };
}

export function Verify(input: VerifyRequest, ctx: RequestContext) {
  const key = signingKey(ctx, input.KeyId, input.SigningAlgorithm, input.MessageType, "Verify");
  if (!verifyMessage(key.publicKey!, input.SigningAlgorithm!, input.Message ?? new Uint8Array(), input.Signature ?? new Uint8Array())) {
    throw new AwsError("KMSInvalidSignatureException", "", 400);
  }
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: input.SigningAlgorithm };
}

export function GetPublicKey(input: GetPublicKeyRequest, ctx: RequestContext) {
  const { key } = resolveKey(ctx, input.KeyId, ensureManagedKey);
  assertUsable(key);
  if (!key.publicKey) throw new AwsError("UnsupportedOperationException", `${key.arn} is not an asymmetric KMS key.`, 400); // TODO(parity): wording
  const spec = KEY_SPECS[key.keySpec];
  return {
    KeyId: key.arn,
    PublicKey: Buffer.from(key.publicKey, "base64"),
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    ...(key.keyUsage === "ENCRYPT_DECRYPT" ? { EncryptionAlgorithms: [...(spec.encryption ?? [])] } : { SigningAlgorithms: [...(spec.signing ?? [])] }),
  };
}

function macKey(ctx: RequestContext, keyId: string | undefined, alg: string | undefined, op: string): KeyDoc {
  const key = usableFor(ctx, keyId, "GENERATE_VERIFY_MAC", op);
  if (!alg || !(KEY_SPECS[key.keySpec].mac ?? []).includes(alg)) throw new AwsError("InvalidKeyUsageException", `Algorithm ${alg} is incompatible with key spec ${key.keySpec}.`, 400); // TODO(parity): wording
  return key;
}

export function GenerateMac(input: GenerateMacRequest, ctx: RequestContext) {
  const key = macKey(ctx, input.KeyId, input.MacAlgorithm, "GenerateMac");
  return { KeyId: key.arn, Mac: hmac(key.material[0], input.MacAlgorithm!, input.Message ?? new Uint8Array()), MacAlgorithm: input.MacAlgorithm };
}

export function VerifyMac(input: VerifyMacRequest, ctx: RequestContext) {
  const key = macKey(ctx, input.KeyId, input.MacAlgorithm, "VerifyMac");
  const expected = hmac(key.material[0], input.MacAlgorithm!, input.Message ?? new Uint8Array());
  if (!sameBytes(expected, input.Mac ?? new Uint8Array())) throw new AwsError("KMSInvalidMacException", "", 400);
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: input.MacAlgorithm };
}
