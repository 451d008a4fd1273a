// The cryptography behind KMS, with node:crypto: AES-256-GCM for symmetric keys (the ciphertext
// blob names its key, so Decrypt needs no KeyId), RSA and ECC key pairs for Sign / Verify /
// GetPublicKey and RSA encryption, HMAC keys for GenerateMac / VerifyMac.
//
// Symmetric ciphertext blob (Nimbus's own format, as opaque to callers as AWS's):
//   0x01 0x4e | u8 length of the key ARN | key ARN | u32 material version | 12-byte IV | 16-byte tag | ciphertext
// The encryption context is authenticated (AES-GCM additional data) together with the header,
// so Decrypt with another context fails as AWS's does (InvalidCiphertextException).
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify, constants, timingSafeEqual, type KeyObject } from "node:crypto";
import { AwsError } from "../../core/errors.js";

const MAGIC0 = 0x01;
const MAGIC1 = 0x4e;

export function invalidCiphertext(): AwsError {
  // AWS sends this exception without a message.
  return new AwsError("InvalidCiphertextException", "", 400);
}

/** The encryption context as bytes: its pairs sorted by key (order on the wire must not matter). */
function contextBytes(ctx: Record<string, string> | undefined): Buffer {
  if (!ctx) return Buffer.alloc(0);
  const keys = Object.keys(ctx).sort();
  return Buffer.from(JSON.stringify(keys.map((k) => [k, ctx[k]])), "utf8");
}

export function encryptSymmetric(keyArn: string, version: number, material: Buffer, plaintext: Uint8Array, context: Record<string, string> | undefined): Buffer {
  const arn = Buffer.from(keyArn, "utf8");
  const header = Buffer.alloc(3 + arn.length + 4);
  header[0] = MAGIC0;
  header[1] = MAGIC1;
  header[2] = arn.length;
  arn.copy(header, 3);
  header.writeUInt32BE(version, 3 + arn.length);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", material, iv);
  cipher.setAAD(Buffer.concat([header, contextBytes(context)]));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), ct]);
}

/** The key ARN and material version a symmetric ciphertext names; undefined when it is not one of ours. */
export function parseCiphertext(blob: Uint8Array): { keyArn: string; version: number } | undefined {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 3 || b[0] !== MAGIC0 || b[1] !== MAGIC1) return undefined;
  const len = b[2];
  if (b.length < 3 + len + 4 + 12 + 16) return undefined;
  return { keyArn: b.subarray(3, 3 + len).toString("utf8"), version: b.readUInt32BE(3 + len) };
}

export function decryptSymmetric(blob: Uint8Array, material: Buffer, context: Record<string, string> | undefined): Buffer {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const len = b[2];
  const headerEnd = 3 + len + 4;
  const iv = b.subarray(headerEnd, headerEnd + 12);
  const tag = b.subarray(headerEnd + 12, headerEnd + 28);
  try {
    const d = createDecipheriv("aes-256-gcm", material, iv);
    d.setAAD(Buffer.concat([b.subarray(0, headerEnd), contextBytes(context)]));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(b.subarray(headerEnd + 28)), d.final()]);
  } catch {
    throw invalidCiphertext();
  }
}

// ---- key specs ----

export interface SpecInfo {
  usages: readonly string[];
  encryption?: readonly string[];
  signing?: readonly string[];
  mac?: readonly string[];
}

const RSA_SIGNING = ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"];
const RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];

/** KeySpec -> which KeyUsage values it allows and its algorithms (KMS developer guide, "Key spec reference"). */
export const KEY_SPECS: Record<string, SpecInfo> = {
  SYMMETRIC_DEFAULT: { usages: ["ENCRYPT_DECRYPT"], encryption: ["SYMMETRIC_DEFAULT"] },
  RSA_2048: { usages: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], encryption: RSA_ENCRYPTION, signing: RSA_SIGNING },
  RSA_3072: { usages: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], encryption: RSA_ENCRYPTION, signing: RSA_SIGNING },
  RSA_4096: { usages: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], encryption: RSA_ENCRYPTION, signing: RSA_SIGNING },
  ECC_NIST_P256: { usages: ["SIGN_VERIFY"], signing: ["ECDSA_SHA_256"] },
  ECC_NIST_P384: { usages: ["SIGN_VERIFY"], signing: ["ECDSA_SHA_384"] },
  ECC_NIST_P521: { usages: ["SIGN_VERIFY"], signing: ["ECDSA_SHA_512"] },
  ECC_SECG_P256K1: { usages: ["SIGN_VERIFY"], signing: ["ECDSA_SHA_256"] },
  HMAC_224: { usages: ["GENERATE_VERIFY_MAC"], mac: ["HMAC_SHA_224"] },
  HMAC_256: { usages: ["GENERATE_VERIFY_MAC"], mac: ["HMAC_SHA_256"] },
  HMAC_384: { usages: ["GENERATE_VERIFY_MAC"], mac: ["HMAC_SHA_384"] },
  HMAC_512: { usages: ["GENERATE_VERIFY_MAC"], mac: ["HMAC_SHA_512"] },
};

const CURVES: Record<string, string> = { ECC_NIST_P256: "prime256v1", ECC_NIST_P384: "secp384r1", ECC_NIST_P521: "secp521r1", ECC_SECG_P256K1: "secp256k1" };
const HMAC_BYTES: Record<string, number> = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };

/** New key material for a spec: symmetric/HMAC bytes, or a key pair (DER, base64). */
export function generateMaterial(spec: string): { material: string[]; privateKey?: string; publicKey?: string } {
  if (spec === "SYMMETRIC_DEFAULT") return { material: [randomBytes(32).toString("base64")] };
  if (HMAC_BYTES[spec]) return { material: [randomBytes(HMAC_BYTES[spec]).toString("base64")] };
  const pair = spec.startsWith("RSA_")
    ? generateKeyPairSync("rsa", { modulusLength: Number(spec.slice(4)) })
    : generateKeyPairSync("ec", { namedCurve: CURVES[spec] });
  return {
    material: [],
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
    publicKey: pair.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  };
}

function privateKeyOf(der: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(der, "base64"), format: "der", type: "pkcs8" });
}

function publicKeyOf(der: string): KeyObject {
  return createPublicKey({ key: Buffer.from(der, "base64"), format: "der", type: "spki" });
}

function hashOf(alg: string): string {
  const m = /SHA_(\d+)$/.exec(alg);
  return m ? (m[1] === "1" ? "sha1" : `sha${m[1]}`) : "sha256";
}

function signOptions(alg: string, key: KeyObject): Parameters<typeof sign>[2] {
  if (alg.startsWith("RSASSA_PSS")) return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  if (alg.startsWith("RSASSA_PKCS1")) return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: "der" };
}

export function signMessage(privateKey: string, alg: string, message: Uint8Array): Buffer {
  return sign(hashOf(alg), message, signOptions(alg, privateKeyOf(privateKey)));
}

export function verifyMessage(publicKey: string, alg: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(hashOf(alg), message, signOptions(alg, publicKeyOf(publicKey)) as never, signature);
  } catch {
    return false;
  }
}

export function rsaEncrypt(publicKey: string, alg: string, plaintext: Uint8Array): Buffer {
  return publicEncrypt({ key: publicKeyOf(publicKey), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(alg) }, plaintext);
}

export function rsaDecrypt(privateKey: string, alg: string, ciphertext: Uint8Array): Buffer {
  try {
    return privateDecrypt({ key: privateKeyOf(privateKey), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(alg) }, ciphertext);
  } catch {
    throw invalidCiphertext();
  }
}

export function hmac(material: string, alg: string, message: Uint8Array): Buffer {
  return createHmac(hashOf(alg), Buffer.from(material, "base64")).update(message).digest();
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
